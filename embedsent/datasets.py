"""Loaders for labeled and unlabeled review corpora, and balanced sampling.

Every loader returns plain Python strings with their labels in a
:class:`LabeledTexts`, or a :class:`SplitCorpus` that also carries unlabeled
texts for training word vectors. Loaders read files in place and never
download anything.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import io
import json
import logging
import lzma
import math
import os
import re
import shlex
import sys
import tarfile
import threading
import time
import zlib
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
from tqdm.auto import tqdm

from embedsent.json_nesting import json_type_name, parse_json

__all__ = [
    "LabeledTexts",
    "SplitCorpus",
    "aclimdb_review_files",
    "load_aclimdb",
    "load_default_corpus",
    "load_rt_polarity",
    "load_pang_lee",
    "load_table",
    "read_table_columns",
    "numeric_label_clashes",
    "describe_label_clashes",
    "read_text",
    "decode_text",
    "balanced_sample",
    "limit_corpus",
    "TextDecodeError",
    "ColumnNotFoundError",
    "LoneSurrogateError",
    "ArchiveReadError",
]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------


def _sorted_labels(labels: Iterable[Hashable]) -> list[Hashable]:
    """Sort distinct labels, falling back to (type name, repr) for mixed types."""
    distinct = set(labels)
    try:
        return sorted(distinct)  # type: ignore[type-var]
    except TypeError:
        return sorted(distinct, key=lambda label: (type(label).__name__, repr(label)))


def _as_tuple(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, str | bytes):
        raise TypeError(
            f"{name} must be a sequence of items, got a single "
            f"{type(values).__name__} {values[:40]!r}. Wrap it in a list"
        )
    try:
        return tuple(values)
    except TypeError:
        raise TypeError(
            f"{name} must be a list or tuple, got {type(values).__name__}"
        ) from None


@dataclass(frozen=True)
class LabeledTexts:
    """Texts with one label each, aligned by position.

    Lists (or any other iterable) passed to the constructor are stored as
    tuples, so an instance shares no mutable state with its caller.

    Attributes:
        texts: The documents, one string each.
        labels: One hashable label per text, for example ``"pos"`` or ``1``.
    """

    texts: tuple[str, ...]
    labels: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        texts = _as_tuple("texts", self.texts)
        labels = _as_tuple("labels", self.labels)
        if len(texts) != len(labels):
            raise ValueError(
                f"texts and labels must have the same length, got "
                f"{len(texts)} texts and {len(labels)} labels"
            )
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(
                    f"texts[{index}] must be a str, got {type(text).__name__} "
                    f"{text!r:.60}"
                )
        for index, label in enumerate(labels):
            if not isinstance(label, Hashable):
                raise TypeError(
                    f"labels[{index}] must be hashable (str, int, ...), got "
                    f"{type(label).__name__} {label!r:.60}"
                )
        object.__setattr__(self, "texts", texts)
        object.__setattr__(self, "labels", labels)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int]) -> LabeledTexts:
        """Select examples by position.

        Args:
            indices: Positions in ``range(len(self))``, in the order wanted.
                Repeats are allowed. A numpy integer array works too.

        Returns:
            A new ``LabeledTexts`` with the selected examples in the given order.

        Raises:
            TypeError: If ``indices`` is a boolean mask or contains non-integers.
            IndexError: If an index is negative or ``>= len(self)``.
        """
        positions = np.asarray(indices)
        if positions.size == 0:
            return LabeledTexts((), ())
        if positions.dtype == np.bool_:
            raise TypeError(
                "indices must be integer positions, got a boolean mask. "
                "Convert it with np.flatnonzero(mask)"
            )
        if positions.ndim != 1 or not np.issubdtype(positions.dtype, np.integer):
            raise TypeError(
                f"indices must be a 1-D sequence of ints, got dtype "
                f"{positions.dtype} with shape {positions.shape}"
            )
        out_of_range = (positions < 0) | (positions >= len(self))
        if out_of_range.any():
            bad = int(positions[np.flatnonzero(out_of_range)[0]])
            raise IndexError(
                f"index {bad} is out of range for {len(self)} examples. "
                f"Indices must be in [0, {len(self)})"
            )
        return LabeledTexts(
            tuple(self.texts[i] for i in positions.tolist()),
            tuple(self.labels[i] for i in positions.tolist()),
        )

    def label_counts(self) -> dict[Hashable, int]:
        """Count the examples of each label, keyed in sorted label order."""
        counts: dict[Hashable, int] = {}
        for label in self.labels:
            counts[label] = counts.get(label, 0) + 1
        return {label: counts[label] for label in _sorted_labels(counts)}


@dataclass(frozen=True)
class SplitCorpus:
    """A corpus split into unlabeled texts and labeled train and test sets.

    Attributes:
        name: Short identifier of the corpus, for logs and reports.
        unlabeled: Texts without labels, for training word vectors.
        train: Labeled examples for fitting a classifier.
        test: Labeled examples held out for evaluation.
    """

    name: str
    unlabeled: tuple[str, ...]
    train: LabeledTexts
    test: LabeledTexts

    def __post_init__(self) -> None:
        unlabeled = _as_tuple("unlabeled", self.unlabeled)
        for index, text in enumerate(unlabeled):
            if not isinstance(text, str):
                raise TypeError(
                    f"unlabeled[{index}] must be a str, got {type(text).__name__}"
                )
        for field_name in ("train", "test"):
            value = getattr(self, field_name)
            if not isinstance(value, LabeledTexts):
                raise TypeError(
                    f"{field_name} must be a LabeledTexts, got {type(value).__name__}"
                )
        object.__setattr__(self, "unlabeled", unlabeled)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class TextDecodeError(ValueError):
    """A text input that does not decode with the requested encoding.

    The attributes let a caller word its own fix, such as a command-line flag.

    Attributes:
        source: The file path, or a stream name such as ``<stdin>``.
        encoding: The encoding that failed.
        location: Where decoding failed, such as ``byte 12 (line 3)``.
        reason: The codec's reason, such as ``invalid start byte``.
    """

    def __init__(
        self, message: str, *, source: str, encoding: str, location: str, reason: str
    ) -> None:
        super().__init__(message)
        self.source = source
        self.encoding = encoding
        self.location = location
        self.reason = reason


class ColumnNotFoundError(ValueError):
    """A table without one or more requested columns (or JSON keys).

    Attributes:
        source: The table file.
        column: The first missing column, in the order text, label.
        found: The columns (or keys) that the header (or record) contains.
        location: ``"the header"``, or the line of the JSON record.
        case_matches: The columns in ``found`` that equal ``column`` when case
            is ignored, such as "Text" for "text".
        apparent_delimiter: For a CSV or TSV header of one column, a
            delimiter character that the column name contains, such as ";"
            for "text;label"; None otherwise.
        missing: Every missing column, ``column`` first, mapped to its case
            matches in ``found``.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        column: str,
        found: list[str],
        location: str,
        case_matches: Sequence[str] = (),
        apparent_delimiter: str | None = None,
        missing: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.column = column
        self.found = found
        self.location = location
        self.case_matches = list(case_matches)
        self.apparent_delimiter = apparent_delimiter
        if missing is None:
            missing = {column: case_matches}
        self.missing = {name: list(matches) for name, matches in missing.items()}

    def delimiter_note(self) -> str:
        """Describe the apparent delimiter and the fix; empty when there is none."""
        if self.apparent_delimiter is None:
            return ""
        return _delimiter_note(self.found[0], self.apparent_delimiter)


def _delimiter_note(header: str, delimiter: str) -> str:
    if delimiter in _DELIMITER_SUFFIXES:
        fix = f"rename the file to {_DELIMITER_SUFFIXES[delimiter]}"
    else:
        fix = "save it again as comma-separated .csv or tab-separated .tsv"
    return (
        f"the header has a single column, {header!r}, so the file seems to use "
        f"{delimiter!r} as its delimiter, but embedsent reads .csv files with ',' "
        f"and .tsv files with a tab ('\\t') as the delimiter; {fix}"
    )


class LoneSurrogateError(ValueError):
    """A JSON Lines string with a lone UTF-16 surrogate, such as ``"\\ud800"``.

    Python's json module reads such an escape as a str that cannot be
    encoded as UTF-8, so the text would fail later, when it is written.

    Attributes:
        source: The file path.
        location: The line and column, such as ``line 3, column 17``.
        found: The escape or character, such as ``\\ud800``.
    """

    def __init__(self, message: str, *, source: str, location: str, found: str):
        super().__init__(message)
        self.source = source
        self.location = location
        self.found = found


class ArchiveReadError(ValueError):
    """An aclImdb input file that is not a complete tar archive.

    Attributes:
        source: The file path.
        reason: tarfile's or the decompressor's reason, such as
            ``invalid header``.
    """

    def __init__(self, message: str, *, source: str, reason: str) -> None:
        super().__init__(message)
        self.source = source
        self.reason = reason


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------


def _check_path(name: str, value: Any) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(
            f"{name} must be a str or os.PathLike, got {type(value).__name__}"
        )
    return Path(value)


def _check_limits(max_per_class, max_unlabeled, seed) -> tuple:
    """Check the subset limits and seed; return the two limits."""
    per_class = _check_optional_count("max_per_class", max_per_class)
    unlabeled_limit = _check_optional_count("max_unlabeled", max_unlabeled)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return per_class, unlabeled_limit


def _check_optional_count(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"{name} must be an int or None, got {type(value).__name__} {value!r}"
        )
    if value < 0:
        raise ValueError(f"{name} must be >= 0 or None for no limit, got {value}")
    return int(value)


