"""The Leave Approval System end to end: real `sojourn serve --app`, real HTTP, real SMTP (aiosmtpd).

The lead decides through the engine's human task: the link in the email the lead received, its confirmation
page, its button. Reminders, escalation and expiry are the human task's, their delays shortened through the
app's environment (LEAVE_*_AFTER_SECONDS).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from approvals import body, decide, scan_every_link, task_link
from servers import ROOT, serve

APP = ROOT / "examples" / "leave_approval" / "app.yaml"
JOHN, JIM, JANE = "john.carpenter@example.com", "jim.odell@example.com", "jane.cook@example.com"
ADA = "ada.boss@example.com"
DAY = (date.today() + timedelta(days=30)).isoformat()

pytestmark = pytest.mark.slow


def wait_status(sfn, arn: str, wanted: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] == wanted:
            return described
        time.sleep(0.1)
    raise AssertionError(f"{arn} is {described['status']}, not {wanted}")


def smtp_env(smtp, **extra: str) -> dict[str, str]:
    return {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port), **extra}


@pytest.fixture
def app(smtp, tmp_path):
    with serve(tmp_path, "--app", str(APP), env=smtp_env(smtp)) as server:
        yield server


def request(server, body, *, raw: str | None = None) -> httpx.Response:
    if raw is not None:
        return httpx.post(
            server.url + "/request_leave",
            content=raw,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    return httpx.post(server.url + "/request_leave", json=body, timeout=30)


def test_the_lead_approves_from_the_emailed_link_and_the_employee_hears_who_decided(app, smtp):
    answer = request(app, {"employeeId": "E002", "date": DAY})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "Leave request submitted"
    arn = answer.json()["ref"]
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:execution:EmployeeLeaveWorkflow:")

    link = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
    assert link.startswith(f"{app.url}/tasks/link/")
    page = httpx.get(link, timeout=30)
    assert page.status_code == 200
    assert "Jim O&#39;Dell (E002) asks for leave on" in page.text
    assert ">Approve</button>" in page.text and ">Deny</button>" in page.text
    assert scan_every_link(smtp) >= 1  # a link scanner opens (GET, HEAD) every link: nothing is decided
    time.sleep(0.5)
    sfn = app.client()
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

    decided = decide(link, "Approve", comment="Enjoy the day")
    assert decided.status_code == 200 and "is recorded" in decided.text, decided.text
    told = smtp.to(JIM, f"Your leave request for {DAY} has been approved")
    assert f"Your leave request for {DAY} has been approved by John Carpenter." in body(told)
    assert "Their comment: Enjoy the day" in body(told)
    output = json.loads(wait_status(sfn, arn, "SUCCEEDED")["output"])
    assert output["decision"] == "approved"
    assert output["decidedBy"] == {"employeeId": "E001", "name": "John Carpenter"}
    assert re.fullmatch(r"2\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", output["decidedAt"])

    again = decide(link, "Deny")  # a second click changes nothing
    assert "<form" not in again.text and "(your decision: Approve)" in again.text, again.text
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"])["decision"] == "approved"
    assert len([m for m in smtp.messages if JIM in str(m["To"])]) == 1


def test_the_lead_denies_and_the_employee_is_told(app, smtp):
    arn = request(app, {"employeeId": "E003", "date": DAY}).json()["ref"]
    link = task_link(smtp.to(JOHN, f"Leave Request from Jane Cook for {DAY}"))
    assert decide(link, "Deny").status_code == 200
    told = smtp.to(JANE, f"Your leave request for {DAY} has been denied")
    assert "denied by John Carpenter" in body(told)
    assert json.loads(wait_status(app.client(), arn, "SUCCEEDED")["output"])["decision"] == "denied"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"employeeId": "E999", "date": DAY}, 404),
        ({"employeeId": "E002", "date": "01/11/2020"}, 400),
        ({"employeeId": "E002", "date": "2021-02-30"}, 400),
        ({"employeeId": "E002", "date": (date.today() - timedelta(days=1)).isoformat()}, 422),
        ({"employeeId": "E001", "date": DAY}, 422),
        ({"date": DAY}, 400),
        (["E002", DAY], 400),
    ],
)
def test_bad_requests_are_refused_and_start_nothing(app, body, status):
    answer = request(app, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["message"]
    assert executions_of(app) == []


def test_malformed_json_and_duplicates_are_refused(app, smtp):
    assert request(app, None, raw="{not json").status_code == 400
    first = request(app, {"employeeId": "E002", "date": DAY})
    assert first.status_code == 200
    duplicate = request(app, {"employeeId": "E002", "date": DAY})
    assert duplicate.status_code == 409
    assert "already pending" in duplicate.json()["message"]


def test_a_stopped_request_says_so_on_its_link_and_decides_nothing(app, smtp):
    arn = request(app, {"employeeId": "E002", "date": DAY}).json()["ref"]
    link = task_link(smtp.to(JOHN, "Leave Request from Jim O'Dell"))
    app.client().stop_execution(executionArn=arn, error="Withdrawn", cause="the employee withdrew it")
    page = httpx.get(link, timeout=30)
    assert "<form" not in page.text, page.text
    assert "<form" not in decide(link, "Approve").text
    assert app.client().describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_the_leads_first_link_still_decides_after_a_reminder(smtp, tmp_path):
    env = smtp_env(smtp, LEAVE_REMIND_AFTER_SECONDS="1", LEAVE_ESCALATE_AFTER_SECONDS="600")
    with serve(tmp_path, "--app", str(APP), env=env) as server:
        arn = request(server, {"employeeId": "E002", "date": DAY}).json()["ref"]
        first = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
        reminder = smtp.to(JOHN, f"Reminder: Leave Request from Jim O'Dell for {DAY}")
        assert task_link(reminder) != first
        # each email's task link, its Approve and Deny links, and the portal's: a scanner opens all 7
        assert scan_every_link(smtp) == 7
        assert server.client().describe_execution(executionArn=arn)["status"] == "RUNNING"
        assert decide(first, "Approve").status_code == 200
        assert "approved by John Carpenter" in body(smtp.to(JIM, "has been approved"))
        assert json.loads(wait_status(server.client(), arn, "SUCCEEDED")["output"])["decision"] == "approved"
        assert "<form" not in httpx.get(task_link(reminder), timeout=30).text  # decided: no button left


def test_nobody_decides_so_a_reminder_goes_out_then_the_request_expires_and_the_employee_is_told(
    smtp, tmp_path
):
    env = smtp_env(smtp, LEAVE_REMIND_AFTER_SECONDS="1", LEAVE_ESCALATE_AFTER_SECONDS="1")
    with serve(tmp_path, "--app", str(APP), env=env) as server:
        arn = request(server, {"employeeId": "E002", "date": DAY}).json()["ref"]
        first = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
        smtp.to(JOHN, f"Reminder: Leave Request from Jim O'Dell for {DAY}")
        # John has no lead of his own: the request expires (Leave.Expired, caught) and Jim is told.
        told = smtp.to(JIM, f"Your leave request for {DAY} has expired", timeout=60)
        assert "expired without a decision." in body(told)
        output = json.loads(wait_status(server.client(), arn, "SUCCEEDED", timeout=60)["output"])
        assert (output["decision"], output["decidedBy"]) == ("expired", None)
        events = server.client().get_execution_history(executionArn=arn, maxResults=1000)["events"]
        failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
        assert [f["error"] for f in failed] == ["Leave.Expired"]
        assert "<form" not in decide(first, "Approve").text


def copied_app(tmp_path, edit=None) -> Path:
    """A copy of the app's folder, its directory changed by `edit(people)`; its app.yaml."""
    folder = tmp_path / "leave_approval"
    shutil.copytree(APP.parent, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if edit is not None:
        path = folder / "data" / "employees.json"
        directory = json.loads(path.read_text())
        edit(directory["people"])
        path.write_text(json.dumps(directory))
    return folder / "app.yaml"


def ada_above_john(people: dict) -> None:
    people["E000"] = {"name": "Ada Boss", "email": ADA}
    people["E001"]["manager"] = "E000"


def test_an_undecided_request_escalates_to_the_leads_lead_who_decides(smtp, tmp_path):
    manifest = copied_app(tmp_path, ada_above_john)
    env = smtp_env(
        smtp,
        LEAVE_REMIND_AFTER_SECONDS="1",
        LEAVE_ESCALATE_AFTER_SECONDS="1",
        LEAVE_EXPIRE_AFTER_SECONDS="600",
    )
    with serve(tmp_path, "--app", str(manifest), env=env) as server:
        arn = request(server, {"employeeId": "E002", "date": DAY}).json()["ref"]
        first = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
        smtp.to(JOHN, f"Reminder: Leave Request from Jim O'Dell for {DAY}")
        escalated = task_link(smtp.to(ADA, f"Leave Request from Jim O'Dell for {DAY}"))
        scan_every_link(smtp)  # the request, the reminder, the escalation: a scanner opens them all
        assert server.client().describe_execution(executionArn=arn)["status"] == "RUNNING"
        assert "<form" in httpx.get(first, timeout=30).text  # John is still asked too (ADD)
        assert decide(escalated, "Deny").status_code == 200
        assert "denied by Ada Boss." in body(smtp.to(JIM, f"Your leave request for {DAY} has been denied"))
        output = json.loads(wait_status(server.client(), arn, "SUCCEEDED")["output"])
        assert (output["decision"], output["decidedBy"]["name"]) == ("denied", "Ada Boss")


def test_a_delegate_decides_for_a_lead_out_of_office_and_the_email_says_so(smtp, tmp_path):
    def john_away(people: dict) -> None:
        people["E000"] = {"name": "Ada Boss", "email": ADA}
        away = {"delegate": "E000", "from": date.today().isoformat(), "until": DAY}
        people["E001"]["out_of_office"] = away

    with serve(tmp_path, "--app", str(copied_app(tmp_path, john_away)), env=smtp_env(smtp)) as server:
        arn = request(server, {"employeeId": "E002", "date": DAY}).json()["ref"]
        link = task_link(smtp.to(ADA, f"Leave Request from Jim O'Dell for {DAY}"))
        assert "acting for E001" in httpx.get(link, timeout=30).text  # the page names him by id
        assert decide(link, "Approve").status_code == 200
        told = smtp.to(JIM, f"Your leave request for {DAY} has been approved")
        assert "approved by Ada Boss acting for John Carpenter." in body(told)
        output = json.loads(wait_status(server.client(), arn, "SUCCEEDED")["output"])
        assert output["decidedBy"] == {
            "employeeId": "E000",
            "name": "Ada Boss",
            "actingFor": "John Carpenter",
        }
        assert not any(JOHN in str(m["To"]) for m in smtp.messages)


def test_the_employee_cannot_decide_their_own_request(smtp, tmp_path):
    def jim_leads_himself(people: dict) -> None:  # Jim is also in charge of approving... himself
        people["E002"]["manager"] = "E002"

    with serve(tmp_path, "--app", str(copied_app(tmp_path, jim_leads_himself)), env=smtp_env(smtp)) as server:
        arn = request(server, {"employeeId": "E002", "date": DAY}).json()["ref"]
        failed = wait_status(server.client(), arn, "FAILED")
        assert failed["error"] == "Sojourn.NoEligibleAssignee"
        assert not any(JIM in str(m["To"]) for m in smtp.messages)


def test_the_classic_two_state_definition_still_runs_unchanged(app, smtp):
    sfn = app.client()
    machine = next(
        m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "ClassicLeaveWorkflow"
    )
    classic = json.loads((APP.parent / "classic_definition.json").read_text())
    deployed = json.loads(
        sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
    )
    assert deployed["States"].keys() == classic["States"].keys()
    arn = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps({"employeeId": "E002", "date": DAY})
    )["executionArn"]
    mail = smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}")
    approve = re.search(r'<a href="([^"]+)">Approve</a>', mail.get_body(("html",)).get_content()).group(1)
    approve = approve.replace("&amp;", "&")
    assert "Approve Jim O" in httpx.get(approve, timeout=30).text  # GET decides nothing
    time.sleep(0.3)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    assert httpx.post(approve, timeout=30).status_code == 200
    told = smtp.to(JIM, f"Your leave request for {DAY} has been approved")
    assert "approved." in body(told)
    assert json.loads(wait_status(sfn, arn, "SUCCEEDED")["output"])["Payload"]["decision"] == "approved"
    assert httpx.post(approve, timeout=30).status_code == 410  # a second click: the task is no longer waiting


