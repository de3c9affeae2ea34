"""Schedules as Sojourn's own API actions (ListSchedules, UpdateSchedule): what the console and the CLI show,
pause and resume. The schedules themselves come from the app manifest (sojourn.deployment); their members
follow EventBridge Scheduler's GetSchedule in camelCase (`scheduleExpression`, `state`,
`flexibleTimeWindow`)."""

from __future__ import annotations

from typing import Any

from sojourn import errors as E
from sojourn.backend.common import Context, date
from sojourn.runtime import scheduler
from sojourn.store.rows import ScheduleRow

__all__ = ["Schedules", "schedule_shape"]

STATES = ("ENABLED", "DISABLED")


def schedule_shape(row: ScheduleRow) -> dict[str, Any]:
    """A schedule as the API answers it (dates aware datetimes, as boto3 gives them)."""
    window = row["window_minutes"]
    answer: dict[str, Any] = {
        "name": row["name"],
        "appName": row["app"],
        "stateMachineArn": row["state_machine_arn"],
        "scheduleExpression": row["expression"],
        "scheduleExpressionTimezone": row["timezone"],
        "state": "ENABLED" if row["enabled"] else "DISABLED",
        "flexibleTimeWindow": {"mode": "FLEXIBLE", "maximumWindowInMinutes": window}
        if window
        else {"mode": "OFF"},
        "input": row["input"],
    }
    for member, column in (
        ("startDate", "start_at"),
        ("endDate", "end_at"),
        ("nextRunDate", "next_due"),
        ("lastRunDate", "last_due"),
    ):
        if row[column] is not None:  # type: ignore[literal-required]
            answer[member] = date(row[column])  # type: ignore[literal-required]
    if row["last_execution_arn"]:
        answer["lastExecutionArn"] = row["last_execution_arn"]
    return answer


class Schedules:
    """ListSchedules and UpdateSchedule (pause, resume)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def list_schedules(self, *, appName: str | None = None) -> dict[str, Any]:
        """Every schedule (of one app), by name: `{"schedules": [...]}`."""
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.schedules(appName)
        return {"schedules": [schedule_shape(row) for row in rows]}

    def update_schedule(self, *, name: str, state: str) -> dict[str, Any]:
        """Pause (`DISABLED`) or resume (`ENABLED`) a schedule; a resumed schedule goes on from its next time
        after now, as EventBridge Scheduler does. The schedule as it now is."""
        if state not in STATES:
            raise E.ValidationException(f"state must be ENABLED or DISABLED, not {state!r}")
        with self.ctx.store.transaction() as tx:
            row = scheduler.set_enabled(tx, name, state == "ENABLED", self.ctx.clock())
        if row is None:
            raise E.ResourceNotFound(f"Schedule does not exist: '{name}'")
        return schedule_shape(row)
