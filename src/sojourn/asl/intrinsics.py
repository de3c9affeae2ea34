"""Intrinsic functions (`States.Format(...)` and the rest), parsed once, evaluated per state.

Spec: "Intrinsic Functions" in the Amazon States Language specification and AWS's documentation of
each function (argument types, limits such as ArrayRange's 1,000 items and Base64's 10,000
characters). Bad arguments at run time raise States.IntrinsicFailure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sojourn.asl.errors import IntrinsicFailure
from sojourn.asl.paths import Path, compile_path

__all__ = ["Intrinsic", "compile_intrinsic"]

MAX_ARRAY_RANGE = 1000
MAX_ENCODE_LENGTH = 10000
INT32 = (-2147483648, 2147483647)


class _Syntax(ValueError):
    """The text is not a well-formed intrinsic function call."""


# -- parsing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[Any, ...]  # _Literal | Path | _Call


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.at = 0

    def fail(self, message: str) -> _Syntax:
        return _Syntax(f"Invalid intrinsic function '{self.text}': {message} at position {self.at}")

    def space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\n\r":
            self.at += 1

    def call(self) -> _Call:
        self.space()
        start = self.at
        while self.at < len(self.text) and (self.text[self.at].isalnum() or self.text[self.at] in "._"):
            self.at += 1
        name = self.text[start : self.at]
        if not name.startswith("States."):
            raise self.fail("a function name starts with 'States.'")
        self.space()
        if self.at >= len(self.text) or self.text[self.at] != "(":
            raise self.fail("expected '('")
        self.at += 1
        args: list[Any] = []
        self.space()
        if self.at < len(self.text) and self.text[self.at] == ")":
            self.at += 1
            return _Call(name, ())
        while True:
            args.append(self.argument())
            self.space()
            if self.at >= len(self.text):
                raise self.fail("expected ')'")
            if self.text[self.at] == ",":
                self.at += 1
                continue
            if self.text[self.at] == ")":
                self.at += 1
                return _Call(name, tuple(args))
            raise self.fail(f"unexpected '{self.text[self.at]}'")

    def argument(self) -> Any:
        self.space()
        if self.at >= len(self.text):
            raise self.fail("expected an argument")
        char = self.text[self.at]
        if char == "'":
            return _Literal(self.string())
        if char == "$":
            return self.path()
        if self.text.startswith("States.", self.at):
            return self.call()
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in ",) \t\n":
            self.at += 1
        word = self.text[start : self.at]
        if word in ("null", "true", "false"):
            return _Literal(json.loads(word))
        try:
            number = json.loads(word)
        except json.JSONDecodeError:
            raise self.fail(f"'{word}' is not a string, number, path or function") from None
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise self.fail(f"'{word}' is not a valid argument")
        return _Literal(number)

    def string(self) -> str:
        self.at += 1
        out: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                out.append(
                    "\\" + self.text[self.at + 1]
                    if self.text[self.at + 1] in "{}"
                    else self.text[self.at + 1]
                )
                self.at += 2
                continue
            if char == "'":
                self.at += 1
                return "".join(out)
            out.append(char)
            self.at += 1
        raise self.fail("unterminated string")

    def path(self) -> Path:
        start, depth, quote = self.at, 0, None
        while self.at < len(self.text):
            char = self.text[self.at]
            if quote:
                if char == quote:
                    quote = None
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.at += 1
        return compile_path(self.text[start : self.at].strip())


# -- evaluation -------------------------------------------------------------------------------------


def _fail(name: str, message: str) -> IntrinsicFailure:
    return IntrinsicFailure(cause=f"Invalid arguments in {name}: {message}")


def _format(name: str, args: list[Any], rng: random.Random) -> str:
    """`{}` takes the next argument; surplus arguments are ignored, as on AWS; `\\{` is a literal brace."""
    template = args[0]
    if not isinstance(template, str):
        raise _fail(name, "the first argument must be a string")
    pieces, at, used = [], 0, 0
    values = args[1:]
    while at < len(template):
        if template.startswith("\\{", at) or template.startswith("\\}", at):
            pieces.append(template[at + 1])
            at += 2
        elif template.startswith("{}", at):
            if used >= len(values):
                raise _fail(name, "the number of arguments does not match the number of placeholders")
            pieces.append(_format_value(values[used]))
            used += 1
            at += 2
        else:
            pieces.append(template[at])
            at += 1
    return "".join(pieces)


def _format_value(value: Any) -> str:
    """How AWS prints a value into States.Format: strings bare, objects and arrays as Java maps and lists."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_format_value(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def _rounded(value: Any) -> Any:
    """A number rounded half up as Java's Math.round does (AWS rounds non-integer arguments)."""
    if isinstance(value, float) and math.isfinite(value):
        return math.floor(value + 0.5)
    return value


