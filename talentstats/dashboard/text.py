"""What the dashboard says: tile values, the period line, the data note, the KPI text and the drill-down table.

Plain functions of numbers and names returning text or escaped HTML: every export string goes through
``html.escape`` (or :func:`talentstats.present.charts.table_html`) before it reaches a widget.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from talentstats.load.accounting import LoadReport
from talentstats.present import charts
from talentstats.present.formats import change_text
from talentstats.stats.metrics import COUNTS, RATES
from talentstats.stats.periods import previous_period
from talentstats.stats.states import STATES

__all__ = ["DRILL_LIMIT", "KPIS", "PII_LABELS", "data_note", "drill_html", "empty_stats", "kpi_text", "options",
           "period_html", "scope_text", "tile_html", "value_text"]

#: the KPI tiles, in order
KPIS = ("reach_outs", "in_progress", "opens", "responses", "interested", "open_rate", "response_rate",
        "interested_rate", "interested_of_responses", "bounce_rate")
#: rows of the drill-down table shown at most
DRILL_LIMIT = 500
#: prospect columns shown in the drill-down only when asked, with their headings
PII_LABELS = {"prospect_name": "Prospect", "prospect_email": "Email"}


def value_text(metric: str, values: Mapping[str, Any]) -> str:
    """A KPI as its tile shows it.

    Args:
        metric: one of :data:`KPIS`.
        values: statistics of the range (one row of ``stats_dicts``).

    Returns:
        The formatted number; ``"unknown"`` for Opens and Open rate without open information.
    """
    if metric in ("opens", "open_rate") and values["opens"] is None:
        return charts.UNKNOWN_TEXT
    fmt = charts.fmt_count if metric in COUNTS else charts.fmt_rate
    return fmt(values[metric])


def tile_html(metric: str, now: Mapping[str, Any], before: Mapping[str, Any]) -> str:
    """The HTML of one KPI tile: label, value and change against the previous period.

    Args:
        metric: one of :data:`KPIS`.
        now: statistics of the range.
        before: statistics of the previous period of the same length.

    Returns:
        A ``div.ts-tile`` (styled by :data:`talentstats.dashboard.layout.DASHBOARD_CSS`).
    """
    value = value_text(metric, now)
    unknown = " unknown" if value == charts.UNKNOWN_TEXT else ""
    return (f'<div class="ts-tile" data-metric="{metric}"><div class="l">{charts.METRIC_LABELS[metric]}</div>'
            f'<div class="v{unknown}">{html.escape(value)}</div>'
            f'<div class="c">{html.escape(change_text(metric, now[metric], before[metric]))} vs previous</div></div>')


def scope_text(campaigns: Sequence[Any], senders: Sequence[Any]) -> str:
    """The selection in words: ``all campaigns; senders s1, s2`` (plain text, not escaped).

    Args:
        campaigns: the chosen campaigns (none = all).
        senders: the chosen senders (none = all).

    Returns:
        One line.
    """
    parts = []
    for what, chosen in (("campaign", campaigns), ("sender", senders)):
        if not chosen:
            parts.append(f"all {what}s")
        else:
            names = (charts.BLANK_LABEL if pd.isna(n) or not str(n).strip() else str(n) for n in chosen)
            parts.append(f"{what}{'s' if len(chosen) > 1 else ''} " + ", ".join(names))
    return "; ".join(parts)


def period_html(start: dt.date, end: dt.date, tz: str, scope: str, compared: str | None = None) -> str:
    """The line above the tiles: range, time zone, selection and the period the changes compare with.

    Args:
        start: first day of the range.
        end: last day of the range.
        tz: the report time zone.
        scope: :func:`scope_text` of the selection.
        compared: how the changes compare (plain text; default: with the previous period of the same length).

    Returns:
        Escaped HTML.
    """
    p_start, p_end = previous_period(start, end)
    if compared is None:
        days = (end - start).days + 1
        compared = f"Changes compare with the previous {days} days, {p_start:%d %b} – {p_end:%d %b %Y}."
    return (f'<div class="ts-line"><b>{start:%a %d %b %Y} – {end:%a %d %b %Y}</b> '
            f"({html.escape(tz)}) · {html.escape(scope)}<div class=\"ts-muted\" style=\"line-height:1.45\">"
            f"{html.escape(compared)}</div></div>")


def kpi_text(start: dt.date, end: dt.date, tz: str, scope: str, compared: Any) -> str:
    """The KPIs of a range as plain text, with the change against the previous period (for notebooks).

    Args:
        start: first day of the range.
        end: last day of the range.
        tz: the report time zone.
        scope: :func:`scope_text` of the selection.
        compared: the range against the previous period (:class:`talentstats.dashboard.sameage.Compared`).

    Returns:
        Three heading lines, one line per KPI (rates with their 95 % interval, the change's interval and
        verdict), then the caveats.
    """
    from talentstats.dashboard import verdicts  # (verdicts formats tiles; text stays free of the comparison)

    warnings, notes = verdicts.caveats(compared)
    lines = [f"Reach outs created {start:%a %d %b %Y} – {end:%a %d %b %Y} ({tz})", f"Scope: {scope}",
             verdicts.compared_line(compared), *verdicts.kpi_lines(KPIS, compared)]
    return "\n".join([*lines, *(f"Note: {n}" for n in (*warnings, *notes))])


def data_note(table: pd.DataFrame, load: LoadReport | None, opens_info: bool) -> str:
    """The note under the controls: what was loaded and how fresh it is.

    Args:
        table: the canonical table.
        load: the LoadReport of the load, if known.
        opens_info: whether the export has any open information.

    Returns:
        Escaped HTML.
    """
    newest = (f"newest reach out created {table['created_at'].max():%Y-%m-%d %H:%M} UTC"
              if len(table) else "no reach outs")
    if load is None:
        text = f"{len(table):,} reach outs · {newest}"
    else:
        text = (f"{load.rows_loaded:,} reach outs loaded from {len(load.files)} file(s) · {load.rows_rejected:,} "
                f"rows rejected · {load.duplicates_collapsed:,} duplicates collapsed · {newest}")
    if not opens_info:
        text += " · opens unknown: the export has no open information"
    return f'<span class="ts-muted">{html.escape(text)}</span>'


def drill_html(rows: pd.DataFrame, total: int, metric: str, tz: str) -> str:
    """The drill-down: the reach outs behind a tile as an escaped HTML table.

    Args:
        rows: the rows shown (columns of ``Dashboard.drill_rows``, at most :data:`DRILL_LIMIT`).
        total: how many reach outs are behind the tile.
        metric: one of :data:`talentstats.stats.metrics.COUNTS`.
        tz: the report time zone (of the Created column).

    Returns:
        HTML: the table with a caption, or a line saying there is none.
    """
    label = charts.METRIC_LABELS[metric]
    if not total:
        return f'<p class="ts-line">No reach outs behind {label} for this range and selection.</p>'
    shown = rows.copy()
    shown["state"] = shown["state"].map(STATES)
    shown["created_at"] = shown["created_at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M")
    shown = shown.rename(columns={"reach_out_id": "Reach Out ID", "campaign": "Campaign", "sender": "Sender",
                                  "state": "State", "created_at": "Created", **PII_LABELS})
    more = f" (showing the first {DRILL_LIMIT:,})" if total > DRILL_LIMIT else ""
    return charts.table_html(shown, caption=f"{total:,} reach outs behind {label}{more}")


def options(names: Sequence[Any]) -> list[tuple[str, Any]]:
    """(label, value) pairs for a multi-select: a blank or missing name is shown as "(none)".

    Args:
        names: campaign or sender names.

    Returns:
        One pair per name, in order.
    """
    return [(charts.BLANK_LABEL if pd.isna(n) or str(n).strip() == "" else str(n), n) for n in names]


def empty_stats(keys: Sequence[str] = ()) -> pd.DataFrame:
    """Statistics without reach outs, shaped as ``campaign_stats`` returns them (the figures' first data).

    Args:
        keys: group key columns (none: one total row of zeros).

    Returns:
        The frame.
    """
    cols = {k: pd.Series([], dtype="str" if k != "state" else "int64") for k in keys}
    cols |= {m: pd.Series([0] if not keys else [], dtype="Int64") for m in COUNTS}
    cols |= {m: pd.Series([pd.NA] if not keys else [], dtype="Float64") for m in RATES}
    return pd.DataFrame(cols)
