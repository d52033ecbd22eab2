"""The dashboard's per-campaign / per-sender chart by rate (issue 14 point 5): one dot per group at its rate, a
whisker for its 95 % Wilson interval, sorted by rate, the number of reach outs (the denominator) printed beside
the name, and a dashed line at the rate of the whole selection. Not grouped bars of counts, where Reach Outs
(183) dwarf Interested (3).

The rows (rates, Wilson intervals, labels, order) are :func:`talentstats.present.charts.rates.rate_frame`'s, as
the report's ``rate_chart`` draws them; the figure is the dashboard's own, one trace rewritten in place on every
update (:func:`build_rate_dots`, :func:`update_rate_dots`): ``rate_chart`` builds a new subplot figure, about
0.3 s a call on the sample, three times a whole dashboard update.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts import RATE_COLORS, escape_label
from talentstats.present.charts.figure import base_layout, batch, set_note
from talentstats.present.charts.rates import rate_frame
from talentstats.present.formats import KEY_LABELS, METRIC_LABELS, fmt_count, fmt_rate
from talentstats.stats.intervals import RATE_PARTS

__all__ = ["RATE_CHOICES", "build_rate_dots", "rate_rows", "update_rate_dots"]

#: the rates the chart (and the A/B comparison) can show, the first by default
RATE_CHOICES: tuple[str, ...] = ("response_rate", "open_rate", "interested_rate", "interested_of_responses",
                                 "bounce_rate")
_COLOR = {**RATE_COLORS, "bounce_rate": "#C9302C"}
_DENOMINATOR = {"reach_outs": "reach outs", "responses": "responses"}


def rate_rows(stats: pd.DataFrame, key: str, metric: str) -> pd.DataFrame:
    """One row per group with a defined rate, highest rate first: :func:`~talentstats.present.charts.rates.rate_frame`
    (key as text, label shortened and escaped, name escaped in full, x, n, rate, low, high) without unknown rates.

    Args:
        stats: statistics by ``key`` (campaign_stats' columns).
        key: campaign or sender.
        metric: one of :data:`RATE_CHOICES`.

    Returns:
        The rows, sorted by rate (descending) then key.
    """
    out = rate_frame(stats, key, metric)
    return out[np.isfinite(out["rate"].to_numpy(dtype="float64", na_value=np.nan))].reset_index(drop=True)


def build_rate_dots(key: str = "campaign", metric: str = "response_rate") -> go.Figure:
    """An empty dot-and-whisker figure of ``metric`` by ``key`` (fill it with :func:`update_rate_dots`)."""
    trace = go.Scatter(mode="markers+text", marker={"size": 10, "color": _COLOR[metric]},
                       error_x={"type": "data", "symmetric": False, "thickness": 2, "width": 5,
                                "color": _COLOR[metric]},
                       textposition="top center", textfont={"size": 11}, cliponaxis=False, x=[], y=[],
                       hovertemplate="<b>%{y}</b><br>%{customdata[0]:,} of %{customdata[1]:,}: %{x:.1%}<br>"
                                     "95% interval %{customdata[2]:.1%} – %{customdata[3]:.1%}<extra></extra>")
    layout = base_layout("rate_dots", _title(key, metric), height=300, meta={"key": key, "metric": metric},
                         showlegend=False,
                         xaxis={"tickformat": ".0%", "rangemode": "tozero", "zeroline": True, "nticks": 5,
                                "tickangle": 0},
                         yaxis={"type": "category", "autorange": "reversed", "automargin": True})
    return go.Figure(data=[trace], layout=layout)


def _title(key: str, metric: str) -> str:
    return f"{METRIC_LABELS[metric]} by {KEY_LABELS[key].lower()}"


def update_rate_dots(fig: Any, stats: pd.DataFrame, total: dict[str, Any], key: str, metric: str) -> pd.DataFrame:
    """Rewrite a :func:`build_rate_dots` figure in place for statistics by ``key``.

    Args:
        fig: the figure (or FigureWidget).
        stats: statistics by ``key`` of the range and selection.
        total: the total statistics of the same (its rate is drawn as a dashed line).
        key: campaign or sender.
        metric: one of :data:`RATE_CHOICES`.

    Returns:
        The rows drawn (:func:`rate_rows`).
    """
    rows = rate_rows(stats, key, metric)
    den = _DENOMINATOR[RATE_PARTS[metric][1]]
    n = rows["n"].map(fmt_count).astype("str")
    # (n under the name, not beside it: on a phone the names and their n took most of the chart's width)
    ticks = rows["label"] + "<br><span style='color:#5f6b7a;font-size:11px'>n = " + n + "</span>"
    color = _COLOR[metric]
    with batch(fig):
        fig.layout.meta = {**fig.layout.meta, "key": key, "metric": metric}
        fig.layout.title.text = escape_label(_title(key, metric))
        fig.layout.xaxis.title.text = ""  # (the title names the rate, the note the whiskers: a phone's width)
        fig.data[0].update(x=rows["rate"].to_numpy(), y=rows["name"].to_numpy(),
                           text=rows["rate"].map(fmt_rate).to_numpy(),
                           customdata=rows[["x", "n", "low", "high"]].to_numpy(),
                           error_x={"array": (rows["high"] - rows["rate"]).to_numpy(),
                                    "arrayminus": (rows["rate"] - rows["low"]).to_numpy(), "color": color},
                           marker={"color": color})
        fig.layout.yaxis.update(categoryarray=rows["name"].to_numpy(), tickvals=rows["name"].to_numpy(),
                                ticktext=ticks.to_numpy())
        top = float(rows["high"].max()) if len(rows) else 0.1
        top = min(1.0, max(0.05, top * 1.08))
        fig.layout.xaxis.range = [-0.03 * top, top]  # a dot at 0 % clear of the names
        fig.layout.height = max(240, 120 + 40 * len(rows))
        rate = total.get(metric)
        fig.layout.shapes = [] if rate is None else [{
            "type": "line", "x0": rate, "x1": rate, "yref": "paper", "y0": 0, "y1": 1,
            "line": {"color": "#5f6b7a", "width": 1, "dash": "dash"}}]
        notes = [] if len(rows) else [f"No {den} in this range."]
        if rate is not None and len(rows):
            notes.append(f"Dashed line: all selected, {fmt_rate(rate)}. A whisker is the 95 % interval: where two "
                         "overlap a lot, the difference may be chance.")
        set_note(fig, notes, below_px=48, bottom=20)
    return rows