def _check_encoding(encoding: Any, errors: Any = "strict") -> None:
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a str, got {type(encoding).__name__}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(
            f"unknown encoding {encoding!r}. Use a Python codec name such as "
            f"'utf-8' or 'latin-1'"
        ) from None
    if not isinstance(errors, str):
        raise TypeError(f"errors must be a str, got {type(errors).__name__}")
    try:
        codecs.lookup_error(errors)
    except LookupError:
        raise ValueError(
            f"unknown errors handler {errors!r}. Use 'strict', 'replace' or 'ignore'"
        ) from None


def _reading_encoding(encoding: str) -> str:
    """Read UTF-8 as 'utf-8-sig' so a leading byte-order mark is dropped."""
    if codecs.lookup(encoding).name == "utf-8":
        return "utf-8-sig"
    return encoding


def _decode(raw: bytes, source: str, encoding: str, errors: str, hint: str) -> str:
    """Decode ``raw``, raising TextDecodeError with the byte offset and line.

    A leading byte-order mark (U+FEFF) is dropped whatever the encoding,
    because codecs such as utf-16-le keep it, and it would then be part of the
    first CSV column name or make the first JSON line invalid.
    """
    try:
        text = raw.decode(_reading_encoding(encoding), errors)
    except UnicodeDecodeError as error:
        # error.object excludes a byte-order mark that the codec stripped.
        offset = error.start + len(raw) - len(error.object)
        location = f"byte {offset}"
        if "\n".encode(encoding) == b"\n":
            line = error.object[: error.start].count(b"\n") + 1
            location += f" (line {line})"
        bad = error.object[error.start : error.end]
        raise TextDecodeError(
            f"{source} is not valid {encoding}: {error.reason} {bad!r} at "
            f"{location}. {hint}",
            source=source,
            encoding=encoding,
            location=location,
            reason=f"{error.reason} {bad!r}",
        ) from error
    return text.removeprefix("\ufeff")


def _read_text(
    path: Path, encoding: str, errors: str = "strict", hint: str = ""
) -> str:
    """Decode a whole file, naming the byte offset and line of a decode error."""
    return _decode(path.read_bytes(), str(path), encoding, errors, hint)


_ENCODING_HINT = (
    "Pass the file's encoding, for example encoding='latin-1', or "
    "errors='replace' to substitute undecodable bytes"
)


def decode_text(
    raw: bytes, source: str, *, encoding: str = "utf-8", errors: str = "strict"
) -> str:
    """Decode bytes read from ``source``, such as a file or standard input.

    A leading byte-order mark is dropped.

    Args:
        raw: The bytes.
        source: Name of the input in error messages, such as ``<stdin>``.
        encoding: Text encoding, a Python codec name.
        errors: Decoding error handler, as in :func:`open`.

    Raises:
        TextDecodeError: If ``raw`` does not decode with ``errors="strict"``;
            the message gives the byte offset and line.
        ValueError: If ``encoding`` or ``errors`` is unknown.
    """
    _check_encoding(encoding, errors)
    return _decode(raw, source, encoding, errors, _ENCODING_HINT)


def read_text(
    path: str | os.PathLike[str], *, encoding: str = "utf-8", errors: str = "strict"
) -> str:
    """Read a whole text file, with decode errors that give the byte and line.

    Args:
        path: The file.
        encoding: Text encoding, a Python codec name. A leading byte-order
            mark is dropped.
        errors: Decoding error handler, as in :func:`open`: ``"strict"``,
            ``"replace"`` or ``"ignore"``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        TextDecodeError: If the file does not decode.
        ValueError: If ``path`` is a folder, or ``encoding`` or ``errors`` is
            unknown.
    """
    source = _check_path("path", path)
    _check_encoding(encoding, errors)
    _require_file(source, "text file")
    return _read_text(source, encoding, errors, _ENCODING_HINT)


def _require_file(path: Path, description: str) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{description} not found: {path}")
    # The readers of this module read a file once, from start to end, so a
    # FIFO (named pipe), such as a shell process substitution, is read too,
    # and so is the null device, which reads as an empty file. Other devices,
    # such as /dev/zero, may never end.
    try:
        is_null = path.samefile(os.devnull)
    except OSError:
        is_null = False
    if path.is_file() or path.is_fifo() or is_null:
        return
    if path.is_dir():
        raise ValueError(
            f"{description} {path} is a folder, not a file; pass the path of a "
            "file in it"
        )
    if path.is_char_device():
        kind = "a character device"
    elif path.is_block_device():
        kind = "a block device"
    elif path.is_socket():
        kind = "a socket"
    else:
        kind = "a special file"
    raise ValueError(
        f"{description} {path} is {kind}, not a regular file or a FIFO; save "
        "its content to a regular file and pass that file"
    )


# ---------------------------------------------------------------------------
# IMDB (aclImdb layout)
# ---------------------------------------------------------------------------

# (split, subfolder, label) in the order the texts appear in the result.
_ACLIMDB_FOLDERS: tuple[tuple[str, str, str | None], ...] = (
    ("train", "pos", "pos"),
    ("train", "neg", "neg"),
    ("test", "pos", "pos"),
    ("test", "neg", "neg"),
    ("train", "unsup", None),
)
_ACLIMDB_LAYOUT = "train/pos, train/neg, train/unsup, test/pos and test/neg"


def _is_review_name(name: str) -> bool:
    # Names starting with "." are hidden files, such as macOS "._" metadata.
    return name.endswith(".txt") and not name.startswith(".")


def _choose(
    names: list[str], limit: int | None, seed: int, folder_index: int
) -> list[str]:
    """Return the names to keep: all of them, or a seeded subset of ``limit``.

    Names are sorted before drawing, so the subset depends only on the seed,
    the folder and the set of names, never on the order they were listed in.
    Each folder draws from its own generator, so limiting one folder does not
    change the subset drawn in another.
    """
    names = sorted(names)
    if limit is None or limit >= len(names):
        return names
    rng = np.random.default_rng([seed, folder_index])
    keep = np.sort(rng.choice(len(names), size=limit, replace=False))
    return [names[i] for i in keep.tolist()]


def _decode_review(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"review file {where} is not valid UTF-8 ({error.reason} at byte "
            f"{error.start}). The aclImdb reviews are UTF-8, so the file is "
            f"probably damaged. Replace it from an intact copy"
        ) from error


def _find_aclimdb_root(folder: Path) -> Path:
    if (folder / "train").is_dir() or (folder / "test").is_dir():
        return folder
    if (folder / "aclImdb").is_dir():
        return folder / "aclImdb"
    raise FileNotFoundError(
        f"no aclImdb dataset in {folder}: expected train/ and test/ folders "
        f"there, or an aclImdb/ folder containing them. Pass the folder that "
        f"contains train/ and test/, or the .tar.gz archive{_data_files_hint(folder)}"
    )


def _data_files_hint(folder: Path) -> str:
    """Name the text and table files in ``folder``, which load one at a time."""
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(folder)
            if entry.is_file()
            and Path(entry.name).suffix.lower() in (".txt", *_SUFFIX_FORMATS)
        )
    except OSError:
        return ""
    if not names:
        return ""
    if set(DEFAULT_CORPUS_FILES) <= set(names):
        return (
            f". {folder} has the layout of the shipped corpus "
            f"({', '.join(DEFAULT_CORPUS_FILES)}): the name 'default' loads the "
            "shipped one, and each of those files also loads on its own"
        )
    listed = ", ".join(names[:4]) + (
        f" and {len(names) - 4} more" if len(names) > 4 else ""
    )
    return f". To read a text or table file in {folder} ({listed}), pass that file"


def _review_names(directory: Path) -> list[str]:
    return [
        entry.name
        for entry in os.scandir(directory)
        if entry.is_file() and _is_review_name(entry.name)
    ]


def aclimdb_review_files(folder: str | os.PathLike) -> list[Path]:
    """Return every review file that ``load_aclimdb`` may read in ``folder``.

    These are the ``.txt`` files of ``train/{pos,neg,unsup}`` and
    ``test/{pos,neg}``, in that folder order and sorted by name within each.
    A missing subfolder contributes no file; ``load_aclimdb`` names it.

    Raises:
        FileNotFoundError: If ``folder`` contains no aclImdb layout.
    """
    root = _find_aclimdb_root(Path(folder))
    files = []
    for split, sub, _ in _ACLIMDB_FOLDERS:
        directory = root / split / sub
        if directory.is_dir():
            files.extend(directory / name for name in sorted(_review_names(directory)))
    return files


def _read_aclimdb_folder(
    folder: Path, limits: list[int | None], seed: int, progress: bool
) -> list[list[str]]:
    root = _find_aclimdb_root(folder)
    selected: list[list[Path]] = []
    for folder_index, (split, sub, _) in enumerate(_ACLIMDB_FOLDERS):
        if limits[folder_index] == 0:
            selected.append([])
            continue
        directory = root / split / sub
        if not directory.is_dir():
            raise FileNotFoundError(
                f"missing folder {directory}. The aclImdb layout has "
                f"{_ACLIMDB_LAYOUT} under {root}"
            )
        names = _review_names(directory)
        if not names:
            raise FileNotFoundError(
                f"no .txt review files in {directory}. The aclImdb layout has "
                f"one review per ID_RATING.txt file in each folder"
            )
        chosen_names = _choose(names, limits[folder_index], seed, folder_index)
        selected.append([directory / name for name in chosen_names])

    total = sum(len(paths) for paths in selected)
    texts: list[list[str]] = []
    with tqdm(total=total, disable=not progress, unit="file", desc="aclImdb") as bar:
        for paths in selected:
            folder_texts = []
            for path in paths:
                folder_texts.append(_decode_review(path.read_bytes(), str(path)))
                bar.update(1)
            texts.append(folder_texts)
    return texts


