"""Files -> raw tables: CSV (delimiter, BOM, gzip and encoding detected), XLSX, Parquet, JSON Lines, folders.

Raw tables keep the export's own headers and (for text formats) every value as a string; making sense of them
is :mod:`talentstats.load.normalize`'s job; :mod:`talentstats.load.stream` reads large files in chunks.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from talentstats.errors import InputError
from talentstats.load import csvscan, jsonscan, rawcheck, xlsxscan
from talentstats.load.columns import ALIASES, REQUIRED, header_key
from talentstats.load.guards import DEFAULT, arrow_input, check_values, check_width, read_head, text_columns
from talentstats.load.limits import Limits
from talentstats.load.rawcheck import gzip_truncated, jsonl_row_lines, locate_json_error

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
    #: None: data row i is on line ``first_line + i``; else the line of every row, or a function computing them
    #: (called only when a line number is needed: blank lines and line breaks inside values shift rows)
    row_lines: Any = None

    def lines(self, rows: Any) -> np.ndarray:
        """The file line (sheet row, Parquet row) of each given 0-based data row."""
        rows = np.asarray(rows, dtype=np.int64)
        if callable(self.row_lines):
            self.row_lines = self.row_lines()
        if self.row_lines is None:
            return rows + self.first_line
        return np.asarray(self.row_lines, dtype=np.int64)[rows]


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


def _csv_dialect(path: Path, limits: Limits = DEFAULT) -> tuple[bool, str, str, list[str]]:
    """(gzipped, encoding, delimiter, header names) of a CSV export, sniffed from its first 64 KiB (and the
    rest of its first line, up to ``max_field_bytes``)."""
    gz = path.name.lower().endswith(".gz")
    try:
        head, whole = read_head(path, gz, limits)
    except EOFError:
        raise gzip_truncated(path, limits)
    except OSError as err:
        raise InputError(f"cannot read file: {err}", file=str(path))
    for magic, what in ((b"\x1f\x8b", "gzip-compressed data: name the file .csv.gz, or decompress it"),
                        (b"PK\x03\x04", "a zip archive, not text (an Excel workbook? name it .xlsx)")):
        if head.startswith(magic) and not (gz and magic == b"\x1f\x8b"):
            raise InputError(f"this is {what}", file=str(path))
    if not head.strip(b"\xef\xbb\xbf\r\n\t ,;"):
        raise InputError("file is empty (no header line)", file=str(path))
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = "\t" if _suffix(path).startswith(".tsv") else detect_delimiter(first)
    unique = _header_names(first, delimiter)
    check_width(unique, str(path), limits)
    if encoding == "cp1252":  # UTF-8 lines beside non-UTF-8 ones: no single decoding avoids mojibake
        mixed = rawcheck.mixed_encoding(head, delimiter, unique, str(path), partial=not whole)
        if mixed is not None:
            raise mixed
    return gz, encoding, delimiter, unique


def _read_csv(path: Path, limits: Limits = DEFAULT) -> RawTable:
    gz, encoding, delimiter, unique = _csv_dialect(path, limits)

    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in unique}, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    block = 1 << 24

    def read(enc: str) -> pa.Table:
        # (Python in the data path - the gzip guard, a codec - runs on the calling thread only: a Python error in
        # Arrow's read-ahead threads can outlive the interpreter and abort the process as it exits)
        options = pacsv.ReadOptions(column_names=unique, skip_rows=1, block_size=block,
                                    encoding=enc if enc != "utf-8" else "utf8", use_threads=not gz and enc == "utf-8")
        with arrow_input(path, gz, limits) as stream:
            return pacsv.read_csv(stream, read_options=options, parse_options=parse, convert_options=convert)

    while True:
        try:
            try:
                table = read(encoding)
            except pa.ArrowInvalid as err:
                if "invalid UTF8" not in str(err):
                    raise
                # non-UTF-8 bytes after the sniffed head: cp1252 throughout, unless UTF-8 text is there too
                mixed = rawcheck.mixed_encoding(rawcheck.read_all(path, gz, limits), delimiter, unique, str(path))
                if mixed is not None:
                    raise mixed
                encoding = "cp1252"
                table = read(encoding)
        except UnicodeDecodeError:  # bytes the encoding does not have (cp1252's 0x81; binary data)
            raise csvscan.locate_undecodable(path, gz, encoding, delimiter, unique, limits)
        except pa.ArrowInvalid as err:
            if "Could not skip initial" in str(err):  # the header line alone, without a line break
                return RawTable(str(path), pa.table({n: pa.array([], pa.string()) for n in unique}), first_line=2)
            if "straddl" in str(err) or "block size" in str(err):  # a record longer than a block
                longest = csvscan.scan_csv(path, gz, encoding, delimiter, unique, limits)  # (a value too long)
                if longest + 1 >= block:
                    block = 2 * longest + (1 << 20)  # every value within the limit: read with larger blocks
                    continue
            located = rawcheck.locate_csv_error(path, gz, encoding, delimiter, unique, limits)
            raise located or InputError(_csv_error(str(err)), file=str(path))
        except (OSError, EOFError) as err:
            if gz and (isinstance(err, EOFError) or any(w in str(err).lower() for w in ("truncated", "end of"))):
                raise rawcheck.gzip_truncated(path, limits)
            raise InputError(f"cannot read file: {err}", file=str(path))
        break
    table = rawcheck.trim_trailing_blank_rows(table)
    return RawTable(str(path), table, first_line=2,
                    row_lines=lambda: rawcheck.csv_row_lines(path, gz, encoding, delimiter, table.num_rows, limits))


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])


def _header_names(first: str, delimiter: str) -> list[str]:
    """The header line's names, stripped; blank ones named ``column_N`` and repeated ones suffixed ``.1``,
    ``.2`` so no column silently shadows another."""
    return _unique_names([n.strip() for n in _split(first, delimiter)])


def _unique_names(names: Sequence[str], positions: Sequence[int] | None = None) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for i, n in zip(positions if positions is not None else range(len(names)), names, strict=True):
        n = n or f"column_{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}.{seen[n]}"
        else:
            seen[n] = 0
        unique.append(n)
    return unique


def _csv_error(message: str) -> str:
    msg = message.strip().splitlines()[0]
    return msg.replace("CSV parse error: ", "cannot parse CSV: ")


def _read_excel(path: Path, sheet: str | int | None, limits: Limits = DEFAULT) -> RawTable:
    import pandas as pd  # (pandas only for the formats Arrow cannot read: start-up time)

    xlsxscan.check_workbook(path, sheet, limits)  # (the grid and every text within the limits, before pandas)
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
        grid = pd.read_excel(book, sheet_name=target, dtype=str, keep_default_na=False, header=None)
    # grid row i is sheet row i + 1. Empty rows (also formatted-but-empty ones Excel keeps below the data)
    # are not rows of the export, like blank lines in a CSV; the line numbers stay the sheet's row numbers.
    grid = grid.astype(str)
    blank = grid.apply(lambda c: c.str.strip().eq("")).all(axis=1).to_numpy() if len(grid.columns) else \
        np.ones(len(grid), dtype=bool)
    if blank.all():
        raise InputError(f"sheet {names[target] if isinstance(target, int) else target!r} is empty",
                         file=str(path))
    head = _header_row(grid, blank)
    header = [str(v).strip() for v in grid.iloc[head]]
    body = grid.iloc[head + 1:].loc[~blank[head + 1:]]
    # columns without a header and without values: empty columns, or the spill of a merged header cell
    used = [i for i, name in enumerate(header) if name or body.iloc[:, i].str.strip().ne("").any()]
    unique = _unique_names([header[i] for i in used], used)
    body = body.iloc[:, used]
    body.columns = unique
    table = pa.Table.from_pandas(body, schema=pa.schema([(n, pa.string()) for n in unique]), preserve_index=False)
    plain = head == 0 and not blank[1:].any()
    return RawTable(str(path), table, first_line=head + 2,
                    row_lines=None if plain else body.index.to_numpy(dtype=np.int64) + 1)


def _header_row(grid: Any, blank: np.ndarray) -> int:
    """The first non-empty row; or, when that lacks a required column (a title above the header, often in
    merged cells), the first of the next few rows that has every required column."""

    wanted = [{header_key(a) for a in (c, *ALIASES[c])} for c in REQUIRED]
    candidates = np.nonzero(~blank)[0][:10]
    for i in candidates:
        keys = {header_key(v) for v in grid.iloc[i]}
        if all(w & keys for w in wanted):
            return int(i)
    return int(candidates[0])


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq  # (imported for Parquet inputs only: start-up time)

    try:
        table = text_columns(pq.read_table(path))
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"cannot read Parquet: {str(err).splitlines()[0]}", file=str(path))
    return RawTable(str(path), table, first_line=1, unit="row")


def _read_jsonl(path: Path, limits: Limits = DEFAULT) -> RawTable:
    import pyarrow.json as pajson  # (imported for JSON Lines inputs only: start-up time)

    if path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    gz = path.name.lower().endswith(".gz")
    try:
        array = jsonscan.check_json(path, gz, limits)  # (before any parser: nesting and record length bounded)
    except EOFError:
        raise gzip_truncated(path, limits)
    block = pajson.ReadOptions(block_size=max(1 << 20, limits.record_bytes + 1), use_threads=not gz)

    def read(schema: pa.Schema | None = None) -> pa.Table:
        with arrow_input(path, gz, limits) as stream:
            return pajson.read_json(stream, read_options=block,
                                    parse_options=pajson.ParseOptions(explicit_schema=schema))

    try:
        if array:
            raise pa.ArrowInvalid("a JSON array of records")
        table = read()
        # pyarrow infers timestamp[s] from ISO strings, silently turning "+02:00"/"Z" values into naive
        # UTC clock times (which normalize would then read in source_tz): keep such columns as text.
        stamps = [f.name for f in table.schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)]
        if stamps:
            table = read(pa.schema([pa.field(f.name, pa.string()) if f.name in stamps else f
                                    for f in table.schema]))
    except pa.ArrowInvalid as err:
        table = _read_jsonl_mixed(path, err, array, limits)

    return RawTable(str(path), text_columns(table), first_line=1,
                    row_lines=lambda: jsonl_row_lines(path, gz, limits))


def _read_jsonl_mixed(path: Path, err: Exception, array: bool, limits: Limits) -> pa.Table:
    """JSON Lines whose fields change type between rows (``2`` here, ``"Cancelled"`` there), or one JSON array
    of records: fields of mixed type are read as text. A field holding an object or a list in some rows is an
    error (a record is flat)."""
    import pandas as pd  # (pandas only for the formats Arrow cannot read: start-up time)

    gz = path.name.lower().endswith(".gz")
    try:
        frame = pd.read_json(path, lines=not array, orient="records", dtype=False, compression="infer")
    except ValueError:

        raise locate_json_error(path, gz, limits) or InputError(
            f"cannot parse JSON Lines: {str(err).splitlines()[0]}", file=str(path))
    mixed = [c for c in frame.columns if frame[c].dtype == object]
    for c in mixed:
        nested = frame[c].map(lambda v: isinstance(v, dict | list)).to_numpy(dtype=bool)
        if nested.any():
            row = int(np.argmax(nested))
            lines = None if array else jsonl_row_lines(path, gz, limits)
            raise InputError("an object or a list, not a single value (exports hold flat records)", file=str(path),
                             line=int(lines[row]) if lines is not None else row + 1, column=str(c))
    frame[mixed] = frame[mixed].astype("str")
    return pa.Table.from_pandas(frame, preserve_index=False)


def read_raw(path: str | Path, sheet: str | int | None = None, limits: Limits = DEFAULT) -> RawTable:
    """Read one export file into a raw table, choosing the reader by its extension; no value longer than
    ``limits.max_field_bytes`` (and the other :class:`~talentstats.load.limits.Limits`, checked as it is read)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("file is empty", file=str(path))
    suffix = _suffix(path)
    if suffix in EXCEL_SUFFIXES:
        raw = _read_excel(path, sheet, limits)
    elif suffix in PARQUET_SUFFIXES:
        raw = _read_parquet(path)
    elif suffix in JSONL_SUFFIXES:
        raw = _read_jsonl(path, limits)
    elif suffix == ".xls":
        raise InputError("old Excel .xls files are not supported: save as .xlsx or CSV", file=str(path))
    else:
        raw = _read_csv(path, limits)
    check_values(raw, limits)
    return raw
