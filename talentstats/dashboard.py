"""The interactive campaign dashboard: ipywidgets controls over plotly FigureWidgets.

All numbers come from one daily cube (:func:`talentstats.metrics.stat_counts` by day, campaign, sender and
state, computed once per time zone) rolled up with :func:`talentstats.metrics.rollup`, so a change of date
range or filter touches only the small cube, and every figure is updated in place (trace updates, never
re-created). The notebook ``notebooks/campaign_dashboard.ipynb`` only builds and shows a :class:`Dashboard`.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import charts
from .metrics import COUNTS, RATES, members, rollup, stat_counts, stats_dicts
from .normalize import LoadReport, read_reach_outs
from .periods import PRESETS, latest_full_week, preset_range, previous_period, today_in, zone
from .states import STATES
from .weekly import change_text, default_data

CUBE_KEYS = ["day", "month", "campaign", "sender", "state"]
TIME_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Lisbon", "America/New_York", "America/Chicago",
              "America/Los_Angeles", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]
KPIS = ("reach_outs", "in_progress", "opens", "responses", "interested", "open_rate", "response_rate",
        "interested_rate", "interested_of_responses")
DRILL_LIMIT = 500
_EPOCH = dt.date(1970, 1, 1)

TILE_CSS = """<style>
.ts-tile{border:1px solid #d9e2ec;border-radius:6px;padding:6px 12px;min-width:118px;font-family:Inter,
'Segoe UI',Helvetica,Arial,sans-serif}.ts-tile .l{font-size:12px;color:#52606d}.ts-tile .v{font-size:22px;
font-weight:600;color:#1f2933}.ts-tile .c{font-size:11px;color:#52606d}</style>"""


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


class Dashboard:
    """Campaign dashboard over a canonical Reach Out table (pandas).

    Parameters
    ----------
    table : the canonical table (see :mod:`talentstats.columns`).
    load : the LoadReport of the load, shown under the controls.
    tz : initial report time zone.
    start, end : initial date range; default the newest complete week in the data.
    today : "today" for the presets (default: today in ``tz``).
    include_pii : show prospect names and emails in the drill-down.
    """

    def __init__(self, table: pd.DataFrame, load: LoadReport | None = None, tz: str = "UTC",
                 start: dt.date | None = None, end: dt.date | None = None, today: dt.date | None = None,
                 include_pii: bool = False) -> None:
        import ipywidgets as w
        import plotly.graph_objects as go

        zone(tz)
        self.table = table
        self.load = load
        self.include_pii = include_pii
        self._today = today
        self._cubes: dict[str, pd.DataFrame] = {}
        self._hold = False
        self.last_update_ms = 0.0
        self.opens_known = bool(len(table)) and bool(table["opened"].notna().all())

        if start is None or end is None:
            newest = table["created_at"].max().tz_convert(tz).date() if len(table) else today_in(tz)
            start, end = latest_full_week(newest)
        campaigns = sorted(table["campaign"].unique().tolist())
        senders = sorted(table["sender"].unique().tolist())

        # ---------------------------------------------------------------- controls
        self.start = w.DatePicker(description="From", value=start)
        self.end = w.DatePicker(description="To", value=end)
        self.preset = w.Dropdown(description="Preset", options=["custom", *PRESETS], value="custom")
        zones = TIME_ZONES if tz in TIME_ZONES else [tz, *TIME_ZONES]
        self.tz = w.Dropdown(description="Time zone", options=zones, value=tz)
        self.campaigns = w.SelectMultiple(description="Campaigns", options=campaigns, rows=min(6, len(campaigns)))
        self.senders = w.SelectMultiple(description="Senders", options=senders, rows=min(6, len(senders)))
        self.group_by = w.ToggleButtons(description="Compare", options=[("Campaign", "campaign"),
                                                                        ("Sender", "sender")])
        self.sort_by = w.Dropdown(description="Sort by", options=[(charts.METRIC_LABELS[m], m) for m in KPIS],
                                  value="reach_outs")
        self.drill = w.Dropdown(description="Drill down",
                                options=[("—", "")] + [(charts.METRIC_LABELS[m], m) for m in COUNTS], value="")
        for control in (self.start, self.end, self.tz, self.campaigns, self.senders, self.group_by,
                        self.sort_by, self.drill):
            control.observe(self._changed, names="value")
        self.preset.observe(self._preset_changed, names="value")

        # ---------------------------------------------------------------- outputs
        self.tiles = {m: w.HTML() for m in KPIS}
        self.period = w.HTML()
        self.status = w.HTML()
        self.table_html = w.HTML()
        self.drill_html = w.HTML()
        empty = _empty_stats
        self.funnel = go.FigureWidget(charts.build_funnel(empty()))
        self.states = go.FigureWidget(charts.build_state_breakdown(empty(["state"])))
        self.trend = go.FigureWidget(charts.build_trend(empty(["week"]), weeks=12,
                                                        end_week=_monday(end).isoformat()))
        self.comparison = go.FigureWidget(charts.build_comparison(empty(["campaign"]), key="campaign"))
        self.update()

    # -------------------------------------------------------------------- construction helpers
    @classmethod
    def from_paths(cls, paths: Sequence[str | Path] | str | Path | None = None,
                   messages: Sequence[str | Path] | str | Path | None = None, source_tz: str = "UTC",
                   **kwargs: Any) -> Dashboard:
        """Load exports (default: the sample data) and build the dashboard."""
        if paths is None or paths == [] or paths == "":
            paths = [default_data()]
        loaded = read_reach_outs(paths, messages=messages, source_tz=source_tz)
        return cls(loaded.table, loaded.report, **kwargs)

    # -------------------------------------------------------------------- numbers
    def cube(self, tz: str | None = None) -> pd.DataFrame:
        """Additive counts by day, month, campaign, sender and state in ``tz`` (cached per time zone)."""
        tz = tz or self.tz.value
        if tz not in self._cubes:
            if len(self.table):
                lo = self.table["created_at"].min().tz_convert(tz).date() - dt.timedelta(days=1)
                hi = self.table["created_at"].max().tz_convert(tz).date() + dt.timedelta(days=1)
            else:
                lo = hi = today_in(tz)
            self._cubes[tz] = stat_counts(self.table, lo, hi, tz, CUBE_KEYS)
        return self._cubes[tz]

    def _slice(self, start: dt.date, end: dt.date) -> pd.DataFrame:
        c = self.cube()
        mask = (c["day"] >= _day(start)) & (c["day"] <= _day(end))
        if self.campaigns.value:
            mask &= c["campaign"].isin(self.campaigns.value)
        if self.senders.value:
            mask &= c["sender"].isin(self.senders.value)
        return c[mask]

    def stats(self, by: Sequence[str] | str | None = None, start: dt.date | None = None,
              end: dt.date | None = None) -> pd.DataFrame:
        """Statistics for the selected range and filters (or another range), from the cube."""
        out = rollup(self._slice(start or self.start.value, end or self.end.value), by)
        if not self.opens_known:
            out["opens"] = pd.array([pd.NA] * len(out), dtype="Int64")
            out["open_rate"] = pd.array([pd.NA] * len(out), dtype="Float64")
        return out

    def kpis(self) -> dict[str, Any]:
        """The tile values for the selected range: {metric: value} (None when unknown or undefined)."""
        return stats_dicts(self.stats())[0]

    def drill_rows(self, metric: str) -> pd.DataFrame:
        """The reach outs behind a tile (ids, campaign, sender, state; PII only when include_pii)."""
        rows = members(self.table, self.start.value, self.end.value, self.tz.value, metric)
        if self.campaigns.value:
            rows = rows[rows["campaign"].isin(self.campaigns.value)]
        if self.senders.value:
            rows = rows[rows["sender"].isin(self.senders.value)]
        cols = ["reach_out_id", "campaign", "sender", "state", "created_at"]
        if self.include_pii:
            cols += ["prospect_name", "prospect_email"]
        return rows[cols].reset_index(drop=True)

    # -------------------------------------------------------------------- events
    def _preset_changed(self, change: dict) -> None:
        if change["new"] == "custom":
            return
        s, e = preset_range(change["new"], self._today or today_in(self.tz.value))
        self._hold = True
        try:
            self.start.value, self.end.value = s, e
        finally:
            self._hold = False
        self.update()

    def _changed(self, change: dict) -> None:
        if self._hold:
            return
        if change["owner"] in (self.start, self.end) and self.preset.value != "custom":
            self._hold = True
            self.preset.value = "custom"
            self._hold = False
        self.update()

    def set_range(self, start: dt.date, end: dt.date) -> None:
        """Change both dates with a single update."""
        self._hold = True
        try:
            self.start.value, self.end.value = start, end
        finally:
            self._hold = False
        self.update()

    # -------------------------------------------------------------------- rendering
    def update(self) -> None:
        """Recompute from the cube and refresh every output in place."""
        t0 = time.perf_counter()
        start, end = self.start.value, self.end.value
        if start is None or end is None or end < start:
            self.status.value = "<b>Choose a start date on or before the end date.</b>"
            return
        key = self.group_by.value
        total = self.stats()
        now = stats_dicts(total)[0]
        before = stats_dicts(self.stats(None, *previous_period(start, end)))[0]
        for m, tile in self.tiles.items():
            fmt = charts.fmt_count if m in COUNTS else charts.fmt_rate
            tile.value = (f'{TILE_CSS}<div class="ts-tile" data-metric="{m}"><div class="l">'
                          f'{charts.METRIC_LABELS[m]}</div><div class="v">{fmt(now[m])}</div><div class="c">'
                          f'{html.escape(change_text(m, now[m], before[m]))} vs previous</div></div>')
        self.period.value = (f"<b>{start:%d %b %Y} – {end:%d %b %Y}</b> ({html.escape(self.tz.value)}), "
                             f"compared with the previous {(end - start).days + 1} days")
        charts.update_funnel(self.funnel, total)
        charts.update_state_breakdown(self.states, self.stats("state"))
        monday = _monday(end)
        weekly = self.stats("week", monday - dt.timedelta(weeks=11), monday + dt.timedelta(days=6))
        charts.update_trend(self.trend, weekly, weeks=12, end_week=monday.isoformat())
        by_key = self.stats(key)
        charts.update_comparison(self.comparison, by_key, key=key)
        if by_key.empty:
            self.table_html.value = "<p>No reach outs in this range.</p>"
        else:
            display = charts.stats_table(by_key, [key], sort_by=self.sort_by.value, ascending=False)
            self.table_html.value = charts.table_html(display)
        self._update_drill()
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        self.status.value = f'<span style="color:#7b8794;font-size:11px">updated in {self.last_update_ms:.0f} ms' \
                            f"</span>"

    def _update_drill(self) -> None:
        metric = self.drill.value
        if not metric:
            self.drill_html.value = ""
            return
        rows = self.drill_rows(metric)
        shown = rows.head(DRILL_LIMIT).copy()
        shown["state"] = shown["state"].map(STATES)
        shown["created_at"] = shown["created_at"].dt.tz_convert(self.tz.value).dt.strftime("%Y-%m-%d %H:%M")
        shown = shown.rename(columns={"reach_out_id": "Reach Out ID", "campaign": "Campaign", "sender": "Sender",
                                      "state": "State", "created_at": "Created", "prospect_name": "Prospect",
                                      "prospect_email": "Email"})
        more = f" (showing the first {DRILL_LIMIT:,})" if len(rows) > DRILL_LIMIT else ""
        caption = f"{len(rows):,} reach outs behind {charts.METRIC_LABELS[metric]}{more}"
        self.drill_html.value = charts.table_html(shown, caption=caption)

    def widget(self) -> Any:
        """The whole dashboard as one ipywidgets box."""
        import ipywidgets as w

        row = w.Layout(flex_flow="row wrap", gap="8px")
        controls = w.VBox([
            w.HBox([self.preset, self.start, self.end, self.tz], layout=row),
            w.HBox([self.campaigns, self.senders], layout=row),
        ])
        tiles = w.HBox(list(self.tiles.values()), layout=row)
        charts_row = w.HBox([self.funnel, self.states], layout=w.Layout(flex_flow="row wrap"))
        table_box = w.VBox([w.HBox([self.group_by, self.sort_by], layout=row), self.comparison, self.table_html])
        return w.VBox([controls, self.period, tiles, self.status, charts_row, self.trend, table_box,
                       self.drill, self.drill_html])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _empty_stats(keys: Sequence[str] = ()) -> pd.DataFrame:
    cols = {k: pd.Series([], dtype="str" if k != "state" else "int64") for k in keys}
    cols |= {m: pd.Series([0] if not keys else [], dtype="Int64") for m in COUNTS}
    cols |= {m: pd.Series([pd.NA] if not keys else [], dtype="Float64") for m in RATES}
    return pd.DataFrame(cols)
