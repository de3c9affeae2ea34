"""The approvers' pages (ours; issue 14), apart from the operators' console: a human task opened by its link.

`GET /tasks/link/{link}` (and HEAD) only shows the task: what is asked, its form and one button per decision.
Nothing decides on GET, and the page has no script that could submit itself, so mail scanners (Outlook Safe
Links, Mimecast, Proofpoint) that open every link decide nothing. Only the page's POST decides, with a
double-submit CSRF token (a cookie the form repeats). The link is a secret: pages are not cached and send no
Referer.
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from sojourn import errors

__all__ = ["CSRF_COOKIE", "routes"]

CSRF_COOKIE = "sojourn_task_csrf"
MAX_FORM_BYTES = 64 * 1024
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
}
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


def routes(client: Any) -> list[BaseRoute]:
    """The pages for `client` (a `sojourn.Client`)."""

    async def link_page(request: Request) -> Response:
        link = request.path_params["link"]
        if request.method == "POST":
            return await _decide(request, client, link)
        return await _show(request, client, link)

    return [Route("/tasks/link/{link}", link_page, methods=["GET", "HEAD", "POST"])]


async def _show(
    request: Request,
    client: Any,
    link: str,
    *,
    status: int = 200,
    problems: dict[str, str] | None = None,
    message: str | None = None,
    values: dict[str, Any] | None = None,
    comment: str = "",
) -> Response:
    try:
        task = await run_in_threadpool(client.describe_human_task_link, link=link)
    except errors.TaskDoesNotExist as e:
        return _page("gone.html", {"message": e.message}, 404)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    context = {
        "task": task,
        "fields": _fields(task.get("form")),
        "problems": problems or {},
        "message": message,
        "values": values or {},
        "comment": comment,
        "csrf": csrf,
    }
    response = _page("task.html", context, status)
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/tasks/",
    )
    return response


async def _decide(request: Request, client: Any, link: str) -> Response:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _page("gone.html", {"message": "The form is too large (at most 64 KB)."}, 413)
    # url-encoded, no uploads: parsed here without a multipart parser
    form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    given = str(form.get("csrf_token", ""))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, given):
        return _page("gone.html", {"message": "This form has expired: open the link again to decide."}, 403)
    try:
        task = await run_in_threadpool(client.describe_human_task_link, link=link)
    except errors.TaskDoesNotExist as e:
        return _page("gone.html", {"message": e.message}, 404)
    values = _values(task.get("form"), form)
    comment = str(form.get("comment", ""))
    try:
        done = await run_in_threadpool(
            client.decide_human_task_link,
            link=link,
            decision=str(form.get("decision", "")),
            form=values,
            comment=comment,
        )
    except errors.DecisionRefused as e:
        return await _show(
            request,
            client,
            link,
            status=409 if not e.problems else 400,
            problems=e.problems,
            message=e.message,
            values=values,
            comment=comment,
        )
    return _page("decided.html", {"task": task, "done": done, "decision": str(form.get("decision", ""))}, 200)


def _page(name: str, context: dict[str, Any], status: int) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**context), status_code=status, headers=_HEADERS)


def _fields(schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The form's fields as the page renders them, in the schema's order."""
    if not schema:
        return []
    required = set(schema.get("required", []))
    fields = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        widget = "checkbox" if kind == "boolean" else "select" if "enum" in spec else "number"
        if kind == "string" and "enum" not in spec:
            widget = {"date": "date", "email": "email"}.get(spec.get("format", ""), "text")
        fields.append(
            {
                "name": name,
                "label": spec.get("title") or name,
                "help": spec.get("description", ""),
                "widget": widget,
                "choices": spec.get("enum", []),
                "step": "1" if kind == "integer" else "any",
                "min": spec.get("minimum"),
                "max": spec.get("maximum"),
                "required": name in required,
                "default": spec.get("default"),
            }
        )
    return fields


def _values(schema: dict[str, Any] | None, form: Any) -> dict[str, Any]:
    """The form's values typed as its schema says; what does not parse stays text, for the check to name."""
    values: dict[str, Any] = {}
    for name, spec in ((schema or {}).get("properties") or {}).items():
        kind = spec.get("type")
        if kind == "boolean":
            values[name] = form.get(name) == "on"
            continue
        text = str(form.get(name, "")).strip()
        if text == "":
            continue
        if kind in ("number", "integer"):
            try:
                number = float(text)
                values[name] = int(number) if kind == "integer" and number.is_integer() else number
                if not math.isfinite(number):
                    values[name] = text
            except ValueError:
                values[name] = text
        elif "enum" in spec:
            values[name] = next((choice for choice in spec["enum"] if str(choice) == text), text)
        else:
            values[name] = text
    return values
