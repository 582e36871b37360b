"""Compare transfer learning with training from scratch on one labeled corpus.

Word vectors are pretrained on the unlabeled texts plus the training texts
(never the test texts), once with the JAX trainer and once with gensim's
Word2Vec on the same tokens and hyperparameters. Then, for each labeled size
``n`` and each balanced random draw of ``n`` training texts, four methods are
fitted on the same draw and scored on the whole test set:

- ``transfer``: our JAX vectors, averaged, plus the one-hidden-layer classifier.
- ``transfer_gensim``: gensim's vectors with the same features and classifier.
- ``scratch``: the same architecture over untrained (random) vectors.
- ``tfidf_lr``: TF-IDF plus logistic regression on the same tokens.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from embedsent.baseline import TfidfLogisticRegression, train_gensim_word2vec
from embedsent.classifier import MLPClassifier
from embedsent.config import ClassifierConfig, SGNSConfig, TextConfig, VocabConfig
from embedsent.console import format_signed
from embedsent.datasets import LabeledTexts, SplitCorpus, balanced_sample
from embedsent.evaluate import (
    MIN_SIMILARITY_PAIRS,
    SIMILARITY_FILES,
    WordPairs,
    paired_difference,
    read_word_pairs,
    summarize_accuracies,
    word_similarity,
)
from embedsent.features import FeatureReport, SentenceEncoder
from embedsent.pipeline import random_vectors
from embedsent.text import tokenize_corpus
from embedsent.trainer import train_sgns
from embedsent.vectors import WordVectors

__all__ = [
    "METHODS",
    "CompareConfig",
    "CompareResult",
    "comparison_json",
    "finite_or_none",
    "run_comparison",
]

logger = logging.getLogger(__name__)

METHODS = ("transfer", "transfer_gensim", "scratch", "tfidf_lr")


@dataclass(frozen=True)
class CompareConfig:
    """Settings of a comparison run.

    Attributes:
        sizes: Labeled training sizes; 0 means all training texts.
        draws: Balanced random draws per size (one draw for "all").
        methods: Methods to run, a subset of ``METHODS``. Repeated names
            are merged, keeping the first-seen order, as repeated sizes are.
        feature_method: Sentence feature for the vector-based methods.
        gensim_workers: Worker threads of the gensim baseline; only 1 is
            bit-reproducible.
        seed: Seed of the draws and of the untrained vectors.
    """

    sizes: tuple[int, ...] = (8, 16, 32, 64, 128, 512, 0)
    draws: int = 5
    methods: tuple[str, ...] = METHODS
    feature_method: str = "mean"
    gensim_workers: int = 2
    seed: int = 0

    def __post_init__(self):
        if not self.sizes:
            raise ValueError("sizes must name at least one labeled size")
        for size in self.sizes:
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"sizes must be ints >= 0 (0 = all), got {size!r}")
        if isinstance(self.draws, bool) or not isinstance(self.draws, int):
            raise TypeError(f"draws must be an int, got {self.draws!r}")
        if self.draws < 1:
            raise ValueError(f"draws must be >= 1, got {self.draws}")
        unknown = sorted(set(self.methods) - set(METHODS))
        if unknown or not self.methods:
            raise ValueError(
                f"methods must be a non-empty subset of {METHODS}, got {self.methods}"
            )
        # A repeated name would score every draw twice and count both runs
        # in its mean, so repeats are merged here.
        object.__setattr__(self, "methods", tuple(dict.fromkeys(self.methods)))
        if self.gensim_workers < 1:
            raise ValueError(f"gensim_workers must be >= 1, got {self.gensim_workers}")


@dataclass
class CompareResult:
    """Every accuracy measured, plus the vector-quality figures.

    Attributes:
        runs: One dict per fitted model: method, n, draw, accuracy.
        similarity: Per vector source, WordSim353 and SimLex-999 Spearman.
        timings: Seconds spent per stage.
        test_size: Number of test texts.
        settings: The settings of the run, so that results of runs with
            different settings can be told apart: ``compare`` (labeled sizes,
            draws, methods, feature method, gensim workers, seed), ``text``,
            ``vocab``, ``sgns`` and ``classifier`` (each config as a dict) and
            ``corpus`` (unlabeled, training and test text counts).
    """

    runs: list[dict] = field(default_factory=list)
    similarity: dict[str, dict[str, float]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    test_size: int = 0
    settings: dict = field(default_factory=dict)

    def summary(self) -> list[dict]:
        """Return mean, spread and 95% interval per (method, n).

        ``low`` and ``high`` are None for a single run or runs that all score
        the same, as in :func:`embedsent.evaluate.summarize_accuracies`.
        """
        rows = []
        keys = sorted({(r["n"], r["method"]) for r in self.runs})
        for n, method in keys:
            values = [
                r["accuracy"] for r in self.runs if (r["n"], r["method"]) == (n, method)
            ]
            stats = dict(summarize_accuracies(values))
            n_runs = stats.pop("n")
            rows.append({"n": n, "method": method, "n_runs": n_runs, **stats})
        return rows

    def format_table(self) -> str:
        """Return a plain-text table: one row per size, one column per method."""
        summary = self.summary()
        methods = [m for m in METHODS if any(r["method"] == m for r in summary)]
        sizes = sorted({r["n"] for r in summary})
        header = f"{'n':>6} " + " ".join(f"{m:>18}" for m in methods)
        lines = [header, "-" * len(header)]
        for n in sizes:
            cells = []
            for method in methods:
                match = [r for r in summary if r["n"] == n and r["method"] == method]
                if match:
                    row = match[0]
                    mean, std = 100 * row["mean"], 100 * row["std"]
                    if row["n_runs"] > 1:
                        cells.append(f"{mean:6.1f} +/- {std:4.1f} ({row['n_runs']})")
                    else:
                        # One run has no spread to show.
                        cells.append(f"{mean:6.1f}{'(1)':>13}")
                else:
                    cells.append(" " * 18)
            lines.append(f"{n:>6} " + " ".join(f"{c:>18}" for c in cells))
        return "\n".join(lines)

    def paired(self, method: str, reference: str) -> list[dict]:
        """Return the paired difference ``method - reference`` per size.

        Runs are paired by (n, draw), so both methods saw the same labeled
        texts. Sizes with fewer than two draws are left out. ``low``, ``high``
        and ``p_value`` are None when every draw gives the same difference, as
        in :func:`embedsent.evaluate.paired_difference`.
        """
        rows = []
        for n in sorted({r["n"] for r in self.runs}):
            by_draw = {}
            for run in self.runs:
                if run["n"] == n and run["method"] in (method, reference):
                    by_draw.setdefault(run["draw"], {})[run["method"]] = run["accuracy"]
            pairs = [d for d in by_draw.values() if method in d and reference in d]
            if len(pairs) < 2:
                continue
            difference = dict(
                paired_difference(
                    [d[method] for d in pairs], [d[reference] for d in pairs]
                )
            )
            n_pairs = difference.pop("n")
            rows.append(
                {
                    "n": n,
                    "method": method,
                    "reference": reference,
                    "n_pairs": n_pairs,
                    **difference,
                }
            )
        return rows

    def format_paired(self, method: str, reference: str) -> str:
        """Return the paired differences of two methods as a plain-text table."""
        rows = self.paired(method, reference)
        if not rows:
            return ""
        lines = [f"{method} - {reference}, paired by draw (points, 95% interval)"]
        for row in rows:
            mean = format_signed(100 * row["mean_difference"], 1, 5)
            line = f"  n={row['n']:>6}: {mean} "
            if row["p_value"] is None:
                # paired_difference leaves the interval and p-value undefined
                # when every draw gives the same difference. The n/a cells
                # keep the columns of the other rows.
                line += (
                    f"[{'n/a':>5}, {'n/a':>5}], p={'n/a':>5}, {row['n_pairs']} "
                    "draws (no spread between draws, so no interval or p-value)"
                )
            else:
                line += (
                    f"[{format_signed(100 * row['low'], 1, 5)}, "
                    f"{format_signed(100 * row['high'], 1, 5)}], "
                    f"p={row['p_value']:.3f}, {row['n_pairs']} draws"
                )
            lines.append(line)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)


def finite_or_none(value):
    """Return ``value`` with every NaN or infinite float replaced by None.

    JSON has no NaN or Infinity, and strict parsers reject the ``NaN`` that
    ``json.dumps`` writes by default. Dicts, lists and tuples are copied
    recursively, and tuples become lists.
    """
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def comparison_json(payload: dict) -> str:
    """Serialize a comparison payload as strict JSON, non-finite numbers as null.

    A similarity that could not be measured (NaN) is written as ``null``, so
    readers must accept None wherever a number may be missing.
    """
    return json.dumps(finite_or_none(payload), indent=2, allow_nan=False)


def _vector_quality(
    vector_sets: dict[str, WordVectors],
) -> dict[str, dict[str, float]]:
    """Return the Spearman of each vector set on each word-similarity file.

    Each file is read once, so a missing or unreadable file gives one warning
    for all vector sets. A score that cannot be measured is NaN.
    """
    quality: dict[str, dict[str, float]] = {name: {} for name in vector_sets}
    for dataset in SIMILARITY_FILES:
        try:
            pairs = read_word_pairs(dataset)
        except (OSError, ValueError) as error:
            logger.warning("%s not measured for any vectors: %s", dataset, error)
            for scores in quality.values():
                scores[dataset] = float("nan")
            continue
        for name, vectors in vector_sets.items():
            try:
                result = word_similarity(vectors, dataset, pairs=pairs)
            except ValueError as error:
                logger.warning("%s not measured on %s: %s", dataset, name, error)
                quality[name][dataset] = float("nan")
                # The table and the JSON output show this count, so they show
                # when fewer than two pairs in the vocabulary were the reason.
                quality[name][f"{dataset}_pairs"] = _pairs_in_vocabulary(vectors, pairs)
            else:
                quality[name][dataset] = result.spearman
                # A correlation over a handful of pairs means little.
                quality[name][f"{dataset}_pairs"] = result.n_pairs
    return quality


def _pairs_in_vocabulary(vectors: WordVectors, pairs: WordPairs) -> int:
    """Count the pairs with both words in ``vectors``, as ``word_similarity``
    counts them with its default ``lowercase=True``."""
    vocabulary = {word.lower() for word in vectors.words}
    return sum(
        first.lower() in vocabulary and second.lower() in vocabulary
        for first, second, _ in pairs.pairs
    )


def run_comparison(
    corpus: SplitCorpus,
    config: CompareConfig | None = None,
    *,
    text_config: TextConfig | None = None,
    vocab_config: VocabConfig | None = None,
    sgns_config: SGNSConfig | None = None,
    classifier_config: ClassifierConfig | None = None,
    progress: bool = False,
    on_run: Callable[[dict], None] | None = None,
) -> CompareResult:
    """Pretrain, then score every method on every labeled size and draw.

    Args:
        corpus: Unlabeled, training and test texts.
        config: Sizes, draws, methods and seed.
        text_config, vocab_config, sgns_config, classifier_config: Settings of
            each stage; gensim gets the same vocabulary and SGNS settings.
        progress: Show progress bars.
        on_run: Called with each run's dict as soon as it is measured.
    """
    config = config or CompareConfig()
    sgns_config = sgns_config or SGNSConfig()
    vocab_config = vocab_config or VocabConfig()
    classifier_config = classifier_config or ClassifierConfig()
    _check_sizes(corpus.train, config.sizes)
    result = CompareResult(test_size=len(corpus.test))
    result.settings = {
        "compare": asdict(config),
        "text": asdict(text_config or TextConfig()),
        "vocab": asdict(vocab_config),
        "sgns": asdict(sgns_config),
        "classifier": asdict(classifier_config),
        "corpus": {
            "unlabeled": len(corpus.unlabeled),
            "train": len(corpus.train),
            "test": len(corpus.test),
        },
    }

    started = time.perf_counter()
    train_tokens = tokenize_corpus(corpus.train.texts, text_config, progress=progress)
    test_tokens = tokenize_corpus(corpus.test.texts, text_config, progress=progress)
    unlabeled_tokens = tokenize_corpus(corpus.unlabeled, text_config, progress=progress)
    pretrain_tokens = unlabeled_tokens + train_tokens
    result.timings["tokenize"] = time.perf_counter() - started
    logger.info(
        "pretraining corpus: %d texts, %d tokens",
        len(pretrain_tokens),
        sum(map(len, pretrain_tokens)),
    )

    vector_sets: dict[str, WordVectors] = {}
    needs_jax = {"transfer", "scratch"} & set(config.methods)
    if needs_jax:
        started = time.perf_counter()
        model = train_sgns(
            pretrain_tokens, sgns_config, vocab_config, progress=progress
        )
        result.timings["pretrain_jax"] = time.perf_counter() - started
        jax_vectors = model.word_vectors()
        vector_sets["transfer"] = jax_vectors
        vector_sets["scratch"] = random_vectors(jax_vectors, config.seed)
    if "transfer_gensim" in config.methods:
        started = time.perf_counter()
        vector_sets["transfer_gensim"] = train_gensim_word2vec(
            pretrain_tokens,
            sgns=sgns_config,
            vocab=vocab_config,
            workers=config.gensim_workers,
        )
        result.timings["pretrain_gensim"] = time.perf_counter() - started
    result.similarity = _vector_quality(
        {
            name: vector_sets[name]
            for name in ("transfer", "transfer_gensim")
            if name in vector_sets and name in config.methods
        }
    )

    features = {}
    reports: dict[str, dict[str, FeatureReport]] = {"train": {}, "test": {}}
    for name in config.methods:
        if name == "tfidf_lr":
            continue
        encoder = SentenceEncoder(vector_sets[name], config.feature_method)
        encoder.fit(pretrain_tokens)
        encoded = []
        for split, tokens in (("train", train_tokens), ("test", test_tokens)):
            # _log_empty_texts warns once per split for all methods together.
            encoded.append(encoder.transform(tokens, warn_empty=False))
            reports[split][name] = encoder.last_report_
        features[name] = tuple(encoded)
    _log_empty_texts(reports)

    rng = np.random.default_rng(config.seed)
    test_labels = list(corpus.test.labels)
    started = time.perf_counter()
    measured_sizes = set()
    for size in config.sizes:
        n = min(size or len(corpus.train), len(corpus.train))
        if size > len(corpus.train):
            logger.warning(
                "size %d is larger than the %d training texts; using all of them",
                size,
                len(corpus.train),
            )
        if n in measured_sizes:
            continue
        measured_sizes.add(n)
        n_draws = 1 if n >= len(corpus.train) else config.draws
        for draw in range(n_draws):
            picked = balanced_sample(corpus.train, n, rng)
            labels = [corpus.train.labels[i] for i in picked]
            for method in config.methods:
                accuracy = _score(
                    method,
                    picked,
                    labels,
                    features,
                    train_tokens,
                    test_tokens,
                    test_labels,
                    classifier_config,
                )
                run = {"method": method, "n": n, "draw": draw, "accuracy": accuracy}
                result.runs.append(run)
                if on_run is not None:
                    on_run(run)
            logger.info("n=%d draw %d/%d done", n, draw + 1, n_draws)
    result.timings["classify"] = time.perf_counter() - started
    return result


def _log_empty_texts(reports: dict[str, dict[str, FeatureReport]]) -> None:
    """Log one warning per split that has texts with no in-vocabulary token.

    Args:
        reports: Per split, the encoder report of each method's vectors.
    """
    for split, by_method in reports.items():
        if not any(report.n_empty for report in by_method.values()):
            continue
        # Methods whose vectors share a vocabulary have the same count, so
        # they share one entry: "122 of 200 for transfer and scratch".
        methods_by_count: dict[tuple[int, int], list[str]] = {}
        for method, report in by_method.items():
            key = (report.n_empty, report.n_texts)
            methods_by_count.setdefault(key, []).append(method)
        counts = [
            f"{n_empty} of {n_texts} for {_join_names(methods)}"
            for (n_empty, n_texts), methods in methods_by_count.items()
        ]
        logger.warning(
            "%s texts with no in-vocabulary token, which get zero sentence vectors: %s",
            split,
            ", ".join(counts),
        )


def _join_names(names: Sequence[str]) -> str:
    """Join ``names`` as "a", "a and b" or "a, b and c"."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _check_sizes(train: LabeledTexts, sizes: Sequence[int]) -> None:
    """Raise ValueError before pretraining when a labeled size cannot be drawn."""
    counts = train.label_counts()
    if len(counts) < 2:
        raise ValueError(
            f"the training split has {len(counts)} class(es) {counts}, but every "
            "classifier needs at least two; add labeled texts of another class"
        )
    rng = np.random.default_rng(0)
    for size in sizes:
        # balanced_sample raises when n is below the number of classes or a
        # class has fewer texts than its share.
        balanced_sample(train, size or len(train), rng)


