"""Paths: JSONPath on the state input, context paths (`$$`), variable paths (`$name`), reference paths.

Spec: "Paths" and "Reference Paths" in the Amazon States Language specification. A definite path
(only `.field`, `['field']` and `[index]` steps) yields one value and is evaluated by a small walker;
any other path (wildcards, slices, filters, `..`) is compiled once with jsonpath-ng and yields the
list of its matches, as AWS does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sojourn.asl.errors import ResultPathMatchFailure, StatesRuntime

__all__ = [
    "InvalidPath",
    "Path",
    "PathNotFound",
    "ReferencePath",
    "RegexTimeout",
    "compile_path",
    "compile_reference_path",
    "copy_json",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD = re.compile(r"\.([^.\[\]'\"()*@?]+)")
_QUOTED = re.compile(r"\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]")
_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
# Jayway's functions, which end a path (`$.items.length()`). AWS accepts such a path and, when it runs,
# finds nothing ("could not be found in the input"): its paths select nodes and compute nothing.
_FUNCTION = re.compile(r"\.(?:min|max|avg|stddev|length|sum|keys|first|last|concat|append|index)\(.*\)\s*$")


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars), several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class InvalidPath(ValueError):
    """A path that does not parse; raised when the definition is compiled."""


class PathNotFound(StatesRuntime):
    """A definite path selects nothing in `document` (States.Runtime); callers reword it for their field."""

    def __init__(self, path: str, document: Any, cause: str):
        super().__init__(cause=cause)
        self.path = path
        self.document = document


class RegexTimeout(StatesRuntime):
    """A filter's regular expression ran past its time on one value (States.Runtime, never reworded)."""


class _Missing(Exception):
    """The path selects nothing in this document."""


def _definite_steps(body: str) -> list[str | int] | None:
    """The steps of a definite path body (after `$`), or None when the body needs full JSONPath."""
    steps: list[str | int] = []
    at = 0
    while at < len(body):
        for pattern in (_FIELD, _QUOTED, _INDEX):
            match = pattern.match(body, at)
            if match:
                break
        else:
            return None
        if pattern is _INDEX:
            steps.append(int(match.group(1)))
        elif pattern is _QUOTED:
            steps.append(match.group(1) if match.group(1) is not None else match.group(2))
        else:
            steps.append(match.group(1))
        at = match.end()
    return steps


def _walk(document: Any, steps: list[str | int]) -> Any:
    node = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                raise _Missing
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                raise _Missing
            node = node[step]
    return node


