"""Task resources that call functions: `arn:aws:states:::lambda:invoke[.waitForTaskToken]` and a bare
function ARN (`arn:aws:lambda:<region>:<account>:function:<name>`).

Results and errors follow Step Functions' Lambda integration ("Invoke an AWS Lambda function with Step
Functions", "Handling Lambda service exceptions"): the optimised integration returns Lambda's Invoke
response (`ExecutedVersion`, `Payload`, `SdkHttpMetadata`, `SdkResponseMetadata`, `StatusCode`), a bare
ARN returns the payload; a handler's exception fails the task with its type name and Lambda's error
object as the cause; unhandled failures (timeouts, crashes) are `Lambda.Unknown`.
"""

from __future__ import annotations

import json
import threading
import uuid
from email.utils import formatdate
from typing import Any

from sojourn import arns
from sojourn.asl.errors import StatesError, TaskFailed, Timeout
from sojourn.asl.resources import Kind
from sojourn.functions import FunctionPool, Invocation
from sojourn.integrations.base import Facilities, TaskCall


def invoke(call: TaskCall, facilities: Facilities) -> Any:
    """Run the function the task names; the task's result, or raises StatesError."""
    pool: FunctionPool | None = facilities.functions
    optimised = call.target.kind is Kind.SERVICE  # arn:aws:states:::lambda:invoke, not a function's own ARN
    if optimised:
        params = call.parameters if isinstance(call.parameters, dict) else {}
        name = params.get("FunctionName")
        if not isinstance(name, str) or not name:
            raise TaskFailed(cause="The field 'FunctionName' is required by arn:aws:states:::lambda:invoke")
        payload = params.get("Payload")
        asynchronous = params.get("InvocationType") == "Event"
    else:
        name, payload, asynchronous = call.resource, call.parameters, False
    function = pool.get(name) if pool is not None else None
    if pool is None or function is None:
        raise StatesError("Lambda.ResourceNotFoundException", _not_found(name, facilities))
    if asynchronous:
        # Lambda queues the event and answers 202 at once with an empty payload.
        threading.Thread(target=pool.invoke, args=(name, payload), daemon=True).start()
        return _envelope(str(uuid.uuid4()), 202, "")
    outcome = pool.invoke(name, payload, timeout=call.timeout_seconds)
    _raise_for(
        outcome, task_cut_short=call.timeout_seconds is not None and outcome.timeout < function.timeout
    )
    if optimised:
        return _envelope(outcome.request_id, 200, outcome.result)
    return outcome.result


def _raise_for(outcome: Invocation, task_cut_short: bool) -> None:
    """Raise what Step Functions reports for a failed invocation (nothing when it succeeded)."""
    if outcome.ok:
        return
    if outcome.status == "timed_out" and task_cut_short:
        raise Timeout()  # the Task's TimeoutSeconds ran out before the function's own timeout
    error = outcome.error or {}
    if outcome.status in ("timed_out", "crashed"):
        # Lambda did not return an error type (Step Functions' words); retried as Lambda.Unknown.
        raise StatesError(
            "Lambda.Unknown",
            "The cause could not be determined because Lambda did not return an error type. "
            f"Returned payload: {json.dumps({'errorMessage': error.get('errorMessage', '')})}",
        )
    raise StatesError(str(error.get("errorType") or "Lambda.Unknown"), json.dumps(error))


def _not_found(name: str, facilities: Facilities) -> str:
    arn = (
        name if name.startswith("arn:") else arns.function_arn(name, facilities.region, facilities.account_id)
    )
    return (
        f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: "
        "ResourceNotFoundException; Request ID: 00000000-0000-0000-0000-000000000000; Proxy: null)"
    )


def _envelope(request_id: str, status: int, payload: Any) -> dict[str, Any]:
    """Lambda's Invoke response as the optimised integration hands it to the state."""
    body = json.dumps(payload)
    date = formatdate(usegmt=True)
    headers = {
        "Connection": "keep-alive",
        "Content-Length": str(len(body.encode())),
        "Content-Type": "application/json",
        "Date": date,
        "X-Amz-Executed-Version": "$LATEST",
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id,
    }
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {key: [value] for key, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status,
    }
