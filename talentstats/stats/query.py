"""One call for the five statistics of a date range: exports (or a dataset) in, a :class:`StatsResult` out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from talentstats.errors import UsageError
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.stats.metrics import check_keys, newest_date, stats_with_total
from talentstats.stats.periods import check_range, parse_date, range_instants, resolve_week, zone
from talentstats.stats.result import StatsResult


def compute_stats(paths: str | Path | Sequence[str | Path], *, options: LoadOptions | None = None,
                  start: str | dt.date | None = None, end: str | dt.date | None = None, week: str | None = None,
                  tz: str = "UTC", by: Sequence[str] | str | None = None, engine: str = "pandas",
                  dask_scheduler: str | None = None, spark_master: str | None = None,
                  compare: str | None = None, same_age: bool = False, as_of: str | dt.datetime | None = None,
                  ) -> StatsResult:
    """The five statistics and their rates for reach outs created in a date range, per group and in total.

    Args:
        paths: export files or folders, or a dataset folder (``talentstats ingest``).
        options: how to read the exports (:class:`LoadOptions`).
        start, end: the range of creation dates (inclusive), or instead
        week: ``YYYY-Www``, ``last`` (last complete week before today in ``tz``) or ``latest`` (the newest
            complete week of the data).
        tz: the report time zone (IANA name).
        by: group keys (see :data:`talentstats.stats.metrics.GROUP_KEYS`).
        engine: where the statistics are computed (pandas, polars, duckdb, dask, spark); numbers are the same.
        dask_scheduler, spark_master: a cluster for the dask or spark engine.
        compare: ``previous`` (the same-length period just before) or ``START:END``: adds the comparison with
            it (differences; rates with Newcombe's interval and whether the change is significant).
        same_age: compare the earlier period as it stood when it was as old as this one is (see
            docs/metrics.md); event times unknown -> the naive comparison, with a caveat.
        as_of: the instant the data is taken at for ``same_age`` (default the newest instant in the data).

    Returns:
        :class:`StatsResult`.

    Raises:
        UsageError: bad arguments (each names its parameter).
        InputError: an export that cannot be read.
    """
    options = options or LoadOptions()
    keys = check_keys(by)
    if week is None and (start is None or end is None):
        raise UsageError("give start and end (YYYY-MM-DD), or week", parameter="start")
    if week is not None and (start is not None or end is not None):
        raise UsageError("give either week or start/end, not both", parameter="week", value=week)
    zone(tz, parameter="tz")
    dates = None
    if week is None:
        dates = parse_date(start, "start"), parse_date(end, "end")
        check_range(*dates)
        options = options.but(created_range=range_instants(*dates, tz))
    if compare is not None and (engine != "pandas" or dask_scheduler or spark_master):
        raise UsageError("a comparison is computed with pandas", parameter="engine", value=engine)
    if compare is None and (same_age or as_of is not None):
        raise UsageError("goes with a comparison (compare)", parameter="same_age" if same_age else "as_of",
                         value=None if same_age else as_of)
    if compare is not None and dates is not None:
        options = options.but(created_range=None)  # (the earlier period and later events are needed too)
    if engine != "pandas" or dask_scheduler or spark_master:
        from talentstats.stats.engines import engine_stats  # optional engines: imported only when asked for

        if (dask_scheduler and engine != "dask") or (spark_master and engine != "spark"):
            raise UsageError("a Dask scheduler goes with the dask engine, a Spark master with the spark engine",
                             parameter="engine", value=engine)
        return engine_stats(engine, paths, options, tz=tz, keys=keys, dates=dates, week=week,
                            dask_scheduler=dask_scheduler, spark_master=spark_master)
    loaded = load(paths, options.but(metrics_only=options.rejects is None))
    s, e = dates if dates is not None else resolve_week(week, newest_date(loaded.table, tz), tz)
    rows, total = stats_with_total(loaded.table, s, e, tz, keys, opens_known=loaded.report.opens_source is not None)
    # the five statistics read no response time: the count of approximate ones is not theirs to report (and an
    # engine reading a dataset itself never makes it), so every engine gives the same document
    loaded.report.responded_at_from_updated_at = 0
    compared = None
    if compare is not None:
        from talentstats.stats.compare import compare_periods

        compared = compare_periods(loaded.table, (s, e), compare, tz, same_age=same_age,
                                   as_of=parse_instant(as_of, "as_of") if isinstance(as_of, str) else as_of)
    return StatsResult(s, e, tz, keys, rows, total, loaded.report, compared)


def parse_instant(text: str, parameter: str) -> dt.datetime:
    """An ISO instant (``2026-11-22T18:00:00Z``; a date alone is its midnight, UTC when no offset is given)."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError("not an ISO date-time (e.g. 2026-11-22T18:00:00Z)", parameter=parameter, value=text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
