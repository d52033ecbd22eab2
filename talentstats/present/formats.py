"""Labels and number formats shared by every surface (terminal tables, charts, reports, dashboard).

Kept free of plotly so the command line starts fast.
"""

from __future__ import annotations

import math
from typing import Final

import pandas as pd

#: count metric columns, in display order
COUNT_METRICS: Final[tuple[str, ...]] = ("reach_outs", "in_progress", "opens", "responses", "interested")
#: rate metric columns (fractions 0..1), in display order
RATE_METRICS: Final[tuple[str, ...]] = ("open_rate", "response_rate", "interested_rate", "interested_of_responses")

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


def fmt_count(n: object) -> str:
    """Format a count: ``12345 -> '12,345'``; NA / unknown -> ``'—'``."""
    count = as_count(n)
    return NA_TEXT if count is None else f"{count:,}"


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
