"""The approvers' pages in Chromium at a desktop's width (1280 px) and a phone's (390 px): signing in by the
emailed link, my tasks, a task's page with a form, decided there, and a task's link page. Behaviour, not
looks: what a person needs is visible, buttons work without JavaScript, nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from humantask_support import ROLE, Clock, ask_definition, mail, output, sign_in_paths, sojourn_with_links

pytestmark = pytest.mark.browser

DIRECTORY = {
    "people": {
        "ann": {"name": "Ann Lead", "email": "ann@example.com"},
        "req": {"name": "Rea Quester", "email": "req@example.com"},
    }
}
LONG = "an-unbroken-reference-" * 8  # nothing to break at: the page must wrap it, not scroll
FORM = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "minimum": 0, "title": "Amount"},
        "cost_centre": {"type": "string", "enum": ["Sales", "Research"], "title": "Cost centre"},
        "urgent": {"type": "boolean", "title": "Urgent"},
    },
    "required": ["amount"],
}


@pytest.fixture
def sojourn(tmp_path) -> Any:
    clock = Clock()
    with sojourn_with_links(tmp_path, DIRECTORY, clock) as (client, http):
        made = client.create_state_machine(
            name="expense",
            definition=ask_definition(
                {
                    "Title": "Expense " + LONG,
                    "Description": "Train to Lyon, ref " + LONG,
                    "Assignees": ["ann"],
                    "Requester": "req",
                    "Form": FORM,
                    "Expiry": {"AfterSeconds": 86400},
                }
            ),
            roleArn=ROLE,
        )
        arn = client.start_execution(stateMachineArn=made["stateMachineArn"], input="{}")["executionArn"]
        client.run_until_idle()
        yield client, str(http.base_url), arn


def fits(page: Any) -> None:
    """Nothing on the page makes it scroll sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def sign_in(page: Any, client: Any, base: str) -> None:
    page.goto(base + "/tasks")
    fits(page)
    page.get_by_label("Your email address").fill("ann@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_text("If this address may sign in, a link is on its way.").wait_for()
    fits(page)
    page.goto(base + sign_in_paths(client, "ann@example.com")[0])
    button = page.get_by_role("button", name="Sign in as Ann Lead")
    assert button.is_visible()
    fits(page)
    button.click()
    page.get_by_role("heading", name="Waiting for me").wait_for()


def test_signing_in_shows_my_tasks(page, sojourn):
    client, base, _ = sojourn
    sign_in(page, client, base)
    assert page.get_by_text("Signed in as Ann Lead").is_visible()
    task = page.get_by_role("link", name="Expense " + LONG)
    assert task.is_visible()
    assert page.get_by_text("Asked by Rea Quester").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    fits(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Email me a sign-in link").wait_for()


def test_a_task_with_a_form_is_decided_on_its_page(page, sojourn):
    client, base, arn = sojourn
    sign_in(page, client, base)
    page.get_by_role("link", name="Expense " + LONG).click()
    page.get_by_role("heading", name="Expense " + LONG).wait_for()
    for visible in ("Train to Lyon", "What happened", "Created by Rea Quester", "Hand on to someone else"):
        assert page.get_by_text(visible).first.is_visible(), visible
    fits(page)
    page.get_by_label("Amount").fill("120")
    page.get_by_label("Cost centre").select_option("Research")
    page.get_by_label("Urgent").check()
    page.get_by_label("Comment").fill("Fine by me")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Decided: Approve").wait_for()
    assert page.get_by_role("button", name="Approve").count() == 0
    fits(page)
    client.run_until_idle()
    result = output(client, arn)
    assert result["Channel"] == "PORTAL"
    assert result["Form"] == {"amount": 120, "cost_centre": "Research", "urgent": True}


def test_the_link_page_decides_from_the_email(page, sojourn):
    client, base, arn = sojourn
    [(_, _, link)] = mail(client)
    page.goto(base + link)
    assert page.get_by_role("heading", name="Expense " + LONG).is_visible()
    assert page.get_by_role("button", name="Deny").is_visible()
    fits(page)
    page.get_by_label("Amount").fill("5")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Your decision, Approve, is recorded.").wait_for()
    fits(page)
    client.run_until_idle()
    assert output(client, arn)["Channel"] == "LINK"
