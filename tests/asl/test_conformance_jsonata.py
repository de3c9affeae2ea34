"""Conformance: JSONata, `$states`, variables and Assign, and Wait.

AWS dg: transforming-data (JSONata, `$states.input/result/errorOutput/context`, Output, Arguments,
Condition, Items), workflow-variables (Assign, evaluation against the values before the state,
scope in Map and Parallel), state-wait, concepts-error-handling (States.QueryEvaluationError).
"""

from __future__ import annotations

import pytest
from asl_conformance import FAILED, Case, check, machine, one

JSONATA = {"QueryLanguage": "JSONata"}
DATA = "AWS dg: transforming-data"
VARS = "AWS dg: workflow-variables"
WAIT = "AWS dg: state-wait"
END = {"End": True}


def j(*states: tuple[str, dict]) -> dict:
    return machine(*states, **JSONATA)


def pass_(**fields: object) -> dict:
    return {"Type": "Pass", **fields}


CASES = [
    Case(
        "output-expression",
        DATA,
        j(("S", pass_(Output="{% $states.input.a + 1 %}", **END))),
        {"a": 1},
        output=2,
    ),
    Case(
        "output-object-with-expressions",
        DATA,
        j(
            (
                "S",
                pass_(
                    Output={"sum": "{% $sum($states.input.xs) %}", "lit": "v", "list": ["{% 1 %}", 2]}, **END
                ),
            )
        ),
        {"xs": [1, 2.5]},
        output={"sum": 3.5, "lit": "v", "list": [1, 2]},
    ),
    Case(
        "context-in-jsonata",
        DATA,
        j(("S", pass_(Output="{% $states.context.State.Name %}", **END))),
        {},
        output="S",
    ),
    Case(
        "choice-condition-and-output",
        DATA,
        j(
            (
                "C",
                {
                    "Type": "Choice",
                    "Choices": [
                        {"Condition": "{% $states.input.n > 1 %}", "Next": "Big", "Output": {"size": "big"}}
                    ],
                    "Default": "Small",
                },
            ),
            ("Big", pass_(**END)),
            ("Small", pass_(Output={"size": "small"}, **END)),
        ),
        {"n": 2},
        output={"size": "big"},
    ),
    Case(
        "map-items-and-item-selector",
        DATA,
        one(
            {
                "Type": "Map",
                "Items": "{% $states.input.xs %}",
                "ItemSelector": {
                    "v": "{% $states.context.Map.Item.Value * 10 %}",
                    "i": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": machine(("I", pass_(**END))),
            },
            **JSONATA,
        ),
        {"xs": [1, 2]},
        output=[{"v": 10, "i": 0}, {"v": 20, "i": 1}],
    ),
    Case(
        "map-output-uses-states-result",
        DATA,
        one(
            {
                "Type": "Map",
                "Items": [1, 2],
                "ItemProcessor": machine(("I", pass_(Output="{% $states.input * 2 %}", **END))),
                "Output": "{% $sum($states.result) %}",
            },
            **JSONATA,
        ),
        {},
        output=6,
    ),
    Case(
        "catch-output-sees-error-output",
        DATA + " ($states.errorOutput in a Catch)",
        j(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Next": "Done",
                    "Branches": [machine(("F", {"Type": "Fail", "Error": "E", "Cause": "C"}))],
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Next": "Handler",
                            "Output": {"e": "{% $states.errorOutput %}", "in": "{% $states.input %}"},
                            "Assign": {"err": "{% $states.errorOutput.Error %}"},
                        }
                    ],
                },
            ),
            ("Done", {"Type": "Succeed"}),
            ("Handler", pass_(Output="{% [$states.input, $err] %}", **END)),
        ),
        {"k": 1},
        output=[{"e": {"Error": "E", "Cause": "C"}, "in": {"k": 1}}, "E"],
    ),
    Case(
        "fail-error-and-cause-expressions",
        DATA,
        j(("F", {"Type": "Fail", "Error": "{% $states.input.e %}", "Cause": "{% $states.input.c %}"})),
        {"e": "E1", "c": "C1"},
        status=FAILED,
        error="E1",
        cause="C1",
    ),
    Case(
        "undefined-output-fails",
        "AWS dg: concepts-error-handling (States.QueryEvaluationError)",
        j(("S", pass_(Output={"v": "{% $states.input.absent %}"}, **END))),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The JSONata expression '$states.input.absent' specified for the field 'Output/v' "
        "returned nothing (undefined).",
    ),
    Case(
        "undefined-assign-fails",
        "AWS dg: concepts-error-handling (States.QueryEvaluationError)",
        j(("S", pass_(Assign={"x": "{% $nope %}"}, **END))),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The JSONata expression '$nope' specified for the field 'Assign/x' returned nothing (undefined).",
    ),
    Case(
        "map-items-not-an-array",
        DATA + " (Items must be an array)",
        one(
            {"Type": "Map", "Items": "{% $states.input.x %}", "ItemProcessor": machine(("I", pass_(**END)))},
            **JSONATA,
        ),
        {"x": 1},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The JSONata expression '$states.input.x' specified for the field 'Items' "
        "returned an unexpected result type. Expected 'array', but was 'number' for value: 1",
    ),
    # Variables
    Case(
        "assign-then-read",
        VARS,
        j(
            ("A", pass_(Assign={"x": "{% $states.input.a %}", "y": 2}, Next="B")),
            ("B", pass_(Output="{% [$x, $y] %}", **END)),
        ),
        {"a": 1},
        output=[1, 2],
    ),
    Case(
        "assign-sees-values-before-the-state",
        VARS + " (all assignments use the values before the state)",
        j(
            ("A", pass_(Assign={"x": 1}, Next="B")),
            ("B", pass_(Assign={"x": 2, "y": "{% $x %}"}, Next="C")),
            ("C", pass_(Output="{% [$x, $y] %}", **END)),
        ),
        {},
        output=[2, 1],
    ),
    Case(
        "jsonpath-assign-and-reference",
        VARS + " (Assign in JSONPath states, $name paths)",
        machine(
            ("A", {"Type": "Pass", "Assign": {"x.$": "$.a", "lit": "s"}, "Next": "B"}),
            (
                "B",
                {
                    "Type": "Pass",
                    "Parameters": {"x.$": "$x", "l.$": "$lit", "sum.$": "States.MathAdd($x, 1)"},
                    **END,
                },
            ),
        ),
        {"a": 1},
        output={"x": 1, "l": "s", "sum": 2},
    ),
    Case(
        "jsonpath-assign-sees-the-result",
        VARS,
        machine(
            (
                "A",
                {
                    "Type": "Pass",
                    "Result": {"r": 1},
                    "ResultPath": "$.res",
                    "Assign": {"x.$": "$.r"},
                    "Next": "B",
                },
            ),
            ("B", {"Type": "Pass", "Parameters": {"x.$": "$x"}, **END}),
        ),
        {},
        output={"x": 1},
    ),
    Case(
        "variables-in-choice",
        VARS,
        machine(
            ("A", {"Type": "Pass", "Assign": {"x": 3}, "Next": "C"}),
            (
                "C",
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$x", "NumericEquals": 3, "Next": "Y"}],
                    "Default": "N",
                },
            ),
            ("Y", {"Type": "Pass", "Result": "y", **END}),
            ("N", {"Type": "Pass", "Result": "n", **END}),
        ),
        {},
        output="y",
    ),
    Case(
        "outer-variables-visible-in-map",
        VARS + " (scope: inner states read outer variables)",
        j(
            ("A", pass_(Assign={"x": 1}, Next="M")),
            (
                "M",
                {
                    "Type": "Map",
                    "Items": [1, 2],
                    "ItemProcessor": machine(("I", pass_(Output="{% $x + $states.input %}", **END))),
                    **END,
                },
            ),
        ),
        {},
        output=[2, 3],
    ),
    Case(
        "inner-variables-not-visible-outside",
        VARS + " (scope: a Map's variables stay inside)",
        j(
            (
                "M",
                {
                    "Type": "Map",
                    "Items": [1],
                    "ItemProcessor": machine(("I", pass_(Assign={"z": 9}, **END))),
                    "Next": "B",
                },
            ),
            ("B", pass_(Output="{% $z %}", **END)),
        ),
        {},
        status=FAILED,
        error="States.QueryEvaluationError",
        cause="An error occurred while executing the state 'B' (entered at the event id #10). "
        "The JSONata expression '$z' specified for the field 'Output' returned nothing (undefined).",
    ),
    Case(
        "parallel-assign-from-result",
        VARS,
        j(
            (
                "P",
                {
                    "Type": "Parallel",
                    "Branches": [
                        machine(("I", pass_(Output=1, **END))),
                        machine(("J", pass_(Output=2, **END))),
                    ],
                    "Assign": {"r": "{% $states.result %}"},
                    "Output": "{% $states.result[1] %}",
                    "Next": "B",
                },
            ),
            ("B", pass_(Output="{% [$r, $states.input] %}", **END)),
        ),
        {},
        output=[1, 2, 2],
    ),  # JSONata array constructors flatten array values
    # Wait
    Case("wait-seconds", WAIT, one({"Type": "Wait", "Seconds": 3600}), {"a": 1}, output={"a": 1}),
    Case(
        "wait-timestamp-in-the-past",
        WAIT,
        one({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z"}),
        {"a": 1},
        output={"a": 1},
    ),
    Case(
        "wait-seconds-expression",
        WAIT,
        one({"Type": "Wait", "Seconds": "{% $states.input.s %}"}, **JSONATA),
        {"s": 30},
        output={"s": 30},
    ),
    Case(
        "wait-seconds-path-negative",
        "AWS via LocalStack snapshot test_wait (SecondsPath)",
        one({"Type": "Wait", "SecondsPath": "$.s"}),
        {"s": -1},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The SecondsPath parameter references a negative value: $.s == -1",
    ),
    Case(
        "wait-timestamp-path-not-a-timestamp",
        "AWS via LocalStack snapshot test_wait (TimestampPath)",
        one({"Type": "Wait", "TimestampPath": "$.t"}),
        {"t": "yesterday"},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
        "format string: $.t == yesterday",
    ),
    *[
        Case(
            f"wait-timestamp-{kind}-invalid-{label}",
            f"AWS via LocalStack snapshot test_base_scenarios "
            f"(test_wait_timestamp_{'jsonata' if kind == 'expression' else 'path'}"
            f"[{label.upper().replace('-', '_')}])",
            one({"Type": "Wait", **wait}, **top),
            {"t": stamp},
            status=FAILED,
            error=error,
            cause=f"An error occurred while executing the state 'S' (entered at the event id #2). "
            f"{message}{stamp}",
        )
        for kind, wait, top, error, message in (
            (
                "expression",
                {"Timestamp": "{% $states.input.t %}"},
                JSONATA,
                "States.QueryEvaluationError",
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
                "format string: ",
            ),
            (
                "path",
                {"TimestampPath": "$.t"},
                {},
                "States.Runtime",
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                "format string: $.t == ",
            ),
        )
        for label, stamp in (
            ("no-t", "2016-12-05 21:29:29Z"),
            ("no-z", "2016-12-05T21:29:29"),
            ("invalid-date", "2016-13-05T21:29:29Z"),
            ("invalid-time", "2016-12-05T25:29:29Z"),
            ("invalid-iso", "05-12-2016T21:29:29Z"),
        )
    ],
    Case(
        "wait-timestamp-path-nanoseconds",
        "AWS via LocalStack snapshot test_base_scenarios (test_wait_timestamp_path[NANOSECONDS])",
        one({"Type": "Wait", "TimestampPath": "$.t"}),
        {"t": "2016-12-05T21:29:29.123456789Z"},
        output={"t": "2016-12-05T21:29:29.123456789Z"},
    ),
    Case(
        "execution-timeout",
        "spec: Top-level fields (TimeoutSeconds)",
        one({"Type": "Wait", "Seconds": 100}, TimeoutSeconds=10),
        {},
        status="TIMED_OUT",
        error="States.Timeout",
        cause="The execution timed out",
    ),
]


FUNCTIONS = "AWS via LocalStack snapshot test_{}_jsonata (Step Functions' JSONata functions)"


def function(id: str, expression: str, input: object, output: object, suite: str) -> Case:
    return Case(
        id,
        FUNCTIONS.format(suite),
        j(("State_0", pass_(Output=expression, **END))),
        {"FunctionInput": input},
        output=output,
    )


PARSE = [
    ("-0", 0),
    ("1", 1),
    ("1.1", 1.1),
    ("true", True),
    ('"HelloWorld"', "HelloWorld"),
    ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]),
    ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
]
RANGE = [
    ((0, 9, 3), [0, 3, 6, 9]),
    ((0, 10, 3), [0, 3, 6, 9]),
    ((1, 9, 9), [1]),
    ((1, 9, 2), [1, 3, 5, 7, 9]),
]

