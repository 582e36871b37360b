"""Checks of ``embedsent`` flags that argparse cannot make one flag at a time.

Each check raises ValueError with a message that names the flags, before the
command reads any input. The library makes the same checks on its config
fields, and its messages name those fields for Python callers. A flag that
no input of the command reads gets a logged warning instead, because the
command still does what the other flags ask.
"""

from __future__ import annotations

import argparse
import codecs
import logging
from pathlib import Path

from embedsent.cli_paths import TABLE_FILES, TABLE_SUFFIXES
from embedsent.cli_types import (
    DEFAULT_ENCODING,
    DEFAULT_LABEL_COLUMN,
    DEFAULT_TEXT_COLUMN,
    REPEATED_VALUES_ATTRIBUTE,
)
from embedsent.config import ClassifierConfig

__all__ = ["check_devices_flag", "check_flag_combinations", "warn_ignored_flags"]

logger = logging.getLogger(__name__)


def check_flag_combinations(args: argparse.Namespace) -> None:
    """Raise ValueError naming the flags when two parsed flags conflict."""
    _check_process_id(args)
    _check_weight_decay(args)
    _check_tokens_limits(args)
    _check_checkpoint_every(args)


def warn_ignored_flags(args: argparse.Namespace) -> None:
    """Log a warning for each passed flag that no input of the command reads."""
    _warn_unread_text_column(args)
    _warn_unread_label_column(args)
    _warn_unread_encoding(args)
    _warn_repeated_output_flags(args)


def _warn_unread_text_column(args: argparse.Namespace) -> None:
    # --text-column names a column of a table file. A .txt file has one text
    # per line, and an aclImdb corpus has one text per file.
    text_column = getattr(args, "text_column", None)
    if text_column is None or text_column == DEFAULT_TEXT_COLUMN:
        return

    candidates = [
        (f"--{name} ", getattr(args, name, None)) for name in ("data", "unlabeled")
    ]
    # `predict` reads the column from its table inputs, and stdin as lines.
    if getattr(args, "command", None) == "predict":
        candidates += [("input ", value) for value in args.inputs]

    inputs = []
    for label, value in candidates:
        if not isinstance(value, str):
            continue
        if value != "-" and Path(value).suffix.lower() in TABLE_SUFFIXES:
            return
        inputs.append("standard input" if value == "-" else f"{label}{value}")
    if not inputs:
        return

    if len(inputs) == 1:
        unread = f"{inputs[0]} is not one"
    else:
        unread = f"neither {' nor '.join(inputs)} is one"
    logger.warning(
        "--text-column %r is ignored, because it names a column of a %s file "
        "and %s; drop --text-column, or pass a table file",
        text_column,
        TABLE_FILES,
        unread,
    )


def _warn_unread_label_column(args: argparse.Namespace) -> None:
    # --label-column names a column of a table --data file. The shipped corpus
    # and an aclImdb corpus take their labels from their layout.
    label_column = getattr(args, "label_column", None)
    data = getattr(args, "data", None)
    if label_column is None or label_column == DEFAULT_LABEL_COLUMN:
        return
    if not isinstance(data, str) or Path(data).suffix.lower() in TABLE_SUFFIXES:
        return
    logger.warning(
        "--label-column %r is ignored, because it names a column of a %s file "
        "and --data %s is not one; drop --label-column, or pass a table file",
        label_column,
        TABLE_FILES,
        data,
    )


def _warn_unread_encoding(args: argparse.Namespace) -> None:
    # --encoding decodes a .txt or table --data file and any --unlabeled file.
    # The shipped corpus and aclImdb reviews are always read as UTF-8, and
    # `predict` reads every input and stdin with it, so it is not checked.
    if getattr(args, "command", None) == "predict" or not hasattr(args, "encoding"):
        return
    passed = []
    if codecs.lookup(args.encoding).name != codecs.lookup(DEFAULT_ENCODING).name:
        passed.append(f"--encoding {args.encoding}")
    if getattr(args, "encoding_errors", "strict") != "strict":
        passed.append(f"--encoding-errors {args.encoding_errors}")
    if not passed:
        return

    if getattr(args, "unlabeled", None) is not None:
        return
    data = getattr(args, "data", None)
    if not isinstance(data, str):
        return
    if data != "default" and Path(data).suffix.lower() in (".txt", *TABLE_SUFFIXES):
        return
    corpus = "the shipped corpus" if data == "default" else "an aclImdb corpus"
    # Only `pretrain` reads a .txt --data file.
    files = TABLE_FILES
    if getattr(args, "command", None) == "pretrain":
        files = ".txt/" + files
    logger.warning(
        "%s %s ignored, because --data %s is %s, which is always read as "
        "UTF-8; drop %s, or pass a %s file",
        " and ".join(passed),
        "is" if len(passed) == 1 else "are",
        data,
        corpus,
        "them" if len(passed) > 1 else "it",
        files,
    )


