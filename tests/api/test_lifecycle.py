"""The whole Step Functions lifecycle with real boto3 against a real `sojourn serve` (one per module).

Each test creates what it uses under its own names, so the tests share the server but not their data.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from servers import wait_for, wait_for_status

from .conftest import ROLE

ACCOUNT = "123456789012"


def machine(sfn: Any, name: str, definition: dict[str, Any], **extra: Any) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, **extra)[
        "stateMachineArn"
    ]


def activity_machine(activity_arn: str, **task: Any) -> dict[str, Any]:
    return {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": activity_arn, **task, "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"result.$": "$"}, "End": True},
        },
    }


def test_create_describe_update_list_and_delete_a_state_machine(server):
    sfn = server.client()
    definition = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Result": "hi", "End": True}}}
    created = sfn.create_state_machine(
        name="life-crud",
        definition=json.dumps(definition),
        roleArn=ROLE,
        tags=[{"key": "team", "value": "hr"}],
    )
    arn = created["stateMachineArn"]
    assert arn == f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:life-crud"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["status"], described["type"], described["roleArn"]) == (
        "life-crud",
        "ACTIVE",
        "STANDARD",
        ROLE,
    )
    assert json.loads(described["definition"]) == definition
    changed = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Result": "hello", "End": True}}}
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(changed))
    assert updated["revisionId"] != described["revisionId"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == changed
    assert "life-crud" in [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)


def test_validate_state_machine_definition_reports_every_problem(server):
    sfn = server.client()
    good = sfn.validate_state_machine_definition(
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    )
    assert good["result"] == "OK" and good["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(
        definition=json.dumps({"StartAt": "Nope", "States": {"A": {"Type": "Pass"}}})
    )
    assert bad["result"] == "FAIL"
    assert {d["severity"] for d in bad["diagnostics"]} == {"ERROR"} and len(bad["diagnostics"]) >= 2


def test_test_state_runs_one_state(server):
    answer = server.client().test_state(
        definition=json.dumps(
            {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": True}
        ),
        roleArn=ROLE,
        input=json.dumps({"a": 2, "b": 3}),
    )
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == {"sum": 5}


def test_test_state_takes_a_context_and_the_retries_already_made(server):
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "who.$": "$$.Execution.Name"},
        "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1}],
        "End": True,
    }
    sfn = server.client()
    answer = sfn.test_state(
        definition=json.dumps(task),
        roleArn=ROLE,
        inspectionLevel="DEBUG",
        context=json.dumps({"Execution": {"Name": "nightly"}}),
        mock={"errorOutput": {"error": "Flaky", "cause": "busy"}},
    )
    assert answer["status"] == "RETRIABLE"
    assert answer["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 1}
    assert json.loads(answer["inspectionData"]["afterParameters"])["who"] == "nightly"
    spent = sfn.test_state(
        definition=json.dumps(task),
        roleArn=ROLE,
        stateConfiguration={"retrierRetryCount": 1},
        mock={"errorOutput": {"error": "Flaky", "cause": "busy"}},
    )
    assert (spent["status"], spent["error"]) == ("FAILED", "Flaky")
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.test_state(definition=json.dumps(task), roleArn=ROLE, context="[1]", mock={"result": "{}"})


def test_a_pass_machine_runs_to_success_with_its_history(server):
    sfn = server.client()
    arn = machine(
        sfn,
        "life-pass",
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}},
    )
    started = sfn.start_execution(stateMachineArn=arn, name="first", input='{"n": 1}')
    assert started["executionArn"] == f"arn:aws:states:us-east-1:{ACCOUNT}:execution:life-pass:first"
    done = wait_for_status(sfn, started["executionArn"], "SUCCEEDED")
    assert json.loads(done["output"]) == {"ok": 1} and done["stopDate"] >= done["startDate"]
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    assert events[0]["executionStartedEventDetails"]["input"] == '{"n": 1}'
    for_execution = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert (
        for_execution["stateMachineArn"] == arn and json.loads(for_execution["definition"])["StartAt"] == "A"
    )
    # Starting again by the same name while it is no longer running is refused.
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, name="first", input='{"n": 1}')


def test_a_task_waits_for_its_token_and_send_task_success_resumes_it(server):
    sfn = server.client()
    # The child receives the parent's task token in its input, as a worker would in a queue message.
    child = machine(sfn, "life-child", {"StartAt": "Hold", "States": {"Hold": {"Type": "Pass", "End": True}}})
    parent = machine(
        sfn,
        "life-parent",
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
                    "Parameters": {
                        "StateMachineArn": child,
                        "Input": {"token.$": "$$.Task.Token", "who.$": "$.who"},
                    },
                    "HeartbeatSeconds": 600,
                    "Next": "Done",
                },
                "Done": {"Type": "Succeed"},
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=parent, input='{"who": "ann"}')["executionArn"]
    children = wait_for(lambda: sfn.list_executions(stateMachineArn=child)["executions"])
    token = json.loads(sfn.describe_execution(executionArn=children[0]["executionArn"])["input"])["token"]
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    done = wait_for_status(sfn, execution, "SUCCEEDED")
    assert json.loads(done["output"]) == {"approved": True}
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types[:4] == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted"]
    assert "TaskSucceeded" in types and types[-1] == "ExecutionSucceeded"
    with pytest.raises(sfn.exceptions.TaskTimedOut):  # a token is usable once
        sfn.send_task_success(taskToken=token, output="{}")


def test_activities_are_created_described_listed_and_deleted(server):
    sfn = server.client()
    arn = sfn.create_activity(name="life-activity", tags=[{"key": "k", "value": "v"}])["activityArn"]
    assert arn == f"arn:aws:states:us-east-1:{ACCOUNT}:activity:life-activity"
    assert sfn.create_activity(name="life-activity")["activityArn"] == arn  # idempotent
    assert sfn.describe_activity(activityArn=arn)["name"] == "life-activity"
    assert arn in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    sfn.delete_activity(activityArn=arn)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.describe_activity(activityArn=arn)


def test_get_activity_task_long_polls_until_an_execution_schedules_work(server):
    sfn = server.client()
    activity = sfn.create_activity(name="life-poll")["activityArn"]
    arn = machine(sfn, "life-poll", activity_machine(activity))
    polled: dict[str, Any] = {}
    poller = threading.Thread(
        target=lambda: polled.update(sfn.get_activity_task(activityArn=activity, workerName="w1"))
    )
    poller.start()  # waits on the server: nothing is scheduled yet
    execution = sfn.start_execution(stateMachineArn=arn, input='{"item": 7}')["executionArn"]
    poller.join(timeout=30)
    assert not poller.is_alive()
    assert json.loads(polled["input"]) == {"item": 7} and polled["taskToken"]
    sfn.send_task_success(taskToken=polled["taskToken"], output='{"made": 7}')
    done = wait_for_status(sfn, execution, "SUCCEEDED")
    assert json.loads(done["output"]) == {"result": {"made": 7}}
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events if e["type"].startswith("Activity")] == [
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
    ]
    started = next(e for e in events if e["type"] == "ActivityStarted")
    assert started["activityStartedEventDetails"]["workerName"] == "w1"


def test_stop_execution_aborts_a_waiting_execution(server):
    sfn = server.client()
    activity = sfn.create_activity(name="life-stop")["activityArn"]
    arn = machine(sfn, "life-stop", activity_machine(activity))
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_for(
        lambda: any(
            e["type"] == "ActivityScheduled"
            for e in sfn.get_execution_history(executionArn=execution)["events"]
        )
    )
    stopped = sfn.stop_execution(executionArn=execution, error="Cancelled", cause="by the test")
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED" and described["stopDate"] == stopped["stopDate"]
    assert (described["error"], described["cause"]) == ("Cancelled", "by the test")
    last = sfn.get_execution_history(executionArn=execution, reverseOrder=True, maxResults=1)["events"][0]
    assert last["type"] == "ExecutionAborted"


def test_redrive_runs_a_failed_execution_again_from_the_state_that_failed(server):
    sfn = server.client()
    activity = sfn.create_activity(name="life-redrive")["activityArn"]
    arn = machine(sfn, "life-redrive", activity_machine(activity))
    execution = sfn.start_execution(stateMachineArn=arn, input='{"try": 1}')["executionArn"]
    first = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_failure(taskToken=first["taskToken"], error="Busy", cause="try later")
    failed = wait_for_status(sfn, execution, "FAILED")
    assert (failed["error"], failed["cause"], failed["redriveStatus"]) == ("Busy", "try later", "REDRIVABLE")
    redriven = sfn.redrive_execution(executionArn=execution)
    second = sfn.get_activity_task(activityArn=activity)
    assert json.loads(second["input"]) == {"try": 1}
    sfn.send_task_success(taskToken=second["taskToken"], output='"fine"')
    done = wait_for_status(sfn, execution, "SUCCEEDED")
    assert done["redriveCount"] == 1 and done["redriveDate"] == redriven["redriveDate"]
    assert "ExecutionRedriven" in [
        e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]
    ]
    assert [
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
    ] == [execution]
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=execution)


def test_versions_and_aliases_route_executions(server):
    sfn = server.client()
    one = {"StartAt": "V", "States": {"V": {"Type": "Pass", "Result": 1, "End": True}}}
    two = {"StartAt": "V", "States": {"V": {"Type": "Pass", "Result": 2, "End": True}}}
    created = sfn.create_state_machine(
        name="life-versions",
        definition=json.dumps(one),
        roleArn=ROLE,
        publish=True,
        versionDescription="first",
    )
    arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
    assert v1 == arn + ":1"
    v2 = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(two), publish=True)[
        "stateMachineVersionArn"
    ]
    assert v2 == arn + ":2"
    assert (
        sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == v2
    )  # unchanged revision
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [v2, v1]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=v1)["definition"]) == one

    alias = sfn.create_state_machine_alias(
        name="live",
        description="production",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}],
    )["stateMachineAliasArn"]
    assert alias == arn + ":live"
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert (described["name"], described["description"]) == ("live", "production")
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    by_alias = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    assert wait_for_status(sfn, by_alias, "SUCCEEDED")["output"] == "1"
    assert sfn.describe_execution(executionArn=by_alias)["stateMachineAliasArn"] == alias

    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias, routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}]
    )
    by_new_route = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    assert wait_for_status(sfn, by_new_route, "SUCCEEDED")["output"] == "2"
    by_version = sfn.start_execution(stateMachineArn=v1)["executionArn"]
    assert wait_for_status(sfn, by_version, "SUCCEEDED")["output"] == "1"
    # Executions of a version include those an alias routed to it (they carry both ARNs).
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=v1)["executions"]] == [
        by_version,
        by_alias,
    ]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=alias)["executions"]] == [
        by_new_route,
        by_alias,
    ]
    assert [
        a["stateMachineAliasArn"]
        for a in sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    ] == [alias]

    with pytest.raises(sfn.exceptions.ConflictException):  # still routed to by the alias
        sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    assert [
        v["stateMachineVersionArn"]
        for v in sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    ] == [v1]


def test_tags_on_state_machines_and_activities(server):
    sfn = server.client()
    arn = machine(
        sfn,
        "life-tags",
        {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
        tags=[{"key": "a", "value": "1"}],
    )
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}, {"key": "a", "value": "one"}])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "one"},
        {"key": "b", "value": "2"},
    ]
    sfn.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    activity = sfn.create_activity(name="life-tags", tags=[{"key": "owner", "value": "ops"}])["activityArn"]
    assert sfn.list_tags_for_resource(resourceArn=activity)["tags"] == [{"key": "owner", "value": "ops"}]
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.list_tags_for_resource(resourceArn=arn.replace("life-tags", "life-no-such"))


def test_start_sync_execution_answers_with_the_result_of_an_express_machine(server):
    sfn = server.client()
    arn = machine(
        sfn,
        "life-express",
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": True}
            },
        },
        type="EXPRESS",
    )
    answer = sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 21}')
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == {"twice": 42}
    assert answer["stopDate"] >= answer["startDate"]
    standard = machine(sfn, "life-not-express", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.start_sync_execution(stateMachineArn=standard)
