"""processLeaveRequest, for the classic definition (classic_definition.json, as it runs on AWS): email the
lead Approve and Deny links that carry the task token; classicLeadResponse answers them.

Receives `{"req": <the request>, "taskToken": <token>}`. The app's own workflow (definition.json) does not
call it: its human task has the engine email the lead.
"""

from __future__ import annotations

import html
import os
from typing import Any
from urllib.parse import quote

from leave_common import employee

from sojourn.mail import send_email


def link(employee_id: str, day: str, decision: str, token: str) -> str:
    base = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
    return (
        f"{base}/classic/leave_lead_response/{quote(employee_id, safe='')}/{quote(day, safe='')}"
        f"/{decision}/{quote(token, safe='')}"
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request, token = event["req"], event["taskToken"]
    person = employee(request["employeeId"])
    lead = employee(str(person.manager))
    day = request["date"]
    approve, deny = link(person.id, day, "approved", token), link(person.id, day, "denied", token)
    body = f"""<p>Hello {html.escape(lead.name)},</p>
<p>{html.escape(person.name)} ({html.escape(person.id)}) asks for leave on \
<strong>{html.escape(day)}</strong>.</p>
<p><a href="{html.escape(approve)}">Approve</a> &nbsp;|&nbsp; <a href="{html.escape(deny)}">Deny</a></p>"""
    text = f"{person.name} ({person.id}) asks for leave on {day}.\n\nApprove: {approve}\nDeny: {deny}\n"
    send_email(to=[lead.email], subject=f"Leave Request from {person.name} for {day}", html=body, text=text)
    return {"sent": True, "to": lead.email}
