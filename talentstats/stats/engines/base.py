"""The engine interface: what every engine does (read a dataset, take an Arrow table) and what they share (loading,
the statistics, counting, the newest date).

An engine turns the canonical table into a frame of its own kind; the metric code
(:mod:`talentstats.stats.metrics`, narwhals) then runs on that frame unchanged, and only the small counts are
collected (:func:`collect`) and finished into statistics here.
"""

from __future__ import annotations

import datetime as dt
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import narwhals as nw
import pandas as pd
import pyarrow as pa

from talentstats.dataset.read import has_open_info as dataset_has_open_info
from talentstats.dataset.read import snapshot_files
from talentstats.dataset.snapshot import DataFile, Snapshot, is_dataset, location, open_snapshot
from talentstats.errors import UsageError
from talentstats.load.accounting import LoadReport
from talentstats.load.loader import finish_load, load_arrow
from talentstats.load.normalize import to_canonical
from talentstats.load.options import LoadOptions
from talentstats.stats.metrics import check_keys, finish, has_open_info, newest_date, stat_counts, total_of
from talentstats.stats.periods import zone

#: the columns the statistics read (besides what is only needed to merge duplicates)
METRIC_COLUMNS = ("campaign", "sender", "state", "created_at", "response_via", "response_type", "opened")

#: a created_at range [lo, hi) in UTC instants
CreatedRange = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class LoadedFrame:
    """What :meth:`Engine.load` hands to :meth:`Engine.stats`.

    Args:
        frame: the canonical table as a frame of the engine (lazy where the engine is).
        report: the account of the load. For a dataset read by the engine itself (``dataset`` set) its row counts
            are not known yet: reading them would cost a pass over the data (:func:`engine_stats` fills them in).
        opens_known: whether the data has open information; None: ask it (:meth:`knows_opens`).
        dataset: the version of the dataset the engine read itself, if it did.
    """

    frame: Any
    report: LoadReport
    opens_known: bool | None = None
    dataset: Snapshot | None = None

    def knows_opens(self) -> bool:
        """Whether the data loaded has any open information (then an empty range has 0 opens, else unknown).

        For a dataset the whole version is asked (from its log's statistics), not only the rows read: only
        when it is needed (:meth:`Engine.stats` asks only for a range without reach outs).

        Returns:
            True when some reach out has a known ``opened``.
        """
        if self.opens_known is not None:
            return self.opens_known
        if self.dataset is not None:
            return dataset_has_open_info(self.dataset)
        return has_open_info(self.frame)


