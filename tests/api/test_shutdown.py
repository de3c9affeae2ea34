"""Graceful shutdown of `sojourn serve` and `sojourn worker` (real processes, real signals), and workers in a
separate process sharing one PostgreSQL database with an API-only server."""

from __future__ import annotations

import json
import signal
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from servers import serve, wait_for, wait_for_status, worker
from sojourn.client import Client

from .conftest import ROLE

pytestmark = pytest.mark.slow  # each test starts and stops servers

NAP = "arn:aws:states:us-east-1:123456789012:stateMachine:Nap"

# The first call sleeps; each call appends a line to `marker`, so the test sees calls start and counts them.
HANDLER = """
import time
from pathlib import Path


def handler(event, context):
    marker = Path(event["marker"])
    with marker.open("a") as f:
        f.write(context.aws_request_id + "\\n")
    calls = len(marker.read_text().splitlines())
    if calls == 1:
        time.sleep(event["seconds"])
    return {"calls": calls}
"""

APP = """
functions:
  slow: {handler: slow.handler, timeout: 60}
state_machines:
  Nap:
    definition:
      StartAt: Call
      States:
        Call: {Type: Task, Resource: "${Function:slow}", End: true}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "slow.py").write_text(textwrap.dedent(HANDLER))
    (tmp_path / "app.yaml").write_text(APP)
    return tmp_path / "app.yaml"


def stored(db_url: str, execution_arn: str) -> dict[str, Any]:
    """The execution as the database holds it, read by a client that runs nothing."""
    with Client(db_url, workers=0, start=False) as client:
        return client.describe_execution(executionArn=execution_arn)


def test_sigterm_lets_a_running_task_finish_and_commit(tmp_path, app):
    marker = tmp_path / "calls"
    with serve(tmp_path, "--app", str(app)) as server:
        execution = server.client().start_execution(
            stateMachineArn=NAP, input=json.dumps({"marker": str(marker), "seconds": 1.5})
        )["executionArn"]
        wait_for(marker.exists)  # the function is running
        assert server.stop(signal.SIGTERM) == 0
        assert "workers stopped" in server.logs()
    done = stored(server.db_url, execution)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"calls": 1}


def test_a_task_outliving_the_grace_period_runs_again_after_the_next_start(tmp_path, app):
    marker = tmp_path / "calls"
    with serve(tmp_path, "--app", str(app), "--grace", "0.5") as first:
        execution = first.client().start_execution(
            stateMachineArn=NAP, input=json.dumps({"marker": str(marker), "seconds": 8})
        )["executionArn"]
        wait_for(marker.exists)
        assert first.stop(signal.SIGINT) == 0  # Ctrl+C: the function, in its own session, is not signalled
        assert "run again after the next start" in first.logs()
    left = stored(first.db_url, execution)
    assert left["status"] == "RUNNING"  # neither finished nor failed by the shutdown
    with serve(tmp_path, "--app", str(app)) as second:
        done = wait_for_status(second.client(), execution, "SUCCEEDED", timeout=30)
    assert json.loads(done["output"]) == {"calls": 2}
    with Client(second.db_url, workers=0, start=False) as client:
        history = [e["type"] for e in client.get_execution_history(executionArn=execution)["events"]]
    assert "LambdaFunctionFailed" not in history and history[-1] == "ExecutionSucceeded"


def test_sigterm_ends_a_long_poll_with_no_task_and_the_server_exits(tmp_path):
    with serve(tmp_path) as server:
        sfn = server.client()
        activity = sfn.create_activity(name="shutdown-poll")["activityArn"]
        answers: list[dict[str, Any]] = []
        poller = threading.Thread(target=lambda: answers.append(sfn.get_activity_task(activityArn=activity)))
        poller.start()
        time.sleep(1.0)  # the poll reaches the server (nothing observable tells when it waits there)
        assert server.stop(signal.SIGTERM, timeout=30) == 0
        poller.join(timeout=30)
    assert not poller.is_alive()
    assert [a.get("taskToken") for a in answers] == [None]  # AWS's answer when no task came


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    schema = f"api_{uuid.uuid4().hex[:12]}"
    yield f"{postgres_url}?schema={schema}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.postgres
def test_a_worker_process_runs_what_an_api_only_server_starts_on_postgresql(tmp_path, postgres_schema):
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:pg-approve",
                "Next": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {
                "Type": "Pass",
                "Parameters": {"answer.$": "$.answer", "n.$": "$$.Execution.Input.n"},
                "End": True,
            },
        },
    }
    with serve(tmp_path, "--workers", "0", db_url=postgres_schema) as server:
        sfn = server.client()
        activity = sfn.create_activity(name="pg-approve")["activityArn"]
        machine = sfn.create_state_machine(name="pg-flow", definition=json.dumps(definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
        executions = [
            sfn.start_execution(stateMachineArn=machine, input=json.dumps({"n": n}))["executionArn"]
            for n in range(4)
        ]
        # No worker yet: the API-only server only records the starts.
        assert all(len(sfn.get_execution_history(executionArn=arn)["events"]) == 1 for arn in executions)
        with worker(tmp_path, postgres_schema, "--workers", "2") as workers:
            for n in range(len(executions)):
                task = sfn.get_activity_task(activityArn=activity, workerName="pg")
                sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"answer": n}))
            outputs = [
                json.loads(wait_for_status(sfn, arn, "SUCCEEDED", timeout=60)["output"]) for arn in executions
            ]
            assert sorted(o["n"] for o in outputs) == [0, 1, 2, 3]
            assert workers.stop(signal.SIGTERM) == 0
        assert "workers stopped" in workers.logs()
