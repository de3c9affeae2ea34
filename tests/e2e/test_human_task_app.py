"""A human-task app end to end (issue 14): `sojourn serve --app` with people and groups in its manifest, a
route that starts an expense approval, real SMTP (aiosmtpd), the links clicked over real HTTP. Two of the
finance group must approve; the requester is not asked; a link scanner opening every link decides nothing;
the requester's final email names who decided."""

from __future__ import annotations

import json
import re
import time

import httpx

from servers import serve

APP = """
name: expenses
people:
  bo:  {name: Bo Requester, email: bo@example.com, groups: [finance]}
  cy:  {name: Cy Finance, email: cy@example.com, groups: [finance]}
  dee: {name: Dee Finance, email: dee@example.com, groups: [finance]}
state_machines:
  ExpenseApproval:
    definition: definition.json
routes:
  - {method: POST, path: /expense, state_machine: ExpenseApproval}
"""
DEFINITION = {
    "QueryLanguage": "JSONata",
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sojourn:humanTask.waitForTaskToken",
            "Arguments": {
                "Title": "{% 'Expense of ' & $string($states.input.amount) & ' EUR by ' & "
                "$states.input.who %}",
                "Description": "{% $states.input.reason %}",
                "Assignees": ["group:finance"],
                "Quorum": {"AtLeast": 2},
                "Requester": "{% $states.input.who %}",
            },
            "Assign": {"decision": "{% $states.result %}"},
            "Next": "Tell",
        },
        "Tell": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sojourn:email.send",
            "Arguments": {
                "To": ["bo@example.com"],
                "Subject": "{% 'Your expense: ' & $decision.Outcome %}",
                "Text": "{% 'Decided by ' & $decision.DecidedBy.Name & ' with ' & "
                "$string($count($decision.Decisions)) & ' decisions' %}",
            },
            "Output": "{% $decision %}",
            "End": True,
        },
    },
}


def test_an_expense_needs_two_finance_approvals_and_the_requester_hears_who_decided(tmp_path, smtp):
    (tmp_path / "app.yaml").write_text(APP)
    (tmp_path / "definition.json").write_text(json.dumps(DEFINITION))
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(tmp_path / "app.yaml"), env=env) as server, httpx.Client() as http:
        started = http.post(
            f"{server.url}/expense",
            json={"who": "bo", "amount": 1200, "reason": "Flights <to> the conference"},
        )
        assert started.status_code == 200, started.text
        arn = started.json()["executionArn"]
        invitations = {
            who: smtp.to(f"{who}@example.com", "Expense of 1200 EUR by bo") for who in ("cy", "dee")
        }
        links = {}
        for who, message in invitations.items():
            text = message.get_body(("plain",)).get_content()
            links[who] = re.search(r"(http://\S+/tasks/link/\S+)", text).group(1)
            assert "&lt;to&gt;" in message.get_body(("html",)).get_content()  # the requester's text escaped
        time.sleep(0.5)
        assert not any("bo@example.com" in str(m["To"]) for m in smtp.messages)  # the requester is not asked
        for link in links.values():  # a link scanner follows every link of every email
            assert http.get(link).status_code == 200 and http.head(link).status_code == 200
        sfn = server.client()
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

        for who in ("cy", "dee"):
            with httpx.Client() as browser:  # each approver in a browser of their own
                page = browser.get(links[who])
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                decided = browser.post(links[who], data={"csrf_token": csrf, "decision": "Approve"})
                assert decided.status_code == 200, decided.text

        told = smtp.to("bo@example.com", "Your expense: Approve")
        assert "Decided by Dee Finance with 2 decisions" in told.get_body(("plain",)).get_content()
        deadline = time.monotonic() + 20  # the mail may leave before the execution's last commit
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"])["DecidedBy"]["Email"] == "dee@example.com"
