"""Deployed apps reach every process on the database: functions and routes, and their redeploys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from sojourn.client import Client
from sojourn.config import Settings
from sojourn.deployment import AppHost
from sojourn.gateway import Endpoint

APP = """
name: greeter
functions:
  greet:
    handler: greet.handler
    code: functions
    environment: {GREETING: "GREETING_VALUE"}
state_machines:
  Greet:
    definition: {StartAt: Say, States: {Say: {Type: Task, Resource: "${Function:greet}", End: true}}}
routes:
  - {method: POST, path: "/greet/{name}", function: greet, integration: simple}
"""


def write_app(folder, greeting="Hello"):
    (folder / "functions").mkdir(exist_ok=True)
    (folder / "functions" / "greet.py").write_text(
        "import os\n\ndef handler(event, context):\n"
        "    return {'text': os.environ['GREETING'] + ', ' + event['name']}\n"
    )
    (folder / "app.yaml").write_text(textwrap.dedent(APP).replace("GREETING_VALUE", greeting))
    return folder / "app.yaml"


@pytest.fixture
def clients(tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path}/sojourn.db", data_dir=str(tmp_path / "data"))
    made = [Client(settings=settings, workers=0, start=False) for _ in range(2)]
    yield settings, made
    for client in made:
        client.facilities.function_pool().close()
        client.close()


def test_an_app_deployed_by_one_process_is_loaded_by_another_and_so_are_its_redeploys(tmp_path, clients):
    from sojourn.manifest import load_manifest

    settings, (deployer, server) = clients
    served: list[list[Endpoint]] = []
    host = AppHost(server, settings, on_routes=served.append)
    AppHost(deployer, settings).deploy(load_manifest(write_app(tmp_path)))

    assert host.sync() == ["greeter"]
    assert [(e.method, e.path) for e in served[-1]] == [("POST", "/greet/{name}")]
    pool = server.facilities.function_pool()
    assert pool.invoke("greet", {"name": "Ada"}).result == {"text": "Hello, Ada"}
    assert host.sync() == []  # nothing redeployed: nothing reloaded

    AppHost(deployer, settings).deploy(load_manifest(write_app(tmp_path, greeting="Welcome")))
    assert host.sync() == ["greeter"]
    assert pool.invoke("greet", {"name": "Ada"}).result == {"text": "Welcome, Ada"}


def test_a_broken_redeploy_keeps_the_app_that_was_served(tmp_path, clients):
    from sojourn.manifest import load_manifest

    settings, (deployer, server) = clients
    host = AppHost(server, settings)
    AppHost(deployer, settings).deploy(load_manifest(write_app(tmp_path)))
    host.sync()
    (tmp_path / "app.yaml").write_text("functions: [not, a, mapping]\n")
    with deployer.store.transaction() as tx:  # as a deploy from elsewhere would record it
        for app in tx.registered_apps():
            tx.record_app(app["name"], app["path"], app["deployed_at"] + 1)
    assert host.sync() == []
    assert [e.path for e in host.endpoints] == ["/greet/{name}"]


@pytest.mark.slow
def test_sojourn_deploy_reaches_a_running_server(tmp_path):
    from servers import serve

    path = write_app(tmp_path)
    with serve(tmp_path) as server:
        assert httpx.post(server.url + "/greet/Ada", json={}, timeout=10).status_code == 404
        deployed = subprocess.run(
            [sys.executable, "-m", "sojourn.cli", "deploy", str(path), "--endpoint", server.url, "--json"],
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=60,
            cwd=tmp_path,
        )
        assert deployed.returncode == 0, deployed.stderr
        assert "function:greet" in json.loads(deployed.stdout)["created"]
        answer = httpx.post(server.url + "/greet/Ada", json={}, timeout=10)
        assert answer.json() == {"text": "Hello, Ada"}
        machines = server.client().list_state_machines()["stateMachines"]
        assert [m["name"] for m in machines] == ["Greet"]


@pytest.mark.slow
def test_deploying_through_the_server_needs_the_api_key_when_one_is_set(tmp_path):
    from servers import serve

    path = write_app(tmp_path)
    with serve(tmp_path, env={"SOJOURN_API_KEY": "s3cret"}) as server:
        refused = httpx.post(server.url + "/sojourn/apps", json={"path": str(path)}, timeout=30)
        assert refused.json()["__type"] == "UnrecognizedClientException"
        wrong = httpx.post(
            server.url + "/sojourn/apps", json={"path": str(path)}, headers={"X-Api-Key": "guess"}, timeout=30
        )
        assert wrong.json()["__type"] == "UnrecognizedClientException"
        function = httpx.post(
            server.url + "/sojourn/apps",
            json={"path": str(path)},
            timeout=30,
            headers={"X-Api-Key": Settings(api_key="s3cret").function_credential},
        )
        assert function.json()["__type"] == "AccessDeniedException"  # a function may not deploy apps
        deployed = httpx.post(
            server.url + "/sojourn/apps",
            json={"path": str(path)},
            headers={"X-Api-Key": "s3cret"},
            timeout=60,
        )
        assert deployed.status_code == 200 and "function:greet" in deployed.json()["created"]


@pytest.mark.slow
def test_an_app_whose_route_owns_the_root_keeps_it(tmp_path):
    from servers import serve

    path = write_app(tmp_path)
    path.write_text(path.read_text().replace('path: "/greet/{name}"', 'path: "/"').replace("POST", "GET"))
    (tmp_path / "functions" / "greet.py").write_text(
        "def handler(event, context):\n    return {'text': 'the app'}\n"
    )
    with serve(tmp_path, "--app", str(path)) as server:
        root = httpx.get(server.url + "/", timeout=30)
        assert root.status_code == 200 and root.json() == {"text": "the app"}


def test_an_apps_connections_reach_every_process_with_its_own_environments_secrets(
    tmp_path, clients, monkeypatch
):
    from sojourn.manifest import load_manifest

    settings, (deployer, server) = clients
    monkeypatch.setenv("GREETER_PARTNER_KEY", "key-from-this-process")
    path = write_app(tmp_path)
    path.write_text(
        path.read_text()
        + 'connections:\n  Partner: {api_key: {name: X-Key, value: "${Env:GREETER_PARTNER_KEY}"}}\n'
    )
    AppHost(deployer, settings).deploy(load_manifest(path))
    assert deployer.facilities.settings.http_connections["Partner"].api_key_value == "key-from-this-process"
    assert AppHost(server, settings).sync() == ["greeter"]
    assert server.facilities.settings.http_connections["Partner"].api_key_value == "key-from-this-process"
