"""API Gateway's REST proxy integration: the event a function receives and the response it returns.

Shapes follow "Input format of a Lambda function for proxy integration" and "Output format of a Lambda
function for proxy integration" in the API Gateway developer guide (REST APIs, payload format 1.0).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

STAGE = "$default"


def header_name(name: str) -> str:
    """`content-type` -> `Content-Type`: ASGI lowercases names; HTTP/1.1 clients send them capitalised."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def proxy_event(
    request: Request, resource: str, body: bytes, account_id: str, request_id: str
) -> dict[str, Any]:
    """The REST proxy event for `request` matched by the route template `resource`."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for raw_name, raw_value in request.headers.raw:
        name, value = header_name(raw_name.decode("latin-1")), raw_value.decode("latin-1")
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    text, encoded = _body(body)
    now = datetime.now(UTC)
    client = request.client
    return {
        "resource": resource,
        "path": request.url.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(request.path_params) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, resource).hex[:6],
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": request.url.path,
            "accountId": account_id,
            "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}",
            "stage": STAGE,
            "domainPrefix": (request.url.hostname or "localhost").split(".")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": client.host if client else "127.0.0.1",
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.headers.get("user-agent"),
                "user": None,
            },
            "domainName": request.url.hostname or "localhost",
            "apiId": "sojourn",
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _body(body: bytes) -> tuple[str | None, bool]:
    """Text bodies pass as they are; others base64-encoded (as for an API with binary media types)."""
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def internal_error() -> JSONResponse:
    """What API Gateway answers when the function failed or its answer is malformed."""
    return JSONResponse({"message": "Internal server error"}, status_code=502)


def proxy_response(result: Any, request_id: str) -> Response:
    """The HTTP response for a function's proxy answer; 502 when the answer is malformed."""
    if not isinstance(result, dict):
        return internal_error()
    status = result.get("statusCode", 200)
    body = result.get("body")
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    try:
        status = int(status)
        if (
            (body is not None and not isinstance(body, str))
            or not isinstance(headers, dict)
            or not isinstance(multi, dict)
        ):
            raise ValueError
        content = base64.b64decode(body) if body and result.get("isBase64Encoded") else (body or "").encode()
    except (TypeError, ValueError):
        return internal_error()
    # multiValueHeaders win over headers of the same name (API Gateway merges them so).
    merged = {name.lower(): [str(value)] for name, value in headers.items()}
    merged.update(
        {
            name.lower(): [str(v) for v in (values if isinstance(values, list) else [values])]
            for name, values in multi.items()
        }
    )
    merged.setdefault("content-type", ["application/json"])
    merged["x-amzn-requestid"] = [request_id]
    response = Response(content, status_code=status)
    response.raw_headers += [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, values in merged.items()
        for value in values
    ]
    return response


def parse_json_body(body: bytes) -> Any:
    """The request's JSON; raises ValueError with API Gateway's message for a body that is not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Could not parse request body into json: {exc}") from None
