"""Schedule expressions in EventBridge Scheduler's syntax, and when they fall due (pure: no I/O, no clock).

    rate(5 minutes)            every 5 minutes from the start date (or the schedule's creation)
    cron(0 12 * * ? *)         minutes hours day-of-month month day-of-week year, AWS's cron
    at(2026-12-24T10:00:00)    once, in the schedule's time zone

Follows the EventBridge Scheduler User Guide, "Schedule types" (rate, cron and one-time expressions, time
zones, daylight saving time): a cron or one-time schedule is evaluated in its time zone; a local time that
does not exist when clocks go forward is skipped; a local time that happens twice when they go back runs
once (the first). A rate schedule runs at fixed intervals whatever the time zone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Expression", "ScheduleSyntaxError", "execution_name", "fire_offset", "next_time", "parse", "zone"]

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
DAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}  # 1: Sunday
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_LAST_YEAR = 2199


class ScheduleSyntaxError(ValueError):
    """An expression, time zone or date EventBridge Scheduler would refuse; the message says why."""


@dataclass(frozen=True)
class _DayRule:
    """Day-of-month or day-of-week beyond a plain set: L, nW, LW, L-n (month); nL, n#k (week)."""

    kind: str  # "last", "weekday", "last_weekday", "last_minus", "last_dow", "nth_dow"
    value: int = 0
    nth: int = 0


@dataclass(frozen=True)
class Expression:
    """A parsed expression. `kind` is rate, cron or at; the other fields hold what that kind needs."""

    text: str
    kind: str
    seconds: int = 0  # rate
    at: dt.datetime | None = None  # at: naive local time
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    years: frozenset[int] = frozenset()
    days: frozenset[int] | _DayRule | None = None  # day-of-month; None for ?
    weekdays: frozenset[int] | _DayRule | None = None  # day-of-week (1 = Sunday); None for ?


def zone(name: str | None) -> ZoneInfo:
    """The IANA time zone `name` (default UTC)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleSyntaxError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/Paris)"
        ) from None


def parse(text: str) -> Expression:
    """Parse `rate(...)`, `cron(...)` or `at(...)`; ScheduleSyntaxError says what is wrong."""
    match = re.fullmatch(r"\s*(rate|cron|at)\((.*)\)\s*", text)
    if match is None:
        raise ScheduleSyntaxError(
            f"{text!r} is not rate(value unit), cron(6 fields) or at(yyyy-mm-ddThh:mm:ss)"
        )
    kind, body = match[1], match[2].strip()
    if kind == "rate":
        rate = re.fullmatch(r"(\d+)\s+([a-z]+)", body)
        if rate is None or int(rate[1]) < 1 or rate[2] not in _UNITS:
            raise ScheduleSyntaxError(
                f"{text!r}: a rate is a positive whole number and minutes, hours or days"
            )
        return Expression(text, "rate", seconds=int(rate[1]) * _UNITS[rate[2]])
    if kind == "at":
        try:
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", body):
                raise ValueError
            return Expression(text, "at", at=dt.datetime.fromisoformat(body))
        except ValueError:
            raise ScheduleSyntaxError(f"{text!r}: a one-time schedule is at(yyyy-mm-ddThh:mm:ss)") from None
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleSyntaxError(f"{text!r}: a cron expression has 6 fields, not {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleSyntaxError(f"{text!r}: one of day-of-month and day-of-week must be ?, not both")
    return Expression(
        text,
        "cron",
        minutes=_values(minute, 0, 59, {}, text),
        hours=_values(hour, 0, 23, {}, text),
        months=_values(month, 1, 12, MONTHS, text),
        years=_values(year, 1970, _LAST_YEAR, {}, text),
        days=None if dom == "?" else _day_of_month(dom, text),
        weekdays=None if dow == "?" else _day_of_week(dow, text),
    )


def _values(field: str, low: int, high: int, names: dict[str, int], text: str) -> frozenset[int]:
    """A field of `,`-separated values, ranges `a-b`, `*`, and increments `a/n` or `*/n`."""
    found: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, _, increment = part.partition("/")
            if not increment.isdigit() or int(increment) < 1:
                raise ScheduleSyntaxError(f"{text!r}: {field!r} has a bad increment")
            step = int(increment)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, _, last = part.partition("-")
            start, end = _value(first, names, text), _value(last, names, text)
        else:
            start = _value(part, names, text)
            end = high if step > 1 else start
        if not low <= start <= high or not low <= end <= high or start > end:
            raise ScheduleSyntaxError(f"{text!r}: {field!r} is outside {low}-{high}")
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _value(token: str, names: dict[str, int], text: str) -> int:
    if token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ScheduleSyntaxError(f"{text!r}: {token!r} is not a value of its field")
    return int(token)


def _day_of_month(field: str, text: str) -> frozenset[int] | _DayRule:
    if field == "L":
        return _DayRule("last")
    if field == "LW":
        return _DayRule("last_weekday")
    if m := re.fullmatch(r"L-(\d+)", field):
        return _DayRule("last_minus", int(m[1]))
    if m := re.fullmatch(r"(\d+)W", field):
        if not 1 <= int(m[1]) <= 31:
            raise ScheduleSyntaxError(f"{text!r}: {field!r} is outside 1-31")
        return _DayRule("weekday", int(m[1]))
    return _values(field, 1, 31, {}, text)


def _day_of_week(field: str, text: str) -> frozenset[int] | _DayRule:
    if field == "L":
        return frozenset({7})  # L alone in day-of-week is the last day of the week: Saturday
    if m := re.fullmatch(r"(\w+)L", field):
        return _DayRule("last_dow", _weekday(m[1], text))
    if m := re.fullmatch(r"(\w+)#(\d)", field):
        if not 1 <= int(m[2]) <= 5:
            raise ScheduleSyntaxError(f"{text!r}: {field!r}: the week of the month is 1-5")
        return _DayRule("nth_dow", _weekday(m[1], text), int(m[2]))
    return _values(field, 1, 7, DAYS, text)


def _weekday(token: str, text: str) -> int:
    value = _value(token, DAYS, text)
    if not 1 <= value <= 7:
        raise ScheduleSyntaxError(f"{text!r}: {token!r} is outside 1-7 (SUN-SAT)")
    return value


def _aws_weekday(day: dt.date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Python: Monday 0; AWS: Sunday 1


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The weekday (Mon-Fri) nearest `day` within its month, as `nW` means."""
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = dt.date(year, month, day).weekday()
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when the month's last day
        return day + 1 if day < last else day - 2
    return day


