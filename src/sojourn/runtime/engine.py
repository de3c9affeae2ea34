"""The transactional core: apply interpreter steps to stored runs, one transaction per delivery.

`Engine.deliver(tx, execution_arn, run_id, payload)` feeds one event to a run and keeps going with
the events that follow inside the same execution (a child's end wakes its parent), so a transition,
its history events and the next work always commit together. Work payloads are JSON:
`{"e": "start" | "ok" | "fail" | "timer" | "child" | "redrive" | "heartbeat" | "exec_timeout", "gen": n}`;
`gen` is the run's generation the answer belongs to, so a late or duplicated answer is dropped.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    task_resource_names,
    to_json,
)
from sojourn.asl.program import compile_definition
from sojourn.store.base import Tx

__all__ = ["TOKEN_PLACEHOLDER", "Delivery", "Engine", "Invocation", "hash_token", "is_activity", "is_token_form",
           "new_token"]

TOKEN_PLACEHOLDER = "\x00sojourn:task-token\x00"  # stands for the token in stored parameters
REDACTED_TOKEN = "<task token: redacted>"  # what history shows where a task token was


def new_token() -> str:
    """An unguessable task token: 256 random bits."""
    return secrets.token_urlsafe(32)


_TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")


def is_token_form(text: str) -> bool:
    """True when `text` could be a token `new_token` made (AWS answers InvalidToken to one it never could have)."""
    return isinstance(text, str) and _TOKEN_FORM.fullmatch(text) is not None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_activity(resource: str) -> bool:
    parts = resource.split(":")
    return len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity"


def replace_token(value: Any, old: str, new: str) -> Any:
    """`value` with `old` replaced by `new` in every string (task tokens inside parameters, also where
    `States.Format` wrote one into a longer string such as a link)."""
    if isinstance(value, str):
        return value.replace(old, new) if old in value else value
    if isinstance(value, dict):
        return {key: replace_token(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_token(item, old, new) for item in value]
    return value


def _without_tokens(details: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    """Event details with each task token redacted: history is stored, and tokens are kept only as hashes.

    Tokens are URL-safe base64, so they cannot straddle JSON escapes inside `parameters` strings.
    """
    text = json.dumps(details)
    if not any(token in text for token in tokens):
        return details
    for token in tokens:
        text = text.replace(token, REDACTED_TOKEN)
    redacted: dict[str, Any] = json.loads(text)
    return redacted


@dataclass
class Invocation:
    """A task to invoke once the transaction that scheduled it commits. The token lives only here."""

    work_id: int
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

    def __init__(self, clock: Callable[[], float], owner: str, lease_seconds: float = 30.0):
        self.clock = clock
        self.owner = owner
        self.lease_seconds = lease_seconds
        # True while this process's workers run: a task it schedules is leased to it and invoked after
        # commit; otherwise (a client that only answers tokens, a test driving work inline) the task is
        # left due for whichever worker claims it first
        self.runs_tasks = False
        self._interpreters: dict[str, Interpreter] = {}
        self._lock = threading.Lock()

    def interpreter(self, definition: str) -> Interpreter:
        with self._lock:
            found = self._interpreters.get(definition)
        if found is None:
            found = Interpreter(compile_definition(json.loads(definition)))
            with self._lock:
                if len(self._interpreters) > 256:
                    self._interpreters.clear()
                self._interpreters[definition] = found
        return found

    # -- starting and ending executions --------------------------------------------------------------

    def start_execution(self, tx: Tx, execution: dict[str, Any]) -> None:
        """Record ExecutionStarted, the top-level run and its first work (the row is already inserted)."""
        now = self.clock()
        details: dict[str, Any] = {
            "input": execution["input"], "inputDetails": {"truncated": False},
            "roleArn": execution["role_arn"], "stateMachineArn": execution["machine_arn"],
        }
        if execution.get("version_arn"):
            details["stateMachineVersionArn"] = execution["version_arn"]
        if execution.get("alias_arn"):
            details["stateMachineAliasArn"] = execution["alias_arn"]
        tx.append_event(execution, now, "ExecutionStarted", {"executionStartedEventDetails": details})
        tx.save_event_counter(execution)
        interpreter = self.interpreter(execution["definition"])
        frame = interpreter.start_frame(json.loads(execution["input"]))
        run_id = tx.insert("runs", {
            "execution_arn": execution["arn"], "parent_id": None, "child_index": 0, "status": "active",
            "frame": json.dumps(frame, separators=(",", ":")),
        }, returning="id")
        tx.add_work(execution["arn"], run_id, "event", {"e": "start"}, now, now=now)
        self._schedule_execution_timeout(tx, execution, run_id, interpreter, now)

    def _schedule_execution_timeout(self, tx: Tx, execution: dict[str, Any], run_id: int,
                                    interpreter: Interpreter, now: float) -> None:
        timeout = interpreter.program.timeout_seconds
        if isinstance(timeout, int) and timeout > 0:
            tx.add_work(execution["arn"], run_id, "event", {"e": "exec_timeout"}, now + timeout)

    def stop_execution(self, tx: Tx, execution: dict[str, Any], error: str | None, cause: str | None) -> None:
        details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        self._end(tx, execution, "ABORTED", "ExecutionAborted", {"executionAbortedEventDetails": details},
                  error=error, cause=cause)

    def redrive(self, tx: Tx, execution: dict[str, Any]) -> None:
        """Restart a stopped execution at the state its top-level run stopped at (RedriveExecution)."""
        now = self.clock()
        count = execution["redrive_count"] + 1
        tx.update("executions", {"arn": execution["arn"]}, {
            "status": "RUNNING", "redrive_count": count, "redrive_at": now, "stopped_at": None,
            "output": None, "error": None, "cause": None,
        })
        execution.update(status="RUNNING", redrive_count=count, redrive_at=now)
        tx.append_event(execution, now, "ExecutionRedriven", {"executionRedrivenEventDetails": {"redriveCount": count}})
        tx.save_event_counter(execution)
        root = next(run for run in tx.runs(execution["arn"]) if run["parent_id"] is None)
        tx.update("runs", {"id": root["id"]}, {"status": "active", "generation": root["generation"] + 1})
        tx.add_work(execution["arn"], root["id"], "event", {"e": "redrive"}, now, now=now)
        self._schedule_execution_timeout(tx, execution, root["id"], self.interpreter(execution["definition"]), now)

    def task_submitted(self, tx: Tx, invocation: Invocation, output: Any) -> None:
        """Record AWS's TaskSubmitted: a `.waitForTaskToken` task's call returned, the token is now awaited."""
        execution = tx.execution(invocation.execution_arn, lock=True)
        run = tx.run(invocation.run_id)
        if execution is None or execution["status"] != "RUNNING" or run is None or run["generation"] != invocation.gen:
            return  # the execution moved on meanwhile (stopped, timed out, already answered)
        resource_type, resource = task_resource_names(invocation.payload["resource"])
        text = to_json(output)
        tx.append_event(execution, self.clock(), "TaskSubmitted", {"taskSubmittedEventDetails": {
            "resourceType": resource_type, "resource": resource, "output": text,
            "outputDetails": {"truncated": False}}})
        tx.save_event_counter(execution)

    def _end(self, tx: Tx, execution: dict[str, Any], status: str, event_type: str, details: dict[str, Any],
             output: str | None = None, error: str | None = None, cause: str | None = None) -> None:
        now = self.clock()
        tx.append_event(execution, now, event_type, details)
        tx.save_event_counter(execution)
        tx.update("executions", {"arn": execution["arn"]}, {
            "status": status, "stopped_at": now, "output": output, "error": error, "cause": cause,
        })
        execution["status"] = status
        tx.execute("DELETE FROM work WHERE execution_arn = ?", (execution["arn"],))
        tx.close_tokens(execution["arn"], status="closed")
        tx.execute("UPDATE activity_tasks SET status = 'closed' WHERE execution_arn = ? AND status <> 'closed'",
                   (execution["arn"],))
        tx.execute("UPDATE runs SET status = 'cancelled' WHERE execution_arn = ? AND status = 'active'",
                   (execution["arn"],))
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
        tx.add_work(parent["execution_arn"], parent["run_id"], "event", payload, now, now=now)

    # -- delivering events -----------------------------------------------------------------------------

    def deliver(self, tx: Tx, execution_arn: str, run_id: int, payload: dict[str, Any]) -> Delivery:
        """Apply `payload` to the run and everything it sets off inside this execution, in this transaction."""
        out = Delivery()
        execution = tx.execution(execution_arn, lock=True)
        if execution is None or execution["status"] != "RUNNING":
            return out
        if payload["e"] == "exec_timeout":
            self._end(tx, execution, "TIMED_OUT", "ExecutionTimedOut", {"executionTimedOutEventDetails": {
                "error": "States.Timeout", "cause": "The execution timed out"}},
                error="States.Timeout", cause="The execution timed out")
            out.finished.append(execution_arn)
            return out
        queue: deque[tuple[int, dict[str, Any]]] = deque([(run_id, payload)])
        while queue and execution["status"] == "RUNNING":
            target, message = queue.popleft()
            self._deliver_one(tx, execution, target, message, queue, out)
        tx.save_event_counter(execution)
        return out

    def _deliver_one(self, tx: Tx, execution: dict[str, Any], run_id: int, payload: dict[str, Any],
                     queue: deque[tuple[int, dict[str, Any]]], out: Delivery) -> None:
        run = tx.run(run_id)
        if run is None or run["status"] != "active":
            return
        if payload.get("gen") is not None and payload["gen"] != run["generation"]:
            return  # an answer to a task or timer this run has moved past
        if payload.get("fork") is not None and payload["fork"] != run["fork_generation"]:
            return  # a child of an earlier attempt at this Parallel or Map
        now = self.clock()
        if payload["e"] == "heartbeat":
            self._check_heartbeat(tx, execution, run, payload, now, queue)
            return
        interpreter = self.interpreter(execution["definition"])
        frame = json.loads(run["frame"])
        tokens: list[str] = []

        def token() -> str:
            tokens.append(new_token())
            return tokens[-1]

        # the same randomness when a delivery is applied again after a crash (States.UUID, jitter)
        seed = hashlib.blake2b(f"{execution['arn']}/{run_id}/{run['generation']}".encode(), digest_size=8).digest()
        env = Env(now=_moment(now), new_task_token=token, rng=random.Random(int.from_bytes(seed, "big")),
                  next_event_id=execution["next_event_id"])
        step = interpreter.advance(frame, _event(payload), self._info(execution), env)
        events = []
        for event in step.events:
            details = {event.details_key: event.details} if event.details_key and event.details is not None else None
            if tokens and details is not None:
                details = _without_tokens(details, tokens)
            events.append((event.type, details))
        if events:
            tx.append_events(execution, now, events)
        gen = run["generation"] + 1
        changes: dict[str, Any] = {"frame": json.dumps(step.frame, separators=(",", ":")), "generation": gen}
        if step.cancel_children:
            self._cancel_children(tx, run_id)
        action = step.action
        if isinstance(action, InvokeTask):
            self._invoke(tx, execution, run_id, gen, action, step.frame, now, out)
        elif isinstance(action, Sleep):
            tx.add_work(execution["arn"], run_id, "event", {"e": "timer", "gen": gen}, _epoch(action.until), now=now)
        elif isinstance(action, Fork):
            self._cancel_children(tx, run_id)
            fork = run["fork_generation"] + 1
            changes["fork_generation"] = fork
            for index, child in enumerate(action.children):
                tx.insert("runs", {
                    "execution_arn": execution["arn"], "parent_id": run_id, "child_index": index, "status": "active",
                    "parent_fork": fork, "frame": json.dumps(child, separators=(",", ":")),
                })
            self._start_children(tx, execution, run_id, fork, action.start, now)
        elif isinstance(action, Await):
            self._start_children(tx, execution, run_id, run["fork_generation"], action.start, now)
        elif isinstance(action, (Finish, Fail)):
            changes["status"] = "done"
            self._run_ended(tx, execution, run, action, queue, out)
        tx.update("runs", {"id": run_id}, changes)

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
        arn = execution["arn"]
        token = action.task_token
        parameters = replace_token(action.parameters, token, TOKEN_PLACEHOLDER) if token else action.parameters
        if action.timeout_seconds and action.timeout_seconds < DEFAULT_TASK_TIMEOUT:
            tx.add_work(arn, run_id, "event", {"e": "fail", "error": "States.Timeout", "gen": gen},
                        now + action.timeout_seconds)
        if action.heartbeat_seconds and (token or is_activity(action.resource)):
            tx.add_work(arn, run_id, "event", {"e": "heartbeat", "gen": gen, "seconds": action.heartbeat_seconds},
                        now + action.heartbeat_seconds)
        if is_activity(action.resource):  # served by GetActivityTask, which issues the token
            tx.insert("activity_tasks", {
                "activity_arn": action.resource, "execution_arn": arn, "run_id": run_id, "task_id": gen,
                "state_name": action.state_name, "input": to_json(action.parameters), "status": "pending",
                "created_at": now,
            })
            self.store_wake(tx)
            return
        if token:
            tx.insert("tokens", {
                "hash": hash_token(token), "execution_arn": arn, "run_id": run_id, "task_id": gen,
                "state_name": action.state_name, "resource": action.resource, "status": "waiting",
                "created_at": now, "timeout_at": now + action.timeout_seconds
                if action.timeout_seconds < DEFAULT_TASK_TIMEOUT else None,
                "heartbeat_seconds": action.heartbeat_seconds, "heartbeat_at": now,
                "parameters": to_json(parameters),
            })
        payload = {
            "resource": action.resource, "parameters": parameters, "wait_for_token": action.wait_for_token,
            "has_token": token is not None, "timeout_seconds": action.timeout_seconds,
            "state_name": action.state_name, "attempt": action.attempt, "gen": gen,
            "idempotency_key": f"{arn}/{frame.get('entered_id', 0)}/{action.attempt}",
        }
        if not self.runs_tasks:  # the claimer issues a fresh token; this one is never handed out
            tx.add_work(arn, run_id, "invoke", payload, now, now=now)
            return
        # Claimed at once by this worker, which invokes it after commit; a crash leaves it to expire
        work_id = tx.add_work(arn, run_id, "invoke", payload, now, owner=self.owner,
                              lease_until=now + self.lease_seconds)
        out.invocations.append(Invocation(work_id, arn, run_id, gen, payload, token))

    @staticmethod
    def store_wake(tx: Tx) -> None:
        tx.notify = True

    def _check_heartbeat(self, tx: Tx, execution: dict[str, Any], run: dict[str, Any], payload: dict[str, Any],
                         now: float, queue: deque[tuple[int, dict[str, Any]]]) -> None:
        row = tx.one("SELECT * FROM tokens WHERE execution_arn = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
                     (execution["arn"], run["id"], payload["gen"]))
        if row is None:  # an activity not yet handed out: its heartbeat clock has not started
            tx.add_work(execution["arn"], run["id"], "event", payload, now + payload["seconds"])
            return
        due = row["heartbeat_at"] + row["heartbeat_seconds"]
        if due > now:
            tx.add_work(execution["arn"], run["id"], "event", payload, due)
            return
        queue.appendleft((run["id"], {"e": "fail", "error": "States.HeartbeatTimeout", "gen": payload["gen"]}))

    def _start_children(self, tx: Tx, execution: dict[str, Any], run_id: int, fork: int, indices: list[int],
                        now: float) -> None:
        if not indices:
            return
        for child in tx.all("SELECT id, child_index FROM runs WHERE parent_id = ? AND parent_fork = ?", (run_id, fork)):
            if child["child_index"] in indices:
                tx.add_work(execution["arn"], child["id"], "event", {"e": "start"}, now, now=now)

    def _cancel_children(self, tx: Tx, run_id: int) -> None:
        """Cancel the unfinished runs below `run_id`: their work, tokens and activity tasks."""
        pending = [run_id]
        while pending:
            parent = pending.pop()
            for child in tx.children(parent):
                pending.append(child["id"])
                if child["status"] == "active":
                    tx.update("runs", {"id": child["id"]}, {"status": "cancelled"})
                    tx.execute("DELETE FROM work WHERE run_id = ?", (child["id"],))
                    tx.execute("UPDATE tokens SET status = 'closed' WHERE run_id = ? AND status = 'waiting'", (child["id"],))
                    tx.execute("UPDATE activity_tasks SET status = 'closed' WHERE run_id = ? AND status <> 'closed'",
                               (child["id"],))

    def _run_ended(self, tx: Tx, execution: dict[str, Any], run: dict[str, Any], action: Finish | Fail,
                   queue: deque[tuple[int, dict[str, Any]]], out: Delivery) -> None:
        tx.execute("DELETE FROM work WHERE run_id = ?", (run["id"],))
        if run["parent_id"] is not None:
            if isinstance(action, Finish):
                outcome = {"succeeded": True, "output": action.output}
            else:
                outcome = {"succeeded": False, "error": action.error, "cause": action.cause}
            queue.append((run["parent_id"], {"e": "child", "index": run["child_index"], "outcome": outcome,
                                             "fork": run["parent_fork"]}))
            return
        if isinstance(action, Finish):
            output = to_json(action.output)
            self._end(tx, execution, "SUCCEEDED", "ExecutionSucceeded", {"executionSucceededEventDetails": {
                "output": output, "outputDetails": {"truncated": False}}}, output=output)
        else:
            details = {key: value for key, value in (("error", action.error), ("cause", action.cause)) if value is not None}
            self._end(tx, execution, "FAILED", "ExecutionFailed", {"executionFailedEventDetails": details},
                      error=action.error, cause=action.cause)
        out.finished.append(execution["arn"])

    # -- task tokens ------------------------------------------------------------------------------------

    def answer_token(self, tx: Tx, token_hash: str, payload: dict[str, Any]) -> tuple[str, Delivery | None]:
        """Apply SendTaskSuccess/Failure to the task waiting on `token_hash`: ("ok", delivery) or (why not, None)."""
        row = tx.token(token_hash)
        if row is None:
            return "missing", None
        if row["status"] != "waiting":
            return "closed", None
        execution = tx.execution(row["execution_arn"], lock=True)
        row = tx.token(token_hash, lock=True)
        if row is None or row["status"] != "waiting" or execution is None or execution["status"] != "RUNNING":
            return "closed", None
        tx.update("tokens", {"hash": token_hash}, {"status": "done"})
        tx.execute("UPDATE activity_tasks SET status = 'closed' WHERE run_id = ? AND task_id = ?", (row["run_id"], row["task_id"]))
        return "ok", self.deliver(tx, row["execution_arn"], row["run_id"], {**payload, "gen": row["task_id"]})
