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
    "agree",
    "check_labeled_coverage",
    "known_text_mask",
    "label_frequencies",
    "log_prior_predictions",
    "prior_is_tied",
    "prior_label",
    "texts_have",
    "uniform_prior",
    "warn_prior_predictions",
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


def prior_is_tied(prior: np.ndarray) -> bool:
    """Return True when several classes share the largest share of ``prior``."""
    prior = np.asarray(prior)
    return bool(np.count_nonzero(prior == prior.max()) > 1)


def prior_label(classes: Sequence[Hashable], prior: np.ndarray) -> Hashable:
    """Return the class with the largest share of ``prior``, the first on a tie."""
    return classes[int(np.argmax(prior))]


def texts_have(count: int, total: int, noun: str = "text") -> str:
    """Return the noun and verb that follow "{count} of {total}" in a message.

    For example "text has" for 1 of 1, "texts has" for 1 of 5 and "texts
    have" for 2 of 5.
    """
    nouns = noun if total == 1 else f"{noun}s"
    verb = "has" if count == 1 else "have"
    return f"{nouns} {verb}"


def agree(count: int, singular: str, plural: str) -> str:
    """Return ``singular`` for a count of 1 and ``plural`` for any other count.

    Messages that start with ``texts_have`` use it for the clauses that
    follow, such as "it gets" or "they get", so that every verb agrees with
    the count.
    """
    return singular if count == 1 else plural


def warn_prior_predictions(
    known: np.ndarray,
    classes: Sequence[Hashable],
    prior: np.ndarray,
    *,
    uniform: bool = False,
) -> None:
    """Log the warning of ``log_prior_predictions`` for a fitted model.

    The label is ``prior_label(classes, prior)``, and the warning names a tie
    when ``prior_is_tied(prior)``.

    Args:
        known: Bool array, True for each text with an in-vocabulary token.
        classes: The model's classes, in the order of ``prior``.
        prior: The class prior that texts without a known token get.
        uniform: True when ``prior`` is the uniform fallback of a model that
            stores no training label frequencies.
    """
    log_prior_predictions(
        known,
        prior_label(classes, prior),
        uniform=uniform,
        tied=prior_is_tied(prior),
    )


def log_prior_predictions(
    known: np.ndarray,
    label: Hashable,
    *,
    uniform: bool = False,
    tied: bool = False,
) -> None:
    """Log a warning with the number of texts that get the class prior.

    Args:
        known: Bool array, True for each text with an in-vocabulary token.
        label: The label those texts get.
        uniform: True when the prior is the uniform fallback of a model that
            stores no training label frequencies, so ``label`` is the first
            class.
        tied: True when several training labels are the most frequent (see
            ``prior_is_tied``), so ``label`` is the first of them in class
            order.
    """
    n_unknown = int(np.count_nonzero(~known))
    if not n_unknown:
        return
    # A NumPy scalar label would print as np.str_('neg').
    if isinstance(label, np.generic):
        label = label.item()
    if uniform:
        logger.warning(
            "%d of %d %s no in-vocabulary token, so %s equal class "
            "probabilities and the first class %r, because the model stores no "
            "training label frequencies",
            n_unknown,
            len(known),
            texts_have(n_unknown, len(known)),
            agree(n_unknown, "it gets", "they get"),
            label,
        )
    elif tied:
        logger.warning(
            "%d of %d %s no in-vocabulary token; %s the class prior "
            "(the training label frequencies) and the label %r, the first (in "
            "class order) of the training labels tied as the most frequent",
            n_unknown,
            len(known),
            texts_have(n_unknown, len(known)),
            agree(n_unknown, "it gets", "they get"),
            label,
        )
    else:
        logger.warning(
            "%d of %d %s no in-vocabulary token; %s the class prior "
            "(the training label frequencies) and the most frequent training "
            "label %r",
            n_unknown,
            len(known),
            texts_have(n_unknown, len(known)),
            agree(n_unknown, "it gets", "they get"),
            label,
        )


def check_labeled_coverage(
    known: np.ndarray, token_lists: Sequence[Sequence[str]]
) -> None:
    """Reject labeled texts none of which has a token in the word vectors.

    When only some lack one, log a warning with their number. Those texts are
    still fitted, as zero sentence vectors.

    Args:
        known: Bool array, True for each labeled text with a token in the
            vectors (see ``known_text_mask``).
        token_lists: The tokens of the labeled texts, for the error message.

    Raises:
        ValueError: if no labeled text has a token in the vectors.
    """
    n_texts = len(known)
    n_unknown = int(np.count_nonzero(~known))
    if not n_texts or not n_unknown:
        return
    if n_unknown < n_texts:
        logger.warning(
            "%d of %d %s no in-vocabulary token, so %s",
            n_unknown,
            n_texts,
            texts_have(n_unknown, n_texts, "labeled text"),
            agree(
                n_unknown,
                "it is fitted as a zero sentence vector, which carries no "
                "information about its label",
                "they are fitted as zero sentence vectors, which carry no "
                "information about their labels",
            ),
        )
        return
    examples = list(dict.fromkeys(token for tokens in token_lists for token in tokens))
    if examples:
        seen = f"their tokens include {examples[:5]}"
    else:
        seen = (
            "they contain no tokens after tokenisation, which drops stopwords "
            "and punctuation"
        )
    raise ValueError(
        f"none of the {n_texts} labeled texts has a token in the word vectors "
        f"({seen}), so there is nothing to fit. The tokenisation and the "
        "vectors do not match. Check that the vectors were trained on texts "
        "in the same language and with the same text settings (lowercase, "
        "remove_stopwords, normalize_negations), and that the texts are the "
        "right column of the data"
    )
