"""Bounded reading: gzip inflated under the :class:`~talentstats.load.limits.Limits` as it streams, a header line
read whole but never past its limit, oversized values found in a table as read, and columns that are not flat
text or numbers (lists, structs, bytes that are not UTF-8) refused or set aside.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import InputError
from talentstats.load.limits import RATIO_FLOOR, LimitError, Limits

DEFAULT = Limits()

_INFLATE = 1 << 20  # inflated bytes a buffered reader asks for at a time


class _GuardedGzip(io.RawIOBase):
    """A gzip file (any number of members) inflated by Arrow as it is read, raising :class:`LimitError` as soon
    as it inflates past ``max_inflated_bytes`` or, beyond 16 MiB, more than ``max_inflation_ratio`` times the
    compressed bytes read so far; a stream cut short raises EOFError, as :mod:`gzip` does."""

    def __init__(self, path: str | Path, limits: Limits) -> None:
        super().__init__()
        self._path, self._limits = str(path), limits
        self._raw = pa.OSFile(str(path))
        self._stream = pa.CompressedInputStream(self._raw, "gzip")
        self._inflated = 0
        self._lines = 1
        self._failed = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._failed:  # (after an error: the end, so that a reader's read-ahead threads stop at once)
            return b""
        try:
            data = self._stream.read(None if size is None or size < 0 else size)
            self._inflated += len(data)
            self._check(data)
        except OSError as err:
            self._failed = True
            if "runcated" in str(err):
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            raise InputError(f"not valid gzip data ({err})", file=self._path, line=self._lines)
        except LimitError:
            self._failed = True
            raise
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def _check(self, out: bytes) -> None:
        limits = self._limits
        if self._inflated > limits.max_inflated_bytes:
            raise LimitError(f"the compressed data inflates to more than {limits.max_inflated_bytes:,} bytes",
                             parameter="max_inflated_bytes", limit=limits.max_inflated_bytes, file=self._path,
                             line=self._lines)
        compressed = self._raw.tell()
        if self._inflated > RATIO_FLOOR and self._inflated > limits.max_inflation_ratio * compressed:
            raise LimitError(f"the compressed data inflates more than {limits.max_inflation_ratio:,}-fold "
                             f"({self._inflated:,} bytes from {compressed:,}: a decompression bomb?)",
                             parameter="max_inflation_ratio", limit=limits.max_inflation_ratio, file=self._path,
                             line=self._lines)
        self._lines += out.count(b"\n")

    def close(self) -> None:
        self._stream.close()
        self._raw.close()
        super().close()


def open_input(path: str | Path, gz: bool, limits: Limits = DEFAULT) -> BinaryIO:
    """The file's bytes, inflated under ``limits`` when ``gz`` (a buffered binary file; use it in ``with``)."""
    if not gz:
        return open(path, "rb")  # noqa: SIM115 (the caller closes it)
    return io.BufferedReader(_GuardedGzip(path, limits), buffer_size=_INFLATE)


def arrow_input(path: str | Path, gz: bool, limits: Limits = DEFAULT) -> Any:
    """The bytes Arrow reads: the file itself (native), or its gzip data inflated under ``limits`` (unbuffered:
    Arrow asks for whole blocks)."""
    return _GuardedGzip(path, limits) if gz else pa.input_stream(str(path))


def read_head(path: str | Path, gz: bool, limits: Limits = DEFAULT, size: int = 65536) -> tuple[bytes, bool]:
    """The first ``size`` bytes of a text export, read on until they hold the whole first line (the header);
    and whether that is the whole file.

    Raises:
        LimitError: the first line is longer than ``max_field_bytes`` (naming ``max_columns`` when it already
            holds more columns than that allows).
    """
    data = bytearray()
    with open_input(path, gz, limits) as fh:
        data += fh.read(size)
        while data.find(b"\n") < 0 and data.find(b"\r") < 0:
            if len(data) > limits.max_field_bytes:
                raise _long_header(bytes(data), str(path), limits)
            chunk = fh.read(size)
            if not chunk:
                return bytes(data), True
            data += chunk
        return bytes(data), not fh.peek(1)


