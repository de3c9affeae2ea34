"""Payload templates (Parameters, ResultSelector, ItemSelector, Assign in JSONPath states).

Spec: "Payload Template" in the Amazon States Language specification. A key ending in `.$` takes
its value from a path (`$.x`, `$$.Task.Token`, `$var`) or an intrinsic function call
(`States.Format(...)`), and loses the suffix; every other value is copied as it is. Compiled once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sojourn.asl.errors import StatesRuntime
from sojourn.asl.paths import Path, PathNotFound, compile_path, copy_json


def to_json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


__all__ = ["Dynamic", "Payload", "compile_dynamic", "compile_payload"]


@dataclass(frozen=True)
class Dynamic:
    """One `.$` value (a path or an intrinsic call); a missing path fails naming the field, as AWS does."""

    source: Any  # a Path or an intrinsic
    key: str  # the template's key, with its `.$`, for error messages

    def evaluate(self, input: Any, context: Any, variables: dict[str, Any], rng: Any = None) -> Any:
        try:
            if isinstance(self.source, Path):
                return self.source.get(input, context, variables)
            return self.source.evaluate(input, context, variables, rng=rng)
        except PathNotFound as e:
            raise StatesRuntime(
                cause=f"The JSONPath '{e.path}' specified for the field '{self.key}' "
                f"could not be found in the input '{to_json(e.document)}'"
            ) from None


def _compile_source(text: Any, key: str) -> Any:
    if not isinstance(text, str):
        raise ValueError(f"the value of '{key}' must be a path or an intrinsic function")
    if text.startswith("States."):
        from sojourn.asl.intrinsics import compile_intrinsic

        return compile_intrinsic(text)
    return compile_path(text)


def compile_dynamic(text: Any, field: str) -> Dynamic:
    """Compile a field that takes a path or an intrinsic call (`ErrorPath`, a template's `key.$`)."""
    return Dynamic(_compile_source(text, field), field)


def _compile(value: Any) -> Any:
    if isinstance(value, dict):
        compiled: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith(".$"):
                compiled[key[:-2]] = Dynamic(_compile_source(item, key), key)
            else:
                compiled[key] = _compile(item)
        return compiled
    if isinstance(value, list):
        return [_compile(item) for item in value]
    return value


def _evaluate(node: Any, input: Any, context: Any, variables: dict[str, Any], rng: Any) -> Any:
    if isinstance(node, Dynamic):
        return node.evaluate(input, context, variables, rng)
    if isinstance(node, dict):
        return {key: _evaluate(item, input, context, variables, rng) for key, item in node.items()}
    if isinstance(node, list):
        return [_evaluate(item, input, context, variables, rng) for item in node]
    return node


@dataclass(frozen=True)
class Payload:
    """A compiled template; `evaluate` builds a fresh JSON value from the input, context and variables."""

    tree: Any
    static: bool

    def evaluate(
        self, input: Any, context: Any = None, variables: dict[str, Any] | None = None, rng: Any = None
    ) -> Any:
        if self.static:
            return copy_json(self.tree)
        return _evaluate(self.tree, input, context, variables or {}, rng)


def _has_dynamic(node: Any) -> bool:
    if isinstance(node, Dynamic):
        return True
    if isinstance(node, dict):
        return any(_has_dynamic(item) for item in node.values())
    if isinstance(node, list):
        return any(_has_dynamic(item) for item in node)
    return False


def compile_payload(value: Any) -> Payload:
    """Compile a payload template; raises ValueError (InvalidPath) naming the bad key."""
    tree = _compile(value)
    return Payload(tree, not _has_dynamic(tree))
