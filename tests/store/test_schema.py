"""A database migrated from an old schema is the database a fresh one is, as each database reports it."""

from __future__ import annotations

import pytest
from makers import execution
from test_migration import at_0002

from sojourn.store.base import open_store


def test_a_migrated_schema_equals_a_fresh_one(store_url: str, tmp_path, request: pytest.FixtureRequest):
    migrated = at_0002(store_url)
    migrated.migrate()
    fresh_url = (
        f"sqlite:///{tmp_path}/fresh.db"
        if migrated.dialect == "sqlite"
        else request.getfixturevalue("postgres_store_url")()
    )
    fresh = open_store(fresh_url)
    try:
        assert migrated.describe_schema() == fresh.describe_schema()
    finally:
        migrated.close()
        fresh.close()


def test_the_stored_size_counts_what_the_database_holds(store):
    empty = store.stored_bytes()
    with store.transaction() as tx:
        for number in range(200):
            row = execution(tx, f"arn:aws:states:us-east-1:1:execution:m:e{number}")
            tx.append_events(row, 1.0, [("PassStateEntered", {"name": "x" * 200})] * 5)
    assert store.stored_bytes() > empty > 0
