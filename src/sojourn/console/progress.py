"""What happened to each state of an execution, read from its history (pure: events in, data out).

The graph colours states by status, the side panel shows a state's input, output, error and retries,
and the timeline draws one bar per state. Statuses: RUNNING, SUCCEEDED, FAILED, CAUGHT_ERROR (it
failed and a Catch went on), CANCELLED (stopped, or a sibling branch failed); a state with no entry
was not reached. Task events carry no state name, so they belong to the latest open Task state.
`waiting_for` says what each open state of a running execution waits for, since when and until when
(`sojourn describe`).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sojourn.asl import resources
from sojourn.asl.interpreter import DEFAULT_TASK_TIMEOUT
from sojourn.asl.paths import compile_path
from sojourn.asl.resources import Kind, Pattern

__all__ = [
    "HistoryRow",
    "StateProgress",
    "TimelineBar",
    "Waiting",
    "call_answer",
    "history_rows",
    "lambda_payload",
    "state_progress",
    "timeline",
    "waiting_for",
]

_TASK_PREFIXES = ("Task", "LambdaFunction", "Activity")
_CALL_LIMITS = ("timeoutInSeconds", "heartbeatInSeconds")
_GROUP_FAILED = ("ParallelStateFailed", "MapStateFailed")
_EXECUTION_END = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "FAILED",
    "ExecutionAborted": "CANCELLED",
}


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
    latestEnteredDate: datetime | None = None
    call: dict[str, Any] | None = (
        None  # the latest call's timeouts (from its ...Scheduled event), while it runs
    )
    callDate: datetime | None = None
    worker: str | None = None  # the activity worker that took the latest call (ActivityStarted)
    children: int | None = None  # a Map's iterations (MapStateStarted), over all its entries
    childrenStarted: int = 0
    childrenDone: int = 0
    open: int = 0
    pending_error: bool = False
    failures: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("enteredDate", "exitedDate", "latestEnteredDate", "callDate"):
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
            entry.latestEnteredDate = when
            order.append(name)
        elif kind.endswith("StateExited"):
            entry = states.setdefault(
                details.get("name", ""),
                StateProgress(details.get("name", ""), kind.removesuffix("StateExited")),
            )
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
                task.submitted = task.worker = None
                task.call = {k: details[k] for k in _CALL_LIMITS if k in details}
                task.callDate = when
            elif kind == "ActivityStarted":
                task.worker = details.get("workerName")
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
                _end_inside(
                    states, order, structure.descendants.get(group.name, frozenset()), "CANCELLED", close
                )
        elif kind == "MapStateStarted":
            group = latest(("Map",))
            if group is not None:
                group.children = (group.children or 0) + int(details.get("length", 0))
        elif kind.startswith("MapIteration"):
            group = states.get(details.get("name", ""))
            if group is not None and kind == "MapIterationStarted":
                group.childrenStarted += 1
            elif group is not None:
                group.childrenDone += 1
            if kind == "MapIterationFailed":
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


def _end_inside(
    states: dict[str, StateProgress], order: list[str], inside: frozenset[str], status: str, close: Any
) -> None:
    """A group failed: its failing states failed, the others still open were cancelled."""
    for name in list(order):
        entry = states[name]
        if name in inside:
            close(entry, "FAILED" if entry.pending_error or entry.type == "Fail" else status)


def call_answer(submitted: str | None) -> Any:
    """What a waiting task's call answered (TaskSubmitted's output);
    for a Lambda call, what the function returned.

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


# -- what a running execution waits for ---------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """What one open state of a running execution waits for, since when and until when."""

    state: str
    type: str
    # for people: "a task token (SendTaskSuccess or SendTaskFailure)", "a timer", "its iterations", ...
    what: str
    since: datetime | None
    until: datetime | None = (
        None  # a Task's timeout, a Wait's end (None: none, or not known from the history)
    )
    heartbeatSeconds: int | None = None
    resource: str | None = None
    answer: Any = None  # what a `.waitForTaskToken` call answered (`call_answer`)
    running: int | None = None  # a Map's iterations or a Parallel's branches still running ...
    total: int | None = None  # ... of so many

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        for key in ("since", "until"):
            if key in data:
                data[key] = data[key].isoformat()
        return data


def waiting_for(definition: dict[str, Any], events: list[dict[str, Any]]) -> list[Waiting]:
    """The open states of an execution, from its history, each with what it waits for; outermost first."""
    states = state_progress(definition, events)
    specs = _state_specs(definition.get("States") or {})
    found = []
    for entry in states.values():
        if entry.status == "RUNNING" and entry.open > 0:
            found.append(_waiting(entry, specs.get(entry.name, {}), states))
    return sorted(found, key=lambda w: (w.since is None, w.since or datetime.min))


