"""The work queue (table `work`): timers, invocations and events the workers run, leased as `leases` says.

A run or execution that moved on drops its pending work, but not the items a worker holds locked right now:
waiting for them would invert the worker's lock order (work, then execution) and deadlock. That worker finds
its item stale (an older generation) and drops it itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sojourn.store.leases import LeasedQueue
from sojourn.store.rows import DueWorkRow, WorkRow
from sojourn.store.sql import Statements

WORK = LeasedQueue("work", "id")
_WITH_ARN = "SELECT w.*, e.arn AS execution_arn FROM work w JOIN executions e ON e.id = w.execution_id"


class WorkVerbs(Statements):
    """The verbs of work items and their leases."""

    def add_work(
        self,
        execution_id: int,
        run_id: int,
        kind: str,
        payload: Mapping[str, Any],
        due_at: float,
        owner: str | None = None,
        now: float | None = None,
    ) -> int:
        """Record work due at `due_at`; with `owner`, leased to it until `due_at` (it runs the work now)."""
        if now is not None and due_at <= now and owner is None:
            self.notify = True
        return int(
            self._insert(
                "work",
                {
                    "execution_id": execution_id,
                    "run_id": run_id,
                    "kind": kind,
                    "payload": json.dumps(payload, separators=(",", ":")),
                    "due_at": due_at,
                    "lease_owner": owner,
                },
                returning="id",
            )
        )

    def claim_work(self, owner: str, now: float, lease_seconds: float, limit: int) -> list[WorkRow]:
        """Lease up to `limit` due items (a dead worker's claims come back when their lease ends)."""
        return WORK.claim(self, owner, now, lease_seconds, limit)

    def due_work(self, now: float, limit: int) -> list[DueWorkRow]:
        """Up to `limit` due items with their execution's ARN, locked for this transaction (PostgreSQL)."""
        rows: list[DueWorkRow] = self._all(
            _WITH_ARN
            + " WHERE w.due_at <= ? ORDER BY w.due_at, w.id LIMIT ?"
            + self._locking(of="w", skip_locked=True),
            (now, limit),
        )
        return rows

    def next_due(self) -> float | None:
        """When the next item falls due (a leased one when its lease ends); None when there is no work."""
        return WORK.next_due(self)

    def lease_owners(self, now: float) -> list[str]:
        """The workers holding live leases."""
        rows = self._all(
            "SELECT DISTINCT lease_owner FROM work WHERE lease_owner IS NOT NULL AND due_at > ?", (now,)
        )
        return [row["lease_owner"] for row in rows]

    def release_leases(self, owner: str, now: float) -> int:
        """Make `owner`'s claims due now for any worker (a dead worker's, or a process running no workers)."""
        released = WORK.release(self, now, owner)
        if released:
            self.notify = True
        return released

    def renew_leases(self, owner: str, work_ids: list[int], until: float) -> None:
        """Extend `owner`'s leases of these items to `until` (items it lost stay with their new owner)."""
        for work_id in work_ids:
            self._execute(
                "UPDATE work SET due_at = ? WHERE id = ? AND lease_owner = ?", (until, work_id, owner)
            )

    def lease_work(self, work_id: int, owner: str, until: float) -> None:
        """Lease the item `work_id` (locked by `due_work`) to `owner` until `until`, counting the attempt."""
        self._execute(
            "UPDATE work SET lease_owner = ?, due_at = ?, attempts = attempts + 1 WHERE id = ?",
            (owner, until, work_id),
        )

    def held_work(self, work_id: int, owner: str) -> DueWorkRow | None:
        """The item `work_id` with its execution's ARN if `owner` holds it still."""
        row: DueWorkRow | None = self._one(
            _WITH_ARN + " WHERE w.id = ? AND w.lease_owner = ?", (work_id, owner)
        )
        return row

    def take_work(self, work_id: int, owner: str) -> bool:
        """Delete an item `owner` holds; False when it is gone or another worker holds it now."""
        return bool(
            self._execute("DELETE FROM work WHERE id = ? AND lease_owner = ?", (work_id, owner)).rowcount
        )

    def delete_work(self, work_ids: list[int]) -> None:
        """Delete these items (done, or stale)."""
        for start in range(0, len(work_ids), 500):
            chunk = work_ids[start : start + 500]
            self._execute(f"DELETE FROM work WHERE id IN ({', '.join('?' * len(chunk))})", chunk)

    def delete_run_work(self, run_id: int) -> None:
        """Drop the pending work of a run that moved on (see the module's docstring for the locked items)."""
        self._execute(
            "DELETE FROM work WHERE id IN (SELECT id FROM work WHERE run_id = ?"
            + self.store.skip_locked
            + ")",
            (run_id,),
        )

    def delete_execution_work(self, execution_id: int) -> None:
        """Drop the pending work of every run of an execution that ended."""
        self._execute(
            "DELETE FROM work WHERE id IN (SELECT id FROM work WHERE run_id IN "
            "(SELECT id FROM runs WHERE execution_id = ?)" + self.store.skip_locked + ")",
            (execution_id,),
        )

    def heartbeat_seconds(self, run_id: int) -> int | None:
        """The heartbeat timeout of the task `run_id` waits on, from its pending heartbeat check."""
        row = self._one(
            "SELECT payload FROM work WHERE run_id = ? AND kind = 'event' AND payload LIKE ?",
            (run_id, '%"heartbeat"%'),
        )
        return json.loads(row["payload"]).get("seconds") if row else None

    def count_work(self) -> int:
        """How many items the queue holds (due or not)."""
        row = self._one("SELECT COUNT(*) AS n FROM work")
        return int(row["n"]) if row else 0
