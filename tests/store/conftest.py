"""Store fixtures: every contract test runs on SQLite (a file in tmp_path) and on PostgreSQL (a fresh schema)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from sojourn.store.base import Store, open_store


@pytest.fixture(scope="session")
def postgres_store_url(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes URLs of fresh schemas for this test session; all are dropped at the end."""
    import psycopg

    made: list[str] = []

    def fresh() -> str:
        made.append(f"sojourn_test_{uuid.uuid4().hex[:12]}")
        return f"{postgres_url}?schema={made[-1]}"

    yield fresh
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        for schema in made:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres_store_url")()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()
