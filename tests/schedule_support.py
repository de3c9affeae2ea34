"""An app with schedules, deployed on a virtual clock (the workers fire schedules in their poll)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from sojourn.client import Client
from sojourn.deployment import AppHost
from sojourn.manifest import load_manifest

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z, a Friday
DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write_app(folder: Path, schedules: dict[str, Any]) -> Path:
    """An app.yaml with one state machine (`report`) and `schedules`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(DEFINITION), encoding="utf-8")
    manifest = {"name": "reports", "state_machines": {"report": "report.json"}, "schedules": schedules}
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return path


def deploy(client: Client, app_file: Path) -> dict[str, list[str]]:
    return AppHost(client, client.settings).deploy(load_manifest(app_file))


def executions(client: Client) -> list[str]:
    """The names of the executions started, oldest first."""
    machine = client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    found = client.list_executions(stateMachineArn=machine, maxResults=1000)["executions"]
    return sorted(e["name"] for e in found)
