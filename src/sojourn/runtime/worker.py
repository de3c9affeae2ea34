"""Worker threads: claim due work with a lease, deliver it through the engine, invoke tasks.

A task is recorded before it is invoked (an `invoke` work item, leased by the worker that scheduled
it) and after (the item is deleted in the transaction that applies the result). A crash in between
leaves the item to expire and be claimed again: at-least-once invocation with a stable idempotency
key, and each transition applied once. `run_until_idle()` drives everything synchronously for tests.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sojourn.asl.errors import StatesError
from sojourn.asl.interpreter import to_json
from sojourn.integrations.base import Services, TaskCall
from sojourn.runtime.engine import TOKEN_PLACEHOLDER, Engine, Invocation, hash_token, new_token, replace_token
from sojourn.store.base import Store

__all__ = ["CurrentTask", "Runtime", "current_task", "resources_invoker", "takes_call"]

Invoker = Callable[[TaskCall], Any]
_current = threading.local()


@dataclass(frozen=True)
class CurrentTask:
    """Where the task being invoked on this thread will be answered (nested `.sync` executions need it)."""

    execution_arn: str
    run_id: int
    gen: int


def current_task() -> CurrentTask | None:
    """The task this thread is invoking, or None outside an invocation."""
    return getattr(_current, "task", None)


def _integration_invoker(services: Services) -> Invoker:
    def invoke(call: TaskCall) -> Any:
        from sojourn.integrations import resolve

        return resolve(call.resource).invoke(call, services)

    return invoke


def resources_invoker(resources: Mapping[str, Callable[..., Any]], fallback: Invoker | None = None) -> Invoker:
    """An invoker from `{resource: callable(parameters)}` (tests, embedding); suffixes like `.sync` are ignored."""

    def invoke(call: TaskCall) -> Any:
        base = call.resource.removesuffix(".waitForTaskToken").removesuffix(".sync:2").removesuffix(".sync")
        function = resources.get(call.resource) or resources.get(base)
        if function is None:
            if fallback is not None:
                return fallback(call)
            raise StatesError("States.Runtime", f"No resource is registered for '{call.resource}'")
        return function(call) if getattr(function, "_sojourn_call", False) else function(call.parameters)

    return invoke


def takes_call(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a resource callable that wants the whole TaskCall (token, idempotency key)."""
    function._sojourn_call = True  # type: ignore[attr-defined]
    return function


