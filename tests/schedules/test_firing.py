"""Schedules fire on a virtual clock: each due time starts one execution, named after the schedule and the
time; a restart starts nothing twice and runs a missed time only while its window is open (EventBridge
Scheduler invokes within the due minute or the flexible window, and never for times a schedule missed while
disabled); pause and resume; redeploys. Real SQLite files; time skipped, never slept."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from schedule_support import START, Clock, deploy, executions, write_app
from sojourn import errors
from sojourn.client import Client

MINUTE = 60.0


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/sojourn.db"


def client_on(db: str, clock: Clock) -> Client:
    return Client(db, clock=clock, start=False)


def test_a_rate_schedule_starts_at_once_then_every_period(db, tmp_path):
    clock = Clock()
    app = write_app(tmp_path / "app", {"tick": {"state_machine": "report", "expression": "rate(5 minutes)"}})
    client = client_on(db, clock)
    assert "schedule:tick" in deploy(client, app)["created"]
    client.run_until_idle()
    clock.advance(5 * MINUTE)
    client.run_until_idle()
    client.run_until_idle()  # nothing more is due
    assert executions(client) == ["tick-20270115T080000Z", "tick-20270115T080500Z"]
    listed = client.list_schedules()["schedules"][0]
    assert listed["state"] == "ENABLED" and listed["lastRunDate"].timestamp() == START + 5 * MINUTE
    assert listed["nextRunDate"].timestamp() == START + 10 * MINUTE
    client.close()


def test_the_execution_gets_the_schedules_input(db, tmp_path):
    clock = Clock()
    spec = {"state_machine": "report", "expression": "rate(1 hour)", "input": {"kind": "daily", "n": 1}}
    app = write_app(tmp_path / "app", {"tick": spec})
    client = client_on(db, clock)
    deploy(client, app)
    client.run_until_idle()
    arn = client.list_schedules()["schedules"][0]["lastExecutionArn"]
    described = client.describe_execution(executionArn=arn)
    assert json.loads(described["input"]) == {"kind": "daily", "n": 1}
    assert described["status"] == "SUCCEEDED"
    client.close()


def test_a_restart_never_starts_a_due_time_twice(db, tmp_path):
    clock = Clock()
    app = write_app(tmp_path / "app", {"tick": {"state_machine": "report", "expression": "rate(1 hour)"}})
    first = client_on(db, clock)
    deploy(first, app)
    first.run_until_idle()
    first.close()
    second = client_on(db, clock)  # the same moment, a new process
    deploy(second, app)  # `serve --app` redeploys at every start: unchanged, the next due time kept
    second.run_until_idle()
    assert executions(second) == ["tick-20270115T080000Z"]
    second.close()


def test_a_time_missed_during_downtime_runs_while_its_window_is_open(db, tmp_path):
    clock = Clock()
    spec = {"state_machine": "report", "expression": "cron(0 * * * ? *)", "flexible_window_minutes": 15}
    app = write_app(tmp_path / "app", {"hourly": spec})
    client = client_on(db, clock)
    deploy(client, app)
    client.close()  # down from 08:00 (the 08:00 time was due at once) ...
    clock.advance(14 * MINUTE)  # ... back at 08:14, inside the 15 minute window
    client = client_on(db, clock)
    client.run_until_idle()
    assert executions(client) == ["hourly-20270115T080000Z"]
    client.close()


def test_times_whose_window_closed_during_downtime_are_skipped(db, tmp_path):
    clock = Clock(START + 30)
    app = write_app(
        tmp_path / "app", {"hourly": {"state_machine": "report", "expression": "cron(0 * * * ? *)"}}
    )
    client = client_on(db, clock)
    deploy(client, app)  # next due: 09:00
    client.close()
    clock.now = START + 3 * 3600 + 30  # down until 11:00:30: 09:00 and 10:00 passed, 11:00 is in its minute
    client = client_on(db, clock)
    client.run_until_idle()
    assert executions(client) == ["hourly-20270115T110000Z"]
    clock.advance(MINUTE)
    client.run_until_idle()
    assert executions(client) == ["hourly-20270115T110000Z"]
    assert client.list_schedules()["schedules"][0]["nextRunDate"].timestamp() == START + 4 * 3600
    client.close()


def test_a_flexible_window_fires_within_it_after_the_due_time(db, tmp_path):
    clock = Clock(START + 1)
    spec = {"state_machine": "report", "expression": "cron(0 9 * * ? *)", "flexible_window_minutes": 10}
    app = write_app(tmp_path / "app", {"daily": spec})
    client = client_on(db, clock)
    deploy(client, app)
    fired_at = None
    clock.now = START + 3600 - 1  # just before 09:00
    for _ in range(11 * 60):  # second by second through the window
        clock.advance(1)
        client.run_until_idle()
        if executions(client) and fired_at is None:
            fired_at = clock.now
    assert fired_at is not None and START + 3600 <= fired_at < START + 3600 + 10 * MINUTE
    assert executions(client) == ["daily-20270115T090000Z"]  # named after the due time, not the firing
    client.close()


def test_a_paused_schedule_starts_nothing_and_resumes_from_its_next_time(db, tmp_path):
    clock = Clock()
    app = write_app(tmp_path / "app", {"tick": {"state_machine": "report", "expression": "rate(10 minutes)"}})
    client = client_on(db, clock)
    deploy(client, app)
    client.run_until_idle()
    paused = client.update_schedule(name="tick", state="DISABLED")
    assert paused["state"] == "DISABLED"
    clock.advance(35 * MINUTE)
    client.run_until_idle()
    assert executions(client) == ["tick-20270115T080000Z"]
    resumed = client.update_schedule(name="tick", state="ENABLED")
    assert resumed["nextRunDate"].timestamp() == START + 40 * MINUTE  # 08:10-08:30 are not run
    deploy(client, app)  # a redeploy leaves a schedule an operator paused or resumed as it is
    clock.advance(5 * MINUTE)
    client.run_until_idle()
    assert executions(client) == ["tick-20270115T080000Z", "tick-20270115T084000Z"]
    client.close()


def test_a_redeploy_keeps_paused_schedules_paused(db, tmp_path):
    clock = Clock()
    app = write_app(tmp_path / "app", {"tick": {"state_machine": "report", "expression": "rate(10 minutes)"}})
    client = client_on(db, clock)
    deploy(client, app)
    client.update_schedule(name="tick", state="DISABLED")
    deploy(client, app)
    assert client.list_schedules()["schedules"][0]["state"] == "DISABLED"
    client.close()


def test_pausing_an_unknown_schedule_is_resource_not_found(db):
    client = client_on(db, Clock())
    with pytest.raises(errors.ResourceNotFound):
        client.update_schedule(name="nope", state="DISABLED")
    with pytest.raises(errors.ValidationException):
        client.update_schedule(name="nope", state="PAUSED")
    client.close()


def test_deploying_creates_updates_and_deletes_the_apps_schedules(db, tmp_path):
    clock = Clock()
    folder = tmp_path / "app"
    client = client_on(db, clock)
    first = deploy(
        client,
        write_app(
            folder,
            {
                "a": {"state_machine": "report", "expression": "rate(1 hour)"},
                "b": {"state_machine": "report", "expression": "rate(1 day)"},
            },
        ),
    )
    assert {"schedule:a", "schedule:b"} <= set(first["created"])
    second = deploy(
        client,
        write_app(
            folder,
            {
                "a": {"state_machine": "report", "expression": "rate(2 hours)"},
                "c": {
                    "state_machine": "report",
                    "expression": "at(2027-02-01T09:00:00)",
                    "timezone": "Europe/Paris",
                },
            },
        ),
    )
    assert "schedule:a" in second["updated"] and "schedule:c" in second["created"]
    assert second["deleted"] == ["schedule:b"]
    listed = {s["name"]: s for s in client.list_schedules()["schedules"]}
    assert sorted(listed) == ["a", "c"] and listed["a"]["scheduleExpression"] == "rate(2 hours)"
    assert listed["c"]["nextRunDate"] == dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)  # 09:00 in Paris
    client.close()


def test_a_one_time_schedule_runs_once_then_has_no_next_time(db, tmp_path):
    clock = Clock()
    spec = {"state_machine": "report", "expression": "at(2027-01-15T09:00:00)"}
    client = client_on(db, clock)
    deploy(client, write_app(tmp_path / "app", {"once": spec}))
    clock.advance(3600)
    client.run_until_idle()
    clock.advance(86400)
    client.run_until_idle()
    assert executions(client) == ["once-20270115T090000Z"]
    assert "nextRunDate" not in client.list_schedules()["schedules"][0]
    client.close()


def test_the_end_date_stops_the_schedule(db, tmp_path):
    clock = Clock()
    spec = {"state_machine": "report", "expression": "rate(1 hour)", "end": "2027-01-15T09:30:00+00:00"}
    client = client_on(db, clock)
    deploy(client, write_app(tmp_path / "app", {"tick": spec}))
    for _ in range(4):
        client.run_until_idle()
        clock.advance(3600)
    assert executions(client) == ["tick-20270115T080000Z", "tick-20270115T090000Z"]
    client.close()


def test_a_schedule_whose_machine_is_gone_skips_its_time_and_goes_on(db, tmp_path):
    clock = Clock()
    client = client_on(db, clock)
    deploy(
        client,
        write_app(tmp_path / "app", {"tick": {"state_machine": "report", "expression": "rate(1 hour)"}}),
    )
    machine = client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    client.delete_state_machine(stateMachineArn=machine)
    client.run_until_idle()
    assert client.list_schedules()["schedules"][0]["nextRunDate"].timestamp() == START + 3600
    client.close()


def test_the_manifest_reports_every_unusable_schedule(tmp_path):
    from sojourn.manifest import ManifestError, load_manifest

    bad = {
        "wrong": {"state_machine": "report", "expression": "cron(0 12 * * *)"},
        "lost": {"state_machine": "nothing", "expression": "rate(1 hour)"},
        "zone": {"state_machine": "report", "expression": "rate(1 hour)", "timezone": "Mars/Base"},
        "wide": {"state_machine": "report", "expression": "rate(1 hour)", "flexible_window_minutes": 2000},
        "when": {"state_machine": "report", "expression": "rate(1 hour)", "start": "soon"},
        "odd": {"state_machine": "report", "expression": "rate(1 hour)", "every": 3},
        "bad name!": {"state_machine": "report", "expression": "rate(1 hour)"},
    }
    with pytest.raises(ManifestError) as raised:
        load_manifest(write_app(tmp_path / "app", bad))
    where = {(p.entry, p.field) for p in raised.value.problems}
    assert where == {
        ("schedules.wrong", "expression"),
        ("schedules.lost", "state_machine"),
        ("schedules.zone", "timezone"),
        ("schedules.wide", "flexible_window_minutes"),
        ("schedules.when", "start"),
        ("schedules.odd", "every"),
        ("schedules.bad name!", ""),
    }


def test_a_schedule_that_cannot_fire_never_holds_up_other_work(db, tmp_path):
    clock = Clock()
    client = client_on(db, clock)
    deploy(
        client,
        write_app(tmp_path / "app", {"tick": {"state_machine": "report", "expression": "rate(1 hour)"}}),
    )
    client.run_until_idle()
    with client.store.transaction() as tx:
        tx.set_schedule("tick", {"timezone": "Nowhere/Never"})  # a row no worker can move on
    clock.advance(3600)
    machine = client.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    arn = client.start_execution(stateMachineArn=machine, name="by-hand")["executionArn"]
    client.run_until_idle()
    assert client.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    client.close()