@dataclass(frozen=True)
class Path:
    """A compiled path; `get` applies it to the input, the context object or a variable."""

    text: str
    root: str  # "input", "context" or "variable"
    variable: str | None
    steps: tuple[str | int, ...] | None  # None: evaluated by jsonpath-ng
    expression: Any = None

    @property
    def definite(self) -> bool:
        return self.steps is not None

    def get(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> Any:
        """The selected value; a definite path that matches nothing raises `States.Runtime`."""
        if self.root == "input":
            document = input
        elif self.root == "context":
            document = context
        else:
            variables = variables or {}
            if self.variable not in variables:
                raise PathNotFound(
                    self.text,
                    {},
                    f"The variable '{self.variable}' referenced by '{self.text}' is not defined",
                )
            document = variables[self.variable]
        if self.expression is _NOTHING:
            raise PathNotFound(
                self.text,
                document,
                f"The JSONPath '{self.text}' could not be found in the input '{_shown(document)}'",
            )
        if self.steps is None:
            return [match.value for match in self.expression.find(document)]
        try:
            return _walk(document, list(self.steps))
        except _Missing:
            raise PathNotFound(
                self.text,
                document,
                f"The JSONPath '{self.text}' could not be found in the input '{_shown(document)}'",
            ) from None

    def exists(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        """True when the path selects something (Choice's IsPresent); an indefinite path always does."""
        try:
            self.get(input, context, variables)
        except RegexTimeout:
            raise
        except StatesRuntime:
            return False
        return True

    def sample(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> Any:
        """`get` for InputPath and OutputPath, failing with AWS's (Jayway's) wording when nothing matches."""
        try:
            return self.get(input, context, variables)
        except RegexTimeout:
            raise
        except StatesRuntime:
            raise StatesRuntime(
                cause=f"Invalid path '{self.text}' : No results for path: {self.bracketed()}"
            ) from None

    def bracketed(self) -> str:
        """The path in bracket notation, `$['a'][0]`, as Jayway JsonPath names it in errors."""
        if self.steps is None:
            return self.text
        root = "$$" if self.root == "context" else "$" + (self.variable or "")
        return root + "".join(f"[{step}]" if isinstance(step, int) else f"['{step}']" for step in self.steps)


_NOTHING = object()  # the expression of a path that ends in a function: it finds nothing


def _without_dot_before_bracket(body: str) -> str:
    """`.[` as `[` (Jayway reads `$.[?(@.a > 0)]` and `$.['a']` as `$[...]`; jsonpath-ng refuses the
    first), outside quotes and brackets, and not in `..[` (a deep scan)."""
    out: list[str] = []
    depth, quote = 0, ""
    for at, ch in enumerate(body):
        if quote:
            if ch == quote and body[at - 1] != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "." and depth == 0 and body[at + 1 : at + 2] == "[" and (at == 0 or body[at - 1] != "."):
            continue
        out.append(ch)
    return "".join(out)


_REGEX = re.compile(r"=~\s*/((?:[^/\\]|\\.)*)/([a-z]*)")
_REGEX_FLAGS = {"i": "i", "m": "m", "s": "s", "x": "x"}


def _regex_literals(body: str) -> str:
    """Jayway's regex literals in filters (`@.a =~ /.*rees/i`, which must match the whole value) as the
    quoted patterns jsonpath-ng takes (it searches, so the pattern is anchored at both ends)."""

    def quoted(match: re.Match[str]) -> str:
        flags = "".join(_REGEX_FLAGS.get(flag, "") for flag in match.group(2))
        pattern = match.group(1).replace("\\/", "/")
        python = (f"(?{flags})" if flags else "") + rf"\A(?:{pattern})\Z"
        return '=~ "' + python.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return _REGEX.sub(quoted, body)


REGEX_SECONDS = 1.0  # how long a filter's regular expression may run on one value


def _bounded_search(value: Any, pattern: str) -> bool:
    """jsonpath-ng's `=~` on the `regex` module with a timeout: a pattern that backtracks without end
    (`/(a+)+b/` on "aaaa...c") fails the state instead of holding the worker (Python's `re` cannot stop)."""
    import regex

    if not isinstance(value, str):
        return False
    try:
        return regex.search(pattern, value, timeout=REGEX_SECONDS) is not None
    except TimeoutError:
        raise RegexTimeout(
            cause=f"The regular expression '{pattern}' took longer than {REGEX_SECONDS:g} s on one value"
        ) from None


def _shown(document: Any) -> str:
    """A document as AWS prints it into a cause: compact JSON, whole, non-ASCII as is."""
    import json

    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str)


def compile_path(text: str) -> Path:
    """Compile `$...`, `$$...` or `$name...`; raise InvalidPath when it is not a path."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise InvalidPath(f"'{text}' is not a valid path: a path starts with '$'")
    if text.startswith("$$"):
        root, variable, body = "context", None, text[2:]
    else:
        match = _NAME.match(text, 1)
        if match:
            root, variable, body = "variable", match.group(0), text[match.end() :]
        else:
            root, variable, body = "input", None, text[1:]
    if body and body[0] not in ".[":
        raise InvalidPath(f"'{text}' is not a valid path: unexpected '{body[0]}'")
    if _FUNCTION.search(body):
        return Path(text, root, variable, None, _NOTHING)
    body = _without_dot_before_bracket(body)
    if "=~" in body:
        body = _regex_literals(body)
    steps = _definite_steps(body)
    if steps is not None:
        return Path(text, root, variable, tuple(steps))
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext import filter as _filter
    from jsonpath_ng.ext import parse

    _filter.OPERATOR_MAP["=~"] = _bounded_search

    try:
        expression = parse("$" + body)
    except (JsonPathLexerError, JsonPathParserError, Exception) as e:
        raise InvalidPath(f"'{text}' is not a valid JSONPath: {e}") from None
    return Path(text, root, variable, None, expression)


@dataclass(frozen=True)
class ReferencePath:
    """A path to one node (ResultPath): `set` returns a copy of the document with the value placed there."""

    text: str
    steps: tuple[str | int, ...]

    def set(self, document: Any, value: Any) -> Any:
        if not self.steps:
            return value
        root = copy_json(document)
        if not isinstance(root, dict):
            raise ResultPathMatchFailure(
                cause=f"Unable to apply ResultPath '{self.text}' to input '{_shown(document)}': "
                "it is not an object"
            )
        node: Any = root
        for step, following in zip(self.steps, (*self.steps[1:], None), strict=True):
            if following is None:
                _put(node, step, value, self.text)
                break
            child = _child(node, step)
            if child is None:
                child = [] if isinstance(following, int) else {}
                _put(node, step, child, self.text)
            elif not isinstance(child, (dict, list)):
                raise ResultPathMatchFailure(
                    cause=f"Unable to apply ResultPath '{self.text}': '{step}' is not an object "
                    f"in '{_shown(document)}'"
                )
            node = child
        return root


def _child(node: Any, step: str | int) -> Any:
    if isinstance(step, int):
        return node[step] if isinstance(node, list) and -len(node) <= step < len(node) else None
    return node.get(step) if isinstance(node, dict) else None


def _put(node: Any, step: str | int, value: Any, text: str) -> None:
    fits_list = isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node)
    if fits_list or (isinstance(step, str) and isinstance(node, dict)):
        node[step] = value
    else:
        raise ResultPathMatchFailure(cause=f"Unable to apply ResultPath '{text}' at '{step}'")


def compile_reference_path(text: str) -> ReferencePath:
    """Compile a ResultPath; it must select a single node of the input (no `$$`, no wildcards)."""
    if not isinstance(text, str) or not text.startswith("$") or text.startswith("$$"):
        raise InvalidPath(f"'{text}' is not a valid reference path")
    body = text[1:]
    steps = _definite_steps(body)
    if steps is None or (body and body[0] not in ".["):
        raise InvalidPath(f"'{text}' is not a valid reference path: it must select a single node")
    return ReferencePath(text, tuple(steps))
