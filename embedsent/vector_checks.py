"""Validation of the words, vectors, counts and word lists given to WordVectors.

The checks raise the TypeError and ValueError documented on
:class:`embedsent.vectors.WordVectors`, with messages that name the bad value
or its position.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Sequence

import numpy as np

from embedsent.vector_parse import WHITESPACE_RE

__all__ = [
    "as_word_list",
    "build_index",
    "check_counts",
    "check_finite_rows",
    "check_vectors",
    "check_words",
    "describe_all_zero_vectors",
    "describe_zero_rows",
    "warn_all_zero_vectors",
    "warn_zero_rows",
]

# The word-vector arrays whose all-zero warning has been logged, by id. Weak
# values let an array be freed, and a reused id then maps to nothing.
_ZERO_WARNED: weakref.WeakValueDictionary[int, np.ndarray] = (
    weakref.WeakValueDictionary()
)
# The read-only word-vector arrays whose all-zero rows have been checked, by
# id, so that the check runs once per array however many encoders use it.
_ZERO_ROWS_CHECKED: weakref.WeakValueDictionary[int, np.ndarray] = (
    weakref.WeakValueDictionary()
)
# The number of words with all-zero vectors that a warning names.
_ZERO_ROW_EXAMPLES = 3


def check_words(words: Sequence[str]) -> list[str]:
    if isinstance(words, str | bytes):
        raise TypeError(
            f"words must be a sequence of strings, got the string {words[:40]!r}; "
            "wrap a single word in a list"
        )
    word_list = list(words)
    for position, word in enumerate(word_list):
        if not isinstance(word, str):
            raise TypeError(
                f"words[{position}] must be a str, got {word!r} ({type(word).__name__})"
            )
        if not word:
            raise ValueError(
                f"words[{position}] is empty; word2vec and GloVe files cannot "
                "store an empty word"
            )
        if WHITESPACE_RE.search(word):
            raise ValueError(
                f"words[{position}] = {word!r} contains ASCII whitespace, which "
                "separates fields in word2vec and GloVe files; replace it, for "
                "example with '_'"
            )
    return word_list


def check_vectors(vectors: np.ndarray, words: list[str], *, copy: bool) -> np.ndarray:
    array = np.asarray(vectors)
    if array.dtype.kind not in "fiu":
        raise TypeError(
            f"vectors must be a real-valued array, got dtype {array.dtype}; "
            "convert it with np.asarray(vectors, dtype=np.float32)"
        )
    if array.ndim != 2:
        raise ValueError(
            f"vectors must be 2-D with shape (number of words, dimension), got "
            f"shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(
            "WordVectors needs at least one word, got 0 words and vectors of "
            f"shape {array.shape}"
        )
    if array.shape[1] == 0:
        raise ValueError(f"vectors must have dimension >= 1, got shape {array.shape}")
    if array.shape[0] != len(words):
        raise ValueError(
            f"got {len(words)} words but {array.shape[0]} vectors (shape "
            f"{array.shape}); pass one row per word"
        )
    # Values beyond the float32 range become infinity here and are rejected by
    # the finiteness check.
    with np.errstate(over="ignore", invalid="ignore"):
        if copy:
            return np.array(array, dtype=np.float32, order="C", copy=True)
        return np.ascontiguousarray(array, dtype=np.float32)


def build_index(words: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, word in enumerate(words):
        first = index.setdefault(word, position)
        if first != position:
            raise ValueError(
                f"duplicate word {word!r} at positions {first} and {position}; "
                "words must be unique"
            )
    return index


def check_finite_rows(vectors: np.ndarray, words: list[str]) -> None:
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(
            f"the vector of word {words[row]!r} (row {row}) contains NaN or "
            "infinity in float32; remove the word or fix its vector"
        )


def describe_all_zero_vectors(vectors: np.ndarray) -> str | None:
    """Describe why vectors that are all zero cannot separate classes, or None.

    Returns None when ``vectors`` has no rows or any nonzero value. The mean,
    SIF and TF-IDF sentence vectors of zero word vectors are all zero, so a
    classifier trained on them can only learn the class prior.
    """
    array = np.asarray(vectors)
    if array.size == 0 or np.any(array):
        return None
    return (
        f"every one of the {array.shape[0]:,} word vectors is zero, so every "
        "text gets the same zero sentence vector and the classifier can only "
        "learn the label frequencies of the training data"
    )


def warn_all_zero_vectors(
    vectors: np.ndarray, log: logging.Logger, source: str, fix: str
) -> None:
    """Log a warning, once per array, when every word vector is zero.

    Loading a ``--vectors`` file and fitting on its vectors both check, and
    the user sees one warning, from whichever comes first.

    Args:
        vectors: The word-vector matrix.
        log: The logger of the caller.
        source: What the vectors are, at the start of the message.
        fix: What to do instead, at the end of the message.
    """
    if not isinstance(vectors, np.ndarray) or _ZERO_WARNED.get(id(vectors)) is vectors:
        return
    problem = describe_all_zero_vectors(vectors)
    if problem is None:
        return
    _ZERO_WARNED[id(vectors)] = vectors
    log.warning("%s: %s; %s", source, problem, fix)


def describe_zero_rows(vectors: np.ndarray, words: Sequence[str]) -> str | None:
    """Describe the all-zero rows of ``vectors`` with example words, or None.

    Returns None when no row is all zero, and also when every row is, which
    :func:`describe_all_zero_vectors` describes. ``words`` names the rows.
    """
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[0] == 0:
        return None
    zero = ~np.any(array, axis=1)
    count = int(np.count_nonzero(zero))
    if count == 0 or count == array.shape[0]:
        return None
    rows = np.flatnonzero(zero)[:_ZERO_ROW_EXAMPLES].tolist()
    examples = [repr(words[row]) for row in rows]
    if count == 1:
        found = f"1 of the {array.shape[0]:,} word vectors is all zero: {examples[0]}"
    else:
        listed = ", ".join(examples[:-1]) + f" and {examples[-1]}"
        separator = ":" if count == len(examples) else ", for example"
        found = (
            f"{count:,} of the {array.shape[0]:,} word vectors are all "
            f"zero{separator} {listed}"
        )
    return (
        f"{found}. A zero vector adds nothing to a sentence vector but still "
        "counts in the mean, and its cosine similarity with every word is 0. "
        "Zero rows usually mark words that were never trained or a damaged "
        "file, so retrain the vectors, or check the file and remove those words"
    )


def warn_zero_rows(
    vectors: np.ndarray, words: Sequence[str], log: logging.Logger, source: str
) -> None:
    """Log a warning, once per array, when some but not all word vectors are zero.

    Loading a vectors file and building a ``SentenceEncoder`` both check, and
    the user sees one warning, from whichever comes first. A read-only array
    is checked once, because its rows cannot change.

    Args:
        vectors: The word-vector matrix, one row per word.
        words: The word of each row, for the examples in the message.
        log: The logger of the caller.
        source: What the vectors are, at the start of the message.
    """
    if not isinstance(vectors, np.ndarray):
        return
    if _ZERO_ROWS_CHECKED.get(id(vectors)) is vectors:
        return
    problem = describe_zero_rows(vectors, words)
    if not vectors.flags.writeable or problem is not None:
        _ZERO_ROWS_CHECKED[id(vectors)] = vectors
    if problem is not None:
        log.warning("%s: %s", source, problem)


def check_counts(counts: np.ndarray, size: int, *, name: str = "counts") -> np.ndarray:
    """Return ``counts`` as a read-only int64 copy after checking it contains one
    integer ``>= 0`` per word. ``name`` names the argument in messages."""
    array = np.asarray(counts)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integers, got dtype {array.dtype}; convert them with "
            f"np.asarray({name}, dtype=np.int64)"
        )
    if array.shape != (size,):
        raise ValueError(
            f"{name} must have shape ({size},), one per word, got {array.shape}"
        )
    if array.size and array.min() < 0:
        row = int(np.argmin(array))
        raise ValueError(f"{name} must be >= 0, got {array[row]} at row {row}")
    result = np.array(array, dtype=np.int64, copy=True)
    result.setflags(write=False)
    return result


def as_word_list(name: str, value: str | Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a word or a sequence of words, got {value!r}")
    words = list(value)
    for position, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(
                f"{name}[{position}] must be a str, got {word!r} "
                f"({type(word).__name__})"
            )
    return words
