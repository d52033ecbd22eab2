"""The interactive campaign dashboard: ipywidgets controls over plotly FigureWidgets.

All numbers come from a :class:`~talentstats.dashboard.cube.DailyCube`: a change of date range or filter only
slices the daily cube of the report time zone, and every figure is updated in place (trace updates, never
re-created). The notebook ``notebooks/campaign_dashboard.ipynb`` only builds and shows a :class:`Dashboard`;
``talentstats dashboard`` serves that notebook with Voilà (:mod:`talentstats.serve`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from talentstats.dashboard import layout, text, verdicts
from talentstats.dashboard.bundle import FIGURE_CONFIG, figure_widget_class
from talentstats.dashboard.config import load_arguments
from talentstats.dashboard.cube import DailyCube, Selection
from talentstats.dashboard.eventsview import EventsView
from talentstats.dashboard.ratesview import RatesView
from talentstats.dashboard.sameage import Compared, SameAge
from talentstats.dashboard.text import DRILL_LIMIT, KPIS, PII_LABELS
from talentstats.load.accounting import LoadReport
from talentstats.load.loader import read_reach_outs
from talentstats.present import charts
from talentstats.stats.intervals import with_intervals
from talentstats.stats.metrics import newest_date, stats_dicts
from talentstats.stats.periods import (
    latest_full_week,
    monday_of,
    preset_range,
    today_in,
    zone,
)

__all__ = ["TREND_WEEKS", "Dashboard"]

#: weeks in the trend chart, ending with the week of the range's last day
TREND_WEEKS = 12
_ALL_PARTS = ("numbers", "comparison", "table", "drill")


class Dashboard:
    """Campaign dashboard over a canonical Reach Out table (pandas).

    Args:
        table: the canonical table (see :mod:`talentstats.load.columns`).
        load: the LoadReport of the load, summarised under the controls.
        tz: initial report time zone.
        start: first day of the initial range; default (with ``end``) the newest complete week in the data.
        end: last day of the initial range.
        today: "today" for the presets (default: today in the selected time zone).
        include_pii: show prospect names and emails in the drill-down.
        messages: the load's message table (activity view, steps), or None without a messages export.

    Raises:
        UsageError: ``tz`` is not a time zone.
    """

    def __init__(self, table: pd.DataFrame, load: LoadReport | None = None, tz: str = "UTC",
                 start: dt.date | None = None, end: dt.date | None = None, today: dt.date | None = None,
                 include_pii: bool = False, messages: Any = None) -> None:
        zone(tz, "tz")
        self.table = table
        self.load = load
        self.include_pii = include_pii
        self._today = today
        self.numbers = DailyCube(table)
        self.same_age = SameAge(self.numbers)  # the tiles' changes: the previous period at the same age
        self._hold = False
        self._widget: Any = None
        self.last_update_ms = 0.0
        #: False when the export has no open information at all: Opens is unknown, never 0
        self.opens_info = self.numbers.has_open_info(Selection(tz))

        if start is None or end is None:
            newest = newest_date(table, tz) or today_in(tz)
            start, end = latest_full_week(newest)

        c = layout.controls(tz=tz, start=start, end=end, campaigns=self.numbers.campaigns,
                            senders=self.numbers.senders)
        self.preset, self.start, self.end, self.tz = c.preset, c.start, c.end, c.tz
        self.campaigns, self.senders, self.group_by, self.sort_by, self.drill = (c.campaigns, c.senders, c.group_by,
                                                                                 c.sort_by, c.drill)
        self._controls = c
        for control in (self.start, self.end, self.campaigns, self.senders, self.group_by, self.sort_by,
                        self.drill):
            control.observe(self._changed, names="value")
        self.preset.observe(self._preset_changed, names="value")
        self.tz.observe(self._tz_changed, names="value")

        # ---------------------------------------------------------------- outputs
        self.tiles = {m: w.HTML(layout=w.Layout(margin="0")) for m in KPIS}
        self.caveats = w.HTML()  # how the changes were compared (naive where event times are unknown)
        self.period = w.HTML()
        self.status = w.HTML()
        self.data_note = w.HTML(text.data_note(table, load, self.opens_info))
        self.table_html = w.HTML()
        self.drill_html = w.HTML()
        figure = figure_widget_class()
        self.funnel = figure(charts.build_funnel(text.empty_stats()))
        self.states = figure(charts.build_state_breakdown(text.empty_stats(["state"])))
        self.trend = figure(charts.build_trend(text.empty_stats(["week"]), weeks=TREND_WEEKS,
                                               end_week=monday_of(end).isoformat()))
        self.rates = RatesView(figure)  # by rate: dot and whisker, A/B with the verdict
        self.comparison = self.rates.chart
        self.events = EventsView(self.numbers, messages, figure, TREND_WEEKS)  # toggle, activity, triangle, steps
        for fig in self._figures():
            fig._config = {**fig._config, **FIGURE_CONFIG}
        self.states.layout.margin.r = 90  # room for the "406 · 80.7%" labels outside the longest bar
        self.update()

    @classmethod
    def from_paths(cls, paths: Sequence[str | Path] | str | Path | None = None,
                   messages: Sequence[str | Path] | str | Path | None = None, source_tz: str | None = None,
                   tz: str | None = None, **kwargs: Any) -> Dashboard:
        """Load exports and build the dashboard.

        Arguments left as None (or empty) come from the environment, else the sample data and UTC
        (:func:`talentstats.dashboard.config.load_arguments`).

        Args:
            paths: export files or folders, or a dataset folder.
            messages: message exports giving opens.
            source_tz: time zone of timestamps without a UTC offset.
            tz: initial report time zone.
            **kwargs: the other arguments of :class:`Dashboard`.

        Returns:
            The dashboard.

        Raises:
            UsageError: ``tz`` or ``source_tz`` is not a time zone.
            InputError: an export that cannot be read.
        """
        args = load_arguments(paths, messages, source_tz, tz)
        zone(args.tz, "tz")
        loaded = read_reach_outs(args.paths, messages=args.messages, source_tz=args.source_tz)
        return cls(loaded.table, loaded.report, tz=args.tz, messages=loaded.messages, **kwargs)

    # -------------------------------------------------------------------- numbers
    def _selection(self) -> Selection:
        return Selection(self.tz.value, tuple(self.campaigns.value), tuple(self.senders.value))

    def cube(self, tz: str | None = None) -> pd.DataFrame:
        """Additive counts by day (number), campaign, sender and state (cached per time zone).

        Args:
            tz: the time zone; default the selected one.

        Returns:
            See :meth:`talentstats.dashboard.cube.DailyCube.frame`.
        """
        return self.numbers.frame(tz or self.tz.value)

    def stats(self, by: str | None = None, start: dt.date | None = None, end: dt.date | None = None
              ) -> pd.DataFrame:
        """campaign_stats for the selected range and filters (or another range), computed from the cube.

        Results are remembered per (key, range, time zone, selections): do not modify the returned frame.

        Args:
            by: None, or campaign, sender, state, week or day.
            start: first day; default the selected one.
            end: last day; default the selected one.

        Returns:
            The statistics, as :func:`talentstats.stats.metrics.campaign_stats` returns them.

        Raises:
            UsageError: ``by`` is not a key the dashboard groups by.
        """
        return self.stats_many([(by, start, end)])[0]

    def stats_many(self, requests: Sequence[tuple[str | None, dt.date | None, dt.date | None]]
                   ) -> list[pd.DataFrame]:
        """:meth:`stats` for several (by, start, end) at once, with a single
        :func:`~talentstats.stats.metrics.finish` (see :meth:`talentstats.dashboard.cube.DailyCube.stats_many`).

        Args:
            requests: (by, start, end) each; a date left None is the selected one.

        Returns:
            One statistics frame per request, in order.

        Raises:
            UsageError: a key the dashboard does not group by.
        """
        resolved = [(by, start or self.start.value, end or self.end.value) for by, start, end in requests]
        return self.numbers.stats_many(resolved, self._selection())

    def forget(self) -> None:
        """Forget the remembered statistics (they are recomputed on the next update; the cubes are kept)."""
        self.numbers.forget()

    def kpis(self) -> dict[str, Any]:
        """The tile values for the selected range.

        Returns:
            {metric: value}, None when unknown or undefined.
        """
        return stats_dicts(self.stats())[0]

    def compared(self, start: dt.date | None = None, end: dt.date | None = None) -> Compared:
        """The range against the previous period of the same length, at the same age where event times are known
        (:meth:`talentstats.dashboard.sameage.SameAge.compare`; default: the selected range)."""
        return self.same_age.compare(start or self.start.value, end or self.end.value, self._selection())

    def kpi_text(self) -> str:
        """The KPIs of the selected range as plain text, with the change against the previous period.

        Returns:
            See :func:`talentstats.dashboard.text.kpi_text`; a hint when the range is not valid.
        """
        start, end = self.start.value, self.end.value
        if start is None or end is None or end < start:
            return "Choose a start date on or before the end date."
        return text.kpi_text(start, end, self.tz.value, self._scope_text(), self.compared(start, end))

    def _scope_text(self) -> str:
        return text.scope_text(self.campaigns.value, self.senders.value)

    def drill_rows(self, metric: str, limit: int | None = None) -> pd.DataFrame:
        """The reach outs behind a tile: the rows of :func:`talentstats.stats.metrics.members` for the range,
        filtered by the selections.

        Args:
            metric: one of :data:`talentstats.stats.metrics.COUNTS`.
            limit: at most this many rows (the first ones).

        Returns:
            Columns reach_out_id, campaign, sender, state, created_at; prospect name and email only with
            ``include_pii``.

        Raises:
            UsageError: ``metric`` is not a count.
        """
        return self._rows(self._row_numbers(metric), limit)

    def _row_numbers(self, metric: str) -> np.ndarray:
        return self.numbers.rows(metric, self.start.value, self.end.value, self._selection())

    def _rows(self, rows: np.ndarray, limit: int | None) -> pd.DataFrame:
        if limit is not None:
            rows = rows[:limit]
        cols = ["reach_out_id", "campaign", "sender", "state", "created_at"]
        if self.include_pii:
            cols += list(PII_LABELS)
        # only these columns, and only these rows of them (copying whole columns of a big table is what costs)
        return pd.DataFrame({c: self.table[c].take(rows).reset_index(drop=True) for c in cols})

    # -------------------------------------------------------------------- events
    def _preset_changed(self, change: dict) -> None:
        if change["new"] != "custom":
            self._apply_preset()

    def _apply_preset(self) -> None:
        s, e = preset_range(self.preset.value, self._today or today_in(self.tz.value))
        self._hold = True
        try:
            self.start.value, self.end.value = s, e
        finally:
            self._hold = False
        self.update()

    def _tz_changed(self, change: dict) -> None:
        if self._hold:
            return
        if self.preset.value != "custom" and self._today is None:
            self._apply_preset()  # "today" may be another date in the new time zone
        else:
            self.update()

    def _changed(self, change: dict) -> None:
        if self._hold:
            return
        owner = change["owner"]
        if owner in (self.start, self.end) and self.preset.value != "custom":
            self._hold = True
            try:
                self.preset.value = "custom"
            finally:
                self._hold = False
        # controls that change no number refresh only what they show
        parts = {self.sort_by: ("table",), self.group_by: ("comparison", "table"), self.drill: ("drill",)}
        self.update(parts.get(owner))

    def set_range(self, start: dt.date, end: dt.date) -> None:
        """Change both dates with a single update.

        Args:
            start: first day.
            end: last day.
        """
        self._hold = True
        try:
            self.start.value, self.end.value = start, end
            self.preset.value = "custom"
        finally:
            self._hold = False
        self.update()

    # -------------------------------------------------------------------- rendering
    def update(self, parts: Sequence[str] | None = None) -> None:
        """Recompute from the cube and refresh the outputs in place.

        Args:
            parts: what to refresh, of "numbers" (tiles, funnel, states, trend), "comparison", "table" and
                "drill"; default all.
        """
        t0 = time.perf_counter()
        start, end = self.start.value, self.end.value
        if start is None or end is None or end < start:
            self.status.value = '<span class="ts-line"><b>Choose a start date on or before the end date.</b></span>'
            return
        parts = set(parts or _ALL_PARTS)
        wanted: list[tuple[str | None, dt.date | None, dt.date | None]] = []
        if "numbers" in parts:
            wanted += [(None, start, end), ("state", start, end), ("week", *self._trend_range(end))]
        if parts & {"comparison", "table"}:
            wanted += [(self.group_by.value, start, end), (None, start, end)]
        self.stats_many(wanted)  # everything this update shows, in one finish call
        if "numbers" in parts:
            self._update_numbers(start, end)
        if "comparison" in parts:
            self.rates.update(self.stats(self.group_by.value), self.kpis(), self.group_by.value)
        if "table" in parts:
            self._update_table()
        if "drill" in parts:
            self._update_drill()
        self.events.update(start, end, self._selection(), self.group_by.value, self.sort_by.value, parts,
                           self._trend_range(end))
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        self.status.value = f'<span class="ts-muted">updated in {self.last_update_ms:.0f} ms</span>'

    @staticmethod
    def _trend_range(end: dt.date) -> tuple[dt.date, dt.date]:
        """The weeks of the trend chart: :data:`TREND_WEEKS` weeks ending with the week of ``end``."""
        monday = monday_of(end)
        return monday - dt.timedelta(weeks=TREND_WEEKS - 1), monday + dt.timedelta(days=6)

    def _update_numbers(self, start: dt.date, end: dt.date) -> None:
        c = self.compared(start, end)
        for m, tile in self.tiles.items():
            tile.value = verdicts.tile_html(m, c)
        self.caveats.value = verdicts.caveat_html(c)
        line = verdicts.compared_line(c, tiles=True)
        self.period.value = text.period_html(start, end, self.tz.value, self._scope_text(), line)
        now = self.kpis()
        charts.update_funnel(self.funnel, now)
        charts.update_state_breakdown(self.states, self.stats("state"))
        weekly = self.stats("week", *self._trend_range(end))
        charts.update_trend(self.trend, weekly, weeks=TREND_WEEKS, end_week=monday_of(end).isoformat())

    def _update_table(self) -> None:
        key = self.group_by.value
        by_key = self.stats(key)
        if by_key.empty:
            self.table_html.value = '<p class="ts-line">No reach outs in this range.</p>'
            return
        # rates with their 95 % interval, "7.8% (5.6–10.6)"
        display = charts.stats_table(with_intervals(by_key), [key], sort_by=self.sort_by.value, ascending=False,
                                     intervals=True)
        total = charts.stats_table(with_intervals(self.stats().assign(**{key: "Total"})), [key], intervals=True)
        table = charts.table_html(pd.concat([display, total], ignore_index=True))
        self.table_html.value = f'{layout.TABLE_SCROLL}<div class="ts-scroll">{table}</div>'

    def _update_drill(self) -> None:
        metric = self.drill.value
        if not metric:
            self.drill_html.value = ""
            return
        rows = self._row_numbers(metric)
        self.drill_html.value = text.drill_html(self._rows(rows, DRILL_LIMIT), len(rows), metric, self.tz.value)

    def _figures(self) -> tuple[Any, ...]:
        return self.funnel, self.states, self.trend, self.comparison, *self.events.figures()

    def widget(self) -> Any:
        """The whole dashboard as one ipywidgets box (built once).

        Returns:
            See :func:`talentstats.dashboard.layout.arrange`.
        """
        if self._widget is None:
            ev = self.events  # every slot follows the cohort/activity toggle
            figures = {"funnel": ev.slot([self.funnel], [ev.bars]), "states": ev.slot([self.states], [ev.states_note]),
                       "trend": ev.slot([self.trend], [ev.trend]),
                       "comparison": ev.slot([self.rates.box()], [ev.comparison])}
            self._widget = layout.arrange(
                self._controls, data_note=self.data_note, period=self.period, status=self.status, figures=figures,
                tiles=ev.slot([layout.tile_box(self.tiles), self.caveats], [ev.tile_box()]),
                include_pii=self.include_pii,
                table_html=ev.slot([self.table_html], [ev.table_html]),
                drill_html=ev.slot([self.drill_html], [ev.drill_note, self.drill_html]),
                mode=w.HBox([ev.mode, ev.mode_text], layout=w.Layout(align_items="center", grid_gap="12px")),
                sections=[ev.section()])
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        for fig in self._figures():
            # a FigureWidget syncs its current figure to the front end only when it is displayed itself; as a
            # child of a box it would show the figure it was created with until the next update
            fig._repr_mimebundle_()
        bundle = self.widget()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "Campaign dashboard (interactive: run the notebook, or `talentstats dashboard`)"
        return bundle
