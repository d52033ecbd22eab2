"""Statistics as terminal tables, CSV and JSON; rejected rows as CSV. Spreadsheet-safe text throughout."""

from __future__ import annotations

import datetime as dt
import io
import json
import textwrap
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import UsageError
from talentstats.load.accounting import LoadReport
from talentstats.present.formats import (
    KEY_LABELS,
    METRIC_LABELS,
    STATE_LABELS,
    UNKNOWN_TEXT,
    fmt_count,
    fmt_rate,
    fmt_rate_interval,
    terminal_text,
)
from talentstats.safecsv import CSV_EOL, safe_frame
from talentstats.stats.intervals import with_intervals
from talentstats.stats.metrics import COUNTS, METRICS, RATES

LABELS = {**METRIC_LABELS, **KEY_LABELS}
#: the statistics columns of JSON and CSV output: each rate followed by its 95 % interval (``_low``, ``_high``)
OUTPUT_METRICS: tuple[str, ...] = tuple(c for m in METRICS for c in ((m, f"{m}_low", f"{m}_high") if m in RATES
                                                                     else (m,)))
#: what ``render_stats`` writes
FORMATS = ("table", "csv", "json")


def _json_text(col: pa.ChunkedArray, before: str = "", after: str = "") -> pa.Array:
    """Each value of an Arrow column as JSON text ("null" for nulls) between ``before`` and ``after``, computed
    once per distinct value (counts and rates of many groups repeat: a few thousand distinct values for 50,000
    groups)."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    values, typ = col.dictionary, col.type.value_type
    if pa.types.is_integer(typ):
        words = values.cast(pa.string())
    elif pa.types.is_floating(typ):  # rates: Python's own shortest repr (json.dumps' text) per distinct value
        words = pa.array(list(map(float.__repr__, values.to_pylist())), pa.string())
    else:  # text, flags: escaped once per distinct value (campaigns, senders, weeks)
        words = pa.array([json.dumps(v, ensure_ascii=False) for v in values.to_pylist()], pa.string())
    words = pa.concat_arrays([words, pa.array(["null"], pa.string())]).cast(pa.string())
    words = pc.binary_join_element_wise(before, words, after, "")
    return pc.take(words, pc.fill_null(col.indices, len(words) - 1))


def json_rows(frame: Any, columns: Sequence[str]) -> bytes:
    """The rows of a statistics frame as a JSON array of objects (``columns`` in order), UTF-8: the same text as
    ``json.dumps(rows, ensure_ascii=False)``, built column-wise by Arrow (no per-row Python, no decoding)."""
    table = nw.from_native(frame, eager_only=True).select(*columns).to_arrow().select(list(columns))
    if table.num_rows == 0:
        return b"[]"
    if "state" in columns:
        table = table.set_column(table.column_names.index("state"), "state", table.column("state").cast(pa.int64()))
    last = len(columns) - 1
    parts = [_json_text(table.column(name), ("{" if i == 0 else ", ") + json.dumps(name) + ": ",
                        "}" if i == last else "") for i, name in enumerate(columns)]
    rows = pc.binary_join_element_wise(*parts, "")
    one_list = pa.ListArray.from_arrays(pa.array([0, len(rows)], pa.int32()), rows.cast(pa.binary()))
    return b"[" + pc.binary_join(one_list, b", ")[0].as_py() + b"]"


def stats_payload(start: dt.date, end: dt.date, tz: str, keys: Sequence[str], rows: Any, total: Any,
                  report: LoadReport | None) -> dict[str, Any]:
    """The JSON document of ``talentstats stats --format json`` as Python values."""
    return json.loads(_stats_json(start, end, tz, keys, rows, total, report))


def compare_dict(compared: dict[str, Any]) -> dict[str, Any]:
    """The JSON ``compare`` object of a comparison (instants as ISO text, no per-group frame)."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()
        if hasattr(value, "item"):  # numpy scalars
            value = value.item()
        return None if isinstance(value, float) and value != value else value

    return plain({k: v for k, v in compared.items() if k != "groups"})


def _stats_json(start: dt.date, end: dt.date, tz: str, keys: Sequence[str], rows: Any, total: Any,
                report: LoadReport | None, compared: dict[str, Any] | None = None) -> bytes:
    total_text = json_rows(with_intervals(total), OUTPUT_METRICS)[1:-1]
    doc: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(), "tz": tz, "rows": None,
                           "total": None}
    if report is not None:
        doc["load"] = report.as_dict()
    if compared is not None:
        doc["compare"] = compare_dict(compared)
    head, tail = json.dumps(doc, ensure_ascii=False).encode().split(b'"rows": null, "total": null', 1)
    row_text = json_rows(with_intervals(rows), [*keys, *OUTPUT_METRICS]) if keys else b"[" + total_text + b"]"
    return b"".join([head, b'"rows": ', row_text, b', "total": ', total_text, tail])


