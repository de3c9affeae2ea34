"""The interpreter, driven in memory by `sojourn.run`: data flow, errors, Parallel, Map, variables,
history."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

import sojourn
from sojourn.asl.errors import StatesError
from sojourn.asl.interpreter import (
    ChildDone,
    Env,
    ExecutionInfo,
    Fail,
    Finish,
    Fork,
    Interpreter,
    InvokeTask,
    RunOutcome,
    Sleep,
    Start,
    TaskSuccess,
    TimerFired,
)
from sojourn.asl.program import compile_definition
from sojourn.runner import VirtualClock, takes_request

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
LAMBDA = "arn:aws:states:::lambda:invoke"
FN = "arn:aws:lambda:us-east-1:123456789012:function:work"


def machine(*states: tuple[str, dict], **top) -> dict:
    """A definition from (name, state) pairs; the first is StartAt."""
    return {"StartAt": states[0][0], "States": dict(states), **top}


def types(result) -> list[str]:
    return [event["type"] for event in result.history]


def run(definition, input=None, **kwargs):
    return sojourn.run(
        definition, input if input is not None else {}, clock=VirtualClock(T0), seed=7, **kwargs
    )


# -- data flow (spec: "Input and Output Processing") --------------------------------------------------

DATA_FLOW = [
    pytest.param({"Type": "Pass", "End": True}, {"a": 1}, {"a": 1}, id="pass-through"),
    pytest.param({"Type": "Pass", "Result": {"r": 1}, "End": True}, {"a": 1}, {"r": 1}, id="result-replaces"),
    pytest.param(
        {"Type": "Pass", "Result": 5, "ResultPath": "$.b.c", "End": True},
        {"a": 1},
        {"a": 1, "b": {"c": 5}},
        id="resultpath-creates-nested",
    ),
    pytest.param(
        {"Type": "Pass", "Result": 5, "ResultPath": None, "End": True},
        {"a": 1},
        {"a": 1},
        id="resultpath-null-discards",
    ),
    pytest.param(
        {"Type": "Pass", "InputPath": "$.a", "End": True}, {"a": {"x": 2}}, {"x": 2}, id="inputpath"
    ),
    pytest.param({"Type": "Pass", "InputPath": None, "End": True}, {"a": 1}, {}, id="inputpath-null"),
    pytest.param({"Type": "Pass", "OutputPath": "$.a", "End": True}, {"a": [1, 2]}, [1, 2], id="outputpath"),
    pytest.param({"Type": "Pass", "OutputPath": None, "End": True}, {"a": 1}, {}, id="outputpath-null"),
    pytest.param(
        {"Type": "Pass", "Parameters": {"x.$": "$.a", "lit": "$.a", "nested": [{"y.$": "$.b"}]}, "End": True},
        {"a": 1, "b": 2},
        {"x": 1, "lit": "$.a", "nested": [{"y": 2}]},
        id="parameters-template",
    ),
    pytest.param(
        {
            "Type": "Pass",
            "Parameters": {"name.$": "$$.Execution.Name", "state.$": "$$.State.Name"},
            "End": True,
        },
        {},
        {"name": "ex-1", "state": "S"},
        id="context-object",
    ),
    pytest.param(
        {"Type": "Pass", "Parameters": {"all.$": "$.items[*].id"}, "End": True},
        {"items": [{"id": 1}, {"id": 2}]},
        {"all": [1, 2]},
        id="indefinite-path-gives-list",
    ),
    pytest.param({"Type": "Succeed", "OutputPath": "$.a"}, {"a": 3}, 3, id="succeed-outputpath"),
]


@pytest.mark.parametrize(("state", "input", "expected"), DATA_FLOW)
def test_input_and_output_processing_follows_the_spec(state, input, expected):
    result = sojourn.run(machine(("S", state)), input, clock=VirtualClock(T0), name="ex-1")
    assert result.status == "SUCCEEDED", result.to_dict()
    assert result.output == expected


def test_missing_path_in_parameters_fails_with_states_runtime():
    result = run(machine(("S", {"Type": "Pass", "Parameters": {"x.$": "$.nope"}, "End": True})), {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "$.nope" in result.cause


def test_resultpath_into_a_non_object_fails_with_resultpathmatchfailure():
    definition = machine(("S", {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": True}))
    result = run(definition, {"a": "text"})
    assert result.error == "States.ResultPathMatchFailure"


# -- tasks, retries and catchers ---------------------------------------------------------------------


def test_task_result_goes_through_resultselector_resultpath_and_outputpath():
    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": LAMBDA,
                "Parameters": {"FunctionName": "f", "Payload": {"n.$": "$.n"}},
                "ResultSelector": {"value.$": "$.Payload.doubled"},
                "ResultPath": "$.result",
                "OutputPath": "$.result",
                "End": True,
            },
        )
    )
    seen = []

    def invoke(parameters):
        seen.append(parameters)
        return {"Payload": {"doubled": parameters["Payload"]["n"] * 2}, "StatusCode": 200}

    result = run(definition, {"n": 21}, resources={LAMBDA: invoke})
    assert result.output == {"value": 42}
    assert seen == [{"FunctionName": "f", "Payload": {"n": 21}}]
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = result.history[2]["taskScheduledEventDetails"]
    assert scheduled["resourceType"] == "lambda" and scheduled["resource"] == "invoke"
    assert json.loads(scheduled["parameters"]) == {"FunctionName": "f", "Payload": {"n": 21}}


def test_retry_backoff_grows_by_the_rate_and_is_capped_by_max_delay():
    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN,
                "Retry": [
                    {
                        "ErrorEquals": ["Flaky"],
                        "IntervalSeconds": 2,
                        "BackoffRate": 3,
                        "MaxAttempts": 4,
                        "MaxDelaySeconds": 10,
                    }
                ],
                "End": True,
            },
        )
    )
    attempts = []

    def flaky(_):
        attempts.append(len(attempts))
        if len(attempts) < 5:
            raise StatesError("Flaky", "try again")
        return "ok"

    result = run(definition, resources={FN: flaky})
    assert result.output == "ok"
    scheduled = [e["timestamp"] for e in result.history if e["type"] == "LambdaFunctionScheduled"]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(scheduled)]
    assert gaps == [2, 6, 10, 10]


def test_retries_exhausted_fall_through_to_the_matching_catcher_with_error_output():
    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN,
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [
                    {"ErrorEquals": ["Other"], "Next": "Wrong"},
                    {"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Handled"},
                ],
                "End": True,
            },
        ),
        ("Wrong", {"Type": "Fail", "Error": "Wrong"}),
        ("Handled", {"Type": "Pass", "End": True}),
    )

    def broken(_):
        raise ValueError("bad value")

    result = run(definition, {"keep": True}, resources={FN: broken})
    assert result.status == "SUCCEEDED"
    assert result.output == {"keep": True, "error": {"Error": "ValueError", "Cause": "bad value"}}
    assert types(result).count("LambdaFunctionFailed") == 2


def test_states_taskfailed_matches_everything_but_timeouts():
    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN,
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}],
                "End": True,
            },
        ),
        ("C", {"Type": "Pass", "End": True}),
    )

    def timeout(_):
        raise StatesError("States.Timeout", "too slow")

    def custom(_):
        raise StatesError("Custom", "x")

    assert run(definition, resources={FN: custom}).status == "SUCCEEDED"
    assert run(definition, resources={FN: timeout}).error == "States.Timeout"


def test_states_runtime_is_never_caught():
    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN,
                "Parameters": {"x.$": "$.missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                "End": True,
            },
        ),
        ("C", {"Type": "Pass", "End": True}),
    )
    result = run(definition, resources={FN: lambda p: p})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_task_token_is_in_the_context_only_for_wait_for_token_resources():
    resource = LAMBDA + ".waitForTaskToken"
    definition = machine(
        ("T", {"Type": "Task", "Resource": resource, "Parameters": {"token.$": "$$.Task.Token"}, "End": True})
    )
    seen = []

    @takes_request
    def wait(request):
        seen.append(request)
        return {"approved": True}

    result = run(definition, resources={resource: wait})
    assert result.output == {"approved": True}
    assert seen[0].parameters["token"] == seen[0].task_token
    assert len(seen[0].task_token) >= 22  # at least 128 random bits
    token = seen[0].task_token
    assert all(
        token not in json.dumps(event, default=str) or event["type"] == "TaskScheduled"
        for event in result.history
    )


def test_fail_state_ends_the_execution_with_its_error_and_cause():
    result = run(machine(("F", {"Type": "Fail", "Error": "Denied", "Cause": "no budget"})))
    assert (result.status, result.error, result.cause) == ("FAILED", "Denied", "no budget")
    assert types(result)[-2:] == ["FailStateEntered", "ExecutionFailed"]


def test_fail_state_paths_read_the_input():
    definition = machine(("F", {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}))
    result = run(definition, {"e": "E1", "c": "because"})
    assert (result.error, result.cause) == ("E1", "because")


# -- Wait --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "input", "seconds"),
    [
        ({"Type": "Wait", "Seconds": 90, "End": True}, {}, 90),
        ({"Type": "Wait", "SecondsPath": "$.s", "End": True}, {"s": 5}, 5),
        ({"Type": "Wait", "Timestamp": "2026-01-02T12:00:00Z", "End": True}, {}, 86400),
        ({"Type": "Wait", "TimestampPath": "$.at", "End": True}, {"at": "2026-01-01T13:00:00+00:00"}, 3600),
        ({"Type": "Wait", "Timestamp": "2025-01-01T00:00:00Z", "End": True}, {}, 0),
    ],
)
def test_wait_sleeps_until_its_time(state, input, seconds):
    result = run(machine(("W", state)), input)
    assert result.status == "SUCCEEDED"
    exited = next(e for e in result.history if e["type"] == "WaitStateExited")
    assert exited["timestamp"] - T0 == timedelta(seconds=seconds)


def test_wait_with_a_bad_seconds_path_fails():
    result = run(machine(("W", {"Type": "Wait", "SecondsPath": "$.s", "End": True})), {"s": "soon"})
    assert result.error == "States.Runtime"


def test_execution_timeout_stops_a_long_wait():
    result = run(machine(("W", {"Type": "Wait", "Seconds": 100, "End": True}), TimeoutSeconds=10))
    assert result.status == "TIMED_OUT"
    assert types(result)[-1] == "ExecutionTimedOut"


# -- Parallel and Map --------------------------------------------------------------------------------


def branch(*states):
    return machine(*states)


def test_parallel_outputs_are_ordered_by_branch():
    definition = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    branch(
                        ("Slow", {"Type": "Wait", "Seconds": 10, "Next": "A"}),
                        ("A", {"Type": "Pass", "Result": "a", "End": True}),
                    ),
                    branch(("B", {"Type": "Pass", "Result": "b", "End": True})),
                ],
                "End": True,
            },
        )
    )
    result = run(definition)
    assert result.output == ["a", "b"]
    assert types(result)[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    assert types(result)[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


def test_a_failed_branch_fails_the_parallel_with_its_error_and_cancels_the_others():
    definition = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    branch(
                        ("Long", {"Type": "Wait", "Seconds": 1000, "Next": "Never"}),
                        ("Never", {"Type": "Pass", "End": True}),
                    ),
                    branch(("Boom", {"Type": "Fail", "Error": "BranchBroke", "Cause": "c"})),
                ],
                "Catch": [{"ErrorEquals": ["BranchBroke"], "Next": "Caught"}],
                "End": True,
            },
        ),
        ("Caught", {"Type": "Pass", "End": True}),
    )
    result = run(definition)
    assert result.output == {"Error": "BranchBroke", "Cause": "c"}
    assert "WaitStateExited" not in types(result)
    assert "ParallelStateFailed" in types(result)


def test_map_selects_items_and_keeps_their_order():
    definition = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemsPath": "$.orders",
                "ItemSelector": {
                    "index.$": "$$.Map.Item.Index",
                    "order.$": "$$.Map.Item.Value",
                    "customer.$": "$.customer",
                },
                "ItemProcessor": branch(("Work", {"Type": "Task", "Resource": FN, "End": True})),
                "ResultPath": "$.results",
                "End": True,
            },
        )
    )
    result = run(
        definition,
        {"customer": "c1", "orders": ["x", "y", "z"]},
        resources={FN: lambda p: f"{p['customer']}-{p['index']}-{p['order']}"},
    )
    assert result.output["results"] == ["c1-0-x", "c1-1-y", "c1-2-z"]
    assert types(result).count("MapIterationSucceeded") == 3


def test_map_max_concurrency_limits_iterations_in_flight():
    definition = machine(
        (
            "M",
            {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": branch(("Sleep", {"Type": "Wait", "SecondsPath": "$", "End": True})),
                "End": True,
            },
        )
    )
    result = run(definition, [10, 10, 10, 10])
    in_flight = peak = 0
    for event in result.history:
        if event["type"] == "MapIterationStarted":
            in_flight += 1
            peak = max(peak, in_flight)
        elif event["type"] == "MapIterationSucceeded":
            in_flight -= 1
    assert peak == 2
    ended = next(e for e in result.history if e["type"] == "MapStateSucceeded")["timestamp"]
    assert ended - T0 == timedelta(seconds=20)


def test_map_without_tolerance_fails_with_the_iterations_error():
    definition = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemProcessor": branch(("W", {"Type": "Task", "Resource": FN, "End": True})),
                "End": True,
            },
        )
    )

    def picky(item):
        if item == 2:
            raise StatesError("BadItem", "two")
        return item

    result = run(definition, [1, 2, 3], resources={FN: picky})
    assert (result.error, result.cause) == ("BadItem", "two")


@pytest.mark.parametrize(
    ("tolerance", "status", "error"),
    [
        ({"ToleratedFailureCount": 1}, "SUCCEEDED", None),
        ({"ToleratedFailureCount": 0}, "FAILED", "States.ExceedToleratedFailureThreshold"),
        ({"ToleratedFailurePercentage": 50}, "SUCCEEDED", None),
        ({"ToleratedFailurePercentage": 10}, "FAILED", "States.ExceedToleratedFailureThreshold"),
    ],
)
def test_map_tolerated_failures(tolerance, status, error):
    definition = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemProcessor": branch(("W", {"Type": "Task", "Resource": FN, "End": True})),
                "End": True,
                **tolerance,
            },
        )
    )

    def picky(item):
        if item == 2:
            raise StatesError("BadItem", "two")
        return item

    result = run(definition, [1, 2, 3], resources={FN: picky})
    assert (result.status, result.error) == (status, error)
    if status == "SUCCEEDED":
        assert result.output == [1, {"Error": "BadItem", "Cause": "two"}, 3]


def test_map_item_batcher_groups_items():
    definition = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"tag.$": "$.tag"}},
                "ItemsPath": "$.items",
                "ItemProcessor": branch(("P", {"Type": "Pass", "End": True})),
                "End": True,
            },
        )
    )
    result = run(definition, {"tag": "t", "items": [1, 2, 3]})
    assert result.output == [
        {"Items": [1, 2], "BatchInput": {"tag": "t"}},
        {"Items": [3], "BatchInput": {"tag": "t"}},
    ]


def test_map_over_an_empty_array_succeeds_with_an_empty_array():
    definition = machine(
        ("M", {"Type": "Map", "ItemProcessor": branch(("P", {"Type": "Pass", "End": True})), "End": True})
    )
    assert run(definition, []).output == []


def test_map_over_a_non_array_fails():
    definition = machine(
        ("M", {"Type": "Map", "ItemProcessor": branch(("P", {"Type": "Pass", "End": True})), "End": True})
    )
    assert run(definition, {"not": "a list"}).error == "States.Runtime"


# -- variables ---------------------------------------------------------------------------------------


def test_variables_are_assigned_after_the_state_and_visible_later():
    definition = machine(
        (
            "A",
            {"Type": "Pass", "Result": {"n": 1}, "Assign": {"count.$": "$.n", "label": "first"}, "Next": "B"},
        ),
        ("B", {"Type": "Pass", "Parameters": {"c.$": "$count", "l.$": "$label"}, "End": True}),
    )
    result = run(definition)
    assert result.output == {"c": 1, "l": "first"}
    exited = next(e for e in result.history if e["type"] == "PassStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"count": "1", "label": '"first"'}


def test_branches_read_outer_variables_but_their_assignments_stay_inside():
    definition = machine(
        ("A", {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "P"}),
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    branch(
                        ("In", {"Type": "Pass", "Assign": {"inner": "i"}, "Next": "Read"}),
                        (
                            "Read",
                            {"Type": "Pass", "Parameters": {"o.$": "$outer", "i.$": "$inner"}, "End": True},
                        ),
                    )
                ],
                "Next": "After",
            },
        ),
        ("After", {"Type": "Pass", "Parameters": {"inner.$": "$inner"}, "End": True}),
    )
    result = run(definition)
    assert result.status == "FAILED"  # $inner is not visible outside the branch
    assert result.error == "States.Runtime"
    branch_output = next(e for e in result.history if e["type"] == "ParallelStateExited")
    assert json.loads(branch_output["stateExitedEventDetails"]["output"]) == [{"o": "o", "i": "i"}]


# -- the step API the durable runtime drives ---------------------------------------------------------


def test_frames_are_plain_json_and_steps_stop_at_each_effect():
    program = compile_definition(
        machine(
            ("T", {"Type": "Task", "Resource": FN, "Next": "W"}),
            ("W", {"Type": "Wait", "Seconds": 5, "Next": "P"}),
            (
                "P",
                {"Type": "Parallel", "Branches": [branch(("X", {"Type": "Pass", "End": True}))], "End": True},
            ),
        )
    )
    interpreter = Interpreter(program)
    info = ExecutionInfo(
        "arn:aws:states:us-east-1:1:execution:m:e",
        "e",
        {},
        T0,
        "arn:aws:states:us-east-1:1:stateMachine:m",
        "m",
        "arn:aws:iam::1:role/r",
    )
    env = Env(now=T0, new_task_token=lambda: "tok")
    step = interpreter.advance(interpreter.start_frame({"a": 1}), Start(), info, env)
    assert isinstance(step.action, InvokeTask) and step.action.parameters == {"a": 1}
    frame = json.loads(json.dumps(step.frame))  # survives a round trip through the store
    step = interpreter.advance(frame, TaskSuccess({"b": 2}), info, env)
    assert step.action == Sleep(T0 + timedelta(seconds=5))
    step = interpreter.advance(step.frame, TimerFired(), info, env)
    assert isinstance(step.action, Fork) and step.action.start == [0]
    child = interpreter.advance(step.action.children[0], Start(), info, env)
    assert child.action == Finish({"b": 2})
    done = interpreter.advance(step.frame, ChildDone(0, RunOutcome(True, {"b": 2})), info, env)
    assert done.action == Finish([{"b": 2}])
    again = interpreter.advance(done.frame, TaskSuccess("late"), info, env)
    assert again.events == [] and not isinstance(again.action, (Finish, Fail))


def test_an_internal_error_fails_the_run_instead_of_raising():
    program = compile_definition(machine(("T", {"Type": "Task", "Resource": FN, "End": True})))
    interpreter = Interpreter(program)
    info = ExecutionInfo(
        "arn", "e", {}, T0, "arn:aws:states:us-east-1:1:stateMachine:m", "m", "arn:aws:iam::1:role/r"
    )
    step = interpreter.advance(
        {"m": "", "state": "Nope", "input": {}, "vars": {}, "phase": "task"},
        TaskSuccess(1),
        info,
        Env(now=T0, new_task_token=lambda: "t"),
    )
    assert isinstance(step.action, Fail) and step.action.error == "States.Runtime"


def test_oversized_state_output_fails_with_data_limit_exceeded():
    definition = machine(("T", {"Type": "Task", "Resource": FN, "End": True}))
    result = run(definition, resources={FN: lambda _: "x" * (256 * 1024 + 1)})
    assert result.error == "States.DataLimitExceeded"


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Wait", "TimestampPath": "$.when", "End": True}, "TimestampPath"),
        (
            {
                "Type": "Map",
                "ItemsPath": "$.other",
                "MaxConcurrencyPath": "$.limit",
                "End": True,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            },
            "MaxConcurrencyPath",
        ),
    ],
)
def test_a_path_field_that_selects_nothing_fails_naming_the_field_and_the_input(state, field):
    result = sojourn.run(
        {"StartAt": "S", "States": {"S": state}}, {"other": [1]}, clock=sojourn.VirtualClock()
    )
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    path = state.get("TimestampPath") or state["MaxConcurrencyPath"]
    assert (
        f"The JSONPath '{path}' specified for the field '{field}' "
        "could not be found in the input '{\"other\":[1]}'" in result.cause
    )
