"""The canonical dataset: exports normalised once into Parquet, then read many times.

Layout of a dataset folder ``DIR``::

    DIR/_talentstats_dataset.json       marker: format, version, columns, partitioning
    DIR/month=2026-11/part-0.parquet    the canonical table (talentstats.columns), one folder per month of
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
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import InputError

MARKER = "_talentstats_dataset.json"
INGESTS = "_ingests"
FORMAT = "talentstats-dataset"
VERSION = 1
PART = "part-0.parquet"


def _schema() -> pa.Schema:
    from .normalize import ARROW_SCHEMA

    return ARROW_SCHEMA


# --------------------------------------------------------------------------------------------- locating


def location(path: str | Path) -> str:
    """A dataset location as text: a local path, or a URL (``s3://b/ds`` - also when it went through
    ``pathlib.Path``, which makes it ``s3:/b/ds``)."""
    import re

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
        import fsspec
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


def month_of(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m")


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
    import pyarrow.dataset as ds

    filesystem, inner = _fs(root)
    partitioning = ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive")
    schema = _schema().append(pa.field("month", pa.string()))
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
    import pyarrow.dataset as ds

    root = location(root)
    if "://" not in root:
        if not is_dataset(root):
            raise InputError("not a talentstats dataset (no marker file; create one with talentstats ingest)",
                             file=str(root))
        _check(Path(root))
    dataset = _dataset(root, dictionary)
    wanted = list(columns) if columns is not None else list(_schema().names)
    condition = None
    if created_range is not None:
        lo, hi = created_range
        condition = (ds.field("month").isin(months_between(lo, hi)) & (ds.field("created_at") >= pa.scalar(
            lo, pa.timestamp("us", tz="UTC"))) & (ds.field("created_at") < pa.scalar(hi, pa.timestamp("us", tz="UTC"))))
    return dataset.to_table(columns=wanted, filter=condition)


def has_open_info(root: str | Path) -> bool:
    """Whether any stored reach out has a known ``opened`` (stops at the first one)."""
    import pyarrow.dataset as ds

    return _dataset(root).head(1, columns=["opened"], filter=ds.field("opened").is_valid()).num_rows > 0


def load_dataset(root: str | Path, columns: Sequence[str] | None = None,
                 created_range: tuple[dt.datetime, dt.datetime] | None = None) -> tuple[pa.Table, dict[str, Any]]:
    """(canonical Arrow table, what was read) for the loader: every column of the canonical table is present
    (columns not asked for are null)."""
    from .normalize import CHUNK_SCHEMA

    names = _schema().names
    table = read_dataset(root, [c for c in names if columns is None or c in columns], created_range,
                         dictionary=True)
    for i, f in enumerate(CHUNK_SCHEMA):
        if f.name in names and f.name not in table.column_names:
            table = table.add_column(i, f.name, pa.nulls(table.num_rows, f.type))
    return table.select(list(names)), {"dataset": str(root), "rows": table.num_rows}


# --------------------------------------------------------------------------------------------- ingesting


@dataclass
class IngestReport:
    """What one ingest did: the exports' load report and how their rows were merged into the dataset."""

    id: str
    ingested_at: str
    exports: list[str]
    messages: list[str]
    load: dict[str, Any]
    opens_source: str | None
    added: int = 0  # reach outs new to the dataset
    updated: int = 0  # stored reach outs replaced by a newer row
    unchanged: int = 0  # rows equal to the stored ones
    stale: int = 0  # rows older than the stored ones (the stored row is kept)
    partitions_written: list[str] = field(default_factory=list)
    rows_in_dataset: int = 0
    rejects: dict[str, int] = field(default_factory=dict)
    rejects_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _write_marker(root: Path) -> None:
    info = {"format": FORMAT, "version": VERSION, "partitioning": "month=YYYY-MM of created_at (UTC)",
            "columns": {f.name: str(f.type) for f in _schema()}}
    _atomic_write(root / MARKER, json.dumps(info, indent=2).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_partition(root: Path, month: str, table: pa.Table) -> None:
    import pyarrow.parquet as pq

    folder = root / f"month={month}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / PART
    if table.num_rows == 0:
        target.unlink(missing_ok=True)
        return
    order = pc.sort_indices(table, sort_keys=[("created_at", "ascending"), ("reach_out_id", "ascending")])
    tmp = folder / f".{PART}.{uuid.uuid4().hex}.tmp"
    pq.write_table(table.take(order), tmp, compression="zstd", row_group_size=1 << 20)
    os.replace(tmp, target)


def _stored(root: Path) -> pa.Table:
    """(reach_out_id, updated_at, month) of every stored row."""
    if not any(root.glob(f"month=*/{PART}")):
        return pa.table({"reach_out_id": pa.array([], pa.string()),
                         "updated_at": pa.array([], pa.timestamp("us", tz="UTC")),
                         "month": pa.array([], pa.string())})
    return _dataset(root).to_table(columns=["reach_out_id", "updated_at", "month"])


def _read_partition(root: Path, month: str) -> pa.Table:
    import pyarrow.parquet as pq

    path = root / f"month={month}" / PART
    if not path.exists():
        return _schema().empty_table()
    return pq.read_table(path, schema=_schema())


def _rows_equal(a: pa.Table, b: pa.Table) -> np.ndarray:
    """Row-wise equality of two tables of the same schema (nulls equal nulls)."""
    same = np.ones(a.num_rows, dtype=bool)
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        eq = pc.fill_null(pc.equal(x, y), False).to_numpy(zero_copy_only=False)
        both_null = (pc.is_null(x).to_numpy(zero_copy_only=False) & pc.is_null(y).to_numpy(zero_copy_only=False))
        same &= eq | both_null
    return same


def ingest(exports: Sequence[str | Path], into: str | Path, messages: Sequence[str | Path] | None = None,
           mapping: Mapping[str, str] | None = None, source_tz: str = "UTC", sheet: str | int | None = None,
           dayfirst: bool = False, strict: bool = False) -> IngestReport:
    """Normalise ``exports`` and merge them into the dataset at ``into`` (created if missing); returns (and
    stores under ``into/_ingests``) the report."""
    from .normalize import load_arrow, raise_if_rejected

    root = Path(into)
    if root.exists() and not root.is_dir():
        raise InputError("not a folder", file=str(root))
    if root.is_dir() and any(root.iterdir()) and not is_dataset(root):
        raise InputError("folder exists and is not a talentstats dataset (choose a new or empty folder)",
                         file=str(root))
    if any(is_dataset(p) for p in exports):
        raise InputError("ingest reads export files, not a dataset", file=str(next(p for p in exports
                                                                                    if is_dataset(p))))
    started = dt.datetime.now(dt.UTC)
    loaded = load_arrow(list(exports), messages=list(messages) if messages else None, mapping=mapping,
                        source_tz=source_tz, sheet=sheet, dayfirst=dayfirst)
    if strict:
        raise_if_rejected(loaded.report)
    root.mkdir(parents=True, exist_ok=True)
    if not is_dataset(root):
        _write_marker(root)
    _check(root)
    new = loaded.table
    report = IngestReport(id=started.strftime("%Y%m%dT%H%M%S.%fZ"), ingested_at=started.isoformat(),
                          exports=[str(Path(p)) for p in loaded.report.files],
                          messages=[str(Path(p)) for p in (messages or [])], load=loaded.report.as_dict(),
                          opens_source=loaded.report.opens_source, rejects=loaded.report.reject_summary())
    _merge(root, new, report)
    report.rows_in_dataset = _stored(root).num_rows
    folder = root / INGESTS
    folder.mkdir(exist_ok=True)
    if len(loaded.report.rejects):
        from .output import write_rejects

        rejects = folder / f"{report.id}-rejects.csv"
        write_rejects(loaded.report.rejects, rejects)
        report.rejects_file = str(rejects.relative_to(root))
    _atomic_write(folder / f"{report.id}.json", json.dumps(report.as_dict(), indent=2, default=str).encode())
    return report


def _merge(root: Path, new: pa.Table, report: IngestReport) -> None:
    """Merge canonical rows (one per reach out) into the stored partitions; fills the counts of ``report``."""
    from .normalize import to_canonical

    new = to_canonical(new)
    new_month = pc.strftime(new.column("created_at"), format="%Y-%m").combine_chunks() if new.num_rows \
        else pa.array([], pa.string())
    stored = _stored(root)
    ids = new.column("reach_out_id")
    pos = pc.fill_null(pc.index_in(ids, value_set=stored.column("reach_out_id")), -1).to_numpy()
    pos = np.asarray(pos, dtype=np.int64)
    matched = pos >= 0
    oldest = np.iinfo(np.int64).min
    new_u = pc.fill_null(new.column("updated_at").cast(pa.int64()), oldest).to_numpy()
    old_u = pc.fill_null(stored.column("updated_at").cast(pa.int64()), oldest).to_numpy()
    rows = np.nonzero(matched)[0]
    newer, older = np.zeros(len(new_u), bool), np.zeros(len(new_u), bool)
    newer[rows] = new_u[rows] > old_u[pos[rows]]
    older[rows] = new_u[rows] < old_u[pos[rows]]
    tie = matched & ~newer & ~older
    old_month = stored.column("month").to_numpy(zero_copy_only=False).astype(object)
    months_new = new_month.to_numpy(zero_copy_only=False).astype(object)
    cache: dict[str, pa.Table] = {}

    def partition(month: str) -> pa.Table:
        if month not in cache:
            cache[month] = _read_partition(root, month)
        return cache[month]

    differs = np.zeros(len(new_u), bool)
    if tie.any():  # same updated_at: a change only when the row itself differs (else nothing to write)
        tie_rows = np.nonzero(tie)[0]
        for month in sorted(set(old_month[pos[tie_rows]])):
            here = tie_rows[old_month[pos[tie_rows]] == month]
            part = partition(month)
            where = pc.index_in(ids.take(pa.array(here)), value_set=part.column("reach_out_id"))
            differs[here] = ~_rows_equal(new.take(pa.array(here)), part.take(where))
    replace = newer | (tie & differs)
    added = ~matched
    report.added, report.updated = int(added.sum()), int(replace.sum())
    report.unchanged, report.stale = int((tie & ~differs).sum()), int(older.sum())
    incoming = added | replace
    removed_ids: dict[str, list[int]] = {}
    for r in np.nonzero(replace)[0]:
        removed_ids.setdefault(old_month[pos[r]], []).append(r)
    months = sorted(set(months_new[incoming]) | set(removed_ids))
    for month in months:
        part = partition(month)
        if month in removed_ids:
            gone = ids.take(pa.array(removed_ids[month]))
            part = part.filter(pc.invert(pc.is_in(part.column("reach_out_id"), value_set=gone)))
        arriving = np.nonzero(incoming & (months_new == month))[0]
        if len(arriving):
            part = pa.concat_tables([part, new.take(pa.array(arriving)).select(_schema().names)])
        _write_partition(root, month, part)
    report.partitions_written = months


def ingest_reports(root: str | Path) -> list[dict[str, Any]]:
    """The stored reports of every ingest into a dataset, oldest first."""
    folder = Path(root) / INGESTS
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
