"""Schedules (the apps' `schedules:`): each with its expression, time zone, next and last run, enabled or
paused, and Pause / Resume. Reads and changes them through `sojourn.Client`'s ListSchedules and
UpdateSchedule only; the forms POST with the console's CSRF token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.console.web import console_of, redirect

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [
        Route("/schedules", list_page, methods=["GET"]),
        Route("/schedules/{name}/pause", pause, methods=["POST"]),
        Route("/schedules/{name}/resume", resume, methods=["POST"]),
    ]


async def list_page(request: Request) -> Response:
    console = console_of(request)
    try:
        page = await console.call("list_schedules")
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return console.render(request, "schedules.html", title="Schedules", schedules=page["schedules"])


async def pause(request: Request) -> Response:
    return await _set(request, "DISABLED", "paused")


async def resume(request: Request) -> Response:
    return await _set(request, "ENABLED", "resumed")


async def _set(request: Request, state: str, done: str) -> Response:
    console = console_of(request)
    await console.form(request)  # the CSRF check
    try:
        await console.call("update_schedule", name=request.path_params["name"], state=state)
    except errors.SojournAPIError as e:
        return console.api_error(request, e)
    return redirect("/schedules", done)
