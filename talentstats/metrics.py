"""The five campaign statistics, exactly as the CRM defines them, written once with narwhals.

Accepts any frame narwhals supports (pandas — the default —, Polars, DuckDB, ...) holding the canonical
Reach Out table (:mod:`talentstats.columns`) and returns a frame of the same kind. See docs/metrics.md.

Definitions, for calendar dates [start, end] in the report time zone ``tz``:

- in range: ``created_at`` converted to ``tz`` falls on a date in [start, end] (attribution by creation date);
- responded: ``response_via`` is not blank, or state == 2 (Responded);
- reach_outs: in range;  in_progress: in range, not responded, state not in {1 Hard Bounced, 5 Canceled};
- opens: in range and opened (unknown -> null, never 0);  responses: in range and responded;
- interested: in range, responded and response_type == "Interested".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

from .errors import UsageError
from .periods import check_range, parse_date, range_instants, zone
from .states import NOT_IN_PROGRESS, RESPONDED

COUNTS: tuple[str, ...] = ("reach_outs", "in_progress", "opens", "responses", "interested")
RATES: tuple[str, ...] = ("open_rate", "response_rate", "interested_rate", "interested_of_responses")
METRICS: tuple[str, ...] = COUNTS + RATES
GROUP_KEYS: tuple[str, ...] = ("campaign", "sender", "week", "day", "month", "state", "response_via",
                               "response_type")
#: keys computed from created_at in the report time zone (the others are columns of the table)
TIME_KEYS: tuple[str, ...] = ("week", "day", "month")
INTERESTED = "Interested"

_US_PER_DAY = 86_400_000_000
_FLAGS = ("reach_outs", "in_progress", "opens", "responses", "interested", "opens_unknown")


def check_keys(by: Sequence[str] | str | None) -> list[str]:
    """Validate group keys (a list, or a comma-separated string) and return them as a list."""
    if by is None:
        return []
    keys = [k.strip() for k in by.split(",")] if isinstance(by, str) else [str(k).strip() for k in by]
    keys = [k for k in keys if k]
    for k in keys:
        if k not in GROUP_KEYS:
            raise UsageError(f"unknown group key {k!r}; choose from {', '.join(GROUP_KEYS)}")
    if len(set(keys)) != len(keys):
        raise UsageError(f"group key repeated in {','.join(keys)}")
    return keys


def _blank(col: str) -> nw.Expr:
    return nw.col(col).fill_null("").str.strip_chars() == ""


def flag_exprs() -> dict[str, nw.Expr]:
    """One 0/1 Int64 expression per counted flag (before the date-range condition)."""
    responded = ~_blank("response_via") | (nw.col("state") == RESPONDED)
    in_progress = ~responded & ~nw.col("state").is_in(sorted(NOT_IN_PROGRESS))
    interested = responded & (nw.col("response_type").fill_null("") == INTERESTED)
    return {
        "in_progress": in_progress.cast(nw.Int64),
        "opens": nw.col("opened").fill_null(False).cast(nw.Int64),
        "responses": responded.cast(nw.Int64),
        "interested": interested.cast(nw.Int64),
        "opens_unknown": nw.col("opened").is_null().cast(nw.Int64),
    }


def _local_day_number(tz: str) -> nw.Expr:
    """Days since 1970-01-01 of created_at's calendar date in ``tz``."""
    local = nw.col("created_at").dt.convert_time_zone(tz).dt.replace_time_zone(None)
    return local.dt.timestamp("us") // _US_PER_DAY


def _time_key_exprs(keys: Sequence[str], tz: str) -> dict[str, nw.Expr]:
    out: dict[str, nw.Expr] = {}
    if "day" in keys or "week" in keys:
        day = _local_day_number(tz)
        if "day" in keys:
            out["day"] = day
        if "week" in keys:
            # 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays
            out["week"] = day - (day + 3) % 7
    if "month" in keys:
        local = nw.col("created_at").dt.convert_time_zone(tz)
        out["month"] = local.dt.year().cast(nw.Int64) * 100 + local.dt.month().cast(nw.Int64)
    return out


