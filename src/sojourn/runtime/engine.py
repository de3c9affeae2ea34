"""The transactional core: apply interpreter steps to stored runs, one transaction per delivery.

`Engine.deliver(tx, run_id, event)` feeds one work event (`sojourn.runtime.work`) to a run and keeps going
with the events that follow inside the same execution (a child's end wakes its parent), so a transition,
its history events and the next work always commit together. The steps themselves are applied by the one
driver of the interpreter (`sojourn.asl.driver`); `_InTransaction` is its host here: runs are rows,
events are appended in the transaction, tasks and timers are work items.

A write transaction holds what other executions wait for (on SQLite the one write lock, on PostgreSQL the
worker and the rows), so a step computes in it for at most `INLINE_SECONDS`. A step that computes longer (a
costly expression) stops with `budget.Deferred`; the caller rolls back and leaves the event as a *slow* work
item (`Engine.defer`), which a worker computes outside any transaction (`Engine.compute`) and applies in a
short one if the run has not moved meanwhile (`Engine.apply_computed`).
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sojourn import metrics
from sojourn.asl import resources
from sojourn.asl.budget import DEFAULT_LIMITS, Limits
from sojourn.asl.driver import Driver, ExecutionEnd
from sojourn.asl.frame import Frame
from sojourn.asl.interpreter import (
    DEFAULT_TASK_TIMEOUT,
    ChildDone,
    Env,
    ExecutionInfo,
    Fail,
    Interpreter,
    InvokeTask,
    NewEvent,
    Step,
    to_json,
)
from sojourn.asl.loader import DefinitionError
from sojourn.asl.program import compile_definition
from sojourn.asl.resources import Kind
from sojourn.runtime import work
from sojourn.runtime.slowlane import SeededOnUse, SlowLane
from sojourn.runtime.work import EVENT, INVOKE, TaskWork, WorkEvent
from sojourn.store.base import Tx
from sojourn.store.rows import ExecutionRow, RunRow
from sojourn.tokens import hash_token, hide_token, new_token, redact_tokens

__all__ = ["INLINE_SECONDS", "Computed", "Delivery", "Engine", "LeasedTask"]

INLINE_SECONDS = 0.05  # how long a step may compute inside a write transaction before it is deferred


@dataclass
class LeasedTask:
    """A task leased to this worker, to invoke once the transaction that leased it commits.

    The token lives only here."""

    work_id: int
    execution_id: int
    execution_arn: str
    run_id: int
    gen: int
    payload: TaskWork
    token: str | None = None


@dataclass
class Delivery:
    """What one transaction produced for the caller to do after commit."""

    tasks: list[LeasedTask] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # executions that ended


@dataclass
class Computed:
    """A step computed outside any transaction, from the run as it was read at `generation`."""

    run: _StoredRun
    step: Step
    generation: int
    next_event_id: int


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Engine:
    """Drives stored runs through the interpreter. Thread-safe; holds no per-execution state."""

    def __init__(
        self,
        clock: Callable[[], float],
        owner: str,
        lease_seconds: float = 30.0,
        limits: Limits = DEFAULT_LIMITS,
        inline_seconds: float | None = INLINE_SECONDS,
    ):
        self.clock = clock
        self.limits = limits
        self.inline_seconds = inline_seconds  # None: every step computes in its transaction, however long
        self.owner = owner
        self.lease_seconds = lease_seconds
        # True while this process's workers run: a task it schedules is leased to it and invoked after
        # commit; otherwise (a client that only answers tokens, a test driving work inline) the task is
        # left due for whichever worker claims it first
        self.runs_tasks = False
        # Called in the transaction of every execution status change (start, end, redrive) when webhooks want
        # them (sojourn.webhooks.events.status_listener); None costs nothing.
        self.status_listener: Callable[[Tx, ExecutionRow, float], None] | None = None
        self._interpreters: dict[int, Interpreter] = {}  # by definition id (a definition never changes)
        self._lock = threading.Lock()

    def interpreter(self, tx: Tx, definition_id: int) -> Interpreter:
        with self._lock:
            found = self._interpreters.get(definition_id)
        if found is None:
            found = Interpreter(compile_definition(json.loads(tx.definition(definition_id))))
            # kept once committed: a definition stored by a transaction that rolls back frees its id
            tx.committed.append(lambda: self._keep(definition_id, found))
        return found

    def _keep(self, definition_id: int, interpreter: Interpreter) -> None:
        with self._lock:
            if len(self._interpreters) > 256:
                self._interpreters.clear()
            self._interpreters[definition_id] = interpreter

    # -- starting and ending executions --------------------------------------------------------------

    def start_execution(self, tx: Tx, values: dict[str, Any]) -> ExecutionRow:
        """Insert a RUNNING execution (`values`: its columns) with ExecutionStarted, its top-level run and its
        first work; returns the execution's row."""
        now = self.clock()
        execution = tx.insert_execution({**values, "next_event_id": 2})
        # event 1; its details are the execution's own columns (sojourn.runtime.history)
        tx.append_events({**execution, "next_event_id": 1}, now, [("ExecutionStarted", None)])
        interpreter = self.interpreter(tx, execution["definition_id"])
        run_id = tx.insert_run(execution["id"], interpreter.start_frame(json.loads(execution["input"])))
        tx.add_work(execution["id"], run_id, EVENT, work.start(), now, now=now)
        self._schedule_execution_timeout(tx, execution, run_id, interpreter, now)
        if self.status_listener is not None:
            self.status_listener(tx, execution, now)
        tx.committed.append(
            metrics.EXECUTIONS_STARTED.labels(metrics.machine_name(execution["machine_arn"])).inc
        )
        return execution

    @staticmethod
    def _record(
        tx: Tx, execution: ExecutionRow, now: float, events: list[tuple[str, dict[str, Any] | None]]
    ) -> None:
        """Append events outside a delivery (which saves the counter once at its end)."""
        tx.append_events(execution, now, events)
        tx.save_event_counter(execution)

    def _schedule_execution_timeout(
        self, tx: Tx, execution: ExecutionRow, run_id: int, interpreter: Interpreter, now: float
    ) -> None:
        timeout = interpreter.program.timeout_seconds
        if isinstance(timeout, int) and timeout > 0:
            tx.add_work(execution["id"], run_id, EVENT, work.exec_timeout(), now + timeout)

    def stop_execution(self, tx: Tx, execution: ExecutionRow, error: str | None, cause: str | None) -> None:
        self.end(tx, execution, ExecutionEnd.aborted(error, cause))

    def redrive(self, tx: Tx, execution: ExecutionRow) -> None:
        """Restart a stopped execution at the state its top-level run stopped at (RedriveExecution)."""
        now = self.clock()
        count = execution["redrive_count"] + 1
        tx.update_execution(
            execution["id"],
            {
                "status": "RUNNING",
                "redrive_count": count,
                "redrive_at": now,
                "stopped_at": None,
                "output": None,
                "error": None,
                "cause": None,
            },
        )
        execution["status"], execution["redrive_count"], execution["redrive_at"] = "RUNNING", count, now
        self._record(tx, execution, now, [("ExecutionRedriven", {"redriveCount": count})])
        root = next(run for run in tx.runs(execution["id"]) if run["parent_id"] is None)
        tx.update_run(root["id"], {"status": "active", "generation": root["generation"] + 1})
        tx.add_work(execution["id"], root["id"], EVENT, work.redrive(), now, now=now)
        self._schedule_execution_timeout(
            tx, execution, root["id"], self.interpreter(tx, execution["definition_id"]), now
        )
        if self.status_listener is not None:
            changed = {"stopped_at": None, "output": None, "error": None, "cause": None}
            self.status_listener(tx, cast(ExecutionRow, {**execution, **changed}), now)

    def task_submitted(self, tx: Tx, task: LeasedTask, output: Any) -> None:
        """Record AWS's TaskSubmitted: a `.waitForTaskToken` task's call returned,
        the token is now awaited."""
        found = tx.run_and_execution(task.run_id, lock=True)
        if found is None or found[1]["status"] != "RUNNING" or found[0]["generation"] != task.gen:
            return  # the execution moved on meanwhile (stopped, timed out, already answered)
        resource_type, resource = resources.parse(task.payload["resource"]).event_names
        self._record(
            tx,
            found[1],
            self.clock(),
            [
                (
                    "TaskSubmitted",
                    {
                        "resourceType": resource_type,
                        "resource": resource,
                        "output": to_json(output),
                        "outputDetails": {"truncated": False},
                    },
                )
            ],
        )

    def end(self, tx: Tx, execution: ExecutionRow, end: ExecutionEnd) -> None:
        """End the execution as `end` says: its last event, its row, work, tokens and runs;
        a `.sync` parent told."""
        now = self.clock()
        output = end.output_json
        self._record(tx, execution, now, [(end.event.type, end.event.details)])
        tx.update_execution(
            execution["id"],
            {
                "status": end.status,
                "stopped_at": now,
                "output": output,
                "error": end.error,
                "cause": end.cause,
            },
        )
        execution["status"] = end.status
        machine = metrics.machine_name(execution["machine_arn"])
        tx.committed.append(metrics.EXECUTIONS_ENDED.labels(machine, end.status).inc)
        if self.status_listener is not None:
            ended = {"stopped_at": now, "output": output, "error": end.error, "cause": end.cause}
            self.status_listener(tx, cast(ExecutionRow, {**execution, **ended}), now)
        tx.delete_execution_work(execution["id"])
        tx.close_tasks(execution["id"])
        tx.close_human_tasks(execution["id"], None, now, f"the execution ended ({end.status})")
        tx.cancel_runs(execution["id"])
        self._notify_parent(tx, execution, end.status, output, end.error, end.cause, now)

    def _notify_parent(
        self,
        tx: Tx,
        execution: ExecutionRow,
        status: str,
        output: str | None,
        error: str | None,
        cause: str | None,
        now: float,
    ) -> None:
        """A nested `.sync` execution answers the task that started it."""
        parent_text = execution.get("parent")
        if not parent_text:
            return
        parent = json.loads(parent_text)
        if parent.get("mode") not in ("sync", "sync:2") or "gen" not in parent:
            return
        described = {
            "ExecutionArn": execution["arn"],
            "Input": execution["input"],
            "InputDetails": {"Included": True},
            "Name": execution["name"],
            "StartDate": int(execution["started_at"] * 1000),
            "StateMachineArn": execution["machine_arn"],
            "Status": status,
            "StopDate": int(now * 1000),
        }
        if status == "SUCCEEDED":
            described["Output"] = json.loads(output or "null") if parent["mode"] == "sync:2" else output
            described["OutputDetails"] = {"Included": True}
            answer = work.succeeded(described, gen=parent["gen"])
        else:
            described.update(
                {key: value for key, value in (("Error", error), ("Cause", cause)) if value is not None}
            )
            answer = work.failed("States.TaskFailed", to_json(described), gen=parent["gen"])
        run = tx.run(parent["run_id"])
        if run is not None:
            tx.add_work(run["execution_id"], run["id"], EVENT, answer, now, now=now)

    # -- delivering events -----------------------------------------------------------------------------

    def deliver(
        self,
        tx: Tx,
        run_id: int,
        event: WorkEvent,
        found: tuple[RunRow, ExecutionRow] | None = None,
        defer: bool = True,
    ) -> Delivery:
        """Apply `event` to the run and everything it sets off inside this execution, in this transaction.

        `found` is the run and its execution when the caller has read them already (locked). A step that
        computes past `inline_seconds` raises `budget.Deferred` (unless `defer` is False): roll back, and
        `defer` the event instead.
        """
        found = found or tx.run_and_execution(run_id, lock=True)
        return self._deliver(tx, found, event, None, self.inline_seconds if defer else None)

    def defer(self, tx: Tx, execution_id: int, run_id: int, event: WorkEvent) -> None:
        """Leave `event` for a worker to compute outside any transaction: a slow work item, due now."""
        tx.add_work(execution_id, run_id, EVENT, work.slow(event), self.clock(), now=self.clock())

    def compute(self, tx: Tx, run_id: int, event: WorkEvent, lane: SlowLane | None = None) -> Computed | None:
        """Compute the step `event` makes of the run, with the step's whole budget, in `tx`: a read
        transaction, which holds nothing other executions wait for, and in `lane`'s process when given (so
        that it holds no GIL the other threads wait for either). None when there is nothing to compute
        (the execution ended, the run moved past the event, a heartbeat or timeout check): deliver it."""
        found = tx.run_and_execution(run_id)
        if found is None or found[1]["status"] != "RUNNING" or event["e"] in ("heartbeat", "exec_timeout"):
            return None
        row, execution = found
        if _stale(row, event):
            return None
        try:
            interpreter = self.interpreter(tx, execution["definition_id"])
        except DefinitionError:
            return None
        run = _StoredRun(row, self.clock(), row["generation"] + 1)
        frame: Frame = json.loads(row["frame"])
        info = self.info(execution)
        computed = None
        if lane is not None:
            computed = lane.advance(
                tx.definition(execution["definition_id"]),
                frame,
                work.to_event(event),
                info,
                run.now,
                _rng_key(execution, run),
                execution["next_event_id"],
                self.limits,
            )
        if computed is not None:
            step, run.tokens[:] = computed
        else:
            step = interpreter.advance(frame, work.to_event(event), info, _env(self, execution, run, None))
        return Computed(run, step, row["generation"], execution["next_event_id"])

    def apply_computed(self, tx: Tx, run_id: int, event: WorkEvent, computed: Computed) -> Delivery | None:
        """Apply a step `compute` made, in this (write) transaction; None when the run or its execution moved
        on since it was read (compute it again). What the step sets off is left as work items."""
        found = tx.run_and_execution(run_id, lock=True)
        if found is not None and (
            found[0]["generation"] != computed.generation
            or found[1]["next_event_id"] != computed.next_event_id
        ):
            return None
        return self._deliver(tx, found, event, computed, None)

    def _deliver(
        self,
        tx: Tx,
        found: tuple[RunRow, ExecutionRow] | None,
        event: WorkEvent,
        computed: Computed | None,
        defer_after: float | None,
    ) -> Delivery:
        out = Delivery()
        if found is None or found[1]["status"] != "RUNNING":
            return out
        run, execution = found
        if event["e"] == "exec_timeout":
            self.end(tx, execution, ExecutionEnd.timed_out())
            out.finished.append(execution["arn"])
            return out
        try:
            self.interpreter(tx, execution["definition_id"])
        except DefinitionError as e:
            # A definition stored before a stricter validator (an upgrade) fails its executions, once,
            # instead of failing every delivery of their work for ever.
            self.end(
                tx,
                execution,
                ExecutionEnd.of(Fail("States.Runtime", f"The definition no longer compiles: {e}")),
            )
            out.finished.append(execution["arn"])
            return out
        host = _InTransaction(self, tx, execution, out, defer_after)
        host.take(run, event, computed)
        while host.queue and execution["status"] == "RUNNING":
            target, message = host.queue.popleft()
            if computed is not None:  # a slow step's consequences may be slow too: each its own item
                tx.add_work(execution["id"], target, EVENT, message, self.clock(), now=self.clock())
                continue
            child_or_parent = tx.run(target)
            if child_or_parent is not None:
                host.take(child_or_parent, message)
        if execution["status"] == "RUNNING":  # an ended execution saved its counter already
            tx.save_event_counter(execution)
        return out

    def info(self, execution: ExecutionRow) -> ExecutionInfo:
        """What the interpreter knows of the execution (`$$.Execution`, `$$.StateMachine`)."""
        return ExecutionInfo(
            execution_arn=execution["arn"],
            name=execution["name"],
            input=json.loads(execution["input"]),
            start_time=_moment(execution["started_at"]),
            state_machine_arn=execution["machine_arn"],
            state_machine_name=execution["machine_arn"].split(":")[6],
            role_arn=execution["role_arn"],
            redrive_count=execution["redrive_count"],
            redrive_time=_moment(execution["redrive_at"]) if execution["redrive_at"] else None,
        )

    def schedule_task(
        self,
        tx: Tx,
        execution: ExecutionRow,
        run_id: int,
        gen: int,
        action: InvokeTask,
        frame: Frame,
        now: float,
        out: Delivery,
    ) -> None:
        """Record the task `action` asks for (timeouts, token, activity task) and the work of calling it."""
        arn, execution_id = execution["arn"], execution["id"]
        token = action.task_token
        parameters = hide_token(action.parameters, token) if token else action.parameters
        if action.timeout_seconds and action.timeout_seconds < DEFAULT_TASK_TIMEOUT:
            tx.add_work(
                execution_id,
                run_id,
                EVENT,
                work.failed("States.Timeout", gen=gen),
                now + action.timeout_seconds,
            )
        activity = action.resource.kind is Kind.ACTIVITY
        if action.heartbeat_seconds and (token or activity):
            tx.add_work(
                execution_id,
                run_id,
                EVENT,
                work.heartbeat(gen, action.heartbeat_seconds),
                now + action.heartbeat_seconds,
            )
        if activity:  # served by GetActivityTask, which issues the token
            tx.insert_activity_task(
                {
                    "activity_arn": action.resource.arn,
                    "execution_id": execution_id,
                    "run_id": run_id,
                    "task_id": gen,
                    "state_name": action.state_name,
                    "input": to_json(action.parameters),
                    "created_at": now,
                }
            )
            tx.notify = True  # wakes GetActivityTask's long polls
            return
        if token:
            tx.insert_token(
                {
                    "hash": hash_token(token),
                    "execution_id": execution_id,
                    "run_id": run_id,
                    "task_id": gen,
                    "state_name": action.state_name,
                    "resource": action.resource.arn,
                    "created_at": now,
                    "timeout_at": now + action.timeout_seconds
                    if action.timeout_seconds < DEFAULT_TASK_TIMEOUT
                    else None,
                    "heartbeat_seconds": action.heartbeat_seconds,
                    "heartbeat_at": now,
                    "parameters": to_json(parameters),
                }
            )
        payload = work.task(action, parameters, gen, f"{arn}/{frame.get('entered_id', 0)}/{action.attempt}")
        if not self.runs_tasks:  # the claimer issues a fresh token; this one is never handed out
            tx.add_work(execution_id, run_id, INVOKE, payload, now, now=now)
            return
        # Leased at once to this worker, which invokes it after commit; a crash leaves it to expire
        work_id = tx.add_work(
            execution_id, run_id, INVOKE, payload, now + self.lease_seconds, owner=self.owner
        )
        out.tasks.append(LeasedTask(work_id, execution_id, arn, run_id, gen, payload, token))

    def cancel_children(self, tx: Tx, execution: ExecutionRow, run_id: int) -> None:
        """Cancel the unfinished runs below `run_id`: their work, tokens and activity tasks."""
        pending = [run_id]
        while pending:
            parent = pending.pop()
            for child in tx.children(parent):
                pending.append(child["id"])
                if child["status"] == "active":
                    tx.update_run(child["id"], {"status": "cancelled"})
                    tx.delete_run_work(child["id"])
                    tx.close_tasks(execution["id"], child["id"])
                    tx.close_human_tasks(
                        execution["id"], child["id"], self.clock(), "its branch was cancelled"
                    )

    # -- task tokens ------------------------------------------------------------------------------------

    def answer(
        self, tx: Tx, token_hash: str, payload: WorkEvent, defer: bool = False
    ) -> tuple[str, Delivery | None]:
        """Apply SendTaskSuccess/Failure to the task waiting on `token_hash`: ("ok", delivery) or (why not,
        None). With `defer` (its step computed too long in here) the answer is left as slow work."""
        row = tx.token(token_hash)
        if row is None:
            return "missing", None
        if row["status"] != "waiting":
            return "closed", None
        found = tx.run_and_execution(row["run_id"], lock=True)  # locks the execution, then the token
        row = tx.token(token_hash, lock=True)
        if row is None or row["status"] != "waiting" or found is None or found[1]["status"] != "RUNNING":
            return "closed", None
        tx.set_token(token_hash, {"status": "done"})
        tx.close_tasks(row["execution_id"], row["run_id"], row["task_id"])  # its activity task, if any
        answer = work.with_generation(payload, row["task_id"])
        if defer:
            self.defer(tx, row["execution_id"], row["run_id"], answer)
            return "ok", None
        return "ok", self.deliver(tx, row["run_id"], answer, found)


