"""The store's contract for the mail outbox and its leases, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sojourn.store.base import Store


def _enqueue(store: Store, number: int, to: list[str], key: str | None = None, now: float = 1.0) -> str:
    fields = {
        "id": f"m{number}",
        "sender": None,
        "to_addresses": to,
        "cc_addresses": [],
        "bcc_addresses": ["audit@x.org"],
        "reply_to": [],
        "subject": f"S{number}",
        "html": None,
        "text": "body",
        "created_at": now,
    }
    with store.transaction() as tx:
        return tx.enqueue_mail(fields, [*to, "audit@x.org"], key)


def test_a_message_is_queued_once_per_idempotency_key_and_read_back_with_its_lists(store: Store):
    assert _enqueue(store, 1, ["ann@x.org"], key="k") == "m1"
    assert _enqueue(store, 2, ["bob@x.org"], key="k") == "m1"
    with store.transaction() as tx:
        message = tx.mail_message("m1")
        assert tx.mail_message("m2") is None
    assert (message["to_addresses"], message["bcc_addresses"], message["status"], message["text"]) == (
        ["ann@x.org"],
        ["audit@x.org"],
        "PENDING",
        "body",
    )


def test_messages_are_listed_newest_first_and_by_any_recipient(store: Store):
    for number, to in enumerate((["ann@x.org"], ["bob@x.org"], ["ann@x.org", "bob@x.org"])):
        _enqueue(store, number, to)
    with store.transaction() as tx:
        everything = tx.mail_messages(None, 10)
        assert [row["id"] for row in everything] == ["m2", "m1", "m0"]
        assert "text" not in everything[0] and everything[0]["to_addresses"] == ["ann@x.org", "bob@x.org"]
        assert [row["id"] for row in tx.mail_messages(everything[0]["seq"], 1)] == ["m1"]
        assert [row["id"] for row in tx.mail_messages(None, 10, "ann@x.org")] == ["m2", "m0"]
        assert [row["id"] for row in tx.mail_messages(None, 10, "audit@x.org")] == [
            "m2",
            "m1",
            "m0",
        ]  # Bcc too


def test_a_claimed_message_is_leased_and_only_its_owner_records_the_outcome(store: Store):
    _enqueue(store, 1, ["ann@x.org"])
    _enqueue(store, 2, ["bob@x.org"], now=5.0)
    with store.transaction() as tx:
        assert tx.claim_mail("a", now=0.5, lease_seconds=60, limit=10) == []  # not yet due
        claimed = tx.claim_mail("a", now=5.0, lease_seconds=60, limit=10)
        assert [(row["id"], row["lease_owner"], row["attempts"]) for row in claimed] == [
            ("m1", "a", 1),
            ("m2", "a", 1),
        ]
        assert tx.claim_mail("b", now=6.0, lease_seconds=60, limit=10) == []
        assert tx.next_mail_due() == 65.0
        assert tx.finish_mail(claimed[0]["seq"], "b", "SENT", "me@x.org", None, 7.0, None, "kept") is False
        assert tx.finish_mail(claimed[0]["seq"], "a", "SENT", "me@x.org", None, 7.0, None, "kept") is True
        assert tx.retry_mail_later(claimed[1]["seq"], "b", "busy", 100.0) is False
        assert tx.retry_mail_later(claimed[1]["seq"], "a", "busy", 100.0) is True
        assert tx.next_mail_due() == 100.0
        sent, retried = tx.mail_message("m1"), tx.mail_message("m2")
    assert (sent["status"], sent["sender"], sent["sent_at"], sent["text"], sent["lease_owner"]) == (
        "SENT",
        "me@x.org",
        7.0,
        "kept",
        None,
    )
    assert (retried["status"], retried["last_error"], retried["lease_owner"]) == ("PENDING", "busy", None)


def test_released_mail_leases_fall_due_now_and_due_mail_is_kept_without_smtp(store: Store):
    _enqueue(store, 1, ["ann@x.org"])
    _enqueue(store, 2, ["bob@x.org"], now=50.0)
    with store.transaction() as tx:
        tx.claim_mail("dead", now=1.0, lease_seconds=600, limit=10)
        tx.release_mail_leases(now=2.0)
        assert tx.next_mail_due() == 2.0
        assert tx.keep_due_mail(now=2.0, sender="dev@x.org") == 1
        assert tx.next_mail_due() == 50.0
        kept = tx.mail_message("m1")
    assert (kept["status"], kept["sender"], kept["lease_owner"]) == ("KEPT", "dev@x.org", None)
