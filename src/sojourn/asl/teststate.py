"""TestState: run one state in isolation and report what it did, as the TestState API answers.

The state runs on the same interpreter as executions. A Task calls `invoke` (or uses `mock`); a Wait
does not wait. The answer has `output`, `error`, `cause`, `nextState`, `status` (SUCCEEDED, FAILED,
RETRIABLE, CAUGHT_ERROR) and, unless the inspection level is INFO, `inspectionData`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sojourn.asl import errors as E
from sojourn.asl.interpreter import (
    Env,
    ExecutionInfo,
    Fail,
    Finish,
    Fork,
    Interpreter,
    InvokeTask,
    Sleep,
    Start,
    TaskFailed,
    TaskSucceeded,
    TimerFired,
    to_json,
)
from sojourn.asl.loader import DefinitionError, Diagnostic, parse_definition
from sojourn.asl.program import compile_definition

__all__ = ["test_state"]

_STATE = "TestState"


def _targets(state: dict[str, Any]) -> set[str]:
    names = {state["Next"]} if isinstance(state.get("Next"), str) else set()
    names |= {c["Next"] for c in state.get("Catch", []) if isinstance(c, dict) and isinstance(c.get("Next"), str)}
    names |= {c["Next"] for c in state.get("Choices", []) if isinstance(c, dict) and isinstance(c.get("Next"), str)}
    if isinstance(state.get("Default"), str):
        names.add(state["Default"])
    return names


def _machine(definition: Any, state_name: str | None) -> tuple[dict[str, Any], str]:
    """A machine whose StartAt is the state under test; transitions lead to placeholder Succeed states."""
    document = parse_definition(definition)  # text from TestState's caller, never a file to read
    if state_name is not None:
        states = document.get("States") or {}
        if state_name not in states:
            raise DefinitionError([Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"No state named '{state_name}'", "/States")])
        state, name = states[state_name], state_name
        language = document.get("QueryLanguage")
    else:
        state, name, language = document, _STATE, None
    machine: dict[str, Any] = {"StartAt": name, "States": {name: state}}
    if language:
        machine["QueryLanguage"] = language
    for target in _targets(state) - {name}:
        machine["States"][target] = {"Type": "Succeed"}
    return machine, name


def test_state(
    definition: Any,
    input: Any,
    *,
    state_name: str | None = None,
    variables: dict[str, Any] | None = None,
    invoke: Callable[[InvokeTask], Any] | None = None,
    mock: dict[str, Any] | None = None,
    inspection_level: str = "INFO",
    info: ExecutionInfo,
    env: Env,
) -> dict[str, Any]:
    """Run the state once; `mock` is TestState's `{"result": json}` or `{"errorOutput": {"error", "cause"}}`."""
    machine, name = _machine(definition, state_name)
    interpreter = Interpreter(compile_definition(machine))
    frame = interpreter.start_frame(input)
    frame["vars"] = dict(variables or {})
    step = interpreter.advance(frame, Start(), info, env)
    inspection: dict[str, Any] = {"input": to_json(input)}
    if variables:
        inspection["variables"] = to_json(variables)
    for _ in range(3):  # at most: invoke, then one more step
        action = step.action
        if isinstance(action, InvokeTask):
            inspection["afterParameters"] = to_json(action.parameters)
            answer = _answer(action, invoke, mock)
            if isinstance(answer, TaskSucceeded):
                inspection["result"] = to_json(answer.output)
            step = interpreter.advance(step.frame, answer, info, env)
            continue
        if isinstance(action, Sleep) and step.frame.get("phase") == "wait":
            step = interpreter.advance(step.frame, TimerFired(), info, env)
            continue
        break
    return _report(step, name, inspection, inspection_level, machine)


def _answer(action: InvokeTask, invoke: Callable[[InvokeTask], Any] | None, mock: dict[str, Any] | None) -> Any:
    if mock is not None:
        if "errorOutput" in mock:
            failure = mock["errorOutput"] or {}
            return TaskFailed(failure.get("error", "States.TaskFailed"), failure.get("cause"))
        return TaskSucceeded(json.loads(mock.get("result", "null")))
    if invoke is None:
        return TaskFailed("States.Runtime", f"No way to invoke '{action.resource.arn}' here; pass a mock")
    try:
        return TaskSucceeded(invoke(action))
    except E.StatesError as e:
        return TaskFailed(e.error, e.cause)


def _report(step: Any, name: str, inspection: dict[str, Any], level: str, machine: dict[str, Any]) -> dict[str, Any]:
    events = step.events
    failed = next((e for e in reversed(events) if e.type.endswith(("Failed", "TimedOut")) and e.details), None)
    error = (failed.details or {}).get("error") if failed else None
    cause = (failed.details or {}).get("cause") if failed else None
    entered = [e for e in events if e.type.endswith("StateEntered") and e.details and e.details["name"] != name]
    exited = next((e for e in events if e.type.endswith("StateExited") and e.details and e.details["name"] == name), None)
    answer: dict[str, Any] = {}
    action = step.action
    if isinstance(action, Fork):
        answer.update(status="FAILED", error="States.Runtime", cause="TestState runs Parallel and Map states only as part of an execution")
    elif isinstance(action, Sleep):
        answer.update(status="RETRIABLE", error=error, cause=cause)
    elif isinstance(action, Fail):
        answer.update(status="FAILED", error=action.error, cause=action.cause)
    elif entered and failed is not None:  # left through a Catch
        answer.update(status="CAUGHT_ERROR", error=error, cause=cause, nextState=entered[0].details["name"],
                      output=entered[0].details["input"])
    else:
        answer["status"] = "SUCCEEDED"
        if exited is not None:
            answer["output"] = exited.details["output"]
        elif isinstance(action, Finish):
            answer["output"] = to_json(action.output)
        if entered:
            answer["nextState"] = entered[0].details["name"]
    if level != "INFO":
        answer["inspectionData"] = inspection
    return {key: value for key, value in answer.items() if value is not None}


test_state.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
