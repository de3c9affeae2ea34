"""What the human-task tests share: a Sojourn over a real SQLite file with the link pages and the approver
portal served over real HTTP, a virtual clock, a one-state definition around a human task, reading the links
out of the mail, and signing in to the portal."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from servers import serving_app
from sojourn import portal
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.directory import Directory
from sojourn.integrations.base import Facilities

ROLE = "arn:aws:iam::123456789012:role/test"
RESOURCE = "arn:aws:states:::sojourn:humanTask.waitForTaskToken"
BASE_URL = "http://tasks.example.com"


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def sojourn_with_links(
    tmp_path: Path,
    directory: dict[str, Any],
    clock: Clock | None = None,
    settings: Settings | None = None,
    base_url: str = BASE_URL,
) -> Iterator[tuple[Client, httpx.Client]]:
    """A client on a SQLite file in `tmp_path` (driven inline with `run_until_idle` when `clock` is given,
    by a worker otherwise) and an HTTP client of its link pages and portal; mail links go to `base_url`;
    `settings` adds to the test's own."""
    own = {"db_url": f"sqlite:///{tmp_path}/sojourn.db", "public_base_url": base_url}
    settings = settings.replace(**own) if settings is not None else Settings(**own)
    facilities = Facilities(settings=settings, directory=Directory.from_mapping(directory))
    if clock is not None:
        client = Client(settings=settings, facilities=facilities, clock=clock, start=False)
    else:
        client = Client(settings=settings, facilities=facilities, workers=1)
    try:
        with serving_app(Starlette(routes=portal.routes(client))) as url, httpx.Client(base_url=url) as http:
            yield client, http
    finally:
        client.close()


def ask_definition(arguments: dict[str, Any], caught: dict[str, Any] | None = None, **state: Any) -> str:
    """A JSONata definition whose one Task is a human task with `arguments`; an error is caught into the
    state `caught` (a Pass by default) with the error output."""
    return json.dumps(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": RESOURCE,
                    "Arguments": arguments,
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Next": "Caught",
                            "Output": "{% $states.errorOutput %}",
                        }
                    ],
                    "End": True,
                    **state,
                },
                "Caught": caught or {"Type": "Pass", "End": True},
            },
        }
    )


def mail(client: Client) -> list[tuple[str, str, str]]:
    """(to, subject, link path) of every email, oldest first."""
    found = []
    for message in reversed(client.list_mail()["messages"]):
        text = client.get_mail(messageId=message["messageId"])["text"]
        link = re.search(re.escape(BASE_URL) + r"(/tasks/link/\S+)", text)
        found.append((message["to"][0], message["subject"], link.group(1) if link else ""))
    return found


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a task page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def decide(http: httpx.Client, path: str, decision: str, **fields: str) -> httpx.Response:
    """Open a link's page and press one of its decisions."""
    csrf = csrf_of(http.get(path))
    return http.post(path, data={"csrf_token": csrf, "decision": decision, **fields})


def status(client: Client, arn: str) -> str:
    return str(client.describe_execution(executionArn=arn)["status"])


def output(client: Client, arn: str) -> Any:
    return json.loads(client.describe_execution(executionArn=arn)["output"])


def sign_in_paths(client: Client, address: str) -> list[str]:
    """The paths of the portal's sign-in links emailed to `address`, newest first."""
    found = []
    for message in client.list_mail()["messages"]:
        if message["to"] == [address]:
            text = client.get_mail(messageId=message["messageId"])["text"]
            link = re.search(r"https?://[^/\s]+(/tasks/signin/\S+)", text)
            if link:
                found.append(link.group(1))
    return found


def ask_to_sign_in(http: httpx.Client, address: str) -> httpx.Response:
    """Fill in the portal's sign-in form with `address`."""
    return http.post("/tasks", data={"csrf_token": csrf_of(http.get("/tasks")), "email": address})


def sign_in(client: Client, http: httpx.Client, address: str) -> None:
    """Sign `http` in to the portal as the person at `address`: ask for a link, open it, press the button."""
    ask_to_sign_in(http, address)
    path = sign_in_paths(client, address)[0]
    signed = http.post(path, data={"csrf_token": csrf_of(http.get(path))})
    assert signed.status_code == 303, signed.text
