"""How replies (or opens) arrive with age, and how long prospects take to reply: issue 13, written with narwhals.

Both read the canonical Reach Out table with its event times (``responded_at``, ``first_opened_at``,
``first_sent_at``; nullable UTC instants) and run on any engine narwhals supports; only small results (counts per
creation date and age, the responded rows of a range) are collected, and finished in pandas. See docs/metrics.md.

- :func:`triangle`: rows = creation weeks, columns = whole weeks of age at the event, cells = reach outs, with the
  cumulative rate by age (a development triangle);
- :func:`time_to_reply`: median, p75 and p90 hours from first send (creation without a messages export) to reply,
  for the reach outs created in a date range.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

from talentstats.errors import UsageError
from talentstats.stats.metrics import (
    RESPONDED_COLUMNS,
    _bounds,
    _row_slices,
    keys_among,
    maybe_responded_expr,
    only_columns,
    responded_expr,
)
from talentstats.stats.periods import FIRST_DATE, monday_of, parse_date, range_instants, zone
from talentstats.stats.timekeys import day_number, local_date_key, monday_number

#: the event column whose age each triangle metric counts
TRIANGLE_METRICS: dict[str, str] = {"responses": "responded_at", "opens": "first_opened_at"}
TRIANGLE_COLUMNS: tuple[str, ...] = ("created_week", "age_weeks", "count", "reach_outs", "cumulative_rate")
TTR_COLUMNS: tuple[str, ...] = ("ttr_median_h", "ttr_p75_h", "ttr_p90_h", "ttr_n")
#: group keys of time to reply (columns of the table)
TTR_KEYS: tuple[str, ...] = ("campaign", "sender")
#: the instants whose newest is "as of" for the triangle
EVENT_COLUMNS: tuple[str, ...] = ("created_at", "updated_at", "first_sent_at", "first_opened_at", "responded_at")

_US_PER_HOUR = 3_600_000_000
_US_PER_WEEK = 7 * 86_400_000_000
_QUANTILES = (0.5, 0.75, 0.9)


# --------------------------------------------------------------------------------------------- helpers


def _eager_pandas(f: Any) -> Any:
    """A (small) narwhals frame computed into pandas."""
    if isinstance(f, nw.LazyFrame):
        f = f.collect(backend="pandas")
    native = f.to_native()
    return native if f.implementation.is_pandas() else f.to_pandas()


def _like(f: Any, pdf: Any) -> Any:
    """A (small) pandas result as a native frame of ``f``'s kind: eager for eager, lazy for lazy."""
    out = nw.from_native(pdf, eager_only=True)
    if isinstance(f, nw.LazyFrame):
        return out.lazy(backend=f.implementation).to_native()
    if f.implementation.is_pandas():
        return pdf
    return nw.from_arrow(out.to_arrow(), backend=f.implementation).to_native()


def _instant(value: Any) -> dt.datetime | None:
    """A datetime (pandas Timestamp, naive = UTC) as a Python UTC datetime; None for missing."""
    if value is None or value != value:  # (NaT is not equal to itself)
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def newest_instant(reach_outs: Any) -> dt.datetime | None:
    """The newest instant in the table (max of its event columns, UTC): what the triangle is "as of" by default,
    since a reply or an update can be newer than the newest reach out. None for a table without times."""
    f = nw.from_native(reach_outs)
    cols = [c for c in EVENT_COLUMNS if c in f.collect_schema().names()]
    out = f.select(*[nw.col(c).max() for c in cols])
    if isinstance(out, nw.LazyFrame):
        out = out.collect()
    found = [v for v in (_instant(x) for x in out.row(0)) if v is not None]
    return max(found, default=None)


def _text_keys(f: Any, keys: Sequence[str]) -> Any:
    """Categorical keys (pandas categoricals, dictionaries) as text, so they sort by label on every engine."""
    schema = f.collect_schema()
    text = [k for k in keys if schema[k] in (nw.Categorical, nw.Enum)]
    return f.with_columns(*[nw.col(k).cast(nw.String) for k in text]) if text else f


# --------------------------------------------------------------------------------------------- triangle


def _triangle_weeks(end: dt.date | str, weeks: int) -> tuple[dt.date, dt.date]:
    """The first and last Mondays of ``weeks`` creation weeks ending with the week of ``end``."""
    if isinstance(weeks, bool) or not isinstance(weeks, numbers.Integral) or weeks < 1:
        raise UsageError("must be a whole number of weeks, 1 or more", parameter="weeks", value=weeks)
    last = monday_of(parse_date(end, "end"))
    first = last - dt.timedelta(days=7 * (int(weeks) - 1))
    if first < FIRST_DATE:
        raise UsageError(f"reaches back before {FIRST_DATE}", parameter="weeks", value=weeks)
    return first, last


