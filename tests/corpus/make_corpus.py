"""Generate the corpus of broken and awkward exports that tests/test_corpus.py checks (issue 6).

Run ``python tests/corpus/make_corpus.py`` to (re)write the files next to this script. Every file is small and
built byte by byte here, so each case is reproducible and its expected outcome can be worked out by hand; the
expectations themselves live in tests/test_corpus.py. The text files are byte-identical on every run (a test
checks that the committed copies match this script); the XLSX files differ only in zip timestamps.

Naming: ``<group>_<case>.<ext>``; groups are ``text`` (CSV structure), ``enc`` (encodings), ``excel``,
``values``, ``json`` and ``size``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
H4 = "Reach Out ID,Campaign,State,Created At"


def lines(*rows: str, end: str = "\n") -> str:
    return "".join(r + end for r in rows)


# --------------------------------------------------------------------------------------------- text structure


def text_cases() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    # a download cut off in the middle of its last line (no newline, fields missing)
    out["text_truncated_last_line.csv"] = (lines(H4, "r1,Alpha,2,2026-11-16T09:00:00Z",
                                                 "r2,Alpha,3,2026-11-16T10:00:00Z",
                                                 "r3,Beta,0,2026-11-17T09:00:00Z") + "r4,Beta,Comp").encode()
    # a value whose opening quote is never closed: the rest of the file would be swallowed into it
    out["text_unbalanced_quote.csv"] = lines(H4, "r1,Alpha,2,2026-11-16T09:00:00Z",
                                             'r2,"Alpha,3,2026-11-16T10:00:00Z',
                                             "r3,Beta,0,2026-11-17T09:00:00Z").encode()
    # a stray quote in the middle of an unquoted value is a literal character (RFC 4180 readers agree)
    out["text_stray_quote.csv"] = lines(H4, 'r1,Alpha 12" screens,2,2026-11-16T09:00:00Z',
                                        "r2,Beta,3,2026-11-16T10:00:00Z").encode()
    # quoted values holding newlines (LF and CRLF), delimiters and doubled quotes; a bad row after them
    out["text_quoted_newlines.csv"] = (
        H4 + "\n"
        + 'r1,"Backend, Berlin",2,2026-11-16T09:00:00Z\n'                # line 2
        + 'r2,"Two\nline name",3,2026-11-16T10:00:00Z\n'                  # lines 3-4
        + 'r3,"Say ""hi""; then\r\nfollow up\nagain",0,2026-11-17T09:00:00Z\n'  # lines 5-7
        + "r4,Beta,Lost,2026-11-17T10:00:00Z\n"                          # line 8: unknown state
        + 'r5,"Gamma\n",9,not a date\n'                                   # lines 9-10: bad date
        + "r6,Beta,5,2026-11-18T09:00:00Z\n"                             # line 11
    ).encode()
    # \r\n, \n and a lone \r (old Mac) in one file; bad rows after each kind
    out["text_mixed_line_endings.csv"] = (
        H4 + "\r\n"
        + "r1,Alpha,2,2026-11-16T09:00:00Z\r\n"   # line 2
        + "r2,Alpha,Lost,2026-11-16T10:00:00Z\n"  # line 3: unknown state
        + "r3,Beta,0,2026-11-17T09:00:00Z\r"      # line 4
        + "r4,Beta,12,2026-11-17T10:00:00Z\r\n"   # line 5: unknown state
        + "r5,Beta,3,2026-11-18T09:00:00Z"        # line 6, no final newline
    ).encode()
    # blank lines between rows (not rows), delimiter-only lines (rows with every value empty) and trailing
    # delimiter-only lines as Excel writes them for formatted empty rows
    out["text_blank_lines.csv"] = (
        H4 + "\n"
        + "\n"                                      # line 2: blank
        + "r1,Alpha,2,2026-11-16T09:00:00Z\n"       # line 3
        + "\r\n\n"                                  # lines 4-5: blank
        + "r2,Alpha,Lost,2026-11-16T10:00:00Z\n"    # line 6: unknown state
        + ",,,\n"                                   # line 7: every value empty
        + "r3,Beta,0,2026-11-17T09:00:00Z\n"        # line 8
        + ",,,\n,,,\n\n"                            # lines 9-11: trailing empty rows
    ).encode()
    # a row with more fields than the header (an unquoted delimiter inside a value)
    out["text_extra_field.csv"] = lines(H4, "r1,Alpha,2,2026-11-16T09:00:00Z",
                                        "r2,Backend, Berlin,3,2026-11-16T10:00:00Z").encode()
    # Excel's "CSV" with trailing empty columns (blank headers) on every line
    out["text_trailing_empty_columns.csv"] = lines(H4 + ",,,", "r1,Alpha,2,2026-11-16T09:00:00Z,,,",
                                                   "r2,Beta,3,2026-11-16T10:00:00Z,,,").encode()
    # the same export gzipped, the download cut short
    whole = gzip.compress(lines(H4, *[f"r{i},Alpha,2,2026-11-16T09:00:00Z" for i in range(1, 400)]).encode(),
                          mtime=0)
    out["text_truncated.csv.gz"] = whole[: len(whole) // 2]
    return out


# --------------------------------------------------------------------------------------------- encodings

NAMES = ["Café Zürich – “Senior” Engineers", "Ångström’s Backend", "Zoë & Łukasz 🚀"]


def encoding_cases() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    body = [f'r{i},"{name}",2,2026-11-16T09:00:00Z' for i, name in enumerate(NAMES, 1)]
    out["enc_utf8_bom.csv"] = b"\xef\xbb\xbf" + lines(H4, *body).encode("utf-8")
    # Excel "Unicode text": UTF-16 LE with BOM, tab-separated, CRLF, unquoted
    rows = ["Reach Out ID\tCampaign\tState\tCreated At"]
    rows += [f"r{i}\t{name}\tResponded\t16/11/2026 09:00" for i, name in enumerate(NAMES, 1)]
    out["enc_utf16_unicode_text.txt"] = "\ufeff".encode("utf-16-le") + lines(*rows, end="\r\n").encode("utf-16-le")
    # Excel "CSV" on a European Windows machine: cp1252, semicolons, curly quotes, accented names, en dash
    cp = ["Reach Out ID;Campaign;Sender;State;Created At",
          "r1;Café – “Senior” Engineers;José Núñez;2;2026-11-16 09:00",
          "r2;Façade ‘Platform’ Team;Zoë Müller;Completed;2026-11-16 10:00",
          "r3;Ærø Data € Analysts;Søren Ødegård;0;2026-11-17 09:00"]
    out["enc_cp1252_curly_quotes.csv"] = lines(*cp, end="\r\n").encode("cp1252")
    # cp1252 whose first non-ASCII byte comes only after the first 64 KiB (past any sniffing window)
    filler = [f"r{i:05d};Plain Campaign;Sam Lee;3;2026-11-16 09:00" for i in range(1, 1700)]
    late = [cp[0], *filler, "r99999;Café – “Late” Engineers;José Núñez;2;2026-11-17 09:00"]
    out["enc_cp1252_late_accent.csv"] = lines(*late, end="\r\n").encode("cp1252")
    # two exports concatenated: one UTF-8, one cp1252 - no single decoding is right
    out["enc_mixed_utf8_cp1252.csv"] = (lines(H4, "r1,Café Berlin,2,2026-11-16T09:00:00Z").encode("utf-8")
                                        + lines("r2,Café Paris,3,2026-11-16T10:00:00Z").encode("cp1252"))
    return out


# --------------------------------------------------------------------------------------------- Excel


def _workbook():
    import openpyxl

    wb = openpyxl.Workbook()
    stamp = dt.datetime(2026, 11, 20, 12, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    return wb


def excel_cases(folder: Path) -> list[str]:
    from openpyxl.styles import Font

    made = []

    def save(wb, name: str) -> None:
        wb.save(folder / name)
        made.append(name)

    # dates stored as serial numbers (a date column reformatted as General), beside real date cells
    wb = _workbook()
    ws = wb.active
    ws.title = "Reach Outs"
    ws.append(["Reach Out ID", "Campaign", "State", "Created At", "Updated At"])
    ws.append(["r1", "Alpha", 2, 46342.375, 46343])            # 2026-11-16 09:00, 2026-11-17 00:00
    ws.append(["r2", "Alpha", 3, dt.datetime(2026, 11, 16, 10, 30), None])
    ws.append(["r3", "Beta", 0, "46343.5", None])              # a serial typed in as text
    ws.append(["r4", "Beta", 0, 12.5, None])                   # 1900-01-12: not a plausible export date
    save(wb, "excel_serial_dates.xlsx")

    # numbers stored as text (and text stored as numbers): ids, states, counts
    wb = _workbook()
    ws = wb.active
    ws.append(["Reach Out ID", "Campaign", "State", "Created At", "Open Count"])
    ws.append([1001, "Alpha", "2", "2026-11-16T09:00:00Z", "3"])
    ws.append([1002.0, "Alpha", 3.0, "2026-11-16T10:00:00Z", 0])
    ws.append(["1003", 2026, " 0 ", "2026-11-17T09:00:00Z", "1.0"])
    ws.append(["00104", "Beta", "Responded", "2026-11-17T10:00:00Z", ""])
    save(wb, "excel_numbers_as_text.xlsx")

    # trailing empty rows and columns: formatted but empty cells far below and right of the data
    wb = _workbook()
    ws = wb.active
    ws.append(["Reach Out ID", "Campaign", "State", "Created At", None, None])
    ws.append(["r1", "Alpha", 2, "2026-11-16T09:00:00Z"])
    ws.append(["r2", "Beta", 5, "2026-11-16T10:00:00Z"])
    ws.append([])
    ws.append(["r3", "Beta", "Lost", "2026-11-16T11:00:00Z"])  # row 5, after an empty row
    for row in range(6, 40):
        ws.cell(row=row, column=1).font = Font(bold=True)
    ws.cell(row=3, column=9).value = ""
    ws.cell(row=12, column=12).font = Font(italic=True)
    ws.cell(row=30, column=2).value = "   "  # a lone space far below: still an empty row
    save(wb, "excel_trailing_empty.xlsx")

    # several sheets: the export, an archive in a different layout and a notes sheet
    wb = _workbook()
    ws = wb.active
    ws.title = "Reach Outs"
    ws.append(["Reach Out ID", "Campaign", "State", "Created At"])
    ws.append(["r1", "Alpha", 2, "2026-11-16T09:00:00Z"])
    ws.append(["r2", "Alpha", 3, "2026-11-16T10:00:00Z"])
    arch = wb.create_sheet("Archive 2025")
    arch.append(["Email Thread ID", "Status", "Created Date", "Sequence"])
    arch.append(["a1", "Cancelled", dt.datetime(2025, 3, 1, 8, 0), "Old"])
    notes = wb.create_sheet("Notes")
    notes.append(["Exported by Ana for the Monday review"])
    save(wb, "excel_sheets.xlsx")

    # merged header cells: a title row merged across the top, the real header on row 2
    wb = _workbook()
    ws = wb.active
    ws.append(["Reach outs - November 2026", None, None, None])
    ws.merge_cells("A1:D1")
    ws.append(["Reach Out ID", "Campaign", "State", "Created At"])
    ws.append(["r1", "Alpha", 2, "2026-11-16T09:00:00Z"])
    ws.append(["r2", "Beta", "Lost", "2026-11-16T10:00:00Z"])  # row 4
    save(wb, "excel_merged_title.xlsx")

    # merged header cells: one header cell merged across two columns (the second holds no header)
    wb = _workbook()
    ws = wb.active
    ws.append(["Reach Out ID", "Campaign", None, "State", "Created At"])
    ws.merge_cells("B1:C1")
    ws.append(["r1", "Alpha", "EMEA", 2, "2026-11-16T09:00:00Z"])
    ws.append(["r2", "Beta", "", 3, "2026-11-16T10:00:00Z"])
    save(wb, "excel_merged_header.xlsx")

    # a header-only sheet, and a workbook whose only sheet is empty
    wb = _workbook()
    wb.active.append(["Reach Out ID", "Campaign", "State", "Created At"])
    save(wb, "size_header_only.xlsx")
    wb = _workbook()
    wb.active.title = "Sheet1"
    save(wb, "size_empty.xlsx")
    return made


# --------------------------------------------------------------------------------------------- values


def value_cases() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    out["values_states.csv"] = lines(
        H4,
        "r1,A,2,2026-11-16T09:00:00Z",              # code
        "r2,A,2.0,2026-11-16T09:00:00Z",            # code as a float
        "r3,A,  cancelled ,2026-11-16T09:00:00Z",   # label, any case, spaces
        "r4,A,Responded (2),2026-11-16T09:00:00Z",  # label with code
        "r5,A,Paused By Auth Loss,2026-11-16T09:00:00Z",
        "r6,A,12,2026-11-16T09:00:00Z",             # line 7: out of range
        "r7,A,-1,2026-11-16T09:00:00Z",             # line 8: negative
        "r8,A,2.5,2026-11-16T09:00:00Z",            # line 9: not a whole number
        "r9,A,Lost,2026-11-16T09:00:00Z",           # line 10: unknown label
        "r10,A,Responded (3),2026-11-16T09:00:00Z",  # line 11: label and code disagree
        "r11,A,,2026-11-16T09:00:00Z",              # line 12: missing
    ).encode()
    out["values_future_and_old.csv"] = lines(
        H4,
        "r1,A,0,2026-11-16T09:00:00Z",
        "r2,A,0,2099-01-01T00:00:00Z",              # in the future: loaded (check reports it)
        "r3,A,3,1999-12-31T23:59:59Z",              # line 4: before 2000
        "r4,A,3,1970-01-01T00:00:00Z",              # line 5: a Unix-epoch placeholder
        "r5,A,3,0001-01-01",                        # line 6: a .NET MinValue placeholder
        "r6,A,3,2000-01-01T00:00:00Z",              # the first plausible instant
    ).encode()
    out["values_mixed_offsets.csv"] = lines(
        H4,
        "r1,A,0,2026-11-16T09:00:00Z",
        "r2,A,0,2026-11-16T09:00:00+01:00",
        "r3,A,0,2026-11-16T09:00:00-05:00",
        "r4,A,0,2026-11-16T09:00:00+0530",
        "r5,A,0,2026-11-16 09:00:00",               # naive: read in --source-tz
        "r6,A,0,2026-07-01 09:00:00",               # naive, summer time
    ).encode()
    out["values_day_month.csv"] = lines(
        H4,
        "r1,A,0,03/04/2026 10:00",
        "r2,A,0,12/11/2026",
        "r3,A,0,2026-11-16T09:00:00Z",
    ).encode()
    out["values_day_first_only.csv"] = lines(
        H4,
        "r1,A,0,03/04/2026 10:00",
        "r2,A,0,13/04/2026 10:00",                  # line 3: only readable day first
        "r3,A,0,25/12/2026",
    ).encode()
    out["values_blank_ids.csv"] = lines(
        H4,
        "r1,A,0,2026-11-16T09:00:00Z",
        ",A,0,2026-11-16T09:00:00Z",                # line 3
        '"   ",A,0,2026-11-16T09:00:00Z',           # line 4: whitespace only
        "r2,A,0,2026-11-16T09:00:00Z",
    ).encode()
    out["values_id_whitespace_case.csv"] = lines(
        "Reach Out ID,Campaign,State,Created At,Updated At",
        'r1,A,0,2026-11-16T09:00:00Z,2026-11-16T09:00:00Z',
        '" r1",A,2,2026-11-16T09:00:00Z,2026-11-18T09:00:00Z',  # same id: newest update wins
        'r1\t,A,3,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z',
        'R1,B,5,2026-11-16T09:00:00Z,2026-11-16T09:00:00Z',     # another id: ids are case-sensitive
        'ro-7,B,0,2026-11-16T09:00:00Z,',
        'RO-7,B,0,2026-11-16T09:00:00Z,',
    ).encode()
    return out


# --------------------------------------------------------------------------------------------- JSON Lines, size


def json_cases() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    r = '{{"Reach Out ID": "{}", "Campaign": "{}", "State": {}, "Created At": "{}"}}'
    out["json_blank_lines.jsonl"] = lines(
        r.format("r1", "Alpha", 2, "2026-11-16T09:00:00Z"),
        "",
        r.format("r2", "Alpha", '"Lost"', "2026-11-16T10:00:00Z"),   # line 3
        "",
        r.format("r3", "Beta", 0, "2026-11-17T09:00:00Z"),
    ).encode()
    out["json_truncated.jsonl"] = (lines(r.format("r1", "Alpha", 2, "2026-11-16T09:00:00Z"),
                                         r.format("r2", "Alpha", 3, "2026-11-16T10:00:00Z"))
                                   + '{"Reach Out ID": "r3", "Camp').encode()
    out["json_bad_line.jsonl"] = lines(r.format("r1", "Alpha", 2, "2026-11-16T09:00:00Z"),
                                       '{"Reach Out ID": "r2", "State": 3 "Created At": "2026-11-16"}',
                                       r.format("r3", "Beta", 0, "2026-11-17T09:00:00Z")).encode()
    return out


def size_cases() -> dict[str, bytes]:
    return {
        "size_empty.csv": b"",
        "size_blank_lines_only.csv": b"\r\n\n  \n",
        "size_header_only.csv": lines(H4).encode(),
        "size_header_only_no_newline.csv": H4.encode(),
        "size_empty.jsonl": b"",
    }


TEXT_BUILDERS: tuple[Callable[[], dict[str, bytes]], ...] = (text_cases, encoding_cases, value_cases, json_cases,
                                                             size_cases)


def text_files() -> dict[str, bytes]:
    """Every non-Excel corpus file: name -> bytes."""
    out: dict[str, bytes] = {}
    for build in TEXT_BUILDERS:
        out.update(build())
    return out


def main(folder: Path = HERE) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, data in text_files().items():
        (folder / name).write_bytes(data)
        names.append(name)
    names += excel_cases(folder)
    return names


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for n in main(target):
        print(target / n)
