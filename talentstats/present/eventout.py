"""Event answers (activity, reconciliation, time to reply, steps, triangle) as terminal tables, CSV and JSON, in
the envelope ``talentstats stats`` writes (start, end, tz, rows, total, load)."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from talentstats.errors import UsageError
from talentstats.present.formats import fmt_count, fmt_rate, terminal_text
from talentstats.present.output import FORMATS, LABELS, load_summary, table_console
from talentstats.safecsv import CSV_EOL, safe_frame
from talentstats.stats.metrics import stats_dicts

#: column -> label for the event columns (the cohort columns use the statistics' labels)
EVENT_LABELS: dict[str, str] = {
    "messages_sent": "Messages sent", "reach_outs_started": "Reach outs started", "opens": "Opens",
    "responses": "Responses", "interested": "Interested", "responses_time_unknown": "Responses, time unknown",
    "cohort_responses": "Cohort responses", "received_in_range": "= in range", "received_after": "+ after",
    "time_unknown": "+ time unknown", "from_earlier_cohorts": "Earlier cohorts", "activity_responses":
    "Activity responses", "ttr_median_h": "Reply median (h)", "ttr_p75_h": "Reply p75 (h)",
    "ttr_p90_h": "Reply p90 (h)", "ttr_n": "Replies timed", "step": "Step", "sent": "Sent",
    "first_opens": "First opens", "replies": "Replies", "reply_rate": "Reply rate", "created_week": "Created",
    "age_weeks": "Age (weeks)", "count": "Count", "reach_outs": "Reach Outs", "cumulative_rate": "Cumulative rate",
    "step_key": "Step",
}
_RATES = {"reply_rate", "cumulative_rate"}
_HOURS = {"ttr_median_h", "ttr_p75_h", "ttr_p90_h"}
#: the reconciliation's columns in a table or CSV (the nested cohort/activity objects are JSON only)
_RECONCILE_FLAT = ("cohort_responses", "received_in_range", "received_after", "time_unknown",
                   "from_earlier_cohorts", "activity_responses")
_TITLES = {"cohort": "Reach outs created", "activity": "What happened", "reconcile": "Responses reconciled",
           "steps": "Steps of reach outs created", "triangle": "How responses arrive: reach outs created"}


def _plain(rows: Any) -> list[dict[str, Any]]:
    """Rows as plain dicts (nulls and NaN as None)."""
    if rows is None:
        return []
    if isinstance(rows, list):
        return rows
    out = stats_dicts(rows)
    for r in out:
        for k, v in r.items():
            if isinstance(v, float) and math.isnan(v):
                r[k] = None
    return out


def events_payload(result: Any) -> dict[str, Any]:
    """The JSON document of an event answer as Python values."""
    rows = _plain(result.rows)
    total = result.total if isinstance(result.total, dict) or result.total is None else _plain(result.total)[0]
    doc: dict[str, Any] = {"view" if result.kind in ("cohort", "activity", "reconcile") else "kind": result.kind,
                           "start": result.start.isoformat(), "end": result.end.isoformat(), "tz": result.tz,
                           **result.extra, "rows": rows if result.keys or result.total is None else [total],
                           "total": total, "notes": list(result.notes)}
    if result.report is not None:
        doc["load"] = result.report.as_dict()
    return doc


def _columns(result: Any, rows: list[dict[str, Any]]) -> list[str]:
    if result.kind == "reconcile":
        return [*result.keys, *_RECONCILE_FLAT]
    return list(rows[0]) if rows else list(result.keys)


def _text(column: str, value: Any) -> str:
    if value is None:
        return "–"
    if column in _RATES or column.endswith("_rate") or column == "interested_of_responses":
        return fmt_rate(value)
    if column in _HOURS:
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return fmt_count(value)
    return terminal_text(str(value))


def render_events_bytes(fmt: str, result: Any) -> bytes:
    """An event answer as ``table``, ``csv`` or ``json`` (UTF-8 bytes).

    Raises:
        UsageError: an unknown ``fmt`` (parameter ``fmt``).
    """
    if fmt not in FORMATS:
        raise UsageError(f"choose {', '.join(FORMATS[:-1])} or {FORMATS[-1]}", parameter="fmt", value=fmt)
    doc = events_payload(result)
    if fmt == "json":
        return (json.dumps(doc, ensure_ascii=False) + "\n").encode()
    rows = doc["rows"]
    if fmt == "table" and result.kind == "triangle":
        return _triangle_table(doc).encode()
    columns = _columns(result, rows)
    if fmt == "csv":
        import pandas as pd  # (a CSV of a few rows)

        frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
        buf = io.StringIO()
        safe_frame(frame).to_csv(buf, index=False, lineterminator=CSV_EOL)
        return buf.getvalue().encode()
    return _table(doc, result, columns).encode()


def _table(doc: dict[str, Any], result: Any, columns: list[str]) -> str:
    from rich.table import Table
    from rich.text import Text

    title = f"{_TITLES[result.kind]} {doc['start']} – {doc['end']} ({doc['tz']})"
    if result.kind == "activity":
        title = f"What happened {doc['start']} – {doc['end']} ({doc['tz']}), by the date of each event"
    table = Table(title=Text(terminal_text(title)), title_justify="left")
    for c in columns:
        numeric = c not in result.keys and c != "created_week"
        table.add_column(Text(EVENT_LABELS.get(c, LABELS.get(c, c))), justify="right" if numeric else "left")
    shown = doc["rows"]
    if result.keys and doc["total"] is not None:
        shown = [*shown, {**doc["total"], **{k: "Total" if i == 0 else "" for i, k in enumerate(result.keys)}}]
    for r in shown:
        table.add_row(*[Text(_text(c, r.get(c))) for c in columns])
    buf = io.StringIO()
    table_console(buf).print(table)
    if result.kind == "reconcile" and doc["total"] is not None:
        t = doc["total"]
        buf.write(f"Cohort responses {t['cohort_responses']:,} = {t['received_in_range']:,} in range + "
                  f"{t['received_after']:,} after + {t['time_unknown']:,} time unknown; activity responses "
                  f"{t['activity_responses']:,} = {t['received_in_range']:,} in range + "
                  f"{t['from_earlier_cohorts']:,} from earlier cohorts.\n")
    for note in doc["notes"]:
        buf.write(f"Note: {terminal_text(note)}.\n")
    if result.report is not None:
        buf.write(load_summary(result.report) + "\n")
    return buf.getvalue()


def _triangle_table(doc: dict[str, Any]) -> str:
    """The triangle as people read one: a row per creation week, a column per week of age, each cell the count
    and the cumulative rate (a young week has fewer columns: its later ages have not happened yet)."""
    from rich.table import Table
    from rich.text import Text

    ages = sorted({r["age_weeks"] for r in doc["rows"]})
    metric = doc.get("metric", "responses")
    table = Table(title=Text(f"How {metric} arrive with age: reach outs created {doc['start']} – {doc['end']} "
                             f"({doc['tz']}); count (cumulative rate) by weeks of age"), title_justify="left")
    table.add_column(Text("Created"))
    table.add_column(Text("Reach Outs"), justify="right")
    for a in ages:
        table.add_column(Text(f"{a} wk"), justify="right")
    weeks: dict[str, dict[int, dict[str, Any]]] = {}
    for r in doc["rows"]:
        weeks.setdefault(r["created_week"], {})[r["age_weeks"]] = r
    for week, cells in weeks.items():
        first = next(iter(cells.values()))
        table.add_row(Text(week), Text(fmt_count(first["reach_outs"])),
                      *[Text(f"{fmt_count(cells[a]['count'])} ({fmt_rate(cells[a]['cumulative_rate'])})"
                             if a in cells else "") for a in ages])
    buf = io.StringIO()
    console = table_console(buf)
    console.print(table)
    if doc.get("projected"):
        projected = Table(title=Text(f"Projected final {metric} rate (chain ladder over the weekly cohorts, 95% "
                                     "interval)"), title_justify="left")
        for name in ("Created", "So far", "Projected", "95% interval", ""):
            projected.add_column(Text(name), justify="left" if name in ("Created", "") else "right")
        for p in doc["projected"]:
            interval = "" if p["projected_low"] is None else \
                f"{fmt_rate(p['projected_low'])} – {fmt_rate(p['projected_high'])}"
            projected.add_row(Text(p["created_week"]), Text(fmt_rate(p["rate"])), Text(fmt_rate(p["projected_rate"])),
                              Text(interval), Text(p["label"]))
        console.print(projected)
    for note in doc["notes"]:
        buf.write(f"Note: {terminal_text(note)}.\n")
    return buf.getvalue()


__all__ = ["EVENT_LABELS", "events_payload", "render_events_bytes"]
