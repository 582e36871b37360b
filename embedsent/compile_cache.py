"""A folder of compiled XLA programs that later runs read instead of compiling.

This is JAX's persistent compilation cache. Each program is stored under a
key made from its computation, shapes, devices, flags and the jax and jaxlib
versions, so a changed setting compiles anew. The SGNS step is compiled for
the shape of its tables, so a new vocabulary size compiles it again. On a
2-core machine the SGNS step with the default settings compiled in 1.6 to
1.9 s with 135 to 177 MB of temporary memory. Read from the cache, it took
0.3 s and 42 to 47 MB. The step's entry takes about 0.1 MB and most others a
few KB, and the folder is kept under ``MAX_MEGABYTES`` by deleting the least
recently used ones.

JAX runs what it reads from the folder, so anyone who can write to the folder
can run code as you. The folder is created readable and writable by its owner
only. A folder that other users may write to is rejected, and so is one below
a folder that they may write to without the sticky bit.

The command line enables the cache by default. Python code enables it with
``enable_compile_cache()``, before its first JAX computation.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import stat
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

from embedsent.storage import check_folder_path

__all__ = [
    "ENV_VAR",
    "CompileCacheError",
    "default_cache_dir",
    "disable_compile_cache",
    "enable_compile_cache",
    "log_cache_warnings",
]

logger = logging.getLogger(__name__)

# A folder path, or one of OFF_VALUES to run without the cache.
ENV_VAR = "EMBEDSENT_COMPILE_CACHE"
OFF_VALUES = frozenset({"0", "off", "false", "no", "none"})

# Programs that compile faster than this are not written. Every program is by
# default, because compiling even a small one keeps LLVM's code and heap
# resident: a cached 1-epoch SGNS run peaked 33 MB lower in RSS with all read back.
MIN_COMPILE_SECONDS = 0.0

# Size limit of the folder. The SGNS step takes about 0.15 MB per vocabulary
# size, so the limit has room for the programs of over a thousand corpora.
MAX_MEGABYTES = 256.0


class CompileCacheError(ValueError):
    """The cache folder cannot be used; the message names it and the fix."""


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the cache folder that ``environ`` sets, or None for no cache.

    ``EMBEDSENT_COMPILE_CACHE`` gives a folder, or ``off`` (also ``0``,
    ``false``, ``no``, ``none``) for none. Unset or empty, the folder is
    ``embedsent/xla`` under ``XDG_CACHE_HOME``, or under ``~/.cache`` when
    that is unset too. The XDG Base Directory Specification calls a relative
    ``XDG_CACHE_HOME`` invalid and says to ignore it, so such a value, which
    would put the cache in whatever folder a command runs in, gives
    ``~/.cache`` and one warning per value.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_VAR, "").strip()
    if value.lower() in OFF_VALUES:
        return None
    if value:
        return Path(value).expanduser()
    base = environ.get("XDG_CACHE_HOME", "").strip()
    root = Path.home() / ".cache"
    if base and Path(base).is_absolute():
        root = Path(base)
    elif base and base not in _warned_relative_bases:
        _warned_relative_bases.add(base)
        logger.warning(
            "ignoring XDG_CACHE_HOME=%s: the XDG Base Directory Specification "
            "requires an absolute path, so the compile cache goes under %s; set "
            "XDG_CACHE_HOME to an absolute path, or %s to the cache folder",
            base,
            root,
            ENV_VAR,
        )
    return root / "embedsent" / "xla"


# The relative XDG_CACHE_HOME values that ``default_cache_dir`` has warned
# about in this process.
_warned_relative_bases: set[str] = set()


def enable_compile_cache(
    path: str | os.PathLike | None = None,
    *,
    min_compile_seconds: float = MIN_COMPILE_SECONDS,
    max_megabytes: float = MAX_MEGABYTES,
    source: str | None = None,
) -> Path:
    """Store compiled programs in ``path`` and read them back in later runs.

    Call it before the first JAX computation of the process. A later call
    switches folders for the programs compiled after it.

    Args:
        path: The folder. None uses ``default_cache_dir()`` and raises
            ``CompileCacheError`` when the environment turns the cache off.
        min_compile_seconds: Programs that compile faster are not stored.
        max_megabytes: Size limit of the folder's entries in MB (10**6
            bytes). When they take more at the call, the least recently used
            ones (by file access, or modification when later) are deleted
            until they fit. ``math.inf`` keeps every entry.
        source: Where ``path`` came from, for messages: ``"--compile-cache"``,
            ``ENV_VAR`` or None for Python code.

    Returns:
        The folder, created with owner-only permissions when it was missing.

    Entries that cannot be decompressed, such as a file cut short when a
    run was stopped while JAX wrote it, are deleted with a warning.

    Raises:
        CompileCacheError: if the folder cannot be created or written, it
            belongs to another user, or another user could write to it or
            to a folder above it that lacks the sticky bit.
    """
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    if not (
        isinstance(min_compile_seconds, int | float)
        and math.isfinite(min_compile_seconds)
        and min_compile_seconds >= 0
    ):
        raise ValueError(
            "min_compile_seconds must be a finite number >= 0, got "
            f"{min_compile_seconds!r}"
        )
    if not (
        isinstance(max_megabytes, int | float)
        and not isinstance(max_megabytes, bool)
        and max_megabytes >= 0
    ):
        raise ValueError(
            f"max_megabytes must be a number >= 0 (math.inf for no limit), got "
            f"{max_megabytes!r}"
        )
    if path is None:
        path = default_cache_dir()
        if path is None:
            raise CompileCacheError(
                f"{ENV_VAR}={os.environ.get(ENV_VAR, '')!r} turns the compile "
                f"cache off; pass a folder, or unset {ENV_VAR}"
            )
    if os.fspath(path):
        # JAX keeps the path as given, so a relative one would move with the
        # working folder.
        path = Path(path).expanduser().absolute()
    subject = f"{source} {path}" if source else f"compile cache folder {path}"
    fix = f"pass another {source} folder" if source else "pass another folder"
    without = {
        "--compile-cache": "pass --no-compile-cache",
        ENV_VAR: f"set {ENV_VAR}=off",
    }.get(source, "run without the cache")
    try:
        folder = check_folder_path(path, source)
        # Unsafe parents are rejected before any folder is created below them.
        problem = _unsafe_parents(folder)
        shared = False
        if problem is None:
            missing_parent = _first_missing_parent(folder)
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if source and missing_parent is not None:
                # A mistyped path would otherwise leave a new tree of folders
                # that nothing reports.
                logger.warning(
                    "created %s and the folders below it for the compile cache "
                    "%s; check %s for a typo",
                    missing_parent,
                    folder,
                    source,
                )
            problem = _unsafe_folder(folder)
            shared = problem is not None and bool(folder.stat().st_mode & stat.S_ISVTX)
    except (OSError, ValueError) as error:
        raise CompileCacheError(f"{error}, or {without}") from error
    if problem is not None:
        if shared:
            fix = (
                f"pass a folder of your own inside it, such as "
                f"{folder.resolve() / 'embedsent-xla'}"
            )
        raise CompileCacheError(
            f"{subject}: {problem}, so other users could run code as you "
            f"through the cache; {fix}, or {without}"
        )
    _remove_least_recent_entries(folder, max_megabytes * 1e6)
    _remove_unreadable_entries(folder)
    # A process that has compiled anything has already decided whether to
    # use the cache; resetting makes it look again.
    compilation_cache.reset_cache()
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", min_compile_seconds)
    logger.info("compiled programs are cached in %s", folder)
    return folder


def _first_missing_parent(folder: Path) -> Path | None:
    """Return the highest missing folder above ``folder``, or None."""
    missing = None
    for parent in folder.parents:
        if parent.exists():
            break
        missing = parent
    return missing


def _unsafe_folder(folder: Path) -> str | None:
    """Return why other users could change ``folder``'s files, or None.

    The folder itself must belong to the current user and be writable by no
    other user. ``enable_compile_cache`` checks the folders above it with
    ``_unsafe_parents`` before it creates the folder.
    """
    folder = folder.resolve()
    info = folder.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"{folder} belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        if info.st_mode & stat.S_ISVTX:
            # A shared folder such as /tmp must stay writable by everyone, so
            # the caller's advice names a folder inside it instead of chmod.
            return f"{folder} is shared: others may write to it"
        return f"{folder} is writable by other users (run chmod go-w {folder})"
    return None


def _unsafe_parents(folder: Path) -> str | None:
    """Return why other users could rename ``folder`` or a folder above it.

    Each existing folder above ``folder`` must belong to root or the current
    user, and may be writable by others only with the sticky bit (as
    ``/tmp`` is), which stops them from renaming the folders below.
    ``folder`` itself need not exist yet.
    """
    folder = folder.resolve()
    for parent in folder.parents:
        if not parent.exists():
            continue
        parent_info = parent.stat()
        if hasattr(os, "getuid") and parent_info.st_uid not in (0, os.getuid()):
            return f"{parent}, a folder above it, belongs to another user"
        mode = parent_info.st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH) and not mode & stat.S_ISVTX:
            return (
                f"{parent}, a folder above it, is writable by other users "
                "without the sticky bit"
            )
    return None


def _remove_least_recent_entries(folder: Path, max_bytes: float) -> list[Path]:
    """Delete the least recently used entries of ``folder`` beyond ``max_bytes``.

    An entry's last use is the later of its access and modification times.
    Reading an entry updates its access time, at least daily on file systems
    mounted with ``relatime``. Returns the deleted paths.
    """
    entries = []
    for entry in folder.glob("*-cache"):
        try:
            info = entry.stat()
        except OSError:
            continue  # deleted meanwhile by another run
        entries.append((max(info.st_atime, info.st_mtime), entry.name, entry, info))
    total = sum(info.st_size for *_, info in entries)
    removed = []
    for _, _, entry, info in sorted(entries):
        if total <= max_bytes:
            break
        try:
            entry.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            logger.warning("could not delete compile cache entry %s: %s", entry, error)
            continue
        total -= info.st_size
        removed.append(entry)
    if removed:
        logger.info(
            "deleted %d least recently used compile cache entries from %s to keep "
            "it under %g MB",
            len(removed),
            folder,
            max_bytes / 1e6,
        )
    return removed


def _remove_unreadable_entries(folder: Path) -> list[Path]:
    """Delete the entries of ``folder`` that JAX could not decompress.

    JAX writes an entry in place, so a run stopped during the write leaves a
    truncated file. JAX would warn on every later run, compile again and
    never replace the file. Returns the deleted paths.
    """
    try:
        # JAX's own choice of zstandard or zlib. The function is private, so
        # a JAX version without it skips the check.
        from jax._src.compilation_cache import decompress_executable
    except ImportError:
        return []
    removed = []
    for entry in sorted(folder.glob("*-cache")):
        try:
            decompress_executable(entry.read_bytes())
        except OSError:
            continue  # JAX reports a file that it cannot open.
        except Exception as error:  # noqa: BLE001 - any decoder's error
            logger.warning(
                "deleted compile cache entry %s, which could not be read (%s). "
                "Its program is compiled again",
                entry,
                error,
            )
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


# The warning that jax._src.compiler (JAX 0.10.2) issues when it cannot read
# or write a cache entry. JAX then compiles the program as if the cache were
# empty, or keeps the compiled program in memory only.
_JAX_CACHE_WARNING = re.compile(
    r"Error (?P<operation>reading|writing) persistent compilation cache entry "
    r"for '(?P<name>[^']*)': (?P<error>.*)",
    re.DOTALL,
)


@contextlib.contextmanager
def log_cache_warnings(folder: str | os.PathLike, fix: str) -> Iterator[None]:
    """Log JAX's warnings about unreadable or unwritable cache entries.

    Inside the block, each such warning becomes one logged warning that names
    ``folder`` and ends with ``fix``, such as ``"pass --no-compile-cache"``.
    A failure already logged with the same error text is logged at DEBUG,
    because JAX warns once per program. Other warnings are shown as before.
    The block replaces ``warnings.showwarning``, so it is not thread-safe, as
    ``warnings.catch_warnings`` is not.
    """
    logged: set[tuple[str, str]] = set()
    with warnings.catch_warnings():
        show_other = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            match = _JAX_CACHE_WARNING.fullmatch(str(message))
            if match is None:
                show_other(message, category, filename, lineno, file, line)
                return
            operation, error = match["operation"], match["error"]
            first = (operation, error) not in logged
            logged.add((operation, error))
            done = "compiled" if operation == "reading" else "not stored"
            logger.log(
                logging.WARNING if first else logging.DEBUG,
                "compile cache %s: %s program %s failed (%s), so it is %s and "
                "the command continues; to run without the cache, %s",
                folder,
                operation,
                match["name"],
                error,
                done,
                fix,
            )

        warnings.showwarning = show
        yield


def disable_compile_cache() -> None:
    """Compile every program anew, for programs compiled after this call."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    compilation_cache.reset_cache()
    jax.config.update("jax_compilation_cache_dir", None)
