"""The HTTP Task, `arn:aws:states:::http:invoke` (request-response only, as on AWS): AWS's request, output and
error names, so definitions and their Retry/Catch written for AWS run unchanged.

What AWS documents ("Call HTTPS APIs in Step Functions workflows"; the notes and what could not be confirmed
are in tests/data/http_task/SOURCES.md):

- The request: `ApiEndpoint` + `QueryParameters`, `Method`, `Headers` (AWS's forbidden ones fail with
  States.Runtime), `RequestBody` as JSON (`Content-Type: application/json; charset=UTF-8`) or, with
  `Transform.RequestBodyEncoding: URL_ENCODED`, as a form (sojourn.asl.httptask.form_encode). Step Functions
  sets `User-Agent: Amazon|StepFunctions|HttpInvoke|<region>` and `Range: bytes=0-262144`. The connection's
  headers, query and body parameters are merged over the definition's (theirs win); a string RequestBody
  with connection body parameters fails with States.Runtime.
- The output: `{"Headers": {name: [values]}, "ResponseBody": <JSON when the response is JSON, else text>,
  "StatusCode": 200, "StatusText": "OK"}` (AWS's TestState example: header names in lower case, each value a
  list).
- A response that is not 2xx fails the task with `States.Http.StatusCode.<code>`; the cause is that output
  as JSON (Sojourn's choice: AWS does not document the cause). The 60 s timeout is `States.Http.Socket`, and
  Sojourn names a refused or broken connection so too. A response of `application/octet-stream`, `image/*`,
  `video/*`, `audio/*` or not text fails with States.Runtime. A connection problem is
  `Events.ConnectionResource.<...>` (ResourceNotFound for a connection Sojourn was not given).

Sojourn's own: the task may go without `Authentication` (plain http:// to local services); redirects are not
followed (AWS does not say), so a 3xx is `States.Http.StatusCode.3xx`; a body over 256 KiB fails with
States.DataLimitExceeded. Secrets (the connection's key, password, client secret and tokens) go only onto
the wire: never into a log line, a cause or the history, which keeps the Parameters the definition gave.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from sojourn.asl import httptask
from sojourn.asl.errors import DataLimitExceeded, StatesError, Timeout
from sojourn.connections import HttpConnection
from sojourn.integrations.base import Facilities, TaskCall

__all__ = ["RESPONSE_LIMIT", "invoke"]

log = logging.getLogger("sojourn.integrations.http")
RESPONSE_LIMIT = 262144  # bytes: AWS asks for no more (Range: bytes=0-262144), the payload quota is 256 KiB
_UNSUPPORTED_TYPES = ("application/octet-stream", "image/", "video/", "audio/")


def invoke(call: TaskCall, facilities: Facilities) -> Any:
    """Send the request the task's Parameters describe; AWS's output, or raises StatesError."""
    parameters = call.parameters
    if not isinstance(parameters, dict):
        raise _runtime("The HTTP Task's Parameters must be an object with ApiEndpoint and Method")
    problems = httptask.check(parameters)
    if problems:
        raise _runtime(problems[0][1])
    connection = _connection(parameters, facilities)
    settings = facilities.settings
    limit = settings.http_timeout
    cut_short = call.timeout_seconds is not None and call.timeout_seconds < limit
    if cut_short and call.timeout_seconds is not None:
        limit = call.timeout_seconds
    transport = facilities.http_transport or httpx.HTTPTransport(trust_env=False)
    try:
        request = _request(parameters, connection, facilities, transport, limit)
        log.debug("HTTP Task %s %s", request.method, _where(request.url))
        response, content = _send(transport, request, limit, cut_short)
    finally:
        if transport is not facilities.http_transport:
            transport.close()  # its own connection pool: one task, one call
    if response.status_code == 401 and connection is not None and connection.token_url:
        facilities.http_tokens.forget(connection)  # a revoked token is fetched again on the next attempt
    output = _output(response, content)
    if not 200 <= response.status_code < 300:
        raise StatesError(f"States.Http.StatusCode.{response.status_code}", json.dumps(output))
    return output


def _runtime(cause: str) -> StatesError:
    return StatesError("States.Runtime", cause)


def _connection(parameters: dict[str, Any], facilities: Facilities) -> HttpConnection | None:
    """The connection the ConnectionArn names (None without one: Sojourn's relaxation)."""
    arn = httptask.connection_arn(parameters)
    if arn is None:
        return None
    name = httptask.connection_name(arn)
    if name is None:
        raise _runtime(f"The ConnectionArn {arn!r} is not an EventBridge connection ARN")
    connection = facilities.settings.http_connections.get(name)
    if connection is None:
        raise StatesError(
            "Events.ConnectionResource.ResourceNotFound",
            f"Connection '{name}' ({arn}) was not found: declare it under 'connections' in the app manifest",
        )
    return connection


def _request(
    parameters: dict[str, Any],
    connection: HttpConnection | None,
    facilities: Facilities,
    transport: httpx.BaseTransport,
    limit: float,
) -> httpx.Request:
    """The request to send. Built and sent without an httpx.Client: no default headers (AWS sends none of
    Accept-Encoding and the like), no redirects followed, and no INFO line of httpx's with the query."""
    endpoint, method = parameters["ApiEndpoint"], parameters["Method"]
    headers = _headers(parameters.get("Headers"))
    query = _query(parameters.get("QueryParameters"))
    body = parameters.get("RequestBody")
    if connection is not None:
        headers = _merged(headers, connection.headers, fold=True)
        query = _merged(query, connection.query)
        if connection.body:
            if isinstance(body, str):
                raise _runtime("A string RequestBody cannot be merged with the connection's body parameters")
            body = {**(body if isinstance(body, dict) else {}), **dict(connection.body)}
    content = _content(body, parameters.get("Transform"), headers)
    if connection is not None:
        headers += _authorization(connection, facilities, transport, limit)
    headers += [
        ("User-Agent", f"Amazon|StepFunctions|HttpInvoke|{facilities.region}"),
        ("Range", f"bytes=0-{RESPONSE_LIMIT}"),
    ]
    url = endpoint
    if query:
        url += ("&" if "?" in endpoint else "?") + "&".join(
            f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query
        )
    try:
        return httpx.Request(method, url, headers=headers, content=content, extensions=_timeout(limit))
    except (httpx.InvalidURL, ValueError) as e:
        raise _runtime(f"The ApiEndpoint cannot be called: {e}") from None


def _timeout(limit: float) -> dict[str, Any]:
    return {"timeout": httpx.Timeout(limit).as_dict()}


def _headers(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise _runtime("The field 'Headers' must be an object")
    forbidden = httptask.forbidden_headers(value)
    if forbidden:
        raise _runtime(f"The 'Headers' field contains unsupported values: [{', '.join(forbidden)}]")
    return [
        (str(k), ",".join(map(httptask.scalar, v)) if isinstance(v, list) else httptask.scalar(v))
        for k, v in value.items()
    ]


def _query(value: Any) -> list[tuple[str, str]]:
    """QueryParameters as (name, value) pairs: an object (a list value repeats its key), a string such as
    `a=1&b=2`, or a list of objects."""
    if value is None:
        return []
    if isinstance(value, str):
        return [(k, v) for k, _, v in (part.partition("=") for part in value.lstrip("?").split("&") if part)]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return [pair for item in value for pair in _query(item)]
    if not isinstance(value, dict):
        raise _runtime("The field 'QueryParameters' must be an object, a string or an array of objects")
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            pairs.append((str(key), httptask.scalar(one)))
    return pairs


def _merged(
    ours: list[tuple[str, str]], theirs: tuple[tuple[str, str], ...], fold: bool = False
) -> list[tuple[str, str]]:
    """`ours` with every key `theirs` also has replaced by theirs (AWS: the connection's values win);
    header names compare without case."""

    def key(name: str) -> str:
        return name.lower() if fold else name

    replaced = {key(name) for name, _ in theirs}
    return [(k, v) for k, v in ours if key(k) not in replaced] + list(theirs)


def _content(body: Any, transform: Any, headers: list[tuple[str, str]]) -> bytes | None:
    """The request body, and a Content-Type when the definition gave none."""
    if body is None:
        return None
    transform = transform if isinstance(transform, dict) else {}
    options = transform.get("RequestEncodingOptions") or {}
    has_type = any(name.lower() == "content-type" for name, _ in headers)
    if transform.get("RequestBodyEncoding") == "URL_ENCODED" and isinstance(body, dict):
        if not has_type:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        return httptask.form_encode(body, options.get("ArrayFormat") or "INDICES").encode()
    if not has_type:
        headers.append(("Content-Type", "application/json; charset=UTF-8"))
    return (body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))).encode()


