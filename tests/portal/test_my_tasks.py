"""The approver portal once signed in (issue 14): the open tasks asked of me in pages, the ones I decided
last, a task's page only for those asked (others are not found), deciding there (the execution resumes,
Channel PORTAL), handing my part on (my email's link stops), and the audit trail in words. Real SQLite
file, real HTTP, the real outbox; time on a virtual clock."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from humantask_support import (
    ROLE,
    Clock,
    ask_definition,
    csrf_of,
    mail,
    output,
    sign_in,
    sojourn_with_links,
    status,
)
from sojourn.client import Client
from sojourn.portal import mytasks

DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "ann@example.com"},
        "bo": {
            "name": "Bo Away",
            "email": "bo@example.com",
            "out_of_office": {"delegate": "cy", "from": "2020-01-01"},
        },
        "cy": {"name": "Cy Stand-in", "email": "cy@example.com"},
        "dee": {"name": "Dee Head", "email": "dee@example.com"},
        "req": {"name": "Rea Quester", "email": "req@example.com"},
    }
}
FORM = {
    "type": "object",
    "properties": {"amount": {"type": "number", "minimum": 0, "title": "Amount"}},
    "required": ["amount"],
}


@pytest.fixture
def sojourn(tmp_path) -> Any:
    clock = Clock()
    with sojourn_with_links(tmp_path, DIRECTORY, clock) as (client, http):
        yield client, http, clock


def ask(client: Client, clock: Clock, title: str, assignees: list[str], **more: Any) -> tuple[str, str]:
    """Start an execution whose human task asks `assignees`: (its execution's ARN, the task's id)."""
    clock.now += 60  # each task a minute younger than the last
    name = re.sub(r"\W", "-", title)
    arguments = {"Title": title, "Assignees": assignees, "Requester": "req", **more}
    made = client.create_state_machine(name=name, definition=ask_definition(arguments), roleArn=ROLE)
    arn = client.start_execution(stateMachineArn=made["stateMachineArn"], input="{}")["executionArn"]
    client.run_until_idle()
    task = client.list_human_tasks(stateMachineArn=made["stateMachineArn"])["humanTasks"][0]
    return str(arn), str(task["taskId"])


def titles(page: httpx.Response) -> list[str]:
    return re.findall(r'class="title" href="/tasks/ht-\w+">([^<]+)<', page.text)


def press(http: httpx.Client, task_id: str, action: str, **fields: str) -> httpx.Response:
    """Open the task's page and send one of its forms."""
    csrf = csrf_of(http.get(f"/tasks/{task_id}"))
    return http.post(f"/tasks/{task_id}/{action}", data={"csrf_token": csrf, **fields})


def test_my_tasks_are_the_open_ones_asked_of_me_newest_first_in_older_pages(sojourn, monkeypatch):
    client, http, clock = sojourn
    monkeypatch.setattr(mytasks, "PAGE_SIZE", 2)
    for n in range(3):
        ask(client, clock, f"Leave {n}", ["ann"], Expiry={"AfterSeconds": 86400})
    ask(client, clock, "Not mine", ["dee"])
    clock.now += 180
    sign_in(client, http, "ann@example.com")
    first = http.get("/tasks")
    assert titles(first) == ["Leave 2", "Leave 1"]
    assert "Asked by Rea Quester · asked 4 minutes ago · expires" in first.text
    older = re.search(r'href="(/tasks\?older=[^"]+)"', first.text)
    assert older is not None
    second = http.get(older.group(1).replace("&amp;", "&"))
    assert titles(second) == ["Leave 0"] and "Older tasks" not in second.text
    assert http.get("/tasks?older=bogus").status_code == 400


def test_the_tasks_i_decided_last_are_listed_apart(sojourn):
    client, http, clock = sojourn
    _, first = ask(client, clock, "Spend", ["ann"])
    _, second = ask(client, clock, "Hire", ["ann", "dee"], Quorum="ALL")
    sign_in(client, http, "ann@example.com")
    press(http, first, "decide", decision="Approve")
    press(http, second, "decide", decision="Approve")
    client.run_until_idle()
    page = http.get("/tasks")
    waiting, recent = page.text.split("Recently decided by me")
    assert titles(httpx.Response(200, text=waiting)) == ["Hire"]  # open still: dee has not decided
    assert "You chose Approve: waiting for the others." in waiting
    assert titles(httpx.Response(200, text=recent)) == ["Hire", "Spend"]
    assert "Decided: Approve" in recent


