"""Express executions: run in memory on a worker, nothing persisted per transition, at most five minutes.

An EXPRESS state machine's execution is driven by the same interpreter and driver as `sojourn.run`, with
its tasks invoked through the process's integrations (as a Standard execution's are). Its history lives
only in memory while it runs; what is kept of it afterwards is what the machine's `loggingConfiguration`
asks for, written as AWS's CloudWatch Logs would carry it, one JSON line an event, to
`<data_dir>/logs/<log group name>.jsonl` (Sojourn's stand-in for CloudWatch Logs).

Guarantees (AWS: asynchronous Express at least once, synchronous Express at most once): StartSyncExecution
runs the execution in the thread that answers the request, at most once; a StartExecution of an EXPRESS
machine runs on this process's Express pool after the call returns and is lost if the process dies before
it ends (at most once as well: Sojourn does not re-run it). The limit is `express_max_seconds` (AWS's five
minutes); past it the execution ends TIMED_OUT with States.Timeout, as past its TimeoutSeconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sojourn.asl.budget import DEFAULT_LIMITS, Limits
from sojourn.asl.driver import ExecutionEnd
from sojourn.asl.errors import StatesError
from sojourn.asl.interpreter import ExecutionInfo, Interpreter, InvokeTask, TaskFailure, TaskSuccess, to_json
from sojourn.asl.program import compile_definition
from sojourn.integrations.base import TaskCall
from sojourn.runner import Result, _InMemory

__all__ = ["EXPRESS_MAX_SECONDS", "Express", "ExpressStart", "log_group_file"]

EXPRESS_MAX_SECONDS = 300.0  # AWS: an Express execution runs for at most five minutes
log = logging.getLogger("sojourn.express")
_FATAL = ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut")


@dataclass(frozen=True)
class ExpressStart:
    """One Express execution to run: who it is, what it runs and where its events are logged."""

    info: ExecutionInfo
    definition: str  # the definition's JSON text
    input: Any
    logging: dict[str, Any] = field(default_factory=dict)  # the machine's loggingConfiguration


class _ClockAdapter:
    """`sojourn.runner.Clock` over an epoch clock. On the wall clock (`time.time`) waiting sleeps; on any
    other (a test's) the execution's time jumps to the timer instead, as `sojourn.VirtualClock`'s does."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0 and self.clock is time.time:
            time.sleep(delay)


class _ExpressHost(_InMemory):
    """The in-memory host with tasks invoked through the integrations, and Express's time limit."""

    def __init__(self, interpreter: Interpreter, info: ExecutionInfo, express: Express):
        super().__init__(interpreter, info, None, _ClockAdapter(express.clock), None, express.limits)
        self.express = express
        limit = self.now + timedelta(seconds=express.max_seconds)
        self.deadline = limit if self.deadline is None else min(self.deadline, limit)

    def step(self, run: Any, event: Any) -> None:
        if self.deadline is not None and max(self.now, self.clock.now()) >= self.deadline:
            self.now = self.deadline
            self.end_execution(ExecutionEnd.timed_out())
            return
        super().step(run, event)

    def answer(self, action: InvokeTask) -> Any:
        now = max(self.now, self.clock.now())
        remaining = (self.deadline - now).total_seconds() if self.deadline else None
        timeout: float = action.timeout_seconds
        if remaining is not None:
            timeout = min(timeout, remaining)
        call = TaskCall(
            resource=action.resource.arn,
            parameters=action.parameters,
            idempotency_key=f"{self.info.execution_arn}/{len(self.history)}/{action.attempt}",
            timeout_seconds=timeout,
            execution_arn=self.info.execution_arn,
            state_name=action.state_name,
            attempt=action.attempt,
        )
        try:
            return TaskSuccess(json.loads(to_json(self.express.invoker(call))))
        except StatesError as e:
            return TaskFailure(e.error, e.cause)
        except Exception as e:  # matched by its class name, as Lambda's errors are
            return TaskFailure(type(e).__name__, str(e))


class Express:
    """Runs Express executions in memory: `run` in the caller's thread, `start` on a pool of threads."""

    def __init__(
        self,
        invoker: Callable[[TaskCall], Any],
        clock: Callable[[], float],
        data_dir: str | Path,
        max_seconds: float = EXPRESS_MAX_SECONDS,
        limits: Limits = DEFAULT_LIMITS,
        threads: int = 16,
    ):
        self.invoker = invoker
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.max_seconds = max_seconds
        self.limits = limits
        self.threads = threads
        self.pool: ThreadPoolExecutor | None = None
        self._programs: dict[str, Interpreter] = {}
        self._lock = threading.Lock()

    def interpreter(self, definition: str) -> Interpreter:
        with self._lock:
            found = self._programs.get(definition)
        if found is None:
            found = Interpreter(compile_definition(json.loads(definition)))
            with self._lock:
                if len(self._programs) > 256:
                    self._programs.clear()
                self._programs[definition] = found
        return found

    def run(self, start: ExpressStart) -> Result:
        """Run the execution to its end here and now; its events go to the log destination, if any."""
        host = _ExpressHost(self.interpreter(start.definition), start.info, self)
        try:
            result = host.execute(start.input)
        finally:
            self._log(start, host.history)
        return result

    def start(self, start: ExpressStart, inline: bool = False) -> None:
        """Run the execution on the pool (or here when `inline`); nothing waits for its end."""
        if inline:
            self._run_quietly(start)
            return
        with self._lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="sojourn-express")
            pool = self.pool
        pool.submit(self._run_quietly, start)

    def _run_quietly(self, start: ExpressStart) -> None:
        try:
            self.run(start)
        except Exception:  # nobody waits for an asynchronous one: its failure is logged, not raised
            log.exception("express execution %s", start.info.execution_arn)

    def stop(self) -> None:
        with self._lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # -- logging (Sojourn's stand-in for CloudWatch Logs) -----------------------------------------------

    def _log(self, start: ExpressStart, history: list[dict[str, Any]]) -> None:
        config = start.logging or {}
        level = config.get("level", "OFF")
        destinations = config.get("destinations") or []
        if level == "OFF" or not destinations:
            return
        lines = [
            json.dumps(_log_event(event, start.info.execution_arn, config.get("includeExecutionData", False)))
            for event in history
            if _logged(event["type"], level)
        ]
        if not lines:
            return
        for destination in destinations:
            group = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
            if not isinstance(group, str):
                continue
            path = log_group_file(self.data_dir, group)
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, path.open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")


