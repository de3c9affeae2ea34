"""AWS's error classes, limits and pagination through real boto3 and raw HTTP against a real
`sojourn serve`."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from servers import wait_for, wait_for_status

from .conftest import ROLE

MISSING_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:errors-nobody"
MISSING_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:errors-nobody:nothing"
HELLO = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})


def post(url: str, action: str, body: bytes | str) -> httpx.Response:
    return httpx.post(
        url,
        content=body,
        headers={"X-Amz-Target": f"AWSStepFunctions.{action}", "Content-Type": "application/x-amz-json-1.0"},
        timeout=30,
    )


@pytest.fixture(scope="module")
def hello(server) -> str:
    return server.client().create_state_machine(name="errors-hello", definition=HELLO, roleArn=ROLE)[
        "stateMachineArn"
    ]


def token_of_a_finished_task(sfn: Any) -> str:
    activity = sfn.create_activity(name="errors-tokens")["activityArn"]
    arn = sfn.create_state_machine(
        name="errors-tokens",
        roleArn=ROLE,
        definition=json.dumps(
            {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": activity, "End": True}}}
        ),
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    sfn.send_task_success(taskToken=token, output="{}")
    wait_for_status(sfn, execution, "SUCCEEDED")
    return token


def test_each_api_error_reaches_boto3_as_its_exception_class(server, hello):
    sfn = server.client()
    cases = [
        ("StateMachineDoesNotExist", lambda: sfn.describe_state_machine(stateMachineArn=MISSING_MACHINE)),
        ("StateMachineDoesNotExist", lambda: sfn.start_execution(stateMachineArn=MISSING_MACHINE)),
        ("ExecutionDoesNotExist", lambda: sfn.describe_execution(executionArn=MISSING_EXECUTION)),
        ("ExecutionDoesNotExist", lambda: sfn.get_execution_history(executionArn=MISSING_EXECUTION)),
        (
            "InvalidDefinition",
            lambda: sfn.create_state_machine(
                name="errors-bad", definition='{"StartAt": "X", "States": {}}', roleArn=ROLE
            ),
        ),
        (
            "InvalidDefinition",
            lambda: sfn.create_state_machine(name="errors-bad", definition="{not json", roleArn=ROLE),
        ),
        ("InvalidArn", lambda: sfn.describe_execution(executionArn="not-an-arn")),
        ("InvalidArn", lambda: sfn.describe_state_machine(stateMachineArn="arn:aws:s3:::bucket")),
        ("InvalidName", lambda: sfn.start_execution(stateMachineArn=hello, name="has space")),
        ("InvalidName", lambda: sfn.create_state_machine(name="a/b", definition=HELLO, roleArn=ROLE)),
        ("InvalidExecutionInput", lambda: sfn.start_execution(stateMachineArn=hello, input="{not json")),
        ("InvalidToken", lambda: sfn.send_task_success(taskToken="made-up", output="{}")),
        ("TaskDoesNotExist", lambda: sfn.send_task_failure(taskToken="A" * 43)),
        ("InvalidOutput", lambda: sfn.send_task_success(taskToken="A" * 43, output="[unclosed")),
        (
            "ActivityDoesNotExist",
            lambda: sfn.get_activity_task(
                activityArn="arn:aws:states:us-east-1:123456789012:activity:errors-none"
            ),
        ),
        ("ResourceNotFound", lambda: sfn.describe_state_machine_alias(stateMachineAliasArn=hello + ":nope")),
        ("ValidationException", lambda: sfn.start_execution(stateMachineArn=hello, name="x" * 81)),
        ("ValidationException", lambda: sfn.list_executions(stateMachineArn=hello, maxResults=1001)),
    ]
    for code, call in cases:
        with pytest.raises(getattr(sfn.exceptions, code)) as raised:
            call()
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, code
        assert raised.value.response["Error"]["Message"], code


def test_a_token_already_used_is_task_timed_out(server):
    sfn = server.client()
    token = token_of_a_finished_task(sfn)
    for call in (
        lambda: sfn.send_task_success(taskToken=token, output="{}"),
        lambda: sfn.send_task_failure(taskToken=token),
        lambda: sfn.send_task_heartbeat(taskToken=token),
    ):
        with pytest.raises(sfn.exceptions.TaskTimedOut):
            call()


def test_execution_already_exists_for_a_name_with_another_input(server, hello):
    sfn = server.client()
    first = sfn.start_execution(stateMachineArn=hello, name="errors-once", input='{"a": 1}')
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=hello, name="errors-once", input='{"a": 2}')
    assert sfn.describe_execution(executionArn=first["executionArn"])["input"] == '{"a": 1}'


def test_an_input_over_256_kb_is_refused_and_one_just_under_is_accepted(server, hello):
    sfn = server.client()
    just_under = json.dumps({"x": "a" * (262144 - 10)})
    assert len(just_under.encode()) <= 262144
    execution = sfn.start_execution(stateMachineArn=hello, input=just_under)["executionArn"]
    assert json.loads(wait_for_status(sfn, execution, "SUCCEEDED")["output"]) == json.loads(just_under)
    with pytest.raises(sfn.exceptions.ValidationException) as raised:
        sfn.start_execution(stateMachineArn=hello, input=json.dumps({"x": "a" * 262144}))
    assert "Member must have length less than or equal to 262144" in raised.value.response["Error"]["Message"]
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.send_task_success(taskToken="A" * 43, output=json.dumps(["b" * 262144]))


def test_an_unknown_action_is_unknown_operation_never_a_500(server):
    for target in (
        "AWSStepFunctions.LaunchRocket",
        "AWSStepFunctions.DescribeMapRun",
        "SomethingElse.StartExecution",
    ):
        answer = httpx.post(
            server.url,
            content=b"{}",
            headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"},
        )
        assert answer.status_code == 400, target
        assert answer.json()["__type"] == "UnknownOperationException"
    sfn = server.client()
    with pytest.raises(sfn.exceptions.ClientError) as raised:
        sfn.describe_map_run(mapRunArn="arn:aws:states:us-east-1:123456789012:mapRun:m/x:y")
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe{}", b'{"stateMachineArn": ', b"[]"])
def test_a_malformed_body_is_a_serialization_exception(server, body):
    answer = post(server.url, "StartExecution", body)
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"
    assert answer.headers["content-type"].startswith("application/x-amz-json-1.0")


def test_a_get_of_the_root_sends_a_person_to_the_console_and_is_not_the_api(server):
    root = httpx.get(server.url + "/")
    assert root.status_code == 307 and root.headers["location"] == "/console/"
    followed = httpx.get(server.url + "/", follow_redirects=True)
    assert followed.status_code == 200 and str(followed.url).startswith(server.url + "/console/")
    assert "text/html" in followed.headers["content-type"]
    assert httpx.get(server.url + "/nowhere").status_code == 404
    assert httpx.get(server.url + "/health").json() == {"status": "ok"}


def test_list_executions_pages_newest_first_with_a_status_filter(server):
    sfn = server.client()
    arn = sfn.create_state_machine(name="pages-executions", definition=HELLO, roleArn=ROLE)["stateMachineArn"]
    started = [sfn.start_execution(stateMachineArn=arn, name=f"run-{i}")["executionArn"] for i in range(7)]
    for execution in started:
        wait_for_status(sfn, execution, "SUCCEEDED")
    pages = list(
        sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, PaginationConfig={"PageSize": 3})
    )
    assert [len(page["executions"]) for page in pages] == [3, 3, 1]
    assert [e["executionArn"] for page in pages for e in page["executions"]] == started[::-1]
    first = sfn.list_executions(stateMachineArn=arn, maxResults=5)
    rest = sfn.list_executions(stateMachineArn=arn, maxResults=5, nextToken=first["nextToken"])
    assert len(first["executions"]) == 5 and len(rest["executions"]) == 2 and "nextToken" not in rest
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"] == []
    assert len(sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]) == 7
    with pytest.raises(sfn.exceptions.InvalidToken):  # the model's error for ListExecutions, as AWS answers
        sfn.list_executions(stateMachineArn=arn, nextToken="garbage!!")


def test_get_execution_history_pages_forwards_and_in_reverse(server):
    sfn = server.client()
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(5)}
    states["S5"] = {"Type": "Succeed"}
    arn = sfn.create_state_machine(
        name="pages-history", roleArn=ROLE, definition=json.dumps({"StartAt": "S0", "States": states})
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for_status(sfn, execution, "SUCCEEDED")
    everything = sfn.get_execution_history(executionArn=execution)["events"]
    ids = [e["id"] for e in everything]
    assert ids == list(range(1, len(ids) + 1)) and len(ids) > 10
    forwards = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution, PaginationConfig={"PageSize": 4}
    )
    assert [e["id"] for page in forwards for e in page["events"]] == ids
    backwards = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution, reverseOrder=True, PaginationConfig={"PageSize": 4}
    )
    pages = list(backwards)
    assert all(len(page["events"]) <= 4 for page in pages)
    assert [e["id"] for page in pages for e in page["events"]] == ids[::-1]
    assert pages[0]["events"][0]["type"] == "ExecutionSucceeded"
    without_data = sfn.get_execution_history(
        executionArn=execution, includeExecutionData=False, maxResults=1
    )["events"][0]
    assert "input" not in without_data["executionStartedEventDetails"]


def test_list_state_machines_pages_in_name_order(server):
    sfn = server.client()
    for i in range(5):
        sfn.create_state_machine(name=f"pages-sm-{i}", definition=HELLO, roleArn=ROLE)
    pages = list(sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2}))
    names = [m["name"] for page in pages for m in page["stateMachines"]]
    assert names == sorted(names) and len(names) == len(set(names))
    assert [n for n in names if n.startswith("pages-sm-")] == [f"pages-sm-{i}" for i in range(5)]
    assert all(len(page["stateMachines"]) <= 2 for page in pages) and "nextToken" in pages[0]


def test_list_activities_versions_and_aliases_page_too(server):
    sfn = server.client()
    for i in range(3):
        sfn.create_activity(name=f"pages-activity-{i}")
    activities = [
        a["name"]
        for page in sfn.get_paginator("list_activities").paginate(PaginationConfig={"PageSize": 1})
        for a in page["activities"]
        if a["name"].startswith("pages-activity-")
    ]
    assert activities == [f"pages-activity-{i}" for i in range(3)]
    arn = sfn.create_state_machine(name="pages-versions", definition=HELLO, roleArn=ROLE, publish=True)[
        "stateMachineArn"
    ]
    for result in (1, 2):
        definition = json.dumps(
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": result, "End": True}}}
        )
        sfn.update_state_machine(stateMachineArn=arn, definition=definition, publish=True)
    first = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2)
    second = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2, nextToken=first["nextToken"])
    assert [
        v["stateMachineVersionArn"][-1]
        for v in first["stateMachineVersions"] + second["stateMachineVersions"]
    ] == ["3", "2", "1"]
    for name in ("a1", "a2"):
        sfn.create_state_machine_alias(
            name=name, routingConfiguration=[{"stateMachineVersionArn": arn + ":1", "weight": 100}]
        )
    page = sfn.list_state_machine_aliases(stateMachineArn=arn, maxResults=1)
    assert len(page["stateMachineAliases"]) == 1 and page["nextToken"]


def test_stop_execution_answers_its_date_in_epoch_seconds(server):
    sfn = server.client()
    arn = sfn.create_state_machine(
        name="errors-wait",
        roleArn=ROLE,
        definition=json.dumps(
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        ),
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for(lambda: len(sfn.get_execution_history(executionArn=execution)["events"]) >= 2)
    answer = post(server.url, "StopExecution", json.dumps({"executionArn": execution}))
    assert answer.status_code == 200 and isinstance(answer.json()["stopDate"], float)
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
