"""An XLSX workbook checked against the :class:`~talentstats.load.limits.Limits` before openpyxl reads it: the
sheet's XML and its shared strings streamed through expat (never held whole), the grid the sheet's cells make
(the last row and the last column holding a value: what a reader builds) and the length of every text.

The ``<dimension>`` a sheet declares is not trusted either way: the reader (pandas over openpyxl) sizes the grid
by the cells that are there, so the cells are what is counted.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.parsers import expat

from talentstats.errors import InputError
from talentstats.load.limits import LimitError, Limits

_CHUNK = 1 << 20
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


class _Stop(Exception):
    """Raised by a handler that has seen enough."""


def _parse(zf: zipfile.ZipFile, name: str, path: str, limits: Limits, start: Callable[[str, dict], None],
           end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None) -> None:
    """Stream one part of the workbook through expat (no DTD: no entity expansion), at most
    ``max_inflated_bytes`` of it."""
    parser = expat.ParserCreate()
    parser.buffer_text = False

    def doctype(*_args: Any) -> None:
        raise InputError(f"{name} declares a DTD (not written by a spreadsheet program)", file=path)

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = lambda n, a: start(_local(n), a)
    if end is not None:
        parser.EndElementHandler = lambda n: end(_local(n))
    if text is not None:
        parser.CharacterDataHandler = text
    inflated = 0
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(_CHUNK):
                inflated += len(chunk)
                if inflated > limits.max_inflated_bytes:
                    raise LimitError(f"{name} inflates to more than {limits.max_inflated_bytes:,} bytes",
                                     parameter="max_inflated_bytes", limit=limits.max_inflated_bytes, file=path)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return
    except expat.ExpatError as err:
        raise InputError(f"cannot open workbook: {name} is not valid XML ({err})", file=path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise InputError(f"cannot open workbook: {name}: {err}", file=path)


def _sheet_part(zf: zipfile.ZipFile, path: str, sheet: str | int | None, limits: Limits) -> tuple[str, str] | None:
    """(sheet name, part name) of the sheet to read; None when the workbook does not say (the reader will)."""
    sheets: list[tuple[str, str]] = []
    targets: dict[str, str] = {}
    _parse(zf, "xl/workbook.xml", path, limits, lambda n, a: sheets.append(
        (a.get("name", ""), next((v for k, v in a.items() if _local(k) == "id"), ""))) if n == "sheet" else None)
    _parse(zf, "xl/_rels/workbook.xml.rels", path, limits, lambda n, a: targets.__setitem__(
        a.get("Id", ""), a.get("Target", "")) if n == "Relationship" else None)
    if not sheets:
        return None
    if sheet is None:
        chosen = sheets[0]
    elif isinstance(sheet, int) or str(sheet).isdigit():
        if not 0 <= int(sheet) < len(sheets):
            return None
        chosen = sheets[int(sheet)]
    else:
        found = [s for s in sheets if s[0] == sheet]
        if not found:
            return None
        chosen = found[0]
    target = targets.get(chosen[1], "")
    part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return (chosen[0], part) if part in zf.namelist() else None


def _long_shared_string(zf: zipfile.ZipFile, path: str, limits: Limits) -> int | None:
    """The index of the first shared string longer than ``max_field_bytes`` characters, if any."""
    if "xl/sharedStrings.xml" not in zf.namelist():
        return None
    state = {"index": -1, "length": 0}

    def start(name: str, _attrs: dict) -> None:
        if name == "si":
            state["index"] += 1
            state["length"] = 0

    def text(data: str) -> None:
        state["length"] += len(data)
        if state["length"] > limits.max_field_bytes and state["index"] >= 0:
            raise _Stop

    _parse(zf, "xl/sharedStrings.xml", path, limits, start, text=text)  # (_Stop ends it early)
    return state["index"] if state["length"] > limits.max_field_bytes else None


class _SheetWalk:
    """The handlers for one sheet's XML: where each cell is, how long its text, the grid so far."""

    def __init__(self, path: str, sheet: str, limits: Limits, long_shared: int | None) -> None:
        self.path, self.sheet, self.limits, self.long_shared = path, sheet, limits, long_shared
        self.row = self.col = self.last_row = self.last_col = 0
        self.kind = ""
        self.in_value = False
        self.length = 0
        self.value = ""

    def start(self, name: str, attrs: dict) -> None:
        if name == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            self.col = 0
        elif name == "c":
            m = _REF.fullmatch(attrs.get("r", ""))
            if m:
                self.col, self.row = _column_number(m.group(1)), int(m.group(2))
            else:
                self.col += 1
            self.kind, self.length, self.value = attrs.get("t", "n"), 0, ""
        elif name in ("v", "t"):
            self.in_value = True

    def text(self, data: str) -> None:
        if not self.in_value:
            return
        self.length += len(data)
        if self.kind == "s" and len(self.value) < 32:
            self.value += data
        if self.length > self.limits.max_field_bytes:
            self._too_long()

    def end(self, name: str) -> None:
        if name in ("v", "t"):
            self.in_value = False
        elif name == "c" and self.length:
            if self.kind == "s" and self.long_shared is not None and self.value.strip() == str(self.long_shared):
                self._too_long()
            self._grow()

    def _cell(self) -> str:
        return f"{_column_letters(self.col)}{self.row}"

    def _too_long(self) -> None:
        limit = self.limits.max_field_bytes
        raise LimitError(f"sheet {self.sheet!r}: cell {self._cell()} holds a text of more than {limit:,} characters",
                         parameter="max_field_bytes", limit=limit, file=self.path, line=self.row)

    def _grow(self) -> None:
        self.last_row, self.last_col = max(self.last_row, self.row), max(self.last_col, self.col)
        limits = self.limits
        if self.last_col > limits.max_columns:
            raise LimitError(f"sheet {self.sheet!r}: cell {self._cell()} holds a value, so the sheet has "
                             f"{self.last_col:,} columns, more than {limits.max_columns:,}",
                             parameter="max_columns", limit=limits.max_columns, file=self.path, line=self.row)
        cells = self.last_row * self.last_col
        if cells > limits.max_cells:
            raise LimitError(f"sheet {self.sheet!r}: cell {self._cell()} holds a value, so the sheet reads as "
                             f"{self.last_row:,} rows x {self.last_col:,} columns ({cells:,} cells, more than "
                             f"{limits.max_cells:,})", parameter="max_cells", limit=limits.max_cells,
                             file=self.path, line=self.row)


def check_workbook(path: str | Path, sheet: str | int | None, limits: Limits) -> None:
    """Check the sheet ``sheet`` of an XLSX workbook (and its shared strings) against ``limits``.

    Raises:
        LimitError: a text longer than ``max_field_bytes`` characters, more columns than ``max_columns``, or a
            grid (to the last row and column holding a value) of more than ``max_cells`` cells; or a part
            inflating past ``max_inflated_bytes``.
        InputError: a part that is not XML, or declares a DTD.
    """
    path = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"cannot open workbook: {err}", file=path)
    with zf:
        if "xl/workbook.xml" not in zf.namelist():
            return  # (not a workbook openpyxl knows: its own error says so)
        found = _sheet_part(zf, path, sheet, limits)
        if found is None:
            return
        walk = _SheetWalk(path, found[0], limits, _long_shared_string(zf, path, limits))
        _parse(zf, found[1], path, limits, walk.start, walk.end, walk.text)
        if walk.long_shared is not None:
            limit = limits.max_field_bytes
            raise LimitError(f"shared string {walk.long_shared} of the workbook is longer than {limit:,} characters",
                             parameter="max_field_bytes", limit=limit, file=path)
