"""Schedules fire: each due time starts one execution, across any number of processes, and survives restarts.

The workers fire schedules in their poll (the same loop, the same injected clock as the work queue). A due
schedule is locked (SKIP LOCKED on PostgreSQL), its due time recorded in `schedule_firings` (a second start
of the same time is refused by that key), its execution started with a name derived from the schedule and
the due time (StartExecution's name uniqueness the last guard) and its next due time stored, all in one
transaction: a crash before the commit leaves the due time to fire again, a crash after leaves it fired.

Missed times: EventBridge Scheduler invokes a target within the due time's window (60 seconds, or the
flexible window) and never invokes it for times that passed while a schedule was disabled. Sojourn does the
same after downtime: a due time whose window is still open when a worker gets to it starts its execution;
times whose window closed while no worker ran are skipped, and the schedule goes on from the next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sojourn import schedules as expressions
from sojourn.manifest import ScheduleSpec
from sojourn.store.base import Tx
from sojourn.store.rows import ScheduleRow

__all__ = ["PRECISION_SECONDS", "Starter", "declare", "fire_due", "set_enabled", "window_seconds"]

log = logging.getLogger("sojourn.runtime.scheduler")

PRECISION_SECONDS = 60  # EventBridge Scheduler invokes within the minute of the due time (window OFF)
Starter = Callable[[Tx, str, str, str], Any]  # (tx, state machine ARN, execution name, input) -> execution


def window_seconds(window_minutes: int) -> float:
    """How long after its due time a due time may still start."""
    return max(PRECISION_SECONDS, window_minutes * 60)


def _next_due(row: ScheduleRow | dict[str, Any], after: float) -> tuple[float | None, float | None]:
    """(the next due time after `after`, when it fires) of a schedule row."""
    expression = expressions.parse(row["expression"])
    due = expressions.next_time(
        expression, after, expressions.zone(row["timezone"]), row["anchor"], row["end_at"]
    )
    if due is None:
        return None, None
    return due, due + expressions.fire_offset(row["name"], due, row["window_minutes"])


def declare(
    tx: Tx, app: str, specs: dict[str, ScheduleSpec], machine_arn: Callable[[str], str], now: float
) -> dict[str, list[str]]:
    """Create, update and delete the schedules of `app` to match `specs`; returns what changed
    (`schedule:<name>` under created, updated, unchanged, deleted). An unchanged schedule keeps its next
    due time; a changed one counts from now."""
    report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "deleted": []}
    existing = {row["name"]: row for row in tx.schedules(app)}
    for name in sorted(set(existing) - set(specs)):
        tx.delete_schedule(name)
        report["deleted"].append(f"schedule:{name}")
    for spec in specs.values():
        old = existing.get(spec.name) or tx.schedule(spec.name)
        values: dict[str, Any] = {
            "name": spec.name,
            "app": app,
            "state_machine_arn": machine_arn(spec.state_machine),
            "expression": spec.expression,
            "timezone": spec.timezone,
            "window_minutes": spec.window_minutes,
            "start_at": spec.start_at,
            "end_at": spec.end_at,
            "input": spec.input,
            "enabled": int(spec.enabled),
        }
        if old is not None and spec.enabled:
            values["enabled"] = old["enabled"]  # paused by an operator: stays paused across redeploys
        if old is not None and all(old[k] == v for k, v in values.items()):  # type: ignore[literal-required]
            report["unchanged"].append(f"schedule:{spec.name}")
            continue
        values["anchor"] = spec.start_at if spec.start_at is not None else now
        values["next_due"], values["fire_at"] = _next_due(values, now - 1)
        values["updated_at"] = now
        values["created_at"] = old["created_at"] if old is not None else now
        if old is not None:
            values["last_due"], values["last_execution_arn"] = old["last_due"], old["last_execution_arn"]
        tx.put_schedule(values)
        report["updated" if old is not None else "created"].append(f"schedule:{spec.name}")
    return report


def set_enabled(tx: Tx, name: str, enabled: bool, now: float) -> ScheduleRow | None:
    """Pause or resume a schedule; a resumed one goes on from its next time after now (AWS never runs the
    times that passed while it was disabled). None when there is no such schedule."""
    row = tx.schedule(name)
    if row is None:
        return None
    changes: dict[str, Any] = {"enabled": int(enabled), "updated_at": now}
    if enabled and not row["enabled"]:
        changes["next_due"], changes["fire_at"] = _next_due(row, now - 1)
    tx.set_schedule(name, changes)
    return tx.schedule(name)


def fire_due(tx: Tx, now: float, start: Starter, limit: int = 16) -> int:
    """Start the execution of every schedule due by `now` (up to `limit` schedules) and move each on to its
    next time after now; returns how many executions started."""
    started = 0
    for row in tx.due_schedules(now, limit):
        changes: dict[str, Any] = {}
        due, fire_at = row["next_due"], row["fire_at"]
        while due is not None and fire_at is not None and fire_at <= now:
            if now <= due + window_seconds(row["window_minutes"]):
                started += _start(tx, row, due, now, start, changes)
            else:
                log.warning("schedule %s skipped %s: its window closed while no worker ran", row["name"], due)
            # the next time whose window is still open (those that closed meanwhile are skipped, as on AWS)
            due, fire_at = _next_due(row, max(due, now - window_seconds(row["window_minutes"])))
        changes["next_due"], changes["fire_at"] = due, fire_at
        tx.set_schedule(row["name"], changes)
    return started


def _start(tx: Tx, row: ScheduleRow, due: float, now: float, start: Starter, changes: dict[str, Any]) -> int:
    """Start due time `due`'s execution unless it already started (1 when this call started it)."""
    name = expressions.execution_name(row["name"], due)
    try:
        with tx.savepoint():
            execution = start(tx, row["state_machine_arn"], name, row["input"])
            claimed = tx.claim_schedule_firing(row["name"], due, execution["arn"], now)
            changes.update(last_due=due, last_execution_arn=execution["arn"])
            return int(claimed)
    except Exception as e:  # its machine is gone, its input refused: this time is lost, as on AWS
        log.error("schedule %s could not start its execution %s: %s", row["name"], name, e)
        return 0
