"""Argparse types that check flag values while the command line is parsed.

A bad value stops the command before any file is read, and argparse names
the flag: ``argument --min-count: must be >= 1, got 0; 1 keeps every word``.
A flag that sets a config field is checked by that config's own validation,
so each limit is written once, in ``embedsent.config``.
"""

from __future__ import annotations

import argparse
import codecs
import decimal
import math
import re
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

from embedsent.bench import MAX_GENSIM_WORKERS
from embedsent.cli_paths import TABLE_FILES
from embedsent.config import FLOAT32_SMALLEST_POSITIVE, SGNSConfig

__all__ = [
    "DEFAULT_ENCODING",
    "DEFAULT_LABEL_COLUMN",
    "DEFAULT_TEXT_COLUMN",
    "REPEATED_VALUES_ATTRIBUTE",
    "TABLE_FILES",
    "OutputPathAction",
    "add_encoding_options",
    "ascii_number",
    "bounded",
    "codec_name",
    "config_value",
    "labeled_size",
    "vectors_codec_name",
]


# Upper limits that only the command line applies to counts the configs leave
# unbounded. From a flag, a value above them is most likely a typo.
MAX_SGNS_EPOCHS = 10_000
MAX_DRAWS = 1_000
DRAWS_REASON = "each draw fits every method once more"
GENSIM_WORKERS_REASON = "gensim starts one thread per worker"
# The largest --repeats of select and diagnose. Each repetition runs every
# fold again.
MAX_CV_REPEATS = 100

# The smallest positive double, a subnormal of about 4.9e-324.
_SMALLEST_DOUBLE = math.ulp(0.0)

# The defaults of --text-column and --label-column, the columns of a table
# file that contain texts and labels.
DEFAULT_TEXT_COLUMN = "text"
DEFAULT_LABEL_COLUMN = "label"
DEFAULT_ENCODING = "utf-8"

# ClassifierConfig and FineTuneConfig reject learning_rate * weight_decay >= 1.
# A flag is checked with its partner at a value that allows any other, and
# cli_checks checks the pair after parsing.
_NEUTRAL_PARTNERS = {
    "learning_rate": {"weight_decay": 0.0},
    "weight_decay": {"learning_rate": FLOAT32_SMALLEST_POSITIVE},
}


def config_value(
    config_class: type,
    field: str,
    convert: Callable[[str], Any] = int,
    hint: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
    maximum_reason: str = "",
) -> Callable[[str], Any]:
    """Return an argparse type that converts a flag value and checks one field.

    Args:
        config_class: A config dataclass whose other fields all have defaults.
        field: The field that the flag sets.
        convert: ``int`` or ``float``.
        hint: Appended to the message, such as ``"; 0 disables it"``.
        minimum: A lower limit checked before the config's, for a field whose
            limit depends on another field's default.
        maximum: An upper limit that only the command line applies, for a
            field that the config leaves unbounded but where a typo such as
            10**12 would run for days or exhaust memory.
        maximum_reason: Why values above ``maximum`` are rejected, appended
            to that message.
    """

    def parse(text: str) -> Any:
        # A ValueError here makes argparse report "invalid int value: 'x'".
        value = _convert_number(convert, text, hint)
        _reject_nan(value, text)
        if minimum is not None and not value >= minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}{hint}")
        if maximum is not None and not value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be <= {maximum}, got {text}; {maximum_reason}"
            )
        partner = _NEUTRAL_PARTNERS.get(field, {})
        try:
            config_class(**{field: value, **partner})
        except (TypeError, ValueError) as error:
            message = str(error)
            # Config messages start with the field name: "min_count must be ...".
            message = message.removeprefix(f"{field} ")
            message = _echo_typed_value(message, value, text)
            raise argparse.ArgumentTypeError(f"{message}{hint}") from None
        return value

    parse.__name__ = convert.__name__
    return parse


# The argparse type of every SGNS epoch flag.
sgns_epochs = config_value(
    SGNSConfig,
    "epochs",
    maximum=MAX_SGNS_EPOCHS,
    maximum_reason="each epoch is one pass over every pretraining text",
)


