"""The canonical dataset: exports normalised once into Parquet, then read many times.

Layout of a dataset folder ``DIR``::

    DIR/_talentstats_dataset.json       marker: format, version, columns, partitioning
    DIR/month=2026-11/part-0.parquet    the canonical table (talentstats.load.columns), one folder per month of
    DIR/month=2026-10/part-0.parquet    created_at in UTC (Hive partitioning), rows sorted by created_at
    DIR/_ingests/<id>.json              the load report of every ingest, and its rejected rows (<id>-rejects.csv)

:func:`ingest` merges new exports into the dataset with the duplicate rule of the loader (one row per reach out;
the latest ``updated_at`` wins, unknown counts as oldest; on a tie the newer export wins unless the rows are equal),
rewriting only the month partitions that change, each atomically. Re-ingesting an export changes no data file.
:func:`read_dataset` reads only the partitions and columns a date range needs (pyarrow.dataset filters), from a
local folder or any fsspec URL. ``read_reach_outs`` (and so ``stats``, ``report``, ``dashboard``) accept a dataset
folder wherever they accept export files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.errors import InputError
from talentstats.load.normalize import ARROW_SCHEMA, CHUNK_SCHEMA

MARKER = "_talentstats_dataset.json"
INGESTS = "_ingests"
FORMAT = "talentstats-dataset"
VERSION = 1
PART = "part-0.parquet"




# --------------------------------------------------------------------------------------------- locating


def location(path: str | Path) -> str:
    """A dataset location as text: a local path, or a URL (``s3://b/ds`` - also when it went through
    ``pathlib.Path``, which makes it ``s3:/b/ds``)."""

    text = str(path)
    if "://" not in text and re.match(r"^[A-Za-z][\w+.-]+:/(?!/)", text) and not Path(text).exists():
        text = text.replace(":/", "://", 1)
    return text


def _fs(path: str | Path) -> tuple[Any, str]:
    """(pyarrow filesystem, path inside it) for a local path or an fsspec URL (s3://, gs://, memory://, ...)."""
    text = location(path)
    if "://" not in text or text.startswith("file://"):
        from pyarrow import fs

        return fs.LocalFileSystem(), str(Path(text.removeprefix("file://")).resolve())
    try:
        import fsspec  # (optional dependency: the duckdb/dask extras bring it)
        from pyarrow.fs import FSSpecHandler, PyFileSystem
    except ImportError:
        raise InputError("reading a dataset from a URL needs fsspec (pip install fsspec and its s3fs/gcsfs/...)",
                         file=text)
    filesystem, inner = fsspec.core.url_to_fs(text)
    return PyFileSystem(FSSpecHandler(filesystem)), inner


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a dataset folder (holds the marker file); URLs are asked through fsspec."""
    text = location(path)
    if "://" not in text:
        return (Path(text) / MARKER).is_file()
    try:
        filesystem, inner = _fs(text)
        from pyarrow.fs import FileType

        return filesystem.get_file_info(f"{inner.rstrip('/')}/{MARKER}").type == FileType.File
    except (InputError, OSError):
        return False


def _check(root: Path) -> None:
    info = json.loads((root / MARKER).read_text(encoding="utf-8"))
    if info.get("format") != FORMAT or int(info.get("version", 0)) > VERSION:
        raise InputError(f"not a dataset this version of talentstats can read ({info.get('format')} "
                         f"v{info.get('version')})", file=str(root))


# --------------------------------------------------------------------------------------------- reading




def months_between(lo: dt.datetime, hi: dt.datetime) -> list[str]:
    """The partitions (UTC months) holding instants in [lo, hi)."""
    first = lo.astimezone(dt.UTC)
    last = (hi - dt.timedelta(microseconds=1)).astimezone(dt.UTC)
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


#: text columns with few distinct values, read dictionary-encoded on request
DICTIONARY_COLUMNS = ("campaign", "sender", "response_via", "response_type")


def _dataset(root: str | Path, dictionary: bool = False) -> Any:
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)

    filesystem, inner = _fs(root)
    partitioning = ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive")
    schema = ARROW_SCHEMA.append(pa.field("month", pa.string()))
    fmt: Any = "parquet"
    if dictionary:
        fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=DICTIONARY_COLUMNS))
        schema = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in
                            DICTIONARY_COLUMNS else f for f in schema])
    return ds.dataset(inner, filesystem=filesystem, format=fmt, partitioning=partitioning, schema=schema)


def read_dataset(root: str | Path, columns: Sequence[str] | None = None,
                 created_range: tuple[dt.datetime, dt.datetime] | None = None,
                 dictionary: bool = False) -> pa.Table:
    """The canonical table stored in a dataset, as Arrow: only ``columns`` (default all), and with
    ``created_range`` = (lo, hi) only the reach outs created in [lo, hi) - reading only their months'
    partitions. ``dictionary``: campaign, sender, response via and type dictionary-encoded."""
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)

    root = location(root)
    if "://" not in root:
        if not is_dataset(root):
            raise InputError("not a talentstats dataset (no marker file; create one with talentstats ingest)",
                             file=str(root))
        _check(Path(root))
    dataset = _dataset(root, dictionary)
    wanted = list(columns) if columns is not None else list(ARROW_SCHEMA.names)
    condition = None
    if created_range is not None:
        lo, hi = created_range
        condition = (ds.field("month").isin(months_between(lo, hi)) & (ds.field("created_at") >= pa.scalar(
            lo, pa.timestamp("us", tz="UTC"))) & (ds.field("created_at") < pa.scalar(hi, pa.timestamp("us", tz="UTC"))))
    return dataset.to_table(columns=wanted, filter=condition)


def has_open_info(root: str | Path) -> bool:
    """Whether any stored reach out has a known ``opened``: from the Parquet statistics (null counts per row
    group) where the files have them, else by reading the column until a known value."""
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)

    dataset = _dataset(root)
    for fragment in dataset.get_fragments():
        meta = fragment.metadata
        index = meta.schema.to_arrow_schema().get_field_index("opened")
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            stats = group.column(index).statistics if index >= 0 else None
            if stats is None or not stats.has_null_count:
                return dataset.head(1, columns=["opened"], filter=ds.field("opened").is_valid()).num_rows > 0
            if stats.null_count < group.num_rows:
                return True
    return False


def load_dataset(root: str | Path, columns: Sequence[str] | None = None,
                 created_range: tuple[dt.datetime, dt.datetime] | None = None,
                 dictionary: bool = True) -> tuple[pa.Table, dict[str, Any]]:
    """(canonical Arrow table, what was read) for the loader: every column of the canonical table is present
    (columns not asked for are null). ``dictionary``: few-valued text dictionary-encoded, as the loader's chunks
    (to be combined with them); else plain text, decoded by the Parquet reader (the cheapest way to pandas)."""

    names = ARROW_SCHEMA.names
    table = read_dataset(root, [c for c in names if columns is None or c in columns], created_range,
                         dictionary=dictionary)
    for i, f in enumerate(CHUNK_SCHEMA if dictionary else ARROW_SCHEMA):
        if f.name in names and f.name not in table.column_names:
            table = table.add_column(i, f.name, pa.nulls(table.num_rows, f.type))
    return table.select(list(names)), {"dataset": str(root), "rows": table.num_rows}


# --------------------------------------------------------------------------------------------- ingesting



























