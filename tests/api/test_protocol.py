"""The AWS JSON 1.0 layer over real HTTP with real boto3: validation, serialisation, errors, auth.

The client behind it is a small recording double: these tests pin the protocol, not the engine
(the engine's behaviour through the same layer is tested in tests/e2e/test_api_*.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import httpx
import pytest
from botocore.config import Config

from sojourn import errors
from sojourn.asl.validate import validate
from sojourn.config import Settings

from .conftest import serving

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Hello"
STARTED = datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)


class RecordingClient:
    """Answers like `sojourn.Client` would; remembers the keyword arguments it was called with."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def start_execution(self, **kwargs):
        self.calls.append(("start_execution", kwargs))
        if kwargs.get("name") == "taken":
            raise errors.ExecutionAlreadyExists("Execution Already Exists: 'taken'")
        return {
            "executionArn": ARN.replace("stateMachine", "execution") + ":run",
            "startDate": STARTED,
            "extra": 1,
        }

    def describe_execution(self, **kwargs):
        raise errors.ExecutionDoesNotExist(f"Execution Does Not Exist: '{kwargs['executionArn']}'")

    def list_state_machines(self, maxResults=0, nextToken=None):
        names = [f"m{i:02}" for i in range(5)]
        start = int(nextToken or 0)
        page = names[start : start + (maxResults or 100)]
        end = start + len(page)
        answer = {
            "stateMachines": [
                {"stateMachineArn": f"{ARN[:-5]}{n}", "name": n, "type": "STANDARD", "creationDate": STARTED}
                for n in page
            ]
        }
        if end < len(names):
            answer["nextToken"] = str(end)
        return answer

    def validate_state_machine_definition(self, definition, **kwargs):
        diagnostics = [d.to_dict() for d in validate(json.loads(definition))]
        return {"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics, "truncated": False}

    def send_task_success(self, **kwargs):
        raise RuntimeError("a bug")

    def list_executions(self, **kwargs):
        return {"executions": []}

    def create_state_machine_alias(self, **kwargs):
        raise AssertionError("never reached: the name breaks the model's pattern")


@pytest.fixture(scope="module")
def recorder():
    return RecordingClient()


@pytest.fixture(scope="module")
def endpoint(recorder):
    with serving(recorder) as url:
        yield url


def sfn(url: str, key: str = "test"):
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def post(url: str, action: str, body: bytes | str, **headers) -> httpx.Response:
    return httpx.post(
        url,
        content=body,
        headers={
            "X-Amz-Target": f"AWSStepFunctions.{action}",
            "Content-Type": "application/x-amz-json-1.0",
            **headers,
        },
    )


def test_boto3_call_reaches_the_client_with_its_keyword_arguments(endpoint, recorder):
    answer = sfn(endpoint).start_execution(stateMachineArn=ARN, name="first", input='{"a": 1}')
    assert answer["executionArn"].endswith(":execution:Hello:run")
    assert answer["startDate"] == STARTED
    assert "extra" not in answer
    assert recorder.calls[-1] == (
        "start_execution",
        {"stateMachineArn": ARN, "name": "first", "input": '{"a": 1}'},
    )


def test_timestamps_travel_as_epoch_seconds(endpoint):
    raw = post(endpoint, "StartExecution", json.dumps({"stateMachineArn": ARN}))
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/x-amz-json-1.0")
    assert raw.json()["startDate"] == STARTED.timestamp()
    assert raw.headers["x-amzn-requestid"]


def test_client_errors_become_the_boto3_exception_classes(endpoint):
    client = sfn(endpoint)
    with pytest.raises(client.exceptions.ExecutionDoesNotExist, match="Execution Does Not Exist"):
        client.describe_execution(executionArn=ARN.replace("stateMachine", "execution") + ":nope")
    with pytest.raises(client.exceptions.ExecutionAlreadyExists) as raised:
        client.start_execution(stateMachineArn=ARN, name="taken")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_missing_required_members_are_a_validation_exception_in_aws_words(endpoint, recorder):
    before = len(recorder.calls)
    answer = post(endpoint, "StartExecution", "{}")
    assert answer.status_code == 400
    assert answer.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: "
        "Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
    }
    assert len(recorder.calls) == before


def test_lengths_enums_and_patterns_are_checked_against_the_model(endpoint):
    answer = post(endpoint, "StartExecution", json.dumps({"stateMachineArn": ARN, "name": "x" * 81}))
    assert answer.json()["__type"] == "ValidationException"
    assert (
        "at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"
        in answer.json()["message"]
    )
    two = post(
        endpoint,
        "ListExecutions",
        json.dumps({"stateMachineArn": ARN, "statusFilter": "DONE", "maxResults": 5000}),
    )
    message = two.json()["message"]
    assert message.startswith("2 validation errors detected: ")
    assert "Member must satisfy enum value set: [RUNNING, SUCCEEDED" in message
    assert "Member must have value less than or equal to 1000" in message
    alias = post(
        endpoint, "CreateStateMachineAlias", json.dumps({"name": "1234", "routingConfiguration": []})
    )
    assert "Member must satisfy regular expression pattern" in alias.json()["message"]


