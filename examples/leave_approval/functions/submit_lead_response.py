"""submitLeadResponse: behind the Approve/Deny links; the decision is taken by POST only.

GET (what an email scanner or a link preview does) shows a confirmation page and decides nothing.
POST from that page calls SendTaskSuccess with `{"employeeId", "date", "decision", "taskToken"}`
plus who decided and when. A link decides once: a second click, the other link or a replayed POST
shows the decision already taken; a link whose workflow stopped or moved on says so (410). When Sojourn
cannot be asked, the page says to try again (503) and the link keeps working.
"""

from __future__ import annotations

import html
import json
from datetime import UTC
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from leave_common import (
    DATE,
    RETRY_AFTER,
    Ask,
    Unavailable,
    approver,
    asking_sojourn,
    employee,
    employees,
    find_ask,
    now,
    page,
    stepfunctions,
)

VERBS = {"approved": "Approve", "denied": "Deny"}
GONE = {
    "ABORTED": "was stopped",
    "TIMED_OUT": "timed out",
    "FAILED": "failed",
    "SUCCEEDED": "is already finished",
}
UNKNOWN = page("Unknown link", "<p>This link does not match any leave request.</p>", 404)


def _who(decided_by: Any) -> str:
    """The decider as the output names them: a lead from a link, or someone in Sojourn's console."""
    if not isinstance(decided_by, dict):
        return "someone"
    if decided_by.get("name"):
        return str(decided_by["name"])
    if "console" in decided_by:
        user = decided_by["console"]
        return "someone in the console" if user in (None, "", "console") else f"{user} in the console"
    return "someone"


def _decided(person: dict[str, Any], day: str, decision: dict[str, Any]) -> dict[str, Any]:
    return page(
        "Decision already taken",
        f"<p>{html.escape(person['name'])}'s leave on {html.escape(day)} was "
        f"<strong>{html.escape(str(decision.get('decision')))}</strong> "
        f"by {html.escape(_who(decision.get('decidedBy')))}"
        f" at {html.escape(str(decision.get('decidedAt') or 'an unknown time'))}.</p>"
        "<p class='note'>Nothing was changed.</p>",
    )


def _settled(ask: Ask, person: dict[str, Any], day: str) -> dict[str, Any] | None:
    """The page for a link that no longer decides anything, or None while its request waits on it."""
    if ask.decision is not None:
        return _decided(person, day, ask.decision)
    execution = ask.execution
    if execution["status"] == "RUNNING":
        if ask.end is None:
            return None
        newer = f" ({html.escape(ask.newer_stage)})" if ask.newer_stage else ""
        return page(
            "This link was replaced",
            f"<p>A newer email{newer} was sent for this request; please use its links.</p>",
            410,
        )
    output = json.loads(execution.get("output") or "null") if execution["status"] == "SUCCEEDED" else None
    if (
        isinstance(output, dict) and output.get("decision") in VERBS
    ):  # decided through another email or the console
        return _decided(person, day, output)
    if isinstance(output, dict) and output.get("decision") == "expired":
        return page(
            "This request is closed",
            "<p>The leave request expired without a decision; this link no longer decides anything.</p>",
            410,
        )
    why = GONE.get(execution["status"], "is closed")
    return page(
        "This request is closed",
        f"<p>The leave request {why}; this link no longer decides anything.</p>",
        410,
    )


def _confirm(ask: Ask, person: dict[str, Any], day: str, decision: str) -> dict[str, Any]:
    verb, deciding = VERBS[decision], _approver(ask, person)
    return page(
        f"{verb} {person['name']}'s leave on {day}?",
        f"""<dl><dt>Employee</dt><dd>{html.escape(person["name"])} ({html.escape(person["id"])})</dd>
<dt>Date</dt><dd>{html.escape(day)}</dd><dt>Approver</dt><dd>{html.escape(deciding["name"])}</dd>
<dt>Asked</dt><dd>{html.escape(ask.asked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))}</dd></dl>
<form method="post"><button class="{decision}" type="submit">{verb}</button></form>
<p class="note">Nothing is decided until you press the button.</p>""",
    )


def _approver(ask: Ask, person: dict[str, Any]) -> dict[str, Any]:
    """Whom the email asked (recorded when it was sent), or whom its stage asks now."""
    return employee(ask.approver_id) if ask.approver_id in employees() else approver(person, ask.stage)


def _decide(
    sfn: Any, ask: Ask, person: dict[str, Any], day: str, decision: str, token: str
) -> dict[str, Any]:
    deciding = _approver(ask, person)
    output = {
        "employeeId": person["id"],
        "date": day,
        "decision": decision,
        "taskToken": token,
        "decidedBy": {"employeeId": deciding["id"], "name": deciding["name"]},
        "decidedAt": now(),
    }
    try:
        with asking_sojourn():
            sfn.send_task_success(taskToken=token, output=json.dumps(output))
    except ClientError:  # the task ended meanwhile: another click, a timeout, a stop
        again = find_ask(sfn, person["id"], day, token)
        settled = _settled(again, person, day) if again is not None else None
        return settled or page(
            "This request is closed", "<p>The workflow is no longer waiting for this decision.</p>", 410
        )
    return page(
        f"Leave {decision}",
        f"<p>You {decision} {html.escape(person['name'])}'s leave on {html.escape(day)}. "
        "They will be told by email.</p>",
    )


def _answer(method: str, employee_id: str, day: str, decision: str, token: str) -> dict[str, Any]:
    sfn = stepfunctions()
    ask = find_ask(sfn, employee_id, day, token)
    if ask is None:
        return UNKNOWN
    person = employee(employee_id)
    settled = _settled(ask, person, day)
    if settled is not None:
        return settled
    if method != "POST":
        return _confirm(ask, person, day, decision)
    return _decide(sfn, ask, person, day, decision, token)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    params = event.get("pathParameters") or {}
    decision, token = params.get("decision"), unquote(params.get("taskToken") or "")
    employee_id, day = params.get("empId") or "", params.get("date") or ""
    if decision not in VERBS or not token or not DATE.match(day) or employee_id not in employees():
        return UNKNOWN
    try:
        return _answer(event.get("httpMethod", "GET").upper(), employee_id, day, decision, token)
    except Unavailable as e:
        print(f"Sojourn could not be asked: {e}")
        return page(
            "Please try again in a moment",
            "<p>The leave service cannot reach its workflow engine right now, so nothing was decided.</p>"
            "<p>This link still works: please open it again in a few minutes.</p>",
            503,
            RETRY_AFTER,
        )
