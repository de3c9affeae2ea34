"""Worker threads: claim due work with a lease, deliver it through the engine, invoke tasks.

A task is recorded before it is invoked (an `invoke` work item, leased by the worker that scheduled
it) and after (the item is deleted in the transaction that applies the result). A crash in between
leaves the item to expire and be claimed again: at-least-once invocation with a stable idempotency
key, and each transition applied once. `run_until_idle()` drives everything synchronously for tests.

A step that computes too long for a write transaction (`budget.Deferred`, see sojourn.runtime.engine) is
rolled back and left as a slow work item; the worker that takes a slow item leases it and computes it on
the task pool, outside any transaction, so the work beside it goes on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sojourn import metrics
from sojourn.asl import resources
from sojourn.asl.budget import DEFAULT_LIMITS, Deferred, Limits
from sojourn.asl.errors import StatesError
from sojourn.asl.interpreter import to_json
from sojourn.humantasks import timers
from sojourn.humantasks.tasks import TIMER as HUMAN_TASK_TIMER
from sojourn.integrations import resolve
from sojourn.integrations.base import Facilities, TaskCall
from sojourn.runtime import scheduler, work
from sojourn.runtime.engine import Delivery, Engine, LeasedTask
from sojourn.runtime.express import Express
from sojourn.runtime.slowlane import SlowLane
from sojourn.runtime.work import INVOKE, WorkEvent
from sojourn.store.base import Store, Tx
from sojourn.store.rows import DueWorkRow
from sojourn.tokens import hash_token, new_token, reveal_token

__all__ = ["Invoker", "Workers", "integration_invoker", "resources_invoker", "takes_call"]

Invoker = Callable[[TaskCall], Any]
log = logging.getLogger("sojourn.runtime")
TRANSIENT_ATTEMPTS = 5  # a deadlock victim's transaction is run again up to this many times
RECOMPUTE_ATTEMPTS = 3  # a slow step whose run moved while it computed is computed again this often
_live_owners: set[str] = set()  # the runtimes of this process that have not been stopped


@dataclass(frozen=True)
class _SlowEvent:
    """A slow work item leased to this worker, to compute outside any transaction once the lease commits."""

    item: DueWorkRow


class _Moved(Exception):
    """The run of a slow step moved while the step computed: roll back, compute it again."""


class _DeferredWork(BaseException):
    """The step of work item `work_id` computed past the engine's inline time: roll back, defer it."""

    def __init__(self, work_id: int):
        super().__init__(work_id)
        self.work_id = work_id


def integration_invoker(facilities: Facilities) -> Invoker:
    """The invoker that calls Sojourn's integrations (`sojourn.integrations.resolve`),
    lending them `facilities`."""

    def invoke(call: TaskCall) -> Any:
        return resolve(call.resource).invoke(call, facilities)

    return invoke


def resources_invoker(
    resources: Mapping[str, Callable[..., Any]], fallback: Invoker | None = None
) -> Invoker:
    """An invoker from `{resource: callable(parameters)}` (tests, embedding);
    suffixes like `.sync` are ignored."""

    def invoke(call: TaskCall) -> Any:
        function = resources.get(call.resource) or resources.get(call.target.base)
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


