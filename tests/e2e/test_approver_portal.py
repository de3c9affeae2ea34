"""The approver portal end to end (issue 14): the expense app of test_human_task_app under `sojourn serve
--app`, real SMTP (aiosmtpd). The task's email links to the portal; an approver asks for a sign-in link there,
gets it by mail, signs in, finds the task among theirs and decides it, after another decided by their email's
link; the execution resumes with Channel PORTAL."""

from __future__ import annotations

import json
import re
import time

import httpx

from humantask_support import csrf_of
from servers import serve

from .test_human_task_app import APP, DEFINITION


def test_an_approver_signs_in_by_mail_and_decides_in_the_portal(tmp_path, smtp):
    (tmp_path / "app.yaml").write_text(APP)
    (tmp_path / "definition.json").write_text(json.dumps(DEFINITION))
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(tmp_path / "app.yaml"), env=env) as server, httpx.Client() as browser:
        started = browser.post(f"{server.url}/expense", json={"who": "bo", "amount": 80, "reason": "Taxi"})
        arn = started.json()["executionArn"]
        emails = {who: smtp.to(f"{who}@example.com", "Expense of 80 EUR") for who in ("cy", "dee")}
        texts = {who: message.get_body(("plain",)).get_content() for who, message in emails.items()}
        cy_link = re.search(r"(http://\S+/tasks/link/\S+)", texts["cy"])
        assert cy_link is not None
        with httpx.Client() as cy:
            page = cy.get(cy_link.group(1))
            cy.post(cy_link.group(1), data={"csrf_token": csrf_of(page), "decision": "Approve"})

        portal = re.search(r"All the tasks asked of you: (\S+)", texts["dee"])
        assert portal is not None and portal.group(1) == f"{server.url}/tasks"
        form = browser.get(portal.group(1))
        assert form.status_code == 200 and 'name="email"' in form.text
        asked = browser.post(portal.group(1), data={"csrf_token": csrf_of(form), "email": "dee@example.com"})
        assert "a link is on its way" in asked.text
        mail = smtp.to("dee@example.com", "sign-in link").get_body(("plain",)).get_content()
        link = re.search(r"(http://\S+/tasks/signin/\S+)", mail)
        assert link is not None
        shown = browser.get(link.group(1))
        assert "Sign in as Dee Finance" in shown.text
        assert browser.post(link.group(1), data={"csrf_token": csrf_of(shown)}).status_code == 303

        mine = browser.get(f"{server.url}/tasks")
        task = re.search(r'href="(/tasks/ht-\w+)">Expense of 80 EUR by bo<', mine.text)
        assert task is not None, mine.text
        page = browser.get(server.url + task.group(1))
        assert "Decided by Cy Finance: Approve (through the email&#39;s link)" in page.text
        decided = browser.post(
            f"{server.url}{task.group(1)}/decide", data={"csrf_token": csrf_of(page), "decision": "Approve"}
        )
        assert decided.status_code == 303
        sfn = server.client()
        deadline = time.monotonic() + 20
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert described["status"] == "SUCCEEDED"
        output = json.loads(described["output"])
        assert output["Channel"] == "PORTAL" and output["DecidedBy"]["Id"] == "dee"
