"""Checks that an existing file may be replaced by an output of a given kind.

Every save writes a temporary file and renames it over its path, so an
existing file at that path is lost. :func:`check_replaceable` rejects the
save when that file is of another kind than the output, such as a labeled
CSV given as the path of a model. A file of the same kind is replaced, so
that a rerun writes its output again, and so is an empty file. A JSON report
is replaced only when embedsent wrote it, which the report shows by starting
with ``storage.REPORT_KEY``. A plot image is replaced only when embedsent
drew it, which the image shows by the creator tag ``PLOT_METADATA`` that
every embedsent ``savefig`` call writes into it.

The command-line checks (embedsent.cli_paths) and the Python saves of
models, SGNS models, word vectors and vocabularies share these checks, so
both reject the same files with the same messages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from embedsent.file_kinds import (
    WORD2VEC_BINARY,
    WORD_VECTORS,
    FileKind,
    describe_text_file,
    identify_file,
    is_json_document,
)
from embedsent.run_store import STORE_FORMAT
from embedsent.storage import REPORT_KEY

__all__ = [
    "JSON_REPORT",
    "MARKDOWN_TEXT",
    "PLOT_CREATOR",
    "PLOT_IMAGE",
    "PLOT_METADATA",
    "PNG_IMAGE",
    "RESULTS_STORE",
    "TABLE_SUFFIXES",
    "VOCABULARY_FILE",
    "check_replaceable",
    "read_head",
]

# Kinds of the outputs that identify_file does not name, because they are
# text or images that only their first bytes set apart.
JSON_REPORT = FileKind("an embedsent JSON report", "json")
RESULTS_STORE = FileKind("an embedsent learning-curve results file", "json")
VOCABULARY_FILE = FileKind("an embedsent vocabulary file", "json")
PLOT_IMAGE = FileKind("a PNG, PDF or SVG image", "image")
PNG_IMAGE = FileKind("a PNG image", "image")
MARKDOWN_TEXT = FileKind("a Markdown text file", "text")

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC = b"%PDF-"
_UTF8_MARK = b"\xef\xbb\xbf"
# Suffixes that the commands read as tables of texts. A word-vector output
# keeps a file with such a suffix even when its rows read as word vectors.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
# The bytes of a file that the checks read, as identify_file does.
_HEAD_BYTES = 4096

# The start of a JSON report that embedsent wrote (storage.REPORT_KEY first).
_REPORT_START = re.compile(rb'\s*\{\s*"' + REPORT_KEY.encode() + rb'"\s*:')
# The start of a learning-curve results file, whose first key is its format.
_RESULTS_START = re.compile(
    rb'\s*\{\s*"format"\s*:\s*"' + re.escape(STORE_FORMAT.encode()) + rb'"'
)
# The start of a file that Vocabulary.save wrote, with the keys of
# Vocabulary.to_dict in their order.
_VOCABULARY_START = re.compile(
    rb'\s*\{\s*"format_version"\s*:\s*[0-9]+\s*,\s*"tokens"\s*:'
)
# Existing JSON files that a JSON output replaces start with these.
_JSON_STARTS = {
    JSON_REPORT: _REPORT_START,
    RESULTS_STORE: _RESULTS_START,
    VOCABULARY_FILE: _VOCABULARY_START,
}
# Image outputs, which replace only an image that embedsent drew.
_IMAGE_OUTPUTS = (PNG_IMAGE, PLOT_IMAGE)

# The creator tag that every embedsent plot carries. Every ``savefig`` call in
# embedsent passes ``metadata=PLOT_METADATA``. matplotlib writes the "Creator"
# key as a PNG tEXt chunk, as the <dc:creator> agent of an SVG and as the
# /Creator entry of a PDF's information dictionary.
PLOT_CREATOR = "embedsent"
PLOT_METADATA = {"Creator": PLOT_CREATOR}
_CREATOR_BYTES = PLOT_CREATOR.encode("ascii")
_PNG_CREATOR_TEXT = b"Creator\x00" + _CREATOR_BYTES
# A PNG chunk starts with its data length (4 bytes, big-endian) and type, so
# the length rules out a longer value that starts with the tag.
_PNG_CREATOR = len(_PNG_CREATOR_TEXT).to_bytes(4, "big") + b"tEXt" + _PNG_CREATOR_TEXT
_SVG_CREATOR = re.compile(
    rb"<dc:creator>\s*<cc:Agent>\s*<dc:title>" + _CREATOR_BYTES + rb"</dc:title>"
)
_PDF_CREATOR = re.compile(rb"/Creator\s*\(" + _CREATOR_BYTES + rb"\)")


def check_replaceable(
    path: str | os.PathLike,
    expected: FileKind,
    label: str,
    fix: str = "pass another path",
) -> None:
    """Reject an existing file at ``path`` whose kind is not ``expected``.

    Writing an output of kind ``expected`` to ``path`` would replace the file.
    A file of the same kind is replaced, so that a rerun writes its output
    again. An empty file is replaced too, because replacing it loses nothing.
    So is a file that cannot be read, which the write then reports if it
    fails. A path that does not exist, or is not a regular file, passes,
    because the writer rejects a folder, a FIFO or a device itself.

    At most the first and last 4096 bytes of the file are read, and the
    metadata entry of an ``.npz`` bundle.

    Args:
        path: The path that the output would be written to. A symbolic link
            is followed, as storage.write_atomic follows it.
        expected: The kind of file that the output is, such as
            ``file_kinds.BUNDLE_KINDS[MODEL_FORMAT]`` or ``WORD_VECTORS``.
        label: What gave ``path``, for the message, such as ``"--out"`` or
            ``"path"``.
        fix: What to do instead of replacing the file, for the message.

    Raises:
        ValueError: If ``path`` is an existing file of another kind. The
            message names ``label``, ``path``, the kind found and ``fix``.
    """
    value = os.fspath(path)
    file = Path(value)
    if not file.is_file():
        return
    found = _describe_other_kind(file, expected)
    if found is None:
        return
    raise ValueError(
        f"{label} {value} is {found}; {fix}, or delete it first if you mean to "
        "replace it"
    )


def read_head(path: Path) -> bytes | None:
    """Return the first 4096 bytes of the file at ``path``, or None if unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read(_HEAD_BYTES)
    except OSError:
        return None


