"""`sojourn schedules list|pause|resume` against a real `sojourn serve --app` whose app declares a schedule,
through its API (--endpoint, Sojourn's own ListSchedules and UpdateSchedule) and on a database (--db)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from servers import Server, serve, wait_for

from .test_commands import assert_user_error, sojourn

APP = """
name: cli-schedules
state_machines:
  Report: {definition: report.json}
schedules:
  tick: {state_machine: Report, expression: rate(1 minute), input: {kind: tick}}
  nightly: {state_machine: Report, expression: "cron(0 2 * * ? *)", timezone: Europe/Paris}
"""
REPORT = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("cli-schedules")
    (home / "app.yaml").write_text(APP)
    (home / "report.json").write_text(REPORT)
    with serve(home, "--app", str(home / "app.yaml")) as running:
        yield running


def api(server: Server, *args: str) -> Any:
    return sojourn("schedules", *args, "--endpoint", server.url)


def listed(server: Server) -> dict[str, Any]:
    return {s["name"]: s for s in json.loads(api(server, "list", "--json").stdout)["schedules"]}


def test_list_shows_each_schedule_with_its_next_and_last_run(server):
    started = wait_for(lambda: listed(server)["tick"].get("lastExecutionArn"))  # a rate starts at once
    assert started.split(":")[-1].startswith("tick-")
    table = api(server, "list").stdout
    assert "tick" in table and "rate(1 minute)" in table and "Europe/Paris" in table
    assert listed(server)["nightly"]["state"] == "ENABLED" and "lastRunDate" not in listed(server)["nightly"]


def test_pause_and_resume_change_the_schedules_state(server):
    assert "paused nightly" in api(server, "pause", "nightly").stdout
    assert listed(server)["nightly"]["state"] == "DISABLED"
    resumed = json.loads(api(server, "resume", "nightly", "--json").stdout)
    assert resumed["state"] == "ENABLED" and resumed["nextRunDate"]


def test_pausing_an_unknown_schedule_is_one_red_line(server):
    assert_user_error(api(server, "pause", "nope"), "Schedule does not exist")


def test_list_on_a_database(tmp_path):
    (tmp_path / "app.yaml").write_text(APP)
    (tmp_path / "report.json").write_text(REPORT)
    db = f"sqlite:///{tmp_path / 'sojourn.db'}"
    assert sojourn("deploy", str(tmp_path / "app.yaml"), "--db", db).exit_code == 0
    shown = json.loads(sojourn("schedules", "list", "--db", db, "--json").stdout)["schedules"]
    assert sorted(s["name"] for s in shown) == ["nightly", "tick"]
    assert sojourn("schedules", "pause", "tick", "--db", db).exit_code == 0
    shown = json.loads(sojourn("schedules", "list", "--db", db, "--json").stdout)["schedules"]
    assert {s["name"]: s["state"] for s in shown} == {"nightly": "ENABLED", "tick": "DISABLED"}