def _echo_typed_value(message: str, value: Any, text: str) -> str:
    """Replace "got <value>" in a config message with the flag's text.

    The config prints the converted value, which can differ from what the
    user typed: ``float("1E-320")`` prints as 1e-320, and ``int("007")`` as
    7.
    """
    pattern = rf"got {re.escape(str(value))}(?![\w.+-])"
    return re.sub(pattern, lambda _: f"got {text}", message, count=1)


def _reject_non_ascii(text: str) -> None:
    """Reject a number typed with characters other than ASCII.

    ``int()`` and ``float()`` accept every Unicode decimal digit and strip
    Unicode spaces, so without this check ``--epochs １２`` (full-width
    digits) would run 12 epochs. A Unicode minus sign would get argparse's
    bare "invalid int value". argparse prefixes the message with the flag.
    """
    for character in text:
        if character.isascii():
            continue
        name = unicodedata.name(character, "a non-ASCII character")
        found = f"{character!r} (U+{ord(character):04X} {name})"
        typed = "".join(_ascii_form(symbol) for symbol in text).strip()
        if character.isdecimal():
            problem = f"{found} is not an ASCII digit"
        elif character.isspace():
            problem = f"{found} is not an ASCII space"
        else:
            problem = f"{found} is not an ASCII character"
        such_as = ""
        if typed.isascii() and typed:
            such_as = f", such as {typed}"
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: {problem}; type the number with ASCII "
            f"digits{such_as}"
        )


def _ascii_form(symbol: str) -> str:
    """Return the ASCII character that ``symbol`` stands for in a number."""
    if symbol.isascii():
        return symbol
    if symbol.isdecimal():
        return str(unicodedata.decimal(symbol))
    if symbol.isspace():
        return ""
    if unicodedata.category(symbol) == "Pd" or symbol == "\u2212":
        # Dashes and the minus sign (U+2212) stand for "-".
        return "-"
    return symbol


def ascii_number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """Return an argparse type that applies ``convert`` to ASCII digits only.

    For a flag whose range the command checks later, with a message of its
    own.
    """

    def parse(text: str) -> Any:
        return _convert_number(convert, text)

    parse.__name__ = convert.__name__
    return parse


def _convert_number(convert: Callable[[str], Any], text: str, hint: str = "") -> Any:
    """Convert ``text`` with ``convert`` after checking that it is ASCII.

    A float that ``convert`` rounds to 0.0 or to infinity is rejected when
    ``text`` is a nonzero, finite number, with ``hint`` appended to the message.
    """
    _reject_non_ascii(text)
    value = convert(text)
    if isinstance(value, float):
        _reject_rounded_float(value, text, hint)
    return value


def _reject_rounded_float(value: float, text: str, hint: str = "") -> None:
    """Reject a nonzero, finite ``text`` that ``float`` rounded to 0.0 or inf.

    ``float("1e-400")`` is 0.0 and ``float("1e400")`` is inf. Without this
    check the range message of a flag that must be > 0 would read "must be >
    0.0, got 1e-400", and a flag where 0 turns a feature off would accept
    1e-400 as 0.
    """
    if value != 0.0 and not math.isinf(value):
        return
    try:
        typed = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return
    if value == 0.0 and typed != 0:
        raise argparse.ArgumentTypeError(
            f"got {text}, which rounds to 0.0 because the smallest nonzero double "
            f"(64-bit float) is {_SMALLEST_DOUBLE:.2g}; pass a value further from "
            f"0{hint}"
        )
    if math.isinf(value) and typed.is_finite():
        raise argparse.ArgumentTypeError(
            f"got {text}, which overflows to {value} because the largest double "
            f"(64-bit float) is {sys.float_info.max:.2g}; pass a value closer to "
            f"0{hint}"
        )


def _reject_nan(value: Any, text: str) -> None:
    # NaN fails every comparison, so a range message would read "must be >= 0,
    # got nan", as if a larger NaN could pass.
    if value != value:
        raise argparse.ArgumentTypeError(f"must be a number, got {text}")