def _describe_other_kind(path: Path, expected: FileKind) -> str | None:
    """Describe the file at ``path`` when an output of ``expected`` may not replace it.

    Returns None when the file may be replaced, and otherwise its kind
    followed by the reason, such as "a .csv table (a text file), not an
    embedsent JSON report".
    """
    found = identify_file(path)
    if found.category in ("empty", "unreadable"):
        return None
    head = read_head(path) or b""
    if expected in _IMAGE_OUTPUTS:
        image = _image_name(head)
        # A PNG output replaces only a PNG image, so other images are named
        # below, with the output's kind.
        if expected == PNG_IMAGE and not head.startswith(_PNG_MAGIC):
            image = None
        if image is not None:
            if _drawn_by_embedsent(path, head):
                return None
            # A plot that embedsent drew before it wrote PLOT_METADATA names
            # only matplotlib, as any matplotlib figure does, so it is kept:
            # replacing it could destroy a figure that the user drew.
            return (
                f"{image} that embedsent did not draw (it lacks the creator tag "
                f"{PLOT_CREATOR!r} that embedsent writes into its plots)"
            )
    elif expected in _JSON_STARTS:
        if found.category == "text" and _JSON_STARTS[expected].match(
            head.removeprefix(_UTF8_MARK)
        ):
            if is_json_document(head):
                return None
            # embedsent writes each of these files as one JSON document, so a
            # JSON Lines file whose first record looks like one is kept.
            return (
                f"a JSON Lines file (a text file), not {expected.name}: its first "
                "line is a whole JSON value, and more lines follow"
            )
    elif expected == MARKDOWN_TEXT:
        if found.category == "text":
            return None
    elif expected == WORD_VECTORS:
        if found.category == "vectors":
            return _describe_vectors_table(path, head, found)
    elif found == expected:
        return None
    return f"{_name_found(path, head, found)}, not {expected.name}"


def _describe_vectors_table(path: Path, head: bytes, found: FileKind) -> str | None:
    """Describe a file that reads as word vectors but that embedsent did not write.

    Returns None for a file that a word-vector save may replace. A headerless
    table of words and numbers reads as GloVe vectors, so a file whose suffix
    marks a table or JSON is kept, and so is a text file with a tab in its
    rows: embedsent and GloVe separate fields with spaces, although the
    reader (embedsent.vector_parse) splits fields on any ASCII whitespace. A
    ``.txt`` file of space-separated numbers is indistinguishable from GloVe
    vectors, so it is replaced.
    """
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return (
            f"a {suffix} file, not {WORD_VECTORS.name} that embedsent wrote: its "
            f"rows read as word vectors, but the suffix {suffix} marks a table"
        )
    # The rows of a word2vec binary file hold raw floats, whose bytes may be
    # 0x09, so only its text header line is searched for a tab.
    text = head.split(b"\n", 1)[0] if found == WORD2VEC_BINARY else head
    if b"\t" in text:
        return (
            f"a tab-separated table (a text file), not {WORD_VECTORS.name} that "
            "embedsent wrote: embedsent and GloVe separate fields with spaces"
        )
    return None


def _name_found(path: Path, head: bytes, found: FileKind) -> str:
    """Name the file at ``path``, which identify_file named ``found``."""
    if found.category == "text":
        # Another kind of JSON file that embedsent writes is named as such.
        for kind, start in _JSON_STARTS.items():
            if start.match(head.removeprefix(_UTF8_MARK)):
                return kind.name
        return describe_text_file(path, head, found)
    if found.category == "binary" and _image_name(head) is not None:
        return "an image file"
    return found.name


def _image_name(head: bytes) -> str | None:
    """Name the image format of a file that starts with ``head``, or return None.

    The formats are those that matplotlib writes for embedsent's plots.
    """
    if head.startswith(_PNG_MAGIC):
        return "a PNG image"
    if head.startswith(_PDF_MAGIC):
        return "a PDF file"
    start = head.removeprefix(_UTF8_MARK).lstrip()[:256]
    if start.startswith((b"<?xml", b"<svg")) and b"<svg" in head:
        return "an SVG image"
    return None


def _drawn_by_embedsent(path: Path, head: bytes) -> bool:
    """Return whether an image file carries embedsent's creator tag.

    matplotlib writes the tag near the start of a PNG (a tEXt chunk before
    the image data) or an SVG (its metadata element). In a PDF it writes the
    tag in the information dictionary at the end, so the last bytes are read.
    """
    if head.startswith(_PNG_MAGIC):
        return _PNG_CREATOR in head
    if not head.startswith(_PDF_MAGIC):
        return _SVG_CREATOR.search(head) is not None
    try:
        with open(path, "rb") as handle:
            handle.seek(max(path.stat().st_size - _HEAD_BYTES, 0))
            return _PDF_CREATOR.search(handle.read(_HEAD_BYTES)) is not None
    except OSError:
        return False
