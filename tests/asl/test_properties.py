"""Properties: no input and no generated definition makes the interpreter raise a Python exception.

Every outcome is a Result (SUCCEEDED, FAILED with an ASL error, TIMED_OUT) or a DefinitionError
with diagnostics; never a traceback and never "Internal error" in a cause.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sojourn
from sojourn.asl.errors import StatesError
from sojourn.asl.loader import DefinitionError
from sojourn.runner import VirtualClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TASK = "arn:aws:lambda:us-east-1:123456789012:function:any"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "items", "n", "s"]), children, max_size=4)
    ),
    max_leaves=12,
)
paths = st.sampled_from(
    [
        "$",
        "$.a",
        "$.b",
        "$.a.b",
        "$.items[0]",
        "$.items[*]",
        "$..a",
        "$.missing",
        "$$.Execution.Input",
        "$$.State.Name",
    ]
)
reference_paths = st.sampled_from(["$", "$.a", "$.r", "$.a.b", "$.items[0]"])
dynamic = st.dictionaries(st.sampled_from(["x.$", "y.$", "z.$"]), paths, max_size=3)
templates = dynamic.flatmap(
    lambda d: st.dictionaries(st.sampled_from(["lit", "n"]), json_values, max_size=2).map(
        lambda e: {**d, **e}
    )
)


@st.composite
def common(draw):
    fields = {}
    for name, strategy in (("InputPath", paths), ("OutputPath", paths), ("ResultPath", reference_paths)):
        if draw(st.booleans()):
            fields[name] = draw(strategy | st.none())
    return fields


@st.composite
def simple_machine(draw, depth=0):
    count = draw(st.integers(1, 4))
    # State names are unique across nested machines too: give each nested machine its own prefix.
    prefix = "S" if depth == 0 else draw(st.text(alphabet="abcdefghij", min_size=6, max_size=6))
    names = [f"{prefix}{i}" for i in range(count)]
    states = {}
    for index, name in enumerate(names):
        following = {"Next": names[index + 1]} if index + 1 < count else {"End": True}
        kinds = ["Pass", "Wait", "Task", "Fail", "Succeed"] + (["Parallel", "Map"] if depth < 1 else [])
        kind = draw(st.sampled_from(kinds))
        state: dict = {"Type": kind}
        if kind == "Pass":
            state.update(draw(common()))
            if draw(st.booleans()):
                state["Parameters"] = draw(templates)
            elif draw(st.booleans()):
                state["Result"] = draw(json_values)
            state.update(following)
        elif kind == "Wait":
            state.update(
                draw(
                    st.sampled_from(
                        [
                            {"Seconds": 5},
                            {"SecondsPath": "$.n"},
                            {"TimestampPath": "$.s"},
                            {"Timestamp": "2026-01-02T00:00:00Z"},
                        ]
                    )
                )
            )
            state.update(following)
        elif kind == "Task":
            state.update(draw(common()), Resource=TASK)
            if draw(st.booleans()):
                state["Retry"] = [
                    {
                        "ErrorEquals": [draw(st.sampled_from(["States.ALL", "Boom", "States.TaskFailed"]))],
                        "MaxAttempts": 2,
                    }
                ]
            if draw(st.booleans()):
                state["ResultSelector"] = draw(templates)
            state.update(following)
        elif kind == "Fail":
            state.update(
                draw(
                    st.sampled_from(
                        [{}, {"Error": "E", "Cause": "C"}, {"ErrorPath": "$.a", "CausePath": "$.b"}]
                    )
                )
            )
        elif kind == "Parallel":
            state.update(
                draw(common()),
                Branches=[draw(simple_machine(depth + 1)) for _ in range(draw(st.integers(1, 2)))],
            )
            state.update(following)
        elif kind == "Map":
            state.update(draw(common()), ItemProcessor=draw(simple_machine(depth + 1)))
            if draw(st.booleans()):
                state["ItemsPath"] = draw(paths)
            if draw(st.booleans()):
                state["MaxConcurrency"] = draw(st.integers(0, 3))
            state.update(following)
        states[name] = state
        if kind in ("Fail", "Succeed"):
            break
    return {"StartAt": names[0], "States": states}


def task(parameters):
    """A resource whose behaviour depends on its input: echo, fail, or return something odd."""
    text = json.dumps(parameters, sort_keys=True)
    if len(text) % 3 == 0:
        raise StatesError("Boom", text[:20])
    if len(text) % 3 == 1:
        return parameters
    return {"n": len(text), "s": "2026-01-01T00:00:00Z", "items": [parameters]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=simple_machine(), input=json_values)
def test_no_definition_and_no_input_raises_a_python_exception(definition, input):
    try:
        result = sojourn.run(definition, input, resources={TASK: task}, clock=VirtualClock(T0), seed=1)
    except DefinitionError as e:
        assert e.diagnostics
        return
    assert result.status in ("SUCCEEDED", "FAILED", "TIMED_OUT")
    if result.status == "FAILED":
        assert "Internal error" not in (result.cause or ""), result.cause
    json.dumps(result.history, default=str)


@settings(max_examples=200, deadline=None)
@given(
    document=st.dictionaries(
        st.sampled_from(["StartAt", "States", "Comment", "TimeoutSeconds", "X"]), json_values, max_size=4
    )
)
def test_any_json_document_is_refused_with_diagnostics_or_runs(document):
    try:
        result = sojourn.run(document, {}, clock=VirtualClock(T0))
    except DefinitionError as e:
        assert all(d.code and d.message for d in e.diagnostics)
    else:
        assert result.status in ("SUCCEEDED", "FAILED", "TIMED_OUT")
