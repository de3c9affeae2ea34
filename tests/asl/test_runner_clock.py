"""`sojourn.run` and time: Wait states wait on the clock given, the wall clock by default
(issue 2, item 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sojourn
from sojourn.runner import RealClock, VirtualClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WAIT_A_DAY = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": True}}}


class RecordingClock(VirtualClock):
    """A virtual clock that remembers every moment it was asked to wait for."""

    def __init__(self, start: datetime):
        super().__init__(start)
        self.waits: list[datetime] = []

    def sleep_until(self, moment: datetime) -> None:
        self.waits.append(moment)
        super().sleep_until(moment)


def test_a_wait_state_waits_on_the_clock_until_its_moment():
    clock = RecordingClock(T0)
    result = sojourn.run(WAIT_A_DAY, {"a": 1}, clock=clock)
    assert result.output == {"a": 1}
    assert clock.waits == [T0 + timedelta(days=1)]
    assert result.history[-1]["timestamp"] == T0 + timedelta(days=1)


def test_the_default_clock_is_the_wall_clock(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("sojourn.runner.time.sleep", slept.append)
    result = sojourn.run(WAIT_A_DAY, {})
    assert result.status == "SUCCEEDED"
    assert len(slept) == 1 and 86390 < slept[0] <= 86400


def test_real_clock_does_not_sleep_for_a_moment_already_past(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("sojourn.runner.time.sleep", slept.append)
    RealClock().sleep_until(datetime.now(UTC) - timedelta(seconds=5))
    assert slept == []


def test_input_left_out_is_an_empty_object_and_none_is_null():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    assert sojourn.run(definition, clock=VirtualClock()).output == {}
    assert sojourn.run(definition, None, clock=VirtualClock()).output is None
