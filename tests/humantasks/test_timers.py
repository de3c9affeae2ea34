"""A human task's timers on a virtual clock (issue 14): reminders keep the first links working, escalation
asks the next people, expiry fails the Task with its named error for the definition to catch, and a task
closes when its execution moves on. Real SQLite file, real HTTP for the links; time skipped, never slept."""

from __future__ import annotations

import json
from typing import Any

import pytest

from humantask_support import RESOURCE, ROLE, Clock, ask_definition, decide, mail, sojourn_with_links, status
from sojourn import portal
from sojourn.client import Client
from sojourn.integrations import humantask
from sojourn.integrations.base import TaskCall
from sojourn.tokens import hash_token

HOUR = 3600.0
DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "ann@example.com"},
        "dee": {"name": "Dee Head", "email": "dee@example.com"},
    }
}


@pytest.fixture
def sojourn(tmp_path) -> Any:
    clock = Clock()
    with sojourn_with_links(tmp_path, DIRECTORY, clock) as (client, http):
        yield client, http, clock


def start(client: Client, arguments: dict[str, Any], **state: Any) -> str:
    definition = ask_definition(arguments, **state)
    machine = client.create_state_machine(name="approve", definition=definition, roleArn=ROLE)
    arn = client.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    client.run_until_idle()
    return str(arn)


def later(client: Client, clock: Clock, seconds: float) -> None:
    clock.now += seconds
    client.run_until_idle()


def task_events(client: Client) -> list[str]:
    with client.store.transaction(write=False) as tx:
        (task,) = tx.human_tasks(None, None, 10)
        return [event["kind"] for event in tx.human_task_events(task["id"])]


def test_a_reminder_sends_a_new_link_and_the_first_email_s_link_still_decides(sojourn):
    client, http, clock = sojourn
    arn = start(client, {"Title": "Leave for E002", "Assignees": ["ann"], "Reminders": [HOUR, 2 * HOUR]})
    later(client, clock, HOUR - 1)
    assert [subject for _, subject, _ in mail(client)] == ["Leave for E002"]  # not yet
    later(client, clock, 2 * HOUR)  # both reminders fell due meanwhile: each goes out, in order
    sent = mail(client)
    assert [subject for _, subject, _ in sent] == ["Leave for E002"] + ["Reminder: Leave for E002"] * 2
    assert len({path for _, _, path in sent}) == 3 and {to for to, _, _ in sent} == {"ann@example.com"}
    assert "still waiting" in http.get(sent[2][2]).text or http.get(sent[2][2]).status_code == 200
    first = sent[0][2]
    assert decide(http, first, "Approve").status_code == 200
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"
    assert json.loads(client.describe_execution(executionArn=arn)["output"])["Outcome"] == "Approve"
    assert "no longer waiting" in http.get(sent[1][2]).text  # the reminders' links closed with the task
    assert task_events(client).count("REMINDED") == 2


def test_escalation_asks_the_next_person_and_replace_takes_the_first_off(sojourn):
    client, http, clock = sojourn
    escalation = {"AfterSeconds": 24 * HOUR, "Assignees": ["dee"], "Mode": "REPLACE"}
    arn = start(client, {"Title": "Leave", "Assignees": ["ann"], "Escalation": escalation})
    later(client, clock, 24 * HOUR)
    (ann, _, ann_path), (dee, _, dee_path) = mail(client)
    assert (ann, dee) == ("ann@example.com", "dee@example.com")
    assert "reassigned" in http.get(ann_path).text
    refused = http.post(
        ann_path, data={"csrf_token": http.cookies[portal.CSRF_COOKIE], "decision": "Approve"}
    )
    assert refused.status_code == 409 and "reassigned" in refused.text
    decide(http, dee_path, "Deny")
    client.run_until_idle()
    output = json.loads(client.describe_execution(executionArn=arn)["output"])
    assert output["Outcome"] == "Deny" and output["DecidedBy"]["Id"] == "dee"
    assert "ESCALATED" in task_events(client)


def test_escalation_by_default_adds_and_either_person_may_decide(sojourn):
    client, http, clock = sojourn
    arn = start(
        client,
        {"Title": "Leave", "Assignees": ["ann"], "Escalation": {"AfterSeconds": 60, "Assignees": ["dee"]}},
    )
    later(client, clock, 60)
    paths = {to: path for to, _, path in mail(client)}
    assert set(paths) == {"ann@example.com", "dee@example.com"}
    decide(http, paths["ann@example.com"], "Approve")
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"


def test_expiry_fails_the_task_with_its_error_which_the_definition_catches(sojourn):
    client, http, clock = sojourn
    expiry = {"AfterSeconds": 2 * HOUR, "Error": "Leave.NotDecided", "Cause": "Nobody answered"}
    arn = start(client, {"Title": "Leave", "Assignees": ["ann"], "Reminders": [HOUR], "Expiry": expiry})
    later(client, clock, 2 * HOUR)
    described = client.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED"  # caught: the Catch's Pass state ended it
    assert json.loads(described["output"]) == {"Error": "Leave.NotDecided", "Cause": "Nobody answered"}
    reminder = mail(client)[1]
    assert (
        reminder[1] == "Reminder: Leave"
        and "expires at" in client.get_mail(messageId=client.list_mail()["messages"][0]["messageId"])["text"]
    )
    assert "no longer waiting" in http.get(reminder[2]).text
    assert task_events(client)[-1] == "EXPIRED"


def test_the_task_states_own_timeout_and_a_stop_close_the_task(sojourn):
    client, http, clock = sojourn
    arn = start(client, {"Title": "Leave", "Assignees": ["ann"]}, TimeoutSeconds=600)
    later(client, clock, 601)
    assert json.loads(client.describe_execution(executionArn=arn)["output"])["Error"] == "States.Timeout"
    path = mail(client)[0][2]
    assert "no longer waiting" in http.get(path).text and task_events(client)[-1] == "CANCELLED"

    stopped = client.start_execution(
        stateMachineArn=client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    )
    client.run_until_idle()
    client.stop_execution(executionArn=stopped["executionArn"])
    with client.store.transaction(write=False) as tx:
        assert {task["status"] for task in tx.human_tasks(None, None, 10)} == {"CANCELLED"}


def test_a_task_invoked_again_after_a_worker_died_keeps_its_links_and_asks_nobody_twice(sojourn):
    client, http, _ = sojourn
    arn = start(client, {"Title": "Leave", "Assignees": ["ann"]})
    path = mail(client)[0][2]
    token = "a-fresh-token-for-the-same-wait-0123456789ab"
    with client.store.transaction() as tx:
        (task,) = tx.human_tasks(None, None, 10)
        assert tx.reissue_token(task["execution_id"], task["run_id"], task["generation"], hash_token(token))
    call = TaskCall(  # what a second worker does when the first died before recording the call's return
        resource=RESOURCE,
        parameters={"Title": "Leave", "Assignees": ["ann"]},
        task_token=token,
        wait_for_token=True,
        idempotency_key=task["step_key"],
        execution_arn=arn,
        state_name="Ask",
        run_id=task["run_id"],
        generation=task["generation"],
    )
    humantask.invoke(call, client.workers.facilities)
    assert len(mail(client)) == 1
    with client.store.transaction(write=False) as tx:
        assert len(tx.human_tasks(None, None, 10)) == 1
    decide(http, path, "Approve")  # the first link answers the new token
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"
