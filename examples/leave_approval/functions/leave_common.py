"""Shared by the leave approval functions: the employee directory, the requests as Sojourn keeps them,
the pages.

The directory is a JSON file users edit (`EMPLOYEES_FILE`). The app keeps no records of its own: a request
is the execution named `<employee>-<date>-<n>` (n counts the times that day was asked, 1, 2, ... after a
denial), and what was asked of whom and what was decided is in that execution's history: each email's
task answers `{"to", "stage", "approverId", "tokenHash"}` (TaskSubmitted), the decision is the task's
output (TaskSucceeded). So a fresh database forgets the requests together with their executions, and every
server on one database sees the same requests. Task tokens are kept only as SHA-256 hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

HERE = Path(__file__).resolve().parent
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Answers of the Step Functions API that are about the request itself; any other error (refused credentials,
# an unreachable or failing server) means Sojourn could not be asked, and the caller should try again later.
REQUEST_ERRORS = frozenset(
    {"ExecutionDoesNotExist", "ExecutionAlreadyExists", "TaskDoesNotExist", "TaskTimedOut", "InvalidToken"}
)
WAITING_ENDS = {"TaskSucceeded": "decided", "TaskFailed": "failed", "TaskTimedOut": "timed_out"}


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


class NoEscalationTarget(Exception):
    """The lead has no lead of their own (the state machine catches it by this name to expire the request)."""


def employees() -> dict[str, dict[str, Any]]:
    path = Path(os.environ.get("EMPLOYEES_FILE", HERE.parent / "data" / "employees.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def employee(employee_id: str) -> dict[str, Any]:
    found = employees().get(employee_id)
    if found is None:
        raise LeaveError(404, f"Unknown employee '{employee_id}'")
    return {"id": employee_id, **found}


def approver(person: dict[str, Any], stage: str) -> dict[str, Any]:
    """Who decides at `stage`: the lead, or on escalation the lead's own lead."""
    lead = employee(person["lead"])
    if stage != "escalation":
        return lead
    if not lead.get("lead"):
        raise NoEscalationTarget(f"{lead['name']} has no lead to escalate {person['name']}'s request to")
    return employee(lead["lead"])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    with contextlib.suppress(TypeError, ValueError):
        return json.loads(execution.get("output") or "null").get("decision")
    return None


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, oldest first."""
    events: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        with asking_sojourn():
            page = sfn.get_execution_history(**arguments)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        arguments["nextToken"] = page["nextToken"]


@dataclass(frozen=True)
class Ask:
    """One email of Approve/Deny links, as the execution's history tells it."""

    execution: dict[str, Any]  # DescribeExecution's answer
    stage: str
    approver_id: str
    asked_at: datetime
    end: str | None  # None while it waits; decided, failed or timed_out
    decision: dict[str, Any] | None  # the task's output when decided
    newer_stage: str | None  # the stage of a later email for the same request


def find_ask(sfn: Any, employee_id: str, day: str, token: str) -> Ask | None:
    """The email whose links carry `token`, among that employee's requests for that day; None if none.

    Raises Unavailable while a request for that day is still sending its email: its links are not yet known.
    """
    wanted, sending = token_hash(token), False
    for execution in reversed(list(requests_for(sfn, employee_id, day))):
        events = history(sfn, execution["executionArn"])
        asks = [(i, _answer(e)) for i, e in enumerate(events) if e["type"] == "TaskSubmitted"]
        for position, (index, answer) in enumerate(asks):
            if answer.get("tokenHash") == wanted:
                later = asks[position + 1][1].get("stage") if position + 1 < len(asks) else None
                return _ask(execution, answer, events, index, later)
        sending = sending or (
            execution["status"] == "RUNNING" and _last_task_event(events) in ("TaskScheduled", "TaskStarted")
        )
    if sending:
        raise Unavailable("the request's email is still being sent")
    return None


def _answer(event: dict[str, Any]) -> dict[str, Any]:
    """What processLeaveRequest returned, from a TaskSubmitted event
    (Lambda's envelope or the bare payload)."""
    with contextlib.suppress(TypeError, ValueError):
        output = json.loads(event["taskSubmittedEventDetails"].get("output") or "null")
        payload = output.get("Payload", output) if isinstance(output, dict) else None
        if isinstance(payload, dict):
            return payload
    return {}


def _ask(
    execution: dict[str, Any],
    answer: dict[str, Any],
    events: list[dict[str, Any]],
    index: int,
    newer_stage: str | None,
) -> Ask:
    end, decision = None, None
    for event in events[index + 1 :]:
        if event["type"] in WAITING_ENDS:
            end = WAITING_ENDS[event["type"]]
            if end == "decided":
                decision = json.loads(event["taskSucceededEventDetails"].get("output") or "{}")
            break
    return Ask(
        execution,
        str(answer.get("stage", "request")),
        str(answer.get("approverId", "")),
        events[index]["timestamp"],
        end,
        decision,
        newer_stage,
    )


def _last_task_event(events: list[dict[str, Any]]) -> str | None:
    return next(
        (e["type"] for e in reversed(events) if e["type"].startswith("Task") and "State" not in e["type"]),
        None,
    )


# --- answers ---------------------------------------------------------------------------------------------
def page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway proxy response carrying a small HTML page."""
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">\
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
 body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; \
padding: 0 1rem; color: #1f2933; }}
 h1 {{ font-size: 1.4rem; }} dl {{ display: grid; grid-template-columns: max-content auto; gap: .3rem 1rem; }}
 dt {{ color: #52606d; }} button {{ font-size: 1rem; padding: .6rem 1.4rem; border: 0; border-radius: .3rem; \
color: white; cursor: pointer; }}
 .approved {{ background: #2f855a; }} .denied {{ background: #c53030; }} .note {{ color: #52606d; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{body}
</body></html>"""
    return {
        "statusCode": status,
        "body": document,
        "headers": {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    }


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


RETRY_AFTER = {"Retry-After": "30"}
