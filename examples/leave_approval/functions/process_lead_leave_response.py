"""processLeadLeaveResponse: tell the employee the decision;
return the audit record as the workflow's output."""

from __future__ import annotations

import html
from typing import Any

from leave_common import employee

from sojourn.mail import send_email

OUTCOMES = {
    "approved": "has been approved",
    "denied": "has been denied",
    "expired": "has expired without a decision",
}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    person = employee(event["employeeId"])
    day, decision = event["date"], event["decision"]
    outcome = OUTCOMES.get(decision, f"is {decision}")
    subject = f"Your leave request for {day} {outcome}"
    decider = event.get("decidedBy") or {}
    by = f" by {decider['name']}" if decider.get("name") else ""
    send_email(
        to=[person["email"]],
        subject=subject,
        html=(
            f"<p>Hello {html.escape(person['name'])},</p>"
            f"<p>Your leave request for <strong>{html.escape(day)}</strong> {outcome}{html.escape(by)}.</p>"
        ),
        text=f"Hello {person['name']},\n\nYour leave request for {day} {outcome}{by}.\n",
    )
    return {
        "employeeId": person["id"],
        "date": day,
        "decision": decision,
        "decidedBy": event.get("decidedBy"),
        "decidedAt": event.get("decidedAt"),
        "notified": person["email"],
    }
