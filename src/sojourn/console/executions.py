"""Execution pages: the list across machines; one execution's graph, states, history and timeline, live.

The page polls `/executions/{arn}/progress?since=<last event id>` while the execution runs: an
unchanged history costs one indexed read; a changed one sends the states' statuses (the graph is
recoloured in place) and server-rendered fragments for the summary, the new history rows and the timeline.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.console.humantasks import execution_tasks
from sojourn.console.inbox import decisions_of
from sojourn.console.machines import graph_of
from sojourn.console.progress import call_answer, history_rows, state_progress, timeline
from sojourn.console.web import Console, console_of, redirect

__all__ = ["routes"]

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
HISTORY_PAGE = 1000
TABLE_ROWS = 1000  # rows of the history table per page (the newest first; older pages by link)
WAITING_SHOWN = 20  # waiting tasks shown on the page; the inbox lists them all


def routes() -> list[BaseRoute]:
    return [
        Route("/executions", list_executions, methods=["GET"]),
        Route("/executions/{arn}", execution_page, methods=["GET"]),
        Route("/executions/{arn}/progress", progress, methods=["GET"]),
        Route("/executions/{arn}/stop", stop, methods=["POST"]),
        Route("/executions/{arn}/redrive", redrive, methods=["POST"]),
    ]


# -- the list ------------------------------------------------------------------------------------------


def _time(value: str | None) -> datetime | None:
    """A `datetime-local` field's value, read as UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


async def list_executions(request: Request) -> Response:
    console = console_of(request)
    query = request.query_params
    filters = {
        "status": query.get("status", ""),
        "machine": query.get("machine", ""),
        "from": query.get("from", ""),
        "to": query.get("to", ""),
    }
    try:
        machines = (await console.call("list_state_machines", maxResults=1000))["stateMachines"]
        page = await console.call(
            "search_executions",
            stateMachineArn=filters["machine"] or None,
            statusFilter=filters["status"] if filters["status"] in STATUSES else None,
            startedAfter=_time(filters["from"]),
            startedBefore=_time(filters["to"]),
            maxResults=_page_size(query.get("size")),
            nextToken=query.get("next") or None,
        )
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(
        request,
        "executions.html",
        title="Executions",
        executions=page["executions"],
        next_token=page.get("nextToken"),
        filters=filters,
        machines=machines,
        statuses=STATUSES,
        size=query.get("size", ""),
    )