def _state_specs(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state's definition by name, nested ones too (names are unique across a state machine)."""
    specs: dict[str, dict[str, Any]] = {}
    for name, spec in states.items():
        specs[name] = spec
        for scope in [*(spec.get("Branches") or []), spec.get("ItemProcessor") or spec.get("Iterator") or {}]:
            specs.update(_state_specs(scope.get("States") or {}))
    return specs


def _waiting(entry: StateProgress, spec: dict[str, Any], states: dict[str, StateProgress]) -> Waiting:
    since = entry.latestEnteredDate
    if entry.type == "Task":
        return _waiting_task(entry, spec)
    if entry.type == "Wait":
        return Waiting(entry.name, "Wait", "a timer", since, until=_wait_end(spec, entry.input, since))
    if entry.type == "Map":
        return Waiting(
            entry.name,
            "Map",
            "its iterations",
            since,
            running=entry.childrenStarted - entry.childrenDone,
            total=entry.children,
        )
    if entry.type == "Parallel":
        branches = [set(_state_specs(branch.get("States") or {})) for branch in spec.get("Branches") or []]
        running = sum(1 for names in branches if any(states[n].open > 0 for n in names if n in states))
        return Waiting(entry.name, "Parallel", "its branches", since, running=running, total=len(branches))
    return Waiting(entry.name, entry.type, "its next step", since)


def _waiting_task(entry: StateProgress, spec: dict[str, Any]) -> Waiting:
    resource = str(spec.get("Resource", ""))
    if entry.pending_error:  # failed, and a Retry waits for its backoff
        last = entry.failures[-1] if entry.failures else {}
        return Waiting(
            entry.name, "Task", f"a retry after {entry.error}", last.get("timestamp"), resource=resource
        )
    call, since = entry.call or {}, entry.callDate or entry.latestEnteredDate
    timeout = call.get("timeoutInSeconds")
    until = (
        since + timedelta(seconds=timeout) if since and timeout and timeout < DEFAULT_TASK_TIMEOUT else None
    )
    what = _awaited(resource, entry.worker)
    return Waiting(
        entry.name,
        "Task",
        what,
        since,
        until=until,
        heartbeatSeconds=call.get("heartbeatInSeconds"),
        resource=resource,
        answer=call_answer(entry.submitted),
    )


def _awaited(resource: str, worker: str | None) -> str:
    """What a running Task waits for, for people to read."""
    try:
        task = resources.parse(resource)
    except resources.UnsupportedResource:  # stored before Sojourn refused unknown resources
        return "its call to return"
    if task.waits_for_token:
        return "a task token (SendTaskSuccess or SendTaskFailure)"
    if task.kind is Kind.ACTIVITY:
        return f"activity worker {worker} to finish" if worker else "an activity worker (GetActivityTask)"
    if (task.service, task.action) == ("states", "startExecution") and task.pattern in (
        Pattern.SYNC,
        Pattern.SYNC2,
    ):
        return "the execution it started to end"
    return "its call to return"


def _wait_end(spec: dict[str, Any], state_input: str | None, since: datetime | None) -> datetime | None:
    """When a Wait state ends: its Seconds or Timestamp, or the SecondsPath or TimestampPath of its input
    (None when a JSONata expression or a variable decides, which the history does not show)."""
    with contextlib.suppress(Exception):  # an unreadable value: the history does not say, nor do we
        if isinstance(spec.get("Seconds"), int) and since is not None:
            return since + timedelta(seconds=spec["Seconds"])
        if isinstance(spec.get("Timestamp"), str) and not spec["Timestamp"].startswith("{%"):
            return datetime.fromisoformat(spec["Timestamp"].replace("Z", "+00:00"))
        data = json.loads(state_input or "{}")
        if spec.get("InputPath", "$") is None:
            data = {}
        elif "InputPath" in spec:
            data = compile_path(spec["InputPath"]).get(data)
        if "SecondsPath" in spec and since is not None:
            return since + timedelta(seconds=int(compile_path(spec["SecondsPath"]).get(data)))
        if "TimestampPath" in spec:
            return datetime.fromisoformat(
                str(compile_path(spec["TimestampPath"]).get(data)).replace("Z", "+00:00")
            )
    return None


# -- the history as a table and as a timeline -------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    id: int
    type: str
    timestamp: datetime
    elapsed_ms: int
    summary: str
    details: str  # pretty JSON, "" when the event has none
    tone: str  # "fail", "ok" or ""


def history_rows(events: list[dict[str, Any]], started: datetime) -> list[HistoryRow]:
    """Rows for the history table: elapsed time since the start, a one-line summary, the details."""
    rows = []
    for event in events:
        details = _details(event)
        kind = event["type"]
        summary = " · ".join(
            str(details[key])[:120]
            for key in ("name", "resource", "index", "error", "cause")
            if details.get(key) not in (None, "")
        )
        tone = (
            "fail"
            if kind.endswith(("Failed", "TimedOut", "Aborted"))
            else "ok"
            if kind.endswith("Succeeded")
            else ""
        )
        rows.append(
            HistoryRow(
                id=event["id"],
                type=kind,
                timestamp=event["timestamp"],
                elapsed_ms=int((event["timestamp"] - started).total_seconds() * 1000),
                summary=summary,
                details=_pretty_details(details),
                tone=tone,
            )
        )
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
    left: float  # percent of the execution's span
    width: float  # percent
    duration_ms: int
    entered: int


def timeline(states: dict[str, StateProgress], start: datetime, end: datetime) -> list[TimelineBar]:
    """One bar per state, from its first entry to its last exit (or `end` while it is open)."""
    span = max((end - start).total_seconds(), 0.001)
    bars = []
    for entry in sorted(states.values(), key=lambda e: e.enteredDate or start):
        first = entry.enteredDate or start
        last = entry.exitedDate if entry.status != "RUNNING" and entry.exitedDate else end
        last = max(last, first)
        left = (first - start).total_seconds() / span * 100
        width = (last - first).total_seconds() / span * 100
        bars.append(
            TimelineBar(
                entry.name,
                entry.status,
                round(min(left, 100.0), 2),
                round(max(width, 0.4), 2),
                int((last - first).total_seconds() * 1000),
                entry.entered,
            )
        )
    return bars
