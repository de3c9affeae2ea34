"""processLeadLeaveResponse: tell the employee the decision and who took it;
return the audit record as the workflow's output.

Receives `{"employeeId", "date", "decision", "task"}`: decision is approved, denied or expired, and task is
the human task's result (`DecidedBy`, `OnBehalfOf`, `DecidedAt`, `Comment`; empty when it expired). The
classic definition sends `{"employeeId", "date", "decision", "taskToken"}` (no task: the email names no one).
"""

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


def decider(task: dict[str, Any]) -> dict[str, str] | None:
    """Who decided, as the output records it: `{"employeeId", "name"}` and, for a delegate, `actingFor`."""
    by, away = task.get("DecidedBy") or {}, task.get("OnBehalfOf") or {}
    if not by:
        return None
    found = {"employeeId": str(by.get("Id")), "name": str(by.get("Name") or by.get("Email"))}
    return found | ({"actingFor": str(away.get("Name") or away.get("Id"))} if away else {})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    person = employee(event["employeeId"])
    day, decision = event["date"], event["decision"]
    task = event.get("task") or {}
    outcome = OUTCOMES.get(decision, f"is {decision}")
    decided_by = decider(task)
    by = ""
    if decided_by:
        by = f" by {decided_by['name']}"
        by += f" acting for {decided_by['actingFor']}" if "actingFor" in decided_by else ""
    comment = task.get("Comment") or ""
    said = f"\n\nTheir comment: {comment}" if comment else ""
    send_email(
        to=[person.email],
        subject=f"Your leave request for {day} {outcome}",
        html=(
            f"<p>Hello {html.escape(person.name)},</p>"
            f"<p>Your leave request for <strong>{html.escape(day)}</strong> {outcome}{html.escape(by)}.</p>"
            + (f"<p>Their comment: {html.escape(comment)}</p>" if comment else "")
        ),
        text=f"Hello {person.name},\n\nYour leave request for {day} {outcome}{by}.{said}\n",
        # A function may run again for the same state (a worker killed after it ran, before its result was
        # recorded, as Lambda may be retried): the execution's id makes the second call find the first email.
        idempotency_key=f"{event['execution']}/tell-employee" if event.get("execution") else None,
    )
    return {
        "employeeId": person.id,
        "date": day,
        "decision": decision,
        "decidedBy": decided_by,
        "decidedAt": task.get("DecidedAt"),
        "notified": person.email,
    }
