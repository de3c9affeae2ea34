"""Interpreter runs (table `runs`): an execution's main run and the branches and iterations Forks make.
A run's `frame` (the interpreter's state) is stored packed and handed out as JSON text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sojourn.store.executions import MACHINE_JOIN, named
from sojourn.store.packing import pack, unpack
from sojourn.store.rows import ExecutionRow, RunRow
from sojourn.store.sql import Statements

_RUN_COLUMNS = tuple(RunRow.__annotations__)
_RUN_AS = ", ".join(f"r.{column} AS run_{column}" for column in _RUN_COLUMNS)


class RunVerbs(Statements):
    """The verbs of runs."""

    def insert_run(
        self,
        execution_id: int,
        frame: Mapping[str, Any],
        parent_id: int | None = None,
        child_index: int = 0,
        parent_fork: int = 0,
    ) -> int:
        """Record an active run with its first frame; its id."""
        return int(
            self._insert(
                "runs",
                {
                    "execution_id": execution_id,
                    "parent_id": parent_id,
                    "child_index": child_index,
                    "parent_fork": parent_fork,
                    "status": "active",
                    "frame": pack(json.dumps(frame, separators=(",", ":"))),
                },
                returning="id",
            )
        )

    def run(self, run_id: int) -> RunRow | None:
        """The run `run_id`, or None."""
        row = self._one("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run(row) if row else None

    def run_and_execution(self, run_id: int, lock: bool = False) -> tuple[RunRow, ExecutionRow] | None:
        """A run and its execution in one read; `lock` locks the execution's row (PostgreSQL)."""
        row = self._one(
            f"SELECT e.*, m.arn AS machine_arn, {_RUN_AS} FROM runs r "
            "JOIN executions e ON e.id = r.execution_id "
            f"{MACHINE_JOIN} WHERE r.id = ?" + (self._locking(of="e") if lock else ""),
            (run_id,),
        )
        if row is None:
            return None
        run = {column: row.pop(f"run_{column}") for column in _RUN_COLUMNS}
        return _run(run), named(row)

    def update_run(self, run_id: int, changes: dict[str, Any]) -> None:
        """Change a run's columns (`frame` as JSON text)."""
        if "frame" in changes:
            changes = {**changes, "frame": pack(changes["frame"])}
        self._update("runs", {"id": run_id}, changes)

    def runs(self, execution_id: int) -> list[RunRow]:
        """Every run of an execution, in the order they were made."""
        return [
            _run(row)
            for row in self._all("SELECT * FROM runs WHERE execution_id = ? ORDER BY id", (execution_id,))
        ]

    def children(self, parent_id: int, fork: int | None = None) -> list[RunRow]:
        """The runs a Fork of `parent_id` made (all of them, or those of Fork number `fork`)."""
        if fork is None:
            rows = self._all("SELECT * FROM runs WHERE parent_id = ? ORDER BY id", (parent_id,))
        else:
            rows = self._all(
                "SELECT * FROM runs WHERE parent_id = ? AND parent_fork = ? ORDER BY id", (parent_id, fork)
            )
        return [_run(row) for row in rows]

    def cancel_runs(self, execution_id: int) -> None:
        """Mark every active run of an execution cancelled."""
        self._execute(
            "UPDATE runs SET status = 'cancelled' WHERE execution_id = ? AND status = 'active'",
            (execution_id,),
        )


def _run(row: dict[str, Any]) -> RunRow:
    """A run row with its frame as JSON text."""
    row["frame"] = unpack(row["frame"])
    return row  # type: ignore[return-value]
