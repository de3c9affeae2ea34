"""Conformance: the last mile of AWS fidelity (issue 18), each case with where AWS's behaviour is recorded.

Sources: LocalStack's AWS-validated scenarios (tests/aws/services/stepfunctions/templates/scenarios/
statemachines/map_state_legacy_config_*.json5, Apache-2.0, run against AWS by test_base_scenarios);
AWS's Step Functions Developer Guide, "Paths" (amazon-states-language-paths: `$.abc.['def ghi']`);
AWS's own check of the Parameters field (aws/amazon-states-language-service#83: "customers are able to
create and execute state machines with Parameters values of type number, array, object, boolean, string,
and null"); an execution's cause as AWS gave it on AWS re:Post (question QUYiQKP0XfThWEc_ahsMnLOA,
"$.Jobs.sum()"); jsonata-js, which AWS runs, for null against undefined.
"""

from __future__ import annotations

import pytest
from asl_conformance import FAILED, Case, check, machine, one

import sojourn
from sojourn.asl.validate import validate

LEGACY = "AWS via LocalStack scenario map_state_legacy_config_{} (test_base_scenarios, aws.validated)"
PATHS = "AWS dg: amazon-states-language-paths"
PARAMETERS = "AWS: aws/amazon-states-language-service#83 (Parameters of any JSON type)"
REPOST = "AWS via re:Post QUYiQKP0XfThWEc_ahsMnLOA (the execution's cause)"
JSONATA = "jsonata-js (AWS's JSONata): null is a value, only undefined fails"
JAYWAY = (
    "Jayway JsonPath's README (AWS's JSONPath; AWS dg amazon-states-language-paths refuses regex filters "
    "only in reference paths): =~ /regex/flags matches the whole value"
)
BOOKS = {"book": [{"author": "Nigel Rees"}, {"author": "Evelyn Waugh"}]}


def legacy_map(config: dict, selector: str) -> dict:
    """LocalStack's map_state_legacy_config_* scenarios: the legacy Iterator with a ProcessorConfig."""
    return machine(
        (
            "MapState",
            {
                "Type": "Map",
                "MaxConcurrency": 1,
                selector: {
                    "constantValue": "constant",
                    "mapValue.$": "$$.Map.Item.Value",
                    "fromInput.$": "$",
                },
                "Iterator": {
                    "StartAt": "IteratorInner",
                    "States": {"IteratorInner": {"Type": "Pass", "End": True}},
                    "ProcessorConfig": config,
                },
                "Next": "Finish",
            },
        ),
        ("Finish", {"Type": "Succeed"}),
    )


GREETED = [
    {"constantValue": "constant", "mapValue": word, "fromInput": ["Hello", "World"]}
    for word in ("Hello", "World")
]
INLINE = {"Mode": "INLINE"}
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
STORE = {"store": {"book": [{"title": "A", "price": 8}, {"title": "B", "price": 22}]}, "OU": [{"OU": 1}]}

