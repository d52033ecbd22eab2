"""Display tables of statistics: formatted, sorted frames and their escaped HTML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from talentstats.present.charts.figure import (
    require_columns,
)
from talentstats.present.charts.style import (
    escape_label,
    raw_label,
)
from talentstats.present.formats import (
    COUNT_METRICS,
    KEY_LABELS,
    METRIC_LABELS,
    NA_TEXT,
    RATE_METRICS,
    STATE_LABELS,
    fmt_count,
    fmt_rate,
    fmt_rate_interval,
    is_na,
)


def _key_display(column: str, value: object) -> str:
    """Display text of a group-key value (state codes become labels); not escaped."""
    if column == "state" and not is_na(value):
        return STATE_LABELS[int(value)]  # type: ignore[call-overload]
    return raw_label(value)


def stats_table(
    stats: pd.DataFrame, keys: str | Sequence[str] = (), sort_by: str = "reach_outs", ascending: bool = False,
    intervals: bool = False,
) -> pd.DataFrame:
    """Display-ready table of a stats frame: nice column names, formatted numbers, sorted by the numbers.

    ``keys`` are the group columns to show first; ``sort_by`` is a metric or key column (raw or display name);
    missing values sort last, ties are ordered by the keys. No total row is added (the caller decides).
    Re-sort by calling again with another ``sort_by``: the display frame holds strings only.

    Args:
        stats: a ``campaign_stats`` frame.
        keys: the group columns, shown first (states as their labels).
        sort_by: a metric or key column, raw (``reach_outs``) or displayed (``Reach Outs``).
        ascending: sort smallest first.
        intervals: rates with their 95 % interval, ``7.8% (5.6–10.6)``, where the frame has ``<rate>_low`` and
            ``<rate>_high`` (see :func:`talentstats.stats.intervals.with_intervals`).

    Returns:
        A frame of display texts, columns named by their labels.

    Raises:
        ValueError: a key or sort column that is not in ``stats``.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    require_columns(stats, keys, "stats_table")
    by_display = {**{v: k for k, v in METRIC_LABELS.items()}, **{v: k for k, v in KEY_LABELS.items()}}
    sort_col = by_display.get(sort_by, sort_by)
    if sort_col not in stats.columns:
        raise ValueError(f"cannot sort by {sort_by!r}: not a column of the statistics")
    metrics = [m for m in (*COUNT_METRICS, *RATE_METRICS) if m in stats.columns]

    bounds = [f"{m}{end}" for m in metrics for end in ("_low", "_high") if f"{m}{end}" in stats.columns]
    raw = stats[keys + metrics + (bounds if intervals else [])].copy()
    order_cols = [sort_col] + [k for k in keys if k != sort_col]
    raw = raw.sort_values(
        order_cols, ascending=[ascending] + [True] * (len(order_cols) - 1), na_position="last", kind="stable"
    ).reset_index(drop=True)

    display = pd.DataFrame(index=raw.index)
    for key in keys:
        display[KEY_LABELS.get(key, key)] = [_key_display(key, v) for v in raw[key]]
    for metric in metrics:
        if f"{metric}_high" in raw.columns and f"{metric}_low" in raw.columns:
            bounds = zip(raw[metric], raw[f"{metric}_low"], raw[f"{metric}_high"], strict=True)
            display[METRIC_LABELS[metric]] = [fmt_rate_interval(v, lo, hi) for v, lo, hi in bounds]
            continue
        fmt = fmt_count if metric in COUNT_METRICS else fmt_rate
        display[METRIC_LABELS[metric]] = [fmt(v) for v in raw[metric]]
    return display


#: CSS of :func:`table_html` tables (class ``ts-table``; numeric cells ``ts-num``)
TABLE_CSS: Final = (
    ".ts-table{border-collapse:collapse;font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px}"
    ".ts-table caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}"
    ".ts-table th,.ts-table td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left}"
    ".ts-table thead th{border-bottom:2px solid #999;white-space:nowrap}"
    ".ts-table .ts-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
)


def table_html(display_df: pd.DataFrame, caption: str | None = None, *, css: bool = True) -> str:
    """HTML table of a :func:`stats_table` frame: every cell escaped, metric (and numeric) columns right-aligned.

    The index is not shown. Works in a report page and in an ``ipywidgets.HTML``.

    Args:
        display_df: a frame of :func:`stats_table` (or any frame: numeric columns are right-aligned too).
        caption: a caption above the table.
        css: include the ``<style>`` block (without, include :data:`TABLE_CSS` once yourself).

    Returns:
        The ``<table class="ts-table">`` (after its style).
    """
    numeric = {c for c in display_df.columns if c in METRIC_LABELS.values()}
    numeric |= {c for c in display_df.columns if pd.api.types.is_numeric_dtype(display_df[c].dtype)}

    def cell(tag: str, text: object, column: object) -> str:
        klass = ' class="ts-num"' if column in numeric else ""
        return f"<{tag}{klass}>{escape_label(_cell_text(text))}</{tag}>"

    parts = [f"<style>{TABLE_CSS}</style>"] if css else []
    parts.append('<table class="ts-table">')
    if caption is not None:
        parts.append(f"<caption>{escape_label(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(cell("th", c, c) for c in display_df.columns) + "</tr></thead>")
    parts.append("<tbody>")
    columns = list(display_df.columns)
    for row in display_df.itertuples(index=False, name=None):
        parts.append("<tr>" + "".join(cell("td", v, c) for v, c in zip(row, columns, strict=True)) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _cell_text(value: object) -> str:
    """Text of a table cell: formatted numbers as they are, missing -> '—'."""
    if is_na(value):
        return NA_TEXT
    return str(value)
