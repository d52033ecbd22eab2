"""The canonical dataset: exports normalised once into a Delta Lake table, then read many times.

Layout of a dataset folder ``DIR`` (a Delta Lake table, readable by any Delta reader)::

    DIR/_delta_log/00000000000000000000.json   the log: one entry per version (each ingest is one transaction)
    DIR/month=2026-11/part-...parquet          the canonical table (talentstats.load.columns), partitioned by
    DIR/month=2026-10/part-...parquet          the month of created_at in UTC
    DIR/_ingests/<id>.json                     the report of every ingest, and its rejected rows (<id>-rejects.csv)

:func:`talentstats.dataset.write.ingest` merges new exports into the dataset (one MERGE on ``reach_out_id``:
the latest ``updated_at`` wins; see there). Readers open one version (the latest, or ``version`` =
``--as-of-version``), check its files (:func:`talentstats.dataset.snapshot.verified`) and read only the files of
that version in the months a date range needs: a stray file is never read, a missing or damaged one is an
error naming it. ``read_reach_outs`` (and so ``stats``, ``report``, ``dashboard``) accept a dataset folder
wherever they accept export files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.dataset.snapshot import DataFile, Snapshot, filesystem, open_snapshot, problems, verified
from talentstats.errors import InputError
from talentstats.load.normalize import ARROW_SCHEMA, CHUNK_SCHEMA

#: text columns with few distinct values, read dictionary-encoded on request
DICTIONARY_COLUMNS = ("campaign", "sender", "response_via", "response_type")

#: a created_at range [lo, hi) in UTC instants
CreatedRange = tuple[dt.datetime, dt.datetime]


def snapshot_files(root: str | Path | Snapshot, created_range: CreatedRange | None = None,
                   version: int | None = None) -> tuple[Snapshot, list[DataFile]]:
    """A version of a dataset and the files a read of ``created_range`` needs, every file of it checked.

    Args:
        root: the dataset folder or URL, or a snapshot already open.
        created_range: only the months of [lo, hi).
        version: the version to read (default: the latest; ignored for a snapshot).

    Returns:
        (the snapshot, the files to read).

    Raises:
        InputError: not a dataset, an unreadable log, or a missing or damaged data file (named).
        UsageError: a version the dataset never had.
    """
    snapshot = root if isinstance(root, Snapshot) else open_snapshot(root, version)
    return snapshot, verified(snapshot, created_range)


def file_paths(snapshot: Snapshot, files: Sequence[DataFile]) -> list[str]:
    """The files as paths inside the dataset's filesystem (local paths; bucket/key for URLs)."""
    if "://" not in snapshot.root or snapshot.root.startswith("file://"):
        return [f.path for f in files]
    return [filesystem(f.path)[1] for f in files]


def arrow_dataset(snapshot: Snapshot, files: Sequence[DataFile], dictionary: bool = False,
                  large_text: bool = False) -> Any:
    """The files of a version as one ``pyarrow.dataset.Dataset`` in the canonical types (``dictionary``: few-valued
    text dictionary-encoded).

    Args:
        snapshot: the version.
        files: the files of it to read.
        dictionary: read campaign, sender, response via and type dictionary-encoded.
        large_text: read text as ``large_string``, what pandas' ``str`` holds (the Parquet reader decodes into it
            directly; a cast afterwards copied every text column: 1 s of a 10M-row load).

    Returns:
        The dataset.
    """
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)

    fsys, _ = filesystem(snapshot.root)
    schema, fmt = ARROW_SCHEMA, "parquet"
    if large_text:
        schema = pa.schema([pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f for f in schema])
    if dictionary:
        fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=DICTIONARY_COLUMNS))
        schema = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in
                            DICTIONARY_COLUMNS else f for f in schema])
    return ds.dataset(file_paths(snapshot, files), schema=schema, format=fmt, filesystem=fsys)


