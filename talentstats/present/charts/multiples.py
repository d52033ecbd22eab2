"""Small multiples: one small weekly response-rate trend per campaign, all on the same scale.

One panel per campaign (the ``top`` largest by reach outs in the window, largest first, then by name), stacked in
one column so that each panel keeps the page's full width on a phone. Every panel shares one y axis range (0 to a
round number above the highest rate), shows the campaign's weekly response rate with its 95 % Wilson interval as a
light band (clipped at the top of the scale), and all campaigns together as a dashed grey line for reference.
Weeks still filling in have open markers. The campaigns left out are named in the note with their reach outs.
Scatter traces only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import (
    axis_names,
    layout_spec,
    rate_axis_top,
    require_columns,
    set_note_spec,
    subplot_grid,
)
from talentstats.present.charts.style import RATE_COLORS, TICK_LABEL_MAX, display_label, plural, raw_label
from talentstats.present.formats import fmt_count, fmt_rate
from talentstats.stats.intervals import wilson

#: campaigns shown as panels unless told otherwise
TOP_CAMPAIGNS = 6
#: height of one panel in pixels (the figure adds its margins)
PANEL_PX = 118
#: campaigns named one by one in the note before "and N more"
NAMED_MAX = 5
_COLOUR = RATE_COLORS["response_rate"]


def _grid(by_week: pd.DataFrame, window: list[str], key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reach outs and responses as key x week matrices over the window (0 where a group has no row)."""
    frame = by_week[by_week["week"].astype(str).isin(window)]
    counts = frame.assign(week=frame["week"].astype(str), **{key: frame[key].map(raw_label)})
    reach = counts.pivot_table(index=key, columns="week", values="reach_outs", aggfunc="sum", fill_value=0)
    resp = counts.pivot_table(index=key, columns="week", values="responses", aggfunc="sum", fill_value=0)
    return (reach.reindex(columns=window, fill_value=0).astype("int64"),
            resp.reindex(index=reach.index, columns=window, fill_value=0).astype("int64"))


def _band(xs: Sequence[str], low: np.ndarray, high: np.ndarray) -> tuple[list, list]:
    """A closed outline of the interval for each run of weeks with a rate (runs separated by None: plotly's
    ``fill="toself"`` closes each run into its own shape)."""
    ok = np.isfinite(low)
    bx: list = []
    by: list = []
    runs = np.split(np.arange(len(xs)), np.flatnonzero(np.diff(ok.astype(int))) + 1)
    for run in (r for r in runs if len(r) and ok[r[0]]):  # (a few runs of at most `weeks` weeks)
        bx += [xs[i] for i in run] + [xs[i] for i in run[::-1]] + [None]
        by += list(high[run]) + list(low[run[::-1]]) + [None]
    return bx, by


