"""Metrics and logs end to end (issue 17): `sojourn serve --app` with JSON logs, an API key, real SMTP and a
partner API. A purchase waits for a person (decided through the email's link), then for a task token sent by
email (answered with SendTaskSuccess), then calls the partner through an API-key connection. `/metrics`,
scraped over HTTP and parsed with prometheus_client's parser, moves as the execution runs; the server's log
has an access line per request with its request id, and none of the secrets used."""

from __future__ import annotations

import contextlib
import json
import re
import signal
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from humantask_support import csrf_of
from servers import free_port, serve, serving_app, wait_for, wait_for_status, worker

API_KEY = "api-key-observability-7781"
PARTNER_KEY = "partner-key-observability-3321"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/Partner/6b0e5a5c-7e7a-4d2e-9c51-0f1a2b3c4d5e"
APP = """
name: purchases
people:
  bo: {name: Bo Buyer, email: bo@example.com}
  cy: {name: Cy Approver, email: cy@example.com}
connections:
  Partner:
    api_key: {name: X-Partner-Key, value: "${Env:PARTNER_KEY}"}
state_machines:
  Purchase:
    definition: definition.json
"""


def definition(api: str) -> dict[str, Any]:
    return {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sojourn:humanTask.waitForTaskToken",
                "Parameters": {"Title": "Purchase of a kettle", "Assignees": ["cy"]},
                "ResultPath": "$.decision",
                "Next": "Confirm",
            },
            "Confirm": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sojourn:email.send.waitForTaskToken",
                "Parameters": {
                    "To": ["bo@example.com"],
                    "Subject": "Confirm your purchase",
                    "Text.$": "States.Format('Your confirmation code: [{}]', $$.Task.Token)",
                },
                "ResultPath": "$.confirmed",
                "Next": "Order",
            },
            "Order": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {
                    "ApiEndpoint": f"{api}/orders",
                    "Method": "POST",
                    "Authentication": {"ConnectionArn": CONNECTION},
                    "RequestBody": {"item": "kettle"},
                },
                "ResultSelector": {"status.$": "$.StatusCode"},
                "End": True,
            },
        },
    }


def partner(keys: list[str]) -> Starlette:
    async def orders(request: Request) -> Response:
        keys.append(request.headers.get("x-partner-key", ""))
        return JSONResponse({"placed": True})

    return Starlette(routes=[Route("/orders", orders, methods=["POST"])])


