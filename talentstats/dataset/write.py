"""The write side of the canonical dataset: ``ingest`` merges exports into it, one transaction per ingest (see
:mod:`talentstats.dataset.read` for the layout and :mod:`talentstats.dataset.merge` for the merge)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.atomic import atomic_write_bytes
from talentstats.dataset.merge import convert_legacy, finish_conversion, merge_into
from talentstats.dataset.snapshot import INGESTS, is_dataset, is_legacy
from talentstats.errors import InputError
from talentstats.load.accounting import REJECT_COLUMNS, LoadReport, raise_if_rejected
from talentstats.load.columns import CANONICAL
from talentstats.load.loader import normalized_chunks
from talentstats.load.messages import read_opens, split_messages
from talentstats.load.normalize import collapse_arrow
from talentstats.load.options import LoadOptions
from talentstats.load.read import expand_paths
from talentstats.safecsv import write_rejects


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
    dataset_version: int = 0  # the version the dataset is at after this ingest (committed by it or not)
    committed: bool = False  # whether this ingest committed that version (an unchanged re-ingest commits nothing)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain values (``ingest --format json``, ``_ingests/<id>.json``)."""
        return asdict(self)


def ingest(exports: Sequence[str | Path], into: str | Path, options: LoadOptions | None = None) -> IngestReport:
    """Normalise ``exports`` and merge them into the dataset at ``into`` (created if missing) in one transaction;
    returns (and stores under ``into/_ingests``) the report.

    Exports are streamed in chunks (:data:`INGEST_CHUNK_ROWS` rows), collapsed to one row per reach out with the
    loader's duplicate rule, and merged with one MERGE (:func:`talentstats.dataset.merge.merge_into`): a killed
    or failed ingest leaves the version before it whole; one that another ingest beats is merged again from the
    new version. A dataset of the layout before Delta Lake is converted first (once). With ``options.strict``
    every row is checked before anything is written.

    Args:
        exports: export files or folders.
        into: the dataset folder.
        options: how to read the exports.

    Returns:
        :class:`IngestReport`.

    Raises:
        InputError: an export that cannot be read, a folder that is not a dataset, a damaged dataset or a failed
            write (nothing committed).
        ConcurrentIngestError: other ingests committed first, every time this one tried.
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
    files, message_files = split_messages(expand_paths(exports), list(options.messages), options.header_map, sheet,
                                          options.limits)
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
    report = IngestReport(id=started.strftime("%Y%m%dT%H%M%S.%fZ"), ingested_at=started.isoformat(),
                          exports=[], messages=[str(p) for p in message_files], load={}, opens_source=None)
    root.mkdir(parents=True, exist_ok=True)
    if is_legacy(root):
        convert_legacy(root, report.id + "-conversion")
    finish_conversion(root)
    load, rejects = LoadReport(), []
    opens = read_opens(message_files, rejects, sheet, options.limits) if message_files else None
    seen: list[pa.Array] = []  # ids ingested so far: a later chunk's copy of one is a duplicate of this ingest
    parts: list[pa.Table] = []
    repeated: list[pa.Array] = []  # ids met again in a later chunk
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
        seen.append(ids.filter(pa.array(~again)))
        repeated.append(ids.filter(pa.array(again)))
        parts.append(chunk.select([*CANONICAL, "_order"]))
    sources = ["reach-out export"] if export_opens else []
    if opens is not None:
        opens.finish(pa.chunked_array(seen, pa.string()), load)
        sources.append("messages export")
    del seen
    new = _one_row_each(parts, repeated)
    merged = merge_into(root, new, report.id)
    del new

    load.opens_source = " + ".join(sources) or None
    load.rejects = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
    load.rows_rejected = int(load.rejects["file"].isin(load.files).sum())
    report.exports, report.load, report.opens_source = list(load.files), load.as_dict(), load.opens_source
    report.rejects = load.reject_summary()
    report.partitions_written = merged.months
    counts = np.bincount(merged.outcome, minlength=4) if len(merged.outcome) else np.zeros(4, dtype=np.int64)
    report.added, report.updated, report.unchanged, report.stale = (int(c) for c in counts[:4])
    report.rows_in_dataset, report.dataset_version, report.committed = merged.rows, merged.version, merged.committed
    folder = root / INGESTS
    folder.mkdir(exist_ok=True)
    if len(load.rejects):
        path = folder / f"{report.id}-rejects.csv"
        write_rejects(load.rejects, path)
        report.rejects_file = str(path.relative_to(root))
    atomic_write_bytes(folder / f"{report.id}.json", json.dumps(report.as_dict(), indent=2, default=str).encode())
    return report


def _one_row_each(parts: list[pa.Table], repeated: list[pa.Array]) -> pa.Table:
    """The chunks of an ingest (each one row per reach out already) as one table, one row per reach out: for the
    ids met in several chunks, the loader's duplicate rule (the latest ``updated_at``, else the later row) picks
    the row kept; only the chunks holding a row dropped are copied."""
    if not parts:
        from talentstats.load.normalize import CHUNK_SCHEMA

        return CHUNK_SCHEMA.empty_table().select(list(CANONICAL))
    again = pc.unique(pa.chunked_array(repeated, pa.string())) if repeated else None
    if again is not None and len(again):
        copies = [p.filter(pc.is_in(p.column("reach_out_id"), value_set=again)) for p in parts]
        kept = collapse_arrow(pa.concat_tables(copies, promote_options="permissive"))[0].column("_order")
        for i, part in enumerate(parts):
            if copies[i].num_rows:
                drop = pc.and_(pc.is_in(part.column("reach_out_id"), value_set=again),
                               pc.invert(pc.is_in(part.column("_order"), value_set=kept)))
                parts[i] = part.filter(pc.invert(drop))
    table = pa.concat_tables(parts, promote_options="permissive").select(list(CANONICAL))
    parts.clear()
    return table


#: rows normalised at a time by ingest: what bounds its memory besides the reach outs of the ingest
INGEST_CHUNK_ROWS = 1_000_000


def ingest_reports(root: str | Path) -> list[dict[str, Any]]:
    """The stored reports of every ingest into a dataset, oldest first.

    Args:
        root: the dataset folder.

    Returns:
        The reports, as stored.
    """
    folder = Path(root) / INGESTS
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
