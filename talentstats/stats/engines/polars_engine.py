"""The Polars engine: a lazy Polars frame, read by Polars' own multi-threaded, streaming Parquet reader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.read import months_between, read_dataset
from talentstats.stats.engines.base import CreatedRange, Engine, is_local, local_path


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

    def from_dataset(self, root: str | Path, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """A local dataset scanned lazily by Polars (only the range's months and rows); a URL read through
        pyarrow.dataset (fsspec)."""
        pl = self.pl
        names = list(columns) if columns is not None else None
        if not is_local(root):
            return pl.from_arrow(read_dataset(root, names, created_range))
        frame = pl.scan_parquet(str(local_path(root) / "month=*" / "*.parquet"), hive_partitioning=True,
                                hive_schema={"month": pl.String})
        if created_range:
            lo, hi = created_range
            frame = frame.filter(pl.col("month").is_in(months_between(lo, hi)))
            frame = frame.filter((pl.col("created_at") >= lo) & (pl.col("created_at") < hi))
        return frame.select(names or pl.exclude("month"))

    def _from_canonical(self, table: pa.Table) -> Any:
        return self.pl.from_arrow(table)
