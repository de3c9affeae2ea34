"""History events as stored and as GetExecutionHistory returns them.

An event's details are stored without their wrapper key, which its type implies: `TaskScheduled` has
`taskScheduledEventDetails`, every `*StateEntered` event `stateEnteredEventDetails` (the rule holds for
each event type of botocore's Step Functions model). ExecutionStarted's details are the execution's own
columns (input, role, state machine, version, alias), so they are not stored again but filled in when read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["api_event", "details_key", "started_details"]


def details_key(type: str) -> str:
    """The HistoryEvent member holding the details of an event of `type`."""
    if type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return type[0].lower() + type[1:] + "EventDetails"


def started_details(execution: Mapping[str, Any]) -> dict[str, Any]:
    """ExecutionStarted's details, from the execution's row."""
    details: dict[str, Any] = {
        "input": execution["input"],
        "inputDetails": {"truncated": False},
        "roleArn": execution["role_arn"],
        "stateMachineArn": execution["machine_arn"],
    }
    if execution.get("version_arn"):
        details["stateMachineVersionArn"] = execution["version_arn"]
    if execution.get("alias_arn"):
        details["stateMachineAliasArn"] = execution["alias_arn"]
    return details


def api_event(
    row: Mapping[str, Any], execution: Mapping[str, Any], include_data: bool = True
) -> dict[str, Any]:
    """A stored event (`id, ts, type, details`) of `execution` as boto3 returns it."""
    type = row["type"]
    event: dict[str, Any] = {
        "timestamp": datetime.fromtimestamp(row["ts"], UTC),
        "type": type,
        "id": row["id"],
        "previousEventId": row["id"] - 1,
    }
    details = (
        started_details(execution)
        if type == "ExecutionStarted"
        else (json.loads(row["details"]) if row["details"] else None)
    )
    if details is None:
        return event
    if not include_data:
        for key in ("input", "output", "parameters"):
            if key in details:
                details.pop(key)
                details.setdefault(f"{key}Details", {})["truncated"] = False
    event[details_key(type)] = details
    return event
