"""Public SAM projects (tests/data/sam, SOURCES.md) deployed with `sojourn deploy --db` and run, and an Api
event's route over real HTTP with `sojourn serve --app template.yaml`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from servers import serve
from sojourn import arns
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.deployment import AppHost

PROJECTS = Path(__file__).resolve().parents[1] / "data" / "sam"


def deploy(template: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sojourn.cli", "deploy", str(template), "--db", db_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def database(tmp_path):
    """A database `sojourn deploy --db` writes to, and a client on it that runs what is started (as
    `sojourn serve` would, having loaded the deployed apps)."""
    settings = Settings(db_url=f"sqlite:///{tmp_path}/sojourn.db", data_dir=str(tmp_path / "data"))
    made: list[Client] = []

    def client() -> Client:
        made.append(Client(settings=settings, workers=0, start=False))
        AppHost(made[-1], settings).sync()
        return made[-1]

    yield settings.db_url, client
    for each in made:
        each.facilities.function_pool().close()
        each.close()


def run(client: Client, machine: str, data: dict) -> tuple[dict, list[dict]]:
    arn = arns.state_machine_arn(arns.DEFAULT_REGION, arns.DEFAULT_ACCOUNT, machine)
    started = client.start_execution(stateMachineArn=arn, input=json.dumps(data))
    client.run_until_idle()
    execution = client.describe_execution(executionArn=started["executionArn"])
    events = client.get_execution_history(executionArn=started["executionArn"])["events"]
    return execution, events


def test_stock_trader_deploys_lists_its_table_and_schedule_as_skipped_and_trades_until_the_table(
    database,
):
    db_url, client = database
    deployed = deploy(PROJECTS / "stock-trader" / "template.yaml", db_url)
    assert deployed.returncode == 0, deployed.stderr
    out = deployed.stdout
    assert (
        "created: function:StockCheckerFunction, function:StockSellerFunction, function:StockBuyerFunction"
        in out
    )
    assert "stateMachine:StockTradingStateMachine" in out
    assert "skipped: TransactionTable (AWS::Serverless::SimpleTable): comes with Sojourn's AWS service" in out
    assert (
        "skipped: StockTradingStateMachine.Events.HourlyTradingSchedule (AWS::Serverless::StateMachine "
        in out
    )
    assert "StockTradingStateMachineArn: arn:aws:states:us-east-1:123456789012:stateMachine:" in out

    execution, events = run(client(), "StockTradingStateMachine", {})
    done = [e["stateExitedEventDetails"]["name"] for e in events if e["type"] == "TaskStateExited"]
    assert done[0] == "Check Stock Value" and done[1] in ("Buy Stock", "Sell Stock")
    trade = json.loads(
        next(
            e
            for e in events
            if e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == done[1]
        )["stateExitedEventDetails"]["output"]
    )
    assert set(trade) >= {"id", "price", "type", "qty", "timestamp"}
    assert trade["type"] == ("buy" if done[1] == "Buy Stock" else "sell")
    # Record Transaction calls DynamoDB, which Sojourn has nowhere to send yet
    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.Runtime"
    assert "state 'Record Transaction'" in execution["cause"]
    assert "arn:aws:states:::dynamodb:putItem is not recognized" in execution["cause"]


def test_chain_of_responsibility_dispenses_through_its_four_functions(database):
    db_url, client = database
    deployed = deploy(PROJECTS / "chain-of-responsibility" / "template.yaml", db_url, "--json")
    assert deployed.returncode == 0, deployed.stderr
    answer = json.loads(deployed.stdout)
    assert sorted(answer["created"]) == sorted(
        [f"function:Dispense{n}Function" for n in (50, 20, 10, 1)] + ["stateMachine:ChainedStateMachine"]
    )
    assert answer["template"]["skipped"] == []

    execution, _ = run(client(), "ChainedStateMachine", {"dispense": "187"})
    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["dispense"] == "0"
    assert {k: v for k, v in output.items() if k != "dispense"} == {
        "50s": "3",
        "20s": "1",
        "10s": "1",
        "1s": "7",
    }


def test_deploying_again_leaves_the_state_machine_unchanged(database):
    db_url, _ = database
    template = PROJECTS / "chain-of-responsibility" / "template.yaml"
    assert deploy(template, db_url).returncode == 0
    again = deploy(template, db_url, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["unchanged"] == ["stateMachine:ChainedStateMachine"]


def test_a_mistake_in_a_template_fails_the_deploy_naming_file_logical_id_and_property(tmp_path, database):
    db_url, _ = database
    shutil.copytree(PROJECTS / "chain-of-responsibility", tmp_path / "atm")
    template = tmp_path / "atm" / "template.yaml"
    template.write_text(
        template.read_text().replace("CodeUri: functions/handler3/", "CodeUri: functions/gone/")
    )
    failed = deploy(template, db_url)
    assert failed.returncode != 0
    assert (
        "template.yaml: Dispense10Function.Properties.CodeUri: folder 'functions/gone/' does not exist"
        in (failed.stdout + failed.stderr)
    )


SERVED = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: Hello}
Globals:
  Function: {Runtime: python3.12, Environment: {Variables: {GREETING: !Ref Greeting}}}
Resources:
  Greet:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Events:
        One: {Type: Api, Properties: {Path: "/greet/{name}", Method: get}}
        Files: {Type: HttpApi, Properties: {Path: "/files/{proxy+}", Method: get}}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Say
        States: {Say: {Type: Task, Resource: "${GreetArn}", End: true}}
      DefinitionSubstitutions: {GreetArn: !GetAtt Greet.Arn}
      Events:
        Start: {Type: Api, Properties: {Path: /flow, Method: post}}
Outputs:
  Url: {Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/greet/ann"}
"""

