"""Conformance: intrinsic functions, with the examples of AWS's intrinsic-functions page.

Spec: states-language.net "Intrinsic Functions". AWS dg: intrinsic-functions (one example per
function; argument rules such as ArrayRange's 1,000 items, MathAdd's rounding, JsonMerge's shallow mode).
"""

from __future__ import annotations

import hashlib

import pytest
from asl_conformance import FAILED, Case, check, passes

AWS = "AWS dg: intrinsic-functions"
DIGITS = [1, 2, 3, 4, 5, 6, 7, 8, 9]


def call(id: str, expression: str, input: object, output: object, source: str = AWS) -> Case:
    return Case(id, source, passes(Parameters={"r.$": expression}), input, output={"r": output})


CASES = [
    call(
        "format",
        "States.Format('Hello, my name is {}.', $.name)",
        {"name": "Arnav"},
        "Hello, my name is Arnav.",
    ),
    call(
        "format-template-from-path",
        "States.Format($.template, $.name)",
        {"name": "Arnav", "template": "Hello, my name is {}."},
        "Hello, my name is Arnav.",
    ),
    call(
        "format-spec-example",
        "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
        {"name": "Foo"},
        "Your name is Foo, we are in the year 2020",
        "spec: Intrinsic Functions (States.Format)",
    ),
    call(
        "format-escaped-braces",
        "States.Format('\\\\{\\\\} {}', 'x')",
        {},
        "{} x",
        "spec: Intrinsic Functions (escaping '{' and '}')",
    ),
    call(
        "format-null-and-numbers",
        "States.Format('{} {} {}', $.a, $.b, $.c)",
        {"a": None, "b": 1.1, "c": True},
        "null 1.1 true",
        "AWS via LocalStack snapshot test_generic (format_1)",
    ),
    call(
        "format-object-like-java-map",
        "States.Format('{}', $.o)",
        {"o": {"Arg1": 1, "Arg2": []}},
        "{Arg1=1, Arg2=[]}",
        "AWS via LocalStack snapshot test_generic (format_2)",
    ),
    call(
        "string-to-json",
        "States.StringToJson($.someString)",
        {"someString": '{"number": 20}'},
        {"number": 20},
    ),
    call(
        "json-to-string",
        "States.JsonToString($.someJson)",
        {"someJson": {"name": "Foo", "year": 2020}},
        '{"name":"Foo","year":2020}',
    ),
    call(
        "array",
        "States.Array('Foo', 2020, $.someJson, null)",
        {"someJson": {"random": "abc"}},
        ["Foo", 2020, {"random": "abc"}, None],
    ),
    call(
        "array-partition",
        "States.ArrayPartition($.inputArray,4)",
        {"inputArray": DIGITS},
        [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
    ),
    call(
        "array-contains",
        "States.ArrayContains($.inputArray, $.lookingFor)",
        {"inputArray": DIGITS, "lookingFor": 5},
        True,
    ),
    call("array-range", "States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    call(
        "array-get-item", "States.ArrayGetItem($.inputArray, $.index)", {"inputArray": DIGITS, "index": 5}, 6
    ),
    call("array-length", "States.ArrayLength($.inputArray)", {"inputArray": DIGITS}, 9),
    call(
        "array-unique",
        "States.ArrayUnique($.inputArray)",
        {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
        [1, 2, 3, 4],
    ),
    call(
        "base64-encode", "States.Base64Encode($.input)", {"input": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="
    ),
    call(
        "base64-decode", "States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"
    ),
    call(
        "hash-sha1",
        "States.Hash($.Data, $.Algorithm)",
        {"Data": "input data", "Algorithm": "SHA-1"},
        hashlib.sha1(b"input data").hexdigest(),
    ),
    call(
        "json-merge-is-shallow",
        "States.JsonMerge($.json1, $.json2, false)",
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
    ),
    call("math-add", "States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
    call(
        "math-add-rounds-non-integers",
        "States.MathAdd($.a, $.b)",
        {"a": 1.5, "b": 2},
        4,
        "AWS dg: intrinsic-functions (MathAdd rounds a non-integer to the nearest integer)",
    ),
    call(
        "string-split",
        "States.StringSplit($.inputString, $.splitter)",
        {"inputString": "1,2,3,4,5", "splitter": ","},
        ["1", "2", "3", "4", "5"],
    ),
    call(
        "string-split-several-delimiters",
        "States.StringSplit($.inputString, $.splitter)",
        {"inputString": "This.is+a,test=string", "splitter": ".+,="},
        ["This", "is", "a", "test", "string"],
    ),
    call(
        "nested-calls",
        "States.ArrayGetItem(States.StringSplit($.s, ','), 1)",
        {"s": "a,b,c"},
        "b",
        "spec: Intrinsic Functions (arguments may be intrinsic functions)",
    ),
    call(
        "context-path-argument",
        "States.Format('{}', $$.State.Name)",
        {},
        "S",
        "spec: Intrinsic Functions (arguments may be context paths)",
    ),
    call(
        "string-to-json-of-empty-string-is-null",
        "States.StringToJson($.s)",
        {"s": ""},
        None,
        "AWS via LocalStack snapshot test_json_manipulation (string_to_json)",
    ),
    Case(
        "array-range-over-1000-items",
        AWS,
        passes(Parameters={"r.$": "States.ArrayRange(0, 1000, 1)"}),
        {},
        status=FAILED,
        error="States.IntrinsicFailure",
        cause="Invalid arguments in States.ArrayRange: the range has more than 1000 items",
    ),
    Case(
        "json-merge-deep-is-refused",
        AWS,
        passes(Parameters={"r.$": "States.JsonMerge($.a, $.b, true)"}),
        {"a": {}, "b": {}},
        status=FAILED,
        error="States.IntrinsicFailure",
        cause="Invalid arguments in States.JsonMerge: only a shallow merge is supported: "
        "the third argument must be false",
    ),
    Case(
        "missing-path-argument-is-a-runtime-error",
        "AWS dg: concepts-error-handling (States.Runtime)",
        passes(Parameters={"r.$": "States.Format('{}', $.missing)"}),
        {},
        status=FAILED,
        error="States.Runtime",
        cause="An error occurred while executing the state 'S' (entered at the event id #2). "
        "The JSONPath '$.missing' specified for the field 'r.$' could not be found in the input '{}'",
    ),
]


LOCALSTACK = "AWS via LocalStack snapshot test_{} (inputs of the recorded test)"
# MathAdd rounds each argument half up, as Java's Math.round: -0.5 -> 0, 2.5 -> 3.
MATH_ADD = [
    ((-9, 3), -6),
    ((1.49, 1.50), 3),
    ((1.50, 1.51), 4),
    ((-1.49, -1.50), -2),
    ((-1.50, -1.51), -3),
    ((1.49, 0), 1),
    ((1.49, -1.49), 0),
    ((1.50, 0), 2),
    ((1.51, 0), 2),
    ((-1.49, 0), -1),
    ((-1.50, 0), -1),
    ((-1.51, 0), -2),
    ((0.5, 0), 1),
    ((1.5, 0), 2),
    ((2.5, 0), 3),
    ((3.5, 0), 4),
    ((-0.5, 0.5), 1),
    ((-0.5, 0), 0),
    ((-1.5, 0), -1),
    ((-2.5, 0), -2),
    ((-3.5, 0), -3),
]
FORMAT_2 = [
    ("", ""),
    (" ", " "),
    ("HelloWorld", "HelloWorld"),
    (None, "null"),
    (1, "1"),
    (1.1, "1.1"),
    ('{"Arg1": 1, "Arg2": []}', '{"Arg1": 1, "Arg2": []}'),
    ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"),
]
STRING_TO_JSON = [
    ("", None),
    (" ", None),
    ("null", None),
    ("-0", 0),
    ("1", 1),
    ("1.1", 1.1),
    ("true", True),
    ('"HelloWorld"', "HelloWorld"),
    ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]),
    ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
]
CONTAINS = [
    ([], None, False),
    ([], [], False),
    ([], 1, False),
    ([[1, 2, 3], 2], None, False),
    ([[1, 2, 3], 2], [1, 2, 3], True),
    ([{"1": 2, "2": []}], [], False),
    ([{"1": 2, "2": []}], {"1": 2, "2": []}, True),
    ([True, False], True, True),
    ([True, False], False, True),
]

CASES += [
    *[
        call(
            f"math-add-{a}-{b}",
            "States.MathAdd($.a, $.b)",
            {"a": a, "b": b},
            total,
            LOCALSTACK.format("math_operations"),
        )
        for (a, b), total in MATH_ADD
    ],
    *[
        call(
            f"format-{index}",
            "States.Format('fst={} and snd={}.', $.v, $.v)",
            {"v": value},
            f"fst={shown} and snd={shown}.",
            LOCALSTACK.format("generic (format_2)"),
        )
        for index, (value, shown) in enumerate(FORMAT_2)
    ],
    *[
        call(
            f"string-to-json-{index}",
            "States.StringToJson($.s)",
            {"s": text},
            value,
            LOCALSTACK.format("json_manipulation"),
        )
        for index, (text, value) in enumerate(STRING_TO_JSON)
    ],
    *[
        call(
            f"array-contains-{index}",
            "States.ArrayContains($.a, $.v)",
            {"a": array, "v": value},
            found,
            LOCALSTACK.format("array"),
        )
        for index, (array, value, found) in enumerate(CONTAINS)
    ],
    *[
        call(
            f"array-partition-{size}-of-{n}",
            "States.ArrayPartition($.a, $.n)",
            {"a": list(range(size)), "n": n},
            [list(range(size))[i : i + n] for i in range(0, size, n)],
            LOCALSTACK.format("array"),
        )
        for size in range(5)
        for n in (1, 2, 5)
    ],
    call(
        "json-to-string-negative-zero",
        "States.JsonToString($.v)",
        {"v": -0},
        "0",
        LOCALSTACK.format("json_manipulation"),
    ),
    call(
        "json-merge-later-wins",
        "States.JsonMerge($.a, $.b, false)",
        {"a": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "b": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}},
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4},
        LOCALSTACK.format("json_manipulation"),
    ),
    call(
        "format-context-path",
        "States.Format('fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)",
        None,
        "fst=conformance and snd="
        "{Id=arn:aws:states:us-east-1:123456789012:stateMachine:in-memory, Name=in-memory}.",
        LOCALSTACK.format("generic (format_context_path)"),
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_intrinsic_functions(case: Case) -> None:
    check(case)