def test_an_input_over_256_kb_is_refused_without_echoing_it(endpoint, recorder):
    client = sfn(endpoint)
    with pytest.raises(client.exceptions.ValidationException) as raised:
        client.start_execution(stateMachineArn=ARN, input=json.dumps({"blob": "é" * 140_000}))
    message = raised.value.response["Error"]["Message"]
    assert (
        "Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144"
        in message
    )
    assert "é" not in message


def test_a_request_body_over_one_megabyte_is_refused_with_413(endpoint):
    answer = post(
        endpoint, "StartExecution", json.dumps({"stateMachineArn": ARN, "input": "x" * (1024 * 1024)})
    )
    assert answer.status_code == 413
    assert answer.json()["__type"] == "RequestEntityTooLarge"


@pytest.mark.parametrize("body", ["{not json", "\xff\xfe", '{"stateMachineArn": '])
def test_malformed_json_is_a_serialization_exception(endpoint, body):
    answer = post(endpoint, "StartExecution", body.encode("latin-1"))
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"


def test_wrong_member_types_are_a_serialization_exception(endpoint):
    answer = post(endpoint, "ListStateMachines", json.dumps({"maxResults": "ten"}))
    assert answer.status_code == 400 and answer.json()["__type"] == "SerializationException"
    assert post(endpoint, "StartExecution", "[1]").json()["__type"] == "SerializationException"


@pytest.mark.parametrize(
    ("target"),
    [
        "AWSStepFunctions.LaunchRocket",
        "Other.StartExecution",
        "AWSStepFunctions.DescribeMapRun",
        "",
        "Sojourn.LaunchRocket",
        "Sojourn.StartExecution",  # each prefix dispatches its own model's actions only
        "AWSStepFunctions.ListHumanTasks",
    ],
)
def test_unknown_or_unimplemented_actions_answer_unknown_operation(endpoint, target):
    answer = httpx.post(endpoint, content=b"{}", headers={"X-Amz-Target": target})
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"


def test_a_bug_in_the_client_is_an_internal_failure_not_a_crash(endpoint):
    answer = post(endpoint, "SendTaskSuccess", json.dumps({"taskToken": "t", "output": "{}"}))
    assert answer.status_code == 500
    assert answer.json()["__type"] == "InternalFailure"
    assert "a bug" not in answer.text


def test_pagination_follows_next_token_through_boto3_paginators(endpoint):
    pages = sfn(endpoint).get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2})
    assert [len(p["stateMachines"]) for p in pages] == [2, 2, 1]


def test_validate_state_machine_definition_returns_the_interpreters_diagnostics(endpoint):
    good = sfn(endpoint).validate_state_machine_definition(
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    )
    assert good["result"] == "OK" and good["diagnostics"] == []
    bad = sfn(endpoint).validate_state_machine_definition(
        definition=json.dumps({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}})
    )
    assert bad["result"] == "FAIL" and bad["diagnostics"][0]["code"]


def test_an_api_key_when_set_is_required_as_the_sigv4_access_key_id():
    with serving(RecordingClient(), Settings(api_key="s3cret")) as url:
        assert sfn(url, key="s3cret").start_execution(stateMachineArn=ARN)["executionArn"]
        intruder = sfn(url, key="guess")
        with pytest.raises(intruder.exceptions.ClientError) as raised:
            intruder.start_execution(stateMachineArn=ARN)
        assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
        anonymous = post(url, "StartExecution", json.dumps({"stateMachineArn": ARN}))
        assert anonymous.json()["__type"] == "UnrecognizedClientException"
        keyed = post(url, "StartExecution", json.dumps({"stateMachineArn": ARN}), **{"X-Api-Key": "s3cret"})
        assert keyed.status_code == 200


def test_the_functions_credential_may_start_and_answer_executions_but_not_change_definitions():
    settings = Settings(api_key="s3cret")
    credential = settings.function_credential
    assert credential and "s3cret" not in credential
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    with serving(RecordingClient(), settings) as url:
        function = sfn(url, key=credential)
        assert function.start_execution(stateMachineArn=ARN)["executionArn"]
        with pytest.raises(function.exceptions.ExecutionDoesNotExist):  # let through: the client answered
            function.describe_execution(executionArn=ARN.replace("stateMachine", "execution") + ":run")
        with pytest.raises(function.exceptions.ClientError) as raised:
            function.validate_state_machine_definition(definition=definition)
        assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "states:ValidateStateMachineDefinition" in raised.value.response["Error"]["Message"]
        assert (
            sfn(url, key="s3cret").validate_state_machine_definition(definition=definition)["result"] == "OK"
        )
        other = Settings(api_key="another key").function_credential
        with pytest.raises(function.exceptions.ClientError) as raised:
            sfn(url, key=other).start_execution(stateMachineArn=ARN)
        assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
