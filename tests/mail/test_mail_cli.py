"""`sojourn mail --db`: the development mailbox from the command line, read from a database
(tests/cli/test_mail_and_logs.py: from the server)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sojourn.cli import app
from sojourn.config import Settings
from sojourn.mail import Message, enqueue
from sojourn.mail.deliverer import Deliverer
from sojourn.store.base import open_store


@pytest.fixture
def db(tmp_path) -> str:
    """A database with two messages kept in the development mailbox (no SMTP host)."""
    url = f"sqlite:///{tmp_path}/sojourn.db"
    store = open_store(url)
    enqueue(
        store,
        Message(
            to=["lead@example.com"],
            subject="Leave request from [bold]Ann[/]",
            html="<p>Approve?</p>",
            text="Approve?\nhttps://leave.example.com/approve?token=abc\n",
        ),
    )
    enqueue(
        store, Message(to=["ann@example.com"], cc=["hr@example.com"], subject="Approved", html="<p>Enjoy</p>")
    )
    Deliverer(store, Settings(smtp_sender="dev@localhost")).deliver_due()
    store.close()
    return url


def sojourn(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, ["mail", *args], env={"COLUMNS": "200", **(env or {})})


def test_mail_lists_the_mailbox_newest_first(db):
    result = sojourn("--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "KEPT" in lines[1] and "Approved" in lines[1]
    assert "Leave request from [bold]Ann[/]" in result.output  # shown as written, not as markup


def test_mail_json_lists_messages_and_filters_by_recipient(db):
    result = sojourn("--db", db, "--json", "--to", "lead@example.com")
    assert result.exit_code == 0, result.output
    [message] = json.loads(result.output)["messages"]
    assert (message["subject"], message["status"], message["from"]) == (
        "Leave request from [bold]Ann[/]",
        "KEPT",
        "dev@localhost",
    )


def test_mail_show_prints_headers_and_the_text_body_or_else_the_html(db):
    listed = json.loads(sojourn("--db", db, "--json").output)["messages"]
    ids = {m["subject"]: m["messageId"] for m in listed}
    shown = sojourn("show", ids["Leave request from [bold]Ann[/]"], "--db", db)
    assert shown.exit_code == 0, shown.output
    assert "From: dev@localhost" in shown.output and "To: lead@example.com" in shown.output
    assert shown.output.endswith("\nApprove?\nhttps://leave.example.com/approve?token=abc\n")
    html_only = sojourn(ids["Approved"], "--db", db)
    assert "Cc: hr@example.com" in html_only.output
    assert html_only.output.endswith("\n<p>Enjoy</p>\n")


def test_without_db_mail_asks_the_server_not_the_database_of_the_environment(db):
    result = sojourn("--json", "--endpoint", "http://127.0.0.1:9", env={"SOJOURN_DB_URL": db})
    assert result.exit_code == 1
    assert "cannot reach Sojourn at http://127.0.0.1:9/sojourn/mail" in result.output


def test_an_unknown_message_is_one_red_line_not_a_traceback(db):
    result = sojourn("show", "nope", "--db", db)
    assert result.exit_code == 1
    assert "MessageDoesNotExist: Message Does Not Exist: 'nope'" in result.output
    assert "Traceback" not in result.output
    assert sojourn("show", "--db", db).exit_code == 1


def test_mail_has_help():
    result = sojourn("--help")
    assert result.exit_code == 0
    assert "development" in result.output.lower() or "mailbox" in result.output.lower()