API_KEY = "e2e-api-key"


def test_with_an_api_key_set_a_request_is_emailed_approved_and_the_employee_told(smtp, tmp_path):
    with serve(tmp_path, "--app", str(APP), env=smtp_env(smtp, SOJOURN_API_KEY=API_KEY)) as server:
        answer = request(server, {"employeeId": "E002", "date": DAY})
        assert answer.status_code == 200, answer.text
        link = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
        assert decide(link, "Approve").status_code == 200
        smtp.to(JIM, f"Your leave request for {DAY} has been approved")
        output = json.loads(wait_status(server.client(), answer.json()["ref"], "SUCCEEDED")["output"])
        assert (output["decision"], output["decidedBy"]["name"]) == ("approved", "John Carpenter")
        assert API_KEY not in server.logs()


def test_a_request_that_cannot_reach_sojourn_says_try_again_and_starts_nothing(smtp, tmp_path):
    manifest = copied_app(tmp_path)
    spec = yaml.safe_load(manifest.read_text())
    spec["functions"]["requestLeave"]["environment"]["AWS_ACCESS_KEY_ID"] = "not-the-key"
    manifest.write_text(yaml.safe_dump(spec))
    with serve(tmp_path, "--app", str(manifest), env=smtp_env(smtp, SOJOURN_API_KEY=API_KEY)) as server:
        refused = request(server, {"employeeId": "E003", "date": DAY})
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "ServiceUnavailable" and "try again" in refused.json()["message"]
        assert refused.headers["Retry-After"] == "30"
        assert executions_of(server) == []


