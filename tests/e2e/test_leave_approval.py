"""The Leave Approval System end to end: real `sojourn serve --app`, real HTTP, real SMTP (aiosmtpd).

Every decision is taken through the links in the emails the lead actually received.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
import yaml

from servers import ROOT, serve

APP = ROOT / "examples" / "leave_approval" / "app.yaml"
JOHN, JIM, JANE = "john.carpenter@example.com", "jim.odell@example.com", "jane.cook@example.com"
DAY = (date.today() + timedelta(days=30)).isoformat()

pytestmark = pytest.mark.slow


def links(message) -> dict[str, str]:
    """The Approve and Deny links of a lead's email, from its HTML part."""
    body = message.get_body(preferencelist=("html",)).get_content()
    found = {
        unescape(text): unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)">(Approve|Deny)</a>', body)
    }
    assert set(found) == {"Approve", "Deny"}, body
    return found


def wait_status(sfn, arn: str, wanted: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] == wanted:
            return described
        time.sleep(0.1)
    raise AssertionError(f"{arn} is {described['status']}, not {wanted}")


def history_types(sfn, arn: str) -> list[str]:
    return [event["type"] for event in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]


@pytest.fixture
def app(smtp, tmp_path):
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(APP), env=env) as server:
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


def test_approve_from_the_emailed_link(app, smtp):
    answer = request(app, {"employeeId": "E002", "date": DAY})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "Leave request submitted"
    arn = answer.json()["ref"]
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:execution:EmployeeLeaveWorkflow:")

    mail = smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}")
    approve = links(mail)["Approve"]
    assert approve.startswith(f"{app.url}/leave_lead_response/E002/{DAY}/approved/")

    sfn = app.client()
    page = httpx.get(approve, timeout=30)  # what a link scanner does
    assert page.status_code == 200
    assert (
        f"Approve Jim O&#x27;Dell&#x27;s leave on {DAY}?" in page.text
        or f"Approve Jim O'Dell's leave on {DAY}?" in page.text
    )
    time.sleep(0.5)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"

    decided = httpx.post(approve, timeout=30)
    assert decided.status_code == 200 and "approved" in decided.text
    smtp.to(JIM, f"Your leave request for {DAY} has been approved")
    done = wait_status(sfn, arn, "SUCCEEDED")
    output = json.loads(done["output"])
    assert output["decision"] == "approved"
    assert output["decidedBy"] == {"employeeId": "E001", "name": "John Carpenter"}
    assert output["decidedAt"]

    types = history_types(sfn, arn)
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    for expected in (
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
    ):
        assert expected in types

    replay = httpx.post(approve, timeout=30)  # a second click changes nothing
    assert "already" in replay.text.lower() and "approved" in replay.text
    other = httpx.post(links(mail)["Deny"], timeout=30)
    assert "already" in other.text.lower()
    assert json.loads(sfn.describe_execution(executionArn=arn)["output"])["decision"] == "approved"


def test_deny_from_the_emailed_link(app, smtp):
    arn = request(app, {"employeeId": "E003", "date": DAY}).json()["ref"]
    deny = links(smtp.to(JOHN, f"Leave Request from Jane Cook for {DAY}"))["Deny"]
    assert "Deny Jane Cook" in httpx.get(deny, timeout=30).text
    assert httpx.post(deny, timeout=30).status_code == 200
    smtp.to(JANE, f"Your leave request for {DAY} has been denied")
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
    machine = next(
        m for m in app.client().list_state_machines()["stateMachines"] if m["name"] == "EmployeeLeaveWorkflow"
    )
    assert app.client().list_executions(stateMachineArn=machine["stateMachineArn"])["executions"] == []


def test_malformed_json_and_duplicates_are_refused(app, smtp):
    assert request(app, None, raw="{not json").status_code == 400
    first = request(app, {"employeeId": "E002", "date": DAY})
    assert first.status_code == 200
    duplicate = request(app, {"employeeId": "E002", "date": DAY})
    assert duplicate.status_code == 409
    assert "already pending" in duplicate.json()["message"]


