"""JSONata in state machines: `{% expression %}` strings compiled once with jsonata-python.

AWS binds `$states` (`input`, `result`, `errorOutput`, `context`) and each variable as `$name`, and
adds the functions `$partition`, `$range`, `$hash`, `$random`, `$uuid` and `$parse`. An expression
that fails, or yields nothing where a value is needed, fails with States.QueryEvaluationError.
AWS runs jsonata-js: where jsonata-python's results or errors differ from it, the functions and
evaluator overrides here follow jsonata-js (tests/asl/test_conformance_jsonata_js.py compares them with
jsonata-js's recorded results).
"""

from __future__ import annotations

import base64
import decimal
import hashlib
import json
import math
import random
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonata as _jsonata
import regex
from jsonata.functions import Functions as _Functions
from jsonata.jexception import JException as _JException
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


def _js_number(value: float) -> str:
    """A number as JavaScript's String() writes it: shortest digits, exponent below 1e-6 and from 1e21."""
    if value == 0:
        return "0"  # -0 too
    text = repr(float(value))
    exponent = int(text.partition("e")[2] or 0) if "e" in text else len(text.split(".")[0].lstrip("-")) - 1
    if -7 < exponent < 21:
        return format(decimal.Decimal(text).normalize(), "f")
    mantissa, _, power = text.partition("e")
    return f"{mantissa.removesuffix('.0')}e{'+' if int(power) > 0 else '-'}{abs(int(power))}"


def _js_json(value: Any, indent: str | None, depth: int = 0) -> str:
    """JSON.stringify with jsonata-js's $string replacer: non-integers to 15 significant digits, functions
    as "" (jsonata-python's json.dumps writes 0.1 + 0.2 inside an object as 0.30000000000000004)."""
    if value is None or value is _Utils.NULL_VALUE:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            return "null"
        return _js_number(number if number.is_integer() else float(f"{number:.14e}"))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, dict)):
        items = [(None, item) for item in value] if isinstance(value, list) else list(value.items())
        if not items:
            return "[]" if isinstance(value, list) else "{}"
        inner = "" if indent is None else "\n" + indent * (depth + 1)
        texts = [
            (
                f"{json.dumps(key, ensure_ascii=False)}:{'' if indent is None else ' '}"
                if key is not None
                else ""
            )
            + _js_json(item, indent, depth + 1)
            for key, item in items
        ]
        end = "" if indent is None else "\n" + indent * depth
        opening, closing = ("[", "]") if isinstance(value, list) else ("{", "}")
        return opening + inner + ("," + inner).join(texts) + end + closing
    return '""'  # a function


def _js_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and getattr(value, "outer_wrapper", False):
        value = value[0]
    if isinstance(value, float) and not math.isfinite(value):
        raise _JException("D3001", -1)
    return _js_json(value, None)


def _latin1(text: str) -> bytes:
    # jsonata-js (in node) encodes with Buffer's 'binary': each UTF-16 code unit's low byte
    units = text.encode("utf-16-le")
    return bytes(units[0::2])


_RESERVED = re.compile(r"(%(?:2[346BCF]|3[ABDF]|40))", re.IGNORECASE)  # ; / ? : @ & = + $ , #
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?")
_PREFIXED = re.compile(r"0[xX][0-9A-Fa-f]+|0[oO][0-7]+|0[bB][01]+")


