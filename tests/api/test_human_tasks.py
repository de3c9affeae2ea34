"""Sojourn's own human-task actions (issue 14) on the Step Functions endpoint, through the boto3 client
`sojourn.aws.tasks_client` gives, against a real `sojourn serve --app` with people and an API key: lists with
filters and pages, describe, the audit trail, a decision that resumes a real execution, reassign, cancel, the
modelled error classes, and the functions' credential refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from humantask_support import ask_definition
from servers import Server, serve, wait_for, wait_for_status
from sojourn.aws import tasks_client
from sojourn.config import function_credential

API_KEY = "tasks-api-test-key"
APP = """
name: tasks
people:
  ann: {name: Ann Lead, email: ann@example.com}
  bob: {name: Bob Finance, email: bob@example.com, groups: [finance]}
  cy:  {name: Cy Finance, email: cy@example.com, groups: [finance]}
state_machines:
  Leave: {definition: leave.json}
  Spend: {definition: spend.json}
"""


def definition(assignees: list[str], **arguments: Any) -> str:
    """One human task (its title from the input); its error (a cancel) caught as the output."""
    return ask_definition(
        {"Title": "{% $states.input.title %}", "Description": "Please look <soon>", "Assignees": assignees}
        | arguments
    )


FORM = {"type": "object", "properties": {"days": {"type": "integer", "minimum": 1}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home: Path = tmp_path_factory.mktemp("tasks-api")
    (home / "app.yaml").write_text(APP)
    (home / "leave.json").write_text(definition(["ann"], Form=FORM))
    (home / "spend.json").write_text(definition(["group:finance"], Quorum="ALL"))
    with serve(home, "--app", str(home / "app.yaml"), env={"SOJOURN_API_KEY": API_KEY}) as running:
        yield running


@pytest.fixture(scope="module")
def tasks(server: Server) -> Any:
    return tasks_client(endpoint_url=server.url, api_key=API_KEY)


def machine(server: Server, name: str) -> str:
    return f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"


def start(server: Server, tasks: Any, name: str, title: str) -> tuple[str, dict[str, Any]]:
    """Start an execution of `name` and wait for its human task; (execution ARN, the task as listed)."""
    arn = server.client().start_execution(
        stateMachineArn=machine(server, name), input=json.dumps({"title": title})
    )["executionArn"]
    found = wait_for(lambda: tasks.list_human_tasks(executionArn=arn)["humanTasks"])
    return arn, found[0]


def test_lists_filter_by_status_assignee_machine_and_execution_in_pages(server, tasks):
    started = [start(server, tasks, kind, f"{kind} {n}") for n in range(2) for kind in ("Leave", "Spend")]
    mine = [task["taskId"] for _, task in started]
    everything = tasks.list_human_tasks(status="OPEN")["humanTasks"]
    assert [t["taskId"] for t in everything if t["taskId"] in mine] == mine[::-1]  # newest first
    (spend_1,) = [t for t in everything if t["title"] == "Spend 1"]
    assert spend_1["stateMachineArn"] == machine(server, "Spend") and spend_1["stateName"] == "Ask"
    assert [(a["id"], a["status"]) for a in spend_1["assignees"]] == [("bob", "ASKED"), ("cy", "ASKED")]
    assert spend_1["creationDate"].tzinfo is not None  # epoch seconds on the wire, a datetime in boto3
    cys = tasks.list_human_tasks(assignee="cy@example.com")["humanTasks"]
    assert {t["title"] for t in cys} >= {"Spend 0", "Spend 1"} and not any("Leave" in t["title"] for t in cys)
    leave = tasks.list_human_tasks(stateMachineArn=machine(server, "Leave"))["humanTasks"]
    assert {"Leave 0", "Leave 1"} <= {t["title"] for t in leave} and all("Leave" in t["title"] for t in leave)
    arn, first = started[0]
    assert [t["taskId"] for t in tasks.list_human_tasks(executionArn=arn)["humanTasks"]] == [first["taskId"]]
    seen, token = [], None
    while True:
        page = tasks.list_human_tasks(maxResults=3, **({"nextToken": token} if token else {}))
        assert len(page["humanTasks"]) <= 3
        seen += [t["taskId"] for t in page["humanTasks"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == [t["taskId"] for t in tasks.list_human_tasks(maxResults=1000)["humanTasks"]]
    # boto3 sends timestamps in whole seconds (as to AWS): a second either side of these tasks
    before = tasks.list_human_tasks(createdBefore=first["creationDate"] - timedelta(seconds=1))
    assert not {t["taskId"] for t in before["humanTasks"]} & set(mine)
    after = tasks.list_human_tasks(createdBefore=spend_1["creationDate"] + timedelta(seconds=2))
    assert set(mine) <= {t["taskId"] for t in after["humanTasks"]}
    with pytest.raises(tasks.exceptions.ValidationException, match="status"):
        tasks.list_human_tasks(status="WAITING")
    with pytest.raises(tasks.exceptions.InvalidToken):
        tasks.list_human_tasks(nextToken="e30=")


def test_a_decision_through_the_api_resumes_the_execution_and_the_audit_trail_follows(server, tasks):
    arn, task = start(server, tasks, "Leave", "Leave for the API")
    described = tasks.describe_human_task(taskId=task["taskId"])
    assert described["description"] == "Please look <soon>" and json.loads(described["form"]) == FORM
    assert [d["name"] for d in described["decisions"]] == ["Approve", "Deny"] and described["quorum"] == 1
    with pytest.raises(tasks.exceptions.DecisionRefused, match="Some fields") as refused:
        tasks.decide_human_task(taskId=task["taskId"], assignee="ann", decision="Approve", form='{"days": 0}')
    assert list(refused.value.response["problems"]) == ["days"]  # the modelled member, per field
    with pytest.raises(tasks.exceptions.ValidationException):
        tasks.decide_human_task(taskId=task["taskId"], assignee="ann", decision="Approve", form="{oops")
    answer = tasks.decide_human_task(
        taskId=task["taskId"],
        assignee="ann@example.com",
        decision="Approve",
        form='{"days": 3}',
        comment="ok",
    )
    assert answer["taskId"] == task["taskId"] and answer["closed"] and answer["outcome"] == "Approve"
    done = wait_for_status(server.client(), arn, "SUCCEEDED")
    result = json.loads(done["output"])
    assert (
        result["Outcome"] == "Approve" and result["Channel"] == "API" and result["DecidedBy"]["Id"] == "ann"
    )
    closed = tasks.describe_human_task(taskId=task["taskId"])
    assert closed["status"] == "DECIDED" and json.loads(closed["result"])["Outcome"] == "Approve"
    assert closed["assignees"][0]["decision"] == "Approve" and closed["closeDate"] >= closed["creationDate"]
    events = tasks.list_human_task_events(taskId=task["taskId"])["events"]
    assert events[0]["type"] == "CREATED" and events[-1]["type"] == "CLOSED"
    decided = next(e for e in events if e["type"] == "DECIDED")
    assert decided["actor"] == "ann" and json.loads(decided["details"])["form"] == {"days": 3}
    page = tasks.list_human_task_events(taskId=task["taskId"], maxResults=2)
    rest = tasks.list_human_task_events(taskId=task["taskId"], nextToken=page["nextToken"])["events"]
    assert [e["id"] for e in page["events"] + rest] == [e["id"] for e in events]


def test_reassign_and_cancel_through_the_api(server, tasks):
    arn, task = start(server, tasks, "Spend", "Spend to move")
    moved = tasks.reassign_human_task(
        taskId=task["taskId"], assignees=["ann"], fromAssignees=["cy"], reason="Cy is away"
    )
    assert moved["added"] == ["ann"] and moved["removed"] == ["cy"]
    people = tasks.describe_human_task(taskId=task["taskId"])["assignees"]
    assert {a["id"]: a["status"] for a in people} == {"bob": "ASKED", "cy": "REMOVED", "ann": "ASKED"}
    with pytest.raises(tasks.exceptions.ValidationException):
        tasks.reassign_human_task(taskId=task["taskId"], assignees=["nobody"])  # not in the directory
    assert tasks.cancel_human_task(taskId=task["taskId"], reason="withdrawn")["status"] == "CANCELLED"
    done = wait_for_status(server.client(), arn, "SUCCEEDED")
    assert json.loads(done["output"]) == {"Error": "Sojourn.HumanTaskCancelled", "Cause": "withdrawn"}
    with pytest.raises(tasks.exceptions.ConflictException):
        tasks.cancel_human_task(taskId=task["taskId"])
    kinds = [e["type"] for e in tasks.list_human_task_events(taskId=task["taskId"])["events"]]
    assert "REASSIGNED" in kinds and kinds[-1] == "CANCELLED"


def test_the_server_checks_requests_against_sojourn_s_model_as_aws_words_it(server):
    answer = httpx.post(
        server.url,
        content=json.dumps({"taskId": "ht-x", "assignees": []}),
        headers={"X-Amz-Target": "Sojourn.ReassignHumanTask", "X-Api-Key": API_KEY},
    )
    assert answer.status_code == 400 and answer.json() == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value '[]' at 'assignees' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    }


def test_an_unknown_task_raises_the_modelled_exception(tasks):
    for call in (
        lambda: tasks.describe_human_task(taskId="ht-nothing"),
        lambda: tasks.list_human_task_events(taskId="ht-nothing"),
        lambda: tasks.decide_human_task(taskId="ht-nothing", assignee="ann", decision="Approve"),
        lambda: tasks.cancel_human_task(taskId="ht-nothing"),
    ):
        with pytest.raises(tasks.exceptions.TaskDoesNotExist) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "TaskDoesNotExist"


def test_only_the_operator_key_may_call_them_not_the_functions_credential(server):
    functions = tasks_client(endpoint_url=server.url, api_key=function_credential(API_KEY))
    with pytest.raises(ClientError) as raised:
        functions.list_human_tasks()
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "sojourn:ListHumanTasks" in raised.value.response["Error"]["Message"]
    stranger = tasks_client(endpoint_url=server.url, api_key="not-the-key")
    with pytest.raises(ClientError) as refused:
        stranger.list_human_tasks()
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
