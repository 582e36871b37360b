"""Prepare the files that ``benchmarks/run_gpu_bench.sh`` needs on a GPU machine.

``python benchmarks/prepare_gpu_bench.py [--data PATH] [--out-dir .gpu]``

A GPU machine without network access but with Python, JAX for CUDA, optax,
numpy, scipy and scikit-learn installed can run the SGNS benchmark from two
things this script writes into ``--out-dir``:

- ``tokens.txt.gz``: the unlabeled reviews of ``--data`` after tokenisation,
  one review per line, so the GPU machine needs neither the archive nor nltk.
- ``wheels/``: gensim, nltk and the packages gensim needs that such a
  machine lacks, downloaded with ``pip download`` for ``--python-version``
  on x86-64 Linux. gensim provides the baseline and the word-similarity
  test files, and the command line imports nltk.

``.gpu/`` is git-ignored. This is the one step that uses the network, to
reach the package index; ``--no-wheels`` skips it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
from pathlib import Path

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


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
        help="Python version of the GPU machine, for the wheels (default: %(default)s)",
    )
    parser.add_argument(
        "--no-wheels", action="store_true", help="write the token file only"
    )
    return parser


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


def _create_folder(parser: argparse.ArgumentParser, folder: str | Path) -> Path:
    """Create ``folder`` for ``--out-dir``, or exit with a parser error naming it.

    A folder that is not writable is rejected here, before the tokenisation.
    """
    from embedsent.curve_data import ensure_folder

    try:
        return ensure_folder(folder, flag="--out-dir")
    except (ValueError, OSError) as error:
        # ensure_folder's messages name the flag, the folder and the fix.
        parser.error(str(error))


def _download_wheels(folder: Path, python_version: str) -> None:
    """Download the wheels of ``PINNED`` and ``UNPINNED`` into ``folder``."""
    requirements = [f"{name}=={importlib.metadata.version(name)}" for name in PINNED]
    requirements += UNPINNED
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", python_version, "-d", str(folder)]
    for tag in PLATFORMS:
        command += ["--platform", tag]
    subprocess.run(command + requirements, check=True)


def main(argv: list[str] | None = None) -> int:
    from embedsent.bench import BenchConfig, write_token_file

    parser = _build_parser()
    args = parser.parse_args(argv)
    _check_data(parser, args.data)
    out_dir = _create_folder(parser, args.out_dir)
    # The wheels folder is checked before the tokenisation, which takes minutes.
    wheels = None if args.no_wheels else _create_folder(parser, out_dir / "wheels")
    tokens_path = out_dir / "tokens.txt.gz"
    try:
        tokens = write_token_file(BenchConfig(data=args.data), tokens_path)
    except (ValueError, FileNotFoundError) as error:
        # load_aclimdb raises these for a folder or archive without the
        # aclImdb layout, or with a review that is not UTF-8.
        parser.error(f"--data {args.data}: {error}")
    print(
        f"wrote {tokens_path}: {len(tokens)} documents, {sum(map(len, tokens))} tokens"
    )
    if wheels is not None:
        _download_wheels(wheels, args.python_version)
        names = sorted(path.name for path in wheels.glob("*.whl"))
        print(f"wrote {len(names)} wheels to {wheels}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
