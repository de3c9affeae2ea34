"""An HTTP Task end to end (issue 16): `sojourn serve --app` with a connection in its manifest whose API key
comes from the environment, a definition written as for AWS (ConnectionArn, Retry on
States.Http.StatusCode.500, Catch on a 404), a real partner API (uvicorn). The key reaches the partner and
appears nowhere Sojourn writes: not the server's log, not the database file, not the execution's history."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servers import serve, serving_app, wait_for_status

PARTNER_KEY = "partner-key-e2e-5150-secret"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/Partner/81210c42-8af1-456b-9c4a-6ff02fc664ac"
APP = """
name: orders
connections:
  Partner:
    api_key: {name: X-Partner-Key, value: "${Env:PARTNER_KEY}"}
    headers: {X-Client: sojourn}
state_machines:
  PlaceOrder:
    definition: definition.json
"""


def definition(api: str) -> dict[str, Any]:
    return {
        "StartAt": "Place",
        "States": {
            "Place": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {
                    "ApiEndpoint.$": f"States.Format('{api}/orders/{{}}', $.sku)",
                    "Method": "POST",
                    "Authentication": {"ConnectionArn": CONNECTION},
                    "RequestBody": {"quantity.$": "$.quantity"},
                },
                "Retry": [
                    {"ErrorEquals": ["States.Http.StatusCode.500"], "IntervalSeconds": 1, "MaxAttempts": 2}
                ],
                "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404"], "Next": "Unknown"}],
                "ResultSelector": {"order.$": "$.ResponseBody", "status.$": "$.StatusCode"},
                "End": True,
            },
            "Unknown": {"Type": "Pass", "End": True},
        },
    }


def partner(received: list[dict[str, Any]]) -> Starlette:
    async def orders(request: Request) -> Response:
        received.append({"headers": dict(request.headers), "body": await request.json()})
        sku = request.path_params["sku"]
        if sku == "ghost":
            return JSONResponse({"message": "no such product"}, status_code=404)
        if sum(1 for r in received if r["headers"].get("x-partner-key")) == 1:
            return JSONResponse({"message": "busy"}, status_code=500)  # the first call: retried
        return JSONResponse({"sku": sku, "placed": True})

    return Starlette(routes=[Route("/orders/{sku}", orders, methods=["POST"])])


def test_an_app_calls_its_partner_through_a_declared_connection_and_keeps_the_key_to_itself(tmp_path):
    received: list[dict[str, Any]] = []
    with serving_app(partner(received)) as api:
        (tmp_path / "app.yaml").write_text(APP)
        (tmp_path / "definition.json").write_text(json.dumps(definition(api)))
        env = {"PARTNER_KEY": PARTNER_KEY}
        with serve(tmp_path, "--app", str(tmp_path / "app.yaml"), env=env) as server:
            sfn = server.client()
            machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "PlaceOrder")
            arn = sfn.start_execution(
                stateMachineArn=machine["stateMachineArn"], input=json.dumps({"sku": "tea", "quantity": 2})
            )["executionArn"]
            done = wait_for_status(sfn, arn, "SUCCEEDED")
            assert json.loads(done["output"]) == {"order": {"sku": "tea", "placed": True}, "status": 200}
            ghost = sfn.start_execution(
                stateMachineArn=machine["stateMachineArn"], input=json.dumps({"sku": "ghost", "quantity": 1})
            )["executionArn"]
            caught = json.loads(wait_for_status(sfn, ghost, "SUCCEEDED")["output"])
            assert caught["Error"] == "States.Http.StatusCode.404"
            history = [
                sfn.get_execution_history(executionArn=a, maxResults=1000)["events"] for a in (arn, ghost)
            ]
            logs = server.logs()

    assert [r["headers"]["x-partner-key"] for r in received] == [PARTNER_KEY] * 3
    assert {r["headers"]["x-client"] for r in received} == {"sojourn"}
    assert received[0]["body"] == {"quantity": 2}
    written = json.dumps(history, default=str) + logs
    assert PARTNER_KEY not in written
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PARTNER_KEY.encode() not in path.read_bytes(), path
