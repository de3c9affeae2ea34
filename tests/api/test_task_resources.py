"""Task resources through boto3 on a real `sojourn serve`: the forms AWS accepts are created, unknown ones are
refused at CreateStateMachine and ValidateStateMachineDefinition with AWS's words, never at run time."""

from __future__ import annotations

import json
import re

import botocore.exceptions
import pytest

from .conftest import ROLE

GARBAGE = "arn:aws:states:::sojourn:teleport"
REFUSAL = (
    f"SCHEMA_VALIDATION_FAILED: The resource provided {GARBAGE} is not recognized. The value is not a valid "
    "resource ARN, or the resource is not available in this region. at /States/T/Resource"
)


def task(resource: str) -> str:
    return json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}})


def test_create_state_machine_refuses_an_unknown_resource_with_aws_words(server):
    sfn = server.client()
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.create_state_machine(name="resources-garbage", definition=task(GARBAGE), roleArn=ROLE)
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"] == f"Invalid State Machine Definition: '{REFUSAL}'"
    names = [machine["name"] for machine in sfn.list_state_machines()["stateMachines"]]
    assert "resources-garbage" not in names


def test_validate_state_machine_definition_reports_an_unknown_resource_where_it_is(server):
    answer = server.client().validate_state_machine_definition(definition=task(GARBAGE))
    assert answer["result"] == "FAIL"
    [diagnostic] = answer["diagnostics"]
    assert (diagnostic["severity"], diagnostic["code"], diagnostic["location"]) == (
        "ERROR",
        "SCHEMA_VALIDATION_FAILED",
        "/States/T/Resource",
    )


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",  # AWS serves it; Sojourn's runtime does not
        "arn:aws:states:::aws-sdk:dynamodb:getItem",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:lambda:us-east-1:123456789012:function:resources-fn",
    ],
)
def test_create_state_machine_accepts_every_form_aws_accepts(server, resource):
    sfn = server.client()
    name = "resources-" + re.sub(r"[^A-Za-z0-9]+", "-", resource)[-60:]
    assert sfn.validate_state_machine_definition(definition=task(resource))["result"] == "OK"
    arn = sfn.create_state_machine(name=name, definition=task(resource), roleArn=ROLE)["stateMachineArn"]
    assert (
        json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])["States"]["T"]["Resource"]
        == resource
    )