CASES += [
    *[
        function(
            f"parse-{index}", "{% $parse($states.input.FunctionInput) %}", text, value, "json_manipulation"
        )
        for index, (text, value) in enumerate(PARSE)
    ],
    *[
        function(
            f"partition-{size}-by-{n}",
            "{% $partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd) %}",
            {"fst": list(range(size)), "snd": n},
            [list(range(size))[i : i + n] for i in range(0, size, n)],
            "array",
        )
        for size in range(1, 5)
        for n in range(1, 6)
    ],
    *[
        function(
            f"range-{a}-{b}-{c}",
            "{% $range($states.input.FunctionInput.fst, $states.input.FunctionInput.snd, "
            "$states.input.FunctionInput.trd) %}",
            {"fst": a, "snd": b, "trd": c},
            items,
            "array",
        )
        for (a, b, c), items in RANGE
    ],
    Case(
        "hash-sha256",
        "AWS dg: transforming-data ($hash)",
        j(("S", pass_(Output="{% $hash('abc', 'SHA-256') %}", **END))),
        {},
        output="ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    Case(
        "map-max-concurrency-and-tolerance-as-jsonata",
        "AWS via LocalStack snapshot test_base_evaluate_expressions "
        "(MAX_CONCURRENCY, TOLERATED_FAILURE_*: '{% $variable := 1 %}')",
        one(
            {
                "Type": "Map",
                "Items": [1, '{% $number("2") %}', 3],
                "MaxConcurrency": "{% $variable := 1 %}",
                "ToleratedFailureCount": "{% $variable := 1 %}",
                "ToleratedFailurePercentage": "{% $variable := 1 %}",
                "ItemProcessor": machine(("P", pass_(**END))),
            },
            **JSONATA,
        ),
        {},
        output=[1, 2, 3],
    ),
    Case(
        "regex-in-expression",
        "AWS via LocalStack snapshot test_base_evaluate_expressions (JSONATA_REGEX_EXPRESSION)",
        j(("S", pass_(Output=r'{% $contains("hello$world", /^hello\$/) %}', **END))),
        {},
        output=True,
    ),
    Case(
        "escaped-quote-compares-equal",
        "AWS via LocalStack snapshot test_base_scenarios (escape_sequences_jsonata_comparison)",
        j(
            ("Pass", pass_(Output='"', Next="Check")),
            ("Check", pass_(Output="{% $states.input = '\"' %}", **END)),
        ),
        {},
        output=True,
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_jsonata_variables_and_wait(case: Case) -> None:
    check(case)
