"""Conformance: Parallel and Map states.

Spec: states-language.net "Parallel State", "Map State". AWS dg: state-parallel, state-map,
state-map-inline, input-output-itemselector, input-output-itembatcher, state-map-tolerated-failure.
"""

from __future__ import annotations

import pytest
from asl_conformance import FAILED, Case, check, machine, one

MAP = "AWS dg: state-map-inline"
END = {"End": True}


def pass_state(**fields: object) -> dict:
    return {"Type": "Pass", **fields, **END}


def processor(state: dict) -> dict:
    return machine(("Item", state))


VARIABLE_PATHS = "AWS via LocalStack snapshot test_assign_reference_variables (map_state_reference_in_*)"
PROCESSOR = machine(("P", pass_state()))

ZERO_FAILS = machine(
    (
        "Check",
        {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Boom"}],
            "Default": "Ok",
        },
    ),
    ("Boom", {"Type": "Fail", "Error": "Zero", "Cause": "zero is not allowed"}),
    ("Ok", pass_state()),
)

CASES = [
    Case(
        "parallel-outputs-in-branch-order",
        "spec: Parallel State (output is an array, one element per branch)",
        one(
            {
                "Type": "Parallel",
                "Branches": [machine(("A", pass_state(Result="a"))), machine(("B", pass_state()))],
            }
        ),
        {"x": 1},
        output=["a", {"x": 1}],
    ),
    Case(
        "parallel-parameters-feed-each-branch",
        "AWS dg: state-parallel (Parameters)",
        one({"Type": "Parallel", "Parameters": {"y.$": "$.x"}, "Branches": [machine(("A", pass_state()))]}),
        {"x": 1},
        output=[{"y": 1}],
    ),
    Case(
        "parallel-resultpath",
        "AWS dg: state-parallel",
        one({"Type": "Parallel", "ResultPath": "$.out", "Branches": [machine(("A", pass_state(Result=1)))]}),
        {"x": 1},
        output={"x": 1, "out": [1]},
    ),
    Case(
        "map-items-path",
        MAP,
        one({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor(pass_state())}),
        {"items": [1, 2, 3]},
        output=[1, 2, 3],
    ),
    Case(
        "map-output-keeps-item-order",
        MAP,
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemProcessor": processor(pass_state(Parameters={"i.$": "$"})),
            }
        ),
        {"items": [3, 1, 2]},
        output=[{"i": 3}, {"i": 1}, {"i": 2}],
    ),
    Case(
        "map-empty-array",
        MAP,
        one({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor(pass_state())}),
        {"items": []},
        output=[],
    ),
    Case(
        "map-item-selector-context",
        "AWS dg: input-output-itemselector ($$.Map.Item.Index and Value)",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.detail.shipped",
                "ItemSelector": {
                    "parcel.$": "$$.Map.Item.Value",
                    "courier.$": "$.delivery-partner",
                    "index.$": "$$.Map.Item.Index",
                },
                "ItemProcessor": processor(pass_state()),
            }
        ),
        {"delivery-partner": "UQS", "detail": {"shipped": [{"prod": "R31"}, {"prod": "S39"}]}},
        output=[
            {"parcel": {"prod": "R31"}, "courier": "UQS", "index": 0},
            {"parcel": {"prod": "S39"}, "courier": "UQS", "index": 1},
        ],
    ),
    Case(
        "map-parameters-is-the-legacy-item-selector",
        "AWS dg: state-map-inline (Parameters, Iterator: deprecated names)",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "Parameters": {"v.$": "$$.Map.Item.Value"},
                "Iterator": processor(pass_state()),
            }
        ),
        {"xs": ["a"]},
        output=[{"v": "a"}],
    ),
    Case(
        "map-item-batcher",
        "AWS dg: input-output-itembatcher (Items and BatchInput)",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"k.$": "$.k"}},
                "ItemProcessor": processor(pass_state()),
            }
        ),
        {"xs": [1, 2, 3], "k": 9},
        output=[{"Items": [1, 2], "BatchInput": {"k": 9}}, {"Items": [3], "BatchInput": {"k": 9}}],
    ),
    Case(
        "map-result-selector",
        "AWS dg: state-map-inline (ResultSelector)",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemProcessor": processor(pass_state()),
                "ResultSelector": {"n.$": "States.ArrayLength($)"},
            }
        ),
        {"xs": [1, 2]},
        output={"n": 2},
    ),
    Case(
        "map-iteration-failure-fails-the-map",
        "spec: Map State",
        one({"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": ZERO_FAILS}),
        {"xs": [1, 0, 2]},
        status=FAILED,
        error="Zero",
        cause="zero is not allowed",
    ),
    Case(
        "map-tolerated-failure-count",
        "AWS dg: state-map-tolerated-failure",
        one({"Type": "Map", "ItemsPath": "$.xs", "ToleratedFailureCount": 1, "ItemProcessor": ZERO_FAILS}),
        {"xs": [1, 0, 2]},
        output=[1, {"Error": "Zero", "Cause": "zero is not allowed"}, 2],
    ),
    Case(
        "map-tolerated-failure-percentage",
        "AWS dg: state-map-tolerated-failure",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ToleratedFailurePercentage": 50,
                "ItemProcessor": ZERO_FAILS,
            }
        ),
        {"xs": [1, 0, 2]},
        output=[1, {"Error": "Zero", "Cause": "zero is not allowed"}, 2],
    ),
    Case(
        "map-tolerated-failure-exceeded",
        "AWS dg: state-map-tolerated-failure (States.ExceedToleratedFailureThreshold)",
        one(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ToleratedFailurePercentage": 10,
                "ItemProcessor": ZERO_FAILS,
            }
        ),
        {"xs": [1, 0, 2]},
        status=FAILED,
        error="States.ExceedToleratedFailureThreshold",
        cause="The specified tolerated failure threshold was exceeded",
    ),
    Case(
        "map-runtime-error-names-the-inner-state",
        "AWS dg: concepts-error-handling (entered event id)",
        one({"Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": processor(pass_state(InputPath="$.nope"))}),
        {"xs": [{}]},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'Item' (entered at the event id #5). "
        "Invalid path '$.nope' : No results for path: $['nope']",
    ),
]