class _JsFunctions:
    """Library functions where jsonata-python's result or error differs from jsonata-js's, as jsonata-js
    computes them (functions.js of jsonata 2.2.2)."""

    @staticmethod
    def string(arg: Any, prettify: Any) -> Any:
        if arg is None:
            return None
        if isinstance(arg, str):
            return arg
        if not isinstance(arg, (bool, int, float, list, dict)) and arg is not _Utils.NULL_VALUE:
            return ""  # a function
        if prettify:
            if isinstance(arg, list) and getattr(arg, "outer_wrapper", False):
                arg = arg[0]
            return _js_json(arg, "  ")
        return _js_string(arg)

    @staticmethod
    def number(arg: Any) -> Any:
        # only JSON's decimal syntax and 0x/0o/0b integers, no spaces; jsonata-python takes " 5 " and
        # leaks Python's ValueError for "12abc"
        if arg is _Utils.NULL_VALUE:  # null is no (nsb): jsonata-python's signature lets it through
            raise _JException("T0410", -1, 1, "number")
        if arg is None or (isinstance(arg, (int, float)) and not isinstance(arg, bool)):
            return arg
        if isinstance(arg, bool):
            return 1 if arg else 0
        if isinstance(arg, str) and _DECIMAL.fullmatch(arg) and math.isfinite(float(arg)):
            return _Utils.convert_number(float(arg))
        if isinstance(arg, str) and _PREFIXED.fullmatch(arg):
            return int(arg, 0)
        raise _JException("D3030", -1, arg)

    @staticmethod
    def power(arg: Any, exp: Any) -> Any:
        if arg is None:
            return None
        try:
            result = math.pow(arg, exp)
        except (ValueError, OverflowError):  # JavaScript's NaN and Infinity
            result = math.nan
        if not math.isfinite(result):
            raise _JException("D3061", -1, arg, exp)
        return _Utils.convert_number(result)

    @staticmethod
    def sort(arr: Any, comparator: Any) -> Any:
        if comparator is None and isinstance(arr, list) and len(arr) > 1:
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in arr)
            if not numbers and not all(isinstance(v, str) for v in arr):
                raise _JException("D3070", -1)
        if comparator is None or not isinstance(arr, list) or len(arr) <= 1:
            return _Functions.sort(arr, comparator)
        # jsonata-js merge-sorts, moving the right item first only when the comparator says true, so equal
        # items keep their order; jsonata-python's comparator never answers "equal"
        return _merge_sort(list(arr), lambda a, b: bool(_Functions.func_apply(comparator, [a, b])))

    @staticmethod
    def distinct(arr: Any) -> Any:
        # jsonata-python's `in` takes true for 1
        if not isinstance(arr, list) or len(arr) <= 1:
            return arr
        kept = _Utils.create_sequence() if isinstance(arr, _Utils.JList) else []
        for item in arr:
            if not any(_deep_equal(item, seen) for seen in kept):
                kept.append(item)
        return kept

    @staticmethod
    def to_millis(timestamp: Any, picture: Any) -> Any:
        try:
            return _Functions.datetime_to_millis(timestamp, picture)
        except ValueError:  # jsonata-python leaks datetime's error for a timestamp that is not ISO 8601
            if picture is not None:
                raise
            raise _JException("D3110", -1, timestamp) from None

    @staticmethod
    def decode_url_component(string: Any) -> Any:
        return _JsFunctions._decode(string, "decodeUrlComponent", [string])

    @staticmethod
    def decode_url(string: Any) -> Any:
        # decodeURI leaves the escapes of URI syntax (%2F, %3F, ...) as they are; jsonata-python decodes them
        return None if string is None else _JsFunctions._decode(string, "decodeUrl", _RESERVED.split(string))

    @staticmethod
    def _decode(string: Any, name: str, parts: list[str]) -> Any:
        if string is None:
            return None
        try:
            return "".join(
                part if _RESERVED.fullmatch(part) else urllib.parse.unquote(part, errors="strict")
                for part in parts
            )
        except UnicodeDecodeError:  # jsonata-python leaks Python's error
            raise _JException("D3140", -1, name, string) from None

    @staticmethod
    def replace(string: Any, pattern: Any, replacement: Any, limit: Any) -> Any:
        # a replacer function gets {match, index, groups}: jsonata-python passes no index and puts the
        # whole match first among the groups; "$2" where there is no second group is "" in jsonata-js and
        # Python's "invalid group reference" in jsonata-python
        if string is None or not isinstance(pattern, _Pattern) or (limit is not None and limit < 0):
            return _Functions.replace(string, pattern, replacement, limit)
        if limit is not None and int(limit) == 0:  # Python's count=0 would replace every match
            return string

        def replaced(match: Any) -> str:
            if isinstance(replacement, str):
                return _substitute(replacement, match)
            found = {"match": match.group(), "index": match.start(), "groups": list(match.groups())}
            text = _Functions.func_apply(replacement, [found])
            if not isinstance(text, str):
                raise _JException("D3012", -1)
            return text

        return pattern.sub(replaced, string, count=0 if limit is None else int(limit))

    @staticmethod
    def base64encode(string: Any) -> Any:
        return None if string is None else base64.b64encode(_latin1(string)).decode()

    @staticmethod
    def base64decode(string: Any) -> Any:
        return None if string is None else base64.b64decode(string).decode("latin-1")


def _merge_sort(items: list[Any], swap: Callable[[Any, Any], bool]) -> list[Any]:
    if len(items) <= 1:
        return items
    middle = len(items) // 2
    left, right = _merge_sort(items[:middle], swap), _merge_sort(items[middle:], swap)
    merged: list[Any] = []
    while left and right:
        merged.append(right.pop(0) if swap(left[0], right[0]) else left.pop(0))
    return merged + left + right


def _deep_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    return not isinstance(a, (list, dict)) and not isinstance(b, (list, dict)) and bool(a == b)


