"""Comparing two periods of the cohort statistics honestly (issue 14): at the same age, with intervals, and a
verdict only where the change is significant. Written with narwhals; the results are small pandas frames.

The same-age rule: a period P is compared with an earlier period P′ that starts L earlier **as P′ stood at
as_of − L** (``as_of`` = the newest instant in the data unless given): its reach outs created by then, and the opens
and responses that had happened by then (``first_opened_at`` / ``responded_at`` ≤ as_of − L). P itself is taken
as it stands at ``as_of`` by the same rule. Where the data has no event times for a metric (no ``first_opened_at``
anywhere for opens, no ``responded_at`` anywhere for responses) that metric is compared naively (both periods as
they are now) and a caveat says so; In Progress needs a state history and is always naive. See docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np

from talentstats.errors import UsageError
from talentstats.stats.arrival import _eager_pandas, _instant, newest_instant, time_to_reply
from talentstats.stats.intervals import RATE_PARTS, newcombe, with_intervals
from talentstats.stats.metrics import (
    COUNTS,
    METRICS,
    check_keys,
    finish,
    flag_exprs,
    has_open_info,
    only_columns,
    responded_expr,
    stats_dicts,
    total_of,
)
from talentstats.stats.periods import FIRST_DATE, check_range, parse_date, previous_period, range_instants, zone

#: group keys of a comparison by group (columns of the table; time keys would differ between the periods)
COMPARE_KEYS: tuple[str, ...] = ("campaign", "sender")
#: the fields of one metric's change
CHANGE_FIELDS: tuple[str, ...] = ("current", "previous", "diff", "diff_low", "diff_high", "significant")
#: metric -> the event whose time decides whether it had happened by the cut (None: no event time)
EVENT_OF: dict[str, str | None] = {
    "reach_outs": None, "in_progress": None, "hard_bounced": None, "bounce_rate": None,
    "opens": "first_opened_at", "open_rate": "first_opened_at",
    "responses": "responded_at", "interested": "responded_at", "response_rate": "responded_at",
    "interested_rate": "responded_at", "interested_of_responses": "responded_at",
}
#: numbers that need a state history to be taken "as they stood": always compared naively
NEEDS_STATE_HISTORY: tuple[str, ...] = ("in_progress",)

Period = tuple[dt.date | str, dt.date | str]


def resolve_previous(current: Period, previous: Period | str | None = "previous") -> tuple[dt.date, dt.date]:
    """The period to compare with: ``"previous"`` (or None) = the same-length period just before ``current``;
    ``"START:END"`` or a (start, end) pair = that period, which must start before ``current`` does."""
    start, end = _dates(current, "current")
    if previous is None or (isinstance(previous, str) and previous.strip().lower() == "previous"):
        return previous_period(start, end)
    if isinstance(previous, str):
        parts = previous.split(":")
        if len(parts) != 2:
            raise UsageError("give 'previous' or START:END, e.g. 2026-11-09:2026-11-15", parameter="compare",
                             value=previous)
        previous = (parts[0], parts[1])
    p_start, p_end = _dates(previous, "compare")
    if p_start >= start:
        raise UsageError(f"the period compared with must start before {start}", parameter="compare",
                         value=f"{p_start}:{p_end}")
    return p_start, p_end


def _dates(period: Any, parameter: str) -> tuple[dt.date, dt.date]:
    try:
        start, end = period
    except (TypeError, ValueError):
        raise UsageError("a period is a (start, end) pair of dates", parameter=parameter, value=period)
    s, e = parse_date(start, parameter), parse_date(end, parameter)
    check_range(s, e)
    return s, e


def _timed(f: Any, column: str) -> bool:
    """Whether the table knows the time of this event for at least one reach out."""
    if column not in f.collect_schema().names():
        return False
    out = f.select(nw.col(column).count())
    return int((out.collect() if isinstance(out, nw.LazyFrame) else out).item()) > 0


def _counts_at(f: Any, lo: dt.datetime, hi: dt.datetime, cut: dt.datetime, keys: list[str],
               cut_events: dict[str, bool]) -> Any:
    """Additive counts (pandas; the columns metrics.finish reads) of the reach outs created in [lo, hi) and by
    ``cut``, with the opens / responses of a timed event counted only when it happened by ``cut`` (an event of
    unknown time is counted: it has happened; how many of those there are is counted beside)."""
    created = nw.col("created_at")
    names = f.collect_schema().names()
    # (only the columns read, before the filter: it copies every column it is given)
    f = only_columns(f, *keys, "created_at", "state", "response_via", "response_type", "opened", "responded_at",
                     "first_opened_at")
    rows = f.filter((created >= lo) & (created < hi) & (created <= cut))
    responded = responded_expr()
    extra: dict[str, nw.Expr] = {}
    if cut_events.get("responded_at"):
        late = (nw.col("responded_at") > cut).fill_null(False)
        extra["_responses_untimed"] = (responded & nw.col("responded_at").is_null()).cast(nw.Int8)
        responded = responded & ~late
    flags = flag_exprs(responded)
    if cut_events.get("first_opened_at"):
        opened = nw.col("opened").fill_null(False)
        flags["opens"] = (opened & ~(nw.col("first_opened_at") > cut).fill_null(False)).cast(nw.Int8)
        extra["_opens_untimed"] = (opened & nw.col("first_opened_at").is_null()).cast(nw.Int8)
    rows = rows.select(*[k for k in keys if k in names], reach_outs=nw.lit(1).cast(nw.Int8), **flags, **extra)
    sums = [nw.col(c).sum() for c in ["reach_outs", *flags, *extra]]
    out = rows.group_by(*keys).agg(*sums) if keys else rows.select(*sums)
    return _eager_pandas(out)


def _stats(counts: Any, keys: list[str], has_info: Any) -> Any:
    """Statistics (with intervals) from counts: one row per group, or the total."""
    stats = finish(counts, keys) if keys else total_of(counts, has_info)
    return with_intervals(stats)


def _num(frame: Any, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype="float64", na_value=np.nan)


def _changes(cur: Any, prev: dict[str, Any], basis: dict[str, str], keys: list[str]) -> Any:
    """The long frame of changes: keys, metric, current, previous, diff, diff_low, diff_high, significant, basis.

    ``prev`` holds the previous period's statistics by basis ("same age", "naive"), aligned with ``cur``'s rows.
    """
    import pandas as pd  # (a few rows per metric)

    parts = []
    for metric, how in basis.items():  # (a handful of metrics, each vectorised over the groups)
        p = prev[how]
        part = cur[keys].copy() if keys else pd.DataFrame(index=range(len(cur)))
        part["metric"] = metric
        part["current"], part["previous"] = _num(cur, metric), _num(p, metric)
        if metric in RATE_PARTS:
            num, den = RATE_PARTS[metric]
            d, low, high, sig = newcombe(_num(cur, num), _num(cur, den), _num(p, num), _num(p, den))
            defined = ~(np.isnan(low) | np.isnan(part["current"]) | np.isnan(part["previous"]))
            part["diff"] = np.where(defined, d, np.nan)
            part["diff_low"], part["diff_high"] = np.where(defined, low, np.nan), np.where(defined, high, np.nan)
            part["significant"] = pd.array(np.where(defined, sig, False), dtype="boolean")
            part.loc[~defined, "significant"] = pd.NA
        else:
            part["diff"] = part["current"] - part["previous"]
            part["diff_low"] = part["diff_high"] = np.nan
            part["significant"] = pd.array([pd.NA] * len(part), dtype="boolean")
        part["basis"] = how
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    floats = ["current", "previous", "diff", "diff_low", "diff_high"]
    return out.astype({c: "Float64" for c in floats}).replace({c: {np.nan: pd.NA} for c in floats})


def _align(frames: list[Any], keys: list[str]) -> list[Any]:
    """Group rows of several periods on the union of their groups (a group absent from one: zero reach outs)."""
    import pandas as pd  # (a few rows per group)

    both = pd.concat([f[keys] for f in frames]).drop_duplicates().sort_values(keys, kind="stable")
    out = []
    for frame in frames:  # (the three frames of a comparison)
        zero = {c: 0 for c in COUNTS if c in frame.columns}
        out.append(both.merge(frame, how="left", on=keys).fillna(zero).reset_index(drop=True))
    return out


def compare_periods(table: Any, current: Period, previous: Period | str | None = "previous", tz: str = "UTC",
                    same_age: bool = True, as_of: dt.datetime | None = None,
                    by: Sequence[str] | str | None = None) -> dict[str, Any]:
    """Compare the cohort statistics of ``current`` with those of ``previous`` (see the module docstring).

    Returns ``{"start", "end"`` (the previous period), ``"current_start", "current_end", "as_of", "cut"``
    (as_of − L: the instant the previous period is taken at), ``"same_age", "total"`` (the previous period's
    statistics as compared, with intervals), ``"changes": {metric: {current, previous, diff, diff_low,
    diff_high, significant}}, "basis": {metric: "same age" | "naive"}, "caveats": [...], "groups"}``.
    Counts get a difference and ``significant`` None; rates the difference in proportion with Newcombe's
    interval and significant = the interval excludes 0 (None where a rate is undefined). ``groups`` is None, or
    with ``by`` (campaign and/or sender) the long pandas frame of changes per group (keys, metric, the six
    fields, basis).
    """
    keys = check_keys(by)
    if [k for k in keys if k not in COMPARE_KEYS]:
        raise UsageError(f"a comparison is grouped by {' or '.join(COMPARE_KEYS)} only", parameter="by",
                         value=",".join(keys))
    zone(tz, "tz")
    start, end = _dates(current, "current")
    p_start, p_end = resolve_previous((start, end), previous)
    lo, hi = range_instants(start, end, tz)
    p_lo, p_hi = range_instants(p_start, p_end, tz)
    f = nw.from_native(table)
    as_of = (newest_instant(table) or hi) if as_of is None else _instant(as_of)
    lag = lo - p_lo
    cut = as_of - lag if same_age else as_of
    timed = {e: _timed(f, e) for e in ("first_opened_at", "responded_at")}
    basis = {m: _basis(m, same_age, timed) for m in METRICS}
    def info() -> bool:
        return has_open_info(table)

    cur_c = _counts_at(f, lo, hi, as_of, keys, timed)
    same_c = _counts_at(f, p_lo, p_hi, cut, keys, timed)
    naive_c = _counts_at(f, p_lo, p_hi, as_of, keys, timed)
    cur, same, naive = (_stats(c, keys, info) for c in (cur_c, same_c, naive_c))
    if keys:
        cur, same, naive = _align([cur, same, naive], keys)
    changes = _changes(cur, {"same age": same, "naive": naive}, basis, keys)
    total = _previous_total(same, naive, basis) if not keys else None
    out: dict[str, Any] = {
        "start": p_start.isoformat(), "end": p_end.isoformat(),
        "current_start": start.isoformat(), "current_end": end.isoformat(),
        "as_of": as_of, "cut": cut, "same_age": same_age, "total": total,
        "changes": None if keys else _change_dicts(changes),
        "basis": basis, "caveats": _caveats(basis, same_age, timed, cut, same_c), "groups": changes if keys else None,
    }
    return out


def _basis(metric: str, same_age: bool, timed: dict[str, bool]) -> str:
    event = EVENT_OF.get(metric)
    if not same_age or metric in NEEDS_STATE_HISTORY or (event is not None and not timed[event]):
        return "naive"
    return "same age"


def _previous_total(same: Any, naive: Any, basis: dict[str, str]) -> dict[str, Any]:
    """The previous period's total as compared: each metric (and its interval) from its basis."""
    rows = {"same age": stats_dicts(same)[0], "naive": stats_dicts(naive)[0]}
    out: dict[str, Any] = {}
    for metric, how in basis.items():
        for column in (metric, f"{metric}_low", f"{metric}_high"):
            if column in rows[how]:
                out[column] = rows[how][column]
    return out


