"""Does cross-validated model selection beat the fixed defaults on IMDB (partial)?

``python benchmarks/bench_selection.py prepare`` gets JAX and gensim SGNS
vectors (``SGNSConfig`` and ``VocabConfig`` defaults) trained on the unlabeled
plus training reviews from the cache of ``embedsent.curve_data``, training
them when the cache lacks them. It then writes the sentence features of every
training and test review for each (vector source, feature method) to
``--out``. The encoders are fitted on the pretraining texts, which contain no
labels and no test review.

``python benchmarks/bench_selection.py measure`` then, for each labeled size
and each balanced draw of training reviews, runs
``embedsent.selection.select_from_features`` on the drawn rows only. It fits
the winner and the fixed default (JAX vectors, mean feature,
``ClassifierConfig()``) on the same rows and scores both on the whole test
set. Fine-tuned candidates are left out, because they need the texts rather
than fixed features. Each finished draw is appended to ``runs.jsonl``, and a
rerun skips the draws found there, so an interrupted run resumes where it
stopped. The settings that define the draws and the grid (``--seed``,
``--folds``, ``--repeats``, ``--hidden-sizes``, ``--weight-decays``,
``--features``, and ``prepare``'s ``--data`` and ``--seed``) are kept in
``settings.json``; a rerun with other settings is refused, so one ``--out``
never mixes two grids. More ``--sizes`` or ``--draws`` extend a run. A cut-off
last line of ``runs.jsonl``, which a killed process leaves, is dropped with a
warning and that draw runs again. The summary gives the mean paired
difference (selected minus default) with its t interval per size, with the
settings, the machine and the package versions.

The default grid is ``SelectionGrid``'s hidden sizes and weight decays, which
include the default's weight decay (``ClassifierConfig().weight_decay``,
10.0), so the fixed default is itself one of the candidates on the mean
feature of either vector source.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from embedsent.bench import MAX_GENSIM_WORKERS, machine_description
from embedsent.classifier import MLPClassifier
from embedsent.cli_types import MAX_DRAWS, bounded
from embedsent.config import ClassifierConfig, SGNSConfig, TextConfig, VocabConfig
from embedsent.console import INTERRUPTED_STATUS
from embedsent.crossval import MIN_CLASS_SIZE
from embedsent.datasets import LabeledTexts, balanced_sample
from embedsent.evaluate import paired_difference, summarize_accuracies
from embedsent.features import FEATURE_METHODS, SentenceEncoder
from embedsent.selection import (
    SelectionGrid,
    build_candidates,
    select_from_features,
)
from embedsent.storage import check_folder_path, save_bundle, write_text_atomic

logger = logging.getLogger("bench_selection")

DEFAULT_ARCHIVE = "../shared/data/aclImdb-partial.tar.gz"
DEFAULT_OUT = "benchmarks/results/selection"
SOURCES = ("jax", "gensim")
# The library's grid, with the fixed default's weight decay in it.
DEFAULT_HIDDEN_SIZES = SelectionGrid().hidden_sizes
DEFAULT_WEIGHT_DECAYS = tuple(
    sorted({*SelectionGrid().weight_decays, ClassifierConfig().weight_decay})
)
MAX_SEED = 2**32 - 1
# The keys of every row of runs.jsonl.
ROW_KEYS = ("n", "draw", "winner", "selected_accuracy", "default_accuracy")
# The measure options that define a run; a rerun must repeat them.
RUN_SETTINGS = ("seed", "folds", "repeats", "hidden_sizes", "weight_decays", "features")


class UsageError(ValueError):
    """A bad option or --out folder, reported as one line with exit status 2."""


def prepare(args: argparse.Namespace) -> None:
    """Load or pretrain both vector sources and write features of every review.

    Tokens and vectors come from ``embedsent.curve_data``'s cache in
    ``--cache``, which the learning-curve benchmark fills with the same
    settings, so the two benchmarks pretrain only once.
    """
    from embedsent.curve_data import (
        ensure_folder,
        load_tokenized_corpus,
        pretrained_vectors,
    )

    if args.data != "default" and not Path(args.data).exists():
        raise UsageError(
            f"--data {args.data}: not found; pass an aclImdb folder or .tar.gz "
            "archive, or 'default' for the shipped corpus"
        )
    try:
        out = check_folder_path(args.out, "--out")
        cache = ensure_folder(args.cache, "--cache")
    except (OSError, ValueError) as error:
        raise UsageError(str(error)) from None
    try:
        corpus, key = load_tokenized_corpus(
            args.data,
            max_per_class=None,
            max_unlabeled=None,
            seed=args.seed,
            text_config=TextConfig(),
            cache_dir=cache,
        )
    except (OSError, ValueError) as error:
        raise UsageError(f"--data {args.data}: {error}") from None
    out.mkdir(parents=True, exist_ok=True)
    # prepare.json marks finished features, so it goes before any is rewritten.
    (out / "prepare.json").unlink(missing_ok=True)
    meta = {"format": "bench-selection", "data": args.data, "seed": args.seed}
    save_bundle(
        out / "labels.npz",
        meta,
        {
            "train": np.asarray(corpus.train_labels),
            "test": np.asarray(corpus.test_labels),
        },
    )
    timings = {}
    pretrain_tokens = corpus.pretrain_tokens
    for source in SOURCES:
        vectors, seconds = pretrained_vectors(
            source,
            pretrain_tokens,
            sgns_config=SGNSConfig(seed=args.seed),
            vocab_config=VocabConfig(),
            corpus_key=key,
            cache_dir=cache,
            gensim_workers=args.gensim_workers,
        )
        timings[f"pretrain_{source}_s"] = seconds
        for method in FEATURE_METHODS:
            started = time.perf_counter()
            encoder = SentenceEncoder(vectors, method).fit(pretrain_tokens)
            save_bundle(
                out / f"features_{source}_{method}.npz",
                {**meta, "source": source, "method": method},
                {
                    "train": encoder.transform(corpus.train_tokens),
                    "test": encoder.transform(corpus.test_tokens),
                },
            )
            timings[f"features_{source}_{method}_s"] = time.perf_counter() - started
            logger.info("wrote features %s/%s", source, method)
    report = {
        **timings,
        "settings": {"data": args.data, "seed": args.seed},
        "machine": machine_description(),
    }
    write_text_atomic(out / "prepare.json", json.dumps(report, indent=2) + "\n")


def _done_runs(path: Path) -> tuple[dict[tuple[int, int], dict], list[str], bool]:
    """Return the rows of ``runs.jsonl`` by (n, draw), its lines, and a cut-off flag.

    The lines are those of the returned rows; the flag is True when the last
    line was cut off.

    A killed run can leave a last line that is not a whole JSON row. That line
    is skipped with a warning, so its draw runs again.

    Raises:
        UsageError: if a line before the last is damaged.
    """
    done: dict[tuple[int, int], dict] = {}
    complete_lines: list[str] = []
    if not path.exists():
        return done, complete_lines, False
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            run = json.loads(line)
            missing = [name for name in ROW_KEYS if name not in run]
            if missing:
                raise KeyError(", ".join(missing))
            row_key = (int(run["n"]), int(run["draw"]))
        except (ValueError, KeyError, TypeError) as error:
            if number == len(lines):
                logger.warning(
                    "%s: line %d is cut off (%s), as a killed run leaves it; "
                    "skipping it, so that draw runs again",
                    path,
                    number,
                    error,
                )
                return done, complete_lines, True
            raise UsageError(
                f"{path} line {number} is not a complete run row ({error}); "
                "delete that line to run its draw again"
            ) from None
        done[row_key] = run
        complete_lines.append(line)
    return done, complete_lines, False


def _run_settings(args: argparse.Namespace, prepared: dict) -> dict:
    settings = {name: getattr(args, name) for name in RUN_SETTINGS}
    settings["prepare"] = prepared.get("settings")
    return settings


def _check_settings(out: Path, settings: dict, has_runs: bool) -> None:
    """Write ``settings.json`` for a new run, or check a rerun against it.

    Raises:
        UsageError: if the settings differ from those of the earlier run, or
            rows exist without a record of their settings.
    """
    path = out / "settings.json"
    if not path.exists():
        if has_runs:
            raise UsageError(
                f"{out / 'runs.jsonl'} has rows but {path} is missing, so the "
                "settings of those rows are unknown; use another --out"
            )
        write_text_atomic(path, json.dumps(settings, indent=2) + "\n")
        return
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise UsageError(f"{path} is damaged ({error}); use another --out") from None
    differing = [
        f"{name} {recorded.get(name)!r} before, {settings[name]!r} now"
        for name in settings
        if recorded.get(name) != settings[name]
    ]
    if differing:
        raise UsageError(
            f"--out {out} contains runs with other settings ({'; '.join(differing)}); "
            "use another --out, or rerun with the settings of that run"
        )


def _load_prepared(out: Path) -> tuple[dict, dict, list, list]:
    """Return prepare.json, the feature matrices and the labels in ``out``."""
    try:
        prepared = json.loads((out / "prepare.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"--out {out} has no finished features (prepare.json is missing); "
            f"run `bench_selection.py prepare --out {out}` first"
        ) from None
    except ValueError as error:
        raise UsageError(
            f"{out / 'prepare.json'} is damaged ({error}); run prepare again"
        ) from None
    try:
        with np.load(out / "labels.npz") as archive:
            train_labels = archive["train"].tolist()
            test_labels = archive["test"].tolist()
        features = {}
        for source in SOURCES:
            for method in FEATURE_METHODS:
                path = out / f"features_{source}_{method}.npz"
                with np.load(path) as archive:
                    features[(source, method)] = (archive["train"], archive["test"])
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(
            f"--out {out}: cannot read the features ({error}); run prepare again"
        ) from None
    return prepared, features, train_labels, test_labels


def _check_sizes(sizes: list[int], train_labels: list) -> None:
    """Reject sizes that cannot be drawn as asked.

    ``balanced_sample`` returns every row for a size above the training set,
    so such a size would be recorded while fewer texts were used. It is
    rejected rather than renamed. The size in the summary is then the one
    requested, and the draws at one size differ from each other.
    """
    counts = [train_labels.count(label) for label in sorted(set(train_labels))]
    largest = min(counts) * len(counts)
    smallest = MIN_CLASS_SIZE * len(counts)
    for n in sizes:
        if n > largest:
            raise UsageError(
                f"--sizes {n} exceeds the {largest} balanced training texts "
                f"({len(counts)} classes of at least {min(counts)}); pass sizes "
                f"up to {largest}"
            )
        if n < smallest:
            raise UsageError(
                f"--sizes {n} is below {smallest}: cross-validation needs "
                f"{MIN_CLASS_SIZE} texts of each of the {len(counts)} classes"
            )


def measure(args: argparse.Namespace) -> None:
    """Select on each draw, score winner and default on the test set."""
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(
            f"--out {out} is not a folder of prepared features; run "
            f"`bench_selection.py prepare --out {out}` first"
        )
    prepared, features, train_labels, test_labels = _load_prepared(out)
    _check_sizes(args.sizes, train_labels)
    try:
        grid = SelectionGrid(
            hidden_sizes=tuple(args.hidden_sizes),
            weight_decays=tuple(args.weight_decays),
            features=tuple(args.features),
            fine_tune=(False,),
        )
    except (TypeError, ValueError) as error:
        raise UsageError(f"--hidden-sizes/--weight-decays: {error}") from None
    candidates = build_candidates(grid, {source: None for source in SOURCES})
    default_config = ClassifierConfig(seed=args.seed)
    train = LabeledTexts([""] * len(train_labels), train_labels)
    runs_path = out / "runs.jsonl"
    done, complete_lines, cut_off = _done_runs(runs_path)
    _check_settings(out, _run_settings(args, prepared), bool(done))
    if cut_off:
        # Drop the cut-off line, so the next row starts a line of its own.
        write_text_atomic(runs_path, "".join(line + "\n" for line in complete_lines))
    for n in args.sizes:
        rng = np.random.default_rng([args.seed, n])
        for draw in range(args.draws):
            picked = balanced_sample(train, n, rng)
            if (n, draw) in done:
                continue
            started = time.perf_counter()
            labels = [train_labels[i] for i in picked]
            drawn = {key: value[0][picked] for key, value in features.items()}
            result = select_from_features(
                drawn,
                labels,
                candidates,
                repeats=args.repeats,
                folds=args.folds,
                seed=args.seed + draw,
            )
            winner = result.winner.candidate
            key = (winner.source, winner.feature)
            selected = MLPClassifier(winner.classifier_config(seed=args.seed))
            selected.fit(drawn[key], labels)
            default = MLPClassifier(default_config)
            default.fit(drawn[("jax", "mean")], labels)
            run = {
                "n": n,
                "draw": draw,
                "winner": winner.name,
                "winner_cv_mean": result.winner.mean,
                "selected_accuracy": selected.score(features[key][1], test_labels),
                "default_accuracy": default.score(
                    features[("jax", "mean")][1], test_labels
                ),
                "seconds": time.perf_counter() - started,
            }
            with runs_path.open("a") as handle:
                handle.write(json.dumps(run) + "\n")
            logger.info("%s", run)
    summarize(runs_path, out / "summary.json")


def summarize(runs_path: Path, summary_path: Path) -> None:
    """Write and print the paired difference per labeled size.

    ``summary.json`` contains the run's settings, the machine and package
    versions, and one row per size.
    """
    if not runs_path.exists():
        raise UsageError(
            f"{runs_path} does not exist; run `bench_selection.py measure "
            f"--out {runs_path.parent}` first"
        )
    runs = list(_done_runs(runs_path)[0].values())
    rows = []
    for n in sorted({run["n"] for run in runs}):
        at_n = sorted((r for r in runs if r["n"] == n), key=lambda r: r["draw"])
        selected = [r["selected_accuracy"] for r in at_n]
        default = [r["default_accuracy"] for r in at_n]
        row = {
            "n": n,
            "draws": len(at_n),
            "selected": summarize_accuracies(selected),
            "default": summarize_accuracies(default),
            "winners": [r["winner"] for r in at_n],
        }
        if len(at_n) >= 2:
            row["difference"] = paired_difference(selected, default)
        rows.append(row)
        print(json.dumps(row))
    settings_path = runs_path.parent / "settings.json"
    settings = None
    if settings_path.exists():
        settings = json.loads(settings_path.read_text(encoding="utf-8"))
    summary = {"settings": settings, "machine": machine_description(), "rows": rows}
    write_text_atomic(summary_path, json.dumps(summary, indent=2) + "\n")


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("stage", choices=("prepare", "measure", "summarize"))
    parser.add_argument(
        "--data",
        default=DEFAULT_ARCHIVE,
        help="aclImdb folder or .tar.gz, or 'default' for the shipped corpus (prepare)",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help="cache and result folder")
    parser.add_argument(
        "--seed",
        type=bounded(int, 0, MAX_SEED),
        default=0,
        help="seed of pretraining (prepare), and of draws and classifiers (measure)",
    )
    parser.add_argument(
        "--cache",
        default="benchmarks/results/cache",
        help="token and vector cache of embedsent.curve_data",
    )
    parser.add_argument(
        "--gensim-workers",
        type=bounded(int, 1, MAX_GENSIM_WORKERS),
        default=2,
        help="gensim threads (prepare)",
    )
    parser.add_argument(
        "--sizes",
        type=bounded(int, 1),
        nargs="+",
        default=[16, 64, 512],
        help="labeled training sizes, each at most the balanced training texts",
    )
    parser.add_argument(
        "--draws",
        type=bounded(int, 1, MAX_DRAWS),
        default=10,
        help="balanced draws of training texts per size",
    )
    parser.add_argument(
        "--repeats",
        type=bounded(int, 1),
        default=3,
        help="repetitions of cross-validation",
    )
    parser.add_argument(
        "--folds", type=bounded(int, 2), default=5, help="cross-validation folds"
    )
    parser.add_argument(
        "--hidden-sizes",
        type=bounded(int, 0),
        nargs="+",
        default=list(DEFAULT_HIDDEN_SIZES),
        help="hidden units of the candidates; 0 is logistic regression",
    )
    parser.add_argument(
        "--weight-decays",
        type=bounded(float, 0),
        nargs="+",
        default=list(DEFAULT_WEIGHT_DECAYS),
        help="weight decays of the candidates; the default includes ClassifierConfig's",
    )
    parser.add_argument(
        "--features",
        nargs="+",
        default=list(FEATURE_METHODS),
        choices=FEATURE_METHODS,
        help="sentence features of the candidates",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("sizes", "hidden_sizes", "weight_decays", "features"):
        setattr(args, name, _unique(getattr(args, name)))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        if args.stage == "prepare":
            prepare(args)
        elif args.stage == "measure":
            measure(args)
        else:
            out = Path(args.out)
            summarize(out / "runs.jsonl", out / "summary.json")
    except UsageError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        reused = (
            f"the cached tokens and vectors in {args.cache}"
            if args.stage == "prepare"
            else f"the finished draws in {args.out}/runs.jsonl"
        )
        print(
            f"{parser.prog}: interrupted; a rerun with the same options reuses "
            f"{reused}",
            file=sys.stderr,
        )
        return INTERRUPTED_STATUS
    return 0


if __name__ == "__main__":
    from embedsent.bench import exit_script

    exit_script(main())
