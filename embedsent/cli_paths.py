"""Checks of the files and folders that ``embedsent`` flags name, before any work.

A missing or empty input is rejected. So is an input of a kind that its flag
does not take, such as word vectors given as ``--model``, a folder given to a
flag that takes a file, or a binary file given where text is read. The
message names the flag and the kind of the file, and lists what the flag
accepts. An output that is empty, names an input or another output, lies in a
missing or unwritable folder, or names an existing file that is not writable
or not a regular file, is rejected, because writing it would destroy that
file or fail after the work. An output that writes an .npz bundle (a model,
an SGNS model, a checkpoint) is rejected when its suffix, such as .txt or
.csv, marks another kind of file, and a ``--json`` report needs the suffix
.json. An output that names an existing file of
another kind than the output, such as a labeled CSV given as ``--json``, is
rejected, and one of the same kind is replaced. A JSON report or a plot is
replaced only when embedsent wrote it: the report starts with
``storage.REPORT_KEY``, and the image carries the creator tag
``output_kinds.PLOT_CREATOR``. A JSON report is
replaced only by a report of the command that wrote it, which that key names.
The check of an existing file's kind is embedsent.output_kinds, which the
Python saves call too.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from embedsent.checkpoint_lock import CheckpointInUseError, check_checkpoint_free
from embedsent.file_kinds import (
    BUNDLE_KINDS,
    CHECKPOINT_FORMAT,
    INVALID_METADATA,
    METADATA_NOT_OBJECT,
    MODEL_FORMAT,
    MODEL_REBUILD_ADVICE,
    NUL_BYTES_ADVICE,
    SGNS_FORMAT,
    WORD2VEC_BINARY,
    WORD_VECTORS,
    FileKind,
    describe_mismatch,
    describe_non_regular_file,
    identify_bytes,
    identify_file,
)
from embedsent.output_kinds import (
    JSON_REPORT,
    MARKDOWN_TEXT,
    PLOT_IMAGE,
    PNG_IMAGE,
    RESULTS_STORE,
    TABLE_SUFFIXES,
    check_replaceable,
    read_head,
)
from embedsent.storage import (
    REPORT_KEY,
    check_bundle_suffix,
    check_file_name,
    check_folder_path,
    check_json_suffix,
    check_not_read_only,
    check_vectors_suffix,
    describe_descriptor_path,
    first_non_folder,
    strip_trailing_separators,
)
from embedsent.vector_io import wide_text_error

__all__ = [
    "DEFAULT_BENCH_DATA",
    "check_compile_cache_path",
    "check_input_paths",
    "check_output_paths",
    "check_text_content",
    "describe_data_stream",
]

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
# Flags that name a folder that a command creates and writes files into.
_FOLDER_OUTPUT_FLAGS = ("out_dir", "docs_dir")
# TABLE_SUFFIXES lists the suffixes that the commands read as tables. Other
# --data files are read as aclImdb tar archives, except .txt files for
# `pretrain`.
# The table suffixes as messages and help texts list them.
TABLE_FILES = "/".join(TABLE_SUFFIXES)
# The default --data of the benchmarks: the IMDB archive as seen from the
# repository root.
DEFAULT_BENCH_DATA = "../shared/data/aclImdb-partial.tar.gz"
# Input flags that take files, never folders, with the file each one takes.
_FILE_INPUTS = {
    "tokens": "a token file with one document per line",
    "vectors": "a word-vector file",
    "model": "an embedsent classifier model file",
    "unlabeled": f"a .txt file with one text per line, or a {TABLE_FILES} "
    "file with a text column",
    "continue_from": "an SGNS model file",
    "checkpoint": "a checkpoint file, or a path that does not exist yet",
}


# Suffixes of --data files that the commands read as text.
_TEXT_SUFFIXES = (".txt", *TABLE_SUFFIXES)
# Suffixes of files that the aclImdb loader reads as (compressed) tar archives.
_ARCHIVE_SUFFIXES = (".tar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz")
# Compression suffixes, with the compression's name and the command that
# decompresses a file and keeps the compressed one.
_COMPRESSIONS = {
    ".gz": ("gzip", "gunzip -k"),
    ".bz2": ("bzip2", "bunzip2 -k"),
    ".xz": ("xz", "unxz -k"),
}
# Kinds from identify_file that are binary formats, so never text. NUL bytes
# make a file "binary", unless the text is UTF-16 or UTF-32.
_BINARY_CATEGORIES = frozenset(
    ("bundle", "damaged", "zip", "compressed", "tar", "npy", "pickle", "binary")
)

# The kinds of --data input, as the commands' help describes them.
_DATA_INPUTS = {
    "aclimdb": "an aclImdb folder or its .tar.gz archive",
    "txt": "a .txt file with one text per line",
    "text_table": f"a {TABLE_FILES} file with a text column",
    "table": f"a {TABLE_FILES} file with text and label columns",
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
# File flags whose file the command reads once, from start to end, so a FIFO
# (a named pipe or a shell process substitution <(...)) is accepted. --data
# and the `predict` inputs are read once as well, and --unlabeled is read once
# by cli_input.read_unlabeled_file.
_SINGLE_READ_FLAGS = frozenset(("unlabeled",))
# Reasons that each other file flag rejects a FIFO, for its message.
# WordVectors.load reads a vectors file to detect its format and then again to
# load it. An .npz bundle is a zip archive, whose list of contents is at its
# end, so numpy seeks in it. `bench sgns` reads --tokens, and then its trial
# process reads it again.
_READ_TWICE = {
    "vectors": "--vectors is read twice, once to detect its format",
    "model": "--model is a zip (.npz) file, which is read by seeking",
    "continue_from": "--continue-from is a zip (.npz) file, which is read by seeking",
    "tokens": "--tokens is read twice, once to check it and once by the "
    "benchmark trial",
}
# Kinds from identify_file that no --vectors format reads.
_NOT_VECTORS = ("bundle", "damaged", "zip", "tar", "npy", "empty", "binary")
# Flags whose file must be an embedsent .npz bundle of one format.
_BUNDLE_FLAGS = {
    "model": MODEL_FORMAT,
    "continue_from": SGNS_FORMAT,
    "checkpoint": CHECKPOINT_FORMAT,
}
# Output flags that write an embedsent .npz bundle, with the bundle's format.
# --out writes one only for these commands, and word vectors for `pretrain`.
_BUNDLE_OUTPUTS = {
    ("train", "out"): MODEL_FORMAT,
    ("select", "out"): MODEL_FORMAT,
    ("pretrain", "save_model"): SGNS_FORMAT,
    ("pretrain", "checkpoint"): CHECKPOINT_FORMAT,
}
# How to get a file for a flag that names a missing one.
_MISSING_FIXES = {
    "vectors": WORD_VECTORS.origin,
    "model": BUNDLE_KINDS[MODEL_FORMAT].origin,
    "continue_from": BUNDLE_KINDS[SGNS_FORMAT].origin,
    "unlabeled": f"Pass a .txt file with one text per line, or a {TABLE_FILES} "
    "file with a text column.",
    "tokens": "benchmarks/prepare_gpu_bench.py writes one from an aclImdb archive.",
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except (RuntimeError, OSError):
        # A loop of symbolic links cannot be resolved. Its own check names it.
        return first.absolute() == second.absolute()


def _command_name(args: argparse.Namespace) -> str:
    target = getattr(args, "target", None)
    return f"{args.command} {target}" if target else args.command


def _accepted_inputs(inputs: tuple[str, ...]) -> str:
    descriptions = [_DATA_INPUTS[name] for name in inputs]
    if len(descriptions) == 1:
        return descriptions[0]
    return ", ".join(descriptions[:-1]) + ", or " + descriptions[-1]


def _path_values(args: argparse.Namespace, name: str) -> list:
    """Return the values of flag ``name``, which may contain a list of paths."""
    # A flag such as `select --vectors A B` contains a list of paths.
    value = getattr(args, name, None)
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_compile_cache_path(args: argparse.Namespace) -> None:
    """Reject a ``--compile-cache`` folder that cannot be created or written.

    ``--compile-cache`` is an option of ``embedsent`` itself, so every command
    takes it, and this check runs before any input of the command is read.
    ``enable_compile_cache`` checks the folder again when it starts the
    cache. The messages end with the same fix as that check's.

    Raises:
        ValueError: If the path is empty, or it or one of its parents is a
            file, a link to a missing target or a loop of links.
        PermissionError: If the folder, or its closest existing parent, is
            not writable.
    """
    value = getattr(args, "compile_cache", None)
    if value is None:
        return
    # enable_compile_cache expands "~" too, as the shell does not in
    # --compile-cache=~/cache.
    path = os.path.expanduser(value)
    try:
        check_folder_path(path, "--compile-cache")
    except PermissionError as error:
        raise PermissionError(f"{error}, or pass --no-compile-cache") from error
    except ValueError as error:
        raise ValueError(f"{error}, or pass --no-compile-cache") from error


def check_input_paths(args: argparse.Namespace) -> None:
    """Reject missing inputs and inputs of the wrong kind before any work starts.

    Raises:
        FileNotFoundError: If a file that an input flag names does not exist;
            the message names the flag and how to get such a file.
        ValueError: If an input path is empty, a flag that takes a file names
            a folder, ``--data`` is of a kind the command does not read, a
            file read as text is binary, or ``--model``, ``--continue-from``
            or an existing ``--checkpoint`` is not the embedsent file that
            the flag takes.
    """
    command = _command_name(args)
    inputs = _COMMAND_DATA_INPUTS.get(command)
    _check_empty_inputs(args, inputs)
    _check_missing_files(args)
    _check_folders_given_as_files(args)
    _check_repeated_vectors(args)
    encoding = getattr(args, "encoding", "utf-8")
    data = getattr(args, "data", None)
    # A report from stored runs reads no corpus, and a token file replaces
    # the corpus, so --data is not read then.
    unread = getattr(args, "report_only", False) or getattr(args, "tokens", None)
    if isinstance(data, str) and inputs is not None and not unread:
        _check_data(data, inputs, command, encoding)
    for name, expected_format in _BUNDLE_FLAGS.items():
        value = getattr(args, name, None)
        if isinstance(value, str) and Path(value).is_file():
            # An empty --checkpoint contains no checkpoint yet, so the run starts
            # fresh and overwrites it (checkpoint.has_checkpoint).
            if name == "checkpoint" and Path(value).stat().st_size == 0:
                continue
            _check_bundle(name, Path(value), expected_format)
    _check_vectors_files(args)
    _check_text_inputs(args, encoding)


def _check_missing_files(args: argparse.Namespace) -> None:
    for name in ("tokens", "vectors", "model", "unlabeled", "continue_from"):
        for item in _path_values(args, name):
            if isinstance(item, str) and item and not Path(item).exists():
                raise FileNotFoundError(
                    f"{_flag(name)} {item}: file not found. {_MISSING_FIXES[name]}"
                )


def _check_repeated_vectors(args: argparse.Namespace) -> None:
    """Reject a file named twice in ``select --vectors``: it would be scored twice."""
    values = getattr(args, "vectors", None)
    if not isinstance(values, (list, tuple)):
        return
    for index, item in enumerate(values):
        for earlier in values[:index]:
            if _same_file(Path(item), Path(earlier)):
                raise ValueError(
                    f"--vectors names {earlier} and {item}, the same file; pass "
                    "each vectors file once"
                )


def _check_folders_given_as_files(args: argparse.Namespace) -> None:
    for name, description in _FILE_INPUTS.items():
        for item in _path_values(args, name):
            if isinstance(item, str) and item and Path(item).is_dir():
                raise ValueError(
                    f"{_flag(name)} {item} is a folder, but {_flag(name)} takes "
                    f"{description}; pass the path of the file itself"
                )
    # The output checks name a --checkpoint that is not a regular file.
    for name in _FILE_INPUTS:
        if name == "checkpoint":
            continue
        for item in _path_values(args, name):
            if isinstance(item, str) and item:
                _check_special_input(name, item)


def _check_special_input(name: str, value: str) -> None:
    """Reject a FIFO or device given to a flag whose file is read more than once."""
    file_type = describe_non_regular_file(Path(value))
    if file_type is None or file_type == "a folder":
        return
    if file_type == "a FIFO (named pipe)" and name in _SINGLE_READ_FLAGS:
        return
    if file_type == "a FIFO (named pipe)":
        raise ValueError(
            f"{_flag(name)} {value} is a FIFO (named pipe), such as a shell "
            f"process substitution <(...); {_READ_TWICE[name]}, but a pipe can "
            "be read only once from start to end, so write the output to a "
            "regular file first and pass that file"
        )
    raise ValueError(
        f"{_flag(name)} {value} is {file_type}, not a regular file; save its "
        f"content to a regular file and pass that file to {_flag(name)}"
    )


def _check_text_inputs(args: argparse.Namespace, encoding: str) -> None:
    """Reject binary files given as --unlabeled or as `predict` inputs."""
    unlabeled = getattr(args, "unlabeled", None)
    if isinstance(unlabeled, str) and unlabeled:
        _check_text_file(
            f"--unlabeled {unlabeled}",
            Path(unlabeled),
            encoding,
            f"--unlabeled takes {_FILE_INPUTS['unlabeled']}.",
        )
    if getattr(args, "command", None) == "predict":
        _check_predict_inputs(getattr(args, "inputs", None) or [], encoding)


def _check_empty_inputs(
    args: argparse.Namespace, inputs: tuple[str, ...] | None
) -> None:
    # An empty path names the current folder (Path("") is Path(".")), so it
    # would be read as a corpus folder or fail later with an errno message.
    for name in _INPUT_FLAGS:
        if "" not in _path_values(args, name):
            continue
        if name == "data" and inputs is not None:
            fix = f"--data accepts {_accepted_inputs(inputs)}"
        elif name == "data":
            fix = "pass the path of the corpus file or folder"
        else:
            fix = f"pass the path of {_FILE_INPUTS[name]}"
        raise ValueError(f"{_flag(name)} is an empty string; {fix}")


def _check_predict_inputs(inputs: list, encoding: str) -> None:
    accepted = (
        "`embedsent predict` reads text files with one text per line and "
        f"{TABLE_FILES} tables with a text column"
    )
    for name in inputs:
        if name == "-":
            continue
        if name == "":
            raise ValueError(
                f"an input file path is an empty string; {accepted}, or standard "
                "input for -"
            )
        path = Path(name)
        if path.is_dir():
            raise ValueError(
                f"input {name} is a folder; {accepted}, so pass the files in it"
            )
        file_type = describe_non_regular_file(path)
        special = file_type not in (None, "a FIFO (named pipe)")
        if special and not _is_null_device(path):
            # The null device reads as an empty file. Other devices, such as
            # /dev/zero, may never end.
            raise ValueError(
                f"input {name} is {file_type}, not a regular file; save the "
                "texts to a file and pass that file, or pipe them to standard "
                "input and pass -"
            )
        _check_text_file(f"input {name}", path, encoding, f"{accepted}.")


def _check_data(
    data: str, inputs: tuple[str, ...], command: str, encoding: str
) -> None:
    accepted = f"--data accepts {_accepted_inputs(inputs)}"

    if data == "default":
        if "default" not in inputs:
            raise ValueError(
                f"--data default: `embedsent {command}` cannot read the shipped "
                f"corpus; {accepted}"
            )
        return
    if data == "-":
        raise ValueError(
            "--data -: standard input is not read for --data (only `embedsent "
            "predict` reads standard input); save the input to a file and pass "
            f"that file. {accepted}"
        )

    path = Path(data)
    if not path.exists():
        hint = ""
        if data.lower() == "default" and "default" in inputs:
            hint = "; for the shipped corpus, pass --data default in lower case"
        elif data == DEFAULT_BENCH_DATA:
            hint = (
                f" (the default --data, which is relative to the current folder "
                f"{os.getcwd()}); run the command from the repository root, or "
                "pass --data"
            )
        raise FileNotFoundError(
            f"--data {data}: file or folder not found{hint}; {accepted}"
        )
    if path.is_dir():
        _check_data_folder(data, path, inputs, command)
        return
    if _is_null_device(path):
        raise ValueError(
            f"--data {data} is the null device, which reads as an empty file, "
            f"so it holds no texts; {accepted}"
        )

    compressed = _compressed_text_suffix(path)
    suffix = compressed or path.suffix.lower()
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
            f"{TABLE_FILES} table; {accepted}"
        )
    if compressed:
        _reject_compressed_text(data, path, compressed)
    if suffix in _TEXT_SUFFIXES:
        fix = f"`embedsent {command}` reads a {suffix} file as text; {accepted}."
        archive_fix = None
        if "aclimdb" in inputs:
            archive_fix = (
                "If it is an aclImdb archive, give it the suffix .tar.gz, or "
                ".tar when it is not compressed."
            )
        _check_text_file(f"--data {data}", path, encoding, fix, archive_fix)
        return
    file_type = describe_non_regular_file(path)
    if file_type == "a FIFO (named pipe)":
        # A pipe may stream an aclImdb archive, and reading it here would
        # consume bytes that the loader needs, so describe_data_stream words
        # the error when the loader finds no tar archive in it.
        return
    if file_type is not None:
        message = _describe_stream_kind(data, file_type, inputs, command)
        if suffix in _ARCHIVE_SUFFIXES:
            message = (
                f"--data {data} is {file_type}, not a regular file; save its "
                "content to a regular file and pass that file"
            )
        raise ValueError(message)

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
        if str(data).startswith(("/dev/", "/proc/")):
            # A shell redirect such as `< labeled.csv` hides the file's name.
            sentences.append(
                f"Tables are recognised by their suffix, and {data} has none; "
                "pass the file's own path, such as labeled.csv, instead of "
                "redirecting it."
            )
        else:
            sentences.append(
                "Tables are recognised by their suffix, so save a spreadsheet as "
                ".csv, and give a CSV or JSON Lines file the suffix .csv or .jsonl."
            )
    if found.use:
        sentences.append(found.use)
    raise ValueError(" ".join(sentences))


def _is_null_device(path: Path) -> bool:
    try:
        return path.samefile(os.devnull)
    except OSError:
        return False


def _check_data_folder(
    data: str, path: Path, inputs: tuple[str, ...], command: str
) -> None:
    """Reject a --data folder whose suffix makes the command read it as a file."""
    suffix = path.suffix.lower()
    as_table = suffix in TABLE_SUFFIXES and {"table", "text_table"} & set(inputs)
    as_text = suffix == ".txt" and "txt" in inputs
    if not (as_table or as_text):
        return
    kind = "table" if as_table else "text file with one text per line"
    message = (
        f"--data {data} is a folder, but `embedsent {command}` reads a --data "
        f"path ending in {path.suffix} as a {kind}; pass the path of the file "
        "itself"
    )
    if "aclimdb" in inputs:
        message += (
            ". A --data folder is read as an aclImdb folder, the one with "
            "train/pos, train/neg and test/ subfolders of .txt reviews or its "
            f"parent holding aclImdb/, so rename the folder without {path.suffix} "
            "if it is one"
        )
    raise ValueError(message)


def _compressed_text_suffix(path: Path) -> str | None:
    """Return ".csv" for a name such as labeled.csv.gz, or None for other names."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if len(suffixes) < 2 or suffixes[-1] not in _COMPRESSIONS:
        return None
    return suffixes[-2] if suffixes[-2] in _TEXT_SUFFIXES else None