class _PrefixedStream:
    """A binary stream that returns ``prefix``, then the rest of ``handle``.

    It puts back bytes that were read to detect a format, so a FIFO, which
    cannot be reopened or rewound, is read once.
    """

    def __init__(self, prefix: bytes, handle: BinaryIO) -> None:
        self._prefix = prefix
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._handle.read(size)
        if size is None or size < 0:
            data = self._prefix + self._handle.read()
            self._prefix = b""
            return data
        data, self._prefix = self._prefix[:size], self._prefix[size:]
        return data


@contextlib.contextmanager
def _open_decompressed(path: Path) -> Iterator[BinaryIO]:
    """Open a file for binary reading, decompressing gzip, bzip2 or xz data.

    The compression is detected from the leading magic bytes, and the file is
    opened and read once, so it may be a FIFO. Unlike tarfile's own stream
    mode, these readers raise EOFError on a truncated stream, so a cut-off
    archive fails instead of losing its last reviews.
    """
    with open(path, "rb") as handle:
        magic = handle.read(6)
        raw = cast(BinaryIO, _PrefixedStream(magic, handle))
        if magic.startswith(b"\x1f\x8b"):
            stream = cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
        elif magic.startswith(b"BZh"):
            stream = cast(BinaryIO, bz2.BZ2File(raw, "rb"))
        elif magic.startswith(b"\xfd7zXZ\x00"):
            stream = cast(BinaryIO, lzma.LZMAFile(raw, "rb"))
        else:
            yield raw
            return
        # Closing a decompressor leaves the file object it reads open.
        with stream:
            yield stream


def _read_aclimdb_archive(
    archive: Path, limits: list[int | None], seed: int, progress: bool
) -> list[list[str]]:
    """Read the reviews in one sequential pass over a (compressed) tar stream."""
    folder_keys = {
        (split, sub): i for i, (split, sub, _) in enumerate(_ACLIMDB_FOLDERS)
    }
    contents: list[dict[str, bytes]] = [{} for _ in _ACLIMDB_FOLDERS]
    roots: set[str] = set()
    try:
        # Mode "r|" reads the tar as a stream, so the file is decompressed once
        # from start to end and nothing is written to disk.
        with (
            _open_decompressed(archive) as raw,
            tarfile.open(fileobj=raw, mode="r|") as stream,
        ):
            for member in tqdm(
                stream, disable=not progress, unit="member", desc="aclImdb"
            ):
                if not member.isfile():
                    continue
                parts = [
                    part for part in member.name.split("/") if part not in ("", ".")
                ]
                if len(parts) < 3 or not _is_review_name(parts[-1]):
                    continue
                folder_index = folder_keys.get((parts[-3], parts[-2]))
                if folder_index is None or limits[folder_index] == 0:
                    continue
                roots.add("/".join(parts[:-3]))
                extracted = stream.extractfile(member)
                if extracted is not None:
                    contents[folder_index][parts[-1]] = extracted.read()
            # tarfile stops at the end-of-archive blocks. Reading the rest makes
            # the decompressor check the end-of-stream marker and checksum.
            while raw.read(1 << 16):
                pass
    except (
        tarfile.TarError,
        EOFError,
        gzip.BadGzipFile,
        zlib.error,
        lzma.LZMAError,
    ) as error:
        raise ArchiveReadError(
            f"cannot read {archive} as a tar archive ({error}). Pass the aclImdb "
            f"folder or a complete .tar, .tar.gz, .tgz, .tar.bz2 or .tar.xz "
            f"archive of it",
            source=str(archive),
            reason=str(error),
        ) from error

    if len(roots) > 1:
        raise ValueError(
            f"archive {archive} contains reviews under several top-level "
            f"folders {sorted(roots)}, but it must contain exactly one aclImdb tree"
        )
    root = next(iter(roots), "aclImdb")
    prefix = f"{root}/" if root else ""

    texts: list[list[str]] = []
    for folder_index, (split, sub, _) in enumerate(_ACLIMDB_FOLDERS):
        members = contents[folder_index]
        if limits[folder_index] == 0:
            texts.append([])
            continue
        if not members:
            raise FileNotFoundError(
                f"archive {archive} has no .txt reviews under "
                f"{prefix}{split}/{sub}/. The aclImdb layout has {_ACLIMDB_LAYOUT}"
            )
        chosen_names = _choose(list(members), limits[folder_index], seed, folder_index)
        texts.append(
            [
                _decode_review(
                    members[name], f"{prefix}{split}/{sub}/{name} in {archive}"
                )
                for name in chosen_names
            ]
        )
    return texts


def load_aclimdb(
    path: str | os.PathLike[str],
    *,
    max_per_class: int | None = None,
    max_unlabeled: int | None = None,
    seed: int = 0,
    progress: bool = False,
    with_test: bool = True,
) -> SplitCorpus:
    """Load the Large Movie Review Dataset (aclImdb) from a folder or archive.

    The dataset stores one UTF-8 review per ``ID_RATING.txt`` file in
    ``train/{pos,neg,unsup}`` and ``test/{pos,neg}``. An archive is read in
    place as one sequential stream and is never extracted to disk. Because
    member names must be sorted before a subset is drawn, the bytes of every
    review in the requested folders stay in memory until the stream ends,
    even with limits set. ``max_unlabeled=0`` skips the unlabeled reviews.

    Labeled texts come out as all ``"pos"`` reviews, then all ``"neg"``
    reviews, each group sorted by file name. Subsets keep that order.

    Args:
        path: The dataset folder (the one containing ``train/`` and
            ``test/``), its parent folder containing ``aclImdb/``, or a
            tar archive of either (uncompressed, gzip, bzip2 or xz).
        max_per_class: Keep at most this many reviews of each class in each
            of train and test, chosen at random. ``None`` keeps all.
        max_unlabeled: Keep at most this many ``train/unsup`` reviews, chosen
            at random. ``None`` keeps all, and ``0`` skips the folder, which
            may then be absent.
        seed: Seed for the random subsets. The same seed and files give the
            same subsets from a folder and from an archive, whatever the
            order of the archive's members.
        progress: Show a tqdm progress bar on stderr.
        with_test: Read ``test/pos`` and ``test/neg``. False skips them,
            so they may be absent or empty, and the corpus's test split is
            empty.

    Returns:
        A ``SplitCorpus`` named ``"aclImdb"`` with labels ``"pos"``/``"neg"``.

    Raises:
        FileNotFoundError: If ``path`` or one of the dataset folders is
            missing, or a folder has no ``.txt`` files.
        ValueError: If ``path`` is a file that is not a complete tar
            archive, a review is not valid UTF-8, or a limit is negative.
        TypeError: If an argument has the wrong type.
    """
    source = _check_path("path", path)
    per_class, unlabeled_limit = _check_limits(max_per_class, max_unlabeled, seed)
    if not source.exists():
        # A relative path is read from the working folder, which in a
        # notebook is the notebook's own folder.
        where = str(source)
        if not source.is_absolute():
            where += f" ({source.absolute()}, relative to the working folder)"
        raise FileNotFoundError(
            f"aclImdb dataset not found at {where}. Pass the dataset folder or "
            f"its .tar.gz archive"
        )
    # A limit of 0 skips a folder, and the readers then do not require it.
    limits = [
        unlabeled_limit if label is None else per_class
        for _, _, label in _ACLIMDB_FOLDERS
    ]
    if not with_test:
        limits = [
            0 if split == "test" else limit
            for (split, _, _), limit in zip(_ACLIMDB_FOLDERS, limits, strict=True)
        ]

    logger.info("Loading aclImdb from %s", source)
    started = time.perf_counter()
    if source.is_dir():
        texts = _read_aclimdb_folder(source, limits, int(seed), progress)
    else:
        texts = _read_aclimdb_archive(source, limits, int(seed), progress)

    splits: dict[str, tuple[list[str], list[str]]] = {
        "train": ([], []),
        "test": ([], []),
    }
    unlabeled: list[str] = []
    for (split, _, label), folder_texts in zip(_ACLIMDB_FOLDERS, texts, strict=True):
        if label is None:
            unlabeled.extend(folder_texts)
            continue
        split_texts, split_labels = splits[split]
        split_texts.extend(folder_texts)
        split_labels.extend([label] * len(folder_texts))
    corpus = SplitCorpus(
        name="aclImdb",
        unlabeled=tuple(unlabeled),
        train=LabeledTexts(*splits["train"]),
        test=LabeledTexts(*splits["test"]),
    )
    logger.info(
        "Loaded aclImdb: %d train, %d test, %d unlabeled reviews in %.1f s",
        len(corpus.train),
        len(corpus.test),
        len(corpus.unlabeled),
        time.perf_counter() - started,
    )
    return corpus


# ---------------------------------------------------------------------------
# The repository's own corpus
# ---------------------------------------------------------------------------

# The files of the shipped corpus, inside <data_dir>/movie_reviews/.
DEFAULT_CORPUS_FILES = ("unlabeled.txt", "train.jsonl", "test.jsonl")


