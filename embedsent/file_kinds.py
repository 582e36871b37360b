"""File kinds, judged from a file's content, for errors about wrong inputs.

When a command gets a file of the wrong kind, such as word vectors where it
expects a model, the loader's own error (numpy's pickle hint, a UTF-8 decode
error) misleads. :func:`identify_file` names the file's kind from its leading
bytes, and :func:`describe_mismatch` returns a message that names the command
that reads that kind.

embedsent models, SGNS models and checkpoints are zip archives (NumPy
``.npz``) with a ``__meta__.npy`` entry whose JSON ``format`` field names the
kind. gensim's ``KeyedVectors.save`` writes a Python pickle (protocol 2 or
higher).
"""

from __future__ import annotations

import codecs
import errno
import io
import json
import logging
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedsent.vector_parse import find_binary_evidence

__all__ = [
    "CHECKPOINT_FORMAT",
    "INVALID_METADATA",
    "METADATA_NOT_OBJECT",
    "MODEL_FORMAT",
    "MODEL_REBUILD_ADVICE",
    "NESTED_METADATA",
    "NUL_BYTES_ADVICE",
    "SGNS_FORMAT",
    "UNDECODABLE_BYTES_ADVICE",
    "UNKNOWN_BINARY",
    "VECTOR_FORMATS_ADVICE",
    "WORD2VEC_BINARY",
    "FileKind",
    "bundle_kind",
    "describe_mismatch",
    "describe_non_regular_file",
    "describe_text_file",
    "identify_bytes",
    "identify_file",
    "is_json_document",
    "starts_with_undecodable_bytes",
    "wide_text_encoding",
]

logger = logging.getLogger(__name__)

MODEL_FORMAT = "embedsent-model"
SGNS_FORMAT = "embedsent-sgns"
CHECKPOINT_FORMAT = "embedsent-checkpoint"

# The entry of an .npz bundle that contains its JSON metadata, as
# embedsent.storage.save_bundle names it.
_META_ENTRY = "__meta__.npy"
_SNIFF_BYTES = 4096
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\xfd7zXZ\x00")
# A bzip2 stream starts with "BZh", a block size digit, and then the magic of
# its first block or, for empty input, of the end of the stream. Text can start
# with "BZh", so the three letters alone do not identify bzip2.
_BZIP2_PREFIX = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")
_NPY_MAGIC = b"\x93NUMPY"
# A tar header stores its magic at byte 257. It is "ustar\0" followed by the
# version "00" in the POSIX format, and "ustar  \0" in the GNU format. The
# magic includes the bytes after "ustar", so text such as "custard" there is
# not a tar header.
_TAR_MAGIC_OFFSET = 257
_TAR_MAGICS = (b"ustar\x00", b"ustar  \x00")
# Byte-order marks of UTF-32 before UTF-16, because the little-endian UTF-32
# mark starts with the little-endian UTF-16 mark. Each has the codec that
# reads the text and drops the mark, and every codec (as codecs.lookup names
# it) that reads the text after the mark.
_BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32", "utf-32", ("utf-32", "utf-32-le")),
    (b"\x00\x00\xfe\xff", "UTF-32", "utf-32", ("utf-32", "utf-32-be")),
    (b"\xff\xfe", "UTF-16", "utf-16", ("utf-16", "utf-16-le")),
    (b"\xfe\xff", "UTF-16", "utf-16", ("utf-16", "utf-16-be")),
)
_UTF8_MARK = b"\xef\xbb\xbf"
# Suffixes that name an existing text file as a data file in messages.
_DATA_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".txt")
_WORD2VEC_HEADER = re.compile(rb"[ \t]*[0-9]+[ \t]+[0-9]+[ \t]*\r?\n")
# C0 control bytes other than ASCII whitespace and NUL, and DEL. Text in an
# ASCII-compatible encoding, such as UTF-8 or Latin-1, does not contain them.
_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0e-\x1f\x7f]")
_ASCII_WHITESPACE = re.compile(rb"[ \t\n\v\f\r]")
_ASCII_WHITESPACE_BYTES = frozenset(b" \t\n\v\f\r")
# Rows after the first line that the word-vector check parses, within the
# 4096 bytes read. Prose that starts with numbers fails on its second line.
_CHECKED_ROWS = 5