def _substitute(replacement: str, match: Any) -> str:
    """jsonata-js's $replace template: $$ is $, $0 the match, $N the Nth group ("" if there is none), with
    as many digits as the number of groups has."""
    groups, out, position = match.groups(), [], 0
    index = replacement.find("$")
    while index != -1 and position < len(replacement):
        out.append(replacement[position:index])
        position = index + 1
        following = replacement[position : position + 1]
        if following in ("$", "0"):
            out.append("$" if following == "$" else match.group())
            position += 1
        else:
            width = len(str(len(groups))) if groups else 1
            number = _leading_int(replacement[position : position + width])
            if width > 1 and number is not None and number > len(groups):
                number = _leading_int(replacement[position : position + width - 1])
            if number is None:
                out.append("$")
            else:
                if groups and 0 < number <= len(groups) and groups[number - 1] is not None:
                    out.append(groups[number - 1])
                position += len(str(number))
        index = replacement.find("$", position)
    out.append(replacement[position:])
    return "".join(out)


def _leading_int(text: str) -> int | None:
    digits = re.match(r"[0-9]+", text)  # JavaScript's parseInt
    return int(digits[0]) if digits else None


_JS_FUNCTIONS = {
    "string": "<x-b?:s>",
    "number": "<(nsb)-:n>",
    "power": "<n-n:n>",
    "sort": "<af?:a>",
    "toMillis": "<s-s?:n>",
    "decodeUrlComponent": "<s-:s>",
    "decodeUrl": "<s-:s>",
    "replace": "<s-(sf)(sf)n?:s>",
    "distinct": "<x:x>",
    "base64encode": "<s-:s>",
    "base64decode": "<s-:s>",
}


def _bad_argument(signature: Any, supplied: str) -> int:
    """The argument jsonata-js blames for a signature mismatch: the first whose parameter does not extend a
    prefix match (jsonata-python matches the whole list at each step, so it always blames the first)."""
    pattern, good = "^", 0
    for param in signature._params:
        pattern += param.regex
        matched = re.match(pattern, supplied)
        if matched is None:
            break
        good = matched.end()
    return good + 1


_JS_NATIVES = {
    name: _jsonata.Jsonata.JNativeFunction(
        name, signature, _JsFunctions, re.sub(r"(?<=[a-z])([A-Z])", lambda m: "_" + m[1].lower(), name)
    )
    for name, signature in _JS_FUNCTIONS.items()
}


class _Jsonata(_jsonata.Jsonata):  # type: ignore[misc]
    """jsonata-python's evaluator with jsonata-js's `%` and `&`."""

    def evaluate_numeric_expression(self, lhs: Any, rhs: Any, op: Any) -> Any:
        if op == "%" and _Utils.is_numeric(lhs) and _Utils.is_numeric(rhs) and rhs:
            return _Utils.convert_number(math.fmod(lhs, rhs))  # jsonata-python truncates 7.5 % 2 to 1
        return super().evaluate_numeric_expression(lhs, rhs, op)

    def evaluate_function(self, expr: Any, input: Any, environment: Any, applyto_context: Any) -> Any:
        try:
            return super().evaluate_function(expr, input, environment, applyto_context)
        except _JException as e:
            # jsonata-js names a signature error after the innermost call ($f(1) says "f"); jsonata-python
            # after the name its shared built-in was last bound to anywhere
            if e.error in ("T0410", "T0412") and not getattr(e, "named_by_call", False):
                procedure = expr.procedure
                path = getattr(procedure, "type", None) == "path"
                e.expected = procedure.steps[0].value if path else getattr(procedure, "value", None)
                e.named_by_call = True
            raise

    def validate_arguments(self, proc: Any, args: Any, context: Any) -> Any:
        try:
            return super().validate_arguments(proc, args, context)
        except _JException as e:
            signature = getattr(proc, "signature", None)
            if e.error == "T0410" and signature is not None and isinstance(args, list):
                e.current = _bad_argument(signature, "".join(signature.get_symbol(arg) for arg in args))
            raise

    def evaluate_string_concat(self, lhs: Any, rhs: Any) -> str:
        return ("" if lhs is None else _js_string(lhs)) + ("" if rhs is None else _js_string(rhs))


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
        matches = self._run(
            lambda timeout: list(self.compiled.finditer(string, concurrent=True, timeout=timeout))
        )
        return iter(_progressing(matches, len(string)))

    def split(self, string: str, maxsplit: int = 0) -> list[str]:
        parts: list[str] = self._run(
            lambda timeout: self.compiled.split(string, maxsplit=maxsplit, concurrent=True, timeout=timeout)
        )
        # Python puts each match's groups between the parts; jsonata-js's $split keeps only the parts
        return parts[:: self.compiled.groups + 1]

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


