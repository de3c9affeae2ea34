"""What the approvers' pages share: templates (Jinja2, autoescaped), security headers, the double-submit
CSRF cookie, reading a posted form, and a task's form as fields to render and values to check."""

from __future__ import annotations

import json
import math
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

__all__ = [
    "COOKIE_PATH",
    "CSRF_COOKIE",
    "Form",
    "csrf_token",
    "fields",
    "keep_csrf",
    "page",
    "read_form",
    "secure",
    "values",
    "when",
]

CSRF_COOKIE = "sojourn_task_csrf"
COOKIE_PATH = "/tasks"  # the portal's cookies go to its pages only
MAX_FORM_BYTES = 64 * 1024
HEADERS = {
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

Form = dict[str, str]


def page(name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """The template `name` rendered with the security headers every portal page sends."""
    return HTMLResponse(_templates.get_template(name).render(**context), status_code=status, headers=HEADERS)


def secure(request: Request, public_base_url: str) -> bool:
    """Whether cookies must be Secure: the request came over HTTPS, or people reach the server by it."""
    return request.url.scheme == "https" or public_base_url.startswith("https:")


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the cookie's, or a new one that `keep_csrf` sets."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def keep_csrf(response: Response, token: str, is_secure: bool) -> Response:
    """Set the CSRF cookie the page's forms repeat (HttpOnly, SameSite=Strict, the portal's pages only)."""
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=is_secure, path=COOKIE_PATH
    )
    return response


async def read_form(request: Request) -> Form | Response:
    """The posted form (url-encoded, no uploads) if it is small enough and carries this browser's CSRF
    token; otherwise the page that refuses it (nothing is to change)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return page("gone.html", {"message": "The form is too large (at most 64 KB)."}, 413)
    form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, form.get("csrf_token", "")):
        message = "This form has expired: open the page again and send it from there."
        return page("gone.html", {"message": message}, 403)
    return form


def when(value: datetime | None) -> str:
    """A date as the pages show it (UTC, to the minute)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _schema(schema: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """A task's form schema; DescribeHumanTask gives it as JSON text, as AWS's APIs give documents."""
    return json.loads(schema) if isinstance(schema, str) else schema


def fields(schema: dict[str, Any] | str | None) -> list[dict[str, Any]]:
    """The form's fields as the page renders them, in the schema's order."""
    schema = _schema(schema)
    if not schema:
        return []
    required = set(schema.get("required", []))
    found = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        widget = "checkbox" if kind == "boolean" else "select" if "enum" in spec else "number"
        if kind == "string" and "enum" not in spec:
            widget = {"date": "date", "email": "email"}.get(spec.get("format", ""), "text")
        found.append(
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
    return found


def values(schema: dict[str, Any] | str | None, form: Form) -> dict[str, Any]:
    """The form's values typed as its schema says; what does not parse stays text, for the check to name."""
    schema = _schema(schema)
    typed: dict[str, Any] = {}
    for name, spec in ((schema or {}).get("properties") or {}).items():
        kind = spec.get("type")
        if kind == "boolean":
            typed[name] = form.get(name) == "on"
            continue
        text = str(form.get(name, "")).strip()
        if text == "":
            continue
        if kind in ("number", "integer"):
            try:
                number = float(text)
                typed[name] = int(number) if kind == "integer" and number.is_integer() else number
                if not math.isfinite(number):
                    typed[name] = text
            except ValueError:
                typed[name] = text
        elif "enum" in spec:
            typed[name] = next((choice for choice in spec["enum"] if str(choice) == text), text)
        else:
            typed[name] = text
    return typed