@dataclass(frozen=True)
class FileKind:
    """A kind of file, with the sentences that tell a user what to do with it.

    Attributes:
        name: The kind as a noun phrase with its article, such as
            "an embedsent classifier model".
        category: A short identifier of the kind, such as ``"bundle"``,
            ``"zip"``, ``"pickle"``, ``"vectors"`` or ``"text"``.
        use: A sentence naming the command and flag that read this kind, or
            None when no embedsent command reads it.
        origin: A sentence saying how to get a file of this kind, used when
            this kind was expected, or None.
        python_use: ``use`` for a Python caller, naming the function that
            reads this kind instead of a command and flag, or None.
        python_origin: ``origin`` for a Python caller, or None.
        encoding: The Python codec that a byte-order mark at the start of a
            text file names, such as ``"utf-16"``, or None.
        mark_readers: The codecs, as ``codecs.lookup`` names them, that read
            the text after that byte-order mark, such as ``("utf-16",
            "utf-16-le")``; empty when the file has no byte-order mark.
    """

    name: str
    category: str
    use: str | None = None
    origin: str | None = None
    encoding: str | None = None
    mark_readers: tuple[str, ...] = ()
    python_use: str | None = None
    python_origin: str | None = None

    def reads_with(self, encoding: str) -> bool:
        """Return whether codec ``encoding`` reads this file's text correctly.

        A codec that does not match the byte-order mark decodes the mark and
        the text into other characters, or fails. An unknown codec returns
        True, because the loaders reject it with their own message.
        """
        if not self.mark_readers:
            return True
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return True
        return name in self.mark_readers


_VECTORS_USE = "Pass it to `embedsent train --vectors` or `embedsent select --vectors`."
_VECTORS_PYTHON_USE = "Load it with WordVectors.load."

BUNDLE_KINDS = {
    MODEL_FORMAT: FileKind(
        "an embedsent classifier model",
        "bundle",
        use="Pass it to --model of `embedsent predict`, `serve` or `diagnose`.",
        origin="`embedsent train --out` writes a classifier model.",
        python_use="Load it with TransferClassifier.load.",
        python_origin="TransferClassifier.save writes a classifier model.",
    ),
    SGNS_FORMAT: FileKind(
        "an SGNS pretraining model",
        "bundle",
        use="Pass it to `embedsent pretrain --continue-from` to train it "
        "further, or to --vectors of `embedsent train` or `select` for its "
        "vectors and word counts.",
        origin="`embedsent pretrain --save-model` writes an SGNS model.",
        python_use="Load it with SGNSModel.load to train it further with "
        "continue_training, or with WordVectors.load for its vectors and word "
        "counts.",
        python_origin="SGNSModel.save writes an SGNS model.",
    ),
    CHECKPOINT_FORMAT: FileKind(
        "an SGNS training checkpoint",
        "bundle",
        use="Pass it to `embedsent pretrain --checkpoint` to resume its run.",
        origin="Pass a path that does not exist yet, and the run writes its "
        "checkpoint there.",
        python_use="Pass its path as the checkpoint of train_sgns to resume its run.",
        python_origin="Pass a path that does not exist yet as the checkpoint of "
        "train_sgns, and the run writes its checkpoint there.",
    ),
}
# Advice for a damaged classifier model file, used in error messages.
MODEL_REBUILD_ADVICE = (
    "train the model again with `embedsent train --out`, or save it again with "
    "TransferClassifier.save"
)
WORD_VECTORS = FileKind(
    "a word-vector file",
    "vectors",
    use=_VECTORS_USE,
    origin="`embedsent pretrain --out` writes word vectors, and `--save-model` "
    "an SGNS model, which --vectors reads too.",
    python_use=_VECTORS_PYTHON_USE,
    python_origin="WordVectors.save_word2vec and WordVectors.save_glove write "
    "word vectors, and SGNSModel.save an SGNS model, which WordVectors.load "
    "reads too.",
)
WORD2VEC_BINARY = FileKind(
    "word vectors in word2vec binary format",
    "vectors",
    use=_VECTORS_USE,
    python_use=_VECTORS_PYTHON_USE,
)
GENSIM_VECTORS = FileKind(
    "a gensim KeyedVectors file (a Python pickle)",
    "pickle",
    origin="gensim's KeyedVectors.save writes one.",
    python_origin="gensim's KeyedVectors.save writes one.",
)
DAMAGED_ZIP = FileKind("a damaged or truncated zip (.npz) file", "damaged")
# Bundles whose zip archive reads but whose metadata entry does not. The file
# is damaged, or another program wrote an entry of that name.
INVALID_METADATA = FileKind(
    "an .npz file whose __meta__ entry, the embedsent settings, is not valid JSON",
    "damaged",
)
NESTED_METADATA = FileKind(
    "an .npz file whose __meta__ entry, the embedsent settings, nests JSON "
    "arrays or objects too deeply to parse, which embedsent never writes",
    "damaged",
)
METADATA_NOT_OBJECT = FileKind(
    "an .npz file whose __meta__ entry, the embedsent settings, is not a JSON object",
    "damaged",
)
EMPTY = FileKind("an empty file", "empty")
UNKNOWN_BINARY = FileKind("a binary file of unknown format", "binary")
# Word-vector readers parse ASCII digits and separators, so they take no text
# in UTF-16 or UTF-32, whose characters contain NUL bytes.
NUL_BYTES_ADVICE = (
    "It contains NUL bytes, which word-vector text never has; if it is UTF-16 "
    "or UTF-32 text, convert it to UTF-8 first."
)
# The reason, for error messages, that starts_with_undecodable_bytes returns True.
UNDECODABLE_BYTES_ADVICE = (
    "Its first bytes are neither UTF-8 text nor a word2vec header line."
)
VECTOR_FORMATS_ADVICE = (
    "The word-vector readers take word2vec text or binary with a "
    "'<number of words> <dimension>' header line, headerless GloVe text, or an "
    "embedsent SGNS model (.npz)."
)


