"""The transactional core: apply interpreter steps to stored runs, one transaction per delivery.

`Engine.deliver(tx, run_id, payload)` feeds one event to a run and keeps going with
the events that follow inside the same execution (a child's end wakes its parent), so a transition,
its history events and the next work always commit together. Work payloads are JSON:
`{"e": "start" | "ok" | "fail" | "timer" | "child" | "redrive" | "heartbeat" | "exec_timeout", "gen": n}`;
`gen` is the run's generation the answer belongs to, so a late or duplicated answer is dropped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sojourn.asl import resources
from sojourn.asl.budget import DEFAULT_LIMITS, Limits
from sojourn.asl.interpreter import (
    DEFAULT_TASK_TIMEOUT,
    Await,
    ChildDone,
    Env,
    ExecutionInfo,
    Fail,
    Finish,
    Fork,
    Interpreter,
    InvokeTask,
    Redrive,
    RunOutcome,
    Sleep,
    Start,
    TaskFailed,
    TaskSucceeded,
    TimerFired,
    to_json,
)
from sojourn.asl.program import compile_definition
from sojourn.asl.resources import Kind
from sojourn.store.base import Tx
from sojourn.tokens import hash_token, hide_token, new_token, redact_tokens

__all__ = ["Delivery", "Engine", "Invocation"]


@dataclass
class Invocation:
    """A task to invoke once the transaction that scheduled it commits. The token lives only here."""

    work_id: int
    execution_id: int
    execution_arn: str
    run_id: int
    gen: int
    payload: dict[str, Any]
    token: str | None = None


@dataclass
class Delivery:
    """What one transaction produced for the caller to do after commit."""

    invocations: list[Invocation] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # executions that ended


def _event(payload: dict[str, Any]) -> Any:
    kind = payload["e"]
    if kind == "start":
        return Start()
    if kind == "ok":
        return TaskSucceeded(payload.get("output"))
    if kind == "fail":
        return TaskFailed(payload.get("error") or "States.TaskFailed", payload.get("cause"))
    if kind == "timer":
        return TimerFired()
    if kind == "redrive":
        return Redrive()
    if kind == "child":
        return ChildDone(payload["index"], RunOutcome(**payload["outcome"]))
    raise ValueError(f"Unknown work event {kind!r}")


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Engine:
    """Drives stored runs through the interpreter. Thread-safe; holds no per-execution state."""

    def __init__(self, clock: Callable[[], float], owner: str, lease_seconds: float = 30.0,
                 limits: Limits = DEFAULT_LIMITS):
        self.clock = clock
        self.limits = limits
        self.owner = owner
        self.lease_seconds = lease_seconds
        # True while this process's workers run: a task it schedules is leased to it and invoked after
        # commit; otherwise (a client that only answers tokens, a test driving work inline) the task is
        # left due for whichever worker claims it first
        self.runs_tasks = False
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

    def start_execution(self, tx: Tx, values: dict[str, Any]) -> dict[str, Any]:
        """Insert a RUNNING execution (`values`: its columns) with ExecutionStarted, its top-level run and its
        first work; returns the execution's row."""
        now = self.clock()
        execution = tx.insert_execution({**values, "next_event_id": 2})
        # event 1; its details are the execution's own columns (sojourn.runtime.history)
        tx.append_events({**execution, "next_event_id": 1}, now, [("ExecutionStarted", None)])
        interpreter = self.interpreter(tx, execution["definition_id"])
        run_id = tx.insert_run(execution["id"], interpreter.start_frame(json.loads(execution["input"])))
        tx.add_work(execution["id"], run_id, "event", {"e": "start"}, now, now=now)
        self._schedule_execution_timeout(tx, execution, run_id, interpreter, now)
        return execution

    @staticmethod
    def _record(tx: Tx, execution: dict[str, Any], now: float, events: list[tuple[str, dict[str, Any] | None]]) -> None:
        """Append events outside a delivery (which saves the counter once at its end)."""
        tx.append_events(execution, now, events)
        tx.save_event_counter(execution)

    def _schedule_execution_timeout(self, tx: Tx, execution: dict[str, Any], run_id: int,
                                    interpreter: Interpreter, now: float) -> None:
        timeout = interpreter.program.timeout_seconds
        if isinstance(timeout, int) and timeout > 0:
            tx.add_work(execution["id"], run_id, "event", {"e": "exec_timeout"}, now + timeout)

    def stop_execution(self, tx: Tx, execution: dict[str, Any], error: str | None, cause: str | None) -> None:
        details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        self._end(tx, execution, "ABORTED", "ExecutionAborted", details, error=error, cause=cause)

    def redrive(self, tx: Tx, execution: dict[str, Any]) -> None:
        """Restart a stopped execution at the state its top-level run stopped at (RedriveExecution)."""
        now = self.clock()
        count = execution["redrive_count"] + 1
        tx.update_execution(execution["id"], {
            "status": "RUNNING", "redrive_count": count, "redrive_at": now, "stopped_at": None,
            "output": None, "error": None, "cause": None,
        })
        execution.update(status="RUNNING", redrive_count=count, redrive_at=now)
        self._record(tx, execution, now, [("ExecutionRedriven", {"redriveCount": count})])
        root = next(run for run in tx.runs(execution["id"]) if run["parent_id"] is None)
        tx.update_run(root["id"], {"status": "active", "generation": root["generation"] + 1})
        tx.add_work(execution["id"], root["id"], "event", {"e": "redrive"}, now, now=now)
        self._schedule_execution_timeout(tx, execution, root["id"], self.interpreter(tx, execution["definition_id"]), now)

    def task_submitted(self, tx: Tx, invocation: Invocation, output: Any) -> None:
        """Record AWS's TaskSubmitted: a `.waitForTaskToken` task's call returned, the token is now awaited."""
        found = tx.run_and_execution(invocation.run_id, lock=True)
        if found is None or found[1]["status"] != "RUNNING" or found[0]["generation"] != invocation.gen:
            return  # the execution moved on meanwhile (stopped, timed out, already answered)
        resource_type, resource = resources.parse(invocation.payload["resource"]).event_names
        self._record(tx, found[1], self.clock(), [("TaskSubmitted", {
            "resourceType": resource_type, "resource": resource, "output": to_json(output),
            "outputDetails": {"truncated": False}})])

    def _end(self, tx: Tx, execution: dict[str, Any], status: str, event_type: str, details: dict[str, Any],
             output: str | None = None, error: str | None = None, cause: str | None = None) -> None:
        now = self.clock()
        self._record(tx, execution, now, [(event_type, details)])
        tx.update_execution(execution["id"], {
            "status": status, "stopped_at": now, "output": output, "error": error, "cause": cause,
        })
        execution["status"] = status
        tx.delete_execution_work(execution["id"])
        tx.close_tasks(execution["id"])
        tx.cancel_runs(execution["id"])
        self._notify_parent(tx, execution, status, output, error, cause, now)

    def _notify_parent(self, tx: Tx, execution: dict[str, Any], status: str, output: str | None,
                       error: str | None, cause: str | None, now: float) -> None:
        """A nested `.sync` execution answers the task that started it."""
        if not execution.get("parent"):
            return
        parent = json.loads(execution["parent"])
        if parent.get("mode") not in ("sync", "sync:2") or "gen" not in parent:
            return
        described = {
            "ExecutionArn": execution["arn"], "Input": execution["input"], "InputDetails": {"Included": True},
            "Name": execution["name"], "StartDate": int(execution["started_at"] * 1000),
            "StateMachineArn": execution["machine_arn"], "Status": status, "StopDate": int(now * 1000),
        }
        if status == "SUCCEEDED":
            described["Output"] = json.loads(output or "null") if parent["mode"] == "sync:2" else output
            described["OutputDetails"] = {"Included": True}
            payload: dict[str, Any] = {"e": "ok", "output": described}
        else:
            described.update({key: value for key, value in (("Error", error), ("Cause", cause)) if value is not None})
            payload = {"e": "fail", "error": "States.TaskFailed", "cause": to_json(described)}
        payload["gen"] = parent["gen"]
        run = tx.run(parent["run_id"])
        if run is not None:
            tx.add_work(run["execution_id"], run["id"], "event", payload, now, now=now)

    # -- delivering events -----------------------------------------------------------------------------

    def deliver(self, tx: Tx, run_id: int, payload: dict[str, Any],
                found: tuple[dict[str, Any], dict[str, Any]] | None = None) -> Delivery:
        """Apply `payload` to the run and everything it sets off inside this execution, in this transaction.

        `found` is the run and its execution when the caller has read them already (locked).
        """
        out = Delivery()
        found = found or tx.run_and_execution(run_id, lock=True)
        if found is None or found[1]["status"] != "RUNNING":
            return out
        run, execution = found
        if payload["e"] == "exec_timeout":
            self._end(tx, execution, "TIMED_OUT", "ExecutionTimedOut", {
                "error": "States.Timeout", "cause": "The execution timed out"},
                error="States.Timeout", cause="The execution timed out")
            out.finished.append(execution["arn"])
            return out
        queue: deque[tuple[int, dict[str, Any]]] = deque()
        self._deliver_one(tx, execution, run, payload, queue, out)
        while queue and execution["status"] == "RUNNING":
            target, message = queue.popleft()
            child_or_parent = tx.run(target)
            if child_or_parent is not None:
                self._deliver_one(tx, execution, child_or_parent, message, queue, out)
        if execution["status"] == "RUNNING":  # an ended execution saved its counter already
            tx.save_event_counter(execution)
        return out

    def _deliver_one(self, tx: Tx, execution: dict[str, Any], run: dict[str, Any], payload: dict[str, Any],
                     queue: deque[tuple[int, dict[str, Any]]], out: Delivery) -> None:
        if run["status"] != "active":
            return
        if payload.get("gen") is not None and payload["gen"] != run["generation"]:
            return  # an answer to a task or timer this run has moved past
        if payload.get("fork") is not None and payload["fork"] != run["fork_generation"]:
            return  # a child of an earlier attempt at this Parallel or Map
        now = self.clock()
        if payload["e"] == "heartbeat":
            self._check_heartbeat(tx, execution, run, payload, now, queue)
            return
        run_id = run["id"]
        interpreter = self.interpreter(tx, execution["definition_id"])
        frame = json.loads(run["frame"])
        tokens: list[str] = []

        def token() -> str:
            tokens.append(new_token())
            return tokens[-1]

        # the same randomness when a delivery is applied again after a crash (States.UUID, jitter)
        rng = _SeededOnUse(f"{execution['arn']}/{run_id}/{run['generation']}")
        env = Env(now=_moment(now), new_task_token=token, rng=cast(random.Random, rng),
                  next_event_id=execution["next_event_id"], limits=self.limits)
        step = interpreter.advance(frame, _event(payload), self._info(execution), env)
        events = []
        for event in step.events:
            details = event.details if event.details_key and event.details is not None else None
            if tokens and details is not None:
                details = redact_tokens(details, tokens)
            events.append((event.type, details))
        if events:
            tx.append_events(execution, now, events)
        gen = run["generation"] + 1
        changes: dict[str, Any] = {"frame": json.dumps(step.frame, separators=(",", ":")), "generation": gen}
        if step.cancel_children:
            self._cancel_children(tx, execution, run_id)
        action = step.action
        if isinstance(action, InvokeTask):
            self._invoke(tx, execution, run_id, gen, action, step.frame, now, out)
        elif isinstance(action, Sleep):
            tx.add_work(execution["id"], run_id, "event", {"e": "timer", "gen": gen}, _epoch(action.until), now=now)
        elif isinstance(action, Fork):
            self._cancel_children(tx, execution, run_id)
            fork = run["fork_generation"] + 1
            changes["fork_generation"] = fork
            for index, child in enumerate(action.children):
                tx.insert_run(execution["id"], child, parent_id=run_id, child_index=index, parent_fork=fork)
            self._start_children(tx, execution, run_id, fork, action.start, now)
        elif isinstance(action, Await):
            self._start_children(tx, execution, run_id, run["fork_generation"], action.start, now)
        elif isinstance(action, (Finish, Fail)):
            changes["status"] = "done"
            self._run_ended(tx, execution, run, action, step.frame, queue, out)
        tx.update_run(run_id, changes)

    def _info(self, execution: dict[str, Any]) -> ExecutionInfo:
        return ExecutionInfo(
            execution_arn=execution["arn"], name=execution["name"], input=json.loads(execution["input"]),
            start_time=_moment(execution["started_at"]), state_machine_arn=execution["machine_arn"],
            state_machine_name=execution["machine_arn"].split(":")[6], role_arn=execution["role_arn"],
            redrive_count=execution["redrive_count"],
            redrive_time=_moment(execution["redrive_at"]) if execution["redrive_at"] else None,
        )

    def _invoke(self, tx: Tx, execution: dict[str, Any], run_id: int, gen: int, action: InvokeTask,
                frame: dict[str, Any], now: float, out: Delivery) -> None:
        arn, execution_id = execution["arn"], execution["id"]
        token = action.task_token
        parameters = hide_token(action.parameters, token) if token else action.parameters
        if action.timeout_seconds and action.timeout_seconds < DEFAULT_TASK_TIMEOUT:
            tx.add_work(execution_id, run_id, "event", {"e": "fail", "error": "States.Timeout", "gen": gen},
                        now + action.timeout_seconds)
        activity = action.resource.kind is Kind.ACTIVITY
        if action.heartbeat_seconds and (token or activity):
            tx.add_work(execution_id, run_id, "event", {"e": "heartbeat", "gen": gen, "seconds": action.heartbeat_seconds},
                        now + action.heartbeat_seconds)
        if activity:  # served by GetActivityTask, which issues the token
            tx.insert_activity_task({
                "activity_arn": action.resource.arn, "execution_id": execution_id, "run_id": run_id, "task_id": gen,
                "state_name": action.state_name, "input": to_json(action.parameters), "created_at": now,
            })
            tx.notify = True  # wakes GetActivityTask's long polls
            return
        if token:
            tx.insert_token({
                "hash": hash_token(token), "execution_id": execution_id, "run_id": run_id, "task_id": gen,
                "state_name": action.state_name, "resource": action.resource.arn, "created_at": now,
                "timeout_at": now + action.timeout_seconds if action.timeout_seconds < DEFAULT_TASK_TIMEOUT else None,
                "heartbeat_seconds": action.heartbeat_seconds, "heartbeat_at": now, "parameters": to_json(parameters),
            })
        payload = {
            "resource": action.resource.arn, "parameters": parameters, "wait_for_token": action.resource.waits_for_token,
            "has_token": token is not None, "timeout_seconds": action.timeout_seconds,
            "state_name": action.state_name, "attempt": action.attempt, "gen": gen,
            "idempotency_key": f"{arn}/{frame.get('entered_id', 0)}/{action.attempt}",
        }
        if not self.runs_tasks:  # the claimer issues a fresh token; this one is never handed out
            tx.add_work(execution_id, run_id, "invoke", payload, now, now=now)
            return
        # Leased at once to this worker, which invokes it after commit; a crash leaves it to expire
        work_id = tx.add_work(execution_id, run_id, "invoke", payload, now + self.lease_seconds, owner=self.owner)
        out.invocations.append(Invocation(work_id, execution_id, arn, run_id, gen, payload, token))

    def _check_heartbeat(self, tx: Tx, execution: dict[str, Any], run: dict[str, Any], payload: dict[str, Any],
                         now: float, queue: deque[tuple[int, dict[str, Any]]]) -> None:
        row = tx.waiting_token(execution["id"], run["id"], payload["gen"])
        if row is None:  # an activity not yet handed out: its heartbeat clock has not started
            tx.add_work(execution["id"], run["id"], "event", payload, now + payload["seconds"])
            return
        due = row["heartbeat_at"] + row["heartbeat_seconds"]
        if due > now:
            tx.add_work(execution["id"], run["id"], "event", payload, due)
            return
        queue.appendleft((run["id"], {"e": "fail", "error": "States.HeartbeatTimeout", "gen": payload["gen"]}))

    def _start_children(self, tx: Tx, execution: dict[str, Any], run_id: int, fork: int, indices: list[int],
                        now: float) -> None:
        if not indices:
            return
        wanted = set(indices)
        for child in tx.children(run_id, fork):
            if child["child_index"] in wanted:
                tx.add_work(execution["id"], child["id"], "event", {"e": "start"}, now, now=now)

    def _cancel_children(self, tx: Tx, execution: dict[str, Any], run_id: int) -> None:
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

    def _run_ended(self, tx: Tx, execution: dict[str, Any], run: dict[str, Any], action: Finish | Fail,
                   frame: dict[str, Any], queue: deque[tuple[int, dict[str, Any]]], out: Delivery) -> None:
        tx.delete_run_work(run["id"])
        if run["parent_id"] is not None:
            outcome = dataclasses.asdict(RunOutcome.of(action, frame))
            queue.append((run["parent_id"], {"e": "child", "index": run["child_index"], "outcome": outcome,
                                             "fork": run["parent_fork"]}))
            return
        if isinstance(action, Finish):
            output = to_json(action.output)
            self._end(tx, execution, "SUCCEEDED", "ExecutionSucceeded", {
                "output": output, "outputDetails": {"truncated": False}}, output=output)
        else:
            details = {key: value for key, value in (("error", action.error), ("cause", action.cause)) if value is not None}
            self._end(tx, execution, "FAILED", "ExecutionFailed", details, error=action.error, cause=action.cause)
        out.finished.append(execution["arn"])

    # -- task tokens ------------------------------------------------------------------------------------

    def answer_token(self, tx: Tx, token_hash: str, payload: dict[str, Any]) -> tuple[str, Delivery | None]:
        """Apply SendTaskSuccess/Failure to the task waiting on `token_hash`: ("ok", delivery) or (why not, None)."""
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
        return "ok", self.deliver(tx, row["run_id"], {**payload, "gen": row["task_id"]}, found)


class _SeededOnUse:
    """A `random.Random` seeded from `key` on first use: most steps draw no random number at all."""

    def __init__(self, key: str):
        self._key = key
        self._rng: random.Random | None = None

    def __getattr__(self, name: str) -> Any:
        if self._rng is None:
            seed = hashlib.blake2b(self._key.encode(), digest_size=8).digest()
            self._rng = random.Random(int.from_bytes(seed, "big"))
        return getattr(self._rng, name)
