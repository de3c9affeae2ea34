"""Who may use the console, and proof that a form came from it.

When `Settings.api_key` is set the console asks for that key once (a login form) and keeps a session
cookie holding an HMAC of the key, never the key itself: `v1.<issued>.<name>.<mac>`, HttpOnly,
SameSite=Strict. Forms that change things carry a double-submit CSRF token: a random value in a cookie
that the page repeats in a hidden field (or the `X-CSRF-Token` header); the two must match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "SecurityMiddleware",
    "csrf_matches",
    "session_user",
    "session_value",
]

SESSION_COOKIE = "sojourn_console"
CSRF_COOKIE = "sojourn_csrf"
SESSION_SECONDS = 7 * 24 * 3600
OPEN_PATHS = ("/static/", "/login")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

# Pages render from this origin only; mail bodies are shown in a sandboxed srcdoc frame, which inherits it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self' about:; frame-ancestors 'self'; form-action 'self'; base-uri 'self'"
)


def _mac(api_key: str, message: str) -> str:
    return hmac.new(api_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def session_value(api_key: str, name: str = "", now: float | None = None) -> str:
    """The session cookie's value for `name` (shown in the audit trail), keyed by the API key."""
    issued = str(int(time.time() if now is None else now))
    label = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    body = f"v1.{issued}.{label}"
    return f"{body}.{_mac(api_key, body)}"


def session_user(api_key: str, value: str | None, now: float | None = None) -> str | None:
    """The name in a valid, unexpired session cookie ("" when none was given); None when invalid."""
    if not value or value.count(".") != 3:
        return None
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(api_key, body)):
        return None
    _, issued, label = body.split(".")
    current = time.time() if now is None else now
    if not issued.isdigit() or not 0 <= current - int(issued) <= SESSION_SECONDS:
        return None
    return base64.urlsafe_b64decode(label + "=" * (-len(label) % 4)).decode(errors="replace")


def csrf_matches(cookie: str | None, given: str | None) -> bool:
    return bool(cookie) and bool(given) and hmac.compare_digest(str(cookie), str(given))


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply ignored
                continue
    return {key: morsel.value for key, morsel in jar.items()}


class SecurityMiddleware:
    """Requires the session when an API key is set; gives each browser a CSRF cookie; sets safety headers.

    Puts `user` (the session's name or "console"), `signed_in` (a valid session) and `csrf` (this browser's
    token) in the request state.
    """

    def __init__(self, app: ASGIApp, api_key: str | None, prefix: str):
        self.app = app
        self.api_key = api_key
        self.prefix = prefix

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        path = scope["path"].removeprefix(self.prefix) or "/"
        user, signed_in = "", False
        if self.api_key:
            found = session_user(self.api_key, cookies.get(SESSION_COOKIE))
            if found is None and not path.startswith(OPEN_PATHS):
                await self._refuse(scope, send, path)
                return
            user, signed_in = found or "", found is not None
        token = cookies.get(CSRF_COOKIE) or ""
        fresh = not token or len(token) < 32
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {}).update(user=user or "console", signed_in=signed_in, csrf=token)
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ]
                if fresh:
                    cookie = f"{CSRF_COOKIE}={token}; Path={self.prefix}; HttpOnly; SameSite=Strict" + (
                        "; Secure" if secure else ""
                    )
                    headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, scope: Scope, send: Callable[[Any], Awaitable[None]], path: str) -> None:
        if scope["method"] == "GET" and not path.endswith("/progress"):
            target = (
                self.prefix
                + path
                + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
            )
            status, headers, body = (
                303,
                [(b"location", f"{self.prefix}/login?next={quote(target, safe='')}".encode())],
                b"",
            )
        else:
            status, headers, body = (
                401,
                [(b"content-type", b"text/plain; charset=utf-8")],
                b"Sign in to the console first.",
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