def _authorization(
    connection: HttpConnection, facilities: Facilities, transport: httpx.BaseTransport, limit: float
) -> list[tuple[str, str]]:
    if connection.authorization == "API_KEY":
        return [(connection.api_key_name, connection.api_key_value)]
    if connection.authorization == "BASIC":
        pair = f"{connection.username}:{connection.password}".encode()
        return [("Authorization", "Basic " + base64.b64encode(pair).decode("ascii"))]
    token = facilities.http_tokens.token(
        connection, facilities.clock(), lambda: _fetch_token(connection, transport, limit)
    )
    return [("Authorization", f"Bearer {token}")]


def _fetch_token(
    connection: HttpConnection, transport: httpx.BaseTransport, limit: float
) -> tuple[str, float | None]:
    """An OAuth client-credentials token (RFC 6749 section 4.4): (access token, lifetime in seconds)."""
    form = {"grant_type": "client_credentials"}
    if connection.scopes:
        form["scope"] = " ".join(connection.scopes)
    pair = f"{connection.client_id}:{connection.client_secret}".encode()
    headers = {
        "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
        "Accept": "application/json",
    }
    if connection.token_method == "GET":
        request = httpx.Request(
            "GET", connection.token_url, params=form, headers=headers, extensions=_timeout(limit)
        )
    else:
        request = httpx.Request(
            connection.token_method,
            connection.token_url,
            data=form,
            headers=headers,
            extensions=_timeout(limit),
        )
    try:
        response = transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
    except httpx.HTTPError as e:
        raise _unauthorised(
            connection, f"the token endpoint could not be reached ({type(e).__name__})"
        ) from None
    if response.status_code != 200:
        raise _unauthorised(connection, f"the token endpoint answered {response.status_code}")
    try:
        answer = response.json()
        token = answer["access_token"]
        lifetime = answer.get("expires_in")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _unauthorised(connection, "the token endpoint's answer has no access_token") from None
    if not isinstance(token, str) or not token:
        raise _unauthorised(connection, "the token endpoint's answer has no access_token")
    return token, float(lifetime) if isinstance(lifetime, (int, float)) else None