def _unescape(value: Any) -> Any:
    return value.replace("\\{", "{").replace("\\}", "}") if isinstance(value, str) else value


def _need(name: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (
        isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
    ):
        raise _fail(name, f"expected {what}, got {json.dumps(value)}")
    return value


def _integer(name: str, value: Any, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(name, f"{what} must be an integer, got {json.dumps(value)}")
    return value


def _array_range(name: str, args: list[Any], rng: random.Random) -> list[int]:
    start, end, step = (_integer(name, _rounded(a), "each argument") for a in args)
    if step == 0:
        raise _fail(name, "the step must not be 0")
    items = range(start, end + (1 if step > 0 else -1), step)
    if len(items) > MAX_ARRAY_RANGE:  # measured before the list is made
        raise _fail(name, f"the range has more than {MAX_ARRAY_RANGE} items")
    return list(items)


def _array_partition(name: str, args: list[Any], rng: random.Random) -> list[list[Any]]:
    array = _need(name, args[0], list, "an array")
    size = _integer(name, args[1], "the chunk size")
    if size <= 0:
        raise _fail(name, "the chunk size must be greater than 0")
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_get_item(name: str, args: list[Any], rng: random.Random) -> Any:
    array = _need(name, args[0], list, "an array")
    index = _integer(name, args[1], "the index")
    if not 0 <= index < len(array):
        raise _fail(name, f"the index {index} is out of bounds")
    return array[index]


def _array_unique(name: str, args: list[Any], rng: random.Random) -> list[Any]:
    seen: list[str] = []
    out = []
    for item in _need(name, args[0], list, "an array"):
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.append(key)
            out.append(item)
    return out


def _base64_encode(name: str, args: list[Any], rng: random.Random) -> str:
    text = _need(name, args[0], str, "a string")
    if len(text) > MAX_ENCODE_LENGTH:
        raise _fail(name, f"the input is longer than {MAX_ENCODE_LENGTH} characters")
    return base64.b64encode(text.encode()).decode()


def _base64_decode(name: str, args: list[Any], rng: random.Random) -> str:
    text = _need(name, args[0], str, "a string")
    if len(text) > MAX_ENCODE_LENGTH:
        raise _fail(name, f"the input is longer than {MAX_ENCODE_LENGTH} characters")
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _fail(name, "the input is not valid base64") from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(name: str, args: list[Any], rng: random.Random) -> str:
    value, algorithm = args
    if value is None:
        raise _fail(name, "the data to hash must not be null")
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if len(text) > MAX_ENCODE_LENGTH:
        raise _fail(name, f"the input is longer than {MAX_ENCODE_LENGTH} characters")
    if algorithm not in _HASHES:
        raise _fail(name, f"the hash algorithm must be one of {list(_HASHES)}")
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _json_merge(name: str, args: list[Any], rng: random.Random) -> dict[str, Any]:
    left, right, deep = args
    _need(name, left, dict, "an object")
    _need(name, right, dict, "an object")
    if deep is not False:
        raise _fail(name, "only a shallow merge is supported: the third argument must be false")
    return {**left, **right}


def _math_random(name: str, args: list[Any], rng: random.Random) -> int:
    """A random integer from start (included) to end (excluded); non-integers are truncated (AWS)."""
    start, end = (
        _integer(name, int(a) if isinstance(a, float) and math.isfinite(a) else a, what)
        for a, what in ((args[0], "the start"), (args[1], "the end"))
    )
    if start >= end:
        raise _fail(name, "the start must be less than the end")
    source = random.Random(_integer(name, args[2], "the seed")) if len(args) > 2 else rng
    return source.randrange(start, end)


def _math_add(name: str, args: list[Any], rng: random.Random) -> int:
    values = [_integer(name, _rounded(a), "each argument") for a in args]
    for value in values:
        if not INT32[0] <= value <= INT32[1]:
            raise _fail(name, "the arguments must be between -2147483648 and 2147483647")
    return values[0] + values[1]


def _string_split(name: str, args: list[Any], rng: random.Random) -> list[str]:
    text = _need(name, args[0], str, "a string")
    delimiters = _need(name, args[1], str, "a string of delimiter characters")
    pieces = [text]
    for delimiter in delimiters:
        pieces = [part for piece in pieces for part in piece.split(delimiter)]
    return [piece for piece in pieces if piece != ""]


def _string_to_json(name: str, args: list[Any], rng: random.Random) -> Any:
    text = _need(name, args[0], str, "a string")
    if not text.strip():
        return None  # AWS gives null for an empty string
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise _fail(name, "the string is not valid JSON") from None


def _uuid(name: str, args: list[Any], rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# name -> (function, minimum arguments, maximum arguments or None)
_FUNCTIONS: dict[str, tuple[Callable[[str, list[Any], random.Random], Any], int, int | None]] = {
    "States.Format": (_format, 1, None),
    "States.StringToJson": (_string_to_json, 1, 1),
    "States.JsonToString": (
        lambda n, a, r: json.dumps(a[0], separators=(",", ":"), ensure_ascii=False),
        1,
        1,
    ),
    "States.Array": (lambda n, a, r: list(a), 0, None),
    "States.ArrayPartition": (_array_partition, 2, 2),
    "States.ArrayContains": (lambda n, a, r: a[1] in _need(n, a[0], list, "an array"), 2, 2),
    "States.ArrayRange": (_array_range, 3, 3),
    "States.ArrayGetItem": (_array_get_item, 2, 2),
    "States.ArrayLength": (lambda n, a, r: len(_need(n, a[0], list, "an array")), 1, 1),
    "States.ArrayUnique": (_array_unique, 1, 1),
    "States.Base64Encode": (_base64_encode, 1, 1),
    "States.Base64Decode": (_base64_decode, 1, 1),
    "States.Hash": (_hash, 2, 2),
    "States.JsonMerge": (_json_merge, 3, 3),
    "States.MathRandom": (_math_random, 2, 3),
    "States.MathAdd": (_math_add, 2, 2),
    "States.StringSplit": (_string_split, 2, 2),
    "States.UUID": (_uuid, 0, 0),
}


def _check(call: _Call, text: str) -> None:
    if call.name not in _FUNCTIONS:
        raise _Syntax(f"Invalid intrinsic function '{text}': unknown function '{call.name}'")
    _, least, most = _FUNCTIONS[call.name]
    if len(call.args) < least or (most is not None and len(call.args) > most):
        expected = (
            f"{least}" if least == most else f"{least} to {most}" if most is not None else f"at least {least}"
        )
        raise _Syntax(
            f"Invalid intrinsic function '{text}': {call.name} takes {expected} arguments, "
            f"not {len(call.args)}"
        )
    for arg in call.args:
        if isinstance(arg, _Call):
            _check(arg, text)


@dataclass(frozen=True)
class Intrinsic:
    """A compiled intrinsic call; `evaluate` runs it on the input, the context and the variables."""

    text: str
    call: _Call

    def evaluate(
        self, input: Any, context: Any = None, variables: dict[str, Any] | None = None, rng: Any = None
    ) -> Any:
        return self._run(self.call, input, context, variables or {}, rng or random.Random())

    def _run(
        self, call: _Call, input: Any, context: Any, variables: dict[str, Any], rng: random.Random
    ) -> Any:
        args = []
        for arg in call.args:
            if isinstance(arg, _Literal):
                args.append(arg.value if call.name == "States.Format" else _unescape(arg.value))
            elif isinstance(arg, Path):
                args.append(arg.get(input, context, variables))  # PathNotFound: the field's template words it
            else:
                args.append(self._run(arg, input, context, variables, rng))
        function = _FUNCTIONS[call.name][0]
        return function(call.name, args, rng)


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse `States.Name(args)`; ValueError on bad syntax, an unknown function or a wrong argument count."""
    parser = _Parser(text)
    call = parser.call()
    parser.space()
    if parser.at != len(text):
        raise parser.fail("unexpected text after the call")
    _check(call, text)
    return Intrinsic(text, call)
