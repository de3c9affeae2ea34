"""What happened to each state of an execution, read from its history (pure: events in, data out).

The graph colours states by status, the side panel shows a state's input, output, error and retries,
and the timeline draws one bar per state. Statuses: RUNNING, SUCCEEDED, FAILED, CAUGHT_ERROR (it
failed and a Catch went on), CANCELLED (stopped, or a sibling branch failed); a state with no entry
was not reached. Task events carry no state name, so they belong to the latest open Task state.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["HistoryRow", "StateProgress", "TimelineBar", "call_answer", "history_rows", "lambda_payload", "state_progress", "timeline"]

_TASK_PREFIXES = ("Task", "LambdaFunction", "Activity")
_GROUP_FAILED = ("ParallelStateFailed", "MapStateFailed")
_EXECUTION_END = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "FAILED",
                  "ExecutionAborted": "CANCELLED"}


@dataclass
class StateProgress:
    """One state's story so far (over all its entries, e.g. every Map iteration)."""

    name: str
    type: str
    status: str = "RUNNING"
    entered: int = 0
    exited: int = 0
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    attempts: int = 0
    retries: int = 0
    enteredDate: datetime | None = None
    exitedDate: datetime | None = None
    submitted: str | None = None  # what a `.waitForTaskToken` call answered (TaskSubmitted), while it waits
    open: int = 0
    pending_error: bool = False
    failures: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("enteredDate", "exitedDate"):
            data[key] = data[key].isoformat() if data[key] else None
        for failure in data["failures"]:
            failure["timestamp"] = failure["timestamp"].isoformat() if failure.get("timestamp") else None
        data.pop("pending_error")
        return data


@dataclass(frozen=True)
class Structure:
    """What the history does not say: which states each Parallel/Map contains, and where Catches go."""

    descendants: dict[str, frozenset[str]]
    catch_targets: dict[str, frozenset[str]]

    @classmethod
    def of(cls, definition: dict[str, Any]) -> Structure:
        descendants: dict[str, frozenset[str]] = {}
        catch_targets: dict[str, frozenset[str]] = {}

        def walk(states: dict[str, Any]) -> set[str]:
            names: set[str] = set()
            for name, state in states.items():
                names.add(name)
                catch_targets[name] = frozenset(c.get("Next", "") for c in state.get("Catch") or [])
                scopes = list(state.get("Branches") or [])
                processor = state.get("ItemProcessor") or state.get("Iterator")
                if processor:
                    scopes.append(processor)
                inner: set[str] = set()
                for scope in scopes:
                    inner |= walk(scope.get("States") or {})
                if scopes:
                    descendants[name] = frozenset(inner)
                names |= inner
            return names

        walk(definition.get("States") or {})
        return cls(descendants, catch_targets)


def state_progress(definition: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, StateProgress]:
    """Per-state progress from the events of `get_execution_history` (in order)."""
    structure = Structure.of(definition)
    states: dict[str, StateProgress] = {}
    order: list[str] = []  # open states, most recently entered last

    def close(entry: StateProgress, status: str) -> None:
        entry.status = status
        entry.open = 0
        entry.pending_error = False
        while entry.name in order:
            order.remove(entry.name)

    def latest(types: tuple[str, ...]) -> StateProgress | None:
        return next((states[n] for n in reversed(order) if states[n].type in types), None)

    for event in events:
        kind = event["type"]
        details = _details(event)
        when = event.get("timestamp")
        if kind.endswith("StateEntered"):
            name = details.get("name", "")
            for source in list(order):
                entry = states[source]
                if entry.pending_error and name in structure.catch_targets.get(source, ()):
                    close(entry, "CAUGHT_ERROR")
            entry = states.setdefault(name, StateProgress(name, kind.removesuffix("StateEntered")))
            entry.entered += 1
            entry.open += 1
            entry.status = "RUNNING"
            entry.input = details.get("input", entry.input)
            entry.enteredDate = entry.enteredDate or when
            order.append(name)
        elif kind.endswith("StateExited"):
            entry = states.setdefault(details.get("name", ""), StateProgress(details.get("name", ""), kind.removesuffix("StateExited")))
            entry.exited += 1
            entry.output = details.get("output", entry.output)
            entry.exitedDate = when
            entry.open = max(0, entry.open - 1)
            caught = entry.pending_error  # a state exits after its error is caught, before the handler
            entry.pending_error = False
            if details.get("name") in order:
                order.remove(details["name"])
            if entry.open == 0:
                entry.status = "CAUGHT_ERROR" if caught else "SUCCEEDED"
        elif kind.startswith(_TASK_PREFIXES):
            task = latest(("Task",))
            if task is None:
                continue
            if kind.endswith("Scheduled"):
                task.attempts += 1
                task.retries = max(0, task.attempts - task.entered)
                task.submitted = None
            elif kind.endswith("Submitted"):
                task.submitted = details.get("output")
            elif kind.endswith(("Failed", "TimedOut")):
                _record_failure(task, details, when, kind)
            elif kind.endswith("Succeeded"):
                task.pending_error = False
        elif kind in _GROUP_FAILED:
            group = latest(("Parallel",) if kind.startswith("Parallel") else ("Map",))
            if group is not None:
                group.pending_error = True
                _end_inside(states, order, structure.descendants.get(group.name, frozenset()), "CANCELLED", close)
        elif kind == "MapIterationFailed":
            inside = structure.descendants.get(details.get("name", ""), frozenset())
            for name in list(order):
                entry = states[name]
                if name in inside and (entry.pending_error or entry.type == "Fail"):
                    close(entry, "FAILED")
        elif kind in _EXECUTION_END:
            status = _EXECUTION_END[kind]
            for name in list(order):
                entry = states[name]
                if status == "FAILED" and entry.error is None:
                    entry.error, entry.cause = details.get("error"), details.get("cause")
                close(entry, status)
    return states


