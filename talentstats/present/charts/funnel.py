"""The outreach stages: Reach Outs, Opens, Responses and Interested of a total, as bars from one baseline.

Not a funnel: a reply does not need a tracked open (the export misses opens of plain-text mail, of images not
loaded, ...), so Responses are not a subset of Opens and are never drawn inside them. Each stage is a horizontal
bar on the same count axis, labelled ``count · % of reach outs``; Interested is a subset of Responses and its
hover says which share of them. Bar traces only (a partial plotly.js bundle with bar, scatter and heatmap draws it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import (
    CATEGORY_ROWS,
    base_layout,
    batch,
    count_axis_top,
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

#: optional value of a total: how many of its responses came without a tracked open (known from the reach outs)
RESPONSES_WITHOUT_OPEN = "responses_without_open"


def build_funnel(total: pd.DataFrame | Mapping[str, Any], *, title: str = "Outreach funnel") -> go.Figure:
    """Reach Outs, Opens, Responses and Interested of a total as bars from a common baseline.

    Args:
        total: the period's total: a one-row ``campaign_stats`` frame, a Series or a Mapping; a Mapping may carry
            :data:`RESPONSES_WITHOUT_OPEN` (responses without a tracked open), which the note then states.
        title: the chart title.

    Returns:
        A figure of one horizontal bar trace (stages top to bottom) and a note (opens unknown, responses without
        a tracked open).

    Raises:
        ValueError: ``total`` has more than one row.
    """
    stages = [METRIC_LABELS[m] for m in FUNNEL_STAGES]
    trace = go.Bar(
        name="Stages",
        orientation="h",
        y=stages,
        x=[0] * len(stages),
        marker={"color": [METRIC_COLORS[m] for m in FUNNEL_STAGES], "line": {"width": 0}},
        insidetextfont={"color": "white", "size": 14},
        outsidetextfont={"color": TEXT_COLOR, "size": 14},
        insidetextanchor="end",
        textangle=0,
        hoverinfo="text",
        cliponaxis=False,
    )
    layout = base_layout(
        "funnel",
        title,
        height=360,
        showlegend=False,
        bargap=0.35,
        xaxis={"title": {"text": "Reach outs"}, "tickformat": ",d", "rangemode": "tozero", "fixedrange": True},
        yaxis={**CATEGORY_ROWS, "fixedrange": True, "tickfont": {"size": 14}},
    )
    fig = go.Figure(data=[trace], layout=layout)
    update_funnel(fig, total)
    return fig


def _counts(values: Mapping[str, Any]) -> dict[str, int | None]:
    """Stage -> count (None: unknown); without reach outs every stage is an empty subset of them: 0."""
    reach = as_count(values.get("reach_outs")) or 0
    counts: dict[str, int | None] = {m: as_count(values.get(m)) if reach else 0 for m in FUNNEL_STAGES}
    counts["reach_outs"] = reach
    return counts


def stage_notes(values: Mapping[str, Any]) -> list[str]:
    """The notes under the stages: no reach outs, opens unknown, and how many responses had no tracked open
    (exactly, when the total carries :data:`RESPONSES_WITHOUT_OPEN`; else "at least" responses − opens when
    responses exceed opens)."""
    counts = _counts(values)
    reach, opens, responses = counts["reach_outs"], counts["opens"], counts["responses"]
    if not reach:
        return ["No reach outs in this period."]
    if opens is None:
        return ["Opens unknown: the export has no open information."]
    if not responses:
        return []
    silent = as_count(values.get(RESPONSES_WITHOUT_OPEN))
    if silent is not None:
        if not silent:
            return ["Every response came after a tracked open."]
        return [f"{fmt_count(silent)} of the {plural(responses, 'response')} had no tracked open: Responses are "
                f"not a subset of Opens."]
    if responses > opens:
        return [f"At least {fmt_count(responses - opens)} of the {plural(responses, 'response')} had no tracked "
                f"open ({plural(responses - opens, 'more response')} than opens): Responses are not a subset of "
                f"Opens."]
    return []


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
    counts = _counts(values)
    reach, responses = counts["reach_outs"], counts["responses"]
    # four stages: per-stage text, no rows of data
    xs = [counts[m] or 0 for m in FUNNEL_STAGES]
    texts = [UNKNOWN_TEXT if counts[m] is None else f"{fmt_count(counts[m])} · {fmt_rate(share(counts[m], reach))}"
             for m in FUNNEL_STAGES]
    hovers = [_hover(m, counts[m], reach, responses) for m in FUNNEL_STAGES]
    with batch(fig):
        # text inside a bar when it fits (white), else beside it; a 0-width bar's text shows only outside
        fig.data[0].update(x=xs, text=texts, textposition=["auto" if x else "outside" for x in xs], hovertext=hovers)
        fig.layout.xaxis.range = [0, count_axis_top(max(xs), 1.25)]  # room for a label beside the longest bar
        set_note(fig, stage_notes(values), below_px=52, bottom=50)
        if title is not None:
            fig.layout.title.text = escape_label(title)


def _hover(metric: str, n: int | None, reach: int, responses: int | None) -> str:
    label = METRIC_LABELS[metric]
    if n is None:
        return f"<b>{label}</b><br>{UNKNOWN_TEXT}: the export has no information on this"
    hover = f"<b>{label}</b><br>{fmt_count(n)} · {fmt_rate(share(n, reach))} of reach outs"
    if metric == "interested":
        hover += f"<br>{fmt_rate(share(n, responses))} of responses (Interested is a subset of Responses)"
    if metric == "responses":
        hover += "<br>a reply needs no tracked open: not a subset of Opens"
    return hover
