"""The lock that keeps two runs from writing one SGNS checkpoint at once.

A run takes an exclusive ``flock`` on the hidden file ``.NAME.lock`` next to
its checkpoint NAME. The kernel releases the lock when the process dies, so a
killed run leaves at most an unlocked file, which the next run takes over.
This module imports no JAX, so the command line can check a checkpoint
before it loads or tokenises anything.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = [
    "CheckpointInUseError",
    "check_checkpoint_free",
    "lock_checkpoint",
    "lock_path_of",
    "locks_supported",
]

logger = logging.getLogger(__name__)


class CheckpointInUseError(OSError):
    """Raised when another running process holds a checkpoint's lock."""


def locks_supported() -> bool:
    """Return whether this platform has ``flock`` (not on Windows)."""
    return fcntl is not None


def lock_path_of(path: Path) -> Path:
    """Return the lock file of the checkpoint ``path``: ``.NAME.lock`` beside it."""
    return path.with_name(f".{path.name}.lock")


def check_checkpoint_free(path: Path) -> None:
    """Raise CheckpointInUseError when a running process holds ``path``'s lock.

    The lock is taken and released at once. A run that starts right after
    this check can still take it first, and then the later run fails when it
    takes the lock itself.
    """
    if fcntl is None or not lock_path_of(path).exists():
        return
    handle = lock_checkpoint(path, lock_path_of(path))
    if handle is not None:
        os.close(handle)


def lock_checkpoint(path: Path, lock_path: Path) -> int | None:
    """Return a descriptor that holds the lock on ``lock_path``, or None."""
    while True:
        try:
            handle = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError as error:
            logger.debug("cannot create checkpoint lock %s: %s", lock_path, error)
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise CheckpointInUseError(
                f"checkpoint {path} is in use by another running process (it "
                f"holds the lock on {lock_path}); wait for that run to end, or "
                "pass another checkpoint path"
            ) from None
        except OSError as error:
            os.close(handle)
            logger.debug("cannot lock checkpoint lock %s: %s", lock_path, error)
            return None
        # A run that ended between the open and the lock deleted the file, so
        # this lock guards nothing. The next pass locks the file at the path.
        try:
            current = os.stat(lock_path)
        except FileNotFoundError:
            current = None
        opened = os.fstat(handle)
        if current is not None and (current.st_dev, current.st_ino) == (
            opened.st_dev,
            opened.st_ino,
        ):
            return handle
        os.close(handle)