def bounded(
    convert: Callable[[str], Any],
    minimum: float,
    maximum: float | None = None,
    hint: str = "",
) -> Callable[[str], Any]:
    """Return an argparse type for a number from ``minimum`` to ``maximum``.

    NaN is rejected as not a number.
    """

    def parse(text: str) -> Any:
        value = _convert_number(convert, text, hint)
        _reject_nan(value, text)
        too_large = maximum is not None and not value <= maximum
        if not value >= minimum or too_large:
            upper = "" if maximum is None else f" and <= {maximum}"
            raise argparse.ArgumentTypeError(
                f"must be >= {minimum}{upper}, got {text}{hint}"
            )
        return value

    parse.__name__ = convert.__name__
    return parse


# The argparse type of every --gensim-workers flag.
gensim_workers = bounded(int, 1, MAX_GENSIM_WORKERS, hint=f"; {GENSIM_WORKERS_REASON}")
# The argparse type of --repeats in select and diagnose.
cv_repeats = bounded(
    int, 1, MAX_CV_REPEATS, hint="; each repetition runs every fold again"
)


def labeled_size(text: str) -> str:
    """Check one ``compare --sizes`` value: an int >= 0, or ``all``.

    Returns the text unchanged, for ``embedsent.compare.select_sizes``.
    """
    if text == "all":
        return text
    _reject_non_ascii(text)
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}; pass ints or 'all', e.g. 8 16 32 all"
        ) from None
    if size < 0:
        raise argparse.ArgumentTypeError(
            f"must be >= 0 or 'all', got {size}; 0 and 'all' use every training text"
        )
    return text


def host_name(text: str) -> str:
    """Check that ``text`` is not empty, which would bind every interface."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is empty, and an empty host listens on every interface; "
            "pass 127.0.0.1 for this machine only, or 0.0.0.0 for every interface"
        )
    return text


def codec_name(text: str) -> str:
    """Check that ``text`` names a Python codec, such as ``utf-8``."""
    try:
        info = codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(
            f"unknown encoding {text!r}; pass a Python codec name such as utf-8, "
            "latin-1 or cp1252"
        ) from None
    # rot13 and base64 are codecs but not text encodings: bytes.decode
    # rejects them with LookupError.
    if not getattr(info, "_is_text_encoding", True):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a text encoding; pass one such as utf-8, latin-1 "
            "or cp1252"
        )
    return text


def vectors_codec_name(text: str) -> str:
    """Check that ``text`` names a codec that vector files can use."""
    from embedsent.vector_io import check_codec

    try:
        check_codec(text, "strict")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_encoding_options(parser: argparse.ArgumentParser, inputs: str) -> None:
    """Add ``--encoding`` and ``--encoding-errors`` for the files in ``inputs``."""
    parser.add_argument(
        "--encoding",
        type=codec_name,
        default=DEFAULT_ENCODING,
        help=f"text encoding of {inputs}, a Python codec name such as latin-1 "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--encoding-errors",
        choices=("strict", "replace", "ignore"),
        default="strict",
        help="what to do with bytes that do not decode: stop with an error, "
        "replace them with U+FFFD, or drop them (default: %(default)s)",
    )


# The namespace attribute in which OutputPathAction records, per flag, every
# value that the command line gave it.
REPEATED_VALUES_ATTRIBUTE = "output_flag_values"


class OutputPathAction(argparse.Action):
    """Store an output path, as ``store`` does, and record each value given.

    argparse keeps the last of repeated values, so ``--out a --out b`` writes
    only ``b``. ``embedsent.cli_checks.warn_ignored_flags`` reads the record
    and warns about the values that were dropped.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        record = getattr(namespace, REPEATED_VALUES_ATTRIBUTE, None)
        if record is None:
            record = {}
            setattr(namespace, REPEATED_VALUES_ATTRIBUTE, record)
        flag = self.option_strings[-1] if self.option_strings else self.dest
        record.setdefault(flag, []).append(values)
