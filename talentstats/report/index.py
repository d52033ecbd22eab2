"""The reports folder's ``index.html``: every report in it with its headline numbers, newest first."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from talentstats.atomic import atomic_write_bytes
from talentstats.present.formats import fmt_count, fmt_rate, is_na
from talentstats.report.indexcells import SPARK_REPORTS, change, change_cell, previous_of, series_points, sparkline
from talentstats.stats.periods import is_whole_week, week_label

#: the file in each report folder the index is made from (headline numbers, title, files)
SUMMARY_NAME = "summary.json"

INDEX_CSS = """body{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;margin:28px;color:#1f2933}
h1{font-size:24px;font-weight:600;margin:0 0 4px 0}p{color:#52606d;margin:0 0 14px 0}
table{border-collapse:collapse;font-size:13.5px}th{border-bottom:2px solid #9aa5b1;font-weight:600;color:#3e4c59}
td,th{padding:6px 9px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;white-space:nowrap}
th{vertical-align:bottom}tbody tr:nth-child(even){background:#f7f9fb}
.n{text-align:right;font-variant-numeric:tabular-nums}.sub{color:#5f6b7a;font-size:12px}
.note{color:#8a6d00;font-size:12px}a{color:#2f5f9e}td.w a{font-weight:600;text-decoration:none}
.chg{color:#616e7c;font-size:11.5px}.chg.better{color:#1f7a3a;font-weight:600}.chg.worse{color:#b42318;font-weight:600}
.scroll{overflow-x:auto;max-width:100%;margin:0 0 12px 0}.scroll td.w,.scroll th:first-child{position:sticky;left:0;
background:#fff;z-index:1}tbody tr:nth-child(even) td.w{background:#f7f9fb}p.sub{max-width:80ch;line-height:1.45}
.spark{display:block}@media (max-width:600px){body{margin:14px}h1{font-size:20px}}"""


def period_label(start: dt.date, end: dt.date) -> str:
    """Folder name of a period: the ISO week (``2026-W47``) or ``2026-11-01_2026-11-30``."""
    if is_whole_week(start, end):
        return week_label(start)
    return f"{start}_{end}"


#: the index has no script and loads nothing: its policy allows its own stylesheet only
INDEX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _href(*parts: str) -> str:
    """A relative link to ``parts`` (each percent-encoded, so no name can become a scheme or leave the folder),
    escaped for an HTML attribute."""
    return html.escape("/".join(quote(p, safe="") for p in parts), quote=True)


def write_index(out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` listing every report in ``out_dir`` with its headline numbers, newest first.

    The page is written atomically (see :func:`index_page`).

    Args:
        out_dir: the reports folder.

    Returns:
        The index page's path.
    """
    index = Path(out_dir) / "index.html"
    atomic_write_bytes(index, index_page(out_dir).encode("utf-8"))
    return index


def index_page(out_dir: str | Path, extra: tuple[str, dict[str, Any]] | None = None) -> str:
    """The index page of ``out_dir``: every report in it with its headline numbers, newest first.

    Report folders are found by their ``summary.json``; an unreadable one, a hidden one (a run's temporary
    folder) or one reached through a symbolic link is skipped. Every value is escaped for where it lands (text,
    attribute, link).

    Args:
        out_dir: the reports folder.
        extra: a report about to be moved into place, ``(folder name, summary)``: listed in place of what its
            folder holds now.

    Returns:
        The page.
    """
    out_dir = Path(out_dir)
    found: dict[str, dict[str, Any]] = {}
    for summary in out_dir.glob(f"*/{SUMMARY_NAME}"):
        if summary.parent.name.startswith(".") or summary.parent.is_symlink() or summary.is_symlink():
            continue  # (a run's temporary folder, or a link that may lead anywhere)
        try:
            found[summary.parent.name] = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    if extra is not None:
        found[extra[0]] = extra[1]
    entries = sorted(found.items(), key=lambda e: (str(e[1].get("start", "")), e[0]), reverse=True)
    previous = previous_of(entries)
    lines = series_points(entries)
    rates = [s.get("response_rate") for _, s in entries]
    top = max((float(r) for r in rates if not is_na(r)), default=0.0)
    rows = [_row(name, s, prev, sparkline(points, top))
            for (name, s), prev, points in zip(entries, previous, lines, strict=True)]
    count = f"{len(entries):,} report{'' if len(entries) == 1 else 's'}"
    rate_heads = [f'<th class="n">{label}</th>' for label in RATE_HEADS.values()]
    head = ("".join(f'<th class="n">{label}</th>' for label in COUNT_HEADS.values()) + "".join(rate_heads[:2])
            + "<th>Response rate trend</th>" + rate_heads[2])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{INDEX_POLICY}"><title>Weekly campaign reports</title>
<style>{INDEX_CSS}</style></head><body><main>
<h1>Weekly campaign reports</h1><p>{count}, newest first.</p>
<div class="scroll" tabindex="0" role="region" aria-label="Reports">
<table><thead><tr><th>Week</th><th>Report</th>{head}</tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<p class="sub">Under each number, its change against the previous report of the same scope (same campaigns, time
zone and period length): at the same age where the report could compare so, else as each report recorded it. A
rate's change is marked ▲ or ▼ only when its 95&nbsp;% interval excludes 0 (hover for the interval); otherwise
"no clear change". In Progress: reach outs not responded and neither Hard Bounced nor Canceled, whatever their
state. Trend: the response rate of up to {SPARK_REPORTS} reports of the same scope, on one scale for every row
(0 – {fmt_rate(top, 0)}); band: 95&nbsp;% interval; hollow dot: still filling in.</p></main></body></html>"""


#: count column -> heading, rate column -> heading (in the index's order)
COUNT_HEADS = {"reach_outs": "Reach Outs", "in_progress": "In Progress", "opens": "Opens", "responses": "Responses",
               "interested": "Interested"}
RATE_HEADS = {"open_rate": "Open rate", "response_rate": "Response rate", "interested_rate": "Interested rate"}


def _row(name: str, s: dict[str, Any], prev: tuple[str, dict[str, Any]] | None, spark: str) -> str:
    """One report's row: its numbers with their changes, its sparkline and its files."""
    links = " · ".join(f'<a href="{_href(name, f)}">{html.escape(f.rsplit(".", 1)[-1].upper())}</a>'
                       for f in s.get("files", []))
    note = '<br><span class="note">filling in</span>' if s.get("still_arriving") else ""
    scope = ", ".join(s.get("campaigns") or []) or "all campaigns"
    files = list(s.get("files", []))
    main = next((f for kind in ("html", "pdf", "ipynb") for f in files if f.endswith(f".{kind}")), None)
    week = html.escape(name)
    if main:
        week = f'<a href="{_href(name, main)}">{week}</a>'
    changes = {m: change_cell(m, change(m, s, prev)) for m in ("reach_outs", *RATE_HEADS)}
    period = (f'<br><span class="sub">{html.escape(str(s.get("start", "")))} – {html.escape(str(s.get("end", "")))} '
              f'{html.escape(str(s.get("tz", "")))}</span>')
    rates = [f'<td class="n">{fmt_rate(s.get(k))}{changes[k]}</td>' for k in RATE_HEADS]
    return (f'<tr><td class="w">{week}{period}{note}</td>'
            f'<td>{html.escape(str(s.get("title", "")))}<br><span class="sub">{html.escape(scope)}'
            f'{" · " + links if links else ""}</span></td>'
            + "".join(f'<td class="n">{fmt_count(s.get(k))}{changes.get(k, "")}</td>' for k in COUNT_HEADS)
            + "".join(rates[:2]) + f"<td>{spark}</td>" + rates[2] + "</tr>")


__all__ = ["INDEX_POLICY", "SUMMARY_NAME", "index_page", "period_label", "write_index"]
