"""End-to-end fixtures: a real SMTP server for each test; Chromium (`browser`, `page`) as the console's
tests have it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console.conftest import browser, page  # noqa: F401 (fixtures shared with the console's tests)
from servers import Mailbox, smtp_server


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox
