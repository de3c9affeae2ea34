"""The graph layout: a definition in, boxes, groups and edges with coordinates out (pure, no browser)."""

from __future__ import annotations

import json
from itertools import combinations, pairwise
from pathlib import Path

import pytest

from sojourn.console.graph import END, START, Box, Graph, Group, layout, rule_text, svg_path

LEAVE_REQUEST = json.loads((Path(__file__).parent / "data" / "leave_request.json").read_text())


def chain(*names: str) -> dict:
    states = {name: {"Type": "Pass", "Next": following} for name, following in pairwise(names)}
    states[names[-1]] = {"Type": "Succeed"}
    return {"StartAt": names[0], "States": states}


def overlaps(a: Box | Group, b: Box | Group) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def inside(inner: Box | Group, outer: Group) -> bool:
    return (
        outer.x <= inner.x
        and inner.x + inner.w <= outer.x + outer.w
        and outer.y <= inner.y
        and inner.y + inner.h <= outer.y + outer.h
    )


def edge(graph: Graph, source: str, target: str, kind: str | None = None):
    found = [
        e
        for e in graph.edges
        if e.source == source and e.target == target and (kind is None or e.kind == kind)
    ]
    assert found, f"no edge {source} -> {target}"
    return found[0]


def test_a_chain_runs_top_to_bottom_in_one_column_between_start_and_end():
    graph = layout(chain("A", "B", "C"))
    boxes = [graph.box(name) for name in (START, "A", "B", "C", END)]
    centres = {round(b.x + b.w / 2) for b in boxes}
    assert len(centres) == 1
    assert all(upper.y + upper.h < lower.y for upper, lower in pairwise(boxes))
    assert graph.box(START).kind == "Start" and graph.box(END).kind == "End"
    assert [e.kind for e in graph.edges if e.target == END] == ["end"]


def test_edges_leave_the_bottom_of_their_source_and_enter_the_top_of_their_target():
    graph = layout(chain("A", "B"))
    a, b = graph.box("A"), graph.box("B")
    e = edge(graph, "A", "B", "next")
    assert e.points[0][1] == a.y + a.h and a.x <= e.points[0][0] <= a.x + a.w
    assert e.points[-1][1] == b.y and b.x <= e.points[-1][0] <= b.x + b.w


def test_choice_branches_are_labelled_with_their_rule_and_default():
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Default": "No",
                "Choices": [{"Variable": "$.days", "NumericGreaterThan": 5, "Next": "Yes"}],
            },
            "Yes": {"Type": "Succeed"},
            "No": {"Type": "Fail", "Error": "X"},
        },
    }
    graph = layout(definition)
    rule = edge(graph, "Check", "Yes", "choice")
    assert rule.label == "$.days > 5"
    assert rule.label_at is not None
    assert edge(graph, "Check", "No", "default").label == "Default"
    check = graph.box("Check")
    assert check.y + check.h < rule.label_at[1] < graph.box("Yes").y


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.type", "StringEquals": "annual"}, '$.type == "annual"'),
        ({"Variable": "$.days", "NumericLessThanEqualsPath": "$.balance"}, "$.days <= $.balance"),
        ({"Variable": "$.ok", "BooleanEquals": True}, "$.ok == true"),
        (
            {"Variable": "$.at", "TimestampGreaterThan": "2030-01-01T00:00:00Z"},
            '$.at > "2030-01-01T00:00:00Z"',
        ),
        ({"Variable": "$.name", "StringMatches": "A*"}, '$.name matches "A*"'),
        ({"Variable": "$.x", "IsPresent": False}, "$.x is not present"),
        ({"Variable": "$.x", "IsNumeric": True}, "$.x is a number"),
        ({"Not": {"Variable": "$.x", "IsNull": True}}, "not $.x is null"),
        (
            {
                "And": [
                    {"Variable": "$.a", "NumericEquals": 1},
                    {
                        "Or": [
                            {"Variable": "$.b", "StringEquals": "x"},
                            {"Variable": "$.c", "IsBoolean": True},
                        ]
                    },
                ]
            },
            '$.a == 1 and ($.b == "x" or $.c is a boolean)',
        ),
        ({"Condition": "{% $states.input.days > 5 %}"}, "$states.input.days > 5"),
    ],
)
def test_choice_rules_read_as_short_text(rule, text):
    assert rule_text(rule) == text


def test_long_rules_are_cut_on_the_edge_and_kept_whole_in_its_title():
    long_rule = {"Variable": "$.request.employee.department.name", "StringEquals": "Research and Development"}
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{**long_rule, "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"},
        },
    }
    rule = edge(layout(definition), "C", "D", "choice")
    assert rule.label.endswith("…") and len(rule.label) <= 30
    assert rule.title == rule_text(long_rule)


def test_catch_transitions_are_their_own_kind_titled_with_their_errors():
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Next": "Done",
                "Catch": [{"ErrorEquals": ["States.Timeout", "Custom"], "Next": "Recover"}],
            },
            "Recover": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    }
    catch = edge(layout(definition), "Work", "Recover", "catch")
    assert catch.title == "Catch States.Timeout, Custom"


def test_parallel_branches_sit_side_by_side_inside_their_group():
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "L1",
                        "States": {"L1": {"Type": "Pass", "Next": "L2"}, "L2": {"Type": "Pass", "End": True}},
                    },
                    {"StartAt": "R1", "States": {"R1": {"Type": "Pass", "End": True}}},
                ],
            }
        },
    }
    graph = layout(definition)
    group = graph.box("Both")
    assert isinstance(group, Group) and group.kind == "Parallel"
    branches = [g for g in graph.groups if g.kind == "Branch"]
    assert len(branches) == 2 and all(inside(b, group) for b in branches)
    left, right = sorted(branches, key=lambda g: g.x)
    assert left.x + left.w < right.x
    assert inside(graph.box("L1"), left) and inside(graph.box("L2"), left) and inside(graph.box("R1"), right)
    assert graph.box("L1").y < graph.box("L2").y
    assert not [e for e in graph.edges if e.source in ("L1", "L2", "R1") and e.target == END]


def test_a_map_processor_nests_inside_a_parallel_branch():
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "M",
                        "States": {
                            "M": {
                                "Type": "Map",
                                "End": True,
                                "ItemProcessor": {
                                    "StartAt": "Item",
                                    "States": {"Item": {"Type": "Pass", "End": True}},
                                },
                            }
                        },
                    }
                ],
            }
        },
    }
    graph = layout(definition)
    parallel, map_group, item = graph.box("P"), graph.box("M"), graph.box("Item")
    processor = next(g for g in graph.groups if g.kind == "Processor")
    assert inside(map_group, parallel) and inside(processor, map_group) and inside(item, processor)


def test_a_loop_back_to_an_earlier_state_is_drawn_upwards():
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {"Type": "Pass", "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.done", "BooleanEquals": False, "Next": "Ask"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    graph = layout(definition)
    back = edge(graph, "Check", "Ask", "choice")
    assert back.points[0][1] > back.points[-1][1]  # from Check's top up to Ask's bottom
    assert graph.box("Ask").y < graph.box("Wait").y < graph.box("Check").y


def test_a_state_that_goes_to_itself_gets_a_loop_beside_its_box():
    definition = {
        "StartAt": "Poll",
        "States": {
            "Poll": {
                "Type": "Choice",
                "Default": "Done",
                "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "Poll"}],
            },
            "Done": {"Type": "Succeed"},
        },
    }
    graph = layout(definition)
    loop = edge(graph, "Poll", "Poll")
    poll = graph.box("Poll")
    assert all(x >= poll.x + poll.w for x, _ in loop.points)
    assert loop.path.startswith("M")


def test_a_real_definition_of_36_states_has_no_overlapping_boxes_and_fits_its_canvas():
    graph = layout(LEAVE_REQUEST)
    states = [b for b in graph.boxes if b.kind not in ("Start", "End")] + [
        g for g in graph.groups if g.kind in ("Parallel", "Map")
    ]
    assert len(states) == 36
    scopes = {}
    for item in states:
        parent = min(
            (g for g in graph.groups if g is not item and inside(item, g)),
            key=lambda g: g.w * g.h,
            default=None,
        )
        scopes.setdefault(parent.id if parent else "", []).append(item)
    for members in scopes.values():
        for a, b in combinations(members, 2):
            assert not overlaps(a, b), (a.id, b.id)
    for item in (*graph.boxes, *graph.groups):
        assert (
            item.x >= 0 and item.x + item.w <= graph.width and item.y >= 0 and item.y + item.h <= graph.height
        )
    for e in graph.edges:
        assert all(0 <= x <= graph.width and 0 <= y <= graph.height for x, y in e.points), e


def test_every_transition_of_a_real_definition_is_drawn():
    graph = layout(LEAVE_REQUEST)
    catches = sum(len(s.get("Catch", [])) for s in LEAVE_REQUEST["States"].values())
    assert len([e for e in graph.edges if e.kind == "catch"]) >= catches
    assert edge(graph, START, "ValidateRequest", "start")
    assert edge(graph, "HasEnoughDays", "AutoApprove", "choice").label == '$.days <= 2 and $.type == "an…'


def test_layout_accepts_json_text_and_is_deterministic():
    text = json.dumps(LEAVE_REQUEST)
    assert layout(text) == layout(LEAVE_REQUEST)


def test_svg_path_draws_vertical_curves_through_the_points():
    assert svg_path([(0, 0), (10, 20)]) == "M0,0 C0,10 10,10 10,20"
    assert svg_path([]) == ""
