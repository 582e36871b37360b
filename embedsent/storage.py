"""Atomic file writes and single-file ``.npz`` bundles of JSON metadata + arrays.

Every file embedsent writes goes through a temporary file in the destination
folder, is synced to disk, then renamed over the destination. A crash or a
full disk therefore leaves either the old file or the new one, never half of
one. The temporary file of a killed process stays until the next save to the
same destination deletes it (embedsent.temporary_files). A symbolic link is
followed, so its target gets the new content, and a destination that is not a
regular file (a FIFO, a device) is rejected rather than replaced. Bundles
contain no pickled objects.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from embedsent.file_kinds import (
    INVALID_METADATA,
    METADATA_NOT_OBJECT,
    bundle_kind,
    describe_mismatch,
    describe_non_regular_file,
    identify_file,
)
from embedsent.json_nesting import parse_json
from embedsent.temporary_files import create_locked_temporary, remove_stale_temporaries

logger = logging.getLogger(__name__)

__all__ = [
    "REPORT_KEY",
    "FileIdentity",
    "InvalidStateError",
    "as_report",
    "check_bundle_suffix",
    "check_destination",
    "check_json_suffix",
    "check_vectors_suffix",
    "check_file_name",
    "check_not_read_only",
    "file_identity",
    "check_folder_path",
    "describe_descriptor_path",
    "describe_write_failure",
    "first_dangling_link",
    "first_non_folder",
    "first_unwritable_folder",
    "load_bundle",
    "save_bundle",
    "strip_trailing_separators",
    "write_atomic",
    "write_text_atomic",
]

META_KEY = "__meta__"
# The device and inode numbers of a file: a rename gives a path a new identity.
FileIdentity = tuple[int, int]
# First key of every JSON report that a command writes with --json, naming
# the command. The command-line output checks overwrite an existing JSON
# file only when it starts with this key, so --json keeps other JSON files.
REPORT_KEY = "embedsent_report"


def as_report(command: str, payload: dict) -> dict:
    """Return ``payload`` with ``REPORT_KEY`` first, naming ``command``."""
    return {REPORT_KEY: command, **payload}


class InvalidStateError(ValueError):
    """Raised by a ``from_state`` method for settings or arrays that cannot
    rebuild the object.

    The message ends with advice for Python callers of ``from_state``.

    Attributes:
        problem: What is wrong, without that advice, so that a loader of a
            model file can give advice about the file instead.
    """

    def __init__(self, problem: str, advice: str) -> None:
        super().__init__(f"{problem}; {advice}")
        self.problem = problem


# Suffixes that mark another kind of file than an .npz bundle, with that kind.
# embedsent commands choose the reader of a --data file by these suffixes
# (tables, .txt, tar archives) and read a .bin vectors file as word2vec
# binary. .vec is the usual suffix of fastText vectors in text format. Other
# programs open NumPy arrays, pickles, images, archives, compressed files and
# Parquet tables by these suffixes.
_OTHER_KIND_SUFFIXES = {
    ".txt": "a text file",
    ".vec": "word vectors in text format",
    ".bin": "word vectors in word2vec binary format",
    ".csv": "a table",
    ".tsv": "a table",
    ".jsonl": "a table",
    ".ndjson": "a table",
    ".json": "a JSON file",
    ".tar": "a tar archive",
    ".tar.gz": "a compressed tar archive",
    ".tar.bz2": "a compressed tar archive",
    ".tar.xz": "a compressed tar archive",
    ".tgz": "a compressed tar archive",
    ".tbz2": "a compressed tar archive",
    ".txz": "a compressed tar archive",
    ".gz": "a gzip-compressed file",
    ".bz2": "a bzip2-compressed file",
    ".xz": "an xz-compressed file",
    ".zst": "a Zstandard-compressed file",
    ".zip": "a zip archive",
    ".7z": "a 7-Zip archive",
    ".parquet": "a Parquet table",
    ".npy": "a NumPy array file",
    ".pkl": "a Python pickle",
    ".pickle": "a Python pickle",
    ".png": "a PNG image",
    ".svg": "an SVG image",
    ".pdf": "a PDF document",
}


def check_not_read_only(path: str | os.PathLike, label: str | None = None) -> None:
    """Raise PermissionError when ``path`` is a file that no one may write.

    A save renames a new file over the old one, which needs write permission
    on the folder only, so it would replace a file whose owner removed every
    write bit (``chmod a-w``) to keep it. ``label`` names the path in the
    message, by default ``path`` itself.

    Under a umask that removes every write bit (0222), the files saved here
    are read-only too. ``write_atomic`` still replaces a file that the same
    process wrote, when the caller passes its identity.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and not mode & 0o222:
        raise PermissionError(
            f"cannot write {label or path}: it is read-only "
            f"({stat.filemode(mode)}), and saving would replace it; make it "
            f"writable (chmod u+w {path}) or pass another path"
        )