def load_default_corpus(data_dir: str | os.PathLike[str] | None = None) -> SplitCorpus:
    """Load the small movie-review corpus that ships in the repository.

    The corpus lives in ``<data_dir>/movie_reviews/``: ``unlabeled.txt`` with
    one review per line (blank lines skipped), and ``train.jsonl`` and
    ``test.jsonl`` with one ``{"text": ..., "label": "pos" | "neg"}`` object
    per line.

    Args:
        data_dir: Folder containing ``movie_reviews/``. ``None`` uses the
            ``data/`` folder next to the installed ``embedsent`` package,
            which exists in a source checkout.

    Returns:
        A ``SplitCorpus`` named ``"movie_reviews"``.

    Raises:
        FileNotFoundError: If a corpus file is missing.
        ValueError: If a file is malformed (see :func:`load_table`).
    """
    if data_dir is None:
        import embedsent

        base = Path(embedsent.__file__).resolve().parents[1] / "data"
        hint = (
            "The default corpus ships in the repository's data/ folder, so "
            "install embedsent from a clone (`pip install -e .`) or pass data_dir"
        )
    else:
        base = _check_path("data_dir", data_dir)
        hint = "Pass the folder that contains movie_reviews/ as data_dir"
    folder = base / "movie_reviews"
    paths = {name: folder / name for name in DEFAULT_CORPUS_FILES}
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"corpus file not found: {path}. {hint}")

    raw = _read_text(paths["unlabeled.txt"], "utf-8", hint="Save it as UTF-8")
    unlabeled = tuple(line.strip() for line in raw.split("\n") if line.strip())
    # With the default label_column, load_table returns LabeledTexts.
    train = cast(LabeledTexts, load_table(paths["train.jsonl"], format="jsonl"))
    test = cast(LabeledTexts, load_table(paths["test.jsonl"], format="jsonl"))
    corpus = SplitCorpus("movie_reviews", unlabeled, train, test)
    logger.debug(
        "Loaded movie_reviews from %s: %d unlabeled, %d train, %d test",
        folder,
        len(unlabeled),
        len(train),
        len(test),
    )
    return corpus


# ---------------------------------------------------------------------------
# Sentence polarity (Pang and Lee)
# ---------------------------------------------------------------------------


def _read_lines(path: Path, encoding: str, errors: str, hint: str) -> list[str]:
    """Read non-blank lines, stripped, ending at "\\n", "\\r\\n" or "\\r"."""
    text = _read_text(path, encoding, errors, hint)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.splitlines() would also split on characters such as "\x85" and
    # "\x0c", which can appear inside latin-1 decoded sentences.
    return [line.strip() for line in text.split("\n") if line.strip()]


