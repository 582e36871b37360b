"""Find which half of a transfer model limits its accuracy.

``diagnose`` measures the embedding half (vocabulary coverage of the labeled
texts, word-similarity correlations, nearest neighbours of sentiment words)
and the classifier half (training against cross-validated accuracy, a
learning-curve step, calibration, confusion matrix) of a
``TransferClassifier``. It scores two references on the same splits,
TF-IDF + logistic regression and the same head over untrained vectors, and
ends with a verdict from the rules in ``embedsent.verdict.decide``.

The cross-validation refits everything per split, the ``tfidf`` and ``sif``
encoders included, on the training texts of that split only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from embedsent.baseline import TfidfLogisticRegression
from embedsent.calibration import Calibration, expected_calibration_error
from embedsent.classifier import MLPClassifier, check_known_labels
from embedsent.crossval import (
    DEFAULT_FOLDS,
    DEFAULT_REPEATS,
    CrossValidationPlan,
    cross_validation_plan,
    describe_unbalanced_hold_out,
    repeat_accuracies,
    wilson_interval,
)
from embedsent.evaluate import MIN_SIMILARITY_PAIRS, word_similarity
from embedsent.features import FeatureReport, SentenceEncoder
from embedsent.parameters import (
    ParameterCounts,
    count_parameters,
    describe_parameters,
    head_parameter_count,
    parameter_lines,
)
from embedsent.pipeline import TransferClassifier, random_vectors
from embedsent.text import tokenize_corpus
from embedsent.vector_checks import describe_all_zero_vectors
from embedsent.verdict import Evidence, Verdict, VerdictThresholds, decide

__all__ = [
    "CrossValidated",
    "DiagnosisReport",
    "ParameterCounts",
    "SimilarityCheck",
    "add_parser",
    "count_parameters",
    "describe_parameters",
    "diagnose",
    "head_parameter_count",
    "run",
]

logger = logging.getLogger(__name__)

PROBE_WORDS = ("good", "bad", "great", "awful", "boring", "excellent")
NEIGHBOURS = 5


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarityCheck:
    """One word-similarity evaluation, or why it was skipped.

    Attributes:
        dataset: ``"wordsim353"`` or ``"simlex999"``.
        spearman: Spearman correlation, None when skipped.
        n_pairs: Pairs with both words in the vocabulary.
        skipped: Reason the correlation was not reported, else None.
    """

    dataset: str
    spearman: float | None
    n_pairs: int
    skipped: str | None


@dataclass(frozen=True)
class CrossValidated:
    """Cross-validated accuracy of one method.

    Attributes:
        mean: Mean of the per-repetition accuracies.
        low: Lower end of the 95% Wilson interval of ``mean`` over the texts
            validated per repetition (see ``candidates.CandidateScore``).
        high: Upper end of that interval.
        repeat_accuracies: Pooled validation accuracy of each repetition.
    """

    mean: float
    low: float
    high: float
    repeat_accuracies: tuple[float, ...]

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class DiagnosisReport:
    """Everything ``diagnose`` measured, and its verdict.

    Attributes:
        n_texts: Labeled texts diagnosed.
        classes: Class labels, in the order of the confusion matrix.
        scheme, folds, repeats, seed: The cross-validation, see
            ``crossval.cross_validation_plan``.
        held_out_per_repeat: Texts held out and scored in each repetition,
            fewer than ``n_texts`` with leave one out per class.
        coverage: Tokens and texts of the labeled texts not covered by the
            vocabulary.
        similarity: WordSim353 and SimLex-999 results.
        neighbours: For each probe word in the vocabulary, its nearest words
            by cosine similarity.
        missing_probes: Probe words not in the vocabulary.
        parameters: Parameter counts of the model.
        model_accuracy: Accuracy of the given model on the texts, as it is.
        train_accuracy: Mean accuracy on the training texts of each split.
        cv: Cross-validated accuracy per method: ``"transfer"`` (the model's
            configuration), ``"transfer_half"`` (trained on half of each
            training fold), ``"untrained"`` (the same head over untrained
            vectors) and ``"tfidf_lr"`` (TF-IDF + logistic regression).
        calibration: Calibration of the out-of-fold probabilities of
            ``"transfer"``, pooled over repetitions.
        confusion: Out-of-fold prediction counts, row = true class, column =
            predicted class, summed over the ``repeats`` repetitions. A text
            is counted once per repetition that holds it out, so the counts
            sum to ``held_out_per_repeat * repeats``, not ``n_texts``.
        verdict: The limiting half and what to try next.
    """

    n_texts: int
    classes: tuple
    scheme: str
    folds: int
    repeats: int
    seed: int
    held_out_per_repeat: int
    coverage: FeatureReport
    similarity: tuple[SimilarityCheck, ...]
    neighbours: dict[str, list[tuple[str, float]]]
    missing_probes: tuple[str, ...]
    parameters: ParameterCounts
    model_accuracy: float
    train_accuracy: float
    cv: dict[str, CrossValidated]
    calibration: Calibration
    confusion: tuple[tuple[int, ...], ...]
    verdict: Verdict

    def to_dict(self) -> dict:
        result = dataclasses.asdict(self)
        result["classes"] = [str(label) for label in self.classes]
        result["coverage"]["oov_rate"] = self.coverage.oov_rate
        result["coverage"]["empty_rate"] = self.coverage.empty_rate
        result["verdict"]["text"] = self.verdict.format_text()
        return result

    def format_text(self) -> str:
        """Return the report as plain text for a terminal."""
        lines = [
            f"diagnosis of {self.n_texts} labeled texts, classes {list(self.classes)}",
            "",
            "embedding half",
            *self._embedding_lines(),
            "",
            "model size",
            *[f"  {line}" for line in parameter_lines(self.parameters)],
            "",
            "classifier half",
            *self._classifier_lines(),
            "",
            self.verdict.format_text(),
        ]
        return "\n".join(lines)

    def _embedding_lines(self) -> list[str]:
        coverage = self.coverage
        lines = [
            f"  tokens not in the vocabulary: {100 * coverage.oov_rate:.1f}% "
            f"({coverage.n_oov_tokens} of {coverage.n_tokens})",
            f"  texts with no known token: {100 * coverage.empty_rate:.1f}% "
            f"({coverage.n_empty} of {coverage.n_texts})",
        ]
        for check in self.similarity:
            if check.skipped:
                lines.append(f"  {check.dataset}: skipped, {check.skipped}")
            else:
                lines.append(
                    f"  {check.dataset}: Spearman {check.spearman:.3f} on "
                    f"{check.n_pairs} pairs"
                )

        for word, neighbours in self.neighbours.items():
            listed = ", ".join(f"{other} {score:.2f}" for other, score in neighbours)
            lines.append(f"  nearest to {word!r}: {listed}")
        if self.missing_probes:
            lines.append(f"  not in the vocabulary: {', '.join(self.missing_probes)}")
        return lines

    def _classifier_lines(self) -> list[str]:
        lines = [
            f"  accuracy of the given model on these texts: "
            f"{100 * self.model_accuracy:.1f}% (training accuracy if the model "
            "was trained on them; the cross-validated figures below hold texts "
            "out)",
            f"  {self.scheme}, {self.folds} folds x "
            f"{count_noun(self.repeats, 'repeat')} (seed {self.seed}), "
            f"{self.held_out_per_repeat} of the "
            f"{self.n_texts} texts held out and scored per repeat; accuracy "
            "with 95% interval:",
            f"    training folds: {100 * self.train_accuracy:.1f}%",
        ]
        names = {
            "transfer": "cross-validated",
            "transfer_half": "cross-validated, half the training texts",
            "untrained": "untrained vectors, same head",
            "tfidf_lr": "TF-IDF + logistic regression",
        }
        for key, name in names.items():
            score = self.cv[key]
            lines.append(
                f"    {name}: {100 * score.mean:.1f}% "
                f"[{100 * score.low:.1f}, {100 * score.high:.1f}]"
            )

        lines.append(
            f"  expected calibration error (out-of-fold, "
            f"{len(self.calibration.counts)} bins): {self.calibration.ece:.3f}"
        )
        lines.extend(self._confusion_caption())
        width = max(len(str(label)) for label in self.classes) + 2
        header = "".join(f"{str(label):>{width}}" for label in self.classes)
        lines.append(f"    {'':>{width}}{header}")
        for label, row in zip(self.classes, self.confusion, strict=True):
            cells = "".join(f"{count:>{width}}" for count in row)
            lines.append(f"    {str(label):>{width}}{cells}")
        return lines

    def _confusion_caption(self) -> list[str]:
        """Return the caption lines that state what the confusion matrix counts."""
        held_out = self.held_out_per_repeat
        total = held_out * self.repeats
        if self.repeats == 1:
            counted = f"of the {held_out} held-out texts, each counted once"
        elif held_out == self.n_texts:
            counted = (
                f"summed over {self.repeats} repeats, so each of the "
                f"{self.n_texts} texts is counted {self.repeats} times "
                f"({total} in all)"
            )
        else:
            # Leave one out per class holds out different texts in each repeat.
            counted = (
                f"summed over {self.repeats} repeats of {held_out} held-out "
                f"texts each ({total} in all)"
            )
        return [
            "  confusion matrix (rows true, columns predicted) of out-of-fold "
            "predictions",
            f"  {counted}:",
        ]


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def _similarity_checks(vectors) -> tuple[SimilarityCheck, ...]:
    checks = []
    for dataset in ("wordsim353", "simlex999"):
        try:
            result = word_similarity(vectors, dataset)
        except ValueError as error:
            checks.append(SimilarityCheck(dataset, None, 0, str(error)))
            continue
        if result.n_pairs < MIN_SIMILARITY_PAIRS:
            reason = (
                f"only {result.n_pairs} of {result.n_pairs + result.n_oov} pairs "
                f"are in the vocabulary, below the {MIN_SIMILARITY_PAIRS} needed"
            )
            checks.append(SimilarityCheck(dataset, None, result.n_pairs, reason))
        else:
            checks.append(
                SimilarityCheck(dataset, result.spearman, result.n_pairs, None)
            )
    return tuple(checks)


def _half_of_each_class(rows: np.ndarray, labels: np.ndarray, rng) -> np.ndarray:
    """Draw ceil(half) of each class's rows, so every class keeps one or more."""
    kept = []
    for label in np.unique(labels[rows]):
        members = rows[labels[rows] == label]
        kept.append(rng.choice(members, size=-(-len(members) // 2), replace=False))
    return np.sort(np.concatenate(kept))


def _summarize(plan: CrossValidationPlan, correct: list[np.ndarray]) -> CrossValidated:
    accuracies = repeat_accuracies(plan, correct)
    mean = float(np.mean(accuracies))
    low, high = wilson_interval(mean, plan.held_out_per_repeat)
    return CrossValidated(mean, low, high, tuple(float(a) for a in accuracies))


def _check_vectors_not_all_zero(vectors) -> None:
    """Raise ValueError when every word vector is zero.

    The sentence features of such vectors are all zero, so the cross-validated
    accuracies only measure the label frequencies, and the embedding half is
    the limit whatever the rest of the report would show.
    """
    problem = describe_all_zero_vectors(vectors.vectors)
    if problem is None:
        return
    raise ValueError(
        f"cannot diagnose this model: {problem}. The word vectors are what "
        "limits it, so train the model on trained vectors, such as those of "
        "`embedsent pretrain` or embedsent.pipeline.pretrain, and diagnose "
        "that model"
    )


def _features(vectors, method, sif_a, tokens, train_rows) -> np.ndarray:
    encoder = SentenceEncoder(vectors, method, sif_a=sif_a)
    if method != "mean":
        encoder.fit([tokens[i] for i in train_rows])
    # diagnose logs the texts with no known token once, from its coverage check.
    return encoder.transform(tokens, warn_empty=False)


def diagnose(
    model: TransferClassifier,
    texts: Sequence[str],
    labels: Sequence[Hashable],
    *,
    folds: int = DEFAULT_FOLDS,
    repeats: int = DEFAULT_REPEATS,
    seed: int = 0,
    thresholds: VerdictThresholds | None = None,
) -> DiagnosisReport:
    """Measure both halves of ``model`` on labeled texts and give a verdict.

    The model's vectors, text settings, feature method and classifier
    settings are cross-validated on ``texts``; the fitted head of ``model``
    is used only for ``model_accuracy``.

    Args:
        model: A fitted transfer model.
        texts: Labeled texts, normally the model's training texts.
        labels: One label per text.
        folds, repeats, seed: See ``crossval.cross_validation_plan``. ``seed``
            also seeds the classifiers, the untrained vectors and the halving.
        thresholds: Limits of the verdict rules.

    Raises:
        ValueError: if the lengths differ, the labels cannot be
            cross-validated (see ``crossval.cross_validation_plan``), or every
            word vector of ``model`` is zero.
    """
    texts, labels = list(texts), list(labels)
    if len(texts) != len(labels):
        raise ValueError(
            f"got {len(texts)} texts and {len(labels)} labels; pass one label per text"
        )
    # The model is scored on these labels last, after the cross-validation.
    check_known_labels(labels, model.classes_, "labels")
    _check_vectors_not_all_zero(model.vectors)
    plan = cross_validation_plan(labels, folds=folds, repeats=repeats, seed=seed)
    hold_out_warning = describe_unbalanced_hold_out(plan, labels)
    if hold_out_warning is not None:
        logger.warning("%s", hold_out_warning)
    tokens = tokenize_corpus(texts, model.text_config)
    label_array = np.asarray(labels, dtype=object)
    vectors = model.vectors
    method, sif_a = model.encoder.method, model.encoder.sif_a
    config = dataclasses.replace(model.classifier.config, seed=seed)
    untrained = random_vectors(vectors, seed)
    rng = np.random.default_rng(seed)

    coverage_encoder = SentenceEncoder(vectors, "mean")
    coverage_encoder.transform(tokens)
    neighbours = {
        word: vectors.most_similar(word, topn=NEIGHBOURS)
        for word in PROBE_WORDS
        if word in vectors
    }

    correct: dict[str, list[np.ndarray]] = {
        name: [] for name in ("transfer", "transfer_half", "untrained", "tfidf_lr")
    }
    train_hits = []
    probabilities, targets = [], []
    classes = None
    for split in plan.splits:
        train, validation = split.train, split.validation
        train_labels = label_array[train].tolist()
        features = _features(vectors, method, sif_a, tokens, train)
        head = MLPClassifier(config).fit(features[train], train_labels)
        classes = head.classes_
        train_hits.append(head.score(features[train], train_labels))
        split_probabilities = head.predict_proba(features[validation])
        predicted = np.asarray(classes, dtype=object)[split_probabilities.argmax(1)]
        correct["transfer"].append(predicted == label_array[validation])
        probabilities.append(split_probabilities)
        targets.append([classes.index(label) for label in label_array[validation]])

        half = _half_of_each_class(train, label_array, rng)
        head = MLPClassifier(config).fit(features[half], label_array[half].tolist())
        predicted = np.asarray(head.predict(features[validation]), dtype=object)
        correct["transfer_half"].append(predicted == label_array[validation])

        features = _features(untrained, method, sif_a, tokens, train)
        head = MLPClassifier(config).fit(features[train], train_labels)
        predicted = np.asarray(head.predict(features[validation]), dtype=object)
        correct["untrained"].append(predicted == label_array[validation])

        baseline = TfidfLogisticRegression(seed=seed)
        baseline.fit([tokens[i] for i in train], train_labels)
        predicted = baseline.predict([tokens[i] for i in validation]).astype(object)
        correct["tfidf_lr"].append(predicted == label_array[validation])

    probabilities = np.concatenate(probabilities)
    targets = np.concatenate(targets)
    # The counts are summed over repetitions, not averaged, and the report's
    # caption states it. Sums stay whole numbers of predictions, the same
    # ones that the calibration pools, where a mean per repetition would show
    # fractions of a text.
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (targets, probabilities.argmax(axis=1)), 1)
    cv = {name: _summarize(plan, hits) for name, hits in correct.items()}
    similarity = _similarity_checks(vectors)
    report = coverage_encoder.last_report_
    evidence = Evidence(
        oov_rate=report.oov_rate,
        empty_rate=report.empty_rate,
        similarity={c.dataset: c.spearman for c in similarity if c.skipped is None},
        cv_accuracy=cv["transfer"].mean,
        untrained_cv_accuracy=cv["untrained"].mean,
        train_accuracy=float(np.mean(train_hits)),
        cv_half_width=cv["transfer"].half_width,
        curve_gain=cv["transfer"].mean - cv["transfer_half"].mean,
    )
    return DiagnosisReport(
        n_texts=len(texts),
        classes=tuple(classes),
        scheme=plan.scheme,
        folds=plan.folds,
        repeats=plan.repeats,
        seed=seed,
        held_out_per_repeat=plan.held_out_per_repeat,
        coverage=report,
        similarity=similarity,
        neighbours=neighbours,
        missing_probes=tuple(w for w in PROBE_WORDS if w not in neighbours),
        parameters=count_parameters(model),
        model_accuracy=float(model.score(texts, labels)),
        train_accuracy=evidence.train_accuracy,
        cv=cv,
        calibration=expected_calibration_error(probabilities, targets),
        confusion=tuple(tuple(int(c) for c in row) for row in confusion),
        verdict=decide(evidence, thresholds),
    )


def add_parser(subparsers):
    """Add the ``diagnose`` subcommand to an ``argparse`` subparsers object."""
    from embedsent.model_options import add_diagnose_parser

    return add_diagnose_parser(subparsers)


def run(args) -> int:
    """Run ``embedsent diagnose`` with parsed options; return the exit status."""
    from embedsent.model_commands import run_diagnose

    return run_diagnose(args)


def count_noun(number: int, noun: str) -> str:
    """Return ``number`` with ``noun``, plural unless the number is 1."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