def executions_of(server) -> list[str]:
    """The ARNs of every execution of the app's workflow, newest first."""
    machine = next(
        m
        for m in server.client().list_state_machines()["stateMachines"]
        if m["name"] == "EmployeeLeaveWorkflow"
    )
    return [
        e["executionArn"]
        for e in server.client().list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    ]


def test_a_fresh_database_forgets_the_requests_it_no_longer_has(smtp, tmp_path):
    with serve(tmp_path, "--app", str(APP), env=smtp_env(smtp)) as first:
        assert request(first, {"employeeId": "E002", "date": DAY}).status_code == 200
    # The same data folder, a new engine database (a fresh --db, a deleted sojourn.db):
    # the old request is gone.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    with serve(tmp_path, "--app", str(APP), env=smtp_env(smtp), db_url=fresh) as second:
        again = request(second, {"employeeId": "E002", "date": DAY})
        assert again.status_code == 200, again.text
        link = task_link(smtp.wait_for(lambda m: JOHN in str(m["To"]) and second.url in body(m)))
        assert decide(link, "Approve").status_code == 200
        smtp.to(JIM, "has been approved")


def test_servers_on_one_postgresql_database_agree_on_the_requests(smtp, tmp_path, postgres_store_url):
    database = postgres_store_url()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serve(tmp_path / "a", "--app", str(APP), env=smtp_env(smtp), db_url=database) as a,
        serve(tmp_path / "b", "--app", str(APP), env=smtp_env(smtp), db_url=database) as b,
    ):
        assert request(a, {"employeeId": "E002", "date": DAY}).status_code == 200
        duplicate = request(b, {"employeeId": "E002", "date": DAY})
        assert duplicate.status_code == 409 and "already pending" in duplicate.json()["message"]
        link = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
        on_b = b.url + "/tasks/link/" + link.split("/tasks/link/")[1]  # the link, served by b
        assert decide(on_b, "Approve").status_code == 200
        smtp.to(JIM, f"Your leave request for {DAY} has been approved")
        assert request(a, {"employeeId": "E002", "date": DAY}).json()["error"] == "AlreadyApproved"


