"""The dashboard's controls, how its widgets are arranged on the page, and its style sheet."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from talentstats.dashboard.text import KPIS, options
from talentstats.present import charts
from talentstats.stats.metrics import COUNTS, RATES
from talentstats.stats.periods import PRESETS

__all__ = ["DASHBOARD_CSS", "TIME_ZONES", "Controls", "arrange", "controls", "heading", "tile_box"]

#: the time zones offered (a dashboard started in another one offers it first)
TIME_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Lisbon", "America/New_York", "America/Chicago",
              "America/Los_Angeles", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]

DASHBOARD_CSS = """<style>
.ts-tile{border:1px solid #d9e2ec;border-radius:6px;padding:6px 12px;width:160px;box-sizing:border-box;
font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;background:#fff}
.ts-tile .l{font-size:12px;color:#52606d;white-space:nowrap;line-height:1.4}
.ts-tile .v{font-size:22px;font-weight:600;color:#1f2933;font-variant-numeric:tabular-nums;white-space:nowrap;
line-height:1.3}
.ts-tile .v.unknown{color:#7b8794;font-style:italic;font-weight:500}
.ts-tile .c{font-size:11px;color:#52606d;overflow-wrap:anywhere;line-height:1.35;margin-top:2px}
.ts-line{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#3e4c59}
.ts-muted{color:#7b8794;font-size:11px}
.ts-h{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:17px;font-weight:600;color:#2b2b2b;
margin:18px 0 4px 0}
</style>"""

#: the campaigns table: names kept readable (not squeezed to a word a line), wide rates scroll sideways
TABLE_SCROLL = ("<style>.ts-scroll{overflow-x:auto;max-width:100%}.ts-scroll .ts-table td:first-child{min-width:210px;"
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

    preset: w.Dropdown  #: "custom" or one of :data:`talentstats.stats.periods.PRESETS`
    start: w.DatePicker
    end: w.DatePicker
    tz: w.Dropdown
    campaigns: w.SelectMultiple  #: none chosen = all
    senders: w.SelectMultiple
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
    pick = w.Layout(width="360px")
    return Controls(
        preset=w.Dropdown(description="Range", options=["custom", *PRESETS], value="custom", style=label,
                          layout=w.Layout(width="230px")),
        start=w.DatePicker(description="From", value=start, style=label, layout=w.Layout(width="230px")),
        end=w.DatePicker(description="To", value=end, style=label, layout=w.Layout(width="230px")),
        tz=w.Dropdown(description="Time zone", options=TIME_ZONES if tz in TIME_ZONES else [tz, *TIME_ZONES],
                      value=tz, style=label, layout=w.Layout(width="270px")),
        campaigns=w.SelectMultiple(description="Campaigns", options=options(campaigns),
                                   rows=max(2, min(8, len(campaigns))), style=label, layout=pick),
        senders=w.SelectMultiple(description="Senders", options=options(senders),
                                 rows=max(2, min(8, len(senders))), style=label, layout=pick),
        group_by=w.ToggleButtons(options=[("Campaign", "campaign"), ("Sender", "sender")],
                                 style={"button_width": "90px"}),
        sort_by=w.Dropdown(description="Sort by", options=[(charts.METRIC_LABELS[m], m) for m in KPIS],
                           value="reach_outs", style=label, layout=w.Layout(width="260px")),
        drill=w.Dropdown(description="Drill down", options=[("—", "")] + [(charts.METRIC_LABELS[m], m) for m in COUNTS],
                         value="", style=label, layout=w.Layout(width="260px")),
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
    row = w.Layout(display="flex", flex_flow="row wrap", grid_gap="6px 16px", align_items="flex-start")
    hint = w.HTML('<span class="ts-muted">Ctrl- or Shift-click to pick several; none picked = all.</span>',
                  layout=w.Layout(margin="0 0 0 90px"))
    top = w.VBox([w.HBox([c.preset, c.start, c.end, c.tz], layout=row), w.HBox([c.campaigns, c.senders], layout=row),
                  hint, data_note])
    tiles_shown = tiles if isinstance(tiles, w.Widget) else tile_box(tiles)
    half = w.Layout(flex="1 1 480px", min_width="420px")
    # columns (not rows): a figure stretches to the width of a column box, and can shrink with it
    funnel_box, states_box = w.VBox([figures["funnel"]], layout=half), w.VBox([figures["states"]], layout=half)
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
    return w.VBox([w.HTML(DASHBOARD_CSS), top, *([mode] if mode is not None else []), period, tiles_shown, status,
                   charts_row, figures["trend"], *sections, table_box, drill_box], layout=w.Layout(width="100%"))


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
