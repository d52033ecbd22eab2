"""Reach outs by state: one bar per state, or stacked per campaign (or another key)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import (
    CATEGORY_ROWS,
    base_layout,
    batch,
    count_axis_top,
    figure_meta,
    require_columns,
    set_note,
    stats_rows,
)
from talentstats.present.charts.style import (
    STATE_COLORS,
    TICK_LABEL_MAX,
    display_label,
    escape_label,
    raw_label,
    share,
)
from talentstats.present.formats import (
    KEY_LABELS,
    STATE_LABELS,
    as_count,
    fmt_count,
    fmt_rate,
)
from talentstats.stats.states import STATES


def _state_totals(by_state: pd.DataFrame) -> dict[int, int]:
    """State code -> reach outs, every state present (0 when it has no row)."""
    require_columns(by_state, ["state", "reach_outs"], "state breakdown")
    counts = dict.fromkeys(STATES, 0)
    for row in stats_rows(by_state):
        code = int(row["state"])
        if code not in counts:
            raise ValueError(f"unknown state code {code}")
        counts[code] += as_count(row["reach_outs"]) or 0
    return counts


def _split_key(by_key_state: pd.DataFrame) -> str:
    """The one group column besides 'state' of a by=[key, "state"] frame."""
    keys = [c for c in by_key_state.columns if c in KEY_LABELS and c != "state"]
    if len(keys) != 1 or "state" not in by_key_state.columns:
        raise ValueError(f"expected stats by=[<key>, 'state'], got columns {list(by_key_state.columns)}")
    return keys[0]


def build_state_breakdown(
    by_state: pd.DataFrame, by_campaign_state: pd.DataFrame | None = None, *, title: str | None = None
) -> go.Figure:
    """Reach outs per state (all ten, fixed order and colours); split into campaigns when given by=[campaign, state].

    The state In Progress is labelled "In progress (state)" in its own colour (:data:`STATE_LABELS`): the In
    Progress statistic counts more reach outs (Completed, Paused, ... too) and must not be mistaken for it.

    Always ten traces (one per state). Without ``by_campaign_state`` each trace is one bar on its state's row;
    with it, campaigns are the rows and the traces stack. The mode is fixed at build time.

    Args:
        by_state: statistics by ``state``.
        by_campaign_state: statistics by ``[campaign, state]`` (or another key and state), to split the bars.
        title: the chart title (default: "Reach outs by state", naming the split).

    Returns:
        The figure.

    Raises:
        ValueError: a frame without the columns needed, or an unknown state code.
    """
    split = by_campaign_state is not None
    if title is None:
        title = "Reach outs by state"
        if split:
            title += f" and {KEY_LABELS[_split_key(by_campaign_state)].lower()}"
    traces = [
        go.Bar(
            name=escape_label(label),
            orientation="h",
            marker={"color": STATE_COLORS[code], "line": {"width": 0}},
            textposition="inside" if split else "outside",
            insidetextanchor="middle",
            textangle=0,
            textfont={"size": 12},
            hoverinfo="text",
            cliponaxis=False,
        )
        for code, label in STATE_LABELS.items()
    ]
    layout = base_layout(
        "state_breakdown",
        title,
        height=420,
        meta={"split": split},
        barmode="stack" if split else "overlay",
        bargap=0.3,
        showlegend=split,
        legend={"orientation": "v", "yanchor": "top", "y": 1.0, "traceorder": "normal", "title": {"text": "State"}},
        uniformtext={"minsize": 10, "mode": "hide"},
        xaxis={"title": {"text": "Reach outs"}, "tickformat": ",d", "rangemode": "tozero"},
        yaxis=CATEGORY_ROWS,
    )
    fig = go.Figure(data=traces, layout=layout)
    update_state_breakdown(fig, by_state, by_campaign_state)
    return fig


def update_state_breakdown(
    fig: go.Figure,
    by_state: pd.DataFrame,
    by_campaign_state: pd.DataFrame | None = None,
    *,
    title: str | None = None,
) -> None:
    """Refresh a :func:`build_state_breakdown` figure in place.

    Args:
        fig: a figure made by :func:`build_state_breakdown`.
        by_state: statistics by ``state``.
        by_campaign_state: statistics by ``[key, state]``; given if and only if the figure was built split.
        title: a new title (None keeps it).

    Raises:
        ValueError: another figure, a split that does not match the figure's, or unusable statistics.
    """
    split = bool(figure_meta(fig, "state_breakdown")["split"])
    if split != (by_campaign_state is not None):
        raise ValueError("this figure was built " + ("with" if split else "without") + " by_campaign_state")
    totals = _state_totals(by_state)
    grand = sum(totals.values())
    notes = [] if grand else ["No reach outs in this period."]
    with batch(fig):
        if by_campaign_state is None:
            _update_states_single(fig, totals, grand)
        else:
            _update_states_split(fig, by_campaign_state, grand)
        set_note(fig, notes, below_px=48, bottom=20)
        if title is not None:
            fig.layout.title.text = escape_label(title)


def _update_states_single(fig: go.Figure, totals: dict[int, int], grand: int) -> None:
    labels = [escape_label(label) for label in STATE_LABELS.values()]
    for trace, (code, label) in zip(fig.data, zip(STATES, labels, strict=True), strict=True):
        n = totals[code]
        of_all = fmt_rate(share(n, grand))
        trace.update(
            x=[n],
            y=[label],
            text=[f"{fmt_count(n)} · {of_all}"],
            hovertext=[f"<b>{label}</b><br>{fmt_count(n)} reach outs · {of_all} of all reach outs"],
        )
    top = max(totals.values())
    fig.layout.xaxis.range = [0, count_axis_top(top, 1.22)]  # room for the outside text
    fig.layout.yaxis.update(categoryarray=labels, tickvals=labels, ticktext=labels)
    fig.layout.height = 420


def _update_states_split(fig: go.Figure, by_key_state: pd.DataFrame, grand: int) -> None:
    key = _split_key(by_key_state)
    require_columns(by_key_state, ["reach_outs"], "state breakdown")
    cells: dict[tuple[str, int], int] = {}
    row_totals: dict[str, int] = {}
    full_names: dict[str, str] = {}
    for row in stats_rows(by_key_state):
        raw = raw_label(row[key])
        name = escape_label(raw)
        code = int(row["state"])
        if code not in STATES:
            raise ValueError(f"unknown state code {code}")
        n = as_count(row["reach_outs"]) or 0
        cells[(name, code)] = cells.get((name, code), 0) + n
        row_totals[name] = row_totals.get(name, 0) + n
        full_names[name] = raw
    names = sorted(row_totals, key=lambda name: (-row_totals[name], full_names[name]))
    what = KEY_LABELS[key].lower()
    for trace, (code, state) in zip(fig.data, STATE_LABELS.items(), strict=True):
        xs = [cells.get((name, code), 0) for name in names]
        trace.update(
            y=names,
            x=xs,
            text=[fmt_count(n) if n else "" for n in xs],
            hovertext=[
                f"<b>{name}</b><br>{escape_label(state)}: {fmt_count(n)} reach outs"
                f"<br>{fmt_rate(share(n, row_totals[name]))} of this {what}'s reach outs"
                f" · {fmt_rate(share(n, grand))} of all"
                for name, n in zip(names, xs, strict=True)
            ],
        )
    fig.layout.xaxis.range = None
    ticks = [display_label(full_names[name], TICK_LABEL_MAX) for name in names]
    fig.layout.yaxis.update(categoryarray=names, tickvals=names, ticktext=ticks)
    fig.layout.height = max(360, 150 + 34 * len(names))
