"""Choose word vectors, sentence feature and classifier head by cross-validation.

``select_model`` scores every candidate of a grid (vector source, sentence
feature, hidden size, weight decay, frozen or fine-tuned vectors) with
repeated stratified cross-validation on the labeled training texts alone, and
returns the candidates ranked by mean accuracy. Every candidate is scored on
the same splits (``embedsent.crossval``), so two candidates can be compared
pairwise. ``add_parser`` and ``run`` implement ``embedsent select``.

The module is named ``selection`` rather than ``select`` because a file
``embedsent/select.py`` would shadow the standard library's ``select`` module
whenever ``embedsent/`` itself is on ``sys.path``. That happens when a module
of the package is run as a script, and ``subprocess`` imports ``select``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from embedsent.candidates import (
    Candidate,
    CandidateScore,
    SelectionGrid,
    SelectionResult,
    build_candidates,
)
from embedsent.classifier import MLPClassifier
from embedsent.config import ClassifierConfig, TextConfig
from embedsent.crossval import (
    DEFAULT_FOLDS,
    DEFAULT_REPEATS,
    CrossValidationPlan,
    Split,
    cross_validation_plan,
    describe_unbalanced_hold_out,
    repeat_accuracies,
    text_accuracies,
    wilson_interval,
)
from embedsent.features import SentenceEncoder
from embedsent.text import tokenize_corpus
from embedsent.vectors import WordVectors

__all__ = [
    "Candidate",
    "CandidateScore",
    "SelectionGrid",
    "SelectionResult",
    "add_parser",
    "build_candidates",
    "run",
    "select_from_features",
    "select_model",
    "tied_at_top",
]

logger = logging.getLogger(__name__)


def _rank_key(item: tuple[int, CandidateScore]):
    # Candidates with equal mean accuracy are ranked by the simpler head
    # first, because on equal evidence the head with fewer parameters and
    # stronger shrinkage is less likely to overfit. Candidates that still tie
    # keep their order in ``candidates``. build_candidates lists sources as
    # given, frozen before fine-tuned vectors, and features in grid order,
    # which by default puts "mean" first.
    position, score = item
    candidate = score.candidate
    return (-score.mean, candidate.hidden_size, -candidate.weight_decay, position)


def tied_at_top(result: SelectionResult) -> tuple[CandidateScore, ...]:
    """Return the scores whose mean accuracy equals the winner's, winner first.

    The means are exact ratios of hit counts (see ``_finish``), so equal
    counts give equal floats. A result without a tie returns the winner only.
    Among tied candidates, the winner has the fewest hidden units, then the
    largest weight decay, then comes first in ``candidates``.
    """
    best = result.winner.mean
    return tuple(score for score in result.scores if score.mean == best)


def _finish(
    candidates: Sequence[Candidate],
    correct: dict[int, list[np.ndarray]],
    plan: CrossValidationPlan,
    n_texts: int,
    seed: int,
    started: float,
) -> SelectionResult:
    scores = []
    for position, candidate in enumerate(candidates):
        accuracies = repeat_accuracies(plan, correct[position])
        # Every repetition scores the same number of texts, so the pooled
        # accuracy equals the mean of the per-repetition accuracies. Taken
        # from integer counts, it is the same float for candidates with the
        # same number of hits, which makes ties exact in _rank_key.
        hits = sum(int(np.sum(split_correct)) for split_correct in correct[position])
        scored = sum(len(split_correct) for split_correct in correct[position])
        mean = hits / scored
        low, high = wilson_interval(mean, plan.held_out_per_repeat)
        score = CandidateScore(
            candidate,
            mean,
            low,
            high,
            tuple(float(a) for a in accuracies),
            text_accuracies(plan, correct[position], n_texts),
        )
        scores.append((position, score))
    ranked = tuple(score for _, score in sorted(scores, key=_rank_key))
    return SelectionResult(
        ranked,
        plan.scheme,
        plan.folds,
        plan.repeats,
        n_texts,
        seed,
        time.perf_counter() - started,
    )


def _warn_unbalanced_hold_out(plan: CrossValidationPlan, labels) -> None:
    warning = describe_unbalanced_hold_out(plan, labels)
    if warning is not None:
        logger.warning("%s", warning)


def _check_inputs(labels, candidates) -> tuple[list[Hashable], list[Candidate]]:
    labels = list(labels)
    candidates = list(candidates)
    if not candidates:
        raise ValueError("candidates is empty; build some with build_candidates")
    for candidate in candidates:
        if not isinstance(candidate, Candidate):
            raise TypeError(
                f"candidates must be Candidate objects, got {type(candidate).__name__}"
            )
    names = [candidate.name for candidate in candidates]
    if len(set(names)) != len(names):
        raise ValueError("candidates contain duplicates; pass each one once")
    return labels, candidates


def select_from_features(
    features: Mapping[tuple[str, str], np.ndarray],
    labels: Sequence[Hashable],
    candidates: Sequence[Candidate],
    *,
    repeats: int = DEFAULT_REPEATS,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    base_config: ClassifierConfig | None = None,
) -> SelectionResult:
    """Cross-validate frozen-vector candidates on precomputed sentence vectors.

    Use this when the sentence encoders were fitted once on unlabeled text:
    the features of every labeled text are then fixed, and only the heads are
    refitted per split.

    Args:
        features: ``(source, feature)`` to a float (n, d) matrix, one row per
            labeled training text.
        labels: One label per row.
        candidates: Frozen candidates whose ``(source, feature)`` is in
            ``features``.
        repeats, folds, seed: See ``cross_validation_plan``. ``seed`` also
            seeds every classifier.
        base_config: Head settings other than hidden size and weight decay.

    Raises:
        ValueError: for a fine-tuned candidate, a missing feature matrix or
            one whose row count differs from ``labels``.
    """
    started = time.perf_counter()
    labels, candidates = _check_inputs(labels, candidates)
    for candidate in candidates:
        key = (candidate.source, candidate.feature)
        if candidate.fine_tune:
            raise ValueError(
                f"{candidate.name} fine-tunes the vectors, which needs the texts; "
                "use select_model for fine-tuned candidates"
            )
        if key not in features:
            raise ValueError(
                f"no features for {key} of candidate {candidate.name}; pass "
                f"features[{key!r}]"
            )
        if len(features[key]) != len(labels):
            raise ValueError(
                f"features[{key!r}] has {len(features[key])} rows but there are "
                f"{len(labels)} labels; pass one row per labeled text"
            )
    plan = cross_validation_plan(labels, folds=folds, repeats=repeats, seed=seed)
    _warn_unbalanced_hold_out(plan, labels)
    label_array = np.asarray(labels, dtype=object)
    correct: dict[int, list[np.ndarray]] = {i: [] for i in range(len(candidates))}
    for split in plan.splits:
        train_labels = label_array[split.train].tolist()
        for position, candidate in enumerate(candidates):
            matrix = features[(candidate.source, candidate.feature)]
            head = MLPClassifier(candidate.classifier_config(base_config, seed=seed))
            head.fit(matrix[split.train], train_labels)
            predicted = np.asarray(head.predict(matrix[split.validation]), object)
            correct[position].append(predicted == label_array[split.validation])
    return _finish(candidates, correct, plan, len(labels), seed, started)


def select_model(
    texts: Sequence[str],
    labels: Sequence[Hashable],
    candidates: Sequence[Candidate],
    *,
    vectors: Mapping[str, WordVectors],
    repeats: int = DEFAULT_REPEATS,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    text_config: TextConfig | None = None,
    encoders: Mapping[tuple[str, str], SentenceEncoder] | None = None,
    base_config: ClassifierConfig | None = None,
) -> SelectionResult:
    """Rank candidates by repeated stratified cross-validation on labeled texts.

    Only the labeled training texts enter: there is no parameter for test
    data. The ``"tfidf"`` and ``"sif"`` encoders are refitted on the
    training texts of each split, as ``TransferClassifier.fit`` does, unless
    ``encoders`` supplies one fitted beforehand (on unlabeled text).

    Args:
        texts: Labeled training texts.
        labels: One label per text.
        candidates: Configurations to score, e.g. from ``build_candidates``.
        vectors: Vector source name to word vectors.
        repeats, folds, seed: See ``cross_validation_plan``. ``seed`` also
            seeds every classifier.
        text_config: Tokenisation settings of the vectors' corpus.
        encoders: Fitted encoders by ``(source, feature)``, used as they are.
        base_config: Head settings other than hidden size and weight decay.

    Raises:
        ValueError: for a candidate whose source is not in ``vectors``, a
            length mismatch, or labels that cannot be cross-validated (see
            ``cross_validation_plan``).
    """
    started = time.perf_counter()
    labels, candidates = _check_inputs(labels, candidates)
    texts = list(texts)
    if len(texts) != len(labels):
        raise ValueError(
            f"got {len(texts)} texts and {len(labels)} labels; pass one label per text"
        )
    for candidate in candidates:
        if candidate.source not in vectors:
            raise ValueError(
                f"candidate {candidate.name} uses vectors {candidate.source!r}, "
                f"which are not in vectors (known: {sorted(vectors)})"
            )
    encoders = dict(encoders or {})
    plan = cross_validation_plan(labels, folds=folds, repeats=repeats, seed=seed)
    _warn_unbalanced_hold_out(plan, labels)
    tokens = tokenize_corpus(texts, text_config)
    label_array = np.asarray(labels, dtype=object)
    provider = _FeatureProvider(tokens, vectors, encoders)
    groups: dict[tuple[str, str, bool], list[int]] = {}
    for position, candidate in enumerate(candidates):
        key = (candidate.source, candidate.feature, candidate.fine_tune)
        groups.setdefault(key, []).append(position)

    correct: dict[int, list[np.ndarray]] = {i: [] for i in range(len(candidates))}
    for split_index, split in enumerate(plan.splits):
        train_labels = label_array[split.train].tolist()
        for (source, feature, fine_tune), positions in groups.items():
            if fine_tune:
                counts = provider.counts(source)
                inputs = (counts[split.train], counts[split.validation])
            else:
                matrix = provider.features(source, feature, split_index, split)
                inputs = (matrix[split.train], matrix[split.validation])
            for position in positions:
                model = _head(candidates[position], vectors[source], base_config, seed)
                model.fit(inputs[0], train_labels)
                predicted = np.asarray(model.predict(inputs[1]), dtype=object)
                correct[position].append(predicted == label_array[split.validation])
        logger.info("split %d/%d scored", split_index + 1, len(plan.splits))
    return _finish(candidates, correct, plan, len(labels), seed, started)


def _head(candidate, vectors, base_config, seed):
    """Return an unfitted model of ``candidate`` over its inputs of one split."""
    config = candidate.classifier_config(base_config, seed=seed)
    if not candidate.fine_tune:
        return MLPClassifier(config)
    from embedsent.finetune import FineTuneClassifier, FineTuneConfig

    tune_config = FineTuneConfig(
        hidden_size=config.hidden_size,
        activation=config.activation,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        epochs=config.epochs,
        batch_size=config.batch_size,
        standardize=config.standardize,
        seed=config.seed,
    )
    return FineTuneClassifier(vectors, tune_config)


class _FeatureProvider:
    """Sentence vectors and count matrices of the labeled texts, computed once.

    A ``"mean"`` matrix or a prefitted encoder's matrix is the same for every
    split. Without a prefitted encoder, a ``"tfidf"`` or ``"sif"`` encoder is
    refitted on each split's training texts, and its matrix is kept for that
    split only.
    """

    def __init__(self, tokens, vectors, encoders):
        self.tokens = tokens
        self.vectors = vectors
        self.encoders = encoders
        self._fixed: dict[tuple[str, str], np.ndarray] = {}
        self._per_split: dict[tuple[str, str], tuple[int, np.ndarray]] = {}
        self._counts: dict[str, object] = {}
        # Texts with no known token are the same for every feature of a
        # source, so the warning about them is logged once per source.
        self._warned: set[str] = set()

    def features(self, source: str, feature: str, split_index: int, split: Split):
        key = (source, feature)
        if key in self._fixed:
            return self._fixed[key]
        if key in self.encoders or feature == "mean":
            encoder = self.encoders.get(key) or SentenceEncoder(self.vectors[source])
            self._fixed[key] = self._transform(encoder, source)
            return self._fixed[key]
        cached = self._per_split.get(key)
        if cached is None or cached[0] != split_index:
            encoder = SentenceEncoder(self.vectors[source], feature)
            encoder.fit([self.tokens[i] for i in split.train])
            cached = (split_index, self._transform(encoder, source))
            self._per_split[key] = cached
        return cached[1]

    def _transform(self, encoder: SentenceEncoder, source: str) -> np.ndarray:
        warn = source not in self._warned
        self._warned.add(source)
        return encoder.transform(self.tokens, warn_empty=warn)

    def counts(self, source: str):
        if source not in self._counts:
            from embedsent.finetune import count_matrix

            self._counts[source] = count_matrix(self.tokens, self.vectors[source].index)
        return self._counts[source]


def add_parser(subparsers):
    """Add the ``select`` subcommand to an ``argparse`` subparsers object."""
    from embedsent.model_options import add_select_parser

    return add_select_parser(subparsers)


def run(args) -> int:
    """Run ``embedsent select`` with parsed options; return the exit status."""
    from embedsent.model_commands import run_select

    return run_select(args)
