"""What `/metrics` reads from the database when scraped (sojourn.metrics.StoreGauges).

Each figure is one aggregate over an index (or a partial index of the few rows still open), so a scrape
costs a handful of index reads however many closed executions the database keeps.
"""

from __future__ import annotations

from sojourn.store.sql import Statements

OVERDUE_SECONDS = 60.0  # due for longer than this: no worker is taking it


class ObservedVerbs(Statements):
    """The gauges' reads."""

    def observed_gauges(self, now: float) -> dict[str, float]:
        """Counts and ages of what waits: due work, open task tokens and human tasks, the outboxes."""
        late = now - OVERDUE_SECONDS
        work = self._one(
            "SELECT COUNT(*) AS n, MIN(due_at) AS oldest, "
            "SUM(CASE WHEN due_at <= ? THEN 1 ELSE 0 END) AS late FROM work WHERE due_at <= ?",
            (late, now),
        )
        tokens = self._one(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM tokens WHERE status = 'waiting'"
        )
        human = self._one(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM human_tasks WHERE status = 'OPEN'"
        )
        human_late = self._one(
            "SELECT COUNT(*) AS n FROM human_tasks "
            "WHERE status = 'OPEN' AND next_due IS NOT NULL AND next_due <= ?",
            (late,),
        )
        mail = self._one(
            "SELECT COUNT(*) AS n, MIN(due_at) AS oldest FROM mail_messages WHERE status = 'PENDING'"
        )
        hooks = self._one(
            "SELECT COUNT(*) AS n, MIN(due_at) AS oldest FROM webhook_deliveries WHERE status = 'PENDING'"
        )

        def age(since: float | None) -> float:
            return max(0.0, now - float(since)) if since is not None else 0.0

        return {
            "work_due": float(work["n"]),
            "work_overdue": float(work["late"] or 0),
            "work_oldest_age": age(work["oldest"]),
            "tokens_open": float(tokens["n"]),
            "tokens_oldest_age": age(tokens["oldest"]),
            "human_open": float(human["n"]),
            "human_oldest_age": age(human["oldest"]),
            "human_overdue": float(human_late["n"]),
            "mail_pending": float(mail["n"]),
            "mail_overdue": age(mail["oldest"]),
            "webhook_pending": float(hooks["n"]),
            "webhook_overdue": age(hooks["oldest"]),
        }
