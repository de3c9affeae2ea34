"""Conformance: variables (Assign in every state type, evaluation order, scope) and the context object.

Sources: LocalStack's AWS-recorded snapshots test_assign_base and test_assign_reference_variables
(tests/aws/services/stepfunctions/v2/assign/), AWS dg: workflow-variables and
input-output-contextobject.
"""

from __future__ import annotations

import pytest
from asl_conformance import FAILED, Case, check, machine, one

ASSIGN_BASE = "AWS via LocalStack snapshot test_assign_base"
REFERENCE = "AWS via LocalStack snapshot test_assign_reference_variables"
JSONATA = {"QueryLanguage": "JSONata"}
END = {"End": True}
EXECUTION = {
    "Id": "arn:aws:states:us-east-1:123456789012:execution:in-memory:conformance",
    "Input": {"input_value": "input_value_literal"},
    "Name": "conformance",
    "RoleArn": "arn:aws:iam::123456789012:role/sojourn",
    "StartTime": "2026-01-01T12:00:00.000Z",
    "RedriveCount": 0,
}
STATE_MACHINE = {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:in-memory", "Name": "in-memory"}
ENTERED = "2026-01-01T12:00:00.000Z"


def pass_(**fields: object) -> dict:
    return {"Type": "Pass", **fields}


def show(**variables: str) -> dict:
    """A last Pass state whose output is the listed variables (JSONPath references)."""
    return pass_(Parameters={f"{name}.$": f"${name}" for name in variables}, **END)


CASES = [
    # Evaluation order: every field of a state reads the variables from before the state
    # (its Assign included).
    Case(
        "outputpath-reads-the-value-from-before-the-state",
        REFERENCE + " (BASE_EVALUATION_ORDER_PASS_STATE)",
        machine(
            (
                "State0",
                pass_(
                    Result={"theQuestion": "What is the answer?"},
                    Assign={"question.$": "$.theQuestion", "answer": 42},
                    Next="State1",
                ),
            ),
            (
                "State1",
                pass_(
                    InputPath="$answer",
                    ResultPath="$.theAnswer",
                    OutputPath="$answer",
                    Assign={"answer": "<omitted>"},
                    **END,
                ),
            ),
        ),
        {},
        output=42,
    ),
    Case(
        "jsonata-output-reads-the-value-from-before-the-state",
        "AWS dg: workflow-variables (values at state entry)",
        machine(
            ("A", pass_(Assign={"x": 1}, Next="B")),
            ("B", pass_(Assign={"x": 2}, Output="{% $x %}", **END)),
            **JSONATA,
        ),
        {},
        output=1,
    ),
    Case(
        "assign-reads-the-value-from-before-the-state",
        "AWS via LocalStack snapshot test_base_query_language (JSONPATH_ASSIGN_JSONATA_REF)",
        machine(
            ("JSONPathState", pass_(Assign={"theAnswer": 42}, Next="JSONataState")),
            (
                "JSONataState",
                pass_(
                    QueryLanguage="JSONata",
                    Assign={"theAnswer": 18, "oldAnswer": "{% $theAnswer %}"},
                    Next="Show",
                ),
            ),
            ("Show", show(theAnswer="", oldAnswer="")),
        ),
        {},
        output={"theAnswer": 18, "oldAnswer": 42},
    ),
    # Assign in every state type.
    Case(
        "assign-in-wait",
        REFERENCE + " (test_assign_in_wait_state)",
        machine(
            ("WaitState", {"Type": "Wait", "Seconds": 0, "Assign": {"foo": "oof"}, "Next": "Show"}),
            ("Show", show(foo="")),
        ),
        {},
        output={"foo": "oof"},
    ),
    Case(
        "assign-in-choice-rule",
        ASSIGN_BASE + " (test_assign_in_choice[CONDITION_TRUE])",
        machine(
            (
                "ChoiceState",
                {
                    "Type": "Choice",
                    "Default": "DefaultState",
                    "Assign": {"Assignment": "Default Assignment"},
                    "Choices": [
                        {
                            "Condition": "{% $states.input.condition %}",
                            "Next": "ConditionTrue",
                            "Assign": {"Assignment": "Condition assignment"},
                        }
                    ],
                },
            ),
            ("ConditionTrue", pass_(Output="{% $Assignment %}", **END)),
            ("DefaultState", {"Type": "Fail", "Cause": "Condition is false"}),
            **JSONATA,
        ),
        {"condition": True},
        output="Condition assignment",
    ),
    Case(
        "assign-in-choice-default",
        ASSIGN_BASE + " (test_assign_in_choice[CONDITION_FALSE])",
        machine(
            (
                "ChoiceState",
                {
                    "Type": "Choice",
                    "Default": "DefaultState",
                    "Assign": {"Assignment": "Default Assignment"},
                    "Choices": [
                        {
                            "Condition": "{% $states.input.condition %}",
                            "Next": "ConditionTrue",
                            "Assign": {"Assignment": "Condition assignment"},
                        }
                    ],
                },
            ),
            ("ConditionTrue", pass_(**END)),
            ("DefaultState", {"Type": "Fail", "Cause": "{% $Assignment %}"}),
            **JSONATA,
        ),
        {"condition": False},
        status=FAILED,
        error=None,
        cause="Default Assignment",
    ),
    Case(
        "assign-in-catch-sees-the-error-output",
        REFERENCE + " (test_assign_in_catch_state)",
        machine(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Next": "After",
                    "Branches": [machine(("F", {"Type": "Fail", "Error": "Exception", "Cause": "boom"}))],
                    "Catch": [
                        {"ErrorEquals": ["States.ALL"], "Assign": {"result.$": "$"}, "Next": "fallback"}
                    ],
                },
            ),
            ("After", {"Type": "Succeed"}),
            ("fallback", show(result="")),
        ),
        {},
        output={"result": {"Error": "Exception", "Cause": "boom"}},
    ),
    Case(
        "assign-paths-and-context",
        ASSIGN_BASE + " (BASE_PATHS)",
        machine(
            (
                "State0",
                pass_(
                    Assign={
                        "str_path_root.$": "$",
                        "str_path.$": "$.input_value",
                        "str_contextpath.$": "$$.Execution.Id",
                        "str_intrinsic_func.$": "States.Format('Format Func {}', $.input_value)",
                    },
                    Next="Show",
                ),
            ),
            ("Show", show(str_path_root="", str_path="", str_contextpath="", str_intrinsic_func="")),
        ),
        {"input_value": "input_value_literal"},
        output={
            "str_path_root": {"input_value": "input_value_literal"},
            "str_path": "input_value_literal",
            "str_contextpath": EXECUTION["Id"],
            "str_intrinsic_func": "Format Func input_value_literal",
        },
    ),
    Case(
        "assign-constants-are-not-paths",
        ASSIGN_BASE + " (BASE_CONSTANT_LITERALS)",
        machine(
            (
                "State0",
                pass_(
                    Assign={
                        "constant_str_path": "$.no.such.path",
                        "constant_str_jsonata_expr": "{% $x %}",
                        "constant_str_intrinsic_func": "States.Format('{}', $varname)",
                    },
                    Next="Show",
                ),
            ),
            (
                "Show",
                show(constant_str_path="", constant_str_jsonata_expr="", constant_str_intrinsic_func=""),
            ),
        ),
        {},
        output={
            "constant_str_path": "$.no.such.path",
            "constant_str_jsonata_expr": "{% $x %}",
            "constant_str_intrinsic_func": "States.Format('{}', $varname)",
        },
    ),
    Case(
        "variable-in-intrinsic-function",
        REFERENCE + " (BASE_REFERENCE_IN_INTRINSIC_FUNCTION)",
        machine(
            ("State0", pass_(Assign={"inputArray": [1, 2, 3], "name": "John"}, Next="State1")),
            (
                "State1",
                pass_(
                    Parameters={
                        "len.$": "States.ArrayLength($inputArray)",
                        "hello.$": "States.Format('Hello {}', $name)",
                    },
                    **END,
                ),
            ),
        ),
        {},
        output={"len": 3, "hello": "Hello John"},
    ),
    Case(
        "variable-as-inputpath",
        REFERENCE + " (BASE_REFERENCE_IN_INPUTPATH)",
        machine(
            ("State0", pass_(Assign={"theAnswer": 42}, Next="State1")),
            ("State1", pass_(InputPath="$theAnswer", **END)),
        ),
        {},
        output=42,
    ),
    # Scope: Map iterations and Parallel branches read outer variables; what they assign stays inside.
    Case(
        "map-iterations-read-outer-variables",
        ASSIGN_BASE + " (BASE_SCOPE_MAP)",
        machine(
            ("State0", pass_(Assign={"x": 42, "items": [1, 2, 3]}, Next="State1")),
            (
                "State1",
                {
                    "Type": "Map",
                    "ItemsPath": "$items",
                    "Next": "State2",
                    "ItemProcessor": machine(("Inner", pass_(Assign={"innerX.$": "$x"}, **END))),
                },
            ),
            ("State2", pass_(Assign={"final.$": "$x"}, **END)),
        ),
        {"input_value": "input_value_literal"},
        output=[1, 2, 3],
    ),
    Case(
        "parallel-branch-variables-stay-in-the-branch",
        ASSIGN_BASE + " (BASE_SCOPE_PARALLEL)",
        machine(
            ("State0", pass_(Assign={"x": 42}, Next="State1")),
            (
                "State1",
                {
                    "Type": "Parallel",
                    "Next": "State2",
                    "Branches": [
                        machine(("Branch1", pass_(Assign={"innerX.$": "$x", "value.$": "$"}, **END)))
                    ],
                },
            ),
            ("State2", pass_(Parameters={"inner.$": "$innerX"}, **END)),
        ),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'State2' (entered at the event id #10). "
        "The JSONPath '$innerX' specified for the field 'inner.$' could not be found in the input '{}'",
    ),
    # The context object.
    Case(
        "context-in-a-pass-state",
        ASSIGN_BASE + " (BASE_PATHS: $$ in a Pass state has no RetryCount)",
        one(pass_(Parameters={"c.$": "$$"}), name="State0"),
        {"input_value": "input_value_literal"},
        output={
            "c": {
                "Execution": EXECUTION,
                "StateMachine": STATE_MACHINE,
                "State": {"Name": "State0", "EnteredTime": ENTERED},
            }
        },
    ),
    Case(
        "context-in-a-map-state-counts-retries",
        "AWS dg: input-output-contextobject (RetryCount in Task, Map, Parallel)",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemSelector": {"s.$": "$$.State", "i.$": "$$.Map.Item"},
                "ItemProcessor": machine(("I", pass_(**END))),
            },
            name="M",
        ),
        {"xs": ["a"]},
        output=[
            {"s": {"Name": "M", "EnteredTime": ENTERED, "RetryCount": 0}, "i": {"Index": 0, "Value": "a"}}
        ],
    ),
    Case(
        "context-retry-count-is-missing-in-a-pass-state",
        ASSIGN_BASE + " (BASE_PATHS)",
        one(pass_(Parameters={"r.$": "$$.State.RetryCount"})),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). The JSONPath "
        "'$$.State.RetryCount' specified for the field 'r.$' could not be found in the input "
        '\'{"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:in-memory:conformance",'
        '"Input":{},"StartTime":"2026-01-01T12:00:00.000Z","Name":"conformance",'
        '"RoleArn":"arn:aws:iam::123456789012:role/sojourn","RedriveCount":0},"StateMachine":{"Id":'
        '"arn:aws:states:us-east-1:123456789012:stateMachine:in-memory","Name":"in-memory"},'
        '"State":{"Name":"S","EnteredTime":"2026-01-01T12:00:00.000Z"}}\'',
    ),
    Case(
        "jsonata-context-in-a-map-iteration",
        "AWS dg: transforming-data ($states.context)",
        one(
            {
                "Type": "Map",
                "Items": [7],
                "ItemProcessor": machine(("I", pass_(Output="{% $states.context.State.Name %}", **END))),
            },
            **JSONATA,
        ),
        {},
        output=["I"],
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_variables_and_context(case: Case) -> None:
    check(case)
