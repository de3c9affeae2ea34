"""REST routes over real HTTP (uvicorn on a free port, httpx): API Gateway's proxy event and response,
the simple mapping, and routes that start executions (issue 5, item 4)."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from sojourn.config import Settings
from sojourn.errors import StateMachineDoesNotExist
from sojourn.functions import Function, FunctionPool
from sojourn.gateway import Endpoint, TemplateError, routes

HANDLERS = """
import base64
import json


def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}


def answer(event, context):
    return json.loads(event["body"])


def add(event, context):
    return {"sum": event["a"] + event["b"], "id": event["id"]}


def boom(event, context):
    raise RuntimeError("no")
"""


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port in a thread; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Iterator[FunctionPool]:
    code = tmp_path_factory.mktemp("code")
    (code / "handlers.py").write_text(textwrap.dedent(HANDLERS))
    names = ("echo", "answer", "add", "boom")
    pool = FunctionPool([Function(name, f"handlers.{name}", code) for name in names])
    yield pool
    pool.close()


class Machines:
    """The part of `sojourn.Client` a start route uses, recording what it was asked (boto3-shaped)."""

    settings = Settings()

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}

    def start_execution(self, *, stateMachineArn: str, input: str, name: str = "generated") -> dict[str, Any]:
        if not stateMachineArn.endswith(":stateMachine:Leave"):
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{stateMachineArn}'")
        arn = stateMachineArn.replace(":stateMachine:", ":execution:") + f":{name}"
        self.started[arn] = {"input": input}
        return {"executionArn": arn, "startDate": datetime(2030, 1, 2, tzinfo=UTC)}


@pytest.fixture(scope="module")
def client() -> Machines:
    return Machines()


@pytest.fixture(scope="module")
def url(pool, client) -> Iterator[str]:
    endpoints = [
        Endpoint("GET", "/leave/{employee}/{day}", "echo"),
        Endpoint("POST", "/leave/{employee}/{day}", "echo"),
        Endpoint("GET", "/leave/new/{day}", "answer"),
        Endpoint("ANY", "/files/{proxy+}", "echo"),
        Endpoint("POST", "/answer", "answer"),
        Endpoint("POST", "/boom", "boom"),
        Endpoint("POST", "/add/{id}", "add", integration="simple"),
        Endpoint("POST", "/start/{employee}", state_machine="Leave"),
        Endpoint("POST", "/start-missing", state_machine="Nobody"),
    ]
    app = Starlette(routes=routes(endpoints, client=client, settings=client.settings, functions=pool))
    with serving(app) as base:
        yield base


def test_the_proxy_event_has_api_gateways_fields(url):
    answer = httpx.get(f"{url}/leave/E002/2030-01-02?x=1&tag=a&tag=b", headers={"X-Trace": "t1"})
    event = answer.json()
    assert answer.status_code == 200
    assert event["resource"] == "/leave/{employee}/{day}" and event["path"] == "/leave/E002/2030-01-02"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"employee": "E002", "day": "2030-01-02"}
    assert event["queryStringParameters"] == {"x": "1", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1"], "tag": ["a", "b"]}
    assert event["headers"]["X-Trace"] == "t1" and event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == event["resource"] and context["httpMethod"] == "GET"
    assert context["accountId"] == "123456789012" and context["identity"]["sourceIp"] == "127.0.0.1"
    assert answer.headers["x-amzn-requestid"] == context["requestId"]


def test_text_bodies_pass_as_they_are_and_binary_bodies_base64(url):
    text = httpx.post(f"{url}/leave/E002/2030-01-02", content="{not json").json()
    assert text["body"] == "{not json" and text["isBase64Encoded"] is False
    binary = httpx.post(f"{url}/leave/E002/2030-01-02", content=b"\xff\x00\xfe").json()
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\xff\x00\xfe"


def test_literal_segments_win_over_parameters_and_greedy_paths_take_the_rest(url):
    assert httpx.get(f"{url}/leave/new/2030-01-02").status_code == 502  # 'answer' reads a body it lacks
    event = httpx.delete(f"{url}/files/a/b/c.txt").json()
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"} and event["resource"] == "/files/{proxy+}"


def test_the_proxy_response_sets_status_headers_and_body(url):
    reply = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/html", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "<p>ok</p>",
    }
    answer = httpx.post(f"{url}/answer", json=reply)
    assert answer.status_code == 201 and answer.text == "<p>ok</p>"
    assert answer.headers["content-type"] == "text/html" and answer.headers["x-one"] == "1"
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    encoded = {"statusCode": 200, "body": base64.b64encode(b"\x89PNG").decode(), "isBase64Encoded": True}
    assert httpx.post(f"{url}/answer", json=encoded).content == b"\x89PNG"


@pytest.mark.parametrize(
    "reply", [[1, 2], {"statusCode": "abc"}, {"statusCode": 200, "body": {"not": "a string"}}]
)
def test_a_malformed_proxy_response_is_a_502(url, reply):
    answer = httpx.post(f"{url}/answer", json=reply)
    assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})


def test_a_failing_function_is_a_502(url):
    assert httpx.post(f"{url}/boom", json={}).status_code == 502


def test_a_method_the_route_does_not_serve_is_a_405(url):
    assert httpx.put(f"{url}/leave/E002/2030-01-02").status_code == 405


def test_the_simple_mapping_merges_path_parameters_and_body_and_answers_json(url):
    answer = httpx.post(f"{url}/add/42", json={"a": 1, "b": 2})
    assert answer.status_code == 200 and answer.json() == {"sum": 3, "id": "42"}


@pytest.mark.parametrize("body", [b"{bad", b"[1, 2]"])
def test_the_simple_mapping_refuses_a_body_that_is_not_a_json_object(url, body):
    answer = httpx.post(f"{url}/add/42", content=body)
    assert answer.status_code == 400 and answer.json()["message"]


def test_a_route_starts_an_execution_and_answers_like_start_execution(url, client):
    answer = httpx.post(f"{url}/start/E002?name=leave-1", json={"day": "2030-01-02"})
    assert answer.status_code == 200
    started = answer.json()
    assert started["executionArn"] == "arn:aws:states:us-east-1:123456789012:execution:Leave:leave-1"
    assert started["startDate"] == datetime(2030, 1, 2, tzinfo=UTC).timestamp()
    assert json.loads(client.started[started["executionArn"]]["input"]) == {
        "day": "2030-01-02",
        "employee": "E002",
    }


def test_a_start_route_refuses_bad_json_and_reports_api_errors(url):
    assert httpx.post(f"{url}/start/E002", content=b"{bad").status_code == 400
    missing = httpx.post(f"{url}/start-missing", json={})
    assert missing.status_code == 400 and missing.json()["__type"] == "StateMachineDoesNotExist"


@pytest.mark.parametrize("path", ["leave", "/a/{proxy+}/b", "/a/x{id}", "/a//b"])
def test_templates_api_gateway_refuses_are_refused(path):
    with pytest.raises(TemplateError):
        Endpoint("GET", path, "echo")


def test_a_route_needs_exactly_one_target():
    with pytest.raises(ValueError):
        Endpoint("GET", "/a", "echo", state_machine="Leave")
    with pytest.raises(ValueError):
        Endpoint("GET", "/a")
