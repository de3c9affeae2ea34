"""Choice rules: comparison operators, type tests, And/Or/Not, and JSONata `Condition`s.

Spec: "Choice Rules" in the Amazon States Language specification. A comparison whose value has the
wrong type is false, not an error; a `Variable` that selects nothing fails with States.Runtime
unless the rule is `IsPresent`. Timestamps compare as instants (RFC 3339).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sojourn.asl.errors import QueryEvaluationError, StatesRuntime
from sojourn.asl.jsonata import unexpected_type
from sojourn.asl.paths import Path, RegexTimeout, compile_path

__all__ = ["ChoiceRule", "compile_choice_rule"]

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string_matches(pattern: str) -> Callable[[str], bool]:
    """`*` matches any run of characters; `\\*` is a literal star and `\\\\` a literal backslash."""
    parts, at = [], 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\" and at + 1 < len(pattern):
            parts.append(re.escape(pattern[at + 1]))
            at += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        at += 1
    regex = re.compile("".join(parts), re.DOTALL)
    return lambda text: regex.fullmatch(text) is not None


_ORDER = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _comparison(operator: str) -> tuple[str, Callable[[Any, Any], bool]] | None:
    """(kind, compare) for an operator name such as NumericLessThan; None when it is not a comparison."""
    for kind in ("String", "Numeric", "Boolean", "Timestamp"):
        if operator.startswith(kind) and operator[len(kind) :] in _ORDER:
            if kind == "Boolean" and operator[len(kind) :] != "Equals":
                return None
            return kind, _ORDER[operator[len(kind) :]]
    return None


def _typed(kind: str, value: Any) -> Any:
    """The comparable form of `value` for `kind`, or None when the type does not match."""
    if kind == "String":
        return value if isinstance(value, str) else None
    if kind == "Numeric":
        return value if _number(value) else None
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    return _timestamp(value)


class ChoiceRule:
    """A compiled rule: `matches(input, context, variables)`."""

    def matches(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class _Compare(ChoiceRule):
    variable: Path
    kind: str
    compare: Callable[[Any, Any], bool]
    value: Any  # a literal, or a Path for the ...Path operators

    def matches(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        left = _typed(self.kind, _select(self.variable, input, context, variables))
        right_raw = self.value.get(input, context, variables) if isinstance(self.value, Path) else self.value
        right = _typed(self.kind, right_raw)
        if left is None or right is None:
            return False
        return bool(self.compare(left, right))


@dataclass(frozen=True)
class _Matches(ChoiceRule):
    variable: Path
    test: Callable[[str], bool]

    def matches(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        value = _select(self.variable, input, context, variables)
        return isinstance(value, str) and self.test(value)


@dataclass(frozen=True)
class _TypeTest(ChoiceRule):
    variable: Path
    test: str
    expected: bool

    def matches(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        if self.test == "IsPresent":
            return self.variable.exists(input, context, variables) == self.expected
        value = _select(self.variable, input, context, variables)
        outcome = {
            "IsNull": value is None,
            "IsNumeric": _number(value),
            "IsString": isinstance(value, str),
            "IsBoolean": isinstance(value, bool),
            "IsTimestamp": _timestamp(value) is not None,
        }[self.test]
        return outcome == self.expected


@dataclass(frozen=True)
class _Logic(ChoiceRule):
    operator: str
    rules: tuple[ChoiceRule, ...]

    def matches(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        if self.operator == "And":
            return all(rule.matches(input, context, variables) for rule in self.rules)
        if self.operator == "Or":
            return any(rule.matches(input, context, variables) for rule in self.rules)
        return not self.rules[0].matches(input, context, variables)


@dataclass(frozen=True)
class _Condition(ChoiceRule):
    """JSONata: `{"Condition": "{% ... %}"}` evaluated with `$states.input` and `$states.context`."""

    expression: Any
    text: str

    def matches(self, input: Any, context: Any = None, variables: dict[str, Any] | None = None) -> bool:
        value = self.expression.evaluate({"input": input, "context": context}, variables or {})
        if not isinstance(value, bool):
            raise QueryEvaluationError(
                cause=unexpected_type(self.text, self.expression.field, "boolean", value)
            )
        return value


def _select(variable: Path, input: Any, context: Any, variables: dict[str, Any] | None) -> Any:
    try:
        return variable.get(input, context, variables)
    except RegexTimeout:
        raise
    except StatesRuntime:
        raise StatesRuntime(
            cause=f"Invalid path '{variable.text}': "
            "The choice state's condition path references an invalid value."
        ) from None


_TYPE_TESTS = ("IsPresent", "IsNull", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")


def compile_choice_rule(
    rule: dict[str, Any], query_language: str = "JSONPath", field: str = "Condition"
) -> ChoiceRule:
    """Compile one Choices entry (or a rule nested in And/Or/Not); raise ValueError when it is malformed."""
    if "Condition" in rule or query_language == "JSONata":
        from sojourn.asl.jsonata import compile_jsonata_value, is_jsonata

        condition = rule.get("Condition")
        if isinstance(condition, bool):
            return _Logic("Or", ()) if not condition else _Logic("Not", (_Logic("Or", ()),))
        text = str(condition)[2:-2].strip() if is_jsonata(condition) else str(condition)
        return _Condition(compile_jsonata_value(condition, field), text)
    for operator in ("And", "Or"):
        if operator in rule:
            return _Logic(operator, tuple(compile_choice_rule(r, query_language) for r in rule[operator]))
    if "Not" in rule:
        return _Logic("Not", (compile_choice_rule(rule["Not"], query_language),))
    variable = compile_path(rule["Variable"])
    for name, value in rule.items():
        if name in ("Variable", "Next", "Comment", "Assign", "Output"):
            continue
        if name in _TYPE_TESTS:
            return _TypeTest(variable, name, bool(value))
        if name == "StringMatches":
            return _Matches(variable, _string_matches(value))
        operator, is_path = (name[:-4], True) if name.endswith("Path") else (name, False)
        comparison = _comparison(operator)
        if comparison is not None:
            kind, compare = comparison
            return _Compare(variable, kind, compare, compile_path(value) if is_path else value)
    raise ValueError(f"No comparison operator in Choice rule {sorted(rule)}")
