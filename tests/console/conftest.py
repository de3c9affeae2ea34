"""Console fixtures: a real Sojourn client on a SQLite file, served over real HTTP by uvicorn; Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sojourn.client import Client
from sojourn.config import Settings

from .support import CALLBACK, CHROMIUM, CHROMIUM_ARGS, WORK, serving


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_url=f"sqlite:///{tmp_path}/sojourn.db", data_dir=str(tmp_path))


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(**kwargs: Any) -> Client:
        kwargs.setdefault("resources", {WORK: lambda payload: {"ok": True}, CALLBACK: lambda payload: None})
        kwargs.setdefault("workers", 2)
        client = Client(settings=settings, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


@pytest.fixture
def base_url(client: Client, settings: Settings) -> Iterator[str]:
    with serving(client, settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Not for the session: Playwright's sync API keeps an event loop running on
    the main thread while it is open, and later tests call `asyncio.run` there."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
