"""Fakes of os functions for file kinds and permissions that tests cannot create."""

from __future__ import annotations

import os
import stat
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


def fake_file_type(monkeypatch, path: Path, file_type: int = stat.S_IFCHR) -> None:
    """Make os.stat report the existing file ``path`` as ``file_type``.

    A real device node needs mknod and a socket needs binding, so a regular
    file is used instead. The default type is a character device, as /dev/null
    is.
    """
    real_stat = os.stat

    def fake_stat(target, *args, **kwargs):
        result = real_stat(target, *args, **kwargs)
        if os.fspath(target) != str(path):
            return result
        fields = list(result)
        fields[stat.ST_MODE] = file_type | 0o666
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", fake_stat)
