"""One version of the canonical dataset (a Delta Lake table): its active data files, checked before they are read.

A dataset is a Delta Lake table (``DIR/_delta_log/``) partitioned by ``month`` (``YYYY-MM`` of ``created_at`` in
UTC). Its log says, for every version, which Parquet files make the table and how many rows each holds; a reader
opens one version (:func:`open_snapshot`), reads only that version's files (a stray file in the folder is not one),
and first checks that each file it reads is there, has the size the log records and holds the rows the log records
(:func:`verified`): a deleted or damaged file is a one-line error naming it, never a silent undercount.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.errors import InputError, UsageError
from talentstats.load.columns import EVENT_TIMES
from talentstats.load.normalize import ARROW_SCHEMA

LOG = "_delta_log"
INGESTS = "_ingests"
#: the marker file of the layout before Delta Lake (``month=YYYY-MM/part-0.parquet``): ``ingest`` converts it
MARKER = "_talentstats_dataset.json"
PARTITION = "month"
#: the Delta table's schema: the canonical table and its partition column
TABLE_SCHEMA = ARROW_SCHEMA.append(pa.field(PARTITION, pa.string()))
_BEFORE_EVENTS = [n for n in TABLE_SCHEMA.names if n not in EVENT_TIMES]


# --------------------------------------------------------------------------------------------- locating


def location(path: str | Path) -> str:
    """A dataset location as text: a local path, or a URL (``s3://b/ds`` - also when it went through
    ``pathlib.Path``, which makes it ``s3:/b/ds``).

    Args:
        path: a local path or URL.

    Returns:
        The location as text.
    """
    text = str(path)
    if "://" not in text and re.match(r"^[A-Za-z][\w+.-]+:/(?!/)", text) and not Path(text).exists():
        text = "file://" + text[5:] if text.startswith("file:/") else text.replace(":/", "://", 1)
    return text


def _is_local(text: str) -> bool:
    return "://" not in text or text.startswith("file://")


def _local(text: str) -> Path:
    return Path(text.removeprefix("file://")).resolve()


def filesystem(root: str | Path) -> tuple[Any, str]:
    """(pyarrow filesystem, path inside it) for a local path or an fsspec URL (s3://, gs://, ...).

    Args:
        root: a local path or URL.

    Returns:
        The filesystem and the path of ``root`` inside it.

    Raises:
        InputError: a URL without fsspec installed.
    """
    text = location(root)
    if _is_local(text):
        from pyarrow import fs

        return fs.LocalFileSystem(), str(_local(text))
    try:
        import fsspec  # (optional dependency: the duckdb/dask extras bring it)
        from pyarrow.fs import FSSpecHandler, PyFileSystem
    except ImportError:
        raise InputError("reading a dataset from a URL needs fsspec (pip install fsspec and its s3fs/gcsfs/...)",
                         file=text)
    fsys, inner = fsspec.core.url_to_fs(text)
    return PyFileSystem(FSSpecHandler(fsys)), inner


def is_legacy(path: str | Path) -> bool:
    """Whether ``path`` is a dataset in the layout before Delta Lake (a marker file, no log): ``ingest`` converts
    it in place.

    Args:
        path: a local folder.

    Returns:
        True for a dataset still to be converted.
    """
    text = location(path)
    return _is_local(text) and (_local(text) / MARKER).is_file() and not has_table(text)


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a dataset folder (a Delta table, or a dataset of the older layout); URLs are asked
    through delta-rs.

    Args:
        path: a file, folder or URL.

    Returns:
        True for a dataset.
    """
    text = location(path)
    if _is_local(text):
        return (_local(text) / LOG).is_dir() or is_legacy(text)
    try:
        from deltalake import DeltaTable

        return bool(DeltaTable.is_deltatable(text))
    except Exception:  # noqa: BLE001 - an unreachable URL is not a dataset
        return False


def has_table(root: str | Path) -> bool:
    """Whether a Delta table has been committed at ``root`` (a log folder alone, left by a first ingest killed
    before its commit, is none).

    Args:
        root: the dataset folder or URL.

    Returns:
        True once version 0 is committed.
    """
    from deltalake import DeltaTable

    try:
        return bool(DeltaTable.is_deltatable(location(root)))
    except Exception:  # noqa: BLE001 - an unreadable location holds no table
        return False


def delta_message(err: BaseException) -> str:
    """The first line of a delta-rs error (they carry a Rust backtrace below it)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def open_table(root: str | Path, version: int | None = None) -> Any:
    """The dataset's Delta table (``deltalake.DeltaTable``) at ``version`` (default: the latest).

    Args:
        root: the dataset folder or URL.
        version: a version the table had (``--as-of-version``).

    Returns:
        The table.

    Raises:
        InputError: not a dataset, a dataset of the old layout, or a log that cannot be read.
        UsageError: a version the table never had.
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    text = location(root)
    if is_legacy(text):
        raise InputError("a dataset in the layout before Delta Lake; the next `talentstats ingest EXPORT --into "
                         f"{text}` converts it (once)", file=text)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 0):
        raise UsageError("a dataset version is a whole number, 0 or more", parameter="as_of_version", value=version)
    try:
        table = DeltaTable(text) if version is None else DeltaTable(text, version=version)
    except TableNotFoundError:
        raise InputError("not a talentstats dataset (no Delta log; create one with talentstats ingest)", file=text)
    except Exception as err:  # noqa: BLE001 - delta-rs raises plain DeltaError for every kind of problem
        latest = _latest(text) if version is not None else None
        if latest is not None and version is not None and version > latest:
            raise UsageError(f"the dataset has versions 0 to {latest}", parameter="as_of_version", value=version)
        raise InputError(f"the dataset's log cannot be read: {delta_message(err)}", file=f"{text}/{LOG}")
    names = [f.name for f in table.schema().fields]
    # (a dataset ingested before the event-time columns lacks them: read as unknown, added by the next ingest)
    if not set(_BEFORE_EVENTS) <= set(names) <= set(TABLE_SCHEMA.names) or \
            table.metadata().partition_columns != [PARTITION]:
        raise InputError("a Delta table, but not a talentstats dataset (other columns or partitioning)", file=text)
    return table


