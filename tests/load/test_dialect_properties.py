"""Property tests (hypothesis): a random canonical table, written as an export in a random dialect, loads back
to the same reach outs and the same statistics.

Dialects drawn: format (CSV with comma / semicolon / tab, UTF-8 BOM, gzip, XLSX, Parquet, JSON Lines), header
spellings and column order, state as code / "2.0" / label in any case / "Label (n)", response type as words or
emoji, opens as a flag / count / opened-at timestamp / separate messages export / absent, created-at with UTC
offsets or naive in a source time zone, blank response-via spellings, stale duplicate rows. Each format gets
its own examples; the whole file runs in well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from routes_support import HEADERS as ROUTE_HEADERS

from talentstats.load.loader import read_reach_outs
from talentstats.stats.metrics import campaign_stats, stats_dicts
from talentstats.stats.states import STATES

FORMATS = ("csv", "csv-semicolon", "tsv", "csv-bom", "csv-gz", "xlsx", "parquet", "jsonl")
#: 2026-04-06 .. 2026-10-18: no DST change in the source zones below, so every naive local time exists once
BASE = dt.datetime(2026, 4, 6, tzinfo=dt.UTC)
HOURS = 27 * 7 * 24
SOURCE_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
REPORT_ZONES = ("UTC", "America/Los_Angeles", "Asia/Tokyo", "Europe/London")
CAMPAIGNS = ("Alpha", "Backend, Berlin", 'Say "hi"; now', "Café – “Zürich”", "Ωmega\tTeam", "=SUM(A1)")
SENDERS = ("ann@x.io", "Bo Ström", "")
HEADERS = ROUTE_HEADERS  # the header spellings the differential test of every route also writes
TYPE_SPELLINGS = {"Interested": ("Interested", "interested", "👍", ":+1:", "thumbs up"),
                  "Not Interested": ("Not Interested", "NOT INTERESTED", "👎", ":-1:", "thumbs down"),
                  "Maybe": ("Maybe",)}
LABEL_SPELLINGS = {5: ("Canceled", "Cancelled")}


def budget(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


# --------------------------------------------------------------------------------------------- canonical

row_strategy = st.fixed_dictionaries({
    "campaign": st.sampled_from(CAMPAIGNS),
    "sender": st.sampled_from(SENDERS),
    "state": st.integers(0, 9),
    "hour": st.integers(0, HOURS - 1),
    "second": st.integers(0, 3599),
    "via": st.sampled_from([None, "Email", "LinkedIn"]),
    "rtype": st.sampled_from([None, "Interested", "Not Interested", "Maybe"]),
    "opened": st.booleans(),
    "stale_copy": st.booleans(),
})


def canonical(rows: list[dict], opens: str) -> pd.DataFrame:
    """The canonical table the export is generated from (what loading it must give back)."""
    created = [BASE + dt.timedelta(hours=r["hour"], seconds=r["second"]) for r in rows]
    n = len(rows)
    opened = [None] * n if opens == "none" else [r["opened"] for r in rows]
    return pd.DataFrame({
        "reach_out_id": pd.array([f"r{i}" for i in range(n)], dtype="str"),
        "campaign": pd.array([r["campaign"] for r in rows], dtype="str"),
        "sender": pd.array([r["sender"] for r in rows], dtype="str"),
        "state": pd.array([r["state"] for r in rows], dtype="int8"),
        "created_at": pd.array(created, dtype="datetime64[us, UTC]"),
        "updated_at": pd.array([c + dt.timedelta(days=1) for c in created], dtype="datetime64[us, UTC]"),
        "response_via": pd.array([r["via"] for r in rows], dtype="str"),
        "response_type": pd.array([r["rtype"] for r in rows], dtype="str"),
        "opened": pd.array(opened, dtype="boolean"),
        "prospect_name": pd.array([None] * n, dtype="str"),
        "prospect_email": pd.array([None] * n, dtype="str"),
    })


# --------------------------------------------------------------------------------------------- dialects

dialect_strategy = st.fixed_dictionaries({
    "headers": st.fixed_dictionaries({k: st.sampled_from(v) for k, v in HEADERS.items()}),
    "order_seed": st.integers(0, 10_000),
    "state": st.sampled_from(["code", "float", "label", "label_code"]),
    "label_case": st.sampled_from(["as is", "lower", "upper"]),
    "rtype_pick": st.integers(0, 4),
    "opens": st.sampled_from(["flag", "count", "opened_at", "messages", "messages-in-folder", "none"]),
    "flag_words": st.sampled_from([("yes", "no"), ("true", "false"), ("1", "0"), ("TRUE", "")]),
    "time": st.sampled_from(["z", "offset", "naive"]),
    "source_tz": st.sampled_from(SOURCE_ZONES),
    "blank_via": st.sampled_from(["", " ", None]),
    "stale_copies": st.booleans(),
    "stale_first": st.booleans(),
})


def _state_text(code: int, d: dict) -> str | int:
    label = LABEL_SPELLINGS.get(code, (STATES[code],))[d["rtype_pick"] % len(LABEL_SPELLINGS.get(code, (0,)))]
    label = {"as is": label, "lower": label.lower(), "upper": label.upper()}[d["label_case"]]
    return {"code": code, "float": f"{code}.0", "label": label, "label_code": f"{label} ({code})"}[d["state"]]


def _stamp(instant: dt.datetime, d: dict, i: int) -> str:
    if d["time"] == "z":
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    if d["time"] == "offset":
        offset = dt.timedelta(minutes=(-300, 60, 330, 540, 0)[i % 5])
        return instant.astimezone(dt.timezone(offset)).isoformat()
    return instant.astimezone(ZoneInfo(d["source_tz"])).strftime("%Y-%m-%d %H:%M:%S")


def export_records(table: pd.DataFrame, rows: list[dict], d: dict) -> tuple[list[dict], list[dict] | None]:
    """Export rows (header -> value, Python values) and, for a messages dialect, message rows."""
    h = d["headers"]
    records = []
    messages = [] if d["opens"].startswith("messages") else None
    for i, r in enumerate(rows):
        created = table["created_at"].iloc[i].to_pydatetime()
        rec = {
            h["reach_out_id"]: f"r{i}",
            h["campaign"]: r["campaign"],
            h["sender"]: r["sender"],
            h["state"]: _state_text(r["state"], d),
            h["created_at"]: _stamp(created, d, i),
            h["response_via"]: r["via"] if r["via"] is not None else d["blank_via"],
            h["response_type"]: None if r["rtype"] is None else
            TYPE_SPELLINGS[r["rtype"]][d["rtype_pick"] % len(TYPE_SPELLINGS[r["rtype"]])],
        }
        if d["stale_copies"]:
            rec[h["updated_at"]] = _stamp(created + dt.timedelta(days=1), d, i)
        opened = r["opened"]
        if d["opens"] == "flag":
            rec[h["opened"]] = d["flag_words"][0 if opened else 1]
        elif d["opens"] == "count":
            rec[h["open_count"]] = str(1 + i % 3) if opened else ("0" if i % 2 else "")
        elif d["opens"] == "opened_at":
            rec[h["opened_at"]] = _stamp(created + dt.timedelta(hours=2), d, i) if opened else ""
        elif messages is not None:
            for step in range(1 + i % 3):
                hit = opened and step == i % 3
                messages.append({"Message ID": f"m{i}-{step}", "Reach Out ID": f"r{i}",
                                 "Opened At": _stamp(created + dt.timedelta(hours=step + 1), d, i) if hit else ""})
        copies = [rec]
        if d["stale_copies"] and r["stale_copy"]:
            stale = dict(rec)
            stale[h["state"]] = _state_text((r["state"] + 3) % 10, d)
            stale[h["campaign"]] = "Old name"
            stale[h["updated_at"]] = _stamp(created, d, i)
            copies = [stale, rec] if d["stale_first"] else [rec, stale]
        records += copies
    order = sorted(records[0], key=lambda k: zlib.crc32(f"{k}/{d['order_seed']}".encode())) if records else []
    return [{k: rec.get(k) for k in order} for rec in records], messages


def _text(v: object) -> str:
    return "" if v is None else str(v)


def write_csv(path: Path, records: list[dict], delimiter: str = ",", bom: bool = False, gz: bool = False) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if delimiter == ";" else "\n")
    w.writerow(list(records[0]))
    w.writerows([[_text(v) for v in r.values()] for r in records])
    data = (b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)


def write_export(folder: Path, fmt: str, records: list[dict], table: pd.DataFrame, d: dict) -> Path:
    if fmt in ("csv", "csv-semicolon", "tsv", "csv-bom", "csv-gz"):
        name = {"csv-gz": "export.csv.gz", "tsv": "export.tsv"}.get(fmt, "export.csv")
        write_csv(folder / name, records, delimiter={"csv-semicolon": ";", "tsv": "\t"}.get(fmt, ","),
                  bom=fmt == "csv-bom", gz=fmt == "csv-gz")
        return folder / name
    h = d["headers"]
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(records[0]))
        for r in records:
            cells = []
            for k, v in r.items():
                if k in (h["created_at"], h["updated_at"]) and d["time"] == "naive" and v:
                    v = dt.datetime.fromisoformat(v)  # a real (zone-less) date cell
                elif k == h["opened"] and v in ("true", "false"):
                    v = v == "true"  # a boolean cell
                cells.append(v)
            ws.append(cells)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text, as in a real export
        wb.save(folder / "export.xlsx")
        return folder / "export.xlsx"
    if fmt == "parquet":
        cols = {}
        for k in records[0]:
            values = [r[k] for r in records]
            if k == h["state"] and d["state"] == "code":
                cols[k] = pa.array(values, pa.int16())
            elif k == h["created_at"] and d["time"] != "offset":
                stamps = [pd.Timestamp(v).to_pydatetime() for v in values]
                zone = None if d["time"] == "naive" else "UTC"
                cols[k] = pa.array(stamps, pa.timestamp("ms", tz=zone))
            else:
                cols[k] = pa.array([_text(v) if v is not None else None for v in values], pa.string())
        pq.write_table(pa.table(cols), folder / "export.parquet")
        return folder / "export.parquet"
    with open(folder / "export.jsonl", "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=bool(d["order_seed"] % 2)) + "\n")
    return folder / "export.jsonl"


# --------------------------------------------------------------------------------------------- the property


def check_roundtrip(tmp: Path, fmt: str, rows: list[dict], d: dict, report_tz: str, by: str | None,
                    week: int) -> None:
    table = canonical(rows, "none" if d["opens"] == "none" else "known")
    records, messages = export_records(table, rows, d)
    folder = tmp / "export"
    folder.mkdir()
    path = write_export(folder, fmt, records, table, d)
    inputs, extra = [path], None
    if messages is not None:
        if d["opens"] == "messages-in-folder":
            write_csv(folder / "messages.csv", messages)
            inputs = [folder]
        else:
            write_csv(tmp / "messages.csv", messages)
            extra = [tmp / "messages.csv"]
    source_tz = d["source_tz"] if d["time"] == "naive" else "UTC"
    loaded = read_reach_outs(inputs, messages=extra, source_tz=source_tz)
    rep = loaded.report
    stale = sum(r["stale_copy"] for r in rows) if d["stale_copies"] else 0
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected, rep.duplicates_collapsed) == \
        (len(rows) + stale, len(rows), 0, stale), rep.rejects.head().to_dict("records")

    got = loaded.table.sort_values("reach_out_id", key=lambda s: s.str[1:].astype(int)).reset_index(drop=True)
    for col in ("reach_out_id", "campaign", "sender", "state", "created_at", "opened"):
        assert got[col].tolist() == table[col].tolist(), col
    for col in ("response_via", "response_type"):
        assert got[col].fillna("<NA>").tolist() == table[col].fillna("<NA>").tolist(), col

    start = (BASE + dt.timedelta(weeks=week)).date()
    for s, e in ((BASE.date(), (BASE + dt.timedelta(hours=HOURS)).date()), (start, start + dt.timedelta(days=6))):
        want = stats_dicts(campaign_stats(table, s, e, report_tz, by))
        have = stats_dicts(campaign_stats(loaded.table, s, e, report_tz, by))
        assert have == want


@pytest.mark.parametrize("fmt", FORMATS)
@budget(7)
@given(rows=st.lists(row_strategy, min_size=1, max_size=20), d=dialect_strategy,
       report_tz=st.sampled_from(REPORT_ZONES),
       by=st.sampled_from([None, "campaign", "sender", "week", "state", "response_type", "response_via"]),
       week=st.integers(0, 26))
def test_every_dialect_loads_to_the_same_statistics(tmp_path_factory, fmt, rows, d, report_tz, by, week):
    check_roundtrip(tmp_path_factory.mktemp(fmt), fmt, rows, d, report_tz, by, week)
