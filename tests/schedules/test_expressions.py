"""Schedule expressions as EventBridge Scheduler reads them, and when they fall due.

The cases come from the EventBridge Scheduler User Guide, "Schedule types"
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html): its rate, cron and one-time
syntax and its cron examples (`cron(0 10 * * ? *)`, `cron(15 12 * * ? *)`, `cron(0 18 ? * MON-FRI *)`,
`cron(0 8 1 * ? *)`, `cron(0/15 * * * ? *)`, `cron(0/10 * ? * MON-FRI *)`, `cron(0/5 8-17 ? * MON-FRI *)`,
`cron(0 9 ? * 2#1 *)`), and its daylight saving time rule: a local time that does not exist when clocks go
forward is skipped; one that happens twice when they go back runs once.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sojourn import schedules as s

UTC = s.zone("UTC")


def at(text: str, tz: str = "UTC") -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=s.zone(tz)).timestamp()


def local(epoch: float, tz: str = "UTC") -> str:
    return dt.datetime.fromtimestamp(epoch, s.zone(tz)).strftime("%Y-%m-%d %H:%M %a")


def following(expression: str, after: str, count: int, tz: str = "UTC", anchor: float = 0.0) -> list[str]:
    parsed, zone = s.parse(expression), s.zone(tz)
    found, moment = [], at(after, tz)
    for _ in range(count):
        nxt = s.next_time(parsed, moment, zone, anchor)
        assert nxt is not None
        found.append(local(nxt, tz))
        moment = nxt
    return found


# (expression, after (UTC), the next due times) -- the User Guide's examples, Thursday 2026-12-03 onwards
CRON_CASES = [
    ("cron(0 10 * * ? *)", "2026-12-03T11:00:00", ["2026-12-04 10:00 Fri", "2026-12-05 10:00 Sat"]),
    ("cron(15 12 * * ? *)", "2026-12-03T12:15:00", ["2026-12-04 12:15 Fri", "2026-12-05 12:15 Sat"]),
    ("cron(0 18 ? * MON-FRI *)", "2026-12-04T19:00:00", ["2026-12-07 18:00 Mon", "2026-12-08 18:00 Tue"]),
    ("cron(0 8 1 * ? *)", "2026-12-03T00:00:00", ["2027-01-01 08:00 Fri", "2027-02-01 08:00 Mon"]),
    ("cron(0/15 * * * ? *)", "2026-12-03T10:07:00", ["2026-12-03 10:15 Thu", "2026-12-03 10:30 Thu"]),
    ("cron(0/10 * ? * MON-FRI *)", "2026-12-04T23:55:00", ["2026-12-07 00:00 Mon", "2026-12-07 00:10 Mon"]),
    ("cron(0/5 8-17 ? * MON-FRI *)", "2026-12-03T17:55:00", ["2026-12-04 08:00 Fri", "2026-12-04 08:05 Fri"]),
    ("cron(0 9 ? * 2#1 *)", "2026-12-03T00:00:00", ["2026-12-07 09:00 Mon", "2027-01-04 09:00 Mon"]),
    # the wildcards: L (last day of the month), W (nearest weekday), LW, L-n, nL (last weekday n), lists
    ("cron(0 0 L * ? *)", "2027-01-15T00:00:00", ["2027-01-31 00:00 Sun", "2027-02-28 00:00 Sun"]),
    ("cron(0 0 LW * ? *)", "2027-01-15T00:00:00", ["2027-01-29 00:00 Fri", "2027-02-26 00:00 Fri"]),
    ("cron(0 0 3W * ? *)", "2027-03-01T00:00:00", ["2027-03-03 00:00 Wed", "2027-04-02 00:00 Fri"]),
    ("cron(0 0 1W * ? *)", "2027-05-01T00:00:00", ["2027-05-03 00:00 Mon", "2027-06-01 00:00 Tue"]),
    ("cron(0 0 L-2 * ? *)", "2027-01-01T00:00:00", ["2027-01-29 00:00 Fri", "2027-02-26 00:00 Fri"]),
    ("cron(0 0 ? * 6L *)", "2027-01-01T00:00:00", ["2027-01-29 00:00 Fri", "2027-02-26 00:00 Fri"]),
    ("cron(0 0 ? * L *)", "2026-12-03T00:00:00", ["2026-12-05 00:00 Sat", "2026-12-12 00:00 Sat"]),
    (
        "cron(30 6,18 1,15 JAN-MAR ? 2027)",
        "2026-12-03T00:00:00",
        ["2027-01-01 06:30 Fri", "2027-01-01 18:30 Fri"],
    ),
    ("cron(0 12 29 2 ? 2028/4)", "2026-12-03T00:00:00", ["2028-02-29 12:00 Tue", "2032-02-29 12:00 Sun"]),
]


@pytest.mark.parametrize(("expression", "after", "expected"), CRON_CASES)
def test_cron_expressions_fall_due_as_the_user_guide_says(expression, after, expected):
    assert following(expression, after, 2) == expected


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(7 days)", 604800),
    ],
)
def test_a_rate_counts_fixed_intervals_from_its_start(expression, seconds):
    start = at("2026-12-03T10:00:00")
    parsed = s.parse(expression)
    assert s.next_time(parsed, start - 100, UTC, start) == start  # no start date: at once
    assert s.next_time(parsed, start, UTC, start) == start + seconds
    assert s.next_time(parsed, start + seconds * 3 + 1, UTC, start) == start + seconds * 4


def test_a_one_time_schedule_falls_due_once_in_its_time_zone():
    parsed = s.parse("at(2026-12-24T10:00:00)")
    paris = s.zone("Europe/Paris")
    due = s.next_time(parsed, at("2026-12-01T00:00:00"), paris, 0)
    assert due == at("2026-12-24T09:00:00")  # 10:00 in Paris is 09:00 UTC in winter
    assert s.next_time(parsed, due, paris, 0) is None


@pytest.mark.parametrize(
    "text",
    [
        "rate(0 minutes)",
        "rate(5 weeks)",
        "rate(-1 hours)",
        "rate(five minutes)",
        "cron(0 12 * * *)",  # five fields
        "cron(0 12 * * * *)",  # neither day field is ?
        "cron(0 12 ? * ? *)",  # both are
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 * 13 ? *)",
        "cron(0 12 * * ? 1969)",
        "cron(0 12 ? * MON#6 *)",
        "cron(0/0 12 * * ? *)",
        "cron(0 12 ? * FUN *)",
        "at(2026-12-24 10:00:00)",
        "at(2026-12-24T10:00)",
        "at(2026-02-30T10:00:00)",
        "every 5 minutes",
    ],
)
def test_expressions_eventbridge_refuses_are_refused(text):
    with pytest.raises(s.ScheduleSyntaxError):
        s.parse(text)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(s.ScheduleSyntaxError, match="time zone"):
        s.zone("Mars/Olympus")


def test_a_time_the_clocks_skip_in_spring_is_skipped():
    # New York springs forward at 02:00 on Sunday 2027-03-14: 02:30 does not happen that day
    assert following("cron(30 2 * * ? *)", "2027-03-13T03:00:00", 2, "America/New_York") == [
        "2027-03-15 02:30 Mon",
        "2027-03-16 02:30 Tue",
    ]


def test_a_time_the_clocks_repeat_in_autumn_runs_once():
    # New York falls back at 02:00 on Sunday 2027-11-07: 01:30 happens twice, the schedule runs once
    tz = "America/New_York"
    first = s.next_time(s.parse("cron(30 1 * * ? *)"), at("2027-11-06T12:00:00", tz), s.zone(tz), 0)
    assert first is not None
    second = s.next_time(s.parse("cron(30 1 * * ? *)"), first, s.zone(tz), 0)
    assert second is not None and second - first == 25 * 3600  # the next day, not an hour later
    assert dt.datetime.fromtimestamp(first, dt.UTC).hour == 5  # 01:30 EDT (UTC-4), the first


def test_a_cron_schedule_keeps_its_local_time_across_daylight_saving_time():
    before, after_change = following("cron(0 9 ? * MON *)", "2027-03-20T00:00:00", 2, "Europe/Paris")
    assert before == "2027-03-22 09:00 Mon" and after_change == "2027-03-29 09:00 Mon"
    paris = s.zone("Europe/Paris")
    first = s.next_time(s.parse("cron(0 9 ? * MON *)"), at("2027-03-20T00:00:00", "Europe/Paris"), paris, 0)
    assert first is not None
    second = s.next_time(s.parse("cron(0 9 ? * MON *)"), first, paris, 0)
    assert second is not None and second - first == 7 * 86400 - 3600  # the week Paris lost an hour


def test_a_rate_in_days_is_24_hours_whatever_the_time_zone():
    start = at("2027-03-27T12:00:00", "Europe/Paris")
    due = s.next_time(s.parse("rate(1 day)"), start, s.zone("Europe/Paris"), start)
    assert due == start + 86400  # 13:00 in Paris the day the clocks went forward


def test_the_end_date_ends_the_schedule():
    parsed = s.parse("rate(1 hour)")
    start = at("2026-12-03T10:00:00")
    assert s.next_time(parsed, start, UTC, start, end=start + 3600) == start + 3600
    assert s.next_time(parsed, start + 3600, UTC, start, end=start + 3600) is None


def test_a_cron_schedule_waits_for_its_start_date():
    start = at("2027-01-10T00:00:00")
    assert following("cron(0 8 1 * ? *)", "2026-12-03T00:00:00", 1, anchor=start) == ["2027-02-01 08:00 Mon"]


def test_execution_names_are_unique_per_due_time_and_valid():
    due = at("2026-12-24T10:00:00")
    assert s.execution_name("nightly", due) == "nightly-20261224T100000Z"
    assert s.execution_name("nightly", due + 60) != s.execution_name("nightly", due)


def test_the_flexible_window_offset_is_within_the_window_and_the_same_everywhere():
    offsets = [s.fire_offset("nightly", 1_800_000_000 + i * 3600, 15) for i in range(50)]
    assert all(0 <= o < 15 * 60 for o in offsets) and len(set(offsets)) > 10
    assert s.fire_offset("nightly", 1_800_000_000, 15) == offsets[0]
    assert s.fire_offset("nightly", 1_800_000_000, 0) == 0