class Engine(ABC):
    """An engine ready to compute statistics in the report time zone ``tz``.

    Use as a context manager: the connections, clients and sessions the engine started are closed at the end (an
    existing Spark session or Dask client passed in is left running).

    Args:
        tz: the report time zone (IANA name).

    Raises:
        UsageError: an unknown time zone, or the engine's package is not installed.
    """

    #: the engine's name (``--engine``)
    name: ClassVar[str]
    #: the pip extra that brings it (None: always installed)
    extra: ClassVar[str | None] = None
    #: the keyword settings its constructor takes besides ``tz`` (a cluster to use)
    settings: ClassVar[tuple[str, ...]] = ()
    #: whether it hands back times without a zone, as wall times in its session's zone (Spark)
    naive_in_session_zone: ClassVar[bool] = False

    def __init__(self, *, tz: str = "UTC") -> None:
        zone(tz, parameter="tz")
        self.tz = tz
        self._own: list[Any] = []  # what this engine started, closed by close()

    # ------------------------------------------------------------------------------------------ the interface

    @abstractmethod
    def from_dataset(self, root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                     created_range: CreatedRange | None = None) -> Any:
        """A canonical dataset (``talentstats ingest``) as a frame of this engine (lazy where the engine is): the
        active files of one version (:meth:`dataset_files`), never a listing of the folder.

        Args:
            root: the dataset folder or URL (its latest version), or a version of it (:class:`Snapshot`).
            columns: only these columns (default all).
            created_range: only the reach outs created in [lo, hi) (UTC instants), reading only their months.

        Returns:
            The engine's frame.

        Raises:
            InputError: not a dataset, or a missing or damaged data file (named).
        """

    @staticmethod
    def dataset_files(root: str | Path | Snapshot,
                      created_range: CreatedRange | None = None) -> tuple[Snapshot, list[DataFile]]:
        """The files of a version that a read of ``created_range`` needs (every file of the version checked).

        Args:
            root: the dataset folder or URL (its latest version), or a version of it.
            created_range: only the months of [lo, hi).

        Returns:
            (the version, the files to read: absolute paths or URLs in ``DataFile.path``).

        Raises:
            InputError: not a dataset, or a missing or damaged data file (named).
        """
        return snapshot_files(root, created_range)

    def from_arrow(self, table: pa.Table) -> Any:
        """A canonical Arrow table (e.g. from the loader, dictionary-encoded or not) as a frame of this engine.

        Args:
            table: the canonical table.

        Returns:
            The engine's frame.
        """
        return self._from_canonical(to_canonical(table))

    @abstractmethod
    def _from_canonical(self, table: pa.Table) -> Any:
        """:meth:`from_arrow` of a table in the canonical Arrow types (no dictionary-encoded text)."""

    def count(self, frame: Any) -> int:
        """The number of rows of a frame of this engine.

        Args:
            frame: the engine's frame.

        Returns:
            The row count (computed by the engine).
        """
        return int(collect(nw.from_native(frame).select(nw.len())).iloc[0, 0])

    # ------------------------------------------------------------------------------------------ shared

    def load(self, paths: str | Path | Sequence[str | Path], options: LoadOptions | None = None,
             columns: Sequence[str] | None = METRIC_COLUMNS) -> LoadedFrame:
        """Reach outs as a frame of this engine: a single dataset (without messages exports) is read by the engine
        itself; anything else (export files, several sources) goes through the loader first.

        As :func:`talentstats.load.loader.load`: rejected rows are written to ``options.rejects``, then
        ``options.strict`` fails on any.

        Args:
            paths: export files or folders, or a dataset folder or URL.
            options: how to read them; only the columns the statistics use are read, and from a dataset only
                ``options.created_range``.
            columns: the columns a dataset is read with.

        Returns:
            :class:`LoadedFrame`.

        Raises:
            InputError: an export that cannot be read, or rejected rows with ``options.strict``.
        """
        options = (options or LoadOptions()).but(metrics_only=True)
        paths = [paths] if isinstance(paths, str | Path) else list(paths)
        if len(paths) == 1 and is_dataset(paths[0]) and not options.messages:
            root = location(paths[0])
            snapshot = open_snapshot(root, options.as_of_version)
            frame = self.from_dataset(snapshot, columns, options.created_range)
            report = LoadReport(files=[root], opens_source="dataset", dataset_version=snapshot.version)
            loaded = LoadedFrame(frame, report, dataset=snapshot)
        else:
            arrow = load_arrow(paths, options)
            loaded = LoadedFrame(self.from_arrow(arrow.table), arrow.report,
                                 opens_known=arrow.report.opens_source is not None)
        finish_load(loaded.report, options)
        return loaded

    def stats(self, frame: Any, start: dt.date | str, end: dt.date | str,
              keys: Sequence[str] | str | None = None,
              opens_known: bool | Callable[[], bool] | None = None) -> tuple[pd.DataFrame | None, pd.DataFrame]:
        """The statistics of reach outs created on [start, end] in the engine's time zone, per group and in total.

        The additive counts are computed by the engine (:func:`~talentstats.stats.metrics.stat_counts`), collected
        (a few rows) and finished here.

        Args:
            frame: the engine's frame.
            start, end: the range of creation dates (inclusive).
            keys: group keys (see :data:`talentstats.stats.metrics.GROUP_KEYS`).
            opens_known: whether the data has open information when ``frame`` is only part of it (a value, or a
                function asked only when no reach out is in range, e.g. :meth:`LoadedFrame.knows_opens`); by
                default the frame is asked.

        Returns:
            (statistics per group, or None without keys; the total) as pandas frames.

        Raises:
            UsageError: an unknown key or a bad range.
        """
        keys = check_keys(keys)
        counts = collect(stat_counts(frame, start, end, self.tz, keys or ["state"]))

        def has_info() -> bool:
            if callable(opens_known):
                return opens_known()
            return has_open_info(frame) if opens_known is None else opens_known

        return (finish(counts, keys) if keys else None), total_of(counts, has_info)

    def newest_date(self, frame: Any) -> dt.date | None:
        """The newest creation date in the data, in the report time zone.

        Args:
            frame: the engine's frame.

        Returns:
            The date, or None for a frame without rows.
        """
        return newest_date(frame, self.tz, naive_tz=self.tz if self.naive_in_session_zone else "UTC")

    def require(self, module: str) -> ModuleType:
        """The optional ``module`` this engine needs, or a UsageError saying which extra to install.

        Args:
            module: a dotted module name (its first part is the package named in the message).

        Returns:
            The module.

        Raises:
            UsageError: the package is not installed.
        """
        try:
            return importlib.import_module(module)
        except ImportError:
            raise UsageError(f"needs {module.split('.')[0]}", parameter="engine", value=self.name,
                             hint=f"pip install 'talentstats[{self.extra or self.name}]'")

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close what this engine started (best effort; newest first)."""
        for thing in reversed(self._own):
            try:
                thing.stop() if hasattr(thing, "stop") else thing.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self._own.clear()


def collect(native: Any) -> pd.DataFrame:
    """Any frame narwhals supports (lazy or not) as a pandas DataFrame.

    Args:
        native: a pandas, Polars, DuckDB, Dask or Spark frame.

    Returns:
        The computed frame, in pandas.
    """
    f = nw.from_native(native)
    if isinstance(f, nw.LazyFrame):
        f = f.collect(backend="pandas")
    out = f.to_native()
    return out if isinstance(out, pd.DataFrame) else f.to_pandas()


def is_local(path: str | Path) -> bool:
    """Whether a dataset location is on this machine (a path or a ``file://`` URL).

    Args:
        path: a dataset location.

    Returns:
        True for a local path.
    """
    text = str(path)
    return "://" not in text or text.startswith("file://")
