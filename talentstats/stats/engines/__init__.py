"""Where the statistics are computed: pandas (the default), Polars, DuckDB, Dask or Spark - one implementation.

The metric code (:mod:`talentstats.stats.metrics`, narwhals) runs unchanged on every engine. An engine only hands it
a frame of its kind, read from a canonical dataset (``talentstats ingest``; a local folder or a URL) or loaded from
export files, and the small result is collected:

- ``polars``, ``duckdb``: in this process, each reading the dataset's Parquet itself (multi-threaded, only the
  months and columns needed; URLs through fsspec - for Polars via pyarrow.dataset).
- ``dask``: ``dask.dataframe.read_parquet`` (any fsspec URL) on an existing cluster (``dask_scheduler``
  = ``tcp://host:8786``) or the local threaded scheduler.
- ``spark``: ``spark.read.parquet`` on an existing cluster (``spark_master`` = ``spark://host:7077``, ``yarn``,
  ...) or ``local[*]``.

Every engine reads the active files of one version of the dataset (a Delta Lake table: the files its log lists,
each checked first; :meth:`Engine.dataset_files`), never a listing of the folder.

Engines are found by name in :data:`ENGINES` (name -> :class:`~talentstats.stats.engines.base.Engine` subclass);
each lives in a module of its own, and imports its optional package only when it is made
(``pip install 'talentstats[dask]'``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from talentstats.errors import UsageError
from talentstats.load.options import LoadOptions
from talentstats.stats.engines.base import METRIC_COLUMNS, Engine, LoadedFrame, collect
from talentstats.stats.engines.dask_engine import DaskEngine
from talentstats.stats.engines.duckdb_engine import DuckDBEngine
from talentstats.stats.engines.pandas_engine import PandasEngine
from talentstats.stats.engines.polars_engine import PolarsEngine
from talentstats.stats.engines.spark_engine import SparkEngine
from talentstats.stats.metrics import check_keys
from talentstats.stats.periods import check_range, range_instants, resolve_week
from talentstats.stats.result import StatsResult

__all__ = ["ENGINES", "METRIC_COLUMNS", "Engine", "LoadedFrame", "check_engine", "collect", "engine_stats",
           "get_engine", "quiet"]

#: the registry: engine name -> its class (pandas first: the default)
ENGINES: dict[str, type[Engine]] = {cls.name: cls for cls in (PandasEngine, PolarsEngine, DuckDBEngine,
                                                              DaskEngine, SparkEngine)}


def check_engine(name: str | None) -> str:
    """A known engine's name.

    Args:
        name: an engine name, in any case (None or blank: pandas).

    Returns:
        The name as :data:`ENGINES` spells it.

    Raises:
        UsageError: an unknown engine (naming the choices).
    """
    engine = (name or "pandas").strip().lower()
    if engine not in ENGINES:
        raise UsageError(f"choose {', '.join(ENGINES)}", parameter="engine", value=name)
    return engine


def get_engine(name: str | None, *, tz: str = "UTC", **settings: Any) -> Engine:
    """A ready engine (use it as a context manager: what it started is closed at the end).

    Args:
        name: the engine's name (see :data:`ENGINES`).
        tz: the report time zone.
        **settings: the engine's own settings: ``dask_scheduler``, ``dask_client`` (dask); ``spark_master``,
            ``spark_session`` (spark). Settings given as None are ignored.

    Returns:
        The engine.

    Raises:
        UsageError: an unknown engine or time zone, a setting of another engine, or the engine's package is not
            installed.
    """
    engine = ENGINES[check_engine(name)]
    given = {key: value for key, value in settings.items() if value is not None}
    for key in given:
        if key not in engine.settings:
            owners = [n for n, cls in ENGINES.items() if key in cls.settings]
            reason = f"goes with the {owners[0]} engine, not {engine.name}" if owners else "is not an engine setting"
            raise UsageError(reason, parameter=key, value=given[key])
    return engine(tz=tz, **given)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings engines print about themselves (narwhals' Dask deprecation notice, PySpark's pandas
    version check): a command's output stays the statistics.

    Yields:
        Nothing; the warnings are filtered inside the ``with`` block.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*narwhals-dask.*", category=FutureWarning)
        warnings.filterwarnings("ignore", module=r"pyspark(\..*)?$")
        warnings.filterwarnings("ignore", message=r".*(pandas|PyArrow).*(version|supported).*")
        yield


def engine_stats(engine: str, paths: str | Path | Sequence[str | Path], options: LoadOptions, *, tz: str,
                 keys: Sequence[str] | str | None, dates: tuple[dt.date, dt.date] | None, week: str | None,
                 dask_scheduler: str | None = None, spark_master: str | None = None) -> StatsResult:
    """The statistics of a date range computed by ``engine``: the same numbers as pandas gives.

    Args:
        engine: the engine's name (see :data:`ENGINES`).
        paths: export files or folders, or one dataset (read by the engine itself: with ``dates``, only the
            months and rows of the range).
        options: how to read them (rejects are written to ``options.rejects`` before ``options.strict`` fails).
        tz: the report time zone.
        keys: group keys.
        dates: the range of creation dates (inclusive), or None with ``week``.
        week: ``YYYY-Www``, ``last`` or ``latest`` (the newest complete week of the data), used without ``dates``.
        dask_scheduler: a running Dask scheduler (dask engine).
        spark_master: a Spark master (spark engine).

    Returns:
        :class:`~talentstats.stats.query.StatsResult`.

    Raises:
        UsageError: bad arguments (each names its parameter), or the engine's package is not installed.
        InputError: an export that cannot be read, or rejected rows with ``options.strict``.
    """
    keys = check_keys(keys)
    if dates is None and week is None:
        raise UsageError("give dates or week", parameter="dates")
    if dates is not None:
        check_range(*dates)
        options = options.but(created_range=range_instants(*dates, tz))  # (a dataset reads only those months)
    with quiet(), get_engine(engine, tz=tz, dask_scheduler=dask_scheduler, spark_master=spark_master) as runner:
        loaded = runner.load(paths, options)
        start, end = dates if dates is not None else resolve_week(week, runner.newest_date(loaded.frame), tz)
        rows, total = runner.stats(loaded.frame, start, end, keys, loaded.knows_opens)
        if loaded.dataset is not None:  # read by the engine itself: its rows are those of the range
            counted = options.created_range is not None
            rows_read = int(total["reach_outs"].iloc[0]) if counted else runner.count(loaded.frame)
            loaded.report.rows_read = loaded.report.rows_loaded = rows_read
    loaded.report.responded_at_from_updated_at = 0  # (not the five statistics': see compute_stats)
    return StatsResult(start, end, tz, keys, rows, total, loaded.report)
