"""Plotly charts and display tables of campaign statistics (the frames of ``campaign_stats``).

Every chart is a pair: ``build_X(...)`` makes a figure with a fixed set of traces and one note annotation,
and ``update_X(fig, ...)`` rewrites that figure's traces and annotation in place, so a dashboard can keep a
``go.FigureWidget(build_X(...))`` and refresh it. ``build_X`` is an empty figure followed by ``update_X``:
there is one code path.

All numbers go through :func:`fmt_count` / :func:`fmt_rate`, all colours come from :data:`METRIC_COLORS` /
:data:`STATE_COLORS`, and every label that comes from data goes through :func:`escape_label` (plotly renders
a subset of HTML in text, ticks and hover labels).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.formats import (  # noqa: F401 - re-exported vocabulary
    COUNT_METRICS,
    KEY_LABELS,
    METRIC_LABELS,
    NA_TEXT,
    RATE_METRICS,
    UNKNOWN_TEXT,
    fmt_count,
    fmt_rate,
)
from talentstats.present.formats import as_count as _count
from talentstats.present.formats import as_number as _number
from talentstats.present.formats import is_na as _is_na
from talentstats.stats.states import STATES

# --------------------------------------------------------------------------------------------------------------
# Vocabulary: labels, colours, formats
# --------------------------------------------------------------------------------------------------------------

#: one colour per count metric, used by every chart
METRIC_COLORS: Final[dict[str, str]] = {
    "reach_outs": "#3B6FB6",
    "opens": "#2A9D8F",
    "responses": "#E07B24",
    "interested": "#3E9B4F",
    "in_progress": "#8E6BBF",
}

#: rate metric -> colour of the count it measures
RATE_COLORS: Final[dict[str, str]] = {
    "open_rate": METRIC_COLORS["opens"],
    "response_rate": METRIC_COLORS["responses"],
    "interested_rate": METRIC_COLORS["interested"],
    "interested_of_responses": METRIC_COLORS["interested"],
}

#: state code -> colour; In Progress and Responded share the colours of the In Progress and Responses metrics
STATE_COLORS: Final[dict[int, str]] = {
    0: METRIC_COLORS["in_progress"],  # In Progress
    1: "#C9302C",  # Hard Bounced
    2: METRIC_COLORS["responses"],  # Responded
    3: "#6C8EBF",  # Completed
    4: "#E8B100",  # Paused
    5: "#595959",  # Canceled
    6: "#B0B0B0",  # Undone
    7: "#A0522D",  # Paused By Auth Loss
    8: "#D46FA5",  # Prevented
    9: "#76C7C0",  # Pending
}

#: shown for a blank / missing campaign or sender name
BLANK_LABEL: Final = "(none)"

#: plotly ``config`` for static reports: no mode bar, no plotly logo
REPORT_CONFIG: Final[dict[str, bool]] = {"displayModeBar": False, "displaylogo": False}

FONT_FAMILY: Final = "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT_COLOR: Final = "#2B2B2B"
#: longest data label shown on an axis tick (hover always shows the full label)
TICK_LABEL_MAX: Final = 32
#: characters per line of a chart's note (wrapped: plotly does not wrap text)
NOTE_WIDTH: Final = 64

FUNNEL_STAGES: Final[tuple[str, ...]] = ("reach_outs", "opens", "responses", "interested")
TREND_RATES: Final[tuple[str, ...]] = ("open_rate", "response_rate", "interested_rate")
COMPARISON_METRICS: Final[tuple[str, ...]] = ("reach_outs", "opens", "responses", "interested")

_META_KEY: Final = "talentstats"












def _share(part: int | None, whole: int | None) -> float | None:
    """part / whole, None when either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return part / whole


# plotly decodes only a few named entities (amp, lt, gt, ...) but every numeric one, so quotes are numeric;
# '$' is escaped too: plotly hands text with $...$ to MathJax when a page has it loaded.
_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "$": "&#36;"})


def escape_label(text: object) -> str:
    """HTML-escape a string for plotly text / ticks / hover and for HTML tables (shown literally in both)."""
    return str(text).translate(_ESCAPES)


def _raw_label(value: object) -> str:
    """The unescaped display text of a group key value; blank / missing -> ``'(none)'``."""
    if _is_na(value) or str(value).strip() == "":
        return BLANK_LABEL
    return str(value)