def _unauthorised(connection: HttpConnection, why: str) -> StatesError:
    return StatesError(
        "Events.ConnectionResource.InvalidConnectionState",
        f"Connection '{connection.name}' could not be authorized: {why} ({_where(connection.token_url)})",
    )


def _send(
    transport: httpx.BaseTransport, request: httpx.Request, limit: float, cut_short: bool
) -> tuple[httpx.Response, bytes]:
    """Send `request`; the response and its body, at most RESPONSE_LIMIT bytes, all within `limit` seconds."""
    deadline = time.monotonic() + limit
    try:
        response = transport.handle_request(request)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > RESPONSE_LIMIT:
                    raise DataLimitExceeded(
                        cause=f"The HTTP response body exceeds the maximum of {RESPONSE_LIMIT} bytes "
                        f"({_where(request.url)})"
                    )
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the response took too long", request=request)
        finally:
            response.close()
    except httpx.TimeoutException:
        if cut_short:
            raise Timeout() from None  # the Task's TimeoutSeconds ran out before the HTTP Task's own
        raise StatesError(
            "States.Http.Socket",
            f"The HTTP request to {_where(request.url)} timed out after {limit:g} seconds",
        ) from None
    except httpx.TransportError as e:
        raise StatesError(
            "States.Http.Socket", f"The HTTP request to {_where(request.url)} failed: {type(e).__name__}: {e}"
        ) from None
    return response, bytes(body)


def _output(response: httpx.Response, content: bytes) -> dict[str, Any]:
    """AWS's output of an HTTP Task; States.Runtime for a response that is not text."""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media.startswith(_UNSUPPORTED_TYPES):
        raise _runtime(f"The HTTP response has an unsupported content-type: {media}")
    try:
        text = content.decode(response.charset_encoding or "utf-8")
    except (UnicodeDecodeError, LookupError):
        raise _runtime("The HTTP response body can't be read as a valid string") from None
    body: Any = text
    if media == "application/json" or media.endswith("+json"):
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        headers.setdefault(name, []).append(value)
    return {
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": response.status_code,
        "StatusText": response.reason_phrase,
    }


def _where(url: object) -> str:
    """`url` without its query (connection parameters may be secret): scheme, host and path."""
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
