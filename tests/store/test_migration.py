"""Migrations 0003 and 0004 carry existing data over: a database migrated from the schema before them,
with data, answers exactly as a fresh database where the same executions ran, and both go on the same way.

The old rows (data/schema_0002.json) were written by Sojourn before 0003, running `migration_workload`
(see make_schema_0002_fixture.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import migration_workload as workload
import pytest

from sojourn.client import Client
from sojourn.store.base import Store, migration_scripts, open_store

FIXTURE = json.loads((Path(__file__).parent / "data" / "schema_0002.json").read_text(encoding="utf-8"))


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def at_0002(url: str) -> Store:
    """A database at the schema before 0003, filled with the old rows."""
    store = open_store(url, migrate=False)
    store.migrate(only=FIXTURE["migrations"])
    with store.transaction() as tx:
        for table, rows in FIXTURE["rows"].items():
            for row in rows:
                tx._insert(table, row)  # rows of an older schema: no verb of today's store writes them
    return store


def migrated_from_0002(url: str) -> Client:
    """A database at the schema before 0003, with the old rows, migrated to 0003, then to today's."""
    store = at_0002(url)
    assert store.migrate(only=["0003_compact_executions.sql"]) == ["0003_compact_executions.sql"]
    # on a 0003 database with data: 0004, then the tables added since (human tasks)
    assert store.migrate() == [
        "0004_smaller_executions.sql",
        "0110_human_tasks.sql",
        "0120_human_task_links.sql",
        "0121_human_task_steps.sql",
        "0130_webhooks.sql",
        "0140_portal_sessions.sql",
        "0150_retention.sql",
        "0160_schedules.sql",
    ]
    return Client(store=store, resources=workload.resources({}), clock=Clock(FIXTURE["clock"]), start=False)


def test_a_migrated_database_answers_and_continues_as_a_fresh_one(store_url, tmp_path):
    old = migrated_from_0002(store_url)
    fresh_clock, fresh_tokens = Clock(workload.START), {}
    fresh = Client(
        f"sqlite:///{tmp_path}/fresh.db",
        resources=workload.resources(fresh_tokens),
        clock=fresh_clock,
        start=False,
    )
    workload.begin(fresh, fresh_clock, fresh_tokens)
    assert fresh_clock.now == FIXTURE["clock"]
    before = workload.snapshot(fresh)
    assert workload.snapshot(old) == before
    assert {e["describe"]["status"] for e in before["executions"].values()} == {
        "SUCCEEDED",
        "FAILED",
        "ABORTED",
        "RUNNING",
    }

    workload.finish(fresh, fresh_clock, fresh_tokens)
    workload.finish(old, old.clock, dict(FIXTURE["tokens"]))
    after = workload.snapshot(fresh)
    assert workload.snapshot(old) == after
    assert after != before and after["waiting"] == []
    for client in (old, fresh):
        client.close()
    old.store.close()


def test_a_lease_taken_before_the_migration_still_holds_until_it_ends(store_url):
    """A leased item's lease end becomes its due time: a dead worker's claim falls due when its lease ends."""
    store = open_store(store_url, migrate=False)
    store.migrate(only=FIXTURE["migrations"])
    with store.transaction() as tx:
        for table in ("state_machines", "executions", "runs"):
            for row in FIXTURE["rows"][table]:
                tx._insert(table, row)
        execution = FIXTURE["rows"]["executions"][0]["arn"]
        tx._insert(
            "work",
            {
                "execution_arn": execution,
                "run_id": 1,
                "kind": "invoke",
                "payload": "{}",
                "due_at": 10.0,
                "lease_owner": "gone",
                "lease_until": 40.0,
                "attempts": 1,
            },
        )
    store.migrate()
    with store.transaction() as tx:
        assert tx.next_due() == 40.0
        assert tx.claim_work("w", now=39.0, lease_seconds=30, limit=5) == []
        assert [item["lease_owner"] for item in tx.claim_work("w", now=40.0, lease_seconds=30, limit=5)] == [
            "w"
        ]
    store.close()


