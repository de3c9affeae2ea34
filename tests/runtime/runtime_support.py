"""Helpers shared by the runtime tests: a clock the test moves,
and short ways to start and inspect executions."""

from __future__ import annotations

import json
from typing import Any

from sojourn.client import Client

ROLE = "arn:aws:iam::123456789012:role/sojourn"


class Clock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def machine(client: Client, definition: dict[str, Any], name: str = "m", type: str = "STANDARD") -> str:
    return client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, type=type)[
        "stateMachineArn"
    ]


def start(client: Client, machine_arn: str, input: Any = None, name: str | None = None) -> str:
    kwargs = {"name": name} if name else {}
    return client.start_execution(stateMachineArn=machine_arn, input=json.dumps(input or {}), **kwargs)[
        "executionArn"
    ]


def history(client: Client, arn: str) -> list[dict[str, Any]]:
    return client.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def types(client: Client, arn: str) -> list[str]:
    return [event["type"] for event in history(client, arn)]
