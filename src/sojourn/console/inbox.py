"""The inbox: every task waiting on a person (a task token), answered from the console.

Decision buttons: when a waiting task's payload carries `"decisions": {"<button label>": {output...}}`
(at its top level or one level down, e.g. in a Lambda `Payload`), the inbox shows one button per label
and sends that object as the task's output, adding `decidedBy` and `decidedAt` for the audit trail.
Tokens never reach the page: tasks are addressed by `taskId`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.console.progress import lambda_payload
from sojourn.console.web import console_of, redirect

__all__ = ["decision_output", "decisions_of", "routes"]

GONE = "This task is no longer waiting: it was answered, it timed out, or its execution ended."


def routes() -> list[BaseRoute]:
    return [
        Route("/inbox", inbox_page, methods=["GET"]),
        Route("/inbox/{task_id}/decide", decide, methods=["POST"]),
    ]


def decisions_of(payload: Any) -> dict[str, dict[str, Any]]:
    """The `decisions` object of a task's payload (label -> output object); {} when it has none."""
    candidates = [payload] + (list(payload.values()) if isinstance(payload, dict) else [])
    for candidate in candidates:
        if isinstance(candidate, dict) and isinstance(candidate.get("decisions"), dict):
            found = {
                str(label): output
                for label, output in candidate["decisions"].items()
                if isinstance(output, dict)
            }
            if found:
                return found
    return {}


def decision_output(decision: dict[str, Any], user: str, now: datetime) -> dict[str, Any]:
    """The output sent for a decision button: its object plus who decided, and when (ISO 8601, UTC)."""
    stamp = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {**decision, "decidedBy": {"console": user or "console"}, "decidedAt": stamp}


async def inbox_page(request: Request, error: str | None = None) -> Response:
    console = console_of(request)
    token = request.query_params.get("next") or None
    try:
        page = await console.call("list_waiting_tasks", maxResults=100, nextToken=token)
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    tasks = [
        {**task, "decisions": decisions_of(task.get("payload")), "about": lambda_payload(task.get("payload"))}
        for task in page["tasks"]
    ]
    return console.render(
        request,
        "inbox.html",
        status=400 if error else 200,
        title="Inbox",
        tasks=tasks,
        next_token=page.get("nextToken"),
        error=error,
    )


async def decide(request: Request) -> Response:
    """Answer a task: a decision button, success with JSON output, or failure;
    back to the inbox or the execution."""
    console = console_of(request)
    form = await console.form(request)
    task_id = request.path_params["task_id"]
    action = form.get("action", "")
    try:
        task = await console.call("describe_waiting_task", taskId=task_id)
        if action == "decision":
            kwargs = _decision(task, form.get("decision", ""), console.user(request))
        elif action == "success":
            text = form.get("output", "").strip() or "{}"
            try:
                json.loads(text)
            except ValueError as e:
                return await inbox_page(request, error=f"The output is not valid JSON: {e}")
            kwargs = {"output": text}
        elif action == "failure":
            kwargs = {"error": form.get("error") or None, "cause": form.get("cause") or None}
        else:
            return await inbox_page(request, error="Choose success, failure or a decision.")
        await console.call("decide_task", taskId=task_id, **kwargs)
    except (errors.TaskDoesNotExist, errors.TaskTimedOut):
        return await inbox_page(request, error=GONE)
    except errors.SojournAPIError as e:
        return await inbox_page(request, error=f"{e.type_name}: {e.message}")
    if form.get("back") == "execution":
        return redirect(f"/executions/{quote(task['executionArn'], safe='')}", "sent")
    return redirect("/inbox", "sent")


def _decision(task: dict[str, Any], label: str, user: str) -> dict[str, Any]:
    """The output for the button `label`, read from the task's own payload (never from the form)."""
    decision = decisions_of(task.get("payload")).get(label)
    if decision is None:
        raise errors.ValidationException(f"The task does not offer the decision '{label}'")
    return {"output": json.dumps(decision_output(decision, user, datetime.now(UTC)), ensure_ascii=False)}
