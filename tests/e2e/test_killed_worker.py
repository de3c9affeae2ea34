"""A worker killed with SIGKILL while leave requests wait on their leads loses no task and no decision, and
sends no decision email twice (issue 14): real `sojourn serve` and `sojourn worker` subprocesses on one
database (a SQLite file, PostgreSQL), real HTTP, real SMTP (aiosmtpd).

The server (`--workers 0`) answers the routes and the links; the worker runs the executions, the functions
and the mail. Three requests open three tasks; one is decided and the worker killed at once, before or while
its resumption and email run; a second is decided while no worker runs; then a new worker starts and the
third is decided. Each employee is emailed their decision exactly once. The same with a lone `sojourn serve`
(API and workers in one process) killed and started again on the SQLite file.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from datetime import date, timedelta

import httpx
import pytest

from approvals import decide, task_link
from servers import ROOT, serve, wait_for_status, worker

APP = ROOT / "examples" / "leave_approval" / "app.yaml"
DAY, NEXT_DAY = ((date.today() + timedelta(days=n)).isoformat() for n in (30, 31))
REQUESTS = [("E002", DAY, "jim.odell@example.com"), ("E003", DAY, "jane.cook@example.com")]
REQUESTS.append(("E002", NEXT_DAY, "jim.odell@example.com"))

pytestmark = pytest.mark.slow


def open_requests(url: str, smtp) -> list[tuple[str, str]]:
    """Start the three requests; (execution ARN, the path of the lead's link) of each."""
    opened = []
    for employee, day, _ in REQUESTS:
        answer = httpx.post(f"{url}/request_leave", json={"employeeId": employee, "date": day}, timeout=30)
        assert answer.status_code == 200, answer.text
        name = {"E002": "Jim O'Dell", "E003": "Jane Cook"}[employee]
        link = task_link(smtp.to("john.carpenter@example.com", f"Leave Request from {name} for {day}"))
        opened.append((answer.json()["ref"], "/tasks/link/" + link.split("/tasks/link/")[1]))
    return opened


def decisions_emailed(smtp) -> Counter[tuple[str, str]]:
    """(to, subject) of every distinct decision email received, counted. Distinct by Message-ID: SMTP
    delivery is at least once (a process killed after the server accepted a message, before it recorded
    SENT, sends it again with the same Message-ID, which mail systems collapse), while a second decision
    would be a second message, with an id of its own."""
    with smtp.lock:
        seen = {
            (str(m["To"]), str(m["Subject"]), str(m["Message-ID"]))
            for m in smtp.messages
            if "Your leave" in m["Subject"]
        }
    return Counter((to, subject) for to, subject, _ in seen)


def assert_each_told_once(smtp, sfn, opened) -> None:
    for (employee, day, email), (arn, _) in zip(REQUESTS, opened, strict=True):
        smtp.to(email, f"Your leave request for {day} has been approved")
        output = json.loads(wait_for_status(sfn, arn, "SUCCEEDED", timeout=60)["output"])
        assert (output["employeeId"], output["decision"]) == (employee, "approved")
    time.sleep(2)  # time for a duplicate to show up, if the restart sent any
    expected = {(email, f"Your leave request for {day} has been approved") for _, day, email in REQUESTS}
    assert decisions_emailed(smtp) == Counter({told: 1 for told in expected})


def test_a_worker_killed_while_tasks_are_open_loses_no_task_or_decision_and_emails_each_decision_once(
    smtp, tmp_path, store_url
):
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(APP), "--workers", "0", db_url=store_url, env=env) as server:
        with worker(tmp_path, store_url, "--app", str(APP), env=env) as first:
            opened = open_requests(server.url, smtp)
            assert decide(server.url + opened[0][1], "Approve").status_code == 200
            first.stop(signal.SIGKILL)
        assert decide(server.url + opened[1][1], "Approve").status_code == 200  # no worker runs now
        with worker(tmp_path, store_url, "--app", str(APP), env=env):
            page = httpx.get(server.url + opened[2][1], timeout=30)
            assert "<form" in page.text  # the third task is still open, its link still works
            assert decide(server.url + opened[2][1], "Approve").status_code == 200
            assert_each_told_once(smtp, server.client(), opened)


def test_a_server_killed_while_tasks_are_open_decides_each_after_its_restart_and_emails_each_once(
    smtp, tmp_path
):
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(APP), env=env) as before:
        opened = open_requests(before.url, smtp)
        assert decide(before.url + opened[0][1], "Approve").status_code == 200
        before.stop(signal.SIGKILL)
    with serve(tmp_path, "--app", str(APP), env=env) as after:  # the same SQLite file
        for _, path in opened[1:]:
            assert decide(after.url + path, "Approve").status_code == 200
        assert_each_told_once(smtp, after.client(), opened)
