"""`sojourn mail` and `sojourn logs` ask the running server (`/sojourn/mail`, `/sojourn/logs`), from any
folder, with the API's key; they never read nor create `./.sojourn`. `--db` and `--data-dir` read directly,
and a read never creates a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import Server, serve, wait_for

KEY = "cli-mail-key"
APP = """
name: notifier
functions:
  notify:
    handler: notify.handler
    code: functions
routes:
  - {method: POST, path: "/notify/{who}", function: notify, integration: simple}
"""
HANDLER = """
from sojourn.mail import send_email


def handler(event, context):
    print("notifying", event["who"])
    sent = send_email(to=[event["who"] + "@example.com"], subject="Hello " + event["who"], text="Hi!")
    return {"messageId": sent}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A server with an API key whose app's function sends mail; one message sent to ann."""
    home = tmp_path_factory.mktemp("notifier")
    (home / "functions").mkdir()
    (home / "functions" / "notify.py").write_text(HANDLER)
    (home / "app.yaml").write_text(textwrap.dedent(APP))
    with serve(home, "--app", str(home / "app.yaml"), env={"SOJOURN_API_KEY": KEY}) as running:
        sent = httpx.post(f"{running.url}/notify/ann", json={}, timeout=60)
        assert sent.status_code == 200, sent.text
        yield running


def sojourn(cwd: Path, *args: str, key: str | None = KEY) -> subprocess.CompletedProcess:
    """`sojourn ARGS` as a person types it in `cwd`: a new process, no SOJOURN_* but the API key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOJOURN_")}
    if key:
        env["SOJOURN_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "sojourn.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A folder that is not the server's, holding nothing."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def listed(server: Server, cwd: Path, *args: str) -> list[dict[str, Any]]:
    done = sojourn(cwd, "mail", "--endpoint", server.url, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["messages"]


def test_mail_from_another_folder_lists_and_shows_the_servers_mailbox(server, elsewhere):
    [message] = wait_for(lambda: [m for m in listed(server, elsewhere) if m["status"] == "KEPT"])  # delivered
    assert (message["to"], message["subject"]) == (["ann@example.com"], "Hello ann")
    assert message["createdDate"].startswith("20")  # a date again, as with --db
    table = sojourn(elsewhere, "mail", "--endpoint", server.url)
    assert "Hello ann" in table.stdout and message["messageId"] in table.stdout
    shown = sojourn(elsewhere, "mail", "show", message["messageId"], "--endpoint", server.url)
    assert shown.returncode == 0, shown.stderr
    assert "To: ann@example.com" in shown.stdout and shown.stdout.endswith("\nHi!\n")
    assert listed(server, elsewhere, "--to", "bob@example.com") == []
    assert list(elsewhere.iterdir()) == []  # no stray .sojourn/sojourn.db


def test_logs_from_another_folder_show_what_the_servers_functions_printed(server, elsewhere):
    shown = sojourn(elsewhere, "logs", "notify", "--endpoint", server.url)
    assert shown.returncode == 0, shown.stderr
    assert "notify" in shown.stdout and "succeeded" in shown.stdout and "notifying ann" in shown.stdout
    [record] = json.loads(sojourn(elsewhere, "logs", "--json", "--endpoint", server.url).stdout)
    assert (record["function"], record["status"]) == ("notify", "succeeded")
    assert "no invocations recorded" in sojourn(elsewhere, "logs", "nobody", "--endpoint", server.url).stdout
    assert list(elsewhere.iterdir()) == []


def test_mail_and_logs_need_the_api_key_as_the_api_does(server, elsewhere):
    for command in (("mail",), ("mail", "show", "x"), ("logs",)):
        refused = sojourn(elsewhere, *command, "--endpoint", server.url, key=None)
        assert refused.returncode == 1
        assert refused.stderr.startswith(
            "error: UnrecognizedClientException: Request is missing Authentication Token"
        )
        assert "Traceback" not in refused.stderr
    wrong = sojourn(elsewhere, "mail", "--endpoint", server.url, key="wrong")
    assert "The security token included in the request is invalid." in wrong.stderr
    assert httpx.get(f"{server.url}/sojourn/mail").status_code == 403


def test_an_unknown_message_and_a_bad_page_size_are_errors_in_aws_words(server, elsewhere):
    unknown = sojourn(elsewhere, "mail", "nope", "--endpoint", server.url)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: MessageDoesNotExist: Message Does Not Exist: 'nope'")
    answer = httpx.get(f"{server.url}/sojourn/mail", params={"maxResults": "0"}, headers={"X-Api-Key": KEY})
    assert answer.status_code == 400
    assert answer.json() == {
        "__type": "ValidationException",
        "message": (
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        ),
    }


def test_without_a_server_mail_and_logs_say_so_and_create_nothing(elsewhere):
    for command, option in (("mail", "--db"), ("logs", "--data-dir")):
        done = sojourn(elsewhere, command, "--endpoint", "http://127.0.0.1:9")
        assert done.returncode == 1 and "cannot reach Sojourn at http://127.0.0.1:9" in done.stderr
        assert option in done.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("command", [("mail",), ("list",), ("describe", "Nothing"), ("history", "arn:x")])
def test_reading_a_database_that_is_not_there_is_an_error_and_creates_none(elsewhere, command):
    done = sojourn(elsewhere, *command, "--db", "sqlite:///missing/sojourn.db")
    assert done.returncode == 1
    assert done.stderr.startswith("error: no database at sqlite:///missing/sojourn.db")
    assert list(elsewhere.iterdir()) == []
