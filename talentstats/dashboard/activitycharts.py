"""The dashboard's activity-mode figures: what happened in the range, by the date of each event.

Three build/update pairs in the style of :mod:`talentstats.present.charts` (a figure with a fixed set of traces,
refreshed in place): :func:`build_activity_bars` (the funnel's counterpart: events are not a funnel, since this
week's replies need not come from this week's opens), :func:`build_activity_trend` (weekly events) and
:func:`build_activity_comparison` (campaigns or senders side by side). Each takes the frames of
:meth:`talentstats.dashboard.activitycube.ActivityCube.counts`; unknown counts (<NA>) are drawn as no bar and said
in a note, never as 0. :func:`replace_figure` puts a newly built figure into a FigureWidget in place.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import CATEGORY_ROWS, base_layout, batch, count_axis_top, set_note
from talentstats.present.charts.style import METRIC_COLORS, TEXT_COLOR, TICK_LABEL_MAX, display_label, escape_label
from talentstats.present.formats import KEY_LABELS, UNKNOWN_TEXT, as_count, fmt_count

__all__ = ["ACTIVITY_COLORS", "ACTIVITY_LABELS", "TILES", "build_activity_bars", "build_activity_comparison",
           "build_activity_trend", "replace_figure", "update_activity_bars", "update_activity_comparison",
           "update_activity_trend"]

#: the activity tiles and bars, in order
TILES: tuple[str, ...] = ("messages_sent", "reach_outs_started", "opens", "responses", "interested")
ACTIVITY_LABELS: dict[str, str] = {"messages_sent": "Messages sent", "reach_outs_started": "Reach outs started",
                                   "opens": "Opens", "responses": "Responses", "interested": "Interested",
                                   "responses_time_unknown": "Responses, time unknown"}
ACTIVITY_COLORS: dict[str, str] = {"messages_sent": "#7B8794", "reach_outs_started": METRIC_COLORS["reach_outs"],
                                   "opens": METRIC_COLORS["opens"], "responses": METRIC_COLORS["responses"],
                                   "interested": METRIC_COLORS["interested"]}
#: lines of the weekly trend (messages sent are the bars)
_TREND_LINES = ("reach_outs_started", "opens", "responses", "interested")


def _unknown_note(unknown: list[str]) -> list[str]:
    if not unknown:
        return []
    names = ", ".join(ACTIVITY_LABELS[m] for m in unknown)
    return [f"{names}: unknown (not 0) - the export has no times for them (a messages export gives them)."]


def build_activity_bars(title: str = "What happened in the range") -> go.Figure:
    """Horizontal bars of the range's events: messages sent, reach outs started, opens, responses, interested.

    Returns:
        A figure of one bar trace (empty until :func:`update_activity_bars`).
    """
    trace = go.Bar(y=[ACTIVITY_LABELS[m] for m in TILES], x=[0] * len(TILES), orientation="h",
                   marker={"color": [ACTIVITY_COLORS[m] for m in TILES]}, textposition="outside",
                   textfont={"color": TEXT_COLOR, "size": 14}, cliponaxis=False, hoverinfo="text")
    layout = base_layout("activity_bars", title, height=360, showlegend=False, bargap=0.3,
                         xaxis={"visible": False, "fixedrange": True},
                         yaxis={**CATEGORY_ROWS, "fixedrange": True, "tickfont": {"size": 14}})
    return go.Figure(data=[trace], layout=layout)


def update_activity_bars(fig: Any, totals: Mapping[str, Any]) -> None:
    """Refresh :func:`build_activity_bars` with the range's total counts ({count: value, None = unknown})."""
    values = [as_count(totals.get(m)) for m in TILES]
    top = max([v for v in values if v is not None], default=0)
    with batch(fig):
        fig.data[0].update(x=[v or 0 for v in values],
                           text=[UNKNOWN_TEXT if v is None else fmt_count(v) for v in values],
                           hovertext=[f"<b>{ACTIVITY_LABELS[m]}</b><br>"
                                      f"{UNKNOWN_TEXT if v is None else fmt_count(v)} in the range"
                                      for m, v in zip(TILES, values, strict=True)])
        fig.layout.xaxis.range = [0, count_axis_top(top, 1.18)]
        notes = _unknown_note([m for m, v in zip(TILES, values, strict=True) if v is None])
        if not any(values):
            notes.insert(0, "Nothing happened in this range.")
        set_note(fig, notes, below_px=8, bottom=20)


