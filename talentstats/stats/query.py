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
                  dask_scheduler: str | None = None, spark_master: str | None = None) -> StatsResult:
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
    return StatsResult(s, e, tz, keys, rows, total, loaded.report)