def read_snapshot(snapshot: Snapshot, files: Sequence[DataFile], columns: Sequence[str] | None = None,
                  created_range: CreatedRange | None = None, dictionary: bool = False,
                  large_text: bool = False) -> pa.Table:
    """Rows of some checked files of a version (see :func:`read_dataset`).

    Args:
        snapshot: the version.
        files: its files to read (from :func:`snapshot_files`).
        columns: only these columns (default all).
        created_range: only the reach outs created in [lo, hi).
        dictionary: few-valued text dictionary-encoded.
        large_text: the other text as ``large_string`` (see :func:`arrow_dataset`).

    Returns:
        The rows, as Arrow.

    Raises:
        InputError: a file that cannot be read after all (named).
    """
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)

    wanted = list(columns) if columns is not None else list(ARROW_SCHEMA.names)
    condition = None
    if created_range is not None:
        lo, hi = (pa.scalar(t, pa.timestamp("us", tz="UTC")) for t in created_range)
        condition = (ds.field("created_at") >= lo) & (ds.field("created_at") < hi)
    try:
        return arrow_dataset(snapshot, files, dictionary, large_text).to_table(columns=wanted, filter=condition)
    except (OSError, pa.ArrowException) as err:  # (checked a moment ago: changed since)
        raise InputError(f"a data file of version {snapshot.version} cannot be read: {str(err).splitlines()[0]}",
                         file=snapshot.root)


def read_dataset(root: str | Path | Snapshot, columns: Sequence[str] | None = None,
                 created_range: CreatedRange | None = None, dictionary: bool = False,
                 version: int | None = None) -> pa.Table:
    """The canonical table stored in a dataset, as Arrow.

    Args:
        root: the dataset folder or URL (or a snapshot already open).
        columns: only these columns (default all).
        created_range: only the reach outs created in [lo, hi), reading only the files of their months.
        dictionary: campaign, sender, response via and type dictionary-encoded.
        version: the version to read (default: the latest).

    Returns:
        The table.

    Raises:
        InputError: not a dataset, an unreadable log, or a missing or damaged data file (named).
        UsageError: a version the dataset never had.
    """
    snapshot, files = snapshot_files(root, created_range, version)
    return read_snapshot(snapshot, files, columns, created_range, dictionary)


def has_open_info(snapshot: Snapshot) -> bool:
    """Whether any reach out of a version has a known ``opened``: from the log's statistics, else by reading the
    column until a known value.

    Args:
        snapshot: the version.

    Returns:
        True when some reach out's ``opened`` is known.
    """
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)

    known = snapshot.has_open_info()
    if known is not None:
        return known
    scan = arrow_dataset(snapshot, snapshot.files)
    return scan.head(1, columns=["opened"], filter=ds.field("opened").is_valid()).num_rows > 0


def load_dataset(root: str | Path, columns: Sequence[str] | None = None,
                 created_range: CreatedRange | None = None, dictionary: bool = True,
                 version: int | None = None, large_text: bool = False) -> tuple[pa.Table, Snapshot]:
    """(canonical Arrow table, the version read) for the loader: every column of the canonical table is present
    (columns not asked for are null).

    Args:
        root: the dataset folder or URL.
        columns: the columns to read.
        created_range: only the reach outs created in [lo, hi).
        dictionary: few-valued text dictionary-encoded, as the loader's chunks (to be combined with them); else
            plain text, decoded by the Parquet reader (the cheapest way to pandas).
        version: the version to read (default: the latest).
        large_text: the other text as ``large_string``, for a table going straight to pandas.

    Returns:
        The table and the snapshot it was read from.

    Raises:
        InputError: not a dataset, an unreadable log, or a missing or damaged data file (named).
        UsageError: a version the dataset never had.
    """
    names = ARROW_SCHEMA.names
    snapshot, files = snapshot_files(root, created_range, version)
    table = read_snapshot(snapshot, files, [c for c in names if columns is None or c in columns], created_range,
                          dictionary=dictionary, large_text=large_text)
    for i, f in enumerate(CHUNK_SCHEMA if dictionary else ARROW_SCHEMA):
        if f.name in names and f.name not in table.column_names:
            table = table.add_column(i, f.name, pa.nulls(table.num_rows, f.type))
    return table.select(list(names)), snapshot


def dataset_problems(root: str | Path, version: int | None = None) -> list[dict[str, str]]:
    """What is wrong with a dataset (``talentstats check DIR``): an unreadable log, or every missing or damaged
    data file of its version.

    Args:
        root: the dataset folder or URL.
        version: the version to check (default: the latest).

    Returns:
        One ``{"dataset", "file", "error"}`` per problem (``error``: the one-line message); empty for a sound one.
    """
    try:
        snapshot = open_snapshot(root, version)
    except InputError as err:
        return [{"dataset": str(root), "file": str(err.file or root), "error": str(err)}]
    return [{"dataset": str(root), "file": p["file"], "error": str(InputError(p["error"], file=p["file"]))}
            for p in problems(snapshot)]
