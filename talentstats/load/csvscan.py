"""Where a CSV export goes past a limit, found with bounded memory: the records walked as an RFC 4180 reader
walks them (a quote opens a quoted value only at the start of a value), a block of the file at a time.

Runs only once the Arrow parser has failed (a record longer than its block, a byte the text encoding does not
have), so a clean export pays nothing for it.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from talentstats.errors import InputError
from talentstats.load.guards import open_input
from talentstats.load.limits import LimitError, Limits

_BLOCK = 1 << 20
_START, _UNQUOTED, _QUOTED = range(3)


def _blocks(path: str | Path, gz: bool, encoding: str, limits: Limits) -> Iterator[bytes]:
    """The file's bytes a block at a time; UTF-16 transcoded to UTF-8 (the delimiters are then single bytes)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace") if encoding.startswith("utf-16") else None
    with open_input(path, gz, limits) as fh:
        while block := fh.read(_BLOCK):
            yield decoder.decode(block).encode("utf-8") if decoder else block


class _Walk:
    """The walk over one file: its position (line, field) and the longest record seen."""

    def __init__(self, path: str, names: Sequence[str], limits: Limits) -> None:
        self.path, self.names, self.limit = path, names, limits.max_field_bytes
        self.line = self.field_line = 1
        self.field = self.field_bytes = self.record_bytes = self.longest = 0

    def grow(self, n: int, quoted: bool = False) -> None:
        self.field_bytes += n
        self.record_bytes += n
        if self.field_bytes > self.limit:
            column = self.names[self.field] if self.field < len(self.names) else None
            hint = " (a quote opened and never closed?)" if quoted and self.line > self.field_line else ""
            raise LimitError(f"a value of more than {self.limit:,} bytes{hint}", parameter="max_field_bytes",
                             limit=self.limit, file=self.path, line=self.field_line, column=column)

    def next_field(self) -> None:
        self.field += 1
        self.record_bytes += 1
        if self.field >= len(self.names):
            n = len(self.names)
            raise InputError(f"more than {n} fields, but the header has {n}: field {n + 1} has no column (a "
                             "delimiter inside an unquoted value?)", file=self.path, line=self.field_line)
        self.field_bytes = 0

    def next_record(self) -> None:
        self.longest = max(self.longest, self.record_bytes)
        self.field = self.field_bytes = self.record_bytes = 0
        self.line += 1


def scan_csv(path: str | Path, gz: bool, encoding: str, delimiter: str, names: Sequence[str],
             limits: Limits) -> int:
    """The length in bytes of the longest record, walking every record of the file.

    Raises:
        LimitError: the first value longer than ``max_field_bytes`` (its line and column).
        InputError: the first record with more fields than the header.
    """
    walk = _Walk(str(path), names, limits)
    delim = delimiter.encode()[0]
    stop = re.compile(b"[" + re.escape(delimiter.encode()) + b"\r\n]")
    blocks = _blocks(path, gz, encoding, limits)
    buf, pos, eof, state = b"", 0, False, _START

    while True:
        if pos >= len(buf) or (buf[-1] in (13, 34) and pos >= len(buf) - 1 and not eof):
            more = next(blocks, None)  # (a "\r" or '"' at the end of a block: the next byte decides)
            if more is None:
                if pos >= len(buf):
                    break
                eof = True
            else:
                buf, pos = buf[pos:] + more, 0
                continue
        if state == _START:
            walk.field_line = walk.line
            if buf[pos] == 34:
                state, pos = _QUOTED, pos + 1
                continue
            state = _UNQUOTED
        if state == _UNQUOTED:
            m = stop.search(buf, pos)
            end = m.start() if m else len(buf)
            walk.grow(end - pos)
            pos = end
            if m is None:
                continue
            if buf[end] == delim:
                walk.next_field()
                state, pos = _START, end + 1
                continue
            if buf[end] == 13 and end == len(buf) - 1 and not eof:
                pos = end  # (a "\r" ending the block: is a "\n" next?)
                continue
            pos = end + (2 if buf[end:end + 2] == b"\r\n" else 1)
            walk.next_record()
            state = _START
            continue
        q = buf.find(b'"', pos)  # _QUOTED: up to the next quote ("" is a quote inside the value)
        end = q if q >= 0 else len(buf) - (buf[-1] == 13 and not eof)
        walk.line += buf.count(b"\n", pos, end) + buf.count(b"\r", pos, end) - buf.count(b"\r\n", pos, end)
        walk.grow(end - pos, quoted=True)
        pos = end
        if q < 0 or (q == len(buf) - 1 and not eof):
            continue  # (a quote ending the block: is it the first of ""?)
        if buf[q + 1:q + 2] == b'"':
            walk.grow(1, quoted=True)
            pos = q + 2
        else:
            state, pos = _UNQUOTED, q + 1
    walk.next_record()
    return walk.longest


def locate_undecodable(path: str | Path, gz: bool, encoding: str, delimiter: str, names: Sequence[str],
                       limits: Limits) -> InputError:
    """The error for a file with bytes its text encoding does not define (cp1252 has no 0x81, 0x8D, 0x8F,
    0x90, 0x9D; binary data has many), naming the first such line and column."""
    number = 0
    with open_input(path, gz, limits) as fh:
        while line := fh.readline(limits.max_field_bytes):
            number += 1
            try:
                line.decode(encoding)
            except UnicodeDecodeError as err:
                byte = line[err.start]
                fields = next(csv.reader([line[:err.start].decode("latin-1")], delimiter=delimiter), [""])
                i = len(fields) - 1
                return InputError(f"byte 0x{byte:02X} is not a character in {encoding}, the encoding this file "
                                  "is read in as it is not UTF-8 (binary data? another encoding?); save it as UTF-8",
                                  file=str(path), line=number, column=names[i] if 0 <= i < len(names) else None)
    return InputError(f"cannot decode the file as {encoding}; save it as UTF-8", file=str(path))
