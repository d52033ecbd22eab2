"""The dashboard's "how replies arrive" triangle and per-step statistics, from additive counts made once per load.

Both are counts of reach outs, so they add up over creation days, campaigns and senders:

- the triangle (:func:`talentstats.stats.arrival.triangle`) counts reach outs per creation week and whole week of
  age at the event; the cube keeps them per (Monday of the local creation week, age, campaign, sender) and an
  update sums the selected cells into the cells ``triangle`` itself finishes (``arrival._triangle_frame``), "as of"
  the newest instant in the whole table;
- the steps (:func:`talentstats.stats.steps.step_stats`) count reach outs per step; each reach out's sent, first
  open and reply steps are found once with the library's own narwhals code, and kept per (local creation day,
  campaign, sender, step).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from talentstats.dashboard.activitycube import _NAT, _US_PER_DAY, _us, times
from talentstats.dashboard.cube import FLAGS, DailyCube, Selection, _day
from talentstats.errors import UsageError
from talentstats.stats import steps as step_lib
from talentstats.stats.arrival import TRIANGLE_METRICS, _triangle_frame, _triangle_weeks, newest_instant
from talentstats.stats.timekeys import monday_number

__all__ = ["ArrivalCube", "NO_STEPS"]

#: why there is no steps chart (the library's message)
NO_STEPS = "the messages export has no Step column"
_US_PER_WEEK = 7 * _US_PER_DAY
_FAR = (dt.datetime(1900, 1, 1, tzinfo=dt.UTC), dt.datetime(2300, 1, 1, tzinfo=dt.UTC))
_STEP_COUNTS = ("sent", "first_opens", "replies")


@dataclass(frozen=True)
class _Grid:
    """Counts keyed by (local creation day or Monday, a small integer, campaign, sender): ``key`` ascending."""

    day: np.ndarray
    inner: np.ndarray  # age + 1 (0 = no known event) or step
    campaign: np.ndarray
    sender: np.ndarray
    counts: np.ndarray  # int64, shape (cells, columns)


class ArrivalCube:
    """Triangle cells and step counts of a canonical table for any range and selection.

    Args:
        numbers: the cohort cube of the table (codes and flags are shared).
        messages: the load's message table (pyarrow or pandas), or None.
    """

    def __init__(self, numbers: DailyCube, messages: Any = None) -> None:
        self.numbers = numbers
        table, base = numbers.table, numbers._base
        self.as_of = newest_instant(table) if len(table) else None
        as_of_us = _us(pd.Series([self.as_of], dtype="datetime64[us, UTC]"))[0] if self.as_of else _NAT
        responded = base.flags[:, FLAGS.index("responses")] == 1
        self._ages: dict[str, np.ndarray] = {}
        for metric, column in TRIANGLE_METRICS.items():  # (two metrics)
            event = times(table, column)
            counted = (event != _NAT) & (event >= base.created_us) & (event <= as_of_us)
            if metric == "responses":
                counted &= responded
            self._ages[metric] = np.where(counted, (event - base.created_us) // _US_PER_WEEK + 1, 0)
        self._triangles: dict[tuple[str, str], _Grid] = {}
        self._steps: dict[str, _Grid] = {}
        self.step_rows = self._step_rows(table, messages)

    # ---------------------------------------------------------------------------------------------- cells
    def _grid(self, day: np.ndarray, inner: np.ndarray, rows: np.ndarray, values: np.ndarray) -> _Grid:
        """Sum ``values`` (rows x columns) per (day, inner, campaign, sender) of the table rows ``rows``."""
        b = self.numbers._base
        width = values.shape[1]
        if not len(rows):
            e = np.zeros(0, dtype=np.int64)
            return _Grid(e, e, e, e, np.zeros((0, width), dtype=np.int64))
        nc, ns, ni = max(len(b.campaigns), 1), max(len(b.senders), 1), int(inner.max()) + 1
        d0 = int(day.min())
        key = (((day - d0) * ni + inner) * nc + b.campaign[rows]) * ns + b.sender[rows]
        cells, inverse = np.unique(key, return_inverse=True)
        counts = np.stack([np.bincount(inverse, weights=values[:, j], minlength=len(cells))
                           for j in range(width)], axis=1).astype(np.int64)
        rest, sender = np.divmod(cells, ns)
        rest, campaign = np.divmod(rest, nc)
        rest, inner_out = np.divmod(rest, ni)
        return _Grid(rest + d0, inner_out, campaign, sender, counts)

    def _local_day(self, instants_us: np.ndarray, tz: str) -> np.ndarray:
        local = pd.to_datetime(instants_us, unit="us", utc=True).tz_convert(tz).tz_localize(None)
        return np.asarray(local.as_unit("us").asi8) // _US_PER_DAY

    def _mask(self, g: _Grid, part: slice | np.ndarray, selection: Selection) -> np.ndarray:
        b = self.numbers._base
        mask = np.ones(len(g.day[part]), dtype=bool)
        for codes, values in ((b.codes(selection.campaigns, "campaign"), g.campaign),
                              (b.codes(selection.senders, "sender"), g.sender)):
            if codes is not None:
                mask &= np.isin(values[part], codes)
        return mask

    # ---------------------------------------------------------------------------------------------- triangle
    def triangle(self, end: dt.date, weeks: int, selection: Selection, metric: str = "responses") -> pd.DataFrame:
        """:func:`talentstats.stats.arrival.triangle` of the selected reach outs, as of the newest instant in the
        whole table.

        Args:
            end: a day in the last creation week.
            weeks: how many creation weeks.
            selection: time zone, campaigns and senders.
            metric: responses or opens.

        Returns:
            Rows created_week, age_weeks, count, reach_outs, cumulative_rate.

        Raises:
            UsageError: an unknown metric or a bad number of weeks.
        """
        if metric not in TRIANGLE_METRICS:
            raise UsageError(f"choose {', '.join(TRIANGLE_METRICS)}", parameter="metric", value=metric)
        first, last = _triangle_weeks(end, weeks)
        if self.as_of is None:
            return _triangle_frame(first, 0, None, None, selection.tz)
        key = (selection.tz, metric)
        if key not in self._triangles:
            b = self.numbers._base
            monday = monday_number(self._local_day(b.created_us, selection.tz))
            rows = np.arange(len(b.created_us))
            self._triangles[key] = self._grid(monday, self._ages[metric], rows, np.ones((len(rows), 1)))
        g = self._triangles[key]
        part = (g.day >= _day(first)) & (g.day <= _day(last))
        keep = self._mask(g, part, selection)
        cells = pd.DataFrame({"_week": g.day[part][keep], "_age": g.inner[part][keep] - 1,
                              "_n": g.counts[part][keep, 0]})
        cells["_age"] = cells["_age"].astype("Int64").mask(cells["_age"] < 0)
        return _triangle_frame(first, weeks, cells, self.as_of, selection.tz)

    # ---------------------------------------------------------------------------------------------- steps
    @staticmethod
    def _step_rows(table: pd.DataFrame, messages: Any) -> pd.DataFrame | None:
        """Per (table row, step): 0/1 sent, first_opens, replies, found by the library's step code; None when
        the messages have no step numbers."""
        if messages is None or "responded_at" not in table.columns:
            return None
        m = messages.to_pandas() if not isinstance(messages, pd.DataFrame) else messages
        try:
            step_lib._check_steps(m)
        except UsageError:
            return None
        slim = table[["reach_out_id", "created_at", "state", "response_via", "responded_at"]].assign(
            _row=np.arange(len(table), dtype=np.int64))
        per = step_lib._per_step(nw.from_native(slim), nw.from_native(m), *_FAR, ["_row"])
        return step_lib._counts(per, ["_row"]).to_native()

    def steps(self, start: dt.date, end: dt.date, selection: Selection) -> pd.DataFrame:
        """:func:`talentstats.stats.steps.step_stats` of the selected reach outs created on [start, end].

        Args:
            start: first local day.
            end: last local day.
            selection: time zone, campaigns and senders.

        Returns:
            Rows step, sent, first_opens, replies, reply_rate (nullable types), sorted by step.

        Raises:
            UsageError: the messages have no step numbers (:data:`NO_STEPS`).
        """
        if self.step_rows is None:
            raise UsageError(NO_STEPS, parameter="messages")
        tz = selection.tz
        if tz not in self._steps:
            rows = self.step_rows["_row"].to_numpy(dtype=np.int64)
            day = self._local_day(self.numbers._base.created_us[rows], tz)
            values = self.step_rows[list(_STEP_COUNTS)].to_numpy(dtype=np.float64)
            self._steps[tz] = self._grid(day, self.step_rows["step"].to_numpy(dtype=np.int64), rows, values)
        g = self._steps[tz]
        part = (g.day >= _day(start)) & (g.day <= _day(end))
        keep = self._mask(g, part, selection)
        step, counts = g.inner[part][keep], g.counts[part][keep]
        groups, inverse = np.unique(step, return_inverse=True)
        sums = np.stack([np.bincount(inverse, weights=counts[:, j], minlength=len(groups))
                         for j in range(len(_STEP_COUNTS))], axis=1).astype(np.int64)
        out = pd.DataFrame(sums, columns=list(_STEP_COUNTS)).astype("Int64")
        out.insert(0, "step", pd.array(groups, dtype="Int64"))
        out = out[out[list(_STEP_COUNTS)].sum(axis=1) > 0].reset_index(drop=True)
        sent = out["sent"].astype("Float64")
        out["reply_rate"] = (out["replies"].astype("Float64") / sent).where(sent > 0, pd.NA).astype("Float64")
        return out
