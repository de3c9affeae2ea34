"""Portal fixtures: Chromium (`browser`, as the console's tests have it) and a `page` at a desktop's width
and at a phone's, which fails its test if a script error happened on it (the pages have no script)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from console.conftest import browser  # noqa: F401 (fixture shared with the console's tests)

WIDTHS = [1280, 390]


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def page(
    browser: Any,  # noqa: F811 (the fixture imported above)
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []
