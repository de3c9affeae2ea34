"""Validate a state machine definition: every problem at once, as ValidateStateMachineDefinition reports them.

Follows the Amazon States Language specification and AWS's extensions (JSONata, variables, Map's
ItemProcessor/ItemReader/ItemBatcher/ResultWriter, Retry's MaxDelaySeconds/JitterStrategy). Each
diagnostic's `location` is a path such as `/States/Fan/Branches/0/States/X/Retry/1/ErrorEquals`,
and its message ends with "at <location>" as AWS's do. Never raises on malformed input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sojourn.asl import httptask, humantask, intrinsics, jsonata, paths, resources
from sojourn.asl.loader import DefinitionError, Diagnostic, format_diagnostics

__all__ = ["DefinitionError", "Diagnostic", "express_diagnostics", "format_diagnostics", "validate"]

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
QUERY_LANGUAGES = ("JSONPath", "JSONata")
MAX_STATE_NAME_LENGTH = 80
MAX_VARIABLE_NAME_LENGTH = 80
MAX_NESTING = 40  # sub-machines inside sub-machines; keeps recursion far from Python's limit
MAX_PAYLOAD_DEPTH = 200
MAX_INT = 99999999  # AWS's upper bound for the *Seconds and retry integer fields
MAX_DELAY_LIMIT = 31622400  # a year in seconds, AWS's bound for MaxDelaySeconds

_COMMON = {"Type", "Comment", "QueryLanguage"}
# Fields that belong to one query language only (AWS: "Transforming data with JSONata").
_JSONPATH_ONLY = {
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
    "Iterator",
}
_JSONATA_ONLY = {"Arguments", "Output", "Items"}
_IO = {"InputPath", "OutputPath", "Output"}
_RESULT = {"Parameters", "ResultPath", "Arguments", "Assign"}
_FIELDS: dict[str, set[str]] = {
    "Pass": _COMMON | _IO | _RESULT | {"Next", "End", "Result"},
    "Task": _COMMON
    | _IO
    | _RESULT
    | {
        "Next",
        "End",
        "Resource",
        "ResultSelector",
        "Retry",
        "Catch",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
        "Credentials",
    },
    "Choice": _COMMON | _IO | {"Choices", "Default", "Assign"},
    "Wait": _COMMON | _IO | {"Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign"},
    "Succeed": _COMMON | _IO,
    "Fail": _COMMON | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON | _IO | _RESULT | {"Next", "End", "Branches", "ResultSelector", "Retry", "Catch"},
    "Map": _COMMON
    | _IO
    | _RESULT
    | {
        "Next",
        "End",
        "ResultSelector",
        "Retry",
        "Catch",
        "ItemProcessor",
        "Iterator",
        "ItemsPath",
        "Items",
        "ItemSelector",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "Label",
    },
}
_NEEDS_TRANSITION = {"Pass", "Task", "Wait", "Parallel", "Map"}

_COMPARATORS: dict[str, str] = {
    **{
        f"String{op}": "string"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    "StringMatches": "string",
    **{
        f"Numeric{op}": "number"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    "BooleanEquals": "boolean",
    **{
        f"Timestamp{op}": "timestamp"
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
    },
    **{
        name: "boolean"
        for name in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
    },
}
_PATH_COMPARATORS = {
    f"{name}Path" for name in _COMPARATORS if not name.startswith("Is") and name != "StringMatches"
}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _is_timestamp(value: Any) -> bool:
    """An RFC 3339 timestamp with a real date and time (`2016-13-05T...` is not one)."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def validate(definition: Any) -> list[Diagnostic]:
    """Every problem in `definition`, errors and warnings, each with its location; never raises."""
    return _Validator().run(definition)


def express_diagnostics(definition: Any) -> list[Diagnostic]:
    """What an EXPRESS machine may not run, in AWS's words (recorded by LocalStack's
    test_sfn_api_express snapshots): `.sync` and `.waitForTaskToken` integrations, activities."""
    found: list[Diagnostic] = []

    def walk(machine: Any, location: str) -> None:
        states = machine.get("States") if isinstance(machine, dict) else None
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            where = _join(location, "States", name)
            problem = _express_problem(state.get("Resource")) if state.get("Type") == "Task" else None
            if problem is not None:
                at = _join(where, "Resource")
                found.append(Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"{problem} at {at}", at))
            for index, branch in enumerate(state.get("Branches") or []):
                walk(branch, _join(where, "Branches", index))
            for field_name in ("ItemProcessor", "Iterator"):
                if field_name in state:
                    walk(state[field_name], _join(where, field_name))

    walk(definition, "")
    return found


def _express_problem(resource: Any) -> str | None:
    try:
        task = resources.parse(resource)
    except resources.UnsupportedResource:
        return None
    if task.kind is resources.Kind.ACTIVITY:
        return "Express state machine does not support Activity ARN"
    if task.pattern in (resources.Pattern.SYNC, resources.Pattern.SYNC2):
        return "Express state machine does not support '.sync' service integration"
    if task.pattern is resources.Pattern.WAIT_FOR_TASK_TOKEN:  # AWS's message has two spaces before "at"
        return "Express state machine does not support '.waitForTaskToken' service integration "
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _join(location: str, *parts: Any) -> str:
    return location + "".join(f"/{part}" for part in parts)


def _compile_path(text: str) -> None:
    """Raise when `text` is not a JSONPath, context path or variable path."""
    paths.compile_path(text)


def _compile_reference_path(text: str) -> None:
    """Raise when `text` is not a reference path (a path to a single node, as ResultPath takes)."""
    paths.compile_reference_path(text)


