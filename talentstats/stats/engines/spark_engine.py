"""The Spark engine: a Spark DataFrame on an existing cluster or ``local[*]``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.snapshot import Snapshot
from talentstats.load.normalize import ARROW_SCHEMA, to_pandas
from talentstats.stats.engines.base import CreatedRange, Engine

#: the canonical table's Spark schema (for a dataset without any file)
_DDL = ("reach_out_id STRING, campaign STRING, sender STRING, state TINYINT, created_at TIMESTAMP, "
        "updated_at TIMESTAMP, response_via STRING, response_type STRING, opened BOOLEAN, prospect_name STRING, "
        "prospect_email STRING")


class SparkEngine(Engine):
    """Statistics computed by Spark, in a session of its own.

    The session is a new one on the cluster's context: its SQL settings are its own, among them the time zone,
    set to the report time zone (Spark, like DuckDB, keeps it in the session; narwhals, which caches a session's
    time zone, sees a new session). Spark reads through its own (Hadoop) filesystems: file://, hdfs://, s3a://,
    gs://.

    Args:
        tz: the report time zone.
        spark_master: the master to start a session on (``spark://host:7077``, ``yarn``, ``local[4]``); by
            default the active session, else ``local[*]``.
        spark_session: a ``SparkSession`` to use (left running).

    Raises:
        UsageError: PySpark is not installed (``pip install 'talentstats[spark]'``).
    """

    name = "spark"
    extra = "spark"
    settings = ("spark_master", "spark_session")
    naive_in_session_zone = True

    def __init__(self, *, tz: str = "UTC", spark_master: str | None = None, spark_session: Any = None) -> None:
        super().__init__(tz=tz)
        self.sql = self.require("pyspark.sql")  # optional dependency: the spark extra
        self.spark = (spark_session or self._session(spark_master)).newSession()
        self.spark.conf.set("spark.sql.session.timeZone", tz)
        self.spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")

    def _session(self, master: str | None) -> Any:
        """The active session (without a master), else one started on ``master`` (stopped at the end if it is
        the only one)."""
        active = self.sql.SparkSession.getActiveSession()
        if active is not None and master is None:
            return active
        builder = self.sql.SparkSession.builder.appName("talentstats").master(master or "local[*]")
        builder = builder.config("spark.ui.showConsoleProgress", "false").config("spark.ui.enabled", "false")
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        if active is None:
            self._own.append(session)
        return session

    def from_dataset(self, root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """``spark.read.parquet`` of the version's files: only the range's months and rows."""
        F = self.require("pyspark.sql.functions")  # (pyspark's own spelling)
        snapshot, files = self.dataset_files(root, created_range)
        names = list(columns) if columns else list(ARROW_SCHEMA.names)
        files = files or list(snapshot.files[:1])  # (none in range: one file, filtered to no row, gives the schema)
        if not files:
            return self.spark.createDataFrame([], schema=_DDL).select(*names)
        frame = self.spark.read.parquet(*[f.path if "://" in f.path else "file://" + f.path for f in files])
        if created_range:
            lo, hi = created_range
            frame = frame.where((F.col("created_at") >= F.lit(lo)) & (F.col("created_at") < F.lit(hi)))
        return frame.select(*names)

    def _from_canonical(self, table: pa.Table) -> Any:
        return self.spark.createDataFrame(to_pandas(table))
