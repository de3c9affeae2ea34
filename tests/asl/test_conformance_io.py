"""Conformance: input and output processing (InputPath, Parameters, ResultSelector, ResultPath, OutputPath).

Spec: states-language.net "Input and Output Processing", "Paths", "Reference Paths", "Payload
Template", "The Context Object". AWS: input-output-inputpath-params, input-output-resultpath,
input-output-outputpath, input-output-example, input-output-contextobject, amazon-states-language-pass-state.
"""

from __future__ import annotations

import pytest
from asl_conformance import FAILED, Case, check, machine, one, passes

SPEC_IO = "spec: Input and Output Processing"
RESULT_PATH = "AWS dg: input-output-resultpath"
INPUT_PATH = "AWS dg: input-output-inputpath-params"
OUTPUT_PATH = "AWS dg: input-output-outputpath"
CONTEXT = "AWS dg: input-output-contextobject"

RESULT_PATH_INPUT = {"comment": "This is a test", "details": "Default example", "who": "Step Functions"}
DATASETS = {
    "comment": "Example for InputPath.",
    "dataset1": {"val1": 1, "val2": 2, "val3": 3},
    "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
}

CASES = [
    # The spec's Parameters example: constants, paths, and a slice.
    Case(
        "spec-parameters-example",
        SPEC_IO,
        passes(Parameters={"flagged": True, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"}}),
        {"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]},
        output={"flagged": True, "parts": {"first": 0, "last3": [30, 40, 50]}},
    ),
    # The spec's ResultPath example: a Pass state's Result placed under $.coords.
    Case(
        "spec-resultpath-example",
        SPEC_IO,
        passes(Result={"x-datum": 0.381018, "y-datum": 622.2269926397355}, ResultPath="$.coords"),
        {"georefOf": "Home"},
        output={"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}},
    ),
    Case(
        "resultpath-default-replaces-input",
        RESULT_PATH,
        passes(Result="Hello, Step Functions!"),
        RESULT_PATH_INPUT,
        output="Hello, Step Functions!",
    ),
    Case(
        "resultpath-null-keeps-input",
        RESULT_PATH,
        passes(Result="Hello, Step Functions!", ResultPath=None),
        RESULT_PATH_INPUT,
        output=RESULT_PATH_INPUT,
    ),
    Case(
        "resultpath-adds-field",
        RESULT_PATH,
        passes(Result="Hello, Step Functions!", ResultPath="$.taskresult"),
        RESULT_PATH_INPUT,
        output={**RESULT_PATH_INPUT, "taskresult": "Hello, Step Functions!"},
    ),
    Case(
        "resultpath-overwrites-field",
        RESULT_PATH,
        passes(Result="Hello, Step Functions!", ResultPath="$.details"),
        RESULT_PATH_INPUT,
        output={**RESULT_PATH_INPUT, "details": "Hello, Step Functions!"},
    ),
    Case(
        "resultpath-creates-missing-parents",
        "spec: Reference Paths (ResultPath may add nodes)",
        passes(Result=5, ResultPath="$.a.b.c"),
        {"x": 1},
        output={"x": 1, "a": {"b": {"c": 5}}},
    ),
    Case(
        "resultpath-merges-into-raw-input-not-effective-input",
        RESULT_PATH,
        passes(InputPath="$.dataset2", Result=1, ResultPath="$.r"),
        DATASETS,
        output={**DATASETS, "r": 1},
    ),
    Case(
        "inputpath-selects-node",
        INPUT_PATH,
        passes(InputPath="$.dataset2"),
        DATASETS,
        output={"val1": "a", "val2": "b", "val3": "c"},
    ),
    Case(
        "inputpath-null-gives-empty-object",
        "spec: Input and Output Processing (null InputPath)",
        passes(InputPath=None),
        DATASETS,
        output={},
    ),
    Case(
        "outputpath-selects-node",
        OUTPUT_PATH,
        passes(OutputPath="$.dataset1"),
        DATASETS,
        output={"val1": 1, "val2": 2, "val3": 3},
    ),
    Case("outputpath-null-gives-empty-object", OUTPUT_PATH, passes(OutputPath=None), DATASETS, output={}),
    Case(
        "parameters-payload-template",
        INPUT_PATH,
        passes(
            Parameters={
                "comment": "Selecting what I care about.",
                "MyDetails": {
                    "size.$": "$.product.details.size",
                    "exists.$": "$.product.availability",
                    "StaticValue": "foo",
                },
            }
        ),
        {
            "comment": "Example",
            "product": {
                "details": {"color": "blue", "size": "small", "material": "cotton"},
                "availability": "in stock",
                "sku": "2317",
                "cost": "$23",
            },
        },
        output={
            "comment": "Selecting what I care about.",
            "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
        },
    ),
    Case(
        "parameters-after-inputpath",
        "spec: Input and Output Processing (InputPath, then Parameters)",
        passes(InputPath="$.dataset1", Parameters={"v.$": "$.val2"}),
        DATASETS,
        output={"v": 2},
    ),
    Case(
        "result-selector-on-parallel-result",
        "AWS dg: input-output-inputpath-params (ResultSelector)",
        one(
            {
                "Type": "Parallel",
                "Branches": [machine(("B", {"Type": "Pass", "Result": {"n": 3}, "End": True}))],
                "ResultSelector": {"count.$": "$[0].n"},
                "ResultPath": "$.summary",
            }
        ),
        {"keep": True},
        output={"keep": True, "summary": {"count": 3}},
    ),
    Case(
        "indefinite-path-yields-array",
        "spec: Paths (a path that can match many nodes yields an array)",
        passes(Parameters={"ids.$": "$.items[*].id"}),
        {"items": [{"id": 1}, {"id": 2}]},
        output={"ids": [1, 2]},
    ),
    Case(
        "filter-expression",
        "spec: Paths (JsonPath filters)",
        passes(Parameters={"big.$": "$.items[?(@.n > 1)].n"}),
        {"items": [{"n": 1}, {"n": 2}, {"n": 3}]},
        output={"big": [2, 3]},
    ),
    Case(
        "bracket-notation", "spec: Paths", passes(Parameters={"v.$": "$['a b']"}), {"a b": 7}, output={"v": 7}
    ),
    Case(
        "pass-without-result-copies-input",
        "spec: Pass State",
        passes(),
        {"a": [1, {"b": None}]},
        output={"a": [1, {"b": None}]},
    ),
    Case(
        "literal-dollar-value-without-suffix",
        "spec: Payload Template (only keys ending in .$ are paths)",
        passes(Parameters={"x": "$.a"}),
        {"a": 1},
        output={"x": "$.a"},
    ),
    Case(
        "null-input-is-json-null",
        "AWS API: StartExecution input is any JSON text",
        passes(),
        None,
        output=None,
    ),
    # Context object
    Case("context-state-name", CONTEXT, passes(Parameters={"n.$": "$$.State.Name"}), {}, output={"n": "S"}),
    Case(
        "context-execution-input",
        CONTEXT,
        passes(Parameters={"i.$": "$$.Execution.Input.a"}),
        {"a": [1]},
        output={"i": [1]},
    ),
    Case(
        "context-execution-name",
        CONTEXT,
        passes(Parameters={"n.$": "$$.Execution.Name"}),
        {},
        output={"n": "conformance"},
    ),
    Case(
        "context-execution-start-time",
        CONTEXT,
        passes(Parameters={"t.$": "$$.Execution.StartTime"}),
        {},
        output={"t": "2026-01-01T12:00:00.000Z"},
    ),
    Case("context-as-inputpath", CONTEXT, passes(InputPath="$$.State.Name"), {}, output="S"),
    # Failures: States.Runtime with AWS's causes, prefixed with the state and its entered event.
    Case(
        "parameters-missing-path",
        "AWS workshop 'Check Address' error; AWS dg: concepts-error-handling (States.Runtime)",
        one({"Type": "Pass", "Parameters": {"address.$": "$.application.address"}}, name="Check Address"),
        {"flagged": False},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'Check Address' (entered at the event id #2). "
        "The JSONPath '$.application.address' specified for the field 'address.$' "
        "could not be found in the input '{\"flagged\":false}'",
    ),
    Case(
        "inputpath-missing-path",
        "AWS (Jayway JsonPath wording) via LocalStack snapshots",
        passes(InputPath="$.x.y"),
        {"a": 1},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "Invalid path '$.x.y' : No results for path: $['x']['y']",
    ),
    Case(
        "outputpath-missing-path",
        "AWS (Jayway JsonPath wording) via LocalStack snapshots",
        passes(OutputPath="$.x"),
        {"a": 1},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "Invalid path '$.x' : No results for path: $['x']",
    ),
    *[
        Case(
            f"{name}-path-missing",
            "LocalStack's interpreter, fitted to its AWS snapshot test_base_scenarios "
            f"(invalid_jsonpath_in_{name.replace('-', '')}path)",
            one(
                {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    field: "$.nope",
                    "Parameters": {"FunctionName": "f"},
                }
            ),
            {"a": 1},
            status=FAILED,
            error="States.Runtime",
            cause="An error occurred while executing the state 'S' (entered at the event id #2). "
            "Invalid path '$.nope' : No results for path: $['nope']",
        )
        for name, field in (
            ("timeout-seconds", "TimeoutSecondsPath"),
            ("heartbeat-seconds", "HeartbeatSecondsPath"),
        )
    ],
    Case(
        "missing-path-in-second-state-names-its-event",
        "AWS dg: concepts-error-handling (entered event id)",
        machine(
            ("A", {"Type": "Pass", "Next": "B"}),
            ("B", {"Type": "Pass", "Parameters": {"v.$": "$.nope"}, "End": True}),
        ),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'B' (entered at the event id #4). "
        "The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input '{}'",
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_input_and_output_processing(case: Case) -> None:
    check(case)
