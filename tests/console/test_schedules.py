"""The console's schedules page over real HTTP: each schedule with its expression, time zone, next and last
run and state, names escaped; Pause and Resume POST with the CSRF token (refused without); and the page in
Chromium at 1280 px and 390 px, where Pause is clicked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from schedule_support import deploy, write_app
from sojourn.client import Client
from sojourn.config import Settings

from .support import serving
from .test_responsive import DESKTOP, PHONE, check_fits, sized_page


@dataclass
class Site:
    client: Client
    url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("console-schedules")
    settings = Settings(db_url=f"sqlite:///{folder}/sojourn.db", data_dir=str(folder))
    client = Client(settings=settings, start=False)
    schedules = {
        "every-five": {"state_machine": "report", "expression": "rate(5 minutes)"},
        "nightly-paris-report-with-a-long-name": {
            "state_machine": "report",
            "expression": "cron(0 2 ? * MON-FRI *)",
            "timezone": "Europe/Paris",
            "flexible_window_minutes": 15,
        },
    }
    deploy(client, write_app(folder / "app", schedules))
    client.run_until_idle()  # every-five starts at once
    try:
        with serving(client, settings) as url:
            yield Site(client, url)
    finally:
        client.close()


@pytest.fixture
def http(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=10) as session:
        yield session


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def state(site: Site, name: str) -> str:
    return next(s["state"] for s in site.client.list_schedules()["schedules"] if s["name"] == name)


def test_the_page_lists_schedules_with_next_and_last_run(http):
    page = http.get("/console/schedules")
    assert page.status_code == 200 and 'href="/console/schedules" class="active"' in page.text
    row = page.text.split('data-schedule="every-five"')[1].split("</tr>")[0]
    assert "rate(5 minutes)" in row and "Enabled" in row and "/console/executions/" in row  # its last run
    other = page.text.split('data-schedule="nightly-paris-report-with-a-long-name"')[1].split("</tr>")[0]
    assert "Europe/Paris" in other and "within 15 min" in other and "—" in other  # never ran


def test_pause_and_resume_post_with_the_csrf_token(site, http):
    page = http.get("/console/schedules")
    refused = http.post("/console/schedules/every-five/pause", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and state(site, "every-five") == "ENABLED"
    paused = http.post("/console/schedules/every-five/pause", data={"csrf_token": csrf(page)})
    assert paused.status_code == 303 and state(site, "every-five") == "DISABLED"
    shown = http.get(paused.headers["location"])
    assert "Schedule paused" in shown.text and "Resume" in shown.text.split('data-schedule="every-five"')[1]
    resumed = http.post("/console/schedules/every-five/resume", data={"csrf_token": csrf(shown)})
    assert resumed.status_code == 303 and state(site, "every-five") == "ENABLED"
    assert http.post("/console/schedules/nope/pause", data={"csrf_token": csrf(shown)}).status_code == 404


def test_a_get_changes_nothing(site, http):
    assert http.get("/console/schedules/every-five/pause").status_code == 405
    assert state(site, "every-five") == "ENABLED"


@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_schedules_page_fits_the_screen_in_chromium(browser, site, width):
    name = "nightly-paris-report-with-a-long-name"
    with sized_page(browser, width) as page:
        page.goto(site.url + "/console/schedules")
        page.locator("h1").wait_for()
        check_fits(page, "schedules", width)
        page.locator(f'tr[data-schedule="{name}"] button', has_text="Pause").click()
        page.locator("p.notice", has_text="Schedule paused").wait_for()
        assert state(site, name) == "DISABLED"
        page.locator(f'tr[data-schedule="{name}"] button', has_text="Resume").click()
        page.locator("p.notice", has_text="Schedule resumed").wait_for()
    assert state(site, name) == "ENABLED"