def _warn_repeated_output_flags(args: argparse.Namespace) -> None:
    # OutputPathAction records every value of an output flag, and argparse
    # keeps the last one.
    for flag, values in getattr(args, REPEATED_VALUES_ATTRIBUTE, {}).items():
        if len(values) < 2:
            continue
        listed = ", ".join(repr(value) for value in values)
        logger.warning(
            "%s was given %d times (%s), so only the last value, %r, is used; "
            "pass %s once",
            flag,
            len(values),
            listed,
            values[-1],
            flag,
        )


def _check_process_id(args: argparse.Namespace) -> None:
    num_processes = getattr(args, "num_processes", None)
    process_id = getattr(args, "process_id", None)
    if num_processes is None or process_id is None:
        return
    if process_id >= num_processes:
        raise ValueError(
            f"--process-id {process_id}: must be less than --num-processes "
            f"{num_processes}; give the processes the ids 0 to "
            f"{num_processes - 1}, one each"
        )


def _check_checkpoint_every(args: argparse.Namespace) -> None:
    # The parser leaves --checkpoint-every None when it is not passed.
    every = getattr(args, "checkpoint_every", None)
    if every is None or getattr(args, "checkpoint", None):
        return
    if getattr(args, "continue_from", None):
        raise ValueError(
            f"--checkpoint-every {every:g} has no effect, because --continue-from "
            f"{args.continue_from} writes no checkpoint; drop --checkpoint-every"
        )
    raise ValueError(
        f"--checkpoint-every {every:g} sets the time between checkpoints, but no "
        "--checkpoint file was given, so none would be written; pass "
        "--checkpoint PATH, or drop --checkpoint-every"
    )


def _check_tokens_limits(args: argparse.Namespace) -> None:
    # --max-docs draws reviews from --data, which a token file replaces.
    if getattr(args, "tokens", None) and getattr(args, "max_docs", None):
        raise ValueError(
            f"--max-docs {args.max_docs} draws reviews from --data, but --tokens "
            f"{args.tokens} replaces --data; keep fewer lines in the token file, "
            "or pass --data instead of --tokens"
        )


def _check_weight_decay(args: argparse.Namespace) -> None:
    # AdamW multiplies the weights by (1 - learning rate * weight decay) each
    # step, so a product of 1 or more flips or zeroes them.
    if hasattr(args, "learning_rate") and hasattr(args, "weight_decay"):
        product = args.learning_rate * args.weight_decay
        if product >= 1.0:
            raise ValueError(
                f"--learning-rate {args.learning_rate} times --weight-decay "
                f"{args.weight_decay} is {product:g}, but AdamW multiplies the "
                "weights by 1 minus that product each step, so it must be "
                f"below 1; pass --weight-decay below {1 / args.learning_rate:g} "
                "or a lower --learning-rate"
            )
    if hasattr(args, "weight_decays"):
        # `select` trains every candidate with the default learning rate.
        learning_rate = ClassifierConfig().learning_rate
        for weight_decay in args.weight_decays:
            if learning_rate * weight_decay >= 1.0:
                raise ValueError(
                    f"--weight-decays {weight_decay:g}: the heads train with "
                    f"learning rate {learning_rate:g}, and AdamW multiplies the "
                    "weights by 1 minus learning rate times weight decay each "
                    "step, so every weight decay must be below "
                    f"{1 / learning_rate:g}"
                )


def check_devices_flag(devices: int) -> None:
    """Raise ValueError naming ``--devices`` when JAX cannot train on that many.

    Call it after a multi-process run has connected, because until then JAX
    lists only this process's devices.
    """
    import jax

    available = jax.device_count()
    processes = jax.process_count()
    if processes > 1 and devices not in (0, available):
        raise ValueError(
            f"--devices {devices}: a multi-process run trains on every device "
            f"of every process, and this run has {available} devices in "
            f"{processes} processes ({jax.local_device_count()} in this one); "
            f"pass --devices 0 or --devices {available}"
        )
    if devices > available:
        raise ValueError(
            f"--devices {devices}: JAX sees {available} "
            f"{jax.devices()[0].platform} device(s); pass --devices {available} "
            "or fewer (0 uses every device), or on CPU set XLA_FLAGS="
            f"--xla_force_host_platform_device_count={devices} before running "
            "embedsent"
        )
