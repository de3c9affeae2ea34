"""Conformance: Fail and Succeed states, error names, Retry and Catch.

Spec: states-language.net "Fail State", "Succeed State", "Errors", "Retrying after error",
"Fallback states". AWS dg: state-fail, state-succeed, concepts-error-handling.
"""

from __future__ import annotations

import pytest
from asl_conformance import FAILED, Case, check, machine, one

SPEC_ERRORS = "spec: Errors"
AWS = "AWS dg: concepts-error-handling"


def failing_branch(error: str | None = "Oops", cause: str | None = "it broke") -> dict:
    fail: dict = {"Type": "Fail"}
    if error is not None:
        fail["Error"] = error
    if cause is not None:
        fail["Cause"] = cause
    return machine(("F", fail))


def parallel(branch: dict, **fields: object) -> dict:
    state = {"Type": "Parallel", "Branches": [branch], **fields}
    if "Catch" in fields:
        return machine(
            ("P", {**state, "Next": "After"}),
            ("After", {"Type": "Succeed"}),
            ("Handler", {"Type": "Pass", "End": True}),
        )
    return one(state, name="P")


CASES = [
    Case(
        "fail-error-and-cause",
        "spec: Fail State",
        one({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}),
        {},
        status=FAILED,
        error="ErrorA",
        cause="Kaiju attack",
    ),
    Case(
        "fail-error-path",
        "AWS dg: state-fail (ErrorPath, CausePath)",
        one({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}),
        {"e": "E1", "c": "because"},
        status=FAILED,
        error="E1",
        cause="because",
    ),
    Case(
        "fail-cause-path-intrinsic",
        "AWS dg: state-fail (CausePath takes an intrinsic function)",
        one({"Type": "Fail", "Error": "Bad", "CausePath": "States.Format('item {} failed', $.id)"}),
        {"id": 7},
        status=FAILED,
        error="Bad",
        cause="item 7 failed",
    ),
    Case(
        "fail-cause-path-missing",
        "AWS via LocalStack snapshots (CausePath names its field)",
        one({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}),
        {"e": "X"},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The JSONPath '$.c' specified for the field 'CausePath' "
        'could not be found in the input \'{"e":"X"}\'',
    ),
    Case(
        "succeed-outputpath",
        "spec: Succeed State",
        one({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}),
        {"a": {"b": [1]}},
        output=[1],
    ),
    Case(
        "branch-error-keeps-its-name",
        "AWS dg: state-parallel (a failing branch fails the Parallel state)",
        parallel(failing_branch()),
        {},
        status=FAILED,
        error="Oops",
        cause="it broke",
    ),
    Case(
        "catch-error-output",
        "spec: Fallback States (error output {Error, Cause})",
        parallel(failing_branch(), Catch=[{"ErrorEquals": ["Oops"], "Next": "Handler"}]),
        {"k": 1},
        output={"Error": "Oops", "Cause": "it broke"},
    ),
    Case(
        "catch-resultpath-keeps-input",
        "AWS dg: input-output-resultpath (ResultPath in a Catch)",
        parallel(
            failing_branch(),
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handler"}],
        ),
        {"k": 1},
        output={"k": 1, "error": {"Error": "Oops", "Cause": "it broke"}},
    ),
    Case(
        "catch-resultpath-null",
        "spec: Fallback States (ResultPath null keeps the input)",
        parallel(
            failing_branch(), Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Handler"}]
        ),
        {"k": 1},
        output={"k": 1},
    ),
    Case(
        "catch-first-matching-catcher",
        SPEC_ERRORS,
        parallel(
            failing_branch(),
            Catch=[
                {"ErrorEquals": ["Other"], "Next": "After"},
                {"ErrorEquals": ["States.ALL"], "Next": "Handler"},
            ],
        ),
        {},
        output={"Error": "Oops", "Cause": "it broke"},
    ),
    Case(
        "task-failed-matches-any-error",
        "spec: Errors (States.TaskFailed matches any error but States.Timeout)",
        parallel(failing_branch(), Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Handler"}]),
        {},
        output={"Error": "Oops", "Cause": "it broke"},
    ),
    Case(
        "runtime-error-is-not-caught-by-all",
        AWS + " (States.ALL does not catch States.Runtime)",
        machine(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Next": "After",
                    "Branches": [machine(("Bad", {"Type": "Pass", "InputPath": "$.nope", "End": True}))],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}],
                },
            ),
            ("After", {"Type": "Succeed"}),
        ),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'Bad' (entered at the event id #4). "
        "Invalid path '$.nope' : No results for path: $['nope']",
    ),
    Case(
        "retry-then-catch",
        "spec: Retrying after error (retries are used up before a Catch)",
        parallel(
            failing_branch(),
            Retry=[{"ErrorEquals": ["Oops"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handler"}],
        ),
        {},
        output={"Error": "Oops", "Cause": "it broke"},
    ),
    Case(
        "retry-exhausted-fails",
        "spec: Retrying after error",
        parallel(
            failing_branch(),
            Retry=[
                {
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 1,
                    "BackoffRate": 2,
                    "MaxDelaySeconds": 5,
                    "JitterStrategy": "FULL",
                }
            ],
        ),
        {},
        status=FAILED,
        error="Oops",
        cause="it broke",
    ),
    Case(
        "retry-max-attempts-zero-never-retries",
        "spec: Retrying after error (MaxAttempts 0)",
        parallel(failing_branch(), Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]),
        {},
        status=FAILED,
        error="Oops",
        cause="it broke",
    ),
    Case(
        "caught-error-then-failure-counts-the-exit-event",
        AWS + " (a caught state exits before its handler)",
        machine(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Next": "After",
                    "Branches": [failing_branch()],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Bad"}],
                },
            ),
            ("After", {"Type": "Succeed"}),
            ("Bad", {"Type": "Pass", "InputPath": "$.nope", "End": True}),
        ),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'Bad' (entered at the event id #7). "
        "Invalid path '$.nope' : No results for path: $['nope']",
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_errors_retry_and_catch(case: Case) -> None:
    check(case)
