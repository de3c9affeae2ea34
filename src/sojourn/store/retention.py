"""Retention: closed executions, with everything kept for them, sent mail and webhook deliveries, removed
after an age; the portal's expired sign-in links and sessions as soon as they expire.

AWS keeps a closed execution for 90 days; so does Sojourn by default (`Settings.retention_days`). An
execution goes with its history, runs, tokens, work, activity tasks, human tasks and their audit trail, in
one transaction per batch, so a purge never leaves half an execution and never holds the database long.
Running executions and pending mail are never purged.
"""

from __future__ import annotations

from typing import Any

from sojourn.store.sql import Statements

__all__ = ["RetentionVerbs"]

# What is kept for an execution, by the column that names it; human tasks' own tables go first.
_BY_TASK = ("human_task_links", "human_task_assignees", "human_task_events")
_BY_EXECUTION = ("events", "tokens", "work", "activity_tasks", "runs", "human_tasks")


class RetentionVerbs(Statements):
    """The verbs of purging what is older than the retention period."""

    def closed_executions_before(self, cutoff: float, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` closed executions that stopped before `cutoff`, oldest first: id, arn, status."""
        rows: list[dict[str, Any]] = self._all(
            "SELECT id, arn, status, stopped_at FROM executions "
            "WHERE stopped_at IS NOT NULL AND stopped_at < ? AND status <> 'RUNNING' "
            "ORDER BY stopped_at LIMIT ?",
            (cutoff, limit),
        )
        return rows

    def purge_executions(self, ids: list[int]) -> int:
        """Remove the executions `ids` with everything kept for them; how many went."""
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        tasks = f"SELECT id FROM human_tasks WHERE execution_id IN ({marks})"
        for table in _BY_TASK:
            self._execute(f"DELETE FROM {table} WHERE task_id IN ({tasks})", ids)
        for table in _BY_EXECUTION:
            self._execute(f"DELETE FROM {table} WHERE execution_id IN ({marks})", ids)
        self._execute(
            f"DELETE FROM tags WHERE resource_arn IN (SELECT arn FROM executions WHERE id IN ({marks}))", ids
        )
        return int(self._execute(f"DELETE FROM executions WHERE id IN ({marks})", ids).rowcount)

    def sent_mail_before(self, cutoff: float, limit: int) -> list[int]:
        """Up to `limit` messages no longer waiting to go (sent, failed, kept) made before `cutoff`."""
        rows = self._all(
            "SELECT seq FROM mail_messages WHERE status <> 'PENDING' AND created_at < ? ORDER BY seq LIMIT ?",
            (cutoff, limit),
        )
        return [int(row["seq"]) for row in rows]

    def purge_deliveries_before(self, cutoff: float, limit: int) -> int:
        """Remove up to `limit` webhook deliveries no longer waiting to go (delivered, failed) made before
        `cutoff`; how many went."""
        rows = self._all(
            "SELECT seq FROM webhook_deliveries WHERE status <> 'PENDING' AND created_at < ? "
            "ORDER BY seq LIMIT ?",
            (cutoff, limit),
        )
        if not rows:
            return 0
        seqs = [int(row["seq"]) for row in rows]
        marks = ", ".join("?" for _ in seqs)
        return int(self._execute(f"DELETE FROM webhook_deliveries WHERE seq IN ({marks})", seqs).rowcount)

    def purge_expired_sign_ins(self, now: float) -> int:
        """Remove the approver portal's sign-in links and sessions that have expired (their hashes open
        nothing any more); how many went."""
        links = self._execute("DELETE FROM portal_sign_in_links WHERE expires_at < ?", (now,)).rowcount
        sessions = self._execute("DELETE FROM portal_sessions WHERE expires_at < ?", (now,)).rowcount
        return int(links) + int(sessions)

    def purge_mail(self, seqs: list[int]) -> int:
        """Remove the messages `seqs` and their recipients; how many went."""
        if not seqs:
            return 0
        marks = ", ".join("?" for _ in seqs)
        self._execute(f"DELETE FROM mail_recipients WHERE seq IN ({marks})", seqs)
        return int(self._execute(f"DELETE FROM mail_messages WHERE seq IN ({marks})", seqs).rowcount)