class Runtime:
    """Drives executions stored in `store`. `start()` runs worker threads; `run_until_idle()` runs inline."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time, invoker: Invoker | None = None,
                 services: Services | None = None, workers: int = 4, lease_seconds: float = 30.0,
                 batch: int = 4):
        self.store = store
        self.clock = clock
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self.engine = Engine(clock, self.owner, lease_seconds)
        self.services = services or Services(store=store)
        self.invoker = invoker or _integration_invoker(self.services)
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.batch = batch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: set[int] = set()
        self._inflight_lock = threading.Lock()
        self._inline: list[Invocation] = []

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker threads. On SQLite (one process) every lease left by a dead process is freed."""
        if self.store.dialect == "sqlite":
            with self.store.transaction() as tx:
                tx.execute("UPDATE work SET lease_owner = NULL, lease_until = 0 WHERE lease_owner IS NOT NULL")
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=max(4, self.workers * 4), thread_name_prefix="sojourn-task")
        self.store.start_listening(self._stop)
        for number in range(self.workers):
            thread = threading.Thread(target=self._loop, name=f"sojourn-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        renewer = threading.Thread(target=self._renew_leases, name="sojourn-leases", daemon=True)
        renewer.start()
        self._threads.append(renewer)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.store.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def release(self) -> None:
        """Give up this runtime's leases: a process that ran no workers (the CLI on `--db`, an API-only
        client) hands the tasks its calls scheduled to the workers of the processes that serve the database."""
        with self.store.transaction() as tx:
            if tx.execute("UPDATE work SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?", (self.owner,)).rowcount:
                tx.notify = True
        self._inline.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll():
                    self._idle()
            except Exception:  # a database hiccup must not kill the worker; the lease brings the work back
                self._stop.wait(0.5)

    def _idle(self) -> None:
        with self.store.transaction() as tx:
            due = tx.next_due()
        now = self.clock()
        self.store.wait(1.0 if due is None else min(1.0, max(0.0, due - now)))

    def _renew_leases(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            with self._inflight_lock:
                ids = list(self._inflight)
            if not ids:
                continue
            until = self.clock() + self.lease_seconds
            try:
                with self.store.transaction() as tx:
                    for work_id in ids:
                        tx.execute("UPDATE work SET lease_until = ? WHERE id = ? AND lease_owner = ?", (until, work_id, self.owner))
            except Exception:
                continue

    # -- claiming and processing ---------------------------------------------------------------------

    def poll(self) -> int:
        """Claim and process one batch of due work; returns how many items were claimed."""
        with self.store.transaction() as tx:
            items = tx.claim_work(self.owner, self.clock(), self.lease_seconds, self.batch)
        for item in items:
            self.process(item)
        return len(items)

    def run_until_idle(self, limit: int = 100_000) -> int:
        """Process due work inline (tasks included) until none is due; for tests and embedding."""
        done = 0
        while done < limit:
            if self._inline:
                self._invoke(self._inline.pop(0), inline=True)
                continue
            with self.store.transaction() as tx:
                items = tx.claim_work(self.owner, self.clock(), self.lease_seconds, 1)
            if not items:
                return done
            self.process(items[0], inline=True)
            done += 1
        return done

    def process(self, item: dict[str, Any], inline: bool = False) -> None:
        payload = json.loads(item["payload"])
        if item["kind"] == "invoke":
            invocation = self._reclaim(item, payload)
            if invocation is not None:
                self._dispatch(invocation, inline)
            return
        with self.store.transaction() as tx:
            if tx.one("SELECT id FROM work WHERE id = ? AND lease_owner = ?", (item["id"], self.owner)) is None:
                return
            tx.delete_work(item["id"])
            delivery = self.engine.deliver(tx, item["execution_arn"], item["run_id"], payload)
        self.after_commit(delivery, inline)

    def after_commit(self, delivery: Any, inline: bool = False) -> None:
        """Start the tasks a committed delivery scheduled; wake whoever waits for executions to end."""
        if delivery is None:
            return
        for invocation in delivery.invocations:
            self._dispatch(invocation, inline)
        if delivery.finished:
            self.store.wake()

    def _reclaim(self, item: dict[str, Any], payload: dict[str, Any]) -> Invocation | None:
        """An invocation whose worker died: invoke again, with a fresh token replacing the lost one."""
        token = None
        if payload.get("has_token"):
            token = new_token()
            with self.store.transaction() as tx:
                changed = tx.execute(
                    "UPDATE tokens SET hash = ? WHERE execution_arn = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
                    (hash_token(token), item["execution_arn"], item["run_id"], payload["gen"]),
                ).rowcount
                if not changed:  # already answered, or the execution moved on
                    tx.delete_work(item["id"])
                    return None
        return Invocation(item["id"], item["execution_arn"], item["run_id"], payload["gen"], payload, token)

    def _dispatch(self, invocation: Invocation, inline: bool) -> None:
        with self._inflight_lock:
            self._inflight.add(invocation.work_id)
        if inline:
            self._inline.append(invocation)
        elif self._pool is not None:
            self._pool.submit(self._invoke, invocation)
        else:  # started neither as threads nor inline: the lease expires and a worker picks it up
            with self._inflight_lock:
                self._inflight.discard(invocation.work_id)

    def _invoke(self, invocation: Invocation, inline: bool = False) -> None:
        payload = invocation.payload
        token = invocation.token
        parameters = payload["parameters"]
        if token:
            parameters = replace_token(parameters, TOKEN_PLACEHOLDER, token)
        call = TaskCall(
            resource=payload["resource"], parameters=parameters, task_token=token,
            wait_for_token=payload["wait_for_token"], idempotency_key=payload["idempotency_key"],
            timeout_seconds=payload["timeout_seconds"], execution_arn=invocation.execution_arn,
            state_name=payload["state_name"], attempt=payload["attempt"],
        )
        answer: dict[str, Any]
        _current.task = CurrentTask(invocation.execution_arn, invocation.run_id, invocation.gen)
        try:
            result = self.invoker(call)
            if getattr(result, "sojourn_deferred", False):
                answer = {"e": "deferred"}
            else:
                answer = {"e": "ok", "output": json.loads(to_json(result))}
        except StatesError as e:
            answer = {"e": "fail", "error": e.error, "cause": e.cause}
        except Exception as e:  # a handler's exception is matched by its class name, as Lambda's are
            answer = {"e": "fail", "error": type(e).__name__, "cause": str(e)}
        finally:
            _current.task = None
        if answer["e"] == "fail" and self._stop.is_set():
            # Shutting down: the failure may be the shutdown's own doing (a connection cut, a process
            # signalled), so it is not recorded; the work stays leased and runs again after the next start.
            with self._inflight_lock:
                self._inflight.discard(invocation.work_id)
            return
        try:
            delivery = None
            with self.store.transaction() as tx:
                if tx.work_item(invocation.work_id) is None:
                    return  # the execution moved on (stopped, timed out) or another worker finished it
                tx.delete_work(invocation.work_id)
                waits = payload["wait_for_token"] or answer["e"] == "deferred"
                if not (waits and answer["e"] != "fail"):
                    delivery = self.engine.deliver(tx, invocation.execution_arn, invocation.run_id,
                                                   {**answer, "gen": invocation.gen})
            self.after_commit(delivery, inline)
        finally:
            with self._inflight_lock:
                self._inflight.discard(invocation.work_id)

    # -- task tokens ---------------------------------------------------------------------------------

    def answer_token(self, token: str, payload: dict[str, Any]) -> str:
        """SendTaskSuccess/Failure: "ok", "missing" (no such token) or "closed" (already used or timed out)."""
        with self.store.transaction() as tx:
            status, delivery = self.engine.answer_token(tx, hash_token(token), payload)
        self.after_commit(delivery, inline=self._pool is None)
        return status
