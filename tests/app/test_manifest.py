"""The app manifest: errors that name the file, the entry and the field; an idempotent deploy
(issue 5, item 6)."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sojourn.config import Settings
from sojourn.functions import FunctionPool
from sojourn.manifest import ManifestError, deploy, load_manifest

DEFINITION = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${Function:askLead}", "Payload.$": "$"},
            "Next": "Child",
        },
        "Child": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": "${StateMachine:Audit}"},
            "End": True,
        },
    },
}

MANIFEST = """
name: leave
public_base_url: ${Env:PUBLIC_URL:-http://leave.example.com}
functions:
  askLead:
    handler: ask.handler
    code: functions
    environment:
      STATE_MACHINE_ARN: ${StateMachine:Leave}
      TOKEN: ${Env:LEAVE_TOKEN}
      LINKS: ${Sojourn:PublicBaseUrl}/decide
      DAYS: 20
    timeout: 10
    memory: 256
state_machines:
  Leave:
    definition: leave.json
  Audit:
    definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
routes:
  - {method: post, path: "/leave/{id}", function: askLead}
  - {method: POST, path: /start, state_machine: Leave}
email:
  host: smtp.example.com
  port: 587
  starttls: true
  password: ${Env:SMTP_PASSWORD}
"""

ENV = {"LEAVE_TOKEN": "s3cret", "SMTP_PASSWORD": "pw"}


def write_app(folder: Path, manifest: str = MANIFEST, definition: object = DEFINITION) -> Path:
    (folder / "functions").mkdir(exist_ok=True)
    (folder / "functions" / "ask.py").write_text("def handler(event, context):\n    return event\n")
    (folder / "leave.json").write_text(json.dumps(definition))
    (folder / "app.yaml").write_text(textwrap.dedent(manifest))
    return folder / "app.yaml"


def problems(path: Path, env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(ManifestError) as failure:
        load_manifest(path, env)
    return [str(p) for p in failure.value.problems]


def test_a_manifest_declares_functions_state_machines_routes_email_and_secrets(tmp_path):
    manifest = load_manifest(write_app(tmp_path), ENV)
    fn = manifest.functions["askLead"]
    assert fn.code_dir == (tmp_path / "functions").resolve() and fn.timeout == 10 and fn.memory == 256
    assert fn.environment["TOKEN"] == "s3cret" and fn.environment["DAYS"] == "20"
    assert fn.environment["STATE_MACHINE_ARN"] == "${StateMachine:Leave}"  # resolved at deploy
    assert set(manifest.state_machines) == {"Leave", "Audit"}
    assert [(r.method, r.path, r.function, r.state_machine) for r in manifest.routes] == [
        ("POST", "/leave/{id}", "askLead", None),
        ("POST", "/start", None, "Leave"),
    ]
    assert manifest.settings == {
        "smtp_host": "smtp.example.com",
        "smtp_port": 587,
        "smtp_starttls": True,
        "smtp_password": "pw",
        "public_base_url": "http://leave.example.com",
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("timeout: 10", "timeout: forever"), "app.yaml: functions.askLead.timeout: must be a number"),
        (
            ("handler: ask.handler", "handler: missing.handler"),
            "app.yaml: functions.askLead.handler: module 'missing'",
        ),
        (
            ("code: functions", "code: nowhere"),
            "app.yaml: functions.askLead.code: folder 'nowhere' does not exist",
        ),
        (("memory: 256", "memroy: 256"), "app.yaml: functions.askLead.memroy: unknown field"),
        (("function: askLead}", "function: nobody}"), "app.yaml: routes[0].function: no function 'nobody'"),
        (
            ('path: "/leave/{id}"', 'path: "leave/{id}"'),
            "app.yaml: routes[0].path: path 'leave/{id}' must start",
        ),
        (
            ("state_machine: Leave}", "state_machine: Nope}"),
            "app.yaml: routes[1].state_machine: no state machine",
        ),
        (
            ("definition: leave.json", "definition: gone.json"),
            "app.yaml: state_machines.Leave.definition: file",
        ),
        (
            ("${StateMachine:Leave}", "${StateMachine:Other}"),
            "app.yaml: functions.askLead.environment.STATE_MACHINE_ARN: "
            "${StateMachine:Other} names no state machine",
        ),
        (("port: 587", "port: many"), "app.yaml: email.port: must be a port number"),
        (
            ("http://leave.example.com", "http://0.0.0.0:8080"),
            "app.yaml: public_base_url: names a wildcard address",
        ),
    ],
)
def test_a_wrong_manifest_names_the_file_the_entry_and_the_field(tmp_path, change, expected):
    path = write_app(tmp_path, MANIFEST.replace(*change))
    assert any(p.startswith(expected) for p in problems(path)), problems(path)


def test_a_missing_secret_is_reported_where_it_is_used(tmp_path):
    found = problems(write_app(tmp_path), {"SMTP_PASSWORD": "pw"})
    assert found == [
        "app.yaml: functions.askLead.environment.TOKEN: environment variable LEAVE_TOKEN is not set"
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_app(
        tmp_path, MANIFEST.replace("timeout: 10", "timeout: -1").replace("memory: 256", "memory: 1")
    )
    assert len(problems(path)) == 2


def test_references_to_unknown_functions_and_invalid_definitions_are_refused(tmp_path):
    broken = json.loads(json.dumps(DEFINITION).replace("askLead", "nobody"))
    broken["States"]["Ask"]["Next"] = "Nowhere"
    found = problems(write_app(tmp_path, definition=broken))
    assert any("state_machines.Leave.definition: ${Function:nobody} names no function" in p for p in found)
    assert any("state_machines.Leave.definition: " in p and "Nowhere" in p for p in found)


def test_bad_yaml_gives_the_line(tmp_path):
    path = write_app(tmp_path, "functions: [unclosed\n")
    assert problems(path)[0].startswith("app.yaml: is not valid YAML (line 2")


# --- deploy ----------------------------------------------------------------------------------------


@pytest.fixture
def stepfunctions(tmp_path) -> Iterator[object]:
    """The runtime's boto3-shaped `sojourn.Client` on SQLite; boto3 on moto until it is importable."""
    try:
        from sojourn.client import Client
    except ImportError:
        moto = pytest.importorskip("moto")
        import boto3

        with moto.mock_aws():
            yield boto3.client(
                "stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
            )
        return
    client = Client(
        f"sqlite:///{tmp_path / 'sojourn.db'}", settings=Settings(data_dir=str(tmp_path / "data"))
    )
    yield client
    client.close()


@pytest.fixture
def pool() -> Iterator[FunctionPool]:
    pool = FunctionPool()
    yield pool
    pool.close()


def test_deploy_creates_everything_with_references_resolved(tmp_path, stepfunctions, pool):
    manifest = load_manifest(write_app(tmp_path), ENV)
    report = deploy(manifest, stepfunctions, Settings(data_dir=str(tmp_path / "data")), functions=pool)
    assert sorted(report["created"]) == ["function:askLead", "stateMachine:Audit", "stateMachine:Leave"]
    machines = {m["name"]: m["stateMachineArn"] for m in stepfunctions.list_state_machines()["stateMachines"]}
    definition = json.loads(
        stepfunctions.describe_state_machine(stateMachineArn=machines["Leave"])["definition"]
    )
    ask, child = definition["States"]["Ask"]["Parameters"], definition["States"]["Child"]["Parameters"]
    assert ask["FunctionName"] == "arn:aws:lambda:us-east-1:123456789012:function:askLead"
    assert child["StateMachineArn"] == machines["Audit"]
    environment = pool.get("askLead").environment
    assert environment["STATE_MACHINE_ARN"] == machines["Leave"]
    assert environment["LINKS"] == "http://leave.example.com/decide"
    assert pool.invoke("askLead", {"hi": 1}).result == {"hi": 1}


def test_deploying_twice_changes_nothing_the_second_time(tmp_path, stepfunctions, pool):
    settings = Settings(data_dir=str(tmp_path / "data"))
    deploy(load_manifest(write_app(tmp_path), ENV), stepfunctions, settings, functions=pool)
    again = deploy(load_manifest(tmp_path / "app.yaml", ENV), stepfunctions, settings, functions=pool)
    assert again["created"] == [] and again["updated"] == []
    assert sorted(again["unchanged"]) == ["function:askLead", "stateMachine:Audit", "stateMachine:Leave"]


def test_a_changed_definition_or_function_is_updated(tmp_path, stepfunctions, pool):
    settings = Settings(data_dir=str(tmp_path / "data"))
    deploy(load_manifest(write_app(tmp_path), ENV), stepfunctions, settings, functions=pool)
    changed = json.loads(json.dumps(DEFINITION))
    changed["Comment"] = "v2"
    path = write_app(tmp_path, MANIFEST.replace("timeout: 10", "timeout: 20"), changed)
    report = deploy(load_manifest(path, ENV), stepfunctions, settings, functions=pool)
    assert sorted(report["updated"]) == ["function:askLead", "stateMachine:Leave"]
    assert pool.get("askLead").timeout == 20


def test_people_and_groups_make_the_apps_directory(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text(
        "people:\n"
        "  ann: {name: Ann, email: ann@example.com, groups: [leads]}\n"
        "  bo: {email: bo@example.com, out_of_office: {delegate: ann}}\n"
        "groups:\n  finance: [bo]\n"
    )
    directory = load_manifest(path).directory
    assert directory.members("leads") == ("ann",) and directory.members("finance") == ("bo",)
    assert directory.person("bo").out_of_office.delegate == "ann"


def test_a_directory_entry_that_cannot_be_used_is_a_manifest_problem(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("people:\n  ann: {name: Ann}\n")
    with pytest.raises(ManifestError, match="'email' must be an email address"):
        load_manifest(path)


def test_the_directory_file_gives_people_and_groups_and_the_manifests_own_entries_win(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.json").write_text(
        json.dumps(
            {
                "people": {
                    "ann": {"name": "Ann", "email": "ann@example.com", "groups": ["leads"]},
                    "bo": {"name": "Bo", "email": "bo@example.com", "manager": "ann"},
                },
                "groups": {"finance": ["bo"]},
            }
        )
    )
    path = tmp_path / "app.yaml"
    path.write_text("directory: data/people.json\npeople:\n  bo: {name: Bo Inline, email: bo@example.com}\n")
    directory = load_manifest(path).directory
    assert directory.members("leads") == ("ann",) and directory.members("finance") == ("bo",)
    assert directory.person("bo").name == "Bo Inline" and directory.person("bo").manager is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read people.json"),
        ("[1, 2]", "must be a mapping of `people` and `groups`"),
        ('{"people": {"ann": {"name": "Ann"}}}', "'email' must be an email address"),
    ],
)
def test_a_directory_file_that_cannot_be_used_is_a_manifest_problem(tmp_path, content, message):
    if content is not None:
        (tmp_path / "people.json").write_text(content)
    path = tmp_path / "app.yaml"
    path.write_text("directory: people.json\n")
    with pytest.raises(ManifestError, match=re.escape(message)):
        load_manifest(path)


def test_connections_declare_the_http_tasks_authorization_with_secrets_from_the_environment(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text(
        "connections:\n"
        "  Stripe: {api_key: {name: x-api-key, value: '${Env:STRIPE_KEY}'}, headers: {X-Tenant: acme}}\n"
        "  Billing: {basic: {username: sojourn, password: '${Env:BILLING_PASSWORD}'}, query: {v: 2}}\n"
        "  Crm:\n"
        "    oauth: {token_url: 'https://crm.example.com/token', client_id: app,\n"
        "            client_secret: '${Env:CRM_SECRET}', scopes: [read, write]}\n"
    )
    env = {"STRIPE_KEY": "sk", "BILLING_PASSWORD": "pw", "CRM_SECRET": "cs"}
    connections = load_manifest(path, env=env).settings["http_connections"]
    stripe, billing, crm = connections["Stripe"], connections["Billing"], connections["Crm"]
    assert (stripe.authorization, stripe.api_key_name, stripe.api_key_value) == ("API_KEY", "x-api-key", "sk")
    assert stripe.headers == (("X-Tenant", "acme"),)
    assert (billing.authorization, billing.password, billing.query) == ("BASIC", "pw", (("v", "2"),))
    assert (crm.authorization, crm.client_secret, crm.scopes) == (
        "OAUTH_CLIENT_CREDENTIALS",
        "cs",
        ("read", "write"),
    )


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        ("{headers: {a: b}}", "connections.Stripe: needs exactly one of api_key, basic or oauth"),
        ("{api_key: {name: x-key}}", "connections.Stripe.api_key.value: is required"),
        ("{basic: {username: u, password: p}, api_key: {name: n, value: v}}", "needs exactly one"),
        (
            "{oauth: {token_url: 'https://t', client_id: c, secret: s}}",
            "connections.Stripe.oauth.secret: unknown",
        ),
        ("{api_key: {name: n, value: v}, cookies: {}}", "connections.Stripe.cookies: unknown field"),
    ],
)
def test_a_connection_that_cannot_be_used_is_a_manifest_problem(tmp_path, connection, expected):
    path = tmp_path / "app.yaml"
    path.write_text(f"connections:\n  Stripe: {connection}\n")
    with pytest.raises(ManifestError, match=re.escape(expected)):
        load_manifest(path)
