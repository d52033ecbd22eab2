"""The Polars engine: a lazy Polars frame, read by Polars' own multi-threaded, streaming Parquet reader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.read import read_snapshot
from talentstats.dataset.snapshot import Snapshot
from talentstats.load.normalize import ARROW_SCHEMA
from talentstats.stats.engines.base import CreatedRange, Engine, is_local


class PolarsEngine(Engine):
    """Statistics computed by Polars in this process.

    Args:
        tz: the report time zone.

    Raises:
        UsageError: Polars is not installed (``pip install 'talentstats[polars]'``).
    """

    name = "polars"
    extra = "polars"

    def __init__(self, *, tz: str = "UTC") -> None:
        super().__init__(tz=tz)
        self.pl = self.require("polars")  # optional dependency: the polars extra

    def from_dataset(self, root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """The version's files of a local dataset scanned lazily by Polars (only the range's months and rows); a
        URL read through pyarrow.dataset (fsspec)."""
        pl = self.pl
        names = list(columns) if columns is not None else list(ARROW_SCHEMA.names)
        snapshot, files = self.dataset_files(root, created_range)
        if not is_local(snapshot.root) or not files:
            return pl.from_arrow(read_snapshot(snapshot, files, names, created_range)).lazy()
        frame = pl.scan_parquet([f.path for f in files], hive_partitioning=False)
        if created_range:
            lo, hi = created_range
            frame = frame.filter((pl.col("created_at") >= lo) & (pl.col("created_at") < hi))
        return frame.select(names)

    def _from_canonical(self, table: pa.Table) -> Any:
        return self.pl.from_arrow(table)
