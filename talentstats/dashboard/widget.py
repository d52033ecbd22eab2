"""The interactive campaign dashboard: ipywidgets controls over plotly FigureWidgets.

All numbers come from a :class:`~talentstats.dashboard.cube.DailyCube`: a change of date range or filter only
slices the daily cube of the report time zone, and every figure is updated in place (trace updates, never
re-created). The notebook ``notebooks/campaign_dashboard.ipynb`` only builds and shows a :class:`Dashboard`;
``talentstats dashboard`` serves that notebook with Voilà (:mod:`talentstats.serve`).

Built ``staged``, the dashboard first makes what the first screen needs (controls, tiles, funnel) so that it can be
shown at once, and :meth:`Dashboard.finish` then adds the rest (states, trend, comparison, the activity view, how
replies arrive, tables) into the boxes already on the page, which say "Loading…" until then.
"""

from __future__ import annotations

import datetime as dt
import html
import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from talentstats.dashboard import layout, text, verdicts, warm
from talentstats.dashboard.bundle import FIGURE_CONFIG, figure_widget_class
from talentstats.dashboard.config import ENV_DEBUG, env_text, load_arguments, loaded_file
from talentstats.dashboard.cube import DailyCube, Selection
from talentstats.dashboard.eventsview import EventsView, relayout_later
from talentstats.dashboard.numbersapi import DashboardNumbers
from talentstats.dashboard.rangenames import CUSTOM, DATE_ERROR, range_options
from talentstats.dashboard.ratesview import RatesView
from talentstats.dashboard.sameage import SameAge
from talentstats.dashboard.text import DRILL_LIMIT, KPIS
from talentstats.load.accounting import LoadReport
from talentstats.load.loader import read_reach_outs
from talentstats.present import charts
from talentstats.present.report_html import scroll_box
from talentstats.stats.intervals import with_intervals
from talentstats.stats.metrics import newest_date
from talentstats.stats.periods import latest_full_week, monday_of, preset_range, today_in, week_label, zone

__all__ = ["TREND_WEEKS", "Dashboard"]

#: weeks in the trend chart, ending with the week of the range's last day
TREND_WEEKS = 12
_ALL_PARTS = ("numbers", "comparison", "table", "drill")
#: the boxes filled by :meth:`Dashboard.finish`, in page order
_LATER = ("mode", "states", "trend", "sections", "comparison", "table", "drill")


