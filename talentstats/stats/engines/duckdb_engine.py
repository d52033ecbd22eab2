"""The DuckDB engine: a lazy DuckDB relation on a connection of its own, set to the report time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.read import months_between
from talentstats.errors import UsageError
from talentstats.stats.engines.base import CreatedRange, Engine, is_local, local_path


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

    def from_dataset(self, root: str | Path, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """The dataset's Parquet read by DuckDB (only the range's months and rows); URLs through fsspec."""
        if is_local(root):
            text = str(local_path(root))
        else:
            text = str(root)
            try:
                import fsspec  # optional dependency: fsspec (and s3fs, gcsfs, ...) for URLs
            except ImportError:
                raise UsageError(f"reading {text} needs fsspec (pip install fsspec and its s3fs/gcsfs/...)")
            filesystem, _ = fsspec.core.url_to_fs(text)
            self.duck.register_filesystem(filesystem)
        where = []
        if created_range:
            where.append("month IN (" + ", ".join(f"'{m}'" for m in months_between(*created_range)) + ")")
            lo, hi = (t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00") for t in created_range)
            where.append(f"created_at >= TIMESTAMPTZ '{lo}' AND created_at < TIMESTAMPTZ '{hi}'")
        cols = ", ".join(f'"{c}"' for c in columns) if columns else "* EXCLUDE (month)"
        glob = text.rstrip("/") + "/month=*/*.parquet"
        source = ("read_parquet('" + glob.replace("'", "''") + "', hive_partitioning = true, "
                  "hive_types = {'month': VARCHAR})")
        return self.duck.sql(f"SELECT {cols} FROM {source}" + (" WHERE " + " AND ".join(where) if where else ""))

    def _from_canonical(self, table: pa.Table) -> Any:
        return self.duck.from_arrow(table)
