"""The one lease mechanism of the store's two leased queues: the work queue and the mail outbox.

An item is due at `due_at`. Claiming it moves `due_at` to the lease's end and names the owner, so a dead
owner's claims fall due again by themselves and "what is due next" is one index lookup (MIN(due_at)).
Claims skip rows another transaction holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several processes
share a queue. Each queue keeps its own recovery rule: the workers release the leases of a worker seen dead,
the mail deliverer (SQLite, one process) frees every lease at start.
"""

from __future__ import annotations

from typing import Any

from sojourn.store.sql import Statements


class LeasedQueue:
    """A table of leased items: its `key` column orders ties; `pending` (SQL) selects rows still queued."""

    def __init__(self, table: str, key: str, pending: str | None = None):
        where = f"{pending} AND " if pending else ""
        self._claim = (
            f"UPDATE {table} SET lease_owner = ?, due_at = ?, attempts = attempts + 1 WHERE {key} IN "
            f"(SELECT {key} FROM {table} WHERE {where}due_at <= ? ORDER BY due_at, {key} LIMIT ?"
        )
        self._release = (
            f"UPDATE {table} SET lease_owner = NULL, due_at = ? WHERE {where}lease_owner IS NOT NULL"
        )
        self._next_due = f"SELECT MIN(due_at) AS due FROM {table}" + (f" WHERE {pending}" if pending else "")

    def claim(self, tx: Statements, owner: str, now: float, lease_seconds: float, limit: int) -> list[Any]:
        """Lease up to `limit` due items (the longest due first) to `owner`, counting the attempt;
        the claimed rows."""
        rows: list[Any] = tx._all(
            self._claim + tx.store.skip_locked + ") RETURNING *", (owner, now + lease_seconds, now, limit)
        )
        return rows

    def release(self, tx: Statements, now: float, owner: str | None = None) -> int:
        """Make the claims of `owner` (of anyone, without) due now for any taker; how many there were."""
        if owner is None:
            return int(tx._execute(self._release, (now,)).rowcount)
        return int(tx._execute(self._release + " AND lease_owner = ?", (now, owner)).rowcount)

    def next_due(self, tx: Statements) -> float | None:
        """When the next item can be claimed (its due time, or its lease's end); None when none is queued."""
        row = tx._one(self._next_due)
        return float(row["due"]) if row and row["due"] is not None else None
