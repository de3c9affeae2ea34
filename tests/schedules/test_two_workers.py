"""Two processes' workers on one PostgreSQL database fire the same schedules: each due time starts exactly
one execution (the schedule's row is locked with SKIP LOCKED, the firing's key refuses a second start)."""

from __future__ import annotations

import threading

import pytest

from schedule_support import Clock, deploy, executions, write_app
from sojourn.client import Client
from sojourn.store.base import open_store

MINUTE = 60.0


@pytest.fixture
def pg_url(postgres_store_url) -> str:
    return str(postgres_store_url())


def test_two_workers_start_each_due_time_exactly_once(pg_url, tmp_path):
    clock = Clock()
    spec = {"state_machine": "report", "expression": "rate(1 minute)"}
    schedules = {f"s{i}": spec for i in range(4)}
    first = Client(pg_url, clock=clock, start=False)
    second = Client(pg_url, clock=clock, start=False)
    deploy(first, write_app(tmp_path / "app", schedules))
    steps = 20
    for _ in range(steps):
        barrier = threading.Barrier(2)
        failures: list[BaseException] = []

        def run(client: Client, barrier: threading.Barrier = barrier, failures: list = failures) -> None:
            try:
                barrier.wait()
                client.run_until_idle()
            except BaseException as e:  # reported below: a thread's failure must fail the test
                failures.append(e)

        threads = [threading.Thread(target=run, args=(c,)) for c in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not failures
        clock.advance(MINUTE)
    names = executions(first)
    assert len(names) == len(set(names)) == 4 * steps
    with first.store.transaction() as tx:
        assert all(len(tx.schedule_firings(name)) == steps for name in schedules)
    first.close()
    second.close()


def test_a_due_time_already_started_is_refused_by_its_key(pg_url):
    store = open_store(pg_url)
    with store.transaction() as tx:
        assert tx.claim_schedule_firing("s", 1.0, "arn:1", 1.0)
    with store.transaction() as tx:
        assert not tx.claim_schedule_firing("s", 1.0, "arn:2", 2.0)
        assert [f["execution_arn"] for f in tx.schedule_firings("s")] == ["arn:1"]
    store.close()
