"""A human task's `Notify.Webhooks` (issue 14): the task's channels hear when people are asked and reminded,
through the webhook outbox, to a real receiver over HTTP; bodies point to the task's portal page, never to a
link (a link is a secret bound to one person). Human task events reach the settings' webhooks only when
they ask for them. Real SQLite file, real HTTP, a virtual clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from humantask_support import BASE_URL, ROLE, Clock, ask_definition, mail, output, sojourn_with_links
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.webhooks.deliverer import WebhookDeliverer
from webhooks.receiver import Receiver

HOUR = 3600.0
SECRET = "leads-secret-1"
DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "ann@example.com"},
        "bob": {"name": "Bob Boss", "email": "bob@example.com"},
    }
}


@pytest.fixture
def receiver() -> Any:
    found = Receiver().start()
    yield found
    found.stop()


def _sojourn(tmp_path, receiver: Receiver, **webhook: Any):
    hook = {"url": receiver.url, "secret_env": "LEADS_SECRET", "execution_events": False, **webhook}
    settings = Settings.load({"LEADS_SECRET": SECRET}, webhooks={"leads": hook})
    return sojourn_with_links(tmp_path, DIRECTORY, Clock(), settings)


def _start(client: Client, arguments: dict[str, Any]) -> str:
    definition = ask_definition(arguments)
    machine = client.create_state_machine(name="approve", definition=definition, roleArn=ROLE)
    arn = client.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    client.run_until_idle()
    return str(arn)


def _deliver(client: Client) -> int:
    deliverer = WebhookDeliverer(client.store, client.settings, clock=client.clock)
    try:
        return deliverer.deliver_due()
    finally:
        deliverer.close()


def _task_id(client: Client) -> str:
    with client.store.transaction(write=False) as tx:
        (task,) = tx.human_tasks(None, None, 10)
        return str(task["id"])


def test_slack_hears_when_people_are_asked_and_reminded_with_the_task_s_page(tmp_path, receiver):
    with _sojourn(tmp_path, receiver) as (client, _):
        hooks = [{"Url": receiver.url, "Preset": "SLACK"}]
        arguments = {
            "Title": "Leave for E002",
            "Description": "3 days in July",
            "Assignees": ["ann", "bob"],
            "Reminders": [HOUR],
            "Notify": {"Webhooks": hooks},
        }
        _start(client, arguments)
        assert _deliver(client) == 1
        [asked] = receiver.received
        page = f"{BASE_URL}/tasks/{_task_id(client)}"
        blocks = asked.json["blocks"]
        assert blocks[0]["text"]["text"] == "Leave for E002"
        assert "Ann Lead, Bob Boss" in blocks[2]["elements"][0]["text"]
        assert blocks[3]["elements"][0]["url"] == page
        assert "x-sojourn-signature" not in asked.headers  # a bare Url has no secret to sign with
        links = [path for _, _, path in mail(client)]
        assert len(links) == 2 and not any(link in asked.body.decode() for link in links)
        assert "/tasks/link/" not in asked.body.decode()

        client.clock.now += HOUR  # type: ignore[attr-defined]
        client.run_until_idle()
        assert _deliver(client) == 1
        reminded = receiver.received[1].json
        assert reminded["blocks"][0]["text"]["text"] == "Reminder: Leave for E002"
        assert receiver.received[1].headers["x-sojourn-delivery"] != asked.headers["x-sojourn-delivery"]
        task_id = _task_id(client)
        with client.store.transaction(write=False) as tx:
            notified = [e for e in tx.human_task_events(task_id) if e["kind"] == "NOTIFIED"]
        channels = [json.loads(e["details"])["channel"] for e in notified]
        assert channels == ["EMAIL", "EMAIL", "WEBHOOK", "WEBHOOK"]
        assert receiver.url not in json.dumps([e["details"] for e in notified])  # nor its URL


def test_a_named_webhook_takes_its_url_and_secret_from_the_settings(tmp_path, receiver):
    with _sojourn(tmp_path, receiver) as (client, _):
        notify = {"Email": False, "Webhooks": [{"Webhook": "leads", "Preset": "TEAMS"}]}
        _start(client, {"Title": "Expense 42", "Assignees": ["ann"], "Notify": notify})
        assert mail(client) == [] and _deliver(client) == 1
        [got] = receiver.received
        assert got.verifies(SECRET)
        card = got.json["attachments"][0]["content"]
        assert card["body"][0]["text"] == "Expense 42"
        assert card["actions"][0]["url"] == f"{BASE_URL}/tasks/{_task_id(client)}"


def test_a_webhook_name_the_app_does_not_have_fails_the_task_by_name(tmp_path, receiver):
    with _sojourn(tmp_path, receiver) as (client, _):
        notify = {"Webhooks": [{"Webhook": "nobody", "Preset": "JSON"}]}
        arn = _start(client, {"Title": "t", "Assignees": ["ann"], "Notify": notify})
        caught = output(client, arn)
        assert caught["Error"] == "Sojourn.InvalidHumanTask" and "'nobody'" in caught["Cause"]


def test_human_task_events_reach_a_webhook_only_when_it_asks_for_them(tmp_path, receiver):
    with _sojourn(tmp_path, receiver, human_task_events=True) as (client, _):
        arn = _start(client, {"Title": "Leave", "Assignees": ["ann"]})
        _deliver(client)
        kinds = [got.json["detail"]["event"] for got in receiver.received]
        assert kinds == ["CREATED", "NOTIFIED"]
        event = receiver.received[0].json
        assert (event["detail-type"], event["source"], event["resources"]) == (
            "Sojourn Human Task Event",
            "sojourn.humantasks",
            [arn],
        )
        assert event["detail"]["taskId"] == _task_id(client) and event["detail"]["title"] == "Leave"
        assert all(got.verifies(SECRET) for got in receiver.received)
    receiver.received.clear()
    with _sojourn(tmp_path / "off", receiver) as (client, _):
        _start(client, {"Title": "Leave", "Assignees": ["ann"]})
        assert _deliver(client) == 0 and receiver.received == []
