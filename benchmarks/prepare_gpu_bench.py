"""Prepare the files that ``benchmarks/run_gpu_bench.sh`` needs on a GPU machine.

``python benchmarks/prepare_gpu_bench.py [--data PATH] [--out-dir .gpu]``

A GPU machine without network access but with Python, JAX for CUDA, optax,
numpy, scipy and scikit-learn installed can run the SGNS benchmark from the
files this script writes into ``--out-dir``:

- ``tokens.txt.gz``: the unlabeled reviews of ``--data`` after tokenisation,
  one review per line, so the GPU machine needs neither the archive nor nltk.
- ``wheels/``: gensim, nltk and the packages gensim needs that such a
  machine lacks, downloaded with ``pip download`` for ``--python-version``
  on x86-64 Linux. gensim provides the baseline and the word-similarity
  test files, and the command line imports nltk.
- ``manifest.json``: the Python version and platform of the wheels, the
  embedsent version and commit, and the creation time. ``run_gpu_bench.sh``
  checks the GPU machine's ``python3`` against it.

``.gpu/`` is git-ignored. This is the one step that uses the network, to
reach the package index; ``--no-wheels`` skips it.

Every input is checked, and the reviews are read and tokenised, before any
folder is created. The outputs are written into a temporary folder inside
``--out-dir`` and moved into place at the end, so a failure or Ctrl-C
leaves ``--out-dir`` as it was, and removes the folders this run created.
The temporary folder's name, ``.prepare-PID@HOST-XXXXXXXX``, contains the
process id and host name of the run that writes it. A run that SIGKILL or a
crash ended leaves its folder behind, and the next run on the same host
removes it once that process id is no longer running.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from embedsent.console import INTERRUPTED_STATUS

# Pinned to the versions installed here, so both machines run the same code.
PINNED = ("gensim", "nltk")
# Packages that gensim needs beyond numpy and scipy. nltk needs click, joblib,
# regex and tqdm, which such a machine usually has.
UNPINNED = ("smart_open", "wrapt")
# pip matches platform tags exactly, so each manylinux tag in use is listed.
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_24_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
)
MACHINE = "x86_64"
TOKENS_NAME = "tokens.txt.gz"
WHEELS_NAME = "wheels"
MANIFEST_NAME = "manifest.json"
# Lines of pip's output repeated when pip download fails.
PIP_TAIL_LINES = 15
PROGRAM = "prepare_gpu_bench.py"
STAGING_PREFIX = ".prepare-"
# A temporary folder name: the prefix, the writer's process id and host name,
# and the random suffix of tempfile.mkdtemp, which has no "-".
STAGING_PATTERN = re.compile(
    re.escape(STAGING_PREFIX) + r"(?P<pid>[0-9]+)@(?P<host>.+)-[a-z0-9_]+"
)
REPOSITORY = Path(__file__).resolve().parents[1]


class PipDownloadError(RuntimeError):
    """Raised when ``pip download`` ends with a non-zero status."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description=__doc__.split("\n\n")[0], allow_abbrev=False
    )
    parser.add_argument(
        "--data",
        default="../shared/data/aclImdb-partial.tar.gz",
        help="aclImdb folder or .tar.gz (default: %(default)s)",
    )
    parser.add_argument(
        "--out-dir", default=".gpu", help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--python-version",
        default="3.12",
        help=(
            "Python version of the GPU machine's python3, for the wheels, as "
            "3.MINOR such as 3.11 or 3.12 (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--no-wheels",
        action="store_true",
        help=(
            "write the token file only; the GPU machine's python3 then needs "
            "gensim, nltk, smart_open and wrapt installed"
        ),
    )
    return parser


def _check_python_version(parser: argparse.ArgumentParser, version: str) -> None:
    """Exit with a parser error unless ``version`` is ``3.MINOR``."""
    if re.fullmatch(r"3\.(0|[1-9][0-9]?)", version) is None:
        parser.error(
            f"invalid --python-version {version!r}; pass 3.MINOR, "
            "such as 3.11 or 3.12, as `python3 --version` prints it on the GPU "
            "machine without the last part"
        )


def _check_data(parser: argparse.ArgumentParser, data: str) -> None:
    """Exit with a parser error when ``data`` cannot be an aclImdb folder or archive.

    A folder passes here, and so does a tar archive, plain or compressed;
    ``load_aclimdb`` checks their contents.
    """
    from embedsent.file_kinds import identify_file

    path = Path(data)
    if not path.exists():
        parser.error(
            f"--data {data}: file or folder not found; pass an aclImdb "
            "folder or its .tar.gz"
        )
    if not path.is_file():
        return
    found = identify_file(path)
    if found.category not in ("tar", "compressed"):
        parser.error(
            f"--data {data} is {found.name}, not an aclImdb folder or archive; "
            "pass an aclImdb folder or its .tar.gz"
        )


def _check_out_dir(parser: argparse.ArgumentParser, out_dir: str) -> Path:
    """Exit with a parser error when ``out_dir`` cannot be created or written.

    Nothing is created.
    """
    from embedsent.storage import check_folder_path

    try:
        folder = check_folder_path(out_dir, flag="--out-dir")
        for name in (TOKENS_NAME, MANIFEST_NAME, WHEELS_NAME):
            entry = folder / name
            kind_ok = entry.is_dir() if name == WHEELS_NAME else entry.is_file()
            if entry.exists() and not kind_ok:
                expected = "a folder" if name == WHEELS_NAME else "a file"
                raise ValueError(
                    f"--out-dir {folder}: {entry} exists and is not {expected}; "
                    "remove it, or pass another --out-dir path"
                )
    except (ValueError, OSError) as error:
        # check_folder_path's messages name the flag, the folder and the fix.
        parser.error(str(error))
    return folder


def _tokenise(parser: argparse.ArgumentParser, data: str) -> list[list[str]]:
    """Read and tokenise the unlabeled reviews of ``data``, as write_token_file does.

    Exits with a parser error when ``data`` does not have the aclImdb layout.
    """
    from embedsent.bench import BenchConfig, read_bench_tokens

    try:
        return read_bench_tokens(BenchConfig(data=data))
    except (ValueError, FileNotFoundError) as error:
        parser.error(f"--data {data}: {error}")


def _pip_download_command(folder: Path, python_version: str) -> list[str]:
    """Return the ``pip download`` command for ``PINNED`` and ``UNPINNED``."""
    requirements = [f"{name}=={importlib.metadata.version(name)}" for name in PINNED]
    requirements += UNPINNED
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", python_version, "-d", str(folder)]
    for tag in PLATFORMS:
        command += ["--platform", tag]
    return command + requirements


def _download_wheels(folder: Path, python_version: str) -> list[str]:
    """Download the wheels into ``folder`` and return their file names, sorted.

    Raises:
        PipDownloadError: If pip fails. pip's last lines of output are
            printed to standard error first.
    """
    command = _pip_download_command(folder, python_version)
    completed = subprocess.run(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        check=False,
    )
    if completed.returncode != 0:
        tail = completed.stdout.rstrip().splitlines()[-PIP_TAIL_LINES:]
        for line in tail:
            print(f"  pip: {line}", file=sys.stderr)
        raise PipDownloadError(
            f"pip download of {', '.join(PINNED + UNPINNED)} for Python "
            f"{python_version} failed with exit status {completed.returncode} "
            "(its last lines are above); check the network, the package index "
            "and --python-version, then rerun, or pass --no-wheels to write "
            "the token file only, in which case the GPU machine's python3 "
            f"must already have {', '.join(PINNED + UNPINNED)}"
        )
    return sorted(path.name for path in folder.glob("*.whl"))


def _embedsent_commit() -> str | None:
    """Return the commit of the checkout this script is in, or None."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None  # git is not installed.
    if completed.returncode != 0:
        return None  # Not a git checkout.
    return completed.stdout.strip() or None


def _manifest(
    data: str, tokens: list[list[str]], wheels: dict | None
) -> dict[str, object]:
    import embedsent

    created = datetime.datetime.now(datetime.UTC)
    return {
        "created": created.isoformat(timespec="seconds"),
        "embedsent_version": embedsent.__version__,
        "embedsent_commit": _embedsent_commit(),
        "tokens": {
            "file": TOKENS_NAME,
            "data": data,
            "documents": len(tokens),
            "tokens": sum(map(len, tokens)),
        },
        "wheels": wheels,
    }


def _earlier_wheels(out_dir: Path) -> dict | None:
    """Return the wheels entry of an earlier manifest whose wheels are still there."""
    if not (out_dir / WHEELS_NAME).is_dir():
        return None
    try:
        earlier = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wheels = earlier.get("wheels") if isinstance(earlier, dict) else None
    return wheels if isinstance(wheels, dict) else None


def _missing_folders(folder: Path) -> list[Path]:
    """Return ``folder`` and its parents that do not exist, deepest first."""
    missing = []
    for path in (folder, *folder.absolute().parents):
        if path.exists():
            break
        missing.append(path)
    return missing


@contextlib.contextmanager
def _holding_sigint(interrupted: list[bool]):
    """Record SIGINT in ``interrupted`` instead of raising KeyboardInterrupt."""
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _install(staging: Path, out_dir: Path, with_wheels: bool) -> bool:
    """Move the staged files into ``out_dir`` and return whether SIGINT arrived.

    SIGINT is held back during the moves, so they all happen. The manifest
    is moved last.
    """
    interrupted: list[bool] = []
    with _holding_sigint(interrupted):
        if with_wheels:
            old = out_dir / WHEELS_NAME
            if old.exists():
                os.replace(old, staging / "earlier-wheels")
            os.replace(staging / WHEELS_NAME, old)
        os.replace(staging / TOKENS_NAME, out_dir / TOKENS_NAME)
        os.replace(staging / MANIFEST_NAME, out_dir / MANIFEST_NAME)
    return bool(interrupted)


def _remove(staging: Path | None, missing: list[Path]) -> None:
    """Remove ``staging`` and the empty ``missing`` folders, holding back SIGINT."""
    with _holding_sigint([]):
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in missing:
            try:
                folder.rmdir()
            except OSError:
                break  # Not empty, or already gone.


def _process_is_running(pid: int) -> bool:
    """Return whether a process with id ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # It exists, but belongs to another user.
    except OverflowError:
        return False  # No process id is that large.
    return True


def _remove_stale_staging(out_dir: Path) -> None:
    """Remove the temporary folders in ``out_dir`` of runs that no longer run.

    A folder is removed only when its name has this host's name and a
    process id that no process has, and each removal is printed. A folder of
    another host, or with a name of another form, is kept with a message,
    because the process that writes it may still run.

    NOTE: a folder whose run's process id now belongs to an unrelated
    process is kept until that process ends.
    """
    host = socket.gethostname()
    for folder in sorted(out_dir.glob(STAGING_PREFIX + "*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        match = STAGING_PATTERN.fullmatch(folder.name)
        if match is None or match["host"] != host:
            print(
                f"{PROGRAM}: kept {folder}: its name has no process id of this "
                f"host, so a running process may own it; remove it by hand if "
                f"no {PROGRAM} run is using it",
                file=sys.stderr,
            )
            continue
        pid = int(match["pid"])
        if _process_is_running(pid):
            continue
        try:
            shutil.rmtree(folder)
        except OSError as error:
            print(
                f"{PROGRAM}: warning: could not remove {folder}, the temporary "
                f"folder of run {pid}, which no longer runs: {error}",
                file=sys.stderr,
            )
            continue
        print(
            f"{PROGRAM}: removed {folder}, the temporary folder of run {pid}, "
            "which no longer runs",
            file=sys.stderr,
        )


def _prepare(args: argparse.Namespace, out_dir: Path, tokens: list) -> int:
    """Write the outputs into a temporary folder and move them into ``out_dir``."""
    missing = _missing_folders(out_dir)
    staging = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(out_dir)
        prefix = f"{STAGING_PREFIX}{os.getpid()}@{socket.gethostname()}-"
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir))
        if args.no_wheels:
            wheels = _earlier_wheels(out_dir)
        else:
            (staging / WHEELS_NAME).mkdir()
            names = _download_wheels(staging / WHEELS_NAME, args.python_version)
            wheels = {
                "folder": WHEELS_NAME,
                "python_version": args.python_version,
                "implementation": "cp",
                "machine": MACHINE,
                "platforms": list(PLATFORMS),
                "files": names,
            }
        from embedsent.bench import write_tokens

        write_tokens(staging / TOKENS_NAME, tokens)
        manifest = _manifest(args.data, tokens, wheels)
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )
        interrupted = _install(staging, out_dir, with_wheels=not args.no_wheels)
    except BaseException:
        # The folders this run created are removed too, so --out-dir is left
        # as it was.
        _remove(staging, missing)
        raise
    _remove(staging, [])
    print(
        f"wrote {out_dir / TOKENS_NAME}: {manifest['tokens']['documents']} "
        f"documents, {manifest['tokens']['tokens']} tokens"
    )
    if not args.no_wheels:
        files = wheels["files"]
        print(
            f"wrote {len(files)} wheels for Python {args.python_version} to "
            f"{out_dir / WHEELS_NAME}: {', '.join(files)}"
        )
    elif wheels is not None:
        print(
            f"kept the wheels for Python {wheels.get('python_version')} of an "
            f"earlier run in {out_dir / WHEELS_NAME}"
        )
    print(f"wrote {out_dir / MANIFEST_NAME}")
    if interrupted:
        print(
            f"{PROGRAM}: interrupted after the files in {out_dir} were complete",
            file=sys.stderr,
        )
        return INTERRUPTED_STATUS
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    out_dir = None
    try:
        _check_python_version(parser, args.python_version)
        _check_data(parser, args.data)
        out_dir = _check_out_dir(parser, args.out_dir)
        # Reading and tokenising also checks the aclImdb layout of --data,
        # before any folder is created.
        tokens = _tokenise(parser, args.data)
        return _prepare(args, out_dir, tokens)
    except PipDownloadError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        where = f" to {out_dir}" if out_dir is not None else ""
        print(
            f"{PROGRAM}: interrupted; nothing was written{where}, rerun to prepare",
            file=sys.stderr,
        )
        return INTERRUPTED_STATUS


if __name__ == "__main__":
    sys.exit(main())
