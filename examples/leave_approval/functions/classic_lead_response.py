"""classicLeadResponse: behind the classic definition's Approve/Deny links (processLeaveRequest's email).

GET (what a link scanner does) shows a confirmation page; only its POST calls SendTaskSuccess with
`{"employeeId", "date", "decision", "taskToken"}`, the output classic_definition.json reads. A link whose
task no longer waits (decided, stopped) says so (410). The app's own workflow needs none of this: its links
are the engine's (/tasks/link/...).
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from leave_common import DATE, RETRY_AFTER, Unavailable, asking_sojourn, directory, stepfunctions

VERBS = {"approved": "Approve", "denied": "Deny"}


def page(title: str, body: str, status: int = 200) -> dict[str, Any]:
    """An API Gateway proxy response carrying a small HTML page."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    return {
        "statusCode": status,
        "body": document,
        "headers": headers | (RETRY_AFTER if status == 503 else {}),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    params = event.get("pathParameters") or {}
    decision, token = params.get("decision") or "", unquote(params.get("taskToken") or "")
    employee_id, day = params.get("empId") or "", params.get("date") or ""
    person = directory().person(employee_id)
    if decision not in VERBS or not token or not DATE.match(day) or person is None:
        return page("Unknown link", "<p>This link does not match any leave request.</p>", 404)
    verb = VERBS[decision]
    if event.get("httpMethod", "GET").upper() != "POST":
        return page(
            f"{verb} {person.name}'s leave on {day}?",
            f'<form method="post"><button type="submit">{verb}</button></form>'
            "<p>Nothing is decided until you press the button.</p>",
        )
    output = {"employeeId": employee_id, "date": day, "decision": decision, "taskToken": token}
    try:
        with asking_sojourn():
            stepfunctions().send_task_success(taskToken=token, output=json.dumps(output))
    except ClientError:  # decided already, stopped, or not a token of this request
        return page("This request is closed", "<p>It is no longer waiting for a decision.</p>", 410)
    except Unavailable as e:
        print(f"Sojourn could not be asked: {e}")
        return page("Please try again in a moment", "<p>Nothing was decided; this link still works.</p>", 503)
    return page(f"Leave {decision}", f"<p>{html.escape(person.name)} will be told by email.</p>")