def _change_dicts(changes: Any) -> dict[str, dict[str, Any]]:
    """The total's changes as {metric: {field: value}}: counts as integers, nulls as None."""
    out = {}
    for row in stats_dicts(changes[["metric", *CHANGE_FIELDS]]):
        metric = row.pop("metric")
        if metric not in RATE_PARTS:
            row = {k: (int(v) if k in ("current", "previous", "diff") and v is not None else v)
                   for k, v in row.items()}
        out[metric] = row
    return out


def _caveats(basis: dict[str, str], same_age: bool, timed: dict[str, bool], cut: dt.datetime,
             same_counts: Any) -> list[str]:
    """What the reader must know about how each number was compared."""
    when = cut.isoformat(timespec="minutes")
    if not same_age:
        return ["Compared naively: both periods as they are now, whatever their age."]
    notes = ["In Progress needs a state history: compared naively (the previous period as it is now)."]
    if not timed["first_opened_at"]:
        notes.append("No open times (first_opened_at) in the data: opens and the open rate are compared naively.")
    if not timed["responded_at"]:
        notes.append("No response times (responded_at) in the data: responses, interested and their rates are "
                     "compared naively.")
    if "hard_bounced" in basis:
        notes.append(f"Hard bounces have no time: the previous period's are those of its reach outs created by "
                     f"{when}, as they are now.")
    for column, what in (("_responses_untimed", "responses"), ("_opens_untimed", "opens")):
        n = int(same_counts[column].sum()) if column in same_counts.columns else 0
        if n:
            notes.append(f"{n} {what} of the previous period have no time and are counted as if they had "
                         f"happened by {when}.")
    return notes


