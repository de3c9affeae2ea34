"""JSONata in state machines: `{% expression %}` strings compiled once with jsonata-python.

AWS binds `$states` (`input`, `result`, `errorOutput`, `context`) and each variable as `$name`, and
adds the functions `$partition`, `$range`, `$hash`, `$random`, `$uuid` and `$parse`. An expression
that fails, or yields nothing where a value is needed, fails with States.QueryEvaluationError.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonata as _jsonata
import regex
from jsonata.functions import Functions as _Functions
from jsonata.regex_engine import RegexFlags
from jsonata.utils import Utils as _Utils

from sojourn.asl import budget as _budget
from sojourn.asl.errors import QueryEvaluationError

__all__ = ["JsonataValue", "compile_jsonata_value", "is_jsonata", "jsonata_type", "unexpected_type"]

_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_jsonata(value: Any) -> bool:
    """True for a string written `{% expression %}`."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def _partition(array: Any, size: Any) -> list[Any]:
    if not isinstance(array, list) or not isinstance(size, (int, float)) or size <= 0:
        raise _Failure("$partition takes an array and a positive chunk size")
    size = int(size)
    return [array[i : i + size] for i in range(0, len(array), size)]


def _range(start: Any, end: Any, step: Any) -> list[Any]:
    start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise _Failure("$range takes a step other than 0")
    items = range(start, end + (1 if step > 0 else -1), step)
    if len(items) > 1000:  # measured before the list is made
        raise _Failure("$range gives at most 1000 items")
    return list(items)


_RangeList = _Utils.RangeList


class _Bounded:
    """JSONata functions whose result can be far larger than their arguments, refused before they allocate."""

    @staticmethod
    def pad(string: Any, width: Any, char: Any) -> Any:
        if isinstance(width, (int, float)) and not isinstance(width, bool) and math.isfinite(width):
            _budget.current().allow(abs(int(width)) * max(1, len(char) if isinstance(char, str) else 1))
        return _Functions.pad(string, width, char)


class _Pattern:
    """A JSONata regular expression on the `regex` module, so that a pattern that backtracks without end
    (`/^(a|a)*$/` on "aaa...b") stops near its step's deadline, and lets other threads run meanwhile:
    Python's `re` can be neither interrupted nor timed out."""

    def __init__(self, compiled: Any):
        self.compiled = compiled
        self.pattern = compiled.pattern

    def search(self, string: str) -> Any:
        return self._run(lambda timeout: self.compiled.search(string, concurrent=True, timeout=timeout))

    def finditer(self, string: str) -> Any:
        return iter(
            self._run(lambda timeout: list(self.compiled.finditer(string, concurrent=True, timeout=timeout)))
        )

    def split(self, string: str, maxsplit: int = 0) -> list[str]:
        parts: list[str] = self._run(
            lambda timeout: self.compiled.split(string, maxsplit=maxsplit, concurrent=True, timeout=timeout)
        )
        return parts

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        budget = _budget.current()
        made = [len(string)]

        def counted(match: Any) -> str:
            text = repl(match) if callable(repl) else match.expand(repl)
            made[0] += len(text)
            budget.allow(made[0])
            return str(text)

        replaced: str = self._run(
            lambda timeout: self.compiled.sub(counted, string, count=count, concurrent=True, timeout=timeout)
        )
        return replaced

    def _run(self, call: Callable[[float], Any]) -> Any:
        budget = _budget.current()
        try:
            return call(max(0.001, budget.remaining()))
        except TimeoutError:
            raise budget.expired() from None


def _regex_engine(pattern: str, flags: RegexFlags) -> _Pattern:
    options = (regex.IGNORECASE if flags.case_insensitive else 0) | (
        regex.MULTILINE if flags.multiline else 0
    )
    return _Pattern(regex.compile(pattern, options | regex.VERSION0))


def _on_entry(expr: Any, input: Any, environment: Any) -> None:
    if not environment.is_parallel_call:
        _budget.current().enter()


def _on_exit(expr: Any, input: Any, environment: Any, result: Any) -> None:
    if not environment.is_parallel_call:
        # jsonata-python's lazy range counts one item more than it holds
        items = result.b - result.a if isinstance(result, _RangeList) else None
        _budget.current().leave(result, items)


