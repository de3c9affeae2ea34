"""The console with the Leave Approval app, in a real browser (Chromium through Playwright).

A real `sojourn serve --app` with no SMTP host, as a newcomer runs it: every email is kept in the
development mailbox. Watch a request wait on its lead, approve it from the inbox, see the graph turn
green without reloading and the employee's email arrive in the mailbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from console.support import screenshot
from servers import ROOT, Server, serve

APP = ROOT / "examples" / "leave_approval" / "app.yaml"
DAY = (date.today() + timedelta(days=30)).isoformat()

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def app(tmp_path) -> Iterator[Server]:
    with serve(tmp_path, "--app", str(APP)) as server:
        yield server


def graph_state(page, name: str):
    return page.locator(f'svg [data-state="{name}"]')


def test_a_leave_request_is_approved_from_the_inbox_and_the_employee_is_told(app, page):
    answer = httpx.post(f"{app.url}/request_leave", json={"employeeId": "E002", "date": DAY}, timeout=30)
    assert answer.status_code == 200, answer.text
    execution = answer.json()["ref"]

    page.goto(f"{app.url}/console/executions/{quote(execution, safe='')}")
    expect(graph_state(page, "ProcessLeaveLambda")).to_have_class(re.compile("st-RUNNING"))
    expect(page.locator("#execution-status")).to_have_text("RUNNING")
    for unreached in ("RemindLead", "EscalateToNextLead", "ProcessLeadLeaveResponseLambda"):
        assert "st-" not in (graph_state(page, unreached).get_attribute("class") or ""), unreached
    waiting = page.locator(".waiting")  # whom it waits for (the call's answer names John) and since when
    expect(waiting).to_contain_text("Waiting for an answer at ProcessLeaveLambda since")
    expect(waiting.locator(".waiting-asked")).to_contain_text("to john.carpenter@example.com")
    expect(waiting.get_by_role("button")).to_have_text(["Approve", "Deny"])
    screenshot(page, "leave-execution-waiting")

    inbox = page.context.new_page()
    inbox.goto(f"{app.url}/console/inbox")
    task = inbox.locator("article.task", has=inbox.locator(f'a[href*="{quote(execution, safe="")}"]'))
    expect(task.locator("h2")).to_have_text("ProcessLeaveLambda")
    screenshot(inbox, "leave-inbox")
    task.get_by_role("button", name="Approve").click()
    inbox.wait_for_url("**/console/inbox?done=sent")
    expect(inbox.locator(".notice")).to_have_text("Answer sent: the execution goes on.")

    # The first tab was never reloaded: the live poll recolours it.
    expect(page.locator("#execution")).to_have_attribute("data-status", "SUCCEEDED")
    for name in ("ProcessLeaveLambda", "ProcessLeadLeaveResponseLambda"):
        expect(graph_state(page, name)).to_have_class(re.compile("st-SUCCEEDED"))
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    output = page.locator("#execution-output").inner_text()
    assert '"decision": "approved"' in output and '"console": "console"' in output
    screenshot(page, "leave-execution-approved")

    mailbox = page.context.new_page()
    mailbox.goto(f"{app.url}/console/mailbox")
    subject = f"Your leave request for {DAY} has been approved"
    row = mailbox.locator("tr", has_text=subject)
    expect(row).to_contain_text("jim.odell@example.com")
    screenshot(mailbox, "leave-mailbox")
    row.get_by_role("link", name=subject).click()
    expect(mailbox.locator("h1")).to_have_text(subject)
    expect(mailbox.frame_locator("iframe.mail-body").locator("body")).to_contain_text("Hello Jim O'Dell")
    screenshot(mailbox, "leave-mail-approved")
