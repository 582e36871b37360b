"""Repeated stratified cross-validation splits for very small labeled sets.

``cross_validation_plan`` draws the splits that ``embedsent.selection`` and
``embedsent.diagnose`` score every model on. It works down to 2 labeled
texts per class. The helpers pool per-split validation hits into accuracies
per repetition and per text, and ``wilson_interval`` puts an interval on an
accuracy measured on few texts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CrossValidationPlan",
    "Split",
    "cross_validation_plan",
    "describe_unbalanced_hold_out",
    "repeat_accuracies",
    "text_accuracies",
    "wilson_interval",
]

DEFAULT_FOLDS = 5
DEFAULT_REPEATS = 3
# Stratified k-fold needs every class in every training and validation fold.
# With 3 or more texts in the smallest class, k = min(folds, smallest) folds
# keep at least 2 of them for training. With exactly 2, only 2-fold is
# possible, and it trains on half of every class. Leaving one text per class
# out instead trains on n - c of the n texts, close to the final model's n.
MIN_CLASS_SIZE_FOR_KFOLD = 3
# One labeled text of a class cannot be both trained on and validated.
MIN_CLASS_SIZE = 2

SCHEME_KFOLD = "stratified k-fold"
SCHEME_LEAVE_ONE_PER_CLASS = "leave one out per class"


@dataclass(frozen=True)
class Split:
    """One training/validation split of the labeled texts.

    Attributes:
        repeat: Index of the repetition this split belongs to.
        train: Positions of the training texts, int64.
        validation: Positions of the validation texts, int64.
    """

    repeat: int
    train: np.ndarray
    validation: np.ndarray


@dataclass(frozen=True)
class CrossValidationPlan:
    """The splits of a repeated cross-validation and how they were drawn.

    Attributes:
        scheme: ``"stratified k-fold"`` or ``"leave one out per class"``.
        folds: Splits per repetition.
        repeats: Repetitions, each with its own shuffle.
        splits: Every split, repetition by repetition.
    """

    scheme: str
    folds: int
    repeats: int
    splits: tuple[Split, ...]

    @property
    def held_out_per_repeat(self) -> int:
        """Texts validated (held out and scored) in each repetition.

        Every text with stratified k-fold, and ``folds`` texts of each class
        with leave one out per class.
        """
        return sum(len(split.validation) for split in self.splits if split.repeat == 0)


# Below this share of the labeled texts held out per repetition,
# ``describe_unbalanced_hold_out`` returns a warning.
MIN_HELD_OUT_SHARE = 0.5


def describe_unbalanced_hold_out(
    plan: CrossValidationPlan, labels: Sequence[Hashable]
) -> str | None:
    """Return a warning when leave one out per class scores few of ``labels``.

    That scheme holds out the same number of texts of each class, so on
    unbalanced classes its accuracy weights the classes equally and cannot be
    compared with the accuracy of always predicting the largest class.
    Returns None for stratified k-fold, which scores every text, and when at
    least ``MIN_HELD_OUT_SHARE`` of the texts are held out.
    """
    n_texts = len(labels)
    held_out = plan.held_out_per_repeat
    if plan.scheme != SCHEME_LEAVE_ONE_PER_CLASS or held_out >= (
        MIN_HELD_OUT_SHARE * n_texts
    ):
        return None
    sizes = {label: len(rows) for label, rows in _class_positions(labels).items()}
    smallest = min(sizes, key=sizes.get)
    largest = max(sizes, key=sizes.get)
    majority = 100 * sizes[largest] / n_texts
    return (
        f"cross-validation scores only {held_out} of the {n_texts} labeled texts "
        f"per repeat ({plan.scheme}, {plan.folds} per class), because class "
        f"{smallest!r} has only {sizes[smallest]} texts. The held-out texts are "
        f"balanced across classes, but class {largest!r} has {sizes[largest]} "
        f"of the {n_texts} texts, so do not compare the cross-validated "
        f"accuracy with the {majority:.1f}% of always predicting {largest!r}; "
        f"label more texts of the small classes for a k-fold estimate on every "
        f"text (it needs {MIN_CLASS_SIZE_FOR_KFOLD} per class)"
    )


def _check_count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _class_positions(labels: Sequence[Hashable]) -> dict[Hashable, np.ndarray]:
    positions: dict[Hashable, list[int]] = {}
    for index, label in enumerate(labels):
        positions.setdefault(label, []).append(index)
    return {
        label: np.asarray(rows, dtype=np.int64) for label, rows in positions.items()
    }


def cross_validation_plan(
    labels: Sequence[Hashable],
    *,
    folds: int = DEFAULT_FOLDS,
    repeats: int = DEFAULT_REPEATS,
    seed: int = 0,
) -> CrossValidationPlan:
    """Draw repeated stratified splits that work down to 2 texts per class.

    With at least ``MIN_CLASS_SIZE_FOR_KFOLD`` texts in the smallest class,
    each repetition is a stratified k-fold with ``k = min(folds, smallest
    class size)``: every text is validated once per repetition. With 2 texts
    in the smallest class, each repetition has 2 splits, and split ``j``
    validates on the ``j``-th text of each class in a shuffled order and
    trains on all others.

    Args:
        labels: One label per text.
        folds: Folds per repetition before the cap by the smallest class,
            at least 2.
        repeats: Repetitions, each with a new shuffle from ``seed``.
        seed: Seed of every shuffle.

    Raises:
        ValueError: if there are fewer than 2 classes, a class has fewer than
            ``MIN_CLASS_SIZE`` texts, or ``folds`` or ``repeats`` is too small.
    """
    folds = _check_count("folds", folds, 2)
    repeats = _check_count("repeats", repeats, 1)
    seed = _check_count("seed", seed, 0)
    by_class = _class_positions(labels)
    if len(by_class) < 2:
        raise ValueError(
            f"labels contain {len(by_class)} class(es) {list(by_class)}; "
            "cross-validation of a classifier needs at least 2 classes"
        )
    smallest_label = min(by_class, key=lambda label: len(by_class[label]))
    smallest = len(by_class[smallest_label])
    if smallest < MIN_CLASS_SIZE:
        raise ValueError(
            f"class {smallest_label!r} has {smallest} labeled text; "
            f"cross-validation needs at least {MIN_CLASS_SIZE} per class so that "
            "each class is in both the training and the validation texts: label "
            "more texts of that class or drop it"
        )

    rng = np.random.default_rng(seed)
    n_texts = len(labels)
    splits = []
    if smallest >= MIN_CLASS_SIZE_FOR_KFOLD:
        scheme, n_folds = SCHEME_KFOLD, min(folds, smallest)
    else:
        scheme, n_folds = SCHEME_LEAVE_ONE_PER_CLASS, MIN_CLASS_SIZE
    for repeat in range(repeats):
        fold_of = np.full(n_texts, -1, dtype=np.int64)
        for rows in by_class.values():
            shuffled = rng.permutation(rows)
            if scheme == SCHEME_KFOLD:
                # Dealing a class's shuffled texts round-robin from a random
                # first fold gives each fold the same count of the class,
                # give or take one.
                offset = int(rng.integers(n_folds))
                fold_of[shuffled] = (np.arange(len(rows)) + offset) % n_folds
            else:
                fold_of[shuffled[:n_folds]] = np.arange(n_folds)
        for fold in range(n_folds):
            splits.append(
                Split(
                    repeat=repeat,
                    train=np.flatnonzero(fold_of != fold),
                    validation=np.flatnonzero(fold_of == fold),
                )
            )
    return CrossValidationPlan(scheme, n_folds, repeats, tuple(splits))


def repeat_accuracies(
    plan: CrossValidationPlan, correct: Sequence[np.ndarray]
) -> np.ndarray:
    """Pool the validation hits of each repetition into one accuracy.

    Args:
        plan: The plan the hits were measured on.
        correct: Per split, a boolean array aligned with its ``validation``.

    Returns:
        Float64 array of shape (repeats,).
    """
    hits = np.zeros(plan.repeats)
    totals = np.zeros(plan.repeats)
    for split, split_correct in zip(plan.splits, correct, strict=True):
        hits[split.repeat] += np.sum(split_correct)
        totals[split.repeat] += len(split.validation)
    return hits / totals


def text_accuracies(
    plan: CrossValidationPlan, correct: Sequence[np.ndarray], n_texts: int
) -> np.ndarray:
    """Return per text the share of its validations that were correct.

    Returns:
        Float64 array of shape (n_texts,), NaN for texts never validated.
    """
    hits = np.zeros(n_texts)
    counts = np.zeros(n_texts)
    for split, split_correct in zip(plan.splits, correct, strict=True):
        hits[split.validation] += split_correct
        counts[split.validation] += 1
    return np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)


def wilson_interval(
    accuracy: float, n: int, z: float = 1.959964
) -> tuple[float, float]:
    """Return the Wilson score interval of an accuracy measured on ``n`` texts.

    Like ``embedsent.evaluate.accuracy_interval`` but for a fractional
    accuracy, such as a mean over repetitions. ``z = 1.96`` gives 95%.
    """
    z2_n = z * z / n
    center = (accuracy + z2_n / 2) / (1 + z2_n)
    spread = accuracy * (1 - accuracy) / n + z2_n / (4 * n)
    half_width = z * math.sqrt(max(spread, 0.0)) / (1 + z2_n)
    return max(0.0, center - half_width), min(1.0, center + half_width)
