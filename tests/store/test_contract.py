"""The store's contract, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from makers import execution as _execution

from sojourn.store.base import Store, open_store

TABLES = {
    "state_machines",
    "machine_versions",
    "machine_aliases",
    "tags",
    "activities",
    "definitions",
    "machine_arns",
    "executions",
    "runs",
    "events",
    "work",
    "tokens",
    "activity_tasks",
}


def test_a_fresh_database_is_migrated_to_every_table_and_migrating_again_does_nothing(
    store: Store, store_url: str
):
    assert TABLES | {"schema_migrations", "apps", "mail_messages", "mail_recipients"} <= set(
        store.describe_schema()
    )
    assert store.migrate() == []
    again = open_store(store_url)
    assert again.migrate() == []
    again.close()


def test_a_failed_transaction_leaves_nothing_behind(store: Store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        _execution(tx)
        raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.execution("arn:aws:states:us-east-1:1:execution:m:e") is None


def test_executions_are_unique_by_machine_and_name(store: Store):
    with store.transaction() as tx:
        _execution(tx)
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)), store.transaction() as tx:
        _execution(tx)


def test_history_events_get_consecutive_ids_and_page_both_ways(store: Store):
    with store.transaction() as tx:
        execution = _execution(tx)
        for number in range(5):
            tx.append_events(execution, 10.0 + number, [("PassStateEntered", {"name": str(number)})])
        tx.save_event_counter(execution)
    with store.transaction() as tx:
        forward = tx.events(execution["id"], 2, 2)
        backward = tx.events(execution["id"], 0, 2, reverse=True, before_id=5)
        assert tx.execution(execution["arn"])["next_event_id"] == 6
    assert [(e["id"], e["type"], e["details"]) for e in forward] == [
        (3, "PassStateEntered", '{"name":"2"}'),
        (4, "PassStateEntered", '{"name":"3"}'),
    ]
    assert [e["id"] for e in backward] == [4, 3]


def test_due_work_is_claimed_once_until_its_lease_expires(store: Store):
    with store.transaction() as tx:
        execution = _execution(tx)
        tx.add_work(execution["id"], 1, "event", {"e": "timer"}, due_at=100.0)
    with store.transaction() as tx:
        assert tx.claim_work("a", now=99.0, lease_seconds=30, limit=10) == []  # not yet due
        claimed = tx.claim_work("a", now=100.0, lease_seconds=30, limit=10)
        assert [item["lease_owner"] for item in claimed] == ["a"]
        assert tx.claim_work("b", now=110.0, lease_seconds=30, limit=10) == []  # leased to a
        assert tx.next_due() == 130.0
    with store.transaction() as tx:  # a died: its lease runs out and b takes the work over
        assert [
            item["lease_owner"] for item in tx.claim_work("b", now=131.0, lease_seconds=30, limit=10)
        ] == ["b"]


def test_tags_are_upserted_by_key(store: Store):
    with store.transaction() as tx:
        tx.set_tag("arn:x", "team", "a")
        tx.set_tag("arn:x", "team", "b")
        assert tx.tags("arn:x") == [{"key": "team", "value": "b"}]


def test_concurrent_workers_never_claim_the_same_item(store: Store):
    with store.transaction() as tx:
        execution = _execution(tx)
        for _ in range(40):
            tx.add_work(execution["id"], 1, "event", {"e": "start"}, due_at=1.0)
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            with store.transaction() as tx:
                items = tx.claim_work(name, now=2.0, lease_seconds=60, limit=3)
            if not items:
                return
            with lock:
                claimed.extend(item["id"] for item in items)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40


def test_committing_due_work_wakes_an_idle_worker(store: Store):
    since = store.generation
    with store.transaction() as tx:
        execution = _execution(tx)
        tx.add_work(execution["id"], 1, "event", {"e": "start"}, due_at=1.0, now=1.0)
    assert store.wait(3.0, since=since)
    assert store.wait_for_work(3.0)


def test_postgres_wakes_workers_of_another_process_through_notify(postgres_store_url):
    url = postgres_store_url()
    listener, writer = open_store(url), open_store(url)
    stop = threading.Event()
    try:
        assert listener.start_listening(stop).wait(5.0)
        since = listener.generation
        with writer.transaction() as tx:
            execution = _execution(tx)
            tx.add_work(execution["id"], 1, "event", {"e": "start"}, due_at=1.0, now=1.0)
        assert listener.wait(3.0, since=since)
    finally:
        stop.set()
        listener.close()
        writer.close()


def test_a_definition_is_stored_once_however_many_executions_use_it(store: Store):
    with store.transaction() as tx:
        first = _execution(tx, "arn:aws:states:us-east-1:1:execution:m:a", '{"StartAt":"A"}')
        second = _execution(tx, "arn:aws:states:us-east-1:1:execution:m:b", '{"StartAt":"A"}')
        other = _execution(tx, "arn:aws:states:us-east-1:1:execution:m:c", '{"StartAt":"B"}')
    with store.transaction() as tx:
        assert first["definition_id"] == second["definition_id"] != other["definition_id"]
        assert tx.definition(first["definition_id"]) == '{"StartAt":"A"}'
        assert tx.definition(other["definition_id"]) == '{"StartAt":"B"}'


def test_executions_started_together_get_distinct_ids_in_start_order(store: Store):
    """The listing order: ids come from the database
    (MAX + 1 gave two concurrent PostgreSQL starts one number)."""
    together = (
        store.dialect == "postgres"
    )  # SQLite runs one writer at a time: its transactions cannot overlap
    barrier = threading.Barrier(4 if together else 1)
    errors: list[BaseException] = []
    with store.transaction() as tx:
        tx.definition_id(
            "{}"
        )  # a new definition's (or machine ARN's) row would make the others wait for the first commit
        tx.machine_id("arn:aws:states:us-east-1:1:stateMachine:m")

    def start(number: int) -> None:
        try:
            with store.transaction() as tx:
                _execution(tx, f"arn:aws:states:us-east-1:1:execution:m:e{number}")
                barrier.wait(5)  # every transaction has inserted, none has committed
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=start, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.transaction() as tx:
        listed = tx.list_executions(None, None, None, 10)
    assert not errors
    assert len({row["id"] for row in listed}) == len(listed) == 4
    assert [row["id"] for row in listed] == sorted((row["id"] for row in listed), reverse=True)
    assert {row["name"] for row in listed} == {"e0", "e1", "e2", "e3"}