def _page_size(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 1 <= int(text) <= 1000 else 50


# -- one execution ----------------------------------------------------------------------------------------


async def _history(console: Console, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = await console.call(
            "get_execution_history", executionArn=arn, maxResults=HISTORY_PAGE, nextToken=token
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


async def _view(console: Console, arn: str) -> dict[str, Any]:
    """Everything the execution page shows, from the client."""
    execution = await console.call("describe_execution", executionArn=arn)
    machine = await console.call("describe_state_machine_for_execution", executionArn=arn)
    events = await _history(console, arn)
    definition = json.loads(machine["definition"])
    states = state_progress(definition, events)
    started = execution["startDate"]
    now = datetime.now(UTC)
    end = execution.get("stopDate") or now
    rows = history_rows(events, started)
    return {
        "execution": execution,
        "definition": machine["definition"],
        "states": states,
        "rows": rows,
        "bars": timeline(states, started, end),
        "span_ms": int((end - started).total_seconds() * 1000),
        "last_event_id": events[-1]["id"] if events else 0,
        "waiting": await _waiting(console, execution, states, now),
        "human_tasks": await execution_tasks(console, arn),
    }


async def _waiting(
    console: Console, execution: dict[str, Any], states: dict[str, Any], now: datetime
) -> list[dict[str, Any]]:
    """The tasks the execution waits on: where, since when, until when,
    what their call answered, decisions."""
    if execution["status"] != "RUNNING":
        return []
    page = await console.call(
        "list_waiting_tasks", executionArn=execution["executionArn"], maxResults=WAITING_SHOWN
    )
    waiting = []
    for task in reversed(page["tasks"]):  # oldest first
        state = states.get(task["stateName"])
        waiting.append(
            {
                **task,
                "decisions": decisions_of(task.get("payload")),
                "waited_ms": (now - task["since"]).total_seconds() * 1000,
                "left_ms": (task["deadline"] - now).total_seconds() * 1000 if task.get("deadline") else None,
                "answer": call_answer(state.submitted if state else None),
            }
        )
    return waiting


def _states_json(view: dict[str, Any]) -> dict[str, Any]:
    return {name: entry.to_json() for name, entry in view["states"].items()}


def _history_page(rows: list[Any], before: str | None) -> dict[str, Any]:
    """The history table's page: the newest TABLE_ROWS events,
    or those before event `before` (older pages)."""
    end = len(rows)
    if before and before.isdigit():
        end = next((index for index, row in enumerate(rows) if row.id >= int(before)), len(rows))
    start = max(0, end - TABLE_ROWS)
    newer = None  # the `before` of the next newer page ("" for the newest)
    if end < len(rows):
        newer = str(rows[end + TABLE_ROWS].id) if end + TABLE_ROWS < len(rows) else ""
    return {
        "shown_rows": rows[start:end],
        "older": rows[start].id if start > 0 else None,
        "newer": newer,
        "first_shown": start + 1,
        "total_rows": len(rows),
    }


async def execution_page(request: Request) -> Response:
    console = console_of(request)
    arn = request.path_params["arn"]
    try:
        view = await _view(console, arn)
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(
        request,
        "execution.html",
        title=view["execution"]["name"],
        graph=graph_of(view["definition"]),
        states_json=_states_json(view),
        **_history_page(view["rows"], request.query_params.get("before")),
        **view,
    )


async def progress(request: Request) -> Response:
    """The poll: `{"changed": false}` while nothing happened since `since`, else statuses and fragments."""
    console = console_of(request)
    arn = request.path_params["arn"]
    since = request.query_params.get("since", "0")
    since_id = int(since) if since.isdigit() else 0
    try:
        last = await console.call("get_execution_history", executionArn=arn, maxResults=1, reverseOrder=True)
        last_id = last["events"][0]["id"] if last["events"] else 0
        if last_id == since_id:
            return JSONResponse({"changed": False, "lastEventId": last_id})
        view = await _view(console, arn)
    except errors.SojournAPIError as e:
        return JSONResponse({"error": e.type_name, "message": e.message}, status_code=404)
    page = console.templates.get_template("_execution_parts.html").module
    state = request.scope.get("state", {})
    new_rows = [row for row in view["rows"] if row.id > since_id][-TABLE_ROWS:]
    return JSONResponse(
        {
            "changed": True,
            "status": view["execution"]["status"],
            "lastEventId": view["last_event_id"],
            "states": _states_json(view),
            "summary": str(page.summary(view["execution"], view["waiting"], state.get("csrf", ""))),  # type: ignore[attr-defined]
            "rows": str(page.history_rows(new_rows)),  # type: ignore[attr-defined]
            "timeline": str(page.timeline(view["bars"], view["span_ms"])),  # type: ignore[attr-defined]
        }
    )


async def stop(request: Request) -> Response:
    console = console_of(request)
    form = await console.form(request)
    arn = request.path_params["arn"]
    try:
        await console.call(
            "stop_execution",
            executionArn=arn,
            error=form.get("error") or None,
            cause=form.get("cause") or None,
        )
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return redirect(f"/executions/{quote(arn, safe='')}", "stopped")


async def redrive(request: Request) -> Response:
    console = console_of(request)
    await console.form(request)
    arn = request.path_params["arn"]
    try:
        await console.call("redrive_execution", executionArn=arn)
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return redirect(f"/executions/{quote(arn, safe='')}", "redriven")