def _long_header(data: bytes, path: str, limits: Limits) -> LimitError:
    columns = 1 + max(data.count(d) for d in (b",", b";", b"\t", b"|"))
    if columns > limits.max_columns:
        return LimitError(f"the header has more than {limits.max_columns:,} columns ({columns:,} in its first "
                          f"{len(data):,} bytes)", parameter="max_columns", limit=limits.max_columns, file=path,
                          line=1)
    return LimitError(f"the first line (the header) is longer than {limits.max_field_bytes:,} bytes (not a text "
                      "export?)", parameter="max_field_bytes", limit=limits.max_field_bytes, file=path, line=1)


def check_width(names: Collection[str], path: str, limits: Limits) -> None:
    """A header of more than ``max_columns`` columns is a :class:`LimitError` (line 1)."""
    if len(names) > limits.max_columns:
        raise LimitError(f"the header has {len(names):,} columns, more than {limits.max_columns:,}",
                         parameter="max_columns", limit=limits.max_columns, file=path, line=1)


# --------------------------------------------------------------------------------------------- tables


def _is_text(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_binary(typ) or \
        pa.types.is_large_binary(typ)


def check_values(raw: Any, limits: Limits) -> None:
    """A value longer than ``max_field_bytes`` anywhere in a raw table is a :class:`LimitError` naming its line
    and column (vectorised: one pass over the value lengths of each text column); so are more columns than
    ``max_columns`` (the keys of JSON records, the columns of a Parquet file)."""
    check_width(raw.table.column_names, raw.path, limits)
    limit = limits.max_field_bytes
    for name in raw.table.column_names:
        col = raw.table.column(name)
        typ = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        if not _is_text(typ) or not len(col):
            continue
        if pa.types.is_dictionary(col.type):
            longest = max((pc.max(pc.binary_length(c.dictionary)).as_py() or 0 for c in col.chunks), default=0)
            if longest <= limit:
                continue
            col = col.cast(typ)
        lengths = pc.binary_length(col)
        if (pc.max(lengths).as_py() or 0) > limit:
            row = int(np.argmax(pc.fill_null(pc.greater(lengths, limit), False).to_numpy(zero_copy_only=False)))
            size = lengths[row].as_py()
            raise LimitError(f"a value of {size:,} bytes, more than {limit:,}", parameter="max_field_bytes",
                             limit=limit, file=raw.path, line=int(raw.lines([row])[0]), column=name)


def text_columns(table: pa.Table) -> pa.Table:
    """Binary columns (Parquet ``BYTE_ARRAY`` without a UTF-8 annotation) as text where every value is UTF-8;
    the others stay binary (:func:`usable_columns` refuses them where they matter)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            try:
                table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
            except pa.ArrowInvalid:
                continue
    return table


def usable_columns(raw: Any, used: Collection[str]) -> pa.Table:
    """The raw table with the columns no rule reads set aside when they hold lists, structs, maps or bytes that
    are not UTF-8 text; such a column that a rule reads is an :class:`InputError` naming its first such row."""
    table = raw.table
    for f in table.schema:
        typ = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        nested = pa.types.is_nested(typ)
        binary = pa.types.is_binary(typ) or pa.types.is_large_binary(typ)
        if not (nested or binary):
            continue
        if f.name not in used:
            table = table.drop_columns([f.name])
            continue
        col = table.column(f.name)
        if nested:
            row = int(np.argmax(pc.is_valid(col).to_numpy(zero_copy_only=False))) if col.null_count < len(col) else 0
            kind = "a list" if pa.types.is_list(typ) or pa.types.is_large_list(typ) else f"a {typ}"
            raise InputError(f"{kind}, not a single value (exports hold text, numbers and dates)", file=raw.path,
                             line=int(raw.lines([row])[0]), column=f.name)
        row = _first_not_utf8(col)
        raise InputError("bytes that are not UTF-8 text", file=raw.path, line=int(raw.lines([row])[0]),
                         column=f.name)
    return table


def _first_not_utf8(col: pa.ChunkedArray) -> int:
    for i, value in enumerate(col.to_pylist()):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return i
    return 0