def bundle_kind(format_name: object) -> FileKind:
    """Return the kind of an embedsent ``.npz`` bundle of format ``format_name``."""
    if isinstance(format_name, str) and format_name in BUNDLE_KINDS:
        return BUNDLE_KINDS[format_name]
    if format_name is None:
        return FileKind(
            "an .npz file whose __meta__ entry has no format field, so no "
            "embedsent command wrote it",
            "bundle",
        )
    return FileKind(f"an embedsent file of format {format_name!r}", "bundle")


def identify_file(path: str | os.PathLike) -> FileKind:
    """Return the kind of the file at ``path``, judged from its content.

    The suffix is ignored. A file that cannot be read gets the kind
    "an unreadable file". The first 4096 bytes are read, so ``path`` should
    be a regular file, because reading a FIFO blocks until its writers close
    it and consumes what they send.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        return FileKind(f"an unreadable file ({error.strerror})", "unreadable")
    if head.startswith(_ZIP_MAGIC):
        return _identify_zip(path, str(path))
    return _identify_head(head)


def identify_bytes(content: bytes, source: str) -> FileKind:
    """Return the kind of ``content``, the whole content of a stream.

    ``source`` names the stream in log messages, such as ``<stdin>``. Use it
    for input read in full, such as standard input, which
    :func:`identify_file` cannot read twice.
    """
    if content.startswith(_ZIP_MAGIC):
        return _identify_zip(io.BytesIO(content), source)
    return _identify_head(content[:_SNIFF_BYTES])


def _identify_head(head: bytes) -> FileKind:
    """Return the kind of a file or stream that starts with ``head``, not a zip."""
    if not head:
        return EMPTY
    at_eof = len(head) < _SNIFF_BYTES
    # Pickle protocol 2 and later start with the PROTO opcode and its number.
    if len(head) > 1 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return FileKind(
            "a Python pickle",
            "pickle",
            use="If it is a gensim KeyedVectors file that you trust, pass it to "
            "`embedsent train --vectors` with --vectors-format gensim.",
            python_use="If it is a gensim KeyedVectors file that you trust, load "
            "it with WordVectors.load(path, format='gensim').",
        )
    if head.startswith(_COMPRESSED_MAGIC) or _BZIP2_PREFIX.match(head):
        return FileKind(
            "a gzip, bzip2 or xz compressed file",
            "compressed",
            use="Pass an aclImdb .tar.gz to --data, and decompress other files first.",
            python_use="Read an aclImdb .tar.gz with load_aclimdb, and decompress "
            "other files first.",
        )
    if head[_TAR_MAGIC_OFFSET:].startswith(_TAR_MAGICS):
        return FileKind(
            "a tar archive",
            "tar",
            use="Pass an aclImdb tar archive to --data.",
            python_use="Read an aclImdb tar archive with load_aclimdb.",
        )
    if head.startswith(_NPY_MAGIC):
        return FileKind("a NumPy .npy array file", "npy")
    for mark, label, codec, readers in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return _marked_text(label, codec, readers)
    if head.startswith(_UTF8_MARK):
        found = _identify_uncompressed(head[len(_UTF8_MARK) :], at_eof=at_eof)
        # Word-vector readers drop the mark themselves, so only plain text
        # is named by its mark.
        if found.category == "text":
            return _marked_text("UTF-8", "utf-8", ("utf-8", "utf-8-sig"))
        return found
    return _identify_uncompressed(head, at_eof=at_eof)


def wide_text_encoding(head: bytes) -> str | None:
    """Return "UTF-16" or "UTF-32" when ``head`` starts with that byte-order mark.

    Returns None for any other start, including the UTF-8 byte-order mark.
    """
    for mark, label, _, _ in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return label
    return None


def _marked_text(label: str, codec: str, readers: tuple[str, ...]) -> FileKind:
    return FileKind(
        f"a {label} text file (it starts with a {label} byte-order mark)",
        "text",
        encoding=codec,
        mark_readers=readers,
    )


def _identify_zip(file: Path | io.BytesIO, source: str) -> FileKind:
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if _META_ENTRY not in names:
                return _foreign_zip(names)
            with archive.open(_META_ENTRY) as entry:
                meta_bytes = np.lib.format.read_array(entry, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        logger.debug(
            "%s starts like a zip archive but cannot be read: %s", source, error
        )
        return DAMAGED_ZIP
    try:
        meta = json.loads(meta_bytes.tobytes())
    except RecursionError:
        logger.debug("%s has a __meta__ entry that nests too deeply", source)
        return NESTED_METADATA
    except ValueError as error:
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors.
        logger.debug("%s has a __meta__ entry that is not JSON: %s", source, error)
        return INVALID_METADATA
    if not isinstance(meta, dict):
        return METADATA_NOT_OBJECT
    return bundle_kind(meta.get("format"))


def _foreign_zip(names: list[str]) -> FileKind:
    if names and all(name.endswith(".npy") for name in names):
        return FileKind("a NumPy .npz archive that embedsent did not write", "zip")
    return FileKind(
        "a zip archive that embedsent did not write (.xlsx, .docx and .odt "
        "files are zip archives)",
        "zip",
    )


def _identify_uncompressed(head: bytes, *, at_eof: bool) -> FileKind:
    """Return the kind of a file that starts with ``head``, checking its first rows.

    A first line alone does not make a word-vector file, because text such as
    "Chapter 1" or "2024 12" starts like a GloVe row or a word2vec header. So
    the rows after it must parse as the vector readers parse them.
    ``at_eof`` is True when ``head`` contains the whole file.
    """
    first_line, _, rest = head.partition(b"\n")
    is_header = bool(_WORD2VEC_HEADER.fullmatch(first_line + b"\n"))
    if is_header:
        count, dim = (int(field) for field in first_line.split())
        if find_binary_evidence(rest, dim, at_eof=at_eof) is not None:
            if _is_word2vec_binary(rest, count, dim, at_eof=at_eof):
                return WORD2VEC_BINARY
        elif _is_word2vec_text(rest, count, dim, at_eof=at_eof):
            return FileKind(
                "word vectors in word2vec text format",
                "vectors",
                use=_VECTORS_USE,
                python_use=_VECTORS_PYTHON_USE,
            )
    if b"\0" in head:
        return UNKNOWN_BINARY
    fields = first_line.split()
    # The vector readers take a first line of two whole numbers as a word2vec
    # header, so such a file is never read as GloVe.
    if (
        not is_header
        and len(fields) >= 2
        and _rows_have_values(head, len(fields) - 1, at_eof=at_eof)
    ):
        return FileKind(
            "word vectors in GloVe text format",
            "vectors",
            use=_VECTORS_USE,
            python_use=_VECTORS_PYTHON_USE,
        )
    return FileKind("a text file", "text")


def _rows_have_values(body: bytes, dim: int, *, at_eof: bool) -> bool:
    """Return whether the first rows of ``body`` are each a word and ``dim`` numbers.

    Up to ``_CHECKED_ROWS`` non-blank lines are checked, as the text readers
    parse them. Unless ``at_eof``, the last line of ``body`` may be cut, so
    only its fields before the last are checked, and only when fewer complete
    rows were found.
    """
    lines = body.split(b"\n")
    cut_line = b"" if at_eof else lines.pop()
    rows = [line.split() for line in lines if line.strip()][:_CHECKED_ROWS]
    for fields in rows:
        if len(fields) != dim + 1:
            return False
        if not all(_is_number(field) for field in fields[1:]):
            return False
    cut_fields = cut_line.split()
    if len(rows) == _CHECKED_ROWS or not cut_fields:
        return True
    if len(cut_fields) > dim + 1:
        return False
    return all(_is_number(field) for field in cut_fields[1:-1])


def _is_word2vec_text(body: bytes, count: int, dim: int, *, at_eof: bool) -> bool:
    """Return whether ``body``, the rows after a word2vec header, are text rows."""
    if not _rows_have_values(body, dim, at_eof=at_eof):
        return False
    if not at_eof:
        return True
    # The reader rejects a file whose row count differs from its header. A
    # file with only a header is a vector file when the header declares 0 words.
    rows = sum(1 for line in body.split(b"\n") if line.strip())
    return rows == count


def _is_word2vec_binary(body: bytes, count: int, dim: int, *, at_eof: bool) -> bool:
    """Return whether the first records of ``body`` parse as binary word2vec.

    ``body`` contains the bytes after the header. Each record is a word
    without whitespace, a space and ``dim`` little-endian float32 values, as
    embedsent.vector_parse reads it. Up to ``_CHECKED_ROWS`` records are
    checked, and their values must be finite, or, when ``at_eof``, all of
    them, whose number must be ``count``.

    NOTE: Any finite float32 is a valid value, so a text file longer than the
    bytes read whose first line is a word2vec header and whose next bytes are
    not ASCII can still pass.
    """
    position = 0
    records = 0
    while at_eof or records < _CHECKED_ROWS:
        while position < len(body) and body[position] in _ASCII_WHITESPACE_BYTES:
            position += 1
        if position >= len(body):
            break
        space = body.find(b" ", position)
        if space == -1:
            # A word cut by the end of the bytes read, or trailing text.
            return not at_eof
        if _ASCII_WHITESPACE.search(body, position, space):
            return False
        start = space + 1
        end = start + 4 * dim
        if end > len(body):
            if at_eof:
                return False
            end = start + (len(body) - start) // 4 * 4
        values = np.frombuffer(body[start:end], dtype="<f4")
        # Bytes of non-ASCII text can read as NaN or infinity. When the whole
        # file was read, the record count decides, so that a vector file with
        # a NaN is identified and its reader names the bad word.
        if not at_eof and not np.all(np.isfinite(values)):
            return False
        records += 1
        position = end
    return not at_eof or records == count


def starts_with_undecodable_bytes(path: str | os.PathLike) -> bool:
    """Return whether the file at ``path`` starts with binary data, not text.

    Such a file starts with bytes that are not valid UTF-8, and its first line
    is neither a word2vec header nor a row that ends in a number, so no
    word-vector reader takes it in any encoding. Its first 4096 bytes also
    contain control bytes or no ASCII whitespace at all, which text in
    Latin-1 or another ASCII-compatible encoding does not. Returns False for
    a file that cannot be read and for anything but a regular file.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return _is_undecodable(head, at_eof=len(head) < _SNIFF_BYTES)


