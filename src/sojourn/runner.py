"""`sojourn.run`: execute a definition in memory, with no database.

The same interpreter the durable runtime drives, with tasks answered by Python callables. Wait
states and retry backoffs really wait, as on AWS, unless a clock that skips time is passed:
`run(definition, input, clock=VirtualClock())` runs a week-long workflow in milliseconds.
Parallel branches and Map iterations are interleaved as the runtime would run them.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sojourn import arns
from sojourn.asl.budget import DEFAULT_LIMITS, Limits
from sojourn.asl.driver import Driver, ExecutionEnd
from sojourn.asl.errors import StatesError
from sojourn.asl.frame import Frame
from sojourn.asl.interpreter import (
    HISTORY_LIMIT_CAUSE,
    MAX_HISTORY_EVENTS,
    ChildDone,
    Env,
    Event,
    ExecutionInfo,
    Fail,
    Interpreter,
    InvokeTask,
    NewEvent,
    Start,
    TaskFailure,
    TaskSuccess,
    TimerFired,
    to_json,
)
from sojourn.asl.program import compile_definition
from sojourn.asl.resources import Resource as TaskResource
from sojourn.tokens import new_token

__all__ = ["Clock", "RealClock", "Result", "TaskRequest", "VirtualClock", "run", "takes_request"]

Resource = Callable[..., Any]
_NO_INPUT: Any = object()  # `run(definition)` starts with {} as StartExecution does without input


class Clock(Protocol):
    """Where an in-memory execution gets its time and how it waits for a timer."""

    def now(self) -> datetime: ...

    def sleep_until(self, moment: datetime) -> None: ...


class RealClock:
    """Wall-clock time; waiting sleeps (the default: a Wait state of 10 seconds takes 10 seconds)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)


class VirtualClock:
    """Time that jumps to each timer instead of sleeping;
    starts at `start` (default: now) and only moves forward."""

    def __init__(self, start: datetime | None = None):
        self.current = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def sleep_until(self, moment: datetime) -> None:
        self.current = max(self.current, moment)


@dataclass(frozen=True)
class TaskRequest:
    """What a resource callable may receive when it takes two arguments: the full invocation."""

    resource: str
    parameters: Any
    task_token: str | None
    state_name: str
    attempt: int


@dataclass
class Result:
    """The end of an in-memory execution: status, output or error, and the full history."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.status == "SUCCEEDED":
            out["output"] = self.output
        else:
            out.update(error=self.error, cause=self.cause)
        return out


@dataclass(eq=False)
class _RunRecord:
    """One run of an in-memory execution: its frame and where it sits among its parent's children."""

    frame: Frame
    parent: _RunRecord | None = None
    index: int = 0
    finished: bool = False
    cancelled: bool = False
    children: list[_RunRecord] = field(default_factory=list)


