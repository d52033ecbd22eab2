"""The pandas engine (the default, always installed): the canonical table in memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from talentstats.dataset.read import read_dataset
from talentstats.dataset.snapshot import Snapshot
from talentstats.load.normalize import to_pandas
from talentstats.stats.engines.base import CreatedRange, Engine


class PandasEngine(Engine):
    """Statistics computed by pandas in this process (long tables are counted in slices on a thread pool)."""

    name = "pandas"

    def from_dataset(self, root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> pd.DataFrame:
        """The version's files read by pyarrow (only the range's months and rows), as the canonical pandas
        table."""
        return to_pandas(read_dataset(root, list(columns) if columns is not None else None, created_range))

    def _from_canonical(self, table: pa.Table) -> pd.DataFrame:
        return to_pandas(table)
