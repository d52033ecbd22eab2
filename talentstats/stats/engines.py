"""Where the statistics are computed: pandas (the default), Polars, DuckDB, Dask or Spark - one implementation.

The metric code (:mod:`talentstats.stats.metrics`, narwhals) runs unchanged on every engine. This module only hands it a
frame of the engine's kind, read from a canonical dataset (``talentstats ingest``; a local folder or a URL) or
loaded from export files, and collects the small result:

- ``polars``, ``duckdb``: in this process, each reading the dataset's Parquet itself (multi-threaded, only the
  months and columns needed; URLs through fsspec - for Polars via pyarrow.dataset).
- ``dask``: ``dask.dataframe.read_parquet`` (any fsspec URL) on an existing cluster (``dask_scheduler``
  = ``tcp://host:8786``) or the local threaded scheduler.
- ``spark``: ``spark.read.parquet`` on an existing cluster (``spark_master`` = ``spark://host:7077``, ``yarn``,
  ...) or ``local[*]``; Spark reads through its own (Hadoop) filesystems: file://, hdfs://, s3a://, gs://.

DuckDB and Spark keep the time zone in the connection / session rather than in the data, so the session time zone
is set to the report time zone before anything is computed (narwhals then converts "to" it as a no-op).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import narwhals as nw

from talentstats.dataset.read import has_open_info as dataset_has_open_info
from talentstats.dataset.read import is_dataset, location, months_between, read_dataset
from talentstats.errors import UsageError
from talentstats.load.accounting import LoadReport, raise_if_rejected
from talentstats.load.loader import load_arrow
from talentstats.load.normalize import to_canonical, to_pandas
from talentstats.present.output import write_rejects
from talentstats.stats.metrics import check_keys, finish, has_open_info, stat_counts, total_of
from talentstats.stats.periods import resolve_week, zone

ENGINES: tuple[str, ...] = ("pandas", "polars", "duckdb", "dask", "spark")
#: the pip extra that brings each engine
EXTRAS = {"polars": "polars", "duckdb": "duckdb", "dask": "dask", "spark": "spark"}
#: the columns the statistics read (besides what is only needed to merge duplicates)
METRIC_COLUMNS = ("campaign", "sender", "state", "created_at", "response_via", "response_type", "opened")


def check_engine(name: str) -> str:
    """A known engine name (lower case), or a UsageError naming the choices."""
    engine = (name or "pandas").strip().lower()
    if engine not in ENGINES:
        raise UsageError(f"--engine {name!r}: choose {', '.join(ENGINES)}")
    return engine


def _require(engine: str, module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"--engine {engine} needs {module.split('.')[0]}: pip install 'talentstats[{EXTRAS[engine]}]'")


def _local(path: str | Path) -> bool:
    text = str(path)
    return "://" not in text or text.startswith("file://")


class Session:
    """An engine ready to compute statistics in the report time zone ``tz``.

    Use as a context manager: connections, clients and sessions this object started are closed at the end
    (an existing Spark session or Dask client passed in, or found active, is left running).
    """

    def __init__(self, engine: str = "pandas", tz: str = "UTC", dask_scheduler: str | None = None,
                 spark_master: str | None = None, spark: Any = None, dask_client: Any = None) -> None:

        self.engine = check_engine(engine)
        self.tz = tz
        zone(tz)
        self._own: list[Any] = []
        self.has_info: Any = None  # set by load(): whether the data loaded has open information
        self.duck = self.spark = self.client = None
        if self.engine == "polars":
            _require("polars", "polars")
        elif self.engine == "duckdb":
            duckdb = _require("duckdb", "duckdb")
            self.duck = duckdb.connect()
            self.duck.execute("SET TimeZone = ?", [tz])  # narwhals converts to the connection's zone only
            self._own.append(self.duck)
        elif self.engine == "dask":
            _require("dask", "dask.dataframe")
            self.client = dask_client
            if self.client is None and dask_scheduler:
                distributed = _require("dask", "distributed")
                self.client = distributed.Client(dask_scheduler)
                self._own.append(self.client)
        elif self.engine == "spark":
            # a session of our own on the cluster's context: its SQL settings (the time zone, as for DuckDB) are
            # its own, and narwhals, which caches a session's time zone, sees a new session
            self.spark = (spark or self._spark_session(spark_master)).newSession()
            self.spark.conf.set("spark.sql.session.timeZone", tz)
            self.spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")

    def _spark_session(self, master: str | None) -> Any:
        sql = _require("spark", "pyspark.sql")
        active = sql.SparkSession.getActiveSession()
        if active is not None and master is None:
            return active
        builder = sql.SparkSession.builder.appName("talentstats").master(master or "local[*]")
        builder = builder.config("spark.ui.showConsoleProgress", "false").config("spark.ui.enabled", "false")
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        if active is None:
            self._own.append(session)
        return session

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for thing in reversed(self._own):
            try:
                thing.stop() if hasattr(thing, "stop") else thing.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self._own.clear()

    # ------------------------------------------------------------------------------------------ frames

    def from_dataset(self, root: str | Path, columns: Sequence[str] | None = None,
                     created_range: tuple[dt.datetime, dt.datetime] | None = None) -> Any:
        """The dataset's canonical table as a frame of this engine (lazy where the engine is): only ``columns``
        and, with ``created_range``, only the months (partitions) of that range and the rows in it."""

        names = list(columns) if columns is not None else None
        months = months_between(*created_range) if created_range else None
        if self.engine == "polars" and _local(root):  # Polars' own (multi-threaded, streaming) Parquet reader
            return self._polars_dataset(root, names, created_range, months)
        if self.engine in ("pandas", "polars"):
            table = read_dataset(root, names, created_range)
            if self.engine == "polars":
                import polars as pl

                return pl.from_arrow(table)

            return to_pandas(table)
        if self.engine == "duckdb":
            return self._duckdb_dataset(root, names, created_range, months)
        if self.engine == "dask":
            import dask.dataframe as dd
            import pyarrow as pa

            filters = [("month", "in", months)] if months else None
            frame = dd.read_parquet(str(root), columns=names, filters=filters,
                                    dataset={"partitioning": {"flavor": "hive",
                                                              "schema": pa.schema([("month", pa.string())])}})
            return frame
        # spark
        from pyspark.sql import functions as F

        path = str(Path(str(root).removeprefix("file://")).resolve()) if _local(root) else str(root)
        frame = self.spark.read.parquet(path)
        if months:
            frame = frame.where(F.col("month").isin(months))
        if created_range:
            lo, hi = created_range
            frame = frame.where((F.col("created_at") >= F.lit(lo)) & (F.col("created_at") < F.lit(hi)))
        return frame.select(*(names or [c for c in frame.columns if c != "month"]))

    def _polars_dataset(self, root: str | Path, names: list[str] | None,
                        created_range: tuple[dt.datetime, dt.datetime] | None, months: list[str] | None) -> Any:
        import polars as pl

        folder = Path(str(root).removeprefix("file://")).resolve()
        frame = pl.scan_parquet(str(folder / "month=*" / "*.parquet"), hive_partitioning=True,
                                hive_schema={"month": pl.String})
        if months:
            frame = frame.filter(pl.col("month").is_in(months))
        if created_range:
            lo, hi = created_range
            frame = frame.filter((pl.col("created_at") >= lo) & (pl.col("created_at") < hi))
        return frame.select(names or pl.exclude("month"))

    def _duckdb_dataset(self, root: str | Path, names: list[str] | None,
                        created_range: tuple[dt.datetime, dt.datetime] | None, months: list[str] | None) -> Any:
        text = str(root)
        if _local(text):
            text = str(Path(text.removeprefix("file://")).resolve())
        else:
            try:
                import fsspec
            except ImportError:
                raise UsageError(f"reading {text} needs fsspec (pip install fsspec and its s3fs/gcsfs/...)")
            filesystem, _ = fsspec.core.url_to_fs(text)
            self.duck.register_filesystem(filesystem)
        glob = text.rstrip("/") + "/month=*/*.parquet"
        where = []
        if months:
            where.append("month IN (" + ", ".join(f"'{m}'" for m in months) + ")")
        if created_range:
            lo, hi = (t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00") for t in created_range)
            where.append(f"created_at >= TIMESTAMPTZ '{lo}' AND created_at < TIMESTAMPTZ '{hi}'")
        cols = ", ".join(f'"{c}"' for c in names) if names else "* EXCLUDE (month)"
        source = "read_parquet('" + glob.replace("'", "''") + "', hive_partitioning = true, " \
                 "hive_types = {'month': VARCHAR})"
        return self.duck.sql(f"SELECT {cols} FROM {source}" + (" WHERE " + " AND ".join(where) if where else ""))

    def from_arrow(self, table: Any) -> Any:
        """A canonical Arrow table (e.g. from the loader) as a frame of this engine."""

        table = to_canonical(table)
        if self.engine == "pandas":
            return to_pandas(table)
        if self.engine == "polars":
            import polars as pl

            return pl.from_arrow(table)
        if self.engine == "duckdb":
            return self.duck.from_arrow(table)
        if self.engine == "dask":
            import dask.dataframe as dd

            return dd.from_pandas(to_pandas(table), npartitions=max(1, min(8, table.num_rows // 250_000)))
        return self.spark.createDataFrame(to_pandas(table))

    def load(self, paths: Sequence[str | Path], messages: Sequence[str | Path] | None = None,
             mapping: Mapping[str, str] | None = None, source_tz: str = "UTC", sheet: str | int | None = None,
             dayfirst: bool = False, created_range: tuple[dt.datetime, dt.datetime] | None = None,
             columns: Sequence[str] | None = METRIC_COLUMNS) -> tuple[Any, Any]:
        """(engine frame, LoadReport): a single dataset folder is read by the engine itself; anything else
        (export files, several sources) goes through the loader first."""

        self.has_info = None
        if len(paths) == 1 and is_dataset(paths[0]) and not messages:
            root = location(paths[0])
            frame = self.from_dataset(root, columns, created_range)
            report = LoadReport(files=[root], opens_source="dataset")
            self.has_info = lambda: dataset_has_open_info(root)
            report.rows_read = report.rows_loaded = -1  # counted by stats() (one pass less)
            return frame, report
        loaded = load_arrow(list(paths), messages=list(messages) if messages else None, mapping=mapping,
                            source_tz=source_tz, sheet=sheet, dayfirst=dayfirst, metrics_only=True,
                            created_range=created_range)
        known = loaded.report.opens_source is not None
        self.has_info = lambda: known
        return self.from_arrow(loaded.table), loaded.report

    # ------------------------------------------------------------------------------------------ statistics

    def stats(self, frame: Any, start: dt.date | str, end: dt.date | str, by: Sequence[str] | str | None = None,
              has_info: Any = None) -> tuple[Any, Any]:
        """(statistics by ``by`` or None, the total) as pandas frames: the additive counts are computed by the
        engine (:func:`~talentstats.stats.metrics.stat_counts`, grouped), collected (a few rows) and finished here.

        ``has_info()`` tells whether the data has open information, when ``frame`` is only part of it (asked
        only if no reach out is in range); by default the frame is asked.
        """

        keys = check_keys(by)
        counts = collect(stat_counts(frame, start, end, self.tz, keys or ["state"]))
        return (finish(counts, keys) if keys else None), total_of(counts, has_info or (lambda: has_open_info(frame)))

    def count(self, frame: Any) -> int:
        """Number of rows of an engine frame."""
        return int(collect(nw.from_native(frame).select(nw.len())).iloc[0, 0])

    def newest_date(self, frame: Any) -> dt.date | None:
        """The newest created_at date in the report time zone (None for an empty frame)."""
        import pandas as pd

        value = collect(nw.from_native(frame).select(nw.col("created_at").max())).iloc[0, 0]
        if value is None or pd.isna(value):
            return None
        stamp = pd.Timestamp(value)
        # engines that keep the zone in the session (Spark) hand back wall times in it
        return (stamp.tz_convert(self.tz) if stamp.tzinfo else stamp).date()


def collect(native: Any) -> Any:
    """Any narwhals-supported frame (lazy or not) as a pandas DataFrame."""
    f = nw.from_native(native)
    if isinstance(f, nw.LazyFrame):
        f = f.collect(backend="pandas")
    out = f.to_native()
    if not _is_pandas(out):
        out = nw.from_native(out, eager_only=True).to_pandas()
    return out


def _is_pandas(obj: Any) -> bool:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, pd.DataFrame)


def quiet() -> Any:
    """Warnings engines print about themselves (narwhals' Dask deprecation notice, PySpark's pandas version
    check), silenced: the command's output stays the statistics."""
    import contextlib
    import warnings

    @contextlib.contextmanager
    def ctx() -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*narwhals-dask.*", category=FutureWarning)
            warnings.filterwarnings("ignore", module=r"pyspark(\..*)?$")
            warnings.filterwarnings("ignore", message=r".*(pandas|PyArrow).*(version|supported).*")
            yield

    return ctx()


