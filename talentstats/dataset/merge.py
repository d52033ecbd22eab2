"""One ingest, one transaction: an ingest's rows merged into the dataset's Delta table by one MERGE.

What each row does is decided against the version the MERGE reads (:func:`decide`): a reach out new to the
dataset is added; a stored one is replaced by a row with a later ``updated_at`` (unknown counts as oldest), or by a
different row with the same ``updated_at`` (the newer export wins); an equal row changes nothing; an older one is
stale (the stored row stays). A row without open information keeps the stored ``opened``. Only added and
replacing rows go into the MERGE (on ``reach_out_id``; its update is guarded by the same latest-wins rule), so an
ingest that changes nothing commits nothing.

The MERGE commits a new version or nothing: a killed or failed ingest leaves the version before it whole (its
half-written files are not in the log, and no reader reads them). When another ingest committed first, delta-rs
refuses the commit (``CommitFailedError``) and the ingest is decided and merged again from the new version, a few
times, before it gives up with :class:`~talentstats.errors.ConcurrentIngestError`. A new dataset starts as an
empty table (version 0; concurrent creations make one), and its first ingest is a MERGE like the others: a table
created with rows is a blind write, which delta-rs commits even after another ingest's (rows twice).
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.dataset.read import arrow_dataset, read_snapshot
from talentstats.dataset.snapshot import (
    MARKER,
    PARTITION,
    TABLE_SCHEMA,
    DataFile,
    Snapshot,
    delta_message,
    has_table,
    open_snapshot,
    open_table,
    snapshot_of,
    verified,
)
from talentstats.errors import ConcurrentIngestError, InputError
from talentstats.load.normalize import ARROW_SCHEMA, to_canonical

#: what merging did to a reach out, per row (see IngestReport)
ADDED, UPDATED, UNCHANGED, STALE = 0, 1, 2, 3
#: tries of an ingest whose commit other ingests beat (each decided again from the newest version)
ATTEMPTS = 5
#: the MERGE's own latest-wins rule (rows are chosen by :func:`decide`; this guards the engine too)
GUARD = "t.updated_at IS NULL OR s.updated_at >= t.updated_at"


@dataclass
class Merged:
    """What one ingest's transaction did: each row's outcome, the months written, the version it left."""

    outcome: np.ndarray
    months: list[str]
    version: int
    committed: bool
    rows: int


def month_labels(created_at: Any) -> pa.Array:
    """``YYYY-MM`` of each instant in UTC (the partition of a row), by integer arithmetic: no per-row strings."""
    ym = (pc.year(created_at).to_numpy(zero_copy_only=False).astype(np.int64) * 12
          + pc.month(created_at).to_numpy(zero_copy_only=False).astype(np.int64) - 1) if len(created_at) else \
        np.zeros(0, dtype=np.int64)
    values, codes = np.unique(ym, return_inverse=True)
    labels = pa.array([f"{v // 12:04d}-{v % 12 + 1:02d}" for v in values], pa.string())
    return labels.take(pa.array(codes.astype(np.int32))) if len(ym) else pa.array([], pa.string())


def _rows_equal(a: pa.Table, b: pa.Table) -> np.ndarray:
    """Row-wise equality of two tables of the same schema (nulls equal nulls)."""
    same = np.ones(a.num_rows, dtype=bool)
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        eq = pc.fill_null(pc.equal(x, y), False).to_numpy(zero_copy_only=False)
        both_null = (pc.is_null(x).to_numpy(zero_copy_only=False) & pc.is_null(y).to_numpy(zero_copy_only=False))
        same &= eq | both_null
    return same


def decide(snapshot: Snapshot, files: list[DataFile], new: pa.Table) -> tuple[np.ndarray, pa.Table, list[str]]:
    """What merging ``new`` (one row per reach out) into a version does.

    Args:
        snapshot: the version merged into.
        files: its (checked) files.
        new: the ingest's canonical rows, one per reach out.

    Returns:
        (each row's outcome: ADDED, UPDATED, UNCHANGED or STALE; the rows to write (canonical columns, text
        dictionary-encoded as given: see :func:`source_reader`); the months written: those of the rows written and
        those replaced rows leave).
    """
    kept = ("opened", "first_sent_at", "first_opened_at")  # what a messages export told, kept by later exports
    stored = read_snapshot(snapshot, files, ["reach_out_id", "updated_at", *kept, "created_at"])
    ids = new.column("reach_out_id")
    pos = np.asarray(pc.fill_null(pc.index_in(ids, value_set=stored.column("reach_out_id")), -1).to_numpy(),
                     dtype=np.int64)
    matched = pos >= 0
    if matched.any():  # an export that says nothing about opens keeps the opens stored (from a messages export)
        for name in kept:
            known = stored.column(name).take(pa.array(pos, mask=~matched))  # (null where not stored)
            new = new.set_column(new.schema.get_field_index(name), name, pc.coalesce(new.column(name), known))
    oldest = np.iinfo(np.int64).min
    new_u = pc.fill_null(new.column("updated_at").cast(pa.int64()), oldest).to_numpy()
    old_u = pc.fill_null(stored.column("updated_at").cast(pa.int64()), oldest).to_numpy()
    rows = np.nonzero(matched)[0]
    newer, older = np.zeros(len(new_u), bool), np.zeros(len(new_u), bool)
    newer[rows] = new_u[rows] > old_u[pos[rows]]
    older[rows] = new_u[rows] < old_u[pos[rows]]
    tie = matched & ~newer & ~older
    stored_month = np.full(len(new_u), None, dtype=object)
    touched = np.nonzero(matched & ~older)[0]  # (ties and replacements: their stored month is needed)
    if len(touched):
        stored_month[touched] = month_labels(stored.column("created_at").take(pa.array(pos[touched]))).to_pylist()
    del stored
    differs = np.zeros(len(new_u), bool)
    tie_rows = np.nonzero(tie)[0]
    for month in sorted(set(stored_month[tie_rows])):  # one month's files at a time, only the rows tied
        here = tie_rows[stored_month[tie_rows] == month]
        wanted = ids.take(pa.array(here))
        part = _stored_rows(snapshot, [f for f in files if f.month == month], wanted)
        where = pc.index_in(wanted, value_set=part.column("reach_out_id"))
        differs[here] = ~_rows_equal(to_canonical(new.take(pa.array(here)).select(ARROW_SCHEMA.names)),
                                     part.take(where))
    replace = newer | (tie & differs)
    outcome = np.full(len(new_u), STALE, dtype=np.int8)
    outcome[~matched] = ADDED
    outcome[replace] = UPDATED
    outcome[tie & ~differs] = UNCHANGED
    incoming = ~matched | replace
    rows = new if incoming.all() else new.filter(pa.array(incoming))  # (no copy when every row is written)
    months = set(month_labels(pc.unique(_month_start(rows.column("created_at")))).to_pylist())
    return outcome, rows.select(ARROW_SCHEMA.names), sorted(months | set(stored_month[replace]))


def _month_start(created_at: Any) -> Any:
    """Each instant's month as a timestamp (the first of the month): few distinct values, cheap to make unique."""
    return pc.floor_temporal(created_at, unit="month")