def scrape(url: str, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `GET url/metrics`, by name and labels."""
    answer = httpx.get(f"{url}/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_follow_an_execution_and_the_logs_keep_every_secret_out(tmp_path, smtp):
    keys: list[str] = []
    with serving_app(partner(keys)) as api:
        (tmp_path / "app.yaml").write_text(APP)
        (tmp_path / "definition.json").write_text(json.dumps(definition(api)))
        env = {
            "SOJOURN_API_KEY": API_KEY,
            "SOJOURN_LOG_FORMAT": "json",
            "SOJOURN_SMTP_HOST": smtp.host,
            "SOJOURN_SMTP_PORT": str(smtp.port),
            "PARTNER_KEY": PARTNER_KEY,
        }
        with serve(tmp_path, "--app", str(tmp_path / "app.yaml"), env=env) as server:
            before = scrape(server.url)  # on localhost the scrape needs no key
            assert value(before, "sojourn_executions_started_total", state_machine="Purchase") == 0
            sfn = server.client()
            machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "Purchase")
            arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]

            invitation = smtp.to("cy@example.com", "Purchase of a kettle").get_body(("plain",)).get_content()
            link = re.search(r"(http://\S+/tasks/link/\S+)", invitation).group(1)
            waiting = scrape(server.url)
            assert value(waiting, "sojourn_executions_started_total", state_machine="Purchase") == 1
            assert value(waiting, "sojourn_human_tasks_open") == 1
            assert value(waiting, "sojourn_task_tokens_open") == 1
            assert value(waiting, "sojourn_api_requests_total", action="StartExecution") == 1
            assert value(waiting, "sojourn_state_transitions_total", state_machine="Purchase") >= 1

            with httpx.Client() as browser:  # cy decides through the email's link
                page = browser.get(link)
                assert browser.post(
                    link, data={"csrf_token": csrf_of(page), "decision": "Approve"}
                ).is_success
                form = browser.get(f"{server.url}/tasks")  # and asks for a sign-in link to the portal
                browser.post(
                    f"{server.url}/tasks", data={"csrf_token": csrf_of(form), "email": "cy@example.com"}
                )
                signin_mail = smtp.to("cy@example.com", "sign-in link").get_body(("plain",)).get_content()
                signin = re.search(r"(http://\S+/tasks/signin/\S+)", signin_mail).group(1)
                shown = browser.get(signin)
                assert browser.post(signin, data={"csrf_token": csrf_of(shown)}).status_code == 303

            confirm = smtp.to("bo@example.com", "Confirm your purchase").get_body(("plain",)).get_content()
            task_token = re.search(r"confirmation code: \[(\S+)\]", confirm).group(1)
            sfn.send_task_success(taskToken=task_token, output='{"confirmed": true}')
            wait_for_status(sfn, arn, "SUCCEEDED")
            refused = httpx.post(server.url, headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
            assert refused.status_code == 403  # no key: UnrecognizedClientException

            after = wait_for(
                lambda: (
                    (s := scrape(server.url))
                    and value(
                        s, "sojourn_executions_ended_total", state_machine="Purchase", status="SUCCEEDED"
                    )
                    and s
                )
            )
            assert value(after, "sojourn_human_tasks_open") == 0
            assert value(after, "sojourn_task_tokens_open") == 0
            assert value(after, "sojourn_state_transitions_total", state_machine="Purchase") == 3
            assert value(after, "sojourn_task_duration_seconds_count", resource_type="http") == 1
            assert value(after, "sojourn_transition_latency_seconds_count") >= 3
            assert value(after, "sojourn_api_requests_total", action="SendTaskSuccess") == 1
            refusals = {"action": "ListStateMachines", "error_type": "UnrecognizedClientException"}
            assert value(after, "sojourn_api_errors_total", **refusals) == 1
            assert value(after, "sojourn_outbox_delivered_total", outbox="mail") >= 3
            assert value(after, "sojourn_db_transaction_seconds_count", mode="write") > 0
            labels = {key for _, pairs in after for key, _ in pairs}
            assert "execution" not in labels and "execution_arn" not in labels
            server.stop(signal.SIGTERM)
            logs = server.logs()

    assert keys == [PARTNER_KEY]
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert len(records) == len([line for line in logs.splitlines() if line.strip()])  # every line is JSON
    access = [r for r in records if r["logger"] == "sojourn.access"]
    assert {"method", "path", "status", "durationMs", "requestId"} <= set(access[0])
    assert any(r["path"] == "/tasks/link/***" and r["method"] == "POST" for r in access)
    assert any(r["path"] == "/tasks/signin/***" for r in access)
    started = next(r for r in access if r["method"] == "POST" and r["path"] == "/" and r["status"] == 200)
    assert re.fullmatch(r"[0-9a-f-]{36}", started["requestId"])
    link_token = link.rsplit("/", 1)[1]
    signin_token = signin.rsplit("/", 1)[1]
    for secret in (API_KEY, PARTNER_KEY, task_token, link_token, signin_token):
        assert secret not in logs, secret


def test_metrics_beyond_localhost_need_the_metrics_token_or_the_api_key(tmp_path):
    env = {"SOJOURN_API_KEY": API_KEY, "SOJOURN_METRICS_TOKEN": "scrape-token-55"}
    with serve(tmp_path, "--host", "0.0.0.0", env=env) as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 401
        assert httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert scrape(server.url, Authorization="Bearer scrape-token-55")
        assert scrape(server.url, **{"X-Api-Key": API_KEY})
        assert httpx.get(f"{server.url}/health").status_code == 200
        server.stop()
        logs = server.logs()
    assert "without SOJOURN_PUBLIC_BASE_URL" in logs
    assert "without SOJOURN_API_KEY" not in logs
    assert "scrape-token-55" not in logs


def test_a_server_beyond_localhost_without_an_api_key_warns_at_start(tmp_path):
    with serve(tmp_path, "--host", "0.0.0.0") as server:
        assert scrape(server.url)  # nothing is protected there: neither is /metrics
        server.stop()
    assert "without SOJOURN_API_KEY: anyone who reaches this port" in server.logs()


def test_a_worker_process_exposes_its_own_metrics_with_its_heartbeat(tmp_path):
    port = free_port()
    with worker(tmp_path, f"sqlite:///{tmp_path / 'sojourn.db'}", "--metrics-port", str(port)) as process:
        url = f"http://127.0.0.1:{port}"

        def scraped() -> Any:
            with contextlib.suppress(httpx.HTTPError):
                return scrape(url)
            return None

        first = wait_for(scraped)
        beat = value(first, "sojourn_worker_heartbeat_timestamp_seconds")
        assert beat > 0 and "sojourn_work_items_due" in {name for name, _ in first}
        wait_for(lambda: value(scrape(url), "sojourn_worker_heartbeat_timestamp_seconds") > beat, timeout=5)
        assert process.process.poll() is None
