"""Transfer accuracy with JAX and gensim vectors over several pretraining seeds.

``python benchmarks/bench_seeds.py [--data PATH] [--seeds 0 1 2 3]``

``compare`` and ``bench transfer`` pair each draw of labeled texts with the
same two vector sets, so their intervals leave out how much another
pretraining run would move the figures. This script pretrains one vector set
per seed with each trainer, on the unlabeled plus training texts (never the
test texts), with the default ``SGNSConfig`` and ``VocabConfig`` apart from
the seed. Each set is scored with the default classifier on the mean
sentence vectors, on the same balanced draws per size
(``embedsent.curves.draw_indices``) and on the whole test set. The table
gives, per size, the mean and standard deviation over seeds of each seed's
mean accuracy, Welch's 95% interval of JAX minus gensim over seeds, and
the t interval of the same difference paired by draw, with each draw's
accuracy averaged over the seeds of each trainer.

``--holdout N`` scores on N training texts instead of the test set. Those
texts are left out of pretraining and of every draw, so, like the test
texts, neither trainer has seen them, and the test set stays untouched
while settings are compared.

Vectors are cached in ``--cache-dir`` by the learning-curve benchmark's
cache, so a rerun with more seeds trains only the new ones, and so does a
rerun after Ctrl-C. gensim with more than one worker thread is not
bit-reproducible. ``--json`` is checked before any work starts; it records
the settings, every accuracy, the machine and the package versions.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from embedsent.cli_types import ascii_number

TRAINERS = ("jax", "gensim")
DEFAULT_DATA = "../shared/data/aclImdb-partial.tar.gz"
# The range of SGNSConfig.seed.
MAX_SEED = 2**32 - 1
# Seed of numpy's default_rng that picks the --holdout texts, so every run
# with the same --holdout holds out the same texts.
HOLDOUT_SEED = 123

logger = logging.getLogger("bench_seeds")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description="Transfer accuracy of JAX and gensim vectors over "
        "pretraining seeds.",
    )
    parser.add_argument(
        "--data",
        default=DEFAULT_DATA,
        help="aclImdb folder or .tar.gz, or 'default' for the shipped corpus "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--seeds",
        type=ascii_number(int),
        nargs="+",
        default=[0, 1, 2, 3],
        help="pretraining seeds of each trainer, at least 2 (default: 0 1 2 3)",
    )
    parser.add_argument(
        "--sizes",
        type=ascii_number(int),
        nargs="+",
        default=[8, 16, 32, 64, 128, 512],
        help="labeled training sizes (default: 8 16 32 64 128 512)",
    )
    parser.add_argument(
        "--draws",
        type=ascii_number(int),
        default=10,
        help="balanced draws of labeled texts per size (default: %(default)s)",
    )
    parser.add_argument(
        "--draw-seed",
        type=ascii_number(int),
        default=0,
        help="seed of the draws, the same for every vector set (default: %(default)s)",
    )
    parser.add_argument(
        "--holdout",
        type=ascii_number(int),
        default=0,
        help="score on this many training texts, left out of pretraining and of "
        "the draws, instead of the test texts (default: 0, the test texts)",
    )
    parser.add_argument(
        "--jax-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set one SGNSConfig field that only the JAX trainer reads, such as "
        "batch_size=32 or repeat_damping=0.25; VALUE is JSON, so null means None "
        "for the fields that take it, such as shared_negatives; "
        "repeat for more fields (default: none, the SGNSConfig defaults)",
    )
    parser.add_argument(
        "--gensim-workers",
        type=ascii_number(int),
        default=2,
        help="gensim worker threads (default: %(default)s)",
    )
    parser.add_argument(
        "--cache-dir",
        default="benchmarks/results/cache",
        help="folder of the cached tokens and vectors (default: %(default)s)",
    )
    parser.add_argument("--json", default=None, help="write every accuracy here")
    return parser


def check_args(args: argparse.Namespace) -> str | None:
    """Return what is wrong with the options, or None."""
    if len(set(args.seeds)) < 2:
        return (
            f"--seeds {' '.join(map(str, args.seeds))}: pass at least 2 distinct "
            "seeds, because the interval is taken over seeds"
        )
    from embedsent.bench import MAX_GENSIM_WORKERS
    from embedsent.cli_types import MAX_DRAWS

    if min(args.seeds) < 0:
        return f"--seeds must be >= 0, got {min(args.seeds)}"
    if max(args.seeds) > MAX_SEED:
        return (
            f"--seeds {max(args.seeds)} is above {MAX_SEED}; SGNSConfig.seed "
            f"takes 0 to {MAX_SEED}"
        )
    if min(args.sizes) < 2:
        return f"--sizes must be >= 2, one text per class, got {min(args.sizes)}"
    odd = [n for n in args.sizes if n % 2]
    if odd:
        return (
            f"--sizes {odd[0]} is odd, so it cannot be split evenly over the 2 "
            "classes of aclImdb; pass even sizes"
        )
    if not 1 <= args.draws <= MAX_DRAWS:
        return f"--draws must be from 1 to {MAX_DRAWS}, got {args.draws}"
    if not 0 <= args.draw_seed <= MAX_SEED:
        return f"--draw-seed must be from 0 to {MAX_SEED}, got {args.draw_seed}"
    if args.holdout < 0:
        return f"--holdout must be >= 0, got {args.holdout}"
    try:
        jax_settings(args.jax_setting)
    except ValueError as error:
        return str(error)
    if args.gensim_workers < 1:
        return f"--gensim-workers must be >= 1, got {args.gensim_workers}"
    if args.gensim_workers > MAX_GENSIM_WORKERS:
        return (
            f"--gensim-workers must be <= {MAX_GENSIM_WORKERS}, got "
            f"{args.gensim_workers}; gensim starts one thread per worker"
        )
    return check_data(args.data)


def jax_settings(pairs: list[str]) -> dict:
    """Parse ``--jax-setting`` values into SGNSConfig fields, checked.

    Only fields that gensim ignores are accepted, so both trainers still
    train on the same hyperparameters.

    Raises:
        ValueError: naming the value and the fix.
    """
    from embedsent.config import SGNSConfig
    from embedsent.curve_data import GENSIM_IGNORED_FIELDS

    settings = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals:
            raise ValueError(
                f"--jax-setting {pair!r} has no '='; pass NAME=VALUE, such as "
                "batch_size=32"
            )
        if name in settings:
            raise ValueError(
                f"--jax-setting {pair!r}: {name} is set twice; pass each field once"
            )
        if name not in GENSIM_IGNORED_FIELDS:
            raise ValueError(
                f"--jax-setting {pair!r}: {name!r} is not a field that only the "
                f"JAX trainer reads; pass one of {', '.join(GENSIM_IGNORED_FIELDS)}"
            )
        try:
            settings[name] = json.loads(text)
        except ValueError:
            raise ValueError(
                f"--jax-setting {pair!r}: {text!r} is not JSON; pass a number, "
                "true, false or null"
            ) from None
    try:
        SGNSConfig(**settings)
    except (TypeError, ValueError) as error:
        raise ValueError(f"--jax-setting: {error}") from None
    return settings


def check_data(data: str) -> str | None:
    """Return why ``--data`` is no aclImdb folder or archive, or None."""
    if data == "default":
        return None
    path = Path(data)
    if not path.exists():
        return f"--data {data}: not found; pass an aclImdb folder or archive"
    if path.is_dir() and not any(
        (folder / "train").is_dir() and (folder / "test").is_dir()
        for folder in (path, path / "aclImdb")
    ):
        return (
            f"--data {data} is a folder without train/ and test/ or "
            "aclImdb/train/ and aclImdb/test/; pass an aclImdb folder or archive"
        )
    return None


def welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Return mean(a) - mean(b) and Welch's 95% interval of it."""
    from scipy import stats

    difference = float(a.mean() - b.mean())
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    error = float(np.sqrt(var_a + var_b))
    if error == 0:
        return difference, difference, difference
    dof = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, dof)) * error
    return difference, difference - half, difference + half


