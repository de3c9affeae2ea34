"""The console with the Leave Approval app, in a real browser (Chromium through Playwright).

A real `sojourn serve --app` with no SMTP host, as a newcomer runs it: every email is kept in the
development mailbox. Watch a request wait on its lead's human task, open the lead's email in the Mailbox,
decide on the engine's confirmation page, and see the graph turn green without reloading and the employee's
email, naming who decided, arrive in the mailbox.
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


def test_a_leave_request_waits_on_its_lead_is_approved_on_the_task_page_and_the_employee_is_told(app, page):
    answer = httpx.post(f"{app.url}/request_leave", json={"employeeId": "E002", "date": DAY}, timeout=30)
    assert answer.status_code == 200, answer.text
    execution = answer.json()["ref"]

    page.goto(f"{app.url}/console/executions/{quote(execution, safe='')}")
    expect(graph_state(page, "AskLead")).to_have_class(re.compile("st-RUNNING"))
    expect(graph_state(page, "WhoCanDecide")).to_have_class(re.compile("st-SUCCEEDED"))
    expect(page.locator("#execution-status")).to_have_text("RUNNING")
    for unreached in ("AskLeadThenTheirLead", "TellEmployee"):
        assert "st-" not in (graph_state(page, unreached).get_attribute("class") or ""), unreached
    expect(page.locator(".waiting")).to_contain_text("Waiting for an answer at AskLead since")
    screenshot(page, "leave-execution-waiting")

    mailbox = page.context.new_page()
    mailbox.goto(f"{app.url}/console/mailbox")
    subject = f"Leave Request from Jim O'Dell for {DAY}"
    expect(mailbox.locator("tr", has_text=subject)).to_contain_text("john.carpenter@example.com")
    mailbox.get_by_role("link", name=subject).click()
    mail = mailbox.frame_locator("iframe.mail-body")
    with mailbox.context.expect_page() as opened:
        mail.get_by_role("link", name="Open the task to decide").click()
    task = opened.value
    expect(task.locator("h1")).to_have_text(subject)
    screenshot(task, "leave-task-page")
    task.get_by_role("button", name="Approve").click()
    expect(task.locator(".done")).to_contain_text("Your decision, Approve, is recorded.")

    # The first tab was never reloaded: the live poll recolours it.
    expect(page.locator("#execution")).to_have_attribute("data-status", "SUCCEEDED")
    for name in ("AskLead", "TellEmployee"):
        expect(graph_state(page, name)).to_have_class(re.compile("st-SUCCEEDED"))
    output = page.locator("#execution-output").inner_text()
    assert '"decision": "approved"' in output and '"name": "John Carpenter"' in output
    screenshot(page, "leave-execution-approved")

    mailbox.goto(f"{app.url}/console/mailbox")
    told = f"Your leave request for {DAY} has been approved"
    row = mailbox.locator("tr", has_text=told)
    expect(row).to_contain_text("jim.odell@example.com")
    row.get_by_role("link", name=told).click()
    expect(mailbox.locator("h1")).to_have_text(told)
    body = mailbox.frame_locator("iframe.mail-body").locator("body")
    expect(body).to_contain_text("Hello Jim O'Dell")
    expect(body).to_contain_text("approved by John Carpenter")
    screenshot(mailbox, "leave-mail-approved")
