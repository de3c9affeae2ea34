"""The store's contract for the approver portal's sign-in links and sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from makers import execution
from test_human_tasks import _assignee, _task

from sojourn.store.base import Store


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _link(secret: str, created_at: float, email: str = "ann@example.com") -> dict:
    return {
        "token_hash": _hash(secret),
        "person": "ann",
        "email": email,
        "name": "Ann",
        "created_at": created_at,
        "expires_at": created_at + 900,
        "used_at": None,
    }


def _session(secret: str, now: float) -> dict:
    return {
        "token_hash": _hash(secret),
        "person": "ann",
        "email": "ann@example.com",
        "name": "Ann",
        "created_at": now,
        "seen_at": now,
        "expires_at": now + 3600,
    }


def test_a_sign_in_link_is_used_once_and_only_before_it_expires(store: Store):
    with store.transaction() as tx:
        tx.add_sign_in_link(_link("one", 100.0))
        tx.add_sign_in_link(_link("two", 100.0))
    with store.transaction() as tx:
        assert tx.sign_in_link(_hash("one")) == _link("one", 100.0)
        assert tx.sign_in_link(_hash("none")) is None
        assert tx.use_sign_in_link(_hash("one"), 200.0) is True
        assert tx.use_sign_in_link(_hash("one"), 201.0) is False  # used already
        assert tx.use_sign_in_link(_hash("two"), 1000.0) is False  # expired at 1000
        assert tx.sign_in_link(_hash("one"))["used_at"] == 200.0


def test_unused_links_are_counted_per_address_and_expired_ones_forgotten(store: Store):
    with store.transaction() as tx:
        for n, at in enumerate((10.0, 20.0, 30.0)):
            tx.add_sign_in_link(_link(f"ann-{n}", at))
        tx.add_sign_in_link(_link("bob", 30.0, "bob@example.com"))
        tx.use_sign_in_link(_hash("ann-2"), 40.0)
    with store.transaction() as tx:
        assert tx.unused_sign_in_links("ann@example.com", 0.0, 50.0) == 2
        assert tx.unused_sign_in_links("ann@example.com", 15.0, 50.0) == 1
        assert tx.unused_sign_in_links("ann@example.com", 0.0, 920.0) == 0  # both expired by then
        tx.forget_expired_portal_rows(925.0)
        assert tx.sign_in_link(_hash("ann-0")) is None and tx.sign_in_link(_hash("bob")) is not None


def test_a_session_is_found_until_it_expires_moves_on_when_used_and_ends(store: Store):
    with store.transaction() as tx:
        tx.add_portal_session(_session("s", 100.0))
    with store.transaction() as tx:
        assert tx.portal_session(_hash("s"), 200.0) == _session("s", 100.0)
        assert tx.portal_session(_hash("s"), 3700.0) is None
        tx.touch_portal_session(_hash("s"), 3000.0, 6600.0)
        assert tx.portal_session(_hash("s"), 3700.0)["seen_at"] == 3000.0
        tx.end_portal_session(_hash("s"))
        assert tx.portal_session(_hash("s"), 3700.0) is None


def test_an_assignee_is_found_by_address_in_any_case_the_latest_first(store: Store):
    with store.transaction() as tx:
        row = execution(tx)
        tx.insert_human_task(_task(row["id"], "ht-1"))
        tx.insert_human_task(_task(row["id"], "ht-2"))
        tx.add_assignee({**_assignee("ht-1", "pat", 1.0), "name": "Pat Old"})
        tx.add_assignee({**_assignee("ht-2", "pat", 2.0), "name": "Pat Supplier"})
    with store.transaction() as tx:
        assert tx.assignee_by_email("PAT@example.COM") == {
            "person": "pat",
            "name": "Pat Supplier",
            "email": "pat@example.com",
        }
        assert tx.assignee_by_email("nobody@example.com") is None