# A NamedTuple, because dataclasses need the module in sys.modules, which a
# script loaded from its file path is not.
class Split(NamedTuple):
    """The texts of one run: what is pretrained on, drawn from and scored on."""

    pretrain_tokens: list[list[str]]
    pool_tokens: list[list[str]]
    pool_labels: list[str]
    scored_tokens: list[list[str]]
    scored_labels: list[str]


def split_corpus(corpus, holdout: int) -> Split:
    """Return the test-set split, or with ``holdout`` > 0 the held-out one.

    The held-out texts are ``holdout`` training texts picked with
    ``default_rng(HOLDOUT_SEED)``. The other training texts are drawn from
    and pretrained on, with the unlabeled texts. Test texts are never
    pretrained on.
    """
    if holdout == 0:
        return Split(
            corpus.pretrain_tokens,
            corpus.train_tokens,
            corpus.train_labels,
            corpus.test_tokens,
            corpus.test_labels,
        )
    count = len(corpus.train_tokens)
    held_out = np.sort(
        np.random.default_rng(HOLDOUT_SEED).choice(count, holdout, replace=False)
    )
    pool = np.setdiff1d(np.arange(count), held_out)
    pool_tokens = [corpus.train_tokens[i] for i in pool]
    return Split(
        corpus.unlabeled + pool_tokens,
        pool_tokens,
        [corpus.train_labels[i] for i in pool],
        [corpus.train_tokens[i] for i in held_out],
        [corpus.train_labels[i] for i in held_out],
    )


