"""The five campaign statistics, exactly as the CRM defines them, written once with narwhals.

Accepts any frame narwhals supports (pandas — the default —, Polars, DuckDB, ...) holding the canonical
Reach Out table (:mod:`talentstats.load.columns`) and returns a frame of the same kind. See docs/metrics.md.

Definitions, for calendar dates [start, end] in the report time zone ``tz``:

- in range: ``created_at`` converted to ``tz`` falls on a date in [start, end] (attribution by creation date);
- responded: ``response_via`` is not blank, or state == 2 (Responded);
- reach_outs: in range;  in_progress: in range, not responded, state not in {1 Hard Bounced, 5 Canceled};
- opens: in range and opened (unknown -> null, never 0);  responses: in range and responded;
- interested: in range, responded and response_type == "Interested";
- hard_bounced: in range and state == 1 (Hard Bounced); bounce_rate = hard_bounced / reach_outs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

from talentstats.errors import UsageError
from talentstats.stats.periods import check_range, parse_date, range_instants, zone
from talentstats.stats.states import HARD_BOUNCED, NOT_IN_PROGRESS, RESPONDED
from talentstats.stats.timekeys import day_labels, monday_number, time_key_exprs

COUNTS: tuple[str, ...] = ("reach_outs", "in_progress", "opens", "responses", "interested", "hard_bounced")
RATES: tuple[str, ...] = ("open_rate", "response_rate", "interested_rate", "interested_of_responses", "bounce_rate")
METRICS: tuple[str, ...] = COUNTS + RATES
GROUP_KEYS: tuple[str, ...] = ("campaign", "sender", "week", "day", "month", "state", "response_via",
                               "response_type")
#: keys computed from created_at in the report time zone (the others are columns of the table)
TIME_KEYS: tuple[str, ...] = ("week", "day", "month")
INTERESTED = "Interested"

_FLAGS = ("reach_outs", "in_progress", "opens", "responses", "interested", "opens_unknown", "hard_bounced")
#: the columns the statistics read (besides the group-key columns)
_NEEDED = ("created_at", "state", "response_via", "response_type", "opened")


def check_keys(by: Sequence[str] | str | None, allowed: Sequence[str] = GROUP_KEYS) -> list[str]:
    """Validate group keys (a list, or a comma-separated string) against ``allowed``; return them as a list."""
    if by is None:
        return []
    keys = [k.strip() for k in by.split(",")] if isinstance(by, str) else [str(k).strip() for k in by]
    keys = [k for k in keys if k]
    for k in keys:
        if k not in allowed:
            raise UsageError(f"unknown group key {k!r}; choose from {', '.join(allowed)}")
    if len(set(keys)) != len(keys):
        raise UsageError(f"group key repeated in {','.join(keys)}")
    return keys


def keys_among(by: Sequence[str] | str | None, allowed: Sequence[str], what: str) -> list[str]:
    """:func:`check_keys`, then only keys among ``allowed`` (``what``: how the error names the question, e.g.
    "steps are")."""
    keys = check_keys(by)
    wrong = [k for k in keys if k not in allowed]
    if wrong:
        raise UsageError(f"{what} grouped by {' or '.join(allowed)} only", parameter="by", value=",".join(wrong))
    return keys


def _blank(col: str) -> nw.Expr:
    """Null, empty or whitespace only (no fill_null on text: it copies every string on pandas)."""
    return nw.col(col).is_null() | (nw.col(col).str.strip_chars() == "")


#: the columns :func:`responded_expr` reads
RESPONDED_COLUMNS: tuple[str, ...] = ("response_via", "state")


def only_columns(frame: Any, *columns: str) -> Any:
    """The narwhals frame with only ``columns`` (those it has, each once), taken before filtering a long eager
    table: a filter copies every column (picking 90 % of 6.6M rows took 0.5-2 s from the report's 14 columns,
    0.2 s from 5 of them)."""
    names = frame.collect_schema().names()
    return frame.select(*[c for c in dict.fromkeys(columns) if c in names])


def responded_expr() -> nw.Expr:
    """Responded: response_via not blank, or state 2 (a boolean)."""
    return ~_blank("response_via") | (nw.col("state") == RESPONDED)


def maybe_responded_expr() -> nw.Expr:
    """A cheap superset of :func:`responded_expr` (response_via present, or state 2: no text is trimmed), to cut a
    long table down before the exact test: trimming every row's text was most of the time of a view at 10M rows."""
    return ~nw.col("response_via").is_null() | (nw.col("state") == RESPONDED)


