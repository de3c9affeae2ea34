"""The HTTP Task (`arn:aws:states:::http:invoke`) against a real local HTTP server (uvicorn), run by real
executions on SQLite with a virtual clock: AWS's request and output shapes, its error names under Retry and
Catch written as for AWS, timeouts, redirects, the size limit, and connections whose secrets reach the
server but nothing Sojourn writes (tests/data/http_task/SOURCES.md says where each behaviour comes from)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from humantask_support import Clock
from servers import free_port, serving_app
from sojourn.asl.errors import StatesError
from sojourn.asl.validate import validate
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.connections import HttpConnection
from sojourn.integrations.base import Facilities

HTTP = "arn:aws:states:::http:invoke"
API_KEY = "sk-live-4242-api-key-secret"
PASSWORD = "b4sic-pa55word-secret"
CLIENT_SECRET = "oauth-client-secret-9876"


def connection_arn(name: str) -> str:
    return f"arn:aws:events:us-east-1:123456789012:connection/{name}/81210c42-8af1-456b-9c4a-6ff02fc664ac"


@dataclass
class Api:
    """What the test server received, and how many times each flaky route was called."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    tokens: int = 0

    def app(self) -> Starlette:
        async def record(request: Request) -> dict[str, Any]:
            seen = {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": (await request.body()).decode(),
            }
            self.requests.append(seen)
            self.calls[request.url.path] = self.calls.get(request.url.path, 0) + 1
            return seen

        async def echo(request: Request) -> Response:
            seen = await record(request)
            return JSONResponse({"query": seen["query"], "body": seen["body"]}, headers={"X-Echo": "yes"})

        async def text(request: Request) -> Response:
            await record(request)
            return PlainTextResponse("plain words")

        async def missing(request: Request) -> Response:
            await record(request)
            return JSONResponse({"message": "no such customer"}, status_code=404)

        async def flaky(request: Request) -> Response:
            seen = await record(request)
            if self.calls[seen["path"]] <= 2:
                return JSONResponse({"message": "try later"}, status_code=500)
            return JSONResponse({"ok": True})

        async def broken(request: Request) -> Response:
            await record(request)
            return JSONResponse({"message": "down"}, status_code=500)

        async def moved(request: Request) -> Response:
            await record(request)
            return RedirectResponse("/echo", status_code=302)

        async def slow(request: Request) -> Response:
            seen = await record(request)
            if self.calls[seen["path"]] == 1:
                await asyncio.sleep(3)
            return JSONResponse({"fast": True})

        async def big(request: Request) -> Response:
            await record(request)
            return PlainTextResponse("x" * 300_000)

        async def image(request: Request) -> Response:
            await record(request)
            return Response(b"\x89PNG", media_type="image/png")

        async def secure(request: Request) -> Response:
            await record(request)
            return JSONResponse({"ok": True})

        async def token(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode()))
            expected = "Basic " + base64.b64encode(f"sojourn-app:{CLIENT_SECRET}".encode()).decode()
            if (
                request.headers.get("authorization") != expected
                or form.get("grant_type") != "client_credentials"
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            self.tokens += 1
            self.requests.append({"path": "/token", "form": form})
            return JSONResponse({"access_token": f"bearer-token-{self.tokens}", "expires_in": 3600})

        return Starlette(
            routes=[
                Route("/echo", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
                Route("/text", text),
                Route("/missing", missing),
                Route("/flaky", flaky),
                Route("/broken", broken),
                Route("/moved", moved),
                Route("/slow", slow),
                Route("/big", big),
                Route("/image", image),
                Route("/secure", secure),
                Route("/token", token, methods=["POST"]),
            ]
        )


@dataclass
class Sojourn:
    client: Client
    clock: Clock
    api: Api
    url: str

    def run(self, state: dict[str, Any], payload: Any = None, *, extra: dict[str, Any] | None = None) -> dict:
        """Run a machine whose one Task is `state` (then `extra` states); the described execution."""
        definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": HTTP, **state}}}
        definition["States"].update(extra or {})
        if "Next" not in state:
            definition["States"]["Call"]["End"] = True
        arn = self.client.create_state_machine(
            name=f"M{len(self.api.requests)}{len(self.client.list_state_machines()['stateMachines'])}",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        execution = self.client.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))
        for _ in range(20):  # retries wait on the virtual clock
            self.client.run_until_idle()
            described = self.client.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING":
                return described
            self.clock.now += 60
        raise AssertionError("the execution did not end")

    def history(self, described: dict) -> list[dict[str, Any]]:
        return self.client.get_execution_history(executionArn=described["executionArn"])["events"]


CONNECTIONS = {
    "Keyed": HttpConnection(
        "Keyed", "API_KEY", api_key_name="x-api-key", api_key_value=API_KEY, headers=(("X-Tenant", "acme"),)
    ),
    "Basic": HttpConnection("Basic", "BASIC", username="sojourn", password=PASSWORD, query=(("page", "9"),)),
}


@pytest.fixture
def sojourn(tmp_path) -> Iterator[Sojourn]:
    api = Api()
    with serving_app(api.app()) as url:
        connections = {
            **CONNECTIONS,
            "Crm": HttpConnection(
                "Crm",
                "OAUTH_CLIENT_CREDENTIALS",
                token_url=f"{url}/token",
                client_id="sojourn-app",
                client_secret=CLIENT_SECRET,
                scopes=("read", "write"),
            ),
        }
        settings = Settings(
            db_url=f"sqlite:///{tmp_path / 'sojourn.db'}",
            data_dir=str(tmp_path / "data"),
            http_timeout=1.0,
            http_connections=connections,
        )
        clock = Clock()
        client = Client(settings=settings, facilities=Facilities(settings=settings), clock=clock, start=False)
        try:
            yield Sojourn(client, clock, api, url)
        finally:
            client.close()


def output(described: dict) -> Any:
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    return json.loads(described["output"])


def test_a_json_response_is_awss_output_with_headers_as_lists_and_the_body_parsed(sojourn):
    described = sojourn.run(
        {
            "Parameters": {
                "ApiEndpoint": f"{sojourn.url}/echo",
                "Method": "POST",
                "Headers": {"X-Definition": "h1"},
                "QueryParameters": {"currency": "usd", "tag": ["a", "b c"]},
                "RequestBody": {"Card": {"Number.$": "$.number"}, "Name": "Jo Doe"},
            }
        },
        {"number": "1234"},
    )
    result = output(described)
    assert result["StatusCode"] == 200 and result["StatusText"] == "OK"
    assert result["Headers"]["x-echo"] == ["yes"] and result["Headers"]["content-type"] == [
        "application/json"
    ]
    assert result["ResponseBody"]["query"] == "currency=usd&tag=a&tag=b%20c"
    assert json.loads(result["ResponseBody"]["body"]) == {"Card": {"Number": "1234"}, "Name": "Jo Doe"}
    received = sojourn.api.requests[0]["headers"]
    assert received["content-type"] == "application/json; charset=UTF-8"
    assert received["user-agent"] == "Amazon|StepFunctions|HttpInvoke|us-east-1"
    assert received["range"] == "bytes=0-262144"
    assert received["x-definition"] == "h1"
    assert "accept-encoding" not in received


def test_a_text_response_body_is_a_string(sojourn):
    result = output(sojourn.run({"Parameters": {"ApiEndpoint": f"{sojourn.url}/text", "Method": "GET"}}))
    assert result["ResponseBody"] == "plain words"
    assert result["Headers"]["content-type"] == ["text/plain; charset=utf-8"]


@pytest.mark.parametrize(
    ("array_format", "encoded"),
    [
        (None, "ids%5B0%5D=a&ids%5B1%5D=b&meta%5Bnote%5D=monthly%20report&n=3"),
        ("INDICES", "ids%5B0%5D=a&ids%5B1%5D=b&meta%5Bnote%5D=monthly%20report&n=3"),
        ("REPEAT", "ids=a&ids=b&meta%5Bnote%5D=monthly%20report&n=3"),
        ("COMMAS", "ids=a%2Cb&meta%5Bnote%5D=monthly%20report&n=3"),
        ("BRACKETS", "ids%5B%5D=a&ids%5B%5D=b&meta%5Bnote%5D=monthly%20report&n=3"),
    ],
)
def test_a_url_encoded_body_encodes_arrays_as_the_array_format_says(sojourn, array_format, encoded):
    transform: dict[str, Any] = {"RequestBodyEncoding": "URL_ENCODED"}
    if array_format:
        transform["RequestEncodingOptions"] = {"ArrayFormat": array_format}
    output(
        sojourn.run(
            {
                "Parameters": {
                    "ApiEndpoint": f"{sojourn.url}/echo",
                    "Method": "POST",
                    "Headers": {"Content-Type": "application/x-www-form-urlencoded"},
                    "RequestBody": {"ids": ["a", "b"], "meta": {"note": "monthly report"}, "n": 3},
                    "Transform": transform,
                }
            }
        )
    )
    received = sojourn.api.requests[0]
    assert received["body"] == encoded
    assert received["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_a_404_fails_with_its_status_code_error_and_the_response_as_cause(sojourn):
    described = sojourn.run({"Parameters": {"ApiEndpoint": f"{sojourn.url}/missing", "Method": "GET"}})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Http.StatusCode.404"
    cause = json.loads(described["cause"])
    assert cause["StatusCode"] == 404 and cause["StatusText"] == "Not Found"
    assert cause["ResponseBody"] == {"message": "no such customer"}


def test_a_500_is_retried_and_caught_by_awss_error_names(sojourn):
    retry = [{"ErrorEquals": ["States.Http.StatusCode.500"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    described = sojourn.run(
        {"Parameters": {"ApiEndpoint": f"{sojourn.url}/flaky", "Method": "GET"}, "Retry": retry}
    )
    assert output(described)["ResponseBody"] == {"ok": True}
    assert sojourn.api.calls["/flaky"] == 3

    caught = sojourn.run(
        {
            "Parameters": {"ApiEndpoint": f"{sojourn.url}/broken", "Method": "GET"},
            "Retry": [
                {"ErrorEquals": ["States.Http.StatusCode.500"], "IntervalSeconds": 1, "MaxAttempts": 1}
            ],
            "Catch": [
                {
                    "ErrorEquals": ["States.Http.StatusCode.404", "States.Http.StatusCode.500"],
                    "Next": "Failed",
                }
            ],
            "Next": "Done",
        },
        extra={"Failed": {"Type": "Pass", "End": True}, "Done": {"Type": "Succeed"}},
    )
    assert output(caught)["Error"] == "States.Http.StatusCode.500"
    assert sojourn.api.calls["/broken"] == 2


def test_a_redirect_is_not_followed_and_fails_with_its_status_code(sojourn):
    described = sojourn.run({"Parameters": {"ApiEndpoint": f"{sojourn.url}/moved", "Method": "GET"}})
    assert described["error"] == "States.Http.StatusCode.302"
    assert json.loads(described["cause"])["Headers"]["location"] == ["/echo"]
    assert [r["path"] for r in sojourn.api.requests] == ["/moved"]


def test_a_slow_server_beyond_the_timeout_fails_with_states_http_socket_and_is_retried(sojourn):
    failed = sojourn.run({"Parameters": {"ApiEndpoint": f"{sojourn.url}/slow", "Method": "GET"}})
    assert failed["error"] == "States.Http.Socket"
    assert "timed out after 1 seconds" in failed["cause"]

    sojourn.api.calls.clear()
    retried = sojourn.run(
        {
            "Parameters": {"ApiEndpoint": f"{sojourn.url}/slow", "Method": "GET"},
            "Retry": [{"ErrorEquals": ["States.Http.Socket"], "IntervalSeconds": 2, "MaxAttempts": 2}],
        }
    )
    assert output(retried)["ResponseBody"] == {"fast": True}
    assert sojourn.api.calls["/slow"] == 2


def test_a_refused_connection_fails_with_states_http_socket(sojourn):
    described = sojourn.run(
        {"Parameters": {"ApiEndpoint": f"http://127.0.0.1:{free_port()}/", "Method": "GET"}}
    )
    assert described["error"] == "States.Http.Socket"


def test_a_response_over_256_kib_fails_with_states_data_limit_exceeded(sojourn):
    described = sojourn.run({"Parameters": {"ApiEndpoint": f"{sojourn.url}/big", "Method": "GET"}})
    assert described["error"] == "States.DataLimitExceeded"


def test_a_binary_response_fails_with_states_runtime(sojourn):
    described = sojourn.run({"Parameters": {"ApiEndpoint": f"{sojourn.url}/image", "Method": "GET"}})
    assert described["error"] == "States.Runtime" and "image/png" in described["cause"]


def test_a_forbidden_header_from_a_path_fails_with_states_runtime(sojourn):
    described = sojourn.run(
        {"Parameters": {"ApiEndpoint": f"{sojourn.url}/echo", "Method": "GET", "Headers.$": "$.h"}},
        {"h": {"Authorization": "Bearer mine"}},
    )
    assert described["error"] == "States.Runtime"
    assert "unsupported values: [authorization]" in described["cause"]
    assert sojourn.api.requests == []


def test_an_unknown_connection_fails_the_task_naming_it(sojourn):
    described = sojourn.run(
        {
            "Parameters": {
                "ApiEndpoint": f"{sojourn.url}/secure",
                "Method": "GET",
                "Authentication": {"ConnectionArn": connection_arn("Nowhere")},
            }
        }
    )
    assert described["error"] == "Events.ConnectionResource.ResourceNotFound"
    assert "'Nowhere'" in described["cause"]


def _everything_written(sojourn: Sojourn, described: dict, caplog: Any) -> str:
    return json.dumps([described, sojourn.history(described)], default=str) + caplog.text


def test_api_key_and_basic_connections_reach_the_server_and_nothing_written(sojourn, caplog):
    caplog.set_level(logging.DEBUG)
    keyed = sojourn.run(
        {
            "Parameters": {
                "ApiEndpoint": f"{sojourn.url}/secure",
                "Method": "GET",
                "Headers": {"X-Tenant": "definition's"},
                "Authentication": {"ConnectionArn": connection_arn("Keyed")},
            }
        }
    )
    basic = sojourn.run(
        {
            "Parameters": {
                "ApiEndpoint": f"{sojourn.url}/secure",
                "Method": "GET",
                "QueryParameters": {"page": "1", "size": "10"},
                "Authentication": {"ConnectionArn": connection_arn("Basic")},
            }
        }
    )
    output(keyed), output(basic)
    first, second = sojourn.api.requests
    assert first["headers"]["x-api-key"] == API_KEY
    assert first["headers"]["x-tenant"] == "acme"  # the connection's header wins, as on AWS
    assert (
        second["headers"]["authorization"]
        == "Basic " + base64.b64encode(f"sojourn:{PASSWORD}".encode()).decode()
    )
    assert second["query"] == "size=10&page=9"  # the connection's query parameter wins
    written = _everything_written(sojourn, keyed, caplog) + _everything_written(sojourn, basic, caplog)
    assert API_KEY not in written and PASSWORD not in written
    assert base64.b64encode(f"sojourn:{PASSWORD}".encode()).decode() not in written
    scheduled = next(e for e in sojourn.history(keyed) if e["type"] == "TaskScheduled")
    details = scheduled["taskScheduledEventDetails"]
    assert (details["resourceType"], details["resource"]) == ("http", "invoke")
    assert json.loads(details["parameters"])["Authentication"] == {"ConnectionArn": connection_arn("Keyed")}
    types = [e["type"] for e in sojourn.history(keyed)]
    assert [t for t in types if t.startswith("Task") and "State" not in t] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
    ]


def test_an_oauth_connection_fetches_a_client_credentials_token_once_and_reuses_it(sojourn, caplog):
    caplog.set_level(logging.DEBUG)
    state = {
        "Parameters": {
            "ApiEndpoint": f"{sojourn.url}/secure",
            "Method": "GET",
            "InvocationConfig": {"ConnectionArn": connection_arn("Crm")},
        }
    }
    first, second = sojourn.run(state), sojourn.run(state)
    output(first), output(second)
    calls = [r for r in sojourn.api.requests if r["path"] == "/secure"]
    assert [c["headers"]["authorization"] for c in calls] == ["Bearer bearer-token-1"] * 2
    assert sojourn.api.tokens == 1
    assert [r["form"] for r in sojourn.api.requests if r["path"] == "/token"] == [
        {"grant_type": "client_credentials", "scope": "read write"}
    ]
    written = _everything_written(sojourn, first, caplog)
    assert CLIENT_SECRET not in written and "bearer-token-1" not in written


def test_the_token_is_fetched_again_once_it_expires(sojourn):
    state = {
        "Parameters": {
            "ApiEndpoint": f"{sojourn.url}/secure",
            "Method": "GET",
            "Authentication": {"ConnectionArn": connection_arn("Crm")},
        }
    }
    output(sojourn.run(state))
    sojourn.clock.now += 3600
    output(sojourn.run(state))
    assert sojourn.api.tokens == 2


def _problems(parameters: Any, resource: str = HTTP) -> list[str]:
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, "End": True}}}
    if parameters is not None:
        definition["States"]["Call"]["Parameters"] = parameters
    found = [d for d in validate(definition) if d.severity == "ERROR"]
    return [f"{d.location}: {d.message.removesuffix(f' at {d.location}')}" for d in found]


def test_validation_names_the_state_and_field_of_each_static_mistake():
    assert _problems({"ApiEndpoint": "https://api.example.com/x", "Method": "GET"}) == []
    assert _problems({"ApiEndpoint.$": "$.url", "Method.$": "$.method"}) == []
    problems = _problems(
        {
            "Method": "FETCH",
            "Headers": {"Host": "x", "X-Amz-Date": "y"},
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:rule/x"},
            "Transform": {"RequestBodyEncoding": "GZIP", "RequestEncodingOptions": {"ArrayFormat": "PIPES"}},
        }
    )
    at = "/States/Call/Parameters"
    assert problems == [
        f"{at}/ApiEndpoint: The field 'ApiEndpoint' is required by arn:aws:states:::http:invoke",
        f"{at}/Method: The field 'Method' must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD",
        f"{at}/Authentication/ConnectionArn: The field 'ConnectionArn' must be an EventBridge connection ARN "
        "(arn:aws:events:<region>:<account>:connection/<name>/<id>)",
        f"{at}/Headers: The 'Headers' field contains unsupported values: [host, x-amz-date]",
        f"{at}/Transform/RequestBodyEncoding: The field 'RequestBodyEncoding' must be NONE or URL_ENCODED",
        f"{at}/Transform/RequestEncodingOptions/ArrayFormat: The field 'ArrayFormat' must be one of "
        "INDICES, REPEAT, COMMAS, BRACKETS",
    ]
    assert _problems(None) == ["/States/Call: An HTTP Task needs 'Parameters' with ApiEndpoint and Method"]
    assert _problems({"ApiEndpoint": "https://x", "Method": "GET"}, HTTP + ".waitForTaskToken") == [
        "/States/Call/Resource: arn:aws:states:::http:invoke supports the request-response pattern only"
    ]


def _invoke_through(handler: Any, parameters: dict[str, Any], **call: Any) -> Any:
    """`invoke` with an httpx.MockTransport (the integration's test seam) answering with `handler`."""
    from sojourn.integrations import http
    from sojourn.integrations.base import TaskCall

    settings = Settings(http_connections=CONNECTIONS)
    facilities = Facilities(settings=settings, http_transport=httpx.MockTransport(handler))
    return http.invoke(TaskCall(HTTP, parameters, **call), facilities)


def test_connection_body_parameters_are_merged_over_the_request_body_and_win():
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    connections = {
        "Body": HttpConnection(
            "Body", "API_KEY", api_key_name="k", api_key_value="v", body=(("Mode", "live"),)
        )
    }
    from sojourn.integrations import http
    from sojourn.integrations.base import TaskCall

    facilities = Facilities(
        settings=Settings(http_connections=connections), http_transport=httpx.MockTransport(answer)
    )
    parameters = {
        "ApiEndpoint": "https://api.example.com/jobs",
        "Method": "POST",
        "Authentication": {"ConnectionArn": connection_arn("Body")},
        "RequestBody": {"Job": "Engineer", "Mode": "test"},
    }
    result = http.invoke(TaskCall(HTTP, parameters), facilities)
    assert (
        result["StatusCode"] == 204 and result["StatusText"] == "No Content" and result["ResponseBody"] == ""
    )
    assert json.loads(sent[0].content) == {"Job": "Engineer", "Mode": "live"}
    parameters["RequestBody"] = "Job=Engineer"
    with pytest.raises(StatesError) as failed:
        http.invoke(TaskCall(HTTP, parameters), facilities)
    assert failed.value.error == "States.Runtime"


def test_a_request_without_a_body_sends_no_content_type():
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[1, 2])

    result = _invoke_through(
        answer, {"ApiEndpoint": "https://api.example.com/a?x=1", "Method": "GET", "QueryParameters": "y=2"}
    )
    assert result["ResponseBody"] == [1, 2]
    assert str(sent[0].url) == "https://api.example.com/a?x=1&y=2"
    assert "content-type" not in sent[0].headers