def render_stats_bytes(fmt: str, result: Any) -> bytes:
    """:func:`render_stats` as UTF-8 bytes (JSON is built as bytes: a large output is never decoded)."""
    if fmt == "json":
        return _stats_json(result.start, result.end, result.tz, result.keys, result.rows, result.total,
                           result.report, result.compare) + b"\n"
    return render_stats(fmt, result).encode()


def render_stats(fmt: str, result: Any) -> str:
    """A :class:`~talentstats.stats.query.StatsResult` as ``table`` (rich), ``csv`` or ``json`` text.

    Raises:
        UsageError: an unknown ``fmt`` (parameter ``fmt``).
    """
    if fmt not in FORMATS:
        raise UsageError(f"choose {', '.join(FORMATS[:-1])} or {FORMATS[-1]}", parameter="fmt", value=fmt)
    start, end, tz, keys, rows, total, report = (result.start, result.end, result.tz, result.keys, result.rows,
                                                 result.total, result.report)
    if fmt == "json":
        return (_stats_json(start, end, tz, keys, rows, total, report, result.compare) + b"\n").decode()
    if fmt == "csv":
        frame = with_intervals(nw.from_native(rows if keys else total, eager_only=True).to_pandas())
        frame = frame[[*keys, *OUTPUT_METRICS]]
        buf = io.StringIO()
        safe_frame(frame).to_csv(buf, index=False, lineterminator=CSV_EOL)
        return buf.getvalue()
    rows = table_order(rows, keys) if keys else rows
    text = _table(stats_payload(start, end, tz, keys, rows, total, report), keys, report, terminal_width())
    return text if result.compare is None else text + compare_text(result.compare)


def compare_text(compared: dict[str, Any]) -> str:
    """The comparison as a terminal table: each figure now and then, the change, and for rates its 95 %
    interval and a verdict (a change is called only when its interval excludes 0)."""
    from rich.table import Table
    from rich.text import Text

    c = compare_dict(compared)
    how = f"at the same age (as of {c['as_of'][:16]})" if c["same_age"] else "as they are now"
    table = Table(title=Text(f"Compared with {c['start']} – {c['end']}, {how}"), title_justify="left")
    for name in ("", "Now", "Then", "Change", "95% interval", "Verdict"):
        table.add_column(Text(name), justify="left" if name in ("", "Verdict") else "right")
    for metric, ch in c["changes"].items():
        rate = metric in RATES
        value = fmt_rate if rate else (lambda v: fmt_count(v, UNKNOWN_TEXT))
        diff = ch["diff"]
        change = "—" if diff is None else (f"{diff * 100:+.1f} pp" if rate else f"{diff:+,}")
        interval = (f"{ch['diff_low'] * 100:+.1f} to {ch['diff_high'] * 100:+.1f} pp"
                    if rate and ch["diff_low"] is not None else "")
        verdict = {True: "significant", False: "no clear change", None: ""}[ch["significant"]]
        basis = c["basis"].get(metric)
        table.add_row(Text(LABELS[metric]), Text(value(ch["current"])), Text(value(ch["previous"])), Text(change),
                      Text(interval), Text(verdict + (" (naive)" if basis == "naive" and c["same_age"] else "")))
    buf = io.StringIO()
    console = table_console(buf)
    console.print(table)
    for caveat in c["caveats"]:
        console.print(Text(f"Note: {caveat}"))
    return buf.getvalue()


def _cell(metric: str, row: dict[str, Any], narrow: bool = False) -> str:
    """A number as the terminal shows it: an unknown count (opens without open data) spelled out as ``unknown``; a
    rate with its 95 % interval (on a second line when ``narrow``)."""
    if metric in COUNTS:
        return fmt_count(row[metric], UNKNOWN_TEXT)
    text = fmt_rate_interval(row[metric], row.get(f"{metric}_low"), row.get(f"{metric}_high"))
    return text.replace(" (", "\n(", 1) if narrow else text


#: time keys: a table grouped by one keeps time order (then largest first within each period)
TIME_KEYS: tuple[str, ...] = ("month", "week", "day")
#: metrics in the order a narrow terminal keeps them (the rest are left out, and a line says which)
NARROW_PRIORITY: tuple[str, ...] = ("reach_outs", "responses", "response_rate", "interested", "interested_rate",
                                    "opens", "open_rate", "in_progress", "hard_bounced", "bounce_rate",
                                    "interested_of_responses")