def _end_inside(states: dict[str, StateProgress], order: list[str], inside: frozenset[str], status: str,
                close: Any) -> None:
    """A group failed: its failing states failed, the others still open were cancelled."""
    for name in list(order):
        entry = states[name]
        if name in inside:
            close(entry, "FAILED" if entry.pending_error or entry.type == "Fail" else status)


def call_answer(submitted: str | None) -> Any:
    """What a waiting task's call answered (TaskSubmitted's output); for a Lambda call, what the function returned.

    The leave app's function returns `{"sent": true, "to": "john@example.com"}`: whom the task waits for.
    """
    if not submitted:
        return None
    try:
        answer = json.loads(submitted)
    except ValueError:
        return submitted
    return lambda_payload(answer)


def lambda_payload(value: Any) -> Any:
    """A Lambda invoke's `Payload` (its parameters, or its response); any other value as it is."""
    if isinstance(value, dict) and "Payload" in value and ("FunctionName" in value or "StatusCode" in value):
        return value["Payload"]
    return value


def _record_failure(entry: StateProgress, details: dict[str, Any], when: Any, kind: str) -> None:
    error = details.get("error") or ("States.Timeout" if kind.endswith("TimedOut") else "")
    entry.error, entry.cause = error, details.get("cause")
    entry.pending_error = True
    entry.failures.append({"error": error, "cause": details.get("cause"), "timestamp": when})
    del entry.failures[:-10]


def _details(event: dict[str, Any]) -> dict[str, Any]:
    """The event's one `...EventDetails` object ({} when it has none)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


# -- the history as a table and as a timeline -------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    id: int
    type: str
    timestamp: datetime
    elapsed_ms: int
    summary: str
    details: str  # pretty JSON, "" when the event has none
    tone: str     # "fail", "ok" or ""


def history_rows(events: list[dict[str, Any]], started: datetime) -> list[HistoryRow]:
    """Rows for the history table: elapsed time since the start, a one-line summary, the details."""
    rows = []
    for event in events:
        details = _details(event)
        kind = event["type"]
        summary = " · ".join(str(details[key])[:120] for key in ("name", "resource", "index", "error", "cause")
                             if details.get(key) not in (None, ""))
        tone = "fail" if kind.endswith(("Failed", "TimedOut", "Aborted")) else "ok" if kind.endswith("Succeeded") else ""
        rows.append(HistoryRow(
            id=event["id"], type=kind, timestamp=event["timestamp"],
            elapsed_ms=int((event["timestamp"] - started).total_seconds() * 1000),
            summary=summary, details=_pretty_details(details), tone=tone,
        ))
    return rows


def _pretty_details(details: dict[str, Any]) -> str:
    if not details:
        return ""
    shown = {}
    for key, value in details.items():
        if key.endswith("Details") and isinstance(value, dict) and value == {"truncated": False}:
            continue
        if key in ("input", "output", "parameters") and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        shown[key] = value
    return json.dumps(shown, indent=2, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class TimelineBar:
    name: str
    status: str
    left: float   # percent of the execution's span
    width: float  # percent
    duration_ms: int
    entered: int


def timeline(states: dict[str, StateProgress], start: datetime, end: datetime) -> list[TimelineBar]:
    """One bar per state, from its first entry to its last exit (or `end` while it is open)."""
    span = max((end - start).total_seconds(), 0.001)
    bars = []
    for entry in sorted(states.values(), key=lambda e: (e.enteredDate or start)):
        first = entry.enteredDate or start
        last = entry.exitedDate if entry.status != "RUNNING" and entry.exitedDate else end
        last = max(last, first)
        left = (first - start).total_seconds() / span * 100
        width = (last - first).total_seconds() / span * 100
        bars.append(TimelineBar(entry.name, entry.status, round(min(left, 100.0), 2), round(max(width, 0.4), 2),
                                int((last - first).total_seconds() * 1000), entry.entered))
    return bars
