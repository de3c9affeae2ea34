"""The one driver of the interpreter (`sojourn.asl.driver`): what it asks of its host, in which order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sojourn.asl.driver import Driver, ExecutionEnd
from sojourn.asl.frame import Frame
from sojourn.asl.interpreter import (
    ChildDone,
    Env,
    Event,
    ExecutionInfo,
    Fail,
    Finish,
    Interpreter,
    InvokeTask,
    NewEvent,
    Start,
    TaskSuccess,
    TimerFired,
)
from sojourn.asl.program import compile_definition

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
INFO = ExecutionInfo(
    execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:x",
    name="x",
    input={},
    start_time=T0,
    state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
    state_machine_name="m",
    role_arn="arn:aws:iam::123456789012:role/test",
)


class Run:
    """A run as the recording host names it."""

    def __init__(self, frame: Frame, parent: Run | None = None, index: int = 0):
        self.frame, self.parent, self.index = frame, parent, index
        self.children: list[Run] = []


class RecordingHost:
    """A host that keeps everything in lists and writes down each call the driver makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.events: list[str] = []
        self.inbox: list[tuple[Run, Event]] = []
        self.ends: list[ExecutionEnd] = []

    def frame(self, run: Run) -> Frame:
        return run.frame

    def env(self, run: Run) -> Env:
        return Env(
            now=T0, new_task_token=lambda: "token", rng=random.Random(1), next_event_id=len(self.events) + 1
        )

    def record(self, run: Run, events: list[NewEvent]) -> None:
        self.events += [event.type for event in events]

    def invoke(self, run: Run, task: InvokeTask, frame: Frame) -> None:
        self.calls.append(("invoke", task.state_name))

    def sleep(self, run: Run, until: datetime) -> None:
        self.calls.append(("sleep", until - T0))

    def fork(self, run: Run, children: list[Frame]) -> None:
        self.calls.append(("fork", len(children)))
        run.children = [Run(child, run, index) for index, child in enumerate(children)]

    def start_children(self, run: Run, indices: list[int]) -> None:
        self.calls.append(("start", list(indices)))
        self.inbox += [(run.children[index], Start()) for index in indices]

    def cancel_children(self, run: Run) -> None:
        self.calls.append(("cancel",))

    def end_run(self, run: Run) -> int | None:
        self.calls.append(("end_run", run.index if run.parent else None))
        return run.index if run.parent else None

    def child_done(self, run: Run, event: ChildDone) -> None:
        assert run.parent is not None
        self.calls.append(("child_done", event.index, event.outcome.succeeded, event.outcome.output))
        self.inbox.append((run.parent, event))

    def end_execution(self, end: ExecutionEnd) -> None:
        self.calls.append(("end_execution", end.status))
        self.ends.append(end)

    def save(self, run: Run, frame: Frame) -> None:
        self.calls.append(("save",))


def drive(definition: dict[str, Any], answers: dict[str, Event] | None = None) -> RecordingHost:
    """Run `definition` to its end through the driver, answering each task from `answers` by state name."""
    host = RecordingHost()
    interpreter = Interpreter(compile_definition(definition))
    driver = Driver(interpreter, INFO, host)
    root = Run(interpreter.start_frame({"a": 1}))
    host.inbox.append((root, Start()))
    while host.inbox:
        run, event = host.inbox.pop(0)
        step = driver.apply(run, event)
        if isinstance(step.action, InvokeTask):
            host.inbox.append((run, (answers or {})[step.action.state_name]))
        elif step.action.__class__.__name__ == "Sleep":
            host.inbox.append((run, TimerFired()))
    return host


def test_a_task_is_invoked_then_its_answer_ends_the_execution():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}
    host = drive(definition, {"T": TaskSuccess({"b": 2})})
    assert host.calls == [
        ("invoke", "T"),
        ("save",),
        ("end_run", None),
        ("end_execution", "SUCCEEDED"),
        ("save",),
    ]
    assert host.events == [
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
    ]
    end = host.ends[0]
    assert (end.event.type, end.event.details, end.output, end.output_json) == (
        "ExecutionSucceeded",
        {"output": '{"b":2}', "outputDetails": {"truncated": False}},
        {"b": 2},
        '{"b":2}',
    )


def test_a_parallel_forks_its_branches_and_each_branch_end_goes_to_the_parent():
    branches = [{"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}} for name in ("P0", "P1")]
    definition = {
        "StartAt": "Par",
        "States": {"Par": {"Type": "Parallel", "Branches": branches, "End": True}},
    }
    host = drive(definition)
    assert host.calls == [
        ("cancel",),
        ("fork", 2),
        ("start", [0, 1]),
        ("save",),  # the old children go before the new are kept
        ("end_run", 0),
        ("child_done", 0, True, {"a": 1}),
        ("save",),
        ("end_run", 1),
        ("child_done", 1, True, {"a": 1}),
        ("save",),
        ("start", []),
        ("save",),  # the first child's end: the parent waits on
        ("end_run", None),
        ("end_execution", "SUCCEEDED"),
        ("save",),
    ]
    assert host.ends[0].output == [{"a": 1}, {"a": 1}]


def test_a_wait_sleeps_until_its_time():
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 90, "End": True}}}
    host = drive(definition)
    assert host.calls[0] == ("sleep", timedelta(seconds=90))
    assert host.calls[-2:] == [("end_execution", "SUCCEEDED"), ("save",)]


def test_a_run_that_fails_ends_the_execution_failed_with_its_error():
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}
    host = drive(definition)
    end = host.ends[0]
    assert (end.status, end.error, end.cause, end.output_json) == ("FAILED", "Boom", "why", None)
    assert (end.event.type, end.event.details_key, end.event.details) == (
        "ExecutionFailed",
        "executionFailedEventDetails",
        {"error": "Boom", "cause": "why"},
    )


@pytest.mark.parametrize(
    ("end", "event_type", "details"),
    [
        (ExecutionEnd.of(Fail("E", None)), "ExecutionFailed", {"error": "E"}),
        (ExecutionEnd.of(Fail(None, None)), "ExecutionFailed", {}),
        (
            ExecutionEnd.of(Finish(None)),
            "ExecutionSucceeded",
            {"output": "null", "outputDetails": {"truncated": False}},
        ),
        (
            ExecutionEnd.timed_out(),
            "ExecutionTimedOut",
            {"error": "States.Timeout", "cause": "The execution timed out"},
        ),
        (ExecutionEnd.aborted(None, "stopped"), "ExecutionAborted", {"cause": "stopped"}),
    ],
)
def test_each_end_of_an_execution_has_its_event_with_only_the_details_it_has(end, event_type, details):
    assert (end.event.type, end.event.details) == (event_type, details)
    assert end.event.details_key == event_type[0].lower() + event_type[1:] + "EventDetails"
