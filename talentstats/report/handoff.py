"""What a report run and its notebook kernels exchange: the loaded data going in, the headline numbers coming out.

A report run loads the exports once and writes the canonical table with its load report to a *snapshot* (one Arrow
IPC file, uncompressed and read memory-mapped, and the messages of a messages export in a second one beside it);
every notebook kernel reads that snapshot (:func:`read_snapshot`) instead of parsing the exports again. Arrow IPC
rather than Parquet: at 10M reach outs it is written and read in a fraction of the time (no encoding to undo), and
each column is written as one batch, so the kernel's table has one chunk per column (picking rows from an Arrow
string column of many chunks is tens of times slower, and every section picks rows). The notebook records its
headline numbers as a display output of type :data:`HEADLINE_MIME`, which the run reads back from the executed
notebook (:func:`read_headline`) for the summary and the index page.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from talentstats.errors import InputError
from talentstats.load.accounting import REJECT_COLUMNS, Loaded, LoadReport, MessagesReport
from talentstats.load.columns import PII
from talentstats.load.normalize import to_pandas

#: the MIME type of the headline record a report notebook displays (invisible in HTML; read by the index)
HEADLINE_MIME = "application/vnd.talentstats.headline+json"
#: the schema metadata key of a snapshot's load report
_LOAD_KEY = b"talentstats.load"
#: the schema metadata key naming a snapshot's messages file (absent: no messages export)
_MESSAGES_KEY = b"talentstats.messages"
SNAPSHOT_NAME = "snapshot.arrow"
#: the first bytes of an Arrow IPC file (a snapshot of an earlier version is a Parquet file: read as one)
_IPC_MAGIC = b"ARROW1"


def write_snapshot(loaded: Loaded, path: str | Path, *, pii: bool = True, rows: np.ndarray | None = None) -> Path:
    """Write a loaded table and its load report to one Arrow IPC file, for :func:`read_snapshot`.

    The load report keeps its counts, files and the reasons of rejected rows (their raw values are left out).
    The messages (no personal data: ids, steps and times) go to ``<path stem>.messages.arrow`` beside it.

    Args:
        loaded: the canonical pandas table and its report (see :func:`talentstats.load.loader.load`).
        path: the file to write.
        pii: keep the prospect names and emails; without, their columns are written empty (all missing).
        rows: a boolean mask of the table's rows to write (see :func:`talentstats.report.needed.needed_rows`);
            None: all of them. The load report and the messages are written whole either way (the messages
            without their ``ro`` column, the row of their reach out, when rows are left out).

    Returns:
        ``path``.
    """
    path = Path(path)
    table = _snapshot_table(loaded.table, pii, rows)
    meta = {**(table.schema.metadata or {}), _LOAD_KEY: json.dumps(_report_dict(loaded.report)).encode()}
    if loaded.messages is not None:
        messages = path.with_name(path.stem + ".messages.arrow")
        sent = _arrow(loaded.messages)
        if rows is not None and "ro" in sent.column_names:  # (the row of each message's reach out in the whole
            sent = sent.drop_columns(["ro"])  # table: wrong in a cut one; without it steps join on the ids)
        _write_ipc(sent, messages)
        meta[_MESSAGES_KEY] = messages.name.encode()
    _write_ipc(table.replace_schema_metadata(meta), path)
    return path


def _snapshot_table(frame: pd.DataFrame, pii: bool, rows: np.ndarray | None) -> pa.Table:
    """The pandas table as Arrow with one chunk per column: ``rows`` picked column by column (a whole table's
    filter and combine_chunks took twice as long at 10M rows), the PII columns all missing without ``pii``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)  # (zero-copy for the loader's columns)
    mask = None if rows is None else pa.array(rows, type=pa.bool_())
    n = len(table) if mask is None else int(np.count_nonzero(rows))
    columns = []
    for field in table.schema:  # (a dozen columns)
        if not pii and field.name in PII:
            columns.append(pa.nulls(n, field.type))  # (not picked from: an empty column)
            continue
        column = table.column(field.name)
        columns.append((column if mask is None else column.filter(mask)).combine_chunks())
    return pa.Table.from_arrays(columns, schema=table.schema)


def _write_ipc(table: pa.Table, path: Path) -> None:
    """``table`` as an uncompressed Arrow IPC file, renamed into place (a table of one chunk per column as one
    record batch; an IPC file holds one dictionary per column, so the chunks' dictionaries are unified first)."""
    table = table.unify_dictionaries()
    # uncompressed: the kernel maps the file and makes its table from the pages (at 10M reach outs LZ4 took ~1.5 s
    # to write and ~1.9 s to read; this ~0.5 s and ~0.3 s) for ~3x the bytes (~1.1 GB at 10M rows) in the run's
    # temporary folder, removed when the run ends
    options = pa.ipc.IpcWriteOptions(compression=None)
    staged = path.with_name(path.name + ".part")
    with pa.OSFile(str(staged), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table, max_chunksize=max(len(table), 1))
    os.replace(staged, path)  # (a new file: a table mapped from one written before at this path stays as it was)