def test_shared_migrations_run_on_either_dialect_in_name_order_with_its_own(tmp_path):
    """A migration in `shared/` (SQL both dialects read alike) runs between the dialect's own, by name."""
    for folder, name in (
        ("sqlite", "0001_a.sql"),
        ("shared", "0002_b.sql"),
        ("postgres", "0003_c.sql"),
        ("sqlite", "0004_d.sql"),
    ):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text("SELECT 1;\n")
    assert sorted(migration_scripts("sqlite", tmp_path)) == ["0001_a.sql", "0002_b.sql", "0004_d.sql"]
    assert sorted(migration_scripts("postgres", tmp_path)) == ["0002_b.sql", "0003_c.sql"]
    (tmp_path / "shared" / "0004_d.sql").write_text("SELECT 1;\n")
    with pytest.raises(ValueError, match=r"0004_d\.sql"):
        migration_scripts("sqlite", tmp_path)


def test_a_link_given_before_0120_still_opens_its_task_after_it(store_url):
    store = open_store(store_url, migrate=False)
    before = [name for name in migration_scripts(store.dialect) if name < "0120"]
    store.migrate(only=before)
    link_hash = bytes.fromhex("ab" * 32)
    with store.transaction() as tx:  # rows as 0110 wrote them: the link's hash on the assignee
        tx._insert(
            "human_tasks",
            {
                "id": "ht-old",
                "token_hash": bytes(32),
                "execution_id": 1,
                "state_name": "Ask",
                "title": "Leave",
                "spec": "{}",
                "status": "OPEN",
                "created_at": 1.0,
            },
        )
        assignee = {"task_id": "ht-old", "person": "ann", "email": "ann@example.com", "name": "Ann"}
        tx._insert(
            "human_task_assignees", {**assignee, "link_hash": link_hash, "status": "ASKED", "asked_at": 1.0}
        )
    assert store.migrate() == [
        "0120_human_task_links.sql",
        "0121_human_task_steps.sql",
        "0130_webhooks.sql",
        "0140_portal_sessions.sql",
        "0150_retention.sql",
        "0160_schedules.sql",
    ]
    with store.transaction() as tx:
        found = tx.assignee_for_link(link_hash.hex())
        assert found is not None and (found["task_id"], found["person"], found["status"]) == (
            "ht-old",
            "ann",
            "ASKED",
        )
        assert tx.human_task("ht-old")["reminders_sent"] == 0
    store.close()


def test_a_database_a_newer_sojourn_migrated_is_refused_and_nothing_written(store_url):
    from sojourn.store.base import SchemaTooNew

    store = open_store(store_url)
    assert store.pending_migrations() == []
    with store.transaction() as tx:
        tx._execute("INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_from_the_future.sql', 0)")
    with pytest.raises(SchemaTooNew, match=r"9999_from_the_future\.sql"):
        store.migrate()
    with pytest.raises(SchemaTooNew, match="newer Sojourn"):
        store.pending_migrations()
    store.close()
    with pytest.raises(SchemaTooNew):
        open_store(store_url)


def test_migrate_check_lists_what_is_pending_and_migrate_applies_it(tmp_path):
    from typer.testing import CliRunner

    from sojourn.cli import app

    url = f"sqlite:///{tmp_path}/old.db"
    store = open_store(url, migrate=False)
    names = sorted(migration_scripts("sqlite"))
    store.migrate(only=names[:-1])  # as written by the release before the newest migration
    store.close()
    run = CliRunner().invoke
    check = run(app, ["migrate", "--check", "--db", url, "--json"])
    assert check.exit_code == 1 and json.loads(check.stdout)["pending"] == names[-1:]
    applied = run(app, ["migrate", "--db", url])
    assert applied.exit_code == 0 and names[-1] in applied.stdout
    again = run(app, ["migrate", "--check", "--db", url])
    assert again.exit_code == 0 and "up to date" in again.stdout