def _reject_compressed_text(data: str, path: Path, inner_suffix: str) -> None:
    compression, tool = _COMPRESSIONS[path.suffix.lower()]
    raise ValueError(
        f"--data {data} is a {compression}-compressed {inner_suffix} file, but "
        "compressed tables and text files are not read (an aclImdb .tar.gz "
        f"archive is); decompress it first, for example with `{tool} {data}`, "
        f"and pass the {inner_suffix} file"
    )


def _describe_stream_kind(
    data: str, file_type: str, inputs: tuple[str, ...], command: str
) -> str:
    """Return the message for a --data pipe or device named without a known suffix.

    The commands choose the reader of a --data file from its suffix, so a
    pipe such as a shell process substitution /dev/fd/63 gives no reader.
    """
    if file_type == "a FIFO (named pipe)":
        file_type = "a pipe"
    kinds = []
    suffixes = []
    if {"table", "text_table"} & set(inputs):
        kinds.append("table")
        suffixes += [".csv", ".tsv", ".jsonl"]
    if "txt" in inputs:
        kinds.append("text lines")
        suffixes.append(".txt")
    kinds.append("aclImdb archive")
    if not suffixes:
        return (
            f"--data {data} is {file_type}, not a regular file or folder; "
            f"`embedsent {command}` reads {_accepted_inputs(inputs)}, so save "
            "the archive to a file ending in .tar.gz and pass that file"
        )
    kind_list = " or ".join([", ".join(kinds[:-1]), kinds[-1]])
    suffix_list = " or ".join([", ".join(suffixes[:-1]), suffixes[-1]])
    return (
        f"--data {data} is {file_type}, so its kind ({kind_list}) cannot be told "
        f"from a file name; save it to a file ending in {suffix_list} and pass "
        "that file"
    )


