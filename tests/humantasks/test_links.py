"""Human tasks end to end (issue 14): a `sojourn:humanTask` Task asks people by email, each through a link of
their own; the link's page decides only by its POST. Real SQLite file, real HTTP (uvicorn and httpx)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from humantask_support import ROLE, ask_definition, csrf_of, sojourn_with_links
from sojourn import portal
from sojourn.client import Client

DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "ann@example.com"},
        "bo": {"name": "Bo Asker", "email": "bo@example.com", "groups": ["finance"]},
        "cy": {"name": "Cy Finance", "email": "cy@example.com", "groups": ["finance"]},
        "dee": {"name": "Dee Finance", "email": "dee@example.com", "groups": ["finance"]},
    }
}
FAILED = {"Type": "Fail", "Error": "{% $states.input.Error %}", "Cause": "{% $states.input.Cause %}"}


def definition(arguments: dict[str, Any]) -> str:
    return ask_definition(arguments, FAILED)


@pytest.fixture
def sojourn(tmp_path) -> Any:
    with sojourn_with_links(tmp_path, DIRECTORY) as pair:
        yield pair


def start(client: Client, arguments: dict[str, Any], input: dict[str, Any] | None = None) -> str:
    machine = client.create_state_machine(name="approve", definition=definition(arguments), roleArn=ROLE)
    return client.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(input or {}))[
        "executionArn"
    ]


def links(client: Client, count: int) -> dict[str, str]:
    """Each addressee's latest link path, once `count` task emails are queued (kept: no SMTP host)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = client.list_mail()["messages"]
        if len(messages) >= count:
            found = {}
            for message in messages:
                text = client.get_mail(messageId=message["messageId"])["text"]
                path = re.search(r"http://tasks\.example\.com(/tasks/link/\S+)", text).group(1)
                found.setdefault(message["to"][0], path)  # newest first: each address's latest link
            return found
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} task emails")


