"""Row parsers of word2vec text, word2vec binary and GloVe files.

The parsers read from a binary handle positioned after any header. They
raise ValueError for damaged rows, naming the file and the line, record or
byte offset.
Word decoding follows the ``encoding`` and ``errors`` arguments of
:meth:`embedsent.vectors.WordVectors.load_word2vec`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = [
    "ASCII_WHITESPACE",
    "WHITESPACE_RE",
    "VectorFileError",
    "find_binary_evidence",
    "quote_bytes",
    "read_binary_rows",
    "read_text_rows",
]

# Field separators of the text formats. They match the ASCII whitespace that
# ``bytes.split()`` splits on.
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
_ASCII_WHITESPACE_BYTES = frozenset(ASCII_WHITESPACE.encode("ascii"))
WHITESPACE_RE = re.compile(f"[{re.escape(ASCII_WHITESPACE)}]")
_WHITESPACE_BYTES_RE = re.compile(WHITESPACE_RE.pattern.encode("ascii"))

# A binary record whose word runs this long without a space is treated as
# damage, so a file without spaces is rejected without being read whole.
_MAX_WORD_BYTES = 1 << 16
_READ_CHUNK_BYTES = 1 << 22


class VectorFileError(ValueError):
    """A word-vector file that cannot be read, with a fix for each kind of caller.

    ``str(error)`` advises Python callers with parameters such as ``encoding=``.

    Attributes:
        cli_message: The same message with the fix in ``embedsent`` flags,
            such as ``--vectors-encoding``, and without Python parameters.
    """

    def __init__(self, message: str, cli_message: str) -> None:
        super().__init__(message)
        self.cli_message = cli_message


# Control bytes that a text vectors file does not contain: C0 controls other
# than ASCII whitespace, and DEL. About 11% of uniformly random bytes are
# among them, so the float32 values of a binary file contain them quickly.
_NON_TEXT_BYTES_RE = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")


def _binary_hints(raw: bytes) -> tuple[str, str]:
    """Return the hints, for Python callers and for the CLI, that ``raw`` is binary.

    Both are empty when ``raw`` has no control bytes.
    """
    if not _NON_TEXT_BYTES_RE.search(raw):
        return "", ""
    evidence = (
        "; the line contains control bytes that text files do not, so the file "
        "may be binary word2vec: pass "
    )
    return (
        f"{evidence}binary=True or format='word2vec-binary' (CLI: "
        "--vectors-format word2vec-binary)",
        f"{evidence}--vectors-format word2vec-binary",
    )


def find_binary_evidence(body: bytes, dim: int, *, at_eof: bool) -> int | None:
    """Find a byte showing that ``body`` contains binary word2vec rows, not text.

    ``body`` is the start of a word2vec file after its header line, ``dim``
    the dimension the header declares, and ``at_eof`` whether ``body`` runs
    to the end of the file. The body is text when one of its complete lines
    is a word and ``dim`` numbers. Otherwise the evidence is a control byte
    that text files do not contain, or a byte of 0x80 or above among the
    ``4 * dim`` bytes after the first word, where a binary file stores the
    first vector.

    NOTE: A text file whose every row is damaged, such as one whose header
    declares a larger dimension than its rows have, looks binary when the
    ``4 * dim`` bytes after its first word reach a non-ASCII word.

    Returns:
        The index in ``body`` of the evidence byte, or None when ``body``
        looks like text.
    """
    if dim < 1:
        return None
    lines = body.split(b"\n")
    if not at_eof:
        # The last piece may be a line cut off by the end of the sample.
        lines.pop()
    for line in lines:
        fields = line.split()
        if len(fields) == dim + 1 and all(_is_number(value) for value in fields[1:]):
            return None
    control = _NON_TEXT_BYTES_RE.search(body)
    if control is not None:
        return control.start()
    start = len(body) - len(body.lstrip())
    space = body.find(b" ", start)
    if space == -1 or _WHITESPACE_BYTES_RE.search(body, start, space):
        return None
    values_start = space + 1
    values_end = min(len(body), values_start + 4 * dim)
    for index in range(values_start, values_end):
        if body[index] >= 0x80:
            return index
    return None


def quote_bytes(raw: bytes, size: int = 80) -> str:
    text = raw[:size].decode("utf-8", errors="replace").rstrip("\r\n")
    return repr(text + ("..." if len(raw) > size else ""))


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
        problem = (
            f"{path}: the word at {where} (byte offset {offset + exc.start}) is "
            f"not valid {encoding}: {exc.reason}"
        )
        raise VectorFileError(
            f"{problem}; pass the file's encoding (for example "
            "encoding='latin-1'; CLI: --vectors-encoding latin-1), or "
            "errors='replace' or errors='ignore' (CLI: --vectors-errors) to "
            "substitute or drop undecodable bytes",
            f"{problem}; pass the file's encoding with --vectors-encoding, for "
            "example --vectors-encoding latin-1, or pass --vectors-errors replace "
            "or --vectors-errors ignore to substitute or drop undecodable bytes",
        ) from None
    if not word:
        problem = f"{path}: the word at {where} is empty after decoding"
        raise VectorFileError(
            f"{problem} with errors={errors!r}; use errors='replace' to keep such "
            "words (CLI: --vectors-errors replace)",
            f"{problem} with --vectors-errors {errors}; pass --vectors-errors "
            "replace to keep such words",
        )
    return word


def read_text_rows(
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
            except VectorFileError as exc:
                python_hint, cli_hint = _binary_hints(raw)
                raise VectorFileError(
                    f"{exc}{python_hint}", f"{exc.cli_message}{cli_hint}"
                ) from None
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
                if glove and len(words) == 1 and expected == 1 and words[0].isdigit():
                    # A word2vec text file starts with "<word count> <dim>",
                    # which parses as a GloVe row with one value.
                    header = f"{words[0]} {rows.rows[0, 0]:g}"
                    problem = (
                        f"{path}: line {line_of_word[words[0]]} ({header!r}) looks "
                        "like a word2vec header (word count and dimension), so "
                        "this is a word2vec text file, not GloVe"
                    )
                    raise VectorFileError(
                        f"{problem}; read it with load_word2vec() or "
                        "load(format='auto') (CLI: --vectors-format word2vec)",
                        f"{problem}; pass --vectors-format word2vec",
                    )
                python_hint, cli_hint = _binary_hints(raw)
                values_word = "value" if len(values) == 1 else "values"
                verb = "was" if expected == 1 else "were"
                problem = (
                    f"{path}: line {line_no} (word {word!r}) has {len(values)} "
                    f"{values_word} but {expected} {verb} expected"
                )
                raise VectorFileError(f"{problem}{python_hint}", f"{problem}{cli_hint}")
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
                problem = (
                    f"{path}: line {line_no} (word {word!r}) contains "
                    f"{quote_bytes(bad, 40)}, which is not a number"
                )
                python_hint, cli_hint = _binary_hints(raw)
                raise VectorFileError(
                    f"{problem}{python_hint}", f"{problem}{cli_hint}"
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


_TEXT_NUMBER_BYTES = frozenset(b"0123456789.-+eE \t\r\n")


def _reject_text_record(vector: bytes, path: Path) -> None:
    """Raise when the first binary vector is made of digits and spaces.

    Float32 data never consists only of these bytes in practice, but a word2vec
    text file read as binary does, and would otherwise load as garbage floats.
    """
    if len(vector) >= 8 and set(vector) <= _TEXT_NUMBER_BYTES:
        problem = (
            f"{path}: the first vector is text ({quote_bytes(vector, 40)}), so "
            "this is a word2vec text file"
        )
        raise VectorFileError(
            f"{problem}; load it with binary=False (CLI: --vectors-format word2vec)",
            f"{problem}; pass --vectors-format word2vec",
        )


def read_binary_rows(
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
                f"contains whitespace: {quote_bytes(raw_word, 40)}; the dimension "
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
        if not words:
            _reject_text_record(reader.buffer[start : start + vector_bytes], path)
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
