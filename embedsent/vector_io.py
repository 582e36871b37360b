"""Reading and writing the word2vec text, word2vec binary and GloVe formats.

File formats:

* word2vec text: a header line ``"<number of words> <dimension>"``, then one
  ``"word v1 v2 ... vd"`` line per word.
* word2vec binary: the same header, then per word the UTF-8 word, a space, ``d``
  little-endian float32 values and an optional ``"\\n"``.
* GloVe: word2vec text without the header line.
* gensim: the pickle-based native format of ``KeyedVectors.save``, which
  :meth:`embedsent.vectors.WordVectors.load` reads through gensim.

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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from embedsent.file_kinds import wide_text_encoding
from embedsent.storage import write_atomic
from embedsent.vector_parse import (
    VectorFileError,
    find_binary_evidence,
    quote_bytes,
    read_binary_rows,
    read_text_rows,
)

__all__ = [
    "FORMATS",
    "as_path",
    "check_codec",
    "check_limit",
    "detect_format",
    "wide_text_error",
    "read_glove",
    "read_word2vec",
    "reject_folder",
    "write_glove",
    "write_word2vec",
]

logger = logging.getLogger(__name__)

FORMATS = ("auto", "word2vec", "word2vec-binary", "glove", "gensim")
"""Values accepted by the ``format`` argument of
:meth:`embedsent.vectors.WordVectors.load`."""

_HEADER_RE = re.compile(rb"[ \t]*[0-9]+[ \t]+[0-9]+[ \t]*\r?\n?")
_UTF8_BOM = b"\xef\xbb\xbf"
_BYTE_ORDER_MARK = "\ufeff"
_GZIP_MAGIC = b"\x1f\x8b"
# Large enough to hold a complete text row of a few thousand dimensions.
_BINARY_SNIFF_BYTES = 1 << 16

_MAX_HEADER_BYTES = 1024
_WRITE_CHUNK_ROWS = 4096
_GLOVE_INITIAL_ROWS = 4096


def as_path(path: str | os.PathLike[str]) -> Path:
    """Convert ``path`` to a ``Path``. Raises TypeError unless it is str or PathLike."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    return Path(path)


def reject_folder(path: Path) -> None:
    """Raise ValueError when ``path`` is a folder, which no reader can read."""
    if path.is_dir():
        raise ValueError(
            f"{path} is a folder, not a word-vector file; pass the path of a "
            "vectors file, such as one inside that folder"
        )


def check_limit(limit: int | None) -> None:
    """Check that ``limit`` is None or an int >= 1."""
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int or None, got {limit!r}")
    if limit < 1:
        raise ValueError(f"limit must be >= 1 or None for no limit, got {limit}")


def check_codec(encoding: str, errors: str) -> None:
    """Check the ``encoding`` and ``errors`` arguments of the readers.

    ``encoding`` must name an ASCII-compatible codec and ``errors`` a registered
    codec error handler.
    """
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
        # The longest byte-order mark, of UTF-32, has 4 bytes.
        start = handle.peek(4)[:4]
        if start.startswith(_GZIP_MAGIC):
            raise ValueError(
                f"{path} is gzip-compressed; decompress it first, for example "
                f"with `gunzip -k {path}`"
            )
        wide = wide_text_encoding(start)
        if wide is not None:
            raise wide_text_error(path, wide)
        offset = 0
        codec = codecs.lookup(encoding).name
        if start.startswith(_UTF8_BOM) and codec in ("utf-8", "utf-8-sig"):
            handle.read(len(_UTF8_BOM))
            offset = len(_UTF8_BOM)
        yield handle, offset


