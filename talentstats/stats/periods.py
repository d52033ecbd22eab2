"""Date ranges in a report time zone: parsing, ISO weeks, presets and the UTC instants bounding a range."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from talentstats.errors import UsageError


def zone(name: str, parameter: str | None = None) -> ZoneInfo:
    """The time zone called ``name`` (IANA, e.g. ``Europe/Berlin``), or a UsageError naming ``parameter``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        if parameter is None:
            raise UsageError(f"unknown time zone {name!r} (use an IANA name such as 'UTC' or 'Europe/Berlin')")
        raise UsageError("unknown time zone (use an IANA name such as 'UTC' or 'Europe/Berlin')",
                         parameter=parameter, value=name)


#: the first and last dates a reach out can be created on (the one time rule; the loader rejects the others)
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def parse_date(value: str | dt.date, parameter: str = "date") -> dt.date:
    """A calendar date from ``YYYY-MM-DD`` (or a date object) from 2000 to 2100; a bad one is a UsageError naming
    ``parameter``."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise UsageError(f"{value!r} is not a date like 2026-11-16", parameter=parameter)
    if not FIRST_DATE <= day <= LAST_DATE:
        raise UsageError(f"{str(value)!r} is not from {FIRST_DATE} to {LAST_DATE}, the dates reach outs can have",
                         parameter=parameter)
    return day


def check_range(start: dt.date, end: dt.date) -> None:
    """Reject an empty range (end before start)."""
    if end < start:
        raise UsageError(f"end {end} is before start {start}")


def range_instants(start: dt.date, end: dt.date, tz: str = "UTC") -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [from, to) covering calendar dates start..end inclusive in ``tz`` (DST-aware)."""
    z = zone(tz)
    lo = dt.datetime.combine(start, dt.time(), tzinfo=z).astimezone(dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=z).astimezone(dt.UTC)
    return lo, hi


_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def iso_week(value: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week like ``2026-W47``."""
    m = _ISO_WEEK.match(str(value).strip())
    if not m:
        raise UsageError(f"week {value!r} is not an ISO week like 2026-W47 (or 'last')")
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise UsageError(f"week {value!r} does not exist")
    if not FIRST_DATE.year <= int(m.group(1)) <= LAST_DATE.year:
        raise UsageError(f"week {value!r} is not from 2000 to 2100, the years reach outs can be created in")
    return monday, monday + dt.timedelta(days=6)


def monday_of(day: dt.date) -> dt.date:
    """The Monday that starts the (ISO) week of ``day``."""
    return day - dt.timedelta(days=day.weekday())


def is_whole_week(start: dt.date, end: dt.date) -> bool:
    """Whether [start, end] is one Monday-to-Sunday week."""
    return (end - start).days == 6 and start.weekday() == 0


def week_label(monday: dt.date) -> str:
    """ISO week label of a date: ``2026-W47``."""
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"


def last_complete_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday..Sunday of the last week that ended before ``today``."""
    monday_this = monday_of(today)
    return monday_this - dt.timedelta(days=7), monday_this - dt.timedelta(days=1)


def today_in(tz: str = "UTC") -> dt.date:
    """Today's date in the time zone ``tz``."""
    return dt.datetime.now(zone(tz)).date()


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length ending the day before ``start`` (for period-over-period change)."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


PRESETS = ("this week", "last week", "last 4 weeks", "last 90 days", "quarter to date")


def preset_range(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Date range of a named preset relative to ``today`` (weeks start on Monday)."""
    monday = monday_of(today)
    if name == "this week":
        return monday, today
    if name == "last week":
        return last_complete_week(today)
    if name == "last 4 weeks":
        return monday - dt.timedelta(days=28), monday - dt.timedelta(days=1)
    if name == "last 90 days":
        return today - dt.timedelta(days=89), today
    if name == "quarter to date":
        q_month = 3 * ((today.month - 1) // 3) + 1
        return dt.date(today.year, q_month, 1), today
    raise UsageError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")


def latest_full_week(newest: dt.date) -> tuple[dt.date, dt.date]:
    """Monday..Sunday of the newest week that is complete in data whose newest date is ``newest``."""
    if newest.weekday() == 6:
        return newest - dt.timedelta(days=6), newest
    return last_complete_week(newest)


def resolve_week(week: str, newest: dt.date | None = None, tz: str = "UTC") -> tuple[dt.date, dt.date]:
    """A week given as ``YYYY-Www``, ``last`` (last complete week before today in ``tz``) or ``latest``
    (newest complete week of the data, given its newest date)."""
    w = str(week).strip().lower()
    if w == "last":
        return last_complete_week(today_in(tz))
    if w == "latest":
        if newest is None:
            raise UsageError("latest needs data with at least one reach out", parameter="week", value=week)
        return latest_full_week(newest)
    return iso_week(week)