def check_destination(
    path: str | os.PathLike, *, replaces: FileIdentity | None = None
) -> tuple[Path, str]:
    """Run the checks of ``write_atomic`` that need no write, before long work.

    Returns:
        The file a save to ``path`` would replace (the target of a link) and
        the name that error messages give it.

    Raises:
        The ValueError, FileNotFoundError and PermissionError that
        ``write_atomic`` describes.
    """
    raw = os.fspath(path)
    if not raw:
        raise ValueError("cannot write to an empty path; pass a file path")
    stream = describe_descriptor_path(raw)
    if stream is not None:
        raise ValueError(
            f"cannot write {raw}: it is {stream}, and renaming a file over it "
            "would replace the file behind that descriptor; pass a file path"
        )
    requested = Path(path)
    target = Path(os.path.realpath(requested))
    label = str(requested)
    if requested.is_symlink():
        label = f"{requested} (a link to {target})"
    file_type = describe_non_regular_file(target)
    if file_type is not None:
        raise ValueError(
            f"cannot write {label}: it is {file_type}, not a regular file; pass "
            "the path of a regular file, or of one that does not exist yet"
        )
    if replaces is None or file_identity(target) != replaces:
        check_not_read_only(target, label)
    check_file_name(raw)
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {label}: folder {target.parent} does not exist; create "
            "it first"
        )
    return target, label


def write_atomic(
    path: str | os.PathLike,
    write: Callable[[IO[bytes]], None],
    *,
    replaces: FileIdentity | None = None,
) -> FileIdentity:
    """Call ``write(stream)`` on a temporary file, then rename it to ``path``.

    A symbolic link at ``path`` is followed and kept, so the temporary file is
    created next to the link's final target and renamed over the target. A
    file that is replaced keeps its permission bits. A new file gets those of
    a plain ``open()``, 0666 minus the umask.

    ``replaces`` is what an earlier call returned for the same path. When the
    file there is still that one, this process wrote it, so it is replaced
    even when it is read-only: under a umask that removes every write bit
    (0222), the next checkpoint of a run replaces the previous one.

    Returns:
        The identity of the file written, to pass as ``replaces`` next time.

    Raises:
        ValueError: If ``path`` is empty, ends with a path separator or a
            ``.`` or ``..`` component (which name a folder), or exists and is
            not a regular file, such as a folder, a FIFO or a device like
            ``/dev/null``, or names an open file descriptor, such as
            ``/dev/stdout`` or ``/proc/self/fd/1``. The rename would replace
            that entry, or the file behind the descriptor, with a regular
            file instead of writing into it, so nothing is written.
        FileNotFoundError: If the folder of ``path`` (of its target, for a
            link) does not exist.
        PermissionError: If ``path`` (its target, for a link) is a file
            without any write permission bit (see ``check_not_read_only``).
        OSError: If creating the temporary file or renaming it to ``path``
            fails. The message names ``path`` and the step that failed.
    """
    target, label = check_destination(path, replaces=replaces)
    folder = target.parent
    replacing = target.exists()
    remove_stale_temporaries(target)
    try:
        handle, lock, temporary = create_locked_temporary(target)
    except OSError as error:
        # The error names the random temporary name, which the user never
        # passed, so the message names the destination and its folder.
        raise _write_error(
            error,
            label,
            f"creating a temporary file in {folder} failed",
            folder,
            replacing,
        ) from error
    step = f"writing the data to a temporary file in {folder} failed"
    renaming = False
    try:
        # mkstemp creates the file with mode 0600. It gets the permissions of
        # the file it replaces, or those a plain open() gives a new file.
        os.chmod(temporary, _replacement_mode(target))
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        step = f"renaming a temporary file in {folder} to it failed"
        renaming = True
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            # Every failure before the rename leaves the destination as it
            # was, so the message states that even when the cause is unknown.
            raise _write_error(
                error, label, step, folder, replacing, always_explain=not renaming
            ) from error
        raise
    finally:
        if lock is not None:
            os.close(lock)
    _fsync_folder(folder)
    return file_identity(target)


