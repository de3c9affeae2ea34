"""The work item (`sojourn.runtime.work`): each payload as stored, and the event it is read back as."""

from __future__ import annotations

import json

import pytest

from sojourn.asl import resources
from sojourn.asl.interpreter import (
    ChildDone,
    InvokeTask,
    Redrive,
    RunOutcome,
    Start,
    TaskFailure,
    TaskSuccess,
    TimerFired,
)
from sojourn.runtime import work


@pytest.mark.parametrize(
    ("payload", "stored", "event"),
    [
        (work.start(), {"e": "start"}, Start()),
        (work.redrive(), {"e": "redrive"}, Redrive()),
        (work.timer(3), {"e": "timer", "gen": 3}, TimerFired()),
        (work.succeeded({"x": 1}, gen=2), {"e": "ok", "output": {"x": 1}, "gen": 2}, TaskSuccess({"x": 1})),
        (
            work.failed("States.Timeout", gen=4),
            {"e": "fail", "error": "States.Timeout", "gen": 4},
            TaskFailure("States.Timeout"),
        ),
        (
            work.failed("", "why"),
            {"e": "fail", "error": "", "cause": "why"},
            TaskFailure("States.TaskFailed", "why"),
        ),
        (
            work.child(1, RunOutcome(False, error="E", cause="C", spent=0.5), fork=2),
            {
                "e": "child",
                "index": 1,
                "outcome": {"succeeded": False, "output": None, "error": "E", "cause": "C", "spent": 0.5},
                "fork": 2,
            },
            ChildDone(1, RunOutcome(False, error="E", cause="C", spent=0.5)),
        ),
    ],
)
def test_an_event_item_is_stored_as_json_and_read_back_as_the_interpreters_event(payload, stored, event):
    text = json.dumps(payload)
    assert json.loads(text) == stored
    assert work.to_event(work.parse_event(text)) == event


def test_an_answer_takes_the_generation_of_the_task_it_answers_without_changing_the_answer():
    answer = work.succeeded("done")
    assert work.with_generation(answer, 7) == {"e": "ok", "output": "done", "gen": 7}
    assert answer == {"e": "ok", "output": "done"}


@pytest.mark.parametrize("payload", [work.heartbeat(1, 30), work.exec_timeout(), work.deferred()])
def test_the_engines_own_items_are_no_event_of_the_interpreter(payload):
    with pytest.raises(ValueError, match="Unknown work event"):
        work.to_event(payload)


def test_a_task_item_carries_what_its_caller_needs_and_whether_it_has_a_token():
    action = InvokeTask(
        resource=resources.parse("arn:aws:states:::lambda:invoke.waitForTaskToken"),
        parameters={"p": 1},
        task_token="t" * 43,
        timeout_seconds=60,
        heartbeat_seconds=None,
        credentials=None,
        state_name="Ask",
        attempt=2,
    )
    stored = json.dumps(work.task(action, {"p": "hidden"}, gen=5, idempotency_key="arn/3/2"))
    assert work.parse_task(stored) == {
        "resource": action.resource.arn,
        "parameters": {"p": "hidden"},
        "wait_for_token": True,
        "has_token": True,
        "timeout_seconds": 60,
        "state_name": "Ask",
        "attempt": 2,
        "gen": 5,
        "idempotency_key": "arn/3/2",
    }
    assert "t" * 43 not in stored  # the token itself is never stored in the item
