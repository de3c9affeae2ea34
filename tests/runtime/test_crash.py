"""A real worker process killed with SIGKILL at random points, again and again, loses and repeats nothing.

100 executions (tasks, a Wait, Parallel, Map, a Retry, task tokens the test answers) run in a worker
process that is killed and restarted several times. Each must end with the output of an uninterrupted
run of the same input in memory (`sojourn.run`), and its history must hold each transition once.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from crash_workload import DEFINITION, approval, execution_input, in_memory_ask, resources
from runtime_support import history, machine

import sojourn
from sojourn import errors as E
from sojourn.client import Client

pytestmark = pytest.mark.slow

EXECUTIONS = 100
KILLS = 5
WORKER = Path(__file__).with_name("crash_workload.py")


@pytest.fixture(params=["sqlite", "postgres"])
def crash_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/crash.db"
    return request.getfixturevalue("postgres_store_url")()


class Worker:
    """The worker process: started, killed with SIGKILL (and reaped), started again."""

    def __init__(self, db_url: str, tokens_file: Path):
        self.command = [sys.executable, str(WORKER), db_url, str(tokens_file)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


class Approver(threading.Thread):
    """Answers every task token the worker writes, as a person would;
    stale ones (re-issued after a crash) fail."""

    def __init__(self, client: Client, tokens_file: Path):
        super().__init__(daemon=True)
        self.client = client
        self.tokens_file = tokens_file
        self.seen: set[str] = set()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            lines = (
                self.tokens_file.read_text(encoding="utf-8").splitlines() if self.tokens_file.exists() else []
            )
            for line in lines:
                payload = json.loads(line)
                if payload["token"] in self.seen:
                    continue
                self.seen.add(payload["token"])
                # a token fails when it was replaced (its invocation was repeated after a crash)
                with contextlib.suppress(E.TaskDoesNotExist, E.TaskTimedOut):
                    self.client.send_task_success(
                        taskToken=payload["token"], output=json.dumps(approval(payload))
                    )


def expected_run(number: int) -> tuple[Any, Counter[str]]:
    """The output and the event types of an uninterrupted run, in memory."""
    result = sojourn.run(
        DEFINITION, execution_input(number), resources=resources(in_memory_ask), clock=sojourn.VirtualClock()
    )
    assert result.status == "SUCCEEDED", result.to_dict()
    return result.output, _transitions(result.history)


def _transitions(events: list[dict[str, Any]]) -> Counter[str]:
    """Event types counted, but TaskSubmitted: a token answered before its call returned leaves none."""
    return Counter(event["type"] for event in events if event["type"] != "TaskSubmitted")


def assert_each_transition_once(events: list[dict[str, Any]], expected_types: Counter[str]) -> None:
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    assert [event["previousEventId"] for event in events] == list(range(len(events)))
    assert _transitions(events) == expected_types
    inside: Counter[str] = Counter()
    for event in events:
        if event["type"].endswith("StateEntered"):
            inside[event["stateEnteredEventDetails"]["name"]] += 1
        elif event["type"].endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            assert inside[name] > 0, f"{name} exited without being entered (event {event['id']})"
            inside[name] -= 1
    assert +inside == Counter(), f"states entered and never exited: {dict(+inside)}"


def test_executions_killed_at_random_points_end_as_if_never_interrupted(crash_db_url: str, tmp_path: Path):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    expected = {number: expected_run(number) for number in range(EXECUTIONS)}
    tokens_file = tmp_path / "tokens.jsonl"
    client = Client(crash_db_url, start=False)
    try:
        machine_arn = machine(client, DEFINITION, name="crash")
        arns = {
            number: client.start_execution(
                stateMachineArn=machine_arn, name=f"run-{number}", input=json.dumps(execution_input(number))
            )["executionArn"]
            for number in range(EXECUTIONS)
        }
        worker = Worker(crash_db_url, tokens_file)
        approver = Approver(client, tokens_file)
        approver.start()
        worker.start()
        try:
            running_at_kills = []
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.2, 1.2))
                worker.kill()
                running_at_kills.append(
                    len(
                        client.list_executions(
                            stateMachineArn=machine_arn, statusFilter="RUNNING", maxResults=1000
                        )["executions"]
                    )
                )
                time.sleep(rng.uniform(0.0, 0.3))
                worker.start()
            deadline = time.monotonic() + 40
            while client.list_executions(stateMachineArn=machine_arn, statusFilter="RUNNING", maxResults=1)[
                "executions"
            ]:
                assert time.monotonic() < deadline, (
                    f"executions still running 40 s after the last restart (seed {seed})"
                )
                time.sleep(0.2)
        finally:
            approver.stopping.set()
            worker.kill()
            approver.join()
        print(f"seed {seed}: executions running at each kill: {running_at_kills}")
        assert running_at_kills[0] > 0, "the first kill came after every execution had ended"
        for number, arn in arns.items():
            output, types = expected[number]
            described = client.describe_execution(executionArn=arn)
            assert described["status"] == "SUCCEEDED", (seed, number, described)
            assert json.loads(described["output"]) == output, (seed, number)
            assert_each_transition_once(history(client, arn), types)
    finally:
        client.close()
