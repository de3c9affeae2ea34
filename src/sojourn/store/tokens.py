"""Task tokens (table `tokens`): stored as SHA-256 hashes, 32 raw bytes, and handed out as hex; a token's
`parameters` (the task's, for the inbox) are stored packed and handed out as JSON text."""

from __future__ import annotations

import re
from typing import Any

from sojourn.store.executions import MACHINE_JOIN
from sojourn.store.packing import pack, unpack
from sojourn.store.rows import TaskRow, TokenRow
from sojourn.store.sql import Statements

_TASKS = (
    "SELECT t.*, e.arn AS execution_arn, m.arn AS machine_arn FROM tokens t "
    "JOIN executions e ON e.id = t.execution_id " + MACHINE_JOIN
)


class TokenVerbs(Statements):
    """The verbs of task tokens (and closing an execution's open tasks, tokens and activity tasks alike)."""

    def insert_token(self, values: dict[str, Any]) -> None:
        """Record a waiting token: `hash` in hex, `parameters` as JSON text."""
        parameters = values.get("parameters")
        self._insert(
            "tokens",
            {
                **values,
                "hash": bytes.fromhex(values["hash"]),
                "parameters": pack(parameters) if parameters is not None else None,
                "status": "waiting",
            },
        )

    def token(self, token_hash: str, lock: bool = False) -> TokenRow | None:
        """The token whose hash is `token_hash` (hex), waiting or not; `lock` locks its row (PostgreSQL)."""
        row: TokenRow | None = _token(
            self._one(
                "SELECT * FROM tokens WHERE hash = ?" + (self.store.for_update if lock else ""),
                (bytes.fromhex(token_hash),),
            )
        )
        return row

    def waiting_token(self, execution_id: int, run_id: int, task_id: int) -> TokenRow | None:
        """The token the task `task_id` of a run waits on, or None."""
        row: TokenRow | None = _token(
            self._one(
                "SELECT * FROM tokens "
                "WHERE execution_id = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
                (execution_id, run_id, task_id),
            )
        )
        return row

    def set_token(self, token_hash: str, changes: dict[str, Any]) -> None:
        """Change some columns of a token (its status, its heartbeat)."""
        self._update("tokens", {"hash": bytes.fromhex(token_hash)}, changes)

    def reissue_token(self, execution_id: int, run_id: int, task_id: int, token_hash: str) -> bool:
        """Give a waiting task a new token (its invocation is repeated); False when it waits no more."""
        return bool(
            self._execute(
                "UPDATE tokens SET hash = ? "
                "WHERE execution_id = ? AND run_id = ? AND task_id = ? AND status = 'waiting'",
                (bytes.fromhex(token_hash), execution_id, run_id, task_id),
            ).rowcount
        )

    def close_tasks(self, execution_id: int, run_id: int | None = None, task_id: int | None = None) -> None:
        """Close the tokens and activity tasks still open for an execution (or one run, or one run's task)."""
        where = (
            "execution_id = ?"
            + (" AND run_id = ?" if run_id is not None else "")
            + (" AND task_id = ?" if task_id is not None else "")
        )
        params = [value for value in (execution_id, run_id, task_id) if value is not None]
        self._execute(f"UPDATE tokens SET status = 'closed' WHERE {where} AND status = 'waiting'", params)
        self._execute(
            f"UPDATE activity_tasks SET status = 'closed' WHERE {where} AND status <> 'closed'", params
        )

    def count_waiting_tokens(self) -> int:
        """How many tokens wait for an answer."""
        row = self._one("SELECT COUNT(*) AS n FROM tokens WHERE status = 'waiting'")
        return int(row["n"]) if row else 0

    def waiting_tokens(self, limit: int, after: float | None = None) -> list[TaskRow]:
        """Waiting tokens with their execution and machine, newest first, those created before `after`."""
        return [
            _token(row)
            for row in self._all(
                _TASKS
                + " WHERE t.status = 'waiting' AND (CAST(? AS DOUBLE PRECISION) IS NULL OR t.created_at < ?) "
                "ORDER BY t.created_at DESC LIMIT ?",
                (after, after, limit),
            )
        ]

    def execution_waiting_tokens(
        self, execution_arn: str, limit: int, after: float | None = None
    ) -> list[TaskRow]:
        """`waiting_tokens` of one execution (the index `tokens_by_task` finds them)."""
        return [
            _token(row)
            for row in self._all(
                _TASKS + " WHERE e.arn = ? AND t.status = 'waiting' "
                "AND (CAST(? AS DOUBLE PRECISION) IS NULL OR t.created_at < ?) "
                "ORDER BY t.created_at DESC LIMIT ?",
                (execution_arn, after, after, limit),
            )
        ]

    def waiting_task(self, token_hash: str) -> TaskRow | None:
        """The token `token_hash` while it waits, with its execution's ARN and machine (the inbox's task)."""
        if not re.fullmatch(r"[0-9a-f]{64}", token_hash):
            return None  # no task's id
        row: TaskRow | None = _token(
            self._one(_TASKS + " WHERE t.hash = ? AND t.status = 'waiting'", (bytes.fromhex(token_hash),))
        )
        return row

    def known_token_hashes(self, hashes: list[str]) -> set[str]:
        """Which of these SHA-256 hashes (hex) are task tokens Sojourn issued (waiting or not)."""
        if not hashes:
            return set()
        marks = ", ".join("?" for _ in hashes)
        rows = self._all(
            f"SELECT hash FROM tokens WHERE hash IN ({marks})", [bytes.fromhex(known) for known in hashes]
        )
        return {bytes(row["hash"]).hex() for row in rows}


def _token(row: Any) -> Any:
    """A token row as the store's callers see it: the hash in hex, the parameters as JSON text."""
    if row is not None:
        row["hash"] = bytes(row["hash"]).hex()
        row["parameters"] = unpack(row["parameters"])
    return row
