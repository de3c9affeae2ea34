"""The console in a real browser (Debian's Chromium through Playwright): watch, decide, see it go green."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from .support import approval_definition, deploy, screenshot, serving, wait_until, waiting_tasks

pytestmark = pytest.mark.browser


def state(page, name: str):
    return page.locator(f'svg [data-state="{name}"]')


def test_a_waiting_task_is_decided_from_the_inbox_and_the_graph_turns_green_without_reloading(
    client, base_url, page
):
    machine = deploy(client, approval_definition())
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps({"employee": "E002"}))[
        "executionArn"
    ]
    wait_until(lambda: waiting_tasks(client))

    page.goto(f"{base_url}/console/executions/{quote(execution, safe='')}")
    assert "st-RUNNING" in state(page, "Approve").get_attribute("class")
    assert "st-SUCCEEDED" in state(page, "Prepare").get_attribute("class")
    assert "st-" not in (state(page, "Approved").get_attribute("class") or "")
    state(page, "Approve").click()
    assert "In progress" in page.locator("#state-panel").inner_text()
    screenshot(page, "execution-waiting")

    inbox = page.context.new_page()
    inbox.goto(f"{base_url}/console/inbox")
    assert inbox.locator("article.task h2").inner_text() == "Approve"
    screenshot(inbox, "inbox")
    inbox.get_by_role("button", name="Approve").click()
    inbox.wait_for_url("**/console/inbox?done=sent")
    assert "Nothing is waiting" in inbox.inner_text("main")

    expect(page.locator("#execution")).to_have_attribute("data-status", "SUCCEEDED")
    for name in ("Prepare", "Approve", "Decide", "Approved"):
        assert "st-SUCCEEDED" in state(page, name).get_attribute("class"), name
    assert page.locator("#execution-status").inner_text() == "SUCCEEDED"
    assert page.locator("#history-rows tr", has_text="ExecutionSucceeded").count() == 1
    output = json.loads(page.locator("#execution-output").inner_text())
    assert output["answer"]["decision"] == "approved"
    assert output["answer"]["decidedBy"] == {"console": "console"}
    screenshot(page, "execution-succeeded")
    page.get_by_role("link", name="Timeline").click()
    expect(page.locator("#timeline .bar-row")).to_have_count(4)
    screenshot(page, "execution-timeline")


LEAVE_REQUEST = json.loads((Path(__file__).parent / "data" / "leave_request.json").read_text())


def test_starting_an_execution_checks_the_json_as_it_is_typed(client, base_url, page):
    machine = deploy(client, approval_definition())
    page.goto(f"{base_url}/console/state-machines/{quote(machine, safe='')}?tab=start")
    editor = page.locator("textarea[name=input]")
    editor.fill('{"employee": ')
    expect(page.locator(".json-status")).to_have_class(re.compile("fail"))
    page.get_by_role("button", name="Start execution").click()
    assert "/start" not in page.url and client.list_executions(stateMachineArn=machine)["executions"] == []
    editor.fill('{"employee": "E002"}')
    page.get_by_role("button", name="Format").click()
    assert editor.input_value() == '{\n  "employee": "E002"\n}'
    expect(page.locator(".json-status")).to_have_text("Valid JSON")
    screenshot(page, "start-execution")
    page.get_by_role("button", name="Start execution").click()
    expect(page.locator(".notice")).to_have_text("Execution started.")
    assert "/console/executions/" in page.url
    expect(page.locator('svg [data-state="Approve"]')).to_have_class(re.compile("st-RUNNING"))


def test_every_page_renders_in_the_browser_without_errors(client, base_url, page):
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    machine = deploy(client, LEAVE_REQUEST, name="leave-request")
    approval = deploy(client, approval_definition())
    client.start_execution(stateMachineArn=approval, input=json.dumps({"employee": "E002"}))
    wait_until(lambda: waiting_tasks(client))
    shots = {
        "state-machines": "/console/state-machines",
        "state-machine-graph": f"/console/state-machines/{quote(machine, safe='')}",
        "state-machine-definition-yaml": (
            f"/console/state-machines/{quote(machine, safe='')}?tab=definition&format=yaml"
        ),
        "executions": "/console/executions",
    }
    for name, path in shots.items():
        page.goto(base_url + path)
        screenshot(page, name)
    page.goto(f"{base_url}/console/state-machines/{quote(machine, safe='')}")
    page.get_by_role("button", name="Fit").click()
    assert page.locator("svg.graph").get_attribute("width") == "100%"
    assert page.locator("svg.graph g.node").count() == 33  # and 3 Parallel/Map groups: 36 states
    assert page.locator("svg.graph g.edge-catch").count() >= 10
    assert problems == []


def test_with_an_api_key_the_browser_signs_in_first(make_client, settings, page):
    keyed = settings.replace(api_key="s3cret-key")
    with serving(make_client(), keyed) as url:
        page.goto(f"{url}/console/inbox")
        expect(page.locator("h1")).to_have_text("Sign in")
        screenshot(page, "login")
        page.get_by_label("API key").fill("s3cret-key")
        page.get_by_label("Your name").fill("Ada")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("h1")).to_have_text("Inbox")
        assert "Ada" in page.locator("header.top").inner_text()
        assert all(
            cookie["value"].find("s3cret") < 0 and cookie["httpOnly"] for cookie in page.context.cookies()
        )
