"""End-to-end fixtures: a real SMTP server for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers import Mailbox, smtp_server


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox
