"""The class prior that text-level models predict for texts with no known word.

A text whose tokens are all out of vocabulary has a zero sentence vector. The
classifier standardises its features, so a zero row lies far from the
training data and gets a confident but arbitrary prediction. The text-level
models (``TransferClassifier`` and ``EmbeddingClassifier``) predict the class
prior for such a text instead: the label frequencies of the training set as
probabilities, and the most frequent training label, ties going to the first
class in ``classes_`` order. TF-IDF + logistic regression falls back to its
intercept on an empty text in the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import numpy as np

__all__ = [
    "known_text_mask",
    "label_frequencies",
    "log_prior_predictions",
    "uniform_prior",
]

logger = logging.getLogger(__name__)


def label_frequencies(
    labels: Sequence[Hashable], classes: Sequence[Hashable]
) -> np.ndarray:
    """Return the share of ``labels`` equal to each of ``classes``, in order.

    Returns:
        Float64 array of shape ``(len(classes),)`` that sums to 1.

    Raises:
        ValueError: if ``labels`` is empty or contains a label that is not one
            of ``classes``.
    """
    position = {label: index for index, label in enumerate(classes)}
    counts = np.zeros(len(classes), dtype=np.float64)
    for label in labels:
        if label not in position:
            raise ValueError(
                f"label {label!r} is not one of the classes {list(classes)}; "
                "pass the labels the classifier was fitted on"
            )
        counts[position[label]] += 1
    if not counts.sum():
        raise ValueError("labels is empty; the class prior needs at least one label")
    return counts / counts.sum()


def uniform_prior(n_classes: int) -> np.ndarray:
    """Return equal probabilities for ``n_classes`` classes."""
    return np.full(n_classes, 1.0 / n_classes)


def known_text_mask(token_lists: Sequence[Sequence[str]], vectors) -> np.ndarray:
    """Return a bool array that is True for each text with a token in ``vectors``."""
    return np.fromiter(
        (any(token in vectors for token in tokens) for tokens in token_lists),
        dtype=bool,
        count=len(token_lists),
    )


def log_prior_predictions(known: np.ndarray, label: Hashable) -> None:
    """Log a warning with the number of texts that get the class prior."""
    n_unknown = int(np.count_nonzero(~known))
    if n_unknown:
        logger.warning(
            "%d of %d texts have no in-vocabulary token; they get the class prior "
            "(the training label frequencies) and the most frequent training "
            "label %r",
            n_unknown,
            len(known),
            label,
        )
