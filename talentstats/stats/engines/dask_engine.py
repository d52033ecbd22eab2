"""The Dask engine: a Dask DataFrame, computed on an existing cluster or the local threaded scheduler."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.snapshot import Snapshot
from talentstats.load.normalize import ARROW_SCHEMA, to_pandas
from talentstats.stats.engines.base import CreatedRange, Engine


class DaskEngine(Engine):
    """Statistics computed by Dask.

    Args:
        tz: the report time zone.
        dask_scheduler: the address of a running scheduler (``tcp://host:8786``); a client is started on it
            and closed at the end.
        dask_client: a ``distributed.Client`` to use (left running).

    Raises:
        UsageError: Dask (or, for a scheduler, distributed) is not installed (``pip install 'talentstats[dask]'``).
    """

    name = "dask"
    extra = "dask"
    settings = ("dask_scheduler", "dask_client")

    def __init__(self, *, tz: str = "UTC", dask_scheduler: str | None = None, dask_client: Any = None) -> None:
        super().__init__(tz=tz)
        self.dd = self.require("dask.dataframe")  # optional dependency: the dask extra
        self.client = dask_client
        if self.client is None and dask_scheduler:
            distributed = self.require("distributed")  # optional dependency: the dask extra
            self.client = distributed.Client(dask_scheduler)
            self._own.append(self.client)

    def from_dataset(self, root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """``dask.dataframe.read_parquet`` of the version's files (any fsspec URL): only the range's months."""
        _, files = self.dataset_files(root, created_range)
        names = list(columns) if columns is not None else list(ARROW_SCHEMA.names)
        if not files:
            return self._from_canonical(ARROW_SCHEMA.empty_table().select(names))
        return self.dd.read_parquet([f.path for f in files], columns=names, dataset={"partitioning": None})

    def _from_canonical(self, table: pa.Table) -> Any:
        return self.dd.from_pandas(to_pandas(table), npartitions=max(1, min(8, table.num_rows // 250_000)))