def _cells(f: Any, event: str, lo: dt.datetime, hi: dt.datetime, as_of: dt.datetime, tz: str) -> Any:
    """In the engine: reach outs per (local creation date key, age in weeks at the event or null): a few rows."""
    created = nw.col("created_at")
    counted = ~nw.col(event).is_null() & (nw.col(event) >= created) & (nw.col(event) <= as_of)
    if event == "responded_at":
        counted = counted & responded_expr()
    # (on pandas total_microseconds goes through float seconds and may come out 1 us short, but only where the
    # difference is not whole seconds: never at a multiple of 7 days, so the floor is exact on every engine)
    age = (nw.col(event) - created).dt.total_microseconds() // _US_PER_WEEK
    f = only_columns(f, "created_at", event, *RESPONDED_COLUMNS)  # (before the filter: it copies every column)
    f = f.filter((created >= lo) & (created < hi) & (created <= as_of))
    f = f.with_columns(_date=local_date_key(tz), _age=nw.when(counted).then(age))
    cells = f.group_by("_date", "_age").agg(nw.len().alias("_n"))
    cells = nw.from_native(_eager_pandas(cells), eager_only=True)
    return cells.with_columns(_week=monday_number(day_number(nw.col("_date")))).to_native()


def triangle(reach_outs: IntoFrameT, end: dt.date | str, weeks: int, tz: str = "UTC",
             metric: str = "responses", as_of: dt.datetime | None = None) -> IntoFrameT:
    """How a cohort's responses (or opens) arrive: per creation week and whole week of age, the reach outs whose
    event came at that age, and the cumulative rate by age (the development triangle of issue 13).

    Rows are the ``weeks`` creation weeks (Monday to Sunday in ``tz``) ending with the week containing ``end``,
    ``created_week`` as ``YYYY-Www``. Age = floor((event - created_at) / 7 days): ``responded_at`` of responded
    reach outs for ``responses``, ``first_opened_at`` for ``opens``; reach outs without a known time are not
    counted. Ages 0 .. floor((as_of - the Monday 00:00 in ``tz`` starting the week) / 7 days) are emitted (zeros
    included), so a young week has fewer columns; ``as_of`` defaults to the newest instant in the data. An
    ``as_of`` before that shows the data as known then: later reach outs and events are left out.
    ``cumulative_rate`` = events up to this age / ``reach_outs`` of the week (null without reach outs).
    """
    if metric not in TRIANGLE_METRICS:
        raise UsageError(f"choose {', '.join(TRIANGLE_METRICS)}", parameter="metric", value=metric)
    zone(tz, "tz")
    first, last = _triangle_weeks(end, weeks)
    f = nw.from_native(reach_outs)
    as_of = newest_instant(reach_outs) if as_of is None else _instant(as_of)
    if as_of is None:  # no data: no week has an age yet
        return _like(f, _triangle_frame(first, 0, None, None, tz))
    lo, hi = range_instants(first, last + dt.timedelta(days=6), tz)
    slices = _row_slices(f)
    if slices is None:
        cells = _cells(f, TRIANGLE_METRICS[metric], lo, hi, as_of, tz)
    else:  # a long pandas table: cells counted per row slice on all cores (they are summed per week and age)
        import pandas as pd

        with ThreadPoolExecutor(len(slices)) as pool:
            cells = pd.concat(pool.map(lambda part: _cells(part, TRIANGLE_METRICS[metric], lo, hi, as_of, tz),
                                       slices), ignore_index=True)
    return _like(f, _triangle_frame(first, weeks, cells, as_of, tz))


def _triangle_frame(first: dt.date, weeks: int, cells: Any, as_of: dt.datetime | None, tz: str) -> Any:
    """The triangle's rows (pandas) from the collected cells: the grid of weeks and ages, counts, rates."""
    import numpy as np
    import pandas as pd  # (the collected cells are small; pandas is one backend of several)

    epoch = dt.date(1970, 1, 1)
    mondays = (first - epoch).days + 7 * np.arange(weeks, dtype="int64")
    local = pd.DatetimeIndex(pd.to_datetime(mondays, unit="D"))
    # the instant each week starts: Monday 00:00 in tz (as range_instants: a missing midnight is the next instant)
    starts = local.tz_localize(zone(tz), ambiguous=np.ones(weeks, dtype=bool), nonexistent="shift_forward")
    if as_of is None:
        ages = np.full(weeks, -1, dtype="int64")
    else:
        ages = (pd.Timestamp(as_of) - starts.tz_convert("UTC")) // pd.Timedelta(days=7)
        ages = np.asarray(ages, dtype="int64")
    n_ages = np.clip(ages + 1, 0, None)
    week = np.repeat(mondays, n_ages)
    offsets = np.repeat(np.cumsum(n_ages) - n_ages, n_ages)
    grid = pd.DataFrame({"_week": week, "age_weeks": np.arange(len(week), dtype="int64") - offsets})
    if cells is None or len(cells) == 0:
        counts = pd.DataFrame({"_week": [], "age_weeks": [], "count": []}, dtype="int64")
        totals = pd.DataFrame({"_week": [], "reach_outs": []}, dtype="int64")
    else:
        cells = cells.astype({"_week": "int64"})
        totals = cells.groupby("_week", as_index=False)["_n"].sum().rename(columns={"_n": "reach_outs"})
        timed = cells[cells["_age"].notna()].astype({"_age": "int64"})
        counts = (timed.groupby(["_week", "_age"], as_index=False)["_n"].sum()
                  .rename(columns={"_age": "age_weeks", "_n": "count"}))
    out = grid.merge(counts, on=["_week", "age_weeks"], how="left").merge(totals, on="_week", how="left")
    out = out.astype({"count": "Float64", "reach_outs": "Float64"}).fillna({"count": 0, "reach_outs": 0})
    out = out.astype({"count": "Int64", "reach_outs": "Int64"})
    cumulative = out.groupby("_week")["count"].cumsum().astype("Float64")
    reach = out["reach_outs"].astype("Float64")
    out["cumulative_rate"] = (cumulative / reach).where(reach > 0, pd.NA).astype("Float64")
    iso = pd.to_datetime(out["_week"], unit="D").dt.isocalendar()
    out["created_week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    out["age_weeks"] = out["age_weeks"].astype("Int64")
    out = out.sort_values(["_week", "age_weeks"], kind="stable")
    return out[list(TRIANGLE_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------- time to reply


def time_to_reply(reach_outs: IntoFrameT, start: dt.date | str, end: dt.date | str, tz: str = "UTC",
                  by: Sequence[str] | str | None = None) -> IntoFrameT:
    """Hours from first send to reply for the reach outs created on [start, end] in ``tz``: median, p75, p90 and
    n, per group (``by``: campaign, sender), so a manager sees how long prospects take to answer.

    ttr = responded_at - first_sent_at (created_at where there is no first send), in hours, for the responded
    reach outs of the range with a known ``responded_at``. Quantiles interpolate linearly (numpy's default);
    they are null where n is 0. Rows: one per group with a reach out in range (the rows of campaign_stats by the
    same keys), sorted by the keys; without keys one row.
    """
    keys = _ttr_keys(by)
    lo, hi = _bounds(start, end, tz)
    f = nw.from_native(reach_outs)
    names = f.collect_schema().names()
    base = nw.coalesce(nw.col("first_sent_at"), nw.col("created_at")) if "first_sent_at" in names \
        else nw.col("created_at")
    # (only the columns read, and the replied rows picked in one filter: a filter copies every column it is given)
    used = only_columns(f, *keys, "created_at", "first_sent_at", "responded_at", *RESPONDED_COLUMNS)
    in_range = (nw.col("created_at") >= lo) & (nw.col("created_at") < hi)
    # (categorical keys as text after the filter and the grouping: casting the whole cohort's was most of the time)
    replied = used.filter(in_range & maybe_responded_expr() & ~nw.col("responded_at").is_null()).filter(
        responded_expr())  # (the exact test on the few rows left: it trims text)
    replied = _eager_pandas(_text_keys(replied.select(*keys, "responded_at", _base=base), keys))
    groups = (_eager_pandas(_text_keys(used.select(*keys, "created_at").filter(in_range)
                                       .group_by(*keys).agg(nw.len().alias("_n")), keys)) if keys else None)
    return _like(f, _ttr_frame(replied, groups, keys))


def _ttr_keys(by: Sequence[str] | str | None) -> list[str]:
    return keys_among(by, TTR_KEYS, "time to reply is")


def _ttr_frame(replied: Any, groups: Any, keys: list[str]) -> Any:
    """Quantiles (pandas, linear interpolation) of the collected hours, one row per group (pandas)."""
    import pandas as pd  # (the responded rows of a range are few; pandas is one backend of several)

    # whole microseconds apart, then hours: exact integers first, so every engine gets the same floats
    # (narwhals' total_microseconds on pandas goes through float seconds)
    apart = (replied["responded_at"] - replied["_base"]) // pd.Timedelta(microseconds=1)
    hours = apart.astype("float64") / _US_PER_HOUR
    names = {0.5: "ttr_median_h", 0.75: "ttr_p75_h", 0.9: "ttr_p90_h"}
    if not keys:
        q = hours.quantile(list(_QUANTILES)) if len(hours) else pd.Series([None] * 3, index=list(_QUANTILES))
        out = pd.DataFrame({names[p]: [q[p]] for p in _QUANTILES})
        out["ttr_n"] = len(hours)
    else:
        grouped = replied[keys].assign(_h=hours).groupby(keys, dropna=False)["_h"]
        parts = [grouped.quantile(p).rename(names[p]) for p in _QUANTILES]  # (three quantiles, not groups)
        per_group = pd.concat([*parts, grouped.size().rename("ttr_n")], axis=1).reset_index()
        out = groups[keys].merge(per_group, on=keys, how="left")
        out["ttr_n"] = out["ttr_n"].fillna(0)
    out = out.astype({c: "Float64" for c in TTR_COLUMNS[:3]} | {"ttr_n": "Int64"})
    out = out[[*keys, *TTR_COLUMNS]]
    return nw.from_native(out, eager_only=True).sort(*keys).to_native().reset_index(drop=True) if keys else out
