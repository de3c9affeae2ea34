"""The expense approval's task page in a real browser (Chromium through Playwright): Fay on a phone (390 px)
and Gus on a desktop (1280 px) open their emailed links, adjust the amount in the form, comment, approve;
the employee's email says the approved amount. Real `sojourn serve`, real SMTP (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from approvals import body, task_link
from console.support import screenshot
from servers import ROOT, Server, serve

APP = ROOT / "examples" / "expense_approval" / "app.yaml"

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def app(smtp, tmp_path) -> Iterator[Server]:
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(APP), env=env) as server:
        yield server


def approve_in_a_browser(browser: Any, link: str, width: int, amount: str, comment: str) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Expense of 1,500.00 EUR from Erin Engineer")
    field = page.get_by_label("Approved amount (EUR)")
    expect(field).to_have_attribute("type", "number")
    expect(field).to_have_attribute("min", "0")
    expect(field).to_have_value("1500")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing overflows
    field.fill(amount)
    page.locator("#f-comment").fill(comment)
    screenshot(page, f"expense-task-{width}")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".done")).to_contain_text("Your decision, Approve, is recorded.")
    return context


def test_approvers_adjust_the_amount_on_a_phone_and_a_desktop_and_the_employee_hears_it(app, smtp, browser):
    answer = httpx.post(
        f"{app.url}/expenses",
        json={"employeeId": "erin", "amount": 1500, "description": "Flights to the conference"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    links = {
        who: task_link(smtp.to(f"{who}@example.com", "Expense of 1,500.00 EUR")) for who in ("fay", "gus")
    }
    phone = approve_in_a_browser(browser, links["fay"], 390, "1200", "Economy, please")
    desktop = approve_in_a_browser(browser, links["gus"], 1280, "1200", "Agreed")
    phone.close()
    desktop.close()
    told = body(smtp.to("erin@example.com", "Your expense of 1,500.00 EUR: approved"))
    assert "approved for 1,200.00 EUR by Fay Finance and Gus Finance." in told
    assert "Comment: Agreed" in told
