"""Word vectors: lookup, cosine similarity and the word2vec, GloVe and gensim formats.

:class:`WordVectors` stores a vocabulary and one float32 row per word. Its arrays
are read-only, so derived arrays such as the unit-length rows can be cached.

File formats:

* word2vec text: a header line ``"<number of words> <dimension>"``, then one
  ``"word v1 v2 ... vd"`` line per word.
* word2vec binary: the same header, then per word the UTF-8 word, a space, ``d``
  little-endian float32 values and an optional ``"\\n"``.
* GloVe: word2vec text without the header line.
* gensim: the pickle-based native format of ``KeyedVectors.save``.

In the text formats fields are separated by ASCII whitespace (space, tab,
newline, carriage return, vertical tab, form feed), so words may not contain
those characters. Other characters, non-breaking space included, are allowed.
Text files are written with ``%.9g``, which reproduces every float32 value
exactly when read back.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import re
import string
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

__all__ = ["FORMATS", "WordVectors"]

logger = logging.getLogger(__name__)

FORMATS = ("auto", "word2vec", "word2vec-binary", "glove", "gensim")
"""Values accepted by the ``format`` argument of :meth:`WordVectors.load`."""

# Field separators of the text formats. They match the ASCII whitespace that
# ``bytes.split()`` splits on.
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
_ASCII_WHITESPACE_BYTES = frozenset(_ASCII_WHITESPACE.encode("ascii"))
_WHITESPACE_RE = re.compile(f"[{re.escape(_ASCII_WHITESPACE)}]")
_WHITESPACE_BYTES_RE = re.compile(_WHITESPACE_RE.pattern.encode("ascii"))
_HEADER_RE = re.compile(rb"[ \t]*[0-9]+[ \t]+[0-9]+[ \t]*\r?\n?")
_UTF8_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"
_BINARY_SNIFF_BYTES = 4096

_MAX_HEADER_BYTES = 1024
# A binary record whose word runs this long without a space is treated as
# damage, so a file without spaces is rejected without being read whole.
_MAX_WORD_BYTES = 1 << 16
_READ_CHUNK_BYTES = 1 << 22
_WRITE_CHUNK_ROWS = 4096
# Rows processed at once when computing unit-length rows in float64.
_NORM_CHUNK_ROWS = 1 << 16
_GLOVE_INITIAL_ROWS = 4096


class WordVectors:
    """A vocabulary with one float32 vector per word.

    Args:
        words: The ``V`` words, unique, non-empty and free of ASCII whitespace.
        vectors: Array-like of real numbers, shape ``(V, d)`` with ``V >= 1``
            and ``d >= 1``. It is copied to float32, and every value must be
            finite in float32.
        counts: Optional corpus frequency of each word, integers ``>= 0``,
            shape ``(V,)``. It is copied to int64.

    Attributes:
        words: The vocabulary in row order. Treat it as read-only, because
            ``index`` is built from it once.
        vectors: Read-only float32 array, shape ``(V, d)``.
        counts: Read-only int64 array, shape ``(V,)``, or ``None``.
        index: Mapping from word to row number.

    Raises:
        TypeError: If ``words`` is a single string or contains a non-string,
            if ``vectors`` is not real-valued, or if ``counts`` is not integer.
        ValueError: If a word is empty, contains whitespace or repeats, if the
            shapes do not match, if the set is empty, if a row is not finite,
            or if a count is negative.
    """

    words: list[str]
    vectors: np.ndarray
    counts: np.ndarray | None
    index: dict[str, int]

    def __init__(
        self,
        words: Sequence[str],
        vectors: np.ndarray,
        counts: np.ndarray | None = None,
    ):
        self._initialize(words, vectors, counts, copy=True)

    @classmethod
    def _from_owned_arrays(
        cls,
        words: list[str],
        vectors: np.ndarray,
        counts: np.ndarray | None = None,
    ) -> WordVectors:
        """Build from arrays created by the caller for this object, without copying."""
        instance = cls.__new__(cls)
        instance._initialize(words, vectors, counts, copy=False)
        return instance

    def _initialize(
        self,
        words: Sequence[str],
        vectors: np.ndarray,
        counts: np.ndarray | None,
        *,
        copy: bool,
    ) -> None:
        word_list = _check_words(words)
        matrix = _check_vectors(vectors, word_list, copy=copy)
        self.words = word_list
        self.index = _build_index(word_list)
        _check_finite_rows(matrix, word_list)
        matrix.setflags(write=False)
        self.vectors = matrix
        self.counts = None if counts is None else _check_counts(counts, len(word_list))
        self._normalized: np.ndarray | None = None

    # ------------------------------------------------------------------ lookup

    @property
    def dim(self) -> int:
        """Vector dimension ``d``."""
        return int(self.vectors.shape[1])

    def __deepcopy__(self, memo: dict) -> WordVectors:
        # The arrays are read-only, so copies can share them; scikit-learn's
        # clone deep-copies parameters once per fold and grid candidate.
        return self

    def __len__(self) -> int:
        return len(self.words)

    def __iter__(self):
        return iter(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        """Return the read-only float32 vector of ``word``, shape ``(d,)``.

        Raises:
            KeyError: If ``word`` is not in the vocabulary.
        """
        return self.vectors[self._row_of(word)]

    def get(self, word: str, default: np.ndarray | None = None) -> np.ndarray | None:
        """Return the vector of ``word``, shape ``(d,)``, or ``default``."""
        row = self.index.get(word)
        if row is None:
            return default
        return self.vectors[row]

    def __repr__(self) -> str:
        counts = "with" if self.counts is not None else "without"
        return f"WordVectors({len(self)} words, dim={self.dim}, {counts} counts)"

    def _row_of(self, word: str) -> int:
        row = self.index.get(word)
        if row is None:
            raise KeyError(
                f"word {word!r} is not in the vocabulary of {len(self)} words; "
                "test membership with `word in vectors` or use "
                "vectors.get(word, default)"
            )
        return row

    def vectors_for(self, tokens: Sequence[str]) -> tuple[np.ndarray, int]:
        """Look up the vectors of a token sequence, skipping unknown tokens.

        Args:
            tokens: Tokens of one text, for example ``["great", "film"]``.

        Returns:
            A new float32 array of the known tokens' vectors in token order,
            shape ``(k, d)`` (``k`` may be 0), and the number of unknown
            tokens.

        Raises:
            TypeError: If ``tokens`` is a string or contains a non-string.
        """
        if isinstance(tokens, str | bytes):
            raise TypeError(
                f"tokens must be a sequence of token strings, got the string "
                f"{tokens[:40]!r}; split the text into tokens first"
            )
        rows: list[int] = []
        unknown = 0
        for position, token in enumerate(tokens):
            if not isinstance(token, str):
                raise TypeError(
                    f"tokens[{position}] must be a str, got {token!r} "
                    f"({type(token).__name__})"
                )
            row = self.index.get(token)
            if row is None:
                unknown += 1
            else:
                rows.append(row)
        return self.vectors[np.asarray(rows, dtype=np.intp)], unknown

    # -------------------------------------------------------------- similarity

    def normalized(self) -> np.ndarray:
        """Return the rows scaled to unit length, computed once and cached.

        Rows of zeros stay zero. Norms are computed in float64, so rows with
        values near the float32 limit do not overflow.

        Returns:
            Read-only float32 array, shape ``(V, d)``.
        """
        if self._normalized is None:
            unit = np.zeros_like(self.vectors)
            for start in range(0, len(self), _NORM_CHUNK_ROWS):
                block = self.vectors[start : start + _NORM_CHUNK_ROWS].astype(
                    np.float64
                )
                norms = np.linalg.norm(block, axis=1, keepdims=True)
                # Rows with norm 0 are all zeros and stay as they are.
                np.divide(block, norms, out=block, where=norms > 0)
                unit[start : start + _NORM_CHUNK_ROWS] = block
            unit.setflags(write=False)
            self._normalized = unit
        return self._normalized

    def similarity(self, w1: str, w2: str) -> float:
        """Return the cosine similarity of two words, in ``[-1, 1]``.

        A word whose vector is all zeros has similarity 0 with every word.

        Raises:
            KeyError: If either word is not in the vocabulary.
        """
        unit = self.normalized()
        value = float(np.dot(unit[self._row_of(w1)], unit[self._row_of(w2)]))
        return min(1.0, max(-1.0, value))

    def most_similar(
        self,
        positive: str | Sequence[str] | np.ndarray,
        negative: Sequence[str] = (),
        topn: int = 10,
    ) -> list[tuple[str, float]]:
        """Find the words closest in cosine similarity to a query.

        The query is the mean of the unit vectors of the ``positive`` words
        minus those of the ``negative`` words, so ``positive=["king", "woman"],
        negative=["man"]`` ranks candidates for the analogy
        man : king = woman : ?. A vector given as ``positive`` is scaled to
        unit length and used in place of positive words.

        Args:
            positive: One word, a sequence of words, or a query vector of shape
                ``(d,)``.
            negative: Words whose unit vectors are subtracted. A single string
                is taken as one word.
            topn: Maximum number of results, ``>= 1``.

        Returns:
            Up to ``topn`` ``(word, cosine similarity)`` pairs, highest first;
            ties are ordered by row. The query words are left out.

        Raises:
            KeyError: If a query word is not in the vocabulary.
            TypeError: If an argument has the wrong type.
            ValueError: If the query is empty, has the wrong shape or sums to
                the zero vector.
        """
        if isinstance(topn, bool) or not isinstance(topn, int | np.integer):
            raise TypeError(f"topn must be an int, got {topn!r}")
        if topn < 1:
            raise ValueError(f"topn must be >= 1, got {topn}")
        query_vector = None
        if isinstance(positive, np.ndarray):
            query_vector = self._check_query_vector(positive)
            positive_words: list[str] = []
        else:
            positive_words = _as_word_list("positive", positive)
        negative_words = _as_word_list("negative", negative)
        if query_vector is None and not positive_words and not negative_words:
            raise ValueError(
                "most_similar needs at least one positive or negative word, or "
                "a query vector; got none"
            )

        unit = self.normalized()
        positive_rows = [self._row_of(word) for word in positive_words]
        negative_rows = [self._row_of(word) for word in negative_words]
        terms = [unit[row].astype(np.float64) for row in positive_rows]
        terms += [-unit[row].astype(np.float64) for row in negative_rows]
        if query_vector is not None:
            terms.append(query_vector / np.linalg.norm(query_vector))
        query = np.mean(terms, axis=0)
        norm = np.linalg.norm(query)
        if norm == 0:
            raise ValueError(
                f"the query (positive={positive_words}, negative={negative_words}) "
                "is the zero vector, so cosine similarity is undefined; use words "
                "whose vectors are non-zero and do not cancel out"
            )
        scores = unit @ (query / norm).astype(np.float32)
        excluded = set(positive_rows) | set(negative_rows)
        scores[list(excluded)] = -np.inf

        count = min(topn, len(self) - len(excluded))
        if count <= 0:
            return []
        if count < len(self):
            top = np.argpartition(-scores, count - 1)[:count]
        else:
            top = np.arange(len(self))
        order = top[np.lexsort((top, -scores[top]))]
        return [(self.words[row], float(scores[row])) for row in order]

    def _check_query_vector(self, vector: np.ndarray) -> np.ndarray:
        if vector.dtype.kind not in "fiu":
            raise TypeError(
                f"a query vector must be real-valued, got dtype {vector.dtype}"
            )
        if vector.shape != (self.dim,):
            raise ValueError(
                f"a query vector must have shape ({self.dim},), got {vector.shape}"
            )
        query = vector.astype(np.float64)
        if not np.isfinite(query).all():
            raise ValueError("the query vector contains NaN or infinity")
        if not query.any():
            raise ValueError(
                "the query vector is all zeros, so cosine similarity is undefined"
            )
        return query

    # ----------------------------------------------------------------- saving

    def save_word2vec(
        self, path: str | os.PathLike[str], *, binary: bool = False
    ) -> None:
        """Write the vectors in word2vec text or binary format.

        The file is written to a temporary file in the same folder and then
        renamed over ``path``, so a failed save leaves any previous file intact.
        Binary rows end with ``"\\n"``, as the original word2vec tool writes
        them. Counts are not stored.

        Args:
            path: Destination file. Its folder must exist.
            binary: Write the binary format instead of text.

        Raises:
            ValueError: If a word cannot be encoded as UTF-8.
            OSError: If the file cannot be written.
        """
        if not isinstance(binary, bool):
            raise TypeError(f"binary must be True or False, got {binary!r}")
        destination = _as_path(path)
        header = f"{len(self)} {self.dim}\n".encode("ascii")
        format_rows = _format_binary_rows if binary else _format_text_rows

        def write_body(handle: BinaryIO) -> None:
            handle.write(header)
            _write_rows(handle, self.words, self.vectors, format_rows)

        _atomic_write(destination, write_body)
        logger.info(
            "saved %d x %d word vectors to %s (word2vec %s)",
            len(self),
            self.dim,
            destination,
            "binary" if binary else "text",
        )

    def save_glove(self, path: str | os.PathLike[str]) -> None:
        """Write the vectors as headerless GloVe text, one ``word v1 ... vd`` line.

        The write is atomic in the same way as :meth:`save_word2vec`.

        Raises:
            ValueError: If a word cannot be encoded as UTF-8.
            OSError: If the file cannot be written.
        """
        destination = _as_path(path)

        def write_body(handle: BinaryIO) -> None:
            _write_rows(handle, self.words, self.vectors, _format_text_rows)

        _atomic_write(destination, write_body)
        logger.info(
            "saved %d x %d word vectors to %s (GloVe)", len(self), self.dim, destination
        )

    # ---------------------------------------------------------------- loading

    @classmethod
    def load_word2vec(
        cls,
        path: str | os.PathLike[str],
        *,
        binary: bool = False,
        encoding: str = "utf-8",
        errors: str = "strict",
        limit: int | None = None,
    ) -> WordVectors:
        """Read a word2vec text or binary file.

        Args:
            path: File to read. Gzip-compressed files are rejected.
            binary: Read the binary format instead of text.
            encoding: Encoding of the words. It must be ASCII-compatible
                (UTF-8, Latin-1, cp1252 and most single-byte codecs are).
            errors: How undecodable bytes in a word are handled: ``"strict"``
                raises, ``"replace"`` substitutes U+FFFD, ``"ignore"`` drops
                them. Any registered codec error handler is accepted.
            limit: Read only the first ``limit`` words; the rest of the file is
                not read or checked.

        Returns:
            The vectors, without counts.

        Raises:
            ValueError: If the file is damaged. The message names the line or
                byte offset of a bad header, a row count that differs from the
                header, a row of the wrong length, an invalid or non-finite
                number, a repeated word, or a word that cannot be decoded.
        """
        if not isinstance(binary, bool):
            raise TypeError(f"binary must be True or False, got {binary!r}")
        source = _as_path(path)
        _check_codec(encoding, errors)
        _check_limit(limit)
        with _open_for_reading(source, encoding) as (handle, offset):
            raw_header = handle.readline(_MAX_HEADER_BYTES)
            count, dim = _parse_header(raw_header, source)
            offset += len(raw_header)
            expected_rows = count if limit is None else min(count, limit)
            remaining_bytes = os.fstat(handle.fileno()).st_size - offset
            if binary:
                capacity = min(expected_rows, remaining_bytes // (4 * dim + 2) + 1)
                words, vectors, extra = _read_binary_rows(
                    handle,
                    source,
                    encoding=encoding,
                    errors=errors,
                    offset=offset,
                    dim=dim,
                    capacity=capacity,
                    max_rows=expected_rows,
                )
                extra_where = f"byte offset {extra}"
            else:
                capacity = min(expected_rows, remaining_bytes // (2 * dim + 1) + 1)
                words, vectors, extra = _read_text_rows(
                    handle,
                    source,
                    encoding=encoding,
                    errors=errors,
                    line_no=1,
                    offset=offset,
                    dim=dim,
                    capacity=capacity,
                    max_rows=expected_rows,
                    glove=False,
                )
                extra_where = f"line {extra}"
        if len(words) < expected_rows:
            raise ValueError(
                f"{source}: the header declares {count} words but only "
                f"{len(words)} were found; the file is truncated or its header "
                "is wrong"
            )
        if limit is None and extra is not None:
            raise ValueError(
                f"{source}: the header declares {count} words but more rows follow "
                f"at {extra_where}; fix the header, or pass limit={count} to read "
                "only the declared rows"
            )
        result = cls._from_owned_arrays(words, vectors)
        logger.info(
            "loaded %d x %d word vectors from %s (word2vec %s)",
            len(result),
            result.dim,
            source,
            "binary" if binary else "text",
        )
        return result

    @classmethod
    def load_glove(
        cls,
        path: str | os.PathLike[str],
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        limit: int | None = None,
    ) -> WordVectors:
        """Read a headerless GloVe text file.

        The dimension is taken from the first row, and every other row must
        have the same number of values. Blank lines are skipped.

        Args:
            path: File to read. Gzip-compressed files are rejected.
            encoding: Encoding of the words; see :meth:`load_word2vec`.
            errors: Codec error handler; see :meth:`load_word2vec`.
            limit: Read only the first ``limit`` rows.

        Returns:
            The vectors, without counts.

        Raises:
            ValueError: If the file is empty or damaged (see
                :meth:`load_word2vec`).
        """
        source = _as_path(path)
        _check_codec(encoding, errors)
        _check_limit(limit)
        capacity = _GLOVE_INITIAL_ROWS if limit is None else min(limit, 1 << 20)
        with _open_for_reading(source, encoding) as (handle, offset):
            words, vectors, _ = _read_text_rows(
                handle,
                source,
                encoding=encoding,
                errors=errors,
                line_no=0,
                offset=offset,
                dim=None,
                capacity=capacity,
                max_rows=limit,
                glove=True,
            )
        if not words:
            raise ValueError(
                f"{source}: no vectors found because the file is empty or "
                "contains only blank lines"
            )
        result = cls._from_owned_arrays(words, vectors)
        logger.info(
            "loaded %d x %d word vectors from %s (GloVe)",
            len(result),
            result.dim,
            source,
        )
        return result

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        format: str = "auto",
        encoding: str = "utf-8",
        errors: str = "strict",
        limit: int | None = None,
    ) -> WordVectors:
        """Read vectors in any supported format.

        ``format="auto"`` reads a file whose name ends in ``.bin`` as word2vec
        binary. A file whose first line is two integers is read as word2vec
        binary when the next 4 KiB contain a NUL byte and as word2vec text
        otherwise. Any other file is read as GloVe. A GloVe file of dimension
        1 whose first row is ``"<integer word> <integer value>"`` is mistaken
        for word2vec, so name the format for such files.

        ``format="gensim"`` reads a file written by gensim's
        ``KeyedVectors.save`` (or a whole model's ``save``, whose ``wv`` is
        used). That format is a Python pickle, and unpickling can run
        arbitrary code, so load only files you trust. ``encoding``, ``errors``
        and ``limit`` do not apply to it.

        Args:
            path: File to read.
            format: One of :data:`FORMATS`.
            encoding: Encoding of the words in text and binary word2vec files.
            errors: Codec error handler; see :meth:`load_word2vec`.
            limit: Read only the first ``limit`` words (not for ``"gensim"``).

        Returns:
            The vectors, with counts only for ``"gensim"`` files that store a
            ``"count"`` attribute.

        Raises:
            TypeError: If ``format`` is not a string.
            ValueError: If ``format``, ``encoding``, ``errors`` or ``limit`` is
                invalid, or the file is damaged.
        """
        if not isinstance(format, str):
            raise TypeError(f"format must be a str, got {format!r}")
        if format not in FORMATS:
            raise ValueError(
                f"unknown format {format!r}; use one of {', '.join(FORMATS)}"
            )
        source = _as_path(path)
        if format != "gensim":
            _check_codec(encoding, errors)
        if format == "auto":
            format = _detect_format(source, encoding)
            logger.debug("detected format %r for %s", format, source)
        if format == "gensim":
            if limit is not None:
                raise ValueError(
                    f"limit={limit!r} is not supported for format='gensim', "
                    "which is read whole; pass limit=None"
                )
            keyed_vectors_class = _keyed_vectors_class()
            loaded = keyed_vectors_class.load(str(source))
            keyed = getattr(loaded, "wv", loaded)
            return cls.from_gensim(keyed)
        if format == "glove":
            return cls.load_glove(source, encoding=encoding, errors=errors, limit=limit)
        return cls.load_word2vec(
            source,
            binary=format == "word2vec-binary",
            encoding=encoding,
            errors=errors,
            limit=limit,
        )

    # ----------------------------------------------------------------- gensim

    def to_gensim(self) -> KeyedVectors:
        """Convert to a new gensim ``KeyedVectors``, copying the vectors.

        Counts, when known, are stored as the ``"count"`` vector attribute.

        Raises:
            ImportError: If gensim is not installed.
        """
        keyed_vectors_class = _keyed_vectors_class()
        keyed = keyed_vectors_class(self.dim, dtype=np.float32)
        keyed.add_vectors(list(self.words), np.array(self.vectors, dtype=np.float32))
        if self.counts is not None:
            for word, count in zip(self.words, self.counts.tolist(), strict=True):
                keyed.set_vecattr(word, "count", count)
        return keyed

    @classmethod
    def from_gensim(cls, kv: KeyedVectors) -> WordVectors:
        """Convert a gensim ``KeyedVectors``, copying its vectors.

        Counts are kept when ``kv`` has an integer ``"count"`` attribute. gensim
        invents decreasing counts for files it reads without a vocabulary
        file, and those are kept too.

        Args:
            kv: The vectors, for example ``model.wv`` of a trained
                ``gensim.models.Word2Vec``.

        Raises:
            TypeError: If ``kv`` is not a ``KeyedVectors`` or a key is not a
                string.
            ImportError: If gensim is not installed.
        """
        keyed_vectors_class = _keyed_vectors_class()
        if not isinstance(kv, keyed_vectors_class):
            hint = ""
            if isinstance(getattr(kv, "wv", None), keyed_vectors_class):
                hint = "; for a model, pass its .wv"
            raise TypeError(
                f"from_gensim expects gensim.models.KeyedVectors, got "
                f"{type(kv).__name__}{hint}"
            )
        words = list(kv.index_to_key)
        for position, word in enumerate(words):
            if not isinstance(word, str):
                raise TypeError(
                    f"key {word!r} at index {position} has type "
                    f"{type(word).__name__}, but WordVectors keys must be str"
                )
        vectors = np.asarray(kv.vectors)
        counts = None
        stored = getattr(kv, "expandos", {}).get("count")
        if stored is not None:
            stored = np.asarray(stored)
            if stored.dtype.kind in "iu" and stored.shape == (len(words),):
                counts = stored
            else:
                logger.warning(
                    "ignoring gensim 'count' attribute with dtype %s and shape %s; "
                    "expected integers of shape (%d,)",
                    stored.dtype,
                    stored.shape,
                    len(words),
                )
        return cls(words, vectors, counts)


# ---------------------------------------------------------------- validation


def _check_words(words: Sequence[str]) -> list[str]:
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
        if _WHITESPACE_RE.search(word):
            raise ValueError(
                f"words[{position}] = {word!r} contains ASCII whitespace, which "
                "separates fields in word2vec and GloVe files; replace it, for "
                "example with '_'"
            )
    return word_list


def _check_vectors(vectors: np.ndarray, words: list[str], *, copy: bool) -> np.ndarray:
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


def _build_index(words: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, word in enumerate(words):
        first = index.setdefault(word, position)
        if first != position:
            raise ValueError(
                f"duplicate word {word!r} at positions {first} and {position}; "
                "words must be unique"
            )
    return index


def _check_finite_rows(vectors: np.ndarray, words: list[str]) -> None:
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(
            f"the vector of word {words[row]!r} (row {row}) contains NaN or "
            "infinity in float32; remove the word or fix its vector"
        )


def _check_counts(counts: np.ndarray, size: int) -> np.ndarray:
    array = np.asarray(counts)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"counts must be integers, got dtype {array.dtype}; convert them with "
            "np.asarray(counts, dtype=np.int64)"
        )
    if array.shape != (size,):
        raise ValueError(
            f"counts must have shape ({size},), one per word, got {array.shape}"
        )
    if array.size and array.min() < 0:
        row = int(np.argmin(array))
        raise ValueError(f"counts must be >= 0, got {array[row]} at row {row}")
    result = np.array(array, dtype=np.int64, copy=True)
    result.setflags(write=False)
    return result


def _as_word_list(name: str, value: str | Sequence[str]) -> list[str]:
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


def _as_path(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    return Path(path)


def _check_limit(limit: int | None) -> None:
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int or None, got {limit!r}")
    if limit < 1:
        raise ValueError(f"limit must be >= 1 or None for no limit, got {limit}")


def _check_codec(encoding: str, errors: str) -> None:
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a str, got {encoding!r}")
    if not isinstance(errors, str):
        raise TypeError(f"errors must be a str, got {errors!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(
            f"unknown encoding {encoding!r}; pass a codec name such as 'utf-8' "
            "or 'latin-1'"
        ) from None
    probe = string.printable.encode("ascii")
    try:
        compatible = probe.decode(encoding) == string.printable
    except (UnicodeDecodeError, TypeError, LookupError):
        compatible = False
    if not compatible:
        raise ValueError(
            f"encoding {encoding!r} is not ASCII-compatible; these files use "
            "ASCII digits and separators, so convert the file to UTF-8 first"
        )
    try:
        codecs.lookup_error(errors)
    except LookupError:
        raise ValueError(
            f"unknown errors handler {errors!r}; use 'strict', 'replace' or 'ignore'"
        ) from None


# ------------------------------------------------------------------- reading


@contextlib.contextmanager
def _open_for_reading(path: Path, encoding: str) -> Iterator[tuple[BinaryIO, int]]:
    """Open ``path`` in binary mode and skip a UTF-8 byte order mark.

    Yields the handle and the byte offset after the mark. Gzip-compressed files
    are rejected with a ValueError.
    """
    with open(path, "rb") as handle:
        start = handle.peek(len(_UTF8_BOM))[: len(_UTF8_BOM)]
        if start.startswith(_GZIP_MAGIC):
            raise ValueError(
                f"{path} is gzip-compressed; decompress it first, for example "
                f"with `gunzip -k {path}`"
            )
        offset = 0
        codec = codecs.lookup(encoding).name
        if start == _UTF8_BOM and codec in ("utf-8", "utf-8-sig"):
            handle.read(len(_UTF8_BOM))
            offset = len(_UTF8_BOM)
        yield handle, offset


def _detect_format(path: Path, encoding: str) -> str:
    if path.suffix.lower() == ".bin":
        return "word2vec-binary"
    with _open_for_reading(path, encoding) as (handle, _):
        first_line = handle.readline(_MAX_HEADER_BYTES)
        sample = handle.read(_BINARY_SNIFF_BYTES)
    if not _HEADER_RE.fullmatch(first_line):
        return "glove"
    # Text files contain no NUL bytes, while 4 KiB of float32 data almost
    # always does (the zero in 1.0's bytes 00 00 80 3f, for example).
    if b"\0" in sample:
        return "word2vec-binary"
    return "word2vec"


def _binary_hint(raw: bytes) -> str:
    if b"\0" not in raw:
        return ""
    return (
        "; the line contains NUL bytes, so the file may be binary word2vec: pass "
        "binary=True or format='word2vec-binary'"
    )


def _quote_bytes(raw: bytes, size: int = 80) -> str:
    text = raw[:size].decode("utf-8", errors="replace").rstrip("\r\n")
    return repr(text + ("..." if len(raw) > size else ""))


def _parse_header(raw: bytes, path: Path) -> tuple[int, int]:
    if not raw:
        raise ValueError(f"{path}: the file is empty, so it has no word2vec header")
    fields = raw.split()
    if not raw.endswith(b"\n") and len(raw) >= _MAX_HEADER_BYTES:
        valid = False
    else:
        valid = len(fields) == 2 and all(field.isdigit() for field in fields)
    if not valid:
        raise ValueError(
            f"{path}: invalid word2vec header {_quote_bytes(raw)}; expected "
            "'<number of words> <dimension>', such as '50000 100'. A file without "
            "a header is GloVe: read it with load_glove() or load(format='glove')"
        )
    count, dim = int(fields[0]), int(fields[1])
    if count < 1 or dim < 1:
        raise ValueError(
            f"{path}: the header {_quote_bytes(raw)} declares {count} words of "
            f"dimension {dim}; both must be >= 1"
        )
    return count, dim


class _RowBuffer:
    """A float32 matrix that grows by doubling as rows are appended."""

    def __init__(self, dim: int, capacity: int):
        self.rows = np.empty((max(capacity, 1), dim), dtype=np.float32)
        self.size = 0

    def append(self, values: Sequence[bytes]) -> None:
        """Parse ``values`` as numbers into the next row.

        Raises:
            ValueError: If a value is not a number.
        """
        if self.size == len(self.rows):
            grown = np.empty((2 * len(self.rows), self.rows.shape[1]), np.float32)
            grown[: self.size] = self.rows
            self.rows = grown
        self.rows[self.size] = values
        self.size += 1

    def finish(self) -> np.ndarray:
        if self.size == len(self.rows):
            return self.rows
        return self.rows[: self.size].copy()


def _decode_word(
    raw: bytes,
    *,
    path: Path,
    encoding: str,
    errors: str,
    where: str,
    offset: int,
) -> str:
    try:
        word = raw.decode(encoding, errors)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: the word at {where} (byte offset {offset + exc.start}) is "
            f"not valid {encoding}: {exc.reason}; pass the file's encoding (for "
            "example encoding='latin-1'), or errors='replace' or errors='ignore' "
            "to substitute or drop undecodable bytes"
        ) from None
    if not word:
        raise ValueError(
            f"{path}: the word at {where} is empty after decoding with "
            f"errors={errors!r}; use errors='replace' to keep such words"
        )
    return word


def _read_text_rows(
    handle: BinaryIO,
    path: Path,
    *,
    encoding: str,
    errors: str,
    line_no: int,
    offset: int,
    dim: int | None,
    capacity: int,
    max_rows: int | None,
    glove: bool,
) -> tuple[list[str], np.ndarray, int | None]:
    """Parse ``word v1 ... vd`` lines until EOF or ``max_rows`` rows.

    Args:
        line_no: Number of the line before the first one read.
        offset: Byte offset of the first line read.
        dim: Expected number of values, or ``None`` to take it from the first
            row.

    Returns:
        The words, the float32 vectors of shape ``(rows, dim)`` (shape
        ``(0, 0)`` when there are no rows), and the number of the first
        non-blank line after ``max_rows`` rows, or ``None``.
    """
    words: list[str] = []
    line_of_word: dict[str, int] = {}
    rows = None if dim is None else _RowBuffer(dim, capacity)
    extra_line = None
    # Numbers beyond the float32 range parse to infinity without a warning and
    # are reported by the finiteness check below.
    with np.errstate(over="ignore", invalid="ignore"):
        for raw in handle:
            line_no += 1
            line_offset = offset
            offset += len(raw)
            fields = raw.split()
            if not fields:
                continue
            if max_rows is not None and len(words) >= max_rows:
                extra_line = line_no
                break
            where = f"line {line_no}"
            word_offset = line_offset + raw.index(fields[0])
            try:
                word = _decode_word(
                    fields[0],
                    path=path,
                    encoding=encoding,
                    errors=errors,
                    where=where,
                    offset=word_offset,
                )
            except ValueError as exc:
                raise ValueError(f"{exc}{_binary_hint(raw)}") from None
            values = fields[1:]
            if rows is None:
                if not values:
                    raise ValueError(
                        f"{path}: line {line_no} has the word {word!r} but no "
                        "values; each row must be 'word v1 v2 ... vd'"
                    )
                rows = _RowBuffer(len(values), capacity)
            expected = rows.rows.shape[1]
            if len(values) != expected:
                hint = _binary_hint(raw)
                if glove and len(words) == 1 and expected == 1 and words[0].isdigit():
                    hint = (
                        "; line 1 looks like a word2vec header, so read the file "
                        "with load_word2vec() or load(format='auto')"
                    )
                raise ValueError(
                    f"{path}: line {line_no} (word {word!r}) has {len(values)} "
                    f"values but {expected} were expected{hint}"
                )
            first_line = line_of_word.get(word)
            if first_line is not None:
                raise ValueError(
                    f"{path}: duplicate word {word!r} on line {line_no}, first "
                    f"seen on line {first_line}; remove one of the rows"
                )
            try:
                rows.append(values)
            except ValueError:
                bad = next(value for value in values if not _is_number(value))
                raise ValueError(
                    f"{path}: line {line_no} (word {word!r}) contains "
                    f"{_quote_bytes(bad, 40)}, which is not a number"
                    f"{_binary_hint(raw)}"
                ) from None
            line_of_word[word] = line_no
            words.append(word)
    if rows is None:
        return words, np.empty((0, 0), dtype=np.float32), extra_line
    vectors = rows.finish()
    _check_finite_loaded(
        vectors, words, path, lambda word: f"line {line_of_word[word]}"
    )
    return words, vectors, extra_line


def _is_number(value: bytes) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _check_finite_loaded(
    vectors: np.ndarray,
    words: list[str],
    path: Path,
    locate: Callable[[str], str],
) -> None:
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        word = words[int(np.argmin(finite))]
        raise ValueError(
            f"{path}: the vector of word {word!r} at {locate(word)} contains NaN "
            "or infinity, or a value beyond the float32 range; fix or remove "
            "that row"
        )


class _ByteReader:
    """Buffered reading of binary word2vec records from a file."""

    def __init__(self, handle: BinaryIO, offset: int):
        self.handle = handle
        self.buffer = bytearray()
        self.position = 0
        # File offset of buffer[0].
        self.base = offset

    @property
    def offset(self) -> int:
        return self.base + self.position

    def _fill(self) -> bool:
        chunk = self.handle.read(_READ_CHUNK_BYTES)
        if not chunk:
            return False
        # Dropping the consumed prefix only when it is at least half of the
        # buffer keeps the copying linear in the file size.
        if self.position and self.position * 2 >= len(self.buffer):
            del self.buffer[: self.position]
            self.base += self.position
            self.position = 0
        self.buffer += chunk
        return True

    def skip_whitespace(self) -> bool:
        """Skip ASCII whitespace and return whether any data remains."""
        while True:
            buffer = self.buffer
            while (
                self.position < len(buffer)
                and buffer[self.position] in _ASCII_WHITESPACE_BYTES
            ):
                self.position += 1
            if self.position < len(buffer):
                return True
            if not self._fill():
                return False

    def read_record(self, vector_bytes: int, path: Path) -> tuple[bytes, int] | None:
        """Consume ``word + b" " + vector`` and return the word and vector start.

        Returns ``None`` when the file ends before the record is complete.
        """
        while True:
            space = self.buffer.find(b" ", self.position)
            if space != -1 and len(self.buffer) - space - 1 >= vector_bytes:
                break
            if space == -1 and len(self.buffer) - self.position > _MAX_WORD_BYTES:
                raise ValueError(
                    f"{path}: no space within {_MAX_WORD_BYTES} bytes after byte "
                    f"offset {self.offset}, so the file is not binary word2vec "
                    "or is damaged"
                )
            if not self._fill():
                return None
        word = bytes(self.buffer[self.position : space])
        start = space + 1
        self.position = start + vector_bytes
        return word, start


def _read_binary_rows(
    handle: BinaryIO,
    path: Path,
    *,
    encoding: str,
    errors: str,
    offset: int,
    dim: int,
    capacity: int,
    max_rows: int,
) -> tuple[list[str], np.ndarray, int | None]:
    """Parse up to ``max_rows`` binary records.

    Returns:
        The words, the float32 vectors of shape ``(rows, dim)``, and the byte
        offset of data that follows ``max_rows`` records, or ``None``.
    """
    reader = _ByteReader(handle, offset)
    vector_bytes = 4 * dim
    vectors = np.empty((max(capacity, 1), dim), dtype="<f4")
    words: list[str] = []
    offset_of_word: dict[str, int] = {}
    while len(words) < max_rows:
        if not reader.skip_whitespace():
            break
        record_offset = reader.offset
        record = reader.read_record(vector_bytes, path)
        if record is None:
            break
        raw_word, start = record
        where = f"record {len(words) + 1}"
        if _WHITESPACE_BYTES_RE.search(raw_word):
            raise ValueError(
                f"{path}: the word of {where} (byte offset {record_offset}) "
                f"contains whitespace: {_quote_bytes(raw_word, 40)}; the dimension "
                "in the header is wrong or the file is not binary word2vec"
            )
        word = _decode_word(
            raw_word,
            path=path,
            encoding=encoding,
            errors=errors,
            where=where,
            offset=record_offset,
        )
        first_offset = offset_of_word.get(word)
        if first_offset is not None:
            raise ValueError(
                f"{path}: duplicate word {word!r} in {where} (byte offset "
                f"{record_offset}), first seen at byte offset {first_offset}"
            )
        if len(words) == len(vectors):
            grown = np.empty((2 * len(vectors), dim), dtype="<f4")
            grown[: len(words)] = vectors
            vectors = grown
        vectors[len(words)] = np.frombuffer(
            reader.buffer, dtype="<f4", count=dim, offset=start
        )
        offset_of_word[word] = record_offset
        words.append(word)
    extra = None
    if len(words) == max_rows and reader.skip_whitespace():
        extra = reader.offset
    if len(words) < len(vectors):
        vectors = vectors[: len(words)].copy()
    vectors = vectors.astype(np.float32, copy=False)
    _check_finite_loaded(
        vectors, words, path, lambda word: f"byte offset {offset_of_word[word]}"
    )
    return words, vectors, extra


# ------------------------------------------------------------------- writing


def _format_text_rows(words: Sequence[str], vectors: np.ndarray) -> bytes:
    """Format ``word v1 ... vd`` lines with 9 significant digits.

    Nine significant digits identify every float32 value, so reading the text
    back reproduces the array exactly.
    """
    row_format = " ".join(["%.9g"] * vectors.shape[1])
    lines = [
        f"{word} {row_format % tuple(row)}\n"
        for word, row in zip(words, vectors.tolist(), strict=True)
    ]
    return _encode_utf8("".join(lines), words)


def _format_binary_rows(words: Sequence[str], vectors: np.ndarray) -> bytes:
    """Format binary records: word, space, little-endian float32 values, newline."""
    little_endian = np.asarray(vectors, dtype="<f4")
    parts = []
    for word, row in zip(words, little_endian, strict=True):
        parts.append(_encode_utf8(word, [word]))
        parts.append(b" ")
        parts.append(row.tobytes())
        parts.append(b"\n")
    return b"".join(parts)


def _encode_utf8(text: str, words: Sequence[str]) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        bad = next(word for word in words if not _is_utf8_encodable(word))
        raise ValueError(
            f"word {bad!r} cannot be encoded as UTF-8 because it contains a lone "
            "surrogate; load the source file with errors='replace' instead of "
            "'surrogateescape'"
        ) from None


def _is_utf8_encodable(word: str) -> bool:
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _write_rows(
    handle: BinaryIO,
    words: Sequence[str],
    vectors: np.ndarray,
    format_rows: Callable[[Sequence[str], np.ndarray], bytes],
) -> None:
    for start in range(0, len(words), _WRITE_CHUNK_ROWS):
        stop = start + _WRITE_CHUNK_ROWS
        handle.write(format_rows(words[start:stop], vectors[start:stop]))


def _atomic_write(path: Path, write_body: Callable[[BinaryIO], None]) -> None:
    """Write a file through a temporary file in its folder and ``os.replace``.

    The temporary file is flushed and fsynced before the rename and removed if
    anything fails, so ``path`` contains either its old content or the complete
    new content.
    """
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot save to {path}: the folder {folder} does not exist; create "
            "it first"
        )
    temporary = folder / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    # Mode 0o666 minus the umask gives the permissions of a plain open().
    descriptor = os.open(
        temporary,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
        0o666,
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write_body(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder entry so that a rename survives a crash, where supported."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        # Windows cannot open folders this way.
        return
    try:
        os.fsync(descriptor)
    except OSError as exc:
        logger.debug("fsync of folder %s failed: %s", folder, exc)
    finally:
        os.close(descriptor)


def _keyed_vectors_class() -> type[KeyedVectors]:
    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:
        raise ImportError(
            "gensim is needed for gensim conversion and the 'gensim' format; "
            "install it with `pip install gensim`"
        ) from exc
    return KeyedVectors
