"""The HTTP Task's request, as AWS defines it (`arn:aws:states:::http:invoke`), checked and encoded.

From "Call HTTPS APIs in Step Functions workflows" (docs.aws.amazon.com/step-functions/latest/dg/
call-https-apis.html; notes in tests/data/http_task/SOURCES.md):

- `ApiEndpoint` and `Method` (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD) are required;
  `Authentication.ConnectionArn` (or `InvocationConfig.ConnectionArn`) names an EventBridge connection;
  `Headers`, `QueryParameters`, `RequestBody` and `Transform` are optional.
- The headers in `FORBIDDEN_HEADERS` (and the `x-forwarded-`, `x-amz-`, `x-amzn-` prefixes) fail the task
  with States.Runtime; AWS's validator names them too ("The 'Headers' field contains unsupported values").
- `Transform.RequestBodyEncoding` is NONE (JSON, the default) or URL_ENCODED;
  `Transform.RequestEncodingOptions.ArrayFormat` is INDICES (default), REPEAT, COMMAS or BRACKETS.

`check()` judges a definition's static Parameters (validation); `form_encode()` is URL_ENCODED's encoding.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

__all__ = [
    "ARRAY_FORMATS",
    "BODY_ENCODINGS",
    "FORBIDDEN_HEADERS",
    "METHODS",
    "check",
    "connection_arn",
    "connection_name",
    "forbidden_headers",
    "form_encode",
]

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
BODY_ENCODINGS = ("NONE", "URL_ENCODED")
ARRAY_FORMATS = ("INDICES", "REPEAT", "COMMAS", "BRACKETS")
FORBIDDEN_HEADERS = frozenset(
    name.lower()
    for name in (
        "A-IM", "Accept-Charset", "Accept-Datetime", "Accept-Encoding", "Authorization", "Cache-Control",
        "Connection", "Content-Encoding", "Content-MD5", "Date", "Expect", "Forwarded", "From", "Host",
        "HTTP2-Settings", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since",
        "Max-Forwards", "Origin", "Pragma", "Proxy-Authorization", "Referer", "Server", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Via", "Warning",
    )
)  # fmt: skip
FORBIDDEN_PREFIXES = ("x-forwarded-", "x-amz-", "x-amzn-")
_CONNECTION_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:events:[a-z0-9-]+:\d{12}:connection/(?P<name>[\.\-_A-Za-z0-9]{1,64})/[0-9a-f-]+"
)


def connection_name(arn: object) -> str | None:
    """The `<name>` of an EventBridge connection ARN, or None when `arn` is not one."""
    match = _CONNECTION_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return match["name"] if match else None


def connection_arn(parameters: Any) -> Any:
    """The ConnectionArn the Parameters give (`Authentication` or `InvocationConfig`), or None."""
    if not isinstance(parameters, dict):
        return None
    for key in ("InvocationConfig", "Authentication"):
        block = parameters.get(key)
        if isinstance(block, dict) and "ConnectionArn" in block:
            return block["ConnectionArn"]
    return None


def forbidden_headers(headers: dict[str, Any]) -> list[str]:
    """The header names (lower case, as AWS reports them) an HTTP Task may not set."""
    return [
        name.lower()
        for name in headers
        if name.lower() in FORBIDDEN_HEADERS or name.lower().startswith(FORBIDDEN_PREFIXES)
    ]


def check(parameters: Any) -> list[tuple[str, str]]:
    """(field, message) for each mistake in static Parameters; paths (`X.$`) are judged at run time."""
    if not isinstance(parameters, dict):
        return [("", "The HTTP Task's Parameters must be an object with ApiEndpoint and Method")]
    problems: list[tuple[str, str]] = []
    for name in ("ApiEndpoint", "Method"):
        if name not in parameters and f"{name}.$" not in parameters:
            problems.append((name, f"The field '{name}' is required by arn:aws:states:::http:invoke"))
    endpoint = _static(parameters.get("ApiEndpoint"))
    if endpoint is not None and not (isinstance(endpoint, str) and re.match(r"https?://[^/?#]", endpoint)):
        problems.append(("ApiEndpoint", "The field 'ApiEndpoint' must be an http:// or https:// URL"))
    method = _static(parameters.get("Method"))
    if method is not None and method not in METHODS:
        problems.append(("Method", f"The field 'Method' must be one of {', '.join(METHODS)}"))
    for key in ("Authentication", "InvocationConfig"):
        if _static(parameters.get(key)) is not None:
            problems += _connection(parameters[key], key)
    headers = parameters.get("Headers")
    if isinstance(headers, dict):
        forbidden = forbidden_headers({k.removesuffix(".$"): v for k, v in headers.items()})
        if forbidden:
            problems.append(
                ("Headers", f"The 'Headers' field contains unsupported values: [{', '.join(forbidden)}]")
            )
    elif _static(headers) is not None:
        problems.append(("Headers", "The field 'Headers' must be an object"))
    if _static(parameters.get("Transform")) is not None:
        problems += _transform(parameters["Transform"])
    return problems


def _static(value: Any) -> Any:
    """`value`, or None when it is a JSONata expression (`{% ... %}`), judged only when evaluated."""
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        return None
    return value


def _connection(block: Any, key: str) -> list[tuple[str, str]]:
    if not isinstance(block, dict):
        return [(key, f"The field '{key}' must be an object with ConnectionArn")]
    if "ConnectionArn" not in block and "ConnectionArn.$" not in block:
        return [(f"{key}.ConnectionArn", f"The field 'ConnectionArn' is required in '{key}'")]
    arn = _static(block.get("ConnectionArn"))
    if arn is not None and connection_name(arn) is None:
        return [
            (
                f"{key}.ConnectionArn",
                "The field 'ConnectionArn' must be an EventBridge connection ARN "
                "(arn:aws:events:<region>:<account>:connection/<name>/<id>)",
            )
        ]
    return []


def _transform(transform: Any) -> list[tuple[str, str]]:
    if not isinstance(transform, dict):
        return [("Transform", "The field 'Transform' must be an object")]
    problems: list[tuple[str, str]] = []
    for key in sorted(set(transform) - {"RequestBodyEncoding", "RequestEncodingOptions"}):
        problems.append((f"Transform.{key}", f"The field '{key}' is not supported in 'Transform'"))
    encoding = _static(transform.get("RequestBodyEncoding"))
    if encoding is not None and encoding not in BODY_ENCODINGS:
        problems.append(
            (
                "Transform.RequestBodyEncoding",
                f"The field 'RequestBodyEncoding' must be {' or '.join(BODY_ENCODINGS)}",
            )
        )
    options = transform.get("RequestEncodingOptions")
    if options is not None:
        if not isinstance(options, dict):
            problems.append(
                ("Transform.RequestEncodingOptions", "The field 'RequestEncodingOptions' must be an object")
            )
        elif _static(options.get("ArrayFormat")) not in (None, *ARRAY_FORMATS):
            problems.append(
                (
                    "Transform.RequestEncodingOptions.ArrayFormat",
                    f"The field 'ArrayFormat' must be one of {', '.join(ARRAY_FORMATS)}",
                )
            )
    return problems


def form_encode(body: dict[str, Any], array_format: str = "INDICES") -> str:
    """`body` as application/x-www-form-urlencoded, nested objects as `a[b]=`, arrays as `array_format` says
    (AWS's examples: INDICES `array[0]=a&array[1]=b`, REPEAT `array=a&array=b`, COMMAS `array=a,b`,
    BRACKETS `array[]=a&array[]=b`); spaces are `%20`, as in AWS's example request."""
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        _flatten(str(key), value, array_format, pairs)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _flatten(key: str, value: Any, array_format: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _flatten(f"{key}[{name}]", item, array_format, out)
    elif isinstance(value, list):
        if array_format == "COMMAS" and not any(isinstance(item, (dict, list)) for item in value):
            out.append((key, ",".join(scalar(item) for item in value)))
            return
        for index, item in enumerate(value):
            name = {"REPEAT": key, "BRACKETS": f"{key}[]"}.get(array_format, f"{key}[{index}]")
            _flatten(name, item, array_format, out)
    else:
        out.append((key, scalar(value)))


def scalar(value: Any) -> str:
    """A JSON scalar as it goes into a query string or form: strings as they are, others as JSON writes them
    (true, 3.5); null as an empty string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
