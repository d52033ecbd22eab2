"""The outreach funnel: Reach Outs → Opens → Responses → Interested of a total."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import (
    base_layout,
    batch,
    figure_meta,
    set_note,
    total_values,
)
from talentstats.present.charts.style import (
    FUNNEL_STAGES,
    METRIC_COLORS,
    TEXT_COLOR,
    escape_label,
    plural,
    share,
)
from talentstats.present.formats import (
    METRIC_LABELS,
    UNKNOWN_TEXT,
    as_count,
    fmt_count,
    fmt_rate,
)


def build_funnel(total: pd.DataFrame | Mapping[str, Any], *, title: str = "Outreach funnel") -> go.Figure:
    """Funnel Reach Outs → Opens → Responses → Interested of a total.

    Args:
        total: the period's total: a one-row ``campaign_stats`` frame, a Series or a Mapping.
        title: the chart title.

    Returns:
        A figure of one funnel trace (and a note when opens are unknown or responses exceed opens).

    Raises:
        ValueError: ``total`` has more than one row.
    """
    stages = [METRIC_LABELS[m] for m in FUNNEL_STAGES]
    trace = go.Funnel(
        name="Funnel",
        y=stages,
        x=[0] * len(stages),
        textinfo="text",
        marker={"color": [METRIC_COLORS[m] for m in FUNNEL_STAGES]},
        insidetextfont={"color": "white", "size": 14},
        outsidetextfont={"color": TEXT_COLOR, "size": 14},
        connector={"fillcolor": "#E3E8EF", "line": {"width": 0}},
        hoverinfo="text",
        cliponaxis=False,
    )
    layout = base_layout(
        "funnel",
        title,
        height=360,
        showlegend=False,
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"automargin": True, "fixedrange": True, "tickfont": {"size": 14}},
    )
    fig = go.Figure(data=[trace], layout=layout)
    update_funnel(fig, total)
    return fig


def update_funnel(fig: go.Figure, total: pd.DataFrame | Mapping[str, Any], *, title: str | None = None) -> None:
    """Refresh a :func:`build_funnel` figure in place with a new total.

    Args:
        fig: a figure (or FigureWidget) made by :func:`build_funnel`.
        total: the new total, as for :func:`build_funnel`.
        title: a new title (None keeps it).

    Raises:
        ValueError: ``fig`` was not made by :func:`build_funnel`, or ``total`` has more than one row.
    """
    figure_meta(fig, "funnel")
    values = total_values(total)
    reach = as_count(values.get("reach_outs")) or 0
    # without reach outs every stage is an empty subset of them: 0, not unknown
    counts: dict[str, int | None] = {m: as_count(values.get(m)) if reach else 0 for m in FUNNEL_STAGES}
    counts["reach_outs"] = reach
    opens, responses = counts["opens"], counts["responses"]

    xs: list[int] = []
    texts: list[str] = []
    positions: list[str] = []
    hovers: list[str] = []
    for metric in FUNNEL_STAGES:
        n = counts[metric]
        label = METRIC_LABELS[metric]
        if n is None:
            xs.append(0)
            texts.append(UNKNOWN_TEXT)
            positions.append("outside")
            hovers.append(f"<b>{label}</b><br>{UNKNOWN_TEXT}: the export has no information on this")
            continue
        of_reach = share(n, reach)
        xs.append(n)
        texts.append(f"{fmt_count(n)} · {fmt_rate(of_reach)}")
        positions.append("auto" if n else "outside")  # text on a 0-width bar is hidden unless outside
        hover = f"<b>{label}</b><br>{fmt_count(n)} · {fmt_rate(of_reach)} of reach outs"
        if metric == "interested":
            hover += f"<br>{fmt_rate(share(n, responses))} of responses"
        hovers.append(hover)

    notes: list[str] = []
    if reach == 0:
        notes.append("No reach outs in this period.")
    elif opens is None:
        notes.append("Opens unknown: the export has no open information.")
    if opens is not None and responses is not None and responses > opens:
        extra = responses - opens
        notes.append(
            f"Note: {plural(extra, 'more response')} than tracked opens — some replies came without a tracked open."
        )
    with batch(fig):
        fig.data[0].update(
            x=xs, text=texts, textposition=positions, hovertext=hovers, connector={"visible": opens is not None}
        )
        set_note(fig, notes, below_px=8, bottom=20)
        if title is not None:
            fig.layout.title.text = escape_label(title)
