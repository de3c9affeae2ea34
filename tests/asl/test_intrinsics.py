"""Intrinsic functions (spec: "Intrinsic Functions"; examples from AWS's documentation of each function)."""

from __future__ import annotations

import random

import pytest

from sojourn.asl.errors import IntrinsicFailure
from sojourn.asl.intrinsics import compile_intrinsic

INPUT = {
    "name": "Ada",
    "n": 3,
    "list": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "dup": [1, 2, 2, 3, 3, 4],
    "obj": {"a": 1, "b": {"c": 2}},
    "other": {"b": {"d": 3}, "e": 4},
    "json": '{"x": [1, 2]}',
    "text": "This.is+a,test=string",
    "splitters": ".+,=",
}


def run(text, input=INPUT, context=None, variables=None, seed=1):
    return compile_intrinsic(text).evaluate(
        input, context or {"Execution": {"Name": "ex"}}, variables or {}, rng=random.Random(seed)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('Hello, {}!', $.name)", "Hello, Ada!"),
        ("States.Format('{} has {} items: {}', $.name, $.n, true)", "Ada has 3 items: true"),
        (
            r"States.Format('braces \{\} and quote \' and {}', $$.Execution.Name)",
            "braces {} and quote ' and ex",
        ),
        ("States.Format('null is {}', null)", "null is null"),
        ("States.StringToJson($.json)", {"x": [1, 2]}),
        ("States.JsonToString($.obj)", '{"a":1,"b":{"c":2}}'),
        ("States.Array('a', 1, $.n, null)", ["a", 1, 3, None]),
        ("States.Array()", []),
        ("States.ArrayPartition($.list, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayContains($.list, 5)", True),
        ("States.ArrayContains($.list, 10)", False),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayGetItem($.list, 5)", 6),
        ("States.ArrayLength($.list)", 9),
        ("States.ArrayUnique($.dup)", [1, 2, 3, 4]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash('input data', 'SHA-1')", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("States.JsonMerge($.obj, $.other, false)", {"a": 1, "b": {"d": 3}, "e": 4}),
        ("States.MathAdd(111, -1)", 110),
        ("States.MathAdd($.n, 1)", 4),
        ("States.StringSplit('1,2,3,4,5', ',')", ["1", "2", "3", "4", "5"]),
        ("States.StringSplit($.text, $.splitters)", ["This", "is", "a", "test", "string"]),
        ("States.ArrayLength(States.ArrayPartition($.list, 2))", 5),
        ("States.Format('{}', $var.x)", "7"),
    ],
)
def test_functions_give_the_documented_results(text, expected):
    assert run(text, variables={"var": {"x": 7}}) == expected


def test_math_random_stays_in_range_and_a_seed_repeats():
    values = {run("States.MathRandom(1, 10)", seed=s) for s in range(50)}
    assert values <= set(range(1, 10)) and len(values) > 3
    assert run("States.MathRandom(1, 1000, 42)", seed=1) == run("States.MathRandom(1, 1000, 42)", seed=2)


def test_uuid_is_a_version_4_uuid():
    value = run("States.UUID()")
    assert len(value) == 36 and value[14] == "4"


@pytest.mark.parametrize(
    "text",
    [
        "States.Format('{} and {}', $.name)",
        "States.ArrayRange(1, 2000, 1)",
        "States.ArrayRange(1, 5, 0)",
        "States.ArrayGetItem($.list, 99)",
        "States.ArrayPartition($.list, 0)",
        "States.Base64Decode('not base64!')",
        "States.Hash('x', 'SHA-999')",
        "States.JsonMerge($.obj, $.other, true)",
        "States.MathAdd('a', 1)",
        "States.MathAdd(2147483648, 1)",
        "States.StringToJson('{not json')",
        "States.ArrayLength($.name)",
    ],
)
def test_bad_arguments_fail_with_intrinsic_failure(text):
    with pytest.raises(IntrinsicFailure):
        run(text)


@pytest.mark.parametrize(
    "text",
    [
        "States.Nope(1)",
        "States.Format(",
        "States.ArrayLength($.a, 2)",
        "States.UUID(1)",
        "Format('x')",
        "States.Format('x') extra",
        "States.Array(abc)",
    ],
)
def test_malformed_calls_are_refused_when_compiled(text):
    with pytest.raises(ValueError):
        compile_intrinsic(text)