def file_identity(path: str | os.PathLike) -> FileIdentity | None:
    """Return the device and inode numbers of ``path``, None when it is missing."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


# Reasons and fixes for the errors that a lack of room causes, where WHERE
# names the file system. EFBIG is described by ``_file_too_large``, which
# distinguishes a process limit from a file system limit.
_NO_ROOM = {errno.ENOSPC: ("no space left on device", "free space on {where}")}
if hasattr(errno, "EDQUOT"):  # Windows has no EDQUOT.
    _NO_ROOM[errno.EDQUOT] = (
        "disk quota exceeded",
        "free space within your quota on {where}",
    )


def describe_write_failure(
    error: OSError, where: str, elsewhere: str
) -> tuple[str, str | None]:
    """Return the reason for a failed write and its fix, or None for no fix.

    A full disk, an exceeded quota and an exceeded file size limit have a
    reason in words, such as "[Errno 28] no space left on device", and a
    fix. Other errors keep Python's "[Errno N] strerror" and get no fix.

    Args:
        error: The OSError that the write raised.
        where: The file system written to, for the fix, such as "the file
            system of /data".
        elsewhere: How to write somewhere else, for the fix, such as "pass a
            path on another file system".
    """
    reason = str(error)
    if error.errno is not None and error.strerror:
        reason = f"[Errno {error.errno}] {error.strerror}"
    if error.errno == errno.EFBIG:
        cause, fix = _file_too_large(where, elsewhere)
        return f"[Errno {error.errno}] {cause}", fix
    if error.errno in _NO_ROOM:
        cause, fix = _NO_ROOM[error.errno]
        return (
            f"[Errno {error.errno}] {cause}",
            f"{fix.format(where=where)}, or {elsewhere}",
        )
    return reason, None


def _write_error(
    error: OSError,
    label: str,
    step: str,
    folder: Path,
    replacing: bool,
    *,
    always_explain: bool = False,
) -> OSError:
    """Return an error of the same class as ``error`` that names the file.

    The message is "cannot write LABEL: STEP: [Errno N] reason". For a full
    disk, an exceeded quota or file size limit, and for any error when
    ``always_explain`` is true, the state of the destination and the fix
    follow. Only ``errno`` is copied, because an OSError with ``strerror``
    set prints that instead of its message. The temporary file has been
    removed when this is called, and the destination is replaced only by
    the final rename, which either happens whole or not at all.
    """
    where = f"the file system of {folder}"
    reason, fix = describe_write_failure(
        error, where, "pass a path on another file system"
    )
    if fix is None and always_explain:
        fix = f"check {where}, or pass another path"
    message = f"cannot write {label}: {step}: {reason}"
    if fix is not None:
        if replacing:
            message += "; the existing file was left unchanged"
        else:
            message += "; no file was created"
        message += f" and no partial file remains; {fix}"
    described = type(error)(message)
    described.errno = error.errno
    return described


def _file_too_large(where: str, elsewhere: str) -> tuple[str, str]:
    """Return the reason and the fix for EFBIG while writing to ``where``.

    A process limit (``ulimit -f``, RLIMIT_FSIZE) makes writes past it fail
    with EFBIG; Python ignores the SIGXFSZ signal that comes with it. Without
    such a limit, the file system's largest file size was reached.
    """
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    except (ImportError, OSError, ValueError):
        limit = None
    if limit is not None and limit != resource.RLIM_INFINITY:
        return (
            f"file size limit exceeded: ulimit -f allows {limit} bytes",
            "raise the limit, for example with `ulimit -f unlimited` in the "
            "shell that runs embedsent",
        )
    return f"file too large for {where}", elsewhere


def first_non_folder(path: str | os.PathLike) -> Path | None:
    """Return the first of ``path`` and its parents that exists but is no folder.

    Links are followed, so a link to a folder counts as a folder. Returns None
    when ``path`` is a folder or a folder could be created there.
    """
    folder = Path(path)
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return part
    return None


def first_dangling_link(path: str | os.PathLike) -> Path | None:
    """Return the first of ``path`` and its parents that is a dangling link.

    A dangling link is a symbolic link whose target does not exist. Creating a
    folder there fails with "File exists", because the link itself exists.
    Returns None when no such link is found.
    """
    folder = Path(path)
    for part in (folder, *folder.parents):
        if part.is_symlink() and not part.exists():
            return part
    return None


def first_unwritable_folder(path: str | os.PathLike) -> Path | None:
    """Return the folder whose permissions stop writing files in folder ``path``.

    Writing in ``path`` needs write and search permission on it, and creating
    it needs them on its closest existing parent, so the first of ``path`` and
    its parents that exists is checked with ``os.access``. That check also
    fails on a read-only file system or an immutable folder, but root passes
    it wherever the permission bits alone deny writing. Returns None when that
    folder is writable.
    """
    folder = Path(path)
    for part in (folder, *folder.parents):
        if part.exists():
            return None if os.access(part, os.W_OK | os.X_OK) else part
    return None


def check_folder_path(path: str | os.PathLike, flag: str | None = None) -> Path:
    """Check that a folder can be created at ``path`` and files written in it.

    Nothing is created, so a command can check all its output folders before
    it creates any. Returns ``path`` as a Path.

    Args:
        path: The folder, which may not exist yet.
        flag: The command-line flag that gave ``path``, such as ``"--out-dir"``,
            for messages; None names a folder path instead.

    Raises:
        ValueError: If ``path`` is empty, or it or one of its parents is a
            file, a link to a missing target or a loop of links.
        PermissionError: If the folder, or its closest existing parent, is
            not writable.
    """
    option = f"{flag} " if flag else ""
    fix = f"pass another {flag} path" if flag else "pass another folder path"
    if not os.fspath(path):
        raise ValueError(
            f"{flag + ': ' if flag else ''}the folder path is empty; {fix}"
        )
    folder = Path(path)
    subject = f"{option}{folder}"
    blocking = first_non_folder(folder)
    if blocking == folder:
        kind = describe_non_regular_file(folder) or "a file"
        raise ValueError(
            f"{subject} is {kind}, not a folder; {fix}, or a path that does not "
            "exist yet"
        )
    if blocking is not None:
        kind = describe_non_regular_file(blocking) or "a file"
        raise ValueError(
            f"{subject}: {blocking} is {kind}, so no folder can be created "
            f"below it; {fix} with no file among its parents"
        )
    # Path.mkdir fails with "File exists" on a link whose target is missing.
    link = first_dangling_link(folder)
    if link is not None:
        if link != folder:
            subject += f": {link}"
        if describe_non_regular_file(link) == "a loop of symbolic links":
            raise ValueError(
                f"{subject} is a loop of symbolic links; remove the link, or {fix}"
            )
        raise ValueError(
            f"{subject} is a symbolic link to {os.path.realpath(link)}, which "
            f"does not exist; create that folder, remove the link, or {fix}"
        )
    locked = first_unwritable_folder(folder)
    if locked is not None:
        raise PermissionError(
            f"{option}{folder}: folder {locked} is not writable; make it "
            f"writable, or {fix}"
        )
    return folder


# Paths that name an open file descriptor of the process, which the kernel
# resolves to the file behind it, such as the file that a shell's `>` gave
# standard output. /dev/stdout links to /proc/self/fd/1.
_DESCRIPTOR_PATH = re.compile(
    r"/dev/(?:std(?:in|out|err)|fd/[0-9]+)"
    r"|/proc/(?:self|thread-self|[0-9]+)(?:/task/[0-9]+)?/fd/[0-9]+"
)
_STANDARD_STREAMS = {
    "0": "standard input",
    "1": "standard output",
    "2": "standard error",
    "stdin": "standard input",
    "stdout": "standard output",
    "stderr": "standard error",
}
# Symbolic links followed before giving up, as the kernel's limit (40).
_MAX_LINK_HOPS = 40


def describe_descriptor_path(raw: str | os.PathLike) -> str | None:
    """Describe a path that names an open file descriptor, or return None.

    Such a path is /dev/stdout, /dev/stderr, /dev/stdin, /dev/fd/N or
    /proc/self/fd/N, or a symbolic link that leads to one. It resolves to the
    file behind the descriptor, such as the file that a shell redirected
    standard output to, so a save that renames a file over it would replace
    that file and lose what the process wrote to it. The result is such as
    "standard output", "file descriptor 5" or "a link to /dev/stdout, which
    is standard output".
    """
    start = os.path.abspath(os.fspath(raw))
    current = start
    for _ in range(_MAX_LINK_HOPS):
        if _DESCRIPTOR_PATH.fullmatch(current):
            last = current.rsplit("/", 1)[1]
            stream = _STANDARD_STREAMS.get(last, f"file descriptor {last}")
            if current == start:
                return stream
            return f"a link to {current}, which is {stream}"
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.abspath(os.path.join(os.path.dirname(current), link))
    return None


def strip_trailing_separators(raw: str) -> str:
    """Return the path string ``raw`` without its trailing path separators."""
    return raw.rstrip(os.sep + (os.altsep or ""))


# File names that are only a suffix, such as ".txt", which Path reads as a
# hidden file's stem without a suffix.
_SUFFIX_ONLY_NAMES = frozenset({*_OTHER_KIND_SUFFIXES, ".npz"})


def check_file_name(
    raw: str, check_suffix: Callable[[str], None] | None = None
) -> None:
    """Raise ValueError when the path string ``raw`` names no usable file.

    ``Path`` drops a trailing separator and a trailing ``.`` component, so
    ``"out/model.npz/"`` would otherwise write the file ``out/model.npz``.
    The message suggests ``raw`` without its trailing separators. A name that
    is only a known suffix, such as ``.txt``, is rejected too.

    Args:
        raw: The path that a file would be written to.
        check_suffix: The suffix check of the kind of file written, such as
            ``check_bundle_suffix``. It runs first on a ``raw`` with trailing
            separators, so that a name that it rejects, such as ``model.txt/``
            for a bundle, gets its message, which suggests ``model.npz`` in
            place of ``model.txt``.
    """
    stripped = strip_trailing_separators(raw)
    if stripped != raw and stripped:
        if check_suffix is not None:
            check_suffix(raw)
        raise ValueError(
            f"cannot write {raw}: a path that ends with {raw[-1]!r} names a "
            f"folder, not a file; drop the trailing {raw[-1]!r} to write the "
            f"file {stripped}"
        )
    if os.path.basename(stripped) in (".", ".."):
        raise ValueError(
            f"cannot write {raw}: a path that ends with "
            f"{os.path.basename(stripped)!r} names a folder, not a file; pass "
            "the path of a file"
        )
    name = os.path.basename(stripped)
    if name.lower() in _SUFFIX_ONLY_NAMES:
        folder = stripped[: len(stripped) - len(name)]
        raise ValueError(
            f"cannot write {raw}: the name {name} is only a suffix, which would "
            f"make a hidden file without a name; pass a name before the suffix, "
            f"such as {folder}out{name}"
        )


def _trailing_suffixes(name: str, kinds: dict[str, str]) -> tuple[str, str, str] | None:
    """Split the suffixes of file ``name`` that ``kinds`` lists from its stem.

    Returns ``(stem, suffixes, kind)``, where ``kind`` is the entry of ``kinds``
    for the suffixes, or None when ``name`` ends with none of them. A chain
    such as ".csv.gz" that ``kinds`` does not list whole is named by its last
    suffix.
    """
    stem = name
    while Path(stem).suffix.lower() in kinds:
        stem = stem[: -len(Path(stem).suffix)]
    if stem == name:
        return None
    suffix = name[len(stem) :]
    kind = kinds.get(suffix.lower(), kinds[Path(name).suffix.lower()])
    return stem, suffix, kind


def _describe_found_suffix(raw: str, stripped: str, suffix: str, kind: str) -> str:
    """Describe the suffix of ``raw``, and its trailing separator if it has one."""
    found = f"the suffix {suffix} marks {kind}"
    if stripped == raw:
        return found
    return f"the trailing {raw[-1]!r} marks a folder, and {found}"


def check_bundle_suffix(
    path: str | os.PathLike, kind: str = "an embedsent bundle", flag: str | None = None
) -> None:
    """Reject a path for an ``.npz`` bundle whose suffix marks another kind of file.

    A bundle is a zip archive whatever its name, so under a name such as
    ``model.txt`` or ``model.csv`` other commands and tools would read it as
    that kind of file. Names without a suffix, ``.npz`` and other suffixes
    (such as ``.ckpt``) pass.

    Args:
        path: The path that the bundle would be written to.
        kind: The bundle's kind for the message, such as "an embedsent
            classifier model".
        flag: The command-line flag that gave ``path``, such as ``"--out"``;
            None words the message for a Python caller.

    Raises:
        ValueError: If ``path`` ends with a suffix of ``_OTHER_KIND_SUFFIXES``,
            in any letter case, with or without trailing separators. The
            message names the same path with ``.npz`` in place of every such
            trailing suffix and without the trailing separators.
    """
    raw = os.fspath(path)
    stripped = strip_trailing_separators(raw)
    name = os.path.basename(stripped)
    found_suffix = _trailing_suffixes(name, _OTHER_KIND_SUFFIXES)
    if found_suffix is None:
        return
    stem, suffix, other_kind = found_suffix
    if not stem.lower().endswith(".npz"):
        stem += ".npz"
    suggested = stripped[: len(stripped) - len(name)] + stem
    found = _describe_found_suffix(raw, stripped, suffix, other_kind)
    if flag is None:
        raise ValueError(
            f"path {raw}: {found}, but {kind} is a zip (.npz) file. Save it as "
            f"{suggested} instead."
        )
    raise ValueError(
        f"{flag} {raw}: {found}, but {flag} writes {kind}, which is a zip (.npz) "
        f"file. Pass {flag} {suggested} instead."
    )


# Suffixes that mark a file other than text or binary word vectors, with the
# kind each marks. Word vectors are written uncompressed.
_NOT_VECTORS_SUFFIXES = {
    **{
        suffix: kind
        for suffix, kind in _OTHER_KIND_SUFFIXES.items()
        if suffix not in (".txt", ".vec", ".bin")
    },
    ".npz": "a NumPy zip (.npz) file, such as an embedsent model",
}


def check_vectors_suffix(
    path: str | os.PathLike, binary: bool = False, flag: str | None = None
) -> None:
    """Reject a word-vector output whose suffix marks another kind of file.

    Word vectors are saved as uncompressed word2vec text or binary, or GloVe
    text. Under a name such as ``vectors.csv`` or ``vectors.txt.gz``, the
    readers of tables and compressed files would take them for that kind,
    and a later save to the same path would refuse to replace it. Names
    without a suffix, ``.txt``, ``.vec``, ``.bin`` and other suffixes pass,
    except ``.bin`` for text vectors, which ``format="auto"`` and
    ``--vectors-format auto`` read as word2vec binary, and ``.txt`` or
    ``.vec`` for binary vectors.

    Args:
        path: The path that the vectors would be written to.
        binary: Whether the vectors are written in word2vec binary format,
            which names the suggested suffix (.bin instead of .txt).
        flag: The command-line flag that gave ``path``, such as ``"--out"``;
            None words the message for a Python caller.

    Raises:
        ValueError: If ``path`` ends with a suffix of ``_NOT_VECTORS_SUFFIXES``,
            in any letter case, with or without trailing separators. The
            message names the same path with the suffix of the format written
            in place of every such suffix and without the trailing separators.
            Also if text vectors would be written to a ``.bin`` name, or
            binary vectors to a ``.txt`` or ``.vec`` name.
    """
    raw = os.fspath(path)
    stripped = strip_trailing_separators(raw)
    name = os.path.basename(stripped)
    _check_format_matches_suffix(raw, stripped, name, binary, flag)
    found_suffix = _trailing_suffixes(name, _NOT_VECTORS_SUFFIXES)
    if found_suffix is None:
        return
    stem, suffix, other_kind = found_suffix
    written = "word2vec binary format" if binary else "text format"
    format_suffix = ".bin" if binary else ".txt"
    if not stem.lower().endswith((".txt", ".vec", ".bin")):
        stem += format_suffix
    suggested = stripped[: len(stripped) - len(name)] + stem
    found = _describe_found_suffix(raw, stripped, suffix, other_kind)
    if flag is None:
        raise ValueError(
            f"path {raw}: {found}, but word vectors are saved uncompressed in "
            f"{written}. Save them as {suggested} instead."
        )
    raise ValueError(
        f"{flag} {raw}: {found}, but {flag} writes word vectors uncompressed in "
        f"{written}. Pass {flag} {suggested} instead."
    )


def _check_format_matches_suffix(
    raw: str, stripped: str, name: str, binary: bool, flag: str | None
) -> None:
    """Reject word vectors whose format contradicts a .bin, .txt or .vec name.

    ``format="auto"`` and ``--vectors-format auto`` read a ``.bin`` file as
    word2vec binary, so text saved there is rejected when read back, and
    gensim users pass ``binary=True`` for such a name. The readers detect
    binary data under ``.txt`` or ``.vec``, but other programs and people
    take such a file for text. ``flag`` is the command-line flag that gave
    the path, or None for a Python caller.
    """
    stem, suffix = os.path.splitext(name)
    folder = stripped[: len(stripped) - len(name)]
    if binary and suffix.lower() in (".txt", ".vec"):
        suggested = folder + stem + ".bin"
        kind = _OTHER_KIND_SUFFIXES[suffix.lower()]
        python_reason = "binary=True writes word2vec binary. Drop binary=True for text"
        flag_reason = (
            f"--binary writes word2vec binary. Drop --binary for text, or pass "
            f"{flag} {suggested} instead."
        )
    elif not binary and suffix.lower() == ".bin":
        suggested = folder + stem + ".txt"
        kind = "a word2vec binary file"
        python_reason = (
            "this save writes word vectors in text format. Call "
            "save_word2vec(path, binary=True) for word2vec binary"
        )
        flag_reason = (
            f"{flag} writes word vectors in text format unless you add --binary. "
            f"Pass {flag} {suggested} instead."
        )
    else:
        return
    found = _describe_found_suffix(raw, stripped, suffix, kind)
    if flag is None:
        raise ValueError(
            f"path {raw}: {found}, but {python_reason}. Save them as {suggested} "
            "instead."
        )
    raise ValueError(f"{flag} {raw}: {found}, but {flag_reason}")


# Suffixes that mark a file other than a JSON report, with the kind each marks.
_NOT_JSON_SUFFIXES = {
    suffix: kind for suffix, kind in _OTHER_KIND_SUFFIXES.items() if suffix != ".json"
}


def check_json_suffix(path: str | os.PathLike, flag: str = "--json") -> None:
    """Reject a JSON report output whose name does not end with ``.json``.

    The suffix is compared in any letter case, after trailing separators are
    dropped. ``check_file_name`` rejects those separators, and a name that is
    only ``.json``, separately.

    Raises:
        ValueError: If the name does not end with ``.json``. The message names
            ``flag`` and suggests the same path with ``.json`` in place of
            the trailing suffixes that mark another kind of file, such as
            ``.csv`` or ``.txt.gz``, or with ``.json`` added.
    """
    raw = os.fspath(path)
    stripped = strip_trailing_separators(raw)
    name = os.path.basename(stripped)
    if Path(name).suffix.lower() == ".json":
        return
    folder = stripped[: len(stripped) - len(name)]
    found_suffix = _trailing_suffixes(name, _NOT_JSON_SUFFIXES)
    if found_suffix is not None:
        stem, suffix, other_kind = found_suffix
        found = f"the suffix {suffix} marks {other_kind}"
        if not stem.lower().endswith(".json"):
            stem += ".json"
        suggested = folder + stem
    else:
        found = "the name does not end with .json"
        suggested = stripped + ".json"
    raise ValueError(
        f"{flag} {raw}: {found}, but {flag} writes a JSON report. Pass {flag} "
        f"{suggested} instead."
    )


def _replacement_mode(target: Path) -> int:
    """Return the permission bits for the file that will be renamed to ``target``.

    A file that exists keeps its read, write and execute bits, so a private
    file (0600) stays private. The set-user-ID, set-group-ID and sticky bits
    are not copied onto the new content. Linux also clears the first two when
    a process without CAP_FSETID writes to a file. A new file gets 0666 minus
    the umask.
    """
    try:
        return stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except OSError:
        return 0o666 & ~_current_umask()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Sync the folder entry so the rename survives a power loss."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        logger.debug("fsync of folder %s is not supported", folder)
    finally:
        os.close(descriptor)


def write_text_atomic(
    path: str | os.PathLike, text: str, *, replaces: FileIdentity | None = None
) -> FileIdentity:
    """Write UTF-8 ``text`` to ``path`` atomically.

    ``replaces`` and the return value are those of ``write_atomic``.
    """
    return write_atomic(
        path, lambda stream: stream.write(text.encode("utf-8")), replaces=replaces
    )


def save_bundle(
    path: str | os.PathLike,
    meta: dict,
    arrays: dict[str, np.ndarray],
    *,
    replaces: FileIdentity | None = None,
) -> FileIdentity:
    """Write JSON ``meta`` and ``arrays`` into one ``.npz`` file atomically.

    ``replaces`` and the return value are those of ``write_atomic``.
    """
    if META_KEY in arrays:
        raise ValueError(f"array name {META_KEY!r} is reserved for the metadata")
    payload = dict(arrays)
    payload[META_KEY] = np.frombuffer(
        json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8
    )
    return write_atomic(
        path, lambda stream: np.savez(stream, **payload), replaces=replaces
    )


def load_bundle(
    path: str | os.PathLike,
    *,
    kind: str = "embedsent",
    expected_format: str | None = None,
    damaged_fix: str = "write it again from the run that produced it",
) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by ``save_bundle``; never unpickles.

    Args:
        path: The ``.npz`` file.
        kind: What the file should be, for messages, such as "embedsent model".
        expected_format: The ``format`` field that the metadata must contain,
            such as ``"embedsent-model"``; None accepts any.
        damaged_fix: What to do with a damaged or truncated file, for messages.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if ``path`` is empty or is not a regular file, such as a
            folder. Also if the file is damaged, has no metadata, or is of
            another kind. The message then names the kind found and the
            Python function that reads it.
    """
    if not os.fspath(path):
        raise ValueError(f"the {kind} path is empty; pass the {kind} file")
    path = Path(path)
    # np.load would fail on a folder with "Is a directory", and would block
    # on a FIFO until a writer opens it.
    file_type = describe_non_regular_file(path)
    if file_type is not None:
        raise ValueError(
            f"{path} is {file_type}, not the {kind} file that was expected; pass "
            f"the path of the {kind} file"
        )
    if not path.exists():
        raise FileNotFoundError(f"{kind} file {path} does not exist")
    expected = bundle_kind(expected_format) if expected_format else None
    try:
        # np.load leaves a file it opened itself open when the zip is damaged,
        # so the file is opened here and always closed.
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        found = identify_file(path)
        if found.category in ("damaged", "bundle"):
            raise ValueError(
                f"{path} is damaged or truncated ({error}); {damaged_fix}"
            ) from error
        if expected is None:
            raise ValueError(
                f"{path} is {found.name}, not the {kind} file that was expected"
            ) from error
        raise ValueError(
            describe_mismatch(path, expected, found, python=True)
        ) from error
    if META_KEY not in arrays:
        found = identify_file(path)
        if expected is not None:
            raise ValueError(describe_mismatch(path, expected, found, python=True))
        raise ValueError(
            f"{path} has no embedsent metadata: it is {found.name}, not the "
            f"{kind} file that was expected"
        )
    source = f"{path} is damaged or was not written by embedsent: its __meta__ entry"
    try:
        meta = parse_json(
            arrays.pop(META_KEY).tobytes(), source=source, fix=damaged_fix
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path} is {INVALID_METADATA.name} ({error}), so it is damaged or "
            f"was not written by embedsent; {damaged_fix}"
        ) from error
    if not isinstance(meta, dict):
        raise ValueError(
            f"{path} is {METADATA_NOT_OBJECT.name}, so it is damaged or was not "
            f"written by embedsent; {damaged_fix}"
        )
    if expected is not None and meta.get("format") != expected_format:
        found = bundle_kind(meta.get("format"))
        raise ValueError(describe_mismatch(path, expected, found, python=True))
    return meta, arrays