def flag_exprs(responded: nw.Expr | None = None) -> dict[str, nw.Expr]:
    """One 0/1 integer (Int8) expression per counted flag (before the date-range condition).

    ``responded`` may name a column already holding :func:`responded_expr` (computed once, used thrice).
    Flags are cast to integers before they are summed (Dask and PySpark cannot sum booleans); Int8 because it
    is an eighth of the memory traffic of Int64, and every engine sums small integers into 64 bits.
    """
    responded = responded_expr() if responded is None else responded
    in_progress = ~responded & ~nw.col("state").is_in(sorted(NOT_IN_PROGRESS))
    interested = responded & (nw.col("response_type") == INTERESTED).fill_null(False)
    return {
        "in_progress": in_progress.cast(nw.Int8),
        "opens": nw.col("opened").fill_null(False).cast(nw.Int8),
        "responses": responded.cast(nw.Int8),
        "interested": interested.cast(nw.Int8),
        "opens_unknown": nw.col("opened").is_null().cast(nw.Int8),
        "hard_bounced": (nw.col("state") == HARD_BOUNCED).cast(nw.Int8),
    }












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
    if keys and (parts := _row_slices(f)) is not None:
        return _counts_in_slices(parts, lo, hi, tz, keys)
    return _counts(f, lo, hi, tz, keys)


#: a pandas table this long or longer is counted in slices of at most _SLICE_ROWS rows, on a thread pool
_PARALLEL_ROWS = 500_000
_SLICE_ROWS = 2_500_000


