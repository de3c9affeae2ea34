"""Conformance: run-time failures and the causes AWS gives for them.

Sources: LocalStack's AWS-recorded snapshots (tests/aws/services/stepfunctions/v2/**.snapshot.json:
test_base_scenarios, test_states_errors), LocalStack's interpreter where it was fitted to those
snapshots (moto 5.2.5 ships it), and Floci's measurements against AWS with TestState (issues
floci-io/floci#2665, #2668, #2736, #2737, PR #2689) for the JSONata causes.
"""

from __future__ import annotations

import json

import pytest
from asl_conformance import FAILED, Case, check, machine, one

import sojourn
from sojourn.asl.loader import DefinitionError
from sojourn.runner import VirtualClock

SCENARIOS = "AWS via LocalStack snapshot test_base_scenarios"
FLOCI = "AWS via Floci's TestState measurements"
PREFIX = "An error occurred while executing the state '{}' (entered at the event id #{}). "
JSONATA = {"QueryLanguage": "JSONata"}
END = {"End": True}


def in_map(**fields: object) -> dict:
    processor = {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "PassItem",
        "States": {"PassItem": {"Type": "Pass", "End": True}},
    }
    return one({"Type": "Map", "ItemsPath": "$.Items", "ItemProcessor": processor, **fields}, name="MapState")


def map_runtime(id: str, field: str, value: object, cause: str | None) -> Case:
    """A Map whose `<field>Path` reads `value` from the input: it runs, or fails with `cause`."""
    definition = in_map(**{f"{field}Path": f"$.{field}"})
    input = {"Items": [0], field: value}
    if cause is None:
        return Case(id, SCENARIOS + f" ({field}Path)", definition, input, output=[0])
    return Case(
        id,
        SCENARIOS + f" ({field}Path)",
        definition,
        input,
        status=FAILED,
        error="States.Runtime",
        cause=PREFIX.format("MapState", 2) + cause,
    )


def not_integer(field: str, shown: str) -> str:
    return f'The {field}Path field refers to value "{shown}" which is not a valid integer: $.{field}'


def not_float(shown: str) -> str:
    return (
        f'The ToleratedFailurePercentagePath field refers to value "{shown}" which is not a valid float: '
        "$.ToleratedFailurePercentage"
    )


BETWEEN = "ToleratedFailurePercentage must be between 0 and 100."
WAIT_PATH = machine(("WaitUntil", {"Type": "Wait", "TimestampPath": "$.TimestampValue", "End": True}))


def bad_timestamp_path(id: str, value: str) -> Case:
    return Case(
        id,
        SCENARIOS + " (test_wait_timestamp_path)",
        WAIT_PATH,
        {"TimestampValue": value},
        status=FAILED,
        error="States.Runtime",
        cause=PREFIX.format("WaitUntil", 2)
        + "The TimestampPath parameter does not reference a valid ISO-8601 "
        f"extended offset date-time format string: $.TimestampValue == {value}",
    )


def jsonata_failure(id: str, source: str, state: dict, input: object, cause: str, name: str = "S") -> Case:
    return Case(
        id,
        source,
        one(state, name=name, **JSONATA),
        input,
        status=FAILED,
        error="States.QueryEvaluationError",
        cause=PREFIX.format(name, 2) + cause,
    )


def choose(rule: dict, **state: object) -> dict:
    return machine(
        ("C", {"Type": "Choice", "Choices": [{**rule, "Next": "Y"}], "Default": "N", **state}),
        ("Y", {"Type": "Pass", "End": True}),
        ("N", {"Type": "Pass", "End": True}),
        **JSONATA,
    )


FAILING_BRANCH = machine(("F", {"Type": "Fail", "Error": "E", "Cause": "C"}))

