"""The dashboard's activity numbers: additive event counts by local day, campaign and sender, sliced per update.

The activity view (:func:`talentstats.stats.activity.activity_counts`) counts events by their own date: messages
sent (sent_at), reach outs started (first_sent_at), opens (first_opened_at), responses and interested
(responded_at). Each is a count of events, so counts by (local day, campaign, sender) add up over any range and
selection: they are computed once per load and time zone, and an update only slices and sums that small cube,
exactly as :class:`talentstats.dashboard.cube.DailyCube` does for the cohort view.

``responses_time_unknown`` (responded reach outs created on or before the range's end whose responded_at is
unknown) is kept by creation day and summed over every day up to the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from talentstats.dashboard.cube import FLAGS, DailyCube, Selection, _day, _sum_rows
from talentstats.errors import UsageError
from talentstats.stats.activity import ACTIVITY
from talentstats.stats.timekeys import monday_number

__all__ = ["ACTIVITY", "ACTIVITY_BY", "ActivityCube", "message_rows", "times"]

#: what the activity cube groups by
ACTIVITY_BY: tuple[str, ...] = ("campaign", "sender", "week", "day")
_NAT = np.iinfo(np.int64).min
_US_PER_DAY = 86_400_000_000


def _us(column: pd.Series | Any) -> np.ndarray:
    """UTC instants as int64 microseconds since the epoch (missing: the NaT sentinel)."""
    values = pd.Series(column)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[us]").to_numpy().view(np.int64)


def times(table: pd.DataFrame, column: str) -> np.ndarray:
    """An event-time column as int64 microseconds (NaT sentinel where unknown; all unknown when the table, e.g.
    one made by an older version, has no such column)."""
    if column not in table.columns:
        return np.full(len(table), _NAT, dtype=np.int64)
    return _us(table[column])


def message_rows(table: pd.DataFrame, messages: Any) -> tuple[np.ndarray, np.ndarray]:
    """The messages' table rows (positions of their reach outs) and send instants (us); messages of an unknown
    reach out (the loader keeps none) are left out.

    Args:
        table: the canonical Reach Out table.
        messages: the loader's message table (pyarrow Table or pandas), with reach_out_id and sent_at.

    Returns:
        (row positions, sent_at in microseconds or the NaT sentinel), int64 each.
    """
    frame = messages.select(["reach_out_id", "sent_at"]).to_pandas() if hasattr(messages, "select") and not \
        isinstance(messages, pd.DataFrame) else messages[["reach_out_id", "sent_at"]]
    rows = pd.Index(table["reach_out_id"]).get_indexer(frame["reach_out_id"])
    known = rows >= 0
    return rows[known].astype(np.int64), _us(frame["sent_at"].reset_index(drop=True))[known]


@dataclass(frozen=True)
class _Events:
    """Every counted event, time-zone independent: instant (us), which count (index into ACTIVITY), codes."""

    instant: np.ndarray
    kind: np.ndarray
    campaign: np.ndarray
    sender: np.ndarray


@dataclass(frozen=True)
class _Cells:
    """Event counts by local day, campaign and sender in one time zone, sorted by day."""

    day: np.ndarray
    campaign: np.ndarray
    sender: np.ndarray
    counts: np.ndarray  # int64, shape (cells, len(ACTIVITY))


class ActivityCube:
    """Activity counts of a canonical Reach Out table (and its messages) for any date range and selection.

    Args:
        numbers: the cohort cube of the same table (its campaign and sender codes and flags are shared).
        messages: the message table of the load, or None without a messages export.
    """

    def __init__(self, numbers: DailyCube, messages: Any = None) -> None:
        table, base = numbers.table, numbers._base
        self.numbers = numbers
        self.has_messages = messages is not None
        responded = base.flags[:, FLAGS.index("responses")] == 1
        interested = base.flags[:, FLAGS.index("interested")] == 1
        started, opened = times(table, "first_sent_at"), times(table, "first_opened_at")
        answered = times(table, "responded_at")
        #: whole-table knowledge, as activity_counts decides it: no time at all = unknown, not 0
        self.unknown = {m for m, known in (("messages_sent", self.has_messages),
                                           ("reach_outs_started", bool((started != _NAT).any())),
                                           ("opens", bool((opened != _NAT).any()))) if not known}
        rows = np.arange(len(table), dtype=np.int64)
        parts = [(rows, started), (rows, opened), (rows[responded], answered[responded]),
                 (rows[interested], answered[interested]),
                 (rows[responded & (answered == _NAT)], base.created_us[responded & (answered == _NAT)])]
        if self.has_messages:
            parts.insert(0, message_rows(table, messages))
        else:
            parts.insert(0, (rows[:0], rows[:0]))
        kinds = [np.full(len(r), i, dtype=np.int8) for i, (r, _) in enumerate(parts)]
        row = np.concatenate([r for r, _ in parts])
        instant = np.concatenate([t for _, t in parts])
        kind = np.concatenate(kinds)
        timed = instant != _NAT
        row, instant, kind = row[timed], instant[timed], kind[timed]
        self._events = _Events(instant, kind, base.campaign[row], base.sender[row])
        self._cells: dict[str, _Cells] = {}

    def _cube(self, tz: str) -> _Cells:
        if tz not in self._cells:
            self._cells[tz] = self._build(tz)
        return self._cells[tz]

    def _build(self, tz: str) -> _Cells:
        e, b = self._events, self.numbers._base
        width = len(ACTIVITY)
        if not len(e.instant):
            empty = np.zeros(0, dtype=np.int64)
            return _Cells(empty, empty, empty, np.zeros((0, width), dtype=np.int64))
        local = pd.to_datetime(e.instant, unit="us", utc=True).tz_convert(tz).tz_localize(None)
        day = np.asarray(local.as_unit("us").asi8) // _US_PER_DAY
        d0 = int(day.min())
        nc, ns = max(len(b.campaigns), 1), max(len(b.senders), 1)
        key = (((day - d0) * nc + e.campaign) * ns + e.sender) * width + e.kind
        size = (int(day.max()) - d0 + 1) * nc * ns * width
        if size <= 8 * len(key) + 1_000_000:
            used = np.bincount(key, minlength=size)
            cells = np.flatnonzero(used)
            n = used[cells]
        else:
            cells, n = np.unique(key, return_counts=True)
        place, kind = np.divmod(cells, width)
        places, inverse = np.unique(place, return_inverse=True)  # sorted: by day first
        counts = np.zeros((len(places), width), dtype=np.int64)
        counts[inverse, kind] = n
        rest, sender = np.divmod(places, ns)
        rest, campaign = np.divmod(rest, nc)
        return _Cells(rest + d0, campaign, sender, counts)

    def counts(self, by: str | None, start: dt.date, end: dt.date, selection: Selection) -> pd.DataFrame:
        """Activity counts of [start, end] for a selection, in total or by one key, as activity_counts gives them.

        Args:
            by: None, or campaign, sender, week or day (week and day as "YYYY-MM-DD").
            start: first local day.
            end: last local day.
            selection: time zone, campaigns and senders.

        Returns:
            Columns: the key (if any), then :data:`ACTIVITY` as nullable Int64 (unknown = <NA>; without a key one
            row; with one, the groups with an event, sorted by key).

        Raises:
            UsageError: ``by`` is not a key the activity cube groups by.
        """
        if by is not None and by not in ACTIVITY_BY:
            raise UsageError(f"the activity view groups by {', '.join(ACTIVITY_BY)}", parameter="by", value=by)
        c = self._cube(selection.tz)
        lo, hi = (int(i) for i in np.searchsorted(c.day, [_day(start), _day(end) + 1]))
        late = ACTIVITY.index("responses_time_unknown")
        upto, keep_upto = self._part(c, slice(0, hi), selection)  # created on or before the end
        part, keep = self._part(c, slice(lo, hi), selection)
        counts = c.counts[part][keep]
        if by is None:
            out = pd.DataFrame([counts.sum(axis=0)], columns=list(ACTIVITY))
            out["responses_time_unknown"] = int(c.counts[upto][keep_upto, late].sum())
            return self._nullable(out)
        if by in ("day", "week"):
            key = (c.day if by == "day" else monday_number(c.day))[part][keep]
            groups, inverse = np.unique(key, return_inverse=True)
            sums = _sum_rows(len(groups), inverse, counts.astype(np.float64))
            frame = pd.DataFrame(sums, columns=list(ACTIVITY))
            frame["responses_time_unknown"] = pd.NA  # a reply without a time has no date
            used = sums[:, :late].sum(axis=1) > 0
            label = pd.Series(pd.to_datetime(groups, unit="D").strftime("%Y-%m-%d"), dtype="str")
        else:
            names = self.numbers.campaigns if by == "campaign" else self.numbers.senders
            codes = c.campaign if by == "campaign" else c.sender
            n = max(len(names), 1)
            sums = np.stack([np.bincount(codes[part][keep], weights=counts[:, j], minlength=n)
                             for j in range(len(ACTIVITY))], axis=1).astype(np.int64)
            sums[:, late] = np.bincount(codes[upto][keep_upto], weights=c.counts[upto][keep_upto, late],
                                        minlength=n).astype(np.int64)
            used = sums.sum(axis=1) > 0
            frame = pd.DataFrame(sums, columns=list(ACTIVITY))
            label = pd.Series(pd.array(list(names) or [None],
                                       dtype=self.numbers.table[by].dtype))
        frame = frame[used].reset_index(drop=True)
        frame.insert(0, by, label[used].to_numpy())
        if by in ("campaign", "sender"):
            frame = frame.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)
        return self._nullable(frame)

    def _part(self, c: _Cells, part: slice, selection: Selection) -> tuple[slice, np.ndarray]:
        """The cells of ``part`` and the selection's mask over them."""
        mask = self._mask(c, part, selection)
        return part, np.ones(part.stop - part.start, dtype=bool) if mask is None else mask

    def _mask(self, c: _Cells, part: slice, selection: Selection) -> np.ndarray | None:
        mask = None
        b = self.numbers._base
        for codes, values in ((b.codes(selection.campaigns, "campaign"), c.campaign),
                              (b.codes(selection.senders, "sender"), c.sender)):
            if codes is not None:
                m = np.isin(values[part], codes)
                mask = m if mask is None else mask & m
        return mask

    def _nullable(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.astype(dict.fromkeys(ACTIVITY, "Int64"))
        for m in self.unknown:
            out[m] = pd.array([pd.NA] * len(out), dtype="Int64")
        return out

    def totals(self, requests: Sequence[tuple[dt.date, dt.date]], selection: Selection) -> list[dict[str, Any]]:
        """The total counts of several ranges, as dicts (None = unknown).

        Args:
            requests: (start, end) each.
            selection: time zone, campaigns and senders.

        Returns:
            One {count: value} per request.
        """
        out = []
        for start, end in requests:
            row = self.counts(None, start, end, selection).iloc[0]
            out.append({m: None if pd.isna(row[m]) else int(row[m]) for m in ACTIVITY})
        return out