#: the widest a group name column gets in a narrow terminal (longer names wrap)
NARROW_KEY_WIDTH = 18


def table_order(rows: Any, keys: Sequence[str]) -> Any:
    """The rows as the terminal table lists them, as the report does: largest first by reach outs, ties by the
    keys (A–Z); grouped by a time key, time order first. (JSON and CSV rows keep the keys' order.)"""
    time = [k for k in TIME_KEYS if k in keys]
    rest = [k for k in keys if k not in time]
    by = [*time, "reach_outs", *rest]
    return nw.from_native(rows, eager_only=True).sort(by, descending=[False] * len(time) + [True]
                                                      + [False] * len(rest), nulls_last=True).to_native()


def _table(doc: dict[str, Any], keys: Sequence[str], report: LoadReport | None, width: int | None = None) -> str:
    """The rich table, fitted to ``width`` columns (None: no limit). Every cell is a :class:`rich.text.Text`
    (never markup: a campaign named ``[/]`` or ``[link=…]`` is shown as written) with control characters made
    visible (:func:`terminal_text`).

    Too narrow for every column (an 80-column terminal): rates put their interval on a second line, group names
    wrap, and the metrics that still do not fit are left out (in :data:`NARROW_PRIORITY` order), a line naming
    them and ``--format csv``."""
    buf = io.StringIO()
    console = table_console(buf, width)
    table = _rich_table(doc, keys, METRICS, narrow=False)
    hidden: list[str] = []
    if width is not None and _width(console, table) > width:
        shown = list(NARROW_PRIORITY[:1])
        for metric in NARROW_PRIORITY[1:]:  # (eleven metrics: the widest set of them that fits)
            if _width(console, _rich_table(doc, keys, [*shown, metric], narrow=True)) <= width:
                shown.append(metric)
        hidden = [m for m in METRICS if m not in shown]
        table = _rich_table(doc, keys, [m for m in METRICS if m in shown], narrow=True)
    console.print(table)
    if hidden:
        from rich.text import Text

        console.print(Text(f"Not shown at {width} columns: {', '.join(LABELS[m] for m in hidden)}. A wider "
                           f"terminal shows them; --format csv has every column."))
    if report is not None:
        from rich.text import Text

        console.print(Text(load_summary(report)))
    return buf.getvalue()


def _width(console: Any, table: Any) -> int:
    """The width a table takes unwrapped."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(100_000), table).maximum


def _rich_table(doc: dict[str, Any], keys: Sequence[str], metrics: Sequence[str], *, narrow: bool) -> Any:
    from rich.table import Table
    from rich.text import Text

    title = Text(terminal_text(f"Reach outs created {doc['start']} – {doc['end']} ({doc['tz']})"))
    table = Table(title=title, show_footer=bool(keys), title_justify="left", pad_edge=not narrow)
    for k in keys:
        table.add_column(Text(LABELS[k]), footer=Text("Total" if k == keys[0] else ""),
                         max_width=NARROW_KEY_WIDTH if narrow else None, overflow="fold")
    for m in metrics:  # narrow: headings on two or three lines ("Response" / "rate")
        heading = "\n".join(textwrap.wrap(LABELS[m], 8, break_long_words=False)) if narrow else LABELS[m]
        table.add_column(Text(heading), justify="right", footer=Text(_cell(m, doc["total"], narrow) if keys else ""))
    for r in doc["rows"]:
        cells = [Text(terminal_text(STATE_LABELS[r[k]] if k == "state" else r[k])) for k in keys]
        cells += [Text(_cell(m, r, narrow)) for m in metrics]
        table.add_row(*cells)
    return table


def terminal_width() -> int | None:
    """The terminal's width in columns when the output is one; None for files and pipes (no cell wraps there:
    scripts and tests read whole lines)."""
    import shutil
    import sys

    return shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else None


def table_console(buf: io.StringIO, width: int | None = None) -> Any:
    """A rich console writing plain text into ``buf``, ``width`` columns wide (default: as wide as the terminal
    when the output is one, rich wrapping the cells to fit; else wide enough that no cell wraps)."""
    from rich.console import Console

    width = width or terminal_width() or 1000
    return Console(file=buf, width=width, force_terminal=False, color_system=None, emoji=False, highlight=False)


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
        lines.append(f"  rejected {n:,}: {terminal_text(kind)}")
    return "\n".join(lines)


__all__ = ["json_rows", "load_summary", "render_stats", "stats_payload", "table_console"]
