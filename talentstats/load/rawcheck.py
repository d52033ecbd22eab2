"""Where things are in a text export: the file line of each row, located parse errors, encoding checks.

Everything here runs off the fast path - line numbers only when a row is rejected, error locations only once
the Arrow parser has already failed - so a clean export pays nothing for it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import InputError
from talentstats.load import csvscan
from talentstats.load.guards import DEFAULT, open_input
from talentstats.load.limits import RATIO_FLOOR, LimitError, Limits

_CHUNK = 1 << 22


class _LongLine(Exception):
    """A physical line longer than the limit of a record: not read on."""


def _text_lines(path: str | Path, gz: bool, encoding: str, limits: Limits = DEFAULT) -> Iterator[str]:
    r"""The file's physical lines with their endings (``\r\n``, ``\n`` and a lone ``\r`` all end a line); a line
    longer than ``limits.record_bytes`` raises :class:`_LongLine` (memory stays bounded)."""
    enc = "utf-8-sig" if encoding in ("utf-8", "utf8") else encoding
    cap = limits.record_bytes
    with open_input(path, gz, limits) as raw, \
            io.TextIOWrapper(raw, encoding=enc, errors="replace", newline="") as fh:
        while line := fh.readline(cap):
            if len(line) >= cap and not line.endswith(("\n", "\r")):
                raise _LongLine
            yield line


class _Records:
    """csv.reader over physical lines, giving each record with the lines it spans and its raw text."""

    def __init__(self, lines: Iterator[str], delimiter: str, limits: Limits = DEFAULT) -> None:
        self._lines = lines
        self._taken: list[str] = []
        csv.field_size_limit(limits.record_bytes)  # (a value longer than a record's limit stops the parse)
        self._reader = csv.reader(self._feed(), delimiter=delimiter, strict=False)

    def _feed(self) -> Iterator[str]:
        for line in self._lines:
            self._taken.append(line)
            yield line

    def __iter__(self) -> Iterator[tuple[int, int, list[str], list[str]]]:
        """(first line, last line, fields, raw lines) of every record, blank lines included (fields == [])."""
        first = 1
        for fields in self._reader:
            raw, self._taken = self._taken, []
            yield first, self._reader.line_num, fields, raw
            first = self._reader.line_num + 1


def _one_record_per_line(path: str | Path, gz: bool, limits: Limits = DEFAULT) -> bool:
    """Whether every physical line is one record: no line break inside a quoted value (the number of quote
    characters before every line break is even), no blank line before the last record, no lone ``\r``.
    Vectorised over the bytes, so streamed chunks of a large file get their line numbers without a parse."""
    carry = np.uint8(0)  # quotes seen so far, mod 256 (only the parity matters)
    blank_at, last_content, offset, prev = -1, -1, 0, b""
    lone_cr = re.compile(rb"\r(?!\n)")
    with open_input(path, gz, limits) as fh:
        while block := fh.read(_CHUNK):
            if offset == 0 and block[:1] in (b"\r", b"\n"):
                return False  # a blank first line: the header is not on line 1
            b = np.frombuffer(block, dtype=np.uint8)
            quotes = np.cumsum(b == 34, dtype=np.uint8) + carry
            if (quotes[b == 10] & 1).any():
                return False
            carry = quotes[-1]
            text = prev + block  # (the previous blocks' last 2 bytes: a \r\n or blank line may straddle)
            if lone_cr.search(text[:-1] if text.endswith(b"\r") else text):
                return False
            for blank in (b"\n\n", b"\n\r\n"):
                at = text.find(blank)
                if at >= 0 and blank_at < 0:
                    blank_at = offset - len(prev) + at
            if content := len(block.rstrip(b"\r\n")):
                last_content = offset + content - 1
            offset += len(block)
            prev = text[-2:]
    return blank_at < 0 or blank_at >= last_content


_ROW_LINES: dict[tuple, np.ndarray | None] = {}  # the last file's row lines (streamed chunks share them)


def _file_key(path: str | Path, gz: bool, encoding: str, delimiter: str) -> tuple:
    st = Path(path).stat()
    return (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, gz, encoding, delimiter)


def csv_row_lines(path: str | Path, gz: bool, encoding: str, delimiter: str, rows: int,
                  limits: Limits = DEFAULT) -> np.ndarray | None:
    """The file line on which each of the ``rows`` data rows starts, as Arrow reads them (blank lines are not
    rows); None when row i simply is on line i + 2 (no blank lines, no line breaks inside values). Worked out
    once per file, however many streamed chunks ask."""
    key = _file_key(path, gz, encoding, delimiter)
    if key not in _ROW_LINES:
        _ROW_LINES.clear()
        _ROW_LINES[key] = _row_lines(path, gz, encoding, delimiter, limits)
    found = _ROW_LINES[key]
    if found is None or len(found) < rows:  # (the two parsers disagree: keep the simple numbering)
        return None
    return found[:rows]


def _row_lines(path: str | Path, gz: bool, encoding: str, delimiter: str,
               limits: Limits = DEFAULT) -> np.ndarray | None:
    if not encoding.startswith("utf-16") and _one_record_per_line(path, gz, limits):
        return None

    starts = array("q")
    try:
        records = iter(_Records(_text_lines(path, gz, encoding, limits), delimiter, limits))
        next(records, None)  # the header
        for first, _last, fields, _raw in records:
            if fields:
                starts.append(first)
    except (csv.Error, UnicodeError, _LongLine):
        return None
    return np.frombuffer(starts, dtype=np.int64).copy()


def locate_csv_error(path: str | Path, gz: bool, encoding: str, delimiter: str, names: Sequence[str],
                     limits: Limits = DEFAULT) -> InputError | None:
    """The first record whose number of fields differs from the header's, or whose value is longer than
    ``limits.max_field_bytes``, as a located one-line error (memory bounded by the limits)."""
    n = len(names)
    try:
        records = iter(_Records(_text_lines(path, gz, encoding, limits), delimiter, limits))
        next(records, None)
        for first, last, fields, raw in records:
            if not fields or len(fields) == n:
                continue
            return _field_count_error(str(path), first, last, fields, raw, names)
    except (csv.Error, _LongLine) as err:
        if isinstance(err, csv.Error) and "field limit" not in str(err):
            return None
        csvscan.scan_csv(path, gz, encoding, delimiter, names, limits)  # (raises the located error)
        return LimitError(f"a line longer than {limits.record_bytes:,} bytes", parameter="max_field_bytes",
                          limit=limits.max_field_bytes, file=str(path))
    except UnicodeError:
        return None
    return None


def _field_count_error(path: str, first: int, last: int, fields: list[str], raw: list[str],
                       names: Sequence[str]) -> InputError:
    n = len(fields)
    expected = len(names)
    text = "".join(raw)
    # a quote opened inside this record that swallowed line breaks: find the field it opened
    spanning = [i for i, f in enumerate(fields) if "\n" in f or "\r" in f]
    if last > first and spanning:
        i = spanning[0]
        column = names[i] if i < expected else None
        if not text.rstrip("\r\n").endswith('"'):
            return InputError(f"a quote opened in this value is never closed, so lines {first}-{last} run "
                              f"together (unbalanced quote)", file=path, line=first, column=column)
        return InputError(f"a quoted value runs over lines {first}-{last}, leaving {n} of {expected} fields "
                          f"(unbalanced quote?)", file=path, line=first, column=column)
    if n < expected:
        return InputError(f"missing: the line ends after {n} of {expected} fields (truncated line?)",
                          file=path, line=first, column=names[n])
    return InputError(f"{n} fields, but the header has {expected}: field {expected + 1} has no column "
                      f"(a delimiter inside an unquoted value?)", file=path, line=first)


# --------------------------------------------------------------------------------------------- encodings

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def mixed_encoding(data: bytes, delimiter: str, names: Sequence[str] | None = None, path: str = "",
                   partial: bool = False) -> InputError | None:
    """An error when some lines are UTF-8 with non-ASCII text and others are not UTF-8 at all (two exports
    in different encodings concatenated): no single decoding avoids mojibake. ``partial``: ``data`` may end in
    the middle of a line (a sniffing window), whose decoding errors are ignored."""
    utf8_line = bad_line = None
    bad_bytes = b""
    lines = data.split(b"\n")
    if partial and lines:
        lines = lines[:-1]
    for number, line in enumerate(lines, 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            if utf8_line is None and _UTF8_MULTIBYTE.search(line):
                utf8_line = number
        except UnicodeDecodeError:
            if bad_line is None:
                bad_line, bad_bytes = number, line
        if utf8_line is not None and bad_line is not None:
            break
    if utf8_line is None or bad_line is None:
        return None
    column = None
    if names:
        fields = next(csv.reader([bad_bytes.decode("latin-1")], delimiter=delimiter), [])
        for i, f in enumerate(fields):
            try:
                f.encode("latin-1").decode("utf-8")
            except UnicodeDecodeError:
                column = names[i] if i < len(names) else None
                break
    return InputError(f"this line is not UTF-8 but line {utf8_line} is: mixed text encodings (exports "
                      f"concatenated?); save the file as UTF-8", file=path, line=bad_line, column=column)


def read_all(path: str | Path, gz: bool, limits: Limits = DEFAULT) -> bytes:
    """The whole file (inflated under ``limits`` when ``gz``)."""
    with open_input(path, gz, limits) as fh:
        return fh.read()


# --------------------------------------------------------------------------------------------- gzip


def gzip_truncated(path: str | Path, limits: Limits = DEFAULT) -> InputError:
    """The error for a gzip file whose compressed data ends early, naming the line where it stops (or the limit
    it passes first)."""
    decomp = zlib.decompressobj(wbits=47)
    lines, inflated, compressed = 1, 0, 0
    with open(path, "rb") as fh:
        while data := fh.read(1 << 16):
            compressed += len(data)
            while data:
                try:
                    out = decomp.decompress(data, 1 << 20)
                except zlib.error:
                    return _truncated(path, lines)
                lines += out.count(b"\n")
                inflated += len(out)
                over = inflated > limits.max_inflated_bytes
                if over or (inflated > RATIO_FLOOR and inflated > limits.max_inflation_ratio * compressed):
                    name = "max_inflated_bytes" if over else "max_inflation_ratio"
                    return LimitError(f"the compressed data inflates to more than {inflated:,} bytes "
                                      f"({inflated // compressed:,}-fold)", parameter=name,
                                      limit=getattr(limits, name), file=str(path), line=lines)
                data = decomp.unconsumed_tail
                if decomp.eof:  # (concatenated gzip members)
                    data, decomp = decomp.unused_data, zlib.decompressobj(wbits=47)
    return _truncated(path, lines)


def _truncated(path: str | Path, line: int) -> InputError:
    return InputError("the compressed data ends early, in the middle of this line (truncated download?)",
                      file=str(path), line=line)


# --------------------------------------------------------------------------------------------- JSON Lines


def jsonl_row_lines(path: str | Path, gz: bool, limits: Limits = DEFAULT) -> np.ndarray | None:
    """The file line of each record of a JSON Lines file (blank lines are skipped); None when record i is on
    line i + 1. A JSON array of records gives None (its records are numbered)."""
    starts = []
    blank = False
    with open_input(path, gz, limits) as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                starts.append(number)
            else:
                blank = True
    if not blank or (starts and _first_non_space(path, gz, limits) == b"["):
        return None
    return np.asarray(starts, dtype=np.int64)


def _first_non_space(path: str | Path, gz: bool, limits: Limits) -> bytes:
    with open_input(path, gz, limits) as fh:
        return fh.read(4096).lstrip()[:1]


def locate_json_error(path: str | Path, gz: bool, limits: Limits = DEFAULT) -> InputError | None:
    """The first line of a JSON Lines file (or the place in a JSON array) that is not a JSON object (its nesting
    and line lengths were checked before: :func:`~talentstats.load.jsonscan.check_json`)."""
    text = read_all(path, gz, limits).decode("utf-8-sig", errors="replace")
    if text.lstrip().startswith("["):
        try:
            json.loads(text)
        except json.JSONDecodeError as err:
            return InputError(f"cannot parse JSON: {err.msg}: character {err.colno}", file=str(path),
                              line=err.lineno)
        return None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            cut = number == len(lines) and not text.endswith(("\n", "\r"))
            hint = " (the file ends inside this record: truncated?)" if cut else ""
            return InputError(f"cannot parse JSON Lines: {err.msg}: character {err.colno}{hint}",
                              file=str(path), line=number)
        if not isinstance(record, dict):
            return InputError(f"cannot parse JSON Lines: a {type(record).__name__}, not an object",
                              file=str(path), line=number)
    return None


# --------------------------------------------------------------------------------------------- empty rows


def blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every value is missing or whitespace."""
    mask = np.ones(table.num_rows, dtype=bool)
    for col in table.columns:
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            if pa.types.is_null(col.type):
                continue
            col = col.cast(pa.string())
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(col), ""), True)
        mask &= blank.to_numpy(zero_copy_only=False)
    return mask


def trim_trailing_blank_rows(table: pa.Table) -> pa.Table:
    """Drop the empty rows at the end of a table (a spreadsheet's formatted but empty rows saved as
    ``,,,`` lines): they are not rows of the export. Only looks further when the last row is empty."""
    n = table.num_rows
    if n == 0 or not blank_rows(table.slice(n - 1))[0]:
        return table
    kept = np.nonzero(~blank_rows(table))[0]
    return table.slice(0, int(kept[-1]) + 1 if len(kept) else 0)
