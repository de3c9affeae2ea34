"""The real AWS CLI (`awscli` from PyPI) against a real `sojourn serve`: only `--endpoint-url` changes."""

from __future__ import annotations

import json

import pytest

from servers import wait_for

from .conftest import ROLE

pytestmark = pytest.mark.slow  # each CLI call starts a Python process


def test_the_aws_cli_drives_a_workflow_from_creation_to_history(server, tmp_path):
    definition = tmp_path / "definition.json"
    activity = server.aws("create-activity", "--name", "cli-approve")["activityArn"]
    definition.write_text(
        json.dumps(
            {
                "StartAt": "Approve",
                "States": {
                    "Approve": {"Type": "Task", "Resource": activity, "Next": "Done"},
                    "Done": {"Type": "Pass", "End": True},
                },
            }
        )
    )
    assert (
        server.aws("validate-state-machine-definition", "--definition", f"file://{definition}")["result"]
        == "OK"
    )
    created = server.aws(
        "create-state-machine",
        "--name",
        "cli-flow",
        "--definition",
        f"file://{definition}",
        "--role-arn",
        ROLE,
        "--tags",
        "key=team,value=hr",
        "--publish",
    )
    machine = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == machine + ":1"
    assert "cli-flow" in [m["name"] for m in server.aws("list-state-machines")["stateMachines"]]
    assert server.aws("list-tags-for-resource", "--resource-arn", machine)["tags"] == [
        {"key": "team", "value": "hr"}
    ]

    execution = server.aws(
        "start-execution", "--state-machine-arn", machine, "--name", "cli-run", "--input", '{"days": 3}'
    )["executionArn"]
    task = server.aws("get-activity-task", "--activity-arn", activity, "--worker-name", "cli")
    assert json.loads(task["input"]) == {"days": 3}
    # --name=value: a token may start with "-", which argparse would read as an option.
    server.aws(
        "send-task-success", f"--task-token={task['taskToken']}", "--task-output", '{"approved": true}'
    )
    described = wait_for(
        lambda: (
            (d := server.aws("describe-execution", "--execution-arn", execution))["status"] == "SUCCEEDED"
            and d
        )
    )
    assert json.loads(described["output"]) == {"approved": True}
    assert described["stopDate"] >= described["startDate"] > 1.7e9  # epoch seconds, as AWS sends them

    newest = server.aws(
        "get-execution-history", "--execution-arn", execution, "--reverse-order", "--max-items", "2"
    )
    assert [e["type"] for e in newest["events"]] == ["ExecutionSucceeded", "PassStateExited"]
    assert newest["NextToken"]  # the CLI's own paginator carried our nextToken
    everything = server.aws("get-execution-history", "--execution-arn", execution, "--page-size", "3")[
        "events"
    ]
    assert [e["id"] for e in everything] == list(range(1, len(everything) + 1))
    listed = server.aws("list-executions", "--state-machine-arn", machine, "--status-filter", "SUCCEEDED")[
        "executions"
    ]
    assert [e["name"] for e in listed] == ["cli-run"]


def test_the_aws_cli_stops_redrives_and_routes_through_an_alias(server, tmp_path):
    activity = server.aws("create-activity", "--name", "cli-hold")["activityArn"]
    definition = json.dumps(
        {"StartAt": "Hold", "States": {"Hold": {"Type": "Task", "Resource": activity, "End": True}}}
    )
    machine = server.aws(
        "create-state-machine", "--name", "cli-hold", "--definition", definition, "--role-arn", ROLE
    )["stateMachineArn"]
    version = server.aws("publish-state-machine-version", "--state-machine-arn", machine)[
        "stateMachineVersionArn"
    ]
    alias = server.aws(
        "create-state-machine-alias",
        "--name",
        "prod",
        "--routing-configuration",
        json.dumps([{"stateMachineVersionArn": version, "weight": 100}]),
    )["stateMachineAliasArn"]
    assert [
        a["stateMachineAliasArn"]
        for a in server.aws("list-state-machine-aliases", "--state-machine-arn", machine)[
            "stateMachineAliases"
        ]
    ] == [alias]

    execution = server.aws("start-execution", "--state-machine-arn", alias)["executionArn"]
    assert "stopDate" in server.aws(
        "stop-execution", "--execution-arn", execution, "--error", "Stopped", "--cause", "cli"
    )
    assert server.aws("describe-execution", "--execution-arn", execution)["status"] == "ABORTED"
    assert "redriveDate" in server.aws("redrive-execution", "--execution-arn", execution)
    task = server.aws("get-activity-task", "--activity-arn", activity)
    server.aws(
        "send-task-failure", f"--task-token={task['taskToken']}", "--error", "No", "--cause", "refused"
    )
    failed = wait_for(
        lambda: (
            (d := server.aws("describe-execution", "--execution-arn", execution))["status"] == "FAILED" and d
        )
    )
    assert (failed["error"], failed["redriveCount"], failed["stateMachineAliasArn"]) == ("No", 1, alias)


def test_the_aws_cli_runs_an_express_machine_synchronously(server):
    definition = json.dumps(
        {
            "StartAt": "Up",
            "States": {"Up": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "End": True}},
        }
    )
    machine = server.aws(
        "create-state-machine",
        "--name",
        "cli-sync",
        "--type",
        "EXPRESS",
        "--definition",
        definition,
        "--role-arn",
        ROLE,
    )["stateMachineArn"]
    answer = server.aws("start-sync-execution", "--state-machine-arn", machine, "--input", '{"n": 1}')
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == {"n": 2}


def test_the_aws_cli_reports_aws_error_codes(server):
    missing = server.aws_raw(
        "describe-execution", "--execution-arn", "arn:aws:states:us-east-1:123456789012:execution:cli:none"
    )
    assert missing.returncode != 0
    assert (
        "An error occurred (ExecutionDoesNotExist) when calling the DescribeExecution operation"
        in missing.stderr
    )
    invalid = server.aws_raw(
        "create-state-machine",
        "--name",
        "cli-invalid",
        "--definition",
        '{"StartAt": "Nowhere", "States": {}}',
        "--role-arn",
        ROLE,
    )
    assert "(InvalidDefinition)" in invalid.stderr
    token = server.aws_raw("send-task-success", "--task-token", "forged", "--task-output", "{}")
    assert "(InvalidToken)" in token.stderr
