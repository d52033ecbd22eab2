"""Campaigns (or senders, ...) side by side: grouped bars of Reach Outs, Opens, Responses, Interested."""

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
    COMPARISON_METRICS,
    METRIC_COLORS,
    TICK_LABEL_MAX,
    display_label,
    escape_label,
    plural,
    raw_label,
    share,
)
from talentstats.present.formats import (
    KEY_LABELS,
    METRIC_LABELS,
    UNKNOWN_TEXT,
    as_count,
    fmt_count,
    fmt_rate,
    is_na,
)


def build_comparison(stats: pd.DataFrame, key: str = "campaign", *, title: str | None = None) -> go.Figure:
    """Grouped horizontal bars of Reach Outs, Opens, Responses and Interested per campaign (or ``key``).

    Rows are sorted by reach outs, largest on top. Unknown opens are left out (no bar) and named in a note.
    Always four traces.

    Args:
        stats: statistics by ``key`` (one row per value).
        key: the group column: any key but ``state``.
        title: the chart title (default: "<Key> comparison", following the key).

    Returns:
        The figure.

    Raises:
        ValueError: an unknown key, or statistics without one row per value of it.
    """
    _check_comparison_key(key)
    traces = [
        go.Bar(
            name=METRIC_LABELS[metric],
            orientation="h",
            marker={"color": METRIC_COLORS[metric], "line": {"width": 0}},
            textposition="outside",
            textangle=0,
            textfont={"size": 11},
            hoverinfo="text",
            cliponaxis=False,
        )
        for metric in COMPARISON_METRICS
    ]
    layout = base_layout(
        "comparison",
        title or _comparison_title(key),
        height=400,
        meta={"key": key, "auto_title": title is None},
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
        xaxis={"title": {"text": "Count"}, "tickformat": ",d", "rangemode": "tozero"},
        yaxis=CATEGORY_ROWS,
    )
    fig = go.Figure(data=traces, layout=layout)
    update_comparison(fig, stats)
    return fig


def _check_comparison_key(key: str) -> None:
    if key not in KEY_LABELS or key == "state":
        raise ValueError(f"key must be one of {[k for k in KEY_LABELS if k != 'state']}, got {key!r}")


def _comparison_title(key: str) -> str:
    return f"{KEY_LABELS[key]} comparison"


def update_comparison(fig: go.Figure, stats: pd.DataFrame, *, key: str | None = None, title: str | None = None) -> None:
    """Refresh a :func:`build_comparison` figure in place.

    Args:
        fig: a figure made by :func:`build_comparison`.
        stats: statistics by the figure's key (or by ``key``).
        key: switch the grouping column (e.g. campaign -> sender); by default it stays as built. A default title
            follows the key.
        title: a new title (None keeps it, or follows the key).

    Raises:
        ValueError: another figure, an unknown key, or statistics without one row per value of the key.
    """
    meta = figure_meta(fig, "comparison")
    if key is None:
        key = str(meta["key"])
    _check_comparison_key(key)
    require_columns(stats, [key, *COMPARISON_METRICS], "comparison")
    if key != meta["key"]:
        with batch(fig):
            fig.layout.meta = {**meta, "key": key}
            if title is None and meta.get("auto_title"):
                title = _comparison_title(key)
    rows = stats_rows(stats)
    for row in rows:
        row["_label"] = escape_label(raw_label(row[key]))
    labels = [row["_label"] for row in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"expected one row per {key} (stats by=[{key!r}])")
    rows.sort(key=lambda row: (-(as_count(row["reach_outs"]) or 0), raw_label(row[key])))
    names = [row["_label"] for row in rows]
    grand = sum(as_count(row["reach_outs"]) or 0 for row in rows)
    what = KEY_LABELS[key].lower()

    with batch(fig):
        top = 0
        for trace, metric in zip(fig.data, COMPARISON_METRICS, strict=True):
            xs = [as_count(row[metric]) for row in rows]
            top = max([top, *(x for x in xs if x is not None)])
            hovers = []
            for row, n in zip(rows, xs, strict=True):
                reach = as_count(row["reach_outs"])
                head = f"<b>{row['_label']}</b><br>{METRIC_LABELS[metric]}: "
                if n is None:
                    hovers.append(head + UNKNOWN_TEXT)
                elif metric == "reach_outs":
                    hovers.append(head + f"{fmt_count(n)} · {fmt_rate(share(n, grand))} of all reach outs")
                else:
                    hover = head + f"{fmt_count(n)} · {fmt_rate(share(n, reach))} of reach outs"
                    if metric == "interested":
                        hover += f" · {fmt_rate(share(n, as_count(row['responses'])))} of responses"
                    hovers.append(hover)
            trace.update(y=names, x=xs, text=[fmt_count(x) if x is not None else "" for x in xs], hovertext=hovers)
        fig.layout.xaxis.range = [0, count_axis_top(top, 1.15)]  # room for the outside text
        ticks = [display_label(row[key], TICK_LABEL_MAX) for row in rows]
        fig.layout.yaxis.update(categoryarray=names, tickvals=names, ticktext=ticks)
        fig.layout.height = max(320, 150 + 78 * len(names))

        notes: list[str] = []
        if not rows:
            notes.append("No reach outs in this period.")
        unknown = [row for row in rows if is_na(row["opens"])]
        if unknown and len(unknown) == len(rows):
            notes.append("Opens not shown: the export has no open information.")
        elif unknown:
            shown = ", ".join(display_label(row[key], TICK_LABEL_MAX) for row in unknown[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            notes.append(f"Opens unknown (not 0) for {plural(len(unknown), what)}: {shown}{more}.")
        set_note(fig, notes, below_px=48, bottom=20)
        if title is not None:
            fig.layout.title.text = escape_label(title)
