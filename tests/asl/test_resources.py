"""A Task's Resource is parsed once, when the definition is validated and compiled; unknown ones are
refused there with AWS's words
(`Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ... at /States/X/Resource'`)."""

from __future__ import annotations

import pytest

import sojourn
from sojourn.asl import resources
from sojourn.asl.loader import DefinitionError
from sojourn.asl.resources import Kind, Pattern
from sojourn.asl.validate import validate

NOT_RECOGNISED = (
    "The resource provided {} is not recognized. The value is not a valid resource ARN, "
    "or the resource is not available in this region."
)

KNOWN = [
    (
        "arn:aws:lambda:us-east-1:123456789012:function:step",
        Kind.FUNCTION,
        "lambda",
        "step",
        Pattern.REQUEST_RESPONSE,
    ),
    (
        "arn:aws:lambda:eu-west-1:123456789012:function:step:$LATEST",
        Kind.FUNCTION,
        "lambda",
        "step",
        Pattern.REQUEST_RESPONSE,
    ),
    (
        "arn:aws:states:us-east-1:123456789012:activity:approve",
        Kind.ACTIVITY,
        "states",
        "approve",
        Pattern.REQUEST_RESPONSE,
    ),
    ("arn:aws:states:::lambda:invoke", Kind.SERVICE, "lambda", "invoke", Pattern.REQUEST_RESPONSE),
    (
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        Kind.SERVICE,
        "lambda",
        "invoke",
        Pattern.WAIT_FOR_TASK_TOKEN,
    ),
    ("arn:aws:states:::states:startExecution.sync", Kind.SERVICE, "states", "startExecution", Pattern.SYNC),
    (
        "arn:aws:states:::states:startExecution.sync:2",
        Kind.SERVICE,
        "states",
        "startExecution",
        Pattern.SYNC2,
    ),
    (
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Kind.SERVICE,
        "sqs",
        "sendMessage",
        Pattern.WAIT_FOR_TASK_TOKEN,
    ),
    (
        "arn:aws:states:::emr-containers:startJobRun.sync",
        Kind.SERVICE,
        "emr-containers",
        "startJobRun",
        Pattern.SYNC,
    ),
    ("arn:aws-cn:states:::ecs:runTask.sync", Kind.SERVICE, "ecs", "runTask", Pattern.SYNC),
    (
        "arn:aws:states:::aws-sdk:sesv2:sendEmail",
        Kind.SERVICE,
        "aws-sdk:sesv2",
        "sendEmail",
        Pattern.REQUEST_RESPONSE,
    ),
    (
        "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
        Kind.SERVICE,
        "aws-sdk:s3",
        "listBuckets",
        Pattern.WAIT_FOR_TASK_TOKEN,
    ),
    ("arn:aws:states:::sojourn:email.send", Kind.SERVICE, "sojourn", "email.send", Pattern.REQUEST_RESPONSE),
    (
        "arn:aws:states:::sojourn:email.send.waitForTaskToken",
        Kind.SERVICE,
        "sojourn",
        "email.send",
        Pattern.WAIT_FOR_TASK_TOKEN,
    ),
]

# ARN-shaped, but no form AWS (or Sojourn) serves
UNKNOWN = [
    "arn:aws:s3:::my-bucket/key",
    "arn:aws:states:::lambda",
    "arn:aws:states:::lambda:invoke.bogus",
    "arn:aws:states:::lambda:invoke.sync.sync",
    "arn:aws:states:::aws-sdk:s3:listBuckets.sync",  # AWS: SDK integrations have no .sync
    "arn:aws:states:::aws-sdk:s3",
    "arn:aws:states:::sojourn:teleport",
    "arn:aws:states:::sojourn:email.send.sync",
    "arn:aws:lambda:us-east-1:12345:function:step",
    "arn:aws:states:us-east-1:123456789012:activity:",
    "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
]


def task(resource: object) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}}


@pytest.mark.parametrize(("text", "kind", "service", "action", "pattern"), KNOWN)
def test_each_form_aws_accepts_is_parsed_into_what_it_calls_and_how_it_waits(
    text, kind, service, action, pattern
):
    parsed = resources.parse(text)
    assert (parsed.arn, parsed.kind, parsed.service, parsed.action, parsed.pattern) == (
        text,
        kind,
        service,
        action,
        pattern,
    )
    assert parsed.base == text.removesuffix(pattern.value)
    assert [d for d in validate(task(text)) if d.severity == "ERROR"] == []


@pytest.mark.parametrize("text", UNKNOWN)
def test_an_unknown_resource_is_refused_when_validated_with_aws_words(text):
    with pytest.raises(resources.UnsupportedResource) as raised:
        resources.parse(text)
    assert raised.value.error == "States.Runtime" and raised.value.cause == NOT_RECOGNISED.format(text)
    [problem] = validate(task(text))
    assert (problem.code, problem.location) == ("SCHEMA_VALIDATION_FAILED", "/States/T/Resource")
    assert problem.message == NOT_RECOGNISED.format(text) + " at /States/T/Resource"


@pytest.mark.parametrize("text", ["not-an-arn", "arn:aws:lambda", "{% $states.input.arn %}", 7, None])
def test_a_resource_that_is_no_arn_is_refused_as_aws_refuses_it(text):
    [problem] = validate(task(text))
    assert (problem.code, problem.message) == (
        "SCHEMA_VALIDATION_FAILED",
        "Value is not a valid resource ARN at /States/T/Resource",
    )


def test_a_map_item_reader_resource_is_checked_the_same_way():
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemReader": {"Resource": "arn:aws:s3:::bucket", "Parameters": {}},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    [problem] = [d for d in validate(definition) if d.location.endswith("/Resource")]
    assert (
        problem.message == NOT_RECOGNISED.format("arn:aws:s3:::bucket") + " at /States/M/ItemReader/Resource"
    )


def test_sojourn_run_refuses_an_unknown_resource_before_running_even_with_a_callable_for_it():
    garbage = "arn:aws:s3:::bucket"
    with pytest.raises(DefinitionError) as raised:
        sojourn.run(task(garbage), resources={garbage: lambda parameters: parameters})
    assert raised.value.cause == (
        "Invalid State Machine Definition: "
        f"'SCHEMA_VALIDATION_FAILED: {NOT_RECOGNISED.format(garbage)} at /States/T/Resource'"
    )


def test_a_callable_may_answer_any_resource_aws_knows_even_one_sojourn_does_not_serve():
    resource = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    result = sojourn.run(
        task(resource), {"n": 1}, resources={"arn:aws:states:::sqs:sendMessage": lambda p: {"sent": p}}
    )
    assert result.status == "SUCCEEDED" and result.output == {"sent": {"n": 1}}
