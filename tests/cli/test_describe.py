"""`sojourn describe` finds an execution by its name (or MACHINE/NAME), and says what a running one waits for:
a task token and its timeout and heartbeat, a Wait's end, a Map's and a Parallel's children still running."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.conftest import ROLE
from cli.test_commands import api, assert_user_error, sojourn
from servers import wait_for, wait_for_status

NAME = "waiting-for-people"
WAITS = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "End": True,
            "Branches": [
                {
                    "StartAt": "Ask",
                    "States": {
                        "Ask": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::sojourn:email.send.waitForTaskToken",
                            "Parameters": {
                                "To": ["lead@example.com"],
                                "Subject": "Approve?",
                                "Text.$": "$$.Task.Token",
                            },
                            "TimeoutSeconds": 3600,
                            "HeartbeatSeconds": 600,
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "Pause",
                    "States": {"Pause": {"Type": "Wait", "SecondsPath": "$.pause", "End": True}},
                },
                {
                    "StartAt": "Loop",
                    "States": {
                        "Loop": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "MaxConcurrency": 1,
                            "End": True,
                            "ItemProcessor": {
                                "StartAt": "Nap",
                                "States": {"Nap": {"Type": "Wait", "Seconds": 7200, "End": True}},
                            },
                        }
                    },
                },
            ],
        }
    },
}
QUICK = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.fixture(scope="module")
def waiting(server) -> dict[str, Any]:
    """An execution named NAME waiting in three branches,
    and a finished one of the same name on another machine."""
    sfn = server.client()
    machine = sfn.create_state_machine(name="DescribeWaits", definition=json.dumps(WAITS), roleArn=ROLE)[
        "stateMachineArn"
    ]
    other = sfn.create_state_machine(name="DescribeOther", definition=json.dumps(QUICK), roleArn=ROLE)[
        "stateMachineArn"
    ]
    arn = sfn.start_execution(
        stateMachineArn=machine, name=NAME, input=json.dumps({"pause": 5400, "items": [1, 2, 3]})
    )
    events = wait_for(
        lambda: _until_all_wait(sfn.get_execution_history(executionArn=arn["executionArn"])["events"])
    )
    wait_for_status(
        sfn, sfn.start_execution(stateMachineArn=other, name="shared-name")["executionArn"], "SUCCEEDED"
    )
    sfn.start_execution(
        stateMachineArn=machine, name="shared-name", input=json.dumps({"pause": 1, "items": []})
    )
    when = {e["type"]: e["timestamp"] for e in events}
    return {"arn": arn["executionArn"], "other": other, "machine": machine, "when": when}


def _until_all_wait(events: list[dict]) -> list[dict] | None:
    kinds = [e["type"] for e in events]
    ready = {"TaskSubmitted", "WaitStateEntered", "MapIterationStarted"} <= set(kinds) and kinds.count(
        "WaitStateEntered"
    ) == 2
    return events if ready else None


def stamp(value: datetime) -> str:
    return value.isoformat()


def test_describe_an_execution_by_name_says_what_each_open_state_waits_for(server, waiting):
    shown = api(server, "describe", NAME)
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"RUNNING {waiting['arn']}"
    scheduled = waiting["when"]["TaskScheduled"]
    ask = next(line for line in lines if line.strip().startswith("Ask (Task):"))
    assert "a task token (SendTaskSuccess or SendTaskFailure)" in ask
    assert (
        f"since {stamp(scheduled)}" in ask
        and f"times out at {stamp(scheduled + timedelta(seconds=3600))}" in ask
    )
    assert "heartbeat every 600 s" in ask
    assert "resource: arn:aws:states:::sojourn:email.send.waitForTaskToken" in shown.stdout
    pause = next(line for line in lines if line.strip().startswith("Pause (Wait):"))
    paused = _entered(server, waiting["arn"], "Pause")
    assert f"since {stamp(paused)}" in pause and f"ends at {stamp(paused + timedelta(seconds=5400))}" in pause
    assert any(line.strip().startswith("Loop (Map): its iterations, 1 of 3 running") for line in lines)
    assert any(line.strip().startswith("Both (Parallel): its branches, 3 of 3 running") for line in lines)
    assert any(line.strip().startswith("Nap (Wait): a timer") for line in lines)


def _entered(server, arn: str, state: str) -> datetime:
    events = server.client().get_execution_history(executionArn=arn)["events"]
    return next(e["timestamp"] for e in events if e.get("stateEnteredEventDetails", {}).get("name") == state)


def test_describe_json_adds_what_it_waits_for_to_describe_executions_answer(server, waiting):
    answer = json.loads(api(server, "describe", waiting["arn"], "--json").stdout)
    assert answer["executionArn"] == waiting["arn"] and answer["status"] == "RUNNING"
    ask = next(w for w in answer["waitingFor"] if w["state"] == "Ask")
    assert (ask["type"], ask["heartbeatSeconds"]) == ("Task", 600)
    assert datetime.fromisoformat(ask["until"]) == waiting["when"]["TaskScheduled"] + timedelta(seconds=3600)


def test_a_name_several_machines_use_is_an_error_listing_them_and_machine_slash_name_picks_one(
    server, waiting
):
    ambiguous = api(server, "describe", "shared-name")
    assert_user_error(ambiguous, "'shared-name' names 2 resources")
    assert f"{waiting['machine'].replace(':stateMachine:', ':execution:')}:shared-name" in ambiguous.stderr
    assert f"{waiting['other'].replace(':stateMachine:', ':execution:')}:shared-name" in ambiguous.stderr
    picked = json.loads(api(server, "describe", "DescribeOther/shared-name", "--json").stdout)
    assert (picked["stateMachineArn"], picked["status"]) == (waiting["other"], "SUCCEEDED")
    assert "waitingFor" not in picked  # only a running execution waits


def test_describe_still_takes_a_state_machine_name_and_says_when_nothing_has_a_name(server, waiting):
    machine = api(server, "describe", "DescribeWaits")
    assert machine.exit_code == 0 and machine.stdout.startswith(f"ACTIVE {waiting['machine']}")
    assert_user_error(
        api(server, "describe", "nobody-has-this-name"),
        "no state machine or execution named 'nobody-has-this-name'",
    )
    assert_user_error(api(server, "describe", "DescribeOther/nobody"), "ExecutionDoesNotExist")


def test_describe_help_says_which_names_it_takes():

    shown = sojourn("describe", "--help")
    assert "MACHINE/NAME" in shown.stdout and "waits for" in shown.stdout