def log_group_file(data_dir: str | Path, log_group_arn: str) -> Path:
    """The file that stands for a CloudWatch Logs log group (`arn:aws:logs:...:log-group:NAME:*`)."""
    parts = log_group_arn.split(":")
    name = parts[6] if len(parts) > 6 and parts[5] == "log-group" else log_group_arn
    return Path(data_dir) / "logs" / (urllib.parse.quote(name, safe="") + ".jsonl")


def _logged(type: str, level: str) -> bool:
    """Whether a level logs an event: ALL every one, ERROR the failures, FATAL the execution's failures."""
    if level == "ALL":
        return True
    failed = type.endswith(("Failed", "TimedOut", "Aborted"))
    return failed if level == "ERROR" else type in _FATAL


def _log_event(event: dict[str, Any], execution_arn: str, include_data: bool) -> dict[str, Any]:
    """An event as Step Functions writes it to CloudWatch Logs: ids as text, the timestamp in ms."""
    details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    if not include_data:
        details = {key: value for key, value in details.items() if key not in ("input", "output")}
    timestamp: datetime = event["timestamp"]
    return {
        "id": str(event["id"]),
        "type": event["type"],
        "details": details,
        "previous_event_id": str(event["previousEventId"]),
        "event_timestamp": str(int(timestamp.timestamp() * 1000)),
        "execution_arn": execution_arn,
        "redrive_count": "0",
    }
