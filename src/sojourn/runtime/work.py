"""The work item: what one row of the work queue asks of a worker, as the JSON its payload holds.

An `event` item carries one event for a run, `{"e": kind, "gen": n, ...}` (`WorkEvent`): `gen` is the
run's generation the event answers, so a late or duplicated answer is dropped, and a child's end carries
its parent's `fork` generation for the same reason. An `invoke` item carries a task to call (`TaskWork`),
leased to the worker that calls it. The answers of a task (SendTaskSuccess/Failure, a worker's call) are
`WorkEvent`s too. Built and read only through this module.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal, Required, TypedDict

from sojourn.asl.interpreter import (
    ChildDone,
    Event,
    InvokeTask,
    Redrive,
    RunOutcome,
    Start,
    TaskFailure,
    TaskSuccess,
    TimerFired,
)

__all__ = [
    "EVENT",
    "INVOKE",
    "TaskWork",
    "WorkEvent",
    "child",
    "deferred",
    "exec_timeout",
    "failed",
    "heartbeat",
    "parse_event",
    "parse_task",
    "redrive",
    "slow",
    "start",
    "succeeded",
    "task",
    "timer",
    "to_event",
    "with_generation",
]

EVENT = "event"  # the work item's kind: deliver a WorkEvent to its run
INVOKE = "invoke"  # the work item's kind: call the TaskWork it holds

EventKind = Literal[
    "start", "ok", "fail", "timer", "child", "redrive", "heartbeat", "exec_timeout", "deferred"
]


class WorkEvent(TypedDict, total=False):
    """An event for a run. Which keys are present depends on `e`."""

    e: Required[EventKind]  # "deferred" is never stored: a task whose answer comes from elsewhere later
    gen: int  # the run generation this answers (absent: whatever the run's generation)
    output: Any  # ok: the task's result
    error: str  # fail: the error name ("" or absent: States.TaskFailed)
    cause: str | None  # fail: the cause
    index: int  # child: which of the parent's children ended
    outcome: dict[str, Any]  # child: how (RunOutcome's fields)
    fork: int  # child: the parent's fork generation the child belongs to
    seconds: int  # heartbeat: HeartbeatSeconds, to check again after
    slow: bool  # its step computed past the engine's inline time: computed outside a transaction


class TaskWork(TypedDict):
    """A task to call: what the worker that calls it needs, its token aside (kept as a hash)."""

    resource: str
    parameters: Any  # with the token's placeholder where the token goes (runtime.engine.hide_token)
    wait_for_token: bool
    has_token: bool  # the task has a token: a worker that takes the item over issues a fresh one
    timeout_seconds: int
    state_name: str
    attempt: int
    gen: int
    idempotency_key: str  # "<execution arn>/<state entered event id>/<attempt>"


def start() -> WorkEvent:
    """Begin a run at its StartAt state."""
    return {"e": "start"}


def redrive() -> WorkEvent:
    """Run the state the top-level run stopped at again (RedriveExecution)."""
    return {"e": "redrive"}


def exec_timeout() -> WorkEvent:
    """The execution's TimeoutSeconds has passed."""
    return {"e": "exec_timeout"}


def timer(gen: int) -> WorkEvent:
    """A Sleep's time has come."""
    return {"e": "timer", "gen": gen}


def heartbeat(gen: int, seconds: int) -> WorkEvent:
    """Check that the task answering `gen` sent a heartbeat within the last `seconds`."""
    return {"e": "heartbeat", "gen": gen, "seconds": seconds}


def succeeded(output: Any, gen: int | None = None) -> WorkEvent:
    """A task's result."""
    event: WorkEvent = {"e": "ok", "output": output}
    return event if gen is None else with_generation(event, gen)


def failed(error: str, cause: str | None = None, gen: int | None = None) -> WorkEvent:
    """A task's failure (also States.Timeout and States.HeartbeatTimeout); a None cause is left out."""
    event: WorkEvent = {"e": "fail", "error": error}
    if cause is not None:
        event["cause"] = cause
    return event if gen is None else with_generation(event, gen)


def deferred() -> WorkEvent:
    """A task whose call returned without its answer, which comes later (a nested `.sync` execution)."""
    return {"e": "deferred"}


def slow(event: WorkEvent) -> WorkEvent:
    """`event`, marked to be computed outside any transaction (sojourn.runtime.engine)."""
    return {**event, "slow": True}


def child(index: int, outcome: RunOutcome, fork: int) -> WorkEvent:
    """Child `index` of the parent's fork `fork` ended with `outcome`."""
    return {"e": "child", "index": index, "outcome": dataclasses.asdict(outcome), "fork": fork}


def with_generation(event: WorkEvent, gen: int) -> WorkEvent:
    """`event` as the answer to the task or timer of generation `gen`."""
    return {**event, "gen": gen}


def task(action: InvokeTask, parameters: Any, gen: int, idempotency_key: str) -> TaskWork:
    """The work of calling `action`'s task, its parameters as stored (`parameters`)."""
    return {
        "resource": action.resource.arn,
        "parameters": parameters,
        "wait_for_token": action.resource.waits_for_token,
        "has_token": action.task_token is not None,
        "timeout_seconds": action.timeout_seconds,
        "state_name": action.state_name,
        "attempt": action.attempt,
        "gen": gen,
        "idempotency_key": idempotency_key,
    }


def parse_event(text: str) -> WorkEvent:
    """An `event` item's payload, as stored."""
    event: WorkEvent = json.loads(text)
    return event


def parse_task(text: str) -> TaskWork:
    """An `invoke` item's payload, as stored."""
    work: TaskWork = json.loads(text)
    return work


def to_event(event: WorkEvent) -> Event:
    """The interpreter's event for a stored one (heartbeat and exec_timeout are the engine's own)."""
    kind = event["e"]
    if kind == "start":
        return Start()
    if kind == "ok":
        return TaskSuccess(event.get("output"))
    if kind == "fail":
        return TaskFailure(event.get("error") or "States.TaskFailed", event.get("cause"))
    if kind == "timer":
        return TimerFired()
    if kind == "redrive":
        return Redrive()
    if kind == "child":
        return ChildDone(event["index"], RunOutcome(**event["outcome"]))
    raise ValueError(f"Unknown work event {kind!r}")
