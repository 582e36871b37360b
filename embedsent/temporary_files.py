"""Temporary files of atomic saves, and removal of those that killed saves left.

An atomic save writes a temporary file next to its destination and renames it
over the destination. For a destination named NAME the temporary file is named
``.NAME.embedsent-XXXXXXXX.tmp``, where XXXXXXXX is random. The ``embedsent-``
marker keeps a user's own files of the form ``.NAME.XXXXXXXX.tmp`` from being
taken for temporary files of a save.

A process killed by SIGKILL or a power loss leaves its temporary file behind.
A save holds an exclusive ``flock`` on its temporary file until the rename,
and the kernel drops the lock when the process dies. So a marked temporary
file whose lock can be taken belongs to no live save, and the next save to the
same destination deletes it. A process ID in the name would
not tell this for a folder that processes of other hosts or PID namespaces
also write to, and an age limit would not for a slow save.

Without ``fcntl`` (on Windows), or on a file system that does not support
``flock``, temporary files are neither locked nor removed.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["create_locked_temporary", "remove_stale_temporaries"]

logger = logging.getLogger(__name__)

_SUFFIX = ".tmp"
# tempfile.mkstemp puts 8 characters from this set between the prefix and the
# suffix (tempfile._RandomNameSequence, CPython 3.11).
_RANDOM_PART = "[a-z0-9_]{8}"


# Maximum length of a file name on most file systems, in bytes.
_NAME_MAX_BYTES = 255
# Bytes of a temporary name besides the target's name: the leading ".", the
# ".embedsent-" marker, the random part and the suffix.
_OVERHEAD_BYTES = len(".") + len(".embedsent-") + 8 + len(_SUFFIX)


def _prefix(target: Path) -> str:
    """Return the prefix of the temporary names for ``target``.

    A target name too long to fit in a temporary name of at most 255 bytes
    is cut, at a character boundary, so that a save to a long but legal
    name does not fail.
    """
    name = target.name
    encoded = os.fsencode(name)
    room = _NAME_MAX_BYTES - _OVERHEAD_BYTES
    if len(encoded) > room:
        name = encoded[:room].decode("utf-8", "ignore")
    return f".{name}.embedsent-"


def create_locked_temporary(target: Path) -> tuple[int, int | None, str]:
    """Create a temporary file for a save to ``target``, in its folder.

    Returns the descriptor to write, a second descriptor that keeps the lock
    (None when the file could not be locked), and the file's path. Close the
    second descriptor only after the file is renamed or deleted.

    Raises:
        OSError: If the temporary file cannot be created.
    """
    while True:
        handle, temporary = tempfile.mkstemp(
            prefix=_prefix(target), suffix=_SUFFIX, dir=target.parent
        )
        try:
            lock = _lock(handle)
            # A remove_stale_temporaries call in another process can delete
            # the file between mkstemp and the lock. Then the file has no name
            # left and a new one is created.
            if lock is None or os.fstat(handle).st_nlink > 0:
                return handle, lock, temporary
            os.close(lock)
        except BaseException:
            os.close(handle)
            Path(temporary).unlink(missing_ok=True)
            raise
        os.close(handle)


def _lock(handle: int) -> int | None:
    """Lock the file of ``handle`` and return a duplicate that keeps the lock.

    An ``flock`` lock belongs to the open file, so it lasts until both
    descriptors are closed. Returns None when the file cannot be locked.
    """
    if fcntl is None:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    except OSError as error:
        logger.debug("cannot lock temporary file: %s", error)
        return None
    return os.dup(handle)


def remove_stale_temporaries(target: Path) -> list[str]:
    """Delete the temporary files of earlier saves to ``target`` that are unlocked.

    Only names of the exact form that :func:`create_locked_temporary` gives,
    ``.NAME.embedsent-XXXXXXXX.tmp`` for a target named NAME, are considered,
    so a file without the ``embedsent-`` marker is never deleted. Logs one
    INFO line naming the deleted files, and returns their names. Errors are
    not raised, because the save itself does not depend on them.
    """
    if fcntl is None:
        return []
    pattern = re.compile(re.escape(_prefix(target)) + _RANDOM_PART + re.escape(_SUFFIX))
    folder = target.parent
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError as error:
        logger.debug("cannot list %s for stale temporary files: %s", folder, error)
        return []
    removed = [
        name
        for name in sorted(names)
        if pattern.fullmatch(name) and _remove_if_unlocked(folder / name)
    ]
    if removed:
        logger.info(
            "deleted %s in %s, left by an interrupted save of %s",
            ", ".join(removed),
            folder,
            target.name,
        )
    return removed


def _remove_if_unlocked(path: Path) -> bool:
    """Delete the regular file at ``path`` if no process holds its lock."""
    try:
        # O_NONBLOCK keeps the open of a FIFO from waiting for a writer.
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        opened = os.fstat(handle)
        if not stat.S_ISREG(opened.st_mode):
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            # A live save holds the lock, or the file system has no locks.
            return False
        # The name must still be the file that was locked.
        if os.stat(path, follow_symlinks=False).st_ino != opened.st_ino:
            return False
        os.unlink(path)
    except OSError as error:
        logger.debug("cannot delete stale temporary file %s: %s", path, error)
        return False
    finally:
        os.close(handle)
    return True