def load_rt_polarity(
    pos_path: str | os.PathLike[str],
    neg_path: str | os.PathLike[str],
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabeledTexts:
    """Load sentence-polarity files with one sentence per line.

    This is the format of ``rt-polarity.pos`` and ``rt-polarity.neg`` from
    Pang and Lee's sentence polarity dataset v1.0, which are latin-1 encoded.

    Args:
        pos_path: File of positive sentences.
        neg_path: File of negative sentences.
        encoding: Text encoding of both files. Use ``"latin-1"`` for the
            original rt-polarity files.
        errors: Decoding error handler, as in :func:`open`. ``"replace"``
            turns undecodable bytes into U+FFFD.

    Returns:
        The positive sentences labeled ``"pos"``, then the negative ones
        labeled ``"neg"``, each in file order. Blank lines are skipped and
        surrounding whitespace is stripped.

    Raises:
        FileNotFoundError: If a file is missing.
        ValueError: If a file does not decode, has no sentences, or
            ``encoding``/``errors`` is unknown.
    """
    _check_encoding(encoding, errors)
    hint = (
        "The original rt-polarity files are latin-1 encoded, so pass "
        "encoding='latin-1', or errors='replace' to substitute bad bytes"
    )
    texts: list[str] = []
    labels: list[str] = []
    for name, label, value in (
        ("pos_path", "pos", pos_path),
        ("neg_path", "neg", neg_path),
    ):
        path = _check_path(name, value)
        _require_file(path, name)
        lines = _read_lines(path, encoding, errors, hint)
        if not lines:
            raise ValueError(f"{name} {path} contains no non-blank lines")
        texts.extend(lines)
        labels.extend([label] * len(lines))
    return LabeledTexts(texts, labels)


_PANG_LEE_PREFIX = "__label__"


def load_pang_lee() -> LabeledTexts:
    """Load the 200-sentence polarity sample that ships with gensim.

    The file is ``gensim.test.utils.datapath("pang_lee_polarity.cor")``, in
    fastText format: each line is ``__label__pos <sentence>`` or
    ``__label__neg <sentence>``. In gensim 4.4.0 it contains 100 sentences of
    each class. It is Windows-1252 encoded (it contains byte 0x97, an em
    dash), so it is decoded as cp1252.

    Returns:
        The sentences in file order with labels ``"pos"``/``"neg"``.

    Raises:
        FileNotFoundError: If the installed gensim lacks the file.
        ValueError: If a line lacks a ``__label__`` prefix or text.
    """
    from gensim.test.utils import datapath

    path = Path(datapath("pang_lee_polarity.cor"))
    if not path.is_file():
        raise FileNotFoundError(
            f"pang_lee_polarity.cor not found at {path}. Reinstall gensim "
            f"(gensim 4.4.0 ships it in gensim/test/test_data)"
        )
    texts: list[str] = []
    labels: list[str] = []
    raw = path.read_text(encoding="cp1252")
    for line_number, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        tag, _, text = line.strip().partition(" ")
        if not tag.startswith(_PANG_LEE_PREFIX) or not text.strip():
            raise ValueError(
                f"line {line_number} of {path} is not '__label__<label> <text>': "
                f"{line[:60]!r}"
            )
        texts.append(text.strip())
        labels.append(tag.removeprefix(_PANG_LEE_PREFIX))
    logger.debug("Loaded %d sentences from %s", len(texts), path)
    return LabeledTexts(texts, labels)


# ---------------------------------------------------------------------------
# CSV, TSV and JSON Lines tables
# ---------------------------------------------------------------------------

_TABLE_FORMATS = ("auto", "csv", "tsv", "jsonl")
# The suffix whose format reads a table with each delimiter.
_DELIMITER_SUFFIXES = {",": ".csv", "\t": ".tsv"}
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def _resolve_format(path: Path, format: str) -> str:
    if not isinstance(format, str) or format not in _TABLE_FORMATS:
        raise ValueError(
            f"format must be one of {', '.join(map(repr, _TABLE_FORMATS))}, "
            f"got {format!r}"
        )
    if format != "auto":
        return format
    detected = _SUFFIX_FORMATS.get(path.suffix.lower())
    if detected is None:
        raise ValueError(
            f"cannot detect the table format of {path} from its suffix "
            f"{path.suffix!r}. Known suffixes are {', '.join(_SUFFIX_FORMATS)}, "
            f"or pass format='csv', 'tsv' or 'jsonl'"
        )
    return detected


def _check_cell(
    value: Any,
    column: str,
    where: str,
    path: Path,
    *,
    is_text: bool,
    empty_text: bool = False,
) -> None:
    fix = "Fill it in or remove the record"
    if value is None:
        raise ValueError(
            f"{where} of {path}: missing value in column {column!r}. {fix}"
        )
    if is_text and not isinstance(value, str):
        raise TypeError(
            f"{where} of {path}: column {column!r} must be a string, got "
            f"{type(value).__name__} {value!r:.60}; put the text in quotes, "
            "or name the column that holds the texts (--text-column on the "
            "command line, text_column= in Python)"
        )
    if isinstance(value, str) and not value.strip() and not (is_text and empty_text):
        raise ValueError(f"{where} of {path}: empty value in column {column!r}. {fix}")
    if not isinstance(value, Hashable):
        raise TypeError(
            f"{where} of {path}: column {column!r} must be a string or number, "
            f"got {type(value).__name__} {value!r:.60}"
        )


# csv.field_size_limit() is process-wide state, so the readers of this module
# count themselves and the last one to finish restores the caller's limit.
_field_limit_lock = threading.Lock()
_field_limit_readers = 0
_saved_field_limit = 0


def _set_max_field_limit() -> int:
    """Set the csv field size limit to the platform's maximum and return the old one."""
    try:
        return csv.field_size_limit(sys.maxsize)
    except OverflowError:
        # The limit is a C long, which has 32 bits on Windows.
        return csv.field_size_limit(2**31 - 1)


@contextlib.contextmanager
def _unlimited_csv_fields() -> Iterator[None]:
    """Lift csv's field size limit (131072 characters by default) while reading.

    A review may be longer than the default limit. The previous limit is
    restored when the last reader of this module finishes, but other code that
    reads CSV in another thread meanwhile also gets the raised limit.
    """
    global _field_limit_readers, _saved_field_limit
    with _field_limit_lock:
        if _field_limit_readers == 0:
            _saved_field_limit = _set_max_field_limit()
        _field_limit_readers += 1
    try:
        yield
    finally:
        with _field_limit_lock:
            _field_limit_readers -= 1
            if _field_limit_readers == 0:
                csv.field_size_limit(_saved_field_limit)


def _apparent_delimiter(header: list[str], delimiter: str) -> str | None:
    """Return the delimiter that a header of one column seems to use, or None.

    A CSV or TSV file read with the wrong delimiter has its whole header row
    in one column, such as "text;label".
    """
    if len(header) != 1:
        return None
    counts = {
        candidate: header[0].count(candidate)
        for candidate in (";", "\t", ",", "|")
        if candidate != delimiter
    }
    likeliest = max(counts, key=counts.__getitem__)
    return likeliest if counts[likeliest] else None


# The data that each load_table column parameter names, for error messages.
_COLUMN_ROLES = {"text_column": "texts", "label_column": "labels"}


def _requested_missing(
    requested: Iterable[tuple[str | None, str]], found: Iterable[str]
) -> list[tuple[str, str]]:
    """Return the (column, parameter) pairs of ``requested`` absent from ``found``.

    A column of None is not requested, so it is never missing.
    """
    present = set(found)
    return [
        (column, parameter)
        for column, parameter in requested
        if column is not None and column not in present
    ]


def _quoted_names(names: Sequence[str]) -> str:
    """Join names as "'a'" or "'a' and 'b'" for a message."""
    quoted = [repr(name) for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"


_NO_ROWS_FIX = (
    "add one text per row (CSV or TSV, after the header) or per line "
    "(JSON Lines), or pass another file"
)


def _column_not_found(
    path: Path,
    missing: Sequence[tuple[str, str]],
    found: list[str],
    location: str,
    apparent_delimiter: str | None = None,
) -> ColumnNotFoundError:
    """Build the error for the columns of ``missing`` that ``found`` lacks.

    ``missing`` pairs each column with the ``load_table`` argument that names
    it, text column first. The message names every missing column and
    suggests a fix when a found column differs only in case or the header
    seems to use another delimiter.
    """
    case_matches = {
        column: [name for name in found if name.casefold() == column.casefold()]
        for column, _ in missing
    }
    columns = [column for column, _ in missing]
    names = "column" if len(columns) == 1 else "columns"
    names += f" {_quoted_names(columns)}"
    if location == "the header":
        message = f"{names} not found in {path}. Columns found: {found}"
    else:
        message = f"{names} not found on {location} of {path}. Keys found: {found}"
    fixes = []
    case_fix = _case_fix(missing, case_matches)
    if case_fix:
        fixes.append(case_fix)
    unmatched = [
        (column, parameter) for column, parameter in missing if not case_matches[column]
    ]
    if unmatched and apparent_delimiter is not None:
        note = _delimiter_note(found[0], apparent_delimiter)
        fix = note[0].upper() + note[1:]
        if apparent_delimiter in _DELIMITER_SUFFIXES:
            table_format = _SUFFIX_FORMATS[_DELIMITER_SUFFIXES[apparent_delimiter]]
            fix += f", or pass format={table_format!r}"
        fixes.append(fix)
    elif len(unmatched) == len(missing):
        fixes.append("Pass text_column= / label_column= to pick others")
    else:
        fixes.extend(
            f"Pass {parameter}= to name the column that contains the "
            f"{_COLUMN_ROLES[parameter]}"
            for _, parameter in unmatched
        )
    first = columns[0]
    return ColumnNotFoundError(
        f"{message}. {'. '.join(fixes)}",
        source=str(path),
        column=first,
        found=found,
        location=location,
        case_matches=case_matches[first],
        apparent_delimiter=apparent_delimiter,
        missing=case_matches,
    )


def _case_fix(
    missing: Sequence[tuple[str, str]], case_matches: Mapping[str, list[str]]
) -> str | None:
    """Suggest the found columns that differ from missing ones only in case.

    Returns None when no missing column has such a match.
    """
    exact = [
        f"{parameter}={case_matches[column][0]!r}"
        for column, parameter in missing
        if len(case_matches[column]) == 1
    ]
    ambiguous = [
        f"{case_matches[column]} differ from {column!r} only in case; pass one of "
        f"them as {parameter}="
        for column, parameter in missing
        if len(case_matches[column]) > 1
    ]
    if exact:
        clauses = [f"pass {' and '.join(exact)}", *ambiguous]
        return f"Column names are case-sensitive; {'. '.join(clauses)}"
    if ambiguous:
        return f"Column names are case-sensitive, and {'. '.join(ambiguous)}"
    return None


def _read_delimited(
    content: str,
    path: Path,
    table_format: str,
    text_column: str,
    label_column: str | None,
    empty_texts: bool = False,
) -> tuple[list[str], list[Hashable]]:
    texts: list[str] = []
    labels: list[Hashable] = []
    delimiter = "\t" if table_format == "tsv" else ","
    # newline="" keeps line endings untranslated, which the csv module needs
    # to handle newlines inside quoted fields.
    with io.StringIO(content, newline="") as handle, _unlimited_csv_fields():
        # strict=True raises csv.Error on an unterminated quote instead of
        # silently reading the rest of the file into one field.
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        record_start = 1
        try:
            header: list[str] | None = next(reader, None)
            while header == []:
                header = next(reader, None)
            if header is None:
                raise ValueError(f"{path} is empty, but a header row is expected")
            missing = _requested_missing(
                ((text_column, "text_column"), (label_column, "label_column")),
                header,
            )
            if missing:
                raise _column_not_found(
                    path,
                    missing,
                    header,
                    "the header",
                    _apparent_delimiter(header, delimiter),
                )
            for column in (text_column, label_column):
                if column is not None and header.count(column) > 1:
                    raise ValueError(
                        f"column {column!r} appears {header.count(column)} times "
                        f"in the header of {path}, so its values are ambiguous; "
                        "rename the duplicates"
                    )
            row_number = 0
            while True:
                record_start = reader.line_num + 1
                fields = next(reader, None)
                if fields is None:
                    break
                if not fields:
                    # In a table of one column, a blank line is the only way
                    # to write an empty cell without quotes.
                    if not (empty_texts and len(header) == 1):
                        continue
                    fields = [""]
                row_number += 1
                where = f"row {row_number} (line {record_start})"
                if len(fields) > len(header):
                    # A comma inside an unquoted text shifts every later
                    # field, which would silently mislabel the row. A short
                    # row fails below if it lacks a column that is read.
                    raise ValueError(
                        f"{where} of {path} has {len(fields)} fields but the "
                        f"header has {len(header)}; quote texts that contain "
                        f"the delimiter {delimiter!r}, for example "
                        '"great movie, loved it"'
                    )
                row = dict(zip(header, fields, strict=False))
                text = row.get(text_column)
                _check_cell(
                    text, text_column, where, path, is_text=True, empty_text=empty_texts
                )
                texts.append(text)
                if label_column is not None:
                    label = row.get(label_column)
                    _check_cell(label, label_column, where, path, is_text=False)
                    labels.append(label)
        except csv.Error as error:
            raise ValueError(
                f"malformed {table_format.upper()} in {path}, in the record "
                f"starting at line {record_start}: {error}. Check the quoting "
                f"in that record"
            ) from error
    return texts, labels


def _check_json_label(label: Any, column: str, where: str, path: Path) -> None:
    """Raise ValueError for a JSON label that is NaN or infinite.

    Python's json module reads ``NaN`` and ``Infinity``, and reads a number
    beyond the float range, such as ``1e400``, as infinity.
    """
    if isinstance(label, float) and not math.isfinite(label):
        raise ValueError(
            f"{where} of {path}: the label in column {column!r} reads as "
            f"{label!r}, which is not a finite number (JSON NaN, Infinity, or a "
            "number beyond the float range such as 1e400). Write the class as a "
            "finite number or a string"
        )


def _json_label_kind(label: Any) -> str | None:
    """Return "boolean" or "number" for a JSON label of that type, else None."""
    if isinstance(label, bool):
        return "boolean"
    if isinstance(label, int | float):
        return "number"
    return None


class _ObjectPairs:
    """``object_pairs_hook`` for ``json.loads`` that notes duplicated keys.

    The hook runs once per JSON object, innermost first, so after a line is
    parsed ``pairs`` contains the key-value pairs of its outermost object when
    that object has a key more than once, and None otherwise. The hook costs
    one Python call per JSON object.
    """

    def __init__(self) -> None:
        self.pairs: list[tuple[str, Any]] | None = None

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        record = dict(pairs)
        self.pairs = pairs if len(record) < len(pairs) else None
        return record


def _check_duplicate_keys(
    pairs: list[tuple[str, Any]] | None,
    columns: tuple[str | None, ...],
    line_number: int,
    path: Path,
) -> None:
    """Raise ValueError when a column that is read appears twice in one object.

    Python's json module keeps the last value of a duplicated key, so the
    label of ``{"label": "pos", "label": "neg"}`` would silently be "neg". As
    for a CSV header, a duplicated key that is not read, or one inside a
    nested object, is left alone: its value does not reach the data.
    """
    if pairs is None:
        return
    keys = [key for key, _ in pairs]
    for column in columns:
        if column is not None and keys.count(column) > 1:
            raise ValueError(
                f"key {column!r} appears {keys.count(column)} times in the "
                f"object on line {line_number} of {path}, so its value is "
                "ambiguous; remove or rename the duplicates"
            )


def _check_not_json_array(content: str, path: Path) -> None:
    """Raise ValueError when ``content`` is a JSON array instead of JSON Lines.

    A pretty-printed array fails to parse line by line, and the parse error
    of its first line ("Expecting value") does not say what is wrong. A first
    line that is a whole array on its own, with more records after it, is a
    JSON Lines record of the wrong type, which the line reader reports.
    """
    body = content.lstrip("\ufeff")
    text = body.lstrip()
    if not text.startswith("["):
        return
    # The line reader splits only on "\n", so the first line ends there too.
    end = text.find("\n")
    more_lines = end >= 0 and _NON_SPACE.search(text, end) is not None
    if more_lines and _is_whole_json(text[:end]):
        return
    try:
        # Parse the whole body, so that the error gives the file's line numbers.
        json.loads(body)
    except RecursionError:
        pass  # Too deeply nested to check, so the jq hint below is given.
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path} starts with '[' like a JSON array, but is not valid JSON: "
            f"{error.msg} at line {error.lineno}, column {error.colno}; table files "
            "must be JSON Lines, one object per line, so repair or rewrite it"
        ) from error
    raise ValueError(
        f"{path} is a JSON array, but table files must be JSON Lines, one object "
        f"per line; convert it first, for example with `{_jq_command('.[]', path)}`"
    )


