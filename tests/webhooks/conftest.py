"""Webhook fixtures: a real receiver (not yet started: a test may want it down first), a clock the test
moves, and settings with a signing secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from humantask_support import Clock
from sojourn.config import Settings
from webhooks.receiver import Receiver

SECRET = "whsec-test-7f3a9c"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def settings(store_url: str, receiver: Receiver) -> Settings:
    return Settings.load(
        {"HOOK_SECRET": SECRET},
        db_url=store_url,
        webhooks={"ops": {"url": receiver.url, "secret_env": "HOOK_SECRET"}},
        webhook_timeout=0.5,
    )
