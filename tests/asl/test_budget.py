"""What a definition's expressions may spend (sojourn.asl.budget): AWS's JSONata depth and memory bounds,
Sojourn's time bounds, and the 25,000-event history, in `sojourn.run`.

AWS's bounds and causes are those floci bisected against AWS with TestState (github.com/floci-io/floci
issue 2737): `[1..873782]` accepted and `[1..873783]` refused, a string of 2^22 characters accepted and
2^23 refused, nesting refused near depth 100.
"""

from __future__ import annotations

import pytest

import sojourn
from sojourn.asl.budget import DEPTH_EXCEEDED, MEMORY_EXCEEDED, TIMED_OUT, Limits
from sojourn.asl.interpreter import HISTORY_LIMIT_CAUSE, MAX_HISTORY_EVENTS

FAST = Limits(step_seconds=0.2, run_seconds=2.0)  # the time bounds made short, so that the tests are quick


def output_of(expression: str, limits: Limits = FAST) -> sojourn.Result:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": {"r": expression}, "End": True}},
    }
    return sojourn.run(definition, {}, limits=limits)


THREW = "specified for the field 'Output/r' threw an error during evaluation: "

RUNAWAYS = [
    # (expression, what the cause ends with)
    ("{% function($x){$x($x)}(function($x){$x($x)}) %}", TIMED_OUT),  # the issue's: a tail call for ever
    ("{% ($f := function($x){ $f($x+1) }; $f(1)) %}", TIMED_OUT),
    ("{% $count([1..10000000]) %}", MEMORY_EXCEEDED),
    ("{% $count([1..873783]) %}", MEMORY_EXCEEDED),
    ("{% $pad('', 10000000) %}", MEMORY_EXCEEDED),
    ("{% $length($pad('', 8388608)) %}", MEMORY_EXCEEDED),
    ("{% $pad('', 1000000000000) %}", MEMORY_EXCEEDED),  # refused before a terabyte is asked for
    ("{% $count([1..800000].$pad('', 7000000)) %}", MEMORY_EXCEEDED),  # each within the bound, not all
    ("{% $replace($pad('', 4000000, 'a'), /a/, $pad('', 1000, 'b')) %}", MEMORY_EXCEEDED),
    ("{% ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000)) %}", DEPTH_EXCEEDED),
    ("{% " + "+".join(["1"] * 200) + " %}", DEPTH_EXCEEDED),
    ("{% $replace($pad('', 3000000, 'a'), 'a', 'b') %}", TIMED_OUT),  # a library loop between two nodes
    ("{% $match($pad('', 40, 'a') & 'b', /^(a|a)*$/) %}", TIMED_OUT),  # a pattern that backtracks for ever
]


@pytest.mark.parametrize(
    ("expression", "ending"), RUNAWAYS, ids=[f"runaway-{i}" for i in range(len(RUNAWAYS))]
)
def test_a_runaway_expression_fails_its_state_with_query_evaluation_error(expression: str, ending: str):
    result = output_of(expression)
    assert result.status == "FAILED"
    assert result.error == "States.QueryEvaluationError"
    assert result.cause.endswith(THREW + ending), result.cause


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("{% $count([1..873782]) %}", 873782),  # AWS's largest accepted sequence
        ("{% $length($pad('', 4194304)) %}", 4194304),  # 2^22 characters: accepted on AWS
        ("{% " + "+".join(["1"] * 90) + " %}", 90),
        ("{% ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(20)) %}", 20),
        ("{% $replace('banana', /a/, 'o') %}", "bonono"),
        ("{% $match('abcabc', /b(c)/).groups %}", ["c", "c"]),
        ("{% $split('a1b22c', /[0-9]+/) %}", ["a", "b", "c"]),
        ("{% $contains('Hello', /l+/) %}", True),
    ],
    ids=[
        "range-at-bound",
        "string-at-bound",
        "depth-90",
        "recursion-20",
        "replace",
        "match",
        "split",
        "contains",
    ],
)
def test_expressions_within_awss_bounds_still_evaluate(expression: str, expected):
    result = output_of(expression, Limits())
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"r": expected}


def test_a_runaway_can_be_caught_like_any_evaluation_error():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Spin",
        "States": {
            "Spin": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "P",
                        "States": {
                            "P": {
                                "Type": "Pass",
                                "Output": "{% ($f := function($x){ $f($x) }; $f(1)) %}",
                                "End": True,
                            }
                        },
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
        },
    }
    result = sojourn.run(definition, {}, limits=FAST)
    assert result.status == "SUCCEEDED"
    assert result.output == "States.QueryEvaluationError"  # the handler ran: Catch on a state with End


def test_a_retry_loop_of_costly_expressions_ends_on_the_virtual_clock():
    # Each attempt spends its whole step (0.2 s) and is retried for ever; the run's total ends it.
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Spin",
        "States": {
            "Spin": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "P",
                        "States": {
                            "P": {
                                "Type": "Pass",
                                "Output": "{% ($f := function($x){ $f($x) }; $f(1)) %}",
                                "End": True,
                            }
                        },
                    }
                ],
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "MaxAttempts": 99999999,
                        "IntervalSeconds": 1,
                        "BackoffRate": 1,
                    }
                ],
                "End": True,
            }
        },
    }
    result = sojourn.run(
        definition, {}, clock=sojourn.VirtualClock(), limits=Limits(step_seconds=0.2, run_seconds=1.0)
    )
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert "spent more than 1 seconds computing its states" in result.cause


def test_a_retry_loop_of_cheap_failures_ends_at_the_history_limit():
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "MaxAttempts": 99999999,
                        "IntervalSeconds": 1,
                        "BackoffRate": 1,
                    }
                ],
                "End": True,
            }
        },
    }

    def flaky(_):
        raise RuntimeError("down")

    result = sojourn.run(definition, {}, resources=flaky, clock=sojourn.VirtualClock())
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert HISTORY_LIMIT_CAUSE in result.cause
    assert len(result.history) <= MAX_HISTORY_EVENTS + 1


def test_a_map_whose_iterations_cannot_fit_in_the_history_fails_before_it_runs_them():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Items": "{% [1..200000] %}",
                "End": True,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            }
        },
    }
    result = sojourn.run(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert HISTORY_LIMIT_CAUSE in result.cause
    assert not any(event["type"] == "MapIterationStarted" for event in result.history)


def test_a_map_that_fills_the_history_while_it_runs_fails_at_the_limit():
    # 7,000 iterations fit their starts and ends (14,001 events) but not their states (4 events each).
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Items": "{% [1..7000] %}",
                "End": True,
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            }
        },
    }
    result = sojourn.run(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert HISTORY_LIMIT_CAUSE in result.cause
    assert MAX_HISTORY_EVENTS <= len(result.history) <= MAX_HISTORY_EVENTS + 2


def test_intrinsic_array_range_is_refused_before_it_is_built():
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {"r.$": "States.ArrayRange(0, 1000000000000, 1)"},
                "End": True,
            }
        },
    }
    result = sojourn.run(definition, {})
    assert (result.status, result.error) == ("FAILED", "States.IntrinsicFailure")
