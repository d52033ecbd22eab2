"""Streaming: an export read as raw tables of at most ``CHUNK_ROWS`` rows (CSV and Parquet streamed, other
formats read whole), only the columns a plan asks for."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from talentstats.errors import InputError
from talentstats.load import rawcheck
from talentstats.load.guards import DEFAULT, arrow_input, check_values, text_columns
from talentstats.load.limits import Limits
from talentstats.load.read import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    SUPPORTED,
    RawTable,
    _csv_dialect,
    _suffix,
    read_raw,
)

#: rows per chunk when a file is streamed (bounds the memory a large export needs while it is normalised)
CHUNK_ROWS = 2_000_000



_BLOCK = 1 << 22  # CSV bytes parsed at a time (streamed: smaller blocks cost less CPU here)



_DICTIONARY = pa.dictionary(pa.int32(), pa.string())



@dataclass(frozen=True)
class ColumnPlan:
    """The raw columns a caller needs (``keep``; None = all) and those worth reading dictionary-encoded
    (few distinct values: campaigns, states, ...). Dictionary columns still hold text."""

    keep: frozenset[str] | None = None
    dictionary: frozenset[str] = frozenset()

    def columns(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if self.keep is None or n in self.keep]



def iter_raw(path: str | Path, sheet: str | int | None = None,
             plan: Callable[[list[str]], ColumnPlan] | None = None,
             chunk_rows: int | None = None, limits: Limits = DEFAULT) -> Iterator[RawTable]:
    """Read one export file as raw tables of at most ``chunk_rows`` rows (default :data:`CHUNK_ROWS`).

    CSV and Parquet are streamed (a file larger than memory is never held whole); the other formats come in
    one piece. ``plan`` receives the header names and chooses the columns to read. Each chunk's line numbers
    continue where the previous chunk's stopped; a file that does not stream cleanly (bad encoding, a broken
    row) is read by :func:`read_raw`, whose errors name the file, line and column. Every chunk is within
    ``limits`` (:class:`~talentstats.load.limits.Limits`), checked as the file is read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    rows = chunk_rows or CHUNK_ROWS
    suffix = _suffix(path)
    if suffix in PARQUET_SUFFIXES:
        chunks = _iter_parquet(path, plan, rows)
    elif suffix in CSV_SUFFIXES or suffix not in SUPPORTED and suffix != ".xls":
        chunks = _iter_csv(path, plan, rows, limits)
    else:
        chunks = iter([_project(read_raw(path, sheet, limits), plan)])
    for raw in chunks:
        check_values(raw, limits)
        yield raw



def _project(raw: RawTable, plan: Callable[[list[str]], ColumnPlan] | None) -> RawTable:
    if plan is None:
        return raw
    p = plan(raw.table.column_names)
    if p.keep is not None:
        raw.table = raw.table.select(p.columns(raw.table.column_names))
    return raw



def _chunks_of(batches: Iterable[pa.RecordBatch], schema: pa.Schema, rows: int) -> Iterator[pa.Table]:
    """Record batches regrouped into tables of about ``rows`` rows (no copies)."""
    held: list[pa.RecordBatch] = []
    count, given = 0, False
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(held, schema)
            held, count, given = [], 0, True
    if held or not given:
        yield pa.Table.from_batches(held, schema)



def _iter_csv(path: Path, plan: Callable[[list[str]], ColumnPlan] | None, rows: int,
              limits: Limits) -> Iterator[RawTable]:

    gz, encoding, delimiter, names = _csv_dialect(path, limits)
    p = plan(names) if plan else ColumnPlan()
    keep = p.columns(names)
    if encoding != "utf-8" or not keep:  # transcoded files: the whole-file reader and its fallbacks
        yield _project(read_raw(path, limits=limits), plan)
        return
    types = {n: _DICTIONARY if n in p.dictionary else pa.string() for n in keep}
    read = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK, use_threads=not gz)  # (read.py)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(column_types=types, include_columns=keep, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    done = 0  # rows already handed out
    pending: pa.Table | None = None
    try:
        with arrow_input(path, gz, limits) as stream:
            reader = pacsv.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
            try:
                for table in _chunks_of(reader, reader.schema, rows):
                    if pending is not None:
                        yield _csv_chunk(path, pending, done, gz, encoding, delimiter, limits)
                        done += pending.num_rows
                    pending = table
            finally:
                reader.close()  # (its read-ahead stopped before the stream closes, also on an error)
    except (pa.ArrowInvalid, OSError, EOFError):
        # read_raw raises the located error (or reads what the stream could not, e.g. cp1252 after the head)
        whole = _project(read_raw(path, limits=limits), plan)
        whole.table = whole.table.slice(done)
        whole.first_line += done
        if whole.row_lines is not None:
            lines = whole.row_lines
            whole.row_lines = lambda: _offset_lines(lines, done)
        yield whole
        return
    if pending is not None:
        pending = rawcheck.trim_trailing_blank_rows(pending)
        yield _csv_chunk(path, pending, done, gz, encoding, delimiter, limits)



def _offset_lines(lines: Any, done: int) -> np.ndarray | None:
    found = lines() if callable(lines) else lines
    return None if found is None else np.asarray(found)[done:]



def _csv_chunk(path: Path, table: pa.Table, done: int, gz: bool, encoding: str, delimiter: str,
               limits: Limits) -> RawTable:

    def lines() -> np.ndarray | None:
        found = rawcheck.csv_row_lines(path, gz, encoding, delimiter, done + table.num_rows, limits)
        return None if found is None else found[done:]

    return RawTable(str(path), table, first_line=2 + done, row_lines=lines)



def _iter_parquet(path: Path, plan: Callable[[list[str]], ColumnPlan] | None, rows: int) -> Iterator[RawTable]:
    import pyarrow.parquet as pq  # (imported for Parquet inputs only: start-up time)

    try:
        meta = pq.ParquetFile(path)
        schema = meta.schema_arrow
        p = plan(schema.names) if plan else ColumnPlan()
        keep = p.columns(schema.names)
        text = [n for n in keep if n in p.dictionary and pa.types.is_string(schema.field(n).type)]
        pf = pq.ParquetFile(path, read_dictionary=text) if text else meta
        batches = pf.iter_batches(batch_size=min(rows, 1 << 20), columns=keep)
        out_schema = pa.schema([pf.schema_arrow.field(n) for n in keep])
        done = 0
        for table in _chunks_of(batches, out_schema, rows):
            yield RawTable(str(path), text_columns(table), first_line=1 + done, unit="row")
            done += table.num_rows
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"cannot read Parquet: {str(err).splitlines()[0]}", file=str(path))
