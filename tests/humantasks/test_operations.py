"""Human tasks as operators and the portal reach them (issue 14): listed by status, assignee and machine in
keyset pages, described with who decided what, their audit trail, decided as an assignee, reassigned (the old
links stop, the new people get their own) and cancelled (the Task fails with a name the definition catches).
Real SQLite file, real HTTP for the links; time on a virtual clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from humantask_support import (
    ROLE,
    Clock,
    ask_definition,
    csrf_of,
    decide,
    mail,
    output,
    sojourn_with_links,
    status,
)
from sojourn import errors
from sojourn.client import Client

DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "ann@example.com"},
        "bob": {"name": "Bob Finance", "email": "bob@example.com"},
        "cy": {"name": "Cy Finance", "email": "cy@example.com"},
        "dee": {"name": "Dee Head", "email": "dee@example.com"},
    },
    "groups": {"finance": ["bob", "cy"]},
}
FINANCE = ["group:finance"]


@pytest.fixture
def sojourn(tmp_path) -> Any:
    clock = Clock()
    with sojourn_with_links(tmp_path, DIRECTORY, clock) as (client, http):
        yield client, http, clock


def machine(client: Client, name: str, arguments: dict[str, Any]) -> str:
    made = client.create_state_machine(name=name, definition=ask_definition(arguments), roleArn=ROLE)
    return str(made["stateMachineArn"])


def run(client: Client, machine_arn: str, clock: Clock, payload: dict[str, Any] | None = None) -> str:
    clock.now += 1  # each task a second younger than the last
    arn = client.start_execution(stateMachineArn=machine_arn, input=json.dumps(payload or {}))["executionArn"]
    client.run_until_idle()
    return str(arn)


def test_tasks_are_listed_newest_first_by_status_assignee_and_machine_in_pages(sojourn):
    client, _, clock = sojourn
    leave = machine(client, "leave", {"Title": "{% 'Leave ' & $states.input.n %}", "Assignees": ["ann"]})
    spend = machine(client, "spend", {"Title": "{% 'Spend ' & $states.input.n %}", "Assignees": FINANCE})
    for n in range(3):
        run(client, leave, clock, {"n": n})
        run(client, spend, clock, {"n": n})
    everything = client.list_human_tasks()["humanTasks"]
    titles = ["Spend 2", "Leave 2", "Spend 1", "Leave 1", "Spend 0", "Leave 0"]
    assert [t["title"] for t in everything] == titles
    assert [a["id"] for a in everything[0]["assignees"]] == ["bob", "cy"]
    assert everything[0]["status"] == "OPEN" and everything[0]["stateName"] == "Ask"
    assert everything[0]["stateMachineArn"] == spend
    # a person's tasks: their groups were resolved to them when they were asked
    assert [t["title"] for t in client.list_human_tasks(assignee="cy@example.com")["humanTasks"]] == [
        "Spend 2",
        "Spend 1",
        "Spend 0",
    ]
    assert [t["title"] for t in client.list_human_tasks(stateMachineArn=leave)["humanTasks"]] == [
        "Leave 2",
        "Leave 1",
        "Leave 0",
    ]
    seen, token = [], None
    while True:
        page = client.list_human_tasks(maxResults=4, **({"nextToken": token} if token else {}))
        seen += [t["title"] for t in page["humanTasks"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == [t["title"] for t in everything]
    older = client.list_human_tasks(createdBefore=everything[3]["creationDate"])["humanTasks"]
    assert [t["title"] for t in older] == ["Spend 0", "Leave 0"]
    assert client.list_human_tasks(status="DECIDED")["humanTasks"] == []
    with pytest.raises(errors.ValidationException, match="status"):
        client.list_human_tasks(status="WAITING")
    with pytest.raises(errors.InvalidToken):
        client.list_human_tasks(nextToken="e30=")


def test_an_operator_decides_as_an_assignee_and_the_quorum_and_audit_follow(sojourn):
    client, _, clock = sojourn
    spend = machine(
        client,
        "spend",
        {
            "Title": "Spend",
            "Assignees": [*FINANCE, "dee"],
            "Quorum": {"AtLeast": 2},
            "Requester": "dee@example.com",
        },
    )
    arn = run(client, spend, clock)
    (task,) = client.list_human_tasks()["humanTasks"]
    assert [a["id"] for a in task["assignees"]] == ["bob", "cy"]  # the requester is not asked
    with pytest.raises(errors.DecisionRefused, match="not asked"):
        client.decide_human_task(taskId=task["taskId"], assignee="ann", decision="Approve")
    first = client.decide_human_task(taskId=task["taskId"], assignee="bob", decision="Approve", comment="ok")
    assert first == {"taskId": task["taskId"], "closed": False}
    with pytest.raises(errors.DecisionRefused, match="already decided"):
        client.decide_human_task(taskId=task["taskId"], assignee="bob", decision="Approve")
    assert status(client, arn) == "RUNNING"
    second = client.decide_human_task(taskId=task["taskId"], assignee="CY@example.com", decision="Approve")
    assert second["closed"] and second["outcome"] == "Approve"
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"
    result = output(client, arn)
    assert result["DecidedBy"]["Id"] == "cy" and result["Channel"] == "API"
    described = client.describe_human_task(taskId=task["taskId"])
    assert described["status"] == "DECIDED" and described["quorum"] == 2
    assert {a["id"]: a["decision"] for a in described["assignees"]} == {"bob": "Approve", "cy": "Approve"}
    assert json.loads(described["result"])["Outcome"] == "Approve"
    events = client.list_human_task_events(taskId=task["taskId"])["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "CREATED" and kinds.count("NOTIFIED") == 2 and kinds[-1] == "CLOSED"
    assert [json.loads(e["details"])["comment"] for e in events if e["type"] == "DECIDED"] == ["ok", ""]
    page = client.list_human_task_events(taskId=task["taskId"], maxResults=2)
    rest = client.list_human_task_events(taskId=task["taskId"], nextToken=page["nextToken"])["events"]
    assert [e["id"] for e in page["events"] + rest] == [e["id"] for e in events]
    with pytest.raises(errors.TaskDoesNotExist):
        client.describe_human_task(taskId="ht-nothing")


def test_a_reassigned_task_s_old_link_stops_and_the_new_person_s_link_decides(sojourn):
    client, http, clock = sojourn
    leave = machine(client, "leave", {"Title": "Leave", "Assignees": ["ann"], "Requester": "dee"})
    arn = run(client, leave, clock)
    (task,) = client.list_human_tasks()["humanTasks"]
    with pytest.raises(errors.DecisionRefused, match="asked for this task"):
        client.reassign_human_task(taskId=task["taskId"], assignees=["dee"])
    with pytest.raises(errors.ValidationException):
        client.reassign_human_task(taskId=task["taskId"], assignees=["nobody"])
    moved = client.reassign_human_task(taskId=task["taskId"], assignees=["bob"], reason="Ann is away")
    assert moved == {"added": ["bob"], "removed": ["ann"]}
    (ann_link,), (bob_link,) = (
        [path for to, _, path in mail(client) if to == who] for who in ("ann@example.com", "bob@example.com")
    )
    assert "reassigned" in http.get(ann_link).text
    # a POST with a valid CSRF pair (from Bob's page) to Ann's old link decides nothing
    csrf = csrf_of(http.get(bob_link))
    refused = http.post(ann_link, data={"csrf_token": csrf, "decision": "Approve"})
    assert refused.status_code == 409 and "reassigned" in refused.text
    assert status(client, arn) == "RUNNING"
    assert decide(http, bob_link, "Deny").status_code == 200
    client.run_until_idle()
    assert output(client, arn)["Outcome"] == "Deny"
    reassigned = [
        json.loads(e["details"])
        for e in client.list_human_task_events(taskId=task["taskId"])["events"]
        if e["type"] == "REASSIGNED"
    ]
    assert reassigned == [{"added": ["bob"], "removed": ["ann"], "reason": "Ann is away"}]
    with pytest.raises(errors.ConflictException):
        client.reassign_human_task(taskId=task["taskId"], assignees=["cy"])


def test_an_assignee_hands_on_only_their_own_part(sojourn):
    client, _, clock = sojourn
    spend = machine(client, "spend", {"Title": "Spend", "Assignees": FINANCE, "Quorum": "ALL"})
    run(client, spend, clock)
    (task,) = client.list_human_tasks()["humanTasks"]
    with pytest.raises(errors.DecisionRefused, match="not waiting"):
        client.reassign_human_task(taskId=task["taskId"], assignees=["dee"], by="ann")
    moved = client.reassign_human_task(taskId=task["taskId"], assignees=["dee"], by="cy")
    assert moved == {"added": ["dee"], "removed": ["cy"]}
    people = client.describe_human_task(taskId=task["taskId"])["assignees"]
    assert {a["id"]: a["status"] for a in people} == {"bob": "ASKED", "cy": "REMOVED", "dee": "ASKED"}


def test_a_cancelled_task_fails_its_task_with_a_name_the_definition_catches(sojourn):
    client, http, clock = sojourn
    leave = machine(client, "leave", {"Title": "Leave", "Assignees": ["ann"]})
    arn = run(client, leave, clock)
    (task,) = client.list_human_tasks()["humanTasks"]
    assert client.cancel_human_task(taskId=task["taskId"], reason="withdrawn") == {
        "taskId": task["taskId"],
        "status": "CANCELLED",
    }
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"
    assert output(client, arn) == {"Error": "Sojourn.HumanTaskCancelled", "Cause": "withdrawn"}
    ((_, _, link),) = mail(client)
    assert "no longer waiting" in http.get(link).text
    with pytest.raises(errors.ConflictException, match="already cancelled"):
        client.cancel_human_task(taskId=task["taskId"])