def test_a_stopped_request_says_so_on_its_link(app, smtp):
    arn = request(app, {"employeeId": "E002", "date": DAY}).json()["ref"]
    approve = links(smtp.to(JOHN, "Leave Request from Jim O'Dell"))["Approve"]
    app.client().stop_execution(executionArn=arn, error="Withdrawn", cause="the employee withdrew it")
    page = httpx.get(approve, timeout=30)
    assert page.status_code == 410 and "stopped" in page.text
    assert httpx.post(approve, timeout=30).status_code == 410


@pytest.fixture
def impatient_app(smtp, tmp_path):
    env = {
        "SOJOURN_SMTP_HOST": smtp.host,
        "SOJOURN_SMTP_PORT": str(smtp.port),
        "LEAVE_REMIND_AFTER_SECONDS": "1",
        "LEAVE_ESCALATE_AFTER_SECONDS": "1",
        "LEAVE_EXPIRE_AFTER_SECONDS": "1",
    }
    with serve(tmp_path, "--app", str(APP), env=env) as server:
        yield server


def test_reminder_then_expiry_when_nobody_decides(impatient_app, smtp):
    arn = request(impatient_app, {"employeeId": "E002", "date": DAY}).json()["ref"]
    first = links(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))["Approve"]
    smtp.to(JOHN, f"Reminder: Leave Request from Jim O'Dell for {DAY}")
    # John has no lead of his own: the request expires and Jim is told.
    smtp.to(JIM, f"Your leave request for {DAY} has expired", timeout=60)
    output = json.loads(wait_status(impatient_app.client(), arn, "SUCCEEDED", timeout=60)["output"])
    assert output["decision"] == "expired"
    types = history_types(impatient_app.client(), arn)
    assert "TaskTimedOut" in types
    assert httpx.get(first, timeout=30).status_code == 410


def copied_app(tmp_path) -> Path:
    """A copy of the app's folder to edit; its app.yaml."""
    folder = tmp_path / "leave_approval"
    shutil.copytree(APP.parent, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder / "app.yaml"


@pytest.fixture
def three_level_app(smtp, tmp_path):
    """The app copied with a directory where John Carpenter has a lead of his own, Ada Boss."""
    folder = copied_app(tmp_path).parent
    directory = json.loads((folder / "data" / "employees.json").read_text())
    directory["E000"] = {"name": "Ada Boss", "email": "ada.boss@example.com", "lead": None}
    directory["E001"]["lead"] = "E000"
    (folder / "data" / "employees.json").write_text(json.dumps(directory))
    env = {
        "SOJOURN_SMTP_HOST": smtp.host,
        "SOJOURN_SMTP_PORT": str(smtp.port),
        "LEAVE_REMIND_AFTER_SECONDS": "1",
        "LEAVE_ESCALATE_AFTER_SECONDS": "1",
        "LEAVE_EXPIRE_AFTER_SECONDS": "60",
    }
    with serve(tmp_path, "--app", str(folder / "app.yaml"), env=env) as server:
        yield server


def test_an_undecided_request_escalates_to_the_leads_lead_who_decides(three_level_app, smtp):
    arn = request(three_level_app, {"employeeId": "E002", "date": DAY}).json()["ref"]
    first = links(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))["Approve"]
    smtp.to(JOHN, f"Reminder: Leave Request from Jim O'Dell for {DAY}")
    escalated = links(smtp.to("ada.boss@example.com", f"Escalated: Leave Request from Jim O'Dell for {DAY}"))
    assert httpx.post(first, timeout=30).status_code == 410  # John's first link was replaced
    assert httpx.post(escalated["Deny"], timeout=30).status_code == 200
    smtp.to(JIM, f"Your leave request for {DAY} has been denied")
    output = json.loads(wait_status(three_level_app.client(), arn, "SUCCEEDED")["output"])
    assert (output["decision"], output["decidedBy"]["name"]) == ("denied", "Ada Boss")
    states = [
        e["stateEnteredEventDetails"]["name"]
        for e in three_level_app.client().get_execution_history(executionArn=arn, maxResults=1000)["events"]
        if e["type"] == "TaskStateEntered"
    ]
    assert states == [
        "ProcessLeaveLambda",
        "RemindLead",
        "EscalateToNextLead",
        "ProcessLeadLeaveResponseLambda",
    ]


