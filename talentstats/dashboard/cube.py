"""The dashboard's numbers: one daily cube per report time zone, sliced into statistics.

A cube holds additive counts (the flags of :func:`talentstats.stats.metrics.flag_exprs`, the ones
:func:`~talentstats.stats.metrics.stat_counts` sums) by local day, campaign, sender and state. A date range and a
selection of campaigns and senders only slice that small cube, and :func:`talentstats.stats.metrics.finish` turns
the sums into statistics: exactly :func:`~talentstats.stats.metrics.campaign_stats`' numbers, in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from talentstats.errors import UsageError
from talentstats.stats.metrics import COUNTS, check_keys, finish, flag_exprs
from talentstats.stats.periods import range_instants
from talentstats.stats.timekeys import monday_number

__all__ = ["FLAGS", "DailyCube", "Selection"]

#: additive counts kept per cube cell (the columns ``stat_counts`` returns besides its keys)
FLAGS: tuple[str, ...] = ("reach_outs", *flag_exprs())  # (whatever flags the statistics count)
#: what a cube groups by
CUBE_KEYS = ("campaign", "sender", "state", "week", "day")

_EPOCH = dt.date(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US_PER_DAY = 86_400_000_000
_MEMO_LIMIT = 512

#: (group key or None, first day, last day): one statistics request
Request = tuple[str | None, dt.date, dt.date]


@dataclass(frozen=True)
class Selection:
    """What the statistics are of: the report time zone and the chosen campaigns and senders (none = all)."""

    tz: str = "UTC"
    campaigns: tuple[Any, ...] = ()
    senders: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _Base:
    """Time-zone independent arrays of the table: creation instants, flags and codes (computed once)."""

    created_us: np.ndarray  # int64 microseconds since the epoch (UTC)
    flags: np.ndarray  # 0/1 as float64, shape (rows, len(FLAGS)), column-major
    campaign: np.ndarray  # int64 codes into campaigns
    campaigns: list[Any]
    sender: np.ndarray
    senders: list[Any]
    state: np.ndarray  # int64 state codes
    open_info: np.ndarray  # bool (campaigns, senders): some reach out of the pair has open information

    @classmethod
    def of(cls, table: pd.DataFrame) -> _Base:
        flags = nw.from_native(table).select(**flag_exprs()).to_native()
        matrix = np.empty((len(table), len(FLAGS)), dtype=np.float64, order="F")  # bincount weights: fast
        matrix[:, 0] = 1
        for j, k in enumerate(FLAGS[1:], start=1):
            matrix[:, j] = flags[k].fillna(0).to_numpy(dtype=np.float64)
        created = table["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        campaign, campaigns = pd.factorize(table["campaign"], sort=True, use_na_sentinel=False)
        sender, senders = pd.factorize(table["sender"], sort=True, use_na_sentinel=False)
        open_info = np.zeros((len(campaigns), len(senders)), dtype=bool)
        known = table["opened"].notna().to_numpy(dtype=bool)
        open_info[campaign[known], sender[known]] = True
        return cls(created.to_numpy().view(np.int64), matrix, campaign.astype(np.int64), list(campaigns),
                   sender.astype(np.int64), list(senders), table["state"].to_numpy(dtype=np.int64), open_info)

    def codes(self, names: Sequence[Any], key: str) -> np.ndarray | None:
        """Codes of the chosen campaigns or senders (``key``); None when none is chosen (= all)."""
        if not names:
            return None
        index = {n: i for i, n in enumerate(self.campaigns if key == "campaign" else self.senders)}
        return np.array([index[n] for n in names if n in index], dtype=np.int64)


@dataclass(frozen=True)
class _Cube:
    """Additive counts by local day, campaign, sender and state in one time zone, sorted by day."""

    day: np.ndarray  # days since 1970-01-01 of the local creation date
    campaign: np.ndarray  # codes
    sender: np.ndarray
    state: np.ndarray
    counts: np.ndarray  # int64, shape (cells, len(FLAGS))

    @classmethod
    def of(cls, base: _Base, table: pd.DataFrame, tz: str) -> _Cube:
        if not len(table):
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty, np.zeros((0, len(FLAGS)), dtype=np.int64))
        local = table["created_at"].dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[us]")
        day = local.to_numpy().view(np.int64) // _US_PER_DAY
        d0 = int(day.min())
        nc, ns = len(base.campaigns), len(base.senders)
        key = (((day - d0) * nc + base.campaign) * ns + base.sender) * 10 + base.state
        size = (int(day.max()) - d0 + 1) * nc * ns * 10
        if size <= 8 * len(key) + 1_000_000:  # dense cell numbers: count per cell, keep the cells in use
            used = np.bincount(key, minlength=size)
            cells = np.flatnonzero(used)
            inverse = np.cumsum(used > 0)[key] - 1
        else:  # many campaigns x senders: sort instead
            cells, inverse = np.unique(key, return_inverse=True)
        counts = _sum_rows(len(cells), inverse, base.flags)  # cells ascending: sorted by day first
        rest, state = np.divmod(cells, 10)
        rest, sender = np.divmod(rest, ns)
        rest, campaign = np.divmod(rest, nc)
        return cls(rest + d0, campaign, sender, state, counts)


class DailyCube:
    """Statistics of a canonical Reach Out table for any date range and selection, from daily cubes.

    The cube of a time zone is built on first use and kept; statistics are remembered per request and
    selection until :meth:`forget`.

    Args:
        table: the canonical table (pandas; see :mod:`talentstats.load.columns`).
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self._base = _Base.of(table)
        self._cubes: dict[str, _Cube] = {}
        self._memos: dict[tuple[str | None, dt.date, dt.date, Selection], pd.DataFrame] = {}

    @property
    def campaigns(self) -> list[Any]:
        """The table's campaign names, sorted (a missing one last)."""
        return self._base.campaigns

    @property
    def senders(self) -> list[Any]:
        """The table's sender names, sorted (a missing one last)."""
        return self._base.senders

    def _cube(self, tz: str) -> _Cube:
        if tz not in self._cubes:
            self._cubes[tz] = _Cube.of(self._base, self.table, tz)
        return self._cubes[tz]

    def frame(self, tz: str) -> pd.DataFrame:
        """The cube of a time zone as a stat_counts-like frame.

        Args:
            tz: the report time zone.

        Returns:
            Columns day (days since 1970-01-01), campaign, sender, state and :data:`FLAGS`.
        """
        c, b = self._cube(tz), self._base
        frame = pd.DataFrame({"day": c.day, "campaign": [b.campaigns[i] for i in c.campaign],
                              "sender": [b.senders[i] for i in c.sender], "state": c.state})
        for i, k in enumerate(FLAGS):
            frame[k] = c.counts[:, i]
        return frame

    def has_open_info(self, selection: Selection) -> bool:
        """Whether any reach out of the selected campaigns and senders (any date) has open information.

        Args:
            selection: the campaigns and senders (its time zone does not matter).

        Returns:
            False when Opens is unknown for the selection.
        """
        known = self._base.open_info
        c = self._base.codes(selection.campaigns, "campaign")
        s = self._base.codes(selection.senders, "sender")
        if c is not None:
            known = known[c, :]
        if s is not None:
            known = known[:, s]
        return bool(known.any())

    def _cells(self, start: dt.date, end: dt.date, selection: Selection) -> tuple[_Cube, slice, np.ndarray | None]:
        """The cube, the slice of its cells in [start, end] and the selection's mask over that slice (None = all)."""
        c = self._cube(selection.tz)
        lo, hi = np.searchsorted(c.day, [_day(start), _day(end) + 1])
        part = slice(int(lo), int(hi))
        mask = None
        for codes, values in ((self._base.codes(selection.campaigns, "campaign"), c.campaign),
                              (self._base.codes(selection.senders, "sender"), c.sender)):
            if codes is not None:
                m = np.isin(values[part], codes)
                mask = m if mask is None else mask & m
        return c, part, mask

    def counts(self, by: str | None, start: dt.date, end: dt.date, selection: Selection) -> pd.DataFrame:
        """Additive counts (stat_counts' columns) of a date range and selection, in total or by one key.

        Args:
            by: None, or one of campaign, sender, state, week, day (day and week as day numbers, as
                stat_counts gives them).
            start: first local day.
            end: last local day.
            selection: time zone, campaigns and senders.

        Returns:
            One row in total, else one row per group in use: the key column, then :data:`FLAGS`.

        Raises:
            UsageError: ``by`` is not a key the cube groups by.
        """
        c, part, mask = self._cells(start, end, selection)
        counts = c.counts[part]
        if mask is not None:
            counts = counts[mask]
        if by is None:
            total = counts.sum(axis=0)
            if not self.has_open_info(selection):
                # as campaign_stats on the selected rows: without any open information there, Opens is unknown
                total[FLAGS.index("opens_unknown")] += 1
            return pd.DataFrame([total], columns=list(FLAGS))
        check_keys(by)
        if by not in CUBE_KEYS:
            raise UsageError(f"the dashboard groups by {', '.join(CUBE_KEYS)}", parameter="by", value=by)
        if by == "week":
            day = c.day[part]
            key = monday_number(day)
        else:
            key = {"campaign": c.campaign, "sender": c.sender, "state": c.state, "day": c.day}[by][part]
        if mask is not None:
            key = key[mask]
        groups, inverse = np.unique(key, return_inverse=True)
        sums = _sum_rows(len(groups), inverse, counts)
        names = {"campaign": self._base.campaigns, "sender": self._base.senders}.get(by)
        if names is not None:  # the table's own dtype, also when there is no group
            column = pd.array([names[g] for g in groups], dtype=self.table[by].dtype)
        else:
            column = groups.astype(np.int64)
        frame = pd.DataFrame(sums, columns=list(FLAGS))
        frame.insert(0, by, column)
        return frame

    def stats_many(self, requests: Sequence[Request], selection: Selection) -> list[pd.DataFrame]:
        """campaign_stats for several (by, start, end) of one selection, with a single
        :func:`~talentstats.stats.metrics.finish`.

        Without group keys finish works row by row, so the counts of every request go through one call (its
        per-call overhead is most of an update's cost); the group keys are put back afterwards, groups without
        reach outs dropped and rows sorted by key, as ``finish(counts, by)`` does. Results are remembered: do not
        modify a returned frame.

        Args:
            requests: (group key or None, first day, last day) each.
            selection: time zone, campaigns and senders.

        Returns:
            One statistics frame per request, in order.

        Raises:
            UsageError: a group key the cube does not group by.
        """
        keys = [(by, start, end, selection) for by, start, end in requests]
        todo = list(dict.fromkeys(k for k in keys if k not in self._memos))
        if todo:
            if len(self._memos) > _MEMO_LIMIT:
                self._memos.clear()
            parts = [self.counts(*key) for key in todo]
            finished = finish(pd.concat([part[list(FLAGS)] for part in parts], ignore_index=True))
            offset = 0
            for key, part in zip(todo, parts, strict=True):
                rows = finished.iloc[offset:offset + len(part)].reset_index(drop=True)
                offset += len(part)
                self._memos[key] = _with_key(rows, part, key[0])
        return [self._memos[k] for k in keys]

    def forget(self) -> None:
        """Forget the remembered statistics (the cubes are kept)."""
        self._memos.clear()

    def rows(self, metric: str, start: dt.date, end: dt.date, selection: Selection) -> np.ndarray:
        """Positions in the table of the reach outs behind a count: the rows of
        :func:`talentstats.stats.metrics.members` for the range, filtered by the selection.

        Args:
            metric: one of :data:`talentstats.stats.metrics.COUNTS`.
            start: first local day.
            end: last local day.
            selection: time zone, campaigns and senders.

        Returns:
            Ascending row positions (int64).

        Raises:
            UsageError: ``metric`` is not a count.
        """
        if metric not in COUNTS:
            raise UsageError(f"choose from {', '.join(COUNTS)}", parameter="metric", value=metric)
        b = self._base
        lo, hi = ((t - _EPOCH_UTC) // dt.timedelta(microseconds=1) for t in range_instants(start, end, selection.tz))
        mask = (b.created_us >= lo) & (b.created_us < hi)
        if metric != "reach_outs":
            mask &= b.flags[:, FLAGS.index(metric)] == 1
        for codes, values in ((b.codes(selection.campaigns, "campaign"), b.campaign),
                              (b.codes(selection.senders, "sender"), b.sender)):
            if codes is not None:
                mask &= np.isin(values, codes)
        return np.flatnonzero(mask)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _sum_rows(groups: int, inverse: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sums of the rows of ``values`` per group ``inverse[i]`` (one bincount per column: fast and exact)."""
    out = np.zeros((groups, values.shape[1]), dtype=np.int64)
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(inverse, weights=values[:, j], minlength=groups).astype(np.int64)
    return out


def _with_key(stats: pd.DataFrame, counts: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Row-wise finished ``stats`` of ``counts`` as ``finish(counts, by)`` returns them: the key column first
    (day and week as "YYYY-MM-DD"), groups without reach outs dropped, sorted by key."""
    if by is None:
        return stats
    key = counts[by]
    if by in ("day", "week"):
        key = pd.Series([(_EPOCH + dt.timedelta(days=int(n))).isoformat() for n in key], dtype="str")
    out = stats.copy()
    out.insert(0, by, key.array)
    out = out[counts["reach_outs"].to_numpy() > 0]
    return out.sort_values(by, kind="stable").reset_index(drop=True)
