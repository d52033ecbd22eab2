"""The weekly trend: reach outs per week (bars) and the rates (lines) over the last weeks."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import (
    base_layout,
    batch,
    count_axis_top,
    figure_meta,
    rate_axis_top,
    require_columns,
    set_note,
    stats_rows,
)
from talentstats.present.charts.style import (
    METRIC_COLORS,
    RATE_COLORS,
    TREND_RATES,
    escape_label,
    plural,
)
from talentstats.present.formats import (
    METRIC_LABELS,
    as_count,
    as_number,
    fmt_count,
    fmt_rate,
    is_na,
)


def _week_ticks(weeks: Sequence[pd.Timestamp]) -> list[str]:
    """'Mar 4' tick labels, with the year on the first tick and wherever the year changes."""
    ticks: list[str] = []
    for i, week in enumerate(weeks):
        text = f"{week:%b} {week.day}"
        if i == 0 or week.year != weeks[i - 1].year:
            text += f"<br>{week.year}"
        ticks.append(text)
    return ticks


def build_trend(
    weekly: pd.DataFrame, weeks: int = 12, *, end_week: str | None = None, title: str | None = None
) -> go.Figure:
    """Last ``weeks`` weeks: Reach Outs bars (left axis) and open/response/interested rate lines (right axis).

    The window ends at ``end_week`` (a Monday, "YYYY-MM-DD") or at the latest week in ``weekly``; weeks with no
    row are shown with 0 reach outs and no rates. Always four traces.

    Args:
        weekly: statistics by ``week``.
        weeks: how many weeks the window shows.
        end_week: the Monday of the window's last week (default: the newest week in ``weekly``).
        title: the chart title (default: "Weekly trend (last N weeks)").

    Returns:
        The figure.

    Raises:
        ValueError: ``weeks`` below 1 or statistics without a ``week`` column.
    """
    bars = go.Bar(
        name=METRIC_LABELS["reach_outs"],
        marker={"color": METRIC_COLORS["reach_outs"], "opacity": 0.55, "line": {"width": 0}},
        hoverinfo="text",
        yaxis="y",
    )
    lines = [
        go.Scatter(
            name=METRIC_LABELS[rate],
            mode="lines+markers",
            line={"color": RATE_COLORS[rate], "width": 2.5},
            marker={"size": 7},
            connectgaps=False,
            hoverinfo="text",
            yaxis="y2",
        )
        for rate in TREND_RATES
    ]
    layout = base_layout(
        "trend",
        title or f"Weekly trend (last {weeks} weeks)",
        height=440,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        bargap=0.25,
        hovermode="closest",
        xaxis={"title": {"text": "Week starting (Monday)"}, "type": "category", "tickmode": "array"},
        yaxis={"title": {"text": "Reach outs"}, "tickformat": ",d", "rangemode": "tozero", "automargin": True},
        yaxis2={
            "title": {"text": "Rate (% of reach outs)"},
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "tickmode": "auto",  # plotly defaults an overlaying axis to ticks synced to the left axis: odd values
            "showgrid": False,
            "zeroline": False,
            "automargin": True,
        },
    )
    fig = go.Figure(data=[bars, *lines], layout=layout)
    update_trend(fig, weekly, weeks, end_week=end_week)
    return fig


def _trend_window(weekly: pd.DataFrame, weeks: int, end_week: str | None) -> list[pd.Timestamp]:
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if end_week is not None:
        end = pd.Timestamp(end_week)
    elif len(weekly):
        end = max(pd.Timestamp(str(w)) for w in weekly["week"])
    else:
        return []
    return list(pd.date_range(end=end.normalize(), periods=weeks, freq="7D"))


def update_trend(
    fig: go.Figure,
    weekly: pd.DataFrame,
    weeks: int = 12,
    *,
    end_week: str | None = None,
    title: str | None = None,
) -> None:
    """Refresh a :func:`build_trend` figure in place with new by=["week"] statistics.

    Args:
        fig: a figure made by :func:`build_trend`.
        weekly: statistics by ``week``.
        weeks: how many weeks the window shows.
        end_week: the Monday of the window's last week (default: the newest week in ``weekly``).
        title: a new title (None keeps it).

    Raises:
        ValueError: another figure, ``weeks`` below 1 or statistics without a ``week`` column.
    """
    figure_meta(fig, "trend")
    require_columns(weekly, ["week", "reach_outs"], "trend")
    window = _trend_window(weekly, weeks, end_week)
    by_week = {pd.Timestamp(str(row["week"])).normalize(): row for row in stats_rows(weekly)}
    xs = [f"{week:%Y-%m-%d}" for week in window]
    names = [f"{week:%b} {week.day}, {week.year}" for week in window]
    rows = [by_week.get(week, {}) for week in window]
    reach = [as_count(row.get("reach_outs")) or 0 for row in rows]

    with batch(fig):
        fig.data[0].update(
            x=xs,
            y=reach,
            hovertext=[f"Week of {n}<br><b>Reach Outs: {fmt_count(r)}</b>" for n, r in zip(names, reach, strict=True)],
        )
        top_rate = 0.0
        for trace, rate in zip(fig.data[1:], TREND_RATES, strict=True):
            count_col = {"open_rate": "opens", "response_rate": "responses", "interested_rate": "interested"}[rate]
            ys = [as_number(row.get(rate)) for row in rows]
            top_rate = max([top_rate, *(y for y in ys if y is not None)])
            trace.update(
                x=xs,
                y=ys,
                hovertext=[
                    f"Week of {n}<br><b>{METRIC_LABELS[rate]}: {fmt_rate(y)}</b>"
                    f" ({fmt_count(row.get(count_col))} of {fmt_count(r)} reach outs)"
                    for n, y, row, r in zip(names, ys, rows, reach, strict=True)
                ],
            )
        fig.layout.xaxis.update(tickvals=xs, ticktext=_week_ticks(window))
        fig.layout.yaxis.range = [0, count_axis_top(max(reach, default=0), 1.08)]
        fig.layout.yaxis2.range = [0, rate_axis_top(top_rate)]

        notes: list[str] = []
        if not any(reach):
            notes.append("No reach outs in these weeks.")
        no_opens = sum(1 for row, r in zip(rows, reach, strict=True) if r and is_na(row.get("opens")))
        if no_opens and no_opens == sum(1 for r in reach if r):
            notes.append("Open rate not shown: the export has no open information.")
        elif no_opens:
            notes.append(f"Open rate not shown for {plural(no_opens, 'week')} without open information.")
        set_note(fig, notes, below_px=70, bottom=50)
        if title is not None:
            fig.layout.title.text = escape_label(title)


def mark_filling_in(fig: go.Figure, positions: Sequence[int]) -> None:
    """Mark weeks of a :func:`build_trend` figure as still filling in: shaded, hatched bars, open markers, a
    label and a note in the hover text.

    Args:
        fig: a figure made by :func:`build_trend`.
        positions: the weeks to mark, as indexes into the window (0 is the oldest week).
    """
    if not positions:
        return
    for i in positions:
        fig.add_shape(type="rect", xref="x", yref="paper", x0=i - 0.5, x1=i + 0.5, y0=0, y1=1, layer="below",
                      line_width=0, fillcolor="#e4e7eb", opacity=0.6)
    fig.add_annotation(xref="x", yref="paper", x=positions[-1] + 0.5, y=1, xanchor="right", yanchor="top",
                       text="filling in", showarrow=False, font={"size": 11, "color": "#52606d"})
    n = len(fig.data[0].x)
    fig.data[0].marker.pattern = {"shape": ["/" if i in positions else "" for i in range(n)], "fgcolor": "#ffffff",
                                  "size": 6, "solidity": 0.25}
    for trace in fig.data[1:]:
        trace.marker.symbol = ["circle-open" if i in positions else "circle" for i in range(n)]
        trace.hovertext = [t + ("<br><i>still filling in</i>" if i in positions else "")
                           for i, t in enumerate(trace.hovertext)]
