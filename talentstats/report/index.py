"""The reports folder's ``index.html``: every report in it with its headline numbers, newest first."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    rows = []
    for name, s in entries:
        links = " · ".join(f'<a href="{_href(name, f)}">{html.escape(f.rsplit(".", 1)[-1].upper())}</a>'
                           for f in s.get("files", []))
        note = '<br><span class="note">filling in</span>' if s.get("still_arriving") else ""
        scope = ", ".join(s.get("campaigns") or []) or "all campaigns"
        files = list(s.get("files", []))
        main = next((f for kind in ("html", "pdf", "ipynb") for f in files if f.endswith(f".{kind}")), None)
        week = html.escape(name)
        if main:
            week = f'<a href="{_href(name, main)}">{week}</a>'
        rows.append(
            f'<tr><td class="w">{week}{note}</td><td>{html.escape(str(s.get("start", "")))} – '
            f'{html.escape(str(s.get("end", "")))}<br><span class="sub">{html.escape(str(s.get("tz", "")))}</span></td>'
            f'<td>{html.escape(str(s.get("title", "")))}<br><span class="sub">{html.escape(scope)}</span></td>'
            + "".join(f'<td class="n">{fmt_count(s.get(k))}</td>' for k in ("reach_outs", "opens", "responses",
                                                                          "interested"))
            + "".join(f'<td class="n">{fmt_rate(s.get(k))}</td>' for k in ("open_rate", "response_rate"))
            + f"<td>{links}</td></tr>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{INDEX_POLICY}"><title>Weekly campaign reports</title>
<style>{INDEX_CSS}</style></head><body>
<h1>Weekly campaign reports</h1><p>{len(entries)} report(s), newest first.</p>
<table><thead><tr><th>Week</th><th>Period</th><th>Report</th><th class="n">Reach Outs</th><th class="n">Opens</th>
<th class="n">Responses</th><th class="n">Interested</th><th class="n">Open rate</th><th class="n">Response rate</th>
<th>Files</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>"""


__all__ = ["INDEX_POLICY", "SUMMARY_NAME", "index_page", "period_label", "write_index"]
