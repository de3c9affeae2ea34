"""The console's human tasks (Sojourn's own, issue 14) over real HTTP: the list (OPEN by default, by status,
older pages), one task with its people and audit trail, Reassign and Cancel behind CSRF and the sign-in, an
execution's own tasks on its page, user text escaped; and the pages in Chromium at 1280 px and 390 px."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from humantask_support import ROLE, ask_definition
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.console import humantasks
from sojourn.directory import Directory
from sojourn.integrations.base import Facilities

from .support import serving
from .test_responsive import DESKTOP, PHONE, check_fits, sized_page

DIRECTORY = {
    "people": {
        "ann": {"name": "Ann <Lead>", "email": "ann@example.com"},
        "bob": {"name": "Bob Finance", "email": "bob@example.com"},
        "cy": {"name": "Cy Finance", "email": "cy@example.com"},
    },
    "groups": {"finance": ["bob", "cy"]},
}
HOSTILE = "<script>alert(1)</script> & leave"
API_KEY = "console-tasks-key"


@dataclass
class Site:
    client: Client
    url: str
    keyed_url: str
    machine: str

    def start(self, title: str) -> tuple[str, str]:
        """Start an execution asking `title` of ann; (its ARN, its human task's id)."""
        arn = self.client.start_execution(stateMachineArn=self.machine, input=json.dumps({"title": title}))[
            "executionArn"
        ]
        self.client.run_until_idle()
        (task,) = self.client.list_human_tasks(executionArn=arn)["humanTasks"]
        return arn, task["taskId"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("console-tasks")
    settings = Settings(db_url=f"sqlite:///{folder}/sojourn.db", data_dir=str(folder))
    facilities = Facilities(settings=settings, directory=Directory.from_mapping(DIRECTORY))
    client = Client(settings=settings, facilities=facilities, start=False)
    definition = ask_definition(
        {
            "Title": "{% $states.input.title %}",
            "Description": "Ten days in <b>June</b>\nback on the 20th",
            "Assignees": ["ann"],
            "Reminders": [3600],
            "Expiry": {"AfterSeconds": 86400},
        }
    )
    machine = client.create_state_machine(name="console-leave", definition=definition, roleArn=ROLE)
    try:
        with (
            serving(client, settings) as url,
            serving(client, settings.replace(api_key=API_KEY)) as keyed_url,
        ):
            yield Site(client, url, keyed_url, machine["stateMachineArn"])
    finally:
        client.close()


@pytest.fixture
def http(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10) as session:
        yield session


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def task_path(task_id: str) -> str:
    return f"/console/human-tasks/{quote(task_id, safe='')}"


def test_the_list_shows_open_tasks_by_default_escaped_with_their_people_and_pages_older(
    site, http, monkeypatch
):
    _, hostile = site.start(HOSTILE)
    _, closed = site.start("Decided already")
    site.client.decide_human_task(taskId=closed, assignee="ann", decision="Approve")
    site.client.run_until_idle()
    _, newest = site.start("Newest leave")
    page = http.get("/console/human-tasks")
    assert page.status_code == 200 and 'href="/console/human-tasks" class="active"' in page.text
    assert HOSTILE not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; leave" in page.text
    assert "Ann &lt;Lead&gt;" in page.text and "ASKED" in page.text
    assert f'data-task="{hostile}"' in page.text and f'data-task="{closed}"' not in page.text
    assert page.text.index(newest) < page.text.index(hostile)  # newest first
    decided = http.get("/console/human-tasks", params={"status": "DECIDED"})
    assert f'data-task="{closed}"' in decided.text and f'data-task="{hostile}"' not in decided.text
    everything = http.get("/console/human-tasks", params={"status": "ALL"})
    assert all(f'data-task="{t}"' in everything.text for t in (hostile, closed, newest))
    monkeypatch.setattr(humantasks, "PAGE", 1)
    first = http.get("/console/human-tasks")
    older = re.search(r'href="(/console/human-tasks\?[^"]*next=[^"]+)" rel="next">Older tasks', first.text)
    assert older and f'data-task="{newest}"' in first.text
    second = http.get(older.group(1).replace("&amp;", "&"))
    assert f'data-task="{hostile}"' in second.text and f'data-task="{newest}"' not in second.text


def test_a_task_s_page_shows_its_description_people_timers_and_audit_trail(site, http):
    arn, task = site.start("Leave with details")
    page = http.get(task_path(task))
    assert page.status_code == 200
    assert "Ten days in &lt;b&gt;June&lt;/b&gt;" in page.text and "<b>June</b>" not in page.text
    assert 'data-person="ann"' in page.text and "ann@example.com" in page.text
    assert 'data-event="CREATED"' in page.text and 'data-event="NOTIFIED"' in page.text
    assert "Expires (UTC)" in page.text and "never" not in page.text.split("Expires (UTC)")[1][:80]
    assert f"/console/executions/{quote(arn, safe='')}" in page.text
    assert http.get("/console/human-tasks/ht-nothing").status_code == 404


def test_the_execution_page_lists_its_human_tasks(site, http):
    arn, task = site.start("Leave on the execution page")
    page = http.get(f"/console/executions/{quote(arn, safe='')}")
    assert page.status_code == 200
    section = page.text.split('id="human-tasks"')[1].split("</section>")[0]
    assert f'data-task="{task}"' in section and "Leave on the execution page" in section
    assert "OPEN" in section and "Ann &lt;Lead&gt;" in section and "ASKED" in section
    reminder = site.client.describe_human_task(taskId=task)["nextTimerDate"]
    assert reminder.strftime("%Y-%m-%d %H:%M:%S") in section  # the reminder is the next timer


def test_reassign_and_cancel_post_with_the_csrf_token_and_are_audited(site, http):
    arn, task = site.start("Leave to hand on")
    page = http.get(task_path(task))
    refused = http.post(f"{task_path(task)}/reassign", data={"to": "bob"})
    assert refused.status_code == 403
    moved = http.post(
        f"{task_path(task)}/reassign",
        data={"csrf_token": csrf(page), "to": "group:finance", "from": "ann", "reason": "Ann <away>"},
    )
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=reassigned")
    after = http.get(moved.headers["location"])
    assert "Task reassigned" in after.text and 'data-event="REASSIGNED"' in after.text
    assert "Ann &lt;away&gt;" in after.text
    people = {a["id"]: a["status"] for a in site.client.describe_human_task(taskId=task)["assignees"]}
    assert people == {"ann": "REMOVED", "bob": "ASKED", "cy": "ASKED"}
    unknown = http.post(f"{task_path(task)}/reassign", data={"csrf_token": csrf(page), "to": "nobody"})
    assert unknown.status_code == 400 and 'role="alert"' in unknown.text
    cancelled = http.post(f"{task_path(task)}/cancel", data={"csrf_token": csrf(page), "reason": "withdrawn"})
    assert cancelled.status_code == 303 and cancelled.headers["location"].endswith("?done=cancelled")
    site.client.run_until_idle()
    output = json.loads(site.client.describe_execution(executionArn=arn)["output"])
    assert output == {"Error": "Sojourn.HumanTaskCancelled", "Cause": "withdrawn"}
    closed = http.get(task_path(task))
    assert "Cancel task" not in closed.text and "Reassign</button>" not in closed.text
    again = http.post(f"{task_path(task)}/cancel", data={"csrf_token": csrf(page)})
    assert again.status_code == 409 and "already cancelled" in again.text


def test_with_an_api_key_the_pages_and_actions_need_the_sign_in(site):
    _, task = site.start("Leave behind the key")
    with httpx.Client(base_url=site.keyed_url, timeout=10) as http:
        listed = http.get("/console/human-tasks")
        assert listed.status_code == 303 and listed.headers["location"].startswith("/console/login")
        assert http.post(f"{task_path(task)}/cancel", data={}).status_code == 401
        login = http.get("/console/login")
        http.post("/console/login", data={"csrf_token": csrf(login), "key": API_KEY, "name": "Ada"})
        page = http.get(task_path(task))
        assert page.status_code == 200
        done = http.post(f"{task_path(task)}/cancel", data={"csrf_token": csrf(page)})
        assert done.status_code == 303
    assert site.client.describe_human_task(taskId=task)["status"] == "CANCELLED"


@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_human_task_pages_fit_the_screen_in_chromium(browser, site, width):
    _, task = site.start("A leave request with a rather long title that has to wrap on a phone " * 2)
    with sized_page(browser, width) as page:
        for name, path in (("human-tasks", "/console/human-tasks"), ("human-task", task_path(task))):
            page.goto(site.url + path)
            page.locator("h1").wait_for()
            check_fits(page, name, width)
        page.get_by_text("Reassign", exact=True).first.wait_for()
        page.fill("input[name=to]", "bob")
        page.get_by_role("button", name="Reassign").click()
        page.locator("p.notice", has_text="Task reassigned").wait_for()
    assert {a["id"] for a in site.client.describe_human_task(taskId=task)["assignees"]} == {"ann", "bob"}