def wide_text_error(path: Path, label: str) -> VectorFileError:
    """Return the error for a vectors file of UTF-16 or UTF-32 text.

    ``label`` is "UTF-16" or "UTF-32". check_codec rejects these encodings,
    because the readers parse digits and separators as ASCII bytes, so the
    file has to be converted to UTF-8.
    """
    codec = label.lower()
    converted = path.with_name(f"{path.stem}-utf8{path.suffix}")
    fact = (
        f"{path} is {label} text (it starts with a {label} byte-order mark). "
        f"{label} is not ASCII-compatible, and these files use ASCII digits and "
        "separators"
    )
    fix = (
        "convert the file to UTF-8 first, for example with "
        f"`iconv -f {codec} -t utf-8 {path} > {converted}`"
    )
    return VectorFileError(
        f"{fact}, so encoding={codec!r} is not supported; {fix}",
        f"{fact}, so --vectors-encoding {codec} is not supported; {fix}",
    )


def detect_format(path: Path, encoding: str) -> str:
    """Return ``"word2vec"``, ``"word2vec-binary"`` or ``"glove"`` for ``path``.

    The rules are documented on :meth:`embedsent.vectors.WordVectors.load`.
    """
    if path.suffix.lower() == ".bin":
        return "word2vec-binary"
    with _open_for_reading(path, encoding) as (handle, _):
        first_line = handle.readline(_MAX_HEADER_BYTES)
        sample = handle.read(_BINARY_SNIFF_BYTES)
    if not _HEADER_RE.fullmatch(first_line):
        return "glove"
    # The content decides between text and binary, whatever the suffix.
    dim = int(first_line.split()[1])
    at_eof = len(sample) < _BINARY_SNIFF_BYTES
    if find_binary_evidence(sample, dim, at_eof=at_eof) is not None:
        return "word2vec-binary"
    return "word2vec"


def _reject_binary_body(handle: BinaryIO, path: Path, offset: int, dim: int) -> None:
    """Raise ValueError when the rows after a word2vec header look binary.

    ``handle`` is positioned at ``offset``, after the header, and this function
    seeks back there after reading a sample.
    """
    sample = handle.read(_BINARY_SNIFF_BYTES)
    handle.seek(offset)
    at_eof = len(sample) < _BINARY_SNIFF_BYTES
    index = find_binary_evidence(sample, dim, at_eof=at_eof)
    if index is None:
        return
    problem = (
        f"{path} looks like binary word2vec, not text: its rows contain byte "
        f"{sample[index]:#04x} at byte offset {offset + index}, which a text "
        "row does not"
    )
    raise VectorFileError(
        f"{problem}. Pass binary=True or format='word2vec-binary' (CLI: "
        "--vectors-format word2vec-binary)",
        f"{problem}. Pass --vectors-format word2vec-binary",
    )


def _parse_header(raw: bytes, path: Path) -> tuple[int, int]:
    if not raw:
        raise ValueError(f"{path}: the file is empty, so it has no word2vec header")
    fields = raw.split()
    if not raw.endswith(b"\n") and len(raw) >= _MAX_HEADER_BYTES:
        valid = False
    else:
        valid = len(fields) == 2 and all(field.isdigit() for field in fields)
    if not valid:
        problem = (
            f"{path}: invalid word2vec header {quote_bytes(raw)}; expected "
            "'<number of words> <dimension>', such as '50000 100'. A file without "
            "a header is GloVe"
        )
        raise VectorFileError(
            f"{problem}: read it with load_glove() or load(format='glove') (CLI: "
            "--vectors-format glove)",
            f"{problem}: pass --vectors-format glove",
        )
    count, dim = int(fields[0]), int(fields[1])
    if count < 1 or dim < 1:
        raise ValueError(
            f"{path}: the header {quote_bytes(raw)} declares {_words(count)} of "
            f"dimension {dim}; both must be >= 1"
        )
    return count, dim


