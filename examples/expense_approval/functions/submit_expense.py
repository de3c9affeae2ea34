"""submitExpense: check an expense and start its ExpenseApproval (`POST /expenses`, a proxy event).

`{"employeeId": "erin", "amount": 1200, "description": "Flights to the conference"}` answers
`{"status": "Expense submitted", "ref": "<execution ARN>"}`; a body that is not such a request answers 400
(`BadRequest`), an unknown employee 404 (`UnknownEmployee`), an employee without a manager 422.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import boto3
from expense_common import directory


class Refused(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _expense(request: Any) -> dict[str, Any]:
    """The execution's input: the expense, who asks, who manages them; Refused when it cannot be one."""
    if not isinstance(request, dict):
        raise Refused(
            400, "BadRequest", "The request must be a JSON object with employeeId, amount, description"
        )
    employee_id, amount, description = (
        request.get("employeeId"),
        request.get("amount"),
        request.get("description"),
    )
    if not isinstance(employee_id, str) or not employee_id:
        raise Refused(400, "BadRequest", "employeeId is required")
    if (
        isinstance(amount, bool)
        or not isinstance(amount, (int, float))
        or not math.isfinite(amount)
        or amount <= 0
    ):
        raise Refused(400, "BadRequest", "amount must be a positive number")
    if not isinstance(description, str) or not description.strip() or len(description) > 1000:
        raise Refused(400, "BadRequest", "description must be a text of 1 to 1000 characters")
    person = directory().person(employee_id)
    if person is None:
        raise Refused(404, "UnknownEmployee", f"Unknown employee '{employee_id}'")
    if not person.manager:
        raise Refused(422, "InvalidRequest", f"{person.display} has no manager to approve the expense")
    return {
        "employeeId": person.id,
        "employeeName": person.display,
        "manager": person.manager,
        "amount": amount,
        "description": description.strip(),
    }


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        expense = _expense(json.loads(event.get("body") or "null"))
    except json.JSONDecodeError as e:
        return _answer(400, {"error": "BadRequest", "message": f"The body is not JSON: {e.msg}"})
    except Refused as e:
        return _answer(e.status, {"error": e.error, "message": e.message})
    started = boto3.client("stepfunctions").start_execution(
        stateMachineArn=os.environ["STATE_MACHINE_ARN"], input=json.dumps(expense)
    )
    return _answer(200, {"status": "Expense submitted", "ref": started["executionArn"]})
