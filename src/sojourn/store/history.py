"""An execution's history (table `events`). An event's details are stored packed, without their wrapper key
(see sojourn.runtime.history); the execution's row keeps the next event id."""

from __future__ import annotations

import json
from typing import Any

from sojourn.store.packing import pack, unpack
from sojourn.store.rows import EventRow, ExecutionRow
from sojourn.store.sql import Statements


class HistoryVerbs(Statements):
    """The verbs of history events."""

    def append_events(
        self, execution: ExecutionRow, ts: float, events: list[tuple[str, dict[str, Any] | None]]
    ) -> None:
        """Append events with the next ids, in one statement; `execution` is the locked row, kept in step
        (`save_event_counter` stores the counter)."""
        first = execution["next_event_id"]
        rows = [
            (
                execution["id"],
                event_id,
                ts,
                type,
                pack(json.dumps(details, separators=(",", ":"))) if details is not None else None,
            )
            for event_id, (type, details) in enumerate(events, start=first)
        ]
        # multi-row VALUES: one round trip to PostgreSQL per 500 events
        # (SQLite takes 32,766 parameters at most)
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            self._execute(
                "INSERT INTO events (execution_id, id, ts, type, details) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?)"] * len(chunk)),
                [value for row in chunk for value in row],
            )
        execution["next_event_id"] = first + len(rows)

    def save_event_counter(self, execution: ExecutionRow) -> None:
        """Store the next event id `append_events` counted in the execution's row."""
        self._update("executions", {"id": execution["id"]}, {"next_event_id": execution["next_event_id"]})

    def events(
        self,
        execution_id: int,
        after_id: int,
        limit: int,
        reverse: bool = False,
        before_id: int | None = None,
    ) -> list[EventRow]:
        """Up to `limit` events after `after_id` in order, or (`reverse`) before `before_id`, newest first."""
        if reverse:
            rows = self._all(
                "SELECT id, ts, type, details FROM events "
                "WHERE execution_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (execution_id, before_id if before_id is not None else 2**31, limit),
            )
        else:
            rows = self._all(
                "SELECT id, ts, type, details FROM events "
                "WHERE execution_id = ? AND id > ? ORDER BY id LIMIT ?",
                (execution_id, after_id, limit),
            )
        for row in rows:
            row["details"] = unpack(row["details"])
        return rows  # type: ignore[no-any-return]
