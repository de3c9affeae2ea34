"""Schedules (tables `schedules` and `schedule_firings`, migration 0160_schedules.sql).

A schedule row says when it fires next (`fire_at`); the worker that fires it locks the row (SKIP LOCKED on
PostgreSQL, so two workers never take the same one), records the due time in `schedule_firings` (whose key
refuses a second start of the same due time), starts the execution and moves `fire_at` on, all in one
transaction.
"""

from __future__ import annotations

from typing import Any

from sojourn.store.rows import ScheduleRow
from sojourn.store.sql import Statements


class ScheduleVerbs(Statements):
    """The verbs of schedules and their firings."""

    def schedules(self, app: str | None = None) -> list[ScheduleRow]:
        """Every schedule (of `app`, when given), by name."""
        if app is None:
            rows: list[ScheduleRow] = self._all("SELECT * FROM schedules ORDER BY name")
        else:
            rows = self._all("SELECT * FROM schedules WHERE app = ? ORDER BY name", (app,))
        return rows

    def schedule(self, name: str) -> ScheduleRow | None:
        """One schedule, or None."""
        row: ScheduleRow | None = self._one("SELECT * FROM schedules WHERE name = ?", (name,))
        return row

    def put_schedule(self, values: dict[str, Any]) -> None:
        """Create the schedule `values["name"]`, or replace its declaration and next due time."""
        name = values["name"]
        if self.schedule(name) is None:
            self._insert("schedules", values)
        else:
            self._update("schedules", {"name": name}, {k: v for k, v in values.items() if k != "name"})

    def set_schedule(self, name: str, values: dict[str, Any]) -> bool:
        """Change some of a schedule's columns; False when there is no such schedule."""
        return self._update("schedules", {"name": name}, values) > 0

    def delete_schedule(self, name: str) -> None:
        """Forget a schedule and its firings."""
        self._execute("DELETE FROM schedule_firings WHERE schedule = ?", (name,))
        self._execute("DELETE FROM schedules WHERE name = ?", (name,))

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRow]:
        """Up to `limit` enabled schedules due by `now`, locked for this transaction (skipping those
        another worker holds, on PostgreSQL)."""
        rows: list[ScheduleRow] = self._all(
            "SELECT * FROM schedules WHERE enabled = 1 AND fire_at <= ? ORDER BY fire_at, name LIMIT ?"
            + self._locking(skip_locked=True),
            (now, limit),
        )
        return rows

    def next_schedule_due(self) -> float | None:
        """When the next enabled schedule fires; None when none will."""
        row = self._one("SELECT MIN(fire_at) AS at FROM schedules WHERE enabled = 1")
        return None if row is None or row["at"] is None else float(row["at"])

    def claim_schedule_firing(self, schedule: str, due: float, execution_arn: str, now: float) -> bool:
        """Record that `due` of `schedule` starts `execution_arn`; False when it already started one."""
        return bool(
            self._execute(
                "INSERT INTO schedule_firings (schedule, due_at, execution_arn, started_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (schedule, due_at) DO NOTHING",
                (schedule, due, execution_arn, now),
            ).rowcount
        )

    def schedule_firings(self, schedule: str) -> list[dict[str, Any]]:
        """The due times a schedule started, oldest first."""
        rows: list[dict[str, Any]] = self._all(
            "SELECT * FROM schedule_firings WHERE schedule = ? ORDER BY due_at", (schedule,)
        )
        return rows
