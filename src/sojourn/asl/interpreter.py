"""The pure interpreter: advance a run's frame by one event and say what must happen next.

A run is the top-level machine, a Parallel branch or a Map iteration. Its whole state is a JSON
frame the caller stores; `Interpreter.advance(frame, event, info, env)` returns a `Step`: history
events to append, the new frame and one action (invoke a task, sleep, fork children, finish, fail).
States without effects (Pass, Choice, Succeed, Fail, a Wait already due) run through within one call.
No I/O, no clock, no threads: time, task tokens and randomness come from `env`. See docs/design.md §1.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sojourn.asl import budget
from sojourn.asl import errors as E
from sojourn.asl.frame import ForkProgress, Frame
from sojourn.asl.jsonata import unexpected_type
from sojourn.asl.paths import Path, copy_json
from sojourn.asl.program import JSONATA, Catcher, Machine, Program, State
from sojourn.asl.resources import Kind, Resource
from sojourn.asl.template import Dynamic, Payload

__all__ = [
    "Await",
    "ChildDone",
    "Env",
    "ExecutionInfo",
    "Fail",
    "Finish",
    "Fork",
    "Interpreter",
    "InvokeTask",
    "NewEvent",
    "Redrive",
    "RunOutcome",
    "Sleep",
    "Start",
    "Step",
    "TaskFailure",
    "TaskSuccess",
    "TimerFired",
    "format_time",
    "to_json",
]

MAX_PAYLOAD_BYTES = 256 * 1024  # AWS's quota on a state's input and output
MAX_HISTORY_EVENTS = 25000  # AWS's quota on one execution's history
HISTORY_LIMIT_CAUSE = "The execution reached the maximum number of history events (25000)."


def _over_budget(limits: budget.Limits) -> str:
    return (
        f"The run spent more than {limits.run_seconds:g} seconds computing its states "
        "(Sojourn's bound on one run; see sojourn.asl.budget)."
    )


DEFAULT_TASK_TIMEOUT = 99999999


# -- what the caller tells the interpreter -----------------------------------------------------------


@dataclass(frozen=True)
class ExecutionInfo:
    """The execution a run belongs to: the source of `$$.Execution` and `$$.StateMachine`."""

    execution_arn: str
    name: str
    input: Any
    start_time: datetime
    state_machine_arn: str
    state_machine_name: str
    role_arn: str  # the driver's to give: the language knows no defaults (sojourn.arns has them)
    redrive_count: int = 0
    redrive_time: datetime | None = None
    context: dict[str, Any] | None = None  # TestState's `context`: laid over the context object built


@dataclass
class Env:
    """The effects the interpreter may use: the current time, task tokens and randomness."""

    now: datetime
    new_task_token: Callable[[], str]
    rng: random.Random = field(default_factory=random.Random)
    limits: budget.Limits = (
        budget.DEFAULT_LIMITS
    )  # what evaluating expressions may spend (sojourn.asl.budget)
    next_event_id: int = 0  # the id the step's first event will get; 0 when the driver cannot tell
    # seconds after which a step still computing stops with budget.Deferred instead of going on
    # (a driver holding a lock computes it again without one); None: it runs to its limits
    defer_after: float | None = None
    # TestState's inspection data: each stage of the data flow as JSON text (afterInputPath,
    # afterParameters, ...) and the retrier or catcher that handled an error; None outside TestState
    inspect: dict[str, Any] | None = None


@dataclass(frozen=True)
class Start:
    """Begin the run at its StartAt state."""


@dataclass(frozen=True)
class TaskSuccess:
    """The task answered with `output` (its function returned, or SendTaskSuccess)."""

    output: Any


@dataclass(frozen=True)
class TaskFailure:
    """The task failed with `error` (also States.Timeout and States.HeartbeatTimeout, or SendTaskFailure).

    An event in, not the `States.TaskFailed` exception of `sojourn.asl.errors`."""

    error: str
    cause: str | None = None


@dataclass(frozen=True)
class TimerFired:
    """A Sleep's time has come (a Wait state, or a Retry's backoff)."""


@dataclass(frozen=True)
class Redrive:
    """Run the state the run stopped at again, with its input (RedriveExecution)."""


@dataclass(frozen=True)
class RunOutcome:
    """How a child run ended."""

    succeeded: bool
    output: Any = None
    error: str | None = None
    cause: str | None = None
    spent: float = 0.0  # seconds the child computed: its parent's budget counts them (sojourn.asl.budget)

    @staticmethod
    def of(action: Finish | Fail, frame: Frame) -> RunOutcome:
        """How a run that ended with `action` (its last frame `frame`) ended, for its parent."""
        spent = frame.get("spent", 0.0)
        if isinstance(action, Finish):
            return RunOutcome(True, output=action.output, spent=spent)
        return RunOutcome(False, error=action.error, cause=action.cause, spent=spent)


@dataclass(frozen=True)
class ChildDone:
    index: int
    outcome: RunOutcome


# -- what the interpreter tells the caller -----------------------------------------------------------


@dataclass(frozen=True)
class NewEvent:
    """A history event without id, previous id and timestamp (the driver assigns those)."""

    type: str
    details_key: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True)
class InvokeTask:
    resource: Resource
    parameters: Any
    task_token: str | None
    timeout_seconds: int
    heartbeat_seconds: int | None
    credentials: Any
    state_name: str
    attempt: int


@dataclass(frozen=True)
class Sleep:
    until: datetime


@dataclass(frozen=True)
class Fork:
    children: list[Frame]
    start: list[int]


@dataclass(frozen=True)
class Await:
    """Keep waiting for children; start the listed ones first (Map's MaxConcurrency)."""

    start: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Finish:
    output: Any


@dataclass(frozen=True)
class Fail:
    error: str | None
    cause: str | None = None


Action = InvokeTask | Sleep | Fork | Await | Finish | Fail
Event = Start | TaskSuccess | TaskFailure | TimerFired | ChildDone | Redrive


@dataclass
class Step:
    events: list[NewEvent]
    frame: Frame
    action: Action
    cancel_children: bool = False


# -- helpers ---------------------------------------------------------------------------------------


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def to_json(value: Any) -> str:
    """Compact JSON as AWS writes payloads into history and API responses."""
    return _encode(value)


@functools.lru_cache(maxsize=64)
def format_time(moment: datetime) -> str:
    """ISO 8601 with milliseconds and `Z`, as `$$.Execution.StartTime` reads on AWS."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime; ValueError when it is not one."""
    if not isinstance(text, str) or "T" not in text:
        raise ValueError(f"'{text}' is not an RFC 3339 timestamp")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"'{text}' has no time zone")
    return moment


