"""The console's ASGI app: templates, the client calls made off the event loop, forms, errors.

Every page talks to Sojourn through `sojourn.Client` only (the same methods boto3 has, plus the
console's reads: `list_waiting_tasks`, `describe_waiting_task`, `decide_task`, `search_executions`,
`list_mail`...).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from sojourn import errors
from sojourn.console.security import CSRF_COOKIE, SecurityMiddleware, csrf_matches
from sojourn.tokens import REDACTED

__all__ = ["PREFIX", "Console", "console_of"]

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
MAX_FORM_BYTES = 1024 * 1024 + 4096  # a 256 KB payload, percent-encoded, fits


class Console:
    """One client's console: `app` is the ASGI app mounted at `/console`."""

    def __init__(self, client: Any, settings: Any = None):
        self.client = client
        self.settings = settings
        self.api_key = getattr(settings, "api_key", None)
        self.templates = Environment(
            loader=PackageLoader("sojourn.console", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(
            when=_when,
            quote=_quote,
            pretty=_pretty,
            duration=_duration,
            script_json=_script_json,
            name_of=_name_of,
            fit=_fit,
            fields=_fields,
        )
        self.templates.globals.update(base=PREFIX, has_mail=self.has_mail)
        self.app = Starlette(
            routes=self._routes(),
            middleware=[Middleware(SecurityMiddleware, api_key=self.api_key, prefix=PREFIX)],
            exception_handlers={HTTPException: self._http_error},
        )
        self.app.state.console = self

    @property
    def has_mail(self) -> bool:
        return hasattr(self.client, "list_mail")

    def _routes(self) -> list[BaseRoute]:
        from sojourn.console import executions, humantasks, inbox, login, machines, mailbox, schedules

        routes: list[BaseRoute] = [Route("/", _home, methods=["GET"])]
        for part in (machines, executions, inbox, humantasks, schedules, mailbox, login):
            routes += part.routes()
        routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
        return routes

    # -- helpers for the pages ------------------------------------------------------------------

    async def call(self, method: str, **kwargs: Any) -> Any:
        """`client.<method>(**kwargs)` in a worker thread (the client does blocking database I/O)."""
        return await run_in_threadpool(getattr(self.client, method), **kwargs)

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        state = request.scope.get("state", {})
        context.update(
            request=request,
            csrf=state.get("csrf", ""),
            user=state.get("user", "console"),
            signed_in=state.get("signed_in", False),
            notice=_NOTICES.get(request.query_params.get("done", "")),
        )
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form, after checking its CSRF token against the browser's cookie (403 otherwise)."""
        # Console forms are url-encoded (no uploads): parsed here, without a multipart parser.
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "The form is too large (at most 1 MB).")
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        given = form.get("csrf_token") or request.headers.get("x-csrf-token")
        if not csrf_matches(request.cookies.get(CSRF_COOKIE), given):
            raise HTTPException(
                403, "This form has expired or did not come from the console: reload the page and try again."
            )
        return form

    def user(self, request: Request) -> str:
        return request.scope.get("state", {}).get("user") or "console"

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "Error")
        return self.render(request, "error.html", status=status, title=f"Error {status}", message=detail)

    def api_error(self, request: Request, error: errors.SojournAPIError) -> HTMLResponse:
        """A client error as a page: missing resources are 404, the rest 400."""
        status = 404 if "DoesNotExist" in error.type_name or error.type_name == "ResourceNotFound" else 400
        return self.render(request, "error.html", status=status, title=error.type_name, message=error.message)


def console_of(request: Request) -> Console:
    return request.app.state.console


def redirect(path: str, done: str | None = None) -> RedirectResponse:
    """After a POST: see the result with a GET (303), with a short notice code."""
    if done:
        path += ("&" if "?" in path else "?") + f"done={done}"
    return RedirectResponse(PREFIX + path, status_code=303)


async def _home(request: Request) -> Response:
    return RedirectResponse(PREFIX + "/executions", status_code=303)


_NOTICES = {
    "started": "Execution started.",
    "stopped": "Execution stopped.",
    "redriven": "Execution redriven: it runs again from the state where it stopped.",
    "sent": "Answer sent: the execution goes on.",
    "reassigned": "Task reassigned: the new people were sent links of their own; the old links stop working.",
    "cancelled": "Human task cancelled: its Task fails with Sojourn.HumanTaskCancelled.",
    "paused": "Schedule paused: it starts nothing until resumed.",
    "resumed": "Schedule resumed from its next time (the times it missed while paused are not run).",
}


# -- template filters ---------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + f".{value.microsecond // 1000:03d}"


def _quote(value: str) -> str:
    return quote(str(value), safe="")


def _pretty(value: Any) -> str:
    """JSON text (or a value) indented for reading; text that is not JSON stays as it is."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _duration(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{int(ms)} ms"
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 120:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def _script_json(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no `</script>` can close it early."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _name_of(arn: str | None) -> str:
    """The last name in an ARN: a machine's or an execution's name."""
    return (arn or "").split(":")[-1]


def _fields(value: Any, skip: tuple[Any, ...] = (), limit: int = 8) -> list[tuple[str, str]]:
    """A JSON object's plain values as (key, text) pairs for one line; one level down as `outer.key`.

    Decision buttons, redacted tokens and the `skip` values (e.g. the execution's own ARN) are left out.
    """
    if not isinstance(value, dict):
        return [] if value is None else [("", _cut(value))]
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        inner = item.items() if isinstance(item, dict) and key != "decisions" else ()
        for name, leaf in [(str(key), item), *((f"{key}.{k}", v) for k, v in inner)]:
            if (
                (leaf is None or isinstance(leaf, str | int | float | bool))
                and leaf not in skip
                and REDACTED not in str(leaf)
            ):
                pairs.append((name, _cut(leaf)))
    return pairs[:limit]


def _cut(value: Any, width: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _fit(text: str, width: float, char_width: float = 7.4) -> str:
    """`text` cut to fit `width` pixels (an ellipsis marks the cut)."""
    room = max(3, int((width - 18) / char_width))
    return text if len(text) <= room else text[: room - 1] + "…"