class _InMemory:
    """The driver's host for `sojourn.run`: runs, history and timers in memory, tasks called in line."""

    def __init__(
        self,
        interpreter: Interpreter,
        info: ExecutionInfo,
        resources: Any,
        clock: Clock,
        seed: int | None,
        limits: Limits = DEFAULT_LIMITS,
    ):
        self.driver = Driver(interpreter, info, self)
        self.limits = limits
        self.info = info
        self.resources = resources
        self.clock = clock
        now = self.now = clock.now()
        self.rng = random.Random(seed)
        self.queue: deque[tuple[_RunRecord, Event]] = deque()
        self.timers: list[tuple[datetime, int, _RunRecord, Event]] = []
        self.timer_order = itertools.count()
        self.history: list[dict[str, Any]] = []
        self.result: Result | None = None
        timeout = interpreter.program.timeout_seconds
        self.deadline = now + timedelta(seconds=timeout) if timeout else None

    def add_event(self, type: str, details_key: str | None, details: dict[str, Any] | None) -> None:
        event: dict[str, Any] = {
            "timestamp": self.now,
            "type": type,
            "id": len(self.history) + 1,
            "previousEventId": len(self.history),
        }
        if details_key is not None and details is not None:
            event[details_key] = details
        self.history.append(event)

    def execute(self, input: Any) -> Result:
        self.add_event(
            "ExecutionStarted",
            "executionStartedEventDetails",
            {
                "input": to_json(input),
                "inputDetails": {"truncated": False},
                "roleArn": self.info.role_arn,
                "stateMachineArn": self.info.state_machine_arn,
            },
        )
        self.queue.append((_RunRecord(self.driver.interpreter.start_frame(input)), Start()))
        while self.result is None:
            if len(self.history) >= MAX_HISTORY_EVENTS:
                self.end_execution(ExecutionEnd.of(Fail("States.Runtime", HISTORY_LIMIT_CAUSE)))
            elif self.queue:
                run, event = self.queue.popleft()
                self.now = max(self.now, self.clock.now())
                self.step(run, event)
            elif self.timers:
                due, _, run, event = self.timers[0]
                if self.deadline is not None and due > self.deadline:
                    self.clock.sleep_until(self.deadline)
                    self.now = self.deadline
                    self.end_execution(ExecutionEnd.timed_out())
                    continue
                heapq.heappop(self.timers)
                self.clock.sleep_until(due)
                self.now = max(self.now, due, self.clock.now())
                self.step(run, event)
            else:  # waiting on nothing: a bug in the interpreter or a resource that never answers
                self.end_execution(
                    ExecutionEnd.of(Fail("States.Runtime", "The execution is waiting on nothing"))
                )
        return self.result

    def step(self, run: _RunRecord, event: Event) -> None:
        if not run.finished and not run.cancelled:
            self.driver.apply(run, event)

    # -- the driver's host (sojourn.asl.driver.Host) -------------------------------------------------

    def frame(self, run: _RunRecord) -> Frame:
        return run.frame

    def env(self, run: _RunRecord) -> Env:
        return Env(
            now=self.now,
            new_task_token=new_token,
            rng=self.rng,
            next_event_id=len(self.history) + 1,
            limits=self.limits,
        )

    def record(self, run: _RunRecord, events: list[NewEvent]) -> None:
        for new in events:
            self.add_event(new.type, new.details_key, new.details)

    def invoke(self, run: _RunRecord, task: InvokeTask, frame: Frame) -> None:
        self.queue.append((run, self.answer(task)))

    def sleep(self, run: _RunRecord, until: datetime) -> None:
        heapq.heappush(self.timers, (until, next(self.timer_order), run, TimerFired()))

    def fork(self, run: _RunRecord, children: list[Frame]) -> None:
        run.children = [_RunRecord(child, parent=run, index=index) for index, child in enumerate(children)]

    def start_children(self, run: _RunRecord, indices: list[int]) -> None:
        for index in indices:
            self.queue.append((run.children[index], Start()))

    def cancel_children(self, run: _RunRecord) -> None:
        for child in run.children:
            if not child.finished and not child.cancelled:
                child.cancelled = True
                self.cancel_children(child)

    def end_run(self, run: _RunRecord) -> int | None:
        run.finished = True
        return None if run.parent is None else run.index

    def child_done(self, run: _RunRecord, event: ChildDone) -> None:
        assert run.parent is not None  # end_run said so
        self.queue.append((run.parent, event))

    def end_execution(self, end: ExecutionEnd) -> None:
        self.add_event(end.event.type, end.event.details_key, end.event.details)
        self.result = Result(
            end.status, output=end.output, error=end.error, cause=end.cause, history=self.history
        )

    def save(self, run: _RunRecord, frame: Frame) -> None:
        run.frame = frame

    # -- tasks ---------------------------------------------------------------------------------------

    def answer(self, action: InvokeTask) -> Event:
        function = self.lookup(action.resource)
        if function is None:
            return TaskFailure("States.Runtime", f"No resource is registered for '{action.resource.arn}'")
        request = TaskRequest(
            action.resource.arn, action.parameters, action.task_token, action.state_name, action.attempt
        )
        try:
            output = (
                function(request)
                if getattr(function, "_sojourn_request", False)
                else function(action.parameters)
            )
        except StatesError as e:
            return TaskFailure(e.error, e.cause)
        except Exception as e:  # a Python resource's exception is matched by its class name, as Lambda's are
            return TaskFailure(type(e).__name__, str(e))
        if (
            action.resource.waits_for_token
        ):  # the callable stands for the call and the answer: the call was submitted
            resource_type, name = action.resource.event_names
            self.add_event(
                "TaskSubmitted",
                "taskSubmittedEventDetails",
                {"resourceType": resource_type, "resource": name},
            )
        return TaskSuccess(output)

    def lookup(self, resource: TaskResource) -> Resource | None:
        if callable(self.resources) and not isinstance(self.resources, Mapping):
            return self.resources
        if isinstance(self.resources, Mapping):
            return self.resources.get(resource.arn) or self.resources.get(resource.base)
        return None


def takes_request(function: Resource) -> Resource:
    """Mark a resource callable that wants the whole TaskRequest
    (token, state name) instead of the parameters."""
    function._sojourn_request = True  # type: ignore[attr-defined]
    return function


def run(
    definition: dict[str, Any] | str | Path,
    input: Any = _NO_INPUT,
    *,
    resources: Mapping[str, Resource] | Resource | None = None,
    clock: Clock | None = None,
    name: str | None = None,
    seed: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """Run `definition` on `input` (JSON; `{}` when left out) in memory and return its Result.

    `resources` maps a Task's Resource ARN to a callable taking the task's parameters (or a single
    callable for every resource); a callable marked with `takes_request` gets a TaskRequest.
    `.waitForTaskToken` resources answer by returning the value SendTaskSuccess would carry.
    Waits sleep on the wall clock unless `clock` is given (`VirtualClock()` skips time);
    `name` is the execution's name and `seed` fixes States.MathRandom, States.UUID and jitter.
    `limits` bounds what evaluating expressions may spend (`sojourn.asl.budget.Limits`: AWS's depth
    and memory bounds, and Sojourn's 1 s a step and 60 s a run).

    A definition AWS would refuse at CreateStateMachine never runs: `run` raises `DefinitionError`
    (from `sojourn.asl.loader`), whose `error` is `"InvalidDefinition"`, whose `cause` is AWS's
    message (`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ... at /States/X/Field'`)
    and whose `diagnostics` list every problem. Everything that goes wrong while running is a Result.
    """
    program = compile_definition(definition)
    clock = clock or RealClock()
    start = clock.now()
    name = name or str(uuid.uuid4())
    machine = "in-memory"
    payload = {} if input is _NO_INPUT else input
    info = ExecutionInfo(
        execution_arn=arns.execution_arn(arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, machine, name),
        name=name,
        input=payload,
        start_time=start,
        state_machine_arn=arns.state_machine_arn(arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, machine),
        state_machine_name=machine,
        role_arn=arns.DEFAULT_ROLE_ARN,
    )
    return _InMemory(Interpreter(program), info, resources or {}, clock, seed, limits).execute(payload)