def build_activity_trend(weeks: int) -> go.Figure:
    """Weekly events: messages sent (bars, right axis) and the other counts (lines, left axis).

    Args:
        weeks: how many weeks the window shows (for the title).

    Returns:
        A figure of five traces (empty until :func:`update_activity_trend`).
    """
    bars = go.Bar(name=ACTIVITY_LABELS["messages_sent"], yaxis="y2", hoverinfo="text",
                  marker={"color": ACTIVITY_COLORS["messages_sent"], "opacity": 0.35, "line": {"width": 0}})
    lines = [go.Scatter(name=ACTIVITY_LABELS[m], mode="lines+markers", line={"color": ACTIVITY_COLORS[m], "width": 2.5},
                        marker={"size": 7}, hoverinfo="text", yaxis="y") for m in _TREND_LINES]
    layout = base_layout(
        "activity_trend", f"Weekly activity (last {weeks} weeks)", height=440,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0}, bargap=0.25, hovermode="closest",
        xaxis={"title": {"text": "Week starting (Monday)"}, "type": "category", "tickmode": "array"},
        yaxis={"title": {"text": "Reach outs"}, "tickformat": ",d", "rangemode": "tozero", "automargin": True},
        yaxis2={"title": {"text": "Messages sent"}, "overlaying": "y", "side": "right", "tickformat": ",d",
                "tickmode": "auto", "showgrid": False, "zeroline": False, "automargin": True},
    )
    # the lines over the bars: plotly draws the overlaying axis' traces on top, so the bars take y2
    return go.Figure(data=[bars, *lines], layout=layout)


def update_activity_trend(fig: Any, weekly: pd.DataFrame, window: list[pd.Timestamp],
                          unknown: Collection[str] = ()) -> None:
    """Refresh :func:`build_activity_trend` with activity counts by week (``week`` as "YYYY-MM-DD").

    Args:
        fig: the figure.
        weekly: ActivityCube counts by week.
        window: the Mondays shown, oldest first.
        unknown: the counts the export has no times for (shown as no line, named in a note).
    """
    xs = [f"{w:%Y-%m-%d}" for w in window]
    frame = weekly.set_index("week").reindex(xs)
    names = [f"{w:%b} {w.day}, {w.year}" for w in window]
    ticks = [f"{w:%b} {w.day}" + (f"<br>{w.year}" if i == 0 or w.year != window[i - 1].year else "")
             for i, w in enumerate(window)]
    unknown = [m for m in ("messages_sent", *_TREND_LINES) if m in unknown]
    with batch(fig):
        for trace, m in zip(fig.data, ("messages_sent", *_TREND_LINES), strict=True):
            ys = [None if m in unknown else int(v) if pd.notna(v) else 0 for v in frame[m]]
            trace.update(x=xs, y=ys, hovertext=[f"Week of {n}<br><b>{ACTIVITY_LABELS[m]}: "
                                                f"{UNKNOWN_TEXT if y is None else fmt_count(y)}</b>"
                                                for n, y in zip(names, ys, strict=True)])
        fig.layout.xaxis.update(tickvals=xs, ticktext=ticks)
        top = frame[list(_TREND_LINES)].max().max()
        fig.layout.yaxis.range = [0, count_axis_top(0 if pd.isna(top) else int(top), 1.08)]
        sent = frame["messages_sent"].max()
        fig.layout.yaxis2.range = [0, count_axis_top(0 if pd.isna(sent) else int(sent), 1.08)]
        notes = _unknown_note(unknown)
        if frame[["messages_sent", *_TREND_LINES]].fillna(0).to_numpy().sum() == 0:
            notes.insert(0, "Nothing happened in these weeks.")
        set_note(fig, notes, below_px=70, bottom=50)


