"""Projected final response (or open) rates for the weeks still filling in (issue 14), from the development
triangle of weekly cohorts (:func:`talentstats.stats.arrival.triangle`), with an interval, labelled "projected".

Why snapshots and not one triangle: a triangle's last age column of a young week is only part of an age (a
reach out created on Sunday has had fewer days than one created on Monday), so its ratio to an older week's
complete column is not a development factor. Taking every week as it stood at ``as_of``, ``as_of`` − 7 days, …
(:func:`snapshots`, one triangle each) gives cells that are comparable: at a snapshot every week is a whole
number of weeks older than at the next, with the same fraction of a week beyond, so "lag m" means the same age
for all weeks. The chain ladder runs on those (:func:`project`). See docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import narwhals as nw
import numpy as np

from talentstats.errors import UsageError
from talentstats.stats.arrival import TRIANGLE_METRICS, _eager_pandas, _instant, _triangle_weeks, newest_instant
from talentstats.stats.metrics import RESPONDED_COLUMNS, only_columns, responded_expr
from talentstats.stats.periods import range_instants, zone
from talentstats.stats.timekeys import day_number, local_date_key, monday_number

SNAPSHOT_COLUMNS: tuple[str, ...] = ("created_week", "lag_weeks", "count", "reach_outs")
PROJECTION_COLUMNS: tuple[str, ...] = ("created_week", "lag_weeks", "reach_outs", "count", "rate",
                                       "projected_rate", "projected_low", "projected_high", "label")
METHODS: tuple[str, ...] = ("cape_cod", "chain_ladder")


def snapshots(reach_outs: Any, end: dt.date | str, weeks: int, tz: str = "UTC", metric: str = "responses",
              as_of: dt.datetime | None = None) -> Any:
    """Each of the ``weeks`` creation weeks ending with the week of ``end`` as it stood at as_of − 7·j days,
    j = 0 … weeks − 1 (pandas): ``count`` = its events known then (all ages summed), ``reach_outs`` = its reach
    outs created by then, ``lag_weeks`` = whole weeks from its Monday 00:00 (in ``tz``) to the snapshot.

    The numbers of one :func:`~talentstats.stats.arrival.triangle` per snapshot, summed over ages (the same
    definitions: responses with a known ``responded_at``, opens with a known ``first_opened_at``), counted in
    one pass over the table: per local creation date, the reach outs created by each snapshot and the events
    known by it (an event is never before its creation, so every event known at a snapshot lies in an age its
    triangle emits). A week appears at the snapshots at or after its Monday 00:00. ``as_of`` defaults to the
    newest instant.
    """
    import pandas as pd  # (a few rows per week)

    as_of = newest_instant(reach_outs) if as_of is None else _instant(as_of)
    if as_of is None or int(weeks) < 1:
        return pd.DataFrame({c: pd.array([], dtype="str" if c == "created_week" else "Int64")
                             for c in SNAPSHOT_COLUMNS})
    if metric not in TRIANGLE_METRICS:  # (the checks of triangle, in its order)
        raise UsageError(f"choose {', '.join(TRIANGLE_METRICS)}", parameter="metric", value=metric)
    zone(tz, "tz")
    first, last = _triangle_weeks(end, weeks)
    cuts = [_instant(as_of - dt.timedelta(days=7 * j)) for j in range(int(weeks))]
    known, reach = _known_by(reach_outs, TRIANGLE_METRICS[metric], first, last, cuts, tz)
    epoch = dt.date(1970, 1, 1)
    mondays = (first - epoch).days + 7 * np.arange(weeks, dtype="int64")
    local = pd.DatetimeIndex(pd.to_datetime(mondays, unit="D"))
    # the instant each week starts: Monday 00:00 in tz (as triangle: a missing midnight is the next instant)
    starts = local.tz_localize(zone(tz), ambiguous=np.ones(weeks, dtype=bool),
                               nonexistent="shift_forward").tz_convert("UTC")
    iso = pd.to_datetime(pd.Series(mondays), unit="D").dt.isocalendar()
    labels = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    parts = []
    for j, cut in enumerate(cuts):  # (a few weeks of snapshots: small arrays)
        ages = np.asarray((pd.Timestamp(cut) - starts) // pd.Timedelta(days=7), dtype="int64")
        seen = ages >= 0
        parts.append(pd.DataFrame({"created_week": labels[seen].to_numpy(), "lag_weeks": ages[seen],
                                   "count": known[seen, j], "reach_outs": reach[seen, j]}))
    out = pd.concat(parts, ignore_index=True).astype({"created_week": labels.dtype,
                                                      **{c: "Int64" for c in SNAPSHOT_COLUMNS[1:]}})
    return out.sort_values(["created_week", "lag_weeks"], kind="stable").reset_index(drop=True)


def _known_by(reach_outs: Any, event: str, first: dt.date, last: dt.date, cuts: list[Any],
              tz: str) -> tuple[np.ndarray, np.ndarray]:
    """In the engine, one pass: per creation week (first .. last Monday) and snapshot (``cuts``), the events
    known and the reach outs created by it, as (weeks × snapshots) int arrays; the conditions of the triangle
    (:func:`~talentstats.stats.arrival.triangle`) with ``as_of`` = each cut."""
    frame = nw.from_native(reach_outs)
    if isinstance(frame, nw.DataFrame) and frame.implementation.is_pandas():
        return _known_by_pandas(frame, event, first, last, cuts, tz)
    created, at = nw.col("created_at"), nw.col(event)
    counted = ~at.is_null() & (at >= created)
    if event == "responded_at":
        counted = counted & responded_expr()
    lo, hi = range_instants(first, last + dt.timedelta(days=6), tz)
    f = only_columns(nw.from_native(reach_outs), "created_at", event, *RESPONDED_COLUMNS)  # (before the filter)
    f = f.filter((created >= lo) & (created < hi) & (created <= cuts[0]))
    f = f.with_columns(_date=local_date_key(tz), _counted=counted)
    # (0/1 integers summed: the flags of stats.metrics; Int8, a small fraction of the memory traffic)
    flags = {**{f"_n{j}": (created <= c).cast(nw.Int8) for j, c in enumerate(cuts)},
             **{f"_e{j}": (nw.col("_counted") & (at <= c)).cast(nw.Int8) for j, c in enumerate(cuts)}}
    f = f.select("_date", **flags)
    cells = nw.from_native(_eager_pandas(f.group_by("_date").agg(nw.col(*flags).sum())), eager_only=True)
    cells = _eager_pandas(cells.with_columns(_week=monday_number(day_number(nw.col("_date")))))
    by_week = cells.drop(columns="_date").groupby("_week").sum()
    epoch = dt.date(1970, 1, 1)
    weeks = (first - epoch).days + 7 * np.arange((last - first).days // 7 + 1, dtype="int64")
    by_week = by_week.reindex(weeks, fill_value=0)
    known = by_week[[f"_e{j}" for j in range(len(cuts))]].fillna(0).to_numpy(dtype="int64")
    reach = by_week[[f"_n{j}" for j in range(len(cuts))]].fillna(0).to_numpy(dtype="int64")
    return known, reach


#: a week in microseconds: the snapshots are ``as_of`` − j weeks
_WEEK_US = 7 * 86_400 * 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(instant: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime (exact integer arithmetic)."""
    return (instant - _EPOCH) // dt.timedelta(microseconds=1)


