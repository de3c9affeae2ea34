"""REST routes like API Gateway's: a method and a path template mapped to a function or a state machine.

Each `Endpoint` is served one of three ways:
- `proxy` (default): the function receives API Gateway's REST proxy event and returns a proxy response;
- `simple`: path parameters and the JSON body are merged into the event, the return value is the JSON answer;
- `state_machine`: the JSON body (with the path parameters) starts an execution; the answer is
  StartExecution's output.
Path templates use API Gateway's syntax: `/leave/{id}`, and a greedy last segment `/files/{proxy+}`.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from sojourn import arns
from sojourn.gateway.proxy import internal_error, parse_json_body, proxy_event, proxy_response

__all__ = ["Endpoint", "LiveRoutes", "TemplateError", "not_found", "routes"]

log = logging.getLogger("sojourn.gateway")

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
INTEGRATIONS = frozenset({"proxy", "simple"})
_SEGMENT = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<greedy>\+)?\}")


class TemplateError(ValueError):
    """A path template API Gateway would refuse."""


@dataclass(frozen=True)
class Endpoint:
    """One route: `function` (with `integration` proxy or simple) or `state_machine` (a name or an ARN)."""

    method: str
    path: str
    function: str | None = None
    integration: str = "proxy"
    state_machine: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, not '{self.method}'")
        if (self.function is None) == (self.state_machine is None):
            raise ValueError("a route needs exactly one of 'function' or 'state_machine'")
        if self.integration not in INTEGRATIONS:
            raise ValueError(f"integration must be 'proxy' or 'simple', not '{self.integration}'")
        starlette_path(self.path)

    @property
    def specificity(self) -> tuple[int, ...]:
        """Literal segments before parameters before a greedy tail, as API Gateway matches them."""
        kinds = []
        for segment in self.path.strip("/").split("/"):
            match = _SEGMENT.fullmatch(segment)
            kinds.append(0 if match is None else 2 if match["greedy"] else 1)
        return tuple(kinds)


def starlette_path(template: str) -> str:
    """`/a/{id}/{proxy+}` -> `/a/{id}/{proxy:path}`; raises TemplateError for what API Gateway refuses."""
    if not template.startswith("/"):
        raise TemplateError(f"path '{template}' must start with '/'")
    segments = template.strip("/").split("/") if template != "/" else []
    out = []
    for index, segment in enumerate(segments):
        if not segment:
            raise TemplateError(f"path '{template}' has an empty segment")
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            if "{" in segment or "}" in segment:
                raise TemplateError(
                    f"path '{template}': segment '{segment}' must be a literal or a whole '{{name}}'"
                )
            out.append(segment)
        elif match["greedy"]:
            if index != len(segments) - 1:
                raise TemplateError(f"path '{template}': '{segment}' may only be the last segment")
            out.append(f"{{{match['name']}:path}}")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def routes(
    source: Any = None,
    *,
    client: Any = None,
    settings: Any = None,
    manifest: Any = None,
    functions: Any = None,
) -> list[BaseRoute]:
    """Starlette routes for the app's endpoints (from `source` or `manifest`: an iterable of Endpoint or an
    object with `.routes`). `functions` is the FunctionPool (default: the one the client's runtime lends)."""
    origin = source if source is not None else manifest
    endpoints: Iterable[Endpoint] = getattr(origin, "routes", origin) or ()
    if functions is None:
        functions = client.facilities.function_pool() if client is not None else None
    region = getattr(settings, "region", arns.DEFAULT_REGION)
    account_id = getattr(settings, "account_id", arns.DEFAULT_ACCOUNT)
    built: list[BaseRoute] = []
    for endpoint in sorted(endpoints, key=lambda e: e.specificity):
        handler = _handler(endpoint, client, functions, region, account_id)
        methods = sorted(METHODS - {"ANY"}) if endpoint.method == "ANY" else [endpoint.method]
        built.append(Route(starlette_path(endpoint.path), handler, methods=methods))
    return built


class LiveRoutes:
    """An ASGI app serving the current REST routes; `update` swaps them while requests are being served.

    `default` answers what no route matches (API Gateway's `{"message": "Not Found"}` unless given).
    """

    def __init__(self, routes: list[BaseRoute] | None = None, *, default: ASGIApp | None = None):
        self._default = default or not_found
        self._router = Router(routes or [], default=self._default)

    def update(self, routes: list[BaseRoute]) -> None:
        self._router = Router(routes, default=self._default)  # one assignment: a request sees old or new

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._router(scope, receive, send)


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """API Gateway's answer to a path no route serves."""
    if scope["type"] == "http":
        await JSONResponse({"message": "Not Found"}, status_code=404)(scope, receive, send)


def _handler(endpoint: Endpoint, client: Any, functions: Any, region: str, account_id: str) -> Any:
    if endpoint.state_machine is not None:
        arn = endpoint.state_machine
        if not arn.startswith("arn:"):
            arn = arns.state_machine_arn(region, account_id, arn)

        async def start(request: Request) -> Response:
            try:
                data = parse_json_body(await request.body())
            except ValueError as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
            if data is None:
                data = {}
            if isinstance(data, dict):
                data = {**data, **request.path_params}
            arguments: dict[str, Any] = {"stateMachineArn": arn, "input": json.dumps(data)}
            if request.query_params.get("name"):
                arguments["name"] = request.query_params["name"]
            try:
                started = await run_in_threadpool(client.start_execution, **arguments)
            except Exception as exc:
                return _api_error(exc)
            start_date = started["startDate"]
            return JSONResponse(
                {
                    "executionArn": started["executionArn"],
                    "startDate": start_date.timestamp() if hasattr(start_date, "timestamp") else start_date,
                }
            )

        return start

    async def call(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        body = await request.body()
        if endpoint.integration == "proxy":
            event: Any = proxy_event(request, endpoint.path, body, account_id, request_id)
        else:
            try:
                data = parse_json_body(body)
            except ValueError as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
            if data is not None and not isinstance(data, dict):
                return JSONResponse({"message": "The request body must be a JSON object"}, status_code=400)
            event = {**(data or {}), **request.path_params}
        if functions is None or functions.get(endpoint.function) is None:
            log.error("route %s %s: no function '%s'", endpoint.method, endpoint.path, endpoint.function)
            return internal_error()
        outcome = await run_in_threadpool(functions.invoke, endpoint.function, event)
        if not outcome.ok:
            log.warning(
                "route %s %s: function %s %s (request %s)",
                endpoint.method,
                endpoint.path,
                endpoint.function,
                outcome.status,
                outcome.request_id,
            )
            return internal_error()
        if endpoint.integration == "proxy":
            return proxy_response(outcome.result, request_id)
        return JSONResponse(outcome.result, headers={"x-amzn-RequestId": request_id})

    return call


def _api_error(exc: Exception) -> JSONResponse:
    """A Step Functions API error as AWS's JSON protocol writes it (`__type`, `message`)."""
    from sojourn.errors import SojournAPIError

    if isinstance(exc, SojournAPIError):
        return JSONResponse({"__type": exc.type_name, "message": exc.message}, status_code=exc.status)
    error = getattr(exc, "response", {}).get("Error") if hasattr(exc, "response") else None
    if error:  # botocore's ClientError, when the client is boto3's
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)  # type: ignore[attr-defined]
        return JSONResponse(
            {"__type": error.get("Code"), "message": error.get("Message")}, status_code=status
        )
    raise exc
