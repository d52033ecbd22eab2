"""Figure plumbing shared by the charts: the common layout, the note annotation, batched updates, the
metadata naming which ``build_X`` made a figure, and reading statistics frames.
"""

from __future__ import annotations

import copy
import functools
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from talentstats.present.charts.style import FONT_FAMILY, META_KEY, NOTE_WIDTH, TEXT_COLOR, escape_label


@contextmanager
def batch(fig: go.Figure) -> Iterator[None]:
    """``fig.batch_update()`` for a FigureWidget (one message to the front end), nothing for a Figure."""
    if type(fig).__name__ == "FigureWidget":  # no isinstance: that would import the widget stack
        with fig.batch_update():
            yield
    else:
        yield


def figure_meta(fig: go.Figure, kind: str) -> dict[str, Any]:
    """The talentstats metadata of a figure made by ``build_<kind>``; ValueError for any other figure."""
    meta = fig.layout.meta
    if not isinstance(meta, dict) or meta.get(META_KEY) != kind:
        raise ValueError(f"figure was not made by build_{kind}()")
    return meta


#: the charts' template: plotly_white cut to what flat charts of bars, lines and heatmaps read (see
#: :func:`chart_template`)
TEMPLATE: Final = "talentstats_white"
#: the trace types the charts draw (their defaults in plotly_white are kept)
_TEMPLATE_TRACES: Final = ("bar", "scatter", "heatmap")
#: layout parts of plotly_white for 3D scenes, polar and ternary plots and maps (none here)
_NOT_FLAT: Final = frozenset({"geo", "polar", "scene", "ternary"})


@functools.cache
def chart_template() -> str:
    """Register :data:`TEMPLATE` (once) and return its name.

    plotly deep-copies a figure's template and writes it into every figure's JSON: plotly_white whole is 7 kB
    of defaults for two dozen trace types, maps and 3D scenes, ~7 ms a figure to copy. Cut to what these charts
    use, it is a third of that, and the charts look the same (the parts left out are never read for them).
    """
    import plotly.io as pio

    white = pio.templates["plotly_white"].to_plotly_json()
    pio.templates[TEMPLATE] = go.layout.Template(
        layout={k: v for k, v in white["layout"].items() if k not in _NOT_FLAT},
        data={k: v for k, v in white["data"].items() if k in _TEMPLATE_TRACES},
    )
    return TEMPLATE


def base_layout(kind: str, title: str, height: int, **extra: Any) -> go.Layout:
    """Shared look: white template, left title, fixed height, responsive width, one hidden note annotation."""
    return go.Layout(**layout_spec(kind, title, height, **extra))


def layout_spec(kind: str, title: str, height: int, **extra: Any) -> dict[str, Any]:
    """:func:`base_layout` as a plain dict, for a figure built in one ``go.Figure(data=..., layout=...)`` call
    (plotly validates a layout once then, instead of at every update of a figure with many subplot axes)."""
    return dict(
        template=chart_template(),
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
        meta={META_KEY: kind, **extra.pop("meta", {})},
        **extra,
    )


def set_note(fig: go.Figure, notes: Sequence[str], *, below_px: int, bottom: int) -> None:
    """Show ``notes`` (escaped text) in the note annotation ``below_px`` under the plot area, or hide it.

    Long notes are wrapped (plotly does not wrap text); the notes themselves are kept in ``layout.meta``.
    """
    note, margin_b = note_spec(notes, below_px=below_px, bottom=bottom)
    fig.layout.annotations[0].update(note)
    fig.layout.margin.b = margin_b
    fig.layout.meta = {**fig.layout.meta, "notes": list(notes)}


def note_spec(notes: Sequence[str], *, below_px: int, bottom: int) -> tuple[dict[str, Any], int]:
    """What :func:`set_note` sets, for a layout dict: the note annotation's update and the bottom margin."""
    lines = [part for note in notes for part in textwrap.wrap(note, NOTE_WIDTH, break_on_hyphens=False)]
    margin_b = max(bottom, below_px + 18 * len(lines) + 16) if lines else bottom
    return {"text": "<br>".join(lines), "visible": bool(lines), "yshift": -below_px}, margin_b


def set_note_spec(layout: dict[str, Any], notes: Sequence[str], *, below_px: int, bottom: int) -> None:
    """:func:`set_note` on a layout dict made by :func:`layout_spec`."""
    note, layout["margin"]["b"] = note_spec(notes, below_px=below_px, bottom=bottom)
    layout["annotations"][0].update(note)
    layout["meta"] = {**layout["meta"], "notes": list(notes)}


def subplot_grid(rows: int, **kwargs: Any) -> dict[str, Any]:
    """The axes (and subplot titles) ``make_subplots(rows=rows, cols=1, **kwargs)`` lays out, as a plain layout
    dict without a template: axis ``i`` (from 1) is ``xaxis``/``yaxis`` then ``xaxis2``/``yaxis2``..."""
    frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(kwargs.items()))
    return copy.deepcopy(_grid(rows, frozen))


@functools.lru_cache(maxsize=32)
def _grid(rows: int, kwargs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """:func:`subplot_grid`, kept: plotly builds a whole figure for it (~7 ms), the same one every period."""
    from plotly.subplots import make_subplots

    layout = make_subplots(rows=rows, cols=1, **{k: list(v) if isinstance(v, tuple) else v
                                                 for k, v in kwargs}).layout.to_plotly_json()
    layout.pop("template", None)
    return layout


def axis_names(row: int) -> tuple[str, str]:
    """The x and y axis of panel ``row`` (from 1) of a one-column grid, as traces name them: ``x``/``y``,
    ``x2``/``y2``... (the layout's keys are ``xaxis``/``yaxis``, ``xaxis2``/``yaxis2``...)."""
    suffix = "" if row == 1 else str(row)
    return f"x{suffix}", f"y{suffix}"


def figure_notes(fig: go.Figure) -> list[str]:
    """The notes currently shown on a figure made here (escaped text, one string per note; [] when none)."""
    return list(fig.layout.meta.get("notes", [])) if isinstance(fig.layout.meta, dict) else []


def stats_rows(stats: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a stats frame as dicts (NA kept as pd.NA / None)."""
    return stats.to_dict("records")


def total_values(total: pd.DataFrame | pd.Series | Mapping[str, Any]) -> dict[str, Any]:
    """Metric -> value of a total: a one-row stats frame, a Series or a Mapping."""
    if isinstance(total, pd.DataFrame):
        if len(total) > 1:
            raise ValueError(f"expected the total (one row), got {len(total)} rows; use campaign_stats(by=None)")
        return {} if total.empty else total.iloc[0].to_dict()
    if isinstance(total, pd.Series):
        return total.to_dict()
    return dict(total)


def require_columns(stats: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in stats.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; got {list(stats.columns)}")


#: the y axis of horizontal bar charts: one row per category, in the order given, first on top
CATEGORY_ROWS: Final[dict[str, Any]] = {"autorange": "reversed", "automargin": True, "type": "category",
                                        "categoryorder": "array", "ticklabelstandoff": 6}


def count_axis_top(top: int, headroom: float) -> float:
    """Upper end of a count axis: ``top`` plus headroom, at least 5 so integer ticks never repeat."""
    return max(top, 5) * headroom


def rate_axis_top(top_rate: float) -> float:
    """Upper end of a rate axis: a round number a little above the highest rate (at most 100%)."""
    if top_rate <= 0:
        return 1.0
    step = 0.1 if top_rate > 0.2 else 0.05 if top_rate > 0.05 else 0.01
    return min(1.0, math.ceil(top_rate * 1.1 / step) * step)
