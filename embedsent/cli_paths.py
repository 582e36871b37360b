"""Checks of the files and folders that ``embedsent`` flags name, before any work.

A missing input is rejected, and so is an input of a kind that its flag does
not take, such as word vectors given as ``--model``. The message names the
flag and the kind of the file, and lists what the flag accepts. An output
that names an input or another output, lies in a missing or unwritable
folder, or names an existing file that is not writable, is rejected, because
writing it would destroy that file or fail after the work.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from embedsent.file_kinds import (
    BUNDLE_KINDS,
    CHECKPOINT_FORMAT,
    MODEL_FORMAT,
    SGNS_FORMAT,
    WORD_VECTORS,
    describe_mismatch,
    identify_file,
)

__all__ = ["check_input_paths", "check_output_paths"]

# Flags whose files a command reads, or reads and rewrites (a checkpoint).
_INPUT_FLAGS = (
    "data",
    "tokens",
    "vectors",
    "model",
    "unlabeled",
    "continue_from",
    "checkpoint",
)
_OUTPUT_FLAGS = ("out", "save_model", "json", "plot")

# Suffixes that the commands read as tables. Other --data files are read as
# aclImdb tar archives, except .txt files for `pretrain`.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")

# The kinds of --data input, as the commands' help describes them.
_DATA_INPUTS = {
    "aclimdb": "an aclImdb folder or its .tar.gz archive",
    "txt": "a .txt file with one text per line",
    "text_table": "a .csv/.tsv/.jsonl file with a text column",
    "table": "a .csv/.tsv/.jsonl file with text and label columns",
    "default": "'default' for the shipped corpus",
}
_LABELED_INPUTS = ("table", "aclimdb", "default")
# The --data inputs of each command, or of each `bench` target.
_COMMAND_DATA_INPUTS = {
    "pretrain": ("aclimdb", "txt", "text_table", "default"),
    "train": _LABELED_INPUTS,
    "diagnose": _LABELED_INPUTS,
    "select": _LABELED_INPUTS,
    "compare": ("aclimdb", "default"),
    "bench sgns": ("aclimdb",),
    "bench transfer": ("aclimdb", "default"),
}
# Flags whose file must be an embedsent .npz bundle of one format.
_BUNDLE_FLAGS = {
    "model": MODEL_FORMAT,
    "continue_from": SGNS_FORMAT,
    "checkpoint": CHECKPOINT_FORMAT,
}
# How to get a file for a flag that names a missing one.
_MISSING_FIXES = {
    "vectors": WORD_VECTORS.origin,
    "model": BUNDLE_KINDS[MODEL_FORMAT].origin,
    "continue_from": BUNDLE_KINDS[SGNS_FORMAT].origin,
    "unlabeled": "Pass a .txt file with one text per line.",
    "tokens": "benchmarks/prepare_gpu_bench.py writes one from an aclImdb archive.",
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _same_file(first: Path, second: Path) -> bool:
    return first.resolve() == second.resolve()


def _command_name(args: argparse.Namespace) -> str:
    target = getattr(args, "target", None)
    return f"{args.command} {target}" if target else args.command


def _accepted_inputs(inputs: tuple[str, ...]) -> str:
    descriptions = [_DATA_INPUTS[name] for name in inputs]
    if len(descriptions) == 1:
        return descriptions[0]
    return ", ".join(descriptions[:-1]) + ", or " + descriptions[-1]


def check_input_paths(args: argparse.Namespace) -> None:
    """Reject missing inputs and inputs of the wrong kind before any work starts.

    Raises:
        FileNotFoundError: If a file that an input flag names does not exist;
            the message names the flag and how to get such a file.
        ValueError: If ``--data`` is of a kind the command does not read, or
            ``--model``, ``--continue-from`` or an existing ``--checkpoint``
            is not the embedsent file that the flag takes.
    """
    for name in ("tokens", "vectors", "model", "unlabeled", "continue_from"):
        value = getattr(args, name, None)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, str) and item and not Path(item).exists():
                raise FileNotFoundError(
                    f"{_flag(name)} {item}: file not found. {_MISSING_FIXES[name]}"
                )
    data = getattr(args, "data", None)
    inputs = _COMMAND_DATA_INPUTS.get(_command_name(args))
    # A report from stored runs reads no corpus, and a token file replaces
    # the corpus, so --data is not read then.
    unread = getattr(args, "report_only", False) or getattr(args, "tokens", None)
    if isinstance(data, str) and inputs is not None and not unread:
        _check_data(data, inputs, _command_name(args))
    for name, expected_format in _BUNDLE_FLAGS.items():
        value = getattr(args, name, None)
        if isinstance(value, str) and Path(value).is_file():
            _check_bundle(name, Path(value), expected_format)


def _check_data(data: str, inputs: tuple[str, ...], command: str) -> None:
    accepted = f"--data accepts {_accepted_inputs(inputs)}"

    if data == "default":
        if "default" not in inputs:
            raise ValueError(
                f"--data default: `embedsent {command}` cannot read the shipped "
                f"corpus; {accepted}"
            )
        return

    path = Path(data)
    if not path.exists():
        hint = ""
        if data.lower() == "default" and "default" in inputs:
            hint = "; for the shipped corpus, pass --data default in lower case"
        raise FileNotFoundError(
            f"--data {data}: file or folder not found{hint}; {accepted}"
        )
    if path.is_dir():
        return

    suffix = path.suffix.lower()
    if suffix == ".txt" and "txt" not in inputs:
        description = "a .txt file"
        if "table" in inputs:
            description += (
                ", which has texts without labels (`embedsent pretrain --data` "
                "reads it)"
            )
        raise ValueError(
            f"--data {data}: `embedsent {command}` cannot read {description}; "
            f"{accepted}"
        )
    if suffix in TABLE_SUFFIXES and not {"table", "text_table"} & set(inputs):
        raise ValueError(
            f"--data {data}: `embedsent {command}` cannot read a "
            f".csv/.tsv/.jsonl table; {accepted}"
        )
    if suffix == ".txt" or suffix in TABLE_SUFFIXES:
        return

    # Any other file is read as a tar archive, plain or compressed.
    found = identify_file(path)
    if found.category in ("tar", "compressed"):
        return
    sentences = [
        f"--data {data} is {found.name}, which `embedsent {command}` cannot "
        f"read; {accepted}."
    ]
    has_tables = "table" in inputs or "text_table" in inputs
    if has_tables and found.category in ("text", "zip"):
        sentences.append(
            "Tables are recognised by their suffix, so save a spreadsheet as "
            ".csv, and give a CSV or JSON Lines file the suffix .csv or .jsonl."
        )
    if found.use:
        sentences.append(found.use)
    raise ValueError(" ".join(sentences))


def _check_bundle(name: str, path: Path, expected_format: str) -> None:
    found = identify_file(path)
    if found.category == "damaged":
        fix = "write it again from the run that produced it"
        if name == "checkpoint":
            fix = "delete it to start the run over, or pass another --checkpoint path"
        raise ValueError(f"{_flag(name)} {path} is {found.name}; {fix}")
    expected = BUNDLE_KINDS[expected_format]
    if found != expected:
        message = describe_mismatch(path, expected, found)
        raise ValueError(f"{_flag(name)} {message}")


def check_output_paths(args) -> None:
    """Reject output paths that cannot be written before any long work starts.

    An output that names an input or another output would destroy that file,
    so it is rejected too.

    Raises:
        ValueError: If an output is a folder, names an input or another
            output, or lies in a missing folder.
        PermissionError: If the folder of an output or of ``--checkpoint``
            is not writable, or the file exists and is not writable.
    """
    seen: list[tuple[str, Path]] = []
    for name in _INPUT_FLAGS + _OUTPUT_FLAGS:
        value = getattr(args, name, None)
        # A flag such as `select --vectors A B` contains a list of paths.
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, str) and item not in ("", "-", "default"):
                seen.append((name, Path(item)))
    for index, (name, path) in enumerate(seen):
        if name not in _OUTPUT_FLAGS:
            continue
        for other, other_path in seen[:index]:
            if _same_file(path, other_path):
                raise ValueError(
                    f"{_flag(name)} {path} is also {_flag(other)}, so writing it "
                    f"would overwrite that file; pass a different {_flag(name)}"
                )
    # A checkpoint is read back on resume but also written during training.
    for name in (*_OUTPUT_FLAGS, "checkpoint"):
        value = getattr(args, name, None)
        if not value:
            continue
        path = Path(value)
        if path.is_dir():
            raise ValueError(
                f"{_flag(name)} {value} is a folder; pass a file path inside it"
            )
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise ValueError(
                f"{_flag(name)} {value}: folder {folder} does not "
                "exist; create it first"
            )
        _check_writable(name, value, path, folder)


def _check_writable(name: str, value: str, path: Path, folder: Path) -> None:
    # Saves write a temporary file in the folder and rename it over the
    # output, so they need write and search permission on the folder.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(
            f"{_flag(name)} {value}: folder {folder} is not writable; pass a "
            f"{_flag(name)} path in a writable folder, or make {folder} writable"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise PermissionError(
            f"{_flag(name)} {value}: the file exists and is not writable; make "
            f"it writable, or pass another {_flag(name)} path"
        )
