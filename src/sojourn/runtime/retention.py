"""The purger: closed executions and old mail go after the retention period, in small batches.

One runs in every `sojourn serve` and `sojourn worker` process (several purging at once only delete the
same rows twice, which the second finds gone). Each batch is one short transaction, with a pause after it, so
a purge of months of history never holds the workers' database long: on SQLite, where one writer works at a
time, the workers' transactions run between the batches. `sojourn purge --dry-run` says what would go.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sojourn.store.base import Store

__all__ = ["Purged", "Purger", "purge"]

log = logging.getLogger("sojourn.retention")

DAY = 86400.0
BATCH = 200
PAUSE_SECONDS = 0.05  # between batches: the workers' transactions go first
EVERY_SECONDS = 3600.0  # how often a process looks for what has aged out


@dataclass
class Purged:
    """What a purge removed (or, with `dry_run`, would remove)."""

    executions: int = 0
    mail: int = 0
    deliveries: int = 0  # webhook deliveries
    sign_ins: int = 0  # the portal's expired sign-in links and sessions
    oldest: float | None = None  # when the oldest execution removed had stopped


def purge(
    store: Store,
    now: float,
    days: int,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
    pause: Callable[[], None] = lambda: time.sleep(PAUSE_SECONDS),
    stop: threading.Event | None = None,
) -> Purged:
    """Remove closed executions (with their history, tokens, human tasks...) that stopped more than `days`
    days before `now`, and mail and webhook deliveries made that long ago that are no longer waiting to go
    (`days` 0 keeps them all); and the portal's expired sign-in links and sessions."""
    purged = Purged()
    if not dry_run:
        with store.transaction() as tx:
            purged.sign_ins = tx.purge_expired_sign_ins(now)
    if days <= 0:
        return purged
    cutoff = now - days * DAY
    while stop is None or not stop.is_set():
        with store.transaction(write=not dry_run) as tx:
            if dry_run:  # counted whole, read only
                rows = tx.closed_executions_before(cutoff, 2**31)
                purged.executions = len(rows)
                purged.oldest = rows[0]["stopped_at"] if rows else None
                purged.mail = len(tx.sent_mail_before(cutoff, 2**31))
                return purged
            rows = tx.closed_executions_before(cutoff, batch)
            mail = tx.sent_mail_before(cutoff, batch)
            if purged.oldest is None and rows:
                purged.oldest = rows[0]["stopped_at"]
            purged.executions += tx.purge_executions([row["id"] for row in rows])
            purged.mail += tx.purge_mail(mail)
            deliveries = tx.purge_deliveries_before(cutoff, batch)
            purged.deliveries += deliveries
        if len(rows) < batch and len(mail) < batch and deliveries < batch:
            break
        pause()
    return purged


class Purger:
    """Runs `purge` every hour in a thread of its own, on the process's store and clock."""

    def __init__(self, store: Store, days: int, clock: Callable[[], float] = time.time):
        self.store, self.days, self.clock = store, days, clock
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> Purger:
        if self.days > 0:
            self.thread = threading.Thread(target=self._loop, name="sojourn-purger", daemon=True)
            self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5.0)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                done = purge(self.store, self.clock(), self.days, stop=self.stopping)
                if done.executions or done.mail:
                    log.info(
                        "purged %d closed executions and %d messages older than %d days",
                        done.executions,
                        done.mail,
                        self.days,
                    )
            except Exception:  # the database is away, say: try again at the next round
                log.exception("purging old executions failed; trying again in an hour")
            self.stopping.wait(EVERY_SECONDS)
