"""The write side of the canonical dataset: ``ingest`` merges exports into it (see :mod:`talentstats.dataset.read`
for the layout)."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.atomic import atomic_write_bytes
from talentstats.dataset.read import FORMAT, INGESTS, MARKER, PART, VERSION, _check, _dataset, is_dataset
from talentstats.errors import InputError
from talentstats.load.accounting import REJECT_COLUMNS, LoadReport, raise_if_rejected
from talentstats.load.arrow import _codes
from talentstats.load.columns import CANONICAL
from talentstats.load.loader import normalized_chunks
from talentstats.load.messages import read_opens, split_messages
from talentstats.load.normalize import ARROW_SCHEMA, collapse_arrow, to_canonical
from talentstats.load.options import LoadOptions
from talentstats.load.read import expand_paths
from talentstats.safecsv import write_rejects

#: what merging did to a reach out, per row (see IngestReport)
ADDED, UPDATED, UNCHANGED, STALE = 0, 1, 2, 3


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
            "columns": {f.name: str(f.type) for f in ARROW_SCHEMA}}
    atomic_write_bytes(root / MARKER, json.dumps(info, indent=2).encode())


def _write_partition(root: Path, month: str, table: pa.Table) -> None:
    import pyarrow.parquet as pq  # (only a dataset needs it: start-up time)

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
    """(reach_out_id, updated_at, opened, month) of every stored row."""
    if not any(root.glob(f"month=*/{PART}")):
        return pa.table({"reach_out_id": pa.array([], pa.string()),
                         "updated_at": pa.array([], pa.timestamp("us", tz="UTC")),
                         "opened": pa.array([], pa.bool_()), "month": pa.array([], pa.string())})
    return _dataset(root).to_table(columns=["reach_out_id", "updated_at", "opened", "month"])



def _read_partition(root: Path, month: str, only: Any = None) -> pa.Table:
    """A month's stored rows (``only`` those reach out ids: filtered while the file is scanned)."""
    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)
    import pyarrow.parquet as pq  # (only a dataset needs it: start-up time)

    path = root / f"month={month}" / PART
    if not path.exists():
        return ARROW_SCHEMA.empty_table()
    if only is None:
        return pq.read_table(path, schema=ARROW_SCHEMA)
    return ds.dataset(path, schema=ARROW_SCHEMA, format="parquet").to_table(
        filter=ds.field("reach_out_id").isin(only))



def _rows_equal(a: pa.Table, b: pa.Table) -> np.ndarray:
    """Row-wise equality of two tables of the same schema (nulls equal nulls)."""
    same = np.ones(a.num_rows, dtype=bool)
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        eq = pc.fill_null(pc.equal(x, y), False).to_numpy(zero_copy_only=False)
        both_null = (pc.is_null(x).to_numpy(zero_copy_only=False) & pc.is_null(y).to_numpy(zero_copy_only=False))
        same &= eq | both_null
    return same



