"""Every `sojourn` command against a real `sojourn serve` (or its database with --db): output for people,
`--json` for scripts, and one red line, never a traceback, for a user's mistake."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.conftest import ROLE
from servers import free_port, serve, wait_for, wait_for_status
from sojourn.cli import app

COMMANDS = [
    "serve",
    "worker",
    "validate",
    "run",
    "deploy",
    "start",
    "describe",
    "history",
    "list",
    "send-task-success",
    "send-task-failure",
    "stop",
    "redrive",
    "mail",
    "logs",
    "purge",
    "backup",
    "migrate",
]
HELLO = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Parameters": {"hello.$": "$.who"}, "End": True}}}


def sojourn(*args: str) -> Any:
    """Run a command in-process; the result has exit_code, stdout and stderr."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def api(server: Any, command: str, *args: str) -> Any:
    return sojourn(command, "--endpoint", server.url, *args)


def assert_user_error(result: Any, *words: str) -> None:
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    for word in words:
        assert word in result.stderr


@pytest.fixture(scope="module")
def activity(server) -> str:
    return server.client().create_activity(name="cli-approve")["activityArn"]


@pytest.fixture(scope="module")
def waiting_machine(server, activity, tmp_path_factory) -> str:
    """A state machine deployed by the CLI whose executions wait in an activity Task."""
    file = tmp_path_factory.mktemp("defs") / "cli-waits.json"
    file.write_text(
        json.dumps(
            {
                "StartAt": "Ask",
                "States": {
                    "Ask": {"Type": "Task", "Resource": activity, "Next": "Done"},
                    "Done": {"Type": "Succeed"},
                },
            }
        )
    )
    return json.loads(api(server, "deploy", str(file), "--json").stdout)["stateMachineArn"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_a_json_option(command):
    result = sojourn(command, "--help")
    assert result.exit_code == 0
    assert "--json" in result.stdout
    assert "Usage:" in result.stdout


def test_validate_prints_every_diagnostic_and_fails_on_errors(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.yaml"
    good.write_text(json.dumps(HELLO))
    bad.write_text("StartAt: Nowhere\nStates:\n  A: {Type: Pass}\n")
    ok = sojourn("validate", str(good))
    assert ok.exit_code == 0 and "OK" in ok.stdout
    failed = sojourn("validate", str(bad))
    assert failed.exit_code == 1 and "FAIL" in failed.stdout and "Nowhere" in failed.stdout
    answer = json.loads(sojourn("validate", str(bad), "--json").stdout)
    assert answer["result"] == "FAIL" and {d["severity"] for d in answer["diagnostics"]} == {"ERROR"}
    assert_user_error(sojourn("validate", str(tmp_path / "missing.json")), "no such file")


def test_run_executes_in_memory(tmp_path):
    file = tmp_path / "hello.json"
    file.write_text(json.dumps(HELLO))
    shown = sojourn("run", str(file), "--input", '{"who": "Ada"}')
    assert shown.exit_code == 0 and "SUCCEEDED" in shown.stdout and '"hello": "Ada"' in shown.stdout
    assert json.loads(sojourn("run", str(file), "--input", '{"who": "Ada"}', "--json").stdout) == {
        "status": "SUCCEEDED",
        "output": {"hello": "Ada"},
    }
    assert_user_error(sojourn("run", str(file), "--input", "{oops"), "--input is not valid JSON")


def test_deploy_creates_then_updates_a_state_machine(server, tmp_path):
    file = tmp_path / "cli-deployed.json"
    file.write_text(json.dumps(HELLO))
    created = api(server, "deploy", str(file))
    assert created.exit_code == 0 and created.stdout.startswith(
        "created arn:aws:states:us-east-1:123456789012:stateMachine:cli-deployed"
    )
    file.write_text(json.dumps({**HELLO, "Comment": "second"}))
    updated = json.loads(api(server, "deploy", str(file), "--json", "--publish").stdout)
    assert updated["action"] == "updated" and updated["stateMachineVersionArn"].endswith(":cli-deployed:1")
    described = server.client().describe_state_machine(stateMachineArn=updated["stateMachineArn"])
    assert json.loads(described["definition"])["Comment"] == "second"
    file.write_text('{"StartAt": ')
    assert_user_error(api(server, "deploy", str(file)))
    file.write_text(json.dumps({"StartAt": "Missing", "States": {"A": {"Type": "Succeed"}}}))
    assert_user_error(api(server, "deploy", str(file)), "InvalidDefinition")


def test_deploy_an_app_manifest_creates_its_functions_and_state_machines(server, tmp_path):
    (tmp_path / "fn.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "app.yaml").write_text(
        "functions:\n  echo: {handler: fn.handler}\n"
        "state_machines:\n  CliApp:\n    definition:\n      StartAt: Echo\n      States:\n"
        "        Echo: {Type: Task, Resource: '${Function:echo}', End: true}\n"
    )
    first = api(server, "deploy", str(tmp_path / "app.yaml"))
    assert first.exit_code == 0 and "created: function:echo, stateMachine:CliApp" in first.stdout
    again = json.loads(api(server, "deploy", str(tmp_path / "app.yaml"), "--json").stdout)
    assert again["unchanged"] == ["function:echo", "stateMachine:CliApp"]


def test_start_describe_and_list_an_execution(server):
    machine = server.client().create_state_machine(
        name="cli-hello", definition=json.dumps(HELLO), roleArn=ROLE
    )["stateMachineArn"]
    started = api(server, "start", "cli-hello", "--input", '{"who": "Bo"}', "--name", "first")
    assert (
        started.exit_code == 0
        and started.stdout.strip() == machine.replace("stateMachine", "execution") + ":first"
    )
    execution = started.stdout.strip()
    waited = json.loads(api(server, "start", machine, "--input", '{"who": "Cy"}', "--wait", "--json").stdout)
    assert waited["status"] == "SUCCEEDED" and json.loads(waited["output"]) == {"hello": "Cy"}
    wait_for_status(server.client(), execution, "SUCCEEDED")
    described = api(server, "describe", execution)
    assert (
        described.exit_code == 0 and "SUCCEEDED" in described.stdout and '{"hello":"Bo"}' in described.stdout
    )
    assert json.loads(api(server, "describe", "cli-hello", "--json").stdout)["stateMachineArn"] == machine
    listed = json.loads(api(server, "list", "cli-hello", "--status", "succeeded", "--json").stdout)[
        "executions"
    ]
    assert [e["name"] for e in listed][-1] == "first" and len(listed) == 2
    assert "first" in api(server, "list", "cli-hello").stdout
    machines = json.loads(api(server, "list", "--json").stdout)["stateMachines"]
    assert "cli-hello" in [m["name"] for m in machines]
    assert len(json.loads(api(server, "list", "--max", "1", "--json").stdout)["stateMachines"]) == 1


def test_history_prints_a_table_and_json(server):
    sfn = server.client()
    machine = sfn.create_state_machine(name="cli-history", definition=json.dumps(HELLO), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"who": "Di"}')["executionArn"]
    wait_for_status(sfn, execution, "SUCCEEDED")
    table = api(server, "history", execution)
    assert table.exit_code == 0
    for kind in ("ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"):
        assert kind in table.stdout
    events = json.loads(api(server, "history", execution, "--json").stdout)["events"]
    assert [e["id"] for e in events] == [1, 2, 3, 4]


def test_history_follow_streams_events_until_the_execution_ends(server, activity, waiting_machine):
    sfn = server.client()
    execution = sfn.start_execution(stateMachineArn=waiting_machine)["executionArn"]
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sojourn.cli",
            "history",
            execution,
            "--follow",
            "--json",
            "--endpoint",
            server.url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        seen = []
        while "ActivityScheduled" not in seen:
            seen.append(json.loads(follower.stdout.readline())["type"])
        token = sfn.get_activity_task(activityArn=activity)["taskToken"]
        sfn.send_task_success(taskToken=token, output="{}")
        rest, errors = follower.communicate(timeout=30)
    finally:
        follower.kill()
    seen += [json.loads(line)["type"] for line in rest.splitlines()]
    assert follower.returncode == 0, errors
    assert seen[0] == "ExecutionStarted" and seen[-1] == "ExecutionSucceeded"
    assert "ActivitySucceeded" in seen and len(seen) == len(set(seen))  # each event once


def test_send_task_success_and_failure_answer_waiting_tasks(server, activity, waiting_machine, tmp_path):
    sfn = server.client()
    one = sfn.start_execution(stateMachineArn=waiting_machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    (tmp_path / "token").write_text(token + "\n")
    done = api(server, "send-task-success", f"@{tmp_path / 'token'}", "--output", '{"ok": true}')
    assert done.exit_code == 0 and "task completed" in done.stdout
    wait_for_status(sfn, one, "SUCCEEDED")
    assert_user_error(api(server, "send-task-success", "--", token), "TaskTimedOut")
    assert_user_error(api(server, "send-task-success", "forged"), "InvalidToken")
    assert_user_error(
        api(server, "send-task-success", "--task-token", token, "--output", "{no"),
        "--output is not valid JSON",
    )
    assert_user_error(api(server, "send-task-success", "@" + str(tmp_path / "nope")), "cannot read")
    assert_user_error(api(server, "send-task-success"), "give the task token once")

    two = sfn.start_execution(stateMachineArn=waiting_machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    # Tokens may start with "-", which an argument cannot: --task-token takes any.
    assert_user_error(api(server, "send-task-failure", "--task-token", "-" + "A" * 42), "TaskDoesNotExist")
    failed = api(
        server,
        "send-task-failure",
        "--task-token",
        token,
        "--error",
        "Rejected",
        "--cause",
        "no budget",
        "--json",
    )
    assert failed.exit_code == 0 and json.loads(failed.stdout) == {}
    described = wait_for_status(sfn, two, "FAILED")
    assert (described["error"], described["cause"]) == ("Rejected", "no budget")


def test_stop_then_redrive_an_execution(server, activity, waiting_machine):
    sfn = server.client()
    execution = sfn.start_execution(stateMachineArn=waiting_machine)["executionArn"]
    wait_for(lambda: len(sfn.get_execution_history(executionArn=execution)["events"]) >= 3)
    stopped = api(server, "stop", execution, "--error", "Halt", "--cause", "cli")
    assert stopped.exit_code == 0 and f"stopped {execution}" in stopped.stdout
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    redriven = json.loads(api(server, "redrive", execution, "--json").stdout)
    assert "redriveDate" in redriven
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    sfn.send_task_success(taskToken=token, output="{}")
    assert wait_for_status(sfn, execution, "SUCCEEDED")["redriveCount"] == 1
    assert_user_error(api(server, "redrive", execution), "ExecutionNotRedrivable")


def test_unknown_arns_and_names_are_one_line_errors(server):
    missing = "arn:aws:states:us-east-1:123456789012:execution:cli-hello:nobody"
    assert_user_error(api(server, "describe", missing), "ExecutionDoesNotExist")
    assert_user_error(api(server, "history", missing), "ExecutionDoesNotExist")
    assert_user_error(api(server, "stop", "not-an-arn"), "InvalidArn")
    assert_user_error(
        api(server, "start", "cli-no-such-machine"), "no state machine named 'cli-no-such-machine'"
    )
    assert_user_error(api(server, "list", "cli-no-such-machine"), "no state machine named")
    assert_user_error(api(server, "start", "cli-hello", "--name", "x" * 81), "ValidationException")


def test_a_server_that_is_not_running_is_named_in_the_error():
    nobody = f"http://127.0.0.1:{free_port()}"
    for args in (
        ["list"],
        ["describe", "arn:aws:states:us-east-1:123456789012:execution:a:b"],
        ["send-task-success", "t"],
    ):
        result = sojourn(*args, "--endpoint", nobody)
        assert_user_error(result, "cannot reach Sojourn at", "sojourn serve")


def test_commands_on_the_database_reach_executions_a_server_runs(tmp_path):
    """--db: the CLI writes to the database; the server's workers run what it starts and answers."""
    with serve(tmp_path) as running:
        activity = running.client().create_activity(name="cli-db")["activityArn"]
        child = running.client().create_state_machine(
            name="cli-db-child", definition=json.dumps(HELLO), roleArn=ROLE
        )
        definition = tmp_path / "cli-db.json"
        # The Task after the answer is scheduled by the CLI's own transaction and must run on the server
        # at once (the CLI hands its lease over as it exits), not after the lease expires.
        definition.write_text(
            json.dumps(
                {
                    "StartAt": "Ask",
                    "States": {
                        "Ask": {"Type": "Task", "Resource": activity, "Next": "Child"},
                        "Child": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::states:startExecution.sync:2",
                            "Parameters": {
                                "StateMachineArn": child["stateMachineArn"],
                                "Input": {"who.$": "$.n"},
                            },
                            "OutputPath": "$.Output",
                            "End": True,
                        },
                    },
                }
            )
        )
        db = ["--db", running.db_url]
        assert sojourn("deploy", str(definition), *db).exit_code == 0
        execution = sojourn("start", "cli-db", "--input", '{"n": 1}', *db).stdout.strip()
        token = running.client().get_activity_task(activityArn=activity)[
            "taskToken"
        ]  # the server ran the start
        assert sojourn("send-task-success", token, "--output", '{"n": 2}', *db).exit_code == 0
        done = wait_for_status(running.client(), execution, "SUCCEEDED", timeout=15)
        assert json.loads(done["output"]) == {"hello": 2}
        assert "ExecutionSucceeded" in sojourn("history", execution, *db).stdout
        assert (
            execution
            in json.loads(sojourn("list", "cli-db", "--json", *db).stdout)["executions"][0]["executionArn"]
        )


def test_serve_refuses_an_unusable_database_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sojourn.cli", "serve", "--db", "mysql://nope", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Unsupported database URL" in result.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "sojourn.cli", "serve", "--app", "nope.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert missing.returncode == 1 and "nope.yaml: no such file" in missing.stderr


def test_serve_logs_json_lines_with_json(tmp_path):
    with serve(tmp_path, "--json") as running:
        running.client().list_state_machines()
    lines = [json.loads(line) for line in running.logs().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["logger"] == "sojourn.server" and "workers started" in line["message"] for line in lines)


def test_the_module_runs_as_a_program(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "sojourn.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout
