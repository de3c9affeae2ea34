"""At 80 columns the CLI prints every ARN whole on one line, so that it can be copied: a table row wider
than the terminal is printed unbroken rather than folded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from api.conftest import ROLE
from servers import Server, wait_for, wait_for_status

MACHINE = "A-state-machine-whose-name-is-long-enough-to-overflow-eighty-columns"
EXECUTION = "an-execution-name-long-enough-that-its-arn-is-twice-as-wide-as-the-terminal"


def sojourn(server: Server, *args: str) -> str:
    """`sojourn ARGS --endpoint URL` in a new process, printing to a pipe 80 columns wide."""
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "sojourn.cli", *args, "--endpoint", server.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_whole(arn: str, output: str) -> None:
    assert any(arn in line for line in output.splitlines()), f"{arn} is not whole on any line of:\n{output}"


@pytest.fixture(scope="module")
def arns(server) -> dict[str, Any]:
    """A finished execution of a machine with a long name,
    and one waiting for an activity with a long name."""
    sfn = server.client()
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name=MACHINE, definition=definition, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name=EXECUTION)["executionArn"]
    wait_for_status(sfn, execution, "SUCCEEDED")
    activity = sfn.create_activity(name="an-activity-whose-name-is-long-enough-to-overflow-eighty-columns")[
        "activityArn"
    ]
    asks = json.dumps(
        {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": activity, "End": True}}}
    )
    asking = sfn.create_state_machine(name=MACHINE + "-asks", definition=asks, roleArn=ROLE)[
        "stateMachineArn"
    ]
    waiting = sfn.start_execution(stateMachineArn=asking)["executionArn"]
    wait_for(
        lambda: any(
            e["type"] == "ActivityScheduled"
            for e in sfn.get_execution_history(executionArn=waiting)["events"]
        )
    )
    return {"machine": machine, "execution": execution, "activity": activity, "waiting": waiting}


def test_list_prints_state_machine_and_execution_arns_whole_at_80_columns(server, arns):
    assert len(arns["execution"]) > 160
    assert_whole(arns["machine"], sojourn(server, "list"))
    listed = sojourn(server, "list", MACHINE)
    assert_whole(arns["execution"], listed)
    assert len(listed.splitlines()) == 2  # the header and the one execution, each on one line


def test_describe_prints_arns_whole_at_80_columns(server, arns):
    described = sojourn(server, "describe", arns["execution"])
    assert_whole(arns["execution"], described)
    assert_whole(arns["machine"], described)
    assert_whole(arns["machine"], sojourn(server, "describe", MACHINE))


def test_history_prints_an_arn_in_its_details_whole_at_80_columns(server, arns):
    assert_whole(arns["activity"], sojourn(server, "history", arns["waiting"]))
