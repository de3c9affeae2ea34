"""The signed-in approver's pages: "my tasks" (`GET /tasks`) and one task (`GET /tasks/{taskId}`).

My tasks are the open tasks asked of me, newest first in "older" pages, and the few I decided last. A task's
page shows only a task I am or was asked to decide (any other is "not found", as if it did not exist): what
is asked, its form and decisions, and its audit trail in words. Its two POSTs decide
(`/tasks/{taskId}/decide`, channel PORTAL) and hand my part on to someone else (`/tasks/{taskId}/handon`);
both go through the same service methods as the API's, with their checks.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sojourn import errors
from sojourn.portal.pages import HEADERS, csrf_token, fields, keep_csrf, page, read_form, secure, values, when
from sojourn.portal.signin import signed_in

__all__ = ["decide", "hand_on", "my_tasks", "task_page"]

PAGE_SIZE = 20
RECENT = 5  # how many of the tasks I decided last the home page shows
RECENT_SCAN = 50  # among how many of my latest tasks
NOT_FOUND = "There is no such task among yours."
ERRORS = (errors.DecisionRefused, errors.ValidationException, errors.ConflictException)


async def my_tasks(request: Request, client: Any, me: dict[str, Any]) -> Response:
    """The open tasks asked of me, a page at a time (`?older=` the next page's token), and the last I
    decided."""
    older = request.query_params.get("older") or None
    try:
        listed = await run_in_threadpool(
            client.list_human_tasks,
            status="OPEN",
            assignee=me["person"],
            maxResults=PAGE_SIZE,
            nextToken=older,
        )
    except errors.InvalidToken:
        return page("gone.html", {"message": "This page of tasks does not exist."}, 400)
    now = client.clock()
    waiting = []
    for task in listed["humanTasks"]:
        described = await run_in_threadpool(client.describe_human_task, taskId=task["taskId"])
        mine = _mine(task, me)
        waiting.append(
            {
                "taskId": task["taskId"],
                "title": task["title"],
                "requester": _name(client, task.get("requester"), task),
                "age": _age(now, task["creationDate"]),
                "deadline": when(described.get("expiryDate")),
                "note": f"You chose {mine['decision']}: waiting for the others."
                if mine and mine.get("decision")
                else "",
            }
        )
    recent = [] if older else await _recent(client, me)
    context = {
        "me": me,
        "waiting": waiting,
        "next": listed.get("nextToken"),
        "older": older,
        "recent": recent,
    }
    return _with_csrf(request, client, "mytasks.html", context)


async def _recent(client: Any, me: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks I decided last, latest first."""
    listed = await run_in_threadpool(client.list_human_tasks, assignee=me["person"], maxResults=RECENT_SCAN)
    decided = [
        (task, mine) for task in listed["humanTasks"] if (mine := _mine(task, me)) and mine.get("decision")
    ]
    decided.sort(key=lambda pair: pair[1]["decisionDate"], reverse=True)
    recent = []
    for task, mine in decided[:RECENT]:
        described = await run_in_threadpool(client.describe_human_task, taskId=task["taskId"])
        recent.append(
            {
                "taskId": task["taskId"],
                "title": task["title"],
                "decision": mine["decision"],
                "decided": when(mine["decisionDate"]),
                "outcome": _status_words(described),
            }
        )
    return recent


def task_page(client: Any) -> Any:
    """The endpoint of `GET /tasks/{taskId}` (signed out: the sign-in form's page)."""

    async def endpoint(request: Request) -> Response:
        me = await signed_in(request, client)
        if me is None:
            return RedirectResponse("/tasks", status_code=303, headers=HEADERS)
        return await _show(request, client, me, request.path_params["taskId"])

    return endpoint


def decide(client: Any) -> Any:
    """The endpoint of `POST /tasks/{taskId}/decide`: my decision, through the portal."""

    async def endpoint(request: Request) -> Response:
        found = await _posted(request, client)
        if isinstance(found, Response):
            return found
        me, task, form = found
        typed = values(task.get("form"), form)
        comment = form.get("comment", "")
        try:
            await run_in_threadpool(
                client.decide_human_task,
                taskId=task["taskId"],
                assignee=me["person"],
                decision=form.get("decision", ""),
                form=typed,
                comment=comment,
                channel="PORTAL",
            )
        except errors.DecisionRefused as e:
            status = 409 if not e.problems else 400
            return await _show(
                request, client, me, task["taskId"], status, e.message, e.problems, typed, comment
            )
        return RedirectResponse(f"/tasks/{task['taskId']}", status_code=303, headers=HEADERS)

    return endpoint


def hand_on(client: Any) -> Any:
    """The endpoint of `POST /tasks/{taskId}/handon`: someone else is asked in my place; my links stop."""

    async def endpoint(request: Request) -> Response:
        found = await _posted(request, client)
        if isinstance(found, Response):
            return found
        me, task, form = found
        to, reason = form.get("to", "").strip(), form.get("reason", "").strip()
        try:
            if not to:
                raise errors.ValidationException("Say whom to hand the task on to.")
            await run_in_threadpool(
                client.reassign_human_task,
                taskId=task["taskId"],
                assignees=[to],
                by=me["person"],
                reason=reason,
            )
        except ERRORS as e:
            status = 409 if isinstance(e, errors.ConflictException) else 400
            return await _show(request, client, me, task["taskId"], status, e.message, hand=(to, reason))
        return RedirectResponse(f"/tasks/{task['taskId']}", status_code=303, headers=HEADERS)

    return endpoint


async def _posted(
    request: Request, client: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]] | Response:
    """Me, my task and the form of a POST to one of my tasks; or the page that refuses it."""
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    me = await signed_in(request, client)
    if me is None:
        return page("gone.html", {"message": "You are not signed in any more: sign in and try again."}, 403)
    task = await _my_task(client, me, request.path_params["taskId"])
    if task is None:
        return page("gone.html", {"message": NOT_FOUND}, 404)
    return me, task, form


