"""The reports folder's ``index.html``: every report in it with its headline numbers, newest first."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from talentstats.atomic import atomic_write_bytes
from talentstats.present.formats import fmt_count, fmt_rate
from talentstats.stats.periods import is_whole_week, week_label

#: the file in each report folder the index is made from (headline numbers, title, files)
SUMMARY_NAME = "summary.json"

INDEX_CSS = """body{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;margin:28px;color:#1f2933}
h1{font-size:24px;font-weight:600;margin:0 0 4px 0}p{color:#52606d;margin:0 0 14px 0}
table{border-collapse:collapse;font-size:13.5px}th{border-bottom:2px solid #9aa5b1;font-weight:600;color:#3e4c59}
td,th{padding:6px 12px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;white-space:nowrap}
th{vertical-align:bottom}tbody tr:nth-child(even){background:#f7f9fb}
.n{text-align:right;font-variant-numeric:tabular-nums}.sub{color:#7b8794;font-size:12px}
.note{color:#8a6d00;font-size:12px}a{color:#2f5f9e}td.w a{font-weight:600;text-decoration:none}"""


def period_label(start: dt.date, end: dt.date) -> str:
    """Folder name of a period: the ISO week (``2026-W47``) or ``2026-11-01_2026-11-30``."""
    if is_whole_week(start, end):
        return week_label(start)
    return f"{start}_{end}"


def write_index(out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` listing every report in ``out_dir`` with its headline numbers, newest first.

    Report folders are found by their ``summary.json``; an unreadable one is skipped. The page is written
    atomically.

    Args:
        out_dir: the reports folder.

    Returns:
        The index page's path.
    """
    out_dir = Path(out_dir)
    entries = []
    for summary in out_dir.glob(f"*/{SUMMARY_NAME}"):
        try:
            entries.append((summary.parent.name, json.loads(summary.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    entries.sort(key=lambda e: (str(e[1].get("start", "")), e[0]), reverse=True)
    rows = []
    for name, s in entries:
        links = " · ".join(f'<a href="{html.escape(name)}/{html.escape(f)}">{html.escape(f.rsplit(".", 1)[1].upper())}'
                           f"</a>" for f in s.get("files", []))
        note = '<br><span class="note">filling in</span>' if s.get("still_arriving") else ""
        scope = ", ".join(s.get("campaigns") or []) or "all campaigns"
        files = list(s.get("files", []))
        main = next((f for kind in ("html", "pdf", "ipynb") for f in files if f.endswith(f".{kind}")), None)
        week = html.escape(name)
        if main:
            week = f'<a href="{html.escape(name)}/{html.escape(main)}">{week}</a>'
        rows.append(
            f'<tr><td class="w">{week}{note}</td><td>{html.escape(str(s.get("start", "")))} – '
            f'{html.escape(str(s.get("end", "")))}<br><span class="sub">{html.escape(str(s.get("tz", "")))}</span></td>'
            f'<td>{html.escape(str(s.get("title", "")))}<br><span class="sub">{html.escape(scope)}</span></td>'
            + "".join(f'<td class="n">{fmt_count(s.get(k))}</td>' for k in ("reach_outs", "opens", "responses",
                                                                          "interested"))
            + "".join(f'<td class="n">{fmt_rate(s.get(k))}</td>' for k in ("open_rate", "response_rate"))
            + f"<td>{links}</td></tr>")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Weekly campaign reports</title>
<style>{INDEX_CSS}</style></head><body>
<h1>Weekly campaign reports</h1><p>{len(entries)} report(s), newest first.</p>
<table><thead><tr><th>Week</th><th>Period</th><th>Report</th><th class="n">Reach Outs</th><th class="n">Opens</th>
<th class="n">Responses</th><th class="n">Interested</th><th class="n">Open rate</th><th class="n">Response rate</th>
<th>Files</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>"""
    index = out_dir / "index.html"
    atomic_write_bytes(index, page.encode("utf-8"))
    return index


__all__ = ["SUMMARY_NAME", "period_label", "write_index"]
