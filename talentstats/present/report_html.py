"""HTML of the weekly report's sections: the stylesheet, escaped cells and the statistics tables.

Every section is plain HTML with classes styled by :data:`REPORT_CSS` (emitted once, by the report's header), so
an executed report notebook looks the same in JupyterLab, in the exported page and on paper.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from talentstats.present.formats import KEY_LABELS, METRIC_LABELS, NA_TEXT, RATE_METRICS, is_na

REPORT_CSS = """<style>
.ts-report{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2933;font-size:13px;line-height:1.4}
.ts-report h1{font-size:26px;margin:0 0 6px 0;font-weight:600}
.ts-report .ts-sub{color:#52606d;font-size:13.5px;margin:1px 0}
.ts-kpis{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:8px;margin:6px 0 8px 0}
.ts-kpis.ts-kpis-4{grid-template-columns:repeat(4,minmax(0,1fr))}
.ts-kpis.ts-kpis-6{grid-template-columns:repeat(6,minmax(0,1fr))}
.ts-scroll{overflow-x:auto}.ts-scroll:focus-visible{outline:2px solid #2f5f9e}
@media screen and (max-width:600px){
  .ts-kpis,.ts-kpis.ts-kpis-4,.ts-kpis.ts-kpis-6{grid-template-columns:repeat(2,minmax(0,1fr))}}
.ts-kpi{border:1px solid #d9e2ec;border-top:4px solid #9aa5b1;border-radius:4px;padding:6px 10px;
  break-inside:avoid}
.ts-kpi-label{font-size:12px;color:#52606d;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ts-kpi-value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums;margin:1px 0}
.ts-kpi-change{font-size:12px;color:#3e4c59;font-variant-numeric:tabular-nums}
.ts-kpi-prev{font-size:11.5px;color:#5f6b7a;font-variant-numeric:tabular-nums}
.ts-kpi-ci{font-size:12px;font-weight:400;color:#5f6b7a;margin-left:6px;white-space:nowrap}
.ts-kpi-change.ts-better{color:#2f7d32;font-weight:600}.ts-kpi-change.ts-worse{color:#c62828;font-weight:600}
.ts-kpi-change.ts-flat{color:#52606d}
.ts-kpi-range{font-size:11.5px;color:#5f6b7a;font-variant-numeric:tabular-nums;white-space:nowrap}
.ts-maturity{margin:8px 0 2px 0;font-size:13px;color:#3e4c59}
.ts-caveats{margin:2px 0 6px 0;padding-left:18px;font-size:12px;color:#616e7c}.ts-caveats li{margin:1px 0}
.ts-callout{background:#fff6da;border:1px solid #e5c66b;color:#5c4400;border-radius:4px;padding:6px 10px;
  margin:8px 0;font-size:12.5px;break-inside:avoid}
.jp-RenderedHTMLCommon table.ts-rt,table.ts-rt{border-collapse:collapse;table-layout:auto;width:100%;
  margin:4px 0 8px 0;font-size:12.5px;color:#1f2933;font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif}
.jp-RenderedHTMLCommon table.ts-rt th,.jp-RenderedHTMLCommon table.ts-rt td,table.ts-rt th,table.ts-rt td{
  padding:4px 6px;border:0;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;
  white-space:normal;line-height:1.3;max-width:none}
.jp-RenderedHTMLCommon table.ts-rt thead th,table.ts-rt thead th{border-bottom:2px solid #9aa5b1;
  vertical-align:bottom;font-weight:600;color:#3e4c59}
.jp-RenderedHTMLCommon table.ts-rt .ts-num,table.ts-rt .ts-num{text-align:right;white-space:nowrap;
  font-variant-numeric:tabular-nums;width:1%}
.jp-RenderedHTMLCommon table.ts-rt thead th.ts-num,table.ts-rt thead th.ts-num{white-space:normal}
.jp-RenderedHTMLCommon table.ts-rt .ts-split,table.ts-rt .ts-split{border-left:1px solid #cbd2d9}
.jp-RenderedHTMLCommon table.ts-rt .ts-rate,table.ts-rt .ts-rate{color:#3e4c59}
.jp-RenderedHTMLCommon table.ts-rt tbody tr:nth-child(even),table.ts-rt tbody tr:nth-child(even){
  background:#f7f9fb}
.jp-RenderedHTMLCommon table.ts-rt tbody tr:hover,table.ts-rt tbody tr:hover{background:#eef2f6}
.jp-RenderedHTMLCommon table.ts-rt tr.ts-total td,table.ts-rt tr.ts-total td{font-weight:600;
  border-top:2px solid #9aa5b1;background:#fff}
.jp-RenderedHTMLCommon table.ts-rt tr,table.ts-rt tr{break-inside:avoid}
.ts-key{min-width:8em}
.ts-ci{display:block;font-size:11px;color:#5f6b7a}
.jp-RenderedHTMLCommon table.ts-rt .ts-nowrap,table.ts-rt .ts-nowrap{white-space:nowrap}
.ts-more{color:#52606d;font-size:12.5px;margin:2px 0 0 0}
.ts-notes{margin:4px 0;padding-left:20px}.ts-notes li{margin:3px 0}
@media print{
  .ts-report{font-size:11.5px}.ts-kpi-value{font-size:19px}.ts-kpi{padding:5px 8px}
  .jp-RenderedHTMLCommon table.ts-rt,table.ts-rt{font-size:10.5px}
  .jp-RenderedHTMLCommon table.ts-rt th,.jp-RenderedHTMLCommon table.ts-rt td,table.ts-rt th,table.ts-rt td{
    padding:3px 4px}
}
</style>"""


def cell_text(value: Any) -> str:
    """Escaped cell text; missing -> ``'—'``."""
    return NA_TEXT if is_na(value) else html.escape(str(value))


def breakable(value: Any) -> str:
    """Escaped text that may wrap after '@' (long email addresses in narrow columns)."""
    return cell_text(value).replace("@", "@<wbr>")


#: a rate's interval at the end of a table cell, ``7.8% (5.6–10.6)``
_INTERVAL = re.compile(r" (\([0-9.]+–[0-9.]+\))$")


def rate_cell(value: Any) -> str:
    """Escaped text of a rate cell, its interval (if any) in a span that the stylesheet puts on a second line
    (the text stays ``7.8% (5.6–10.6)``)."""
    return _INTERVAL.sub(r' <span class="ts-ci">\1</span>', cell_text(value))


def scroll_box(inner: str, label: str) -> str:
    """``inner`` (a wide table) in a box that scrolls sideways on a phone, reachable by keyboard and named for
    screen readers (``label``: unique on the page)."""
    return f'<div class="ts-scroll" tabindex="0" role="region" aria-label="{html.escape(label)}">{inner}</div>'


#: groups a report table or rate chart shows (the largest; a line says how many more, the Total row counts them)
REPORT_ROWS = 20


def first_rows(rows: pd.DataFrame, key: str, limit: int = REPORT_ROWS) -> tuple[pd.DataFrame, str]:
    """The first ``limit`` of ``rows`` (sorted as shown), and a line for the rest ('' when none): a report of
    250 campaigns stays readable (and its PDF a few pages), and every group is one command away."""
    if len(rows) <= limit:
        return rows, ""
    more, word = len(rows) - limit, KEY_LABELS[key].lower()
    line = (f"{more:,} more {word}{'' if more == 1 else 's'} not shown (the Total row counts them; "
            f"talentstats stats --by {key} --format csv lists every one).")
    return rows.head(limit), f'<p class="ts-more">{html.escape(line)}</p>'


def stats_table_html(rows: pd.DataFrame, total: pd.DataFrame, key: str) -> str:
    """HTML of a :func:`talentstats.present.charts.stats_table` frame plus its total row: the key column left,
    then counts, then rates.

    Args:
        rows: the display frame of the groups.
        total: the display frame of the total (one row, its key column reading "Total").
        key: the group column (``campaign``, ``sender``, ...); senders may wrap after the ``@``.

    Returns:
        A ``<table class="ts-rt ts-stats">``.
    """
    key_label = KEY_LABELS[key]
    metrics = [c for c in rows.columns if c != key_label]
    rate_labels = {METRIC_LABELS[m] for m in RATE_METRICS}
    first_rate = next((c for c in metrics if c in rate_labels), None)

    def klass(col: str) -> str:
        parts = ["ts-num"]
        if col in rate_labels:
            parts.append("ts-rate")
        if col == first_rate:
            parts.append("ts-split")
        return " ".join(parts)

    head = f'<th class="ts-key">{key_label}</th>' + "".join(f'<th class="{klass(c)}">{html.escape(c)}</th>'
                                                            for c in metrics)
    body = []
    for frame, row_class in ((rows, ""), (total, ' class="ts-total"')):
        for i in range(len(frame)):
            r = frame.iloc[i]
            name = breakable(r[key_label]) if key == "sender" else cell_text(r[key_label])
            cells = f'<td class="ts-key">{name}</td>' + "".join(
                f'<td class="{klass(c)}">{rate_cell(r[c]) if c in rate_labels else cell_text(r[c])}</td>'
                for c in metrics)
            body.append(f"<tr{row_class}>{cells}</tr>")
    return (f'<table class="ts-rt ts-stats"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f"</table>")


__all__ = ["REPORT_CSS", "REPORT_ROWS", "breakable", "cell_text", "first_rows", "rate_cell", "scroll_box",
           "stats_table_html"]