class Dashboard(DashboardNumbers):
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
        staged: build only the first screen now (:meth:`finish` builds the rest).
        debug: show how long each update took, under the tiles.

    Raises:
        UsageError: ``tz`` is not a time zone.
    """

    def __init__(self, table: pd.DataFrame, load: LoadReport | None = None, tz: str = "UTC",
                 start: dt.date | None = None, end: dt.date | None = None, today: dt.date | None = None,
                 include_pii: bool = False, messages: Any = None, staged: bool = False, debug: bool = False) -> None:
        zone(tz, "tz")
        self.table, self.load, self.include_pii, self.debug = table, load, include_pii, debug
        self._today, self._messages = today, messages
        self.numbers = DailyCube(table)
        self.same_age = SameAge(self.numbers)  # the tiles' changes: the previous period at the same age
        self._hold = False
        self._widget: Any = None
        self.last_update_ms = 0.0
        self.stale = False  #: the numbers shown are not those of the controls (the dates are not a range)
        #: False when the export has no open information at all: Opens is unknown, never 0
        self.opens_info = self.numbers.has_open_info(Selection(tz))

        if start is None or end is None:
            newest = newest_date(table, tz) or today_in(tz)
            start, end = latest_full_week(newest)

        c = layout.controls(tz=tz, start=start, end=end, campaigns=self.numbers.campaigns,
                            senders=self.numbers.senders)
        self.preset, self.start, self.end, self.tz, self.date_error = c.preset, c.start, c.end, c.tz, c.date_error
        self.campaigns, self.senders, self.group_by, self.sort_by, self.drill = (c.campaigns, c.senders, c.group_by,
                                                                                 c.sort_by, c.drill)
        self._controls = c
        self._name_range()
        for control in (self.start, self.end, self.campaigns, self.senders, self.group_by, self.sort_by,
                        self.drill):
            control.observe(self._changed, names="value")
        self.preset.observe(self._preset_changed, names="value")
        self.tz.observe(self._tz_changed, names="value")

        # ------------------------------------------------------------ the first screen: tiles and funnel
        self.tiles = {m: w.HTML(layout=w.Layout(margin="0")) for m in KPIS}
        self.caveats = w.HTML()  # how the changes were compared (naive where event times are unknown)
        self.period = w.HTML()
        self.status = w.HTML()  # how long the update took: only with ``debug``
        self.data_note = w.HTML(text.data_note(table, load, self.opens_info))
        self.table_html = w.HTML()
        self.drill_html = w.HTML()
        self._figure = figure_widget_class()
        self.funnel = self._figure(charts.build_funnel(text.empty_stats()))
        self.funnel._config = {**self.funnel._config, **FIGURE_CONFIG}
        self._tile_box = layout.tile_box(self.tiles)
        self._boxes = {"funnel": w.VBox([self.funnel]), "tiles": w.VBox([self._tile_box, self.caveats]),
                       **{name: w.VBox([layout.loading(name)]) for name in _LATER}}
        self.states: Any = None
        self.trend: Any = None
        self.rates: Any = None
        self.comparison: Any = None
        self.events: Any = None
        self.ready = False  #: :meth:`finish` has built everything
        self.update()
        if not staged:
            self.finish()

    def finish(self) -> None:
        """Build the rest of the dashboard (once) and put it in its place on the page."""
        if self.ready:
            return
        figure = self._figure
        self.states = figure(charts.build_state_breakdown(text.empty_stats(["state"])))
        self.trend = figure(charts.build_trend(text.empty_stats(["week"]), weeks=TREND_WEEKS,
                                               end_week=monday_of(self.end.value or dt.date.today()).isoformat()))
        self.rates = RatesView(figure)  # by rate: dot and whisker, A/B with the verdict
        self.comparison = self.rates.chart
        self.events = EventsView(self.numbers, self._messages, figure, TREND_WEEKS)  # toggle, activity, triangle
        for fig in self._figures():
            fig._config = {**fig._config, **FIGURE_CONFIG}
        self.states.layout.margin.r = 90  # room for the "406 · 80.7%" labels outside the longest bar
        self.trend.update_layout(yaxis2_automargin=True)  # the rate axis' title whole on a phone
        self.ready = True
        self.update()
        ev = self.events  # every slot follows the cohort/activity toggle
        # the first screen's boxes stay (a FigureWidget drawn again in a new box shows its first figure)
        ev.adopt(self._boxes["funnel"], [self.funnel], [ev.bars])
        ev.adopt(self._boxes["tiles"], [self._tile_box, self.caveats], [ev.tile_box()])
        fills = {"mode": w.HBox([ev.mode, ev.mode_text], layout=w.Layout(align_items="center", grid_gap="12px")),
                 "states": ev.slot([self.states], [ev.states_note]), "trend": ev.slot([self.trend], [ev.trend]),
                 "sections": ev.section(), "comparison": ev.slot([self.rates.box()], [ev.comparison]),
                 "table": ev.slot([self.table_html], [ev.table_html]),
                 "drill": ev.slot([self.drill_html], [ev.drill_note, self.drill_html])}
        if self._widget is not None:
            self._sync_figures(self._figures()[1:])  # (the figures made now, before they are shown)
        for name, widget in fills.items():
            self._boxes[name].children = (widget,)
        relayout_later(self._figures()[1:], 1.0, 3.0)  # (drawn before their boxes had a width)

    @classmethod
    def from_paths(cls, paths: Sequence[str | Path] | str | Path | None = None,
                   messages: Sequence[str | Path] | str | Path | None = None, source_tz: str | None = None,
                   tz: str | None = None, **kwargs: Any) -> Dashboard:
        """Load exports and build the dashboard.

        Arguments left as None (or empty) come from the environment, else the sample data and UTC
        (:func:`talentstats.dashboard.config.load_arguments`); started by ``talentstats dashboard`` with none of
        them given, the exports as the server loaded them are read (:func:`~talentstats.dashboard.config.loaded_file`).

        Args:
            paths: export files or folders, or a dataset folder.
            messages: message exports giving opens.
            source_tz: time zone of timestamps without a UTC offset.
            tz: initial report time zone.
            **kwargs: the other arguments of :class:`Dashboard` (``debug`` defaults to ``$TALENTSTATS_DEBUG``).

        Returns:
            The dashboard.

        Raises:
            UsageError: ``tz`` or ``source_tz`` is not a time zone.
            InputError: an export that cannot be read.
        """
        given = any(a not in (None, [], "") for a in (paths, messages, source_tz))
        args = load_arguments(paths, messages, source_tz, tz)
        zone(args.tz, "tz")
        kwargs.setdefault("debug", bool(env_text(ENV_DEBUG)))
        kept = None if given else loaded_file()
        if kept is not None:
            read = warm.taken(str(kept))  # (read by the kernel's warm-up already)
            if read is None:
                with kept.open("rb") as f:  # written by talentstats.serve in its private folder
                    read = pickle.load(f)  # noqa: S301
            table, report, loaded_messages = read
            return cls(table, report, tz=args.tz, messages=loaded_messages, **kwargs)
        loaded = read_reach_outs(args.paths, messages=args.messages, source_tz=args.source_tz)
        return cls(loaded.table, loaded.report, tz=args.tz, messages=loaded.messages, **kwargs)

    # -------------------------------------------------------------------- events
    def _today_now(self) -> dt.date:
        return self._today or today_in(self.tz.value)

    def _name_range(self) -> None:
        """Say in the Range box what the dates are: a preset, else their name (never a bare "custom")."""
        start, end = self.start.value, self.end.value
        if start is None or end is None:
            return
        options, value = range_options(start, end, self._today_now())
        self._hold, held = True, self._hold
        try:
            self.preset.options = options
            self.preset.value = value
        finally:
            self._hold = held

    def _preset_changed(self, change: dict) -> None:
        if not self._hold and change["new"] != CUSTOM:
            self._apply_preset()

    def _apply_preset(self) -> None:
        s, e = preset_range(self.preset.value, self._today_now())
        self._hold = True
        try:
            self.start.value, self.end.value = s, e
        finally:
            self._hold = False
        self.update()

    def _tz_changed(self, change: dict) -> None:
        if self._hold:
            return
        if self.preset.value != CUSTOM and self._today is None:
            self._apply_preset()  # "today" may be another date in the new time zone
        else:
            self.update()

    def _changed(self, change: dict) -> None:
        if self._hold:
            return
        owner = change["owner"]
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
        finally:
            self._hold = False
        self.update()

    # -------------------------------------------------------------------- rendering
    def update(self, parts: Sequence[str] | None = None) -> None:
        """Recompute from the cube and refresh the outputs in place.

        When the dates are not a range, the error is said beside them and the outputs, left as they were, are
        marked stale (:attr:`stale`) until the dates are fixed.

        Args:
            parts: what to refresh, of "numbers" (tiles, funnel, states, trend), "comparison", "table" and
                "drill"; default all.
        """
        t0 = time.perf_counter()
        start, end = self.start.value, self.end.value
        self._name_range()
        if start is None or end is None or end < start:
            self.date_error.value = f'<span class="ts-error" role="alert">{html.escape(DATE_ERROR)}</span>'
            self._mark_stale(True)
            return
        was_stale = self.stale
        self.date_error.value = ""
        self._mark_stale(False)
        parts = set(_ALL_PARTS if parts is None or was_stale else parts)
        if not self.ready:
            parts &= {"numbers"}  # the first screen: tiles and funnel
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
        if self.ready:
            self.events.update(start, end, self._selection(), self.group_by.value, self.sort_by.value, parts,
                               self._trend_range(end))
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        if self.debug:
            self.status.value = f'<span class="ts-muted">updated in {self.last_update_ms:.0f} ms</span>'

    def _mark_stale(self, stale: bool) -> None:
        self.stale = stale
        if self._widget is not None:
            (self._widget.add_class if stale else self._widget.remove_class)("ts-stale")

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
        charts.update_funnel(self.funnel, self.kpis())
        if not self.ready:
            return
        charts.update_state_breakdown(self.states, self.stats("state"))
        weekly = self.stats("week", *self._trend_range(end))
        end_week = monday_of(end)
        charts.update_trend(self.trend, weekly, weeks=TREND_WEEKS, end_week=end_week.isoformat(),
                            title=f"Weekly trend: {TREND_WEEKS} weeks to {week_label(end_week)}")
        layout.mark_range(self.trend, TREND_WEEKS, (end_week - monday_of(start)).days // 7)

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
        self.table_html.value = layout.TABLE_SCROLL + scroll_box(table, f"Statistics by {key}")

    def _update_drill(self) -> None:
        metric = self.drill.value
        if not metric:
            self.drill_html.value = ""
            return
        rows = self._row_numbers(metric)
        shown = text.drill_html(self._rows(rows, DRILL_LIMIT), len(rows), metric, self.tz.value)
        self.drill_html.value = scroll_box(shown, "Reach outs behind the number")

    def _figures(self) -> tuple[Any, ...]:
        if not self.ready:
            return (self.funnel,)
        return self.funnel, self.states, self.trend, self.comparison, *self.events.figures()

    def widget(self) -> Any:
        """The whole dashboard as one ipywidgets box (built once).

        Returns:
            See :func:`talentstats.dashboard.layout.arrange`.
        """
        if self._widget is None:
            b = self._boxes
            self._widget = layout.arrange(
                self._controls, data_note=self.data_note, period=self.period, status=self.status,
                figures={"funnel": b["funnel"], "states": b["states"], "trend": b["trend"],
                         "comparison": b["comparison"]},
                tiles=b["tiles"], include_pii=self.include_pii, table_html=b["table"], drill_html=b["drill"],
                mode=b["mode"], sections=[b["sections"]])
            self._mark_stale(self.stale)
        return self._widget

    def _sync_figures(self, figures: Sequence[Any] = ()) -> None:
        for fig in figures or self._figures():
            # a FigureWidget syncs its current figure to the front end only when it is displayed itself; as a
            # child of a box it would show the figure it was created with until the next update
            fig._repr_mimebundle_()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self._sync_figures()
        bundle = self.widget()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "Campaign dashboard (interactive: run the notebook, or `talentstats dashboard`)"
        return bundle