def test_the_tasks_own_shorter_timeout_fails_with_states_timeout():
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    parameters = {"ApiEndpoint": "https://api.example.com/slow", "Method": "GET"}
    with pytest.raises(StatesError) as failed:
        _invoke_through(answer, parameters, timeout_seconds=5)
    assert failed.value.error == "States.Timeout"
    with pytest.raises(StatesError) as failed:
        _invoke_through(answer, parameters)
    assert failed.value.error == "States.Http.Socket" and "60 seconds" in failed.value.cause


def test_jsonata_expressions_in_the_arguments_are_judged_when_evaluated():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": HTTP,
                "Arguments": {
                    "ApiEndpoint": "{% $states.input.url %}",
                    "Method": "{% $states.input.method %}",
                    "Headers": "{% $states.input.headers %}",
                    "Transform": {"RequestBodyEncoding": "{% $states.input.encoding %}"},
                },
                "End": True,
            }
        },
    }
    assert [d for d in validate(definition) if d.severity == "ERROR"] == []


def test_only_the_request_response_http_invoke_resolves_to_the_http_integration():
    from sojourn.integrations import http, module_name, resolve

    assert resolve(HTTP) is http
    assert module_name(HTTP + ".waitForTaskToken") is None and module_name(HTTP + ".sync") is None


def test_the_resource_parses_as_the_http_service_and_its_invoke_action():
    from sojourn.asl import resources

    parsed = resources.parse(HTTP)
    assert (parsed.kind, parsed.service, parsed.action) == (resources.Kind.SERVICE, "http", "invoke")
    assert parsed.event_names == ("http", "invoke")
