"""Shared fixtures: PostgreSQL reachability (required on CI, skipped with a reason elsewhere)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

POSTGRES_URL = os.environ.get("SOJOURN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except Exception as e:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {e}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL URL; skips locally when none, fails on CI (CI=true)."""
    reason = _postgres_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    return POSTGRES_URL


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
