"""The console over real HTTP (uvicorn, httpx): pages, forms with CSRF tokens, the inbox, access control."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest

from sojourn import errors
from sojourn.config import Settings
from sojourn.console.inbox import decision_output, decisions_of
from sojourn.console.security import CSRF_COOKIE, SESSION_COOKIE

from .support import approval_definition, deploy, serving, wait_until, waiting_tasks


def q(arn: str) -> str:
    return quote(arn, safe="")


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=10) as session:
        yield session


@pytest.fixture
def waiting(client):
    """A running execution waiting in Approve; returns (machine arn, execution arn)."""
    machine = deploy(client, approval_definition())
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps({"employee": "E002"}))[
        "executionArn"
    ]
    wait_until(lambda: waiting_tasks(client))
    # the task's call returns after its token is out: wait for TaskSubmitted, so that nothing changes later
    wait_until(
        lambda: any(
            event["type"] == "TaskSubmitted"
            for event in client.get_execution_history(executionArn=execution)["events"]
        )
    )
    return machine, execution


def finished(client, execution: str) -> dict:
    return wait_until(
        lambda: (d := client.describe_execution(executionArn=execution))["status"] != "RUNNING" and d
    )


def test_state_machine_pages_show_the_graph_definition_versions_and_executions(client, http, waiting):
    machine, execution = waiting
    client.publish_state_machine_version(stateMachineArn=machine, description="first")
    listing = http.get("/console/state-machines")
    assert listing.status_code == 200 and "approval" in listing.text
    graph = http.get(f"/console/state-machines/{q(machine)}")
    assert graph.status_code == 200
    assert '<svg class="graph"' in graph.text and 'data-state="Approve"' in graph.text
    assert "$.answer.decision == &#34;approved&#34;" in graph.text
    as_json = http.get(f"/console/state-machines/{q(machine)}?tab=definition")
    assert "&#34;StartAt&#34;: &#34;Prepare&#34;" in as_json.text
    as_yaml = http.get(f"/console/state-machines/{q(machine)}?tab=definition&format=yaml")
    assert "StartAt: Prepare" in as_yaml.text
    versions = http.get(f"/console/state-machines/{q(machine)}?tab=versions")
    assert q(machine + ":1") in versions.text
    executions = http.get(f"/console/state-machines/{q(machine)}?tab=executions")
    assert execution.split(":")[-1] in executions.text
    assert http.get(f"/console/state-machines/{q(machine + ':1')}").status_code == 200


def test_an_unknown_state_machine_is_a_404_page(http):
    answer = http.get(
        "/console/state-machines/" + q("arn:aws:states:us-east-1:123456789012:stateMachine:nope")
    )
    assert answer.status_code == 404 and "StateMachineDoesNotExist" in answer.text


def test_starting_an_execution_from_the_form_opens_its_page(client, http):
    machine = deploy(client, approval_definition())
    form = http.get(f"/console/state-machines/{q(machine)}?tab=start")
    answer = http.post(
        f"/console/state-machines/{q(machine)}/start",
        data={"csrf_token": csrf(form), "name": "from-console", "input": '{"employee": "E7"}'},
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(
        q(machine.replace("stateMachine", "execution") + ":from-console") + "?done=started"
    )
    page = http.get(answer.headers["location"])
    assert "Execution started." in page.text and "from-console" in page.text


def test_the_start_form_refuses_invalid_json_and_keeps_what_was_typed(client, http):
    machine = deploy(client, approval_definition())
    form = http.get(f"/console/state-machines/{q(machine)}?tab=start")
    answer = http.post(
        f"/console/state-machines/{q(machine)}/start",
        data={"csrf_token": csrf(form), "input": '{"employee": '},
    )
    assert answer.status_code == 400
    assert "not valid JSON" in answer.text and "{&#34;employee&#34;: " in answer.text
    assert client.list_executions(stateMachineArn=machine)["executions"] == []


def test_a_form_without_the_csrf_token_of_this_browser_is_refused(client, http):
    machine = deploy(client, approval_definition())
    http.get("/console/state-machines")  # the browser has its cookie...
    for token in ("", "forged-token-forged-token-forged-token"):
        answer = http.post(
            f"/console/state-machines/{q(machine)}/start", data={"csrf_token": token, "input": "{}"}
        )
        assert answer.status_code == 403
    assert client.list_executions(stateMachineArn=machine)["executions"] == []


def test_the_csrf_cookie_is_http_only_and_strict(http):
    answer = http.get("/console/executions")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(CSRF_COOKIE + "=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "default-src 'self'" in answer.headers["content-security-policy"]


def test_the_execution_page_shows_status_graph_history_and_polls_for_changes(client, http, waiting):
    _, execution = waiting
    page = http.get(f"/console/executions/{q(execution)}")
    assert page.status_code == 200
    assert 'id="execution-status">RUNNING' in page.text
    states = json.loads(
        re.search(r'<script type="application/json" id="states-data">(.*?)</script>', page.text, re.S).group(
            1
        )
    )
    assert states["Approve"]["status"] == "RUNNING" and states["Prepare"]["status"] == "SUCCEEDED"
    assert "TaskStateEntered" in page.text and "Timeline" in page.text
    last = int(re.search(r'data-last-event="(\d+)"', page.text).group(1))
    unchanged = http.get(f"/console/executions/{q(execution)}/progress?since={last}").json()
    assert unchanged == {"changed": False, "lastEventId": last}
    client.decide_task(taskId=waiting_tasks(client)[0]["taskId"], output=json.dumps({"decision": "approved"}))
    finished(client, execution)
    changed = http.get(f"/console/executions/{q(execution)}/progress?since={last}").json()
    assert changed["changed"] and changed["status"] == "SUCCEEDED"
    assert changed["states"]["Approved"]["status"] == "SUCCEEDED"
    assert (
        "ExecutionSucceeded" in changed["rows"]
        and "TaskStateEntered" not in changed["rows"].split("TaskSucceeded")[0]
    )
    assert "SUCCEEDED" in changed["summary"] and "bar-row" in changed["timeline"]


def test_stop_and_redrive_from_the_execution_page(client, http, waiting):
    _, execution = waiting
    page = http.get(f"/console/executions/{q(execution)}")
    stopped = http.post(f"/console/executions/{q(execution)}/stop", data={"csrf_token": csrf(page)})
    assert stopped.status_code == 303 and stopped.headers["location"].endswith("?done=stopped")
    assert finished(client, execution)["status"] == "ABORTED"
    page = http.get(stopped.headers["location"])
    assert "Execution stopped." in page.text and "/redrive" in page.text
    redriven = http.post(f"/console/executions/{q(execution)}/redrive", data={"csrf_token": csrf(page)})
    assert redriven.status_code == 303
    assert client.describe_execution(executionArn=execution)["redriveCount"] == 1


def test_the_executions_list_filters_by_status_machine_and_time_and_pages(client, http, waiting):
    machine, running = waiting
    other = deploy(client, {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}, name="other")
    done = [client.start_execution(stateMachineArn=other, name=f"done-{i}")["executionArn"] for i in range(3)]
    for arn in done:
        finished(client, arn)
    everything = http.get("/console/executions").text
    assert all(arn.split(":")[-1] in everything for arn in [running, *done])
    succeeded = http.get("/console/executions?status=SUCCEEDED").text
    assert "done-0" in succeeded and running.split(":")[-1] not in succeeded
    by_machine = http.get(f"/console/executions?machine={q(machine)}").text
    assert running.split(":")[-1] in by_machine and "done-0" not in by_machine
    future = http.get("/console/executions?from=2099-01-01T00:00").text
    assert "No executions match" in future
    past = http.get("/console/executions?to=2000-01-01T00:00").text
    assert "No executions match" in past
    first = http.get("/console/executions?size=2")
    names = re.findall(r">(done-\d)<", first.text)
    assert names == ["done-2", "done-1"]
    following = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = http.get(following).text
    assert re.findall(r">(done-\d)<", second) == ["done-0"]


def test_decision_buttons_send_their_output_with_who_decided_and_when(client, http, waiting):
    _, execution = waiting
    inbox = http.get("/console/inbox")
    assert inbox.status_code == 200
    assert '<button type="submit" name="decision" value="Approve"' in inbox.text
    assert "&lt;task token: redacted&gt;" in inbox.text  # the token itself never reaches the page
    assert (
        '<dt>Request</dt><dd class="task-about"><span class="pair">'
        '<span class="muted">employee</span> E002</span></dd>' in inbox.text
    )
    task_id = waiting_tasks(client)[0]["taskId"]
    answer = http.post(
        f"/console/inbox/{task_id}/decide",
        data={"csrf_token": csrf(inbox), "action": "decision", "decision": "Deny"},
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("/console/inbox?done=sent")
    described = finished(client, execution)
    assert described["status"] == "FAILED" and described["error"] == "Denied"
    answered = [
        e
        for e in client.get_execution_history(executionArn=execution)["events"]
        if e["type"] == "TaskSucceeded"
    ][-1]
    output = json.loads(answered["taskSucceededEventDetails"]["output"])
    assert output["decision"] == "denied" and output["decidedBy"] == {"console": "console"}
    assert datetime.fromisoformat(output["decidedAt"].replace("Z", "+00:00")).tzinfo is not None


def test_a_waiting_task_is_read_by_its_id_and_listed_with_its_execution(client, waiting):
    machine, execution = waiting
    other = client.start_execution(stateMachineArn=machine, input=json.dumps({"employee": "E003"}))[
        "executionArn"
    ]
    wait_until(lambda: len(waiting_tasks(client)) == 2)
    [task] = client.list_waiting_tasks(executionArn=execution)["tasks"]
    assert client.describe_waiting_task(taskId=task["taskId"]) == task
    assert (task["executionArn"], task["stateMachineArn"], task["stateName"]) == (
        execution,
        machine,
        "Approve",
    )
    assert decisions_of(task["payload"]) == {
        "Approve": {"decision": "approved"},
        "Deny": {"decision": "denied"},
    }
    assert [t["executionArn"] for t in client.list_waiting_tasks(executionArn=other)["tasks"]] == [other]
    client.decide_task(taskId=task["taskId"], output="{}")
    with pytest.raises(errors.TaskDoesNotExist):
        client.describe_waiting_task(taskId=task["taskId"])
    with pytest.raises(errors.TaskDoesNotExist):
        client.describe_waiting_task(taskId="no-such-task")
    assert client.list_waiting_tasks(executionArn=execution)["tasks"] == []


def test_a_waiting_execution_says_where_it_waits_since_when_and_decides_from_its_page(client, http, waiting):
    _, execution = waiting
    page = http.get(f"/console/executions/{q(execution)}")
    waits = re.search(
        r'<div class="waiting" data-state="Approve" data-task="([0-9a-f]+)">(.*?)</form>', page.text, re.S
    )
    assert waits, "the page does not say what the execution waits for"
    since = client.list_waiting_tasks(executionArn=execution)["tasks"][0]["since"]
    assert (
        f"Waiting for an answer</strong> at <strong>Approve</strong>\n      since {since:%Y-%m-%d %H:%M:%S}"
        in waits.group(2)
    )
    assert 'value="Approve"' in waits.group(2) and 'value="Deny"' in waits.group(2)
    answer = http.post(
        f"/console/inbox/{waits.group(1)}/decide",
        data={"csrf_token": csrf(page), "action": "decision", "decision": "Approve", "back": "execution"},
    )
    assert (
        answer.status_code == 303
        and answer.headers["location"] == f"/console/executions/{q(execution)}?done=sent"
    )
    assert finished(client, execution)["status"] == "SUCCEEDED"
    assert 'class="waiting"' not in http.get(answer.headers["location"]).text


def test_a_history_over_a_thousand_events_pages_back_to_the_first(client, http):
    items = 260  # a Map over 260 items of one Pass state: 4 events each, 1,045 in all
    machine = deploy(
        client,
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "End": True,
                    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                }
            },
        },
        name="many",
    )
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps(list(range(items))))[
        "executionArn"
    ]
    assert finished(client, execution)["status"] == "SUCCEEDED"
    history = client.get_execution_history(executionArn=execution, maxResults=1000)
    total = 1000 + len(
        client.get_execution_history(executionArn=execution, maxResults=1000, nextToken=history["nextToken"])[
            "events"
        ]
    )

    def shown(text: str) -> list[int]:
        return [int(n) for n in re.findall(r'<tr class="tone-[a-z]+" data-event="(\d+)">', text)]

    newest = http.get(f"/console/executions/{q(execution)}").text
    assert shown(newest) == list(range(total - 999, total + 1))
    assert f"Events {total - 999} to {total} of {total}" in newest and 'id="history-rows" data-live' in newest
    older = re.search(r'href="([^"]+)#history" rel="next">Older events', newest).group(1)
    first = http.get(older).text
    assert shown(first) == list(range(1, total - 999))
    assert "Older events" not in first and 'id="history-rows">' in first  # an older page is not live
    back = re.search(r'href="([^"]+)#history" rel="prev">Newer events', first).group(1)
    assert shown(http.get(back).text) == shown(newest)


def test_the_inbox_sends_success_with_json_output_or_failure_with_error_and_cause(client, http):
    machine = deploy(client, approval_definition())
    first = client.start_execution(stateMachineArn=machine, name="one", input='{"employee": "E1"}')[
        "executionArn"
    ]
    second = client.start_execution(stateMachineArn=machine, name="two", input='{"employee": "E2"}')[
        "executionArn"
    ]
    tasks = wait_until(lambda: len(waiting_tasks(client)) == 2 and waiting_tasks(client))
    by_execution = {task["executionArn"]: task["taskId"] for task in tasks}
    token = csrf(http.get("/console/inbox"))
    bad = http.post(
        f"/console/inbox/{by_execution[first]}/decide",
        data={"csrf_token": token, "action": "success", "output": "{nope"},
    )
    assert bad.status_code == 400 and "not valid JSON" in bad.text
    http.post(
        f"/console/inbox/{by_execution[first]}/decide",
        data={"csrf_token": token, "action": "success", "output": '{"decision": "approved"}'},
    )
    http.post(
        f"/console/inbox/{by_execution[second]}/decide",
        data={"csrf_token": token, "action": "failure", "error": "Rejected", "cause": "Too many days"},
    )
    assert finished(client, first)["status"] == "SUCCEEDED"
    failed = finished(client, second)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Rejected", "Too many days")
    again = http.post(
        f"/console/inbox/{by_execution[first]}/decide",
        data={"csrf_token": token, "action": "success", "output": "{}"},
    )
    assert again.status_code == 400 and "no longer waiting" in again.text


def test_decisions_are_found_at_the_top_of_the_payload_or_one_level_down():
    offered = {"Approve": {"decision": "approved"}, "Deny": {"decision": "denied"}}
    assert decisions_of({"decisions": offered}) == offered
    assert decisions_of({"FunctionName": "f", "Payload": {"decisions": offered}}) == offered
    assert decisions_of({"decisions": "not an object"}) == {}
    assert decisions_of(None) == {}
    output = decision_output({"decision": "approved"}, "Ada", datetime(2030, 11, 1, 9, 30, tzinfo=UTC))
    assert output == {
        "decision": "approved",
        "decidedBy": {"console": "Ada"},
        "decidedAt": "2030-11-01T09:30:00Z",
    }


def test_with_an_api_key_the_console_asks_for_it_and_keeps_only_a_keyed_hash(make_client, tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path}/keyed.db", data_dir=str(tmp_path), api_key="s3cret-key")
    client = make_client()
    with serving(client, settings) as url, httpx.Client(base_url=url, timeout=10) as http:
        answer = http.get("/console/executions")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login?next=")
        assert http.get("/console/static/console.css").status_code == 200
        assert http.post("/console/inbox/x/decide", data={}).status_code == 401
        login = http.get(answer.headers["location"])
        wrong = http.post(
            "/console/login", data={"csrf_token": csrf(login), "key": "guess", "next": "/console/executions"}
        )
        assert wrong.status_code == 401 and SESSION_COOKIE not in http.cookies
        right = http.post(
            "/console/login",
            data={
                "csrf_token": csrf(login),
                "key": "s3cret-key",
                "name": "Ada",
                "next": "/console/executions",
            },
        )
        assert right.status_code == 303 and right.headers["location"] == "/console/executions"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "s3cret-key" not in cookie
        page = http.get("/console/executions")
        assert page.status_code == 200 and "Ada" in page.text
        outside = http.post(
            "/console/login",
            data={"csrf_token": csrf(page), "key": "s3cret-key", "next": "https://evil.example/"},
        )
        assert outside.headers["location"] == "/console/"
        http.post("/console/logout", data={"csrf_token": csrf(page)})
        assert http.get("/console/executions").status_code == 303


def test_the_menu_offers_sign_out_only_to_someone_signed_in(make_client, settings):
    with (
        serving(make_client(), settings.replace(api_key="s3cret-key")) as url,
        httpx.Client(base_url=url) as http,
    ):
        login = http.get("/console/login")
        assert login.status_code == 200 and 'action="/console/logout"' not in login.text
        http.post("/console/login", data={"csrf_token": csrf(login), "key": "s3cret-key", "name": "Ada"})
        assert 'action="/console/logout"' in http.get("/console/inbox").text


def test_sojourn_serve_mounts_the_console_under_slash_console(client, settings):
    from sojourn.server import Host, build_app

    app = build_app(Host(client, settings, workers=0))
    with serving(client, settings, app=app) as url, httpx.Client(base_url=url) as http:
        assert http.get("/console/state-machines").status_code == 200
        assert (
            http.get("/console/static/console.js")
            .headers["content-type"]
            .startswith(("text/javascript", "application/javascript"))
        )
        assert http.get("/console", follow_redirects=True).url.path == "/console/executions"
