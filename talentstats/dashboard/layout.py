"""The dashboard's controls, how its widgets are arranged on the page, and its style sheet."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from talentstats.dashboard.pickers import SearchPicker
from talentstats.dashboard.rangenames import range_options
from talentstats.dashboard.text import KPIS, options
from talentstats.present import charts
from talentstats.stats.metrics import COUNTS, RATES

__all__ = ["DASHBOARD_CSS", "TIME_ZONES", "Controls", "arrange", "controls", "heading", "loading", "mark_range",
           "tile_box"]

#: the time zones offered (a dashboard started in another one offers it first)
TIME_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Lisbon", "America/New_York", "America/Chicago",
              "America/Los_Angeles", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]

DASHBOARD_CSS = """<style>
.ts-tile{border:1px solid #d9e2ec;border-radius:6px;padding:6px 12px;width:160px;box-sizing:border-box;
font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;background:#fff}
.ts-tile .l{font-size:12px;color:#52606d;white-space:nowrap;line-height:1.4}
.ts-tile .v{font-size:22px;font-weight:600;color:#1f2933;font-variant-numeric:tabular-nums;white-space:nowrap;
line-height:1.3}
.ts-tile .v.unknown{color:#5f6b7a;font-style:italic;font-weight:500}
.ts-tile .c{font-size:11px;color:#52606d;overflow-wrap:anywhere;line-height:1.35;margin-top:2px}
.ts-line{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#3e4c59}
.ts-muted{color:#5f6b7a;font-size:11px}
.ts-h{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:17px;font-weight:600;color:#2b2b2b;
margin:18px 0 4px 0}
.ts-skeleton{display:none!important}
.ts-error{display:inline-block;font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#b42318;
font-weight:600;background:#fef3f2;border:1px solid #fda29b;border-radius:4px;padding:4px 8px;line-height:1.35}
.ts-stale .ts-results{opacity:.35;filter:grayscale(1);pointer-events:none}
.ts-stale .ts-results::before{content:"Not updated: these numbers are for the previous dates. Fix the dates above.";
font:600 13px Inter,'Segoe UI',Helvetica,Arial,sans-serif;color:#b42318;padding:4px 0}
.ts-loading{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#5f6b7a;
background:linear-gradient(90deg,#f0f4f8 25%,#e4e7eb 50%,#f0f4f8 75%);background-size:200% 100%;
animation:ts-shimmer 1.4s infinite linear;border-radius:6px;padding:12px;margin:6px 0}
@keyframes ts-shimmer{from{background-position:200% 0}to{background-position:-200% 0}}
.ts-pick .widget-checkbox{height:auto;min-height:var(--jp-widgets-inline-height)}
.ts-pick .widget-checkbox .widget-label-basic{white-space:normal;overflow-wrap:anywhere;line-height:1.3;padding:3px 0}
.ts-pick-label{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#3e4c59}
.ts-pick input[type=checkbox]{width:18px;height:18px}
.ts-scroll{overflow-x:auto;max-width:100%}
.ts-chart{min-width:0;max-width:100%;overflow:hidden}
.ts-results .modebar-container{display:none!important}
</style>"""

#: what each box filled later says until then
_LOADING = {"mode": "Loading the activity view…", "states": "Loading reach outs by state…",
            "trend": "Loading the weekly trend…", "sections": "Loading how replies arrive…",
            "comparison": "Loading the comparison of campaigns and senders…", "table": "", "drill": ""}

#: the campaigns table: names kept readable (not squeezed to a word a line), wide rates scroll sideways
TABLE_SCROLL = ("<style>.widget-html-content:has(> .ts-scroll){min-width:0}"
                ".ts-scroll{overflow-x:auto;max-width:100%}.ts-scroll .ts-table td:first-child{min-width:210px;"
                "line-height:1.35}.ts-scroll .ts-table td{white-space:nowrap}.ts-scroll .ts-table td:first-child"
                "{white-space:normal}</style>")


def heading(text: str) -> Any:
    """A section heading.

    Args:
        text: the heading (plain text; escaped).

    Returns:
        An ipywidgets HTML widget.
    """
    return w.HTML(f'<h3 class="ts-h">{html.escape(text)}</h3>')


@dataclass(frozen=True)
class Controls:
    """The dashboard's controls (their ``value`` is what the user chose)."""

    preset: w.Dropdown  #: "custom" (labelled with the dates' name) or one of :data:`talentstats.stats.periods.PRESETS`
    start: w.DatePicker
    end: w.DatePicker
    date_error: w.HTML  #: beside the dates: why they are not a range
    tz: w.Dropdown
    campaigns: SearchPicker  #: none chosen = all
    senders: SearchPicker
    group_by: w.ToggleButtons  #: the comparison's key: campaign or sender
    sort_by: w.Dropdown  #: the comparison table's sort metric
    drill: w.Dropdown  #: the count to drill down into, or ""


def controls(*, tz: str, start: dt.date, end: dt.date, campaigns: Sequence[Any], senders: Sequence[Any]
             ) -> Controls:
    """New controls, set to a range and time zone, offering the table's campaigns and senders.

    Args:
        tz: the report time zone (offered first when not in :data:`TIME_ZONES`).
        start: first day of the range.
        end: last day of the range.
        campaigns: the campaign names.
        senders: the sender names.

    Returns:
        The controls (nothing observed yet).
    """
    label = {"description_width": "84px"}
    narrow = w.Layout(width="min(230px, 100%)")
    range_choices, range_value = range_options(start, end, dt.date.today())
    return Controls(
        preset=w.Dropdown(description="Range", options=range_choices, value=range_value, style=label,
                          layout=w.Layout(width="min(340px, 100%)")),
        start=w.DatePicker(description="From", value=start, style=label, layout=narrow),
        end=w.DatePicker(description="To", value=end, style=label, layout=narrow),
        date_error=w.HTML(layout=w.Layout(max_width="100%")),
        tz=w.Dropdown(description="Time zone", options=TIME_ZONES if tz in TIME_ZONES else [tz, *TIME_ZONES],
                      value=tz, style=label, layout=w.Layout(width="min(270px, 100%)")),
        campaigns=SearchPicker("campaigns", options(campaigns)),
        senders=SearchPicker("senders", options(senders)),
        group_by=w.ToggleButtons(options=[("Campaign", "campaign"), ("Sender", "sender")],
                                 style={"button_width": "90px"}),
        sort_by=w.Dropdown(description="Sort by", options=[(charts.METRIC_LABELS[m], m) for m in KPIS],
                           value="reach_outs", style=label, layout=w.Layout(width="min(260px, 100%)")),
        drill=w.Dropdown(description="Drill down", options=[("—", "")] + [(charts.METRIC_LABELS[m], m) for m in COUNTS],
                         value="", style=label, layout=w.Layout(width="min(260px, 100%)")),
    )


def arrange(c: Controls, *, data_note: Any, period: Any, tiles: Mapping[str, Any] | w.Widget, status: Any,
            figures: Mapping[str, Any], table_html: Any, drill_html: Any, include_pii: bool, mode: Any = None,
            sections: Sequence[Any] = ()) -> Any:
    """The whole dashboard as one box: controls, period line, tiles, charts, comparison table and drill-down.

    Args:
        c: the controls.
        data_note: the note on what was loaded.
        period: the period line.
        tiles: one KPI tile per metric, or a box of tiles (:func:`tile_box`).
        status: the update status line.
        figures: widgets ``funnel``, ``states``, ``trend`` and ``comparison`` (FigureWidgets, or boxes).
        table_html: the comparison table.
        drill_html: the drill-down table.
        include_pii: whether the drill-down shows prospect names and emails (said under its heading).
        mode: a row above the period line (the cohort/activity toggle), if any.
        sections: more sections, shown after the trend.

    Returns:
        An ipywidgets VBox.
    """
    row = w.Layout(display="flex", flex_flow="row wrap", grid_gap="6px 16px", align_items="center", max_width="100%")
    hint = w.HTML('<span class="ts-muted">Tick several; none ticked = all.</span>')
    # the date error right beside the dates (the row wraps it under them on a phone)
    top = w.VBox([w.HBox([c.preset, c.start, c.end, c.date_error], layout=row), c.tz,
                  w.HBox([c.campaigns, c.senders], layout=w.Layout(display="flex", flex_flow="row wrap",
                                                                   grid_gap="6px 16px", align_items="flex-start")),
                  hint, data_note], layout=w.Layout(max_width="100%"))
    tiles_shown = tiles if isinstance(tiles, w.Widget) else tile_box(tiles)
    half = w.Layout(flex="1 1 480px", min_width="min(420px, 100%)", max_width="100%")
    # columns (not rows): a figure stretches to the width of a column box, and can shrink with it
    funnel_box, states_box = w.VBox([figures["funnel"]], layout=half), w.VBox([figures["states"]], layout=half)
    for box in (funnel_box, states_box):
        box.add_class("ts-chart")
    charts_row = w.HBox([funnel_box, states_box], layout=w.Layout(display="flex", flex_flow="row wrap",
                                                                  width="100%"))
    compare_by = w.HBox([w.HTML('<span class="ts-line">Compare by</span>'), c.group_by],
                        layout=w.Layout(align_items="center", grid_gap="8px"))
    table_box = w.VBox([heading("Campaigns and senders"), w.HBox([compare_by, c.sort_by], layout=row),
                        figures["comparison"], table_html])
    drill_box = w.VBox([
        heading("Drill down"),
        w.HTML('<span class="ts-muted">The reach outs behind a tile, for the range and selections above'
               f"{'' if include_pii else ' (ids only: prospect names and emails are not shown)'}.</span>"),
        c.drill, drill_html])
    results = w.VBox([*([mode] if mode is not None else []), period, tiles_shown, status, charts_row,
                      figures["trend"], *sections, table_box, drill_box], layout=w.Layout(width="100%"))
    results.add_class("ts-results")  # dimmed, with a note, while the numbers are not those of the controls
    return w.VBox([w.HTML(DASHBOARD_CSS), top, results], layout=w.Layout(width="100%", max_width="100%"))


def loading(name: str) -> Any:
    """What a box filled later shows until then (a shimmering note, or nothing).

    Args:
        name: the box, e.g. "trend".

    Returns:
        An ipywidgets HTML widget.
    """
    note = _LOADING.get(name, "")
    return w.HTML(f'<div class="ts-loading">{html.escape(note)}</div>' if note else "")


def mark_range(fig: Any, weeks: int, back: int) -> None:
    """Shade the weeks of the chosen range on a trend figure whose category axis shows ``weeks`` weeks, the last
    being the range's last week.

    Args:
        fig: the trend figure.
        weeks: weeks on the axis.
        back: whole weeks from the range's first week to its last (0: one week).
    """
    first = max(0, weeks - 1 - back)
    fig.layout.shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": first - 0.5, "x1": weeks - 0.5,
                          "y0": 0, "y1": 1, "fillcolor": "#E07B24", "opacity": 0.08, "line": {"width": 0},
                          "layer": "below", "name": "range"}]


def tile_box(tiles: Mapping[str, Any]) -> Any:
    """The KPI tiles in two rows: counts, then rates.

    Args:
        tiles: one tile widget per metric of :data:`talentstats.dashboard.text.KPIS`.

    Returns:
        An ipywidgets VBox.
    """
    tile_rows = w.Layout(display="flex", flex_flow="row wrap", grid_gap="8px", margin="4px 0")
    return w.VBox([w.HBox([t for m, t in tiles.items() if m in COUNTS], layout=tile_rows),
                   w.HBox([t for m, t in tiles.items() if m in RATES], layout=tile_rows)])
