"""Labels and number formats shared by every surface (terminal tables, charts, reports, dashboard).

Kept free of plotly so the command line starts fast.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)
from talentstats.stats.states import IN_PROGRESS, STATES

#: count metric columns, in display order
COUNT_METRICS: Final[tuple[str, ...]] = ("reach_outs", "in_progress", "opens", "responses", "interested",
                                          "hard_bounced")
#: rate metric columns (fractions 0..1), in display order
RATE_METRICS: Final[tuple[str, ...]] = ("open_rate", "response_rate", "interested_rate", "interested_of_responses",
                                         "bounce_rate")

#: rates where a rise is bad news (a significant rise is coloured as a worsening on every surface)
HIGHER_IS_WORSE: Final[tuple[str, ...]] = ("bounce_rate",)

#: metric column -> display label (also the column names of :func:`stats_table`)
METRIC_LABELS: Final[dict[str, str]] = {
    "reach_outs": "Reach Outs",
    "in_progress": "In Progress",
    "opens": "Opens",
    "responses": "Responses",
    "interested": "Interested",
    "open_rate": "Open rate",
    "response_rate": "Response rate",
    "interested_rate": "Interested rate",
    "interested_of_responses": "Interested / Responses",
    "hard_bounced": "Hard Bounced",
    "bounce_rate": "Bounce rate",
}

#: group-key column -> display label
KEY_LABELS: Final[dict[str, str]] = {
    "campaign": "Campaign",
    "sender": "Sender",
    "week": "Week",
    "day": "Day",
    "month": "Month",
    "state": "State",
    "response_via": "Response via",
    "response_type": "Response type",
}

#: state code -> the label every surface shows: the state In Progress is named "In progress (state)" so that it is
#: never read as the In Progress statistic beside it (which also counts Completed, Paused, ... reach outs)
STATE_LABELS: Final[dict[int, str]] = {**STATES, IN_PROGRESS: "In progress (state)"}

#: shown for a missing number (unknown count, rate with a zero denominator)
NA_TEXT: Final = "—"
#: shown where a count is unknown because the export has no information for it
UNKNOWN_TEXT: Final = "unknown"


def is_na(value: object) -> bool:
    """True for None, pd.NA, NaN and NaT (scalars only)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes
        return False


def as_number(value: object) -> float | None:
    """A finite float, or None for missing / non-finite values."""
    if is_na(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def as_count(value: object) -> int | None:
    """An int count, or None when unknown."""
    number = as_number(value)
    return None if number is None else int(round(number))


def fmt_count(n: object, missing: str = NA_TEXT) -> str:
    """Format a count: ``12345 -> '12,345'``; NA / unknown -> ``missing`` (``'—'``; terminals spell out
    :data:`UNKNOWN_TEXT`)."""
    count = as_count(n)
    return missing if count is None else f"{count:,}"


def fmt_rate(r: object, digits: int = 1) -> str:
    """Format a fraction as a percentage: ``0.1234 -> '12.3%'``, ``0.0002 -> '<0.1%'``; NA -> ``'—'``."""
    rate = as_number(r)
    if rate is None:
        return NA_TEXT
    smallest = 10.0**-digits / 100  # the smallest step shown: never round a non-zero rate to 0% or to 100%
    if 0 < rate < smallest / 2:
        return f"<{smallest * 100:.{digits}f}%"
    if 1 - smallest / 2 <= rate < 1:
        return f">{100 - smallest * 100:.{digits}f}%"
    return f"{rate * 100:.{digits}f}%"


def fmt_rate_interval(rate: object, low: object, high: object, digits: int = 1) -> str:
    """A rate with its 95 % interval, as tables show it: ``'7.8% (5.6–10.6)'``; without an interval the rate
    alone."""
    lo, hi = as_number(low), as_number(high)
    text = fmt_rate(rate, digits)
    if lo is None or hi is None or as_number(rate) is None:
        return text
    return f"{text} ({lo * 100:.{digits}f}–{hi * 100:.{digits}f})"


def change_text(metric: str, now: Any, before: Any) -> str:
    """Change against the previous period: counts as ``"+12 (+8.5%)"``, rates in percentage points.

    Args:
        metric: a count or rate metric column (:data:`RATE_METRICS` are rates).
        now: the value of the period.
        before: the value of the previous period.

    Returns:
        The signed change; ``'—'`` when either value is missing.
    """
    if is_na(now) or is_na(before):
        return NA_TEXT
    if metric in RATE_METRICS:
        pp = 100 * (float(now) - float(before))
        return f"{pp:+.1f} pp"
    diff = int(now) - int(before)
    pct = f" ({100 * diff / int(before):+.1f}%)" if int(before) else ""
    return f"{diff:+,}{pct}"


#: characters a terminal would act on rather than show: C0 and C1 controls (ESC starts colour, cursor and
#: hyperlink sequences), DEL, line and paragraph separators, and the bidirectional overrides and isolates
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_text(value: object) -> str:
    """Text for a terminal with every character it would act on written visibly as an escape (ESC as ``\\x1b``,
    a right-to-left override as ``\\u202e``); everything else as is.

    Args:
        value: any value (``str()`` of it is shown).

    Returns:
        Printable text on one line.
    """
    return _UNSHOWABLE.sub(_escape_char, str(value))


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
