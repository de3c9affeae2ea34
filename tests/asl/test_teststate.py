"""TestState: one state in isolation, with its status, next state, output and inspection data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sojourn.asl.errors import StatesError
from sojourn.asl.interpreter import Env, ExecutionInfo
from sojourn.asl.teststate import test_state as run_test_state

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INFO = ExecutionInfo(
    "arn:aws:states:us-east-1:1:execution:m:e",
    "e",
    {},
    T0,
    "arn:aws:states:us-east-1:1:stateMachine:m",
    "m",
    "arn:aws:iam::1:role/r",
)
ENV = Env(now=T0, new_task_token=lambda: "token")
TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"Payload.$": "$"},
    "ResultSelector": {"v.$": "$.Payload"},
    "Retry": [{"ErrorEquals": ["Flaky"]}],
    "Catch": [{"ErrorEquals": ["Broken"], "Next": "Recover"}],
    "Next": "After",
}


def test_a_pass_state_reports_its_output_and_next_state():
    answer = run_test_state(
        {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"}, {"a": 1}, info=INFO, env=ENV
    )
    assert answer == {
        "status": "SUCCEEDED",
        "output": json.dumps({"a": 1, "r": {"x": 1}}, separators=(",", ":")),
        "nextState": "B",
    }


def test_a_task_with_a_mocked_result_goes_through_its_result_selector():
    answer = run_test_state(
        TASK, {"n": 1}, mock={"result": '{"Payload": 7}'}, inspection_level="DEBUG", info=INFO, env=ENV
    )
    assert (answer["status"], answer["nextState"], json.loads(answer["output"])) == (
        "SUCCEEDED",
        "After",
        {"v": 7},
    )
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"Payload": {"n": 1}}


def test_a_retriable_error_is_reported_as_retriable():
    answer = run_test_state(
        TASK, {}, mock={"errorOutput": {"error": "Flaky", "cause": "c"}}, info=INFO, env=ENV
    )
    assert (answer["status"], answer["error"]) == ("RETRIABLE", "Flaky")


def test_a_caught_error_names_the_catchers_target():
    def invoke(action):
        raise StatesError("Broken", "b")

    answer = run_test_state(TASK, {}, invoke=invoke, info=INFO, env=ENV)
    assert (answer["status"], answer["error"], answer["nextState"]) == ("CAUGHT_ERROR", "Broken", "Recover")


def test_a_state_of_a_full_definition_is_picked_by_name():
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Fail", "Error": "No"}},
    }
    answer = run_test_state(definition, {}, state_name="B", info=INFO, env=ENV)
    assert (answer["status"], answer["error"]) == ("FAILED", "No")


# AWS API reference: TestState, InspectionData, InspectionErrorDetails and TestStateConfiguration.
FULL_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "InputPath": "$.in",
    "Parameters": {"FunctionName": "f", "Payload.$": "$", "item.$": "$$.Map.Item.Value"},
    "ResultSelector": {"p.$": "$.Payload"},
    "ResultPath": "$.r",
    "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 3}],
    "Catch": [{"ErrorEquals": ["Other"], "Next": "Elsewhere"}, {"ErrorEquals": ["Flaky"], "Next": "Recover"}],
    "End": True,
}


def test_debug_inspection_data_shows_each_stage_of_the_data_flow():
    context = ExecutionInfo(**{**INFO.__dict__, "context": {"Map": {"Item": {"Value": 7}}}})
    answer = run_test_state(
        FULL_TASK,
        {"in": {"a": 1}},
        mock={"result": '{"Payload": {"ok": true}}'},
        inspection_level="DEBUG",
        info=context,
        env=ENV,
    )
    stages = {key: json.loads(value) for key, value in answer["inspectionData"].items()}
    assert stages == {
        "input": {"in": {"a": 1}},
        "afterInputPath": {"a": 1},
        "afterParameters": {"FunctionName": "f", "Payload": {"a": 1}, "item": 7},
        "result": {"Payload": {"ok": True}},
        "afterResultSelector": {"p": {"ok": True}},
        "afterResultPath": {"in": {"a": 1}, "r": {"p": {"ok": True}}},
    }
    assert run_test_state(
        FULL_TASK, {"in": {}}, mock={"result": '{"Payload": 1}'}, info=context, env=ENV
    ).keys() == {
        "status",
        "output",
    }  # INFO: no inspection data


def test_retrier_retry_count_decides_whether_a_mocked_error_is_retried_or_caught():
    outcomes = []
    for count in (0, 1, 2):
        answer = run_test_state(
            FULL_TASK,
            {"in": {}},
            mock={"errorOutput": {"error": "Flaky", "cause": "again"}},
            inspection_level="DEBUG",
            info=ExecutionInfo(**{**INFO.__dict__, "context": {"Map": {"Item": {"Value": 0}}}}),
            env=ENV,
            retrier_retry_count=count,
        )
        outcomes.append((answer["status"], answer.get("nextState"), answer["inspectionData"]["errorDetails"]))
    assert outcomes == [
        ("RETRIABLE", None, {"retryIndex": 0, "retryBackoffIntervalSeconds": 3}),
        ("RETRIABLE", None, {"retryIndex": 0, "retryBackoffIntervalSeconds": 6}),  # 3 s x BackoffRate 2
        ("CAUGHT_ERROR", "Recover", {"catchIndex": 1}),  # MaxAttempts 2 spent: the second catcher
    ]


def test_the_given_context_is_what_the_state_sees():
    state = {
        "Type": "Pass",
        "Parameters": {"name.$": "$$.Execution.Name", "state.$": "$$.State.Name"},
        "End": True,
    }
    info = ExecutionInfo(**{**INFO.__dict__, "context": {"Execution": {"Name": "from-context"}}})
    answer = run_test_state(state, {}, info=info, env=ENV)
    assert json.loads(answer["output"]) == {"name": "from-context", "state": "TestState"}
