"""Signing in to the console with the server's API key (only when `Settings.api_key` is set)."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sojourn.console.security import SESSION_COOKIE, SESSION_SECONDS, session_value
from sojourn.console.web import PREFIX, console_of

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]


def _next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"


async def login_page(request: Request, error: str | None = None) -> Response:
    console = console_of(request)
    if not console.api_key:
        return RedirectResponse(PREFIX + "/", status_code=303)
    return console.render(
        request,
        "login.html",
        status=401 if error else 200,
        title="Sign in",
        error=error,
        next=_next(request.query_params.get("next")),
    )


async def login(request: Request) -> Response:
    console = console_of(request)
    form = await console.form(request)
    if not console.api_key:
        return RedirectResponse(PREFIX + "/", status_code=303)
    if not hmac.compare_digest(form.get("key", "").encode(), console.api_key.encode()):
        return await login_page(request, error="That key is not this server's API key.")
    response = RedirectResponse(_next(form.get("next")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_value(console.api_key, form.get("name", "").strip()[:80]),
        max_age=SESSION_SECONDS,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    console = console_of(request)
    await console.form(request)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
