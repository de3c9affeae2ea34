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
_ASSIGNEE_COLUMNS = ", ".join(
    f"a.{c}"
    for c in (
        "task_id",
        "person",
        "email",
        "name",
        "on_behalf_of",
        "status",
        "asked_at",
        "decision",
        "decided_at",
    )
)

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

    def human_task_for_step(self, step_key: str) -> HumanTaskRow | None:
        """The human task a Task's invocation made (its idempotency key), locked; None on the first call."""
        found: HumanTaskRow | None = _task(
            self._one("SELECT * FROM human_tasks WHERE step_key = ?" + self._locking(), (step_key,))
        )
        return found

    def close_human_tasks(self, execution_id: int, run_id: int | None, now: float, reason: str) -> None:
        """Cancel the open tasks of an execution that ended (or of one of its runs that was cancelled)."""
        where = "execution_id = ? AND status = 'OPEN'" + (" AND run_id = ?" if run_id is not None else "")
        params = (execution_id, run_id) if run_id is not None else (execution_id,)
        closed = self._all(f"SELECT id FROM human_tasks WHERE {where}", params)
        if not closed:
            return
        self._execute(
            f"UPDATE human_tasks SET status = 'CANCELLED', closed_at = ?, next_due = NULL WHERE {where}",
            (now, *params),
        )
        for row in closed:
            self.add_human_task_event(row["id"], now, "CANCELLED", None, {"reason": reason})

    def set_human_task(self, task_id: str, changes: dict[str, Any]) -> None:
        """Change some columns of a human task (its status, result, next due time, token's hash in hex)."""
        if "token_hash" in changes:
            changes = {**changes, "token_hash": bytes.fromhex(changes["token_hash"])}
        self._update("human_tasks", {"id": task_id}, changes)

    def human_tasks(
        self,
        status: str | None,
        before: Position | None,
        limit: int,
        person: str | None = None,
        machine_arn: str | None = None,
        created_before: float | None = None,
        execution_arn: str | None = None,
    ) -> list[HumanTaskListing]:
        """Human tasks newest first, of one status or all, those before `before` (a page's last); with
        `person`, only the tasks that person is asked to decide (and has not been removed from); with
        `machine_arn`, only that machine's; with `created_before`, only those older; with `execution_arn`,
        only that execution's.

        A person's tasks are read from their assignments (an index by person), then sorted: a person has
        few tasks among many, and scanning all tasks newest first for theirs would read most of them."""
        where: list[str] = []
        params: list[Any] = []
        if before is not None:
            where.append("(h.created_at < ? OR (h.created_at = ? AND h.id < ?))")
            params += [before[0], before[0], before[1]]
        if status is not None:
            where.append("h.status = ?")
            params.append(status)
        if machine_arn is not None:
            where.append("e.machine_id = (SELECT id FROM machine_arns WHERE arn = ?)")
            params.append(machine_arn)
        if created_before is not None:
            where.append("h.created_at < ?")
            params.append(created_before)
        if execution_arn is not None:
            where.append("h.execution_id = (SELECT id FROM executions WHERE arn = ?)")
            params.append(execution_arn)
        if person is not None:
            # CROSS JOIN: SQLite takes the assignments as the outer loop (PostgreSQL plans it either way)
            sql = (
                "SELECT h.*, e.arn AS execution_arn, m.arn AS machine_arn FROM human_task_assignees a "
                "CROSS JOIN human_tasks h JOIN executions e ON e.id = h.execution_id "
                f"{MACHINE_JOIN} WHERE a.person = ? AND a.status <> 'REMOVED' AND h.id = a.task_id"
            )
            params.insert(0, person)
            sql += "".join(" AND " + clause for clause in where)
        else:
            sql = _LISTING + (" WHERE " + " AND ".join(where) if where else "")
        rows: list[HumanTaskListing] = [
            _task(row)
            for row in self._all(sql + " ORDER BY h.created_at DESC, h.id DESC LIMIT ?", (*params, limit))
        ]
        return rows

    # -- assignees -------------------------------------------------------------------------------------

    def add_assignee(self, row: AssigneeRow) -> None:
        """Ask someone to decide a task (their links are added by `add_link`)."""
        self._insert("human_task_assignees", dict(row))

    def add_link(self, task_id: str, person: str, link_hash: str, now: float) -> None:
        """Give an assignee one more link to the task (the first email's, a reminder's), by its hash (hex)."""
        self._insert(
            "human_task_links",
            {"link_hash": bytes.fromhex(link_hash), "task_id": task_id, "person": person, "created_at": now},
        )

    def assignees(self, task_id: str) -> list[AssigneeRow]:
        """Everyone asked to decide the task, in the order they were asked."""
        rows: list[AssigneeRow] = self._all(
            f"SELECT {_ASSIGNEE_COLUMNS} FROM human_task_assignees a WHERE a.task_id = ? "
            "ORDER BY a.asked_at, a.person",
            (task_id,),
        )
        return rows

    def assignees_of(self, task_ids: list[str]) -> dict[str, list[AssigneeRow]]:
        """The assignees of each of the tasks (a page of a list), each task's in the order they were asked."""
        found: dict[str, list[AssigneeRow]] = {task_id: [] for task_id in task_ids}
        if not task_ids:
            return found
        marks = ", ".join("?" for _ in task_ids)
        for row in self._all(
            f"SELECT {_ASSIGNEE_COLUMNS} FROM human_task_assignees a WHERE a.task_id IN ({marks}) "
            "ORDER BY a.asked_at, a.person",
            tuple(task_ids),
        ):
            found[row["task_id"]].append(row)
        return found

    def assignee_for_link(self, link_hash: str) -> AssigneeRow | None:
        """Whom the link whose hash is `link_hash` (hex) was given to, or None."""
        row: AssigneeRow | None = self._one(
            f"SELECT {_ASSIGNEE_COLUMNS} FROM human_task_assignees a "
            "JOIN human_task_links l ON l.task_id = a.task_id AND l.person = a.person WHERE l.link_hash = ?",
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
        """Record one event of a task's audit trail (and tell the store's `human_task_listener`)."""
        event = {"task_id": task_id, "at": at, "kind": kind, "actor": actor, "details": details}
        self._insert(
            "human_task_events", {**event, "details": json.dumps(details) if details is not None else None}
        )
        listener = self.store.human_task_listener
        if listener is not None:
            listener(self, event)  # type: ignore[arg-type]

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
