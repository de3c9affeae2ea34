"""The console in a real browser (Debian's Chromium through Playwright): watch, decide, see it go green."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from .support import approval_definition, deploy, screenshot, wait_until, waiting_tasks

pytestmark = pytest.mark.browser


def state(page, name: str):
    return page.locator(f'svg [data-state="{name}"]')


def test_a_waiting_task_is_decided_from_the_inbox_and_the_graph_turns_green_without_reloading(client, base_url, page):
    machine = deploy(client, approval_definition())
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps({"employee": "E002"}))["executionArn"]
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
