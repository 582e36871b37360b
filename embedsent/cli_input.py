"""Input files of the ``embedsent`` subcommands, read with errors that name flags.

The loaders in ``embedsent.datasets`` and ``embedsent.vectors`` word their
errors for Python callers (``encoding='latin-1'``, ``text_column=``). These
wrappers re-raise decode, missing-column and vector-file errors naming the
command-line flags instead, reject a label column that looks like an id or
text column, and check ``--sizes`` and ``--max-labeled`` against the labels
that were loaded.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embedsent.cli_paths import TABLE_SUFFIXES, check_text_content
from embedsent.datasets import (
    DEFAULT_CORPUS_FILES,
    ColumnNotFoundError,
    LabeledTexts,
    LoneSurrogateError,
    TextDecodeError,
    balanced_sample,
    decode_text,
    describe_label_clashes,
    load_table,
    numeric_label_clashes,
    read_table_columns,
    read_text,
)
from embedsent.vector_parse import VectorFileError

if TYPE_CHECKING:
    from embedsent.vectors import WordVectors

__all__ = [
    "check_corpus_folder",
    "check_sample_size",
    "describe_id_like_texts",
    "load_labeled_table",
    "load_table_input",
    "load_vectors_file",
    "read_lines",
    "read_predict_texts",
    "read_texts",
    "read_unlabeled_file",
    "warn_about_predict_input",
]


logger = logging.getLogger(__name__)


def _decode_error(error: TextDecodeError) -> ValueError:
    return ValueError(
        f"{error.source} is not valid {error.encoding}: {error.reason} at "
        f"{error.location}; pass the file's encoding with --encoding, for "
        "example --encoding latin-1, or pass --encoding-errors replace to "
        "substitute undecodable bytes"
    )


def _read_stdin(encoding: str, errors: str) -> str:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        # A stream without bytes underneath, such as io.StringIO, is text already.
        return sys.stdin.read()
    return _decode_stream("<stdin>", buffer.read(), encoding, errors)


def _decode_stream(source: str, content: bytes, encoding: str, errors: str) -> str:
    """Decode the content of standard input or a FIFO, after the checks of a file.

    check_input_paths sniffs regular files only, because a stream can be read
    only once, so the stream's content gets the same checks here.
    """
    fix = f"embedsent reads {source} as text with one text per line."
    check_text_content(source, content, encoding, fix)
    return decode_text(content, source, encoding=encoding, errors=errors)


def read_lines(name: str, *, encoding: str, errors: str) -> list[str]:
    """Read every line of a file, or of standard input when ``name`` is ``-``.

    The file may be a FIFO, such as a shell process substitution, which is
    read once. Lines end at "\\n", "\\r\\n" or "\\r", which are removed. Blank lines are
    kept, and a leading byte-order mark is dropped.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the input does not decode, or standard input is binary
            or starts with a byte-order mark that ``encoding`` does not read;
            the message names the input and ``--encoding``.
    """
    try:
        if name == "-":
            text = _read_stdin(encoding, errors)
        elif Path(name).is_fifo():
            text = _decode_stream(name, Path(name).read_bytes(), encoding, errors)
        else:
            text = read_text(name, encoding=encoding, errors=errors)
    except TextDecodeError as error:
        raise _decode_error(error) from error
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def read_texts(path: str, *, encoding: str, errors: str) -> list[str]:
    """Read one text per line, stripped of surrounding whitespace, skipping blanks."""
    lines = read_lines(path, encoding=encoding, errors=errors)
    return [line.strip() for line in lines if line.strip()]


def load_vectors_file(path: str, args) -> WordVectors:
    """Load a ``--vectors`` file with the ``--vectors-*`` flags of ``args``.

    Logs a warning when every word vector is zero.

    Raises:
        ValueError: As ``WordVectors.load``, with the message starting with
            ``--vectors`` and naming flags in place of Python parameters.
    """
    from embedsent.vector_checks import warn_all_zero_vectors
    from embedsent.vectors import WordVectors

    try:
        vectors = WordVectors.load(
            path,
            format=args.vectors_format,
            encoding=args.vectors_encoding,
            errors=args.vectors_errors,
        )
    except VectorFileError as error:
        raise ValueError(f"--vectors {error.cli_message}") from error
    except ValueError as error:
        raise ValueError(f"--vectors {error}") from error
    warn_all_zero_vectors(
        vectors.vectors,
        logger,
        f"--vectors {path}",
        "pass vectors that `embedsent pretrain` wrote, or other trained vectors",
    )
    return vectors


def read_unlabeled_file(path: str | Path, args) -> list[str]:
    """Read unlabeled texts from a table's ``--text-column`` or one per line.

    A .csv/.tsv/.jsonl/.ndjson/.json file gives only its text column, so its
    header and labels never become words of a vocabulary. Any other file is
    read as one text per line.
    """
    if _is_table_path(path):
        return _read_text_column(path, args)
    return read_texts(str(path), encoding=args.encoding, errors=args.encoding_errors)


def read_predict_texts(name: str, args) -> list[str]:
    """Read the texts of one `predict` input: a table's ``--text-column`` or lines.

    A .csv/.tsv/.jsonl/.ndjson/.json file gives its text column, so its header
    and labels are not scored as texts. Standard input (``-``) and any other
    file give every line, blank lines included, as ``read_lines`` does.
    """
    if name != "-" and _is_table_path(name):
        return _read_text_column(name, args)
    return read_lines(name, encoding=args.encoding, errors=args.encoding_errors)


# The number of lines that are parsed as JSON to tell whether a line input is
# JSON Lines. The other lines are only checked to start with "{" and end
# with "}", so a large input is not parsed twice.
_JSON_LINES_SAMPLE = 100


def warn_about_predict_input(name: str, texts: Sequence[str]) -> None:
    """Log a warning when a `predict` input has no texts or looks like JSON Lines.

    ``texts`` are the texts that ``read_predict_texts`` read from ``name``.
    An input read as one text per line whose non-empty lines are all JSON
    objects is most likely JSON Lines, whose records would be scored as texts.
    """
    source = "standard input" if name == "-" else f"input {name}"
    if not texts:
        logger.warning("%s contains no texts, so it has no predictions", source)
        return
    if name != "-" and _is_table_path(name):
        return
    if not _looks_like_json_lines(texts):
        return
    if name == "-":
        fix = "save the records to a .jsonl file and pass its path instead"
    else:
        fix = "rename the file to end in .jsonl"
    logger.warning(
        "every non-empty line of %s is a JSON object, but %s is read as one "
        "text per line, so each whole record is scored as a text; to score "
        "the --text-column field of each record, %s",
        source,
        source,
        fix,
    )


def _looks_like_json_lines(texts: Sequence[str]) -> bool:
    lines = [text.strip() for text in texts if text.strip()]
    if not lines:
        return False
    if not all(line.startswith("{") and line.endswith("}") for line in lines):
        return False
    for line in lines[:_JSON_LINES_SAMPLE]:
        try:
            record = json.loads(line)
        except ValueError:
            return False
        if not isinstance(record, dict):
            return False
    return True


def _is_table_path(path: str | Path) -> bool:
    """Return whether the commands read ``path`` as a table, judged by its suffix."""
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def _read_text_column(path: str | Path, args) -> list[str]:
    texts = load_table_input(
        Path(path),
        text_column=args.text_column,
        label_column=None,
        encoding=args.encoding,
        errors=args.encoding_errors,
        text_flag="--text-column",
        empty_texts=True,
    )
    return list(texts)


def load_labeled_table(path: str | Path, args) -> LabeledTexts:
    """Load a labeled table with the column and encoding flags of ``args``.

    Logs a warning when more than half as many classes as rows, and more than
    two, are found.

    Raises:
        ValueError: As ``load_table_input``, and when the table has more than
            ``_MAX_TEXTS_WITH_UNIQUE_LABELS`` rows and every row has a label
            of its own.
    """
    labeled = load_table_input(
        path,
        text_column=args.text_column,
        label_column=args.label_column,
        encoding=args.encoding,
        errors=args.encoding_errors,
        text_flag="--text-column",
        label_flag="--label-column",
    )
    _check_label_column(path, labeled, args)
    return labeled


# Two texts with two labels are the smallest table a classifier trains on, so
# unique labels are rejected only above that size.
_MAX_TEXTS_WITH_UNIQUE_LABELS = 2


def _check_label_column(path: str | Path, labeled: LabeledTexts, args) -> None:
    """Raise ValueError when every text of ``labeled`` has a label of its own.

    A class with one text cannot be learned or cross-validated. An id or text
    column passed as ``--label-column`` gives one class per row, and so do
    labels that write one number two ways, such as ``1`` and ``1.0``.
    """
    if len(labeled) <= _MAX_TEXTS_WITH_UNIQUE_LABELS:
        return
    classes = len(labeled.label_counts())
    clashes = numeric_label_clashes(labeled.labels)
    # The class count once the labels of each clash, such as "1" and "1.0",
    # are written one way. When that count is not near-unique, the clash
    # explains the extra classes, and load_table has already logged it.
    merged = classes - sum(len(group) - 1 for group in clashes)
    if clashes and not _is_near_unique(merged, len(labeled)):
        if classes == len(labeled):
            raise _label_clash_error(path, labeled, clashes, args.label_column)
        return
    if classes < len(labeled):
        _warn_near_unique_labels(path, classes, len(labeled), args.label_column)
        return
    label_fix = "the column that contains the class labels with --label-column"
    fix = _with_columns(path, args, label_fix)
    examples = ", ".join(repr(label) for label in labeled.labels[:3])
    raise ValueError(
        f"--label-column {args.label_column!r}: each of the {len(labeled)} rows "
        f"of {path} has a label of its own ({examples}, ...), so every class "
        f"would have one text; the column looks like an id or text column. {fix}"
    )


def _label_clash_error(
    path: str | Path, labeled: LabeledTexts, clashes: list, column: str
) -> ValueError:
    first = clashes[0]
    return ValueError(
        f"--label-column {column!r}: each of the {len(labeled)} rows of {path} "
        f"has a label of its own, because labels {describe_label_clashes(clashes)} "
        "are the same number written differently and so count as different "
        "classes; write each class's label one way in the file, for example "
        f"replace every {first[1]!r} with {first[0]!r}"
    )


def _is_near_unique(classes: int, rows: int) -> bool:
    """Return whether ``classes`` is above two and above half of ``rows``."""
    return classes > 2 and 2 * classes > rows


def _with_columns(path: str | Path, args, fix: str) -> str:
    """Return "Pass ``fix``", after the table's column names where they can be read."""
    # A FIFO has been read to its end, so only a regular file's header is read
    # again to list its columns.
    if not Path(path).is_file():
        return f"Pass {fix}"
    columns = read_table_columns(
        path, encoding=args.encoding, errors=args.encoding_errors
    )
    return f"Columns found: {columns}; pass {fix}"