def _check_not_multiline_object(content: str, path: Path) -> None:
    """Raise ValueError when the first object of ``content`` spans several lines.

    A pretty-printed object, as ``jq .`` or ``json.dump(..., indent=2)`` writes
    it, fails to parse line by line, and the parse error of its first line
    ("Expecting property name enclosed in double quotes") does not say what is
    wrong. When the object does not parse either, a first line of "{" alone
    gets the position of the error in the whole file, and any other first
    line is left to the line reader, which names that line.
    """
    body = content.lstrip("\ufeff")
    text = body.lstrip()
    if not text.startswith("{"):
        return
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    if _is_whole_json(first_line):
        return
    start = len(body) - len(text)
    try:
        record, stop = json.JSONDecoder().raw_decode(body, start)
    except RecursionError:
        return  # The line reader reports the nesting with its line number.
    except json.JSONDecodeError as error:
        if first_line.strip() != "{":
            return
        # A "{" alone on the first line is how pretty-printers start an
        # object, so the position in the whole file is the useful one.
        raise ValueError(
            f"{path} starts with a line '{{' like a pretty-printed JSON object, "
            f"but is not valid JSON: {error.msg} at line {error.lineno}, column "
            f"{error.colno}; table files must be JSON Lines, one object per line, "
            "so repair it and write each object on one line"
        ) from error
    first = body.count("\n", 0, start) + 1
    last = body.count("\n", 0, stop) + 1
    raise ValueError(
        f"{path} has a pretty-printed JSON object on lines {first}-{last}, but "
        "table files must be JSON Lines, one object per line; convert it first, "
        f"for example with `{_jq_command('.', path)}`"
    )


def _jq_command(jq_filter: str, path: Path) -> str:
    """Return a jq command that writes ``path`` as JSON Lines to a new file.

    The output file is ``path`` with the suffix ``.jsonl``, or ``.lines.jsonl``
    when ``path`` already ends in ``.jsonl``, so that it does not overwrite
    the input.
    """
    converted = path.with_suffix(".jsonl")
    if converted == path:
        converted = path.with_name(f"{path.stem}.lines.jsonl")
    return (
        f"jq -c {shlex.quote(jq_filter)} {shlex.quote(str(path))} > "
        f"{shlex.quote(str(converted))}"
    )


def _check_json_lines_layout(content: str, path: Path) -> None:
    """Raise ValueError when ``content`` is a JSON array or pretty-printed JSON."""
    _check_not_json_array(content, path)
    _check_not_multiline_object(content, path)


_NON_SPACE = re.compile(r"\S")


def _is_whole_json(line: str) -> bool:
    """Return whether ``line`` parses as one JSON value on its own.

    A line nested too deeply to parse counts as whole, so that the line
    reader reports the nesting with its line number.
    """
    try:
        json.loads(line)
    except RecursionError:
        return True
    except ValueError:
        return False
    return True


# The fix named in the error for a JSON Lines record nested too deeply to parse.
_NESTING_FIX = (
    "flatten that record or remove its deeply nested field; embedsent reads "
    "only the text and label columns"
)


def _read_jsonl(
    content: str,
    path: Path,
    text_column: str,
    label_column: str | None,
    errors: str = "strict",
    empty_texts: bool = False,
) -> tuple[list[str], list[Hashable]]:
    texts: list[str] = []
    labels: list[Hashable] = []
    # The line and label of the first boolean and the first numeric label.
    # Python's False == 0 and True == 1, with equal hashes, so a column that
    # mixes the two would merge each boolean into a numeric class.
    first_of_kind: dict[str, tuple[int, Hashable]] = {}
    # The line and label of the first number and the first numeric string
    # of each value, such as 1 and "1".
    first_by_number: dict[Decimal, dict[str, tuple[int, Hashable]]] = {}
    # The line and label of the first boolean and the first string spelling
    # of each truth value, such as true and "True".
    first_by_truth: dict[bool, dict[str, tuple[int, Hashable]]] = {}
    # The line and label of the first int and the first float of each value,
    # such as 1 and 1.0, which Python counts as one class.
    first_by_number_type: dict[Decimal, dict[str, tuple[int, Hashable]]] = {}
    surrogates = _SurrogateCount()
    object_pairs = _ObjectPairs()
    read_columns = (text_column, label_column)
    _check_json_lines_layout(content, path)
    # Splitting on "\n" only, because str.splitlines() would also split on
    # U+2028 and U+2029, which JSON allows unescaped inside strings.
    for line_number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"line {line_number}"
        if errors == "strict":
            _check_lone_surrogate_escapes(line, line_number, path)
        object_pairs.pairs = None
        try:
            record = parse_json(
                line,
                source=f"line {line_number} of {path}",
                fix=_NESTING_FIX,
                object_pairs_hook=object_pairs,
            )
        except json.JSONDecodeError as error:
            raise ValueError(
                f"malformed JSON on line {line_number} of {path}: {error.msg} "
                f"at column {error.colno}. JSON Lines needs one complete "
                f"object per line"
            ) from error
        if not isinstance(record, dict):
            keys = f"a {text_column!r} key"
            if label_column is not None:
                keys += f" and a {label_column!r} key"
            raise ValueError(
                f"line {line_number} of {path} is a JSON {json_type_name(record)}, "
                "but JSON Lines table files hold one object per line; write that "
                f"record as an object with {keys}"
            )
        _check_duplicate_keys(object_pairs.pairs, read_columns, line_number, path)
        missing = _requested_missing(
            ((text_column, "text_column"), (label_column, "label_column")), record
        )
        if missing:
            raise _column_not_found(
                path, missing, sorted(record), f"line {line_number}"
            )
        text = surrogates.replace(record[text_column], errors, line_number)
        _check_cell(
            text, text_column, where, path, is_text=True, empty_text=empty_texts
        )
        texts.append(text)
        if label_column is not None:
            label = surrogates.replace(record[label_column], errors, line_number)
            _check_cell(label, label_column, where, path, is_text=False)
            _check_json_label(label, label_column, where, path)
            kind = _json_label_kind(label)
            if kind is not None:
                first_of_kind.setdefault(kind, (line_number, label))
                if len(first_of_kind) == 2:
                    _raise_mixed_boolean_labels(first_of_kind, label_column, path)
            _check_number_string_label(
                label, line_number, first_by_number, label_column, path
            )
            _check_boolean_string_label(
                label, line_number, first_by_truth, label_column, path
            )
            _check_int_float_label(
                label, line_number, first_by_number_type, label_column, path
            )
            labels.append(label)
    surrogates.warn(path, errors)
    return texts, labels


# A JSON escape: \uXXXX with its four hex digits, or a backslash and one
# character, so that an escaped backslash before "u" is not read as \u.
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
# The start of an escape of a code point from U+D800 to U+DFFF.
_SURROGATE_ESCAPE_START = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _find_lone_surrogate(line: str) -> tuple[int, str] | None:
    """Return the 0-based index and text of the first lone surrogate in ``line``.

    A lone surrogate is a ``\\uD800``-``\\uDFFF`` escape that is not a high
    surrogate directly followed by a low one, or a surrogate character in the
    line itself, which only some codecs and error handlers produce.
    """
    raw = _SURROGATE.search(line)
    found = (raw.start(), f"U+{ord(raw.group()):04X}") if raw else None
    if not _SURROGATE_ESCAPE_START.search(line):
        return found
    pending: re.Match[str] | None = None
    for match in _JSON_ESCAPE.finditer(line):
        code = int(match.group(1), 16) if match.group(1) else None
        if pending is not None:
            if (
                code is not None
                and 0xDC00 <= code <= 0xDFFF
                and match.start() == pending.end()
            ):
                pending = None
                continue
            break
        if code is not None and 0xD800 <= code <= 0xDBFF:
            pending = match
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            pending = match
            break
    if pending is not None and (found is None or pending.start() < found[0]):
        return pending.start(), pending.group()
    return found


def _check_lone_surrogate_escapes(line: str, line_number: int, path: Path) -> None:
    """Raise LoneSurrogateError for a lone surrogate anywhere in a JSON line.

    As with an undecodable byte under errors="strict", the whole line is
    checked, including keys and values that are not read.
    """
    lone = _find_lone_surrogate(line)
    if lone is None:
        return
    index, found = lone
    location = f"line {line_number}, column {index + 1}"
    raise LoneSurrogateError(
        f"{location} of {path}: {found} is a lone UTF-16 surrogate, which is not "
        "a character and cannot be written as UTF-8. Fix or remove it, or pass "
        "errors='replace' to replace lone surrogates with U+FFFD",
        source=str(path),
        location=location,
        found=found,
    )


class _SurrogateCount:
    """Replaces lone surrogates in JSON strings, counting them for one warning."""

    def __init__(self) -> None:
        self.count = 0
        self.first_line: int | None = None

    def replace(self, value: Any, errors: str, line_number: int) -> Any:
        """Return ``value`` with lone surrogates replaced under ``errors``.

        "strict" leaves ``value`` alone because the line was checked before,
        "ignore" removes lone surrogates, and any other handler replaces each
        with U+FFFD.
        """
        if errors == "strict" or not isinstance(value, str):
            return value
        replacement = "" if errors == "ignore" else "\ufffd"
        value, count = _SURROGATE.subn(replacement, value)
        if count and self.first_line is None:
            self.first_line = line_number
        self.count += count
        return value

    def warn(self, path: Path, errors: str) -> None:
        if not self.count:
            return
        action = "removed" if errors == "ignore" else "replaced with U+FFFD"
        logger.warning(
            "%s: %d lone UTF-16 surrogate(s), such as the JSON escape \\ud800, "
            "in the texts and labels were %s, as errors=%r (--encoding-errors "
            "%s) requests; the first is on line %d",
            path,
            self.count,
            action,
            errors,
            errors,
            self.first_line,
        )


