"""Runtime fixtures: a real SQLite file, a clock the test moves, clients that drive work inline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from runtime_support import Clock

from sojourn.client import Client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/sojourn.db"


@pytest.fixture
def make_client(db_url: str, clock: Clock) -> Iterator[Callable[..., Client]]:
    """Clients on the same database file; each is closed at the end (a 'crash' is simply dropping one)."""
    made: list[Client] = []

    def make(resources: dict[str, Any] | None = None, **kwargs: Any) -> Client:
        kwargs.setdefault("start", False)
        kwargs.setdefault("clock", clock)
        client = Client(db_url, resources=resources or {}, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