def _day_matches(rule: frozenset[int] | _DayRule, day: dt.date, week: bool) -> bool:
    if isinstance(rule, frozenset):
        return (_aws_weekday(day) if week else day.day) in rule
    last = calendar.monthrange(day.year, day.month)[1]
    if rule.kind == "last":
        return day.day == last
    if rule.kind == "last_minus":
        return day.day == last - rule.value
    if rule.kind == "weekday":
        return rule.value <= last and day.day == _nearest_weekday(day.year, day.month, rule.value)
    if rule.kind == "last_weekday":
        return day.day == _nearest_weekday(day.year, day.month, last)
    if rule.kind == "last_dow":
        return _aws_weekday(day) == rule.value and day.day + 7 > last
    return _aws_weekday(day) == rule.value and (day.day - 1) // 7 + 1 == rule.nth  # nth_dow


def _exists(local: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """`local` in `tz` as an aware time, None when the clocks skip it; of a repeated time, the first."""
    aware = local.replace(tzinfo=tz, fold=0)
    if aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != local:
        return None
    return aware


def next_time(
    expression: Expression, after: float, tz: ZoneInfo, anchor: float, end: float | None = None
) -> float | None:
    """The first due time (epoch seconds) strictly after `after`, at or after `anchor` (the start date, or
    when the schedule was made), at or before `end`; None when there is none."""
    found = _next(expression, after, tz, anchor)
    return None if found is None or (end is not None and found > end) else found


def _next(expression: Expression, after: float, tz: ZoneInfo, anchor: float) -> float | None:
    if expression.kind == "rate":
        if after < anchor:
            return anchor
        return anchor + (int((after - anchor) // expression.seconds) + 1) * expression.seconds
    if expression.kind == "at":
        assert expression.at is not None
        aware = _exists(expression.at, tz) or expression.at.replace(tzinfo=tz)
        when = aware.timestamp()
        return when if when > after and when >= anchor else None
    after = max(after, anchor - 1)
    start = dt.datetime.fromtimestamp(after, tz).replace(tzinfo=None)
    day = start.date()
    hours, minutes = sorted(expression.hours), sorted(expression.minutes)
    while day.year <= _LAST_YEAR:
        if day.year not in expression.years:
            day = dt.date(day.year + 1, 1, 1)
            continue
        if day.month not in expression.months:
            day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            continue
        if (expression.days is None or _day_matches(expression.days, day, False)) and (
            expression.weekdays is None or _day_matches(expression.weekdays, day, True)
        ):
            for hour in hours:
                for minute in minutes:
                    local = dt.datetime(day.year, day.month, day.day, hour, minute)
                    moment = _exists(local, tz)
                    if moment is not None and moment.timestamp() > after:
                        return moment.timestamp()
        day += dt.timedelta(days=1)
    return None


def fire_offset(schedule: str, due: float, window_minutes: int) -> float:
    """Where in its flexible window a due time fires: spread as AWS spreads them, but the same in every
    process (derived from the schedule and the time), so any worker computes the same moment."""
    if window_minutes <= 0:
        return 0.0
    digest = hashlib.sha256(f"{schedule}@{due}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (window_minutes * 60)


def execution_name(schedule: str, due: float) -> str:
    """The execution a due time starts: the schedule's name and the due time (UTC), unique per due time."""
    return f"{schedule}-{dt.datetime.fromtimestamp(due, dt.UTC):%Y%m%dT%H%M%SZ}"
