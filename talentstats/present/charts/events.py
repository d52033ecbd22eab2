"""Charts of when things happen (issue 13): how a cohort's replies arrive with age (the development triangle as a
heatmap), which e-mail of the sequence gets the replies (steps), and the reconciliation of the cohort and activity
views as a small display table that adds up.

Each takes a pandas frame as the library computes it (``talentstats.stats.arrival.triangle``,
``talentstats.stats.steps.step_stats``, ``talentstats.stats.activity.reconcile``) and returns a plotly figure or a
display frame; the look is the shared one of :mod:`~.figure` and :mod:`~.style`.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.figure import base_layout, count_axis_top, require_columns, set_note
from talentstats.present.charts.style import METRIC_COLORS, TEXT_COLOR, escape_label
from talentstats.present.formats import fmt_count, fmt_rate, is_na

TRIANGLE_COLUMNS: Final = ("created_week", "age_weeks", "count", "reach_outs", "cumulative_rate")
STEP_COLUMNS: Final = ("step", "sent", "replies", "reply_rate")
#: metric of a triangle -> (noun of one event, past participle) for labels
_WORDS: Final = {"responses": ("replies", "replied"), "opens": ("opens", "opened")}
#: light to full colour of the heatmap cells (0% -> 100% of the colour bar's range)
_HEAT: Final = {"responses": ["#FFF4EA", "#F6C08F", METRIC_COLORS["responses"], "#8A4210"],
                "opens": ["#EAF6F4", "#9AD3CB", METRIC_COLORS["opens"], "#155049"]}
#: rows of :func:`reconciliation_table` that are sums of the rows above them (0-based)
RECONCILIATION_SUM_ROWS: Final = (3, 6)


def arrival_heatmap(triangle: pd.DataFrame, *, metric: str = "responses", title: str = "") -> go.Figure:
    """How the replies (or opens) of each creation week arrive with age: a heatmap.

    Rows are creation weeks (oldest on top), columns the age in whole weeks at the reply (0 = within 7 days of
    creation), the colour the cumulative rate (replied so far / reach outs of the week) and each cell is
    annotated with its count. Ages a week has not reached yet are blank.

    Args:
        triangle: rows ``created_week`` (``YYYY-Www``), ``age_weeks``, ``count``, ``reach_outs``,
            ``cumulative_rate`` (``talentstats.stats.arrival.triangle`` or ``talentstats triangle`` rows).
        metric: ``responses`` or ``opens`` (labels and colours).
        title: the chart title (none by default: a report's heading names it).

    Returns:
        A figure of one heatmap trace; an empty frame gives an empty chart with a note.

    Raises:
        ValueError: a missing column or an unknown metric.
    """
    require_columns(triangle, TRIANGLE_COLUMNS, "arrival_heatmap")
    if metric not in _WORDS:
        raise ValueError(f"metric must be one of {sorted(_WORDS)}, not {metric!r}")
    noun, done = _WORDS[metric]
    frame = triangle.astype({"age_weeks": "int64"})
    rate = frame.pivot(index="created_week", columns="age_weeks", values="cumulative_rate").sort_index()
    count = frame.pivot(index="created_week", columns="age_weeks", values="count").reindex_like(rate)
    weeks = frame.drop_duplicates("created_week").set_index("created_week")["reach_outs"].reindex(rate.index)
    z = rate.astype("float64").where(count.notna())
    text = count.apply(lambda col: col.map(lambda v: "" if is_na(v) else fmt_count(v)))
    ages = [int(a) for a in rate.columns]
    labels = [escape_label(w) for w in rate.index]
    totals = [fmt_count(n) for n in weeks]
    hover = [[f"<b>{w}</b> ({n} reach outs)<br>{_age_text(a)}: {t or 0} {noun}<br>"
              f"{fmt_rate(r)} {done} by then" if t else "" for a, t, r in zip(ages, trow, zrow, strict=True)]
             for w, n, trow, zrow in zip(labels, totals, text.to_numpy().tolist(), z.to_numpy().tolist(),
                                         strict=True)]
    top = max(0.05, float(z.max().max())) if z.notna().any().any() else 1.0
    trace = go.Heatmap(
        z=z.astype("object").where(z.notna(), None).to_numpy().tolist(), x=ages, y=labels,
        text=text.to_numpy().tolist(), texttemplate="%{text}",
        textfont={"size": 12}, hovertext=hover, hoverinfo="text", zmin=0, zmax=top, xgap=2, ygap=2,
        colorscale=[[i / 3, c] for i, c in enumerate(_HEAT[metric])],
        colorbar={"orientation": "h", "thickness": 10, "len": 0.9, "x": 0.5, "xanchor": "center", "y": -0.04,
                  "yanchor": "top", "tickformat": ".0%", "outlinewidth": 0, "tickfont": {"size": 11},
                  "title": {"text": f"Share {done} so far", "side": "top", "font": {"size": 12}}},
    )
    layout = base_layout(
        "arrival_heatmap", title, height=120 + 30 * max(len(labels), 2), showlegend=False,
        xaxis={"side": "top", "type": "category", "fixedrange": True, "showgrid": False, "zeroline": False,
               "title": {"text": "Weeks after creation", "standoff": 6}},
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "automargin": True,
               "showgrid": False, "zeroline": False, "ticklabelstandoff": 4},
        plot_bgcolor="white", meta={"metric": metric},
    )
    layout.margin.update(t=60, b=70, l=10, r=10)
    fig = go.Figure(data=[trace], layout=layout)
    if not labels:
        set_note(fig, [f"No {noun} to show: no reach outs in these weeks."], below_px=10, bottom=70)
    return fig


def _age_text(age: int) -> str:
    if age == 0:
        return "within a week of creation"
    return f"{age} week{'s' if age != 1 else ''} after creation"


def steps_chart(steps: pd.DataFrame, *, title: str = "") -> go.Figure:
    """Which e-mail of the sequence gets the replies: replies per step (bars), each labelled with its reply rate
    and the reach outs it was sent to.

    Args:
        steps: one row per step with ``step``, ``sent``, ``replies``, ``reply_rate``
            (``talentstats.stats.steps.step_stats`` without keys, or one group's rows of it).
        title: the chart title (none by default).

    Returns:
        A figure of one horizontal bar trace, step 1 on top.

    Raises:
        ValueError: a missing column, or a step given twice (several groups: pass one group's rows).
    """
    require_columns(steps, STEP_COLUMNS, "steps_chart")
    if steps["step"].duplicated().any():
        raise ValueError("steps_chart needs one row per step; pass one group's rows")
    rows = steps.sort_values("step")
    names = [f"Step {int(s)}" for s in rows["step"]]
    replies = [0 if is_na(v) else int(v) for v in rows["replies"]]
    text = [f"{fmt_count(r)} · {fmt_rate(rate)} of {fmt_count(sent)} sent"
            for r, rate, sent in zip(replies, rows["reply_rate"], rows["sent"], strict=True)]
    trace = go.Bar(
        y=names, x=replies, orientation="h", text=text, textposition="outside", cliponaxis=False,
        marker={"color": METRIC_COLORS["responses"]}, textfont={"color": TEXT_COLOR, "size": 13},
        hovertext=[f"<b>{n}</b><br>{t}" for n, t in zip(names, text, strict=True)], hoverinfo="text",
    )
    top = count_axis_top(max(replies, default=0), 2.1)
    layout = base_layout(
        "steps_chart", title, height=90 + 46 * max(len(names), 2), showlegend=False, bargap=0.35,
        xaxis={"range": [0, top], "fixedrange": True, "title": {"text": "Replies"}, "rangemode": "tozero"},
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "automargin": True},
    )
    layout.margin.update(t=10, b=50)
    fig = go.Figure(data=[trace], layout=layout)
    if not names:
        set_note(fig, ["No steps to show: no messages sent to these reach outs."], below_px=40, bottom=50)
    return fig


def reconciliation_table(reconciled: pd.DataFrame, *, period: str = "this week", opens: bool = True
                         ) -> pd.DataFrame:
    """The cohort and activity views reconciled as a display table of two sums (rows
    :data:`RECONCILIATION_SUM_ROWS`): created in the period = arrived in it + arrived after + time unknown;
    arrived in the period = from reach outs created in it + from earlier ones.

    Args:
        reconciled: one row of ``talentstats.stats.activity.reconcile`` (no keys): ``cohort_responses``,
            ``received_in_range``, ``received_after``, ``time_unknown``, ``from_earlier_cohorts``,
            ``activity_responses`` and the same prefixed ``opens_`` (``opens_cohort``, ``opens_activity``).
        period: how the rows name the range (``this week``, ``this period``).
        opens: add the Opens column.

    Returns:
        Columns ``Reach outs``, ``Responses`` (and ``Opens``), numbers formatted.

    Raises:
        ValueError: a missing column, or more than one row.
    """
    parts = ("received_in_range", "received_after", "time_unknown", "cohort", "received_in_range",
             "from_earlier_cohorts", "activity")
    require_columns(reconciled, ["cohort_responses", "activity_responses", *parts[:3], parts[5]],
                    "reconciliation_table")
    if len(reconciled) != 1:
        raise ValueError(f"reconciliation_table needs the total (one row), got {len(reconciled)} rows")
    row = reconciled.iloc[0]
    labels = [f"Created {period}: arrived {period}", "+ arrived after it", "+ arrival time unknown",
              f"= Created {period} (the headline numbers)", f"Arrived {period}: from reach outs created {period}",
              "+ from reach outs created earlier", f"= Arrived {period} (activity)"]
    out = pd.DataFrame({"Reach outs": labels,
                        "Responses": [fmt_count(row[f"{p}_responses" if p in ("cohort", "activity") else p])
                                      for p in parts]})
    if opens:
        out["Opens"] = [fmt_count(row.get(f"opens_{p}")) for p in parts]
    return out


__all__ = ["RECONCILIATION_SUM_ROWS", "STEP_COLUMNS", "TRIANGLE_COLUMNS", "arrival_heatmap", "reconciliation_table",
           "steps_chart"]
