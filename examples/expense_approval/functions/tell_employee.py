"""tellEmployee: email the employee the outcome of their expense, who decided it (a delegate "acting for" the
approver away), the closing decision's comment and the approved amount; return that as the record.

Receives `{"expense": <the execution's input>, "decision": <the human task's result>}`.
"""

from __future__ import annotations

import html
from typing import Any

from expense_common import directory, name_of

from sojourn.mail import send_email


def _money(amount: float) -> str:
    return f"{amount:,.2f} EUR"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    expense, decision = event["expense"], event["decision"]
    people = directory()
    employee = people.person(expense["employeeId"])
    assert employee is not None  # checked by submitExpense
    deciders = [
        name_of(people, d["Person"])
        + (f" acting for {name_of(people, d['OnBehalfOf'])}" if d.get("OnBehalfOf") else "")
        for d in decision["Decisions"]
        if d["Decision"] == decision["Outcome"]
    ]
    approved = decision["Outcome"] == "Approve"
    amount = float((decision.get("Form") or {}).get("amount", expense["amount"])) if approved else 0.0
    what = f"{_money(expense['amount'])} for {expense['description']}"
    verdict = f"approved for {_money(amount)}" if approved else "denied"
    lines = [
        f"Hello {employee.display},",
        f"Your expense of {what} was {verdict} by {' and '.join(deciders)}.",
    ]
    if decision.get("Comment"):
        lines.append(f"Comment: {decision['Comment']}")
    send_email(
        to=[employee.email],
        subject=f"Your expense of {_money(expense['amount'])}: {'approved' if approved else 'denied'}",
        text="\n\n".join(lines) + "\n",
        html="".join(f"<p>{html.escape(line)}</p>" for line in lines),
        # run again for the same state after a crash, the function finds the email it queued the first time
        idempotency_key=f"{event['execution']}/tell-employee" if event.get("execution") else None,
    )
    return {
        "employeeId": employee.id,
        "outcome": decision["Outcome"],
        "requestedAmount": expense["amount"],
        "approvedAmount": amount,
        "decidedBy": deciders,
        "notified": employee.email,
    }
