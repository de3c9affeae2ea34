"""A step that computes too long for a write transaction is deferred and computed outside it (issue 12).

With the engine's inline time at 0 every step that evaluates an expression is deferred: it is rolled
back, left as a slow work item, computed in a read transaction and applied in a short write one. The
execution must end exactly as it does when every step computes in its transaction.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from runtime_support import history, machine, start

from sojourn.runtime.worker import takes_call

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:double"
PASS = {
    "QueryLanguage": "JSONata",
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "Output": {"sum": "{% $sum($states.input.xs) %}"}, "End": True}},
}
FUNCTION_TASK = {
    "QueryLanguage": "JSONata",
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": FUNCTION,
            "Arguments": {"n": "{% $count($states.input.xs) %}"},
            "Output": {"doubled": "{% $states.result.n %}"},
            "End": True,
        }
    },
}
MAP = {
    "QueryLanguage": "JSONata",
    "StartAt": "M",
    "States": {
        "M": {
            "Type": "Map",
            "Items": "{% $states.input.xs %}",
            "ItemSelector": {"x": "{% $states.context.Map.Item.Value * 10 %}"},
            "ItemProcessor": {
                "StartAt": "Inner",
                "States": {"Inner": {"Type": "Pass", "Output": "{% $states.input.x + 1 %}", "End": True}},
            },
            "Output": {"all": "{% $states.result %}"},
            "End": True,
        }
    },
}
PARALLEL = {
    "QueryLanguage": "JSONata",
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "A",
                    "States": {"A": {"Type": "Pass", "Output": "{% $max($states.input.xs) %}", "End": True}},
                },
                {
                    "StartAt": "B",
                    "States": {"B": {"Type": "Pass", "Output": "{% $min($states.input.xs) %}", "End": True}},
                },
            ],
            "End": True,
        }
    },
}


def _run(make_client: Any, definition: dict[str, Any], inline_seconds: float | None) -> tuple[dict, list]:
    double = takes_call(lambda call: {"n": call.parameters["n"] * 2})
    client = make_client(resources={FUNCTION: double})
    client.workers.engine.inline_seconds = inline_seconds
    arn = start(client, machine(client, definition), {"xs": [1, 2, 3]})
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    events = [
        (event["type"], event.get("stateEnteredEventDetails", {}).get("name"))
        for event in history(client, arn)
    ]
    return described, events


@pytest.mark.parametrize(
    "definition", [PASS, FUNCTION_TASK, MAP, PARALLEL], ids=["pass", "task", "map", "parallel"]
)
def test_a_deferred_step_ends_the_execution_as_an_inline_one_does(make_client, definition):
    inline, inline_events = _run(make_client, definition, None)
    deferred, deferred_events = _run(make_client, definition, 0.0)
    assert inline["status"] == "SUCCEEDED", inline
    assert deferred["status"] == inline["status"]
    assert json.loads(deferred["output"]) == json.loads(inline["output"])
    # the same events; a Map's or Parallel's children may interleave otherwise, as concurrent ones do
    assert sorted(deferred_events, key=str) == sorted(inline_events, key=str)
    assert deferred_events[-1] == inline_events[-1] == ("ExecutionSucceeded", None)


def test_a_deferred_step_after_send_task_success_is_computed_outside_the_answer(make_client):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Arguments": {
                    "FunctionName": FUNCTION,
                    "Payload": {"token": "{% $states.context.Task.Token %}"},
                },
                "Output": {"approved": "{% $states.result.approved and $count($states.input.xs) = 3 %}"},
                "End": True,
            }
        },
    }
    tokens: list[str] = []
    catch = takes_call(lambda call: tokens.append(call.parameters["Payload"]["token"]))
    client = make_client(resources={"arn:aws:states:::lambda:invoke": catch})
    client.workers.engine.inline_seconds = 0.0
    arn = start(client, machine(client, definition), {"xs": [1, 2, 3]})
    client.run_until_idle()
    assert len(tokens) == 1
    client.send_task_success(taskToken=tokens[0], output=json.dumps({"approved": True}))
    assert client.describe_execution(executionArn=arn)["status"] == "RUNNING"  # left as slow work
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"approved": True}


def test_a_runaway_expression_deferred_still_fails_with_the_query_evaluation_error(make_client):
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Output": "{% ($f := function($x){ $f($x+1) }; $f(1)) %}", "End": True}
        },
    }
    client = make_client()
    arn = start(client, machine(client, definition))
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.QueryEvaluationError"


def _lane_processes(client: Any) -> list[Any]:
    pool = client.workers.lane._pool
    return list(pool._processes.values()) if pool is not None else []


def test_a_deferred_step_computes_in_the_slow_lanes_process(make_client):
    client = make_client()
    client.workers.engine.inline_seconds = 0.0
    arn = start(client, machine(client, PASS), {"xs": [1, 2, 3]})
    client.run_until_idle()
    described = client.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"sum": 6}
    processes = _lane_processes(client)
    assert len(processes) == 1 and processes[0].is_alive() and processes[0].pid != os.getpid()
    client.workers.stop()
    assert _lane_processes(client) == []  # stopping the workers ends the lane's process


def test_when_the_lanes_process_dies_the_step_is_computed_in_the_worker(make_client):
    client = make_client()
    client.workers.engine.inline_seconds = 0.0
    arn = start(client, machine(client, PASS), {"xs": [1, 2, 3]})
    client.run_until_idle()  # the lane's process is started and computes the first step
    for process in _lane_processes(client):
        process.kill()
        process.join(5)
    second = start(client, machine(client, PASS), {"xs": [4, 5]})
    client.run_until_idle()
    for execution, total in ((arn, 6), (second, 9)):
        described = client.describe_execution(executionArn=execution)
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == {"sum": total}