def test_an_approved_day_is_not_asked_again_and_a_denied_day_may_be(app, smtp):
    jim = request(app, {"employeeId": "E002", "date": DAY}).json()["ref"]
    assert decide(task_link(smtp.to(JOHN, "Leave Request from Jim O'Dell")), "Approve").status_code == 200
    wait_status(app.client(), jim, "SUCCEEDED")
    again = request(app, {"employeeId": "E002", "date": DAY})
    assert again.status_code == 409, again.text
    assert again.json() == {
        "error": "AlreadyApproved",
        "message": f"Jim O'Dell's leave on {DAY} is already approved",
    }

    jane = request(app, {"employeeId": "E003", "date": DAY}).json()["ref"]
    first = task_link(smtp.to(JOHN, "Leave Request from Jane Cook"))
    assert decide(first, "Deny").status_code == 200
    wait_status(app.client(), jane, "SUCCEEDED")
    asked_again = request(app, {"employeeId": "E003", "date": DAY})
    assert asked_again.status_code == 200, asked_again.text
    second = task_link(
        smtp.wait_for(lambda m: "Leave Request from Jane Cook" in str(m["Subject"]) and task_link(m) != first)
    )
    assert decide(second, "Approve").status_code == 200
    assert "<form" not in httpx.get(first, timeout=30).text  # the first email's task is closed
    assert sorted(executions_of(app)) == sorted([jim, jane, asked_again.json()["ref"]])


def test_on_every_interface_without_a_public_url_it_warns_and_links_to_the_loopback_address(smtp, tmp_path):
    env = smtp_env(smtp, SOJOURN_API_KEY=API_KEY)
    with serve(tmp_path, "--app", str(APP), "--host", "0.0.0.0", env=env) as server:
        warnings = [line for line in server.logs().splitlines() if "SOJOURN_PUBLIC_BASE_URL" in line]
        assert len(warnings) == 1 and "0.0.0.0" in warnings[0] and server.url in warnings[0], server.logs()
        assert request(server, {"employeeId": "E002", "date": DAY}).status_code == 200
        link = task_link(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))
        assert link.startswith(f"{server.url}/tasks/link/")  # http://127.0.0.1:<port>, never 0.0.0.0
        assert decide(link, "Approve").status_code == 200
