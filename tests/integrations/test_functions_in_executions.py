"""Functions called by real executions (sojourn.Client on SQLite): Lambda's envelope, Retry and Catch on
the handler's error type, and functions calling Sojourn back with a plain boto3 client
(issue 5, items 2-3)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from gateway.test_gateway import serving
from sojourn import api
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.functions import Function, FunctionPool
from sojourn.integrations.base import Facilities

HANDLERS = """
import boto3


class NotEnoughDays(Exception):
    pass


def check(event, context):
    if event["days"] > 20:
        raise NotEnoughDays(f"{event['days']} days asked, 20 left")
    return {"approved": True, "days": event["days"]}


def machines(event, context):
    sfn = boto3.client("stepfunctions")  # endpoint and credentials come from the function's environment
    return sorted(m["name"] for m in sfn.list_state_machines()["stateMachines"])
"""

CHECK = "arn:aws:lambda:us-east-1:123456789012:function:check"


@pytest.fixture
def sojourn(tmp_path) -> Iterator[tuple[Client, FunctionPool]]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "leave.py").write_text(textwrap.dedent(HANDLERS))
    settings = Settings(data_dir=str(tmp_path / "data"))
    pool = FunctionPool(
        [Function("check", "leave.check", code), Function("machines", "leave.machines", code)]
    )
    client = Client(
        f"sqlite:///{tmp_path / 'sojourn.db'}",
        settings=settings,
        facilities=Facilities(settings=settings, functions=pool),
        workers=0,
    )
    yield client, pool
    client.close()
    pool.close()


def run(client: Client, definition: dict, payload: object) -> dict:
    arn = client.create_state_machine(
        name="M", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps(payload))["executionArn"]
    return client.wait_for_execution(executionArn=execution, timeout=30)


def test_lambda_invoke_hands_the_state_lambdas_envelope(sojourn):
    client, _ = sojourn
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "End": True,
                "Parameters": {"FunctionName": CHECK, "Payload.$": "$"},
                "ResultSelector": {
                    "payload.$": "$.Payload",
                    "status.$": "$.StatusCode",
                    "version.$": "$.ExecutedVersion",
                },
            }
        },
    }
    described = run(client, definition, {"days": 3})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {
        "payload": {"approved": True, "days": 3},
        "status": 200,
        "version": "$LATEST",
    }


def test_catch_matches_the_handlers_exception_type_with_lambdas_error_as_cause(sojourn):
    client, _ = sojourn
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Task",
                "Resource": CHECK,
                "End": True,
                "Catch": [{"ErrorEquals": ["NotEnoughDays"], "Next": "Refused"}],
            },
            "Refused": {"Type": "Pass", "End": True},
        },
    }
    output = json.loads(run(client, definition, {"days": 30})["output"])
    assert output["Error"] == "NotEnoughDays"
    cause = json.loads(output["Cause"])
    assert cause["errorType"] == "NotEnoughDays" and cause["errorMessage"] == "30 days asked, 20 left"


def test_a_function_calls_sojourn_back_with_a_plain_boto3_client(sojourn):
    client, pool = sojourn
    with serving(Starlette(routes=api.routes(client, client.settings))) as url:
        pool.endpoint_url = url
        definition = {
            "StartAt": "List",
            "States": {
                "List": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:machines",
                    "End": True,
                }
            },
        }
        described = run(client, definition, {})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == ["M"]
