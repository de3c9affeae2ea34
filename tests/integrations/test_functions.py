"""Functions in real worker processes and the Task resources that call them (issue 5, items 1-3)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from sojourn.asl.errors import StatesError
from sojourn.functions import Function, FunctionPool, function_logs
from sojourn.integrations import TaskCall, resolve
from sojourn.integrations import functions as lambda_integration
from sojourn.integrations.base import Facilities

HANDLERS = """
import logging
import os
import sys
import time


class LeaveRefused(Exception):
    pass


def handler(event, context):
    print("got", event)
    logging.getLogger("app").warning("careful")
    action = event.get("do") if isinstance(event, dict) else None
    if action == "raise":
        raise LeaveRefused("no days left")
    if action == "die":
        os._exit(7)
    if action == "exit":
        sys.exit(2)
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "unserialisable":
        return {1, 2}
    return {
        "color": os.environ.get("COLOR"),
        "secret": os.environ.get("SERVER_SECRET"),
        "pid": os.getpid(),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL_SFN"),
        "key": os.environ.get("AWS_ACCESS_KEY_ID"),
        "region": os.environ.get("AWS_REGION"),
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "app.py").write_text(textwrap.dedent(HANDLERS))
    return folder


@pytest.fixture
def pool(code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SERVER_SECRET", "the server's own")
    pool = FunctionPool(
        [
            Function("red", "app.handler", code, {"COLOR": "red"}, timeout=5, memory=256),
            Function("blue", "app.handler", code, {"COLOR": "blue"}, timeout=1),
            Function("byPath", f"{code / 'app.py'}:handler", tmp_path, {"COLOR": "green"}),
        ],
        endpoint_url="http://127.0.0.1:9999",
        data_dir=tmp_path / "data",
    )
    yield pool
    pool.close()


def services(pool: FunctionPool) -> Facilities:
    return Facilities(functions=pool)


def task(resource: str, parameters, timeout: float | None = None) -> TaskCall:
    return TaskCall(
        resource=resource,
        parameters=parameters,
        timeout_seconds=timeout,
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e",
        state_name="Call",
    )


def test_each_function_sees_only_its_own_environment_and_the_sojourn_endpoint(pool):
    red, blue = pool.invoke("red", {}).result, pool.invoke("blue", {}).result
    assert (red["color"], blue["color"]) == ("red", "blue")
    assert red["pid"] != blue["pid"]
    assert red["secret"] is None  # the server's environment does not leak
    assert red["endpoint"] == "http://127.0.0.1:9999" and red["key"] and red["region"] == "us-east-1"
    assert pool.invoke("byPath", {}).result["color"] == "green"


def test_with_an_api_key_functions_get_their_own_credential_never_the_key(code, tmp_path):
    from sojourn.config import Settings
    from sojourn.functions.pool import sojourn_environment

    settings = Settings(api_key="the API key", db_url=f"sqlite:///{tmp_path}/s.db", data_dir=str(tmp_path))
    pool = FunctionPool([Function("red", "app.handler", code)], environment=sojourn_environment(settings))
    try:
        key = pool.invoke("red", {}).result["key"]
    finally:
        pool.close()
    assert key == settings.function_credential and "the API key" not in key
    assert "the API key" not in json.dumps(sojourn_environment(settings))


def test_the_context_object_has_lambdas_fields(pool):
    context = pool.invoke("red", {}).result["context"]
    assert context["function_name"] == "red" and context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:red"
    assert context["memory_limit_in_mb"] == 256
    assert context["log_group_name"] == "/aws/lambda/red" and "[$LATEST]" in context["log_stream_name"]
    assert len(context["aws_request_id"]) == 36
    assert 0 < context["remaining"] <= 5000


def test_workers_stay_warm_between_calls(pool):
    assert pool.invoke("red", {}).result["pid"] == pool.invoke("red", {}).result["pid"]


def test_a_handler_error_is_reported_as_lambda_does(pool):
    outcome = pool.invoke("red", {"do": "raise"})
    assert outcome.status == "failed"
    assert outcome.error["errorType"] == "LeaveRefused" and outcome.error["errorMessage"] == "no days left"
    assert any("in handler" in frame for frame in outcome.error["stackTrace"])


def test_a_crash_kills_only_that_worker_and_the_next_call_works(pool):
    other = pool.invoke("blue", {}).result["pid"]
    before = pool.invoke("red", {}).result["pid"]
    outcome = pool.invoke("red", {"do": "die"})
    assert outcome.status == "crashed" and "exit status 7" in outcome.error["errorMessage"]
    after = pool.invoke("red", {}).result["pid"]
    assert after != before
    assert pool.invoke("blue", {}).result["pid"] == other


def test_a_timeout_kills_the_worker_and_the_next_call_works(pool):
    outcome = pool.invoke("blue", {"do": "sleep", "seconds": 30})
    assert outcome.status == "timed_out"
    assert "Task timed out after 1.00 seconds" in outcome.error["errorMessage"]
    assert outcome.duration_ms < 3000
    assert pool.invoke("blue", {}).ok


def test_print_and_logging_are_kept_per_invocation(pool, tmp_path):
    first = pool.invoke("red", {"n": 1})
    second = pool.invoke("red", {"n": 2})
    assert "got {'n': 1}" in first.log and "got {'n': 2}" not in first.log
    assert "[WARNING]" in second.log and second.request_id in second.log and "careful" in second.log
    assert first.log.startswith(f"START RequestId: {first.request_id}") and "REPORT RequestId" in first.log
    stored = function_logs(tmp_path / "data", "red")
    assert [r["requestId"] for r in stored] == [first.request_id, second.request_id]
    assert pool.logs("red")[-1]["log"] == second.log


def test_an_unserialisable_result_is_a_marshal_error(pool):
    assert pool.invoke("red", {"do": "unserialisable"}).error["errorType"] == "Runtime.MarshalError"


def test_a_missing_handler_is_an_import_error_on_every_call(code):
    pool = FunctionPool([Function("broken", "nowhere.handler", code)])
    try:
        for _ in range(2):
            assert pool.invoke("broken", {}).error["errorType"] == "Runtime.ImportModuleError"
    finally:
        pool.close()


# --- the Task resources ----------------------------------------------------------------------------


def test_resources_resolve_to_the_functions_integration():
    for resource in (
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:lambda:us-east-1:123456789012:function:red",
    ):
        assert resolve(resource) is lambda_integration


def test_lambda_invoke_returns_lambdas_envelope(pool):
    result = lambda_integration.invoke(
        task("arn:aws:states:::lambda:invoke", {"FunctionName": "red", "Payload": {"n": 1}}), services(pool)
    )
    assert set(result) == {
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    }
    assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert result["Payload"]["color"] == "red"
    request_id = result["Payload"]["context"]["aws_request_id"]
    assert result["SdkResponseMetadata"] == {"RequestId": request_id}
    metadata = result["SdkHttpMetadata"]
    assert metadata["HttpStatusCode"] == 200 and metadata["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert metadata["AllHttpHeaders"]["X-Amz-Executed-Version"] == ["$LATEST"]


def test_function_name_may_be_an_arn_and_a_bare_arn_returns_the_payload(pool):
    arn = "arn:aws:lambda:us-east-1:123456789012:function:blue"
    wrapped = lambda_integration.invoke(
        task("arn:aws:states:::lambda:invoke", {"FunctionName": arn, "Payload": {}}), services(pool)
    )
    assert wrapped["Payload"]["color"] == "blue"
    assert lambda_integration.invoke(task(arn, {}), services(pool))["color"] == "blue"


def test_a_handler_exception_fails_the_task_with_its_type_name_and_lambdas_error_as_cause(pool):
    with pytest.raises(StatesError) as failure:
        lambda_integration.invoke(
            task("arn:aws:lambda:us-east-1:123456789012:function:red", {"do": "raise"}), services(pool)
        )
    assert failure.value.error == "LeaveRefused"
    cause = json.loads(failure.value.cause)
    assert (
        cause["errorType"] == "LeaveRefused"
        and cause["errorMessage"] == "no days left"
        and cause["stackTrace"]
    )


@pytest.mark.parametrize("event", [{"do": "die"}, {"do": "sleep", "seconds": 30}])
def test_crashes_and_function_timeouts_are_lambda_unknown(pool, event):
    with pytest.raises(StatesError) as failure:
        lambda_integration.invoke(
            task("arn:aws:states:::lambda:invoke", {"FunctionName": "blue", "Payload": event}), services(pool)
        )
    assert failure.value.error == "Lambda.Unknown"
    assert "did not return an error type" in failure.value.cause


def test_a_task_timeout_shorter_than_the_functions_is_states_timeout(pool):
    call = task(
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": "red", "Payload": {"do": "sleep", "seconds": 30}},
        timeout=0.5,
    )
    with pytest.raises(StatesError) as failure:
        lambda_integration.invoke(call, services(pool))
    assert failure.value.error == "States.Timeout"


def test_an_unknown_function_is_resource_not_found(pool):
    with pytest.raises(StatesError) as failure:
        lambda_integration.invoke(
            task("arn:aws:states:::lambda:invoke", {"FunctionName": "nobody"}), services(pool)
        )
    assert failure.value.error == "Lambda.ResourceNotFoundException"
    assert "arn:aws:lambda:us-east-1:123456789012:function:nobody" in failure.value.cause