def ingest(exports: Sequence[str | Path], into: str | Path, options: LoadOptions | None = None) -> IngestReport:
    """Normalise ``exports`` and merge them into the dataset at ``into`` (created if missing); returns (and
    stores under ``into/_ingests``) the report.

    Exports are streamed: every chunk (:data:`INGEST_CHUNK_ROWS` rows) is normalised and merged in
    turn, so an export larger than memory can be ingested (what is held: one chunk, the ids ingested so far and
    the opens of the messages exports). With ``options.strict`` every row is checked before anything is written.
    """
    options = options or LoadOptions()
    sheet = options.sheet

    root = Path(into)
    if root.exists() and not root.is_dir():
        raise InputError("not a folder", file=str(root))
    if root.is_dir() and any(root.iterdir()) and not is_dataset(root):
        raise InputError("folder exists and is not a talentstats dataset (choose a new or empty folder)",
                         file=str(root))
    if any(is_dataset(p) for p in exports):
        raise InputError("ingest reads export files, not a dataset", file=str(next(p for p in exports
                                                                                    if is_dataset(p))))
    files, message_files = split_messages(expand_paths(exports), list(options.messages), options.header_map, sheet)
    if not files:
        raise InputError("no reach-out export among the inputs (only messages exports)",
                         file=str(message_files[0]) if message_files else None)
    if options.strict:
        checked, rejected = LoadReport(), []
        for _ in normalized_chunks(files, options, checked, rejected):
            if rejected:
                break
        if rejected:
            checked.rejects = pd.concat(rejected, ignore_index=True)
            raise_if_rejected(checked)
    started = dt.datetime.now(dt.UTC)
    root.mkdir(parents=True, exist_ok=True)
    if not is_dataset(root):
        _write_marker(root)
    _check(root)
    load, rejects = LoadReport(), []
    opens = read_opens(message_files, rejects, sheet) if message_files else None
    report = IngestReport(id=started.strftime("%Y%m%dT%H%M%S.%fZ"), ingested_at=started.isoformat(),
                          exports=[], messages=[str(p) for p in message_files], load={}, opens_source=None)
    seen: list[pa.Array] = []  # ids ingested so far: a later chunk's copy of one is a duplicate of this ingest
    outcomes: list[np.ndarray] = []  # what happened to each of them (a later copy may change it)
    export_opens = False
    for chunk in normalized_chunks(files, options, load, rejects, chunk_rows=INGEST_CHUNK_ROWS):
        chunk, collapsed = collapse_arrow(chunk)
        ids = chunk.column("reach_out_id").combine_chunks()
        again = pc.is_in(ids, value_set=pa.concat_arrays(seen)).to_numpy(zero_copy_only=False) if seen \
            else np.zeros(len(ids), dtype=bool)
        load.duplicates_collapsed += collapsed + int(again.sum())
        load.rows_loaded += chunk.num_rows - int(again.sum())
        export_opens |= chunk.column("opened").null_count < chunk.num_rows
        if opens is not None:
            chunk = opens.apply(chunk, load, again)
        # (the loader's duplicate rule, chunk to chunk; a reach out met again in this ingest is not kept opened
        # from its earlier copy: a load of these exports would not keep it either)
        outcome = _merge(root, chunk.select(list(CANONICAL)), report, ~again)
        if again.any():  # a reach out met again: what this ingest did to it, all copies considered
            done = np.concatenate(outcomes)
            where = pc.index_in(ids.filter(pa.array(again)), value_set=pa.concat_arrays(seen)).to_numpy()
            done[where] = _combine(done[where], outcome[again])
            outcomes = [done]
        seen.append(ids.filter(pa.array(~again)))
        outcomes.append(outcome[~again])
    sources = ["reach-out export"] if export_opens else []
    if opens is not None:
        opens.finish(pa.chunked_array(seen, pa.string()), load)
        sources.append("messages export")

    load.opens_source = " + ".join(sources) or None
    load.rejects = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
    load.rows_rejected = int(load.rejects["file"].isin(load.files).sum())
    report.exports, report.load, report.opens_source = list(load.files), load.as_dict(), load.opens_source
    report.rejects = load.reject_summary()
    report.partitions_written = sorted(set(report.partitions_written))
    counts = np.bincount(np.concatenate(outcomes), minlength=4) if outcomes else np.zeros(4, dtype=np.int64)
    report.added, report.updated, report.unchanged, report.stale = (int(c) for c in counts[:4])
    report.rows_in_dataset = _stored(root).num_rows
    folder = root / INGESTS
    folder.mkdir(exist_ok=True)
    if len(load.rejects):

        path = folder / f"{report.id}-rejects.csv"
        write_rejects(load.rejects, path)
        report.rejects_file = str(path.relative_to(root))
    atomic_write_bytes(folder / f"{report.id}.json", json.dumps(report.as_dict(), indent=2, default=str).encode())
    return report



#: rows normalised and merged at a time by ingest: what bounds its memory besides the ids already ingested
INGEST_CHUNK_ROWS = 1_000_000