def _check_int_float_label(
    label: Hashable,
    line_number: int,
    first_by_number_type: dict[Decimal, dict[str, tuple[int, Hashable]]],
    column: str,
    path: Path,
) -> None:
    """Raise ValueError when a JSON integer and a JSON decimal label are one number.

    Python counts 1 and 1.0 as equal, with equal hashes, so they would merge
    into one class named after whichever comes first.
    """
    if isinstance(label, bool) or not isinstance(label, int | float):
        return
    number = _label_number(label)
    if number is None:
        return
    kind = "integer" if isinstance(label, int) else "decimal"
    seen = _record_spelling(first_by_number_type, number, kind, line_number, label)
    if seen is None:
        return
    integer_line, integer = seen["integer"]
    decimal_line, decimal = seen["decimal"]
    raise ValueError(
        f"column {column!r} of {path} mixes integer and decimal labels of the "
        f"same number: line {integer_line} has {json.dumps(integer)} and line "
        f"{decimal_line} has {json.dumps(decimal)}, which Python counts as equal, "
        "so they would merge into one class. Write each class's label one way, "
        f"for example replace every {json.dumps(decimal)} with "
        f"{json.dumps(integer)}"
    )


def _raise_mixed_boolean_labels(
    first_of_kind: dict[str, tuple[int, Hashable]], column: str, path: Path
) -> None:
    boolean_line, boolean = first_of_kind["boolean"]
    number_line, number = first_of_kind["number"]
    raise ValueError(
        f"column {column!r} of {path} mixes boolean and numeric labels: line "
        f"{boolean_line} has {json.dumps(boolean)} and line {number_line} has "
        f"{json.dumps(number)}. Python counts true as 1 and false as 0, so they "
        "would merge into the numeric classes. Write every label of the column "
        'as a number, or every one as true or false, or as strings such as "pos"'
    )


def _check_number_string_label(
    label: Hashable,
    line_number: int,
    first_by_number: dict[Decimal, dict[str, tuple[int, Hashable]]],
    column: str,
    path: Path,
) -> None:
    """Raise ValueError when a JSON number and a JSON string label are one number.

    The labels 1 and "1" are two classes, which predictions would write under
    the same name, and 1 and "1.0" are two classes for one value.
    """
    number = _label_number(label)
    if number is None:
        return
    kind = "string" if isinstance(label, str) else "number"
    seen = _record_spelling(first_by_number, number, kind, line_number, label)
    if seen is None:
        return
    number_line, number_label = seen["number"]
    string_line, string_label = seen["string"]
    raise ValueError(
        f"column {column!r} of {path} mixes numeric and string labels of the "
        f"same number: line {number_line} has {json.dumps(number_label)} and line "
        f"{string_line} has {json.dumps(string_label)}, which would be two "
        "classes. Write every label of the column as a number, or every one as "
        'a string such as "1"'
    )


def _record_spelling(
    first_by_value: dict,
    value: Hashable,
    kind: str,
    line_number: int,
    label: Hashable,
) -> dict[str, tuple[int, Hashable]] | None:
    """Record the first line where ``value`` is spelled as ``kind``.

    Returns the first ``(line, label)`` of each spelling once ``value`` has
    two, and None before that.
    """
    seen = first_by_value.setdefault(value, {})
    seen.setdefault(kind, (line_number, label))
    return seen if len(seen) > 1 else None


def _check_boolean_string_label(
    label: Hashable,
    line_number: int,
    first_by_truth: dict[bool, dict[str, tuple[int, Hashable]]],
    column: str,
    path: Path,
) -> None:
    """Raise ValueError when a JSON boolean and a JSON string label spell one value.

    The labels true and "true" (in any case) are two classes, which
    predictions would write as True and "true".
    """
    if isinstance(label, bool):
        truth, kind = label, "boolean"
    elif isinstance(label, str) and label.strip().lower() in ("true", "false"):
        truth, kind = label.strip().lower() == "true", "string"
    else:
        return
    seen = _record_spelling(first_by_truth, truth, kind, line_number, label)
    if seen is None:
        return
    boolean_line, boolean_label = seen["boolean"]
    string_line, string_label = seen["string"]
    raise ValueError(
        f"column {column!r} of {path} mixes boolean and string labels of the "
        f"same value: line {boolean_line} has {json.dumps(boolean_label)} and "
        f"line {string_line} has {json.dumps(string_label)}, which would be two "
        "classes. Write every label of the column as true or false, or every "
        'one as a string such as "true"'
    )


def load_table(
    path: str | os.PathLike[str],
    *,
    text_column: str = "text",
    label_column: str | None = "label",
    format: str = "auto",
    encoding: str = "utf-8",
    errors: str = "strict",
    empty_texts: bool = False,
) -> LabeledTexts | tuple[str, ...]:
    """Load texts, and optionally labels, from a CSV, TSV or JSON Lines file.

    CSV and TSV files need a header row and may contain quoted fields with
    newlines. JSON Lines files contain one object per line, and blank lines are
    skipped. A byte-order mark at the start is ignored.

    Args:
        path: The table file.
        text_column: Column (or JSON key) containing the text.
        label_column: Column containing the label, or ``None`` to read texts
            only. CSV labels are strings, and JSON labels keep their JSON type.
            A JSON label column may contain booleans or numbers but not
            both, no number together with a string of the same number (``1``
            and ``"1"``), no integer together with a decimal of the same
            number (``1`` and ``1.0``), and no NaN or infinite number.
            Distinct labels that read as the same number, or differ only by
            case or by leading or trailing whitespace, are kept as they are
            and logged as a warning.
        format: ``"csv"``, ``"tsv"``, ``"jsonl"``, or ``"auto"`` to choose
            by suffix (``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``/``.json``).
        encoding: Text encoding of the file.
        errors: Decoding error handler, as in :func:`open`: ``"strict"``,
            ``"replace"`` or ``"ignore"``. It also applies to lone UTF-16
            surrogates in JSON strings, such as the escape ``\\ud800``:
            ``"strict"`` raises LoneSurrogateError, ``"ignore"`` removes them
            from texts and labels, and any other handler replaces them with
            U+FFFD, with one warning that counts them.
        empty_texts: Accept an empty or blank text, for callers that score
            every row, such as ``embedsent predict``. A missing text is still
            an error.

    Returns:
        A ``LabeledTexts``, or a tuple of texts when ``label_column`` is None.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        TextDecodeError: If the file does not decode (the message gives the
            byte offset and line).
        ColumnNotFoundError: If a column is missing (the message lists the
            columns found).
        ValueError: If the format, encoding or errors handler is unknown,
            ``label_column`` equals ``text_column``, a text or label is empty
            or missing, a line is malformed JSON, a JSON object has the text
            or label key twice, or a JSON label is not finite,
            mixes booleans with numbers, a number with a string of the same
            number, an integer with a decimal of the same number, or a
            boolean with its string spelling. Messages about a record give
            its row or line.
        LoneSurrogateError: If ``errors`` is ``"strict"`` and a JSON Lines
            line contains a lone UTF-16 surrogate (the message gives the line
            and column).
        TypeError: If a JSON text is not a string or a label is unhashable.
    """
    source = _check_path("path", path)
    for name, column in (("text_column", text_column), ("label_column", label_column)):
        if column is None and name == "label_column":
            continue
        if not isinstance(column, str):
            raise TypeError(f"{name} must be a str, got {type(column).__name__}")
    if label_column == text_column:
        raise ValueError(
            f"text_column and label_column are both {text_column!r}, so every "
            "text would be its own label; pass the column that contains the "
            "labels as label_column"
        )
    resolved = _resolve_format(source, format)
    _check_encoding(encoding, errors)
    _require_file(source, "table file")

    logger.info("Loading %s table %s", resolved, source)
    started = time.perf_counter()
    content = _read_text(source, encoding, errors, _ENCODING_HINT)
    if resolved == "jsonl":
        texts, labels = _read_jsonl(
            content, source, text_column, label_column, errors, empty_texts
        )
    else:
        texts, labels = _read_delimited(
            content, source, resolved, text_column, label_column, empty_texts
        )
    if not texts:
        raise ValueError(f"{source} contains no rows; {_NO_ROWS_FIX}")
    logger.info(
        "Loaded %d rows from %s in %.1f s",
        len(texts),
        source,
        time.perf_counter() - started,
    )
    if label_column is None:
        return tuple(texts)
    _warn_numeric_label_clashes(labels, label_column, source)
    _warn_whitespace_label_clashes(labels, label_column, source)
    return LabeledTexts(texts, labels)


