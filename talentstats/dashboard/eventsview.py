"""The dashboard's "when things happen" part (issue 13): the cohort/activity toggle, the activity tiles, figures and
table it swaps in, how replies arrive (the triangle) and which e-mail gets the replies (steps).

:class:`EventsView` holds the widgets; :class:`~talentstats.dashboard.widget.Dashboard` calls :meth:`EventsView.update`
after its own update. Every number comes from cubes made once per load (:mod:`~.activitycube`,
:mod:`~.arrivalcube`): an update slices and sums them. Both modes are kept current, so the toggle only swaps what
the page shows (:meth:`EventsView.slot`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w
import pandas as pd

from talentstats.dashboard.activitycharts import (
    ACTIVITY_LABELS,
    TILES,
    build_activity_bars,
    build_activity_comparison,
    build_activity_trend,
    replace_figure,
    update_activity_bars,
    update_activity_comparison,
    update_activity_trend,
)
from talentstats.dashboard.activitycube import ActivityCube
from talentstats.dashboard.arrivalcube import NO_STEPS, ArrivalCube
from talentstats.dashboard.cube import DailyCube, Selection
from talentstats.dashboard.layout import heading
from talentstats.present.charts import TABLE_CSS, UNKNOWN_TEXT, display_label, fmt_count
from talentstats.present.charts.events import arrival_heatmap, steps_chart
from talentstats.present.formats import KEY_LABELS, change_text
from talentstats.stats.periods import monday_of, previous_period

__all__ = ["MODE_TEXT", "MODES", "EventsView", "relayout_later"]

MODES = [("Cohort", "cohort"), ("Activity", "activity")]
#: the line beside the toggle, per mode
MODE_TEXT = {
    "cohort": "Cohort: what became of the reach outs <b>created</b> in the range (the five statistics).",
    "activity": "Activity: what <b>happened</b> in the range - messages sent, opens and replies by their own "
                "date, whenever the reach out was created.",
}
#: the state chart's place in activity mode
NO_STATES = ("Reach outs by state has no activity view: a state is where a reach out stands now, not an event with "
             "a date. Switch to Cohort to see it.")
DRILL_NOTE = "The drill-down lists reach outs created in the range (the cohort view), whichever mode is shown."
#: the comparison table's sort metric (cohort names) -> the activity count it sorts by
_SORT = {"opens": "opens", "responses": "responses", "interested": "interested", "reach_outs": "reach_outs_started"}
_MEMO_LIMIT = 64
_EMPTY_STEPS = pd.DataFrame({"step": [], "sent": [], "replies": [], "reply_rate": []})


def _relayout(figures: Sequence[Any]) -> None:
    """Make figures lay themselves out again: one drawn as it comes onto the page places its legend before its
    width is known (plotly then overlaps legend and bars, until the next update); an update redraws it."""
    for fig in figures:
        with fig.batch_update():  # (one update of traces and layout: a layout change alone is not enough)
            fig.layout.margin.r = (fig.layout.margin.r or 30) ^ 1
            if fig.data:
                fig.data[0].meta = int(fig.data[0].meta or 0) ^ 1


def relayout_later(figures: Sequence[Any], *delays: float) -> None:
    """Lay figures out again ``delays`` seconds from now (in a kernel; at once elsewhere): a figure put on the page
    after it was displayed is first drawn before its box has a width (plotly's 700 px, clipped on a phone)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _relayout(figures)
        return
    for delay in delays:
        loop.call_later(delay, _relayout, figures)


def _line(text: str, muted: bool = False) -> str:
    return f'<span class="{"ts-muted" if muted else "ts-line"}">{text}</span>'


def activity_tile_html(metric: str, now: Mapping[str, Any], before: Mapping[str, Any]) -> str:
    """One activity tile: label, count (``unknown`` when the export has no times for it) and change."""
    value = UNKNOWN_TEXT if now[metric] is None else fmt_count(now[metric])
    unknown = " unknown" if now[metric] is None else ""
    return (f'<div class="ts-tile" data-metric="{metric}"><div class="l">{ACTIVITY_LABELS[metric]}</div>'
            f'<div class="v{unknown}">{html.escape(value)}</div>'
            f'<div class="c">{html.escape(change_text(metric, now[metric], before[metric]))} vs previous</div></div>')


def activity_table_html(counts: pd.DataFrame, total: Mapping[str, Any], key: str, sort_by: str) -> str:
    """The activity counts by campaign or sender, with a total row, as an escaped HTML table."""
    if counts.empty:
        return '<p class="ts-line">Nothing happened in this range.</p>'
    columns = [*TILES, *(["responses_time_unknown"] if (total.get("responses_time_unknown") or 0) else [])]
    order = _SORT.get(sort_by, "messages_sent")
    if counts[order].isna().all():
        order = "reach_outs_started" if counts["reach_outs_started"].notna().any() else "responses"
    rows = counts.assign(_o=counts[order].fillna(-1)).sort_values(["_o", key], ascending=[False, True], kind="stable")
    body = pd.DataFrame({key: [display_label(v) for v in rows[key]]})
    for m in columns:
        body[m] = [UNKNOWN_TEXT if pd.isna(v) else fmt_count(v) for v in rows[m]]
    body.loc[len(body)] = ["Total", *(UNKNOWN_TEXT if total[m] is None else fmt_count(total[m]) for m in columns)]
    head = "".join([f"<th>{KEY_LABELS[key]}</th>", *(f'<th class="ts-num">{ACTIVITY_LABELS[m]}</th>' for m in columns)])
    cells = body.map(html.escape)
    lines = ["<tr>" + "".join([f"<td>{r[0]}</td>", *(f'<td class="ts-num">{v}</td>' for v in r[1:])]) + "</tr>"
             for r in cells.itertuples(index=False, name=None)]
    return f'<style>{TABLE_CSS}</style><table class="ts-table"><thead><tr>{head}</tr></thead><tbody>' \
           f'{"".join(lines)}</tbody></table>'


class EventsView:
    """The toggle and everything it swaps, plus the triangle and the steps chart.

    Args:
        numbers: the dashboard's cohort cube.
        messages: the load's message table, or None without a messages export.
        figure: the FigureWidget class to wrap figures in.
        weeks: weeks of the trend and of the triangle.
    """

    def __init__(self, numbers: DailyCube, messages: Any, figure: Callable[[Any], Any], weeks: int) -> None:
        self.activity = ActivityCube(numbers, messages)
        self.arrival = ArrivalCube(numbers, messages)
        self.weeks = weeks
        self.mode = w.ToggleButtons(options=MODES, value="cohort", style={"button_width": "90px"},
                                    tooltips=["By creation date", "By the date of each event"])
        self.mode_text = w.HTML(_line(MODE_TEXT["cohort"]))
        self.tiles = {m: w.HTML(layout=w.Layout(margin="0")) for m in TILES}
        self.tile_note = w.HTML()
        self.bars = figure(build_activity_bars())
        self.trend = figure(build_activity_trend(weeks))
        self.comparison = figure(build_activity_comparison())
        self.states_note = w.HTML(f'<p class="ts-line" style="margin:24px 12px">{html.escape(NO_STATES)}</p>')
        self.table_html = w.HTML()
        self.drill_note = w.HTML(_line(html.escape(DRILL_NOTE), muted=True))
        self.arrival_metric = w.ToggleButtons(options=[("Replies", "responses"), ("Opens", "opens")],
                                              value="responses", style={"button_width": "80px"})
        self.heatmap = figure(arrival_heatmap(self.arrival.triangle(dt.date.today(), 1, Selection())))
        self.steps = figure(steps_chart(_EMPTY_STEPS))
        self.steps_note = w.HTML()
        self._slots: list[tuple[w.Box, tuple[Any, ...], tuple[Any, ...]]] = []
        self._last: tuple[dt.date, dt.date, Selection] | None = None
        self._built: dict[tuple[Any, ...], Any] = {}
        self._shown: dict[int, tuple[Any, ...]] = {}
        self.mode.observe(lambda _: self.switch(), names="value")
        self.arrival_metric.observe(lambda _: self._update_triangle(), names="value")

    def figures(self) -> tuple[Any, ...]:
        """The FigureWidgets this view owns (to sync before display)."""
        return self.bars, self.trend, self.comparison, self.heatmap, self.steps

    def slot(self, cohort: Sequence[Any], activity: Sequence[Any], box: type[w.Box] = w.VBox, **kw: Any) -> w.Box:
        """A box showing ``cohort`` or ``activity`` widgets, following the toggle.

        Args:
            cohort: the widgets shown in cohort mode.
            activity: the widgets shown in activity mode.
            box: the box class.
            **kw: its arguments (e.g. ``layout``).

        Returns:
            The box.
        """
        out = box(children=tuple(cohort if self.mode.value == "cohort" else activity), **kw)
        self._slots.append((out, tuple(cohort), tuple(activity)))
        return out

    def adopt(self, box: w.Box, cohort: Sequence[Any], activity: Sequence[Any]) -> None:
        """Make a box already on the page a slot (:meth:`slot`): it shows ``cohort`` now, and follows the toggle.

        Args:
            box: the box (its widgets stay where they are drawn: no figure is drawn anew).
            cohort: the widgets shown in cohort mode.
            activity: the widgets shown in activity mode.
        """
        box.children = tuple(cohort if self.mode.value == "cohort" else activity)
        self._slots.append((box, tuple(cohort), tuple(activity)))

    def switch(self) -> None:
        """Show the widgets of the selected mode in every slot."""
        cohort = self.mode.value == "cohort"
        for box, c, a in self._slots:
            box.children = c if cohort else a
        self.mode_text.value = _line(MODE_TEXT[self.mode.value])
        shown = [f for _, c, a in self._slots for f in (c if cohort else a) if hasattr(f, "batch_update")]
        relayout_later(shown, 0.6)  # (in a kernel: once the browser has drawn them)

    def tile_box(self) -> w.Box:
        """The activity tiles in a row, with the line under them."""
        row = w.Layout(display="flex", flex_flow="row wrap", grid_gap="8px", margin="4px 0")
        return w.VBox([w.HBox([self.tiles[m] for m in TILES], layout=row), self.tile_note])

    def section(self) -> w.Box:
        """How replies arrive and which e-mail gets them: headings, one line each, the figures."""
        half = w.Layout(flex="1 1 520px", min_width="min(420px, 100%)", max_width="100%")
        triangle = w.VBox([heading("How replies arrive"), w.HTML(_line(
            f"Reach outs created in the {self.weeks} weeks up to the range's end, by creation week: each cell counts "
            "the replies that came that many whole weeks after creation; the colour is the share replied so far.",
            muted=True)), self.arrival_metric, self.heatmap],
            layout=w.Layout(flex="1 1 640px", min_width="min(420px, 100%)", max_width="100%"))
        steps = w.VBox([heading("Which e-mail gets the replies"), w.HTML(_line(
            "Reach outs created in the range: replies by the step of the last e-mail sent before the reply, "
            "with the reply rate of that step.", muted=True)), self.steps_note,
            *([self.steps] if self.arrival.step_rows is not None else [])], layout=half)
        return w.HBox([triangle, steps], layout=w.Layout(display="flex", flex_flow="row wrap", width="100%",
                                                         grid_gap="0 16px"))

    # ------------------------------------------------------------------------------------------ updates
    def update(self, start: dt.date, end: dt.date, selection: Selection, key: str, sort_by: str,
               parts: set[str], trend: tuple[dt.date, dt.date]) -> None:
        """Refresh the activity widgets, the triangle and the steps for a range and selection.

        Args:
            start: first day.
            end: last day.
            selection: time zone, campaigns and senders.
            key: the comparison's key (campaign or sender).
            sort_by: the table's sort metric (a cohort metric; mapped to the nearest activity count).
            parts: of "numbers", "comparison", "table" (as the dashboard's update).
            trend: the first and last day of the trend's weeks.
        """
        self._last = (start, end, selection)
        cube = self.activity
        if "numbers" in parts:
            now, before = cube.totals([(start, end), previous_period(start, end)], selection)
            for m, tile in self.tiles.items():
                tile.value = activity_tile_html(m, now, before)
            self.tile_note.value = self._tile_note(now)
            update_activity_bars(self.bars, now)
            weekly = cube.counts("week", *trend, selection)
            window = list(pd.date_range(trend[0], periods=self.weeks, freq="7D"))
            update_activity_trend(self.trend, weekly, window, cube.unknown)
            self._update_triangle()
            self._update_steps(start, end, selection)
        if parts & {"comparison", "table"}:
            by_key = cube.counts(key, start, end, selection)
            update_activity_comparison(self.comparison, by_key, key, cube.unknown)
            total = cube.totals([(start, end)], selection)[0]
            self.table_html.value = activity_table_html(by_key, total, key, sort_by)

    def _tile_note(self, now: Mapping[str, Any]) -> str:
        notes = []
        if now.get("responses_time_unknown"):
            notes.append(f"{fmt_count(now['responses_time_unknown'])} responded reach outs created by the range's "
                         "end have no response time: not counted above.")
        unknown = [ACTIVITY_LABELS[m] for m in TILES if now[m] is None]
        if unknown:
            notes.append(f"{', '.join(unknown)}: unknown - the export has no times for them (a messages export "
                         "gives them).")
        return _line(html.escape(" ".join(notes)), muted=True) if notes else ""

    def _update_triangle(self) -> None:
        if self._last is None:
            return
        _, end, selection = self._last
        metric = self.arrival_metric.value
        # the triangle depends on the week of the end only; building a figure costs more than its numbers
        self._show(self.heatmap, ("triangle", monday_of(end), selection, metric),
                   lambda: arrival_heatmap(self.arrival.triangle(end, self.weeks, selection, metric), metric=metric))

    def _update_steps(self, start: dt.date, end: dt.date, selection: Selection) -> None:
        if self.arrival.step_rows is None:
            self.steps_note.value = _line(html.escape(f"No steps chart: {NO_STEPS}."))
            return
        self._show(self.steps, ("steps", start, end, selection),
                   lambda: steps_chart(self.arrival.steps(start, end, selection)))

    def _show(self, widget: Any, key: tuple[Any, ...], build: Callable[[], Any]) -> None:
        """Put the figure of ``key`` into ``widget`` unless it shows it already; built figures are remembered."""
        if self._shown.get(id(widget)) == key:
            return
        if key not in self._built:
            if len(self._built) > _MEMO_LIMIT:
                self._built.clear()
            self._built[key] = build()
        replace_figure(widget, self._built[key])
        self._shown[id(widget)] = key
