"""The store's contract for the work queue and its leases, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from makers import EXECUTION, execution_and_run

from sojourn.store.base import Store


def _queue(store: Store, *due: float) -> tuple[int, int, list[int]]:
    """An execution with its run and work items due at `due`: (execution id, run id, work ids)."""
    with store.transaction() as tx:
        row, run = execution_and_run(tx)
        return row["id"], run, [tx.add_work(row["id"], run, "event", {"e": "timer"}, due_at=at) for at in due]


def test_due_work_comes_with_its_execution_arn_and_a_lease_makes_it_held(store: Store):
    _execution, run, (early, _late) = _queue(store, 5.0, 50.0)
    with store.transaction() as tx:
        due = tx.due_work(now=10.0, limit=10)
        assert [(item["id"], item["execution_arn"], item["run_id"], item["payload"]) for item in due] == [
            (early, EXECUTION, run, '{"e":"timer"}')
        ]
        tx.lease_work(early, "a", until=40.0)
    with store.transaction() as tx:
        held = tx.held_work(early, "a")
        assert (held["lease_owner"], held["due_at"], held["attempts"], held["execution_arn"]) == (
            "a",
            40.0,
            1,
            EXECUTION,
        )
        assert tx.held_work(early, "b") is None
        assert tx.lease_owners(now=39.0) == ["a"]
        assert tx.lease_owners(now=40.0) == []  # its lease has ended
        assert tx.due_work(now=10.0, limit=10) == []


def test_only_the_holder_renews_or_takes_an_item(store: Store):
    _execution, _run, (item, other) = _queue(store, 1.0, 1.0)
    with store.transaction() as tx:
        tx.claim_work("a", now=1.0, lease_seconds=10, limit=10)
        tx.renew_leases("b", [item], until=99.0)  # not b's: no change
        tx.renew_leases("a", [other], until=50.0)
        assert tx.next_due() == 11.0
        assert tx.take_work(item, "b") is False
        assert tx.take_work(item, "a") is True
        assert tx.take_work(item, "a") is False  # gone
        assert tx.count_work() == 1
        assert tx.next_due() == 50.0


def test_releasing_a_workers_leases_makes_its_items_due_now_and_wakes_the_workers(store: Store):
    _execution, _run, items = _queue(store, 1.0, 1.0, 1.0)
    with store.transaction() as tx:
        tx.claim_work("dead", now=1.0, lease_seconds=60, limit=2)
        tx.claim_work("alive", now=1.0, lease_seconds=60, limit=1)
    with store.transaction() as tx:
        assert tx.release_leases("dead", now=5.0) == 2
        assert tx.notify
        assert {item["id"] for item in tx.claim_work("b", now=5.0, lease_seconds=60, limit=10)} == set(
            items[:2]
        )
    with store.transaction() as tx:
        assert tx.release_leases("nobody", now=5.0) == 0
        assert not tx.notify


def test_work_is_deleted_by_id_by_run_and_by_execution(store: Store):
    execution_id, run, items = _queue(store, *[1.0] * 501)  # more ids than one statement takes
    with store.transaction() as tx:
        tx.delete_work(items[:501])
        assert tx.count_work() == 0
        other_run = tx.insert_run(execution_id, {}, parent_id=run)
        tx.add_work(execution_id, run, "event", {}, due_at=1.0)
        kept = tx.add_work(execution_id, other_run, "event", {}, due_at=1.0)
        tx.delete_run_work(run)
        assert [item["id"] for item in tx.due_work(now=1.0, limit=10)] == [kept]
        tx.delete_execution_work(execution_id)
        assert tx.count_work() == 0


def test_the_heartbeat_timeout_is_read_from_the_runs_pending_heartbeat_check(store: Store):
    execution_id, run, _items = _queue(store)
    with store.transaction() as tx:
        assert tx.heartbeat_seconds(run) is None
        tx.add_work(execution_id, run, "event", {"e": "heartbeat", "seconds": 30}, due_at=31.0)
        assert tx.heartbeat_seconds(run) == 30