def _plain_text(value: Any) -> str:
    """A value as AWS quotes it in a cause: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else to_json(value)


def _instant(stamp: Any, failure: E.StatesError) -> datetime:
    """`stamp` parsed as a timestamp, or `failure` raised."""
    try:
        return parse_time(stamp)
    except (TypeError, ValueError):
        raise failure from None


def _resource(state: State) -> Resource:
    """A Task state's resource; the compiler parsed it, and only Task states are asked."""
    assert state.resource is not None
    return state.resource


def _place_result(raw: Any, value: Any, discard: bool, path: Any) -> Any:
    """ResultPath: `null` keeps the input, a path places the value in a copy of it, none replaces it."""
    if discard:
        return raw
    return path.set(raw, value) if path is not None else value


def _too_large(name: str | None) -> str:
    return (
        f"The state/task '{name}' returned a result with a size exceeding "
        "the maximum number of bytes service limit."
    )


def _to_int(value: Any) -> Any:
    """int(value) when Python can make one (`"3"`, `2.5`), else the value unchanged,
    as AWS parses a `...Path` field."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _laid_over(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given`'s members over `base`'s, objects merged member by member."""
    merged = dict(base)
    for key, value in given.items():
        below = merged.get(key)
        merged[key] = (
            _laid_over(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
        )
    return merged


def _matches(errors: tuple[str, ...], error: str) -> bool:
    """Retry/Catch matching (spec "Errors"): names, States.ALL, and States.TaskFailed's wildcard."""
    if error in errors:
        return True
    if error in E.UNCATCHABLE_BY_ALL:
        return False
    if "States.ALL" in errors:
        return True
    return "States.TaskFailed" in errors and error not in ("States.Timeout", "States.HeartbeatTimeout")


class _Finished(Exception):
    """Internal: the run ended with this action."""

    def __init__(self, action: Action):
        self.action = action


# -- the interpreter -------------------------------------------------------------------------------


class Interpreter:
    """Advances frames of one Program. Stateless between calls; safe to share across threads."""

    def __init__(self, program: Program):
        self.program = program

    def start_frame(self, input: Any) -> Frame:
        """The frame of a new top-level run."""
        return {"m": "", "state": None, "input": input, "vars": {}}

    def advance(self, frame: Frame, event: Event, info: ExecutionInfo, env: Env) -> Step:
        """Apply `event` to `frame` (updated in place and returned as `step.frame`: the caller hands it over).

        Never raises: an internal bug fails the run with States.Runtime. The one exception is
        `budget.Deferred`, when the step ran past `env.defer_after`: the frame is then to be thrown away.
        """
        run = _Run(self.program, frame, info, env)
        limits = env.limits
        spent = frame.get("spent", 0.0)
        try:
            if spent >= limits.run_seconds:
                raise _Finished(Fail("States.Runtime", _over_budget(limits)))
            seconds = min(limits.step_seconds, limits.run_seconds - spent)
            with budget.spend(limits, seconds, defer_after=env.defer_after) as step:
                try:
                    action = run.handle(event)
                finally:
                    run.frame["spent"] = round(run.frame.get("spent", 0.0) + step.spent(), 6)
        except _Finished as done:
            action = done.action
        except E.StatesError as e:  # a failure outside any state's error handling
            action = Fail(e.error, e.cause)
        except Exception as e:
            action = Fail("States.Runtime", f"Internal error in state '{run.frame.get('state')}': {e!r}")
        if isinstance(action, (Finish, Fail)):
            run.frame["done"] = True
        return Step(run.events, run.frame, action, run.cancel)


class _Run:
    """One `advance` call's working state."""

    def __init__(self, program: Program, frame: Frame, info: ExecutionInfo, env: Env):
        self.program = program
        self.frame = frame
        self.info = info
        self.env = env
        self.events: list[NewEvent] = []
        self.cancel = False
        self.machine: Machine = program.machines[frame["m"]]
        self.token: str | None = None
        self._context: tuple[Any, dict[str, Any]] | None = None

    # -- dispatch --------------------------------------------------------------------------------

    def handle(self, event: Event) -> Action:
        frame = self.frame
        if isinstance(event, Redrive):
            stopped_at = frame.get("state")
            if stopped_at is None:
                return self.enter(self.machine.start_at, frame["input"])
            frame.pop("done", None)
            return self.enter(stopped_at, frame["input"])
        if frame.get("done"):
            return Await()
        if isinstance(event, Start):
            if frame["state"] is not None:
                return Await()
            return self.enter(self.machine.start_at, frame["input"])
        state = self.machine.states[cast(str, frame["state"])]  # started: a state is current
        phase = frame.get("phase")
        try:
            if isinstance(event, TaskSuccess) and phase == "task":
                if len(to_json(event.output).encode()) > MAX_PAYLOAD_BYTES:
                    task = _resource(state)
                    named = task.event_names[0] if task.kind is Kind.SERVICE else task.arn
                    too_large = TaskFailure("States.DataLimitExceeded", _too_large(named))
                    self.emit_task_end(state, None, too_large)
                    raise E.DataLimitExceeded(cause=too_large.cause)
                self.emit_task_end(state, event.output, None)
                return self.complete(state, event.output)
            if isinstance(event, TaskFailure) and phase == "task":
                self.emit_task_end(state, None, event)
                raise E.StatesError(event.error, event.cause)
            if isinstance(event, TimerFired) and phase == "wait":
                return self.go(self.leave_wait(state))
            if isinstance(event, TimerFired) and phase == "retry":
                return self.work(state)
            if isinstance(event, ChildDone) and phase == "fork":
                return self.child_done(state, event)
        except E.StatesError as e:
            return self.recover(state, e)
        return Await()  # a late or duplicate event: nothing to do

    # -- entering and leaving states ---------------------------------------------------------------

    def enter(self, name: str, input: Any) -> Action:
        """Enter `name` with `input` and run until an effect or the end of the run."""
        while True:
            state = self.machine.states[name]
            frame = self.frame
            frame.update(
                {
                    "state": name,
                    "input": input,
                    "entered": format_time(self.env.now),
                    "retries": {},
                    "retry_count": 0,
                }
            )
            frame.pop("phase", None)
            frame.pop("fork", None)
            self.event(
                f"{state.type}StateEntered",
                "stateEnteredEventDetails",
                {
                    "name": name,
                    "input": to_json(input),
                    "inputDetails": {"truncated": False},
                },
            )
            try:
                outcome = self.run_state(state)
            except E.StatesError as e:
                outcome = self.recover(state, e)
            if isinstance(outcome, tuple):  # ("next", name, input): keep running inline
                _, name, input = outcome
                continue
            return outcome

    def go(self, outcome: Action | tuple[str, str, Any]) -> Action:
        """Follow a ("next", state, input) transition, or pass an action through."""
        if isinstance(outcome, tuple):
            return self.enter(outcome[1], outcome[2])
        return outcome

    def run_state(self, state: State) -> Action | tuple[str, str, Any]:
        kind = state.type
        if kind == "Pass":
            return self.pass_state(state)
        if kind == "Choice":
            return self.choice_state(state)
        if kind == "Succeed":
            return self.leave(state, self.effective_input(state), plain=True, final=True)
        if kind == "Fail":
            return self.fail_state(state)
        if kind == "Wait":
            return self.wait_state(state)
        return self.work(state)  # Task, Parallel, Map

    def leave(
        self,
        state: State,
        value: Any,
        *,
        plain: bool = False,
        final: bool = False,
        next: str | None = None,
        assigned: dict[str, Any] | None = None,
    ) -> Action | tuple[str, str, Any]:
        """Exit `state` with its output (after OutputPath when `plain`), then go on or finish."""
        output = self.output_path(state, value) if plain else value
        text = to_json(output)
        if (
            len(text.encode()) > MAX_PAYLOAD_BYTES
        ):  # terminal: no Catch applies (AWS snapshot test_start_large_input)
            raise _Finished(Fail("States.DataLimitExceeded", _too_large(state.name)))
        details: dict[str, Any] = {"name": state.name, "output": text, "outputDetails": {"truncated": False}}
        if assigned:
            self.frame["vars"].update(assigned)
            details["assignedVariables"] = {key: to_json(val) for key, val in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
        self.event(f"{state.type}StateExited", "stateExitedEventDetails", details)
        if next is not None and not final:  # a catcher's Next: also from a state that ends the run
            return ("next", next, output)
        if final or state.end or state.next is None:
            raise _Finished(Finish(output))
        return ("next", state.next, output)

    # -- data flow ------------------------------------------------------------------------------------

    def context(self, state: State, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The context object (`$$`) as the state sees it now; built once per state entry and retry."""
        key = (state.name, self.frame.get("entered"), self.frame.get("retry_count", 0), self.token)
        if extra is None and self._context is not None and self._context[0] == key:
            return self._context[1]
        ctx = self._build_context(state, extra)
        if extra is None:
            self._context = (key, ctx)
        return ctx

    def _build_context(self, state: State, extra: dict[str, Any] | None) -> dict[str, Any]:
        info = self.info
        execution: dict[str, Any] = {
            "Id": info.execution_arn,
            "Input": info.input,
            "StartTime": format_time(info.start_time),
            "Name": info.name,
            "RoleArn": info.role_arn,
            "RedriveCount": info.redrive_count,
        }
        if info.redrive_time is not None:
            execution["RedriveTime"] = format_time(info.redrive_time)
        # AWS's key order, which shows wherever the context object is printed into a cause.
        ctx: dict[str, Any] = {
            "Execution": execution,
            "StateMachine": {"Id": info.state_machine_arn, "Name": info.state_machine_name},
            "State": {"Name": state.name, "EnteredTime": self.frame.get("entered")},
        }
        if state.type in ("Task", "Parallel", "Map"):  # only states that can retry count their retries
            ctx["State"]["RetryCount"] = self.frame.get("retry_count", 0)
        if self.token is not None:
            ctx["Task"] = {"Token": self.token}
        if extra:
            ctx.update(extra)
        if info.context:
            ctx = _laid_over(ctx, info.context)
        return ctx

    @property
    def vars(self) -> dict[str, Any]:
        return self.frame["vars"]

    def states_binding(self, state: State, **more: Any) -> dict[str, Any]:
        binding = {"input": self.frame["input"], "context": self.context(state)}
        binding.update(more)
        return binding

    def effective_input(self, state: State) -> Any:
        raw = self.frame["input"]
        if state.language == JSONATA:
            return raw
        if state.discard_input:
            effective: Any = {}
        elif state.input_path is not None:
            effective = state.input_path.sample(raw, self.context(state), self.vars)
        else:
            effective = raw
        self.inspected("afterInputPath", effective)
        return effective

    def inspected(self, stage: str, value: Any) -> None:
        """Note a stage of the data flow for TestState's inspection data (nothing outside TestState)."""
        if self.env.inspect is not None:
            self.env.inspect[stage] = to_json(value)

    def output_path(self, state: State, value: Any) -> Any:
        if state.language == JSONATA:
            if state.output is not None:
                return state.output.evaluate(self.states_binding(state), self.vars, rng=self.env.rng)
            return value
        if state.discard_output:
            return {}
        if state.output_path is not None:
            return state.output_path.sample(value, self.context(state), self.vars)
        return value

    def evaluate(self, value: Any, state: State, data: Any, **binding: Any) -> Any:
        """A compiled value in either language: a Payload/Path on `data`, a JSONata value on `$states`."""
        if value is None:
            return None
        if isinstance(value, (Payload, Dynamic)):
            return value.evaluate(data, self.context(state), self.vars, rng=self.env.rng)
        if isinstance(value, Path):
            return value.get(data, self.context(state), self.vars)
        if hasattr(value, "evaluate"):
            return value.evaluate(self.states_binding(state, **binding), self.vars, rng=self.env.rng)
        return value

    def assignments(self, state: State, assign: Any, data: Any, **binding: Any) -> dict[str, Any] | None:
        """Evaluate an Assign block against the values before assignment (all at once, as AWS does)."""
        if assign is None:
            return None
        values = self.evaluate(assign, state, data, **binding)
        if not isinstance(values, dict):
            raise E.QueryEvaluationError(cause=f"The Assign field of state '{state.name}' must be an object")
        return values

    def number(
        self, state: State, value: Any, field_name: str, minimum: int = 1, sampled: bool = False
    ) -> int | None:
        """A whole-number field; `sampled` paths (TimeoutSecondsPath, HeartbeatSecondsPath)
        fail in Jayway's words."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            result: Any = value
        elif sampled and isinstance(value, Path):
            result = value.sample(self.effective_input(state), self.context(state), self.vars)
        else:
            result = self.evaluate(value, state, self.effective_input(state))
        if isinstance(result, bool) or not isinstance(result, (int, float)) or result != int(result):
            raise E.StatesRuntime(
                cause=f"The value of {field_name} in state '{state.name}' must be an integer, "
                f"not {to_json(result)}"
            )
        if result < minimum:
            raise E.StatesRuntime(
                cause=f"The value of {field_name} in state '{state.name}' must be at least {minimum}"
            )
        return int(result)

    def shape_result(self, state: State, result: Any) -> tuple[Any, dict[str, Any] | None]:
        """ResultSelector, ResultPath and Assign (JSONPath) or Output and Assign (JSONata) for a result."""
        raw = self.frame["input"]
        if state.language == JSONATA:
            assigned = self.assignments(state, state.assign, raw, result=result)
            if state.output is not None:
                output = state.output.evaluate(
                    self.states_binding(state, result=result), self.vars, rng=self.env.rng
                )
            else:
                output = result
            return output, assigned
        if state.result_selector is not None:
            result = state.result_selector.evaluate(result, self.context(state), self.vars, rng=self.env.rng)
            self.inspected("afterResultSelector", result)
        assigned = self.assignments(state, state.assign, result)
        combined = _place_result(raw, result, state.discard_result, state.result_path)
        self.inspected("afterResultPath", combined)
        return self.output_path(state, combined), assigned

    # -- simple states -------------------------------------------------------------------------------

    def pass_state(self, state: State) -> Action | tuple[str, str, Any]:
        if state.language == JSONATA:
            raw = self.frame["input"]
            assigned = self.assignments(state, state.assign, raw)
            output = self.output_path(state, raw)
            return self.leave(state, output, assigned=assigned)
        effective = self.effective_input(state)
        if state.has_result:
            result = copy_json(state.result)
        elif state.parameters is not None:
            result = state.parameters.evaluate(effective, self.context(state), self.vars, rng=self.env.rng)
            self.inspected("afterParameters", result)
        else:
            result = effective
        output, assigned = self.shape_result(state, result)
        return self.leave(state, output, assigned=assigned)

    def choice_state(self, state: State) -> Action | tuple[str, str, Any]:
        data = self.effective_input(state)
        ctx = self.context(state)
        for choice in state.choices:
            if choice.rule.matches(data, ctx, self.vars):
                assigned = self.assignments(state, choice.assign, data)
                if state.language == JSONATA and choice.output is not None:
                    output = choice.output.evaluate(self.states_binding(state), self.vars, rng=self.env.rng)
                    return self.leave(state, output, next=choice.next, assigned=assigned)
                return self.leave(state, data, plain=True, next=choice.next, assigned=assigned)
        if state.default is None:
            raise E.NoChoiceMatched(cause=f"No Matches! (state '{state.name}')")
        assigned = self.assignments(state, state.assign, data)
        return self.leave(state, data, plain=True, next=state.default, assigned=assigned)

    def fail_state(self, state: State) -> Action:
        raw = self.frame["input"]
        error = self.evaluate(state.error, state, raw)
        cause = self.evaluate(state.cause, state, raw)
        for name, value in (("Error", error), ("Cause", cause)):
            if value is not None and not isinstance(value, str):
                raise E.StatesRuntime(cause=f"The {name} of Fail state '{state.name}' must be a string")
        raise _Finished(Fail(error, cause))

    def wait_state(self, state: State) -> Action | tuple[str, str, Any]:
        now = self.env.now
        if isinstance(state.wait_seconds, Path):
            until = now + timedelta(seconds=self.seconds_path(state, state.wait_seconds))
        elif state.wait_seconds is not None:
            seconds = self.number(state, state.wait_seconds, "Seconds", minimum=0) or 0
            until = now + timedelta(seconds=seconds)
        else:
            until = self.wait_until(state)
        if until <= now:
            return self.leave_wait(state)
        self.frame["phase"] = "wait"
        return Sleep(until)

    def leave_wait(self, state: State) -> Action | tuple[str, str, Any]:
        effective = self.effective_input(state)
        return self.leave(
            state, effective, plain=True, assigned=self.assignments(state, state.assign, effective)
        )

    def seconds_path(self, state: State, path: Path) -> int:
        """SecondsPath's value, with AWS's causes for a missing, non-integer or negative one."""
        try:
            seconds = path.get(self.effective_input(state), self.context(state), self.vars)
        except E.StatesRuntime:
            raise E.StatesRuntime(
                cause=f"The SecondsPath parameter does not reference an input value: {path.text}"
            ) from None
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            raise E.StatesRuntime(
                cause="The SecondsPath parameter cannot be parsed as a long value: "
                f"{path.text} == {_plain_text(seconds)}"
            )
        if seconds < 0:
            raise E.StatesRuntime(
                cause=f"The SecondsPath parameter references a negative value: {path.text} == {seconds}"
            )
        return seconds

    def field_path(self, state: State, path: Path, field: str, data: Any) -> Any:
        """The value `path` selects for `field` (a *Path field);
        States.Runtime in AWS's words when it selects nothing."""
        try:
            return path.get(data, self.context(state), self.vars)
        except E.StatesRuntime:
            raise E.StatesRuntime(
                cause=f"The JSONPath '{path.text}' specified for the field '{field}' "
                f"could not be found in the input '{to_json(data)}'"
            ) from None

    def wait_until(self, state: State) -> datetime:
        """Timestamp/TimestampPath (or a JSONata Timestamp) as an instant."""
        source = state.wait_timestamp
        data = self.effective_input(state)
        if isinstance(source, Path):
            stamp = self.field_path(state, source, "TimestampPath", data)
            return _instant(
                stamp,
                E.StatesRuntime(
                    cause="The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                    f"date-time format string: {source.text} == {_plain_text(stamp)}"
                ),
            )
        stamp = self.evaluate(source, state, data)
        return _instant(
            stamp,
            E.QueryEvaluationError(
                cause="The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
                f"format string: {_plain_text(stamp)}"
            ),
        )

    # -- Task, Parallel, Map ---------------------------------------------------------------------

    def work(self, state: State) -> Action:
        if state.type == "Task":
            return self.invoke(state)
        return self.fork(state)

    def invoke(self, state: State) -> Action:
        resource = _resource(state)
        attempt = self.frame.get("retry_count", 0)
        if resource.needs_token:
            self.token = self.env.new_task_token()
        effective = self.effective_input(state)
        if state.language == JSONATA:
            parameters = (
                self.evaluate(state.arguments, state, effective) if state.arguments is not None else effective
            )
            self.inspected("afterArguments", parameters)
        elif state.parameters is not None:
            parameters = state.parameters.evaluate(
                effective, self.context(state), self.vars, rng=self.env.rng
            )
            self.inspected("afterParameters", parameters)
        else:
            parameters = effective
        timeout = self.number(state, state.timeout, "TimeoutSeconds", sampled=True) or DEFAULT_TASK_TIMEOUT
        heartbeat = self.number(state, state.heartbeat, "HeartbeatSeconds", sampled=True)
        if heartbeat is not None and heartbeat >= timeout and state.timeout is not None:
            raise E.StatesRuntime(
                cause=f"HeartbeatSeconds must be smaller than TimeoutSeconds in state '{state.name}'"
            )
        credentials = (
            self.evaluate(state.credentials, state, effective) if state.credentials is not None else None
        )
        if resource.kind is Kind.FUNCTION:
            self.event(
                "LambdaFunctionScheduled",
                "lambdaFunctionScheduledEventDetails",
                {
                    "resource": resource.arn,
                    "input": to_json(parameters),
                    "inputDetails": {"truncated": False},
                    "timeoutInSeconds": timeout,
                },
            )
            self.event("LambdaFunctionStarted", None, None)
        elif resource.kind is Kind.ACTIVITY:
            details: dict[str, Any] = {
                "resource": resource.arn,
                "input": to_json(parameters),
                "inputDetails": {"truncated": False},
                "timeoutInSeconds": timeout,
            }
            if heartbeat is not None:
                details["heartbeatInSeconds"] = heartbeat
            self.event("ActivityScheduled", "activityScheduledEventDetails", details)
        else:
            resource_type, name = resource.event_names
            details = {
                "resourceType": resource_type,
                "resource": name,
                "region": self._region(),
                "parameters": to_json(parameters),
                "timeoutInSeconds": timeout,
            }
            if heartbeat is not None:
                details["heartbeatInSeconds"] = heartbeat
            self.event("TaskScheduled", "taskScheduledEventDetails", details)
            self.event(
                "TaskStarted", "taskStartedEventDetails", {"resourceType": resource_type, "resource": name}
            )
        self.frame["phase"] = "task"
        return InvokeTask(
            resource=resource,
            parameters=parameters,
            task_token=self.token,
            timeout_seconds=timeout,
            heartbeat_seconds=heartbeat,
            credentials=credentials,
            state_name=state.name,
            attempt=attempt,
        )

    def _region(self) -> str:
        parts = self.info.state_machine_arn.split(":")
        return parts[3] if len(parts) > 3 else ""

    def emit_task_end(self, state: State, output: Any, failure: TaskFailure | None) -> None:
        resource = _resource(state)
        timed_out = failure is not None and failure.error in ("States.Timeout", "States.HeartbeatTimeout")
        outcome = "TimedOut" if timed_out else "Failed" if failure is not None else "Succeeded"
        prefix = {Kind.FUNCTION: "LambdaFunction", Kind.ACTIVITY: "Activity"}.get(resource.kind, "Task")
        key = prefix[0].lower() + prefix[1:] + outcome + "EventDetails"
        details: dict[str, Any] = {}
        if resource.kind is Kind.SERVICE:
            details["resourceType"], details["resource"] = resource.event_names
        if failure is None:
            details.update(output=to_json(output), outputDetails={"truncated": False})
        else:
            details["error"] = failure.error
            if failure.cause is not None:
                details["cause"] = failure.cause
        self.event(prefix + outcome, key, details)

    def complete(self, state: State, result: Any) -> Action:
        output, assigned = self.shape_result(state, result)
        return self.go(self.leave(state, output, assigned=assigned))

    def fork(self, state: State) -> Action:
        effective = self.effective_input(state)
        inherited = copy_json(self.vars)
        if state.type == "Parallel":
            if state.language == JSONATA:
                branch_input = (
                    self.evaluate(state.arguments, state, effective)
                    if state.arguments is not None
                    else effective
                )
            elif state.parameters is not None:
                branch_input = state.parameters.evaluate(
                    effective, self.context(state), self.vars, rng=self.env.rng
                )
            else:
                branch_input = effective
            children: list[Frame] = [
                {
                    "m": branch.key,
                    "state": None,
                    "input": copy_json(branch_input),
                    "vars": copy_json(inherited),
                }
                for branch in state.branches
            ]
            self.event("ParallelStateStarted", None, None)
            self.frame["phase"] = "fork"
            self.frame["fork"] = {"n": len(children), "next": len(children), "out": {}, "failed": 0, "max": 0}
            return Fork(children, list(range(len(children))))
        inputs = self.map_inputs(state, effective)
        if self.history_size() + 1 + 2 * len(inputs) > MAX_HISTORY_EVENTS:
            # Every iteration records at least its start and its end: a Map whose iterations cannot fit
            # fails now, before its runs are made, where AWS fails once the history is full.
            raise _Finished(Fail("States.Runtime", HISTORY_LIMIT_CAUSE))
        key = state.processor.key if state.processor else ""
        children = [{"m": key, "state": None, "input": item, "vars": copy_json(inherited)} for item in inputs]
        limit = self.map_limit(state, state.max_concurrency, "MaxConcurrency", effective) or 0
        tolerated_count = self.map_limit(state, state.tolerated_count, "ToleratedFailureCount", effective)
        tolerated_percentage = self.map_limit(
            state, state.tolerated_percentage, "ToleratedFailurePercentage", effective
        )
        first = len(children) if limit == 0 else min(limit, len(children))
        self.event("MapStateStarted", "mapStateStartedEventDetails", {"length": len(children)})
        self.frame["phase"] = "fork"
        self.frame["fork"] = {
            "n": len(children),
            "next": first,
            "out": {},
            "failed": 0,
            "max": limit,
            "tc": tolerated_count,
            "tp": tolerated_percentage,
        }
        if not children:
            return self.fork_succeeded(state)
        for index in range(first):
            self.event(
                "MapIterationStarted", "mapIterationStartedEventDetails", {"name": state.name, "index": index}
            )
        return Fork(children, list(range(first)))

    def map_inputs(self, state: State, effective: Any) -> list[Any]:
        if state.language == JSONATA:
            items = self.evaluate(state.items, state, effective) if state.items is not None else effective
            if not isinstance(items, list):
                expression = getattr(getattr(state.items, "tree", None), "text", None)
                raise E.QueryEvaluationError(cause=unexpected_type(expression, "Items", "array", items))
        else:
            items = (
                state.items.get(effective, self.context(state), self.vars)
                if state.items is not None
                else effective
            )
            if not isinstance(items, list):
                raise E.StatesRuntime(
                    cause=f"The ItemsPath of Map state '{state.name}' must select an array, "
                    f"not {to_json(items)}"
                )
        if state.batcher is not None:
            return self.batches(state, items, effective)
        if state.item_selector is None:
            return [copy_json(item) for item in items]
        inputs = []
        for index, item in enumerate(items):
            extra = {"Map": {"Item": {"Index": index, "Value": item}}}
            if isinstance(state.item_selector, Payload):
                inputs.append(
                    state.item_selector.evaluate(
                        effective, self.context(state, extra), self.vars, rng=self.env.rng
                    )
                )
            else:
                binding = {"input": self.frame["input"], "context": self.context(state, extra)}
                inputs.append(state.item_selector.evaluate(binding, self.vars, rng=self.env.rng))
        return inputs

    def batches(self, state: State, items: list[Any], effective: Any) -> list[Any]:
        batcher = state.batcher or {}
        most = self.number(state, batcher.get("MaxItemsPerBatch"), "MaxItemsPerBatch") or len(items) or 1
        max_bytes = (
            self.number(state, batcher.get("MaxInputBytesPerBatch"), "MaxInputBytesPerBatch")
            or MAX_PAYLOAD_BYTES
        )
        batch_input = batcher.get("BatchInput")
        extra = self.evaluate(batch_input, state, effective) if batch_input is not None else None
        batches: list[Any] = []
        current: list[Any] = []
        size = 0
        for item in items:
            item_size = len(to_json(item).encode())
            if current and (len(current) >= most or size + item_size > max_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item_size
        if current:
            batches.append(current)
        return [{"Items": batch, **({"BatchInput": extra} if extra is not None else {})} for batch in batches]

    def child_done(self, state: State, event: ChildDone) -> Action:
        fork = self.frame["fork"]
        key = str(event.index)
        if key in fork["out"]:
            return Await()
        outcome = event.outcome
        self.frame["spent"] = self.frame.get("spent", 0.0) + outcome.spent
        is_map = state.type == "Map"
        if outcome.succeeded:
            fork["out"][key] = outcome.output
            if is_map:
                self.event(
                    "MapIterationSucceeded",
                    "mapIterationSucceededEventDetails",
                    {"name": state.name, "index": event.index},
                )
        else:
            fork["out"][key] = {
                "Error": outcome.error,
                **({"Cause": outcome.cause} if outcome.cause is not None else {}),
            }
            fork["failed"] += 1
            if is_map:
                self.event(
                    "MapIterationFailed",
                    "mapIterationFailedEventDetails",
                    {"name": state.name, "index": event.index},
                )
            if not self.tolerated(state, fork):
                self.cancel = True
                self.frame["fork_failed"] = True  # recover() records the state's failure unless it retries
                if is_map and (state.tolerated_count is not None or state.tolerated_percentage is not None):
                    raise E.ExceedToleratedFailureThreshold(
                        cause="The specified tolerated failure threshold was exceeded"
                    )
                # A child that failed without an error name (a bare Fail state) fails this state the same way.
                raise E.StatesError(outcome.error or "", outcome.cause)
        if len(fork["out"]) == fork["n"]:
            return self.fork_succeeded(state)
        if is_map and fork["next"] < fork["n"]:
            index = fork["next"]
            fork["next"] += 1
            self.event(
                "MapIterationStarted", "mapIterationStartedEventDetails", {"name": state.name, "index": index}
            )
            return Await([index])
        return Await()

    def tolerated(self, state: State, fork: ForkProgress) -> bool:
        count, percentage = fork.get("tc"), fork.get("tp")
        if state.type != "Map" or (count is None and percentage is None):
            return False
        if count is not None and fork["failed"] > count:
            return False
        return not (percentage is not None and fork["n"] and fork["failed"] * 100.0 / fork["n"] > percentage)

    def map_limit(self, state: State, value: Any, field: str, effective: Any) -> Any:
        """MaxConcurrency or a ToleratedFailure* value, with AWS's causes for a bad `...Path` value."""
        if value is None:
            return None
        if not isinstance(value, Path):
            if field == "ToleratedFailurePercentage":
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return float(value)
                value = self.evaluate(value, state, effective)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                    raise E.StatesRuntime(cause="ToleratedFailurePercentage must be between 0 and 100.")
                return float(value)
            return self.number(state, value, field, minimum=0)
        found = self.field_path(state, value, f"{field}Path", effective)
        shown = found if isinstance(found, str) else to_json(found)
        number: Any = found
        if field == "ToleratedFailurePercentage":
            if isinstance(number, str):
                number = _to_int(number)
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise E.StatesRuntime(
                    cause=f'The {field}Path field refers to value "{shown}" which is not a valid float: '
                    f"{value.text}"
                )
            if not 0 <= number <= 100:
                raise E.StatesRuntime(cause="ToleratedFailurePercentage must be between 0 and 100.")
            return float(number)
        if isinstance(number, str) or (field == "MaxConcurrency" and isinstance(number, float)):
            number = _to_int(number)
        if isinstance(number, bool) or not isinstance(number, int):
            raise E.StatesRuntime(
                cause=f'The {field}Path field refers to value "{shown}" which is not a valid integer: '
                f"{value.text}"
            )
        if number < 0:
            raise E.StatesRuntime(
                cause="ToleratedFailureCount cannot be negative."
                if field == "ToleratedFailureCount"
                else f"Expected non-negative integer for MaxConcurrency, got '{number}' instead."
            )
        return number

    def fork_succeeded(self, state: State) -> Action:
        fork = self.frame["fork"]
        results = [fork["out"][str(i)] for i in range(fork["n"])]
        self.event(f"{state.type}StateSucceeded", None, None)
        return self.complete(state, results)

    # -- errors -------------------------------------------------------------------------------------

    def recover(self, state: State, failure: E.StatesError) -> Action:
        """Retry, Catch, or fail the run (spec: "Error Handling")."""
        error, cause = failure.error, failure.cause
        fork_failed = self.frame.pop("fork_failed", False)
        retry = None if error == "States.Runtime" else self.retry(state, error)
        if fork_failed and retry is None:
            self.event(f"{state.type}StateFailed", None, None)  # AWS records none before a retry
        if error == "States.Runtime":
            raise _Finished(Fail(error, self.decorated(state, cause)))
        if retry is not None:
            return retry
        index, catcher = next(
            ((i, c) for i, c in enumerate(state.catchers) if _matches(c.errors, error)), (None, None)
        )
        if self.env.inspect is not None and index is not None:
            self.env.inspect["errorDetails"] = {"catchIndex": index}
        if catcher is None:
            if error == "States.QueryEvaluationError":
                cause = self.decorated(state, cause)
            raise _Finished(Fail(error or None, cause))
        return self.catch(state, catcher, error, cause)

    def decorated(self, state: State, cause: str | None) -> str:
        """A run-ending cause as AWS words it: prefixed with the state and the id of its entered event."""
        entered = self.frame.get("entered_id")
        where = f" (entered at the event id #{entered})" if entered else ""
        prefix = f"An error occurred while executing the state '{state.name}'{where}."
        if (cause or "").startswith("An error occurred while executing the state"):
            return cause or prefix
        return f"{prefix} {cause}" if cause else prefix

    def retry(self, state: State, error: str) -> Action | None:
        for index, retrier in enumerate(state.retriers):
            if not _matches(retrier.errors, error):
                continue
            count = self.frame["retries"].get(str(index), 0)
            if count >= retrier.max_attempts:
                return None
            delay = retrier.interval * retrier.backoff**count
            if retrier.max_delay is not None:
                delay = min(delay, retrier.max_delay)
            if retrier.jitter:
                delay = self.env.rng.uniform(0, delay)
            self.frame["retries"][str(index)] = count + 1
            self.frame["retry_count"] = self.frame.get("retry_count", 0) + 1
            self.frame["phase"] = "retry"
            self.frame.pop("fork", None)
            if not math.isfinite(delay):
                delay = 99999999
            if self.env.inspect is not None:
                self.env.inspect["errorDetails"] = {
                    "retryIndex": index,
                    "retryBackoffIntervalSeconds": int(delay),
                }
            return Sleep(self.env.now + timedelta(seconds=delay))
        return None

    def catch(self, state: State, catcher: Catcher, error: str, cause: str | None) -> Action:
        # AWS binds an empty string for a missing cause (LocalStack's interpreter, matched to AWS snapshots).
        error_output: dict[str, Any] = {"Error": error, "Cause": cause if cause is not None else ""}
        raw = self.frame["input"]
        try:
            if state.language == JSONATA:
                assigned = self.assignments(state, catcher.assign, raw, errorOutput=error_output)
                if catcher.output is not None:
                    output = catcher.output.evaluate(
                        self.states_binding(state, errorOutput=error_output), self.vars, rng=self.env.rng
                    )
                else:
                    output = error_output
            else:
                assigned = self.assignments(state, catcher.assign, error_output)
                output = _place_result(raw, error_output, catcher.discard_result, catcher.result_path)
        except E.StatesError as failure:  # the catcher itself failed: no second chance, the execution fails
            raise _Finished(Fail(failure.error, self.decorated(state, failure.cause))) from None
        self.frame.pop("phase", None)
        # AWS records the state's exit with the catcher's output before entering the handler.
        return self.go(self.leave(state, output, next=catcher.next, assigned=assigned))

    # -- events -------------------------------------------------------------------------------------

    def history_size(self) -> int:
        """The execution's events so far, this step's included
        (this step's alone when the driver cannot tell)."""
        return max(self.env.next_event_id - 1, 0) + len(self.events)

    def event(self, type: str, details_key: str | None, details: dict[str, Any] | None) -> None:
        if self.history_size() >= MAX_HISTORY_EVENTS:  # AWS fails the execution whose history is full
            raise _Finished(Fail("States.Runtime", HISTORY_LIMIT_CAUSE))
        if type.endswith("StateEntered") and self.env.next_event_id:
            self.frame["entered_id"] = self.env.next_event_id + len(self.events)
        self.events.append(NewEvent(type, details_key, details))