def _bounds(start: dt.date | str, end: dt.date | str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    s, e = parse_date(start, "start"), parse_date(end, "end")
    check_range(s, e)
    zone(tz)
    return range_instants(s, e, tz)


def stat_counts(frame: IntoFrameT, start: dt.date | str, end: dt.date | str, tz: str = "UTC",
                by: Sequence[str] | str | None = None) -> IntoFrameT:
    """Additive counts per group (time keys as integers, plus ``opens_unknown``); the basis of every statistic.

    Sums of these rows over any partition give the counts of the union, which is what makes a cube of them
    (see :func:`rollup`) answer any coarser question exactly.
    """
    keys = check_keys(by)
    lo, hi = _bounds(start, end, tz)
    f = nw.from_native(frame)
    in_range = (nw.col("created_at") >= lo) & (nw.col("created_at") < hi)
    if not keys:
        # one pass over the whole table: also tells whether the table has open information at all
        agg = [nw.col("_in").sum().alias("reach_outs")]
        agg += [(nw.col(k) * nw.col("_in")).sum().alias(k) for k in _FLAGS[1:]]
        agg.append(nw.col("opens_unknown").sum().alias("_unknown_anywhere"))
        agg.append(nw.len().alias("_rows"))
        out = f.with_columns(_in=in_range.cast(nw.Int64), **flag_exprs()).select(*agg)
        # a table without any open information has unknown opens, even when the range or the table is empty
        no_info = nw.col("_unknown_anywhere") == nw.col("_rows")  # an empty table shows no open tracking either
        out = out.with_columns(
            opens_unknown=nw.when(no_info).then(nw.col("opens_unknown") + 1).otherwise(nw.col("opens_unknown"))
        ).drop("_unknown_anywhere", "_rows")
        return out.to_native()
    f = f.filter(in_range).with_columns(**_time_key_exprs(keys, tz), **flag_exprs())
    agg = [nw.len().alias("reach_outs")] + [nw.col(k).sum() for k in _FLAGS[1:]]
    return f.group_by(*keys).agg(*agg).to_native()


def rollup(counts: IntoFrameT, by: Sequence[str] | str | None = None) -> IntoFrameT:
    """Re-aggregate a stat_counts frame to fewer keys and finish it into statistics.

    A counts frame grouped by ``day`` can be rolled up to ``week`` (derived from the day number).
    """
    keys = check_keys(by)
    f = nw.from_native(counts)
    if "week" in keys and "week" not in f.columns:
        f = f.with_columns(week=nw.col("day") - (nw.col("day") + 3) % 7)
    sums = [nw.col(k).sum() for k in _FLAGS]
    f = f.group_by(*keys).agg(*sums) if keys else f.select(*sums)
    return finish(f.to_native(), keys)


def finish(counts: IntoFrameT, by: Sequence[str] | str | None = None) -> IntoFrameT:
    """Turn additive counts into statistics: unknown opens to null, rates, readable keys, sorted rows.

    One ``select`` (plus a filter and a sort when grouped): this runs on every dashboard update, where the
    frames are small and per-operation overhead is what counts.
    """
    keys = check_keys(by)
    f = nw.from_native(counts)
    if keys:
        f = f.filter(nw.col("reach_outs") > 0)
    known = nw.col("opens_unknown") == 0
    as_float = {k: nw.col(k).cast(nw.Float64) for k in ("reach_outs", "opens", "responses", "interested")}

    def rate(num: str, den: str) -> nw.Expr:
        return nw.when(nw.col(den) > 0).then(as_float[num] / as_float[den])

    exprs: list[nw.Expr] = []
    for k in keys:
        if k in ("day", "week"):
            exprs.append((nw.col(k) * _US_PER_DAY).cast(nw.Datetime("us")).dt.to_string("%Y-%m-%d").alias(k))
        elif k == "month":
            m = nw.col("month")
            exprs.append(nw.concat_str((m // 100).cast(nw.String), nw.lit("-"),
                                       (m % 100).cast(nw.String).str.zfill(2)).alias(k))
        else:
            exprs.append(nw.col(k))
    exprs += [nw.col(c).cast(nw.Int64) for c in ("reach_outs", "in_progress")]
    exprs.append(nw.when(known).then(nw.col("opens")).alias("opens"))
    exprs += [nw.col(c).cast(nw.Int64) for c in ("responses", "interested")]
    exprs += [
        nw.when(known & (nw.col("reach_outs") > 0)).then(as_float["opens"] / as_float["reach_outs"])
        .alias("open_rate"),
        rate("responses", "reach_outs").alias("response_rate"),
        rate("interested", "reach_outs").alias("interested_rate"),
        rate("interested", "responses").alias("interested_of_responses"),
    ]
    f = f.select(*exprs)
    if keys:
        f = f.sort(*keys)  # formatted dates sort as dates
    return _nullable_pandas(f.to_native())


def _nullable_pandas(native: Any) -> Any:
    """pandas only: counts as nullable Int64 and rates as Float64, so unknown is <NA> rather than NaN."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return native
    if isinstance(native, pd.DataFrame):
        dtypes = {c: "Int64" for c in COUNTS} | {c: "Float64" for c in RATES}
        native = native.astype(dtypes)
        if "state" in native.columns:
            native["state"] = native["state"].astype("int64")
        return native.reset_index(drop=True)
    return native


def campaign_stats(frame: IntoFrameT, start: dt.date | str, end: dt.date | str, tz: str = "UTC",
                   by: Sequence[str] | str | None = None) -> IntoFrameT:
    """The five statistics and four rates for reach outs created on [start, end] in ``tz``, per group.

    ``by`` is any of campaign, sender, week (Monday, "YYYY-MM-DD"), day, month ("YYYY-MM"), state,
    response_via, response_type. Groups without a reach out in range are omitted; with no ``by`` the
    result is one row, the total.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"reach_out_id": ["a", "b"], "campaign": ["X", "X"], "sender": ["s", "s"],
    ...     "state": [2, 0], "created_at": pd.to_datetime(["2026-11-16 10:00", "2026-11-17 10:00"], utc=True),
    ...     "response_via": [None, None], "response_type": ["Interested", "Interested"],
    ...     "opened": [False, True]})
    >>> campaign_stats(t, "2026-11-16", "2026-11-22")[["reach_outs", "opens", "responses", "interested"]]
       reach_outs  opens  responses  interested
    0           2      1          1           1
    """
    keys = check_keys(by)
    return finish(stat_counts(frame, start, end, tz, keys), keys)


def stats_dicts(stats: Any) -> list[dict[str, Any]]:
    """Rows of a statistics frame as plain dicts (nulls as None), e.g. for JSON."""
    f = nw.from_native(stats, eager_only=True)
    return [{k: _plain(v) for k, v in row.items()} for row in f.iter_rows(named=True)]


def _plain(v: Any) -> Any:
    try:
        import pandas as pd

        if v is pd.NA or (isinstance(v, float) and v != v):
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(v, "item"):
        return v.item()
    return v


def members(frame: IntoFrameT, start: dt.date | str, end: dt.date | str, tz: str = "UTC",
            metric: str = "reach_outs") -> IntoFrameT:
    """The in-range rows counted by ``metric`` (e.g. the reach outs behind the Interested tile).

    For ``opens`` only rows known to be opened are returned.
    """
    if metric not in COUNTS:
        raise UsageError(f"unknown metric {metric!r}; choose from {', '.join(COUNTS)}")
    lo, hi = _bounds(start, end, tz)
    f = nw.from_native(frame)
    f = f.filter((nw.col("created_at") >= lo) & (nw.col("created_at") < hi))
    if metric != "reach_outs":
        f = f.filter(flag_exprs()[metric] == 1)
    return f.to_native()