def display_label(value: object, max_len: int | None = None) -> str:
    """Escaped display label of a data value (campaign, sender, ...), shortened with '…' to ``max_len``."""
    text = _raw_label(value)
    if max_len is not None and len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return escape_label(text)


def _plural(n: int, word: str) -> str:
    return f"{fmt_count(n)} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------------------------------
# Figure plumbing
# --------------------------------------------------------------------------------------------------------------


@contextmanager
def _batch(fig: go.Figure) -> Iterator[None]:
    """``fig.batch_update()`` for a FigureWidget (one message to the front end), nothing for a Figure."""
    if type(fig).__name__ == "FigureWidget":  # no isinstance: that would import the widget stack
        with fig.batch_update():
            yield
    else:
        yield


def _meta(fig: go.Figure, kind: str) -> dict[str, Any]:
    """The talentstats metadata of a figure made by ``build_<kind>``; ValueError for any other figure."""
    meta = fig.layout.meta
    if not isinstance(meta, dict) or meta.get(_META_KEY) != kind:
        raise ValueError(f"figure was not made by build_{kind}()")
    return meta


def _layout(kind: str, title: str, height: int, **extra: Any) -> go.Layout:
    """Shared look: white template, left title, fixed height, responsive width, one hidden note annotation."""
    return go.Layout(
        template="plotly_white",
        title={
            "text": escape_label(title),
            "font": {"size": 17},
            "x": 0.01,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 14, "b": 12},
            "automargin": True,  # a legend on top (wrapping on narrow screens) goes below the title
        },
        font={"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOR},
        height=height,
        autosize=True,
        separators=".,",
        margin={"l": 20, "r": 30, "t": 24, "b": 50},
        hoverlabel={"font": {"family": FONT_FAMILY, "size": 13}},
        annotations=[
            {
                "name": "note",
                "text": "",
                "visible": False,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 1,  # right-anchored: a long note may extend left under the axis labels
                "y": 0,
                "xanchor": "right",
                "yanchor": "top",
                "align": "left",
                "font": {"size": 12, "color": "#5C4400"},
                "bgcolor": "#FFF6DA",
                "bordercolor": "#E5C66B",
                "borderpad": 4,
            }
        ],
        meta={_META_KEY: kind, **extra.pop("meta", {})},
        **extra,
    )


def _set_note(fig: go.Figure, notes: Sequence[str], *, below_px: int, bottom: int) -> None:
    """Show ``notes`` (escaped text) in the note annotation ``below_px`` under the plot area, or hide it.

    Long notes are wrapped (plotly does not wrap text); the notes themselves are kept in ``layout.meta``.
    """
    lines = [part for note in notes for part in textwrap.wrap(note, NOTE_WIDTH, break_on_hyphens=False)]
    fig.layout.annotations[0].update(text="<br>".join(lines), visible=bool(lines), yshift=-below_px)
    fig.layout.margin.b = max(bottom, below_px + 18 * len(lines) + 16) if lines else bottom
    fig.layout.meta = {**fig.layout.meta, "notes": list(notes)}


def figure_notes(fig: go.Figure) -> list[str]:
    """The notes currently shown on a figure made here (escaped text, one string per note; [] when none)."""
    return list(fig.layout.meta.get("notes", [])) if isinstance(fig.layout.meta, dict) else []


