"""Parse JSON read from files, with a clear error for too deep nesting.

Python's json module parses arrays and objects recursively, so a value nested
about as deep as the interpreter's recursion limit (1,000 by default) raises
RecursionError, whose message names neither the input nor a fix. The readers
of data files, model metadata, results files and caches parse through
:func:`parse_json`, which raises a ValueError that does.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["TOO_DEEP", "JSONNestingError", "json_type_name", "parse_json"]

TOO_DEEP = "nests JSON arrays or objects too deeply to parse"


class JSONNestingError(ValueError):
    """JSON input nests arrays or objects deeper than the parser can follow."""


def parse_json(text: str | bytes, *, source: str, fix: str, **options: Any) -> Any:
    """Return ``json.loads(text, **options)``.

    Args:
        text: The JSON document.
        source: What ``text`` is, for the message, such as "line 3 of data.jsonl".
        fix: What to do about a value nested too deeply, for the message.
        options: Keyword arguments of ``json.loads``.

    Raises:
        JSONNestingError: If the value nests arrays or objects too deeply to
            parse. The message is "<source> nests JSON arrays or objects too
            deeply to parse; <fix>".
        ValueError: If an integer has more digits than Python converts,
            which is ``sys.get_int_max_str_digits()`` (4,300 by default). The
            message names ``source``. Other ValueErrors, such as
            json.JSONDecodeError and UnicodeDecodeError, pass unchanged.
    """
    try:
        return json.loads(text, **options)
    except RecursionError as error:
        raise JSONNestingError(f"{source} {TOO_DEEP}; {fix}") from error
    except ValueError as error:
        # json.loads lets int() raise this plain ValueError for a long integer.
        if "integer string conversion" not in str(error):
            raise
        limit = sys.get_int_max_str_digits()
        raise ValueError(
            f"{source} contains a JSON integer of more than {limit:,} digits, "
            "which Python does not convert; write it as a string in quotes, or "
            "shorten it"
        ) from error


def json_type_name(value: Any) -> str:
    """Return the JSON type name of a value parsed by ``json.loads``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