def read_word2vec(
    source: Path, *, binary: bool, encoding: str, errors: str, limit: int | None
) -> tuple[list[str], np.ndarray]:
    """Read the words and float32 rows of a word2vec text or binary file.

    Callers check the arguments first with :func:`as_path`, :func:`check_codec`
    and :func:`check_limit`. The arguments and errors are documented on
    :meth:`embedsent.vectors.WordVectors.load_word2vec`.
    """
    with _open_for_reading(source, encoding) as (handle, offset):
        raw_header = handle.readline(_MAX_HEADER_BYTES)
        count, dim = _parse_header(raw_header, source)
        offset += len(raw_header)
        if not binary:
            _reject_binary_body(handle, source, offset, dim)
        expected_rows = count if limit is None else min(count, limit)
        remaining_bytes = os.fstat(handle.fileno()).st_size - offset
        if binary:
            capacity = min(expected_rows, remaining_bytes // (4 * dim + 2) + 1)
            words, vectors, extra = read_binary_rows(
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
            words, vectors, extra = read_text_rows(
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
            f"{source}: the header declares {_words(count)} but only "
            f"{len(words)} were found; the file is truncated or its header "
            "is wrong"
        )
    if limit is None and extra is not None:
        problem = (
            f"{source}: the header declares {_words(count)} but more rows "
            f"follow at {extra_where}"
        )
        # The command line has no flag that sets limit.
        raise VectorFileError(
            f"{problem}; fix the header, or pass limit={count} to read only the "
            "declared rows",
            f"{problem}; fix the header's word count, or remove the extra rows",
        )
    return words, vectors


def read_glove(
    source: Path, *, encoding: str, errors: str, limit: int | None
) -> tuple[list[str], np.ndarray]:
    """Read the words and float32 rows of a headerless GloVe file.

    Callers check the arguments first, as for :func:`read_word2vec`.
    """
    capacity = _GLOVE_INITIAL_ROWS if limit is None else min(limit, 1 << 20)
    with _open_for_reading(source, encoding) as (handle, offset):
        words, vectors, _ = read_text_rows(
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
    return words, vectors


# ------------------------------------------------------------------- writing


def write_word2vec(
    destination: Path, words: Sequence[str], vectors: np.ndarray, *, binary: bool
) -> None:
    """Write a word2vec text or binary file atomically."""
    if not binary:
        _check_text_words(words)
    header = f"{len(words)} {vectors.shape[1]}\n".encode("ascii")
    format_rows = _format_binary_rows if binary else _format_text_rows

    def write_body(handle: BinaryIO) -> None:
        handle.write(header)
        _write_rows(handle, words, vectors, format_rows)

    write_atomic(destination, write_body)


def write_glove(destination: Path, words: Sequence[str], vectors: np.ndarray) -> None:
    """Write a headerless GloVe text file atomically.

    Raises ValueError when the first word starts with U+FEFF: its UTF-8 bytes
    begin the file, where readers drop them as a byte-order mark.
    """
    if words and words[0].startswith(_BYTE_ORDER_MARK):
        raise ValueError(
            f"words[0] = {words[0]!r} starts with U+FEFF, which readers of a "
            "GloVe file take for a byte-order mark and drop; save these vectors "
            "in word2vec format with save_word2vec(path), whose header line comes "
            "first, or rename the word"
        )

    _check_text_words(words)

    def write_body(handle: BinaryIO) -> None:
        _write_rows(handle, words, vectors, _format_text_rows)

    write_atomic(destination, write_body)


def _check_text_words(words: Sequence[str]) -> None:
    """Reject a word that a text vectors file cannot hold, before any write.

    A NUL byte marks a binary file to embedsent's readers, which then reject
    the text file, and to its existing-output check, which then keeps it.
    The word2vec binary format stores such a word.
    """
    for position, word in enumerate(words):
        if "\x00" in word:
            raise ValueError(
                f"words[{position}] = {word!r} contains a NUL character, which "
                "marks a binary file to readers of word-vector text; remove it "
                "from the word, or save the vectors with "
                "save_word2vec(path, binary=True)"
            )


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


def _words(count: int) -> str:
    """Return "1 word" or "N words" for a message."""
    return "1 word" if count == 1 else f"{count} words"
