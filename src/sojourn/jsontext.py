"""JSON text from callers, parsed one way everywhere: a document we cannot keep
is the caller's error, never a crash.

Python's `json` raises RecursionError on deep nesting and ValueError on integers over 4,300 digits, and it
accepts what no strict JSON reader downstream takes back: `NaN`, `Infinity`, numbers that overflow to
infinity and lone UTF-16 surrogates (`"\\ud800"`, which has no UTF-8 form, so neither SQLite nor PostgreSQL
can store it). `parse` refuses all of these with `InvalidJSON`, which each caller turns into its own AWS
error (SerializationException for a request body, InvalidExecutionInput for an input, InvalidOutput...).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["MAX_DEPTH", "InvalidJSON", "parse"]

# Sojourn's own limit, well inside Python's recursion limit so that no later step (the interpreter,
# JSONata, the encoder in a worker thread) meets a document it cannot walk.
MAX_DEPTH = 512
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidJSON(ValueError):
    """The text is not a JSON document Sojourn keeps; the message says why, without echoing the text."""


def _constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise InvalidJSON(f"The number {text[:20]}... is out of range")
    return number


def parse(text: str | bytes) -> Any:
    """The JSON document in `text` (UTF-8 bytes or str); InvalidJSON when it is not one we keep."""
    try:
        document = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except InvalidJSON:
        raise
    except RecursionError:
        raise InvalidJSON(f"The document is nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise InvalidJSON("The document is not valid UTF-8") from None
    except json.JSONDecodeError as e:
        raise InvalidJSON(f"{e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:  # integers over Python's 4,300-digit conversion limit
        raise InvalidJSON(str(e).split(";")[0]) from None
    _check(document)
    return document


def _check(document: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings with lone surrogates (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise InvalidJSON("A string holds a lone UTF-16 surrogate, which has no UTF-8 form")
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise InvalidJSON(f"The document is nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    stack.append((key, depth))
                stack.append((item, depth + 1))
