"""What the Range box says: the preset the dates are, else a name for them ("2026-W46", "2026-W43 – 2026-W46",
"November 2026", "12 – 20 Nov 2026"), never a bare "custom".
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from talentstats.stats.periods import PRESETS, monday_of, preset_range, week_label

__all__ = ["CUSTOM", "DATE_ERROR", "range_name", "range_options"]

#: the Range box's value when the dates are not a preset
CUSTOM = "custom"
#: said beside the dates when they are not a range
DATE_ERROR = "The From date is after the To date: choose a From date on or before the To date."


def range_name(start: dt.date, end: dt.date) -> str:
    """A short name for a date range.

    Args:
        start: first day.
        end: last day (on or after ``start``).

    Returns:
        The ISO week (``2026-W46``), the first and last ISO weeks of whole weeks (``2026-W43 – 2026-W46``), the
        month (``November 2026``), else the days (``12 – 20 Nov 2026``, ``30 Oct – 02 Nov 2026``,
        ``Thu 12 Nov 2026``).
    """
    days = (end - start).days + 1
    if start == monday_of(start) and days % 7 == 0:
        last = end - dt.timedelta(days=6)
        return week_label(start) if days == 7 else f"{week_label(start)} – {week_label(last)}"
    if start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1] and \
            (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}"
    if days == 1:
        return f"{start:%a %d %b %Y}"
    if start.year != end.year:
        return f"{start:%d %b %Y} – {end:%d %b %Y}"
    return f"{start:%d} – {end:%d %b %Y}" if start.month == end.month else f"{start:%d %b} – {end:%d %b %Y}"


def range_options(start: dt.date, end: dt.date, today: dt.date) -> tuple[list[tuple[str, Any]], str]:
    """The Range box's options and value for a date range.

    Args:
        start: first day.
        end: last day.
        today: "today" of the presets.

    Returns:
        (options, value): the presets, each with its dates' name (``last week · 2026-W46``), and first the name of
        the dates when they are no preset; the value is the matching preset, else :data:`CUSTOM`.
    """
    presets = {p: preset_range(p, today) for p in PRESETS}
    value = next((p for p, r in presets.items() if r == (start, end)), CUSTOM)
    named = [(f"{p} · {range_name(*r)}", p) for p, r in presets.items()]
    if value != CUSTOM:
        return named, value
    return [(range_name(start, end) if start <= end else "(dates to fix)", CUSTOM), *named], value
