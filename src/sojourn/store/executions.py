"""Executions and what they share (tables `executions`, `definitions`, `machine_arns`).

An execution's `id` is its place in the listing order; its `name` is the last part of its ARN. Definitions
and machine ARNs are stored once (interned) however many executions use them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sojourn.store.rows import EXECUTION_DEFAULTS, LISTED_EXECUTION_COLUMNS, ExecutionRow
from sojourn.store.sql import Statements

MACHINE_JOIN = "JOIN machine_arns m ON m.id = e.machine_id"  # an execution's machine ARN is stored once
_LISTED = ", ".join(f"e.{column}" for column in LISTED_EXECUTION_COLUMNS) + ", m.arn AS machine_arn"


class ExecutionVerbs(Statements):
    """The verbs of executions, definitions and machine ARNs."""

    def definition_id(self, text: str) -> int:
        """The id of the definition `text`, stored once (by its SHA-256) however many executions use it."""
        return self._interned(
            "definitions", "hash", hashlib.sha256(text.encode()).hexdigest(), {"definition": text}
        )

    def machine_id(self, arn: str) -> int:
        """The id of the state machine ARN `arn`, stored once however many executions name it."""
        return self._interned("machine_arns", "arn", arn, {})

    def _interned(self, table: str, column: str, key: str, values: dict[str, Any]) -> int:
        """The id of the row of `table` whose `column` is `key`, inserted with `values` the first time."""
        known = self.store.interned.get((table, key))
        if known is not None:
            return known
        find = f"SELECT id FROM {table} WHERE {column} = ?"
        marks = ", ".join("?" * (1 + len(values)))
        row = (
            self._one(find, (key,))
            or self._one(
                f"INSERT INTO {table} ({', '.join([column, *values])}) VALUES ({marks}) "
                f"ON CONFLICT ({column}) DO NOTHING RETURNING id",
                (key, *values.values()),
            )
            or self._one(find, (key,))
        )  # another transaction stored it meanwhile
        assert row is not None
        interned = int(row["id"])
        self.committed.append(lambda: self.store.interned.__setitem__((table, key), interned))
        return interned

    def definition(self, definition_id: int) -> str:
        """The definition text of `definition_id`; LookupError when there is none."""
        row = self._one("SELECT definition FROM definitions WHERE id = ?", (definition_id,))
        if row is None:
            raise LookupError(f"No definition {definition_id}")
        return str(row["definition"])

    def insert_execution(self, row: dict[str, Any]) -> ExecutionRow:
        """Insert a RUNNING execution (`row` without `id` and `name`); returns the full row."""
        values = {key: value for key, value in row.items() if key not in ("id", "name", "machine_arn")}
        values["machine_id"] = self.machine_id(row["machine_arn"])
        values["id"] = self._insert("executions", values, returning="id")
        return named({**EXECUTION_DEFAULTS, **values, "machine_arn": row["machine_arn"]})

    def execution(self, arn: str, lock: bool = False) -> ExecutionRow | None:
        """The execution `arn`, or None; `lock` locks its row (PostgreSQL)."""
        row = self._one(
            f"SELECT e.*, m.arn AS machine_arn FROM executions e {MACHINE_JOIN} WHERE e.arn = ?"
            + (self._locking(of="e") if lock else ""),
            (arn,),
        )
        return named(row) if row else None

    def update_execution(self, execution_id: int, changes: dict[str, Any]) -> None:
        """Change some columns of an execution."""
        self._update("executions", {"id": execution_id}, changes)

    def list_executions(
        self,
        machine_arn: str | None,
        status: str | None,
        before_id: int | None,
        limit: int,
        version_arn: str | None = None,
        alias_arn: str | None = None,
        started_after: float | None = None,
        started_before: float | None = None,
    ) -> list[ExecutionRow]:
        """Newest first (keyset on `id`), the columns of LISTED_EXECUTION_COLUMNS;
        `started_after`/`started_before` bound the start time (inclusive/exclusive)."""
        clauses: list[str] = []
        params: list[Any] = []
        filters = (
            ("e.machine_id = (SELECT id FROM machine_arns WHERE arn = ?)", machine_arn),
            ("e.status = ?", status),
            ("e.version_arn = ?", version_arn),
            ("e.alias_arn = ?", alias_arn),
            ("e.id < ?", before_id),
            ("e.started_at >= ?", started_after),
            ("e.started_at < ?", started_before),
        )
        for clause, value in filters:
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._all(
            f"SELECT {_LISTED} FROM executions e {MACHINE_JOIN}{where} ORDER BY e.id DESC LIMIT ?",
            (*params, limit),
        )
        return [named(row) for row in rows]


def named(row: dict[str, Any]) -> ExecutionRow:
    """An execution row with its name, the 8th part of its ARN (`...:execution:machine:name`,
    `...:express:machine:name:id`)."""
    row.pop("machine_id", None)
    row["name"] = row["arn"].split(":")[7]
    return row  # type: ignore[return-value]  # now an ExecutionRow's keys
