"""The expense approval app end to end: real `sojourn serve --app examples/expense_approval/app.yaml`, real
HTTP, real SMTP (aiosmtpd), from the request to the employee's final email. Over 1000, two of the three
finance approvers decide (a Deny vetoes); Hal is away and Ivy decides for him; under it, the manager."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from approvals import body, decide, scan_every_link, task_link
from servers import ROOT, serve, wait_for_status
from sojourn import errors
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.integrations.base import Facilities
from sojourn.manifest import load_manifest

APP = ROOT / "examples" / "expense_approval" / "app.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture
def app(smtp, tmp_path):
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(APP), env=env) as server:
        yield server


def submit(server, **expense) -> str:
    answer = httpx.post(f"{server.url}/expenses", json=expense, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "Expense submitted"
    return str(answer.json()["ref"])


def asked(smtp, who: str, subject: str = "Expense of") -> str:
    return task_link(smtp.to(f"{who}@example.com", subject))


def test_two_of_three_finance_approvers_approve_and_the_delegate_decides_for_the_one_away(app, smtp):
    arn = submit(app, employeeId="erin", amount=1500, description="Flights <to> the conference")
    links = {
        who: asked(smtp, who, "Expense of 1,500.00 EUR from Erin Engineer") for who in ("fay", "gus", "ivy")
    }
    assert "Flights &lt;to&gt; the conference" in httpx.get(links["fay"], timeout=30).text
    assert "acting for hal" in httpx.get(links["ivy"], timeout=30).text
    assert scan_every_link(smtp) >= 3  # a link scanner opens every link: nothing is decided
    time.sleep(0.5)
    assert not any("hal@example.com" in str(m["To"]) for m in smtp.messages)  # away: Ivy is asked instead
    sfn = app.client()
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

    refused = decide(links["fay"], "Approve", amount="-5")
    assert refused.status_code == 400 and "at least 0" in refused.text  # the form is checked on the server
    first = decide(links["fay"], "Approve", amount="1400", comment="Economy class")
    assert "waits for the other decisions" in first.text, first.text
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    second = decide(links["ivy"], "Approve", amount="1400", comment="Agreed with Fay")
    assert "The task is closed: Approve" in second.text, second.text

    told = body(smtp.to("erin@example.com", "Your expense of 1,500.00 EUR: approved"))
    assert (
        "Your expense of 1,500.00 EUR for Flights <to> the conference was approved for 1,400.00 EUR by "
        "Fay Finance and Ivy Controller acting for Hal Finance." in told
    )
    assert "Comment: Agreed with Fay" in told
    record = json.loads(wait_for_status(sfn, arn, "SUCCEEDED")["output"])
    assert record["approvedAmount"] == 1400 and record["requestedAmount"] == 1500
    assert record["decidedBy"] == ["Fay Finance", "Ivy Controller acting for Hal Finance"]
    assert "<form" not in httpx.get(links["gus"], timeout=30).text  # the task is closed for Gus too


def test_one_finance_deny_vetoes_a_large_expense(app, smtp):
    arn = submit(app, employeeId="erin", amount=2500, description="A new laptop")
    links = {who: asked(smtp, who) for who in ("fay", "gus", "ivy")}
    assert "waits for the other decisions" in decide(links["fay"], "Approve").text
    vetoed = decide(links["gus"], "Deny", comment="Laptops come from IT")
    assert "The task is closed: Deny" in vetoed.text, vetoed.text
    told = body(smtp.to("erin@example.com", "Your expense of 2,500.00 EUR: denied"))
    assert "was denied by Gus Finance." in told and "Comment: Laptops come from IT" in told
    record = json.loads(wait_for_status(app.client(), arn, "SUCCEEDED")["output"])
    assert (record["outcome"], record["approvedAmount"]) == ("Deny", 0)
    assert "<form" not in httpx.get(links["ivy"], timeout=30).text


def test_a_small_expense_is_decided_by_the_employees_manager(app, smtp):
    arn = submit(app, employeeId="erin", amount=80, description="Taxi")
    link = asked(smtp, "mo", "Expense of 80.00 EUR from Erin Engineer")
    assert decide(link, "Approve", amount="75.5").status_code == 200
    told = body(smtp.to("erin@example.com", "Your expense of 80.00 EUR: approved"))
    assert "approved for 75.50 EUR by Mo Manager." in told
    assert json.loads(wait_for_status(app.client(), arn, "SUCCEEDED")["output"])["approvedAmount"] == 75.5
    assert not any(m["To"] and "finance" in str(m["To"]) for m in smtp.messages)
    assert {str(m["To"]) for m in smtp.messages} == {"mo@example.com", "erin@example.com"}


def test_a_finance_approver_is_refused_when_approving_their_own_expense(app, smtp, tmp_path):
    arn = submit(app, employeeId="fay", amount=3000, description="Team dinner")
    links = {who: asked(smtp, who) for who in ("gus", "ivy")}
    time.sleep(0.5)
    assert not any("fay@example.com" in str(m["To"]) for m in smtp.messages)  # she is not asked
    # The same database, as an operator's tool sees it: deciding or taking the task as Fay is refused.
    settings = Settings(db_url=app.db_url)
    facilities = Facilities(settings=settings, directory=load_manifest(APP).directory)
    operator = Client(settings=settings, facilities=facilities, start=False)
    try:
        (task,) = operator.list_human_tasks()["humanTasks"]
        with pytest.raises(errors.DecisionRefused):
            operator.decide_human_task(taskId=task["taskId"], assignee="fay", decision="Approve")
        with pytest.raises(errors.DecisionRefused, match="asked for this task"):
            operator.reassign_human_task(taskId=task["taskId"], assignees=["fay"])
    finally:
        operator.close()
    assert app.client().describe_execution(executionArn=arn)["status"] == "RUNNING"
    for who in ("gus", "ivy"):
        decide(links[who], "Approve")
    told = body(smtp.to("fay@example.com", "Your expense of 3,000.00 EUR: approved"))
    assert "by Gus Finance and Ivy Controller acting for Hal Finance." in told


@pytest.mark.parametrize(
    ("expense", "status", "error"),
    [
        ({"employeeId": "zed", "amount": 10, "description": "x"}, 404, "UnknownEmployee"),
        ({"employeeId": "erin", "amount": -1, "description": "x"}, 400, "BadRequest"),
        ({"employeeId": "erin", "amount": "10", "description": "x"}, 400, "BadRequest"),
        ({"employeeId": "erin", "amount": 10}, 400, "BadRequest"),
        ({"employeeId": "mo", "amount": 10, "description": "x"}, 422, "InvalidRequest"),
        ([1, 2], 400, "BadRequest"),
    ],
)
def test_an_expense_that_cannot_be_approved_is_refused_and_starts_nothing(app, expense, status, error):
    answer = httpx.post(f"{app.url}/expenses", json=expense, timeout=30)
    assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text
    machine = app.client().list_state_machines()["stateMachines"][0]["stateMachineArn"]
    assert app.client().list_executions(stateMachineArn=machine)["executions"] == []
