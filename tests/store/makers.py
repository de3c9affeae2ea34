"""Rows the store's contract tests start from: an execution with its run,
written through the store's verbs."""

from __future__ import annotations

from typing import Any

MACHINE = "arn:aws:states:us-east-1:1:stateMachine:m"
EXECUTION = "arn:aws:states:us-east-1:1:execution:m:e"


def execution(tx: Any, arn: str = EXECUTION, definition: str = "{}") -> Any:
    """A RUNNING execution of MACHINE named by `arn`."""
    return tx.insert_execution(
        {
            "arn": arn,
            "machine_arn": MACHINE,
            "status": "RUNNING",
            "definition_id": tx.definition_id(definition),
            "role_arn": "r",
            "input": "{}",
            "started_at": 1.0,
        }
    )


def execution_and_run(tx: Any, arn: str = EXECUTION) -> tuple[Any, int]:
    """An execution with its main run."""
    row = execution(tx, arn)
    return row, tx.insert_run(row["id"], {"state": "A"})
