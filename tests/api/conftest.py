"""API test fixtures: the API's routes over real HTTP around any client (`serving`), and one real
`sojourn serve` per test module (`server`), driven by boto3 and the AWS CLI. The servers are in
tests/servers.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

from servers import Server, serve, serving_app
from sojourn import api

ROLE = "arn:aws:iam::123456789012:role/test"


@contextlib.contextmanager
def serving(client: Any, settings: Any = None) -> Iterator[str]:
    """Serve `sojourn.api.routes(client, settings)` over real HTTP; yield the endpoint URL."""
    with serving_app(Starlette(routes=api.routes(client, settings))) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `sojourn serve` per test module, on its own SQLite file."""
    with serve(tmp_path_factory.mktemp("serve")) as running:
        yield running
