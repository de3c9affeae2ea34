"""Read a state machine definition from a dict, JSON or YAML text, or a file into a plain dict.

Diagnostics have the shape of the `ValidateStateMachineDefinition` API
(ValidateStateMachineDefinitionDiagnostic).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = ["DefinitionError", "Diagnostic", "format_diagnostics", "parse_definition", "read_definition"]

Severity = Literal["ERROR", "WARNING"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a definition, as ValidateStateMachineDefinition reports it."""

    severity: Severity
    code: str
    message: str
    location: str

    def to_dict(self) -> dict[str, str]:
        """The API shape: `{"severity", "code", "message", "location"}`; location is left out when unknown."""
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location:
            out["location"] = self.location
        return out


class DefinitionError(Exception):
    """A definition that cannot be loaded or run; `.diagnostics` lists every problem found.

    `error` and `cause` are what CreateStateMachine answers for it on AWS: `InvalidDefinition` and
    `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ... at /States/X/Field'`.
    """

    error = "InvalidDefinition"

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(format_diagnostics(self.diagnostics))

    @property
    def cause(self) -> str:
        problems = ", ".join(f"{d.code}: {d.message}" for d in self.diagnostics if d.severity == "ERROR")
        return f"Invalid State Machine Definition: '{problems}'"


def format_diagnostics(diagnostics: Iterable[Diagnostic]) -> str:
    """Plain text, one diagnostic a line: `ERROR CODE: message`."""
    return "\n".join(f"{d.severity} {d.code}: {d.message}" for d in diagnostics)


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings: ASL compares them as text, and JSON has no dates."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_SUFFIXES = (".json", ".yaml", ".yml")


def _syntax_error(message: str) -> DefinitionError:
    return DefinitionError([Diagnostic("ERROR", "INVALID_JSON_DESCRIPTION", message, "")])


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and AWS) do not.
    raise ValueError(f"Invalid JSON constant '{name}'")


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise _syntax_error(f"Invalid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except (ValueError, RecursionError) as e:
        raise _syntax_error(f"Invalid JSON: {e}") from None


def _parse_yaml(text: str) -> Any:
    try:
        value = yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise _syntax_error(f"Invalid YAML: {e.problem or e.context}{where}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as e:  # ValueError: integers over 4,300 digits
        raise _syntax_error(f"Invalid YAML: {str(e).split(';')[0]}") from None
    if _has_non_finite(value):
        raise _syntax_error("Invalid YAML: .nan and .inf are not JSON numbers")
    return value


def _has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _looks_like_file_name(text: str) -> bool:
    return "\n" not in text and text.strip().lower().endswith(_SUFFIXES) and not text.lstrip().startswith("{")


def read_definition(source: dict[str, Any] | str | Path) -> dict[str, Any]:
    """Parse `source` (dict, JSON/YAML text, or a .json/.yaml/.yml path) into a dict;
    bad syntax raises DefinitionError."""
    if isinstance(source, Path) or (isinstance(source, str) and _looks_like_file_name(source)):
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        return _document(_parse_json(text) if path.suffix.lower() == ".json" else _parse_yaml(text))
    return parse_definition(source)


def parse_definition(source: dict[str, Any] | str) -> dict[str, Any]:
    """`read_definition` for a dict or JSON/YAML text only, never a file: what callers over the network send
    (a definition of "/etc/app.yaml" from the API is text that is not a definition, not a file to read)."""
    if isinstance(source, dict):
        return source
    if not isinstance(source, str):
        raise TypeError(f"a definition is a dict or JSON or YAML text, not {type(source).__name__}")
    if not source.strip():
        raise DefinitionError([Diagnostic("ERROR", "MISSING_DESCRIPTION", "The definition is empty", "")])
    # JSON is YAML, but JSON's parser gives the better message for JSON text.
    return _document(_parse_json(source) if source.lstrip().startswith(("{", "[")) else _parse_yaml(source))


def _document(value: Any) -> dict[str, Any]:
    """The parsed definition, which must be an object."""
    if value is None:
        raise DefinitionError([Diagnostic("ERROR", "MISSING_DESCRIPTION", "The definition is empty", "")])
    if not isinstance(value, dict):
        raise DefinitionError(
            [
                Diagnostic(
                    "ERROR",
                    "SCHEMA_VALIDATION_FAILED",
                    f"The definition must be an object, not {_json_type(value)} at /",
                    "/",
                )
            ]
        )
    return value


def _json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
