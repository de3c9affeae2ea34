"""The slow lane: a step that computes too long for a transaction is computed in a process of its own.

A thread computing a costly expression holds Python's GIL between its switches, and every thread serving the
API, the console and the other executions waits for it at each switch (a convoy: a ten-millisecond call takes
hundreds). So the workers hand a deferred step (sojourn.runtime.engine) to `SlowLane`: one warm interpreter
process, started on first use, that advances the run's frame by the event with the step's whole budget and
sends back the Step and the task tokens it made. The interpreter is pure (sojourn.asl), so the step is the
same as in the worker: the same definition, frame, event, time, randomness (seeded by the run, as in the
engine) and limits. Should the process die or not answer within its budget and a grace, it is replaced and
the caller computes the step in its own thread, as it would without the lane.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import random
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any, cast

from sojourn.asl.budget import Limits
from sojourn.asl.interpreter import Env, Event, ExecutionInfo, Interpreter, Step
from sojourn.asl.program import compile_definition
from sojourn.tokens import new_token

__all__ = ["GRACE_SECONDS", "SeededOnUse", "SlowLane", "advance"]

log = logging.getLogger("sojourn.runtime")

GRACE_SECONDS = 10.0  # beyond the step's own budget, before the lane's process is taken for stuck


class SeededOnUse:
    """A `random.Random` seeded from `key` on first use: most steps draw no random number at all."""

    def __init__(self, key: str):
        self._key = key
        self._rng: random.Random | None = None

    def __getattr__(self, name: str) -> Any:
        if self._rng is None:
            seed = hashlib.blake2b(self._key.encode(), digest_size=8).digest()
            self._rng = random.Random(int.from_bytes(seed, "big"))
        return getattr(self._rng, name)


_interpreters: dict[str, Interpreter] = {}  # in the lane's process: by the definition's text


def advance(
    definition: str,
    frame: Any,
    event: Event,
    info: ExecutionInfo,
    now: float,
    rng_key: str,
    next_event_id: int,
    limits: Limits,
) -> tuple[Step, list[str]]:
    """One step of a run, as the engine computes it; with the task tokens the step made (run in the lane)."""
    interpreter = _interpreters.get(definition)
    if interpreter is None:
        if len(_interpreters) > 64:
            _interpreters.clear()
        interpreter = _interpreters[definition] = Interpreter(compile_definition(json.loads(definition)))
    tokens: list[str] = []

    def token() -> str:
        tokens.append(new_token())
        return tokens[-1]

    env = Env(
        now=datetime.fromtimestamp(now, UTC),
        new_task_token=token,
        rng=cast(random.Random, SeededOnUse(rng_key)),
        next_event_id=next_event_id,
        limits=limits,
    )
    return interpreter.advance(frame, event, info, env), tokens


class SlowLane:
    """One interpreter process for the slow steps of this process's workers, started when first needed."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: a fork would copy this process's threads' locks (the store's, logging's) mid-use
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            return self._pool

    def advance(
        self,
        definition: str,
        frame: Any,
        event: Event,
        info: ExecutionInfo,
        now: float,
        rng_key: str,
        next_event_id: int,
        limits: Limits,
    ) -> tuple[Step, list[str]] | None:
        """The step computed in the lane's process; None when the lane could not (compute it here instead)."""
        try:
            future = self._executor().submit(
                advance, definition, frame, event, info, now, rng_key, next_event_id, limits
            )
            return future.result(timeout=limits.step_seconds + GRACE_SECONDS)
        except FutureTimeout:
            log.warning("the slow lane's process did not answer within its budget; replacing it")
            self._replace(kill=True)
        except BrokenProcessPool:
            log.warning("the slow lane's process died; replacing it")
            self._replace(kill=False)
        except RuntimeError:  # the interpreter is shutting down: no process to ask
            pass
        return None

    def _replace(self, kill: bool) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """End the lane's process (the next slow step starts another)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
