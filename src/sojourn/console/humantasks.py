"""Human tasks (Sojourn's own, issue 14): the list (by status, OPEN first; older pages by keyset), one task
with who is asked, what each decided and its audit trail, and an operator's Reassign and Cancel.

The page reads and changes tasks through `sojourn.Client`'s human-task methods only; the forms POST with the
console's CSRF token, behind its sign-in when the server has an API key.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.console.web import Console, console_of, redirect

__all__ = ["execution_tasks", "routes"]

STATUSES = ("OPEN", "DECIDED", "EXPIRED", "CANCELLED")
PAGE = 50
ON_EXECUTION = 50  # tasks shown on an execution's page
_NAMES = re.compile(r"[\s,]+")


def routes() -> list[BaseRoute]:
    return [
        Route("/human-tasks", list_page, methods=["GET"]),
        Route("/human-tasks/{task_id}", task_page, methods=["GET"]),
        Route("/human-tasks/{task_id}/reassign", reassign, methods=["POST"]),
        Route("/human-tasks/{task_id}/cancel", cancel, methods=["POST"]),
    ]


def _shown(task: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A listed task with its age (ms) for the page."""
    return {**task, "age_ms": (now - task["creationDate"]).total_seconds() * 1000}


async def execution_tasks(console: Console, arn: str) -> list[dict[str, Any]]:
    """An execution's human tasks, oldest first, each open one with its deadline (`expiryDate`)."""
    page = await console.call("list_human_tasks", executionArn=arn, maxResults=ON_EXECUTION)
    now = datetime.now(UTC)
    shown = []
    for task in reversed(page["humanTasks"]):
        if task["status"] == "OPEN":
            described = await console.call("describe_human_task", taskId=task["taskId"])
            task = {**task, "expiryDate": described.get("expiryDate")}
        shown.append(_shown(task, now))
    return shown


async def list_page(request: Request) -> Response:
    console = console_of(request)
    query = request.query_params
    status = query.get("status", "OPEN")
    params: dict[str, Any] = {"maxResults": PAGE, "nextToken": query.get("next") or None}
    if status in STATUSES:
        params["status"] = status
    if query.get("execution"):
        params["executionArn"] = query["execution"]
    try:
        page = await console.call("list_human_tasks", **params)
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    now = datetime.now(UTC)
    return console.render(
        request,
        "human_tasks.html",
        title="Human tasks",
        tasks=[_shown(task, now) for task in page["humanTasks"]],
        next_token=page.get("nextToken"),
        chosen=status if status in STATUSES else "",
        execution=query.get("execution", ""),
        statuses=STATUSES,
    )


async def task_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    console = console_of(request)
    task_id = request.path_params["task_id"]
    try:
        task = await console.call("describe_human_task", taskId=task_id)
        events = (await console.call("list_human_task_events", taskId=task_id, maxResults=1000))["events"]
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(
        request,
        "human_task.html",
        status=status,
        title=task["title"],
        task=_shown(task, datetime.now(UTC)),
        events=events,
        error=error,
    )


async def reassign(request: Request) -> Response:
    """Ask the people or groups of the form's `to` in place of those of `from` (default: the undecided)."""
    form = await console_of(request).form(request)
    to, away = _names(form.get("to", "")), _names(form.get("from", ""))
    if not to:
        return await task_page(request, error="Name at least one person or group:name to ask.", status=400)
    return await _act(
        request,
        "reassigned",
        "reassign_human_task",
        assignees=to,
        fromAssignees=away or None,
        reason=form.get("reason", "").strip() or None,
    )


async def cancel(request: Request) -> Response:
    """Close the task undecided: its Task fails with Sojourn.HumanTaskCancelled, the reason as its cause."""
    form = await console_of(request).form(request)
    reason = form.get("reason", "").strip() or None
    return await _act(request, "cancelled", "cancel_human_task", reason=reason)


async def _act(request: Request, done: str, method: str, **kwargs: Any) -> Response:
    """Call `method` on the page's task; back to its page with the notice `done`, or the page with the
    refusal (409 when the task is no longer open)."""
    console = console_of(request)
    task_id = request.path_params["task_id"]
    try:
        await console.call(method, taskId=task_id, **kwargs)
    except errors.TaskDoesNotExist as e:
        return console.api_error(request, e)
    except errors.SojournAPIError as e:
        status = 409 if isinstance(e, errors.ConflictException) else 400
        return await task_page(request, error=e.message, status=status)
    return redirect(f"/human-tasks/{quote(task_id, safe='')}", done)


def _names(text: str) -> list[str]:
    """People and groups typed in one field, separated by commas or spaces."""
    return [name for name in _NAMES.split(text.strip()) if name]
