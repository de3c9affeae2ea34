"""requestLeave: validate a leave request and start the EmployeeLeaveWorkflow for it.

Called by `POST /request_leave` (API Gateway proxy event) or directly with
`{"employeeId": "E002", "date": "2020-11-01"}`; returns
`{"status": "Leave request submitted", "ref": "<execution ARN>"}`. A day already pending or already
approved is refused (409); a denied or expired day may be asked again. The execution's input names whom the
human task asks: the employee's manager (their lead), and the lead's own manager for the escalation.
"""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

from botocore.exceptions import ClientError
from leave_common import (
    DATE,
    RETRY_AFTER,
    LeaveError,
    Unavailable,
    asking_sojourn,
    decision_of,
    employee,
    error_code,
    json_response,
    request_name,
    requests_for,
    stepfunctions,
    today,
)

from sojourn.directory import Person

PENDING = ("RUNNING", "PENDING_REDRIVE")


def _policy() -> dict[str, int]:
    """How long the lead has before a reminder, an escalation and expiry (seconds; from the manifest)."""
    return {
        "remindAfterSeconds": int(os.environ.get("REMIND_AFTER_SECONDS", 86400)),
        "escalateAfterSeconds": int(os.environ.get("ESCALATE_AFTER_SECONDS", 86400)),
        "expireAfterSeconds": int(os.environ.get("EXPIRE_AFTER_SECONDS", 172800)),
    }


def _validate(request: Any) -> tuple[Person, str]:
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
    if not person.manager:
        raise LeaveError(422, f"{person.name} has no lead to approve the request")
    return person, day


def _input(person: Person, day: str) -> dict[str, Any]:
    """The execution's input: the request, who decides it (the lead; the lead's lead on escalation), when."""
    assert person.manager is not None  # checked by _validate
    above = employee(person.manager).manager
    asked = {"lead": person.manager, **({"leadsLead": above} if above else {})}
    return {"employeeId": person.id, "employeeName": person.name, "date": day, **asked, "policy": _policy()}


def _next_attempt(sfn: Any, person: Person, day: str) -> int:
    """The number of the new request for that day; LeaveError when one is pending or the day is approved."""
    attempt = 1
    for execution in requests_for(sfn, person.id, day):
        if execution["status"] in PENDING:
            raise LeaveError(409, f"A leave request for {person.name} on {day} is already pending")
        if decision_of(execution) == "approved":
            raise LeaveError(409, f"{person.name}'s leave on {day} is already approved", "AlreadyApproved")
        attempt += 1
    return attempt


def request_leave(request: Any) -> dict[str, str]:
    person, day = _validate(request)
    sfn = stepfunctions()
    arguments = {
        "stateMachineArn": os.environ["STATE_MACHINE_ARN"],
        "input": json.dumps(_input(person, day)),
    }
    for _ in range(3):
        name = request_name(person.id, day, _next_attempt(sfn, person, day))
        try:
            with asking_sojourn():
                started = sfn.start_execution(name=name, **arguments)
        except ClientError as e:  # a request under this name ended a moment ago: look again
            if error_code(e) != "ExecutionAlreadyExists":
                raise
            continue
        # A second request that raced this one under the same name gets the same execution (StartExecution is
        # idempotent by name and input while it runs): one workflow, one email.
        return {"status": "Leave request submitted", "ref": started["executionArn"]}
    raise Unavailable(f"the requests for {person.id} on {day} keep changing")


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
        return json_response(e.status, {"error": e.error, "message": e.message})
    except Unavailable as e:
        print(f"Sojourn could not be asked: {e}")
        return json_response(
            503,
            {
                "error": "ServiceUnavailable",
                "message": "The leave service cannot reach Sojourn "
                "right now, so nothing was requested; please try again in a moment.",
            },
            RETRY_AFTER,
        )