def describe_data_stream(
    args: argparse.Namespace, source: str, reason: str
) -> str | None:
    """Return the message for a --data pipe in which no tar archive was found.

    A --data path without a table, text or archive suffix is read as an
    aclImdb tar archive, which a pipe may stream. ``source`` and ``reason``
    are those of the loader's error. Returns None when ``source`` is not
    --data, or --data is a regular file, a folder or has an archive suffix,
    for which the loader's own message applies.
    """
    data = getattr(args, "data", None)
    inputs = _COMMAND_DATA_INPUTS.get(_command_name(args))
    if not isinstance(data, str) or inputs is None or Path(source) != Path(data):
        return None
    file_type = describe_non_regular_file(Path(data))
    if file_type is None or file_type == "a folder":
        return None
    if Path(data).suffix.lower() in _ARCHIVE_SUFFIXES:
        return None
    message = _describe_stream_kind(data, file_type, inputs, _command_name(args))
    return f"{message}. Read as an aclImdb tar archive, it failed: {reason}"


def _is_wide_encoding(encoding: str) -> bool:
    """Return whether ``encoding`` is UTF-16 or UTF-32, whose text has NUL bytes."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name.startswith(("utf-16", "utf-32"))


def _check_text_file(
    label: str, path: Path, encoding: str, fix: str, archive_fix: str | None = None
) -> None:
    """Reject the file at ``path``, read as text, if its content is binary.

    ``label`` names the input in the message, such as "--data x.txt", and
    ``fix`` is the sentence that states what the input accepts. ``archive_fix``
    is added for a tar archive or compressed file. A byte of 0x80 or above is
    no sign of a binary file, because latin-1 and cp1252 text contain such
    bytes. NUL bytes and the magic numbers of known formats are. Word vectors
    in a file without a table suffix are rejected too.
    """
    if not path.is_file():
        # Reading a FIFO or device here would consume bytes that the command
        # needs, or block, so only regular files are sniffed.
        return
    found = identify_file(path)
    _check_text_kind(label, found, encoding, fix, archive_fix)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        _reject_vectors_as_texts(label, found, fix)


def check_text_content(label: str, content: bytes, encoding: str, fix: str) -> None:
    """Reject ``content``, read in full from a stream, if it is not text.

    This applies the checks of a text file to standard input, which cannot
    be sniffed before the command reads it. ``label`` names the input, such
    as "<stdin>", and ``fix`` states what the input accepts.

    Raises:
        ValueError: If the content is binary or word vectors, or starts with a
            byte-order mark that ``encoding`` does not read.
    """
    found = identify_bytes(content, label)
    _check_text_kind(label, found, encoding, fix)
    _reject_vectors_as_texts(label, found, fix)


def _reject_vectors_as_texts(label: str, found: FileKind, fix: str) -> None:
    """Reject word vectors given where texts, one per line, are read.

    Each line of such a file would be read as a text of one word and its
    numbers, so training or predictions would run on number fragments.
    Tables are left to their reader, because a table of one-word texts and
    numeric labels can look like GloVe vectors.
    """
    if found.category != "vectors":
        return
    raise ValueError(
        f"{label} is {found.name}, not texts with one text per line. {fix} {found.use}"
    )


def _check_text_kind(
    label: str,
    found: FileKind,
    encoding: str,
    fix: str,
    archive_fix: str | None = None,
) -> None:
    if not found.reads_with(encoding):
        raise ValueError(
            f"{label} is {found.name}, but --encoding is {encoding}; pass "
            f"--encoding {found.encoding}"
        )
    wide = _is_wide_encoding(encoding)
    if not _is_binary(found) or (found.category == "binary" and wide):
        return
    sentences = [f"{label} is {found.name}, not text. {fix}"]
    if found.category == "binary":
        sentences.append(
            "It contains NUL bytes; if it is UTF-16 or UTF-32 text without a "
            "byte-order mark, pass --encoding utf-16-le or another UTF-16 or "
            "UTF-32 codec."
        )
    elif found.category in ("tar", "compressed"):
        if archive_fix:
            sentences.append(archive_fix)
    elif found.use:
        sentences.append(found.use)
    raise ValueError(" ".join(sentences))


def _is_binary(found: FileKind) -> bool:
    return found.category in _BINARY_CATEGORIES or found == WORD2VEC_BINARY


def _check_vectors_files(args: argparse.Namespace) -> None:
    """Reject a --vectors file of a kind that no vectors format reads."""
    if not hasattr(args, "vectors_format"):
        return
    rejected = set(_NOT_VECTORS)
    # gensim reads a pickle compressed with gzip or bzip2.
    if args.vectors_format != "gensim":
        rejected.add("compressed")
    for item in _path_values(args, "vectors"):
        if not isinstance(item, str) or not Path(item).is_file():
            continue
        path = Path(item)
        found = identify_file(path)
        if found == BUNDLE_KINDS[SGNS_FORMAT]:
            if args.vectors_format == "auto":
                continue
            raise ValueError(
                f"--vectors {item} is {found.name}; pass --vectors-format auto "
                "to read the vectors it exports, with their word counts"
            )
        if found.category in rejected:
            message = describe_mismatch(path, WORD_VECTORS, found)
            if found.category == "binary":
                message += f" {NUL_BYTES_ADVICE}"
            raise ValueError(f"--vectors {message}")
        if found.category == "text" and found.encoding in ("utf-16", "utf-32"):
            error = wide_text_error(path, found.encoding.upper())
            raise ValueError(f"--vectors {error.cli_message}")
        if found.category == "vectors" and args.vectors_format == "gensim":
            raise ValueError(
                f"--vectors {item} is {found.name}, not a gensim KeyedVectors "
                "file (a Python pickle); pass --vectors-format auto"
            )
        suffix = path.suffix.lower()
        if found.category == "text" and suffix in TABLE_SUFFIXES:
            raise ValueError(
                f"--vectors {item} is a {suffix} table, not a word-vector file. "
                "Pass a table of texts and labels to --data of `embedsent "
                "train`, `select` or `diagnose`, or a table of texts to "
                "`embedsent pretrain --data`, whose --out writes word vectors."
            )


def _check_bundle(name: str, path: Path, expected_format: str) -> None:
    found = identify_file(path)
    if found.category == "damaged":
        fix = "write it again from the run that produced it"
        if name == "checkpoint":
            fix = "delete it to start the run over, or pass another --checkpoint path"
        elif expected_format == MODEL_FORMAT:
            fix = MODEL_REBUILD_ADVICE
        cause = ""
        if found in (INVALID_METADATA, METADATA_NOT_OBJECT):
            cause = ", so it is damaged or was not written by embedsent"
        raise ValueError(f"{_flag(name)} {path} is {found.name}{cause}; {fix}")
    expected = BUNDLE_KINDS[expected_format]
    if found != expected:
        message = describe_mismatch(path, expected, found)
        raise ValueError(f"{_flag(name)} {message}")


def check_output_paths(args) -> None:
    """Reject output paths that cannot be written before any long work starts.

    An output that names an input or another output would destroy that file,
    so it is rejected too. A symbolic link is checked as its target, which
    storage.write_atomic writes.

    Raises:
        ValueError: If an output path is empty, an output file is a folder or
            another file that is not a regular file (a FIFO, a device),
            names an input or another output, or lies in a missing folder,
            an output folder (``--out-dir``, ``--docs-dir``) is a file or
            lies below one, a bundle output (such as ``train --out``) has
            a suffix that marks another kind of file, such as ``.txt``,
            ``--plot`` has a suffix other than .png, .pdf or .svg, ``--json``
            has a suffix other than .json, or an output names an existing
            file of another kind than it writes.
        PermissionError: If the folder of an output or of ``--checkpoint``
            is not writable, or the file exists and is not writable.
    """
    for name in (*_OUTPUT_FLAGS, "checkpoint"):
        if getattr(args, name, None) == "":
            raise ValueError(f"{_flag(name)} is an empty string; pass a file path")
    for name in _FOLDER_OUTPUT_FLAGS:
        if getattr(args, name, None) == "":
            raise ValueError(f"{_flag(name)} is an empty string; pass a folder path")
    seen: list[tuple[str, Path]] = []
    for name in _INPUT_FLAGS + _OUTPUT_FLAGS:
        for item in _path_values(args, name):
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
        if isinstance(value, str) and value:
            _check_output_file(name, value, partial(_check_output_suffix, args, name))
            expected = _output_kind(args, name)
            if expected is not None:
                check_replaceable(value, expected, _flag(name))
            if expected == JSON_REPORT:
                _check_report_command(args, value)
            _check_output_suffix(args, name, value)
    for name in _FOLDER_OUTPUT_FLAGS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            _check_output_folder(name, value)
    checkpoint = getattr(args, "checkpoint", None)
    if isinstance(checkpoint, str) and checkpoint:
        # Checked before the texts are read, which can take minutes. The run
        # takes the lock itself when it starts training.
        try:
            check_checkpoint_free(Path(checkpoint))
        except CheckpointInUseError as error:
            raise ValueError(f"--checkpoint: {error}") from error
    if getattr(args, "command", None) == "bench":
        _check_transfer_outputs(args)


def _output_kind(args: argparse.Namespace, name: str) -> FileKind | None:
    """Return the kind of file that output flag ``name`` writes, or None."""
    command = getattr(args, "command", None)
    bundle_format = _BUNDLE_OUTPUTS.get((command, name))
    if bundle_format is not None:
        return BUNDLE_KINDS[bundle_format]
    if command == "pretrain" and name == "out":
        return WORD_VECTORS
    if name == "json":
        return JSON_REPORT
    if name == "plot":
        return PLOT_IMAGE
    return None


# The value of storage.REPORT_KEY, a JSON string, at the start of a JSON
# report, when the bytes read contain all of it.
_REPORT_COMMAND = re.compile(
    rb'\s*\{\s*"' + REPORT_KEY.encode() + rb'"\s*:\s*("(?:[^"\\]|\\.)*")'
)
# Report names, as storage.as_report records them, that are not embedsent
# commands, with the program that writes each.
_REPORT_PROGRAMS = {"bench_seeds": "benchmarks/bench_seeds.py"}


def _report_command(args: argparse.Namespace) -> str | None:
    """Return the report name that the command of ``args`` writes, or None.

    The name is the one that storage.as_report records, such as "compare" or
    "bench sgns". ``args.command`` is None for a caller that names no command.
    """
    command = getattr(args, "command", None)
    if not isinstance(command, str):
        return None
    target = getattr(args, "target", None)
    if command == "bench" and isinstance(target, str):
        return f"bench {target}"
    return command


def _describe_report_writer(name: str) -> str:
    return _REPORT_PROGRAMS.get(name, f"`embedsent {name}`")


def _check_report_command(args: argparse.Namespace, value: str) -> None:
    """Reject an existing JSON report at ``--json`` that another command wrote.

    Such a report can take much longer to produce than the run that would
    replace it, so only a rerun of the same command replaces it.
    """
    command = _report_command(args)
    path = Path(value)
    if command is None or not path.is_file():
        return
    match = _REPORT_COMMAND.match(
        (read_head(path) or b"").removeprefix(b"\xef\xbb\xbf")
    )
    if match is None:
        return
    try:
        written_by = json.loads(match.group(1))
    except ValueError:
        return
    if written_by == command:
        return
    writer = _describe_report_writer(str(written_by))
    raise ValueError(
        f"--json {value} is the JSON report of {writer}, "
        f"and {_describe_report_writer(command)} would replace it with its own "
        "report; pass another --json path, or delete the file first if you mean "
        "to replace it"
    )


def _check_transfer_outputs(args: argparse.Namespace) -> None:
    """Check the existing files that `bench transfer` writes in its folders."""
    from embedsent.curve_args import (
        CURVES_PLOT,
        DOCS_FILE,
        FEATURES_PLOT,
        RESULTS_FILE,
    )

    if getattr(args, "target", None) != "transfer":
        return
    out_dir = getattr(args, "out_dir", None)
    docs_dir = getattr(args, "docs_dir", None)
    files = []
    if isinstance(out_dir, str) and out_dir:
        files.append(("--out-dir", out_dir, RESULTS_FILE, RESULTS_STORE))
    plot_flag, plot_dir = (
        ("--docs-dir", docs_dir) if docs_dir else ("--out-dir", out_dir)
    )
    if isinstance(plot_dir, str) and plot_dir:
        for plot in (CURVES_PLOT, FEATURES_PLOT):
            files.append((plot_flag, plot_dir, plot, PNG_IMAGE))
    if isinstance(docs_dir, str) and docs_dir:
        files.append(("--docs-dir", docs_dir, DOCS_FILE, MARKDOWN_TEXT))
    for flag, folder, name, expected in files:
        path = Path(folder) / name
        if path.is_file():
            check_replaceable(
                path, expected, f"{flag} {folder}: file", f"pass another {flag}"
            )


def _check_output_suffix(args: argparse.Namespace, name: str, value: str) -> None:
    """Reject an output file name whose suffix marks another kind of file."""
    _check_bundle_suffix(args, name, value)
    _check_vectors_suffix(args, name, value)
    if name == "plot":
        _check_plot_suffix(value)
    if name == "json":
        check_json_suffix(value)


def _check_plot_suffix(value: str) -> None:
    from embedsent.calibration import plot_format

    try:
        plot_format(value)
    except ValueError as error:
        raise ValueError(f"--plot {error}") from error


def _check_output_file(
    name: str, value: str, check_suffix: Callable[[str], None] | None = None
) -> None:
    """Reject output path ``value`` of flag ``name`` before anything is written.

    ``check_suffix`` runs first on a ``value`` that ends with a separator, as
    ``storage.check_file_name`` describes, so that the suggested name has the
    suffix of the file written.
    """
    if value == "-":
        # No output flag writes to standard output, so "-" would otherwise
        # name a file called "-".
        raise ValueError(
            f"{_flag(name)} - would write a file named '-', not standard "
            "output; pass a file path (use ./- for a file of that name)"
        )
    if check_suffix is not None and strip_trailing_separators(value) != value:
        # Suffix messages name the flag themselves.
        check_suffix(value)
    try:
        check_file_name(value)
    except ValueError as error:
        raise ValueError(f"{_flag(name)}: {error}") from error
    stream = describe_descriptor_path(value)
    if stream is not None:
        raise ValueError(
            f"{_flag(name)} {value} is {stream}; embedsent writes {_flag(name)} "
            "by renaming a new file over the path, which would replace the file "
            "behind it; pass a file path"
        )
    if _is_standard_output_file(value):
        raise ValueError(
            f"{_flag(name)} {value} is the file that standard output or standard "
            "error is redirected to, so writing it would lose the text written "
            f"there; pass another {_flag(name)}"
        )
    path = Path(value)
    file_type = describe_non_regular_file(path)
    if file_type == "a folder":
        raise ValueError(
            f"{_flag(name)} {value} is a folder; pass a file path inside it"
        )
    # storage.write_atomic follows a link and writes its target, with a
    # temporary file in the target's folder, so the target's folder is checked.
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        label = f"{value} (a link to {target})"
        folder = target.parent
    else:
        label = value
        folder = path.parent if str(path.parent) else Path(".")
    if file_type is not None:
        raise ValueError(
            f"{_flag(name)} {label} is {file_type}, not a regular file; pass a "
            "path to a regular file, or to one that does not exist yet"
        )
    try:
        check_not_read_only(value, label)
    except PermissionError as error:
        raise ValueError(f"{_flag(name)}: {error}") from error
    if not folder.is_dir():
        blocking = first_non_folder(folder)
        if blocking is not None:
            raise ValueError(
                f"{_flag(name)} {label}: {blocking} is a file, so no folder can "
                "be below it; pass a path in an existing folder"
            )
        raise ValueError(
            f"{_flag(name)} {label}: folder {folder} does not exist; create it first"
        )
    _check_writable(name, label, path, folder)


def _is_standard_output_file(value: str) -> bool:
    """Return whether ``value`` is the regular file behind standard output or error."""
    try:
        output = os.stat(value)
    except OSError:
        return False
    if not stat.S_ISREG(output.st_mode):
        return False
    for descriptor in (1, 2):
        try:
            stream = os.fstat(descriptor)
        except OSError:
            continue
        if (stream.st_dev, stream.st_ino) == (output.st_dev, output.st_ino):
            return True
    return False


def _check_bundle_suffix(args: argparse.Namespace, name: str, value: str) -> None:
    """Reject a bundle output named with a suffix that marks another kind of file."""
    bundle_format = _BUNDLE_OUTPUTS.get((getattr(args, "command", None), name))
    if bundle_format is None:
        return
    try:
        check_bundle_suffix(value, BUNDLE_KINDS[bundle_format].name, _flag(name))
    except ValueError as error:
        if name == "checkpoint" and Path(value).is_file():
            # An existing checkpoint is resumed from, so it needs the new name.
            raise ValueError(
                f"{error} To resume from the existing checkpoint, rename the "
                "file to that name first."
            ) from error
        raise


def _check_vectors_suffix(args: argparse.Namespace, name: str, value: str) -> None:
    """Reject a `pretrain --out` suffix of another kind, as .npz or .csv."""
    if getattr(args, "command", None) != "pretrain" or name != "out":
        return
    binary = bool(getattr(args, "binary", False))
    if Path(value).suffix.lower() != ".npz":
        check_vectors_suffix(value, binary=binary, flag="--out")
        return
    suffix = ".bin" if binary else ".txt"
    written = "binary" if binary else "text"
    # A trailing separator would name a folder, so --save-model gets the
    # name without it.
    model_path = strip_trailing_separators(value)
    raise ValueError(
        f"--out {value}: `embedsent pretrain --out` writes word vectors in "
        f"word2vec {written} format, not an .npz file; give --out the suffix "
        f"{suffix}, and pass --save-model {model_path} to save the SGNS model, "
        "which --vectors reads too, as an .npz file"
    )


def _check_output_folder(name: str, value: str) -> None:
    # Every output folder is checked before any is created, so a command
    # with two folder flags leaves no empty folder behind when one fails.
    check_folder_path(value, _flag(name))


def _read_only_mount(folder: Path) -> bool:
    """Return whether ``folder`` is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        # Windows has no statvfs; the write probe still finds the failure.
        return False


def _check_writable(name: str, value: str, path: Path, folder: Path) -> None:
    # Saves write a temporary file in the folder and rename it over the
    # output, so they need write and search permission on the folder.
    if _read_only_mount(folder):
        raise PermissionError(
            f"{_flag(name)} {value}: folder {folder} is on a read-only file "
            f"system; pass a {_flag(name)} path on a writable file system"
        )
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
    # The permission bits can allow what the file system refuses: a read-only
    # mount seen by root, or a kernel folder such as /sys/kernel. Creating
    # and removing a file now finds that before the work instead of after.
    try:
        handle, probe = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".probe", dir=folder
        )
    except OSError as error:
        reason = error.strerror or str(error)
        raise PermissionError(
            f"{_flag(name)} {value}: cannot create a file in folder {folder} "
            f"({reason}); pass a {_flag(name)} path in a writable folder",
        ) from error
    os.close(handle)
    os.unlink(probe)