def build_activity_comparison(key: str = "campaign") -> go.Figure:
    """Grouped horizontal bars of each campaign's (or sender's) events in the range.

    Args:
        key: campaign or sender.

    Returns:
        A figure of five bar traces (empty until :func:`update_activity_comparison`).
    """
    traces = [go.Bar(name=ACTIVITY_LABELS[m], orientation="h", marker={"color": ACTIVITY_COLORS[m]},
                     textposition="outside", textangle=0, textfont={"size": 11}, hoverinfo="text",
                     cliponaxis=False) for m in TILES]
    layout = base_layout("activity_comparison", f"{KEY_LABELS[key]} activity", height=400, barmode="group",
                         bargap=0.2, bargroupgap=0.05, meta={"key": key},
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
                         xaxis={"title": {"text": "Count"}, "tickformat": ",d", "rangemode": "tozero"},
                         yaxis=CATEGORY_ROWS)
    return go.Figure(data=traces, layout=layout)


def update_activity_comparison(fig: Any, counts: pd.DataFrame, key: str, unknown: Collection[str] = ()) -> None:
    """Refresh :func:`build_activity_comparison` with ActivityCube counts by ``key`` (campaign or sender),
    sorted by messages sent (reach outs started without messages), most on top; ``unknown``: the counts the
    export has no times for."""
    order = "messages_sent" if counts["messages_sent"].notna().any() else "reach_outs_started"
    rows = counts.assign(_o=counts[order].fillna(0)).sort_values(["_o", key], ascending=[False, True],
                                                                 kind="stable")
    labels = [escape_label(display_label(v)) for v in rows[key]]
    ticks = [display_label(v, TICK_LABEL_MAX) for v in rows[key]]
    unknown = [m for m in TILES if m in unknown]
    with batch(fig):
        top = 0
        for trace, m in zip(fig.data, TILES, strict=True):
            xs = [None if pd.isna(v) else int(v) for v in rows[m]]
            top = max([top, *(x for x in xs if x is not None)])
            trace.update(y=labels, x=xs, text=["" if x is None else fmt_count(x) for x in xs],
                         hovertext=[f"<b>{lab}</b><br>{ACTIVITY_LABELS[m]}: "
                                    f"{UNKNOWN_TEXT if x is None else fmt_count(x)}"
                                    for lab, x in zip(labels, xs, strict=True)])
        fig.layout.xaxis.range = [0, count_axis_top(top, 1.15)]
        fig.layout.yaxis.update(categoryarray=labels, tickvals=labels, ticktext=ticks)
        fig.layout.height = max(320, 150 + 90 * len(labels))
        fig.layout.title.text = escape_label(f"{KEY_LABELS[key]} activity")
        notes = _unknown_note(unknown)
        if not len(rows):
            notes.insert(0, "Nothing happened in this range.")
        set_note(fig, notes, below_px=48, bottom=20)


def replace_figure(widget: Any, fig: go.Figure) -> None:
    """Show ``fig`` in a FigureWidget in place: traces updated where they match, else replaced; layout replaced."""
    same = len(widget.data) == len(fig.data) and all(
        a.type == b.type for a, b in zip(widget.data, fig.data, strict=True))
    if not same:
        widget.update({"data": fig.data, "layout": fig.layout}, overwrite=True)
        return
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)  # the same template every time: re-validating it is most of the cost
    with batch(widget):
        for old, new in zip(widget.data, fig.data, strict=True):
            old.update(new.to_plotly_json(), overwrite=True)
        widget.update_layout(layout, overwrite=True)