def source_reader(rows: pa.Table, batch_rows: int = 250_000) -> pa.RecordBatchReader:
    """The rows to write as a stream in the table's schema: decoded (dictionary-encoded text) and given their month
    a batch at a time, so that no second copy of an ingest is held while it is written.

    Args:
        rows: the rows to write, in the canonical columns.
        batch_rows: rows per batch.

    Returns:
        A reader delta-rs consumes once.
    """

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in rows.to_batches(max_chunksize=batch_rows):
            table = to_canonical(pa.Table.from_batches([batch]))
            table = table.append_column(PARTITION, month_labels(table.column("created_at"))).cast(TABLE_SCHEMA)
            yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(TABLE_SCHEMA, batches())


def _stored_rows(snapshot: Snapshot, files: list[DataFile], ids: pa.Array) -> pa.Table:
    """The stored rows of some reach outs (one month's files read, then filtered: Parquet statistics of delta-rs'
    text columns are not comparable to a text filter in pyarrow)."""
    rows = arrow_dataset(snapshot, files).to_table()
    return rows.filter(pc.is_in(rows.column("reach_out_id"), value_set=ids))


def _properties(ingest_id: str) -> dict[str, Any]:
    from deltalake import CommitProperties, WriterProperties

    return {"commit_properties": CommitProperties(custom_metadata={"talentstats.ingest": ingest_id}),
            "writer_properties": WriterProperties(compression="ZSTD")}