def _is_undecodable(head: bytes, *, at_eof: bool) -> bool:
    # Before the end of the file, a UTF-8 sequence may be cut at the end of
    # head, so an incomplete last sequence is not an error.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=at_eof)
    except UnicodeDecodeError:
        pass
    else:
        return False
    first_line, newline, _ = head.partition(b"\n")
    if _WORD2VEC_HEADER.fullmatch(first_line + b"\n"):
        return False
    fields = first_line.split()
    if not newline and not at_eof:
        # The first line continues after head, so its last field may be cut.
        fields = fields[:-1]
    if len(fields) >= 2 and _is_number(fields[-1]):
        return False
    return bool(_CONTROL_BYTES.search(head)) or not _ASCII_WHITESPACE.search(head)


def _is_number(field: bytes) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def describe_text_file(path: Path, head: bytes, found: FileKind) -> str:
    """Name a text file by its suffix, such as "a .csv table (a text file)".

    ``head`` contains the file's first bytes.
    """
    suffix = path.suffix.lower()
    if suffix in _DATA_SUFFIXES and suffix != ".txt":
        return f"a {suffix} table (a text file)"
    if suffix == ".txt":
        return "a .txt text file"
    if head.removeprefix(_UTF8_MARK).lstrip().startswith(b"{"):
        if is_json_document(head):
            return "a JSON file"
        return "a JSON Lines file (a text file)"
    # A "[" also starts INI and TOML sections, so only the suffix identifies JSON.
    if suffix == ".json" and is_json_document(head):
        return "a JSON file"
    return found.name


