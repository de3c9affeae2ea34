"""The store's reads behind /metrics' gauges (sojourn.store.observed), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from test_mail_outbox import _enqueue

from sojourn.store.base import Store


def test_an_empty_database_has_nothing_waiting(store: Store):
    with store.transaction(write=False) as tx:
        gauges = tx.observed_gauges(100.0)
    assert set(gauges.values()) == {0.0}


def test_due_work_counts_as_overdue_after_a_minute_and_the_oldest_sets_the_age(store: Store):
    with store.transaction() as tx:
        for due in (10.0, 90.0, 200.0):  # the last is not due yet at 100
            tx.add_work(1, 1, "event", {"e": "start"}, due)
    with store.transaction(write=False) as tx:
        gauges = tx.observed_gauges(100.0)
    assert (gauges["work_due"], gauges["work_overdue"], gauges["work_oldest_age"]) == (2.0, 1.0, 90.0)


def test_pending_mail_is_the_outbox_backlog_and_a_leased_message_is_not_late(store: Store):
    _enqueue(store, 1, ["ann@x.org"], now=10.0)
    _enqueue(store, 2, ["bob@x.org"], now=40.0)
    with store.transaction(write=False) as tx:
        before = tx.observed_gauges(100.0)
    assert (before["mail_pending"], before["mail_overdue"]) == (2.0, 90.0)
    with store.transaction() as tx:
        tx.claim_mail("a", now=100.0, lease_seconds=60, limit=1)  # the oldest, leased until 160
    with store.transaction(write=False) as tx:
        after = tx.observed_gauges(100.0)
    assert (after["mail_pending"], after["mail_overdue"]) == (2.0, 60.0)
