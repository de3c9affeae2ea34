"""Per-state progress read from real execution histories (a client on a SQLite file, run inline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sojourn.client import Client
from sojourn.console.progress import history_rows, state_progress, timeline, waiting_for
from sojourn.errors import SojournAPIError

from .support import CALLBACK, ROLE, WORK

FAILING = "arn:aws:states:::sqs:sendMessage"  # a service Sojourn does not serve: the callable answers it


def boom(payload):
    from sojourn.asl.errors import StatesError

    raise StatesError("Boom", "it broke")


@pytest.fixture
def run(tmp_path):
    """Run a definition to where it stops (inline, no threads); returns (progress, events, description)."""
    clock = Clock()
    client = Client(
        f"sqlite:///{tmp_path}/p.db",
        start=False,
        workers=0,
        clock=clock,
        resources={WORK: lambda p: {"ok": True}, CALLBACK: lambda p: None, FAILING: boom},
    )
    count = 0

    def go(definition, input=None, after=None):
        nonlocal count
        count += 1
        arn = client.create_state_machine(name=f"m{count}", definition=json.dumps(definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
        execution = client.start_execution(stateMachineArn=arn, input=json.dumps(input or {}))["executionArn"]
        client.run_until_idle()
        if after:
            after(client, execution, clock)
            client.run_until_idle()
        events = client.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        return state_progress(definition, events), events, client.describe_execution(executionArn=execution)

    yield go
    client.close()


class Clock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def retry_twice(client, arn, clock):
    for _ in range(2):
        clock.now += 10
        client.run_until_idle()


def statuses(progress):
    return {name: entry.status for name, entry in progress.items()}


def test_states_that_ran_succeeded_with_their_input_and_output(run):
    progress, _, _ = run(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Result": {"n": 1}, "Next": "Check"},
                "Check": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "C"}],
                    "Default": "B",
                },
                "B": {"Type": "Succeed"},
                "C": {"Type": "Pass", "End": True},
            },
        },
        {"x": 1},
    )
    assert statuses(progress) == {
        "A": "SUCCEEDED",
        "Check": "SUCCEEDED",
        "B": "SUCCEEDED",
    }  # C was not reached
    assert json.loads(progress["A"].input) == {"x": 1}
    assert json.loads(progress["A"].output) == {"n": 1}


def test_a_task_waiting_for_its_token_is_in_progress(run):
    progress, _, described = run(
        {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": CALLBACK, "End": True}}}
    )
    assert described["status"] == "RUNNING"
    assert statuses(progress) == {"Ask": "RUNNING"}


def test_a_caught_error_is_marked_on_the_state_that_failed_and_the_handler_runs(run):
    progress, _, _ = run(
        {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": FAILING,
                    "Next": "Done",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}],
                },
                "Handle": {"Type": "Pass", "End": True},
                "Done": {"Type": "Succeed"},
            },
        }
    )
    assert statuses(progress) == {"Work": "CAUGHT_ERROR", "Handle": "SUCCEEDED"}
    assert (progress["Work"].error, progress["Work"].cause) == ("Boom", "it broke")


def test_retries_are_counted_and_an_uncaught_error_fails_the_state(run):
    progress, _, described = run(
        {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": FAILING,
                    "End": True,
                    "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                }
            },
        },
        after=retry_twice,
    )
    assert described["status"] == "FAILED"
    work = progress["Work"]
    assert work.status == "FAILED"
    assert work.attempts == 3 and work.retries == 2
    assert [f["error"] for f in work.failures] == ["Boom", "Boom", "Boom"]


def test_a_fail_state_fails_with_the_execution_error(run):
    progress, _, _ = run(
        {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Denied", "Cause": "nope"}}}
    )
    assert progress["No"].status == "FAILED"
    assert (progress["No"].error, progress["No"].cause) == ("Denied", "nope")


def test_a_failed_branch_fails_its_parallel_and_cancels_the_branch_still_waiting(run):
    progress, _, _ = run(
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {
                            "StartAt": "Wait",
                            "States": {"Wait": {"Type": "Task", "Resource": CALLBACK, "End": True}},
                        },
                        {
                            "StartAt": "Break",
                            "States": {"Break": {"Type": "Task", "Resource": FAILING, "End": True}},
                        },
                    ],
                }
            },
        }
    )
    assert statuses(progress) == {"Both": "FAILED", "Wait": "CANCELLED", "Break": "FAILED"}


def test_stopping_an_execution_cancels_the_states_in_progress(run):
    progress, _, described = run(
        {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": CALLBACK, "End": True}}},
        after=lambda client, arn, clock: client.stop_execution(executionArn=arn),
    )
    assert described["status"] == "ABORTED"
    assert statuses(progress) == {"Ask": "CANCELLED"}


def test_map_iterations_count_as_entries_of_the_processor_states(run):
    progress, _, _ = run(
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "End": True,
                    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                }
            },
        },
        [1, 2, 3],
    )
    assert progress["Each"].status == "SUCCEEDED"
    assert (progress["Item"].status, progress["Item"].entered, progress["Item"].exited) == ("SUCCEEDED", 3, 3)


def test_history_rows_show_elapsed_time_and_a_summary(run):
    _, events, described = run(
        {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": WORK, "End": True}}}
    )
    rows = history_rows(events, described["startDate"])
    assert [row.id for row in rows] == [event["id"] for event in events]
    assert rows[0].type == "ExecutionStarted" and rows[0].elapsed_ms == 0
    entered = next(row for row in rows if row.type == "TaskStateEntered")
    assert entered.summary == "Work"
    assert '"input"' in entered.details
    assert rows[-1].tone == "ok"


def test_timeline_bars_span_from_first_entry_to_last_exit(run):
    progress, _, described = run(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
    )
    start = described["startDate"]
    bars = timeline(progress, start, start + timedelta(seconds=10))
    assert [bar.name for bar in bars] == ["A", "B"]
    assert all(0 <= bar.left <= 100 and 0 < bar.width <= 100 for bar in bars)


def test_unknown_executions_are_client_errors(run, tmp_path):
    with (
        Client(f"sqlite:///{tmp_path}/other.db", start=False, workers=0) as client,
        pytest.raises(SojournAPIError),
    ):
        client.get_execution_history(executionArn="arn:aws:states:us-east-1:123456789012:execution:m:nope")


def test_waiting_for_says_a_retry_waits_after_its_error(run):
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": FAILING,
                "End": True,
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 60}],
            }
        },
    }
    _, events, described = run(definition)
    assert described["status"] == "RUNNING"
    [waiting] = waiting_for(definition, events)
    failed = next(e for e in events if e["type"] == "LambdaFunctionFailed" or e["type"] == "TaskFailed")
    assert (waiting.state, waiting.what, waiting.since) == ("Work", "a retry after Boom", failed["timestamp"])


def test_waiting_for_reads_a_wait_states_timestamp_path_after_its_input_path(run):
    definition = {
        "StartAt": "Until",
        "States": {
            "Until": {"Type": "Wait", "InputPath": "$.leave", "TimestampPath": "$.remindAt", "End": True}
        },
    }
    _, events, _ = run(definition, {"leave": {"remindAt": "2030-11-01T09:00:00Z"}})
    [waiting] = waiting_for(definition, events)
    assert (waiting.what, waiting.until) == ("a timer", datetime(2030, 11, 1, 9, tzinfo=UTC))


def test_waiting_for_an_activity_names_the_worker_once_one_took_it(run):
    activity = "arn:aws:states:us-east-1:123456789012:activity:review"
    definition = {
        "StartAt": "Review",
        "States": {"Review": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 300, "End": True}},
    }

    def take(client, arn, clock):
        client.create_activity(name="review")
        assert client.get_activity_task(activityArn=activity, workerName="alice")["taskToken"]

    _, events, _ = run(definition, after=take)
    taken = next(i for i, e in enumerate(events) if e["type"] == "ActivityStarted")
    [before] = waiting_for(definition, events[:taken])
    assert before.what == "an activity worker (GetActivityTask)"
    scheduled = next(e for e in events if e["type"] == "ActivityScheduled")["timestamp"]
    assert before.until == scheduled + timedelta(seconds=300)
    assert waiting_for(definition, events)[0].what == "activity worker alice to finish"
