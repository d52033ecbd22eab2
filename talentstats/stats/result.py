"""``StatsResult``: what a statistics query gives back, whichever engine computed it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from talentstats.load.accounting import LoadReport


@dataclass(frozen=True)
class StatsResult:
    """The statistics of one range: rows per group (None without keys), the total and the load's account."""

    start: dt.date
    end: dt.date
    tz: str
    keys: list[str]
    rows: Any
    total: Any
    report: LoadReport
    #: the comparison with an earlier period (``--compare``; see :func:`talentstats.stats.compare.compare_periods`)
    compare: dict[str, Any] | None = None