def test_a_task_not_asked_of_me_is_not_found_as_if_it_did_not_exist(sojourn):
    client, http, clock = sojourn
    arn, task = ask(client, clock, "For Dee", ["dee"])
    sign_in(client, http, "ann@example.com")
    theirs, absent = http.get(f"/tasks/{task}"), http.get("/tasks/ht-0000")
    assert theirs.status_code == absent.status_code == 404 and "For Dee" not in theirs.text
    csrf = csrf_of(http.get("/tasks"))
    for action in ("decide", "handon"):
        refused = http.post(
            f"/tasks/{task}/{action}", data={"csrf_token": csrf, "decision": "Approve", "to": "ann"}
        )
        assert refused.status_code == 404
    client.run_until_idle()
    assert status(client, arn) == "RUNNING"
    signed_out = httpx.Client(base_url=http.base_url)
    assert signed_out.get(f"/tasks/{task}").status_code == 303  # to the sign-in form


def test_deciding_in_the_portal_checks_the_form_and_resumes_the_execution_through_channel_portal(sojourn):
    client, http, clock = sojourn
    arn, task = ask(client, clock, "Expense", ["ann"], Form=FORM, Description="Train to Lyon")
    sign_in(client, http, "ann@example.com")
    page = http.get(f"/tasks/{task}")
    assert "Train to Lyon" in page.text and 'name="amount"' in page.text and "<script" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert http.post(f"/tasks/{task}/decide", data={"decision": "Approve", "amount": "3"}).status_code == 403
    wrong = press(http, task, "decide", decision="Approve", amount="-3")
    assert wrong.status_code == 400 and 'class="problem"' in wrong.text and 'value="-3' in wrong.text
    done = press(http, task, "decide", decision="Approve", amount="120", comment="Fine")
    assert done.status_code == 303 and done.headers["location"] == f"/tasks/{task}"
    client.run_until_idle()
    assert status(client, arn) == "SUCCEEDED"
    result = output(client, arn)
    assert result["Channel"] == "PORTAL" and result["Form"] == {"amount": 120} and result["Comment"] == "Fine"
    assert result["DecidedBy"]["Id"] == "ann"
    closed = http.get(f"/tasks/{task}")
    assert "Decided: Approve" in closed.text and 'name="decision"' not in closed.text
    assert "Decided by Ann Lead: Approve (in the portal)" in closed.text and "Fine" in closed.text
    assert press(http, task, "decide", decision="Deny").status_code == 409  # a closed task decides nothing


def test_handing_on_asks_someone_else_and_my_emails_link_stops(sojourn):
    client, http, clock = sojourn
    arn, task = ask(client, clock, "Budget", ["ann"])
    [(_, _, link)] = [m for m in mail(client) if m[0] == "ann@example.com"]
    sign_in(client, http, "ann@example.com")
    unknown = press(http, task, "handon", to="nobody-known")
    assert unknown.status_code == 400 and "not in the directory" in unknown.text
    handed = press(http, task, "handon", to="dee@example.com", reason="Dee owns budgets")
    assert handed.status_code == 303
    page = http.get(f"/tasks/{task}")
    assert "you no longer decide it" in page.text and 'name="decision"' not in page.text
    assert "Handed on by Ann Lead to Dee Head" in page.text and "Dee owns budgets" in page.text
    assert "reassigned" in http.get(link).text  # ann's email link no longer decides
    assert [m[1] for m in mail(client) if m[0] == "dee@example.com"] == ["Budget"]
    dee = httpx.Client(base_url=http.base_url)
    sign_in(client, dee, "dee@example.com")
    press(dee, task, "decide", decision="Approve")
    client.run_until_idle()
    assert output(client, arn)["DecidedBy"]["Id"] == "dee"


def test_the_audit_trail_reads_in_words_with_delegation(sojourn):
    client, http, clock = sojourn
    arn, task = ask(client, clock, "Holiday", ["bo"], Reminders=[60])
    clock.now += 61
    client.run_until_idle()
    sign_in(client, http, "cy@example.com")  # bo is away: cy decides for them
    page = http.get(f"/tasks/{task}")
    assert "you act for Bo Away" in page.text
    press(http, task, "decide", decision="Deny", comment="Not now")
    client.run_until_idle()
    trail = re.findall(r"<li>([^<]+)<span class=\"when\">", http.get(f"/tasks/{task}").text)
    assert trail == [
        "Created by Rea Quester",
        "Asked Cy Stand-in acting for Bo Away",
        "Emailed Cy Stand-in",
        "Reminded Cy Stand-in",
        "Decided by Cy Stand-in acting for Bo Away: Deny (in the portal)",
        "Closed: Deny",
    ]
    assert json.loads(client.describe_execution(executionArn=arn)["output"])["OnBehalfOf"]["Id"] == "bo"
