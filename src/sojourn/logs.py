"""Sojourn's logs: plain or JSON lines (`SOJOURN_LOG_FORMAT=json`), a request id on every record made while
serving an HTTP request, and one access log line per request (logger `sojourn.access`).

The access line names the path with its secrets taken out: the portal's one-time links
(`/tasks/link/<token>`, `/tasks/signin/<token>`) show as `/tasks/link/***`, and the query string, which may
carry a token, is never logged. The request id is the caller's `X-Amzn-RequestId` when it sends one (a proxy
or a Lambda URL in front), else a new UUID, and goes back in the answer's `X-Amzn-RequestId`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Any

__all__ = ["AccessLog", "JsonLines", "configure", "redact_path", "request_id"]

access_log = logging.getLogger("sojourn.access")

_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("sojourn_request_id", default=None)
_SECRET_PATHS = re.compile(r"^(/tasks/(?:link|signin))/[^/]+")
_REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # a header value we can log as it is


def request_id() -> str | None:
    """The id of the HTTP request being served in this context, or None outside one."""
    return _REQUEST_ID.get()


def redact_path(path: str) -> str:
    """`path` fit for a log: the portal's link and sign-in tokens replaced by `***`."""
    return _SECRET_PATHS.sub(r"\1/***", path)


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            entry["requestId"] = record.request_id  # type: ignore[attr-defined]  # set by _WithRequestId
        for extra in ("method", "path", "status", "durationMs"):
            if hasattr(record, extra):
                entry[extra] = getattr(record, extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class _Plain(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        found = getattr(record, "request_id", None)
        return f"{line} [request {found}]" if found else line


def configure(as_json: bool = False, stream: Any = None) -> None:
    """Send every record (Sojourn's, uvicorn's) to `stream` (stderr), as JSON lines or plain text."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(_WithRequestId())
    handler.setFormatter(
        JsonLines() if as_json else _Plain("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


class AccessLog:
    """ASGI middleware: a request id for each HTTP request, and its access line once answered."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-amzn-requestid")
        rid = given if given and _REQUEST_ID_SHAPE.fullmatch(given) else str(uuid.uuid4())
        token = _REQUEST_ID.set(rid)
        status = 500
        begin = time.perf_counter()

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-amzn-requestid" for name, _ in headers):
                    headers.append((b"x-amzn-requestid", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            duration = round((time.perf_counter() - begin) * 1000, 2)
            path = redact_path(scope.get("root_path", "") + scope["path"])
            access_log.info(
                "%s %s %s %.2fms",
                scope["method"],
                path,
                status,
                duration,
                extra={"method": scope["method"], "path": path, "status": status, "durationMs": duration},
            )
            _REQUEST_ID.reset(token)


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