def _read_table(path: Path) -> pa.Table:
    """A snapshot file as an Arrow table, memory-mapped (a snapshot written again at the same path is a new file,
    see :func:`_write_ipc`: the table kept by :func:`read_snapshot` does not change)."""
    with open(path, "rb") as fh:
        magic = fh.read(len(_IPC_MAGIC))
    if magic != _IPC_MAGIC:
        return pq.read_table(path)
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()  # (the table's buffers keep the map)


def _arrow(messages: Any) -> pa.Table:
    """The messages as an Arrow table (the loader's is one; a pandas frame is converted)."""
    if isinstance(messages, pa.Table):
        return messages
    return pa.Table.from_pandas(messages, preserve_index=False)


def read_snapshot(path: str | Path, categorical: bool | None = None) -> Loaded:
    """The table and load report written by :func:`write_snapshot`.

    The last snapshot read is kept in this process (keyed by its path, size, modification time and
    ``categorical``): a report kernel renders every period of a run from one snapshot and reads it once. Each
    call returns its own table (a copy-on-write copy: changing it does not change the kept one) and report.

    Args:
        path: the snapshot file.
        categorical: keep few-valued text as pandas categoricals (as ``LoadOptions.categories`` loads do);
            None: as the table written had it.

    Returns:
        ``Loaded(table, report, messages)``, the table typed as the loader types it; messages the Arrow table
        the loader made (None when the load had no messages export).

    Raises:
        InputError: the file is missing or is not a snapshot.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, categorical)
    if _KEPT.get("key") != key:
        _KEPT.clear()  # (one snapshot at a time: the previous one's memory goes first)
        _KEPT.update(key=key, read=_read(path, categorical))
    table, report, messages = _KEPT["read"]
    return Loaded(table.copy(deep=False), _report_from(report), messages)


#: the last snapshot read: {"key": (path, size, mtime, categorical), "read": (table, report dict, messages)}
_KEPT: dict[str, Any] = {}


def _read(path: Path, categorical: bool | None) -> tuple[pd.DataFrame, dict[str, Any], pa.Table | None]:
    """:func:`read_snapshot` from the file: the pandas table, the load report as a dict, the messages."""
    try:
        table = _read_table(path)
        report = table.schema.metadata[_LOAD_KEY]
    except (pa.ArrowException, OSError, KeyError, TypeError) as err:
        raise InputError(f"not a report snapshot ({type(err).__name__})", file=str(path))
    messages = None
    if _MESSAGES_KEY in table.schema.metadata:
        beside = path.with_name(Path(table.schema.metadata[_MESSAGES_KEY].decode()).name)
        try:
            messages = _read_table(beside)
        except (pa.ArrowException, OSError) as err:
            raise InputError(f"the snapshot's messages cannot be read ({type(err).__name__})", file=str(beside))
    if categorical is None:  # (as written: a categorical column is written dictionary-encoded)
        categorical = any(pa.types.is_dictionary(f.type) for f in table.schema)
    return (to_pandas(table.replace_schema_metadata(None), categorical=categorical), json.loads(report),
            messages)


def _report_dict(report: LoadReport) -> dict[str, Any]:
    rejects = report.rejects
    return {**report.as_dict(), "files": list(report.files), "opens_source": report.opens_source,
            "rejects": {c: [_plain(v) for v in rejects[c].tolist()] if c in rejects else [None] * len(rejects)
                        for c in REJECT_COLUMNS}}


def _plain(value: Any) -> Any:
    """A JSON value (numpy scalars as Python ones, missing values as None)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _report_from(d: dict[str, Any]) -> LoadReport:
    messages = MessagesReport(**d["messages"]) if d.get("messages") is not None else None
    rejects = pd.DataFrame(d["rejects"], columns=REJECT_COLUMNS)
    report = LoadReport(rows_read=d["rows_read"], rows_loaded=d["rows_loaded"], rows_rejected=d["rows_rejected"],
                        duplicates_collapsed=d["duplicates_collapsed"], files=list(d["files"]),
                        opens_source=d["opens_source"], messages=messages,
                        dataset_version=d.get("dataset_version"),
                        responded_at_from_updated_at=d.get("responded_at_from_updated_at", 0))
    report.rejects = rejects
    return report


def read_headline(executed: Path) -> dict[str, Any]:
    """The headline numbers an executed report notebook recorded (see ``WeeklyReport.record``).

    Args:
        executed: the executed notebook.

    Returns:
        The record ({} when there is none).
    """
    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                return dict(data[HEADLINE_MIME])
    return {}


__all__ = ["HEADLINE_MIME", "SNAPSHOT_NAME", "read_headline", "read_snapshot", "write_snapshot"]
