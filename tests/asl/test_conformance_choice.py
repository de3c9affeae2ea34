"""Conformance: Choice rules.

Spec: states-language.net "Choice State" and "Choice Rules". AWS dg: state-choice (operators,
IsPresent, StringMatches escapes, timestamps), concepts-error-handling (States.NoChoiceMatched).
"""

from __future__ import annotations

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
    choose({"Variable": "$.type", "StringEquals": "Private"}, {"type": 1}, False, "wrong-type-is-no-match", SPEC),
    choose({"Variable": "$.value", "NumericEquals": 0}, {"value": 0.0}, True, "numeric-equals-int-float"),
    choose({"Variable": "$.value", "NumericLessThan": 0}, {"value": -1}, True, "numeric-less-than"),
    choose({"Variable": "$.value", "NumericGreaterThanEquals": 20}, {"value": 20}, True, "numeric-gte"),
    choose({"Variable": "$.value", "NumericLessThanPath": "$.limit"}, {"value": 1, "limit": 2}, True, "path-operator"),
    choose({"Variable": "$.v", "StringLessThan": "b"}, {"v": "a"}, True, "string-order"),
    choose({"Variable": "$.v", "BooleanEquals": True}, {"v": True}, True, "boolean-equals"),
    choose({"Variable": "$.v", "BooleanEquals": True}, {"v": 1}, False, "boolean-equals-not-truthy", SPEC),
    choose({"Variable": "$.t", "TimestampEquals": T0}, {"t": T0}, True, "timestamp-equals"),
    choose({"Variable": "$.t", "TimestampLessThan": T1}, {"t": T0}, True, "timestamp-less-than"),
    choose({"Variable": "$.t", "TimestampGreaterThan": T0}, {"t": T1}, True, "timestamp-greater-than"),
    choose({"Variable": "$.t", "TimestampEquals": T0}, {"t": "2012-10-09T19:00:55.000Z"}, True,
           "timestamp-fractional-seconds-compare-as-instants"),
    choose({"Variable": "$.t", "TimestampLessThan": T1}, {"t": "2012-10-09T19:00:55.999Z"}, True,
           "timestamp-fraction-before-next-second"),
    choose({"Variable": "$.t", "TimestampEquals": T0}, {"t": "2023-02-24 12:15:56.832957"}, False,
           "timestamp-not-rfc3339-is-no-match"),
    choose({"Variable": "$.t", "IsTimestamp": True}, {"t": "2012-10-09T19:00:55Z"}, True, "is-timestamp"),
    choose({"Variable": "$.t", "IsTimestamp": True}, {"t": "2012-10-09"}, False, "is-timestamp-date-only"),
    choose({"Variable": "$.v", "IsPresent": True}, {"v": None}, True, "is-present-null-value"),
    choose({"Variable": "$.v", "IsPresent": False}, {}, True, "is-present-false-for-missing"),
    choose({"Variable": "$.v", "IsNull": True}, {"v": None}, True, "is-null"),
    choose({"Variable": "$.v", "IsNumeric": True}, {"v": "1"}, False, "is-numeric-string"),
    choose({"Variable": "$.v", "IsString": True}, {"v": "1"}, True, "is-string"),
    choose({"Variable": "$.v", "IsBoolean": True}, {"v": False}, True, "is-boolean"),
    choose({"Variable": "$.v", "StringMatches": "log-*.txt"}, {"v": "log-2024.txt"}, True, "string-matches-star"),
    choose({"Variable": "$.v", "StringMatches": "*"}, {"v": ""}, True, "string-matches-empty"),
    choose({"Variable": "$.v", "StringMatches": "a\\*c"}, {"v": "a*c"}, True, "string-matches-escaped-star"),
    choose({"Variable": "$.v", "StringMatches": "a\\*c"}, {"v": "abc"}, False, "escaped-star-is-literal"),
    choose({"Variable": "$.v", "StringMatches": "a\\\\c"}, {"v": "a\\c"}, True, "string-matches-escaped-backslash"),
    choose({"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Public"}, True, "not", SPEC),
    choose({"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30}]}, {"value": 25}, True, "and", SPEC),
    choose({"Or": [{"Variable": "$.a", "IsPresent": True}, {"Variable": "$.b", "IsPresent": True}]}, {"b": 1}, True,
           "or", SPEC),
    choose({"Variable": "$$.Execution.Input.v", "NumericEquals": 2}, {"v": 2}, True, "context-variable",
           "AWS dg: input-output-contextobject"),
    Case("choice-default", SPEC,
         machine(("C", {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Yes"}],
                        "Default": "No"}),
                 ("Yes", {"Type": "Succeed"}), ("No", {"Type": "Pass", "Result": "default", "End": True})),
         {"v": 2}, output="default"),
    Case("choice-inputpath-outputpath", "spec: Choice State (InputPath and OutputPath apply)",
         machine(("C", {"Type": "Choice", "InputPath": "$.a", "OutputPath": "$.b",
                        "Choices": [{"Variable": "$.b", "IsPresent": True, "Next": "Done"}]}),
                 ("Done", {"Type": "Succeed"})),
         {"a": {"b": 1}}, output=1),
    Case("no-choice-matched", "spec: Choice State (States.NoChoiceMatched without Default)",
         machine(("C", {"Type": "Choice", "Choices": [{"Variable": "$.v", "IsPresent": True, "Next": "Done"}]}),
                 ("Done", {"Type": "Succeed"})),
         {}, status=FAILED, error="States.NoChoiceMatched", cause="No Matches! (state 'C')"),
    Case("missing-variable-is-a-runtime-error", "AWS: Choice with a missing Variable path fails the execution",
         machine(("C", {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Done"}],
                        "Default": "Done"}),
                 ("Done", {"Type": "Succeed"})),
         {}, status=FAILED, error="States.Runtime",
         cause="An error occurred while executing the state 'C' (entered at the event id #2). Invalid path '$.v': "
               "The choice state's condition path references an invalid value."),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_choice_rules(case: Case) -> None:
    check(case)
