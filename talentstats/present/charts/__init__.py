"""Plotly charts and display tables of campaign statistics (the frames of ``campaign_stats``).

Every chart is a pair: ``build_X(...)`` makes a figure with a fixed set of traces and one note annotation,
and ``update_X(fig, ...)`` rewrites that figure's traces and annotation in place, so a dashboard can keep a
``go.FigureWidget(build_X(...))`` and refresh it. ``build_X`` is an empty figure followed by ``update_X``:
there is one code path.

All numbers go through :func:`fmt_count` / :func:`fmt_rate`, all colours come from :data:`METRIC_COLORS` /
:data:`STATE_COLORS`, and every label that comes from data goes through :func:`escape_label` (plotly renders
a subset of HTML in text, ticks and hover labels).

Modules: :mod:`~.style` (colours, sizes, escaping), :mod:`~.figure` (the shared layout and note),
:mod:`~.funnel`, :mod:`~.states`, :mod:`~.trend`, :mod:`~.compare` (one chart each), :mod:`~.tables`,
:mod:`~.rates` (each group's rates with their 95 % intervals, dot and whisker: ``rate_chart``), :mod:`~.multiples`
(one small response-rate trend per campaign on one scale: ``campaign_trends``) and :mod:`~.events`
(when things happen: ``arrival_heatmap``, ``steps_chart``, ``reconciliation_table``); those take a frame and
give a figure or display frame, no update pair. Traces are bar, scatter and heatmap only (a partial plotly.js bundle
with just those draws every chart).
"""

from __future__ import annotations

from talentstats.present.charts.compare import build_comparison, update_comparison
from talentstats.present.charts.events import (
    RECONCILIATION_SUM_ROWS,
    arrival_heatmap,
    reconciliation_table,
    steps_chart,
)
from talentstats.present.charts.figure import figure_notes
from talentstats.present.charts.funnel import build_funnel, update_funnel
from talentstats.present.charts.multiples import campaign_trends
from talentstats.present.charts.rates import RATE_CHART_METRICS, rate_chart, rate_frame
from talentstats.present.charts.states import build_state_breakdown, update_state_breakdown
from talentstats.present.charts.style import (
    BLANK_LABEL,
    COMPARISON_METRICS,
    FONT_FAMILY,
    FUNNEL_STAGES,
    METRIC_COLORS,
    NOTE_WIDTH,
    RATE_COLORS,
    REPORT_CONFIG,
    STATE_COLORS,
    TEXT_COLOR,
    TICK_LABEL_MAX,
    TREND_RATES,
    display_label,
    escape_label,
)
from talentstats.present.charts.tables import TABLE_CSS, stats_table, table_html
from talentstats.present.charts.trend import build_trend, mark_filling_in, update_trend
from talentstats.present.formats import (
    COUNT_METRICS,
    KEY_LABELS,
    METRIC_LABELS,
    NA_TEXT,
    RATE_METRICS,
    UNKNOWN_TEXT,
    fmt_count,
    fmt_rate,
)

__all__ = [
    "BLANK_LABEL", "COMPARISON_METRICS", "COUNT_METRICS", "FONT_FAMILY", "FUNNEL_STAGES", "KEY_LABELS",
    "METRIC_COLORS", "METRIC_LABELS", "NA_TEXT", "NOTE_WIDTH", "RATE_CHART_METRICS", "RATE_COLORS", "RATE_METRICS",
    "RECONCILIATION_SUM_ROWS", "REPORT_CONFIG", "STATE_COLORS", "TABLE_CSS", "TEXT_COLOR", "TICK_LABEL_MAX",
    "TREND_RATES", "UNKNOWN_TEXT", "arrival_heatmap", "build_comparison", "build_funnel", "build_state_breakdown",
    "campaign_trends",
    "build_trend", "display_label", "escape_label", "figure_notes", "fmt_count", "fmt_rate", "mark_filling_in",
    "rate_chart", "rate_frame", "reconciliation_table", "stats_table", "steps_chart", "table_html",
    "update_comparison", "update_funnel",
    "update_state_breakdown", "update_trend",
]
