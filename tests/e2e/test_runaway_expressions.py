"""A definition cannot freeze the server (issue 12): runaway JSONata expressions, started through boto3 on a
real `sojourn serve` on SQLite and on PostgreSQL, fail their own executions with AWS's error and cause while
ordinary executions run beside them and the API keeps answering; the server stops on SIGTERM mid-runaway
and starts again. The latencies measured are printed (`pytest -s`), never asserted."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from servers import serve
from sojourn.asl.budget import DEPTH_EXCEEDED, MEMORY_EXCEEDED, TIMED_OUT

ROLE = "arn:aws:iam::123456789012:role/test"
RUNAWAYS = {
    "omega": ("function($x){$x($x)}(function($x){$x($x)})", TIMED_OUT),
    "tail": ("($f := function($x){ $f($x+1) }; $f(1))", TIMED_OUT),
    "range": ("$count([1..10000000])", MEMORY_EXCEEDED),
    "pad": ("$pad('', 10000000)", MEMORY_EXCEEDED),
    "deep": ("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))", DEPTH_EXCEEDED),
}
ORDINARY = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Result": {"n": 1}, "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 0, "Next": "B"},
        "B": {"Type": "Pass", "End": True},
    },
}


def _finished(sfn: Any, arn: str, limit: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {limit}s"
        time.sleep(0.05)


def _ordinary_runs(sfn: Any, machine: str, count: int) -> tuple[list[float], list[float]]:
    """Start `count` ordinary executions one after another: how long each StartExecution took, and each
    execution from before its start to its end as the client saw it."""
    starts, durations = [], []
    for _ in range(count):
        began = time.perf_counter()
        arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        starts.append(time.perf_counter() - began)
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.perf_counter() - began < 90, f"{arn} still RUNNING after 90s"
            time.sleep(0.005)
        assert described["status"] == "SUCCEEDED", described
        durations.append(time.perf_counter() - began)
    return starts, durations


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _figures(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    return (
        f"{label}: median {statistics.median(ordered) * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms over {len(ordered)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_runaway_expressions_fail_their_executions_and_leave_the_rest_running(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
):
    db_url = request.getfixturevalue("postgres_store_url")() if database == "postgres" else None
    with serve(tmp_path, db_url=db_url) as server:
        sfn = server.client()
        ordinary = sfn.create_state_machine(name="Ordinary", definition=json.dumps(ORDINARY), roleArn=ROLE)[
            "stateMachineArn"
        ]
        before = _ordinary_runs(sfn, ordinary, 10)
        runaway_arns, machines = {}, {}
        for name, (expression, _) in RUNAWAYS.items():
            definition = {
                "QueryLanguage": "JSONata",
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Output": {"r": "{% " + expression + " %}"}, "End": True}},
            }
            machines[name] = sfn.create_state_machine(
                name=f"Runaway-{name}", definition=json.dumps(definition), roleArn=ROLE
            )["stateMachineArn"]
        starter = threading.Thread(
            target=lambda: runaway_arns.update(
                {
                    name: server.client().start_execution(stateMachineArn=machine, input="{}")["executionArn"]
                    for name, machine in machines.items()
                }
            )
        )
        starter.start()
        # ordinary executions and API calls one after another,
        # for as long as any runaway is starting or RUNNING
        api: list[float] = []
        beside: tuple[list[float], list[float]] = ([], [])
        while starter.is_alive() or any(
            sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in runaway_arns.values()
        ):
            api.append(_timed(lambda: sfn.list_state_machines()))
            starts, durations = _ordinary_runs(sfn, ordinary, 1)
            beside[0].extend(starts)
            beside[1].extend(durations)
        starter.join()
        assert beside[0], "the runaways ended before anything ran beside them"
        for name, arn in runaway_arns.items():
            described = _finished(sfn, arn)
            assert described["status"] == "FAILED", (name, described)
            assert described["error"] == "States.QueryEvaluationError", (name, described)
            assert described["cause"].endswith("threw an error during evaluation: " + RUNAWAYS[name][1]), (
                described["cause"]
            )
        print(
            f"\n[{database}] "
            + "; ".join(
                [
                    _figures("StartExecution alone", before[0]),
                    _figures("ordinary execution alone", before[1]),
                    _figures("StartExecution beside 5 runaways", beside[0]),
                    _figures("ordinary execution beside 5 runaways", beside[1]),
                    _figures("ListStateMachines beside the runaways", api),
                ]
            )
        )

        # SIGTERM while an expression runs for ever: the server stops within its grace, and comes back
        spinning = sfn.start_execution(stateMachineArn=machines["omega"], input="{}")["executionArn"]
        time.sleep(0.3)
        assert server.stop(timeout=20) == 0, server.logs()
    with serve(tmp_path, db_url=db_url) as again:
        sfn = again.client()
        assert _finished(sfn, spinning)["status"] == "FAILED"
        assert len(_ordinary_runs(sfn, ordinary, 3)[1]) == 3
