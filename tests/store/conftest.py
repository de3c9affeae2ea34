"""Store fixtures: every contract test runs on SQLite (a file in tmp_path) and on PostgreSQL (a fresh schema)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sojourn.store.base import Store, open_store


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