CASES = [
    # Map limits read from the input are checked when the Map starts.
    map_runtime(
        "tolerated-count-path-object", "ToleratedFailureCount", {}, not_integer("ToleratedFailureCount", "{}")
    ),
    map_runtime(
        "tolerated-count-path-text",
        "ToleratedFailureCount",
        "NoNumber",
        not_integer("ToleratedFailureCount", "NoNumber"),
    ),
    map_runtime(
        "tolerated-count-path-negative",
        "ToleratedFailureCount",
        -1,
        "ToleratedFailureCount cannot be negative.",
    ),
    map_runtime("tolerated-count-path-zero", "ToleratedFailureCount", 0, None),
    map_runtime("tolerated-count-path-one", "ToleratedFailureCount", 1, None),
    map_runtime("tolerated-percentage-path-object", "ToleratedFailurePercentage", {}, not_float("{}")),
    map_runtime(
        "tolerated-percentage-path-text", "ToleratedFailurePercentage", "NoNumber", not_float("NoNumber")
    ),
    map_runtime("tolerated-percentage-path-negative-float", "ToleratedFailurePercentage", -1.1, BETWEEN),
    map_runtime("tolerated-percentage-path-negative", "ToleratedFailurePercentage", -1, BETWEEN),
    map_runtime("tolerated-percentage-path-zero", "ToleratedFailurePercentage", 0, None),
    map_runtime("tolerated-percentage-path-float", "ToleratedFailurePercentage", 1.1, None),
    map_runtime("tolerated-percentage-path-hundred", "ToleratedFailurePercentage", 100, None),
    map_runtime("tolerated-percentage-path-over-hundred", "ToleratedFailurePercentage", 100.1, BETWEEN),
    map_runtime("max-concurrency-path-object", "MaxConcurrency", {}, not_integer("MaxConcurrency", "{}")),
    map_runtime(
        "max-concurrency-path-text", "MaxConcurrency", "NoNumber", not_integer("MaxConcurrency", "NoNumber")
    ),
    map_runtime(
        "max-concurrency-path-negative",
        "MaxConcurrency",
        -1,
        "Expected non-negative integer for MaxConcurrency, got '-1' instead.",
    ),
    map_runtime("max-concurrency-path-numeric-text", "MaxConcurrency", "1", None),
    # Wait: TimestampPath must be RFC 3339 with a real date and time; fractions of any length are fine.
    bad_timestamp_path("timestamp-path-without-t", "2016-12-05 21:29:29Z"),
    bad_timestamp_path("timestamp-path-without-zone", "2016-12-05T21:29:29"),
    bad_timestamp_path("timestamp-path-month-13", "2016-13-05T21:29:29Z"),
    bad_timestamp_path("timestamp-path-hour-25", "2016-12-05T25:29:29Z"),
    bad_timestamp_path("timestamp-path-day-first", "05-12-2016T21:29:29Z"),
    Case(
        "timestamp-path-nanoseconds",
        SCENARIOS + " (test_wait_timestamp[NANOSECONDS])",
        WAIT_PATH,
        {"TimestampValue": "2016-12-05T21:29:29.123456789Z"},
        output={"TimestampValue": "2016-12-05T21:29:29.123456789Z"},
    ),
    # Data limits: a state output over 256 KiB ends the execution; no prefix, no Catch.
    Case(
        "state-output-over-256-kib",
        "AWS via LocalStack snapshot test_states_errors (test_start_large_input)",
        one({"Type": "Pass", "Result": "x" * (256 * 1024)}, name="State_1"),
        {},
        status=FAILED,
        error="States.DataLimitExceeded",
        cause="The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes "
        "service limit.",
    ),
    # Errors from children: a caught error output always carries Cause; a bare Fail leaves no error name.
    Case(
        "caught-error-without-cause-has-empty-cause",
        "LocalStack's interpreter: 'If no cause or error fields are given, AWS binds an empty string'",
        machine(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Branches": [machine(("F", {"Type": "Fail", "Error": "E"}))],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                    "Next": "H",
                },
            ),
            ("H", {"Type": "Pass", "End": True}),
        ),
        {},
        output={"Error": "E", "Cause": ""},
    ),
    Case(
        "map-item-bare-fail-leaves-no-error",
        SCENARIOS + " (test_map_state_catch_empty_fail)",
        machine(
            ("StartState", {"Type": "Pass", "Result": [1], "ResultPath": "$.arr", "Next": "MapState"}),
            (
                "MapState",
                {
                    "Type": "Map",
                    "ResultPath": None,
                    "InputPath": "$.arr",
                    "MaxConcurrency": 1,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "INLINE"},
                        "StartAt": "HandleItemFail",
                        "States": {"HandleItemFail": {"Type": "Fail"}},
                    },
                    "Catch": [
                        {"ErrorEquals": ["Internal Error"], "Next": "Caught"},
                        {"ErrorEquals": ["State.ALL"], "Next": "Caught"},
                    ],
                    "Next": "Caught",
                },
            ),
            ("Caught", {"Type": "Pass", "End": True}),
        ),
        {},
        status=FAILED,
        error=None,
        cause=None,
    ),
    Case(
        "states-runtime-is-not-caught-even-by-name",
        SCENARIOS + " (test_catch_states_runtime)",
        machine(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Branches": [machine(("B", {"Type": "Pass", "End": True}))],
                    "OutputPath": "$.no.such",
                    "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "C"}],
                    "Next": "C",
                },
            ),
            ("C", {"Type": "Pass", "End": True}),
        ),
        {},
        status=FAILED,
        error="States.Runtime",
        cause=PREFIX.format("P", 2) + "Invalid path '$.no.such' : No results for path: $['no']['such']",
    ),
    # JSONata: a failing expression names itself and its field, then jsonata-js's code and message.
    jsonata_failure(
        "jsonata-signature-error",
        FLOCI + " (#2668: T0412 wording)",
        {"Type": "Pass", "Output": {"n": "{% $sum('a') %}"}},
        {},
        "The JSONata expression '$sum('a')' specified for the field 'Output/n' threw an error during "
        'evaluation. T0412: Argument 1 of function "sum" must be an array of "numbers"',
    ),
    jsonata_failure(
        "jsonata-eval-is-disabled",
        FLOCI + " (#2737: $eval fails with T1006)",
        {"Type": "Pass", "Output": {"r": '{% $eval("1+1") %}'}},
        {},
        "The JSONata expression '$eval(\"1+1\")' specified for the field 'Output/r' threw an error during "
        "evaluation. T1006: Attempted to invoke a non-function",
    ),
    jsonata_failure(
        "jsonata-error-function",
        FLOCI + " (#2736: coded messages end '. <CODE>: <message>')",
        {"Type": "Pass", "Output": "{% $error('boom') %}"},
        {},
        "The JSONata expression '$error('boom')' specified for the field 'Output' threw an error during "
        "evaluation. D3137: boom",
    ),
    Case(
        "choice-condition-returning-nothing-fails",
        FLOCI + " (PR #2689: Choices[n]/Condition)",
        choose({"Condition": "{% $states.input.missing %}"}),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause=PREFIX.format("C", 2)
        + "The JSONata expression '$states.input.missing' specified for the field "
        "'Choices[0]/Condition' returned nothing (undefined).",
    ),
    Case(
        "choice-rule-output-named-under-its-index",
        FLOCI + " (PR #2689: Choices[n]/Output/v)",
        choose({"Condition": "{% true %}", "Output": {"v": "{% $states.input.missing %}"}}),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause=PREFIX.format("C", 2)
        + "The JSONata expression '$states.input.missing' specified for the field "
        "'Choices[0]/Output/v' returned nothing (undefined).",
    ),
    Case(
        "choice-rule-assign-named-under-its-index",
        FLOCI + " (PR #2689: Choices[n]/Assign/x)",
        choose({"Condition": "{% true %}", "Assign": {"x": "{% $states.input.missing %}"}}),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause=PREFIX.format("C", 2)
        + "The JSONata expression '$states.input.missing' specified for the field "
        "'Choices[0]/Assign/x' returned nothing (undefined).",
    ),
    Case(
        "catch-output-named-under-its-index",
        FLOCI + " (PR #2689: Catch[n]/Output)",
        machine(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Branches": [FAILING_BRANCH],
                    "Next": "H",
                    "Catch": [
                        {"ErrorEquals": ["Other"], "Next": "H"},
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Output": {"v": "{% $states.input.missing %}"},
                            "Next": "H",
                        },
                    ],
                },
            ),
            ("H", {"Type": "Pass", "End": True}),
            **JSONATA,
        ),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause=PREFIX.format("P", 2)
        + "The JSONata expression '$states.input.missing' specified for the field "
        "'Catch[1]/Output/v' returned nothing (undefined).",
    ),
    Case(
        "choice-default-output-with-shared-next",
        "AWS via localstack/localstack#12301 (rule and Default share Next)",
        machine(
            (
                "C",
                {
                    "Type": "Choice",
                    "Choices": [
                        {"Condition": "{% true %}", "Next": "Pass", "Output": {"rule1": "from rule 1"}}
                    ],
                    "Default": "Pass",
                    "Output": {"DEFAULT": "from default"},
                },
            ),
            ("Pass", {"Type": "Pass", "End": True}),
            **JSONATA,
        ),
        {},
        output={"rule1": "from rule 1"},
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_runtime_failures_and_causes(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-12-05 21:29:29Z",
        "2016-12-05T21:29:29",
        "2016-13-05T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "05-12-2016T21:29:29Z",
        "{% '2016-12-05T21:29:29Z' %}",
    ],
)
def test_an_invalid_wait_timestamp_is_refused_as_aws_refuses_it(timestamp: str) -> None:
    """AWS via LocalStack snapshot test_base_scenarios (test_wait_timestamp_invalid):
    CreateStateMachine fails."""
    definition = machine(("WaitUntil", {"Type": "Wait", "Timestamp": timestamp, "End": True}))
    with pytest.raises(DefinitionError) as raised:
        sojourn.run(definition, {}, clock=VirtualClock())
    assert (raised.value.error, raised.value.cause) == (
        "InvalidDefinition",
        "Invalid State Machine Definition: "
        "'SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/WaitUntil/Timestamp'",
    )