def finished(client: Client, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "still RUNNING"
        time.sleep(0.05)
    return described


def post(http: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return http.post(path, data={"csrf_token": csrf_of(http.get(path)), **fields})


def test_opening_a_link_decides_nothing_and_only_the_pages_post_does(sojourn):
    client, http = sojourn
    arn = start(
        client, {"Title": "{% 'Leave of ' & $states.input.who %}", "Assignees": ["ann"]}, {"who": "E002"}
    )
    path = links(client, 1)["ann@example.com"]
    for _ in range(3):  # a mail scanner opening the link, again and again
        assert http.get(path).status_code == 200
        assert http.head(path).status_code == 200
    page = http.get(path)
    assert "Leave of E002" in page.text and "<script" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert client.describe_execution(executionArn=arn)["status"] == "RUNNING"
    forged = httpx.post(f"{http.base_url}{path}", data={"decision": "Approve", "csrf_token": "guess"})
    assert forged.status_code == 403  # no CSRF cookie: a POST from elsewhere decides nothing
    assert client.describe_execution(executionArn=arn)["status"] == "RUNNING"
    decided = post(http, path, decision="Approve", comment="Enjoy")
    assert decided.status_code == 200 and "is closed: Approve" in decided.text
    output = json.loads(finished(client, arn)["output"])
    assert output["Outcome"] == "Approve" and output["Comment"] == "Enjoy" and output["Channel"] == "LINK"
    assert output["DecidedBy"] == {"Id": "ann", "Name": "Ann Lead", "Email": "ann@example.com"}
    after = http.get(path)  # a second click changes nothing
    assert "no longer waiting" in after.text and "<form" not in after.text
    again = http.post(path, data={"csrf_token": http.cookies[portal.CSRF_COOKIE], "decision": "Deny"})
    assert again.status_code == 409 and "no longer waiting" in again.text
    assert json.loads(client.describe_execution(executionArn=arn)["output"])["Outcome"] == "Approve"


def test_the_email_offers_each_decision_as_a_link_that_only_preselects_it(sojourn):
    client, http = sojourn
    arn = start(client, {"Title": "Leave", "Assignees": ["ann"]})
    path = links(client, 1)["ann@example.com"]
    (message,) = client.list_mail()["messages"]
    mail = client.get_mail(messageId=message["messageId"])
    for name in ("Approve", "Deny"):
        assert f"{name}: http://tasks.example.com{path}?choose={name}" in mail["text"]
        assert f'href="http://tasks.example.com{path}?choose={name}"' in mail["html"]
    for _ in range(2):  # a scanner opening the Deny link decides nothing
        chosen = http.get(f"{path}?choose=Deny")
        assert http.head(f"{path}?choose=Deny").status_code == 200
    assert "You chose <strong>Deny</strong>" in chosen.text
    assert chosen.text.index('value="Deny"') < chosen.text.index(
        'value="Approve"'
    )  # Deny first, Approve kept
    assert "You chose" not in http.get(f"{path}?choose=<script>").text  # not a decision: nothing preselected
    assert client.describe_execution(executionArn=arn)["status"] == "RUNNING"
    decided = http.post(
        f"{path}?choose=Deny", data={"csrf_token": http.cookies[portal.CSRF_COOKIE], "decision": "Approve"}
    )  # the bearer changed their mind on the page: the page's button decides
    assert decided.status_code == 200
    assert json.loads(finished(client, arn)["output"])["Outcome"] == "Approve"


def test_two_of_three_must_approve_and_one_veto_ends_the_wait(sojourn):
    client, http = sojourn
    arguments = {
        "Title": "Expense",
        "Assignees": ["group:finance"],
        "Quorum": {"AtLeast": 2},
        "Requester": "bo",
    }
    arn = start(client, arguments)
    paths = links(client, 2)  # bo asked for it: only cy and dee are asked
    assert set(paths) == {"cy@example.com", "dee@example.com"}
    first = post(http, paths["cy@example.com"], decision="Approve")
    assert "waits for the other decisions" in first.text
    assert client.describe_execution(executionArn=arn)["status"] == "RUNNING"
    post(http, paths["dee@example.com"], decision="Approve")
    output = json.loads(finished(client, arn)["output"])
    assert output["Outcome"] == "Approve" and [d["Person"] for d in output["Decisions"]] == ["cy", "dee"]

    # a second task of the same machine: one rejection ends it at once
    machine = client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    vetoed = client.start_execution(stateMachineArn=machine)
    paths = links(client, 4)
    post(http, paths["cy@example.com"], decision="Deny", comment="Over budget")
    output = json.loads(finished(client, vetoed["executionArn"])["output"])
    assert output["Outcome"] == "Deny" and output["Comment"] == "Over budget"


def test_a_form_is_checked_on_the_server_and_a_required_comment_enforced(sojourn):
    client, http = sojourn
    arguments = {
        "Title": "Expense",
        "Assignees": ["ann"],
        "Decisions": [{"Name": "Approve"}, {"Name": "Reject", "Rejects": True, "RequiresComment": True}],
        "Form": {
            "type": "object",
            "properties": {"amount": {"type": "number", "minimum": 0}},
            "required": ["amount"],
        },
    }
    arn = start(client, arguments)
    path = links(client, 1)["ann@example.com"]
    wrong = post(http, path, decision="Approve", amount="-5")
    assert wrong.status_code == 400 and "Must be at least 0" in wrong.text and 'value="-5' in wrong.text
    bare = post(http, path, decision="Reject", amount="5")
    assert bare.status_code == 400 and "A comment is required" in bare.text
    assert client.describe_execution(executionArn=arn)["status"] == "RUNNING"
    post(http, path, decision="Approve", amount="1200.5")
    output = json.loads(finished(client, arn)["output"])
    assert output["Outcome"] == "Approve" and output["Form"] == {"amount": 1200.5}


def test_a_tampered_link_is_no_task_and_a_task_only_for_its_requester_fails_catchably(sojourn):
    client, http = sojourn
    arn = start(client, {"Title": "Mine", "Assignees": ["bo"], "Requester": "bo@example.com"})
    described = finished(client, arn)
    assert described["status"] == "FAILED" and described["error"] == "Sojourn.NoEligibleAssignee"
    assert http.get("/tasks/link/" + "a" * 43).status_code == 404
    assert http.get("/tasks/link/not-a-link").status_code == 404


def test_definitions_name_the_state_and_field_of_each_mistake(sojourn):
    client, _ = sojourn
    from sojourn import errors

    with pytest.raises(errors.InvalidDefinition) as raised:
        client.create_state_machine(
            name="bad",
            definition=definition({"Title": "t", "Assignees": ["a"], "Quorum": "MOST"}),
            roleArn=ROLE,
        )
    assert "/States/Ask/Arguments/Quorum" in str(raised.value)


def test_a_bad_webhook_is_refused_naming_its_state_and_field(sojourn):
    client, _ = sojourn
    from sojourn import errors

    webhooks = {"Webhooks": [{"Url": "ftp://hooks.example.com/x"}]}
    with pytest.raises(errors.InvalidDefinition, match=r"/States/Ask/Arguments/Notify/Webhooks/0/Url"):
        client.create_state_machine(
            name="later",
            definition=definition({"Title": "t", "Assignees": ["a"], "Notify": webhooks}),
            roleArn=ROLE,
        )
