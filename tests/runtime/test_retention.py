"""Retention (issue 17): closed executions, with their history, tokens and human tasks, and sent mail go
after the retention period; running executions and recent ones stay; a dry run changes nothing. On SQLite
and PostgreSQL, with executions run by the engine on a virtual clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from humantask_support import Clock
from sojourn import errors
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.directory import Directory
from sojourn.integrations.base import Facilities
from sojourn.mail.deliverer import Deliverer
from sojourn.runtime.retention import DAY, purge
from sojourn.webhooks.outbox import enqueue_in

ROLE = "arn:aws:iam::123456789012:role/test"
DONE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
MAILED = {
    "StartAt": "Mail",
    "States": {
        "Mail": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sojourn:email.send",
            "Parameters": {"To": "ann@example.com", "Subject": "Hello", "Text": "hi"},
            "End": True,
        }
    },
}
WAITS = {
    "StartAt": "Wait",
    "States": {
        "Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sojourn:email.send.waitForTaskToken",
            "Parameters": {"To": "bo@example.com", "Subject": "Answer", "Text.$": "$$.Task.Token"},
            "End": True,
        }
    },
}


@pytest.fixture
def sojourn(store_url: str) -> Any:
    clock = Clock()
    settings = Settings(db_url=store_url)
    directory = Directory.from_mapping({"people": {"ann": {"name": "Ann", "email": "ann@example.com"}}})
    facilities = Facilities(settings=settings, directory=directory)
    client = Client(settings=settings, facilities=facilities, clock=clock, start=False)
    yield client, clock
    client.close()


def run(client: Client, definition: dict, name: str) -> str:
    machines = {m["name"]: m["stateMachineArn"] for m in client.list_state_machines()["stateMachines"]}
    arn = (
        machines.get(name)
        or client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
    )
    started = client.start_execution(stateMachineArn=arn)["executionArn"]
    client.run_until_idle()
    Deliverer(client.store, client.settings, clock=client.clock).deliver_due()  # kept: no SMTP host
    return str(started)


def counts(client: Client) -> dict[str, int]:
    with client.store.transaction(write=False) as tx:
        return {
            "executions": len(tx.closed_executions_before(float("inf"), 1000)),
            "mail": len(tx.sent_mail_before(float("inf"), 1000)),
        }


def test_closed_executions_and_sent_mail_go_after_the_retention_period_and_nothing_else(sojourn):
    client, clock = sojourn
    old_done, old_mailed = run(client, DONE, "done"), run(client, MAILED, "mailed")
    old_waiting = run(client, WAITS, "waits")
    clock.now += 60 * DAY
    recent = run(client, DONE, "done")
    clock.now += 31 * DAY  # the first three are 91 days old, the last 31
    before = counts(client)
    assert before == {"executions": 3, "mail": 2}  # the waiting execution is not closed
    would = purge(client.store, clock.now, 90, dry_run=True)
    assert (would.executions, would.mail) == (2, 2) and counts(client) == before
    done = purge(client.store, clock.now, 90, batch=1, pause=lambda: None)  # one per transaction
    assert (done.executions, done.mail) == (2, 2)
    for gone in (old_done, old_mailed):
        with pytest.raises(errors.ExecutionDoesNotExist):
            client.describe_execution(executionArn=gone)
    assert client.describe_execution(executionArn=old_waiting)["status"] == "RUNNING"
    assert client.describe_execution(executionArn=recent)["status"] == "SUCCEEDED"
    assert len(client.get_execution_history(executionArn=recent)["events"]) > 0
    with client.store.transaction(write=False) as tx:
        assert tx.closed_executions_before(clock.now - 90 * DAY, 10) == []
    assert purge(client.store, clock.now, 0).executions == 0  # 0 keeps everything


def test_a_purged_execution_takes_its_human_task_and_audit_trail_with_it(sojourn):
    client, clock = sojourn
    asks = {
        "QueryLanguage": "JSONata",
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sojourn:humanTask.waitForTaskToken",
                "Arguments": {"Title": "Leave", "Assignees": ["ann"]},
                "End": True,
            }
        },
    }
    arn = run(client, asks, "asks")
    (task,) = client.list_human_tasks()["humanTasks"]
    client.stop_execution(executionArn=arn)
    client.run_until_idle()
    clock.now += 91 * DAY
    assert purge(client.store, clock.now, 90).executions == 1
    assert client.list_human_tasks()["humanTasks"] == []
    with client.store.transaction(write=False) as tx:
        assert tx.human_task(task["taskId"]) is None and tx.human_task_events(task["taskId"]) == []


def test_delivered_webhooks_go_with_the_period_and_expired_portal_sign_ins_at_once(sojourn):
    client, clock = sojourn
    with client.store.transaction() as tx:
        delivered = enqueue_in(tx, "http://hooks.example.com/a", "{}", "test", None, "a", now=clock.now)
        enqueue_in(tx, "http://hooks.example.com/b", "{}", "test", None, "b", now=clock.now)  # still pending
    with client.store.transaction() as tx:
        tx._update("webhook_deliveries", {"id": delivered}, {"status": "DELIVERED"})
    client.request_portal_sign_in(email="ann@example.com")  # a sign-in link, valid 15 minutes
    clock.now += 91 * DAY
    done = purge(client.store, clock.now, 90)
    assert done.deliveries == 1
    with client.store.transaction(write=False) as tx:
        left = tx._all("SELECT status FROM webhook_deliveries")
    assert [row["status"] for row in left] == ["PENDING"]
    assert done.sign_ins == 1