async def _my_task(client: Any, me: dict[str, Any], task_id: str) -> dict[str, Any] | None:
    """The task `task_id` if I am or was asked to decide it, else None (as if it did not exist)."""
    try:
        task: dict[str, Any] = await run_in_threadpool(client.describe_human_task, taskId=task_id)
    except errors.TaskDoesNotExist:
        return None
    return task if _mine(task, me) is not None else None


async def _show(
    request: Request,
    client: Any,
    me: dict[str, Any],
    task_id: str,
    status: int = 200,
    message: str | None = None,
    problems: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    comment: str = "",
    hand: tuple[str, str] = ("", ""),
) -> Response:
    task = await _my_task(client, me, task_id)
    if task is None:
        return page("gone.html", {"message": NOT_FOUND}, 404)
    mine = _mine(task, me)
    assert mine is not None  # _my_task found it
    events = await run_in_threadpool(client.list_human_task_events, taskId=task_id, maxResults=1000)
    reason = _why_not(task, mine)
    context = {
        "me": me,
        "task": task,
        "mine": mine,
        "requester": _name(client, task.get("requester"), task),
        "on_behalf_of": _name(client, mine.get("onBehalfOf"), task),
        "age": _age(client.clock(), task["creationDate"]),
        "deadline": when(task.get("expiryDate")) if task["status"] == "OPEN" else "",
        "outcome": _status_words(task) if task["status"] != "OPEN" else "",
        "can_decide": reason is None,
        "reason": reason,
        "message": message,
        "fields": fields(task.get("form")),
        "problems": problems or {},
        "values": typed or {},
        "comment": comment,
        "action": f"/tasks/{task_id}/decide",
        "hand_to": hand[0],
        "hand_reason": hand[1],
        "trail": [_told(event, client, task) for event in events["events"]],
    }
    return _with_csrf(request, client, "mytask.html", context, status)


