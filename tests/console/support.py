"""Helpers for the console tests: a real server for a client, a definition with a waiting task, waits."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from servers import serving_app
from sojourn import api, console
from sojourn.client import Client
from sojourn.config import Settings

ROLE = "arn:aws:iam::123456789012:role/sojourn"
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
WORK = "arn:aws:states:::lambda:invoke"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def serving(client: Any, settings: Settings, app: Any = None) -> Iterator[str]:
    """The API and the console for `client` (or another ASGI `app`) over real HTTP; yields the base URL."""
    if app is None:
        app = Starlette(
            routes=[*api.routes(client, settings), *console.routes(client=client, settings=settings)]
        )
    with serving_app(app) as url:
        yield url


def approval_definition(**approve: Any) -> dict[str, Any]:
    """Prepare (a task), Approve (waits for a person, offering decision buttons),
    then a Choice on the answer."""
    return {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Task", "Resource": WORK, "ResultPath": "$.prepared", "Next": "Approve"},
            "Approve": {
                "Type": "Task",
                "Resource": CALLBACK,
                "ResultPath": "$.answer",
                "Next": "Decide",
                "Parameters": {
                    "FunctionName": "notify",
                    "Payload": {
                        "token.$": "$$.Task.Token",
                        "employee.$": "$.employee",
                        "decisions": {"Approve": {"decision": "approved"}, "Deny": {"decision": "denied"}},
                    },
                },
                **approve,
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.answer.decision", "StringEquals": "approved", "Next": "Approved"},
                ],
                "Default": "Denied",
            },
            "Approved": {"Type": "Succeed"},
            "Denied": {"Type": "Fail", "Error": "Denied", "Cause": "The request was denied"},
        },
    }


def deploy(client: Client, definition: dict[str, Any], name: str = "approval") -> str:
    return client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]


def wait_until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (the runtime works in its own threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def waiting_tasks(client: Client) -> list[dict[str, Any]]:
    return client.list_waiting_tasks()["tasks"]


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
