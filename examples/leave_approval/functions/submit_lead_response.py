"""submitLeadResponse: behind the Approve/Deny links; the decision is taken by POST only.

GET (what an email scanner or a link preview does) shows a confirmation page and decides nothing.
POST from that page calls SendTaskSuccess with `{"employeeId", "date", "decision", "taskToken"}`
plus who decided and when. A link decides once: a second click, the other link or a replayed POST
shows the decision already taken; a link whose workflow stopped or moved on says so.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError
from leave_common import employee, now, page, records, token_hash

VERBS = {"approved": "Approve", "denied": "Deny"}
GONE = {"ABORTED": "was stopped", "TIMED_OUT": "timed out", "FAILED": "failed", "SUCCEEDED": "is already finished"}


def _decided(link: Any) -> dict[str, Any]:
    who = employee(link["decided_by"])["name"] if link["decided_by"] else "someone"
    return page(
        "Decision already taken",
        f"<p>{html.escape(_person(link)['name'])}'s leave on {html.escape(link['date'])} was "
        f"<strong>{html.escape(link['decision'])}</strong> by {html.escape(who)} at {html.escape(link['decided_at'])}.</p>"
        "<p class='note'>Nothing was changed.</p>",
    )


def _person(link: Any) -> dict[str, Any]:
    return employee(link["employee_id"])


def _not_waiting(link: Any, sfn: Any) -> dict[str, Any] | None:
    """A page when the request no longer waits on this link: the workflow ended, or a newer email replaced it."""
    status = "UNKNOWN"
    if link["execution_arn"]:
        try:
            status = sfn.describe_execution(executionArn=link["execution_arn"])["status"]
        except ClientError:
            status = "UNKNOWN"
    if status in GONE:
        return page("This request is closed", f"<p>The leave request {GONE[status]}; this link no longer decides anything.</p>", 410)
    with records() as db:
        newer = db.execute(
            "SELECT stage FROM links WHERE execution_arn = ? AND sent_at > ? ORDER BY sent_at DESC LIMIT 1",
            (link["execution_arn"], link["sent_at"]),
        ).fetchone()
    if newer is not None:
        return page("This link was replaced", f"<p>A newer email ({html.escape(newer['stage'])}) was sent for this request; please use its links.</p>", 410)
    return None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    params = event.get("pathParameters") or {}
    decision, token = params.get("decision"), unquote(params.get("taskToken") or "")
    if decision not in VERBS or not token:
        return page("Unknown link", "<p>This link is not a leave decision link.</p>", 404)
    with records() as db:
        link = db.execute("SELECT * FROM links WHERE token_hash = ?", (token_hash(token),)).fetchone()
    if link is None or link["employee_id"] != params.get("empId") or link["date"] != params.get("date"):
        return page("Unknown link", "<p>This link does not match any leave request.</p>", 404)
    if link["decision"]:
        return _decided(link)
    sfn = boto3.client("stepfunctions")
    closed = _not_waiting(link, sfn)
    if closed is not None:
        return closed
    person, approver = _person(link), employee(link["approver_id"])
    if event.get("httpMethod", "GET").upper() != "POST":
        verb = VERBS[decision]
        return page(
            f"{verb} {person['name']}'s leave on {link['date']}?",
            f"""<dl><dt>Employee</dt><dd>{html.escape(person['name'])} ({html.escape(person['id'])})</dd>
<dt>Date</dt><dd>{html.escape(link['date'])}</dd><dt>Approver</dt><dd>{html.escape(approver['name'])}</dd>
<dt>Asked</dt><dd>{html.escape(link['sent_at'])}</dd></dl>
<form method="post"><button class="{decision}" type="submit">{verb}</button></form>
<p class="note">Nothing is decided until you press the button.</p>""",
        )
    decided_at = now()
    with records() as db:
        claimed = db.execute(
            "UPDATE links SET decision = ?, decided_by = ?, decided_at = ? WHERE token_hash = ? AND decision IS NULL",
            (decision, approver["id"], decided_at, link["token_hash"]),
        ).rowcount
    if not claimed:  # another click won the race
        with records() as db:
            return _decided(db.execute("SELECT * FROM links WHERE token_hash = ?", (link["token_hash"],)).fetchone())
    output = {
        "employeeId": person["id"], "date": link["date"], "decision": decision, "taskToken": token,
        "decidedBy": {"employeeId": approver["id"], "name": approver["name"]}, "decidedAt": decided_at,
    }
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output))
    except ClientError:
        with records() as db:
            db.execute("UPDATE links SET decision = NULL, decided_by = NULL, decided_at = NULL WHERE token_hash = ?", (link["token_hash"],))
        return _not_waiting(link, sfn) or page("This request is closed", "<p>The workflow is no longer waiting for this decision.</p>", 410)
    return page(
        f"Leave {decision}",
        f"<p>You {decision} {html.escape(person['name'])}'s leave on {html.escape(link['date'])}. They will be told by email.</p>",
    )