def _stats_rows(stats: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a stats frame as dicts (NA kept as pd.NA / None)."""
    return stats.to_dict("records")


def _total_values(total: pd.DataFrame | pd.Series | Mapping[str, Any]) -> dict[str, Any]:
    """Metric -> value of a total: a one-row stats frame, a Series or a Mapping."""
    if isinstance(total, pd.DataFrame):
        if len(total) > 1:
            raise ValueError(f"expected the total (one row), got {len(total)} rows; use campaign_stats(by=None)")
        return {} if total.empty else total.iloc[0].to_dict()
    if isinstance(total, pd.Series):
        return total.to_dict()
    return dict(total)


def _require(stats: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in stats.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; got {list(stats.columns)}")


# --------------------------------------------------------------------------------------------------------------
# 1. Funnel
# --------------------------------------------------------------------------------------------------------------


def build_funnel(total: pd.DataFrame | Mapping[str, Any], *, title: str = "Outreach funnel") -> go.Figure:
    """Funnel Reach Outs → Opens → Responses → Interested of a total (one-row stats frame or Mapping)."""
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
    layout = _layout(
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
    """Refresh a :func:`build_funnel` figure in place with a new total."""
    _meta(fig, "funnel")
    values = _total_values(total)
    reach = _count(values.get("reach_outs")) or 0
    # without reach outs every stage is an empty subset of them: 0, not unknown
    counts: dict[str, int | None] = {m: _count(values.get(m)) if reach else 0 for m in FUNNEL_STAGES}
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
        share = _share(n, reach)
        xs.append(n)
        texts.append(f"{fmt_count(n)} · {fmt_rate(share)}")
        positions.append("auto" if n else "outside")  # text on a 0-width bar is hidden unless outside
        hover = f"<b>{label}</b><br>{fmt_count(n)} · {fmt_rate(share)} of reach outs"
        if metric == "interested":
            hover += f"<br>{fmt_rate(_share(n, responses))} of responses"
        hovers.append(hover)

    notes: list[str] = []
    if reach == 0:
        notes.append("No reach outs in this period.")
    elif opens is None:
        notes.append("Opens unknown: the export has no open information.")
    if opens is not None and responses is not None and responses > opens:
        extra = responses - opens
        notes.append(
            f"Note: {_plural(extra, 'more response')} than tracked opens — some replies came without a tracked open."
        )
    with _batch(fig):
        fig.data[0].update(
            x=xs, text=texts, textposition=positions, hovertext=hovers, connector={"visible": opens is not None}
        )
        _set_note(fig, notes, below_px=8, bottom=20)
        if title is not None:
            fig.layout.title.text = escape_label(title)


# --------------------------------------------------------------------------------------------------------------
# 2. State breakdown
# --------------------------------------------------------------------------------------------------------------


def _state_totals(by_state: pd.DataFrame) -> dict[int, int]:
    """State code -> reach outs, every state present (0 when it has no row)."""
    _require(by_state, ["state", "reach_outs"], "state breakdown")
    counts = dict.fromkeys(STATES, 0)
    for row in _stats_rows(by_state):
        code = int(row["state"])
        if code not in counts:
            raise ValueError(f"unknown state code {code}")
        counts[code] += _count(row["reach_outs"]) or 0
    return counts


def _split_key(by_key_state: pd.DataFrame) -> str:
    """The one group column besides 'state' of a by=[key, "state"] frame."""
    keys = [c for c in by_key_state.columns if c in KEY_LABELS and c != "state"]
    if len(keys) != 1 or "state" not in by_key_state.columns:
        raise ValueError(f"expected stats by=[<key>, 'state'], got columns {list(by_key_state.columns)}")
    return keys[0]


#: the y axis of horizontal bar charts: one row per category, in the order given, first on top
_CATEGORY_ROWS = {"autorange": "reversed", "automargin": True, "type": "category", "categoryorder": "array",
                  "ticklabelstandoff": 6}


def build_state_breakdown(
    by_state: pd.DataFrame, by_campaign_state: pd.DataFrame | None = None, *, title: str | None = None
) -> go.Figure:
    """Reach outs per state (all ten, fixed order and colours); split into campaigns when given by=[campaign, state].

    Always ten traces (one per state). Without ``by_campaign_state`` each trace is one bar on its state's row;
    with it, campaigns are the rows and the traces stack. The mode is fixed at build time.
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
        for code, label in STATES.items()
    ]
    layout = _layout(
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
        yaxis=_CATEGORY_ROWS,
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
    """Refresh a :func:`build_state_breakdown` figure in place; pass ``by_campaign_state`` iff it was split."""
    split = bool(_meta(fig, "state_breakdown")["split"])
    if split != (by_campaign_state is not None):
        raise ValueError("this figure was built " + ("with" if split else "without") + " by_campaign_state")
    totals = _state_totals(by_state)
    grand = sum(totals.values())
    notes = [] if grand else ["No reach outs in this period."]
    with _batch(fig):
        if by_campaign_state is None:
            _update_states_single(fig, totals, grand)
        else:
            _update_states_split(fig, by_campaign_state, grand)
        _set_note(fig, notes, below_px=48, bottom=20)
        if title is not None:
            fig.layout.title.text = escape_label(title)


def _update_states_single(fig: go.Figure, totals: dict[int, int], grand: int) -> None:
    labels = [escape_label(label) for label in STATES.values()]
    for trace, (code, label) in zip(fig.data, zip(STATES, labels, strict=True), strict=True):
        n = totals[code]
        share = fmt_rate(_share(n, grand))
        trace.update(
            x=[n],
            y=[label],
            text=[f"{fmt_count(n)} · {share}"],
            hovertext=[f"<b>{label}</b><br>{fmt_count(n)} reach outs · {share} of all reach outs"],
        )
    top = max(totals.values())
    fig.layout.xaxis.range = [0, _count_axis_top(top, 1.22)]  # room for the outside text
    fig.layout.yaxis.update(categoryarray=labels, tickvals=labels, ticktext=labels)
    fig.layout.height = 420


def _update_states_split(fig: go.Figure, by_key_state: pd.DataFrame, grand: int) -> None:
    key = _split_key(by_key_state)
    _require(by_key_state, ["reach_outs"], "state breakdown")
    cells: dict[tuple[str, int], int] = {}
    row_totals: dict[str, int] = {}
    full_names: dict[str, str] = {}
    for row in _stats_rows(by_key_state):
        raw = _raw_label(row[key])
        name = escape_label(raw)
        code = int(row["state"])
        if code not in STATES:
            raise ValueError(f"unknown state code {code}")
        n = _count(row["reach_outs"]) or 0
        cells[(name, code)] = cells.get((name, code), 0) + n
        row_totals[name] = row_totals.get(name, 0) + n
        full_names[name] = raw
    names = sorted(row_totals, key=lambda name: (-row_totals[name], full_names[name]))
    what = KEY_LABELS[key].lower()
    for trace, (code, state) in zip(fig.data, STATES.items(), strict=True):
        xs = [cells.get((name, code), 0) for name in names]
        trace.update(
            y=names,
            x=xs,
            text=[fmt_count(n) if n else "" for n in xs],
            hovertext=[
                f"<b>{name}</b><br>{escape_label(state)}: {fmt_count(n)} reach outs"
                f"<br>{fmt_rate(_share(n, row_totals[name]))} of this {what}'s reach outs"
                f" · {fmt_rate(_share(n, grand))} of all"
                for name, n in zip(names, xs, strict=True)
            ],
        )
    fig.layout.xaxis.range = None
    ticks = [display_label(full_names[name], TICK_LABEL_MAX) for name in names]
    fig.layout.yaxis.update(categoryarray=names, tickvals=names, ticktext=ticks)
    fig.layout.height = max(360, 150 + 34 * len(names))


# --------------------------------------------------------------------------------------------------------------
# 3. Weekly trend
# --------------------------------------------------------------------------------------------------------------


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
    layout = _layout(
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


def _count_axis_top(top: int, headroom: float) -> float:
    """Upper end of a count axis: ``top`` plus headroom, at least 5 so integer ticks never repeat."""
    return max(top, 5) * headroom


def _rate_axis_top(top_rate: float) -> float:
    """Upper end of a rate axis: a round number a little above the highest rate (at most 100%)."""
    if top_rate <= 0:
        return 1.0
    step = 0.1 if top_rate > 0.2 else 0.05 if top_rate > 0.05 else 0.01
    return min(1.0, math.ceil(top_rate * 1.1 / step) * step)


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
    """Refresh a :func:`build_trend` figure in place with new by=["week"] statistics."""
    _meta(fig, "trend")
    _require(weekly, ["week", "reach_outs"], "trend")
    window = _trend_window(weekly, weeks, end_week)
    by_week = {pd.Timestamp(str(row["week"])).normalize(): row for row in _stats_rows(weekly)}
    xs = [f"{week:%Y-%m-%d}" for week in window]
    names = [f"{week:%b} {week.day}, {week.year}" for week in window]
    rows = [by_week.get(week, {}) for week in window]
    reach = [_count(row.get("reach_outs")) or 0 for row in rows]

    with _batch(fig):
        fig.data[0].update(
            x=xs,
            y=reach,
            hovertext=[f"Week of {n}<br><b>Reach Outs: {fmt_count(r)}</b>" for n, r in zip(names, reach, strict=True)],
        )
        top_rate = 0.0
        for trace, rate in zip(fig.data[1:], TREND_RATES, strict=True):
            count_col = {"open_rate": "opens", "response_rate": "responses", "interested_rate": "interested"}[rate]
            ys = [_number(row.get(rate)) for row in rows]
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
        fig.layout.yaxis.range = [0, _count_axis_top(max(reach, default=0), 1.08)]
        fig.layout.yaxis2.range = [0, _rate_axis_top(top_rate)]

        notes: list[str] = []
        if not any(reach):
            notes.append("No reach outs in these weeks.")
        no_opens = sum(1 for row, r in zip(rows, reach, strict=True) if r and _is_na(row.get("opens")))
        if no_opens and no_opens == sum(1 for r in reach if r):
            notes.append("Open rate not shown: the export has no open information.")
        elif no_opens:
            notes.append(f"Open rate not shown for {_plural(no_opens, 'week')} without open information.")
        _set_note(fig, notes, below_px=70, bottom=50)
        if title is not None:
            fig.layout.title.text = escape_label(title)


# --------------------------------------------------------------------------------------------------------------
# 4. Campaign / sender comparison and tables
# --------------------------------------------------------------------------------------------------------------


def build_comparison(stats: pd.DataFrame, key: str = "campaign", *, title: str | None = None) -> go.Figure:
    """Grouped horizontal bars of Reach Outs, Opens, Responses and Interested per campaign (or ``key``).

    Rows are sorted by reach outs, largest on top. Unknown opens are left out (no bar) and named in a note.
    Always four traces.
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
    layout = _layout(
        "comparison",
        title or _comparison_title(key),
        height=400,
        meta={"key": key, "auto_title": title is None},
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
        xaxis={"title": {"text": "Count"}, "tickformat": ",d", "rangemode": "tozero"},
        yaxis=_CATEGORY_ROWS,
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

    ``key`` switches the grouping column (e.g. campaign -> sender); by default it stays as built. A default
    title follows the key.
    """
    meta = _meta(fig, "comparison")
    if key is None:
        key = str(meta["key"])
    _check_comparison_key(key)
    _require(stats, [key, *COMPARISON_METRICS], "comparison")
    if key != meta["key"]:
        with _batch(fig):
            fig.layout.meta = {**meta, "key": key}
            if title is None and meta.get("auto_title"):
                title = _comparison_title(key)
    rows = _stats_rows(stats)
    for row in rows:
        row["_label"] = escape_label(_raw_label(row[key]))
    labels = [row["_label"] for row in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"expected one row per {key} (stats by=[{key!r}])")
    rows.sort(key=lambda row: (-(_count(row["reach_outs"]) or 0), _raw_label(row[key])))
    names = [row["_label"] for row in rows]
    grand = sum(_count(row["reach_outs"]) or 0 for row in rows)
    what = KEY_LABELS[key].lower()

    with _batch(fig):
        top = 0
        for trace, metric in zip(fig.data, COMPARISON_METRICS, strict=True):
            xs = [_count(row[metric]) for row in rows]
            top = max([top, *(x for x in xs if x is not None)])
            hovers = []
            for row, n in zip(rows, xs, strict=True):
                reach = _count(row["reach_outs"])
                head = f"<b>{row['_label']}</b><br>{METRIC_LABELS[metric]}: "
                if n is None:
                    hovers.append(head + UNKNOWN_TEXT)
                elif metric == "reach_outs":
                    hovers.append(head + f"{fmt_count(n)} · {fmt_rate(_share(n, grand))} of all reach outs")
                else:
                    hover = head + f"{fmt_count(n)} · {fmt_rate(_share(n, reach))} of reach outs"
                    if metric == "interested":
                        hover += f" · {fmt_rate(_share(n, _count(row['responses'])))} of responses"
                    hovers.append(hover)
            trace.update(y=names, x=xs, text=[fmt_count(x) if x is not None else "" for x in xs], hovertext=hovers)
        fig.layout.xaxis.range = [0, _count_axis_top(top, 1.15)]  # room for the outside text
        ticks = [display_label(row[key], TICK_LABEL_MAX) for row in rows]
        fig.layout.yaxis.update(categoryarray=names, tickvals=names, ticktext=ticks)
        fig.layout.height = max(320, 150 + 78 * len(names))

        notes: list[str] = []
        if not rows:
            notes.append("No reach outs in this period.")
        unknown = [row for row in rows if _is_na(row["opens"])]
        if unknown and len(unknown) == len(rows):
            notes.append("Opens not shown: the export has no open information.")
        elif unknown:
            shown = ", ".join(display_label(row[key], TICK_LABEL_MAX) for row in unknown[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            notes.append(f"Opens unknown (not 0) for {_plural(len(unknown), what)}: {shown}{more}.")
        _set_note(fig, notes, below_px=48, bottom=20)
        if title is not None:
            fig.layout.title.text = escape_label(title)


def _key_display(column: str, value: object) -> str:
    """Display text of a group-key value (state codes become labels); not escaped."""
    if column == "state" and not _is_na(value):
        return STATES[int(value)]  # type: ignore[call-overload]
    return _raw_label(value)


def stats_table(
    stats: pd.DataFrame, keys: str | Sequence[str] = (), sort_by: str = "reach_outs", ascending: bool = False
) -> pd.DataFrame:
    """Display-ready table of a stats frame: nice column names, formatted numbers, sorted by the numbers.

    ``keys`` are the group columns to show first; ``sort_by`` is a metric or key column (raw or display name);
    missing values sort last, ties are ordered by the keys. No total row is added (the caller decides).
    Re-sort by calling again with another ``sort_by``: the display frame holds strings only.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    _require(stats, keys, "stats_table")
    by_display = {**{v: k for k, v in METRIC_LABELS.items()}, **{v: k for k, v in KEY_LABELS.items()}}
    sort_col = by_display.get(sort_by, sort_by)
    if sort_col not in stats.columns:
        raise ValueError(f"cannot sort by {sort_by!r}: not a column of the statistics")
    metrics = [m for m in (*COUNT_METRICS, *RATE_METRICS) if m in stats.columns]

    raw = stats[keys + metrics].copy()
    order_cols = [sort_col] + [k for k in keys if k != sort_col]
    raw = raw.sort_values(
        order_cols, ascending=[ascending] + [True] * (len(order_cols) - 1), na_position="last", kind="stable"
    ).reset_index(drop=True)

    display = pd.DataFrame(index=raw.index)
    for key in keys:
        display[KEY_LABELS.get(key, key)] = [_key_display(key, v) for v in raw[key]]
    for metric in metrics:
        fmt = fmt_count if metric in COUNT_METRICS else fmt_rate
        display[METRIC_LABELS[metric]] = [fmt(v) for v in raw[metric]]
    return display


#: CSS of :func:`table_html` tables (class ``ts-table``; numeric cells ``ts-num``)
TABLE_CSS: Final = (
    ".ts-table{border-collapse:collapse;font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px}"
    ".ts-table caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}"
    ".ts-table th,.ts-table td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left}"
    ".ts-table thead th{border-bottom:2px solid #999;white-space:nowrap}"
    ".ts-table .ts-num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
)


def table_html(display_df: pd.DataFrame, caption: str | None = None, *, css: bool = True) -> str:
    """HTML table of a :func:`stats_table` frame: every cell escaped, metric (and numeric) columns right-aligned.

    The index is not shown. Works in a report page and in an ``ipywidgets.HTML``; ``css=False`` leaves out the
    ``<style>`` block (then include :data:`TABLE_CSS` once yourself).
    """
    numeric = {c for c in display_df.columns if c in METRIC_LABELS.values()}
    numeric |= {c for c in display_df.columns if pd.api.types.is_numeric_dtype(display_df[c].dtype)}

    def cell(tag: str, text: object, column: object) -> str:
        klass = ' class="ts-num"' if column in numeric else ""
        return f"<{tag}{klass}>{escape_label(_cell_text(text))}</{tag}>"

    parts = [f"<style>{TABLE_CSS}</style>"] if css else []
    parts.append('<table class="ts-table">')
    if caption is not None:
        parts.append(f"<caption>{escape_label(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(cell("th", c, c) for c in display_df.columns) + "</tr></thead>")
    parts.append("<tbody>")
    columns = list(display_df.columns)
    for row in display_df.itertuples(index=False, name=None):
        parts.append("<tr>" + "".join(cell("td", v, c) for v, c in zip(row, columns, strict=True)) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _cell_text(value: object) -> str:
    """Text of a table cell: formatted numbers as they are, missing -> '—'."""
    if _is_na(value):
        return NA_TEXT
    return str(value)