def _latest(text: str) -> int | None:
    from deltalake import DeltaTable

    try:
        return DeltaTable(text).version()
    except Exception:  # noqa: BLE001 - only asked to word an error
        return None


# --------------------------------------------------------------------------------------------- a version


@dataclass(frozen=True)
class DataFile:
    """An active data file of a version, as its log records it."""

    path: str  # absolute path or URL
    size: int
    rows: int
    month: str
    opened_nulls: int | None  # rows whose ``opened`` is null (None: the log has no statistics)


@dataclass(frozen=True)
class Snapshot:
    """One version of a dataset: the files that make it.

    Args:
        root: the dataset folder or URL.
        version: the table version.
        files: its active data files.
    """

    root: str
    version: int
    files: tuple[DataFile, ...]

    @property
    def rows(self) -> int:
        """Reach outs in this version (from the log: no file is read)."""
        return sum(f.rows for f in self.files)

    def in_range(self, created_range: tuple[dt.datetime, dt.datetime] | None = None) -> list[DataFile]:
        """The files of the months holding instants in ``created_range`` = [lo, hi) (all files without one)."""
        if created_range is None:
            return list(self.files)
        months = set(months_between(*created_range))
        return [f for f in self.files if f.month in months]

    def has_open_info(self) -> bool | None:
        """Whether any reach out has a known ``opened``, from the log's statistics (None: some file has none)."""
        if any(f.rows > (f.opened_nulls or 0) for f in self.files if f.opened_nulls is not None):
            return True
        return None if any(f.opened_nulls is None for f in self.files) else False


