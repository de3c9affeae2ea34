"""Delivery to a real SMTP server (aiosmtpd): what arrives, retries that lose nothing, refusals, giving up.

Every test runs on SQLite and on PostgreSQL (`store`); the clock is the test's, so no test sleeps.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest

from mail.support import eventually
from sojourn.config import Settings
from sojourn.mail import Message, enqueue
from sojourn.mail.deliverer import Deliverer, retry_delay
from sojourn.store.base import Store, open_store


def _message(**changes) -> Message:
    fields = {
        "to": ["Ann Lee <ann@example.com>"],
        "cc": ["bob@example.com"],
        "bcc": ["audit@example.com"],
        "subject": "Leave request for 2025-07-01",
        "html": "<p>Approve <b>this</b>?</p>",
        "text": "Approve this?\n",
        "reply_to": ["hr@example.com"],
    }
    return Message(**{**fields, **changes})


def _row(store: Store, message_id: str) -> dict:
    with store.transaction() as tx:
        return tx.mail_message(message_id)


def test_the_smtp_server_receives_recipients_subject_and_both_bodies(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    message_id = enqueue(store, _message(), now=clock())
    assert make_deliverer(smtp_settings).deliver_due() == 1
    [received] = smtp_server.received
    assert received.mail_from == "sojourn@example.com"
    assert received.rcpt_tos == ["ann@example.com", "bob@example.com", "audit@example.com"]
    headers = received.message
    assert (headers["From"], headers["To"], headers["Cc"], headers["Reply-To"]) == (
        "Sojourn <sojourn@example.com>",
        "Ann Lee <ann@example.com>",
        "bob@example.com",
        "hr@example.com",
    )
    assert headers["Bcc"] is None  # Bcc goes in the envelope only
    assert headers["Subject"] == "Leave request for 2025-07-01"
    assert headers["Message-ID"] == f"<{message_id}@example.com>"
    assert received.part("plain") == "Approve this?\n"
    assert received.part("html") == "<p>Approve <b>this</b>?</p>\n"
    row = _row(store, message_id)
    assert (row["status"], row["attempts"], row["sent_at"], row["sender"]) == (
        "SENT",
        1,
        clock(),
        "Sojourn <sojourn@example.com>",
    )


def test_a_message_with_only_an_html_body_arrives_as_html(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    enqueue(store, _message(text=None, sender="Leave App <leave@example.org>"), now=clock())
    make_deliverer(smtp_settings).deliver_due()
    [received] = smtp_server.received
    assert received.mail_from == "leave@example.org"
    assert received.message.get_content_type() == "text/html"
    assert received.part("html") == "<p>Approve <b>this</b>?</p>\n"


def test_a_server_that_answers_4xx_delays_the_mail_and_then_accepts_it(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    smtp_server.refuse("DATA", "451 4.3.0 Mailbox busy, try again later", times=2)
    message_id = enqueue(store, _message(), now=clock())
    deliverer = make_deliverer(smtp_settings)

    deliverer.deliver_due()
    row = _row(store, message_id)
    assert (row["status"], row["attempts"], row["last_error"]) == (
        "PENDING",
        1,
        "451 4.3.0 Mailbox busy, try again later",
    )
    assert row["due_at"] == clock() + retry_delay(1)
    assert deliverer.deliver_due() == 0  # not due yet: nothing is tried before the backoff ends

    clock.advance(retry_delay(1))
    deliverer.deliver_due()
    assert _row(store, message_id)["due_at"] == clock() + retry_delay(2)  # the backoff doubles
    clock.advance(retry_delay(2))
    deliverer.deliver_due()

    assert len(smtp_server.received) == 1
    row = _row(store, message_id)
    assert (row["status"], row["attempts"]) == ("SENT", 3)


def test_mail_queued_while_the_server_is_down_is_sent_once_it_is_up(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    first, second = (enqueue(store, _message(subject=f"number {n}"), now=clock()) for n in (1, 2))
    deliverer = make_deliverer(smtp_settings)
    deliverer.deliver_due()
    assert {_row(store, first)["status"], _row(store, second)["status"]} == {"PENDING"}
    assert "127.0.0.1" in _row(store, first)["last_error"]

    smtp_server.start()
    clock.advance(retry_delay(1))
    assert deliverer.deliver_due() == 2
    assert sorted(r.message["Subject"] for r in smtp_server.received) == ["number 1", "number 2"]
    assert {_row(store, first)["status"], _row(store, second)["status"]} == {"SENT"}


def test_a_5xx_rejection_marks_the_message_failed_with_the_servers_reply(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    smtp_server.refuse("DATA", "554 5.7.1 Message rejected as spam")
    rejected = enqueue(store, _message(subject="spam"), now=clock())
    accepted = enqueue(store, _message(subject="fine"), now=clock())
    make_deliverer(smtp_settings).deliver_due()
    row = _row(store, rejected)
    assert (row["status"], row["last_error"]) == ("FAILED", "554 5.7.1 Message rejected as spam")
    assert _row(store, accepted)["status"] == "SENT"  # the same connection goes on with the next message
    assert [r.message["Subject"] for r in smtp_server.received] == ["fine"]


def test_recipients_all_refused_for_good_fail_the_message(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    smtp_server.refuse("RCPT", "550 5.1.1 No such user", times=3)
    message_id = enqueue(store, _message(), now=clock())
    make_deliverer(smtp_settings).deliver_due()
    row = _row(store, message_id)
    assert row["status"] == "FAILED"
    assert "ann@example.com: 550 5.1.1 No such user" in row["last_error"]


def test_one_refused_recipient_among_accepted_ones_still_sends_and_notes_the_refusal(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    smtp_server.refuse("RCPT", "550 5.1.1 No such user")
    message_id = enqueue(store, _message(), now=clock())
    make_deliverer(smtp_settings).deliver_due()
    row = _row(store, message_id)
    assert row["status"] == "SENT"
    assert row["last_error"] == "ann@example.com: 550 5.1.1 No such user"
    assert smtp_server.received[0].rcpt_tos == ["bob@example.com", "audit@example.com"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_deliverer_logs_in_with_the_configured_credentials_and_never_records_the_password(
    store, smtp_server, smtp_settings, make_deliverer, clock, caplog
):
    caplog.set_level(logging.DEBUG, logger="sojourn.mail")
    smtp_server.start(credentials=("sojourn", "s3cret-pw"))
    message_id = enqueue(store, _message(), now=clock())
    make_deliverer(smtp_settings.replace(smtp_username="sojourn", smtp_password="wrong-pw")).deliver_due()
    refused = _row(store, message_id)
    assert (refused["status"], refused["last_error"].split(":")[0]) == (
        "PENDING",
        "SMTP server 127.0.0.1",
    )  # retried
    clock.advance(retry_delay(1))
    make_deliverer(smtp_settings.replace(smtp_username="sojourn", smtp_password="s3cret-pw")).deliver_due()
    assert _row(store, message_id)["status"] == "SENT"
    assert set(smtp_server.logins) == {"sojourn"}
    assert refused["last_error"].endswith(
        "535 5.7.8 Authentication credentials invalid"
    )  # recorded and logged,
    # the password is not
    assert "535" in caplog.text and "pw" not in refused["last_error"] + caplog.text


def test_mail_that_cannot_be_delivered_for_24_hours_fails(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    message_id = enqueue(store, _message(), now=clock())
    deliverer = make_deliverer(smtp_settings)
    deliverer.deliver_due()
    clock.advance(24 * 3600)
    deliverer.deliver_due()
    row = _row(store, message_id)
    assert row["status"] == "FAILED"
    assert row["last_error"].startswith("Gave up after 2 attempts over 24 h: SMTP server 127.0.0.1:")


def test_without_an_smtp_host_mail_is_kept_in_the_development_mailbox(
    store, smtp_server, make_deliverer, clock
):
    smtp_server.start()
    message_id = enqueue(store, _message(), now=clock())
    assert make_deliverer(Settings(smtp_sender="dev@localhost")).deliver_due() == 1
    row = _row(store, message_id)
    assert (row["status"], row["sender"], row["attempts"]) == ("KEPT", "dev@localhost", 0)
    assert smtp_server.received == []


def test_a_message_leased_by_one_deliverer_is_not_sent_by_another_until_the_lease_runs_out(
    store, smtp_server, smtp_settings, make_deliverer, clock
):
    smtp_server.start()
    message_id = enqueue(store, _message(), now=clock())
    with store.transaction() as tx:  # a deliverer that claimed the message and then died
        assert len(tx.claim_mail("dead-process", clock(), 600, 10)) == 1
    deliverer = make_deliverer(smtp_settings)
    assert deliverer.deliver_due() == 0
    clock.advance(600)
    assert deliverer.deliver_due() == 1  # the lease ran out: sent once, by the survivor
    assert len(smtp_server.received) == 1
    assert _row(store, message_id)["attempts"] == 2


def test_two_processes_delivering_the_same_outbox_send_each_message_once(
    store_url, store, smtp_server, smtp_settings, clock
):
    smtp_server.start()
    ids = [enqueue(store, _message(subject=f"m{n}"), now=clock()) for n in range(30)]
    other = open_store(store_url)  # a second process: its own connections
    deliverers = [
        Deliverer(store, smtp_settings, clock=clock, batch=3),
        Deliverer(other, smtp_settings, clock=clock, batch=3),
    ]

    def drain(deliverer: Deliverer) -> None:
        while deliverer.deliver_due():
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    other.close()
    assert sorted(r.message["Subject"] for r in smtp_server.received) == sorted(f"m{n}" for n in range(30))
    assert {_row(store, message_id)["status"] for message_id in ids} == {"SENT"}


def test_the_background_deliverer_wakes_when_mail_is_queued(store, smtp_server, smtp_settings):
    smtp_server.start()
    deliverer = Deliverer(store, smtp_settings).start()
    try:
        message_id = enqueue(store, _message())
        assert eventually(lambda: _row(store, message_id)["status"] == "SENT", store)
    finally:
        deliverer.stop()


def test_mail_queued_by_another_process_wakes_the_deliverer_on_postgresql(
    postgres_store_url, smtp_server, monkeypatch
):
    from sojourn.store import rounds as module

    monkeypatch.setattr(module, "IDLE_SECONDS_DEFAULT", 3600.0)  # only a wake-up can make it look again
    url = postgres_store_url()
    store = open_store(url)
    smtp_server.start()
    deliverer = Deliverer(
        store, Settings(db_url=url, smtp_host="127.0.0.1", smtp_port=smtp_server.port)
    ).start()
    try:
        code = (
            "from sojourn.mail import send_email; "
            "print(send_email(to=['ann@example.com'], subject='Hi', text='x'))"
        )
        sent = subprocess.run(
            [sys.executable, "-c", code],
            env={"SOJOURN_DB_URL": url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        message_id = sent.stdout.strip()
        assert eventually(lambda: _row(store, message_id)["status"] == "SENT", store)
    finally:
        deliverer.stop()
        store.close()
    assert [r.message["Subject"] for r in smtp_server.received] == ["Hi"]