@contextlib.contextmanager
def rust_output_held() -> Iterator[None]:
    """Hold what delta-rs' threads print to the process's stderr while a write runs (a failed write makes its
    other worker threads panic, each printing a Rust backtrace): shown after a write that succeeds, dropped after
    one that fails (its error is then one line)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            if failed:
                time.sleep(0.01)  # (the other threads' panics)
            os.dup2(saved, 2)
            os.close(saved)
            if not failed:
                held.seek(0)
                text = held.read()
                if text:
                    os.write(2, text)


def _create(root: Path) -> None:
    """An empty table at ``root`` (version 0), its rows then merged like any ingest's: a table created with rows
    would be a blind write, which delta-rs may commit after another ingest's, duplicating reach outs."""
    from deltalake import DeltaTable

    DeltaTable.create(str(root), schema=TABLE_SCHEMA, partition_by=[PARTITION], mode="ignore",
                      name="talentstats reach outs")


def _merge(table: Any, source: pa.Table, ingest_id: str, stored_rows: int) -> Any:
    """MERGE ``source`` into ``table`` (at the version it was decided on) on ``reach_out_id``.

    A source at least as long as the table is streamed into the MERGE (no second copy of it is held: the first
    ingest, 1M reach outs: 0.93 GB peak -> 0.69 GB); a shorter one is handed over whole, so that the join holds the
    source rather than the table (1,000 reach outs into 1M: 0.70 GB -> 0.50 GB).
    """
    streamed = source.num_rows >= stored_rows
    rows = source_reader(source) if streamed else source_reader(source).read_all()
    (table.merge(rows, "t.reach_out_id = s.reach_out_id", source_alias="s", target_alias="t", streamed_exec=streamed,
                 merge_schema=True,  # (a dataset from before the event-time columns gains them)
                 **_properties(ingest_id))
     .when_matched_update_all(predicate=GUARD).when_not_matched_insert_all().execute())
    return table


def merge_into(root: Path, new: pa.Table, ingest_id: str) -> Merged:
    """Merge an ingest's rows (one per reach out) into the dataset at ``root`` in one transaction (an empty table,
    version 0, is created first when there is none), decided again from the newest version when another ingest
    commits first.

    Args:
        root: the dataset folder.
        new: the ingest's canonical rows, one per reach out.
        ingest_id: recorded in the commit (``talentstats.ingest``), as in ``_ingests/<id>.json``.

    Returns:
        :class:`Merged`.

    Raises:
        InputError: a missing or damaged data file (nothing is written to a damaged dataset), or the write
            failed (a full disk): the version before stays whole.
        ConcurrentIngestError: other ingests committed first every time.
    """
    from deltalake.exceptions import CommitFailedError

    if not has_table(root):
        try:
            with rust_output_held():
                _create(root)
        except Exception as err:  # noqa: BLE001 - delta-rs raises plain DeltaError for every kind of failure
            if not has_table(root):  # (else another ingest created it a moment ago)
                raise InputError(f"cannot create the dataset ({delta_message(err)})", file=str(root))
    for attempt in range(ATTEMPTS):
        table = open_table(root)
        snapshot = snapshot_of(table, root)
        files = verified(snapshot)
        outcome, source, months = decide(snapshot, files, new)
        if source.num_rows == 0:  # nothing changes: nothing is committed
            return Merged(outcome, [], snapshot.version, False, snapshot.rows)
        try:
            with rust_output_held():
                table = _merge(table, source, ingest_id, snapshot.rows)
        except CommitFailedError:
            pass
        except Exception as err:  # noqa: BLE001 - delta-rs raises plain DeltaError for every kind of failure
            raise InputError(f"cannot write the dataset ({delta_message(err)}); nothing of this ingest was "
                             f"committed: version {snapshot.version} stays as it was", file=str(root))
        else:
            after = snapshot_of(table, root)
            return Merged(outcome, months, after.version, True, after.rows)
        time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))  # (another ingest committed first: decide again)
    raise ConcurrentIngestError(str(root))