def snapshot_of(table: Any, root: str | Path) -> Snapshot:
    """The :class:`Snapshot` of an open Delta table (the version it is at).

    Args:
        table: a ``deltalake.DeltaTable``.
        root: its location.

    Returns:
        The snapshot.
    """
    text = location(root).rstrip("/")
    actions = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    nulls = actions.get("null_count.opened", [None] * len(actions["path"]))
    files = []
    for path, size, rows, month, opened_nulls in zip(actions["path"], actions["size_bytes"], actions["num_records"],
                                                     actions[f"partition.{PARTITION}"], nulls, strict=True):
        full = path if "://" in path or path.startswith("/") else f"{text}/{path}"
        if _is_local(text):
            full = str(_local(full))
        files.append(DataFile(full, int(size), int(rows if rows is not None else -1), str(month), opened_nulls))
    return Snapshot(location(root), table.version(), tuple(sorted(files, key=lambda f: (f.month, f.path))))


def open_snapshot(root: str | Path, version: int | None = None) -> Snapshot:
    """A version of a dataset (default: the latest), its files not yet checked (see :func:`verified`).

    Args:
        root: the dataset folder or URL.
        version: the version to read (``--as-of-version``).

    Returns:
        The snapshot.

    Raises:
        InputError: not a dataset, or its log cannot be read.
        UsageError: a version the dataset never had.
    """
    return snapshot_of(open_table(root, version), root)


def file_problem(snapshot: Snapshot, f: DataFile, fsys: Any = None) -> str | None:
    """What is wrong with an active data file (missing, another size, unreadable, other row count), if anything.

    Args:
        snapshot: the version it belongs to.
        f: the file.
        fsys: the pyarrow filesystem of the dataset (default: found from its location).

    Returns:
        The problem in a few words, or None for a sound file.
    """
    import pyarrow.parquet as pq
    from pyarrow.fs import FileType

    if fsys is None:
        fsys, _ = filesystem(snapshot.root)
    inner = f.path if _is_local(f.path) else filesystem(f.path)[1]
    info = fsys.get_file_info(inner)
    version = f"version {snapshot.version} of the dataset"
    if info.type == FileType.NotFound:
        return f"data file missing: {version} lists it (deleted?)"
    if info.type != FileType.File or info.size != f.size:
        return f"data file damaged: {info.size:,} bytes where {version} records {f.size:,} (truncated or replaced?)"
    try:
        with fsys.open_input_file(inner) as handle:
            rows = pq.ParquetFile(handle).metadata.num_rows
    except (OSError, pa.ArrowException) as err:
        return f"data file damaged: not readable as Parquet ({str(err).splitlines()[0]})"
    if f.rows >= 0 and rows != f.rows:
        return f"data file damaged: it holds {rows:,} rows where {version} records {f.rows:,}"
    return None


def problems(snapshot: Snapshot, files: Sequence[DataFile] | None = None) -> list[dict[str, str]]:
    """Every problem of the files of a version (default: all its files), as ``{"file", "error"}``.

    Args:
        snapshot: the version.
        files: only these of its files.

    Returns:
        One entry per bad file (empty for a sound version).
    """
    fsys, _ = filesystem(snapshot.root)
    found = []
    for f in snapshot.files if files is None else files:
        problem = file_problem(snapshot, f, fsys)
        if problem is not None:
            found.append({"file": f.path, "error": problem})
    return found


def verified(snapshot: Snapshot, created_range: tuple[dt.datetime, dt.datetime] | None = None) -> list[DataFile]:
    """The files a read of ``created_range`` needs (all without one), after checking every file of the version.

    Args:
        snapshot: the version to read.
        created_range: only the months of [lo, hi).

    Returns:
        The files to read.

    Raises:
        InputError: the first missing or damaged file of the version, named.
    """
    for problem in problems(snapshot):
        raise InputError(problem["error"] + "; restore it, or rebuild the dataset with talentstats ingest",
                         file=problem["file"])
    return snapshot.in_range(created_range)


def months_between(lo: dt.datetime, hi: dt.datetime) -> list[str]:
    """The partitions (UTC months) holding instants in [lo, hi).

    Args:
        lo: the first instant.
        hi: the instant after the last.

    Returns:
        ``YYYY-MM`` labels, oldest first.
    """
    first = lo.astimezone(dt.UTC)
    last = (hi - dt.timedelta(microseconds=1)).astimezone(dt.UTC)
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