def test_a_task_result_over_256_kib_is_a_task_failure_states_all_catches() -> None:
    """AWS via LocalStack snapshot test_states_errors (catch_state_all_data_limit_exceeded):
    the task fails."""
    arn = "arn:aws:lambda:us-east-1:111111111111:function:big"
    definition = machine(
        (
            "InvokeLambda",
            {
                "Type": "Task",
                "Resource": arn,
                "Next": "Done",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "HandleGeneralError"}],
            },
        ),
        ("Done", {"Type": "Pass", "End": True}),
        ("HandleGeneralError", {"Type": "Pass", "End": True}),
    )
    result = sojourn.run(definition, {}, resources={arn: lambda _: "x" * (256 * 1024)}, clock=VirtualClock())
    assert result.output == {
        "Error": "States.DataLimitExceeded",
        "Cause": f"The state/task '{arn}' returned a result with a size exceeding the maximum number "
        "of bytes service limit.",
    }


# A missing `$$` path prints the context object, in AWS's key order and whole (AWS's cause quoted from an
# execution in a public project note: '{"Execution":{"Id",...,"Input",...,"StartTime",...,"Name",...,
# "RoleArn",...,"RedriveCount":0},"StateMachine":{"Id","Name"},"State":{"Name","EnteredTime",...}}'; the same
# order in LocalStack's snapshot test_base::test_query_context_object_values).
QUOTED = "AWS execution cause quoted in a public note; key order as snapshot test_query_context_object_values"
CONTEXT = (
    '{"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:in-memory:conformance",'
    '"Input":{"reviewJobId":"r"},"StartTime":"2026-01-01T12:00:00.000Z","Name":"conformance",'
    '"RoleArn":"arn:aws:iam::123456789012:role/sojourn","RedriveCount":0},'
    '"StateMachine":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:in-memory","Name":"in-memory"},'
    '"State":{"Name":"ProcessReviewItem","EnteredTime":"2026-01-01T12:00:00.000Z"}}'
)
LONG = {f"key{i}": "v" * 40 for i in range(12)}
PRINTED = [
    Case(
        "missing-context-path-prints-the-context-object-in-aws-order",
        QUOTED,
        one(
            {"Type": "Pass", "Parameters": {"checkId.$": "$$.Map.Item.Value.checkId"}},
            name="ProcessReviewItem",
        ),
        {"reviewJobId": "r"},
        status=FAILED,
        error="States.Runtime",
        cause=PREFIX.format("ProcessReviewItem", 2)
        + "The JSONPath '$$.Map.Item.Value.checkId' specified for the "
        f"field 'checkId.$' could not be found in the input '{CONTEXT}'",
    ),
    Case(
        "a-long-input-is-printed-whole-and-compact",
        QUOTED + " (900 characters, not cut)",
        one({"Type": "Pass", "Parameters": {"a.$": "$.missing"}}),
        LONG,
        status=FAILED,
        error="States.Runtime",
        cause=PREFIX.format("S", 2)
        + "The JSONPath '$.missing' specified for the field 'a.$' could not be found in the "
        "input '" + json.dumps(LONG, separators=(",", ":")) + "'",
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in PRINTED])
def test_documents_printed_into_causes(case: Case) -> None:
    check(case)
