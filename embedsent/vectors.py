"""Word vectors: lookup, cosine similarity and conversion to and from gensim.

:class:`WordVectors` stores a vocabulary and one float32 row per word. Its arrays
are read-only, so derived arrays such as the unit-length rows can be cached.

Its ``load*`` and ``save*`` methods read and write the word2vec text, word2vec
binary and GloVe formats with :mod:`embedsent.vector_io`, whose docstring
describes the formats. ``load(format="gensim")`` reads gensim's native format
through gensim.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embedsent.file_kinds import (
    BUNDLE_KINDS,
    GENSIM_VECTORS,
    NUL_BYTES_ADVICE,
    SGNS_FORMAT,
    UNDECODABLE_BYTES_ADVICE,
    UNKNOWN_BINARY,
    VECTOR_FORMATS_ADVICE,
    WORD_VECTORS,
    FileKind,
    describe_mismatch,
    describe_text_file,
    identify_file,
    starts_with_undecodable_bytes,
)
from embedsent.output_kinds import TABLE_SUFFIXES, check_replaceable, read_head
from embedsent.storage import check_file_name, check_vectors_suffix
from embedsent.vector_checks import (
    as_word_list,
    build_index,
    check_counts,
    check_finite_rows,
    check_vectors,
    check_words,
    warn_zero_rows,
)
from embedsent.vector_io import (
    FORMATS,
    as_path,
    check_codec,
    check_limit,
    detect_format,
    read_glove,
    read_word2vec,
    reject_folder,
    write_glove,
    write_word2vec,
)
from embedsent.vector_parse import VectorFileError

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

__all__ = ["FORMATS", "WordVectors"]

logger = logging.getLogger(__name__)

# Rows processed at once when computing unit-length rows in float64.
_NORM_CHUNK_ROWS = 1 << 16


# Kinds of file that no word-vector reader of ``WordVectors.load`` takes. An
# empty or gzip-compressed file gets the text readers' own message.
_NOT_TEXT_VECTORS = ("bundle", "damaged", "zip", "pickle", "tar", "npy", "binary")
# Kinds of file that are certainly not a gensim pickle. A compressed file can
# be one, because gensim decompresses a .gz or .bz2 pickle.
_NOT_GENSIM = ("text", "bundle", "damaged", "zip", "empty", "tar", "npy", "binary")


def _check_file_kind(source, format: str) -> None:
    """Raise ValueError naming what ``source`` is when ``format`` cannot read it."""
    found = identify_file(source)
    if format != "gensim":
        if found.category == "pickle":
            # gensim's native format is a pickle, so the message names the
            # format argument, and the CLI message names the flag.
            message = describe_mismatch(source, WORD_VECTORS, found)
            raise VectorFileError(
                f"{source} is {found.name}, not {WORD_VECTORS.name}. If it is a "
                "gensim KeyedVectors file that you trust, read it with "
                "WordVectors.load(path, format='gensim') (CLI: --vectors-format "
                "gensim)",
                message,
            )
        if found.category in _NOT_TEXT_VECTORS:
            message = describe_mismatch(source, WORD_VECTORS, found, python=True)
            cli_message = describe_mismatch(source, WORD_VECTORS, found)
            if found.category == "binary":
                message += f" {NUL_BYTES_ADVICE}"
                cli_message += f" {NUL_BYTES_ADVICE}"
            if found.python_use is None:
                # No embedsent function reads this kind, so the message lists
                # the kinds that WordVectors.load reads.
                message += f" {VECTOR_FORMATS_ADVICE}"
                cli_message += f" {VECTOR_FORMATS_ADVICE}"
            raise VectorFileError(message, cli_message)
        # A text file in another encoding, such as Latin-1, passes this check
        # and gets the readers' decode error, which names the encoding flag.
        if (
            found.category == "text"
            and found.encoding is None
            and starts_with_undecodable_bytes(source)
        ):
            problem = (
                f"{source} is {UNKNOWN_BINARY.name}, not {WORD_VECTORS.name}. "
                f"{UNDECODABLE_BYTES_ADVICE} {VECTOR_FORMATS_ADVICE}"
            )
            raise VectorFileError(
                f"{problem} {WORD_VECTORS.python_origin}",
                f"{problem} {WORD_VECTORS.origin}",
            )
        # UTF-16 and UTF-32 text gets the readers' message, which explains
        # how to convert it to UTF-8.
        wide = found.encoding in ("utf-16", "utf-32")
        if format == "auto" and found.category == "text" and not wide:
            _reject_table(source, found)
        return
    if found.category == "vectors":
        raise ValueError(
            f"{source} is {found.name}, not {GENSIM_VECTORS.name}; read it with "
            "format='auto' (CLI: --vectors-format auto)"
        )
    if found.category in _NOT_GENSIM:
        raise VectorFileError(
            describe_mismatch(source, GENSIM_VECTORS, found, python=True),
            describe_mismatch(source, GENSIM_VECTORS, found),
        )


def _reject_table(source, found: FileKind) -> None:
    """Raise VectorFileError when ``source`` is a text file with a table suffix.

    The commands read a file with such a suffix, such as .csv, as a table of
    texts. A word-vector file under that name passes, because
    ``identify_file`` finds word vectors in it. Only ``format="auto"`` runs
    this check, so an explicit format reads the file, and its reader names
    the first invalid row.
    """
    path = Path(source)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return
    name = describe_text_file(path, read_head(path) or b"", found)
    problem = f"{source} is {name}, not {WORD_VECTORS.name}."
    suffixes = (
        "Word vectors are usually saved as .txt or .vec (text) or .bin (word2vec "
        "binary), and format='auto' reads a .bin file as binary and any other "
        "file by its content."
    )
    raise VectorFileError(
        f"{problem} Read a table of texts and labels with "
        f"embedsent.datasets.load_table. {VECTOR_FORMATS_ADVICE} {suffixes} If "
        f"{source} does contain word vectors, pass format='word2vec', "
        "'word2vec-binary' or 'glove' to read it in that format.",
        f"{problem} Pass a table of texts and labels to --data. "
        f"{VECTOR_FORMATS_ADVICE}",
    )


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
        """Build from arrays that nothing changes later, without copying them.

        Such arrays were created for this object, or are read-only.
        """
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
        word_list = check_words(words)
        matrix = check_vectors(vectors, word_list, copy=copy)
        self.words = word_list
        self.index = build_index(word_list)
        check_finite_rows(matrix, word_list)
        matrix.setflags(write=False)
        self.vectors = matrix
        self.counts = None if counts is None else check_counts(counts, len(word_list))
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

    def __setstate__(self, state: dict) -> None:
        # Unpickled arrays are writable. They are made read-only again, so the
        # cached unit-length rows cannot go stale.
        self.__dict__.update(state)
        for array in (self.vectors, self.counts, state.get("_normalized")):
            if array is not None:
                array.setflags(write=False)

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
            positive_words = as_word_list("positive", positive)
        negative_words = as_word_list("negative", negative)
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

        An existing word-vector file at ``path``, in any format, is replaced,
        and so is an empty file.

        Raises:
            TypeError: If ``binary`` is not a bool.
            ValueError: If a word cannot be encoded as UTF-8, a word contains
                NUL and ``binary`` is False, ``path`` ends with a separator or
                with a suffix that marks another kind of file, such as .csv,
                .npz or .gz, or ``path`` is an existing file of another kind.
                Such a file, such as a CSV table, a model, or a
                table of words and numbers with a table suffix or with tabs
                between fields, is left as it is.
            OSError: If the file cannot be written.
        """
        if not isinstance(binary, bool):
            raise TypeError(f"binary must be True or False, got {binary!r}")
        destination = as_path(path)
        check_file_name(os.fspath(path), partial(check_vectors_suffix, binary=binary))
        check_replaceable(path, WORD_VECTORS, "path")
        check_vectors_suffix(path, binary=binary)
        write_word2vec(destination, self.words, self.vectors, binary=binary)
        logger.info(
            "saved %d x %d word vectors to %s (word2vec %s)",
            len(self),
            self.dim,
            destination,
            "binary" if binary else "text",
        )

    def save_glove(self, path: str | os.PathLike[str]) -> None:
        """Write the vectors as headerless GloVe text, one ``word v1 ... vd`` line.

        The write is atomic in the same way as :meth:`save_word2vec`, and
        replaces the same files.

        Raises:
            ValueError: If a word cannot be encoded as UTF-8 or contains NUL,
                or the first word
                starts with U+FEFF, which readers of the headerless file take
                for a byte-order mark; save such words with
                :meth:`save_word2vec`. Also if ``path`` ends with a separator
                or with a suffix that marks another kind of file, or is an
                existing file of another kind, such as a CSV table or a model,
                which is left as it is.
            OSError: If the file cannot be written.
        """
        destination = as_path(path)
        check_file_name(os.fspath(path), check_vectors_suffix)
        check_replaceable(path, WORD_VECTORS, "path")
        check_vectors_suffix(path)
        write_glove(destination, self.words, self.vectors)
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
        source = as_path(path)
        reject_folder(source)
        check_codec(encoding, errors)
        check_limit(limit)
        words, vectors = read_word2vec(
            source, binary=binary, encoding=encoding, errors=errors, limit=limit
        )
        result = cls._from_owned_arrays(words, vectors)
        logger.info(
            "loaded %d x %d word vectors from %s (word2vec %s)",
            len(result),
            result.dim,
            source,
            "binary" if binary else "text",
        )
        warn_zero_rows(result.vectors, result.words, logger, str(source))
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
        source = as_path(path)
        reject_folder(source)
        check_codec(encoding, errors)
        check_limit(limit)
        words, vectors = read_glove(
            source, encoding=encoding, errors=errors, limit=limit
        )
        result = cls._from_owned_arrays(words, vectors)
        logger.info(
            "loaded %d x %d word vectors from %s (GloVe)",
            len(result),
            result.dim,
            source,
        )
        warn_zero_rows(result.vectors, result.words, logger, str(source))
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
        text when a line in its first 64 KiB contains a word and the declared
        number of values, and as word2vec binary when its rows contain control
        bytes that text lacks, or bytes of 0x80 or above where the first
        vector starts. Any other file is read as GloVe. A GloVe file of dimension
        1 whose first row is ``"<integer word> <integer value>"`` is mistaken
        for word2vec, so name the format for such files. ``format="auto"``
        rejects a text file with a table suffix, such as ``.csv``, unless its
        rows parse as word vectors. An explicit format reads it anyway.

        A warning is logged when some but not all rows are all zero, because
        such rows usually mark untrained words or a damaged file.

        ``format="auto"`` also reads an SGNS model that ``SGNSModel.save``
        (CLI: ``pretrain --save-model``) wrote. It gives the vectors that
        ``pretrain --out`` writes from that model, with the word counts that
        the ``sif`` feature needs, which word2vec and GloVe files lack.

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
                invalid, ``path`` is a folder, the file is damaged, or the
                file is of a kind that the format does not read, such as a
                table or an image.
        """
        if not isinstance(format, str):
            raise TypeError(f"format must be a str, got {format!r}")
        if format not in FORMATS:
            raise ValueError(
                f"unknown format {format!r}; use one of {', '.join(FORMATS)}"
            )
        source = as_path(path)
        reject_folder(source)
        if format != "gensim":
            check_codec(encoding, errors)
        if format == "auto" and identify_file(source) == BUNDLE_KINDS[SGNS_FORMAT]:
            result = cls._from_sgns_model(source, limit)
            warn_zero_rows(result.vectors, result.words, logger, str(source))
            return result
        _check_file_kind(source, format)
        if format == "auto":
            format = detect_format(source, encoding)
            logger.debug("detected format %r for %s", format, source)
        if format == "gensim":
            if limit is not None:
                raise ValueError(
                    f"limit={limit!r} is not supported for format='gensim', "
                    "which is read whole; pass limit=None"
                )
            keyed_vectors_class = _keyed_vectors_class()
            try:
                loaded = keyed_vectors_class.load(str(source))
            except (pickle.UnpicklingError, EOFError) as error:
                problem = (
                    f"{source} could not be read as a gensim KeyedVectors file "
                    f"({error}); pass a file that gensim's KeyedVectors.save "
                    "wrote, or name the file's format with "
                )
                raise VectorFileError(
                    problem + "format=", problem + "--vectors-format"
                ) from error
            keyed = getattr(loaded, "wv", loaded)
            result = cls.from_gensim(keyed)
            warn_zero_rows(result.vectors, result.words, logger, str(source))
            return result
        if format == "glove":
            return cls.load_glove(source, encoding=encoding, errors=errors, limit=limit)
        return cls.load_word2vec(
            source,
            binary=format == "word2vec-binary",
            encoding=encoding,
            errors=errors,
            limit=limit,
        )

    @classmethod
    def _from_sgns_model(cls, source, limit: int | None) -> WordVectors:
        """Return the exported vectors of an SGNS model, with its word counts.

        The vectors are those that ``pretrain --out`` writes from the same
        model, and the vocabulary is in decreasing order of count, so
        ``limit`` keeps the most frequent words.
        """
        from embedsent.sgns_model import SGNSModel

        if limit is not None:
            check_limit(limit)
        vectors = SGNSModel.load(source).word_vectors()
        if limit is None or limit >= len(vectors.words):
            return vectors
        counts = None if vectors.counts is None else vectors.counts[:limit]
        return cls(vectors.words[:limit], vectors.vectors[:limit], counts)

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


def _keyed_vectors_class() -> type[KeyedVectors]:
    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:
        raise ImportError(
            "gensim is needed for gensim conversion and the 'gensim' format; "
            "install it with `pip install gensim`"
        ) from exc
    return KeyedVectors
