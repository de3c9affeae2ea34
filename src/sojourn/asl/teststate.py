"""TestState: run one state in isolation and report what it did, as the TestState API answers.

The state runs on the same interpreter as executions. A Task calls `invoke` (or uses `mock`); a Wait
does not wait. The answer has `output`, `error`, `cause`, `nextState`, `status` (SUCCEEDED, FAILED,
RETRIABLE, CAUGHT_ERROR) and, unless the inspection level is INFO, `inspectionData`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sojourn.asl import errors as E
from sojourn.asl.driver import Driver, ExecutionEnd
from sojourn.asl.frame import Frame
from sojourn.asl.interpreter import (
    ChildDone,
    Env,
    Event,
    ExecutionInfo,
    Fail,
    Finish,
    Fork,
    Interpreter,
    InvokeTask,
    NewEvent,
    Sleep,
    Start,
    TaskFailure,
    TaskSuccess,
    TimerFired,
    to_json,
)
from sojourn.asl.loader import DefinitionError, Diagnostic, parse_definition
from sojourn.asl.program import compile_definition

__all__ = ["test_state"]

_STATE = "TestState"


def _targets(state: dict[str, Any]) -> set[str]:
    names = {state["Next"]} if isinstance(state.get("Next"), str) else set()
    names |= {
        c["Next"] for c in state.get("Catch", []) if isinstance(c, dict) and isinstance(c.get("Next"), str)
    }
    names |= {
        c["Next"] for c in state.get("Choices", []) if isinstance(c, dict) and isinstance(c.get("Next"), str)
    }
    if isinstance(state.get("Default"), str):
        names.add(state["Default"])
    return names


def _machine(definition: Any, state_name: str | None) -> tuple[dict[str, Any], str]:
    """A machine whose StartAt is the state under test; transitions lead to placeholder Succeed states."""
    document = parse_definition(definition)  # text from TestState's caller, never a file to read
    if state_name is not None:
        states = document.get("States") or {}
        if state_name not in states:
            raise DefinitionError(
                [Diagnostic("ERROR", "SCHEMA_VALIDATION_FAILED", f"No state named '{state_name}'", "/States")]
            )
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
    retrier_retry_count: int | None = None,
) -> dict[str, Any]:
    """Run the state once; `mock` is TestState's `{"result": json}` or
    `{"errorOutput": {"error", "cause"}}`; `retrier_retry_count` the retries already made (TestState's
    `stateConfiguration.retrierRetryCount`), which decides whether a mocked error is retried again."""
    machine, name = _machine(definition, state_name)
    interpreter = Interpreter(compile_definition(machine))
    frame = interpreter.start_frame(input)
    frame["vars"] = dict(variables or {})
    inspection: dict[str, Any] = {"input": to_json(input)}
    if variables:
        inspection["variables"] = to_json(variables)
    env = dataclasses.replace(env, inspect=inspection)
    host = _OneState(env, invoke, mock, inspection)
    driver = Driver(interpreter, info, host)
    step = driver.apply(frame, Start())
    if retrier_retry_count:  # as if each retrier had already retried that many times
        retriers = len(interpreter.program.root.states[name].retriers)
        frame["retries"] = {str(index): retrier_retry_count for index in range(retriers)}
        frame["retry_count"] = retrier_retry_count
    for _ in range(3):  # at most: invoke, then one more step
        answer = host.answer()
        if answer is None:
            break
        step = driver.apply(frame, answer)
    return _report(step, name, inspection, inspection_level, machine)


class _OneState:
    """The driver's host for TestState: one run (named by its frame), no history kept, no children run.

    A task is answered by `invoke` or `mock` only when the next step is taken; a Wait does not wait."""

    def __init__(
        self,
        env: Env,
        invoke: Callable[[InvokeTask], Any] | None,
        mock: dict[str, Any] | None,
        inspection: dict[str, Any],
    ):
        self._env = env
        self._invoke = invoke
        self._mock = mock
        self.inspection = inspection
        self._task: InvokeTask | None = None
        self._timer = False

    def answer(self) -> Event | None:
        """The answer to what the last step asked for, or None when it asked for nothing TestState gives."""
        task, self._task = self._task, None
        if task is not None:
            answer = _answer(task, self._invoke, self._mock)
            if isinstance(answer, TaskSuccess):
                self.inspection["result"] = to_json(answer.output)
            return answer
        timer, self._timer = self._timer, False
        return TimerFired() if timer else None

    def frame(self, run: Frame) -> Frame:
        return run

    def env(self, run: Frame) -> Env:
        return self._env

    def record(self, run: Frame, events: list[NewEvent]) -> None:
        pass  # the report reads the last step's events

    def invoke(self, run: Frame, task: InvokeTask, frame: Frame) -> None:
        self._task = task

    def sleep(self, run: Frame, until: datetime) -> None:
        # a Wait state's time passes at once; a retry's backoff ends the test (RETRIABLE)
        self._timer = run.get("phase") == "wait"

    def fork(self, run: Frame, children: list[Frame]) -> None:
        pass  # Parallel and Map are reported as not supported here

    def start_children(self, run: Frame, indices: list[int]) -> None:
        pass

    def cancel_children(self, run: Frame) -> None:
        pass

    def end_run(self, run: Frame) -> int | None:
        return None

    def child_done(self, run: Frame, event: ChildDone) -> None:
        pass  # never called: the one run is the top level

    def end_execution(self, end: ExecutionEnd) -> None:
        pass  # the report reads the step's action

    def save(self, run: Frame, frame: Frame) -> None:
        pass  # the frame is updated in place


def _answer(
    action: InvokeTask, invoke: Callable[[InvokeTask], Any] | None, mock: dict[str, Any] | None
) -> Event:
    if mock is not None:
        if "errorOutput" in mock:
            failure = mock["errorOutput"] or {}
            return TaskFailure(failure.get("error", "States.TaskFailed"), failure.get("cause"))
        return TaskSuccess(json.loads(mock.get("result", "null")))
    if invoke is None:
        return TaskFailure("States.Runtime", f"No way to invoke '{action.resource.arn}' here; pass a mock")
    try:
        return TaskSuccess(invoke(action))
    except E.StatesError as e:
        return TaskFailure(e.error, e.cause)


def _report(
    step: Any, name: str, inspection: dict[str, Any], level: str, machine: dict[str, Any]
) -> dict[str, Any]:
    events = step.events
    failed = next(
        (e for e in reversed(events) if e.type.endswith(("Failed", "TimedOut")) and e.details), None
    )
    error = (failed.details or {}).get("error") if failed else None
    cause = (failed.details or {}).get("cause") if failed else None
    entered = [
        e for e in events if e.type.endswith("StateEntered") and e.details and e.details["name"] != name
    ]
    exited = next(
        (e for e in events if e.type.endswith("StateExited") and e.details and e.details["name"] == name),
        None,
    )
    answer: dict[str, Any] = {}
    action = step.action
    if isinstance(action, Fork):
        answer.update(
            status="FAILED",
            error="States.Runtime",
            cause="TestState runs Parallel and Map states only as part of an execution",
        )
    elif isinstance(action, Sleep):
        answer.update(status="RETRIABLE", error=error, cause=cause)
    elif isinstance(action, Fail):
        answer.update(status="FAILED", error=action.error, cause=action.cause)
    elif entered and failed is not None:  # left through a Catch
        answer.update(
            status="CAUGHT_ERROR",
            error=error,
            cause=cause,
            nextState=entered[0].details["name"],
            output=entered[0].details["input"],
        )
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
