"""processLeaveRequest: email the approver Approve and Deny links carrying the task token.

Receives `{"req": <the request>, "taskToken": <token>, "execution": <ARN>, "stage": ...}` where stage
is `request`, `reminder` (same lead, fresh links) or `escalation` (the lead's own lead). With no one
to escalate to it raises NoEscalationTarget, which the state machine catches to expire the request.
"""

from __future__ import annotations

import html
import os
from typing import Any
from urllib.parse import quote

from leave_common import employee, now, records, token_hash
from sojourn.mail import send_email


class NoEscalationTarget(Exception):
    """The lead has no lead of their own."""


SUBJECTS = {"request": "Leave Request from {name} for {date}", "reminder": "Reminder: Leave Request from {name} for {date}",
            "escalation": "Escalated: Leave Request from {name} for {date}"}


def _approver(person: dict[str, Any], stage: str) -> dict[str, Any]:
    lead = employee(person["lead"])
    if stage != "escalation":
        return lead
    if not lead.get("lead"):
        raise NoEscalationTarget(f"{lead['name']} has no lead to escalate {person['name']}'s request to")
    return employee(lead["lead"])


def link(employee_id: str, day: str, decision: str, token: str) -> str:
    base = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
    return f"{base}/leave_lead_response/{quote(employee_id, safe='')}/{quote(day, safe='')}/{decision}/{quote(token, safe='')}"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request, token, stage = event["req"], event["taskToken"], event.get("stage", "request")
    person = employee(request["employeeId"])
    approver = _approver(person, stage)
    day = request["date"]
    with records() as db:
        db.execute(
            "INSERT OR REPLACE INTO links (token_hash, execution_arn, employee_id, date, approver_id, stage, sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), event.get("execution"), person["id"], day, approver["id"], stage, now()),
        )
    approve, deny = link(person["id"], day, "approved", token), link(person["id"], day, "denied", token)
    subject = SUBJECTS.get(stage, SUBJECTS["request"]).format(name=person["name"], date=day)
    why = {
        "reminder": "<p>This is a reminder: the request is still waiting for your decision.</p>",
        "escalation": f"<p>{html.escape(employee(person['lead'])['name'])} has not decided, so the request comes to you.</p>",
    }.get(stage, "")
    body = f"""<p>Hello {html.escape(approver['name'])},</p>
{why}<p>{html.escape(person['name'])} ({html.escape(person['id'])}) asks for leave on <strong>{html.escape(day)}</strong>.</p>
<p><a href="{html.escape(approve)}">Approve</a> &nbsp;|&nbsp; <a href="{html.escape(deny)}">Deny</a></p>
<p style="color:#52606d">Each link opens a confirmation page; nothing is decided until you press its button.</p>"""
    text = f"{person['name']} ({person['id']}) asks for leave on {day}.\n\nApprove: {approve}\nDeny: {deny}\n"
    send_email(to=[approver["email"]], subject=subject, html=body, text=text)
    return {"sent": True, "to": approver["email"], "stage": stage}
