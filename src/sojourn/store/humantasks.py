"""Human tasks (tables `human_tasks`, `human_task_assignees`, `human_task_events`; Sojourn's own, issue 14).

Hashes (of the task token a human task answers, of each assignee's link) are stored as 32 raw bytes and
handed in and out as hex; the token and the links themselves are never stored. Lists are newest first and
keyset-paged by (created_at, id), which the indexes serve however many tasks are open.
"""

from __future__ import annotations

import json
from typing import Any

from sojourn.store.executions import MACHINE_JOIN
from sojourn.store.rows import AssigneeRow, HumanTaskEventRow, HumanTaskListing, HumanTaskRow
from sojourn.store.sql import Statements

_LISTING = (
    "SELECT h.*, e.arn AS execution_arn, m.arn AS machine_arn FROM human_tasks h "
    "JOIN executions e ON e.id = h.execution_id " + MACHINE_JOIN
)
_BEFORE = "(CAST(? AS DOUBLE PRECISION) IS NULL OR h.created_at < ? OR (h.created_at = ? AND h.id < ?))"
_ASSIGNEE_COLUMNS = "task_id, person, email, name, on_behalf_of, status, asked_at, decision, decided_at"

Position = tuple[float, str]  # (created_at, id) of the last task of a page


class HumanTaskVerbs(Statements):
    """The verbs of human tasks, their assignees and their audit trail."""

    def insert_human_task(self, row: HumanTaskRow) -> None:
        """Record a new human task."""
        self._insert("human_tasks", {**row, "token_hash": bytes.fromhex(row["token_hash"])})

    def human_task(self, task_id: str, lock: bool = False) -> HumanTaskRow | None:
        """The human task `task_id`; `lock` locks its row (PostgreSQL) for a decision."""
        found: HumanTaskRow | None = _task(
            self._one("SELECT * FROM human_tasks WHERE id = ?" + self._locking(), (task_id,))
            if lock
            else self._one("SELECT * FROM human_tasks WHERE id = ?", (task_id,))
        )
        return found

    def human_task_listing(self, task_id: str) -> HumanTaskListing | None:
        """The human task `task_id` with its execution's and machine's ARNs."""
        found: HumanTaskListing | None = _task(self._one(_LISTING + " WHERE h.id = ?", (task_id,)))
        return found

    def human_task_for_token(self, token_hash: str) -> HumanTaskRow | None:
        """The human task that answers the task token whose hash is `token_hash`."""
        found: HumanTaskRow | None = _task(
            self._one("SELECT * FROM human_tasks WHERE token_hash = ?", (bytes.fromhex(token_hash),))
        )
        return found

    def set_human_task(self, task_id: str, changes: dict[str, Any]) -> None:
        """Change some columns of a human task (its status, result, next due time)."""
        self._update("human_tasks", {"id": task_id}, changes)

    def human_tasks(
        self, status: str | None, before: Position | None, limit: int, person: str | None = None
    ) -> list[HumanTaskListing]:
        """Human tasks newest first, of one status or all, those before `before`; with `person`, only the
        tasks that person is asked to decide (and has not been removed from)."""
        created, task_id = before if before is not None else (None, "")
        where = [_BEFORE]
        params: list[Any] = [created, created, created, task_id]
        if status is not None:
            where.append("h.status = ?")
            params.append(status)
        if person is not None:
            where.append(
                "EXISTS (SELECT 1 FROM human_task_assignees a WHERE a.task_id = h.id AND a.person = ? "
                "AND a.status <> 'REMOVED')"
            )
            params.append(person)
        rows: list[HumanTaskListing] = [
            _task(row)
            for row in self._all(
                _LISTING + " WHERE " + " AND ".join(where) + " ORDER BY h.created_at DESC, h.id DESC LIMIT ?",
                (*params, limit),
            )
        ]
        return rows

    def due_human_tasks(self, now: float, limit: int) -> list[HumanTaskRow]:
        """Open tasks whose next reminder, escalation or expiry is due, earliest first; locked for this
        transaction and skipped by others (PostgreSQL)."""
        rows: list[HumanTaskRow] = [
            _task(row)
            for row in self._all(
                "SELECT * FROM human_tasks WHERE status = 'OPEN' AND next_due IS NOT NULL AND next_due <= ? "
                "ORDER BY next_due LIMIT ?" + self._locking(skip_locked=True),
                (now, limit),
            )
        ]
        return rows

    def next_human_task_due(self) -> float | None:
        """When the earliest open task's next reminder, escalation or expiry falls due."""
        row = self._one(
            "SELECT MIN(next_due) AS due FROM human_tasks WHERE status = 'OPEN' AND next_due IS NOT NULL"
        )
        return float(row["due"]) if row and row["due"] is not None else None

    # -- assignees -------------------------------------------------------------------------------------

    def add_assignee(self, row: AssigneeRow, link_hash: str) -> None:
        """Ask someone to decide a task, through the link whose hash is `link_hash` (hex)."""
        self._insert("human_task_assignees", {**row, "link_hash": bytes.fromhex(link_hash)})

    def assignees(self, task_id: str) -> list[AssigneeRow]:
        """Everyone asked to decide the task, in the order they were asked."""
        rows: list[AssigneeRow] = self._all(
            f"SELECT {_ASSIGNEE_COLUMNS} FROM human_task_assignees WHERE task_id = ? "
            "ORDER BY asked_at, person",
            (task_id,),
        )
        return rows

    def assignee_for_link(self, link_hash: str) -> AssigneeRow | None:
        """Whom the link whose hash is `link_hash` (hex) was given to, or None."""
        row: AssigneeRow | None = self._one(
            f"SELECT {_ASSIGNEE_COLUMNS} FROM human_task_assignees WHERE link_hash = ?",
            (bytes.fromhex(link_hash),),
        )
        return row

    def set_assignee(self, task_id: str, person: str, changes: dict[str, Any]) -> None:
        """Change an assignee's status or decision."""
        self._update("human_task_assignees", {"task_id": task_id, "person": person}, changes)

    # -- the audit trail -------------------------------------------------------------------------------

    def add_human_task_event(
        self,
        task_id: str,
        at: float,
        kind: str,
        actor: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record one event of a task's audit trail."""
        self._insert(
            "human_task_events",
            {
                "task_id": task_id,
                "at": at,
                "kind": kind,
                "actor": actor,
                "details": json.dumps(details) if details is not None else None,
            },
        )

    def human_task_events(self, task_id: str, after: int = 0, limit: int = 1000) -> list[HumanTaskEventRow]:
        """A task's audit trail in order, the events after id `after`."""
        rows: list[HumanTaskEventRow] = self._all(
            "SELECT * FROM human_task_events WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?",
            (task_id, after, limit),
        )
        return rows


def _task(row: Any) -> Any:
    """A human task row as the store's callers see it: the token's hash in hex."""
    if row is not None:
        row["token_hash"] = bytes(row["token_hash"]).hex()
    return row
