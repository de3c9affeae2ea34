"""The one lease mechanism of the store's two leased queues: the work queue and the mail outbox.

An item is due at `due_at`. Claiming it moves `due_at` to the lease's end and names the owner, so a dead
owner's claims fall due again by themselves and "what is due next" is one index lookup (MIN(due_at)).
Claims skip rows another transaction holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several processes
share a queue. Each queue keeps its own recovery rule: the workers release the leases of a worker seen dead,
the mail deliverer (SQLite, one process) frees every lease at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sojourn.store.sql import Statements


@dataclass(frozen=True)
class LeasedQueue:
    """A table of leased items: its `key` column orders ties; `pending` selects the rows still queued."""

    table: str
    key: str
    pending: str = "TRUE"

    def claim(self, tx: Statements, owner: str, now: float, lease_seconds: float, limit: int) -> list[Any]:
        """Lease up to `limit` due items (oldest due first) to `owner`, counting the attempt; the claimed rows."""
        rows: list[Any] = tx._all(
            f"UPDATE {self.table} SET lease_owner = ?, due_at = ?, attempts = attempts + 1 WHERE {self.key} IN "
            f"(SELECT {self.key} FROM {self.table} WHERE {self.pending} AND due_at <= ? ORDER BY due_at, {self.key} "
            f"LIMIT ?{tx.store.skip_locked}) RETURNING *",
            (owner, now + lease_seconds, now, limit),
        )
        return rows

    def release(self, tx: Statements, now: float, owner: str | None = None) -> int:
        """Make the claims of `owner` (of anyone, without) due now for any taker; how many there were."""
        sql = f"UPDATE {self.table} SET lease_owner = NULL, due_at = ? WHERE {self.pending} AND lease_owner IS NOT NULL"
        if owner is None:
            return int(tx._execute(sql, (now,)).rowcount)
        return int(tx._execute(sql + " AND lease_owner = ?", (now, owner)).rowcount)

    def next_due(self, tx: Statements) -> float | None:
        """When the next item can be claimed (its due time, or its lease's end); None when none is queued."""
        row = tx._one(f"SELECT MIN(due_at) AS due FROM {self.table} WHERE {self.pending}")
        return float(row["due"]) if row and row["due"] is not None else None
