"""Folders that tests make look unwritable."""

from __future__ import annotations

import os
from pathlib import Path


def deny_write(monkeypatch, denied: Path) -> None:
    """Make os.access report ``denied`` as not writable.

    Permission bits do not stop root, so a chmod would not make the checks
    fail when the tests run as root.
    """
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path) == denied and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