def _hash(value: Any, algorithm: Any) -> str:
    if algorithm not in _HASHES:
        raise _Failure(f"$hash takes one of {list(_HASHES)}")
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _parse(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise _Failure("$parse takes a string of JSON") from None


def _disabled_eval(*_: Any) -> Any:
    # AWS removes JSONata's $eval: calling it fails as calling any unbound name does.
    raise _Failure("Attempted to invoke a non-function", "T1006")


class _Failure(Exception):
    """An expression that threw: jsonata-js's message and, when it has one, its error code."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message, self.code = message, code


# jsonata-python renders some of jsonata-js's templates with "Object" for "function" and type letters;
# AWS runs jsonata-js's wording (T0410, T0412).
_ARRAY_TYPES = {
    "a": "arrays",
    "b": "booleans",
    "f": "functions",
    "n": "numbers",
    "o": "objects",
    "s": "strings",
}


def _failure(error: Exception) -> _Failure:
    """jsonata-python's error in jsonata-js's words (a JException carries `current`, `expected`, `extra`)."""
    code = getattr(error, "error", None)
    current, expected = getattr(error, "current", None), getattr(error, "expected", None)
    if not isinstance(code, str):
        return _Failure(str(error))
    if code == "T0410":
        return _Failure(
            f'Argument {current} of function "{expected}" does not match function signature', code
        )
    if code == "T0412":
        extra = getattr(error, "extra", None)
        kind = _ARRAY_TYPES.get(str(extra), extra)
        return _Failure(f'Argument {current} of function "{expected}" must be an array of "{kind}"', code)
    return _Failure(str(error).replace(" Object signature", " function signature"), code)


@dataclass(frozen=True)
class _Expression:
    text: str
    compiled: Any

    def evaluate(self, states: dict[str, Any], variables: dict[str, Any], rng: random.Random) -> Any:
        bindings: dict[str, Any] = dict(variables)
        bindings["states"] = states
        expression = self.compiled
        expression.register_lambda(
            "random", lambda seed=None: random.Random(seed).random() if seed is not None else rng.random()
        )
        expression.register_lambda("uuid", lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        with _budget.expression() as budget:
            budget.depth = 0
            try:
                value = _budget.guarded(budget, lambda: expression.evaluate(None, bindings))
            except _budget.Exceeded as e:
                raise _Failure(e.message) from None
            except (QueryEvaluationError, _Failure):
                raise
            except RecursionError:  # Python's own stack, before the depth bound (deeply nested input)
                raise _Failure(_budget.DEPTH_EXCEEDED) from None
            except Exception as e:  # jsonata-python raises its own JException and Python errors alike
                raise _failure(e) from None
        return _UNDEFINED if value is None else _plain(value)


_UNDEFINED = object()  # what an expression that yields nothing evaluates to (jsonata-js's undefined)


def _plain(value: Any) -> Any:
    """jsonata-python's results as plain JSON values (its sequences are list subclasses, its null a
    NULL_VALUE)."""
    if value is _Utils.NULL_VALUE:
        return None
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _compile(value: Any) -> Any:
    if is_jsonata(value):
        text = value[2:-2].strip()
        try:
            compiled = _jsonata.Jsonata(text, _regex_engine)
        except Exception as e:  # its parser raises JException
            raise ValueError(f"Invalid JSONata expression '{text}': {e}") from None
        compiled.set_output_convert_nulls(False)  # keep null (NULL_VALUE) apart from undefined (None)
        compiled.register_lambda("partition", _partition)
        compiled.register_lambda("range", _range)
        compiled.register_lambda("hash", _hash)
        compiled.register_lambda("parse", _parse)
        compiled.register_lambda("eval", _disabled_eval)
        compiled.register_function(
            "pad", _jsonata.Jsonata.JNativeFunction("pad", "<s-ns?:s>", _Bounded, "pad")
        )
        compiled.environment.set_evaluate_entry_callback(_on_entry)
        compiled.environment.set_evaluate_exit_callback(_on_exit)
        return _Expression(text, compiled)
    if isinstance(value, dict):
        return {key: _compile(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_compile(item) for item in value]
    return value


def _evaluate(
    node: Any, states: dict[str, Any], variables: dict[str, Any], rng: random.Random, field: str
) -> Any:
    """Evaluate every expression in `node`; `field` names where it sits (`Output/a/b[0]`),
    as AWS's causes do."""
    if isinstance(node, _Expression):
        try:
            value = node.evaluate(states, variables, rng)
        except _Failure as failure:
            tail = f". {failure.code}: {failure.message}" if failure.code else f": {failure.message}"
            raise QueryEvaluationError(
                cause=f"The JSONata expression '{node.text}' specified for the field '{field}' "
                f"threw an error during evaluation{tail}"
            ) from None
        if value is _UNDEFINED:
            raise QueryEvaluationError(
                cause=f"The JSONata expression '{node.text}' specified for the field '{field}' "
                "returned nothing (undefined)."
            )
        if not _is_json(value):
            raise QueryEvaluationError(
                cause=f"The JSONata expression '{node.text}' specified for the field '{field}' "
                "returned an unsupported result type."
            )
        return value
    if isinstance(node, dict):
        return {key: _evaluate(item, states, variables, rng, f"{field}/{key}") for key, item in node.items()}
    if isinstance(node, list):
        return [
            _evaluate(item, states, variables, rng, f"{field}[{index}]") for index, item in enumerate(node)
        ]
    return node


def jsonata_type(value: Any) -> str:
    """JSONata's name for a value's type (`$type`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), "undefined")


def unexpected_type(expression: str | None, field: str, expected: str, value: Any) -> str:
    """AWS's cause when a field's expression (or literal) yields the wrong type: `Items` must be an array."""
    source = f"The JSONata expression '{expression}'" if expression is not None else "The value"
    shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (
        f"{source} specified for the field '{field}' returned an unexpected result type. "
        f"Expected '{expected}', but was '{jsonata_type(value)}' for value: {shown}"
    )


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_is_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_json(item) for key, item in value.items())
    return False


@dataclass(frozen=True)
class JsonataValue:
    """A field value with `{% %}` expressions anywhere inside; `evaluate` builds the JSON value."""

    tree: Any
    field: str = "Output"

    def evaluate(
        self,
        states: dict[str, Any],
        variables: dict[str, Any] | None = None,
        rng: random.Random | None = None,
    ) -> Any:
        return _evaluate(self.tree, states, variables or {}, rng or random.Random(), self.field)


def compile_jsonata_value(value: Any, field: str = "Output") -> JsonataValue:
    """Compile a field's value: each `{% %}` string becomes an expression;
    raise ValueError when one does not parse."""
    return JsonataValue(_compile(value), field)
