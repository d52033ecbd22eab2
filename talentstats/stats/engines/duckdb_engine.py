"""The DuckDB engine: a lazy DuckDB relation on a connection of its own, set to the report time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.snapshot import Snapshot
from talentstats.errors import UsageError
from talentstats.load.normalize import ARROW_SCHEMA
from talentstats.stats.engines.base import CreatedRange, Engine, is_local


class DuckDBEngine(Engine):
    """Statistics computed by DuckDB in this process.

    DuckDB keeps the time zone in the connection rather than in the data: the connection is set to the report
    time zone before anything is computed (narwhals then converts "to" it as a no-op).

    Args:
        tz: the report time zone.

    Raises:
        UsageError: DuckDB is not installed (``pip install 'talentstats[duckdb]'``).
    """

    name = "duckdb"
    extra = "duckdb"

    def __init__(self, *, tz: str = "UTC") -> None:
        super().__init__(tz=tz)
        duckdb = self.require("duckdb")  # optional dependency: the duckdb extra
        self.duck = duckdb.connect()
        self.duck.execute("SET TimeZone = ?", [tz])  # narwhals converts to the connection's zone only
        self._own.append(self.duck)

    def from_dataset(self, root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """The version's Parquet files read by DuckDB (only the range's months and rows); URLs through
        fsspec."""
        snapshot, files = self.dataset_files(root, created_range)
        if not is_local(snapshot.root):
            try:
                import fsspec  # optional dependency: fsspec (and s3fs, gcsfs, ...) for URLs
            except ImportError:
                raise UsageError(f"reading {snapshot.root} needs fsspec (pip install fsspec and its s3fs/gcsfs/...)")
            filesystem, _ = fsspec.core.url_to_fs(snapshot.root)
            self.duck.register_filesystem(filesystem)
        names = list(columns) if columns else list(ARROW_SCHEMA.names)
        if not files:  # (DuckDB reads no empty list of files)
            return self.duck.from_arrow(ARROW_SCHEMA.empty_table().select(names))
        where = []
        if created_range:
            lo, hi = (t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00") for t in created_range)
            where.append(f"created_at >= TIMESTAMPTZ '{lo}' AND created_at < TIMESTAMPTZ '{hi}'")
        cols = ", ".join(f'"{c}"' for c in names)
        listed = ", ".join("'" + f.path.replace("'", "''") + "'" for f in files)
        source = f"read_parquet([{listed}], hive_partitioning = false)"
        return self.duck.sql(f"SELECT {cols} FROM {source}" + (" WHERE " + " AND ".join(where) if where else ""))

    def _from_canonical(self, table: pa.Table) -> Any:
        return self.duck.from_arrow(table)
