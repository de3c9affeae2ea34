"""Compile a validated definition once into a Program: machines and states with every expression parsed.

The interpreter never looks at the raw definition's strings again: paths, payload templates,
intrinsic calls, JSONata expressions and Choice rules are compiled here. Programs are cached by the
definition's canonical JSON text, so many executions of one state machine share one Program.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

from sojourn.asl import resources
from sojourn.asl.loader import DefinitionError, Diagnostic, read_definition
from sojourn.asl.paths import Path, ReferencePath, compile_path, compile_reference_path
from sojourn.asl.resources import Resource
from sojourn.asl.template import Payload, compile_dynamic, compile_payload

__all__ = ["Catcher", "Choice", "Machine", "Program", "Retrier", "State", "compile_definition"]

JSONPATH, JSONATA = "JSONPath", "JSONata"


def _jsonata(value: Any, field: str) -> Any:
    from sojourn.asl.jsonata import compile_jsonata_value

    return compile_jsonata_value(value, field)


def _is_jsonata_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("{%") and value.strip().endswith("%}")


@dataclass(frozen=True)
class Retrier:
    """One Retry entry (spec: "Retrying after an error")."""

    errors: tuple[str, ...]
    interval: float
    max_attempts: int
    backoff: float
    max_delay: float | None
    jitter: bool


@dataclass(frozen=True)
class Catcher:
    """One Catch entry; `result_path` (JSONPath) or `output` (JSONata) shape the error output."""

    errors: tuple[str, ...]
    next: str
    result_path: ReferencePath | None
    discard_result: bool
    output: Any
    assign: Any


@dataclass(frozen=True)
class Choice:
    """One Choices entry: the rule, where it leads, and (JSONata or variables) what it assigns/outputs."""

    rule: Any
    next: str
    assign: Any
    output: Any


@dataclass
class State:
    """A compiled state. Fields unused by a type stay None."""

    name: str
    type: str
    language: str
    raw: dict[str, Any]
    next: str | None = None
    end: bool = False
    # JSONPath processing
    input_path: Path | None = None
    discard_input: bool = False  # InputPath: null
    output_path: Path | None = None
    discard_output: bool = False
    parameters: Payload | None = None
    result_selector: Payload | None = None
    result_path: ReferencePath | None = None
    discard_result: bool = False  # ResultPath: null
    result: Any = None  # Pass's Result
    has_result: bool = False
    # JSONata processing
    arguments: Any = None
    output: Any = None
    assign: Any = None
    # Task
    resource: Resource | None = None  # parsed once here (sojourn.asl.resources)
    timeout: Any = None  # int | Path | JSONata value
    heartbeat: Any = None
    credentials: Any = None
    retriers: tuple[Retrier, ...] = ()
    catchers: tuple[Catcher, ...] = ()
    # Choice
    choices: tuple[Choice, ...] = ()
    default: str | None = None
    # Wait
    wait_seconds: Any = None
    wait_timestamp: Any = None
    # Fail
    error: Any = None
    cause: Any = None
    # Parallel / Map
    branches: tuple[Machine, ...] = ()
    processor: Machine | None = None
    items: Any = None  # ItemsPath (Path) or Items (JSONata / literal)
    item_selector: Any = None
    max_concurrency: Any = 0
    tolerated_count: Any = None
    tolerated_percentage: Any = None
    batcher: dict[str, Any] | None = None


@dataclass
class Machine:
    """The top-level machine, a Parallel branch or a Map item processor."""

    key: str
    start_at: str
    states: dict[str, State]
    language: str


@dataclass
class Program:
    """A compiled definition; `machines` maps each machine key to its Machine."""

    definition: dict[str, Any]
    root: Machine
    timeout_seconds: int | None
    machines: dict[str, Machine] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return json.dumps(self.definition, separators=(",", ":"), sort_keys=True)


class _Compiler:
    def __init__(self) -> None:
        self.machines: dict[str, Machine] = {}
        self.problems: list[Diagnostic] = []

    def machine(self, raw: dict[str, Any], key: str, language: str) -> Machine:
        states = {name: self.state(name, body, language, key) for name, body in raw["States"].items()}
        machine = Machine(key, raw["StartAt"], states, language)
        self.machines[key] = machine
        return machine

    def state(self, name: str, raw: dict[str, Any], inherited: str, key: str) -> State:
        language = raw.get("QueryLanguage", inherited)
        state = State(name=name, type=raw["Type"], language=language, raw=raw)
        state.next = raw.get("Next")
        state.end = bool(raw.get("End", False))
        where = f"{key}/States/{name}" if key else f"/States/{name}"
        try:
            self.fill(state, raw, where, key)
        except (ValueError, TypeError) as e:  # validation already ran; this is a belt and braces guard
            self.problems.append(Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"{e} at {where}", where))
        return state

    def fill(self, state: State, raw: dict[str, Any], where: str, key: str) -> None:
        jsonata = state.language == JSONATA
        if jsonata:
            for name in ("Arguments", "Output", "Assign"):
                if name in raw:
                    setattr(state, name.lower(), _jsonata(raw[name], name))
        else:
            if "InputPath" in raw:
                state.discard_input = raw["InputPath"] is None
                state.input_path = compile_path(raw["InputPath"]) if raw["InputPath"] is not None else None
            if "OutputPath" in raw:
                state.discard_output = raw["OutputPath"] is None
                state.output_path = compile_path(raw["OutputPath"]) if raw["OutputPath"] is not None else None
            if "Parameters" in raw:
                state.parameters = compile_payload(raw["Parameters"])
            if "ResultSelector" in raw:
                state.result_selector = compile_payload(raw["ResultSelector"])
            if "ResultPath" in raw:
                state.discard_result = raw["ResultPath"] is None
                state.result_path = (
                    compile_reference_path(raw["ResultPath"]) if raw["ResultPath"] is not None else None
                )
            state.assign = self.assign(raw.get("Assign"), jsonata)
        if "Result" in raw:
            state.result, state.has_result = raw["Result"], True
        kind = state.type
        if kind == "Task":
            state.resource = resources.parse(raw["Resource"])
            state.timeout = self.number(raw, "TimeoutSeconds", jsonata)
            state.heartbeat = self.number(raw, "HeartbeatSeconds", jsonata)
            if "Credentials" in raw:
                state.credentials = (
                    _jsonata(raw["Credentials"], "Credentials")
                    if jsonata
                    else compile_payload(raw["Credentials"])
                )
        if kind in ("Task", "Parallel", "Map"):
            state.retriers = tuple(self.retrier(r) for r in raw.get("Retry", []))
            state.catchers = tuple(
                self.catcher(c, jsonata, f"Catch[{i}]") for i, c in enumerate(raw.get("Catch", []))
            )
        if kind == "Choice":
            from sojourn.asl.choice import compile_choice_rule

            state.choices = tuple(
                Choice(
                    compile_choice_rule(rule, state.language, f"Choices[{index}]/Condition"),
                    rule["Next"],
                    self.assign(rule.get("Assign"), jsonata, f"Choices[{index}]/Assign"),
                    _jsonata(rule["Output"], f"Choices[{index}]/Output")
                    if jsonata and "Output" in rule
                    else None,
                )
                for index, rule in enumerate(raw["Choices"])
            )
            state.default = raw.get("Default")
        if kind == "Wait":
            if "Seconds" in raw:
                state.wait_seconds = (
                    _jsonata(raw["Seconds"], "Seconds")
                    if _is_jsonata_text(raw["Seconds"])
                    else raw["Seconds"]
                )
            elif "SecondsPath" in raw:
                state.wait_seconds = compile_path(raw["SecondsPath"])
            elif "Timestamp" in raw:
                value = raw["Timestamp"]
                state.wait_timestamp = _jsonata(value, "Timestamp") if _is_jsonata_text(value) else value
            elif "TimestampPath" in raw:
                state.wait_timestamp = compile_path(raw["TimestampPath"])
        if kind == "Fail":
            for name, attr in (("Error", "error"), ("Cause", "cause")):
                if name in raw:
                    value = raw[name]
                    setattr(state, attr, _jsonata(value, name) if _is_jsonata_text(value) else value)
                elif name + "Path" in raw:
                    setattr(state, attr, compile_dynamic(raw[name + "Path"], name + "Path"))
        if kind == "Parallel":
            state.branches = tuple(
                self.machine(branch, f"{where}/Branches/{i}", state.language)
                for i, branch in enumerate(raw["Branches"])
            )
        if kind == "Map":
            self.map(state, raw, where, jsonata)

    def map(self, state: State, raw: dict[str, Any], where: str, jsonata: bool) -> None:
        processor = raw.get("ItemProcessor") or raw["Iterator"]
        field_name = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
        state.processor = self.machine(processor, f"{where}/{field_name}", state.language)
        if jsonata:
            state.items = _jsonata(raw["Items"], "Items") if "Items" in raw else None
            if "ItemSelector" in raw:
                state.item_selector = _jsonata(raw["ItemSelector"], "ItemSelector")
        else:
            state.items = compile_path(raw.get("ItemsPath", "$"))
            selector = raw.get("ItemSelector", raw.get("Parameters"))
            if selector is not None:
                state.item_selector = compile_payload(selector)
            state.parameters = None  # Map's Parameters is the item selector, not the state's input
        state.max_concurrency = self.number(raw, "MaxConcurrency", jsonata) or 0
        state.tolerated_count = self.number(raw, "ToleratedFailureCount", jsonata)
        state.tolerated_percentage = self.number(raw, "ToleratedFailurePercentage", jsonata)
        if "ItemBatcher" in raw:
            batcher = dict(raw["ItemBatcher"])
            for name in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
                batcher[name] = self.number(raw["ItemBatcher"], name, jsonata)
            if "BatchInput" in batcher:
                batcher["BatchInput"] = (
                    _jsonata(batcher["BatchInput"], "ItemBatcher/BatchInput")
                    if jsonata
                    else compile_payload(batcher["BatchInput"])
                )
            state.batcher = batcher

    def assign(self, value: Any, jsonata: bool, field: str = "Assign") -> Any:
        if value is None:
            return None
        return _jsonata(value, field) if jsonata else compile_payload(value)

    def number(self, raw: dict[str, Any], name: str, jsonata: bool) -> Any:
        if name in raw:
            value = raw[name]
            return _jsonata(value, name) if jsonata and _is_jsonata_text(value) else value
        if name + "Path" in raw:
            return compile_path(raw[name + "Path"])
        return None

    def retrier(self, raw: dict[str, Any]) -> Retrier:
        return Retrier(
            errors=tuple(raw["ErrorEquals"]),
            interval=float(raw.get("IntervalSeconds", 1)),
            max_attempts=int(raw.get("MaxAttempts", 3)),
            backoff=float(raw.get("BackoffRate", 2.0)),
            max_delay=float(raw["MaxDelaySeconds"]) if "MaxDelaySeconds" in raw else None,
            jitter=raw.get("JitterStrategy", "NONE") == "FULL",
        )

    def catcher(self, raw: dict[str, Any], jsonata: bool, where: str) -> Catcher:
        if jsonata:  # AWS names a catcher's fields under its index: `Catch[1]/Output/v`
            return Catcher(
                errors=tuple(raw["ErrorEquals"]),
                next=raw["Next"],
                result_path=None,
                discard_result=False,
                output=_jsonata(raw["Output"], f"{where}/Output") if "Output" in raw else None,
                assign=self.assign(raw.get("Assign"), True, f"{where}/Assign"),
            )
        result_path = raw.get("ResultPath", "$")
        return Catcher(
            errors=tuple(raw["ErrorEquals"]),
            next=raw["Next"],
            result_path=compile_reference_path(result_path) if result_path is not None else None,
            discard_result=result_path is None,
            output=None,
            assign=self.assign(raw.get("Assign"), False),
        )


_cache: dict[str, Program] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 256


def compile_definition(source: dict[str, Any] | str | FilePath) -> Program:
    """Read, validate and compile a definition; raise DefinitionError listing every problem."""
    from sojourn.asl.validate import validate

    definition = read_definition(source)
    text = json.dumps(definition, separators=(",", ":"), sort_keys=True)
    with _cache_lock:
        cached = _cache.get(text)
    if cached is not None:
        return cached
    errors = [d for d in validate(definition) if d.severity == "ERROR"]
    if errors:
        raise DefinitionError(errors)
    compiler = _Compiler()
    root = compiler.machine(definition, "", definition.get("QueryLanguage", JSONPATH))
    if compiler.problems:
        raise DefinitionError(compiler.problems)
    program = Program(definition, root, definition.get("TimeoutSeconds"), compiler.machines)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[text] = program
    return program
