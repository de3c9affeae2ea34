"""Executions' status changes reach the settings' webhooks in EventBridge's "Step Functions Execution Status
Change" shape (tests/data/eventbridge_execution_status_change.json, from AWS's guide), queued in the
transaction of the change; human tasks' events only behind `human_task_events`. Virtual clock, no sleeping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sojourn.client import Client
from sojourn.config import Settings
from sojourn.webhooks import events
from sojourn.webhooks.deliverer import WebhookDeliverer
from webhooks.conftest import SECRET

ROLE = "arn:aws:iam::123456789012:role/test"
SAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "eventbridge_execution_status_change.json").read_text()
)["event"]
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
FAIL = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "why"}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})


def _client(settings: Settings, clock) -> Client:
    return Client(settings=settings, clock=clock, start=False)


def _queued(client: Client) -> list[dict]:
    """The outbox's bodies, oldest first."""
    with client.store.transaction(write=False) as tx:
        rows = tx.webhook_deliveries(None, 100)
    return [json.loads(row["body"]) for row in reversed(rows)]


def _run(client: Client, definition: str, name: str = "m", **start) -> str:
    machine = client.create_state_machine(name=name, definition=definition, roleArn=ROLE)
    arn = client.start_execution(stateMachineArn=machine["stateMachineArn"], **start)["executionArn"]
    client.run_until_idle()
    return str(arn)


def _keys(event: dict) -> tuple[set, set]:
    return set(event), set(event["detail"])


def test_each_status_change_is_an_event_in_eventbridge_s_shape(settings, clock):
    client = _client(settings, clock)
    arn = _run(client, PASS, input='{"a": 1}')
    started, succeeded = _queued(client)
    assert [e["detail"]["status"] for e in (started, succeeded)] == ["RUNNING", "SUCCEEDED"]
    for event in (started, succeeded):
        assert _keys(event) == _keys(SAMPLE)
        assert (event["version"], event["detail-type"], event["source"]) == (
            "0",
            "Step Functions Execution Status Change",
            "aws.states",
        )
        assert (event["account"], event["region"], event["resources"]) == (
            settings.account_id,
            settings.region,
            [arn],
        )
        assert event["detail"]["executionArn"] == arn and event["detail"]["name"] == arn.rpartition(":")[2]
        assert event["detail"]["startDate"] == int(clock() * 1000)
        assert event["time"].endswith("Z") and event["detail"]["input"] == '{"a": 1}'
    assert started["id"] != succeeded["id"]
    assert (started["detail"]["stopDate"], started["detail"]["output"]) == (None, None)
    assert succeeded["detail"]["stopDate"] == int(clock() * 1000)
    assert json.loads(succeeded["detail"]["output"]) == {"a": 1}
    assert succeeded["detail"]["outputDetails"] == {"included": True}
    assert succeeded["detail"]["redriveStatus"] == "NOT_REDRIVABLE"
    client.close()


def test_a_failure_carries_its_error_and_cause_and_a_redrive_is_running_again(settings, clock):
    client = _client(settings, clock)
    arn = _run(client, FAIL)
    failed = _queued(client)[-1]["detail"]
    assert (failed["status"], failed["error"], failed["cause"], failed["output"]) == (
        "FAILED",
        "Oops",
        "why",
        None,
    )
    assert (failed["redriveStatus"], failed["redriveStatusReason"]) == ("REDRIVABLE", None)
    clock.advance(10)
    client.redrive_execution(executionArn=arn)
    client.run_until_idle()
    statuses = [(e["detail"]["status"], e["detail"]["redriveCount"]) for e in _queued(client)]
    assert statuses == [("RUNNING", 0), ("FAILED", 0), ("RUNNING", 1), ("FAILED", 1)]
    redriven = _queued(client)[2]["detail"]
    assert redriven["redriveDate"] == int(clock() * 1000) and redriven["error"] is None
    client.close()


def test_a_webhook_gets_only_the_statuses_and_state_machines_it_asks_for(settings, clock):
    webhooks = {
        "failures": {"url": "http://127.0.0.1:9/f", "statuses": ["FAILED", "ABORTED"]},
        "other": {"url": "http://127.0.0.1:9/o", "state_machines": ["other"]},
        "none": {"url": "http://127.0.0.1:9/n", "execution_events": False},
    }
    client = _client(settings.replace(webhooks=webhooks), clock)
    _run(client, PASS, name="m")
    _run(client, FAIL, name="other")
    arn = _run(client, WAIT, name="waits")
    client.stop_execution(executionArn=arn)
    with client.store.transaction(write=False) as tx:
        rows = list(reversed(tx.webhook_deliveries(None, 100)))
    sent = [(row["url"][-1], json.loads(row["body"])["detail"]["status"]) for row in rows]
    assert sent == [("o", "RUNNING"), ("f", "FAILED"), ("o", "FAILED"), ("f", "ABORTED")]
    client.close()


def test_without_webhooks_nothing_listens_and_nothing_is_queued(store_url, clock):
    client = _client(Settings(db_url=store_url), clock)
    assert client.workers.engine.status_listener is None and client.store.human_task_listener is None
    _run(client, PASS)
    assert _queued(client) == []
    client.close()


def test_an_event_is_queued_only_if_its_transaction_commits(settings, clock):
    client = _client(settings, clock)
    arn = _run(client, PASS)
    listener = events.status_listener(settings)
    assert listener is not None
    with pytest.raises(RuntimeError), client.store.transaction() as tx:
        execution = tx.execution(arn)
        listener(tx, execution, clock())
        raise RuntimeError("the change rolls back")
    assert len(_queued(client)) == 2  # the run's own two, not the rolled-back one
    client.close()


def test_a_large_input_and_output_are_left_out_as_eventbridge_does(settings, clock):
    client = _client(settings, clock)
    big = json.dumps({"blob": "x" * (200 * 1024)})
    _run(client, PASS, input=big)
    started, succeeded = _queued(client)
    assert started["detail"]["input"] == big and started["detail"]["inputDetails"] == {"included": True}
    assert succeeded["detail"]["input"] is None and succeeded["detail"]["inputDetails"] == {"included": False}
    assert json.loads(succeeded["detail"]["output"]) == json.loads(big)
    client.close()


def test_the_events_reach_a_real_receiver_signed(settings, receiver, clock):
    receiver.start()
    client = _client(settings, clock)
    arn = _run(client, PASS)
    deliverer = WebhookDeliverer(client.store, settings, clock=clock)
    assert deliverer.deliver_due() == 2
    assert [got.json["detail"]["status"] for got in receiver.received] == ["RUNNING", "SUCCEEDED"]
    assert all(got.verifies(SECRET) and got.json["resources"] == [arn] for got in receiver.received)
    deliverer.close()
    client.close()