def _known_by_pandas(frame: Any, event: str, first: dt.date, last: dt.date, cuts: list[Any],
                     tz: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_known_by` of an eager pandas table without a flag column per snapshot (22 of them over a long
    table took ~2 s at 10M rows): as the cuts are ``as_of`` − j weeks, a reach out is created by cut j exactly
    when j <= (as_of − created_at) // 1 week, and its event known by cut j when j <= (as_of − event) // 1 week,
    in integer microseconds; one count per (week, last cut) and a cumulative sum over the cuts. The times are
    read in place and only the rows of the weeks picked from them (no copy of the table's rows)."""
    import pandas as pd  # (a pandas table)

    lo, hi = range_instants(first, last + dt.timedelta(days=6), tz)
    table = frame.to_native()
    as_of = _micros(cuts[0])
    created = table["created_at"].dt.as_unit("us").array.asi8  # (NaT: the smallest int64, never in range)
    rows = np.flatnonzero((created >= _micros(lo)) & (created < _micros(hi)) & (created <= as_of))
    created = created[rows]
    at = table[event].dt.as_unit("us").array.asi8[rows]
    counted = (at >= created) & (at <= as_of)  # (a missing time is the smallest int64: never counted)
    if event == "responded_at":  # (the exact test, which trims text, on the rows with a response time only)
        timed = np.flatnonzero(counted)
        picked = table.iloc[rows[timed]][list(RESPONDED_COLUMNS)]
        counted[timed] = nw.from_native(picked, eager_only=True).select(responded_expr()).to_native() \
            .iloc[:, 0].to_numpy(dtype=bool, na_value=False)
    local = pd.DatetimeIndex(created.view("datetime64[us]"), tz="UTC").tz_convert(zone(tz)).tz_localize(None)
    days = local.asi8 // 86_400_000_000  # (microseconds of local wall time: their day number)
    epoch = dt.date(1970, 1, 1)
    week = (monday_number(days) - (first - epoch).days) // 7
    n_weeks, n_cuts = (last - first).days // 7 + 1, len(cuts)

    def by_cut(weeks: np.ndarray, last_cut: np.ndarray) -> np.ndarray:
        cells = np.bincount(weeks * n_cuts + np.minimum(last_cut, n_cuts - 1), minlength=n_weeks * n_cuts)
        return np.cumsum(cells.reshape(n_weeks, n_cuts)[:, ::-1], axis=1)[:, ::-1].astype("int64")

    reach = by_cut(week, (as_of - created) // _WEEK_US)
    known = by_cut(week[counted], (as_of - at[counted]) // _WEEK_US)
    return known, reach


def _grid(snaps: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """Weeks (sorted), counts and reach outs as (weeks × lags) float arrays (NaN: not observed), latest lags."""
    count = snaps.pivot_table(index="created_week", columns="lag_weeks", values="count", aggfunc="sum")
    reach = snaps.pivot_table(index="created_week", columns="lag_weeks", values="reach_outs", aggfunc="sum")
    lags = np.arange(int(snaps["lag_weeks"].max()) + 1)
    count, reach = count.reindex(columns=lags), reach.reindex(index=count.index, columns=lags)
    c = count.to_numpy(dtype="float64", na_value=np.nan)
    n = reach.to_numpy(dtype="float64", na_value=np.nan)
    latest = np.where(np.isnan(c), -1, lags[None, :]).max(axis=1)
    return count.index, c, n, latest


def _factors(weights: np.ndarray, rate: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Lag-to-lag development factors of the rate, volume weighted, for each row of ``weights`` (replicates ×
    weeks: how often each week is drawn): f_m = Σ w·n·r[m+1] / Σ w·n·r[m] over the weeks seen at both lags.
    1 where no week was seen at both (no information: no development assumed); inf where nothing had arrived
    at lag m yet but did later."""
    both = ~np.isnan(rate[:, 1:]) & ~np.isnan(rate[:, :-1])
    nxt = np.where(both, rate[:, 1:], 0.0) * size[:, None]
    cur = np.where(both, rate[:, :-1], 0.0) * size[:, None]
    num, den, seen = weights @ nxt, weights @ cur, weights @ both.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(num > 0, np.inf, 1.0))
    return np.where(seen > 0, f, 1.0)


def _to_ultimate(f: np.ndarray) -> np.ndarray:
    """Cumulative factors from each lag to the last one observed (replicates × lags); no tail beyond it."""
    rev = np.cumprod(f[:, ::-1], axis=1)[:, ::-1]
    return np.concatenate([rev, np.ones((f.shape[0], 1))], axis=1)


def _estimate(weights: np.ndarray, rate: np.ndarray, size: np.ndarray, now: np.ndarray, latest: np.ndarray,
              method: str) -> np.ndarray:
    """Projected final rates (replicates × weeks) of every week from the weeks drawn by ``weights``."""
    ult = _to_ultimate(_factors(weights, rate, size))[:, latest]  # (replicates × weeks)
    with np.errstate(divide="ignore", invalid="ignore"):
        arrived = np.where(np.isinf(ult), 0.0, 1.0 / ult)  # share of the final rate arrived by now
        if method == "chain_ladder":
            return np.where(np.isfinite(ult), now[None, :] * ult, np.nan)
        # Cape Cod: the rate so far plus the share still to come of the expected final rate of all weeks
        known = ~np.isnan(now)
        events = weights @ np.where(known, now * size, 0.0)
        exposure = (weights * np.where(known, size, 0.0)[None, :] * arrived).sum(axis=1)
        expected = np.where(exposure > 0, events / np.where(exposure > 0, exposure, 1.0), np.nan)
        return now[None, :] + (1.0 - arrived) * expected[:, None]


def project(snaps: Any, level: float = 0.95, n_boot: int = 2000, seed: int | None = 0,
            method: str = "cape_cod") -> Any:
    """Projected final rate of each week of a :func:`snapshots` frame, with a ``level`` interval (pandas, one
    row per week, :data:`PROJECTION_COLUMNS`).

    Development factors: the chain ladder on the rates (f_m = Σ n·r[m+1] / Σ n·r[m] over the weeks seen at lags
    m and m + 1, n = the week's reach outs now; no tail beyond the oldest lag). ``method``:

    - ``"cape_cod"`` (default): rate now + (1 − 1/F) × the expected final rate of all weeks (Σ n·r / Σ n/F),
      F = the factor from the week's lag to the last. Robust for the youngest week, whose few events so far
      (often none) would make a plain chain ladder's r·F useless;
    - ``"chain_ladder"``: r·F.

    Interval: a bootstrap over the weeks (weeks drawn with replacement, factors and expected rate re-estimated,
    ``n_boot`` times) for the uncertainty of the factors, and for each draw the week's reach outs without an
    event so far each getting one later with the probability that draw implies (binomial), for the chance in its
    own remaining events; the interval is the (1 − level)/2 and (1 + level)/2 quantiles of the simulated final
    rates. It assumes the weeks share one expected final rate beyond binomial noise (Cape Cod): a week truly
    unlike the others is covered less often than ``level``. ``label``: "projected" for weeks younger than the
    oldest lag, "observed" for the oldest (no development is known beyond it; no interval).
    """
    import pandas as pd  # (one row per week)

    if method not in METHODS:
        raise UsageError(f"choose {', '.join(METHODS)}", parameter="method", value=method)
    if not 0 < level < 1:
        raise UsageError("must be between 0 and 1", parameter="level", value=level)
    if len(snaps) == 0:
        return pd.DataFrame({c: [] for c in PROJECTION_COLUMNS})
    weeks, c, n, latest = _grid(snaps)
    rows = np.arange(len(weeks))
    size = np.nan_to_num(n[rows, latest])
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, c / np.where(n > 0, n, 1.0), np.nan)
    now, count = rate[rows, latest], c[rows, latest]
    point = _estimate(np.ones((1, len(weeks))), rate, size, now, latest, method)[0]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(weeks), size=(int(n_boot), len(weeks)))
    flat = (np.arange(int(n_boot))[:, None] * len(weeks) + draws).ravel()  # how often each week is drawn
    weights = np.bincount(flat, minlength=int(n_boot) * len(weeks)).reshape(int(n_boot), len(weeks)).astype(float)
    boot = _estimate(weights, rate, size, now, latest, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        later = np.clip((boot - now) / (1.0 - now), 0.0, 1.0)
    waiting = np.clip(size - np.nan_to_num(count), 0, None).astype("int64")
    defined = np.isfinite(later) & (size > 0)
    arrivals = rng.binomial(np.broadcast_to(waiting, later.shape), np.where(defined, later, 0.0))
    final = np.where(defined, (np.nan_to_num(count) + arrivals) / np.where(size > 0, size, 1.0), np.nan)
    low, high = np.quantile(np.nan_to_num(final), [(1 - level) / 2, (1 + level) / 2], axis=0)
    oldest = latest == latest.max()
    missing = np.isnan(now) | oldest | ~np.isfinite(point) | ~defined.all(axis=0)
    out = pd.DataFrame({"created_week": np.asarray(weeks, dtype=object), "lag_weeks": latest, "reach_outs": size,
                        "count": np.nan_to_num(count), "rate": now,
                        "projected_rate": np.where(oldest, now, point),
                        "projected_low": np.where(missing, np.nan, low),
                        "projected_high": np.where(missing, np.nan, high),
                        "label": np.where(oldest, "observed", "projected")})
    out = out.astype({"lag_weeks": "Int64", "reach_outs": "Int64", "count": "Int64", "rate": "Float64",
                      "projected_rate": "Float64", "projected_low": "Float64", "projected_high": "Float64",
                      "created_week": "str", "label": "str"})
    floats = ["rate", "projected_rate", "projected_low", "projected_high"]
    for column in floats:  # (four columns) NaN as <NA>: unknown
        out.loc[out[column].isna(), column] = pd.NA
    return out[list(PROJECTION_COLUMNS)]