def score_seed(split: Split, vectors, sizes, draws, draw_seed) -> dict[int, list]:
    """Return the accuracy of each draw per size for one vector set."""
    from embedsent.classifier import MLPClassifier
    from embedsent.config import ClassifierConfig
    from embedsent.curves import draw_indices
    from embedsent.features import SentenceEncoder

    encoder = SentenceEncoder(vectors, method="mean")
    pool = encoder.transform(split.pool_tokens, warn_empty=False)
    scored = encoder.transform(split.scored_tokens, warn_empty=False)
    labels = np.asarray(split.pool_labels)
    accuracies = {}
    for n in sizes:
        accuracies[n] = []
        for draw in range(draws):
            picked = draw_indices(split.pool_labels, n, draw_seed, draw)
            model = MLPClassifier(ClassifierConfig())
            model.fit(pool[picked], list(labels[picked]))
            accuracies[n].append(float(model.score(scored, split.scored_labels)))
    return accuracies


def paired_interval(runs: list[dict], n: int) -> tuple[float, float, float, int]:
    """Return JAX − gensim paired by draw at size ``n``, with its 95% t interval.

    Each draw's accuracy is first averaged over the seeds of each trainer.
    Also returns the number of draws where JAX scored higher.
    """
    from scipy import stats

    per_draw = {
        trainer: np.mean(
            [r["accuracies"] for r in runs if r["trainer"] == trainer and r["n"] == n],
            axis=0,
        )
        for trainer in TRAINERS
    }
    differences = 100 * (per_draw["jax"] - per_draw["gensim"])
    mean = float(differences.mean())
    wins = int((differences > 0).sum())
    if len(differences) < 2 or differences.std(ddof=1) == 0:
        return mean, mean, mean, wins
    error = differences.std(ddof=1) / np.sqrt(len(differences))
    half = float(stats.t.ppf(0.975, len(differences) - 1)) * error
    return mean, mean - half, mean + half, wins