@dataclass(eq=False)
class _StoredRun:
    """A run's row during one step; what the step changes of it is kept here until it is saved."""

    row: RunRow
    now: float
    gen: int  # the generation the step gives the run: answers to what it schedules carry it
    changes: dict[str, Any] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)  # the task tokens the step made, redacted from its events


def _stale(row: RunRow, event: WorkEvent) -> bool:
    """The run ended, or has moved past what `event` answers (a task, a timer, an earlier fork)."""
    if row["status"] != "active":
        return True
    if event.get("gen") is not None and event["gen"] != row["generation"]:
        return True  # an answer to a task or timer this run has moved past
    # a child of an earlier attempt at this Parallel or Map
    return event.get("fork") is not None and event["fork"] != row["fork_generation"]


def _rng_key(execution: ExecutionRow, run: _StoredRun) -> str:
    """What a step's randomness is seeded by: the same when a delivery is applied again after a crash
    (States.UUID, jitter), and in the slow lane's process."""
    return f"{execution['arn']}/{run.row['id']}/{run.row['generation']}"


def _env(engine: Engine, execution: ExecutionRow, run: _StoredRun, defer_after: float | None) -> Env:
    """The effects of one step of `run`: its time, the tokens it makes (kept on `run`), its randomness."""
    tokens = run.tokens

    def token() -> str:
        tokens.append(new_token())
        return tokens[-1]

    rng = SeededOnUse(_rng_key(execution, run))
    return Env(
        now=_moment(run.now),
        new_task_token=token,
        rng=cast(random.Random, rng),
        next_event_id=execution["next_event_id"],
        limits=engine.limits,
        defer_after=defer_after,
    )


