"""Statistics as terminal tables, CSV and JSON; rejected rows as CSV. Spreadsheet-safe text throughout."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.load.accounting import LoadReport
from talentstats.present.formats import KEY_LABELS, METRIC_LABELS, UNKNOWN_TEXT, fmt_rate, is_na
from talentstats.present.formats import fmt_count as _fmt_count
from talentstats.stats.metrics import COUNTS, METRICS, RATES
from talentstats.stats.states import STATES

LABELS = {**METRIC_LABELS, **KEY_LABELS}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: RFC 4180 line ends: with a bare "\n" the csv module leaves a value holding a lone "\r" unquoted, and
#: spreadsheets then split the row there
CSV_EOL = "\r\n"


def spreadsheet_safe(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: text starting with = + - @ tab or CR gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell made spreadsheet-safe (numbers untouched)."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            s = out[c].astype("str")
            risky = s.str.startswith(_FORMULA_START, na=False)
            out[c] = s.where(~risky, "'" + s)
    return out


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> None:
    """Write rejected rows (file, line, column, reason, raw values) as CSV, spreadsheet-safe."""
    safe_frame(rejects).to_csv(path, index=False, lineterminator=CSV_EOL)


def fmt_count(v: Any) -> str:
    """``12,345``; an unknown count (opens without open data) as ``unknown``, spelled out for terminals."""
    return UNKNOWN_TEXT if is_na(v) else _fmt_count(v)


def _json_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each value of an Arrow column as JSON text ("null" for nulls), computed column-wise."""
    typ = col.type
    if pa.types.is_dictionary(typ):
        col, typ = col.cast(typ.value_type), typ.value_type
    if pa.types.is_integer(typ):
        text = col.cast(pa.string())
    elif pa.types.is_floating(typ):
        text = col.cast(pa.string())  # shortest round-trip digits; whole numbers get a ".0" as in Python
        whole = pc.equal(pc.floor(col), col)
        text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    elif pa.types.is_boolean(typ):
        text = pc.if_else(col, "true", "false")
    else:  # text: escaped once per distinct value (few: campaigns, senders, weeks)
        encoded = pc.dictionary_encode(col.cast(pa.string())).combine_chunks()
        words = pa.array([json.dumps(w, ensure_ascii=False) for w in encoded.dictionary.to_pylist()], pa.string())
        text = pc.take(words, encoded.indices)
    return pc.fill_null(text, "null")


def json_rows(frame: Any, columns: Sequence[str]) -> str:
    """The rows of a statistics frame as a JSON array of objects (``columns`` in order), built column-wise
    by Arrow: the same text as ``json.dumps`` of the row dicts, at a cost that does not grow per row in Python."""
    table = nw.from_native(frame, eager_only=True).select(*columns).to_arrow().select(list(columns))
    if table.num_rows == 0:
        return "[]"
    if "state" in columns:
        table = table.set_column(table.column_names.index("state"), "state", table.column("state").cast(pa.int64()))
    parts: list[Any] = []
    for i, name in enumerate(columns):
        parts += [("{" if i == 0 else ", ") + json.dumps(name) + ": ", _json_text(table.column(name))]
    rows = pc.binary_join_element_wise(*parts, "}", "").combine_chunks()
    one_list = pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows)
    return "[" + pc.binary_join(one_list, ", ")[0].as_py() + "]"


def stats_payload(start: dt.date, end: dt.date, tz: str, keys: Sequence[str], rows: Any, total: Any,
                  report: LoadReport | None) -> dict[str, Any]:
    """The JSON document of ``talentstats stats --format json`` as Python values."""
    return json.loads(_stats_json(start, end, tz, keys, rows, total, report))


def _stats_json(start: dt.date, end: dt.date, tz: str, keys: Sequence[str], rows: Any, total: Any,
                report: LoadReport | None) -> str:
    total_text = json_rows(total, METRICS)[1:-1]
    doc: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(), "tz": tz, "rows": None,
                           "total": None}
    if report is not None:
        doc["load"] = report.as_dict()
    head = json.dumps(doc, ensure_ascii=False)
    row_text = json_rows(rows, [*keys, *METRICS]) if keys else f"[{total_text}]"
    return head.replace('"rows": null, "total": null', f'"rows": {row_text}, "total": {total_text}', 1)


def render_stats(fmt: str, start: dt.date, end: dt.date, tz: str, keys: Sequence[str], rows: Any, total: Any,
                 report: LoadReport | None) -> str:
    """Statistics as ``table`` (rich), ``csv`` or ``json`` text."""
    if fmt == "json":
        return _stats_json(start, end, tz, keys, rows, total, report) + "\n"
    if fmt == "csv":
        frame = nw.from_native(rows if keys else total, eager_only=True).select(*keys, *METRICS).to_pandas()
        buf = io.StringIO()
        safe_frame(frame).to_csv(buf, index=False, lineterminator=CSV_EOL)
        return buf.getvalue()
    return _table(stats_payload(start, end, tz, keys, rows, total, report), keys, report)


def _table(doc: dict[str, Any], keys: Sequence[str], report: LoadReport | None) -> str:
    from rich.console import Console
    from rich.table import Table

    title = f"Reach outs created {doc['start']} – {doc['end']} ({doc['tz']})"
    table = Table(title=title, show_footer=bool(keys), title_justify="left")
    for k in keys:
        table.add_column(LABELS[k], footer="Total" if k == keys[0] else "")
    for m in METRICS:
        fmt = fmt_count if m in COUNTS else fmt_rate
        table.add_column(LABELS[m], justify="right", footer=fmt(doc["total"][m]) if keys else "")
    for r in doc["rows"]:
        cells = [STATES[r[k]] if k == "state" else str(r[k]) for k in keys]
        cells += [fmt_count(r[m]) if m in COUNTS else fmt_rate(r[m]) for m in METRICS]
        table.add_row(*cells)
    buf = io.StringIO()
    console = Console(file=buf, width=200 if keys else 160, force_terminal=False, color_system=None)
    console.print(table)
    if report is not None:
        console.print(load_summary(report))
    return buf.getvalue()


def load_summary(report: LoadReport) -> str:
    """One paragraph saying what loading did, for people."""
    lines = [f"Loaded {report.rows_loaded:,} reach outs from {report.rows_read:,} rows in "
             f"{len(report.files)} file(s): {report.rows_rejected:,} rejected, "
             f"{report.duplicates_collapsed:,} duplicate rows collapsed."]
    if report.messages is not None:
        m = report.messages
        lines.append(f"Messages: {m.rows_read:,} rows read, {m.rows_rejected:,} rejected, "
                     f"{m.duplicates_collapsed:,} duplicates; {m.reach_outs_opened:,} reach outs opened; "
                     f"{m.unmatched_messages:,} messages for unknown reach outs.")
    lines.append(f"Opens from: {report.opens_source}." if report.opens_source else
                 "Opens unknown: the export has no open information (pass --messages).")
    for kind, n in report.reject_summary().items():
        lines.append(f"  rejected {n:,}: {kind}")
    return "\n".join(lines)


__all__ = ["render_stats", "write_rejects", "spreadsheet_safe", "safe_frame", "load_summary", "fmt_count",
           "fmt_rate", "RATES"]
