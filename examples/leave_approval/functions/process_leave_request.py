"""processLeaveRequest: email the approver Approve and Deny links carrying the task token.

Receives `{"req": <the request>, "taskToken": <token>, "execution": <ARN>, "stage": ...}` where stage
is `request`, `reminder` (same lead, fresh links) or `escalation` (the lead's own lead). With no one
to escalate to it raises NoEscalationTarget, which the state machine catches to expire the request.
Returns whom it asked and the SHA-256 of the token: the history keeps it (TaskSubmitted), and that is how
submitLeadResponse finds the request behind a link.
"""

from __future__ import annotations

import html
import os
from typing import Any
from urllib.parse import quote

from leave_common import approver, employee, token_hash

from sojourn.mail import send_email

SUBJECTS = {
    "request": "Leave Request from {name} for {date}",
    "reminder": "Reminder: Leave Request from {name} for {date}",
    "escalation": "Escalated: Leave Request from {name} for {date}",
}


def link(employee_id: str, day: str, decision: str, token: str) -> str:
    base = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
    return (
        f"{base}/leave_lead_response/{quote(employee_id, safe='')}/{quote(day, safe='')}"
        f"/{decision}/{quote(token, safe='')}"
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request, token, stage = event["req"], event["taskToken"], event.get("stage", "request")
    person = employee(request["employeeId"])
    asked = approver(person, stage)
    day = request["date"]
    approve, deny = link(person["id"], day, "approved", token), link(person["id"], day, "denied", token)
    subject = SUBJECTS.get(stage, SUBJECTS["request"]).format(name=person["name"], date=day)
    why = {
        "reminder": "<p>This is a reminder: the request is still waiting for your decision.</p>",
        "escalation": (
            f"<p>{html.escape(employee(person['lead'])['name'])} has not decided, "
            "so the request comes to you.</p>"
        ),
    }.get(stage, "")
    body = f"""<p>Hello {html.escape(asked["name"])},</p>
{why}<p>{html.escape(person["name"])} ({html.escape(person["id"])}) asks for leave on \
<strong>{html.escape(day)}</strong>.</p>
<p><a href="{html.escape(approve)}">Approve</a> &nbsp;|&nbsp; <a href="{html.escape(deny)}">Deny</a></p>
<p style="color:#52606d">Each link opens a confirmation page; \
nothing is decided until you press its button.</p>"""
    text = f"{person['name']} ({person['id']}) asks for leave on {day}.\n\nApprove: {approve}\nDeny: {deny}\n"
    send_email(to=[asked["email"]], subject=subject, html=body, text=text)
    return {
        "sent": True,
        "to": asked["email"],
        "stage": stage,
        "approverId": asked["id"],
        "tokenHash": token_hash(token),
    }
