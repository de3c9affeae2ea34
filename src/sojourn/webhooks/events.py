"""Events for the webhooks of the settings: executions' status changes and (behind `human_task_events`)
human tasks' events, queued in the transaction that makes the change.

An execution's event has the shape EventBridge gives "Step Functions Execution Status Change" (AWS Step
Functions Developer Guide, "EventBridge (CloudWatch Events) for Step Functions execution status changes";
tests/data/eventbridge_execution_status_change.json): `version`, `id`, `detail-type`, `source` "aws.states",
`account`, `time`, `region`, `resources` [the execution's ARN] and `detail` as DescribeExecution describes
the execution, dates in epoch milliseconds. As on AWS, an input and output over 248 KB together leave the
input out (`inputDetails.included` false), an output over 248 KB alone leaves it out too.
A human task's event is ours: detail-type "Sojourn Human Task Event", source "sojourn.humantasks".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sojourn.config import Settings, WebhookTarget
from sojourn.store.base import Tx
from sojourn.store.rows import ExecutionRow, HumanTaskListing
from sojourn.webhooks.outbox import enqueue_in

__all__ = [
    "EXECUTION_STATUS_CHANGE",
    "HUMAN_TASK_EVENT",
    "execution_event",
    "human_task_event",
    "human_task_listener",
    "status_listener",
]

EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
HUMAN_TASK_EVENT = "Sojourn Human Task Event"
PAYLOAD_LIMIT = 248 * 1024  # EventBridge's: past it the input (then the output) is left out

StatusListener = Callable[[Tx, ExecutionRow, float], None]
HumanTaskListener = Callable[[Tx, dict[str, Any]], None]


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _millis(epoch: float | None) -> int | None:
    return int(epoch * 1000) if epoch is not None else None


def _envelope(settings: Settings, kind: str, source: str, now: float, resources: list[str]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": kind,
        "source": source,
        "account": settings.account_id,
        "time": _time(now),
        "region": settings.region,
        "resources": resources,
    }


def execution_event(settings: Settings, execution: ExecutionRow, now: float) -> dict[str, Any]:
    """The "Step Functions Execution Status Change" event of `execution` as it is now."""
    status = execution["status"]
    given, output = execution["input"], execution["output"] if status == "SUCCEEDED" else None
    output_fits = output is None or len(output) <= PAYLOAD_LIMIT
    input_fits = len(given) + (len(output) if output and output_fits else 0) <= PAYLOAD_LIMIT
    redrivable = status in ("FAILED", "TIMED_OUT", "ABORTED")
    detail: dict[str, Any] = {
        "executionArn": execution["arn"],
        "stateMachineArn": execution["machine_arn"],
        "name": execution["name"],
        "status": status,
        "startDate": _millis(execution["started_at"]),
        "stopDate": _millis(execution["stopped_at"]) if status != "RUNNING" else None,
        "input": given if input_fits else None,
        "output": output if output_fits else None,
        "inputDetails": {"included": input_fits},
        "outputDetails": {"included": output_fits} if output is not None else None,
        "error": execution["error"],
        "cause": execution["cause"],
        "redriveCount": execution["redrive_count"],
        "redriveDate": _millis(execution["redrive_at"]),
        "redriveStatus": "REDRIVABLE" if redrivable else "NOT_REDRIVABLE",
        "redriveStatusReason": None if redrivable else f"Execution is {status} and cannot be redriven",
    }
    if execution["version_arn"]:
        detail["stateMachineVersionArn"] = execution["version_arn"]
    if execution["alias_arn"]:
        detail["stateMachineAliasArn"] = execution["alias_arn"]
    envelope = _envelope(settings, EXECUTION_STATUS_CHANGE, "aws.states", now, [execution["arn"]])
    return {**envelope, "detail": detail}


def human_task_event(settings: Settings, task: HumanTaskListing, event: dict[str, Any]) -> dict[str, Any]:
    """Sojourn's own event for one event of a human task's audit trail (`event`: task_id, at, kind, actor,
    details), with the task's title, state and execution."""
    envelope = _envelope(
        settings, HUMAN_TASK_EVENT, "sojourn.humantasks", event["at"], [task["execution_arn"]]
    )
    detail = {
        "taskId": event["task_id"],
        "title": task["title"],
        "stateName": task["state_name"],
        "executionArn": task["execution_arn"],
        "taskStatus": task["status"],
        "event": event["kind"],
        "actor": event["actor"],
        "date": _millis(event["at"]),
        "details": event["details"],
    }
    return {**envelope, "detail": detail}


def _queue(
    tx: Tx, target: WebhookTarget, event: dict[str, Any], kind: str, key: str | None, now: float
) -> None:
    enqueue_in(tx, target.url, event, kind, target.secret_env, key and f"{target.name}/{key}", now)


def status_listener(settings: Settings) -> StatusListener | None:
    """What the engine calls at each status change (start, end, redrive), in its transaction; None when no
    webhook wants executions' events (the engine then does nothing more)."""
    targets = [t for t in settings.webhooks if t.execution_events]
    if not targets:
        return None

    def changed(tx: Tx, execution: ExecutionRow, now: float) -> None:
        status, arn = execution["status"], execution["machine_arn"]
        wanting = [t for t in targets if t.wants_execution(status, arn)]
        if not wanting:
            return
        event = execution_event(settings, execution, now)
        key = f"{execution['arn']}/{status}/{execution['redrive_count']}"
        for target in wanting:
            _queue(tx, target, event, "execution-status", key, now)

    return changed


def human_task_listener(settings: Settings) -> HumanTaskListener | None:
    """What the store calls for each event of a human task, in its transaction; None when no webhook wants
    human tasks' events."""
    targets = [t for t in settings.webhooks if t.human_task_events]
    if not targets:
        return None

    def recorded(tx: Tx, event: dict[str, Any]) -> None:
        task = tx.human_task_listing(event["task_id"])
        if task is None:
            return
        wanting = [
            t for t in targets if not t.state_machines or t.wants_execution("RUNNING", task["machine_arn"])
        ]
        body = human_task_event(settings, task, event)
        for target in wanting:
            _queue(tx, target, body, "human-task-event", None, event["at"])

    return recorded
