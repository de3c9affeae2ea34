"""The one driver of the interpreter: apply a Step to the runs of one execution.

`sojourn.run` (in memory), the durable engine (inside a store transaction) and TestState advance runs
alike: record the step's events, act on its action (invoke a task, sleep, fork children, wait for them),
hand a finished child's outcome to its parent, end the execution when its top-level run ends. That is
written once, here. What differs between them sits behind `Host`: where frames and events are kept, how
a task is invoked and how time passes. Pure like the interpreter: a host does the effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sojourn.asl.frame import Frame
from sojourn.asl.interpreter import (
    Await,
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
    RunOutcome,
    Sleep,
    Step,
    to_json,
)

__all__ = ["Driver", "ExecutionEnd", "Host"]

Run = TypeVar("Run")  # how a host names one of its runs (a record, a stored row, the frame itself)
RunIn = TypeVar("RunIn", contravariant=True)  # the same, as a host's methods take it
TIMEOUT_CAUSE = "The execution timed out"


@dataclass(frozen=True)
class ExecutionEnd:
    """How an execution ended: its status, the history event that says so, and what it returned."""

    status: str  # SUCCEEDED, FAILED, TIMED_OUT or ABORTED (DescribeExecution's status)
    event: NewEvent
    output: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def output_json(self) -> str | None:
        """The output as history and DescribeExecution carry it (compact JSON); None unless SUCCEEDED."""
        return self.event.details["output"] if self.status == "SUCCEEDED" and self.event.details else None

    @staticmethod
    def of(action: Finish | Fail) -> ExecutionEnd:
        """The end of an execution whose top-level run ended with `action`."""
        if isinstance(action, Finish):
            details = {"output": to_json(action.output), "outputDetails": {"truncated": False}}
            return ExecutionEnd(
                "SUCCEEDED",
                NewEvent("ExecutionSucceeded", "executionSucceededEventDetails", details),
                output=action.output,
            )
        return ExecutionEnd(
            "FAILED",
            NewEvent(
                "ExecutionFailed", "executionFailedEventDetails", _error_details(action.error, action.cause)
            ),
            error=action.error,
            cause=action.cause,
        )

    @staticmethod
    def timed_out() -> ExecutionEnd:
        """The end of an execution that ran past its TimeoutSeconds."""
        details = {"error": "States.Timeout", "cause": TIMEOUT_CAUSE}
        return ExecutionEnd(
            "TIMED_OUT",
            NewEvent("ExecutionTimedOut", "executionTimedOutEventDetails", details),
            error="States.Timeout",
            cause=TIMEOUT_CAUSE,
        )

    @staticmethod
    def aborted(error: str | None, cause: str | None) -> ExecutionEnd:
        """The end of an execution stopped by StopExecution."""
        return ExecutionEnd(
            "ABORTED",
            NewEvent("ExecutionAborted", "executionAbortedEventDetails", _error_details(error, cause)),
            error=error,
            cause=cause,
        )


def _error_details(error: str | None, cause: str | None) -> dict[str, Any]:
    return {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}


class Host(Protocol[RunIn]):
    """What a driver needs of the place it runs in. Each method does one effect of a step."""

    def frame(self, run: RunIn) -> Frame:
        """The run's frame as the step starts (the interpreter updates it in place)."""

    def env(self, run: RunIn) -> Env:
        """The time, task tokens and randomness the step uses."""

    def record(self, run: RunIn, events: list[NewEvent]) -> None:
        """Append the step's history events (possibly none)."""

    def invoke(self, run: RunIn, task: InvokeTask, frame: Frame) -> None:
        """Start the task; its answer comes back later as TaskSuccess or TaskFailure."""

    def sleep(self, run: RunIn, until: datetime) -> None:
        """Deliver TimerFired to the run at `until`."""

    def fork(self, run: RunIn, children: list[Frame]) -> None:
        """Keep `children` (a new Fork: its earlier children were cancelled just before) as runs of `run`."""

    def start_children(self, run: RunIn, indices: list[int]) -> None:
        """Deliver Start to the listed children of the run's current Fork."""

    def cancel_children(self, run: RunIn) -> None:
        """Cancel the unfinished runs below the run (their tasks, timers, tokens); ignore their outcomes."""

    def end_run(self, run: RunIn) -> int | None:
        """Mark the run ended; its index among its parent's children, None for the top-level run."""

    def child_done(self, run: RunIn, event: ChildDone) -> None:
        """Deliver `event` (the run's outcome) to the run's parent."""

    def end_execution(self, end: ExecutionEnd) -> None:
        """Record the end of the execution: its last event, its status."""

    def save(self, run: RunIn, frame: Frame) -> None:
        """Keep the run's frame after the step (and whatever the step changed of the run)."""


@dataclass
class Driver(Generic[Run]):
    """Applies events to the runs of one execution: `apply(run, event)` is one step and all it sets off."""

    interpreter: Interpreter
    info: ExecutionInfo
    host: Host[Run]

    def apply(self, run: Run, event: Event, step: Step | None = None) -> Step:
        """Advance `run` by `event`, then do what the step says, through the host. `step` is that advance
        when the host computed it already (from the same frame and env: the engine's slow lane)."""
        host = self.host
        if step is None:
            step = self.interpreter.advance(host.frame(run), event, self.info, host.env(run))
        host.record(run, step.events)
        if step.cancel_children:
            host.cancel_children(run)
        action = step.action
        if isinstance(action, InvokeTask):
            host.invoke(run, action, step.frame)
        elif isinstance(action, Sleep):
            host.sleep(run, action.until)
        elif isinstance(action, Fork):
            host.cancel_children(run)  # the children of an earlier attempt at this state
            host.fork(run, action.children)
            host.start_children(run, action.start)
        elif isinstance(action, Await):
            host.start_children(run, action.start)
        else:
            self._run_ended(run, action, step.frame)
        host.save(run, step.frame)
        return step

    def _run_ended(self, run: Run, action: Finish | Fail, frame: Frame) -> None:
        """A child's end goes to its parent; the top-level run's end is the execution's."""
        index = self.host.end_run(run)
        if index is None:
            self.host.end_execution(ExecutionEnd.of(action))
        else:
            self.host.child_done(run, ChildDone(index, RunOutcome.of(action, frame)))