def _compile_single_path(text: str) -> None:
    """Raise when `text` is not a path to a single node of the input, the context object or a variable."""
    if not paths.compile_path(text).definite:
        raise ValueError("a reference path selects a single node")


def _compile_intrinsic(text: str) -> None:
    intrinsics.compile_intrinsic(text)


def _compile_jsonata(text: str) -> None:
    jsonata.compile_jsonata_value(text)


def _check(compiler: Callable[[str], None], text: str) -> str | None:
    """None when `text` compiles, else the reason; any exception is a reason, never a crash."""
    try:
        compiler(text)
    except RecursionError:
        return "too deeply nested"
    except Exception as e:  # compilers raise their own types; all mean "invalid"
        return str(e) or type(e).__name__
    return None


class _Validator:
    """Collects diagnostics while walking one definition."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.seen_names: dict[str, str] = {}

    def error(self, code: str, location: str, message: str) -> None:
        self.diagnostics.append(Diagnostic("ERROR", code, f"{message} at {location or '/'}", location or "/"))

    def warning(self, code: str, location: str, message: str) -> None:
        self.diagnostics.append(
            Diagnostic("WARNING", code, f"{message} at {location or '/'}", location or "/")
        )

    def schema(self, location: str, message: str) -> None:
        self.error("SCHEMA_VALIDATION_FAILED", location, message)

    def run(self, definition: Any) -> list[Diagnostic]:
        if definition is None or definition == {}:
            self.error("MISSING_DESCRIPTION", "", "The definition is empty")
            return self.diagnostics
        if not isinstance(definition, dict):
            self.schema("", f"The definition must be an object, not {_type_name(definition)}")
            return self.diagnostics
        language = definition.get("QueryLanguage", "JSONPath")
        if "QueryLanguage" in definition and language not in QUERY_LANGUAGES:
            self.schema("/QueryLanguage", f"The field 'QueryLanguage' must be one of {list(QUERY_LANGUAGES)}")
            language = "JSONPath"
        if "Version" in definition and not isinstance(definition["Version"], str):
            self.schema("/Version", "The field 'Version' must be a string")
        if "TimeoutSeconds" in definition:
            self.integer("", "TimeoutSeconds", definition["TimeoutSeconds"], minimum=1, jsonata=False)
        self.machine(
            definition,
            "",
            language,
            {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"},
            depth=0,
        )
        return self.diagnostics

    # -- machines and scopes ------------------------------------------------------------------

    def machine(self, machine: Any, location: str, language: str, allowed: set[str], depth: int) -> None:
        """A top-level machine, a Parallel branch or a Map processor: its own scope of state names."""
        if depth > MAX_NESTING:
            self.error("TOO_DEEPLY_NESTED", location, "The states are too deeply nested")
            return
        if not isinstance(machine, dict):
            self.schema(location, f"Expected an object with StartAt and States, not {_type_name(machine)}")
            return
        self.unknown_fields(machine, location, allowed)
        self.required(machine, location, ("StartAt", "States"))
        if "Comment" in machine and not isinstance(machine["Comment"], str):
            self.schema(_join(location, "Comment"), "The field 'Comment' must be a string")
        states = machine.get("States")
        if "States" in machine and not isinstance(states, dict):
            self.schema(
                _join(location, "States"), f"The field 'States' must be an object, not {_type_name(states)}"
            )
            states = None
        elif isinstance(states, dict) and not states:
            self.schema(_join(location, "States"), "The field 'States' must contain at least one state")
        names = set(states) if isinstance(states, dict) else set()
        start = machine.get("StartAt")
        if "StartAt" in machine:
            if not isinstance(start, str):
                self.schema(_join(location, "StartAt"), "The field 'StartAt' must be a string")
            elif states is not None and start not in names:
                self.error(
                    "MISSING_TRANSITION_TARGET",
                    _join(location, "StartAt"),
                    f"Missing 'StartAt' target: {start}",
                )
        if not isinstance(states, dict):
            return
        edges: dict[Any, list[Any]] = {}
        terminal = False
        for name, state in states.items():
            state_location = _join(location, "States", name)
            self.state_name(name, state_location)
            edges[name] = self.state(state, state_location, names, language, depth)
            if isinstance(state, dict) and (
                state.get("End") is True or state.get("Type") in ("Succeed", "Fail")
            ):
                terminal = True
        if not terminal:
            self.error("MISSING_END_STATE", _join(location, "States"), "Workflow has no terminal state")
        if isinstance(start, str) and start in names:
            self.reachability(start, edges, location)

    def reachability(self, start: str, edges: dict[Any, list[Any]], location: str) -> None:
        reached = {start}
        frontier = [start]
        while frontier:
            for target in edges.get(frontier.pop(), []):
                if target in edges and target not in reached:
                    reached.add(target)
                    frontier.append(target)
        for name in edges:
            if name not in reached:
                self.error(
                    "UNREACHABLE_STATE", _join(location, "States", name), f"State '{name}' is not reachable"
                )

    def state_name(self, name: Any, location: str) -> None:
        if not isinstance(name, str):
            self.error("INVALID_STATE_NAME", location, f"State name {name!r} must be a string")
            return
        if not name:
            self.error("INVALID_STATE_NAME", location, "State name must not be empty")
        elif len(name) > MAX_STATE_NAME_LENGTH:
            self.error(
                "INVALID_STATE_NAME",
                location,
                f"State name '{name}' exceeds {MAX_STATE_NAME_LENGTH} characters",
            )
        if name in self.seen_names:
            self.error(
                "DUPLICATE_STATE_NAME",
                location,
                f"Duplicate State name: {name} (also at {self.seen_names[name]})",
            )
        else:
            self.seen_names[name] = location

    # -- one state ----------------------------------------------------------------------------

    def state(self, state: Any, location: str, names: set[Any], inherited: str, depth: int) -> list[Any]:
        """Check one state; return the names it may transition to (for reachability)."""
        if not isinstance(state, dict):
            self.schema(location, f"A state must be an object, not {_type_name(state)}")
            return []
        kind = state.get("Type")
        if "Type" not in state:
            self.schema(location, "These fields are required: [Type]")
            return []
        if kind not in STATE_TYPES:
            self.schema(
                _join(location, "Type"), f"Invalid State Type: {kind!r}; expected one of {list(STATE_TYPES)}"
            )
            return []
        language = self.state_language(state, location, inherited)
        self.unknown_fields(state, location, _FIELDS[kind])
        self.language_fields(state, location, language)
        if "Comment" in state and not isinstance(state["Comment"], str):
            self.schema(_join(location, "Comment"), "The field 'Comment' must be a string")
        targets: list[Any] = []
        if kind in _NEEDS_TRANSITION:
            targets += self.transition(state, location, names)
        self.io_fields(state, location, language, kind)
        if "Assign" in state:
            self.assign(state["Assign"], _join(location, "Assign"), language)
        check = getattr(self, f"state_{kind.lower()}")
        targets += check(state, location, names, language, depth) or []
        if kind in ("Task", "Parallel", "Map"):
            if "Retry" in state:
                self.retry(state["Retry"], location, language)
            if "Catch" in state:
                targets += self.catch(state["Catch"], location, names, language)
        return targets

    def state_language(self, state: dict[str, Any], location: str, inherited: str) -> str:
        if "QueryLanguage" not in state:
            return inherited
        language = state["QueryLanguage"]
        if language not in QUERY_LANGUAGES:
            self.schema(
                _join(location, "QueryLanguage"),
                f"The field 'QueryLanguage' must be one of {list(QUERY_LANGUAGES)}",
            )
            return inherited
        if inherited == "JSONata" and language == "JSONPath":
            self.schema(
                _join(location, "QueryLanguage"),
                "A state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
            )
        return str(language)

    def unknown_fields(self, obj: dict[Any, Any], location: str, allowed: set[str]) -> None:
        for field in obj:
            if field not in allowed:
                self.schema(_join(location, field), f"Field '{field}' is not supported")

    def required(self, obj: dict[Any, Any], location: str, fields: tuple[str, ...]) -> None:
        missing = [field for field in fields if field not in obj]
        if missing:
            self.schema(location, f"These fields are required: [{', '.join(missing)}]")

    def language_fields(self, state: dict[Any, Any], location: str, language: str) -> None:
        wrong = _JSONPATH_ONLY if language == "JSONata" else _JSONATA_ONLY
        for field in state:
            if field in wrong:
                self.schema(
                    _join(location, field),
                    f"The field '{field}' is not supported when QueryLanguage is {language}",
                )

    def exclusive(
        self, obj: dict[Any, Any], location: str, fields: tuple[str, ...], required: bool = False
    ) -> None:
        present = [field for field in fields if field in obj]
        if len(present) > 1:
            self.schema(location, f"Only one of these fields may be set: [{', '.join(present)}]")
        elif required and not present:
            self.schema(location, f"Exactly one of these fields is required: [{', '.join(fields)}]")

    def transition(self, state: dict[str, Any], location: str, names: set[Any]) -> list[Any]:
        has_next, end = "Next" in state, state.get("End")
        if "End" in state and not isinstance(end, bool):
            self.schema(_join(location, "End"), "The field 'End' must be a boolean")
        if has_next and end is True:
            self.schema(location, "Only one of these fields may be set: [Next, End]")
        elif not has_next and end is not True:
            self.schema(location, "These fields are required: [Next] or End set to true")
        return self.target(state, "Next", location, names) if has_next else []

    def target(self, obj: dict[str, Any], field: str, location: str, names: set[Any]) -> list[Any]:
        value = obj[field]
        where = _join(location, field)
        if not isinstance(value, str):
            self.schema(where, f"The field '{field}' must be a state name (string), not {_type_name(value)}")
            return []
        if value not in names:
            self.error("MISSING_TRANSITION_TARGET", where, f"Missing '{field}' target: {value}")
            return []
        return [value]

    # -- value checks -------------------------------------------------------------------------

    def integer(
        self, location: str, field: str, value: Any, minimum: int, jsonata: bool, maximum: int = MAX_INT
    ) -> None:
        where = _join(location, field)
        if jsonata and isinstance(value, str):
            self.jsonata(value, where, field)
        elif not _is_int(value):
            self.schema(where, f"The field '{field}' must be an integer, not {_type_name(value)}")
        elif not minimum <= value <= maximum:
            self.schema(where, f"The field '{field}' must be between {minimum} and {maximum}")

    def string(self, obj: dict[str, Any], field: str, location: str) -> None:
        if field in obj and not isinstance(obj[field], str):
            self.schema(
                _join(location, field), f"The field '{field}' must be a string, not {_type_name(obj[field])}"
            )

    def path(
        self,
        value: Any,
        where: str,
        field: str,
        reference: bool = False,
        nullable: bool = False,
        single: bool = False,
    ) -> None:
        """`reference`: ResultPath's kind (one node of the input); `single`: one node of the input,
        the context object or a variable (ItemsPath, SecondsPath, MaxConcurrencyPath...:
        AWS takes `$var` there)."""
        if value is None and nullable:
            return
        if not isinstance(value, str):
            self.schema(where, f"The field '{field}' must be a string, not {_type_name(value)}")
            return
        compiler = _compile_reference_path if reference else _compile_single_path if single else _compile_path
        reason = _check(compiler, value)
        if reason is not None:
            kind = "JSONPath" if not (reference or single) else "reference path"
            self.error(
                "INVALID_JSON_PATH",
                where,
                f"The value for the field '{field}' must be a valid {kind}: {value}",
            )

    def jsonata(self, value: str, where: str, field: str) -> None:
        if not _is_jsonata(value):
            if value.lstrip().startswith("{%"):
                self.error(
                    "INVALID_JSONATA",
                    where,
                    f"The value for the field '{field}' must be a JSONata expression enclosed in {{% %}}",
                )
            else:
                self.schema(where, f"The field '{field}' must be a JSONata expression enclosed in {{% %}}")
            return
        reason = _check(_compile_jsonata, value)
        if reason is not None:
            self.error(
                "INVALID_JSONATA", where, f"The value for the field '{field}' is not valid JSONata: {reason}"
            )

    def jsonata_value(self, value: Any, where: str, field: str, depth: int = 0) -> None:
        """Walk an Arguments/Output/Assign value: every `{% %}` string must be valid JSONata."""
        if depth > MAX_PAYLOAD_DEPTH:
            self.error("TOO_DEEPLY_NESTED", where, f"The field '{field}' is too deeply nested")
        elif isinstance(value, str):
            if value.startswith("{%"):
                self.jsonata(value, where, field)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.jsonata_value(item, _join(where, key), str(key), depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.jsonata_value(item, _join(where, index), field, depth + 1)

    def payload(self, value: Any, where: str, field: str, static: bool = False, depth: int = 0) -> None:
        """A JSONPath payload template: keys ending in `.$` take a path or an intrinsic call."""
        if depth > MAX_PAYLOAD_DEPTH:
            self.error("TOO_DEEPLY_NESTED", where, f"The field '{field}' is too deeply nested")
        elif isinstance(value, dict):
            for key, item in value.items():
                item_where = _join(where, key)
                if isinstance(key, str) and key.endswith(".$") and static:
                    self.warning(
                        "PASS_RESULT_IS_STATIC",
                        item_where,
                        f"The field '{key}' in a Pass state's Result is not evaluated",
                    )
                elif isinstance(key, str) and key.endswith(".$"):
                    self.dynamic(item, item_where, key)
                else:
                    if (
                        isinstance(item, str)
                        and not static
                        and (item == "$" or item.startswith(("$.", "$$.")))
                    ):
                        self.warning(
                            "NO_DOLLAR",
                            item_where,
                            f"The value of '{key}' looks like a JSONPath, "
                            "but the field name does not end with '.$'",
                        )
                    self.payload(item, item_where, str(key), static, depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.payload(item, _join(where, index), field, static, depth + 1)

    def dynamic(self, value: Any, where: str, key: str) -> None:
        if not isinstance(value, str):
            self.schema(where, f"The value for the field '{key}' must be a string, not {_type_name(value)}")
        elif value.startswith("States."):
            reason = _check(_compile_intrinsic, value)
            if reason is not None:
                self.error(
                    "INVALID_INTRINSIC_FUNCTION",
                    where,
                    f"The value for the field '{key}' must be a valid intrinsic function call: {reason}",
                )
        elif _check(_compile_path, value) is not None:
            self.error(
                "INVALID_JSON_PATH",
                where,
                f"The value for the field '{key}' must be a valid JSONPath or intrinsic function: {value}",
            )

    def io_fields(self, state: dict[str, Any], location: str, language: str, kind: str) -> None:
        if language == "JSONata":
            for field in ("Arguments", "Output"):
                if field in state:
                    if field == "Arguments" and not isinstance(state[field], (dict, str)):
                        self.schema(
                            _join(location, field),
                            "The field 'Arguments' must be an object or a JSONata expression",
                        )
                    self.jsonata_value(state[field], _join(location, field), field)
            return
        for field in ("InputPath", "OutputPath"):
            if field in state:
                self.path(state[field], _join(location, field), field, nullable=True)
        if "ResultPath" in state:
            self.path(
                state["ResultPath"],
                _join(location, "ResultPath"),
                "ResultPath",
                reference=True,
                nullable=True,
            )
        # The spec says a payload template is an object; AWS accepts any JSON value for Parameters (AWS's
        # own check, aws/amazon-states-language-service#83) and an array for ResultSelector too.
        if "Parameters" in state:
            self.payload(state["Parameters"], _join(location, "Parameters"), "Parameters")
        if "ResultSelector" in state:
            if not isinstance(state["ResultSelector"], (dict, list)):
                where = _join(location, "ResultSelector")
                self.schema(where, "The field 'ResultSelector' must be an object or an array")
            else:
                self.payload(state["ResultSelector"], _join(location, "ResultSelector"), "ResultSelector")

    def assign(self, value: Any, where: str, language: str) -> None:
        if not isinstance(value, dict):
            if not (language == "JSONata" and isinstance(value, str) and value.startswith("{%")):
                self.schema(where, f"The field 'Assign' must be an object, not {_type_name(value)}")
            else:
                self.jsonata(value, where, "Assign")
            return
        for key, item in value.items():
            item_where = _join(where, key)
            name = str(key)
            dynamic = language == "JSONPath" and name.endswith(".$")
            if dynamic:
                name = name[:-2]
            if not re.fullmatch(r"[^\W\d]\w*", name):
                self.schema(
                    item_where,
                    f"Invalid variable name '{name}': it must start with a letter or '_' "
                    "and contain only letters, digits and '_'",
                )
            elif len(name) > MAX_VARIABLE_NAME_LENGTH:
                self.schema(
                    item_where, f"Variable name '{name}' exceeds {MAX_VARIABLE_NAME_LENGTH} characters"
                )
            elif name == "states":
                self.schema(item_where, "The variable name 'states' is reserved")
            if dynamic:
                self.dynamic(item, item_where, str(key))
            elif language == "JSONata":
                self.jsonata_value(item, item_where, name)
            else:
                self.payload(item, item_where, name)

    # -- per state type -----------------------------------------------------------------------

    def state_pass(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        if "Result" in state:
            self.payload(state["Result"], _join(location, "Result"), "Result", static=True)

    def state_succeed(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        return None

    def state_fail(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        for field in ("Error", "Cause"):
            self.exclusive(state, location, (field, f"{field}Path"))
            if field in state:
                if language == "JSONata" and isinstance(state[field], str) and state[field].startswith("{%"):
                    self.jsonata(state[field], _join(location, field), field)
                else:
                    self.string(state, field, location)
            if f"{field}Path" in state:
                value = state[f"{field}Path"]
                if isinstance(value, str) and value.startswith("States."):
                    self.dynamic(value, _join(location, f"{field}Path"), f"{field}Path")
                else:
                    self.path(value, _join(location, f"{field}Path"), f"{field}Path")

    def state_wait(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        self.exclusive(
            state, location, ("Seconds", "Timestamp", "SecondsPath", "TimestampPath"), required=True
        )
        if "Seconds" in state:
            self.integer(location, "Seconds", state["Seconds"], minimum=0, jsonata=language == "JSONata")
        if "Timestamp" in state:
            value = state["Timestamp"]
            if language == "JSONata" and isinstance(value, str) and value.startswith("{%"):
                self.jsonata(value, _join(location, "Timestamp"), "Timestamp")
            elif not _is_timestamp(value):  # AWS via LocalStack snapshot test_wait_timestamp_invalid
                self.schema(_join(location, "Timestamp"), "String does not match RFC3339 timestamp")
        for field in ("SecondsPath", "TimestampPath"):
            if field in state:
                self.path(state[field], _join(location, field), field, single=True)

    def state_task(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        self.required(state, location, ("Resource",))
        if "Resource" in state:
            self.resource(state["Resource"], _join(location, "Resource"))
            self.human_task(state, location, language)
            self.http_task(state, location, language)
            self.token_wait(state, location, language)
        jsonata = language == "JSONata"
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            self.exclusive(state, location, (field, f"{field}Path"))
            if field in state:
                self.integer(location, field, state[field], minimum=1, jsonata=jsonata)
            if f"{field}Path" in state:
                self.path(state[f"{field}Path"], _join(location, f"{field}Path"), f"{field}Path", single=True)
        timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
        if _is_int(timeout) and _is_int(heartbeat) and int(heartbeat) >= int(timeout):  # type: ignore[arg-type]
            self.schema(
                _join(location, "HeartbeatSeconds"),
                "The field 'HeartbeatSeconds' must be smaller than the field 'TimeoutSeconds'",
            )
        if "Credentials" in state:
            credentials = state["Credentials"]
            where = _join(location, "Credentials")
            if not isinstance(credentials, dict):
                self.schema(where, "The field 'Credentials' must be an object")
            else:
                self.unknown_fields(credentials, where, {"RoleArn", "RoleArn.$"})
                self.exclusive(credentials, where, ("RoleArn", "RoleArn.$"), required=True)
                if "RoleArn.$" in credentials:
                    self.dynamic(credentials["RoleArn.$"], _join(where, "RoleArn.$"), "RoleArn.$")
                if "RoleArn" in credentials and not isinstance(credentials["RoleArn"], str):
                    self.schema(_join(where, "RoleArn"), "The field 'RoleArn' must be a string")

    def token_wait(self, state: dict[str, Any], location: str, language: str) -> None:
        """Warnings for a `.waitForTaskToken` Task that could wait for ever (as long as a year, on AWS too):
        one with neither a timeout nor a heartbeat, one whose payload never hands its token on."""
        try:
            resource = resources.parse(state["Resource"])
        except (resources.UnsupportedResource, TypeError):
            return
        if resource.pattern is not resources.Pattern.WAIT_FOR_TASK_TOKEN or resource.service == "sojourn":
            return  # Sojourn's own tasks hold their token and expire as their arguments say
        limits = ("TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath")
        if not any(field in state for field in limits):
            self.warning(
                "WAIT_FOR_TASK_TOKEN_WITHOUT_TIMEOUT",
                _join(location, "Resource"),
                "A '.waitForTaskToken' task without 'TimeoutSeconds' or 'HeartbeatSeconds' waits as long as "
                "the execution may run (a year) if the token is never answered",
            )
        field = "Arguments" if language == "JSONata" else "Parameters"
        if "Task.Token" not in json.dumps(state.get(field)):
            self.warning(
                "TASK_TOKEN_NOT_PASSED",
                _join(location, field) if field in state else location,
                f"The task waits for its token, but its '{field}' never pass it on "
                f"({'$states.context.Task.Token' if field == 'Arguments' else '$$.Task.Token'})",
            )

    def http_task(self, state: dict[str, Any], location: str, language: str) -> None:
        """An HTTP Task's static Parameters (sojourn.asl.httptask): each mistake at its field."""
        try:
            resource = resources.parse(state["Resource"])
        except (resources.UnsupportedResource, TypeError):
            return
        if (resource.service, resource.action) != ("http", "invoke"):
            return
        if resource.pattern is not resources.Pattern.REQUEST_RESPONSE:
            self.schema(
                _join(location, "Resource"),
                "arn:aws:states:::http:invoke supports the request-response pattern only",
            )
        field = "Arguments" if language == "JSONata" else "Parameters"
        if field not in state:
            self.schema(location, f"An HTTP Task needs '{field}' with ApiEndpoint and Method")
            return
        if language == "JSONata" and isinstance(state[field], str):
            return  # one expression: judged when it is evaluated
        for path, message in httptask.check(state[field]):
            self.schema(_join(location, field, *[part for part in path.split(".") if part]), message)

    def human_task(self, state: dict[str, Any], location: str, language: str) -> None:
        """A human task's arguments: each mistake at its field, the rest at run time."""
        try:
            resource = resources.parse(state["Resource"])
        except (resources.UnsupportedResource, TypeError):
            return
        if (resource.service, resource.action) != ("sojourn", "humanTask"):
            return
        field = "Arguments" if language == "JSONata" else "Parameters"
        if field not in state:
            self.schema(location, f"A human task needs '{field}' with at least a Title and Assignees")
            return
        for path, message in humantask.check(state[field]):
            where = _join(location, field, *[part for part in re.split(r"[.\[\]]+", path) if part])
            self.schema(where, message)

    def state_choice(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> list[Any]:
        targets: list[Any] = []
        self.required(state, location, ("Choices",))
        choices = state.get("Choices")
        if "Choices" in state:
            if not isinstance(choices, list) or not choices:
                self.schema(_join(location, "Choices"), "The field 'Choices' must be a non-empty array")
            else:
                for index, rule in enumerate(choices):
                    targets += self.choice_rule(
                        rule, _join(location, "Choices", index), names, language, True, 0
                    )
        if "Default" in state:
            targets += self.target(state, "Default", location, names)
        return targets

    def choice_rule(
        self, rule: Any, where: str, names: set[Any], language: str, top: bool, depth: int
    ) -> list[Any]:
        if depth > MAX_PAYLOAD_DEPTH:
            self.error("TOO_DEEPLY_NESTED", where, "The choice rule is too deeply nested")
            return []
        if not isinstance(rule, dict):
            self.schema(where, f"A choice rule must be an object, not {_type_name(rule)}")
            return []
        targets: list[Any] = []
        if top:
            if "Next" in rule:
                targets = self.target(rule, "Next", where, names)
            else:
                self.schema(where, "These fields are required: [Next]")
            if "Assign" in rule:
                self.assign(rule["Assign"], _join(where, "Assign"), language)
        elif "Next" in rule:
            self.schema(
                _join(where, "Next"), "The field 'Next' is only allowed at the top level of a choice rule"
            )
        if language == "JSONata":
            allowed = {"Condition", "Comment"} | ({"Next", "Assign", "Output"} if top else set())
            self.unknown_fields(rule, where, allowed)
            if "Condition" not in rule:
                self.schema(where, "These fields are required: [Condition]")
            elif isinstance(rule["Condition"], bool):
                pass
            elif isinstance(rule["Condition"], str):
                self.jsonata(rule["Condition"], _join(where, "Condition"), "Condition")
            else:
                self.schema(
                    _join(where, "Condition"),
                    "The field 'Condition' must be a JSONata expression or a boolean",
                )
            if top and "Output" in rule:
                self.jsonata_value(rule["Output"], _join(where, "Output"), "Output")
            return targets
        operators = [
            key
            for key in rule
            if key in _COMPARATORS or key in _PATH_COMPARATORS or key in ("And", "Or", "Not")
        ]
        allowed = {"Variable", "Comment", *_COMPARATORS, *_PATH_COMPARATORS, "And", "Or", "Not"}
        allowed |= {"Next", "Assign"} if top else set()
        self.unknown_fields({k: v for k, v in rule.items() if k != "Next"}, where, allowed)
        if len(operators) != 1:
            self.schema(
                where,
                "A choice rule must have exactly one comparison operator or And/Or/Not"
                + (f", found [{', '.join(operators)}]" if operators else ""),
            )
        for operator in operators:
            value, op_where = rule[operator], _join(where, operator)
            if operator in ("And", "Or"):
                if "Variable" in rule:
                    self.schema(
                        _join(where, "Variable"), f"The field 'Variable' is not allowed with '{operator}'"
                    )
                if not isinstance(value, list) or not value:
                    self.schema(op_where, f"The field '{operator}' must be a non-empty array of choice rules")
                    continue
                for index, inner in enumerate(value):
                    targets += self.choice_rule(
                        inner, _join(op_where, index), names, language, False, depth + 1
                    )
            elif operator == "Not":
                if "Variable" in rule:
                    self.schema(_join(where, "Variable"), "The field 'Variable' is not allowed with 'Not'")
                targets += self.choice_rule(value, op_where, names, language, False, depth + 1)
            else:
                if "Variable" not in rule:
                    self.schema(where, "These fields are required: [Variable]")
                self.comparison(operator, value, op_where)
        if "Variable" in rule:
            self.path(rule["Variable"], _join(where, "Variable"), "Variable")
        return targets

    def comparison(self, operator: str, value: Any, where: str) -> None:
        if operator in _PATH_COMPARATORS:
            self.path(value, where, operator)
            return
        expected = _COMPARATORS[operator]
        valid = {
            "string": isinstance(value, str),
            "number": _is_number(value),
            "boolean": isinstance(value, bool),
            "timestamp": _is_timestamp(value),
        }[expected]
        if not valid:
            self.schema(
                where, f"The value for the field '{operator}' must be a {expected}, not {_type_name(value)}"
            )

    def state_parallel(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        self.required(state, location, ("Branches",))
        branches = state.get("Branches")
        if "Branches" in state:
            if not isinstance(branches, list) or not branches:
                self.schema(_join(location, "Branches"), "The field 'Branches' must be a non-empty array")
                return
            for index, branch in enumerate(branches):
                self.machine(
                    branch,
                    _join(location, "Branches", index),
                    language,
                    {"Comment", "StartAt", "States"},
                    depth + 1,
                )

    def state_map(
        self, state: dict[str, Any], location: str, names: set[Any], language: str, depth: int
    ) -> None:
        self.exclusive(state, location, ("ItemProcessor", "Iterator"), required=True)
        self.exclusive(state, location, ("ItemSelector", "Parameters"))
        self.exclusive(state, location, ("ItemsPath", "Items"))
        jsonata = language == "JSONata"
        # The legacy `Iterator` takes a ProcessorConfig as `ItemProcessor` does: AWS runs both alike.
        for field in ("ItemProcessor", "Iterator"):
            if field in state:
                processor = state[field]
                where = _join(location, field)
                self.machine(
                    processor, where, language, {"Comment", "StartAt", "States", "ProcessorConfig"}, depth + 1
                )
                if isinstance(processor, dict) and "ProcessorConfig" in processor:
                    self.processor_config(processor["ProcessorConfig"], _join(where, "ProcessorConfig"))
        if "ItemsPath" in state:
            self.path(state["ItemsPath"], _join(location, "ItemsPath"), "ItemsPath", single=True)
        if "Items" in state and jsonata:
            items = state["Items"]
            if isinstance(items, str):
                self.jsonata(items, _join(location, "Items"), "Items")
            elif isinstance(items, list):
                self.jsonata_value(items, _join(location, "Items"), "Items")
            else:
                self.schema(
                    _join(location, "Items"), "The field 'Items' must be an array or a JSONata expression"
                )
        if "ItemSelector" in state:
            if jsonata:
                self.jsonata_value(state["ItemSelector"], _join(location, "ItemSelector"), "ItemSelector")
            elif not isinstance(state["ItemSelector"], dict):
                self.schema(_join(location, "ItemSelector"), "The field 'ItemSelector' must be an object")
            else:
                self.payload(state["ItemSelector"], _join(location, "ItemSelector"), "ItemSelector")
        self.exclusive(state, location, ("MaxConcurrency", "MaxConcurrencyPath"))
        if "MaxConcurrency" in state:
            self.integer(location, "MaxConcurrency", state["MaxConcurrency"], minimum=0, jsonata=jsonata)
        self.exclusive(state, location, ("ToleratedFailureCount", "ToleratedFailureCountPath"))
        if "ToleratedFailureCount" in state:
            self.integer(
                location, "ToleratedFailureCount", state["ToleratedFailureCount"], minimum=0, jsonata=jsonata
            )
        self.exclusive(state, location, ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"))
        if "ToleratedFailurePercentage" in state:
            value = state["ToleratedFailurePercentage"]
            where = _join(location, "ToleratedFailurePercentage")
            if jsonata and isinstance(value, str):
                self.jsonata(value, where, "ToleratedFailurePercentage")
            elif not _is_number(value) or not 0 <= value <= 100:
                self.schema(
                    where, "The field 'ToleratedFailurePercentage' must be a number between 0 and 100"
                )
        for field in ("MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"):
            if field in state:
                self.path(state[field], _join(location, field), field, single=True)
        if "Label" in state:
            self.string(state, "Label", location)
        if "ItemBatcher" in state:
            self.item_batcher(state["ItemBatcher"], _join(location, "ItemBatcher"), jsonata)
        for field, config in (("ItemReader", "ReaderConfig"), ("ResultWriter", "WriterConfig")):
            if field in state:
                self.resource_block(state[field], _join(location, field), field, config, language)

    def processor_config(self, config: Any, where: str) -> None:
        if not isinstance(config, dict):
            self.schema(where, "The field 'ProcessorConfig' must be an object")
            return
        self.unknown_fields(config, where, {"Mode", "ExecutionType"})
        mode = config.get("Mode", "INLINE")
        if mode not in ("INLINE", "DISTRIBUTED"):
            self.schema(_join(where, "Mode"), "The field 'Mode' must be one of [INLINE, DISTRIBUTED]")
        if "ExecutionType" in config and config["ExecutionType"] not in ("STANDARD", "EXPRESS"):
            self.schema(
                _join(where, "ExecutionType"), "The field 'ExecutionType' must be one of [STANDARD, EXPRESS]"
            )
        if mode == "DISTRIBUTED" and "ExecutionType" not in config:
            self.schema(where, "These fields are required: [ExecutionType] when Mode is DISTRIBUTED")
        if mode == "INLINE" and "ExecutionType" in config:
            self.schema(
                _join(where, "ExecutionType"),
                "The field 'ExecutionType' is only supported when Mode is DISTRIBUTED",
            )

    def item_batcher(self, batcher: Any, where: str, jsonata: bool) -> None:
        if not isinstance(batcher, dict):
            self.schema(where, "The field 'ItemBatcher' must be an object")
            return
        fields = ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
        paths = () if jsonata else tuple(f"{field}Path" for field in fields)
        self.unknown_fields(batcher, where, {*fields, *paths, "BatchInput"})
        for field in fields:
            self.exclusive(batcher, where, (field, f"{field}Path"))
            if field in batcher:
                self.integer(where, field, batcher[field], minimum=1, jsonata=jsonata, maximum=262144 * 1024)
        for field in paths:
            if field in batcher:
                self.path(batcher[field], _join(where, field), field, single=True)
        if "BatchInput" in batcher:
            if jsonata:
                self.jsonata_value(batcher["BatchInput"], _join(where, "BatchInput"), "BatchInput")
            else:
                self.payload(batcher["BatchInput"], _join(where, "BatchInput"), "BatchInput")

    def resource(self, resource: Any, where: str) -> None:
        """A Resource is one of the forms `sojourn.asl.resources` knows, refused in AWS's words otherwise."""
        if not resources.is_arn(resource):
            self.schema(where, "Value is not a valid resource ARN")
            return
        try:
            resources.parse(resource)
        except resources.UnsupportedResource as e:
            self.schema(where, str(e.cause))

    def resource_block(self, block: Any, where: str, field: str, config: str, language: str) -> None:
        if not isinstance(block, dict):
            self.schema(where, f"The field '{field}' must be an object")
            return
        arguments = "Arguments" if language == "JSONata" else "Parameters"
        self.unknown_fields(block, where, {"Resource", arguments, config})
        self.required(block, where, ("Resource",))
        if "Resource" in block:
            self.resource(block["Resource"], _join(where, "Resource"))
        if arguments in block:
            if language == "JSONata":
                self.jsonata_value(block[arguments], _join(where, arguments), arguments)
            else:
                self.payload(block[arguments], _join(where, arguments), arguments)
        if config in block and not isinstance(block[config], dict):
            self.schema(_join(where, config), f"The field '{config}' must be an object")

    # -- Retry and Catch (spec: "Error handling") ----------------------------------------------

    def error_equals(self, rule: dict[str, Any], where: str, last: bool, kind: str) -> None:
        if "ErrorEquals" not in rule:
            self.schema(where, "These fields are required: [ErrorEquals]")
            return
        errors = rule["ErrorEquals"]
        field = _join(where, "ErrorEquals")
        if not isinstance(errors, list) or not errors:
            self.schema(field, "The field 'ErrorEquals' must be a non-empty array of error names")
            return
        for index, name in enumerate(errors):
            if not isinstance(name, str):
                self.schema(_join(field, index), f"Error names must be strings, not {_type_name(name)}")
        if "States.ALL" in errors:
            if len(errors) > 1:
                self.schema(field, "States.ALL must appear alone in 'ErrorEquals'")
            if not last:
                self.schema(field, f"A {kind} with States.ALL must be the last one")

    def rules(self, value: Any, location: str, field: str) -> list[tuple[str, dict[str, Any], bool]]:
        where = _join(location, field)
        if not isinstance(value, list):
            self.schema(where, f"The field '{field}' must be an array")
            return []
        out = []
        for index, rule in enumerate(value):
            if not isinstance(rule, dict):
                self.schema(
                    _join(where, index), f"Each {field} entry must be an object, not {_type_name(rule)}"
                )
            else:
                out.append((_join(where, index), rule, index == len(value) - 1))
        return out

    def retry(self, value: Any, location: str, language: str) -> None:
        for where, rule, last in self.rules(value, location, "Retry"):
            self.unknown_fields(
                rule,
                where,
                {
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                },
            )
            self.error_equals(rule, where, last, "retrier")
            if "IntervalSeconds" in rule:
                self.integer(where, "IntervalSeconds", rule["IntervalSeconds"], minimum=1, jsonata=False)
            if "MaxAttempts" in rule:
                self.integer(where, "MaxAttempts", rule["MaxAttempts"], minimum=0, jsonata=False)
            if "MaxDelaySeconds" in rule:
                self.integer(
                    where,
                    "MaxDelaySeconds",
                    rule["MaxDelaySeconds"],
                    minimum=1,
                    jsonata=False,
                    maximum=MAX_DELAY_LIMIT,
                )
            if "BackoffRate" in rule and (not _is_number(rule["BackoffRate"]) or rule["BackoffRate"] < 1.0):
                self.schema(
                    _join(where, "BackoffRate"),
                    "The field 'BackoffRate' must be a number greater than or equal to 1.0",
                )
            if "JitterStrategy" in rule and rule["JitterStrategy"] not in ("FULL", "NONE"):
                self.schema(
                    _join(where, "JitterStrategy"), "The field 'JitterStrategy' must be one of [FULL, NONE]"
                )

    def catch(self, value: Any, location: str, names: set[Any], language: str) -> list[Any]:
        targets: list[Any] = []
        for where, rule, last in self.rules(value, location, "Catch"):
            allowed = {"ErrorEquals", "Next", "Comment", "Assign", "ResultPath", "Output"}
            self.unknown_fields(rule, where, allowed)
            self.language_fields(rule, where, language)
            self.error_equals(rule, where, last, "catcher")
            if "Next" in rule:
                targets += self.target(rule, "Next", where, names)
            else:
                self.schema(where, "These fields are required: [Next]")
            if "ResultPath" in rule:
                self.path(
                    rule["ResultPath"],
                    _join(where, "ResultPath"),
                    "ResultPath",
                    reference=True,
                    nullable=True,
                )
            if "Output" in rule and language == "JSONata":
                self.jsonata_value(rule["Output"], _join(where, "Output"), "Output")
            if "Assign" in rule:
                self.assign(rule["Assign"], _join(where, "Assign"), language)
        return targets