def is_json_document(head: bytes) -> bool:
    """Return whether ``head``, a file's first bytes, starts one JSON value.

    A JSON Lines file also starts with "{", but its first line is a whole
    value with more lines after it.
    """
    text = head.removeprefix(_UTF8_MARK).lstrip()
    if not text.startswith((b"{", b"[")):
        return False
    first, _, rest = text.partition(b"\n")
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        # The value continues on the next lines or after the bytes read, or it
        # nests too deeply to parse, which the file's reader then reports.
        return True
    return not rest.strip()


def describe_mismatch(
    path: str | os.PathLike,
    expected: FileKind,
    found: FileKind,
    *,
    python: bool = False,
) -> str:
    """Return an error message for ``path``, a ``found`` file given as ``expected``.

    The message names both kinds, the command that reads the file found and
    how to get a file of the expected kind. With ``python`` true, the message
    names the Python functions and methods instead of commands and flags, for
    an error that a Python call raises. A text file is named by its
    suffix and first bytes (:func:`describe_text_file`), so a CSV table is
    "a .csv table (a text file)".
    """
    name = found.name
    if found.category == "text":
        try:
            with open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except OSError:
            head = b""
        name = describe_text_file(Path(path), head, found)
    sentences = [f"{path} is {name}, not {expected.name}."]
    use, origin = found.use, expected.origin
    if python:
        use, origin = found.python_use, expected.python_origin
    if use:
        sentences.append(use)
    if origin:
        sentences.append(origin)
    return " ".join(sentences)


# Noun phrases for the file types that os.stat reports, other than regular files.
_FILE_TYPES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def describe_non_regular_file(path: str | os.PathLike) -> str | None:
    """Name the type of ``path`` if it exists and is not a regular file.

    Symbolic links are followed. Returns a noun phrase such as "a FIFO (named
    pipe)" or "a folder", or None when ``path`` is a regular file, does not
    exist, or is a link whose target does not exist.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a loop of symbolic links"
        # The caller's checks of the folder report the other errors, such as
        # ENOTDIR for a path below a regular file, or EACCES for a path in a
        # folder that cannot be searched.
        return None
    if stat.S_ISREG(mode):
        return None
    for is_type, name in _FILE_TYPES:
        if is_type(mode):
            return name
    return "a special file that is not a regular file"