def _merge(root: Path, new: pa.Table, report: IngestReport, keep_opens: np.ndarray | None = None) -> np.ndarray:
    """Merge canonical rows (one per reach out) into the stored partitions, rewriting only the months that
    change; returns what happened to each row (ADDED, UPDATED, UNCHANGED or STALE). Rows without open information
    keep the stored opens (only those of ``keep_opens``, when given)."""

    new_month = pc.strftime(new.column("created_at"), format="%Y-%m").combine_chunks() if new.num_rows \
        else pa.array([], pa.string())
    stored = _stored(root)
    ids = new.column("reach_out_id")
    pos = np.asarray(pc.fill_null(pc.index_in(ids, value_set=stored.column("reach_out_id")), -1).to_numpy(),
                     dtype=np.int64)
    matched = pos >= 0
    keep = matched if keep_opens is None else matched & keep_opens
    if keep.any():  # an export that says nothing about opens keeps the opens stored (from a messages export)
        known = stored.column("opened").take(pa.array(pos, mask=~keep))  # (null where not stored)
        at = new.schema.get_field_index("opened")
        new = new.set_column(at, "opened", pc.coalesce(new.column("opened"), known))
    oldest = np.iinfo(np.int64).min
    new_u = pc.fill_null(new.column("updated_at").cast(pa.int64()), oldest).to_numpy()
    old_u = pc.fill_null(stored.column("updated_at").cast(pa.int64()), oldest).to_numpy()
    rows = np.nonzero(matched)[0]
    newer, older = np.zeros(len(new_u), bool), np.zeros(len(new_u), bool)
    newer[rows] = new_u[rows] > old_u[pos[rows]]
    older[rows] = new_u[rows] < old_u[pos[rows]]
    tie = matched & ~newer & ~older
    labels, old_m, new_m = _month_codes(stored.column("month"), new_month)
    del stored
    differs = np.zeros(len(new_u), bool)
    if tie.any():  # same updated_at: a change only when the row itself differs (else nothing to write)
        tie_rows = np.nonzero(tie)[0]
        tie_m = old_m[pos[tie_rows]]
        for code in np.unique(tie_m):
            here = tie_rows[tie_m == code]
            wanted = ids.take(pa.array(here))
            part = _read_partition(root, labels[code], only=wanted)  # just those rows, streamed out of the file
            where = pc.index_in(wanted, value_set=part.column("reach_out_id"))
            differs[here] = ~_rows_equal(to_canonical(new.take(pa.array(here))), part.take(where))
    replace = newer | (tie & differs)
    outcome = np.full(len(new_u), STALE, dtype=np.int8)
    outcome[~matched] = ADDED
    outcome[replace] = UPDATED
    outcome[tie & ~differs] = UNCHANGED
    incoming = ~matched | replace
    replaced = np.nonzero(replace)[0]
    replaced_m = old_m[pos[replaced]]  # the month each replaced row is stored in now
    months = np.union1d(np.unique(new_m[incoming]), np.unique(replaced_m))
    for code in months:  # one month in memory at a time
        part = _read_partition(root, labels[code])
        gone = replaced[replaced_m == code]
        if len(gone):
            part = part.filter(pc.invert(pc.is_in(part.column("reach_out_id"), value_set=ids.take(pa.array(gone)))))
        arriving = np.nonzero(incoming & (new_m == code))[0]
        if len(arriving):
            part = pa.concat_tables([part, to_canonical(new.take(pa.array(arriving)).select(ARROW_SCHEMA.names))])
        _write_partition(root, labels[code], part)
        del part
    months = [labels[c] for c in months]
    report.partitions_written += months
    return outcome



def _month_codes(stored: Any, new: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(month labels, each stored row's code, each new row's code): months as small integers - a few distinct
    values, so no per-row Python strings."""

    old_vals, old_c = _codes(pa.chunked_array([stored]) if isinstance(stored, pa.Array) else stored)
    new_vals, new_c = _codes(pa.chunked_array([new]) if isinstance(new, pa.Array) else new)
    labels = sorted(set(old_vals.to_pylist()) | set(new_vals.to_pylist()))
    index = {m: i for i, m in enumerate(labels)}

    def unified(values: pa.Array, codes: np.ndarray) -> np.ndarray:
        lookup = np.array([index[m] for m in values.to_pylist()], dtype=np.int64)
        return lookup[codes] if len(codes) else np.zeros(0, dtype=np.int64)

    return labels, unified(old_vals, old_c), unified(new_vals, new_c)



def _combine(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """What an ingest did to a reach out it met twice: new stays new, a replacement stays one, else the later
    copy's outcome if it changed or matched the stored row."""
    out = np.where(after == UPDATED, UPDATED, np.where(after == UNCHANGED, UNCHANGED, before))
    return np.where((before == ADDED) | (before == UPDATED), before, out)



def ingest_reports(root: str | Path) -> list[dict[str, Any]]:
    """The stored reports of every ingest into a dataset, oldest first."""
    folder = Path(root) / INGESTS
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