def maturity(table: Any, period: Period, tz: str = "UTC", as_of: dt.datetime | None = None) -> dict[str, Any]:
    """How mature a period is at ``as_of`` (default: the newest instant in the data): its reach outs (created by
    then), their median age in days, and the share of them older than the p90 time to reply.

    The p90 (hours from first send to reply, :func:`talentstats.stats.arrival.time_to_reply`) is that of the
    reach outs created before the period (mature ones; the period's own early replies would shorten it), or of
    all the data up to ``as_of`` when those have no timed reply; None (and a null share) without any (also
    when the table has no ``responded_at`` column at all).
    """
    import pandas as pd  # (the creation times of one period)

    zone(tz, "tz")
    start, end = _dates(period, "period")
    lo, hi = range_instants(start, end, tz)
    as_of = (newest_instant(table) or hi) if as_of is None else _instant(as_of)
    f = nw.from_native(table)
    created = nw.col("created_at")
    rows = _eager_pandas(f.select("created_at").filter((created >= lo) & (created < hi) & (created <= as_of)))
    age_days = (pd.Timestamp(as_of) - rows["created_at"]) / pd.Timedelta(days=1)
    p90 = _p90_hours(table, start, as_of, tz)
    share = None if p90 is None or len(rows) == 0 else float((age_days * 24 > p90).mean())
    return {"start": start.isoformat(), "end": end.isoformat(), "as_of": as_of, "reach_outs": len(rows),
            "median_age_days": float(age_days.median()) if len(rows) else None,
            "p90_hours": p90, "share_older_than_p90": share}


def _p90_hours(table: Any, start: dt.date, as_of: dt.datetime, tz: str) -> float | None:
    if "responded_at" not in nw.from_native(table).collect_schema().names():
        return None
    last = as_of.astimezone(zone(tz)).date()
    ranges = [(FIRST_DATE, start - dt.timedelta(days=1))] if start > FIRST_DATE else []
    ranges.append((FIRST_DATE, last))
    for first, through in ranges:  # (at most two ranges: before the period, then everything)
        if through < first:
            continue
        ttr = _eager_pandas(nw.from_native(time_to_reply(table, first, through, tz)))
        if int(ttr["ttr_n"].iloc[0]) > 0:
            return float(ttr["ttr_p90_h"].iloc[0])
    return None
