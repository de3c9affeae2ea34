"""The README's Quickstart walkthrough, word for word, in a real browser.

`make run` is `sojourn serve --app examples/leave_approval/app.yaml` with no SMTP host (the development
mailbox); here it is served on a free port, the only thing that differs from the README. Then the same
curl command, and the same clicks: the Mailbox, the link inside John's email (it opens in a new tab), the
task page's Approve button, the Mailbox again, the execution's green graph and its output.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from console.support import screenshot
from servers import ROOT, Server, serve

APP = ROOT / "examples" / "leave_approval" / "app.yaml"
README_URL = "http://127.0.0.1:8080"
# The README's command, as printed (continuation lines joined by the shell).
CURL = """curl -s -X POST http://127.0.0.1:8080/request_leave \\
     -H 'Content-Type: application/json' \\
     -d '{"employeeId": "E002", "date": "2030-11-01"}'"""

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def app(tmp_path) -> Iterator[Server]:
    with serve(tmp_path, "--app", str(APP)) as server:
        yield server


def open_from_nav(page, name: str, until) -> None:
    """Click the console's `name` tab, again (as a person reloads) until `until` (a locator) shows up."""
    for _ in range(50):
        page.locator("header.top nav").get_by_role("link", name=name).click()
        if until.count():
            return
        page.wait_for_timeout(200)
    expect(until).to_be_visible()


def test_the_readme_walkthrough_reaches_approved_in_the_employees_mailbox(app, page):
    answer = subprocess.run(
        CURL.replace(README_URL, app.url), shell=True, capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stderr
    submitted = json.loads(answer.stdout)
    assert submitted["status"] == "Leave request submitted"
    assert submitted["ref"].startswith(
        "arn:aws:states:us-east-1:123456789012:execution:EmployeeLeaveWorkflow:"
    )

    page.goto(f"{app.url}/console")

    # 1. Mailbox: John's email with the link to the task.
    request_subject = "Leave Request from Jim O'Dell for 2030-11-01"
    open_from_nav(page, "Mailbox", page.get_by_role("link", name=request_subject))
    expect(page.locator("tr", has_text=request_subject)).to_contain_text("john.carpenter@example.com")
    screenshot(page, "readme-1-mailbox")
    page.get_by_role("link", name=request_subject).click()
    mail = page.frame_locator("iframe.mail-body")
    expect(mail.get_by_role("link", name="Open the task to decide")).to_be_visible()
    screenshot(page, "readme-1-lead-email")

    # 2. The link opens the task's page (opening it decides nothing): press Approve.
    with page.context.expect_page() as opened:
        mail.get_by_role("link", name="Open the task to decide").click()
    task = opened.value
    expect(task.locator("h1")).to_have_text(request_subject)
    expect(task.get_by_role("button", name="Approve")).to_be_visible()
    expect(task.get_by_role("button", name="Deny")).to_be_visible()
    screenshot(task, "readme-2-task")
    task.get_by_role("button", name="Approve").click()
    expect(task.locator(".done")).to_contain_text("Your decision, Approve, is recorded.")
    screenshot(task, "readme-2-approved")

    # 3. Mailbox again: Jim's email, naming who decided.
    answer_subject = "Your leave request for 2030-11-01 has been approved"
    open_from_nav(page, "Mailbox", page.get_by_role("link", name=answer_subject))
    expect(page.locator("tr", has_text=answer_subject)).to_contain_text("jim.odell@example.com")
    page.get_by_role("link", name=answer_subject).click()
    expect(page.frame_locator("iframe.mail-body").locator("body")).to_contain_text(
        "Your leave request for 2030-11-01 has been approved by John Carpenter."
    )
    screenshot(page, "readme-3-mailbox")

    # 4. Executions: the graph is green; the output records the decision, who took it and when.
    open_from_nav(page, "Executions", page.get_by_role("link", name=submitted["ref"].split(":")[-1]))
    screenshot(page, "readme-4-executions")
    page.get_by_role("link", name=submitted["ref"].split(":")[-1]).click()
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    for name in ("AskLead", "TellEmployee"):
        expect(page.locator(f'svg [data-state="{name}"]')).to_have_class(re.compile("st-SUCCEEDED"))
    output = json.loads(page.locator("#execution-output").inner_text())
    assert output["decision"] == "approved"
    assert output["decidedBy"] == {"employeeId": "E001", "name": "John Carpenter"}
    assert re.fullmatch(r"2\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", output["decidedAt"])
    screenshot(page, "readme-4-execution")


def test_the_walkthrough_above_is_the_one_the_readme_prints():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert CURL in readme
    assert (
        "make run    # creates .venv, installs Sojourn, "
        "serves the Leave Approval app and the console on :8080" in readme
    )
    for wording in (
        "Leave Request from Jim O'Dell for 2030-11-01",
        "Open the task to decide",
        "Your leave request for 2030-11-01 has been approved by John Carpenter",
        f"{README_URL}/console",
    ):
        assert wording in readme, wording