def _row_slices(f: Any) -> list[Any] | None:
    """Row slices of a long eager pandas frame (None: count it whole). Counts are additive, so slices can be
    counted apart - on all cores, since pandas and Arrow kernels release the GIL - and summed; smaller slices
    also mean cache-friendly temporaries (one slice of a long table is faster even on one core)."""
    if not isinstance(f, nw.DataFrame) or not f.implementation.is_pandas():
        return None

    n = len(f)
    k = max(-(-n // _SLICE_ROWS), 2 if (os.cpu_count() or 1) > 1 and n >= _PARALLEL_ROWS else 1)
    if k < 2:
        return None
    step = -(-n // k)
    native = f.to_native()
    return [nw.from_native(native.iloc[i * step:(i + 1) * step]) for i in range(k)]


def _counts_in_slices(parts: list[Any], lo: dt.datetime, hi: dt.datetime, tz: str, keys: list[str]) -> Any:

    import pandas as pd  # (pandas is one backend of several: imported when a pandas frame is met)

    with ThreadPoolExecutor(max(1, min(len(parts), os.cpu_count() or 1))) as pool:
        counts = list(pool.map(lambda part: _counts(part, lo, hi, tz, keys), parts))
    both = nw.from_native(pd.concat(counts, ignore_index=True))
    return both.group_by(*keys).agg(*[nw.col(k).sum() for k in _FLAGS]).to_native()


def _counts(f: Any, lo: dt.datetime, hi: dt.datetime, tz: str, keys: list[str]) -> Any:
    """:func:`stat_counts` of one narwhals frame."""
    # only the columns needed, before anything copies rows
    f = f.select(*dict.fromkeys([*_NEEDED, *(k for k in keys if k not in TIME_KEYS)]))
    in_range = (nw.col("created_at") >= lo) & (nw.col("created_at") < hi)
    if not keys and isinstance(f, nw.DataFrame):  # eager: the flags of the range's rows only (testing every
        # row's text for a response was most of the time of a week's total at 10M rows), the sums of the one pass
        # below; whether the table has open information at all asked of the whole table apart
        rows = f.filter(in_range).with_columns(**flag_exprs())
        out = rows.select(nw.len().cast(nw.Int64).alias("reach_outs"),
                          *[nw.col(k).cast(nw.Int64).sum() for k in _FLAGS[1:]])
        if f.select(nw.col("opened").is_null().all()).item():  # (an empty table shows no open tracking either)
            out = out.with_columns(opens_unknown=nw.col("opens_unknown") + 1)
        return out.to_native()
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
    per_row, per_group = time_key_exprs(keys, tz)
    f = f.filter(in_range).with_columns(_responded=responded_expr(), **per_row)
    f = f.with_columns(**flag_exprs(nw.col("_responded")))
    row_keys = [k for k in keys if k not in per_group] + (["_date"] if per_group else [])
    out = f.group_by(*row_keys).agg(nw.len().alias("reach_outs"), *[nw.col(k).sum() for k in _FLAGS[1:]])
    if per_group:  # a few rows per date: day and week from the date, then the groups asked for
        out = out.with_columns(**per_group).group_by(*keys).agg(*[nw.col(k).sum() for k in _FLAGS])
    # categorical keys (pandas categoricals, dictionaries) as text: sorted by label, not by code, downstream
    schema = out.collect_schema()
    text = [k for k in keys if schema[k] in (nw.Categorical, nw.Enum)]
    if text:
        out = out.with_columns(*[nw.col(k).cast(nw.String) for k in text])
    return out.to_native()


def rollup(counts: IntoFrameT, by: Sequence[str] | str | None = None) -> IntoFrameT:
    """Re-aggregate a stat_counts frame to fewer keys and finish it into statistics.

    A counts frame grouped by ``day`` can be rolled up to ``week`` (derived from the day number).
    """
    keys = check_keys(by)
    f = nw.from_native(counts)
    if "week" in keys and "week" not in f.columns:
        f = f.with_columns(week=monday_number(nw.col("day")))
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
    as_float = {k: nw.col(k).cast(nw.Float64) for k in ("reach_outs", "opens", "responses", "interested",
                                                        "hard_bounced")}

    def rate(num: str, den: str) -> nw.Expr:
        return nw.when(nw.col(den) > 0).then(as_float[num] / as_float[den])

    exprs: list[nw.Expr] = []
    rounds: list[dict[str, nw.Expr]] = []
    for k in keys:
        if k in ("day", "week"):
            steps, label = day_labels(f, k)
            rounds = [a | b for a, b in zip(rounds, steps, strict=True)] if rounds and steps else rounds or steps
            exprs.append(label)
        elif k == "month":
            m = nw.col("month")
            exprs.append(nw.concat_str((m // 100).cast(nw.String), nw.lit("-"),
                                       (m % 100).cast(nw.String).str.zfill(2)).alias(k))
        else:
            exprs.append(nw.col(k))
    exprs += [nw.col(c).cast(nw.Int64) for c in ("reach_outs", "in_progress")]
    exprs.append(nw.when(known).then(nw.col("opens").cast(nw.Int64)).alias("opens"))
    exprs += [nw.col(c).cast(nw.Int64) for c in ("responses", "interested", "hard_bounced")]
    exprs += [
        nw.when(known & (nw.col("reach_outs") > 0)).then(as_float["opens"] / as_float["reach_outs"])
        .alias("open_rate"),
        rate("responses", "reach_outs").alias("response_rate"),
        rate("interested", "reach_outs").alias("interested_rate"),
        rate("interested", "responses").alias("interested_of_responses"),
        rate("hard_bounced", "reach_outs").alias("bounce_rate"),
    ]
    for columns in rounds:  # helper columns of the portable date labels (lazy frames only)
        f = f.with_columns(**columns)
    f = f.select(*exprs)
    if keys:
        f = f.sort(*keys)  # formatted dates sort as dates
    return _nullable_pandas(f.to_native())


def _nullable_pandas(native: Any) -> Any:
    """pandas only: counts as nullable Int64 and rates as Float64, so unknown is <NA> rather than NaN."""
    try:
        import pandas as pd  # (pandas is one backend of several: imported when a pandas frame is met)
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


def stats_with_total(frame: IntoFrameT, start: dt.date | str, end: dt.date | str, tz: str = "UTC",
                     by: Sequence[str] | str | None = None, opens_known: bool | None = None,
                     ) -> tuple[IntoFrameT | None, IntoFrameT]:
    """``(campaign_stats by by, the total)`` from one pass over the table: the total is the sum of the groups.

    Same numbers as two calls of :func:`campaign_stats`; the rows are None without ``by``. ``opens_known``
    says whether the data has open information when ``frame`` holds only part of it (e.g. one date range of
    a dataset); by default the frame is asked.
    """
    keys = check_keys(by)
    counts = stat_counts(frame, start, end, tz, keys or ["state"])  # (the total alone: summed over the states)
    has_info = (lambda: opens_known) if opens_known is not None else (lambda: has_open_info(frame))
    return (finish(counts, keys) if keys else None), total_of(counts, has_info)


def total_of(counts: Any, has_info: Any) -> Any:
    """The total statistics from an (eager) stat_counts frame; ``has_info()`` says whether the table holds any
    open information, asked only when no reach out is in range (then Opens is 0 with it, unknown without)."""
    t = nw.from_native(counts, eager_only=True).select(*[nw.col(k).sum().cast(nw.Int64) for k in _FLAGS])
    if t["reach_outs"].item() == 0 and not has_info():
        t = t.with_columns(opens_unknown=nw.col("opens_unknown") + 1)
    return finish(t.to_native())


def newest_created(frame: Any, tz: str = "UTC", naive_tz: str = "UTC") -> dt.datetime | None:
    """The newest reach out's creation instant, in ``tz`` (None without rows): "the newest date in the data"
    that ``--week latest``, staleness and the reports' "data as of" are measured from. ``naive_tz``: the zone of
    the wall times an engine hands back without one (Spark gives them in its session's zone)."""
    f = nw.from_native(frame).select(nw.col("created_at").max())
    if isinstance(f, nw.LazyFrame):
        f = f.collect()
    value = f.item()
    if value is None or value != value:  # (NaT: pandas' missing time is not equal to itself)
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(naive_tz))
    return value.astimezone(zone(tz))


def newest_date(frame: Any, tz: str = "UTC", naive_tz: str = "UTC") -> dt.date | None:
    """The date of :func:`newest_created` in ``tz``."""
    newest = newest_created(frame, tz, naive_tz)
    return None if newest is None else newest.date()


def has_open_info(frame: Any) -> bool:
    """Whether any row of the table has a known ``opened`` (an export without open tracking has none)."""
    f = nw.from_native(frame).select(nw.col("opened").count())
    if isinstance(f, nw.LazyFrame):
        f = f.collect()
    return int(f.item()) > 0


def stats_dicts(stats: Any) -> list[dict[str, Any]]:
    """Rows of a statistics frame as plain dicts (nulls as None), e.g. for JSON: one Arrow conversion, no
    per-value Python work."""
    f = nw.from_native(stats, eager_only=True)
    return f.to_arrow().select(f.columns).to_pylist()  # (select: a pandas index is not a column)


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
