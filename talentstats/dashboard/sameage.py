"""The tiles' comparison with the previous period, at the same age (issue 14), fast enough for every update.

:func:`talentstats.stats.compare.compare_periods` takes the previous period P′ (same length, just before the range)
**as it stood at as_of − L**: its reach outs created by then and the opens and responses that had happened by then.
That needs event times, which the daily cube does not keep; but the rows of two periods are few. So the table's
creation instants, flags, codes and event times are sorted by creation once per load (:class:`SameAge`), and an
update counts only the rows of the two periods (two ``searchsorted`` and a few vectorised masks), then turns the
counts into statistics with :func:`~talentstats.stats.metrics.finish` and the changes with
:func:`~talentstats.stats.intervals.newcombe` - the library's rules, checked equal to ``compare_periods`` in
tests/dashboard/test_honest.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from talentstats.dashboard.activitycube import times
from talentstats.dashboard.cube import FLAGS, DailyCube, Selection
from talentstats.stats.arrival import newest_instant
from talentstats.stats.compare import EVENT_OF, NEEDS_STATE_HISTORY
from talentstats.stats.intervals import RATE_PARTS, newcombe, with_intervals
from talentstats.stats.metrics import METRICS, finish, stats_dicts
from talentstats.stats.periods import previous_period, range_instants

__all__ = ["Compared", "SameAge"]

_NAT = np.iinfo(np.int64).min
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_RATES = tuple(RATE_PARTS)
_COUNT_COLUMNS = [m for m in METRICS if m not in RATE_PARTS]


def _us(t: dt.datetime) -> int:
    return (t - _EPOCH_UTC) // dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Compared:
    """The range against the previous period of the same length, as the tiles show it.

    ``now`` and ``before`` are statistics rows (dicts with ``<rate>_low`` / ``_high``; ``before`` is each metric
    from its basis), ``changes`` {metric: {current, previous, diff, diff_low, diff_high, significant}} as
    ``compare_periods`` gives them, ``basis`` {metric: "same age" | "naive"}; ``cut`` the instant the previous
    period is taken at (None when compared naively), ``untimed`` {"responses" | "opens": how many of the previous
    period's have no time and were counted as having happened by the cut}.
    """

    start: dt.date
    end: dt.date
    previous: tuple[dt.date, dt.date]
    as_of: dt.datetime
    cut: dt.datetime | None
    now: dict[str, Any]
    before: dict[str, Any]
    changes: dict[str, dict[str, Any]]
    basis: dict[str, str]
    timed: dict[str, bool]
    untimed: dict[str, int]


class SameAge:
    """The rows of a table sorted by creation, to count any period as it stood at any instant.

    Args:
        numbers: the dashboard's cohort cube (its flags and campaign / sender codes are shared).
    """

    def __init__(self, numbers: DailyCube) -> None:
        base, table = numbers._base, numbers.table
        self.numbers = numbers
        order = np.argsort(base.created_us, kind="stable")
        self.created = base.created_us[order]
        self.flags = np.ascontiguousarray(base.flags[order])  # rows in creation order
        self.campaign, self.sender = base.campaign[order], base.sender[order]
        self.opened_at = times(table, "first_opened_at")[order]
        self.responded_at = times(table, "responded_at")[order]
        #: whether the table knows the time of the event for at least one reach out (as compare_periods asks)
        self.timed = {"first_opened_at": bool((self.opened_at != _NAT).any()),
                      "responded_at": bool((self.responded_at != _NAT).any())}
        #: the newest instant in the data: what the range is taken "as of"
        self.as_of = newest_instant(table) if len(table) else None

    def counts(self, lo: dt.datetime, hi: dt.datetime, cut: dt.datetime, selection: Selection
               ) -> tuple[np.ndarray, dict[str, int]]:
        """The additive counts (:data:`~talentstats.dashboard.cube.FLAGS`) of the reach outs created in [lo, hi)
        and by ``cut``, with the timed opens and responses counted only when they happened by ``cut``.

        Args:
            lo: first instant.
            hi: end instant (excluded).
            cut: the instant the period is taken at.
            selection: campaigns and senders (none = all).

        Returns:
            (counts, {"responses" | "opens": how many were counted without a time}).
        """
        first, last = np.searchsorted(self.created, [_us(lo), min(_us(hi), _us(cut) + 1)])
        part = slice(int(first), int(max(first, last)))
        keep = np.ones(part.stop - part.start, dtype=bool)
        b = self.numbers._base
        for codes, values in ((b.codes(selection.campaigns, "campaign"), self.campaign),
                              (b.codes(selection.senders, "sender"), self.sender)):
            if codes is not None:
                keep &= np.isin(values[part], codes)
        flags = self.flags[part][keep].copy()
        untimed = {}
        at = _us(cut)
        for event, column, names in (("responded_at", self.responded_at, ("responses", "interested")),
                                     ("first_opened_at", self.opened_at, ("opens",))):
            if not self.timed[event]:
                continue
            when = column[part][keep]
            happened = flags[:, FLAGS.index(names[0])] == 1
            untimed[names[0]] = int((happened & (when == _NAT)).sum())
            late = when > at  # (the NaT sentinel is the smallest integer: never late)
            for name in names:
                flags[late, FLAGS.index(name)] = 0
        total = flags.sum(axis=0).astype(np.int64)
        if not self.numbers.has_open_info(selection):  # as the cube: no open information at all -> unknown
            total[FLAGS.index("opens_unknown")] += 1
        return total, untimed

    def compare(self, start: dt.date, end: dt.date, selection: Selection, same_age: bool = True) -> Compared:
        """The range [start, end] against the previous period of the same length (compare_periods' rules).

        Args:
            start: first day of the range.
            end: last day of the range.
            selection: time zone, campaigns and senders.
            same_age: False compares both periods as they are now.

        Returns:
            The comparison.
        """
        p_start, p_end = previous_period(start, end)
        lo, hi = range_instants(start, end, selection.tz)
        p_lo, p_hi = range_instants(p_start, p_end, selection.tz)
        as_of = self.as_of or hi
        cut = as_of - (lo - p_lo) if same_age else as_of
        now, _ = self.counts(lo, hi, as_of, selection)
        same, untimed = self.counts(p_lo, p_hi, cut, selection)
        naive, _ = self.counts(p_lo, p_hi, as_of, selection)
        stats = with_intervals(finish(pd.DataFrame(np.stack([now, same, naive]), columns=list(FLAGS))))
        rows = stats_dicts(stats)
        basis = {m: self._basis(m, same_age) for m in METRICS}
        before = {c: rows[1 if basis[m] == "same age" else 2][c] for m in METRICS
                  for c in (m, f"{m}_low", f"{m}_high") if c in rows[0]}
        return Compared(start, end, (p_start, p_end), as_of, cut if same_age else None, rows[0], before,
                        _changes(rows[0], before, stats, basis), basis, dict(self.timed), untimed)

    def _basis(self, metric: str, same_age: bool) -> str:
        event = EVENT_OF.get(metric)
        if not same_age or metric in NEEDS_STATE_HISTORY or (event is not None and not self.timed[event]):
            return "naive"
        return "same age"


def _changes(now: dict[str, Any], before: dict[str, Any], stats: pd.DataFrame, basis: dict[str, str]
             ) -> dict[str, dict[str, Any]]:
    """Counts: a difference and no verdict; rates: Newcombe's interval of the difference and its verdict (all five
    rates at once)."""
    out: dict[str, dict[str, Any]] = {}
    for m in _COUNT_COLUMNS:  # (six numbers)
        a, b = now[m], before[m]
        out[m] = {"current": a, "previous": b, "diff": None if a is None or b is None else a - b,
                  "diff_low": None, "diff_high": None, "significant": None}
    def count(column: str, row: int) -> float:
        value = stats[column].iloc[row]
        return np.nan if pd.isna(value) else float(value)

    prev = {r: 1 if basis[r] == "same age" else 2 for r in _RATES}
    x1, n1, x2, n2 = (np.array([count(RATE_PARTS[r][part], 0 if now_row else prev[r]) for r in _RATES])
                      for part, now_row in ((0, True), (1, True), (0, False), (1, False)))
    d, low, high, significant = newcombe(x1, n1, x2, n2)
    for i, r in enumerate(_RATES):
        defined = now[r] is not None and before[r] is not None and np.isfinite(low[i])
        out[r] = {"current": now[r], "previous": before[r], "diff": float(d[i]) if defined else None,
                  "diff_low": float(low[i]) if defined else None, "diff_high": float(high[i]) if defined else None,
                  "significant": bool(significant[i]) if defined else None}
    return out