def campaign_trends(by_week: pd.DataFrame, window: Sequence[str], *, key: str = "campaign", top: int = TOP_CAMPAIGNS,
                    filling_in: Sequence[int] = ()) -> go.Figure:
    """One small response-rate trend per campaign (or sender), the ``top`` largest, on one shared scale.

    Args:
        by_week: statistics by ``[key, "week"]`` (``reach_outs`` and ``responses`` are read; weeks as Monday dates).
        window: the weeks shown, oldest first, as Monday dates ``YYYY-MM-DD``.
        key: the group column.
        top: how many groups get a panel (the largest by reach outs over the window, ties by name).
        filling_in: indexes into ``window`` of the weeks still filling in (open markers).

    Returns:
        The figure (a note names the groups left out, or says there is nothing to show).

    Raises:
        ValueError: a frame without the columns needed, or ``top`` below 1.
    """
    if top < 1:
        raise ValueError("top must be at least 1")
    require_columns(by_week, [key, "week", "reach_outs", "responses"], "campaign trends")
    window = [str(w) for w in window]
    reach, resp = _grid(by_week, window, key)
    sizes = reach.sum(axis=1)
    order = sorted(sizes.index, key=lambda name: (-int(sizes[name]), name))  # (one entry per group: a sort key)
    order = [name for name in order if sizes[name] > 0]
    shown, rest = order[:top], order[top:]
    rows = max(1, len(shown))
    # (built as plain dicts and validated once by go.Figure: plotly's updates of a figure with many subplot axes
    # re-validate its whole layout each time)
    grid = subplot_grid(rows, shared_xaxes=True, vertical_spacing=min(0.3 / rows, 0.12),
                        subplot_titles=[_panel_title(name, int(sizes[name])) for name in shown] or [""])
    titles = [{**a, "x": 0, "xanchor": "left", "font": {"size": 13}} for a in grid.pop("annotations", [])]
    layout = layout_spec("campaign_trends", "Response rate by campaign, week by week", height=110 + PANEL_PX * rows,
                         showlegend=False, hovermode="closest", meta={"groups": shown, "left_out": rest}, **grid)
    layout["annotations"] = [layout["annotations"][0], *titles]  # the note first (set_note), then the titles
    all_reach, all_resp = reach.sum(axis=0).to_numpy(), resp.sum(axis=0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = np.where(all_reach > 0, all_resp / np.where(all_reach > 0, all_reach, 1), np.nan)
    names = [f"{pd.Timestamp(w):%b} {pd.Timestamp(w).day}" for w in window]
    symbols = ["circle-open" if i in set(filling_in) else "circle" for i in range(len(window))]
    top_rate = 0.0
    data: list[dict[str, Any]] = []
    for row, name in enumerate(shown, start=1):  # (at most `top` panels)
        n, x = reach.loc[name].to_numpy(), resp.loc[name].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
        low, high = wilson(x, np.where(n > 0, n, 0))
        top_rate = max(top_rate, float(np.nanmax(np.append(rate, overall), initial=0.0)))
        bx, by = _band(window, np.asarray(low), np.asarray(high))
        label = display_label(name)
        xref, yref = axis_names(row)
        axes = {"type": "scatter", "xaxis": xref, "yaxis": yref}
        data.append(dict(axes, x=bx, y=by, fill="toself", mode="none", fillcolor="rgba(224,123,36,0.16)",
                         hoverinfo="skip", name=f"{label}: 95 % interval"))
        data.append(dict(axes, x=window, y=overall, mode="lines",
                         line={"color": "#9aa5b1", "width": 1.5, "dash": "dash"}, hoverinfo="skip",
                         name="All campaigns"))
        data.append(dict(
            axes, x=window, y=np.where(np.isfinite(rate), rate, None), mode="lines+markers", connectgaps=False,
            line={"color": _COLOUR, "width": 2}, marker={"size": 6, "symbol": symbols, "color": _COLOUR},
            name=label, hoverinfo="text",
            hovertext=[f"<b>{label}</b><br>Week of {w}: {fmt_rate(r)} ({fmt_count(k)} of {fmt_count(m)})"
                       + ("<br><i>still filling in</i>" if s == "circle-open" else "")
                       for w, r, k, m, s in zip(names, rate, x, n, symbols, strict=True)]))
    for axis in [k for k in layout if k.startswith("yaxis")]:
        layout[axis].update(range=[0, rate_axis_top(top_rate)], tickformat=".0%", nticks=3, fixedrange=True)
    # every other week labelled, the newest included: six labels fit a phone's width
    for axis in [k for k in layout if k.startswith("xaxis")]:
        layout[axis].update(type="category", tickmode="array", tickvals=window[::-2], ticktext=names[::-2],
                            fixedrange=True, categoryorder="array", categoryarray=window)
    set_note_spec(layout, _notes(rest, sizes, shown, key), below_px=44, bottom=40)
    layout["height"] += layout["margin"]["b"] - 40  # (a long note makes the figure taller, not the panels flatter)
    return go.Figure(data=data, layout=layout)


def _panel_title(name: str, n: int) -> str:
    return f"<b>{display_label(name, TICK_LABEL_MAX + 16)}</b> · {plural(n, 'reach out')}"


def _notes(rest: list[str], sizes: pd.Series, shown: list[str], key: str) -> list[str]:
    """Names the groups left out (largest first, with their reach outs), or says there is nothing to show."""
    if not shown:
        return ["No reach outs in these weeks."]
    notes = ["Dashed: all campaigns together; band: 95 % interval; open circle: week still filling in."]
    if rest:
        named = ", ".join(f"{display_label(name, 32)} ({fmt_count(sizes[name])})" for name in rest[:NAMED_MAX])
        more = f" and {len(rest) - NAMED_MAX} more" if len(rest) > NAMED_MAX else ""
        notes.append(f"Not shown ({plural(len(rest), 'smaller ' + key)}, reach outs in these weeks): {named}{more}.")
    return notes


__all__ = ["NAMED_MAX", "TOP_CAMPAIGNS", "campaign_trends"]