CASES += [
    Case(
        "map-paths-read-variables",
        VARIABLE_PATHS,
        machine(
            (
                "A",
                {"Type": "Pass", "Assign": {"items": [1, 2, 3], "mc": 1, "tc": 0, "batch": 2}, "Next": "M"},
            ),
            (
                "M",
                {
                    "Type": "Map",
                    "ItemsPath": "$items",
                    "MaxConcurrencyPath": "$mc",
                    "ToleratedFailureCountPath": "$tc",
                    "ItemBatcher": {"MaxItemsPerBatchPath": "$batch"},
                    "ItemProcessor": PROCESSOR,
                    **END,
                },
            ),
        ),
        {},
        output=[{"Items": [1, 2]}, {"Items": [3]}],
    ),
    Case(
        "map-item-batcher-jsonata",
        "AWS via LocalStack snapshot test_base_scenarios "
        "(map_item_batcher_base_max_per_batch_jsonata: MaxItemsPerBatch and BatchInput as JSONata)",
        one(
            {
                "Type": "Map",
                "Items": "{% $states.input.xs %}",
                "ItemProcessor": PROCESSOR,
                "ItemBatcher": {
                    "MaxItemsPerBatch": "{% $states.input.n %}",
                    "BatchInput": {"t": "{% $states.input.t %}"},
                },
            },
            QueryLanguage="JSONata",
        ),
        {"xs": [1, 2, 3], "n": 2, "t": "x"},
        output=[{"Items": [1, 2], "BatchInput": {"t": "x"}}, {"Items": [3], "BatchInput": {"t": "x"}}],
    ),
    Case(
        "parallel-branches-keep-order",
        "AWS via LocalStack snapshot test_base_scenarios (test_parallel_state_order)",
        one(
            {
                "Type": "Parallel",
                "Branches": [machine((f"Branch{i}", pass_state(Result={"branch": i}))) for i in range(4)],
            },
            name="StartState",
        ),
        {},
        output=[{"branch": 0}, {"branch": 1}, {"branch": 2}, {"branch": 3}],
    ),
    Case(
        "parallel-branch-error-without-cause",
        "AWS via LocalStack snapshot test_base_scenarios (test_parallel_state_fail)",
        one(
            {
                "Type": "Parallel",
                "Branches": [machine(("Branch1", {"Type": "Fail", "Error": "FailureType"}))],
            },
            name="ParallelState",
        ),
        {},
        status=FAILED,
        error="FailureType",
        cause=None,
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_parallel_and_map(case: Case) -> None:
    check(case)