# --------------------------------------------------------------------------------------------- the old layout


def convert_legacy(root: Path, ingest_id: str) -> None:
    """Convert a dataset of the layout before Delta Lake (a marker file, ``month=YYYY-MM/part-0.parquet``) in
    place: its rows become version 0 of a Delta table (one commit: a conversion killed half-way leaves the old
    layout, converted by the next ingest), then the old files and the marker are removed. Ingests that meet the old
    layout at the same time convert it one after the other (a lock on the marker file): the first converts, the
    others find it done (a table written with its rows is a blind write, which delta-rs would commit twice).

    Args:
        root: the dataset folder.
        ingest_id: recorded in the commit.

    Raises:
        InputError: an old file that cannot be read (named), or the write failed.
    """
    import fcntl
    import json

    import pyarrow.dataset as ds  # (only a dataset needs it: start-up time)
    from deltalake import write_deltalake

    try:
        info = json.loads((root / MARKER).read_text(encoding="utf-8"))
        fmt, version = info.get("format"), int(info.get("version", 0))
    except (OSError, ValueError, TypeError, AttributeError) as err:
        raise InputError(f"the dataset's marker file cannot be read ({type(err).__name__})", file=str(root / MARKER))
    if fmt != "talentstats-dataset" or version != 1:
        raise InputError(f"not a dataset this version of talentstats can convert ({fmt} v{version})",
                         file=str(root / MARKER))
    old = sorted(root.glob(f"{PARTITION}=*/part-0.parquet"))
    partitioning = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    for path in old:  # (a damaged old file is named, not a traceback)
        try:
            ds.dataset(str(path), format="parquet").count_rows()
        except (OSError, pa.ArrowException) as err:
            raise InputError(f"cannot convert the dataset: not readable as Parquet ({str(err).splitlines()[0]})",
                             file=str(path))
    rows = ds.dataset([str(p) for p in old], format="parquet", schema=TABLE_SCHEMA, partitioning=partitioning,
                      partition_base_dir=str(root))
    with open(root / MARKER, "rb") as marker:  # one conversion at a time (released if the process dies)
        fcntl.flock(marker.fileno(), fcntl.LOCK_EX)
        if has_table(root):  # (another ingest converted it while this one waited)
            return
        try:
            with rust_output_held():
                write_deltalake(str(root), rows.scanner().to_reader(), partition_by=[PARTITION], mode="error",
                                **_properties(ingest_id))
        except Exception as err:  # noqa: BLE001 - delta-rs raises plain DeltaError for every kind of failure
            raise InputError(f"cannot convert the dataset ({delta_message(err)}); it is left as it was",
                             file=str(root))
    finish_conversion(root)


def finish_conversion(root: Path) -> None:
    """Remove what a conversion leaves of the old layout (its files, now outside the log, and the marker).

    Args:
        root: the dataset folder (converted).
    """
    if not (root / MARKER).exists() or not has_table(root):
        return
    active = {Path(f.path) for f in open_snapshot(root).files}
    for path in root.glob(f"{PARTITION}=*/part-0.parquet"):
        if path.resolve() not in active:
            path.unlink(missing_ok=True)
    (root / MARKER).unlink(missing_ok=True)