class Workers:
    """Drive executions stored in `store`. `start()` runs worker threads; `run_until_idle()` runs inline."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        invoker: Invoker | None = None,
        facilities: Facilities | None = None,
        workers: int = 4,
        lease_seconds: float = 30.0,
        batch: int = 16,
        limits: Limits = DEFAULT_LIMITS,
    ):
        self.store = store
        self.clock = clock
        self.owner = f"{_process_space()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"
        _live_owners.add(self.owner)
        self.engine = Engine(clock, self.owner, lease_seconds, limits)
        self.facilities = facilities or Facilities(store=store, clock=clock)
        self.invoker = invoker or integration_invoker(self.facilities)
        settings = self.facilities.settings
        self.express = Express(
            self.invoker, clock, settings.data_dir, settings.express_max_seconds, limits
        )  # EXPRESS machines' executions, in memory
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.batch = batch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: set[int] = set()
        self._inflight_lock = threading.Lock()
        self._answers: list[tuple[LeasedTask, WorkEvent]] = []
        self._answers_lock = threading.Lock()
        self._committing = False
        self._slow_lane = threading.Lock()
        self.lane = SlowLane()  # the process slow steps compute in
        self.running = False  # between start() and stop(): worker threads poll (unless `workers` is 0)
        # how a due schedule starts its execution in the firing transaction (the executions service's, set
        # by sojourn.backend.System); None: this runtime fires no schedules
        self.start_scheduled: scheduler.Starter | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker threads, after re-enqueuing the claims of dead workers on this machine."""
        _live_owners.add(self.owner)
        self.running = True
        self.recover()
        self.engine.runs_tasks = True
        self._stop.clear()
        self._pool = ThreadPoolExecutor(
            max_workers=max(4, self.workers * 4), thread_name_prefix="sojourn-task"
        )
        self.store.start_listening(self._stop)
        for number in range(self.workers):
            thread = threading.Thread(target=self._loop, name=f"sojourn-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        renewer = threading.Thread(target=self._renew_leases, name="sojourn-leases", daemon=True)
        renewer.start()
        self._threads.append(renewer)

    def stop(self, timeout: float = 5.0) -> None:
        self.running = False
        self.engine.runs_tasks = False
        self._stop.set()
        self.store.wake_worker(len(self._threads))
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.lane.close()
        self.express.stop()
        _live_owners.discard(self.owner)

    def release(self) -> None:
        """Give up this runtime's leases: a process that ran no workers (the CLI on `--db`, an API-only
        client) hands the tasks its calls scheduled to the workers of the processes that serve the
        database."""
        with self.store.transaction() as tx:
            tx.release_leases(self.owner, self.clock())

    def _loop(self) -> None:
        while not self._stop.is_set():
            metrics.WORKER_HEARTBEAT.set_to_current_time()
            try:
                taken, next_due = self._poll(self.batch)
                if not taken:  # sleep until the next item falls due or new work wakes this worker
                    self.store.wait_for_work(self._rest(next_due))
            except Exception:  # a database hiccup must not kill the worker; the lease brings the work back
                log.exception("worker loop")
                self._stop.wait(0.5)

    def _rest(self, next_due: float | None) -> float:
        """How long an idle worker sleeps unless woken: until the next item falls due, at most a second.

        An item that was due but not taken is another worker's, locked in its transaction: this one
        waits for new work rather than try again at once (SKIP LOCKED would skip it again).
        """
        if next_due is None or next_due <= self.clock():
            return 1.0
        return min(1.0, next_due - self.clock())

    def recover(self) -> int:
        """Re-enqueue the work leased by dead workers of this machine; returns how many items.

        Recovery never runs the work itself: the items become due again for any worker to claim.
        Workers on other machines are recovered when their leases expire.
        """
        space = _process_space()
        with self.store.transaction() as tx:
            now = self.clock()
            dead = [owner for owner in tx.lease_owners(now) if owner != self.owner and _is_dead(owner, space)]
            return sum(tx.release_leases(owner, now) for owner in dead)

    def _renew_leases(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            with contextlib.suppress(Exception):  # the database may be briefly unreachable; next round
                self.recover()
            with self._inflight_lock:
                ids = list(self._inflight)
            if not ids:
                continue
            try:
                with self.store.transaction() as tx:
                    tx.renew_leases(self.owner, ids, self.clock() + self.lease_seconds)
            except Exception:
                continue

    # -- claiming and processing ---------------------------------------------------------------------

    def poll(self, limit: int | None = None) -> int:
        """Take one batch of due work and apply it in one transaction; returns how many items were taken."""
        return self._poll(limit or self.batch)[0]

    def _poll(self, limit: int) -> tuple[int, float | None]:
        """(items taken, when the next item falls due as seen before taking).

        Events are applied in the transaction that takes them; tasks are leased there and invoked
        after commit. Should that transaction fail, the batch is taken again one item at a time,
        each leased first, so that one bad item cannot hold back the others.
        """
        now = self.clock()
        with self.store.transaction(write=False) as tx:  # a read: it neither waits for nor holds up writers
            next_due = tx.next_due()
            next_fire = tx.next_schedule_due() if self.start_scheduled is not None else None
        if next_fire is not None and next_fire <= now:
            fired = self._fire_schedules(now)
            if fired:  # the executions they started are due now: the next poll (at once) takes them
                return fired, now
        elif next_fire is not None and (next_due is None or next_fire < next_due):
            next_due = next_fire  # an idle worker wakes for it
        if next_due is None or next_due > now:
            return 0, next_due
        deferred: set[int] = set()  # items whose step computed too long in the transaction: left slow
        while True:
            try:
                with self.store.transaction() as tx:
                    items = tx.due_work(now, limit)
                    items.sort(key=lambda item: item["execution_id"])  # one lock order: no deadlock
                    outcomes: list[LeasedTask | Delivery | _SlowEvent | None] = []
                    started = time.perf_counter()
                    for item in items:
                        # A batch holds its transaction (on SQLite, the one write lock) while it runs: once
                        # it has run for a step's worth of time, the rest waits for the next batch.
                        if outcomes and time.perf_counter() - started > self.engine.limits.step_seconds:
                            break
                        outcomes.append(self._take(tx, item, now, deferred))
                    taken = items[: len(outcomes)]
                    tx.delete_work(
                        [
                            item["id"]
                            for item, outcome in zip(taken, outcomes, strict=True)
                            if item["kind"] != INVOKE and not isinstance(outcome, _SlowEvent)
                        ]
                    )
                break
            except _DeferredWork as e:
                deferred.add(e.work_id)
            except Exception:
                log.exception("applying a batch of work failed; taking it one item at a time")
                return self._poll_one_by_one(now, limit), next_due
        if len(items) == limit or len(taken) < len(items):  # more may be due: another idle worker helps
            self.store.wake_worker()
        _observe_taken(taken, self.clock())
        for outcome in outcomes:
            self._after(outcome)
        return len(taken), next_due

    def _fire_schedules(self, now: float) -> int:
        """Fire the schedules due by `now` (sojourn.runtime.scheduler); how many executions started."""
        assert self.start_scheduled is not None
        try:
            with self.store.transaction() as tx:
                return scheduler.fire_due(tx, now, self.start_scheduled, self.batch)
        except Exception:  # the work queue must go on; the schedules are tried again at the next poll
            log.exception("firing the due schedules failed")
            return 0

    def _poll_one_by_one(self, now: float, limit: int) -> int:
        with self.store.transaction() as tx:
            items = tx.claim_work(self.owner, now, self.lease_seconds, limit)
        for claimed in items:
            deferred: set[int] = set()
            while True:
                try:
                    with self.store.transaction() as tx:
                        item = tx.held_work(claimed["id"], self.owner)
                        if item is None:
                            break
                        outcome = self._take(tx, item, now, deferred)
                        if item["kind"] != INVOKE and not isinstance(outcome, _SlowEvent):
                            tx.delete_work([item["id"]])
                    self._after(outcome)
                    break
                except _DeferredWork as e:
                    deferred.add(e.work_id)
        return len(items)

    def _take(
        self, tx: Tx, item: DueWorkRow, now: float, deferred: set[int]
    ) -> LeasedTask | Delivery | _SlowEvent | None:
        """Apply a due event (its item deleted by the caller), or lease a due task, reissuing its token,
        or lease a slow event; an event in `deferred` is left as a slow one."""
        if item["kind"] == HUMAN_TASK_TIMER:
            return self._fire_human_task_timer(tx, item, now, deferred)
        if item["kind"] != INVOKE:
            event = work.parse_event(item["payload"])
            if event.get("slow"):
                tx.lease_work(item["id"], self.owner, now + self.lease_seconds)
                return _SlowEvent(item)
            if item["id"] in deferred:
                self.engine.defer(tx, item["execution_id"], item["run_id"], event)
                return None
            try:
                return self.engine.deliver(tx, item["run_id"], event)
            except Deferred:
                raise _DeferredWork(item["id"]) from None
        payload = work.parse_task(item["payload"])
        token = None
        if payload.get(
            "has_token"
        ):  # the token of a task left due, or of a dead worker, was never handed out
            token = new_token()
            if not tx.reissue_token(item["execution_id"], item["run_id"], payload["gen"], hash_token(token)):
                tx.delete_work([item["id"]])  # already answered, or the execution moved on
                return None
        tx.lease_work(item["id"], self.owner, now + self.lease_seconds)
        return LeasedTask(
            item["id"],
            item["execution_id"],
            item["execution_arn"],
            item["run_id"],
            payload["gen"],
            payload,
            token,
        )

    def _fire_human_task_timer(
        self, tx: Tx, item: DueWorkRow, now: float, deferred: set[int]
    ) -> Delivery | None:
        """A human task's timer: reminders, escalation, expiry (which answers its token with the failure)."""
        settings = self.facilities.settings
        expired = timers.fire(
            tx, json.loads(item["payload"]), now, settings.public_base_url, self.facilities.directory
        )
        if expired is None:
            return None
        try:
            failure = work.failed(expired.error, expired.cause)
            return self.engine.answer(tx, expired.token_hash, failure, item["id"] in deferred)[1]
        except Deferred:
            raise _DeferredWork(item["id"]) from None

    def _after(self, outcome: LeasedTask | Delivery | _SlowEvent | None) -> None:
        if isinstance(outcome, LeasedTask):
            self._dispatch(outcome.work_id, self._invoke, outcome)
        elif isinstance(outcome, _SlowEvent):
            self._dispatch(outcome.item["id"], self._compute_slowly, outcome.item)
        else:
            self.after_commit(outcome)

    def run_until_idle(self, limit: int = 100_000) -> int:
        """Process due work inline (tasks included) until none is due; for tests and embedding.

        Call it only on a runtime that was not started: tasks then run here, in this thread.
        """
        done = 0
        while done < limit:
            if not self.poll(limit=1):
                return done
            done += 1
        return done

    def after_commit(self, delivery: Delivery | None) -> None:
        """Start the tasks a committed delivery scheduled; wake whoever waits for executions to end."""
        if delivery is None:
            return
        for task in delivery.tasks:
            self._dispatch(task.work_id, self._invoke, task)
        if delivery.finished:
            self.store.wake(work=False)  # whoever waits for these executions to end

    def _dispatch(self, work_id: int, run: Callable[[Any], None], leased: Any) -> None:
        """`run(leased)` on the task pool when the workers run, else here and now (`run_until_idle`); the
        lease on `work_id` is renewed meanwhile."""
        with self._inflight_lock:
            self._inflight.add(work_id)
        pool = self._pool
        if pool is None:
            run(leased)
            return
        try:
            pool.submit(run, leased)
        except RuntimeError:  # stopping: the lease expires or recovery frees it, and a worker takes it again
            with self._inflight_lock:
                self._inflight.discard(work_id)

    def _compute_slowly(self, item: DueWorkRow) -> None:
        """Compute a slow item's step in a read transaction, then apply it in a short write transaction,
        unless its run moved meanwhile (then compute again; after a few tries, in the write transaction)."""
        event = work.parse_event(item["payload"])
        try:
            for attempt in range(RECOMPUTE_ATTEMPTS + 1):
                computed = None
                if attempt < RECOMPUTE_ATTEMPTS:
                    # one slow step computes at a time: each holds the GIL between its switches, and the
                    # threads serving everything else wait for it at every switch
                    with self._slow_lane, self.store.transaction(write=False) as tx:
                        computed = self.engine.compute(tx, item["run_id"], event, self.lane)
                try:
                    with self.store.transaction() as tx:
                        if not tx.take_work(item["id"], self.owner):
                            return  # the execution ended meanwhile, or the lease passed to another worker
                        if computed is None:  # nothing to compute, or the last try: in the transaction
                            delivery = self.engine.deliver(tx, item["run_id"], event, defer=False)
                        else:
                            applied = self.engine.apply_computed(tx, item["run_id"], event, computed)
                            if applied is None:
                                raise _Moved  # roll back the take, compute again
                            delivery = applied
                except _Moved:
                    continue
                self.after_commit(delivery)
                return
        except Exception:  # the lease expires and a worker takes the item again
            log.exception("computing a slow step failed")
        finally:
            with self._inflight_lock:
                self._inflight.discard(item["id"])

    def _invoke(self, task: LeasedTask) -> None:
        payload = task.payload
        token = task.token
        parameters = payload["parameters"]
        if token:
            parameters = reveal_token(parameters, token)
        call = TaskCall(
            resource=payload["resource"],
            parameters=parameters,
            task_token=token,
            wait_for_token=payload["wait_for_token"],
            idempotency_key=payload["idempotency_key"],
            timeout_seconds=payload["timeout_seconds"],
            execution_arn=task.execution_arn,
            state_name=payload["state_name"],
            attempt=payload["attempt"],
            run_id=task.run_id,
            generation=task.gen,
        )
        answer: WorkEvent
        begin = time.perf_counter()
        try:
            result = self.invoker(call)
            if getattr(result, "sojourn_deferred", False):
                answer = work.deferred()
            else:
                answer = work.succeeded(json.loads(to_json(result)))
        except StatesError as e:
            answer = work.failed(e.error, e.cause)
        except Exception as e:  # a handler's exception is matched by its class name, as Lambda's are
            answer = work.failed(type(e).__name__, str(e))
        kind = resources.parse(payload["resource"]).event_names[0]
        metrics.TASK_DURATION.labels(kind).observe(time.perf_counter() - begin)
        if answer["e"] == "fail" and self._stop.is_set():
            # Shutting down: the failure may be the shutdown's own doing (a connection cut, a process
            # signalled), so it is not recorded; the work stays leased and runs again after the next start.
            with self._inflight_lock:
                self._inflight.discard(task.work_id)
            return
        self._complete(task, answer)

    def _complete(self, task: LeasedTask, answer: WorkEvent) -> None:
        """Apply a task's answer. Answers that arrive together commit together (group commit): the
        first thread to arrive applies every answer queued meanwhile, the others return at once."""
        with self._answers_lock:
            self._answers.append((task, answer))
            if self._committing:
                return
            self._committing = True
        while True:
            with self._answers_lock:
                batch, self._answers = self._answers, []
                if not batch:
                    self._committing = False
                    return
            try:
                self._apply_answers(batch)
            except Exception:  # their leases expire and the tasks are invoked again
                log.exception("applying %d task answers failed", len(batch))
            finally:
                with self._inflight_lock:
                    self._inflight.difference_update(task.work_id for task, _ in batch)

    def _apply_answers(self, batch: list[tuple[LeasedTask, WorkEvent]]) -> None:
        batch.sort(key=lambda answer: answer[0].execution_id)  # one lock order: no deadlock between workers
        begin = time.perf_counter()
        deferred: set[int] = set()
        try:
            while True:
                try:
                    with self.store.transaction() as tx:
                        deliveries = [
                            self._apply_answer(tx, task, answer, deferred) for task, answer in batch
                        ]
                    break
                except _DeferredWork as e:
                    deferred.add(e.work_id)
        except Exception:
            if len(batch) == 1:
                raise
            log.exception("applying %d task answers together failed; applying them one by one", len(batch))
            deliveries = []
            for task, answer in batch:
                with contextlib.suppress(Exception), self.store.transaction() as tx:
                    # one by one, a slow step is deferred at once rather than computed again
                    deliveries.append(self._apply_answer(tx, task, answer, {task.work_id}))
        _observe_answered(deliveries, begin)
        for delivery in deliveries:
            self.after_commit(delivery)

    def _apply_answer(
        self, tx: Tx, task: LeasedTask, answer: WorkEvent, deferred: set[int]
    ) -> Delivery | None:
        if not tx.take_work(task.work_id, self.owner):
            return None  # the execution moved on (stopped, timed out) or another worker took the task over
        if (task.payload["wait_for_token"] or answer["e"] == "deferred") and answer["e"] != "fail":
            if answer["e"] == "ok":
                self.engine.task_submitted(tx, task, answer["output"])
            return None  # SendTaskSuccess (or the nested execution) answers it
        event = work.with_generation(answer, task.gen)
        if task.work_id in deferred:
            self.engine.defer(tx, task.execution_id, task.run_id, event)
            return None
        try:
            return self.engine.deliver(tx, task.run_id, event)
        except Deferred:
            raise _DeferredWork(task.work_id) from None

    # -- task tokens ---------------------------------------------------------------------------------

    def answer(self, token_hash: str, payload: WorkEvent) -> str:
        """Answer the task whose token hashes to `token_hash` (SendTaskSuccess/Failure, the inbox):
        "ok", "missing" (no such token) or "closed" (already used or timed out)."""
        return self.answer_with(lambda tx: (token_hash, payload)) or "missing"

    def answer_with(self, decide: Callable[[Tx], tuple[str, WorkEvent] | None]) -> str | None:
        """`decide(tx)` in a transaction, then, in the same one, the answer it returns (a token's hash and
        the event), if any: what led to an answer and the answer commit together or not at all (a human
        task's decision). The answer's status as `answer` gives it, or None when there was no answer."""
        defer = False  # True once the step the answer makes computed too long in the transaction
        begin = time.perf_counter()
        status: str | None = None
        delivery: Delivery | None = None
        for attempt in range(TRANSIENT_ATTEMPTS):
            try:
                with self.store.transaction() as tx:
                    chosen = decide(tx)
                    if chosen is not None:
                        status, delivery = self.engine.answer(tx, chosen[0], chosen[1], defer)
                break
            except Deferred:
                defer = True
            except self.store.transient_errors:
                if attempt == TRANSIENT_ATTEMPTS - 1:
                    raise
                log.info("answering a task token met a deadlock; trying again")
        _observe_answered([delivery], begin)
        self.after_commit(delivery)
        return status


def _observe_taken(items: list[DueWorkRow], now: float) -> None:
    """Count the items a batch took; an event's transition latency runs from when it fell due to now."""
    metrics.WORK_PROCESSED.inc(len(items))
    for item in items:
        if item["kind"] != INVOKE:
            metrics.TRANSITION_LATENCY.observe(max(0.0, now - item["due_at"]))


def _observe_answered(deliveries: list[Delivery | None], begin: float) -> None:
    """A task's answer (its result, SendTaskSuccess, a decision) that moved an execution on: its transition
    latency runs from when the answer reached the engine (`begin`, perf_counter) to its commit."""
    elapsed = time.perf_counter() - begin
    for delivery in deliveries:
        if delivery is not None:
            metrics.TRANSITION_LATENCY.observe(elapsed)


def _process_space() -> str:
    """Names the set of processes whose ids this process can check: the host and its PID namespace."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}:{namespace}"


def _is_dead(owner: str, space: str) -> bool:
    """Whether the worker named `owner` ("<space>/<pid>/<id>") is known dead; others' machines are unknown."""
    parts = owner.rsplit("/", 2)
    if len(parts) != 3 or parts[0] != space or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if (
        pid == os.getpid()
    ):  # another runtime of this process, or an earlier life of this id (a restarted container)
        return owner not in _live_owners
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed process its parent has not reaped yet
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
