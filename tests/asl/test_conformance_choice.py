"""Conformance: Choice rules.

Spec: states-language.net "Choice State" and "Choice Rules". AWS dg: state-choice (operators,
IsPresent, StringMatches escapes, timestamps), concepts-error-handling (States.NoChoiceMatched).
"""

from __future__ import annotations

import json

import pytest
from asl_conformance import FAILED, Case, check, machine

SPEC = "spec: Choice Rules"
AWS = "AWS dg: state-choice"


def choose(rule: dict, input: object, matched: bool, id: str, source: str = AWS) -> Case:
    definition = machine(
        ("C", {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"}),
        ("Yes", {"Type": "Pass", "Result": "yes", "End": True}),
        ("No", {"Type": "Pass", "Result": "no", "End": True}),
    )
    return Case(id, source, definition, input, output="yes" if matched else "no")


T0, T1 = "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z"

CASES = [
    choose({"Variable": "$.type", "StringEquals": "Private"}, {"type": "Private"}, True, "string-equals"),
    choose(
        {"Variable": "$.type", "StringEquals": "Private"}, {"type": 1}, False, "wrong-type-is-no-match", SPEC
    ),
    choose({"Variable": "$.value", "NumericEquals": 0}, {"value": 0.0}, True, "numeric-equals-int-float"),
    choose({"Variable": "$.value", "NumericLessThan": 0}, {"value": -1}, True, "numeric-less-than"),
    choose({"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"value": 20}, True, "numeric-gte"),
    choose(
        {"Variable": "$.value", "NumericLessThanPath": "$.limit"},
        {"value": 1, "limit": 2},
        True,
        "path-operator",
    ),
    choose({"Variable": "$.v", "StringLessThan": "b"}, {"v": "a"}, True, "string-order"),
    choose({"Variable": "$.v", "BooleanEquals": True}, {"v": True}, True, "boolean-equals"),
    choose({"Variable": "$.v", "BooleanEquals": True}, {"v": 1}, False, "boolean-equals-not-truthy", SPEC),
    choose({"Variable": "$.t", "TimestampEquals": T0}, {"t": T0}, True, "timestamp-equals"),
    choose({"Variable": "$.t", "TimestampLessThan": T1}, {"t": T0}, True, "timestamp-less-than"),
    choose({"Variable": "$.t", "TimestampGreaterThan": T0}, {"t": T1}, True, "timestamp-greater-than"),
    choose(
        {"Variable": "$.t", "TimestampEquals": T0},
        {"t": "2012-10-09T19:00:55.000Z"},
        True,
        "timestamp-fractional-seconds-compare-as-instants",
    ),
    choose(
        {"Variable": "$.t", "TimestampLessThan": T1},
        {"t": "2012-10-09T19:00:55.999Z"},
        True,
        "timestamp-fraction-before-next-second",
    ),
    choose(
        {"Variable": "$.t", "TimestampEquals": T0},
        {"t": "2023-02-24 12:15:56.832957"},
        False,
        "timestamp-not-rfc3339-is-no-match",
    ),
    choose({"Variable": "$.t", "IsTimestamp": True}, {"t": "2012-10-09T19:00:55Z"}, True, "is-timestamp"),
    choose({"Variable": "$.t", "IsTimestamp": True}, {"t": "2012-10-09"}, False, "is-timestamp-date-only"),
    choose({"Variable": "$.v", "IsPresent": True}, {"v": None}, True, "is-present-null-value"),
    choose({"Variable": "$.v", "IsPresent": False}, {}, True, "is-present-false-for-missing"),
    choose({"Variable": "$.v", "IsNull": True}, {"v": None}, True, "is-null"),
    choose({"Variable": "$.v", "IsNumeric": True}, {"v": "1"}, False, "is-numeric-string"),
    choose({"Variable": "$.v", "IsString": True}, {"v": "1"}, True, "is-string"),
    choose({"Variable": "$.v", "IsBoolean": True}, {"v": False}, True, "is-boolean"),
    choose(
        {"Variable": "$.v", "StringMatches": "log-*.txt"}, {"v": "log-2024.txt"}, True, "string-matches-star"
    ),
    choose({"Variable": "$.v", "StringMatches": "*"}, {"v": ""}, True, "string-matches-empty"),
    choose({"Variable": "$.v", "StringMatches": "a\\*c"}, {"v": "a*c"}, True, "string-matches-escaped-star"),
    choose({"Variable": "$.v", "StringMatches": "a\\*c"}, {"v": "abc"}, False, "escaped-star-is-literal"),
    choose(
        {"Variable": "$.v", "StringMatches": "a\\\\c"},
        {"v": "a\\c"},
        True,
        "string-matches-escaped-backslash",
    ),
    choose({"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Public"}, True, "not", SPEC),
    choose(
        {
            "And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ]
        },
        {"value": 25},
        True,
        "and",
        SPEC,
    ),
    choose(
        {"Or": [{"Variable": "$.a", "IsPresent": True}, {"Variable": "$.b", "IsPresent": True}]},
        {"b": 1},
        True,
        "or",
        SPEC,
    ),
    choose(
        {"Variable": "$$.Execution.Input.v", "NumericEquals": 2},
        {"v": 2},
        True,
        "context-variable",
        "AWS dg: input-output-contextobject",
    ),
    Case(
        "choice-default",
        SPEC,
        machine(
            (
                "C",
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Yes"}],
                    "Default": "No",
                },
            ),
            ("Yes", {"Type": "Succeed"}),
            ("No", {"Type": "Pass", "Result": "default", "End": True}),
        ),
        {"v": 2},
        output="default",
    ),
    Case(
        "choice-inputpath-outputpath",
        "spec: Choice State (InputPath and OutputPath apply)",
        machine(
            (
                "C",
                {
                    "Type": "Choice",
                    "InputPath": "$.a",
                    "OutputPath": "$.b",
                    "Choices": [{"Variable": "$.b", "IsPresent": True, "Next": "Done"}],
                },
            ),
            ("Done", {"Type": "Succeed"}),
        ),
        {"a": {"b": 1}},
        output=1,
    ),
    Case(
        "no-choice-matched",
        "spec: Choice State (States.NoChoiceMatched without Default)",
        machine(
            ("C", {"Type": "Choice", "Choices": [{"Variable": "$.v", "IsPresent": True, "Next": "Done"}]}),
            ("Done", {"Type": "Succeed"}),
        ),
        {},
        status=FAILED,
        error="States.NoChoiceMatched",
        cause="No Matches! (state 'C')",
    ),
    Case(
        "missing-variable-is-a-runtime-error",
        "AWS: Choice with a missing Variable path fails the execution",
        machine(
            (
                "C",
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Done"}],
                    "Default": "Done",
                },
            ),
            ("Done", {"Type": "Succeed"}),
        ),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'C' (entered at the event id #2). "
        "Invalid path '$.v': The choice state's condition path references an invalid value.",
    ),
]


OPERATORS = "AWS via LocalStack snapshot test_{} (choice operator matrix)"


def operator_case(operator: str, variable: object, value: object, matched: bool, suite: str) -> Case:
    """LocalStack's recorded matrix: `Variable` compared with `Value`, by literal or,
    for `...Path`, by path."""
    compared = "$.Value" if operator.endswith("Path") else value
    rule = {"Variable": "$.Variable", operator: compared}
    id = f"{operator}-{json.dumps(variable)}-{json.dumps(value)}"
    return choose(rule, {"Variable": variable, "Value": value}, matched, id, OPERATORS.format(suite))


MATRIX = [
    ("IsNumeric", None, True, False, "is_operators"),
    ("IsNumeric", 0, True, True, "is_operators"),
    ("IsNumeric", 1.1, True, True, "is_operators"),
    ("IsNumeric", "", True, False, "is_operators"),
    ("IsNumeric", True, True, False, "is_operators"),
    ("IsNumeric", [], False, True, "is_operators"),
    ("IsString", "", True, True, "is_operators"),
    ("IsString", "2012-10-09T19:00:55Z", True, True, "is_operators"),
    ("IsString", {}, True, False, "is_operators"),
    ("IsBoolean", False, True, True, "is_operators"),
    ("IsBoolean", 0, True, False, "is_operators"),
    ("IsNull", None, True, True, "is_operators"),
    ("IsNull", 0, True, False, "is_operators"),
    ("IsNull", "", False, True, "is_operators"),
    ("IsPresent", None, True, True, "is_operators"),
    ("IsPresent", {"A": 0}, False, False, "is_operators"),
    ("BooleanEquals", 1, True, False, "boolean_equals"),
    ("BooleanEquals", True, True, True, "boolean_equals"),
    ("BooleanEquals", None, False, False, "boolean_equals"),
    ("BooleanEqualsPath", False, False, True, "boolean_equals"),
    ("BooleanEqualsPath", "HelloWorld", True, False, "boolean_equals"),
    ("NumericEquals", 0.0, 0, True, "numeric"),
    ("NumericEquals", -0, 0, True, "numeric"),
    ("NumericEquals", False, 0, False, "numeric"),
    ("NumericEquals", "", 0, False, "numeric"),
    ("NumericEquals", 2.22, 2.22, True, "numeric"),
    ("NumericEqualsPath", 1, 1.0, True, "numeric"),
    ("NumericEqualsPath", [""], 0, False, "numeric"),
    ("NumericGreaterThan", 1, 0, True, "numeric"),
    ("NumericGreaterThanPath", 0, 1, False, "numeric"),
    ("NumericLessThanEquals", 1, 1, True, "numeric"),
    ("StringEquals", " ", "     ", False, "string_operators"),
    ("StringEquals", "\t\n", "\t\r\n", False, "string_operators"),
    ("StringEquals", 1, "HelloWorld", False, "string_operators"),
    ("StringEqualsPath", "Hello", "Hello", True, "string_operators"),
    ("StringGreaterThan", "A", "A ", False, "string_operators"),
    ("StringGreaterThan", "AB", "ABC", False, "string_operators"),
    ("StringGreaterThanEquals", "AB", "A", True, "string_operators"),
    ("StringLessThanEquals", "", "", True, "string_operators"),
    ("StringLessThanPath", "A", "AB", True, "string_operators"),
    ("TimestampEquals", "2023-02-24 12:15:56.832957", T0, False, "timestamp_operators"),
    ("TimestampEquals", None, T0, False, "timestamp_operators"),
    ("TimestampEquals", T0, T0, True, "timestamp_operators"),
    ("TimestampEqualsPath", T1, T0, False, "timestamp_operators"),
    ("TimestampGreaterThanPath", T0, T1, False, "timestamp_operators"),
    ("TimestampLessThanEqualsPath", T1, T0, False, "timestamp_operators"),
    ("TimestampGreaterThanEquals", T1, T0, True, "timestamp_operators"),
]
CASES += [operator_case(*row) for row in MATRIX]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_choice_rules(case: Case) -> None:
    check(case)
