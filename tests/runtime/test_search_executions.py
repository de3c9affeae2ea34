"""`Client.search_executions`: ListExecutions across machines, also bounded by start time
(the console's list)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from runtime_support import machine, start

from sojourn.errors import StateMachineDoesNotExist, ValidationException

DONE = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
WAIT = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def names(page):
    return [item["name"] for item in page["executions"]]


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@pytest.fixture
def history(make_client, clock):
    """Five executions one minute apart over two machines: a0 (done), b1 (waiting), a2, b3, a4."""
    client = make_client()
    a, b = machine(client, DONE, "a"), machine(client, WAIT, "b")
    starts = {}
    for i, target in enumerate([a, b, a, b, a]):
        starts[i] = clock.now
        start(client, target, name=f"{'ab'[i % 2]}{i}")
        clock.advance(60)
    client.run_until_idle()
    return client, a, b, starts


def test_it_lists_every_machine_newest_first_and_filters_by_machine_and_status(history):
    client, a, _b, _ = history
    assert names(client.search_executions()) == ["a4", "b3", "a2", "b1", "a0"]
    assert names(client.search_executions(stateMachineArn=a)) == ["a4", "a2", "a0"]
    assert names(client.search_executions(statusFilter="RUNNING")) == ["b3", "b1"]


def test_start_time_bounds_are_inclusive_after_and_exclusive_before(history):
    client, _a, _b, starts = history
    page = client.search_executions(startedAfter=at(starts[1]), startedBefore=at(starts[3]))
    assert names(page) == ["a2", "b1"]
    assert names(client.search_executions(startedAfter=at(starts[4] + 1))) == []


def test_pages_follow_each_other_with_the_filters_kept(history):
    client, *_ = history
    first = client.search_executions(maxResults=2)
    second = client.search_executions(maxResults=2, nextToken=first["nextToken"])
    third = client.search_executions(maxResults=2, nextToken=second["nextToken"])
    assert (names(first), names(second), names(third)) == (["a4", "b3"], ["a2", "b1"], ["a0"])
    assert "nextToken" not in third
    assert first["executions"][0]["status"] == "SUCCEEDED" and "stopDate" in first["executions"][0]


def test_unknown_machines_and_statuses_are_refused(history):
    client, *_ = history
    with pytest.raises(StateMachineDoesNotExist):
        client.search_executions(stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:nope")
    with pytest.raises(ValidationException):
        client.search_executions(statusFilter="DONE")
