"""Shared by the leave approval functions: the directory, the requests as Sojourn keeps them, JSON answers.

The directory is the app's (`data/employees.json`, `EMPLOYEES_FILE`), the same file app.yaml gives Sojourn
as its `directory`: whom the human task asks (the employee's manager, their lead) is read from it here too.
The app keeps no records of its own: a request is the execution named `<employee>-<date>-<n>` (n counts the
times that day was asked, 1, 2, ... after a denial); its output says what was decided. Links, reminders,
escalation and expiry are the engine's (the human task in definition.json).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sojourn.directory import Directory, Person

HERE = Path(__file__).resolve().parent
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Answers of the Step Functions API that are about the request itself; any other error (refused credentials,
# an unreachable or failing server) means Sojourn could not be asked, and the caller should try again later.
REQUEST_ERRORS = frozenset(
    {"ExecutionDoesNotExist", "ExecutionAlreadyExists", "TaskDoesNotExist", "TaskTimedOut", "InvalidToken"}
)
RETRY_AFTER = {"Retry-After": "30"}


class LeaveError(Exception):
    """A request the app refuses: `status` is the HTTP status the route answers with, `error` its name."""

    NAMES = {400: "BadRequest", 404: "UnknownEmployee", 409: "DuplicateRequest", 422: "InvalidRequest"}

    def __init__(self, status: int, message: str, error: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or self.NAMES.get(status, "Error")


class Unavailable(Exception):
    """Sojourn could not be asked (unreachable, refused the credentials, failed): nothing was decided."""


def directory() -> Directory:
    path = Path(os.environ.get("EMPLOYEES_FILE", HERE.parent / "data" / "employees.json"))
    return Directory.from_mapping(json.loads(path.read_text(encoding="utf-8")))


def employee(employee_id: str) -> Person:
    found = directory().person(employee_id)
    if found is None:
        raise LeaveError(404, f"Unknown employee '{employee_id}'")
    return found


def today() -> date:
    override = os.environ.get("LEAVE_TODAY")  # lets the tests pin the calendar
    return date.fromisoformat(override) if override else datetime.now(UTC).date()


# --- Sojourn -----------------------------------------------------------------------------------------------
def stepfunctions() -> Any:
    """boto3's client of the Sojourn that runs this function
    (its endpoint and credential come from Sojourn)."""
    return boto3.client(
        "stepfunctions", config=Config(retries={"max_attempts": 2}, connect_timeout=3, read_timeout=8)
    )


@contextlib.contextmanager
def asking_sojourn() -> Iterator[None]:
    """Turn a failure to ask Sojourn into Unavailable;
    the API's answers about the request pass as they are."""
    try:
        yield
    except ClientError as e:
        if error_code(e) in REQUEST_ERRORS:
            raise
        raise Unavailable(f"{error_code(e)}: {e.response.get('Error', {}).get('Message')}") from None
    except BotoCoreError as e:
        raise Unavailable(type(e).__name__) from None


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def requests_for(sfn: Any, employee_id: str, day: str) -> Iterator[dict[str, Any]]:
    """The executions of the requests for that employee and day, oldest first
    (DescribeExecution's answers)."""
    machine = os.environ["STATE_MACHINE_ARN"]
    attempt = 1
    while True:
        arn = (
            f"{machine.replace(':stateMachine:', ':execution:', 1)}:{request_name(employee_id, day, attempt)}"
        )
        try:
            with asking_sojourn():
                described = sfn.describe_execution(executionArn=arn)
        except ClientError as e:
            if error_code(e) == "ExecutionDoesNotExist":
                return
            raise
        yield described
        attempt += 1


def request_name(employee_id: str, day: str, attempt: int) -> str:
    """The execution name of the `attempt`th request for that employee and day."""
    return f"{employee_id}-{day}-{attempt}"


def decision_of(execution: dict[str, Any]) -> str | None:
    """The decision a finished request recorded (approved, denied, expired), or None."""
    if execution.get("status") != "SUCCEEDED":
        return None
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        return json.loads(execution.get("output") or "null").get("decision")
    return None


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }
