"""Rates side by side with their 95 % intervals (issue 14): one dot and whisker per campaign (or sender), sorted,
with the number of reach outs each rate rests on printed beside its name, so a rate on 30 reach outs is not read
like one on 3,000. A frame in, a figure out (no update pair)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

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
from talentstats.present.charts.style import BLANK_LABEL, RATE_COLORS, TICK_LABEL_MAX, escape_label
from talentstats.present.formats import METRIC_LABELS, fmt_count, fmt_rate
from talentstats.stats.intervals import RATE_PARTS, wilson

#: the rates a rate chart shows by default, one panel each
RATE_CHART_METRICS: Final[tuple[str, ...]] = ("response_rate", "open_rate")
#: height of one row (one group) of a panel, and what a panel needs beside its rows (title, axis)
ROW_PX: Final = 46
PANEL_PX: Final = 70


def _labels(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Escaped display labels of group keys (blank -> ``(none)``), vectorised: shortened (ticks) and in full."""
    text = values.astype("string").fillna("").str.strip()
    text = text.where(text != "", BLANK_LABEL)
    short = text.where(text.str.len() <= TICK_LABEL_MAX, text.str.slice(0, TICK_LABEL_MAX - 1).str.rstrip() + "…")
    return short.map(escape_label), text.map(escape_label)


def rate_frame(stats: pd.DataFrame, key: str, rate: str) -> pd.DataFrame:
    """One rate of a statistics frame with its Wilson interval (from the counts, :func:`wilson`): columns
    ``key, label, name, x, n, rate, low, high``, highest rate first (unknown rates last, ties by key)."""
    num, den = RATE_PARTS[rate]
    x = stats[num].to_numpy(dtype="float64", na_value=np.nan)
    n = stats[den].to_numpy(dtype="float64", na_value=np.nan)
    low, high = wilson(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, x / np.where(n > 0, n, 1.0), np.nan)
    label, name = _labels(stats[key])
    out = pd.DataFrame({"key": stats[key].astype("string").to_numpy(), "label": label.to_numpy(),
                        "name": name.to_numpy(), "x": x, "n": n, "rate": value, "low": low, "high": high})
    return out.sort_values(["rate", "key"], ascending=[False, True], na_position="last",
                           kind="stable").reset_index(drop=True)


def rate_chart(stats: pd.DataFrame, key: str | None = None, rates: Sequence[str] = RATE_CHART_METRICS, *,
               title: str | None = None, limit: int | None = None) -> go.Figure:
    """Dot and whisker of each group's rate with its 95 % Wilson interval, one panel per rate (stacked), groups
    sorted by that rate (highest on top), ``n = <denominator>`` beside each name, a dashed line at the rate of
    all groups together. A group whose rate is unknown (no denominator, opens unknown) gets no dot and is named
    in a note.

    Args:
        stats: statistics by ``key`` (``campaign_stats(..., by=key)``): the key and each rate's counts.
        key: the group column (campaign, sender, ...); default the frame's first column.
        rates: the rates shown, one panel each (keys of :data:`~talentstats.stats.intervals.RATE_PARTS`).
        title: the chart title (default none: a report section names it).
        limit: show only this many groups, those with the largest denominators (a note says so; the dashed
            line and "all" are still every group's).

    Returns:
        The figure: per panel a dot-and-whisker trace, the rate at the whisker's end and the names (with n)
        above the whiskers (so that long names leave the whiskers their width on a phone).
    """
    rates = list(rates)
    key = str(stats.columns[0]) if key is None else key
    unknown_rates = [r for r in rates if r not in RATE_PARTS]
    if unknown_rates or not rates:
        raise ValueError(f"rates must be some of {list(RATE_PARTS)}, got {rates}")
    require_columns(stats, [key, *{c for r in rates for c in RATE_PARTS[r]}], "rate_chart")
    frames = [rate_frame(stats, key, r) for r in rates]  # (one frame per panel: two by default)
    titles = [_panel_title(r, f) for r, f in zip(rates, frames, strict=True)]
    overall = [_overall(f) for f in frames]
    notes = []
    if limit is not None and len(stats) > limit:
        den = RATE_PARTS[rates[0]][1]
        keep = set(stats.nlargest(limit, den, keep="first")[key].astype("string"))
        frames = [f[f["key"].isin(keep)].reset_index(drop=True) for f in frames]
        notes.append(f"The {limit} largest of {len(stats):,} groups by {den.replace('_', ' ')}; "
                     "the dashed line and 'all' are every group.")
    rows = max(len(frames[0]), 1)
    # (built as plain dicts and validated once by go.Figure: plotly's per-axis updates of a subplot figure
    # re-validate its whole layout each time)
    layout = layout_spec("rates", title or "", height=len(rates) * (PANEL_PX + ROW_PX * rows) + 20,
                         meta={"key": key, "rates": rates}, showlegend=False, shapes=[],
                         **subplot_grid(len(rates)))
    layout["margin"] = {"l": 10, "r": 20, "t": 34 if title else 24, "b": 30}
    data: list[dict[str, Any]] = []
    for i, (rate, frame) in enumerate(zip(rates, frames, strict=True), start=1):  # (one panel per rate)
        _panel(data, layout, i, rate, frame, overall[i - 1])
        missing = frame.loc[frame["rate"].isna(), "label"]
        if len(missing):
            notes.append(f"{METRIC_LABELS[rate]} unknown for {', '.join(missing.head(3))}"
                         f"{f' and {len(missing) - 3} more' if len(missing) > 3 else ''}.")
    set_note_spec(layout, notes, below_px=36, bottom=30)
    _space_panels(layout, titles, rows)
    if not layout["shapes"]:
        del layout["shapes"]
    return go.Figure(data=data, layout=layout)


def _overall(frame: pd.DataFrame) -> float:
    """The rate of all groups together (those whose rate is known)."""
    known = frame["rate"].notna()
    n = frame.loc[known, "n"].sum()
    return frame.loc[known, "x"].sum() / n if n else np.nan


def _panel_title(rate: str, frame: pd.DataFrame) -> str:
    n = frame.loc[frame["rate"].notna(), "n"].sum()
    overall = _overall(frame)
    return (f"<b>{METRIC_LABELS[rate]}</b>  <span style='font-size:12px;color:#52606d'>all: {fmt_rate(overall)}"
            f" of {fmt_count(n)} (dashed)</span>")


def _panel(data: list[dict[str, Any]], layout: dict[str, Any], row: int, rate: str, frame: pd.DataFrame,
           overall: float) -> None:
    """One rate's dots, whiskers, value texts and the line of all groups together (traces into ``data``, the
    panel's axes and line into ``layout``)."""
    colour = RATE_COLORS.get(rate, "#3B6FB6")
    what = RATE_PARTS[rate][1].replace("_", " ")
    names = frame["label"] + "  <span style='color:#5f6b7a'>n = " + frame["n"].map(fmt_count) + "</span>"
    rate_text = frame["rate"].map(fmt_rate)
    low_text, high_text = frame["low"].map(fmt_rate), frame["high"].map(fmt_rate)
    hover = ("<b>" + frame["name"] + "</b><br>" + METRIC_LABELS[rate] + ": " + rate_text + " (95 % interval "
             + low_text + " – " + high_text + ")<br>" + frame["x"].map(fmt_count) + " of "
             + frame["n"].map(fmt_count) + " " + what)
    y = np.arange(len(frame), dtype="float64")  # (top to bottom; the names sit half a row above their whisker)
    xref, yref = axis_names(row)
    axes = {"type": "scatter", "xaxis": xref, "yaxis": yref}
    data.append(dict(
        axes, x=frame["rate"], y=y, mode="markers", name=METRIC_LABELS[rate], hovertext=hover, hoverinfo="text",
        marker={"color": colour, "size": 9, "line": {"width": 1, "color": "white"}},
        error_x={"type": "data", "symmetric": False, "array": frame["high"] - frame["rate"],
                 "arrayminus": frame["rate"] - frame["low"], "color": colour, "thickness": 2, "width": 5},
    ))
    data.append(dict(axes, x=frame["high"].fillna(0.0), y=y, mode="text", text=" " + rate_text,
                     textposition="middle right", textfont={"size": 11.5, "color": "#3e4c59"}, hoverinfo="skip",
                     cliponaxis=False, name=f"{METRIC_LABELS[rate]} value"))
    data.append(dict(axes, x=np.zeros(len(frame)), y=y - 0.46, mode="text", text=names, textposition="middle right",
                     textfont={"size": 12.5}, hoverinfo="skip", cliponaxis=False,
                     name=f"{METRIC_LABELS[rate]} names"))
    if pd.notna(overall):  # (what fig.add_vline(row=row, col=1) adds)
        layout["shapes"].append({"type": "line", "x0": overall, "x1": overall, "xref": xref, "y0": 0, "y1": 1,
                                 "yref": f"{yref} domain",
                                 "line": {"dash": "dash", "color": "#9aa5b1", "width": 1}})
    top = pd.Series([frame["high"].max(), overall], dtype="float64").max()  # (the line of all groups on the axis)
    layout[f"xaxis{xref[1:]}"].update(range=[0, rate_axis_top(float(top) * 1.12 if pd.notna(top) else 0.0)],
                                      tickformat=".0%", zeroline=False)
    layout[f"yaxis{yref[1:]}"].update(showticklabels=False, showgrid=False, zeroline=False,
                                      range=[len(frame) - 0.6, -0.85])


def _space_panels(layout: dict[str, Any], titles: list[str], rows: int) -> None:
    """Each panel's share of the height (its rows, plus room for the axis of the one above and its own title),
    and its title above it."""
    panels = len(titles)
    gap = PANEL_PX / (panels * (PANEL_PX + ROW_PX * rows))
    height = (1.0 - gap * panels) / panels
    for i, text in enumerate(titles):  # (one domain per panel)
        top = 1.0 - gap * 0.45 - i * (height + gap)
        layout[f"yaxis{'' if i == 0 else i + 1}"]["domain"] = [max(top - height, 0.0), top]
        layout["annotations"].append({"text": text, "xref": "paper", "yref": "paper", "x": 0, "y": top,
                                      "xanchor": "left", "yanchor": "bottom", "showarrow": False, "yshift": 4,
                                      "font": {"size": 13.5}, "name": "panel title"})


__all__ = ["RATE_CHART_METRICS", "rate_chart", "rate_frame"]
