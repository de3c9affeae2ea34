"""The outbox and its mailbox view: what `send_email` accepts, idempotency, `Client.list_mail`/`get_mail`.

The store-level tests run on SQLite and PostgreSQL (`store`).
"""

from __future__ import annotations

import pytest

from sojourn import errors as E
from sojourn.client import Client
from sojourn.config import Settings
from sojourn.mail import Message, enqueue, send_email
from sojourn.mail.deliverer import Deliverer


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"to": ["not-an-address"]}, "to: 'not-an-address' is not one valid email address"),
        ({"to": ["a@example.com, b@example.com"]}, "is not one valid email address"),
        ({"cc": ["ann@"]}, "cc: 'ann@' is not one valid email address"),
        ({"to": [], "cc": None}, "a message needs at least one recipient"),
        ({"html": None, "text": None}, "a message needs a body"),
        ({"html": "", "text": ""}, "a message needs a body"),
        ({"subject": "Hi\r\nBcc: everyone@example.com"}, "subject: cannot contain a line break"),
        ({"to": ["ann@example.com\nBcc: x@example.com"]}, "cannot contain a line break"),
        ({"sender": "nobody"}, "sender: 'nobody' is not one valid email address"),
        ({"to": [42]}, "to: an email address must be a non-empty string"),
    ],
)
def test_send_email_refuses_bad_messages_with_a_clear_value_error(fields, problem):
    arguments = {"to": ["ann@example.com"], "subject": "Hi", "text": "Hello", **fields}
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        send_email(**arguments)


def test_addresses_may_carry_display_names_and_a_single_string_is_one_recipient():
    message = Message(
        to="Ann Lee <Ann@Example.com>", subject="Hi", text="x", cc=['"Lee, Bob" <bob@example.com>']
    )
    assert message.to == ("Ann Lee <Ann@Example.com>",)
    assert message.cc == ('"Lee, Bob" <bob@example.com>',)
    assert message.recipients == ["ann@example.com", "bob@example.com"]


def test_send_email_queues_in_the_database_of_the_process_settings(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/sojourn.db"
    monkeypatch.setenv("SOJOURN_DB_URL", url)
    message_id = send_email(to=["ann@example.com"], subject="Hi", html="<p>Hello</p>")
    with Client(url, workers=0) as client:
        message = client.get_mail(messageId=message_id)
    assert (message["status"], message["to"], message["html"], message["text"]) == (
        "PENDING",
        ["ann@example.com"],
        "<p>Hello</p>",
        None,
    )


def test_the_same_idempotency_key_queues_one_message(store):
    first = enqueue(
        store, Message(to=["ann@example.com"], subject="Hi", text="x"), idempotency_key="exec/5/0"
    )
    again = enqueue(
        store, Message(to=["ann@example.com"], subject="Hi", text="x"), idempotency_key="exec/5/0"
    )
    other = enqueue(
        store, Message(to=["ann@example.com"], subject="Hi", text="x"), idempotency_key="exec/5/1"
    )
    assert first == again != other
    with store.transaction() as tx:
        assert len(tx.mail_messages(None, 10)) == 2


@pytest.fixture
def mailbox(store) -> Client:
    """A client on the outbox, with ten messages kept in the development mailbox (no SMTP host)."""
    for number in range(10):
        to = ["ann@example.com"] if number % 2 else ["Bob <BOB@example.com>"]
        enqueue(
            store,
            Message(
                to=to,
                cc=["hr@example.com"] if number == 9 else [],
                bcc=["audit@example.com"],
                subject=f"message {number}",
                text=f"body {number}",
            ),
            now=1_800_000_000.0 + number,
        )
    Deliverer(store, Settings(smtp_sender="dev@localhost"), clock=lambda: 1_800_000_100.0).deliver_due()
    client = Client(store=store, settings=Settings(smtp_sender="dev@localhost"), workers=0)
    yield client
    client.close()


def test_list_mail_pages_newest_first(mailbox):
    first = mailbox.list_mail(maxResults=4)
    second = mailbox.list_mail(maxResults=4, nextToken=first["nextToken"])
    third = mailbox.list_mail(maxResults=4, nextToken=second["nextToken"])
    subjects = [m["subject"] for page in (first, second, third) for m in page["messages"]]
    assert subjects == [f"message {n}" for n in range(9, -1, -1)]
    assert "nextToken" not in third
    newest = first["messages"][0]
    assert newest == {
        "messageId": newest["messageId"],
        "from": "dev@localhost",
        "to": ["ann@example.com"],
        "cc": ["hr@example.com"],
        "subject": "message 9",
        "createdDate": newest["createdDate"],
        "status": "KEPT",
        "attempts": 0,
        "lastError": None,
    }
    assert newest["createdDate"].timestamp() == 1_800_000_009.0


def test_list_mail_filters_by_recipient_case_insensitively_including_bcc(mailbox):
    bob = mailbox.list_mail(to="bob@EXAMPLE.com", maxResults=3)
    assert [m["subject"] for m in bob["messages"]] == ["message 8", "message 6", "message 4"]
    rest = mailbox.list_mail(to="bob@example.com", nextToken=bob["nextToken"])
    assert [m["subject"] for m in rest["messages"]] == ["message 2", "message 0"]
    assert len(mailbox.list_mail(to="audit@example.com")["messages"]) == 10
    assert mailbox.list_mail(to="nobody@example.com") == {"messages": []}


def test_get_mail_returns_the_bodies_and_every_recipient(mailbox):
    listed = mailbox.list_mail(maxResults=1)["messages"][0]
    message = mailbox.get_mail(messageId=listed["messageId"])
    assert message == {
        **listed,
        "bcc": ["audit@example.com"],
        "replyTo": [],
        "html": None,
        "text": "body 9",
        "sentDate": None,
    }


def test_an_unknown_message_or_page_token_is_a_clear_error(mailbox):
    with pytest.raises(E.MessageDoesNotExist, match="Message Does Not Exist: 'nope'"):
        mailbox.get_mail(messageId="nope")
    with pytest.raises(E.InvalidToken, match="Invalid Token"):
        mailbox.list_mail(nextToken="garbage!")