class _InTransaction:
    """The driver's host in the engine (`sojourn.asl.driver.Host`): one execution's runs, in one transaction.

    Runs are rows, events are appended to the execution's history, tasks and timers become work items,
    and the events that follow inside the execution (a child's end for its parent) wait in `queue`.
    """

    def __init__(
        self, engine: Engine, tx: Tx, execution: ExecutionRow, out: Delivery, defer_after: float | None
    ):
        self.engine = engine
        self.defer_after = defer_after  # a step computing past this raises budget.Deferred
        self.tx = tx
        self.execution = execution
        self.out = out
        self.queue: deque[tuple[int, WorkEvent]] = deque()
        self._driver: Driver[_StoredRun] | None = None

    def take(self, row: RunRow, event: WorkEvent, computed: Computed | None = None) -> None:
        """Apply `event` to the run in `row`, unless it is stale: the run ended or has moved past it.
        `computed` is its step, computed outside the transaction from this same row."""
        if _stale(row, event):
            return
        now = self.engine.clock()
        if event["e"] == "heartbeat":
            self._check_heartbeat(row, event, now)
            return
        if computed is None:
            self.driver().apply(_StoredRun(row, now, row["generation"] + 1), work.to_event(event))
            return
        run = computed.run
        self.driver().apply(
            _StoredRun(row, run.now, run.gen, tokens=run.tokens), work.to_event(event), computed.step
        )

    def driver(self) -> Driver[_StoredRun]:
        """The execution's driver, made on the first step (a delivery to an ended run reads no definition)."""
        if self._driver is None:
            interpreter = self.engine.interpreter(self.tx, self.execution["definition_id"])
            self._driver = Driver(interpreter, self.engine.info(self.execution), self)
        return self._driver

    def _check_heartbeat(self, row: RunRow, event: WorkEvent, now: float) -> None:
        tx, execution_id = self.tx, self.execution["id"]
        waiting = tx.waiting_token(execution_id, row["id"], event["gen"])
        if waiting is None:  # an activity not yet handed out: its heartbeat clock has not started
            tx.add_work(execution_id, row["id"], EVENT, event, now + event["seconds"])
            return
        heartbeat_at, seconds = waiting["heartbeat_at"], waiting["heartbeat_seconds"]
        assert heartbeat_at is not None and seconds is not None  # a token with a heartbeat records both
        due = heartbeat_at + seconds
        if due > now:
            tx.add_work(execution_id, row["id"], EVENT, event, due)
            return
        self.queue.appendleft((row["id"], work.failed("States.HeartbeatTimeout", gen=event["gen"])))

    # -- sojourn.asl.driver.Host ---------------------------------------------------------------------

    def frame(self, run: _StoredRun) -> Frame:
        frame: Frame = json.loads(run.row["frame"])
        return frame

    def env(self, run: _StoredRun) -> Env:
        return _env(self.engine, self.execution, run, self.defer_after)

    def record(self, run: _StoredRun, events: list[NewEvent]) -> None:
        kept = []
        for event in events:
            details = event.details if event.details_key and event.details is not None else None
            if run.tokens and details is not None:
                details = redact_tokens(details, run.tokens)
            kept.append((event.type, details))
        if kept:
            self.tx.append_events(self.execution, run.now, kept)
            entered = sum(1 for kind, _ in kept if kind.endswith("StateEntered"))
            if entered:
                counter = metrics.STATE_TRANSITIONS.labels(
                    metrics.machine_name(self.execution["machine_arn"])
                )
                self.tx.committed.append(lambda: counter.inc(entered))

    def invoke(self, run: _StoredRun, task: InvokeTask, frame: Frame) -> None:
        self.engine.schedule_task(
            self.tx, self.execution, run.row["id"], run.gen, task, frame, run.now, self.out
        )

    def sleep(self, run: _StoredRun, until: datetime) -> None:
        self.tx.add_work(
            self.execution["id"], run.row["id"], EVENT, work.timer(run.gen), _epoch(until), now=run.now
        )

    def fork(self, run: _StoredRun, children: list[Frame]) -> None:
        fork = run.changes["fork_generation"] = run.row["fork_generation"] + 1
        for index, child in enumerate(children):
            self.tx.insert_run(
                self.execution["id"], child, parent_id=run.row["id"], child_index=index, parent_fork=fork
            )

    def start_children(self, run: _StoredRun, indices: list[int]) -> None:
        if not indices:
            return
        fork = run.changes.get("fork_generation", run.row["fork_generation"])
        wanted = set(indices)
        for child in self.tx.children(run.row["id"], fork):
            if child["child_index"] in wanted:
                self.tx.add_work(self.execution["id"], child["id"], EVENT, work.start(), run.now, now=run.now)

    def cancel_children(self, run: _StoredRun) -> None:
        self.engine.cancel_children(self.tx, self.execution, run.row["id"])

    def end_run(self, run: _StoredRun) -> int | None:
        run.changes["status"] = "done"
        self.tx.delete_run_work(run.row["id"])
        return None if run.row["parent_id"] is None else int(run.row["child_index"])

    def child_done(self, run: _StoredRun, event: ChildDone) -> None:
        parent_id = run.row["parent_id"]
        assert parent_id is not None  # the driver hands on the end of child runs only
        self.queue.append((parent_id, work.child(event.index, event.outcome, run.row["parent_fork"])))

    def end_execution(self, end: ExecutionEnd) -> None:
        self.engine.end(self.tx, self.execution, end)
        self.out.finished.append(self.execution["arn"])

    def save(self, run: _StoredRun, frame: Frame) -> None:
        changes = {"frame": json.dumps(frame, separators=(",", ":")), "generation": run.gen, **run.changes}
        self.tx.update_run(run.row["id"], changes)