API_KEY = "e2e-api-key"


@pytest.fixture
def keyed_app(smtp, tmp_path):
    """The app as the README says to expose it: SOJOURN_API_KEY set
    (the functions must still reach Sojourn)."""
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port), "SOJOURN_API_KEY": API_KEY}
    with serve(tmp_path, "--app", str(APP), env=env) as server:
        yield server


def test_with_an_api_key_set_a_request_is_emailed_approved_and_the_employee_told(keyed_app, smtp):
    answer = request(keyed_app, {"employeeId": "E002", "date": DAY})
    assert answer.status_code == 200, answer.text
    arn = answer.json()["ref"]
    approve = links(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))["Approve"]
    confirmation = httpx.get(approve, timeout=30)
    assert confirmation.status_code == 200, confirmation.text
    assert "Approve Jim O" in confirmation.text
    decided = httpx.post(approve, timeout=30)
    assert decided.status_code == 200, decided.text
    assert "You approved" in decided.text
    smtp.to(JIM, f"Your leave request for {DAY} has been approved")
    output = json.loads(wait_status(keyed_app.client(), arn, "SUCCEEDED")["output"])
    assert (output["decision"], output["decidedBy"]["name"]) == ("approved", "John Carpenter")
    assert API_KEY not in keyed_app.logs()


def with_function_key(manifest: Path, function: str, key: str | None) -> None:
    """Edit the copied app: `function` presents `key` to Sojourn
    instead of the credential Sojourn gives it."""
    spec = yaml.safe_load(manifest.read_text())
    for name, entry in spec["functions"].items():
        entry["environment"].pop("AWS_ACCESS_KEY_ID", None)
        if name == function and key is not None:
            entry["environment"]["AWS_ACCESS_KEY_ID"] = key
    manifest.write_text(yaml.safe_dump(spec))


def redeploy(server, manifest: Path) -> None:
    answer = httpx.post(
        server.url + "/sojourn/apps", json={"path": str(manifest)}, headers={"X-Api-Key": API_KEY}, timeout=60
    )
    assert answer.status_code == 200, answer.text


def test_a_function_that_cannot_reach_sojourn_says_try_again_and_its_link_keeps_working(smtp, tmp_path):
    manifest = copied_app(tmp_path)
    with_function_key(manifest, "submitLeadResponse", "not-the-key")
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port), "SOJOURN_API_KEY": API_KEY}
    with serve(tmp_path, "--app", str(manifest), env=env) as server:
        arn = request(server, {"employeeId": "E002", "date": DAY}).json()["ref"]
        approve = links(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))["Approve"]
        for answer in (httpx.get(approve, timeout=30), httpx.post(approve, timeout=30)):
            assert answer.status_code == 503 and "try again" in answer.text.lower(), answer.text
            assert "closed" not in answer.text.lower()
        assert server.client().describe_execution(executionArn=arn)["status"] == "RUNNING"

        with_function_key(
            manifest, "requestLeave", "not-the-key"
        )  # and submitLeadResponse reaches Sojourn again
        redeploy(server, manifest)
        assert "You approved" in httpx.post(approve, timeout=30).text  # the same link decides now
        smtp.to(JIM, f"Your leave request for {DAY} has been approved")
        refused = request(server, {"employeeId": "E003", "date": DAY})
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "ServiceUnavailable" and "try again" in refused.json()["message"]
        assert executions_of(server) == [arn]  # nothing was started for Jane


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
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    with serve(tmp_path, "--app", str(APP), env=env) as first:
        assert request(first, {"employeeId": "E002", "date": DAY}).status_code == 200
    # The same data folder, a new engine database (a fresh --db, a deleted sojourn.db):
    # the old request is gone.
    with serve(tmp_path, "--app", str(APP), env=env, db_url=f"sqlite:///{tmp_path / 'fresh.db'}") as second:
        again = request(second, {"employeeId": "E002", "date": DAY})
        assert again.status_code == 200, again.text
        approve = links(
            smtp.wait_for(lambda m: JOHN in str(m["To"]) and second.url in m.get_body().get_content())
        )
        assert httpx.post(approve["Approve"], timeout=30).status_code == 200


