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
stopped. The summary gives the mean paired difference (selected minus
default) with its t interval per size.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from embedsent.classifier import MLPClassifier
from embedsent.config import ClassifierConfig, SGNSConfig, TextConfig, VocabConfig
from embedsent.datasets import LabeledTexts, balanced_sample
from embedsent.evaluate import paired_difference, summarize_accuracies
from embedsent.features import FEATURE_METHODS, SentenceEncoder
from embedsent.selection import (
    SelectionGrid,
    build_candidates,
    select_from_features,
)

logger = logging.getLogger("bench_selection")

DEFAULT_ARCHIVE = "../shared/data/aclImdb-partial.tar.gz"
DEFAULT_OUT = "benchmarks/results/selection"
SOURCES = ("jax", "gensim")


def prepare(args: argparse.Namespace) -> None:
    """Load or pretrain both vector sources and write features of every review.

    Tokens and vectors come from ``embedsent.curve_data``'s cache in
    ``--cache``, which the learning-curve benchmark fills with the same
    settings, so the two benchmarks pretrain only once.
    """
    from embedsent.curve_data import load_tokenized_corpus, pretrained_vectors

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache)
    corpus, key = load_tokenized_corpus(
        args.data,
        max_per_class=None,
        max_unlabeled=None,
        seed=args.seed,
        text_config=TextConfig(),
        cache_dir=cache,
    )
    np.savez(
        out / "labels.npz",
        train=np.asarray(corpus.train_labels),
        test=np.asarray(corpus.test_labels),
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
            np.savez(
                out / f"features_{source}_{method}.npz",
                train=encoder.transform(corpus.train_tokens),
                test=encoder.transform(corpus.test_tokens),
            )
            timings[f"features_{source}_{method}_s"] = time.perf_counter() - started
            logger.info("wrote features %s/%s", source, method)
    (out / "prepare.json").write_text(json.dumps(timings, indent=2))


def _done_runs(path: Path) -> dict[tuple[int, int], dict]:
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                run = json.loads(line)
                done[(run["n"], run["draw"])] = run
    return done


def measure(args: argparse.Namespace) -> None:
    """Select on each draw, score winner and default on the test set."""
    out = Path(args.out)
    with np.load(out / "labels.npz") as archive:
        train_labels = archive["train"].tolist()
        test_labels = archive["test"].tolist()
    features = {}
    for source in SOURCES:
        for method in FEATURE_METHODS:
            with np.load(out / f"features_{source}_{method}.npz") as archive:
                features[(source, method)] = (archive["train"], archive["test"])

    grid = SelectionGrid(
        hidden_sizes=tuple(args.hidden_sizes),
        weight_decays=tuple(args.weight_decays),
        features=tuple(args.features),
        fine_tune=(False,),
    )
    candidates = build_candidates(grid, {source: None for source in SOURCES})
    default_config = ClassifierConfig(seed=args.seed)
    train = LabeledTexts([""] * len(train_labels), train_labels)
    runs_path = out / "runs.jsonl"
    done = _done_runs(runs_path)
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
    """Write and print the paired difference per labeled size."""
    runs = list(_done_runs(runs_path).values())
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
    summary_path.write_text(json.dumps(rows, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("prepare", "measure", "summarize"))
    parser.add_argument("--data", default=DEFAULT_ARCHIVE, help="aclImdb archive")
    parser.add_argument("--out", default=DEFAULT_OUT, help="cache and result folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cache",
        default="benchmarks/results/cache",
        help="token and vector cache of embedsent.curve_data",
    )
    parser.add_argument("--gensim-workers", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 512])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--hidden-sizes", type=int, nargs="+", default=[0, 16, 64])
    parser.add_argument(
        "--weight-decays", type=float, nargs="+", default=[1e-3, 1e-1, 1.0]
    )
    parser.add_argument(
        "--features", nargs="+", default=list(FEATURE_METHODS), choices=FEATURE_METHODS
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.stage == "prepare":
        prepare(args)
    elif args.stage == "measure":
        measure(args)
    else:
        out = Path(args.out)
        summarize(out / "runs.jsonl", out / "summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