HANDLER = """
import json, os

def handler(event, context):
    if "httpMethod" not in event:  # called by the state machine
        return {"said": os.environ["GREETING"] + " " + event["who"]}
    params = event["pathParameters"]
    return {"statusCode": 200, "body": json.dumps({"text": os.environ["GREETING"] + " " + str(params)})}
"""


@pytest.mark.slow
def test_sojourn_serve_runs_a_templates_api_events_over_http(tmp_path):
    folder = tmp_path / "greeter"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(textwrap.dedent(HANDLER))
    (folder / "template.yaml").write_text(textwrap.dedent(SERVED))
    with serve(
        tmp_path, "--app", str(folder / "template.yaml"), "--parameter-overrides", "Greeting=Hi"
    ) as server:
        one = httpx.get(f"{server.url}/greet/ann", timeout=30)
        assert one.status_code == 200, server.logs()
        assert one.json() == {"text": "Hi {'name': 'ann'}"}
        files = httpx.get(f"{server.url}/files/a/b.txt", timeout=30)
        assert files.json() == {"text": "Hi {'proxy': 'a/b.txt'}"}
        started = httpx.post(f"{server.url}/flow", json={"who": "Bo"}, timeout=30)
        assert started.status_code == 200, started.text
        assert set(started.json()) == {"executionArn", "startDate"}
        for _ in range(200):
            described = httpx.post(
                server.url,
                headers={
                    "X-Amz-Target": "AWSStepFunctions.DescribeExecution",
                    "Content-Type": "application/x-amz-json-1.0",
                },
                json={"executionArn": started.json()["executionArn"]},
                timeout=30,
            ).json()
            if described["status"] != "RUNNING":
                break
            time.sleep(0.05)  # a real server: its workers run the execution
        assert described["status"] == "SUCCEEDED", described
        assert json.loads(described["output"]) == {"said": "Hi Bo"}
        logs = server.logs()
        assert f"Url: {server.url}/greet/ann" in logs


@pytest.mark.slow
def test_hello_world_answers_its_api_event_over_http(tmp_path):
    with serve(tmp_path, "--app", str(PROJECTS / "hello-world" / "template.yaml")) as server:
        answer = httpx.get(f"{server.url}/hello", timeout=30)
        assert answer.status_code == 200, server.logs()
        assert answer.json() == {"message": "hello world"}
        assert f"HelloWorldApi: {server.url}/hello/" in server.logs()


@pytest.mark.slow
def test_sojourn_deploy_sends_a_template_and_its_overrides_to_a_running_server(tmp_path):
    folder = tmp_path / "greeter"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(textwrap.dedent(HANDLER))
    (folder / "template.yaml").write_text(textwrap.dedent(SERVED))
    with serve(tmp_path) as server:
        deployed = subprocess.run(
            [
                sys.executable,
                "-m",
                "sojourn.cli",
                "deploy",
                str(folder / "template.yaml"),
                "--endpoint",
                server.url,
                "--parameter-overrides",
                "Greeting=Howdy",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deployed.returncode == 0, deployed.stderr
        assert f"Url: {server.url}/greet/ann" in deployed.stdout
        assert f"api: ServerlessRestApi at {server.url}/" in deployed.stdout
        answer = httpx.get(f"{server.url}/greet/ann", timeout=30)
        assert answer.json() == {"text": "Howdy {'name': 'ann'}"}, server.logs()