def engine_stats(engine: str, files: Sequence[str | Path], tz: str, keys: list[str],
                 dates: tuple[dt.date, dt.date] | None, week: str | None,
                 span: tuple[dt.datetime, dt.datetime] | None, *, messages: Sequence[str | Path] | None = None,
                 source_tz: str = "UTC", mapping: Mapping[str, str] | None = None, sheet: str | int | None = None,
                 dayfirst: bool = False, strict: bool = False, rejects: Path | None = None,
                 dask_scheduler: str | None = None, spark_master: str | None = None) -> tuple[Any, ...]:
    """What ``talentstats stats --engine ...`` prints: (start, end, tz, keys, rows, total, load report).

    ``dates`` are the range (None with ``week``, resolved against the newest reach out); ``span`` its UTC
    instants, used to read only the partitions and rows of the range from a dataset.
    """

    with quiet(), Session(engine, tz, dask_scheduler, spark_master) as session:
        frame, report = session.load(list(files), messages, mapping, source_tz, sheet, dayfirst, span)
        if rejects is not None:

            write_rejects(report.rejects, rejects)
        if strict:
            raise_if_rejected(report)
        s, e = dates if dates is not None else resolve_week(week, session.newest_date(frame), tz)
        rows, total = session.stats(frame, s, e, keys, session.has_info)
        if report.rows_read < 0:  # a dataset read by the engine itself: its rows are those of the range
            n = int(total["reach_outs"].iloc[0]) if span is not None else session.count(frame)
            report.rows_read = report.rows_loaded = n
    return s, e, tz, keys, rows, total, report
