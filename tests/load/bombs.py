"""Hostile inputs that are small on disk and huge when read (issue 12, "Bounded work on any input"), made in a
second or less each: the work is in the reader, not in the test."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

HEADER = "Reach Out ID,Campaign,Sender,State,Created At"
ROW = "r1,Alpha,ann,2,2026-11-16T09:00:00Z"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Reach Outs" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(extra_cells: str = "", dimension: str = "A1:E2") -> str:
    head = "".join(_inline(f"{c}1", h) for c, h in zip("ABCDE", HEADER.split(","), strict=True))
    row = "".join(_inline(f"{c}2", v) for c, v in zip("ABCDE", ROW.split(","), strict=True))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}>'
            f'<dimension ref="{dimension}"/><sheetData><row r="1">{head}</row><row r="2">{row}</row>'
            f"{extra_cells}</sheetData></worksheet>")


class _Member:
    """One zip member: its name, CRC, sizes and deflated bytes (possibly made without holding the data)."""

    def __init__(self, name: str, data: bytes | None = None, *, crc: int = 0, size: int = 0,
                 deflated: bytes = b"") -> None:
        self.name = name.encode()
        if data is not None:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            deflated = c.compress(data) + c.flush()
            crc, size = zlib.crc32(data), len(data)
        self.crc, self.size, self.deflated = crc, size, deflated


def _write_zip(path: Path, members: list[_Member]) -> Path:
    """A plain zip (deflate, no zip64) written by hand, so a member can be given already deflated."""
    out, central = bytearray(), bytearray()
    for m in members:
        offset = len(out)
        fields = (20, 0, 8, 0, 0x21, m.crc, len(m.deflated), m.size, len(m.name), 0)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + m.name + m.deflated
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, m.crc, len(m.deflated),
                               m.size, len(m.name), 0, 0, 0, 0, 0, offset) + m.name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _book(path: Path, sheet: str, shared: _Member | None = None) -> Path:
    shared = shared or _Member("xl/sharedStrings.xml", f'<sst {_NS} count="0" uniqueCount="0"></sst>'.encode())
    return _write_zip(path, [_Member("[Content_Types].xml", _CONTENT_TYPES.encode()),
                             _Member("_rels/.rels", _RELS.encode()), _Member("xl/workbook.xml", _WORKBOOK.encode()),
                             _Member("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()),
                             _Member("xl/worksheets/sheet1.xml", sheet.encode()), shared])


def xlsx_plain(path: Path) -> Path:
    """A well-formed one-row workbook made the same way as the bombs (the control)."""
    return _book(path, _sheet())


def xlsx_far_cell(path: Path) -> Path:
    """A few KB: the header, one row, and one cell at XFD1048576 (the last cell a sheet has)."""
    return _book(path, _sheet('<row r="1048576">' + _inline("XFD1048576", "x") + "</row>", "A1:XFD1048576"))


def xlsx_tall_cell(path: Path) -> Path:
    """A few KB: one cell at Z1048576, within the columns allowed: a grid of 27 million cells."""
    return xlsx_cell(path, "Z1048576")


def xlsx_declared_huge(path: Path) -> Path:
    """A small sheet whose <dimension> claims A1:XFD1048576 (a lie readers must not trust)."""
    return _book(path, _sheet(dimension="A1:XFD1048576"))


def xlsx_huge_string(path: Path, mib: int = 1024) -> Path:
    """About 1 MB per GiB: a shared string of ``mib`` MiB of 'A' used by the Campaign cell of row 2."""
    unit, times = b"A" * (1 << 20), mib
    head = f'<sst {_NS} count="1" uniqueCount="1"><si><t>'.encode()
    tail = b"</t></si></sst>"
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    deflated = first + piece * times + c.compress(tail) + c.flush(zlib.Z_FINISH)
    shared = _Member("xl/sharedStrings.xml", crc=crc, size=len(head) + len(unit) * times + len(tail),
                     deflated=deflated)
    sheet = _sheet().replace(_inline("B2", "Alpha"), '<c r="B2" t="s"><v>0</v></c>')
    return _book(path, sheet, shared)


def xlsx_cell(path: Path, ref: str, text: str = "x") -> Path:
    """The plain workbook plus one cell ``ref`` (below row 2) holding ``text`` inline."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return _book(path, _sheet(f'<row r="{row}">' + _inline(ref, text) + "</row>"))


def gzip_nul_bomb(path: Path, gib: int = 3, header: bool = False) -> Path:
    """About 3 MB of gzip (concatenated members) inflating to ``gib`` GiB of NUL bytes; ``header``: after a
    real header line."""
    member = gzip.compress(b"\0" * (1 << 26), compresslevel=9)
    with open(path, "wb") as fh:
        if header:
            fh.write(gzip.compress((HEADER + "\n").encode()))
        for _ in range(16 * gib):
            fh.write(member)
    return path


def gzip_text_bomb(path: Path, mib: int) -> Path:
    """A valid export of ``mib`` MiB inflated, as gzip: rows compress about 1000:1 when they repeat."""
    rows = ((ROW + "\n") * 20_000).encode()
    with open(path, "wb") as fh:
        fh.write(gzip.compress((HEADER + "\n").encode()))
        member = gzip.compress(rows, compresslevel=9)
        for _ in range(max(1, (mib << 20) // len(rows))):
            fh.write(member)
    return path


def long_line(path: Path, mib: int, column: int = 1, gz: bool = False) -> Path:
    """A CSV whose second data row (line 3) holds one value of ``mib`` MiB in column ``column`` (0-based)."""
    fields = ROW.replace("r1", "r2").split(",")
    before = (",".join(fields[:column]) + ("," if column else "")).encode()
    after = ("," + ",".join(fields[column + 1:]) if column < len(fields) - 1 else "").encode()
    block = b"x" * (1 << 20)
    with (gzip.open(path, "wb", compresslevel=1) if gz else open(path, "wb")) as fh:
        fh.write(f"{HEADER}\n{ROW}\n".encode() + before)
        for _ in range(mib):
            fh.write(block)
        fh.write(after + f"\n{ROW.replace('r1', 'r3')}\n".encode())
    return path


def wide_header(path: Path, columns: int = 1_000_010) -> Path:
    """A header of ``columns`` columns (about 8 MB) with one short row."""
    names = HEADER.split(",") + [f"x{i}" for i in range(columns - 5)]
    path.write_text(",".join(names) + "\n" + ROW + "," * (columns - 5) + "\n", encoding="utf-8")
    return path


def deep_json(path: Path, depth: int = 100_000) -> Path:
    """JSON Lines: a good record, then one whose Campaign is nested ``depth`` deep."""
    good = '{"Reach Out ID": "r1", "Campaign": "A", "Sender": "ann", "State": 2, "Created At": "2026-11-16"}'
    bad = good.replace('"A"', '{"a":' * depth + "1" + "}" * depth).replace("r1", "r2")
    path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    return path
