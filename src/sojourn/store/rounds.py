"""The background loop of an outbox's deliverer (mail, webhooks): rounds of delivery over one store.

A round delivers one batch; when there was nothing to deliver the loop sleeps until something is queued
(a commit of this process wakes it; on PostgreSQL the commit's NOTIFY wakes the other processes) or the next
item falls due. On SQLite a function's worker process cannot wake this one, so it looks again soon.
Items queued through another store object of this process (a function's helper opens its own) wake the
deliverers that `watch` their store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sojourn.store.base import Store, Tx

__all__ = ["Rounds", "unwatch", "wake_others", "watch"]

IDLE_SECONDS = {"sqlite": 1.0}
IDLE_SECONDS_DEFAULT = 15.0

_local_stores: set[Store] = set()  # stores that this process's deliverers wait on


def watch(store: Store) -> None:
    """A deliverer of this process waits on `store`: items queued through another store object wake it."""
    _local_stores.add(store)


def unwatch(store: Store) -> None:
    _local_stores.discard(store)


def wake_others(store: Store) -> None:
    """Wake the deliverers of this process that watch other store objects on the same database."""
    for local in list(_local_stores):
        if local is not store:
            local.wake()


class Rounds:
    """Runs `deliver_due()` (how many it handled) in a thread until `stop()`; `next_due(tx)` says when to
    look again after an empty round; `release(tx, now)` frees every lease, which `start()` does on SQLite
    (one process serves it: at start, any lease is a dead process's)."""

    def __init__(
        self,
        store: Store,
        name: str,
        deliver_due: Callable[[], int],
        next_due: Callable[[Tx], float | None],
        release: Callable[[Tx, float], None],
        clock: Callable[[], float],
        log: logging.Logger,
    ):
        self.store, self.name, self.log = store, name, log
        self.deliver_due, self.next_due, self.release, self.clock = deliver_due, next_due, release, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.store.dialect == "sqlite":
            with self.store.transaction() as tx:
                self.release(tx, self.clock())
        self._stop.clear()
        watch(self.store)
        # PostgreSQL: items queued by other processes wake this one (NOTIFY); a LISTEN connection of its own
        # beside the runtime's, so that a process with no execution workers is woken too.
        self.store.start_listening(self._stop).wait(5.0)
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current round (a batch in flight finishes, or its lease brings it back later)."""
        self._stop.set()
        unwatch(self.store)
        self.store.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        idle = IDLE_SECONDS.get(self.store.dialect, IDLE_SECONDS_DEFAULT)
        while not self._stop.is_set():
            since = self.store.generation
            due = None
            try:
                if self.deliver_due():
                    continue
                with self.store.transaction() as tx:
                    due = self.next_due(tx)
            except Exception:  # a database hiccup must not end delivery; leases bring claimed items back
                self.log.exception("%s: delivery round failed", self.name)
            wait = idle if due is None else min(idle, max(0.0, due - self.clock()))
            self.store.wait(wait, since=since)