def _progressing(matches: list[Any], length: int) -> list[Any]:
    """jsonata-js's matches, which stop at the end of the string and fail (D1004) on an empty match that
    would repeat forever; Python's finditer steps past an empty match instead."""
    kept: list[Any] = []
    for match in matches:
        if kept and kept[-1].end() >= length:
            break
        if match.start() == match.end() and match.start() < length:
            raise _JException("D1004", -1)
        kept.append(match)
    return kept


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


# jsonata-python names an array's type by its signature letter (T0412)
_ARRAY_TYPES = {
    "a": "arrays",
    "b": "booleans",
    "f": "functions",
    "n": "numbers",
    "o": "objects",
    "s": "strings",
}


def _quoted(value: Any) -> str:
    # jsonata-js fills a template's {{value}} with JSON.stringify(value)
    return "undefined" if value is None else _js_json(value, None)


# jsonata-js's messages (jsonata.js errorCodes) where jsonata-python words them otherwise or fills them
# with other values; each takes the JException (`current`, `expected`, `extra`, `location`).
_MESSAGES: dict[str, Callable[[Any], str]] = {
    "T0410": lambda e: (
        f"Argument {e.current} of function {_function(e.expected)} does not match function signature"
    ),
    "T0412": lambda e: (
        f"Argument {e.current} of function {_function(e.expected)} must be an array of "
        f'"{_ARRAY_TYPES.get(str(e.extra), e.extra)}"'
    ),
    "D1002": lambda e: f"Cannot negate a non-numeric value: {_quoted(e.expected)}",
    "D1009": lambda e: f"Multiple key definitions evaluate to same key: {_quoted(e.current)}",
    "T2001": lambda e: f"The left side of the {_quoted(e.current)} operator must evaluate to a number",
    "T2002": lambda e: f"The right side of the {_quoted(e.current)} operator must evaluate to a number",
    "T2009": lambda e: (
        f"The values {_quoted(e.current)} and {_quoted(e.expected)} either side of operator "
        f"{_quoted(e.extra)} must be of the same data type"
    ),
    "T2010": lambda e: (
        f"The expressions either side of operator {_quoted(e.current)} must evaluate to numeric "
        "or string values"
    ),
    "D3030": lambda e: f"Unable to cast value to a number: {_quoted(e.current)}",
    "D3060": lambda e: f"The sqrt function cannot be applied to a negative number: {_quoted(e.current)}",
    "D3061": lambda e: (
        "The power function has resulted in a value that cannot be represented as a JSON "
        f"number: base={_quoted(e.current)}, exponent={_quoted(e.expected)}"
    ),
    "D3100": lambda e: (
        f"The radix of the formatBase function must be between 2 and 36.  It was given {_quoted(e.location)}"
    ),  # jsonata-python passes the radix as the location
    "D3110": lambda e: (
        "The argument of the toMillis function must be an ISO 8601 formatted timestamp. "
        f"Given {_quoted(e.current)}"
    ),
    "D3140": lambda e: f"Malformed URL passed to ${e.current}(): {_quoted(e.expected)}",
}

# jsonata-python raises these with the message in place of the code
_CODES = {
    "Second argument of replace function cannot be an empty string": "D3010",
    "Fourth argument of replace function must evaluate to a positive number": "D3011",
}


def _function(name: Any) -> str:
    # a lambda has no name: jsonata-js writes undefined
    return "undefined" if name in (None, "lambda") else f'"{name}"'


def _failure(error: Exception) -> _Failure:
    """jsonata-python's error in jsonata-js's words (a JException carries `current`, `expected`, `extra`)."""
    code = getattr(error, "error", None)
    if not isinstance(code, str):
        return _Failure(str(error))
    if code in _CODES:
        return _Failure(code, _CODES[code])
    if code in _MESSAGES:
        return _Failure(_MESSAGES[code](error), code)
    message = str(error)
    if code not in ("D3137", "D3141"):  # $error's and $assert's own message
        # jsonata-python's templates say "Object" for "function" and quote XPath's names with '"'
        message = re.sub(r"\bObject\b", "function", message)
        if code.startswith(("D308", "D309")):
            message = message.replace('"', "'")
    return _Failure(message, code)


@dataclass(frozen=True)
class _Expression:
    text: str
    compiled: Any

    def evaluate(self, states: dict[str, Any], variables: dict[str, Any], rng: random.Random) -> Any:
        # a variable holding null is null, not undefined (jsonata-python reads a None binding as unbound)
        bindings: dict[str, Any] = {k: _Utils.NULL_VALUE if v is None else v for k, v in variables.items()}
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
            compiled = _Jsonata(text, _regex_engine)
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
        for name, function in _JS_NATIVES.items():
            compiled.register_function(name, function)
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
