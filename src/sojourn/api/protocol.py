"""AWS JSON 1.0 over HTTP: `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>`, mapped to the client;
Sojourn's own actions (`Sojourn.<Action>`: human tasks) on the same endpoint, the same way.

Each request: check size and credentials, parse the body, validate it against the service model, call
`client.<snake_case action>(**params)` in a worker thread, serialise the answer per the model. Errors
answer `{"__type": ..., "message": ...}` with AWS's status so boto3 raises the matching class.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sojourn import errors, jsontext, logs, metrics
from sojourn.api.model import SOJOURN_PREFIX, TARGET_PREFIX, operation
from sojourn.config import function_credential
from sojourn.store.base import InvalidStoreValue, StoreUnavailable

__all__ = ["CONTENT_TYPE", "FUNCTION_ACTIONS", "MAX_REQUEST_BYTES", "StepFunctionsAPI", "authenticate"]

log = logging.getLogger("sojourn.api")

CONTENT_TYPE = "application/x-amz-json-1.0"
# AWS's quota "Maximum request size: 1 MB per request" (the whole HTTP body). Payload members
# (input, output, cause) have their own 256 KB limit in the model, checked in `model.py`.
MAX_REQUEST_BYTES = 1024 * 1024
_DRAIN_LIMIT = 16 * MAX_REQUEST_BYTES
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
# What the functions' own credential (`Settings.function_credential`) may do: start, read, stop and answer
# executions, as a Lambda's execution role commonly allows. Never: change definitions, activities, tags,
# versions or aliases, redrive, TestState (it invokes any resource), nor deploy apps.
FUNCTION_ACTIONS = frozenset(
    {
        "StartExecution",
        "StartSyncExecution",
        "StopExecution",
        "DescribeExecution",
        "DescribeStateMachine",
        "DescribeStateMachineForExecution",
        "DescribeMapRun",
        "GetExecutionHistory",
        "ListExecutions",
        "ListStateMachines",
        "ListMapRuns",
        "SendTaskSuccess",
        "SendTaskFailure",
        "SendTaskHeartbeat",
    }
)
# Actions that can wait (long polls, synchronous executions, TestState's task) always run in a thread.
WAITING_ACTIONS = frozenset({"GetActivityTask", "StartSyncExecution", "TestState"})


class StepFunctionsAPI:
    """The ASGI endpoint of the Step Functions API for one `sojourn.Client`."""

    def __init__(self, client: Any, api_key: str | None = None):
        self.client = client
        self.api_key = api_key
        # On SQLite every transaction takes the database's one writer lock in turn, so a call made on the
        # event loop loses no parallelism and saves two thread switches per request: bench/api_bench.py
        # measured twice the StartExecution rate. PostgreSQL runs transactions side by side: threads.
        self.inline = getattr(getattr(client, "store", None), "dialect", None) == "sqlite"
        self.starts = _GroupedStarts(client) if self.inline and hasattr(client, "start_executions") else None

    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.handle, methods=["POST"], name="stepfunctions-api")]

    async def handle(self, request: Request) -> Response:
        request_id = logs.request_id() or str(uuid.uuid4())
        action = _action_label(request.headers.get("x-amz-target", ""))
        metrics.API_REQUESTS.labels(action).inc()
        try:
            body = await self._answer(request)
            return Response(body, media_type=CONTENT_TYPE, headers={"x-amzn-RequestId": request_id})
        except errors.SojournAPIError as e:
            metrics.API_ERRORS.labels(action, e.type_name).inc()
            return _error(e, request_id)
        except InvalidStoreValue as e:
            # A last line of defence: the checks in front should have refused the value with its
            # member's name.
            metrics.API_ERRORS.labels(action, "ValidationException").inc()
            return _error(errors.ValidationException(f"1 validation error detected: {e}"), request_id)
        except StoreUnavailable:
            # The database is out of reach for now (PostgreSQL down or restarting, the pool exhausted):
            # AWS's common ServiceUnavailable, HTTP 503, which botocore retries on its own in every retry
            # mode (legacy: `service_unavailable` on 503; standard and adaptive: 503 is a transient status).
            log.warning("database unavailable during %s", request.headers.get("x-amz-target", "?"))
            metrics.API_ERRORS.labels(action, "ServiceUnavailable").inc()
            return _error(
                errors.ServiceUnavailable("The service is unavailable. Please try again shortly."), request_id
            )
        except Exception:
            # A bug, not the caller's fault: log it (never the body: it may carry task tokens).
            log.exception("internal error in %s", request.headers.get("x-amz-target", "?"))
            metrics.API_ERRORS.labels(action, "InternalFailure").inc()
            return _error(errors.InternalFailure("An internal error occurred."), request_id)

    async def _answer(self, request: Request) -> bytes:
        target = request.headers.get("x-amz-target", "")
        prefix, _, action = target.partition(".")
        # The functions' credential may call none of Sojourn's own actions (FUNCTION_ACTIONS are AWS's).
        named = {TARGET_PREFIX: action, SOJOURN_PREFIX: f"sojourn:{action}"}.get(prefix)
        authenticate(request, self.api_key, named)
        op = operation(action, prefix)
        method = getattr(self.client, op.method, None) if op else None
        if op is None or method is None:
            raise errors.UnknownOperationException(
                f"Operation {action or target or '(no X-Amz-Target)'} is not supported by Sojourn."
            )
        raw = await _read_body(request)
        try:
            params = jsontext.parse(raw) if raw.strip() else {}
        except jsontext.InvalidJSON as e:
            raise errors.SerializationException(f"Request body is not valid JSON: {e}") from None
        kwargs = op.check(params)
        if self.starts is not None and op.name == "StartExecution":
            result = await self.starts.start(kwargs)
        elif self.inline and op.name not in WAITING_ACTIONS:
            result = method(**kwargs)
        else:
            result = await run_in_threadpool(method, **kwargs)
        return json.dumps(op.serialize(result), separators=(",", ":")).encode("utf-8")


def _action_label(target: str) -> str:
    """The action a request names, as a metric label: `StartExecution`, `Sojourn.ListHumanTasks`, or
    `unknown` for anything Sojourn does not serve (a label must not take whatever a caller sends)."""
    prefix, _, action = target.partition(".")
    if operation(action, prefix) is None:
        return "unknown"
    return action if prefix == TARGET_PREFIX else f"Sojourn.{action}"


def authenticate(request: Request, api_key: str | None, action: str | None = None) -> None:
    """With `api_key` set, the request must carry it: as SigV4's access key id, or in `X-Api-Key`.

    The functions' credential derived from it is accepted too, for an API `action` in FUNCTION_ACTIONS only
    (`action=None`: anything else, such as deploying an app; `sojourn:<Action>`: Sojourn's own actions).
    Raises UnrecognizedClientException as AWS words it, or AccessDeniedException for the functions'
    credential out of its scope.
    """
    if not api_key:
        return
    found = _CREDENTIAL.search(request.headers.get("authorization", ""))
    given = (found.group(1) if found else request.headers.get("x-api-key", "")).encode()
    if not given:
        raise errors.UnrecognizedClientException("Request is missing Authentication Token")
    if hmac.compare_digest(given, api_key.encode()):
        return
    if not hmac.compare_digest(given, function_credential(api_key).encode()):
        raise errors.UnrecognizedClientException("The security token included in the request is invalid.")
    if action not in FUNCTION_ACTIONS:
        what = (action if ":" in action else f"states:{action}") if action else "this request"
        raise errors.AccessDeniedException(
            f"User: sojourn-function is not authorized to perform: {what} (a function's credential may only "
            "start, read, stop and answer executions)"
        )


class _GroupedStarts:
    """StartExecution requests that arrive together share one transaction (group commit).

    On SQLite the commit costs more than the start itself and commits run one at a time: the requests
    parsed in one turn of the event loop are started together, each with its own answer or error.
    """

    def __init__(self, client: Any):
        self.client = client
        self.waiting: list[tuple[dict[str, Any], asyncio.Future[Any]]] = []

    async def start(self, kwargs: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.waiting.append((kwargs, future))
        if len(self.waiting) == 1:  # after the requests already read in this turn of the loop
            loop.call_soon(self._start_waiting)
        return await future

    def _start_waiting(self) -> None:
        batch, self.waiting = self.waiting, []
        try:
            answers = self.client.start_executions([kwargs for kwargs, _ in batch])
        except Exception as e:  # the transaction itself failed: every request in it did
            answers = [e] * len(batch)
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.cancelled():
                continue
            if isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            raise _too_large()
        if size <= MAX_REQUEST_BYTES:
            chunks.append(chunk)
    # Oversized bodies are read to the end first so the client sees the answer, not a reset connection.
    if size > MAX_REQUEST_BYTES:
        raise _too_large()
    return b"".join(chunks)


def _too_large() -> errors.SojournAPIError:
    return errors.RequestEntityTooLarge(
        f"Request size exceeds the maximum of {MAX_REQUEST_BYTES} bytes per Step Functions API request."
    )


def _error(error: errors.SojournAPIError, request_id: str) -> Response:
    answer: dict[str, Any] = {"__type": error.type_name, "message": error.message}
    if getattr(error, "problems", None):  # DecisionRefused's form fields, a member of its modelled shape
        answer["problems"] = error.problems  # type: ignore[attr-defined]
    body = json.dumps(answer, separators=(",", ":"))
    return Response(
        body,
        status_code=error.status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.type_name},
    )