CASES = [
    Case(
        "legacy-iterator-inline-parameters",
        LEGACY.format("inline_parameters"),
        legacy_map(INLINE, "Parameters"),
        ["Hello", "World"],
        output=GREETED,
    ),
    Case(
        "legacy-iterator-inline-item-selector",
        LEGACY.format("inline_item_selector"),
        legacy_map(INLINE, "ItemSelector"),
        ["Hello", "World"],
        output=GREETED,
    ),
    Case(
        "legacy-iterator-distributed-parameters",
        LEGACY.format("distributed_parameters"),
        legacy_map(DISTRIBUTED, "Parameters"),
        ["Hello", "World"],
        output=GREETED,
    ),
    Case(
        "legacy-iterator-distributed-item-selector",
        LEGACY.format("distributed_item_selector"),
        legacy_map(DISTRIBUTED, "ItemSelector"),
        ["Hello", "World"],
        output=GREETED,
    ),
    Case(
        "dot-before-a-bracket-filter",
        PATHS + " (Jayway reads `.[` as `[`)",
        one({"Type": "Pass", "InputPath": "$.store.book.[?(@.price > 10)]"}),
        STORE,
        output=[{"title": "B", "price": 22}],
    ),
    Case(
        "dot-before-a-bracket-filter-at-the-root",
        PATHS + " (Jayway reads `.[` as `[`)",
        one({"Type": "Pass", "InputPath": "$.OU.[?(@.OU > 0)]"}),
        STORE,
        output=[{"OU": 1}],
    ),
    Case(
        "dot-before-a-quoted-name-is-one-node",
        PATHS + " ($.abc.['def ghi'])",
        one({"Type": "Pass", "InputPath": "$.store.['book'][1]"}),
        STORE,
        output={"title": "B", "price": 22},
    ),
    Case(
        "a-path-function-finds-nothing",
        REPOST,
        one({"Type": "Pass", "Parameters": {"Jobs.$": "$.Jobs.sum()"}}, name="Sum Jobs"),
        {"Jobs": [0, 1]},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'Sum Jobs' (entered at the event id #2). The "
        "JSONPath '$.Jobs.sum()' specified for the field 'Jobs.$' could not be found in the input "
        "'{\"Jobs\":[0,1]}'",
    ),
    Case(
        "regex-filter-ignoring-case",
        JAYWAY,
        one({"Type": "Pass", "InputPath": "$..book[?(@.author =~ /.*REES/i)].author"}),
        BOOKS,
        output=["Nigel Rees"],
    ),
    Case(
        "regex-filter-matches-the-whole-value",
        JAYWAY,
        one({"Type": "Pass", "InputPath": "$..book[?(@.author =~ /Evelyn/)].author"}),
        BOOKS,
        output=[],
    ),
    Case(
        "parameters-as-an-array",
        PARAMETERS,
        one({"Type": "Pass", "Parameters": [1, {"a.$": "$.x"}, [{"b.$": "$$.State.Name"}]]}),
        {"x": 5},
        output=[1, {"a": 5}, [{"b": "S"}]],
    ),
    Case(
        "parameters-as-a-string", PARAMETERS, one({"Type": "Pass", "Parameters": "hello"}), {}, output="hello"
    ),
    Case("parameters-as-a-number", PARAMETERS, one({"Type": "Pass", "Parameters": 7}), {}, output=7),
    Case(
        "jsonata-output-null-from-the-input",
        JSONATA,
        one({"Type": "Pass", "Output": "{% $states.input.items %}"}, QueryLanguage="JSONata"),
        {"items": None},
        output=None,
    ),
    Case(
        "jsonata-null-inside-a-built-value",
        JSONATA,
        one(
            {"Type": "Pass", "Output": {"a": "{% $states.input.items %}", "b": "{% [null, 1] %}"}},
            QueryLanguage="JSONata",
        ),
        {"items": None},
        output={"a": None, "b": [None, 1]},
    ),
    Case(
        "jsonata-output-undefined-still-fails",
        JSONATA,
        one({"Type": "Pass", "Output": "{% $states.input.nothing %}"}, QueryLanguage="JSONata"),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). The JSONata "
        "expression '$states.input.nothing' specified for the field 'Output' returned nothing (undefined).",
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_case(case: Case) -> None:
    assert [d for d in validate(case.definition) if d.severity == "ERROR"] == [], case.id
    check(case)


TOKEN_TASK = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}


@pytest.mark.parametrize(
    "state, language, codes",
    [
        (TOKEN_TASK, "JSONPath", ["WAIT_FOR_TASK_TOKEN_WITHOUT_TIMEOUT", "TASK_TOKEN_NOT_PASSED"]),
        (
            {**TOKEN_TASK, "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}},
            "JSONPath",
            ["WAIT_FOR_TASK_TOKEN_WITHOUT_TIMEOUT"],
        ),
        (
            {
                **TOKEN_TASK,
                "HeartbeatSeconds": 60,
                "Parameters": {"MessageBody.$": "States.Format('{}', $$.Task.Token)"},
            },
            "JSONPath",
            [],
        ),
        (
            {
                **TOKEN_TASK,
                "TimeoutSeconds": 60,
                "Arguments": {"MessageBody": "{% $states.context.Task.Token %}"},
            },
            "JSONata",
            [],
        ),
        (
            {**TOKEN_TASK, "TimeoutSeconds": 60, "Arguments": {"MessageBody": "hello"}},
            "JSONata",
            ["TASK_TOKEN_NOT_PASSED"],
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sojourn:humanTask.waitForTaskToken",
                "End": True,
                "Arguments": {"Title": "t", "Assignees": ["a@example.com"]},
            },
            "JSONata",
            [],
        ),
    ],
)
def test_a_token_wait_that_could_hang_gets_a_warning_not_an_error(state, language, codes):
    """Sojourn's own warnings (severity WARNING, as ValidateStateMachineDefinition gives them): a
    `.waitForTaskToken` Task can wait a year on AWS too when nothing bounds it or nobody gets its token."""
    found = validate(one(state, QueryLanguage=language))
    assert [d.code for d in found if d.severity == "WARNING"] == codes
    assert [d for d in found if d.severity == "ERROR"] == []


def test_a_regex_filter_that_backtracks_without_end_fails_the_state_and_frees_the_worker():
    """Sojourn's rule (nothing a user sends may hold a worker): the filter's regex runs with a timeout."""
    definition = one({"Type": "Pass", "InputPath": "$.l[?(@.a =~ /(a|a)*/)]"})
    result = sojourn.run(definition, {"l": [{"a": "a" * 40 + "b"}]})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "took longer than" in result.cause
