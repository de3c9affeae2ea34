"""`sojourn tasks ...` (Sojourn's own human tasks) against a real `sojourn serve --app` with people,
through its API (--endpoint) and its database (--db): tables for people, --json for scripts, one red line
for a mistake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from humantask_support import ask_definition
from servers import Server, serve, wait_for, wait_for_status

from .test_commands import assert_user_error, sojourn

SUBCOMMANDS = ["list", "show", "events", "decide", "reassign", "cancel"]
APP = """
name: cli-tasks
people:
  ann: {name: Ann Lead, email: ann@example.com}
  bob: {name: Bob Finance, email: bob@example.com}
state_machines:
  CliLeave: {definition: leave.json}
"""
LEAVE = ask_definition(
    {
        "Title": "{% $states.input.title %}",
        "Assignees": ["ann"],
        "Form": {"type": "object", "properties": {"days": {"type": "integer"}}},
    }
)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:CliLeave"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("cli-tasks")
    (home / "app.yaml").write_text(APP)
    (home / "leave.json").write_text(LEAVE)
    with serve(home, "--app", str(home / "app.yaml")) as running:
        yield running


def api(server: Server, *args: str) -> Any:
    return sojourn("tasks", *args, "--endpoint", server.url)


def start(server: Server, title: str) -> tuple[str, str]:
    """(execution ARN, its human task's id), once the task is open."""
    arn = server.client().start_execution(stateMachineArn=MACHINE, input=json.dumps({"title": title}))[
        "executionArn"
    ]
    listed = wait_for(
        lambda: json.loads(api(server, "list", "--execution", arn, "--json").stdout)["humanTasks"]
    )
    return arn, listed[0]["taskId"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_tasks_command_has_help_and_a_json_option(command):
    result = sojourn("tasks", command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout and "--json" in result.stdout


def test_list_show_events_and_decide_through_the_api(server):
    arn, task = start(server, "Leave <for> Ann")
    _, other = start(server, "Another leave")
    table = api(server, "list", "--status", "open", "--machine", "CliLeave")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["taskId", "status", "age", "title"]
    assert lines[1].startswith(other) and lines[2].startswith(task)  # newest first
    assert "Leave <for> Ann" in lines[2] and "ann (ASKED)" in lines[2] and "OPEN" in lines[2]
    assert len(json.loads(api(server, "list", "--max", "1", "--json").stdout)["humanTasks"]) == 1
    assert json.loads(api(server, "list", "--older-than", "1h", "--json").stdout)["humanTasks"] == []
    assert_user_error(api(server, "list", "--older-than", "soon"), "not a duration")
    assert_user_error(api(server, "list", "--status", "WAITING"), "ValidationException")
    shown = api(server, "show", task)
    assert shown.exit_code == 0 and "Leave <for> Ann" in shown.stdout and "Approve, Deny" in shown.stdout
    assert "ann@example.com" in shown.stdout and "ASKED" in shown.stdout
    assert json.loads(api(server, "show", task, "--json").stdout)["executionArn"] == arn
    assert_user_error(api(server, "decide", task, "--as", "ann", "--decision", "Approve", "--form", "{x"))
    refused = api(server, "decide", task, "--as", "ann", "--decision", "Approve", "--form", '{"days": "two"}')
    assert_user_error(refused, "DecisionRefused", "\n  days: ")
    decided = api(
        server,
        "decide",
        task,
        "--as",
        "ann",
        "--decision",
        "Approve",
        "--form",
        '{"days": 2}',
        "--comment",
        "ok",
    )
    assert decided.exit_code == 0 and f"task {task} closed: Approve" in decided.stdout
    assert json.loads(wait_for_status(server.client(), arn, "SUCCEEDED")["output"])["Form"] == {"days": 2}
    events = api(server, "events", task)
    assert events.exit_code == 0 and "CREATED" in events.stdout and "CLOSED" in events.stdout
    decided_event = next(
        e
        for e in json.loads(api(server, "events", task, "--json").stdout)["events"]
        if e["type"] == "DECIDED"
    )
    assert decided_event["actor"] == "ann" and json.loads(decided_event["details"])["comment"] == "ok"
    assert_user_error(api(server, "show", "ht-nothing"), "TaskDoesNotExist")


def test_reassign_and_cancel_through_the_api(server):
    arn, task = start(server, "Leave to move")
    moved = api(server, "reassign", task, "--to", "bob", "--from", "ann", "--reason", "away")
    assert moved.exit_code == 0 and "asked bob; removed ann" in moved.stdout
    cancelled = api(server, "cancel", task, "--reason", "withdrawn", "--json")
    assert json.loads(cancelled.stdout) == {"taskId": task, "status": "CANCELLED"}
    done = wait_for_status(server.client(), arn, "SUCCEEDED")
    assert json.loads(done["output"]) == {"Error": "Sojourn.HumanTaskCancelled", "Cause": "withdrawn"}
    assert_user_error(api(server, "cancel", task), "ConflictException")


def test_the_tasks_commands_work_on_the_database_directly(server):
    arn, task = start(server, "Leave by database")
    db = ["--db", server.db_url]
    listed = json.loads(sojourn("tasks", "list", "--execution", arn, "--json", *db).stdout)["humanTasks"]
    assert [t["taskId"] for t in listed] == [task]
    assert "Leave by database" in sojourn("tasks", "show", task, *db).stdout
    decided = sojourn("tasks", "decide", task, "--as", "ann@example.com", "--decision", "Deny", *db)
    assert decided.exit_code == 0 and "closed: Deny" in decided.stdout
    assert json.loads(wait_for_status(server.client(), arn, "SUCCEEDED")["output"])["Outcome"] == "Deny"