def _with_csrf(
    request: Request, client: Any, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    csrf = csrf_token(request)
    response = page(name, {**context, "csrf": csrf}, status)
    return keep_csrf(response, csrf, secure(request, client.settings.public_base_url))


def _mine(task: dict[str, Any], me: dict[str, Any]) -> dict[str, Any] | None:
    """My entry among the task's assignees (by id, else by email; any case), or None."""
    people = task.get("assignees", [])
    for key, wanted in (("id", me["person"]), ("email", me["email"])):
        found = next((a for a in people if str(a.get(key, "")).casefold() == str(wanted).casefold()), None)
        if found is not None:
            return dict(found)
    return None


def _why_not(task: dict[str, Any], mine: dict[str, Any]) -> str | None:
    """Why I cannot decide the task now (in words), or None; the service checks again when I try."""
    if task["status"] != "OPEN":
        return "This task is closed."
    if mine["status"] == "REMOVED":
        return "This task was handed on or reassigned: you no longer decide it."
    if mine["status"] == "DECIDED":
        return f"You chose {mine.get('decision')}. The task waits for the other decisions it needs."
    return None


def _status_words(task: dict[str, Any]) -> str:
    """A closed task's outcome in words ("" while it is open)."""
    status = task["status"]
    if status == "DECIDED":
        outcome = json.loads(task["result"]).get("Outcome") if task.get("result") else None
        return f"Decided: {outcome}" if outcome else "Decided"
    return {"EXPIRED": "Expired without a decision", "CANCELLED": "Cancelled", "OPEN": ""}.get(status, status)


def _name(client: Any, who: str | None, task: dict[str, Any]) -> str:
    """A person's name for the pages: as the task knew them, else the directory's, else their id."""
    if not who:
        return ""
    known = next((a for a in task.get("assignees", []) if a.get("id") == who), None)
    if known is not None and known.get("name"):
        return str(known["name"])
    person = client.facilities.directory.find(who)
    return person.display if person is not None else who


def _names(client: Any, people: list[str] | None, task: dict[str, Any]) -> str:
    return ", ".join(_name(client, who, task) for who in people or []) or "no one"


def _told(event: dict[str, Any], client: Any, task: dict[str, Any]) -> dict[str, str]:
    """One event of the audit trail in words, when, and the comment it carried."""
    details = json.loads(event["details"]) if event.get("details") else {}
    actor = _name(client, event.get("actor"), task)
    kind = event["type"]
    comment = ""
    if kind == "CREATED":
        words = f"Created by {actor}" if actor else "Created"
    elif kind == "NOTIFIED":
        words = f"Emailed {actor}"
    elif kind == "DELEGATED":
        words = f"Asked {actor} acting for {_name(client, details.get('onBehalfOf'), task)}"
    elif kind == "REMINDED":
        words = f"Reminded {_names(client, details.get('people'), task)}"
    elif kind == "DECIDED":
        words = f"Decided by {actor}"
        if details.get("onBehalfOf"):
            words += f" acting for {_name(client, details['onBehalfOf'], task)}"
        words += f": {details.get('decision')}" + _channel(details.get("channel"))
        comment = str(details.get("comment") or "")
    elif kind == "REASSIGNED":
        added = _names(client, details.get("added"), task)
        words = f"Handed on by {actor} to {added}" if actor else f"Reassigned to {added}"
        comment = str(details.get("reason") or "")
    elif kind == "ESCALATED":
        words = (
            f"Escalated to {_names(client, details.get('added'), task)}"
            if "added" in details
            else "Escalation failed"
        )
    elif kind == "EXPIRED":
        words = "Expired"
    elif kind == "CANCELLED":
        words = "Cancelled"
        comment = str(details.get("reason") or "")
    elif kind == "CLOSED":
        words = f"Closed: {details.get('outcome')}"
    else:
        words = kind.capitalize()
    return {"words": words, "when": when(event["timestamp"]), "comment": comment}


def _channel(channel: str | None) -> str:
    return {
        "PORTAL": " (in the portal)",
        "LINK": " (through the email's link)",
        "API": " (through the API)",
    }.get(str(channel), "")


def _age(now: float, created: datetime) -> str:
    """How long ago a task was asked, in words."""
    seconds = max(0, int(now - created.timestamp()))
    size, unit = next(
        ((size, unit) for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")) if seconds >= size),
        (0, ""),
    )
    if not size:
        return "asked just now"
    count = seconds // size
    return f"asked {count} {unit}{'s' if count != 1 else ''} ago"
