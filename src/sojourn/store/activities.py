"""Activities and the tasks scheduled on them (tables `activities`, `activity_tasks`)."""

from __future__ import annotations

from typing import Any

from sojourn.store.rows import ActivityRow, ActivityTaskRow
from sojourn.store.sql import Statements


class ActivityVerbs(Statements):
    """The verbs of activities and activity tasks."""

    def activity(self, arn: str) -> ActivityRow | None:
        """The activity `arn`, or None."""
        row: ActivityRow | None = self._one("SELECT * FROM activities WHERE arn = ?", (arn,))
        return row

    def activities(self, after: str | None, limit: int) -> list[ActivityRow]:
        """Activities by name, those after `after`."""
        rows: list[ActivityRow] = self._all(
            "SELECT * FROM activities WHERE (CAST(? AS TEXT) IS NULL OR name > ?) ORDER BY name LIMIT ?",
            (after, after, limit),
        )
        return rows

    def insert_activity(self, row: ActivityRow) -> None:
        """Record a new activity."""
        self._insert("activities", dict(row))

    def delete_activity(self, arn: str) -> None:
        """Delete the activity `arn` and its tags (tasks scheduled on it stay until closed)."""
        self._execute("DELETE FROM activities WHERE arn = ?", (arn,))
        self._execute("DELETE FROM tags WHERE resource_arn = ?", (arn,))

    def insert_activity_task(self, values: dict[str, Any]) -> None:
        """Schedule a task on an activity (pending until a worker takes it)."""
        self._insert("activity_tasks", {**values, "status": "pending"})

    def take_activity_task(self, activity_arn: str) -> ActivityTaskRow | None:
        """The oldest pending task of `activity_arn`, marked started (locked against other pollers)."""
        task: ActivityTaskRow | None = self._one(
            "SELECT * FROM activity_tasks WHERE activity_arn = ? AND status = 'pending' ORDER BY id LIMIT 1"
            + self.store.skip_locked,
            (activity_arn,),
        )
        if task is not None:
            self._update("activity_tasks", {"id": task["id"]}, {"status": "started"})
        return task
