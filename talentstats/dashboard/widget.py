"""The interactive campaign dashboard: ipywidgets controls over plotly FigureWidgets.

All numbers come from one daily cube per report time zone: additive counts (the flags of
:func:`talentstats.stats.metrics.flag_exprs`, the same ones :func:`~talentstats.stats.metrics.stat_counts` sums) by local
day, campaign, sender and state. A change of date range or filter only slices that small cube and turns its
sums into statistics with :func:`talentstats.stats.metrics.finish`, and every figure is updated in place (trace
updates, never re-created). The notebook ``notebooks/campaign_dashboard.ipynb`` only builds and shows a
:class:`Dashboard`; ``talentstats dashboard`` serves that notebook with Voilà (:mod:`talentstats.serve`).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from talentstats.load.accounting import LoadReport
from talentstats.load.loader import read_reach_outs
from talentstats.present import charts
from talentstats.stats.metrics import COUNTS, RATES, check_keys, finish, flag_exprs, stats_dicts
from talentstats.stats.periods import (
    PRESETS,
    latest_full_week,
    preset_range,
    previous_period,
    range_instants,
    today_in,
    zone,
)
from talentstats.stats.states import STATES
from talentstats.weekly import change_text, default_data

#: additive counts kept per cube cell (the columns ``stat_counts`` returns besides its keys)
FLAGS: tuple[str, ...] = ("reach_outs", "in_progress", "opens", "responses", "interested", "opens_unknown")
TIME_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Lisbon", "America/New_York", "America/Chicago",
              "America/Los_Angeles", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]
KPIS = ("reach_outs", "in_progress", "opens", "responses", "interested", "open_rate", "response_rate",
        "interested_rate", "interested_of_responses")
TREND_WEEKS = 12
DRILL_LIMIT = 500
#: environment variables through which ``talentstats dashboard`` hands its arguments to the notebook's kernel
ENV_DATA, ENV_MESSAGES, ENV_TZ, ENV_SOURCE_TZ = ("TALENTSTATS_DATA", "TALENTSTATS_MESSAGES", "TALENTSTATS_TZ",
                                                 "TALENTSTATS_SOURCE_TZ")
#: path (under the server's base URL) where the server serves plotly's FigureWidget bundle (set by serve.py)
ENV_FIGURE_ESM = "TALENTSTATS_FIGURE_ESM"

# The dashboard's figures use plotly's FigureWidget front end (its anywidget ESM) with two changes:
# - plotly sizes a FigureWidget once, when it is first drawn: in JupyterLab that is before the output has a width,
#   so every figure stayed 700 px wide (clipped in a half-width column). The figures are "responsive" and a
#   ResizeObserver redraws them at their container's width whenever it changes.
# - every FigureWidget ships plotly's ~5 MB bundle and the browser loads it once per figure; anywidget gives each
#   model 2 s for that and a model that misses the deadline silently drops every later update (the figure
#   freezes). When served (talentstats dashboard), the bundle is imported from one URL instead: loaded once per
#   page and shared by all figures.
_RESIZING = """
function talentstatsResizing(factory) {
  return () => {
    const widget = factory();
    return {
      initialize: (context) => widget.initialize(context),
      render(context) {
        const cleanup = widget.render(context);
        const el = context.el;
        const observer = new ResizeObserver(() => el._responsiveChartHandler && el._responsiveChartHandler());
        observer.observe(el);
        return () => { observer.disconnect(); if (typeof cleanup === "function") cleanup(); };
      },
    };
  };
}
"""
_SHARED_ESM = """const config = document.getElementById("jupyter-config-data");
const base = (config && JSON.parse(config.textContent).baseUrl) || "/";
const bundle = await import(new URL(base + %s, window.location.origin).href);
""" + _RESIZING + """export default talentstatsResizing(bundle.default);
"""
_FIGURE_CONFIG = {"responsive": True, "displaylogo": False}

_EPOCH = dt.date(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US_PER_DAY = 86_400_000_000
_PII_LABELS = {"prospect_name": "Prospect", "prospect_email": "Email"}

DASHBOARD_CSS = """<style>
.ts-tile{border:1px solid #d9e2ec;border-radius:6px;padding:6px 12px;width:160px;box-sizing:border-box;
font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;background:#fff}
.ts-tile .l{font-size:12px;color:#52606d;white-space:nowrap;line-height:1.4}
.ts-tile .v{font-size:22px;font-weight:600;color:#1f2933;font-variant-numeric:tabular-nums;white-space:nowrap;
line-height:1.3}
.ts-tile .v.unknown{color:#7b8794;font-style:italic;font-weight:500}
.ts-tile .c{font-size:11px;color:#52606d;overflow-wrap:anywhere;line-height:1.35;margin-top:2px}
.ts-line{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#3e4c59}
.ts-muted{color:#7b8794;font-size:11px}
.ts-h{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:17px;font-weight:600;color:#2b2b2b;
margin:18px 0 4px 0}
</style>"""


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def env_paths(name: str) -> list[Path]:
    """Paths in environment variable ``name`` (separated by ``os.pathsep``, like PATH); [] when unset."""
    return [Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p.strip()]


@dataclass(frozen=True)
class _Base:
    """Time-zone independent arrays of the table: creation instants, flags and codes (computed once)."""

    created_us: np.ndarray  # int64 microseconds since the epoch (UTC)
    flags: np.ndarray  # 0/1 as float64, shape (rows, len(FLAGS)), column-major
    campaign: np.ndarray  # int64 codes into campaigns
    campaigns: list[str]
    sender: np.ndarray
    senders: list[str]
    state: np.ndarray  # int64 state codes
    open_info: np.ndarray  # bool (campaigns, senders): some reach out of the pair has open information

    @classmethod
    def of(cls, table: pd.DataFrame) -> _Base:
        flags = nw.from_native(table).select(**flag_exprs()).to_native()
        matrix = np.empty((len(table), len(FLAGS)), dtype=np.float64, order="F")  # bincount weights: fast
        matrix[:, 0] = 1
        for j, k in enumerate(FLAGS[1:], start=1):
            matrix[:, j] = flags[k].fillna(0).to_numpy(dtype=np.float64)
        created = table["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        campaign, campaigns = pd.factorize(table["campaign"], sort=True, use_na_sentinel=False)
        sender, senders = pd.factorize(table["sender"], sort=True, use_na_sentinel=False)
        open_info = np.zeros((len(campaigns), len(senders)), dtype=bool)
        known = table["opened"].notna().to_numpy(dtype=bool)
        open_info[campaign[known], sender[known]] = True
        return cls(created.to_numpy().view(np.int64), matrix, campaign.astype(np.int64), list(campaigns),
                   sender.astype(np.int64), list(senders), table["state"].to_numpy(dtype=np.int64), open_info)


@dataclass(frozen=True)
class _Cube:
    """Additive counts by local day, campaign, sender and state in one time zone, sorted by day."""

    day: np.ndarray  # days since 1970-01-01 of the local creation date
    campaign: np.ndarray  # codes
    sender: np.ndarray
    state: np.ndarray
    counts: np.ndarray  # int64, shape (cells, len(FLAGS))

    @classmethod
    def of(cls, base: _Base, table: pd.DataFrame, tz: str) -> _Cube:
        if not len(table):
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty, np.zeros((0, len(FLAGS)), dtype=np.int64))
        local = table["created_at"].dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[us]")
        day = local.to_numpy().view(np.int64) // _US_PER_DAY
        d0 = int(day.min())
        nc, ns = len(base.campaigns), len(base.senders)
        key = (((day - d0) * nc + base.campaign) * ns + base.sender) * 10 + base.state
        size = (int(day.max()) - d0 + 1) * nc * ns * 10
        if size <= 8 * len(key) + 1_000_000:  # dense cell numbers: count per cell, keep the cells in use
            used = np.bincount(key, minlength=size)
            cells = np.flatnonzero(used)
            inverse = np.cumsum(used > 0)[key] - 1
        else:  # many campaigns x senders: sort instead
            cells, inverse = np.unique(key, return_inverse=True)
        counts = _sum_rows(len(cells), inverse, base.flags)  # cells ascending: sorted by day first
        rest, state = np.divmod(cells, 10)
        rest, sender = np.divmod(rest, ns)
        rest, campaign = np.divmod(rest, nc)
        return cls(rest + d0, campaign, sender, state, counts)

    def to_frame(self, base: _Base) -> pd.DataFrame:
        """The cube as a stat_counts-like frame (day as a day number; campaign and sender as names)."""
        frame = pd.DataFrame({"day": self.day, "campaign": [base.campaigns[i] for i in self.campaign],
                              "sender": [base.senders[i] for i in self.sender], "state": self.state})
        for i, k in enumerate(FLAGS):
            frame[k] = self.counts[:, i]
        return frame


def _sum_rows(groups: int, inverse: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sums of the rows of ``values`` per group ``inverse[i]`` (one bincount per column: fast and exact)."""
    out = np.zeros((groups, values.shape[1]), dtype=np.int64)
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(inverse, weights=values[:, j], minlength=groups).astype(np.int64)
    return out


class Dashboard:
    """Campaign dashboard over a canonical Reach Out table (pandas).

    Parameters
    ----------
    table : the canonical table (see :mod:`talentstats.load.columns`).
    load : the LoadReport of the load, summarised under the controls.
    tz : initial report time zone.
    start, end : initial date range; default the newest complete week in the data.
    today : "today" for the presets (default: today in the selected time zone).
    include_pii : show prospect names and emails in the drill-down.
    """

    def __init__(self, table: pd.DataFrame, load: LoadReport | None = None, tz: str = "UTC",
                 start: dt.date | None = None, end: dt.date | None = None, today: dt.date | None = None,
                 include_pii: bool = False) -> None:
        import ipywidgets as w

        zone(tz)
        self.table = table
        self.load = load
        self.include_pii = include_pii
        self._today = today
        self._base = _Base.of(table)
        self._cubes: dict[str, _Cube] = {}
        self._memos: dict[tuple, pd.DataFrame] = {}
        self._hold = False
        self._widget: Any = None
        self.last_update_ms = 0.0
        #: False when the export has no open information at all: Opens is unknown, never 0
        self.opens_info = bool(table["opened"].notna().any())

        if start is None or end is None:
            newest = table["created_at"].max().tz_convert(tz).date() if len(table) else today_in(tz)
            start, end = latest_full_week(newest)

        # ---------------------------------------------------------------- controls
        label = {"description_width": "84px"}
        self.preset = w.Dropdown(description="Range", options=["custom", *PRESETS], value="custom", style=label,
                                 layout=w.Layout(width="230px"))
        self.start = w.DatePicker(description="From", value=start, style=label, layout=w.Layout(width="230px"))
        self.end = w.DatePicker(description="To", value=end, style=label, layout=w.Layout(width="230px"))
        zones = TIME_ZONES if tz in TIME_ZONES else [tz, *TIME_ZONES]
        self.tz = w.Dropdown(description="Time zone", options=zones, value=tz, style=label,
                             layout=w.Layout(width="270px"))
        pick = w.Layout(width="360px")
        self.campaigns = w.SelectMultiple(description="Campaigns", options=_options(self._base.campaigns),
                                          rows=max(2, min(8, len(self._base.campaigns))), style=label, layout=pick)
        self.senders = w.SelectMultiple(description="Senders", options=_options(self._base.senders),
                                        rows=max(2, min(8, len(self._base.senders))), style=label, layout=pick)
        self.group_by = w.ToggleButtons(options=[("Campaign", "campaign"), ("Sender", "sender")],
                                        style={"button_width": "90px"})
        self.sort_by = w.Dropdown(description="Sort by", options=[(charts.METRIC_LABELS[m], m) for m in KPIS],
                                  value="reach_outs", style=label, layout=w.Layout(width="260px"))
        self.drill = w.Dropdown(description="Drill down",
                                options=[("—", "")] + [(charts.METRIC_LABELS[m], m) for m in COUNTS], value="",
                                style=label, layout=w.Layout(width="260px"))
        for control in (self.start, self.end, self.campaigns, self.senders, self.group_by, self.sort_by,
                        self.drill):
            control.observe(self._changed, names="value")
        self.preset.observe(self._preset_changed, names="value")
        self.tz.observe(self._tz_changed, names="value")

        # ---------------------------------------------------------------- outputs
        self.tiles = {m: w.HTML(layout=w.Layout(margin="0")) for m in KPIS}
        self.period = w.HTML()
        self.status = w.HTML()
        self.data_note = w.HTML(self._data_note())
        self.table_html = w.HTML()
        self.drill_html = w.HTML()
        figure = figure_widget_class()
        self.funnel = figure(charts.build_funnel(_empty_stats()))
        self.states = figure(charts.build_state_breakdown(_empty_stats(["state"])))
        self.trend = figure(charts.build_trend(_empty_stats(["week"]), weeks=TREND_WEEKS,
                                               end_week=_monday(end).isoformat()))
        self.comparison = figure(charts.build_comparison(_empty_stats(["campaign"]), key="campaign"))
        for fig in (self.funnel, self.states, self.trend, self.comparison):
            fig._config = {**fig._config, **_FIGURE_CONFIG}
        self.states.layout.margin.r = 90  # room for the "406 · 80.7%" labels outside the longest bar
        self.update()

    # -------------------------------------------------------------------- construction helpers
    @classmethod
    def from_paths(cls, paths: Sequence[str | Path] | str | Path | None = None,
                   messages: Sequence[str | Path] | str | Path | None = None, source_tz: str | None = None,
                   tz: str | None = None, **kwargs: Any) -> Dashboard:
        """Load exports and build the dashboard.

        Arguments left as None come from the environment (``TALENTSTATS_DATA``, ``TALENTSTATS_MESSAGES``: paths
        separated by ``os.pathsep``; ``TALENTSTATS_TZ``, ``TALENTSTATS_SOURCE_TZ``), else the sample data, UTC.
        """
        if paths is None or paths == [] or paths == "":
            paths = env_paths(ENV_DATA) or [default_data()]
        if messages is None or messages == [] or messages == "":
            messages = env_paths(ENV_MESSAGES) or None
        source_tz = source_tz or os.environ.get(ENV_SOURCE_TZ) or "UTC"
        tz = tz or os.environ.get(ENV_TZ) or "UTC"
        zone(tz)
        loaded = read_reach_outs(paths, messages=messages, source_tz=source_tz)
        return cls(loaded.table, loaded.report, tz=tz, **kwargs)

    # -------------------------------------------------------------------- numbers
    def _cube(self, tz: str | None = None) -> _Cube:
        tz = tz or self.tz.value
        if tz not in self._cubes:
            self._cubes[tz] = _Cube.of(self._base, self.table, tz)
        return self._cubes[tz]

    def cube(self, tz: str | None = None) -> pd.DataFrame:
        """Additive counts by day (number), campaign, sender and state in ``tz`` (cached per time zone)."""
        return self._cube(tz).to_frame(self._base)

    def _codes(self, names: Sequence[str], all_names: list[str]) -> np.ndarray | None:
        if not names:
            return None
        index = {n: i for i, n in enumerate(all_names)}
        return np.array([index[n] for n in names if n in index], dtype=np.int64)

    def _cells(self, start: dt.date, end: dt.date) -> tuple[_Cube, slice, np.ndarray | None]:
        """The cube, the slice of its cells in [start, end] and the filter mask over that slice (None = all)."""
        c = self._cube()
        lo, hi = np.searchsorted(c.day, [_day(start), _day(end) + 1])
        part = slice(int(lo), int(hi))
        mask = None
        for codes, values in ((self._codes(self.campaigns.value, self._base.campaigns), c.campaign),
                              (self._codes(self.senders.value, self._base.senders), c.sender)):
            if codes is not None:
                m = np.isin(values[part], codes)
                mask = m if mask is None else mask & m
        return c, part, mask

    def _selection_has_open_info(self) -> bool:
        """Whether any reach out of the selected campaigns and senders (any date) has open information."""
        known = self._base.open_info
        c = self._codes(self.campaigns.value, self._base.campaigns)
        s = self._codes(self.senders.value, self._base.senders)
        if c is not None:
            known = known[c, :]
        if s is not None:
            known = known[:, s]
        return bool(known.any())

    def counts(self, by: str | None = None, start: dt.date | None = None, end: dt.date | None = None
               ) -> pd.DataFrame:
        """Additive counts (stat_counts' columns) for the range and filters, total or by one key.

        ``by`` is campaign, sender, state, week or day (day and week as day numbers, as stat_counts gives them).
        """
        start, end = start or self.start.value, end or self.end.value
        c, part, mask = self._cells(start, end)
        counts = c.counts[part]
        if mask is not None:
            counts = counts[mask]
        if by is None:
            total = counts.sum(axis=0)
            if not self._selection_has_open_info():
                # as campaign_stats on the selected rows: without any open information there, Opens is unknown
                total[FLAGS.index("opens_unknown")] += 1
            return pd.DataFrame([total], columns=list(FLAGS))
        check_keys(by)
        keys = {"campaign": c.campaign, "sender": c.sender, "state": c.state, "day": c.day}
        if by == "week":
            day = c.day[part]
            key = day - (day + 3) % 7
        elif by in keys:
            key = keys[by][part]
        else:
            raise ValueError(f"the dashboard groups by campaign, sender, state, week or day, not {by!r}")
        if mask is not None:
            key = key[mask]
        groups, inverse = np.unique(key, return_inverse=True)
        sums = _sum_rows(len(groups), inverse, counts)
        names = {"campaign": self._base.campaigns, "sender": self._base.senders}.get(by)
        if names is not None:  # the table's own dtype, also when there is no group
            column = pd.array([names[g] for g in groups], dtype=self.table[by].dtype)
        else:
            column = groups.astype(np.int64)
        frame = pd.DataFrame(sums, columns=list(FLAGS))
        frame.insert(0, by, column)
        return frame

    def stats(self, by: str | None = None, start: dt.date | None = None, end: dt.date | None = None
              ) -> pd.DataFrame:
        """campaign_stats for the selected range and filters (or another range), computed from the cube.

        Results are remembered per (key, range, time zone, selections): do not modify the returned frame.
        """
        return self.stats_many([(by, start, end)])[0]

    def stats_many(self, requests: Sequence[tuple[str | None, dt.date | None, dt.date | None]]
                   ) -> list[pd.DataFrame]:
        """:meth:`stats` for several (by, start, end) at once, with a single :func:`~talentstats.stats.metrics.finish`.

        Without group keys finish works row by row, so the counts of every request go through one call (its
        per-call overhead is most of an update's cost); the group keys are put back afterwards, groups without
        reach outs dropped and rows sorted by key, as ``finish(counts, by)`` does.
        """
        keys = [self._memo_key(by, start or self.start.value, end or self.end.value) for by, start, end in requests]
        todo = list(dict.fromkeys(k for k in keys if k not in self._memos))
        if todo:
            if len(self._memos) > 512:
                self._memos.clear()
            parts = [self.counts(by, start, end) for _, by, start, end, *_ in todo]
            finished = finish(pd.concat([part[list(FLAGS)] for part in parts], ignore_index=True))
            offset = 0
            for key, part in zip(todo, parts, strict=True):
                rows = finished.iloc[offset:offset + len(part)].reset_index(drop=True)
                offset += len(part)
                self._memos[key] = _with_key(rows, part, key[1])
        return [self._memos[k] for k in keys]

    def forget(self) -> None:
        """Forget the remembered statistics (they are recomputed on the next update; the cubes are kept)."""
        self._memos.clear()

    def _memo_key(self, by: str | None, start: dt.date, end: dt.date) -> tuple:
        return ("stats", by, start, end, self.tz.value, tuple(self.campaigns.value), tuple(self.senders.value))

    def kpis(self) -> dict[str, Any]:
        """The tile values for the selected range: {metric: value} (None when unknown or undefined)."""
        return stats_dicts(self.stats())[0]

    def _totals(self, start: dt.date, end: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
        """Total statistics of [start, end] and of the previous period of the same length."""
        now, before = self.stats_many([(None, start, end), (None, *previous_period(start, end))])
        return stats_dicts(now)[0], stats_dicts(before)[0]

    def kpi_text(self) -> str:
        """The KPIs of the selected range as plain text, with the change against the previous period."""
        start, end = self.start.value, self.end.value
        if start is None or end is None or end < start:
            return "Choose a start date on or before the end date."
        now, before = self._totals(start, end)
        p_start, p_end = previous_period(start, end)
        lines = [f"Reach outs created {start:%a %d %b %Y} – {end:%a %d %b %Y} ({self.tz.value})",
                 f"Scope: {self._scope_text()}",
                 f"Change against the previous {(end - start).days + 1} days ({p_start:%d %b} – {p_end:%d %b %Y})"]
        for m in KPIS:
            lines.append(f"  {charts.METRIC_LABELS[m]:<24}{self._value_text(m, now):>10}   "
                         f"{change_text(m, now[m], before[m])}")
        return "\n".join(lines)

    def _value_text(self, metric: str, values: dict[str, Any]) -> str:
        if metric in ("opens", "open_rate") and values["opens"] is None:
            return charts.UNKNOWN_TEXT
        fmt = charts.fmt_count if metric in COUNTS else charts.fmt_rate
        return fmt(values[metric])

    def _scope_text(self) -> str:
        parts = []
        for what, chosen in (("campaign", self.campaigns.value), ("sender", self.senders.value)):
            if not chosen:
                parts.append(f"all {what}s")
            else:
                names = (charts.BLANK_LABEL if pd.isna(n) or not str(n).strip() else str(n) for n in chosen)
                parts.append(f"{what}{'s' if len(chosen) > 1 else ''} " + ", ".join(names))
        return "; ".join(parts)

    def drill_rows(self, metric: str, limit: int | None = None) -> pd.DataFrame:
        """The reach outs behind a tile: ids, campaign, sender, state, created; PII only when include_pii.

        The same rows as :func:`talentstats.stats.metrics.members` for the range, filtered by the selections.
        """
        rows = np.flatnonzero(self._drill_mask(metric))
        if limit is not None:
            rows = rows[:limit]
        cols = ["reach_out_id", "campaign", "sender", "state", "created_at"]
        if self.include_pii:
            cols += list(_PII_LABELS)
        # only these columns, and only these rows of them (copying whole columns of a big table is what costs)
        return pd.DataFrame({c: self.table[c].take(rows).reset_index(drop=True) for c in cols})

    def _drill_mask(self, metric: str) -> np.ndarray:
        if metric not in COUNTS:
            raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(COUNTS)}")
        b = self._base
        lo, hi = ((t - _EPOCH_UTC) // dt.timedelta(microseconds=1)
                  for t in range_instants(self.start.value, self.end.value, self.tz.value))
        mask = (b.created_us >= lo) & (b.created_us < hi)
        if metric != "reach_outs":
            mask &= b.flags[:, FLAGS.index(metric)] == 1
        for codes, values in ((self._codes(self.campaigns.value, b.campaigns), b.campaign),
                              (self._codes(self.senders.value, b.senders), b.sender)):
            if codes is not None:
                mask &= np.isin(values, codes)
        return mask

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
        """Change both dates with a single update."""
        self._hold = True
        try:
            self.start.value, self.end.value = start, end
            self.preset.value = "custom"
        finally:
            self._hold = False
        self.update()

    # -------------------------------------------------------------------- rendering
    def update(self, parts: Sequence[str] | None = None) -> None:
        """Recompute from the cube and refresh the outputs in place: all, or only some of
        "numbers" (tiles, funnel, states, trend), "comparison", "table" and "drill"."""
        t0 = time.perf_counter()
        start, end = self.start.value, self.end.value
        if start is None or end is None or end < start:
            self.status.value = '<span class="ts-line"><b>Choose a start date on or before the end date.</b></span>'
            return
        parts = set(parts or ("numbers", "comparison", "table", "drill"))
        wanted: list[tuple[str | None, dt.date | None, dt.date | None]] = []
        if "numbers" in parts:
            monday = _monday(end)
            wanted += [(None, start, end), (None, *previous_period(start, end)), ("state", start, end),
                       ("week", monday - dt.timedelta(weeks=TREND_WEEKS - 1), monday + dt.timedelta(days=6))]
        if parts & {"comparison", "table"}:
            wanted += [(self.group_by.value, start, end), (None, start, end)]
        self.stats_many(wanted)  # everything this update shows, in one finish call
        if "numbers" in parts:
            self._update_numbers(start, end)
        if "comparison" in parts:
            charts.update_comparison(self.comparison, self.stats(self.group_by.value), key=self.group_by.value)
        if "table" in parts:
            self._update_table()
        if "drill" in parts:
            self._update_drill()
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        self.status.value = f'<span class="ts-muted">updated in {self.last_update_ms:.0f} ms</span>'

    def _update_numbers(self, start: dt.date, end: dt.date) -> None:
        now, before = self._totals(start, end)
        for m, tile in self.tiles.items():
            tile.value = self._tile_html(m, now, before)
        p_start, p_end = previous_period(start, end)
        self.period.value = (
            f'<div class="ts-line"><b>{start:%a %d %b %Y} – {end:%a %d %b %Y}</b> '
            f"({html.escape(self.tz.value)}) · {html.escape(self._scope_text())}<br><span class=\"ts-muted\">"
            f"Changes compare with the previous {(end - start).days + 1} days, {p_start:%d %b} – {p_end:%d %b %Y}."
            f"</span></div>")
        charts.update_funnel(self.funnel, now)
        charts.update_state_breakdown(self.states, self.stats("state"))
        monday = _monday(end)
        weekly = self.stats("week", monday - dt.timedelta(weeks=TREND_WEEKS - 1), monday + dt.timedelta(days=6))
        charts.update_trend(self.trend, weekly, weeks=TREND_WEEKS, end_week=monday.isoformat())

    def _update_table(self) -> None:
        key = self.group_by.value
        by_key = self.stats(key)
        if by_key.empty:
            self.table_html.value = '<p class="ts-line">No reach outs in this range.</p>'
            return
        display = charts.stats_table(by_key, [key], sort_by=self.sort_by.value, ascending=False)
        total = charts.stats_table(self.stats().assign(**{key: "Total"}), [key])
        self.table_html.value = charts.table_html(pd.concat([display, total], ignore_index=True))

    def _tile_html(self, m: str, now: dict[str, Any], before: dict[str, Any]) -> str:
        value = self._value_text(m, now)
        unknown = " unknown" if value == charts.UNKNOWN_TEXT else ""
        return (f'<div class="ts-tile" data-metric="{m}"><div class="l">{charts.METRIC_LABELS[m]}</div>'
                f'<div class="v{unknown}">{html.escape(value)}</div>'
                f'<div class="c">{html.escape(change_text(m, now[m], before[m]))} vs previous</div></div>')

    def _update_drill(self) -> None:
        metric = self.drill.value
        if not metric:
            self.drill_html.value = ""
            return
        total = int(self._drill_mask(metric).sum())
        if not total:
            self.drill_html.value = (f'<p class="ts-line">No reach outs behind {charts.METRIC_LABELS[metric]} for '
                                     f"this range and selection.</p>")
            return
        shown = self.drill_rows(metric, limit=DRILL_LIMIT)
        shown["state"] = shown["state"].map(STATES)
        shown["created_at"] = shown["created_at"].dt.tz_convert(self.tz.value).dt.strftime("%Y-%m-%d %H:%M")
        shown = shown.rename(columns={"reach_out_id": "Reach Out ID", "campaign": "Campaign", "sender": "Sender",
                                      "state": "State", "created_at": "Created", **_PII_LABELS})
        more = f" (showing the first {DRILL_LIMIT:,})" if total > DRILL_LIMIT else ""
        caption = f"{total:,} reach outs behind {charts.METRIC_LABELS[metric]}{more}"
        self.drill_html.value = charts.table_html(shown, caption=caption)

    def _data_note(self) -> str:
        r = self.load
        newest = (f"newest reach out created {self.table['created_at'].max():%Y-%m-%d %H:%M} UTC"
                  if len(self.table) else "no reach outs")
        if r is None:
            text = f"{len(self.table):,} reach outs · {newest}"
        else:
            text = (f"{r.rows_loaded:,} reach outs loaded from {len(r.files)} file(s) · {r.rows_rejected:,} rows "
                    f"rejected · {r.duplicates_collapsed:,} duplicates collapsed · {newest}")
        if not self.opens_info:
            text += " · opens unknown: the export has no open information"
        return f'<span class="ts-muted">{html.escape(text)}</span>'

    def widget(self) -> Any:
        """The whole dashboard as one ipywidgets box (built once)."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        row = w.Layout(display="flex", flex_flow="row wrap", grid_gap="6px 16px", align_items="flex-start")
        hint = w.HTML('<span class="ts-muted">Ctrl- or Shift-click to pick several; none picked = all.</span>',
                      layout=w.Layout(margin="0 0 0 90px"))
        controls = w.VBox([
            w.HBox([self.preset, self.start, self.end, self.tz], layout=row),
            w.HBox([self.campaigns, self.senders], layout=row),
            hint,
            self.data_note,
        ])
        tile_rows = w.Layout(display="flex", flex_flow="row wrap", grid_gap="8px", margin="4px 0")
        tiles = w.VBox([w.HBox([self.tiles[m] for m in COUNTS], layout=tile_rows),
                        w.HBox([self.tiles[m] for m in RATES], layout=tile_rows)])
        half = w.Layout(flex="1 1 480px", min_width="420px")
        # columns (not rows): a figure stretches to the width of a column box, and can shrink with it
        funnel_box, states_box = w.VBox([self.funnel], layout=half), w.VBox([self.states], layout=half)
        charts_row = w.HBox([funnel_box, states_box], layout=w.Layout(display="flex", flex_flow="row wrap",
                                                                      width="100%"))
        compare_by = w.HBox([w.HTML('<span class="ts-line">Compare by</span>'), self.group_by],
                            layout=w.Layout(align_items="center", grid_gap="8px"))
        table_box = w.VBox([_heading("Campaigns and senders"), w.HBox([compare_by, self.sort_by], layout=row),
                            self.comparison, self.table_html])
        drill_box = w.VBox([
            _heading("Drill down"),
            w.HTML('<span class="ts-muted">The reach outs behind a tile, for the range and selections above'
                   f"{'' if self.include_pii else ' (ids only: prospect names and emails are not shown)'}.</span>"),
            self.drill, self.drill_html])
        self._widget = w.VBox([w.HTML(DASHBOARD_CSS), controls, self.period, tiles, self.status, charts_row,
                               self.trend, table_box, drill_box], layout=w.Layout(width="100%"))
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        for fig in (self.funnel, self.states, self.trend, self.comparison):
            # a FigureWidget syncs its current figure to the front end only when it is displayed itself; as a
            # child of a box it would show the figure it was created with until the next update
            fig._repr_mimebundle_()
        bundle = self.widget()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "Campaign dashboard (interactive: run the notebook, or `talentstats dashboard`)"
        return bundle


def _with_key(stats: pd.DataFrame, counts: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Row-wise finished ``stats`` of ``counts`` as ``finish(counts, by)`` returns them: the key column first
    (day and week as "YYYY-MM-DD"), groups without reach outs dropped, sorted by key."""
    if by is None:
        return stats
    key = counts[by]
    if by in ("day", "week"):
        key = pd.Series([(_EPOCH + dt.timedelta(days=int(n))).isoformat() for n in key], dtype="str")
    out = stats.copy()
    out.insert(0, by, key.array)
    out = out[counts["reach_outs"].to_numpy() > 0]
    return out.sort_values(by, kind="stable").reset_index(drop=True)


def _heading(text: str) -> Any:
    import ipywidgets as w

    return w.HTML(f'<h3 class="ts-h">{html.escape(text)}</h3>')


def plotly_widget_bundle() -> Path:
    """plotly's FigureWidget front-end bundle (the anywidget ESM of every FigureWidget)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"


def figure_widget_class() -> type:
    """The FigureWidget class of the dashboard's figures: plotly's, resizing with their container (see above).

    When $TALENTSTATS_FIGURE_ESM names where the server serves plotly's widget bundle, the figures import it from
    there; otherwise each embeds the bundle itself (plain plotly FigureWidget if its exports cannot be wrapped).
    """
    return _figure_class(os.environ.get(ENV_FIGURE_ESM, "").strip().lstrip("/"))


@functools.cache
def _figure_class(served_at: str) -> type:
    import plotly.graph_objects as go

    esm = _SHARED_ESM % json.dumps(served_at) if served_at else _embedded_esm()
    if esm is None:
        return go.FigureWidget
    return type("DashboardFigureWidget", (go.FigureWidget,), {"_esm": esm, "__module__": __name__})


def _embedded_esm() -> str | None:
    """plotly's bundle with its default export wrapped by talentstatsResizing (None if its exports changed)."""
    try:
        text = plotly_widget_bundle().read_text(encoding="utf-8")
    except OSError:
        return None
    exports = list(re.finditer(r"export\s*\{([^{}]*)\}", text))
    if not exports:
        return None
    last = exports[-1]
    specs = [part.strip() for part in last.group(1).split(",") if part.strip()]
    default = [spec.split(" as ")[0].strip() for spec in specs if spec.endswith(" as default")]
    if len(default) != 1 or not re.fullmatch(r"[\w$]+", default[0]):
        return None
    others = ",".join(spec for spec in specs if not spec.endswith(" as default"))
    head = f"export{{{others}}};const talentstatsPlotlyWidget={default[0]};"
    return text[:last.start()] + head + text[last.end():] + _RESIZING + \
        "export default talentstatsResizing(talentstatsPlotlyWidget);\n"


def _options(names: Sequence[Any]) -> list[tuple[str, Any]]:
    """(label, value) pairs for a multi-select: a blank or missing name is shown as "(none)"."""
    return [(charts.BLANK_LABEL if pd.isna(n) or str(n).strip() == "" else str(n), n) for n in names]


def _empty_stats(keys: Sequence[str] = ()) -> pd.DataFrame:
    cols = {k: pd.Series([], dtype="str" if k != "state" else "int64") for k in keys}
    cols |= {m: pd.Series([0] if not keys else [], dtype="Int64") for m in COUNTS}
    cols |= {m: pd.Series([pd.NA] if not keys else [], dtype="Float64") for m in RATES}
    return pd.DataFrame(cols)
