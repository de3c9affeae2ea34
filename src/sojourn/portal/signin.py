"""Signing in to the approver portal by a one-time emailed link, and out again.

`GET /tasks` signed out shows a form for one's email; its POST always answers the same page, whether or not
a link was sent. `GET /tasks/signin/{token}` (and HEAD) only shows a "Sign in as ..." button: mail scanners
open links, and opening it signs no one in. The button's POST uses the link and sets the session cookie
(HttpOnly, SameSite=Lax so that a task's link in an email opens signed in, Secure over HTTPS).
`POST /tasks/signout` ends the session. Every POST carries the CSRF token.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sojourn import errors
from sojourn.backend.portal import SIGN_IN_SECONDS
from sojourn.portal.pages import COOKIE_PATH, HEADERS, csrf_token, keep_csrf, page, read_form, secure

__all__ = ["SESSION_COOKIE", "sign_in_form", "sign_in_link", "sign_in_request", "sign_out", "signed_in"]

SESSION_COOKIE = "sojourn_portal_session"


async def signed_in(request: Request, client: Any) -> dict[str, Any] | None:
    """The person this browser's session signs in (`person`, `name`, `email`), or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        me: dict[str, Any] = await run_in_threadpool(client.check_portal_session, sessionToken=token)
    except errors.InvalidToken:
        return None
    return me


def sign_in_form(request: Request, client: Any, *, sent: bool = False) -> Response:
    """The form for one's email (`sent`: with the answer to having sent it)."""
    csrf = csrf_token(request)
    context = {"csrf": csrf, "sent": sent, "minutes": SIGN_IN_SECONDS // 60}
    return keep_csrf(page("signin.html", context), csrf, secure(request, client.settings.public_base_url))


async def sign_in_request(request: Request, client: Any) -> Response:
    """`POST /tasks`: email a sign-in link if the address may sign in; the same answer either way."""
    form = await read_form(request)
    if isinstance(form, Response):
        return form
    await run_in_threadpool(client.request_portal_sign_in, email=form.get("email", ""))
    return sign_in_form(request, client, sent=True)


def sign_in_link(client: Any) -> Any:
    """The endpoint of `/tasks/signin/{token}`: GET and HEAD show the button, its POST signs in."""

    async def endpoint(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method != "POST":
            try:
                person = await run_in_threadpool(client.describe_portal_sign_in, token=token)
            except errors.InvalidToken as e:
                return page("signin_gone.html", {"message": e.message}, 404)
            csrf = csrf_token(request)
            shown = page("signin_link.html", {"person": person, "csrf": csrf})
            return keep_csrf(shown, csrf, secure(request, client.settings.public_base_url))
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        try:
            session = await run_in_threadpool(client.start_portal_session, token=token)
        except errors.InvalidToken as e:
            return page("signin_gone.html", {"message": e.message}, 404)
        await _end(request, client)  # a browser holds one session: the one it had before ends
        response = RedirectResponse("/tasks", status_code=303, headers=HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            session["sessionToken"],
            httponly=True,
            samesite="lax",
            secure=secure(request, client.settings.public_base_url),
            path=COOKIE_PATH,
        )
        return response

    return endpoint


def sign_out(client: Any) -> Any:
    """The endpoint of `POST /tasks/signout`: the session ends at once, here and wherever it was copied."""

    async def endpoint(request: Request) -> Response:
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        await _end(request, client)
        response = RedirectResponse("/tasks", status_code=303, headers=HEADERS)
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return response

    return endpoint


async def _end(request: Request, client: Any) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(client.end_portal_session, sessionToken=token)
