"""Sojourn's own read endpoints, under `/sojourn/` (they are not Step Functions actions): the mailbox and
the function logs, for `sojourn mail` and `sojourn logs` on any machine that reaches the server.

In AWS's style (member names `maxResults`, `nextToken`, `messageId`; timestamps as epoch seconds; errors as
`{"__type", "message"}` with AWS's status), and behind the API's own key check (`authenticate`).

    GET /sojourn/mail?maxResults=&nextToken=&to=     -> {"messages": [...], "nextToken"?}  (Client.list_mail)
    GET /sojourn/mail/{messageId}                    -> the message with its bodies          (Client.get_mail)
    GET /sojourn/logs?functionName=&maxResults=      -> {"invocations": [...]}, oldest first
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from sojourn import errors
from sojourn.api.protocol import authenticate

__all__ = ["error_response", "routes"]

MAX_RESULTS = 1000  # as the Step Functions API's List* actions


def routes(client: Any, settings: Any) -> list[BaseRoute]:
    """The `/sojourn/mail` and `/sojourn/logs` routes for `client`, on `settings.data_dir`'s function logs."""
    from sojourn.functions.pool import function_logs

    def list_mail(query: dict[str, str], path: dict[str, str]) -> Any:
        return client.list_mail(
            maxResults=_max_results(query, 100),
            nextToken=query.get("nextToken") or None,
            to=query.get("to") or None,
        )

    def get_mail(query: dict[str, str], path: dict[str, str]) -> Any:
        return client.get_mail(messageId=path["messageId"])

    def logs(query: dict[str, str], path: dict[str, str]) -> Any:
        limit = _max_results(query, 20)
        return {"invocations": function_logs(settings.data_dir, query.get("functionName") or None, limit)}

    api_key = getattr(settings, "api_key", None)
    return [
        Route("/sojourn/mail", _endpoint(list_mail, api_key), methods=["GET"]),
        Route("/sojourn/mail/{messageId}", _endpoint(get_mail, api_key), methods=["GET"]),
        Route("/sojourn/logs", _endpoint(logs, api_key), methods=["GET"]),
    ]


def error_response(error: errors.SojournAPIError) -> JSONResponse:
    """An API error as AWS answers it: `{"__type", "message"}` with its status and `x-amzn-ErrorType`."""
    return JSONResponse(
        {"__type": error.type_name, "message": error.message},
        status_code=error.status,
        headers={"x-amzn-ErrorType": error.type_name, "x-amzn-RequestId": str(uuid.uuid4())},
    )


def _endpoint(
    read: Callable[[dict[str, str], dict[str, str]], Any], api_key: str | None
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """A GET endpoint: check the key, run `read(query, path parameters)` off the event loop, answer JSON."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            authenticate(request, api_key)
            answer = await run_in_threadpool(read, dict(request.query_params), dict(request.path_params))
        except errors.SojournAPIError as e:
            return error_response(e)
        return JSONResponse(_wire(answer))

    return endpoint


def _max_results(query: dict[str, str], default: int) -> int:
    """`maxResults` from the query string, checked as AWS words it (1 to 1000)."""
    text = query.get("maxResults", "")
    if text == "":
        return default
    if not text.lstrip("-").isdigit():
        problem = "Member must be an integer"
    elif int(text) < 1:
        problem = "Member must have value greater than or equal to 1"
    elif int(text) > MAX_RESULTS:
        problem = f"Member must have value less than or equal to {MAX_RESULTS}"
    else:
        return int(text)
    raise errors.ValidationException(
        f"1 validation error detected: Value '{text}' at 'maxResults' failed to satisfy constraint: {problem}"
    )


def _wire(value: Any) -> Any:
    """`value` as JSON: datetimes as epoch seconds, as AWS's JSON protocols send timestamps."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value