def test_servers_on_one_postgresql_database_agree_on_the_requests(smtp, tmp_path, postgres_store_url):
    database = postgres_store_url()
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serve(tmp_path / "a", "--app", str(APP), env=env, db_url=database) as a,
        serve(tmp_path / "b", "--app", str(APP), env=env, db_url=database) as b,
    ):
        assert request(a, {"employeeId": "E002", "date": DAY}).status_code == 200
        duplicate = request(b, {"employeeId": "E002", "date": DAY})
        assert duplicate.status_code == 409 and "already pending" in duplicate.json()["message"]
        approve = links(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))["Approve"]
        on_b = b.url + approve.removeprefix(
            approve.split("/leave_lead_response/")[0]
        )  # the link, served by b
        assert httpx.post(on_b, timeout=30).status_code == 200
        smtp.to(JIM, f"Your leave request for {DAY} has been approved")
        assert request(a, {"employeeId": "E002", "date": DAY}).json()["error"] == "AlreadyApproved"


def test_an_approved_day_is_not_asked_again_and_a_denied_day_may_be(app, smtp):
    jim = request(app, {"employeeId": "E002", "date": DAY}).json()["ref"]
    assert (
        httpx.post(links(smtp.to(JOHN, "Leave Request from Jim O'Dell"))["Approve"], timeout=30).status_code
        == 200
    )
    wait_status(app.client(), jim, "SUCCEEDED")
    again = request(app, {"employeeId": "E002", "date": DAY})
    assert again.status_code == 409, again.text
    assert again.json() == {
        "error": "AlreadyApproved",
        "message": f"Jim O'Dell's leave on {DAY} is already approved",
    }

    jane = request(app, {"employeeId": "E003", "date": DAY}).json()["ref"]
    first = links(smtp.to(JOHN, "Leave Request from Jane Cook"))
    assert httpx.post(first["Deny"], timeout=30).status_code == 200
    wait_status(app.client(), jane, "SUCCEEDED")
    asked_again = request(app, {"employeeId": "E003", "date": DAY})
    assert asked_again.status_code == 200, asked_again.text
    second = links(
        smtp.wait_for(
            lambda m: (
                "Leave Request from Jane Cook" in str(m["Subject"])
                and links(m)["Approve"] != first["Approve"]
            )
        )
    )
    assert httpx.post(second["Approve"], timeout=30).status_code == 200
    assert (
        "already" in httpx.post(first["Approve"], timeout=30).text.lower()
    )  # the first email keeps its answer
    assert sorted(executions_of(app)) == sorted(
        [jim, jane, asked_again.json()["ref"]]
    )  # Jim's refusal started nothing


def test_on_every_interface_without_a_public_url_it_warns_and_links_to_the_loopback_address(smtp, tmp_path):
    env = {"SOJOURN_SMTP_HOST": smtp.host, "SOJOURN_SMTP_PORT": str(smtp.port), "SOJOURN_API_KEY": API_KEY}
    with serve(tmp_path, "--app", str(APP), "--host", "0.0.0.0", env=env) as server:
        warnings = [line for line in server.logs().splitlines() if "SOJOURN_PUBLIC_BASE_URL" in line]
        assert len(warnings) == 1 and "0.0.0.0" in warnings[0] and server.url in warnings[0], server.logs()
        assert request(server, {"employeeId": "E002", "date": DAY}).status_code == 200
        approve = links(smtp.to(JOHN, f"Leave Request from Jim O'Dell for {DAY}"))["Approve"]
        assert approve.startswith(
            f"{server.url}/leave_lead_response/"
        )  # http://127.0.0.1:<port>, never 0.0.0.0
        assert httpx.post(approve, timeout=30).status_code == 200
