"""requestLeave: validate a leave request and start the EmployeeLeaveWorkflow for it.

Called by `POST /request_leave` (API Gateway proxy event) or directly with
`{"employeeId": "E002", "date": "2020-11-01"}`; returns
`{"status": "Leave request submitted", "ref": "<execution ARN>"}`.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import date
from typing import Any

import boto3
from leave_common import LeaveError, employee, json_response, now, records, today

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _policy() -> dict[str, int]:
    """How long the lead has before a reminder, an escalation and expiry (seconds; from the manifest)."""
    return {
        "remindAfterSeconds": int(os.environ.get("REMIND_AFTER_SECONDS", 86400)),
        "escalateAfterSeconds": int(os.environ.get("ESCALATE_AFTER_SECONDS", 86400)),
        "expireAfterSeconds": int(os.environ.get("EXPIRE_AFTER_SECONDS", 172800)),
    }


def _validate(request: Any) -> tuple[dict[str, Any], str]:
    if not isinstance(request, dict):
        raise LeaveError(400, "The request must be a JSON object with employeeId and date")
    employee_id, day = request.get("employeeId"), request.get("date")
    if not isinstance(employee_id, str) or not employee_id:
        raise LeaveError(400, "employeeId is required")
    if not isinstance(day, str) or not DATE.match(day):
        raise LeaveError(400, "date must be a date written YYYY-MM-DD")
    try:
        leave_day = date.fromisoformat(day)
    except ValueError:
        raise LeaveError(400, f"'{day}' is not a calendar date") from None
    if leave_day < today():
        raise LeaveError(422, f"{day} is in the past")
    person = employee(employee_id)
    if not person.get("lead"):
        raise LeaveError(422, f"{person['name']} has no lead to approve the request")
    return person, day


def request_leave(request: Any) -> dict[str, str]:
    person, day = _validate(request)
    sfn = boto3.client("stepfunctions")
    with records() as db:
        db.execute("BEGIN IMMEDIATE")  # one request at a time decides what is pending
        for row in db.execute("SELECT execution_arn FROM requests WHERE employee_id = ? AND date = ?", (person["id"], day)):
            status = sfn.describe_execution(executionArn=row["execution_arn"])["status"]
            if status in ("RUNNING", "PENDING_REDRIVE"):
                raise LeaveError(409, f"A leave request for {person['name']} on {day} is already pending")
        started = sfn.start_execution(
            stateMachineArn=os.environ["STATE_MACHINE_ARN"],
            name=f"{person['id']}-{day}-{uuid.uuid4().hex[:8]}",
            input=json.dumps({"employeeId": person["id"], "date": day, "policy": _policy()}),
        )
        db.execute(
            "INSERT INTO requests (execution_arn, employee_id, date, created_at) VALUES (?, ?, ?, ?)",
            (started["executionArn"], person["id"], day, now()),
        )
    return {"status": "Leave request submitted", "ref": started["executionArn"]}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "httpMethod" not in event:  # invoked directly with the request itself
        return request_leave(event)
    try:
        body = json.loads(event.get("body") or "null")
    except json.JSONDecodeError as e:
        return json_response(400, {"error": "BadRequest", "message": f"The body is not JSON: {e.msg}"})
    try:
        return json_response(200, request_leave(body))
    except LeaveError as e:
        names = {400: "BadRequest", 404: "UnknownEmployee", 409: "DuplicateRequest", 422: "InvalidRequest"}
        return json_response(e.status, {"error": names.get(e.status, "Error"), "message": e.message})