def format_table(runs: list[dict], sizes: list[int]) -> str:
    """Return the per-size Markdown table of ``runs``."""
    lines = [
        "| n | JAX vectors | gensim vectors | JAX − gensim [95% Welch] | "
        "JAX − gensim, paired by draw [95%] | draws where JAX scored higher |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        means = {
            trainer: np.array(
                [
                    100 * np.mean(r["accuracies"])
                    for r in runs
                    if r["trainer"] == trainer and r["n"] == n
                ]
            )
            for trainer in TRAINERS
        }
        jax_means, gensim_means = means["jax"], means["gensim"]
        difference, low, high = welch_interval(jax_means, gensim_means)
        paired, paired_low, paired_high, wins = paired_interval(runs, n)
        draws = len(runs[0]["accuracies"])
        lines.append(
            f"| {n} | {jax_means.mean():.1f} ± {jax_means.std(ddof=1):.1f} | "
            f"{gensim_means.mean():.1f} ± {gensim_means.std(ddof=1):.1f} | "
            f"{difference:+.1f} [{low:+.1f}, {high:+.1f}] | "
            f"{paired:+.1f} [{paired_low:+.1f}, {paired_high:+.1f}] | "
            f"{wins} of {draws} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from embedsent.console import INTERRUPTED_STATUS

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        return run(args)
    except KeyboardInterrupt:
        print(
            "bench_seeds: interrupted; a rerun reuses the vectors already "
            f"trained, which are cached in {args.cache_dir}",
            file=sys.stderr,
        )
        return INTERRUPTED_STATUS


def run(args: argparse.Namespace) -> int:
    """Run the benchmark for parsed options; return the exit status."""
    problem = check_args(args)
    if problem is None:
        problem = check_json(args)
    if problem is not None:
        print(f"bench_seeds: error: {problem}", file=sys.stderr)
        return 2

    from embedsent.bench import machine_description
    from embedsent.config import SGNSConfig, TextConfig, VocabConfig
    from embedsent.curve_data import (
        ensure_folder,
        load_tokenized_corpus,
        pretrained_vectors,
    )

    try:
        cache = ensure_folder(args.cache_dir, "--cache-dir")
    except (OSError, ValueError) as error:
        print(f"bench_seeds: error: {error}", file=sys.stderr)
        return 2
    try:
        corpus, key = load_tokenized_corpus(
            args.data,
            max_per_class=None,
            max_unlabeled=None,
            seed=0,
            text_config=TextConfig(),
            cache_dir=cache,
        )
    except (OSError, ValueError) as error:
        print(f"bench_seeds: error: --data {args.data}: {error}", file=sys.stderr)
        return 2
    if args.holdout >= len(corpus.train_tokens):
        print(
            f"bench_seeds: error: --holdout {args.holdout} leaves none of the "
            f"{len(corpus.train_tokens)} training texts of --data {args.data} to "
            "draw from; pass a smaller --holdout",
            file=sys.stderr,
        )
        return 2
    split = split_corpus(corpus, args.holdout)
    pool_labels = split.pool_labels
    per_class = min(pool_labels.count(label) for label in set(pool_labels))
    largest = per_class * len(set(pool_labels))
    if max(args.sizes) > largest:
        left = " left by --holdout" if args.holdout else ""
        print(
            f"bench_seeds: error: --sizes {max(args.sizes)} exceeds the "
            f"{largest} balanced training texts{left} of --data {args.data}; "
            "pass smaller sizes",
            file=sys.stderr,
        )
        return 2
    if args.holdout:
        from embedsent.curve_data import cache_key

        key = cache_key(corpus=key, holdout=args.holdout, holdout_seed=HOLDOUT_SEED)
    sizes = sorted(set(args.sizes))
    overrides = jax_settings(args.jax_setting)
    runs = []
    for seed in sorted(set(args.seeds)):
        for trainer in TRAINERS:
            started = time.perf_counter()
            vectors, _ = pretrained_vectors(
                trainer,
                split.pretrain_tokens,
                sgns_config=SGNSConfig(
                    seed=seed, **(overrides if trainer == "jax" else {})
                ),
                vocab_config=VocabConfig(),
                corpus_key=key,
                cache_dir=cache,
                gensim_workers=args.gensim_workers,
            )
            scores = score_seed(split, vectors, sizes, args.draws, args.draw_seed)
            runs += [
                {"trainer": trainer, "seed": seed, "n": n, "accuracies": values}
                for n, values in scores.items()
            ]
            logger.info(
                "%s seed %d: vectors and %d fits in %.0f s",
                trainer,
                seed,
                len(sizes) * args.draws,
                time.perf_counter() - started,
            )
    print(format_table(runs, sizes))
    if args.json:
        from embedsent.storage import as_report, write_text_atomic

        settings = {
            "data": args.data,
            "seeds": sorted(set(args.seeds)),
            "draws": args.draws,
            "draw_seed": args.draw_seed,
            "gensim_workers": args.gensim_workers,
            "holdout": args.holdout,
            "jax_settings": overrides,
            "holdout_seed": HOLDOUT_SEED if args.holdout else None,
            "scored_texts": len(split.scored_labels),
        }
        report = {"settings": settings, "machine": machine_description(), "runs": runs}
        # The report key lets a rerun replace this file, as the output check
        # replaces only embedsent reports.
        write_text_atomic(args.json, json.dumps(as_report("bench_seeds", report)))
    return 0


def check_json(args: argparse.Namespace) -> str | None:
    """Return why ``--json`` cannot be written, or None, before any work."""
    if args.json is None:
        return None
    from embedsent.cli_paths import check_output_paths

    try:
        # The command names the report that --json may replace.
        check_output_paths(
            argparse.Namespace(command="bench_seeds", data=args.data, json=args.json)
        )
    except (OSError, ValueError) as error:
        return str(error)
    return None


if __name__ == "__main__":
    from embedsent.bench import exit_script

    exit_script(main())
