"""Files -> raw tables: CSV (delimiter, BOM, gzip and encoding detected), XLSX, Parquet, JSON Lines, folders.

Raw tables keep the export's own headers and (for text formats) every value as a string; making sense of them
is :mod:`talentstats.normalize`'s job.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import InputError

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz")
SUPPORTED = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawTable:
    """One file's rows as read. ``first_line`` is the file line (or sheet row) of the first data row."""

    path: str
    table: pa.Table
    first_line: int = 2
    unit: str = "line"  # "line" for text files and sheets, "row" for Parquet


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(SUPPORTED, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, with folders replaced by the supported files inside them (sorted by name)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.iterdir() if f.is_file() and _suffix(f) in SUPPORTED)
            if not found:
                raise InputError(f"folder has no export files ({', '.join(SUPPORTED)})", file=str(path))
            out.extend(found)
        elif path.is_file():
            out.append(path)
        elif path.exists():
            raise InputError("not a regular file", file=str(path))
        else:
            raise InputError("file not found", file=str(path))
    if not out:
        raise InputError("no input files given")
    return out


def _head(path: Path, gz: bool, n: int = 65536) -> bytes:
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(n)
    except (OSError, EOFError) as err:
        raise InputError(f"cannot read file: {err}", file=str(path))


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by BOM, else cp1252 when the bytes are not valid UTF-8."""
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        # a multi-byte character cut by the end of the sample is still UTF-8
        if err.start >= len(head) - 3 and err.reason == "unexpected end of data":
            return "utf-8"
        return "cp1252"


def detect_delimiter(header_line: str) -> str:
    """The delimiter occurring most often in the header line (comma, semicolon, tab or pipe)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path) -> RawTable:
    gz = path.name.lower().endswith(".gz")
    head = _head(path, gz)
    if not head.strip(b"\xef\xbb\xbf\r\n\t ,;"):
        raise InputError("file is empty (no header line)", file=str(path))
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = "\t" if _suffix(path).startswith(".tsv") else detect_delimiter(first)
    names = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    names = [n.strip() for n in names]
    # Make duplicate/blank header names unique so no column silently shadows another.
    seen: dict[str, int] = {}
    unique = []
    for i, n in enumerate(names):
        n = n or f"column_{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}.{seen[n]}"
        else:
            seen[n] = 0
        unique.append(n)
    read = pacsv.ReadOptions(column_names=unique, skip_rows=1, block_size=1 << 24,
                             encoding=encoding if encoding != "utf-8" else "utf8")
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in unique}, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    try:
        with pa.input_stream(str(path), compression="gzip" if gz else None) as stream:
            table = pacsv.read_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as err:
        raise InputError(_csv_error(str(err)), file=str(path))
    return RawTable(str(path), table, first_line=2)


def _csv_error(message: str) -> str:
    msg = message.strip().splitlines()[0]
    return msg.replace("CSV parse error: ", "cannot parse CSV: ")


def _read_excel(path: Path, sheet: str | int | None) -> RawTable:
    import pandas as pd

    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # openpyxl raises many types for a broken workbook
        raise InputError(f"cannot open workbook: {err}", file=str(path))
    with book:  # close the workbook file, also when the sheet is wrong
        names = book.sheet_names
        if sheet is None:
            target: str | int = 0
        elif isinstance(sheet, int) or str(sheet).isdigit():
            target = int(sheet)
            if not 0 <= target < len(names):
                raise InputError(f"no sheet number {target}; sheets: {', '.join(names)}", file=str(path))
        else:
            if sheet not in names:
                raise InputError(f"no sheet named {sheet!r}; sheets: {', '.join(names)}", file=str(path))
            target = sheet
        frame = pd.read_excel(book, sheet_name=target, dtype=str, keep_default_na=False)
    frame = frame.loc[:, [not str(c).startswith("Unnamed:") or frame[c].ne("").any() for c in frame.columns]]
    # Excel leaves trailing rows that look empty: they are not rows of the export
    blank = frame.eq("").all(axis=1)
    last = int((~blank).to_numpy().nonzero()[0].max()) + 1 if (~blank).any() else 0
    frame = frame.iloc[:last]
    if len(frame.columns) == 0:
        raise InputError(f"sheet {names[target] if isinstance(target, int) else target!r} is empty",
                         file=str(path))
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    return RawTable(str(path), table, first_line=2)


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"cannot read Parquet: {str(err).splitlines()[0]}", file=str(path))
    return RawTable(str(path), table, first_line=1, unit="row")


def _read_jsonl(path: Path) -> RawTable:
    import pyarrow.json as pajson

    if path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    gz = path.name.lower().endswith(".gz")

    def read(schema: pa.Schema | None = None) -> pa.Table:
        with pa.input_stream(str(path), compression="gzip" if gz else None) as stream:
            return pajson.read_json(stream, parse_options=pajson.ParseOptions(explicit_schema=schema))

    try:
        table = read()
        # pyarrow infers timestamp[s] from ISO strings, silently turning "+02:00"/"Z" values into naive
        # UTC clock times (which normalize would then read in source_tz): keep such columns as text.
        stamps = [f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)]
        if stamps:
            table = read(pa.schema([pa.field(f.name, pa.string()) if f.name in stamps else f
                                    for f in table.schema]))
    except pa.ArrowInvalid as err:
        table = _read_jsonl_mixed(path, err)
    return RawTable(str(path), table, first_line=1)


def _read_jsonl_mixed(path: Path, err: Exception) -> pa.Table:
    """JSON Lines whose fields change type between rows (``2`` here, ``"Cancelled"`` there), or one JSON array
    of records: fields of mixed type are read as text."""
    import pandas as pd

    array = _head(path, path.name.lower().endswith(".gz"), 4096).lstrip().startswith(b"[")
    try:
        frame = pd.read_json(path, lines=not array, orient="records", dtype=False, compression="infer")
    except ValueError:
        raise InputError(f"cannot parse JSON Lines: {str(err).splitlines()[0]}", file=str(path))
    mixed = [c for c in frame.columns if frame[c].dtype == object]
    frame[mixed] = frame[mixed].astype("str")
    return pa.Table.from_pandas(frame, preserve_index=False)


def read_raw(path: str | Path, sheet: str | int | None = None) -> RawTable:
    """Read one export file into a raw table, choosing the reader by its extension."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    suffix = _suffix(path)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in JSONL_SUFFIXES:
        return _read_jsonl(path)
    if suffix == ".xls":
        raise InputError("old Excel .xls files are not supported: save as .xlsx or CSV", file=str(path))
    return _read_csv(path)


def read_many(paths: Sequence[str | Path], sheet: str | int | None = None) -> list[RawTable]:
    """Read every file (folders expanded) in order."""
    return [read_raw(p, sheet) for p in expand_paths(paths)]