# The share of single-word texts above which a text column is named as a
# possible id or label column, and the fewest texts for which that share
# is judged, because a small table of one-word texts is plausible.
_SINGLE_WORD_SHARE = 0.9
_MIN_TEXTS_FOR_SHARE = 10


def describe_id_like_texts(path: str | Path, texts: Sequence[str], args) -> str | None:
    """Return a hint when the ``--text-column`` texts of a table look like ids.

    A column whose every value is a number, or whose texts are nearly all
    one word, is more likely an id or label column than the texts. Returns
    None for other texts, and for ``path`` that is not a table.
    """
    if not _is_table_path(path) or not texts:
        return None
    words = [len(text.split()) for text in texts]
    if all(_is_number(text) for text in texts):
        found = f"all {len(texts)} of its values are numbers"
    elif len(texts) >= _MIN_TEXTS_FOR_SHARE and (
        sum(count <= 1 for count in words) >= _SINGLE_WORD_SHARE * len(texts)
    ):
        single = sum(count <= 1 for count in words)
        found = f"{single} of its {len(texts)} values are a single word"
    else:
        return None
    fix = _with_columns(
        path, args, "the column that contains the texts with --text-column"
    )
    return (
        f"--text-column {args.text_column!r} may name an id or label column, "
        f"because {found}. {fix}"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _warn_near_unique_labels(
    path: str | Path, classes: int, rows: int, column: str
) -> None:
    """Warn when the label column has more classes than half the rows.

    The classes then have fewer than two texts each on average, so most of them
    cannot be learned or held out in cross-validation, as happens with an id
    column that repeats a few ids. Two classes get no warning, because a
    two-class table of three rows is small, not mislabeled.
    """
    if not _is_near_unique(classes, rows):
        return
    logger.warning(
        "--label-column %r: %d classes among the %d rows of %s, fewer than two "
        "texts per class on average; if the column is an id or text column, "
        "pass the column that contains the class labels with --label-column",
        column,
        classes,
        rows,
        path,
    )


def load_table_input(
    path: str | Path,
    *,
    text_column: str,
    label_column: str | None,
    encoding: str,
    errors: str,
    text_flag: str | None,
    label_flag: str | None = None,
    empty_texts: bool = False,
) -> LabeledTexts | tuple[str, ...]:
    """Load a CSV, TSV or JSON Lines file with ``embedsent.datasets.load_table``.

    Args:
        text_flag, label_flag: The flags that set ``text_column`` and
            ``label_column``, named in the error for a missing column; None
            for a command without such a flag.

    Raises:
        ValueError: As ``load_table``, with decode and missing-column errors
            naming the flags, and when ``label_column`` equals
            ``text_column``.
    """
    if label_column is not None and label_column == text_column:
        text_name = text_flag or "text_column"
        label_name = label_flag or "label_column"
        raise ValueError(
            f"{text_name} and {label_name} both name column {text_column!r}, so "
            f"every text would be its own class; pass the column that contains "
            f"the labels with {label_name}"
        )
    try:
        return load_table(
            path,
            text_column=text_column,
            label_column=label_column,
            empty_texts=empty_texts,
            encoding=encoding,
            errors=errors,
        )
    except TextDecodeError as error:
        raise _decode_error(error) from error
    except LoneSurrogateError as error:
        raise ValueError(
            f"{error.source}, {error.location}: {error.found} is a lone UTF-16 "
            "surrogate, which is not a character and cannot be written as "
            "UTF-8; fix or remove it, or pass --encoding-errors replace to "
            "replace lone surrogates with U+FFFD"
        ) from error
    except ColumnNotFoundError as error:
        flags = {label_column: label_flag, text_column: text_flag}
        roles = {label_column: "labels", text_column: "texts"}
        columns = list(error.missing)
        if len(columns) == 1:
            names = f"column {columns[0]!r}"
        else:
            names = f"columns {' and '.join(repr(column) for column in columns)}"
        raise ValueError(
            f"{names} not found in {error.location} of {error.source}; columns "
            f"found: {error.found}; {_missing_column_fix(error, flags, roles)}"
        ) from error


def _missing_column_fix(
    error: ColumnNotFoundError,
    flags: dict[str | None, str | None],
    roles: dict[str | None, str],
) -> str:
    """Suggest a fix for each missing column, with the flag that names it, if any.

    ``flags`` maps each column to its flag, or to None for a command without
    one, and ``roles`` maps it to "texts" or "labels".
    """
    fixes = []
    case_fix = _case_fix(error.missing, flags)
    if case_fix:
        fixes.append(case_fix)
    unmatched = [column for column, matches in error.missing.items() if not matches]
    if unmatched and error.apparent_delimiter is not None:
        fixes.append(error.delimiter_note())
    elif unmatched:
        fixes.append(_unmatched_column_fix(unmatched, flags, roles))
    return "; ".join(fixes)


def _case_fix(
    missing: dict[str, list[str]], flags: dict[str | None, str | None]
) -> str | None:
    """Suggest the columns that differ from missing ones only in case, or None."""
    passes = []
    renames = []
    ambiguous = []
    for column, matches in missing.items():
        flag = flags.get(column)
        if len(matches) == 1 and flag is not None:
            passes.append(f"{flag} {shlex.quote(matches[0])}")
        elif len(matches) == 1:
            renames.append(f"column {matches[0]!r} to {column!r}")
        elif matches:
            target = f"pass one of them with {flag}" if flag else "rename one of them"
            ambiguous.append(f"{matches} differ from {column!r} only in case; {target}")
    clauses = []
    if passes:
        clauses.append(f"pass {' '.join(passes)}")
    if renames:
        clauses.append(f"rename {' and '.join(renames)}")
    if clauses:
        return f"column names are case-sensitive; {'; '.join(clauses + ambiguous)}"
    if ambiguous:
        return f"column names are case-sensitive, and {'; '.join(ambiguous)}"
    return None


def _unmatched_column_fix(
    columns: list[str],
    flags: dict[str | None, str | None],
    roles: dict[str | None, str],
) -> str:
    """Suggest the flag, or else the new name, for columns without a case match."""
    flagged = [flags[column] for column in columns if flags.get(column)]
    unflagged = [column for column in columns if not flags.get(column)]
    fixes = []
    if len(flagged) == 1:
        fixes.append(f"pass the column's name with {flagged[0]}")
    elif flagged:
        fixes.append(f"pass the columns' names with {' and '.join(flagged)}")
    if len(unflagged) == 1:
        column = unflagged[0]
        fixes.append(
            f"rename the column that contains the {roles[column]} to {column!r}"
        )
    elif unflagged:
        contents = " and the ".join(roles[column] for column in unflagged)
        names = " and ".join(repr(column) for column in unflagged)
        fixes.append(f"rename the columns that contain the {contents} to {names}")
    return "; ".join(fixes)


def check_sample_size(labeled: LabeledTexts, size: int, flag: str) -> None:
    """Raise ValueError naming ``flag`` when no balanced sample of ``size`` exists.

    A size of at least ``len(labeled)`` passes, because
    ``embedsent.datasets.balanced_sample`` then returns every text.
    """
    if size >= len(labeled):
        return
    counts = labeled.label_counts()
    if size < len(counts):
        raise ValueError(
            f"{flag} {size}: must be at least the number of classes "
            f"({len(counts)}: {list(counts)}) so that every class is drawn; pass "
            f"{flag} {len(counts)} or more"
        )
    try:
        balanced_sample(labeled, size, np.random.default_rng(0))
    except ValueError:
        label, smallest = min(counts.items(), key=lambda item: item[1])
        raise ValueError(
            f"{flag} {size}: class {label!r} has only {smallest} labeled texts, "
            f"too few for a balanced sample of {size}; pass {flag} "
            f"{smallest * len(counts)} or less"
        ) from None


def check_corpus_folder(data_dir: str) -> None:
    """Raise FileNotFoundError naming ``--data-dir`` when a corpus file is missing."""
    folder = Path(data_dir) / "movie_reviews"
    for name in DEFAULT_CORPUS_FILES:
        if not (folder / name).is_file():
            raise FileNotFoundError(
                f"--data-dir {data_dir}: {folder / name} not found; pass the "
                "folder that contains movie_reviews/ with "
                f"{', '.join(DEFAULT_CORPUS_FILES)}"
            )