def read_table_columns(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    encoding: str = "utf-8",
    errors: str = "strict",
) -> list[str]:
    """Read the column names of a CSV, TSV or JSON Lines file.

    Returns the header row of a CSV or TSV file, or the keys of the first
    object of a JSON Lines file, in file order. The whole file is decoded, as
    ``load_table`` does.

    Raises:
        ValueError: If the file has no header row or no object, its first
            record is malformed, or the format, encoding or errors handler is
            unknown.
    """
    source = _check_path("path", path)
    resolved = _resolve_format(source, format)
    _check_encoding(encoding, errors)
    _require_file(source, "table file")
    content = _read_text(source, encoding, errors, _ENCODING_HINT)
    if resolved == "jsonl":
        _check_json_lines_layout(content, source)
        for line_number, line in enumerate(content.split("\n"), start=1):
            if line.strip():
                try:
                    record = parse_json(
                        line,
                        source=f"line {line_number} of {source}",
                        fix=_NESTING_FIX,
                    )
                except json.JSONDecodeError as error:
                    raise ValueError(
                        f"malformed JSON on line {line_number} of {source}: "
                        f"{error.msg} at column {error.colno}"
                    ) from error
                if not isinstance(record, dict):
                    raise ValueError(
                        f"line {line_number} of {source} is a JSON "
                        f"{json_type_name(record)}, but JSON Lines table files "
                        "hold one object per line; write each record as an "
                        "object whose keys are the column names"
                    )
                return list(record)
        raise ValueError(f"{source} contains no rows; {_NO_ROWS_FIX}")
    delimiter = "\t" if resolved == "tsv" else ","
    with io.StringIO(content, newline="") as handle, _unlimited_csv_fields():
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            for row in reader:
                if row:
                    return row
        except csv.Error as error:
            raise ValueError(
                f"malformed {resolved.upper()} in {source}: {error}"
            ) from error
    raise ValueError(f"{source} is empty, but a header row is expected")


def _label_number(label: Hashable) -> Decimal | None:
    """Return the number that ``label`` reads as, or None for a non-number.

    Decimal compares exactly, so large ints and strings such as
    ``"0.1"`` match only the values they equal.
    """
    if isinstance(label, bool):
        return None
    if isinstance(label, int):
        return Decimal(label)
    if isinstance(label, float):
        text = repr(label)
    elif isinstance(label, str):
        text = label
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return None if number.is_nan() else number


_MAX_CLASHES_SHOWN = 5


def _warn_numeric_label_clashes(
    labels: Sequence[Hashable], column: str, source: Path
) -> None:
    """Log a warning when distinct labels read as the same number.

    CSV labels are strings, so ``"1"`` and ``"1.0"`` would silently become two
    classes, as would the JSON strings ``"1"`` and ``"1.0"``. A JSON number and
    a string of the same number are rejected while the file is read.
    """
    clashes = numeric_label_clashes(labels)
    if not clashes:
        return
    clash_text = describe_label_clashes(clashes)
    first = clashes[0]
    logger.warning(
        "labels %s in column %r of %s are the same number but different "
        "classes; write each class's label one way in the file, for example "
        "replace every %r with %r",
        clash_text,
        column,
        source,
        first[1],
        first[0],
    )


def numeric_label_clashes(labels: Iterable[Hashable]) -> list[list[Hashable]]:
    """Group the distinct labels that read as the same number.

    Returns the groups of two or more labels, such as ``["1", "1.0"]``. The
    labels of a group, and the groups, are in the order in which they first
    appear in ``labels``. Booleans, NaN and labels that are not numbers
    belong to no group.
    """
    by_number: dict[Decimal, list[Hashable]] = {}
    for label in dict.fromkeys(labels):
        number = _label_number(label)
        if number is not None:
            by_number.setdefault(number, []).append(label)
    return [group for group in by_number.values() if len(group) > 1]


def describe_label_clashes(clashes: list[list[Hashable]]) -> str:
    """Return the first groups of clashing labels as text, counting the rest.

    Each group reads as ``'1' and '1.0'``, the groups are separated by
    semicolons, and groups after the fifth are only counted.
    """
    text = "; ".join(
        " and ".join(repr(label) for label in group)
        for group in clashes[:_MAX_CLASHES_SHOWN]
    )
    if len(clashes) > _MAX_CLASHES_SHOWN:
        text += f"; and {len(clashes) - _MAX_CLASHES_SHOWN} more such groups"
    return text


def _warn_whitespace_label_clashes(
    labels: Sequence[Hashable], column: str, source: Path
) -> None:
    """Log a warning when distinct string labels differ only by case or outer
    whitespace.

    ``"pos"``, ``"pos "`` and ``"Pos"`` would silently become three classes.
    A CSV file written with a space after each comma gives such labels, and
    so does a hand-typed file. Case can tell classes apart, as in ``"US"``
    and ``"us"``, so the labels are kept as they are and only a warning is
    logged. Labels that read as numbers are left to
    ``_warn_numeric_label_clashes``, which already reports ``"1"`` and
    ``" 1"``.
    """
    by_key: dict[str, list[str]] = {}
    for label in dict.fromkeys(labels):
        if isinstance(label, str) and _label_number(label) is None:
            by_key.setdefault(label.strip().casefold(), []).append(label)
    clashes = [group for group in by_key.values() if len(group) > 1]
    if not clashes:
        return
    clash_text = describe_label_clashes(clashes)
    first = clashes[0]
    # Suggest the spelling without outer whitespace, taken from the file when
    # one label there has none, and a label that differs from it to replace.
    target = next((label for label in first if label == label.strip()), None)
    if target is None:
        target = first[0].strip()
    replaced = next(label for label in first if label != target)
    logger.warning(
        "labels %s in column %r of %s differ only by case or by leading or "
        "trailing whitespace but are different classes; write each class's "
        "label one way in the file, for example replace every %r with %r",
        clash_text,
        column,
        source,
        replaced,
        target,
    )


# ---------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------


def balanced_sample(
    labeled: LabeledTexts, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw indices of ``n`` examples with the classes as equal as possible.

    ``n`` is split evenly across the classes in sorted label order, and the
    first ``n % num_classes`` classes get one extra example. Within a class,
    examples are drawn without replacement.

    Args:
        labeled: The examples to sample from.
        n: Number of indices to return. If ``n >= len(labeled)``, every index
            is returned.
        rng: Source of randomness, e.g. ``np.random.default_rng(seed)``.

    Returns:
        A 1-D integer array of distinct indices into ``labeled``, shuffled.

    Raises:
        ValueError: If ``labeled`` is empty, ``n`` is smaller than the number
            of classes, or a class has fewer examples than its share.
        TypeError: If an argument has the wrong type.
    """
    if not isinstance(labeled, LabeledTexts):
        raise TypeError(f"labeled must be a LabeledTexts, got {type(labeled).__name__}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy Generator, got {type(rng).__name__}. "
            f"Create one with np.random.default_rng(seed)"
        )
    if len(labeled) == 0:
        raise ValueError("labeled is empty, so there is nothing to sample")

    indices_by_class: dict[Hashable, list[int]] = {}
    for index, label in enumerate(labeled.labels):
        indices_by_class.setdefault(label, []).append(index)
    classes = _sorted_labels(indices_by_class)
    if n < len(classes):
        raise ValueError(
            f"n must be at least the number of classes ({len(classes)}: "
            f"{classes}) so each class is represented, got n={n}"
        )
    if n >= len(labeled):
        return rng.permutation(len(labeled))

    base, remainder = divmod(int(n), len(classes))
    smallest = min(len(indices) for indices in indices_by_class.values())
    chosen: list[np.ndarray] = []
    for position, label in enumerate(classes):
        needed = base + (1 if position < remainder else 0)
        available = indices_by_class[label]
        if len(available) < needed:
            raise ValueError(
                f"class {label!r} has {len(available)} examples but a balanced "
                f"sample of n={n} needs {needed}. Lower n to "
                f"{smallest * len(classes)} or less, or add examples of {label!r}"
            )
        chosen.append(rng.choice(np.asarray(available), size=needed, replace=False))
    return rng.permutation(np.concatenate(chosen))


def limit_corpus(
    corpus: SplitCorpus,
    *,
    max_per_class: int | None = None,
    max_unlabeled: int | None = None,
    seed: int = 0,
) -> SplitCorpus:
    """Keep a random subset of each class in each split, and of the unlabeled texts.

    The limits mean the same as in :func:`load_aclimdb`, which applies them
    while it reads. This function applies them to a corpus loaded another
    way, such as :func:`load_default_corpus`. Kept texts stay in their order.

    Args:
        corpus: The corpus to subset.
        max_per_class: Keep at most this many texts of each label in each of
            train and test. ``None`` keeps all.
        max_unlabeled: Keep at most this many unlabeled texts. ``None`` keeps
            all, and ``0`` keeps none.
        seed: Seed of the random subsets. Each (split, class) group and the
            unlabeled texts draw from their own generator.

    Raises:
        ValueError: If a limit or the seed is negative.
        TypeError: If an argument has the wrong type.
    """
    if not isinstance(corpus, SplitCorpus):
        raise TypeError(f"corpus must be a SplitCorpus, got {type(corpus).__name__}")
    per_class, unlabeled_limit = _check_limits(max_per_class, max_unlabeled, seed)

    def kept(size: int, limit: int | None, group: tuple[int, ...]) -> list[int]:
        if limit is None or limit >= size:
            return list(range(size))
        rng = np.random.default_rng([int(seed), *group])
        return np.sort(rng.choice(size, size=limit, replace=False)).tolist()

    unlabeled = tuple(
        corpus.unlabeled[i] for i in kept(len(corpus.unlabeled), unlabeled_limit, (0,))
    )
    splits = []
    for split_number, split in enumerate((corpus.train, corpus.test), start=1):
        positions: list[int] = []
        for class_number, label in enumerate(_sorted_labels(split.labels)):
            members = [i for i, other in enumerate(split.labels) if other == label]
            chosen = kept(len(members), per_class, (split_number, class_number))
            positions.extend(members[i] for i in chosen)
        splits.append(split.subset(sorted(positions)))
    return SplitCorpus(corpus.name, unlabeled, splits[0], splits[1])
