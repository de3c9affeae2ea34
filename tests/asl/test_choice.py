"""Choice rules (spec: "Choice Rules"): operators, their Path forms, type tests, And/Or/Not, JSONata."""

from __future__ import annotations

import pytest

import sojourn
from sojourn.asl.choice import compile_choice_rule
from sojourn.asl.errors import QueryEvaluationError, StatesRuntime

INPUT = {
    "s": "hello",
    "n": 5,
    "f": 2.5,
    "b": True,
    "t": "2026-01-01T12:00:00Z",
    "t2": "2026-01-01T13:00:00+01:00",
    "null": None,
    "other": 5,
    "star": "a*b",
    "files": "log-2026.txt",
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.s", "StringEquals": "hello"}, True),
        ({"Variable": "$.s", "StringLessThan": "world"}, True),
        ({"Variable": "$.s", "StringGreaterThanEquals": "hello"}, True),
        ({"Variable": "$.n", "NumericEquals": 5}, True),
        ({"Variable": "$.f", "NumericLessThan": 3}, True),
        ({"Variable": "$.n", "NumericGreaterThan": 5}, False),
        ({"Variable": "$.n", "NumericLessThanEquals": 5}, True),
        ({"Variable": "$.n", "NumericEqualsPath": "$.other"}, True),
        ({"Variable": "$.b", "BooleanEquals": True}, True),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.b"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2026-01-01T12:00:00Z"}, True),
        ({"Variable": "$.t", "TimestampEqualsPath": "$.t2"}, True),  # the same instant in another zone
        ({"Variable": "$.t", "TimestampLessThan": "2026-01-02T00:00:00Z"}, True),
        ({"Variable": "$.files", "StringMatches": "log-*.txt"}, True),
        ({"Variable": "$.star", "StringMatches": "a\\*b"}, True),
        ({"Variable": "$.files", "StringMatches": "a\\*b"}, False),
        ({"Variable": "$.s", "NumericEquals": 5}, False),  # a type mismatch is false, not an error
        ({"Variable": "$.n", "StringEquals": "5"}, False),
        ({"Variable": "$.s", "TimestampEquals": "2026-01-01T12:00:00Z"}, False),
        ({"Variable": "$.missing", "IsPresent": False}, True),
        ({"Variable": "$.s", "IsPresent": True}, True),
        ({"Variable": "$.null", "IsNull": True}, True),
        ({"Variable": "$.n", "IsNumeric": True}, True),
        ({"Variable": "$.b", "IsNumeric": True}, False),
        ({"Variable": "$.s", "IsString": True}, True),
        ({"Variable": "$.b", "IsBoolean": True}, True),
        ({"Variable": "$.t", "IsTimestamp": True}, True),
        ({"Variable": "$.s", "IsTimestamp": True}, False),
        (
            {"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.s", "StringEquals": "hello"}]},
            True,
        ),
        (
            {"Or": [{"Variable": "$.n", "NumericEquals": 4}, {"Variable": "$.s", "StringEquals": "hello"}]},
            True,
        ),
        ({"Not": {"Variable": "$.s", "StringEquals": "hello"}}, False),
        ({"Variable": "$$.Execution.Name", "StringEquals": "ex"}, True),
        ({"Variable": "$v", "NumericGreaterThan": 1}, True),
    ],
)
def test_rules_compare_as_the_spec_says(rule, expected):
    assert compile_choice_rule(rule).matches(INPUT, {"Execution": {"Name": "ex"}}, {"v": 2}) is expected


def test_a_variable_that_selects_nothing_fails_with_states_runtime():
    with pytest.raises(StatesRuntime, match=r"Invalid path '\$.missing'"):
        compile_choice_rule({"Variable": "$.missing", "StringEquals": "x"}).matches(INPUT)


def test_jsonata_conditions_must_be_boolean():
    rule = compile_choice_rule({"Condition": "{% $states.input.n > 3 %}"}, "JSONata")
    assert rule.matches(INPUT, {}, {}) is True
    with pytest.raises(QueryEvaluationError):
        compile_choice_rule({"Condition": "{% $states.input.s %}"}, "JSONata").matches(INPUT, {}, {})


def test_no_matching_rule_and_no_default_fails_with_no_choice_matched():
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
            "D": {"Type": "Succeed"},
        },
    }
    result = sojourn.run(definition, {"n": 2})
    assert result.error == "States.NoChoiceMatched"


def test_the_first_matching_rule_wins_and_its_assign_applies():
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big", "Assign": {"size": "big"}},
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Small"},
                ],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Parameters": {"size.$": "$size"}, "End": True},
            "Small": {"Type": "Succeed"},
        },
    }
    assert sojourn.run(definition, {"n": 2}).output == {"size": "big"}