def _score(
    method,
    picked,
    labels,
    features,
    train_tokens,
    test_tokens,
    test_labels,
    classifier_config,
) -> float:
    if method == "tfidf_lr":
        baseline = TfidfLogisticRegression()
        baseline.fit([train_tokens[i] for i in picked], labels)
        return float(baseline.score(test_tokens, test_labels))
    train_features, test_features = features[method]
    classifier = MLPClassifier(classifier_config)
    classifier.fit(train_features[picked], labels)
    return float(classifier.score(test_features, test_labels))


def format_similarity(similarity: dict[str, dict[str, float]]) -> str:
    """Return WordSim353 and SimLex-999 Spearman per vector source as text,
    with the number of word pairs each was measured on.

    A score that could not be measured (NaN) is shown as ``n/a``, with the
    number of pairs that have both words in the vocabulary when it is known,
    for example ``n/a (1 pair)``. A score on fewer than
    ``MIN_SIMILARITY_PAIRS`` pairs is marked ``*``, and a note under the
    table calls it noisy.
    """
    lines = [f"{'vectors':<18} {'WordSim353 (pairs)':>20} {'SimLex-999 (pairs)':>20}"]
    noisy = False
    for name, quality in similarity.items():
        cells = []
        for dataset in ("wordsim353", "simlex999"):
            spearman = quality[dataset]
            pairs = quality.get(f"{dataset}_pairs")
            cell = _similarity_cell(spearman, pairs)
            if _is_noisy(spearman, pairs):
                cell += "*"
                noisy = True
            cells.append(f"{cell:>20}")
        lines.append(f"{name:<18} " + " ".join(cells))
    if noisy:
        lines.append(
            f"* measured on fewer than {MIN_SIMILARITY_PAIRS} pairs with both "
            "words in the vocabulary, so the Spearman is too noisy to judge the "
            "vectors by"
        )
    return "\n".join(lines)


def _is_noisy(spearman: float, pairs: int | None) -> bool:
    return (
        math.isfinite(spearman) and pairs is not None and pairs < MIN_SIMILARITY_PAIRS
    )


def _similarity_cell(spearman: float, pairs: int | None) -> str:
    if math.isfinite(spearman):
        return f"{spearman:.3f}" if pairs is None else f"{spearman:.3f} ({pairs})"
    if pairs is None:
        return "n/a"
    return f"n/a ({pairs} pair{'' if pairs == 1 else 's'})"


def select_sizes(values: Sequence[str]) -> tuple[int, ...]:
    """Parse size arguments where ``all`` means every training text (0)."""
    sizes = []
    for value in values:
        if value == "all":
            sizes.append(0)
        else:
            try:
                sizes.append(int(value))
            except ValueError:
                raise ValueError(
                    f"size {value!r} is not an int or 'all'; pass e.g. 8 16 32 all"
                ) from None
    return tuple(sizes)
