"""JSONata states (AWS: "Transforming data with JSONata"): Arguments, Output, Assign, $states, variables."""

from __future__ import annotations

import pytest

import sojourn
from sojourn.asl.errors import StatesError
from sojourn.runner import VirtualClock

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def jsonata(*states, **top):
    return {"QueryLanguage": "JSONata", "StartAt": states[0][0], "States": dict(states), **top}


def test_arguments_and_output_see_input_result_and_context():
    definition = jsonata(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN,
                "Arguments": {
                    "n": "{% $states.input.n * 2 %}",
                    "exec": "{% $states.context.Execution.Name %}",
                },
                "Output": {"in": "{% $states.input.n %}", "out": "{% $states.result %}"},
                "End": True,
            },
        )
    )
    result = sojourn.run(definition, {"n": 4}, name="ex1", resources={FN: lambda p: p})
    assert result.output == {"in": 4, "out": {"n": 8, "exec": "ex1"}}


def test_assign_is_visible_to_later_states_not_to_the_same_states_output():
    definition = jsonata(
        ("A", {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"}),
        ("B", {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}"}, "Output": {"seen": "{% $x %}"}, "Next": "C"}),
        ("C", {"Type": "Pass", "Output": "{% $x %}", "End": True}),
    )
    result = sojourn.run(definition, {})
    assert result.output == 2
    exited = [e for e in result.history if e["type"] == "PassStateExited"]
    assert exited[1]["stateExitedEventDetails"]["output"] == '{"seen":1}'


def test_catch_output_gets_the_error_output():
    definition = jsonata(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "H",
                        "Output": "{% $states.errorOutput.Error & ': ' & $states.input.id %}",
                    }
                ],
                "End": True,
            },
        ),
        ("H", {"Type": "Succeed"}),
    )

    def fail(_):
        raise StatesError("Oops", "c")

    assert sojourn.run(definition, {"id": "7"}, resources={FN: fail}).output == "Oops: 7"


def test_map_items_and_item_selector():
    definition = jsonata(
        (
            "M",
            {
                "Type": "Map",
                "Items": "{% $states.input.xs %}",
                "ItemSelector": {
                    "v": "{% $states.context.Map.Item.Value * 10 %}",
                    "i": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            },
        )
    )
    assert sojourn.run(definition, {"xs": [1, 2]}).output == [{"v": 10, "i": 0}, {"v": 20, "i": 1}]


def test_wait_seconds_can_be_an_expression():
    definition = jsonata(("W", {"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": True}))
    result = sojourn.run(definition, {"s": 30}, clock=VirtualClock())
    assert (result.history[-1]["timestamp"] - result.history[0]["timestamp"]).total_seconds() == 30


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("{% $partition([1,2,3], 2) %}", [[1, 2], [3]]),
        ("{% $range(0, 4, 2) %}", [0, 2, 4]),
        ("{% $hash('input data', 'SHA-1') %}", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("{% $parse('{\"a\": 1}') %}", {"a": 1}),
        ("{% $length($uuid()) %}", 36),
    ],
)
def test_aws_functions_are_available(output, expected):
    assert sojourn.run(jsonata(("P", {"Type": "Pass", "Output": output, "End": True})), {}).output == expected


def test_an_undefined_result_fails_with_query_evaluation_error():
    result = sojourn.run(
        jsonata(("P", {"Type": "Pass", "Output": {"x": "{% $states.input.nope %}"}, "End": True})), {}
    )
    assert result.error == "States.QueryEvaluationError"


def test_a_failing_expression_fails_with_query_evaluation_error():
    result = sojourn.run(
        jsonata(("P", {"Type": "Pass", "Output": "{% $number('abc') + 1 %}", "End": True})), {}
    )
    assert result.error == "States.QueryEvaluationError"
