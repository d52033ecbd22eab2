"""The weekly report's content: each section as HTML or a plotly figure, computed from one load.

The packaged notebook ``talentstats/notebooks/weekly_report.ipynb`` calls one method per section and holds no
logic; :mod:`talentstats.report` executes it with papermill and exports it.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import charts
from .metrics import COUNTS, RATES, campaign_stats, members, stats_dicts
from .normalize import LoadReport, read_reach_outs
from .periods import parse_date, previous_period, resolve_week, week_label, zone

PII_COLUMNS = ("prospect_name", "prospect_email")
HEADLINE_MIME = "application/vnd.talentstats.headline+json"
KPI_ORDER = ("reach_outs", "in_progress", "opens", "responses", "interested", "open_rate", "response_rate",
             "interested_rate", "interested_of_responses")

REPORT_CSS = """<style>
.ts-report{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2933}
.ts-report h1{font-size:26px;margin:0 0 4px 0}.ts-report .ts-sub{color:#52606d;font-size:14px;margin:2px 0}
.ts-kpis{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 14px 0}
.ts-kpi{border:1px solid #d9e2ec;border-radius:6px;padding:8px 12px;min-width:120px;break-inside:avoid}
.ts-kpi .ts-kpi-label{font-size:12px;color:#52606d}.ts-kpi .ts-kpi-value{font-size:22px;font-weight:600}
.ts-kpi .ts-kpi-change{font-size:12px;color:#52606d}
.ts-notes li{margin:3px 0}
</style>"""


def default_data() -> Path:
    """Where to find data when none is given: $TALENTSTATS_DATA, ./sample_data or ../sample_data, else a
    freshly generated sample in the user's cache (so the notebooks run from an installed package too)."""
    env = os.environ.get("TALENTSTATS_DATA")
    if env:
        return Path(env)
    for candidate in (Path("sample_data"), Path("..") / "sample_data"):
        if (candidate / "reach_outs.csv").exists():
            return candidate
    from .sample import write_sample

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "talentstats" / "sample_data"
    if not (cache / "reach_outs.csv").exists():
        write_sample(cache)
    return cache


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str | Path):
        return [value]
    return list(value)


@dataclass
class WeeklyReport:
    """Everything a weekly report shows, for one period of one load."""

    table: pd.DataFrame
    load: LoadReport
    start: dt.date
    end: dt.date
    tz: str = "UTC"
    title: str = "Weekly campaign report"
    campaigns: Sequence[str] = ()
    include_pii: bool = False

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_parameters(cls, data: Any = None, messages: Any = None, week: str | None = "latest",
                        start: str | None = None, end: str | None = None, tz: str = "UTC",
                        campaigns: Sequence[str] | str | None = (), title: str = "Weekly campaign report",
                        include_pii: bool = False, source_tz: str = "UTC",
                        mapping: dict[str, str] | None = None) -> WeeklyReport:
        """Load the data and resolve the period from the notebook's parameters."""
        zone(tz)
        paths = _as_list(data) or [default_data()]
        loaded = read_reach_outs(paths, messages=_as_list(messages) or None, source_tz=source_tz,
                                 mapping=mapping)
        table = loaded.table
        wanted = [str(c) for c in _as_list(campaigns)]
        if wanted:
            table = table[table["campaign"].isin(wanted)].reset_index(drop=True)
        if start or end:
            s = parse_date(start or end, "start")
            e = parse_date(end or start, "end")
        else:
            newest = _newest(loaded.table, tz)
            s, e = resolve_week(week or "latest", newest.date() if newest is not None else None, tz)
        return cls(table, loaded.report, s, e, tz, title, tuple(wanted), bool(include_pii))

    # ---------------------------------------------------------------- numbers
    def stats(self, by: Sequence[str] | str | None = None, start: dt.date | None = None,
              end: dt.date | None = None) -> pd.DataFrame:
        """campaign_stats for the report period (or another), in the report time zone."""
        return campaign_stats(self.table, start or self.start, end or self.end, self.tz, by)

    def total(self) -> dict[str, Any]:
        """The period's total statistics as a dict (None for unknown/undefined)."""
        return stats_dicts(self.stats())[0]

    def previous_total(self) -> dict[str, Any]:
        """Total of the previous period of the same length (last week, for a weekly report)."""
        s, e = previous_period(self.start, self.end)
        return stats_dicts(self.stats(start=s, end=e))[0]

    @property
    def period_label(self) -> str:
        days = (self.end - self.start).days + 1
        if days == 7 and self.start.weekday() == 0:
            return f"{week_label(self.start)} · {self.start:%a %d %b %Y} – {self.end:%a %d %b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    # ---------------------------------------------------------------- sections
    def header_html(self) -> str:
        """Title, period, time zone, campaigns and the data's freshness."""
        newest = _newest(self.table, self.tz)
        fresh = f"{newest:%Y-%m-%d %H:%M} {self.tz}" if newest is not None else "no data"
        scope = ", ".join(self.campaigns) if self.campaigns else "all campaigns"
        return (f'{REPORT_CSS}<div class="ts-report"><h1>{html.escape(self.title)}</h1>'
                f'<p class="ts-sub"><b>Period:</b> {html.escape(self.period_label)} ({html.escape(self.tz)})</p>'
                f'<p class="ts-sub"><b>Scope:</b> {html.escape(scope)}</p>'
                f'<p class="ts-sub"><b>Data as of:</b> {html.escape(fresh)} (newest reach out created)</p></div>')

    def kpi_frame(self) -> pd.DataFrame:
        """Metric, this period, previous period and change, formatted (the checked KPI table)."""
        now, before = self.total(), self.previous_total()
        rows = []
        for m in KPI_ORDER:
            fmt = charts.fmt_count if m in COUNTS else charts.fmt_rate
            rows.append({"Metric": charts.METRIC_LABELS[m], "This period": fmt(now[m]),
                         "Previous period": fmt(before[m]), "Change": change_text(m, now[m], before[m])})
        return pd.DataFrame(rows)

    def kpi_html(self) -> str:
        """KPI tiles (value and change against the previous period) and the same as a table."""
        now, before = self.total(), self.previous_total()
        tiles = []
        for m in KPI_ORDER:
            fmt = charts.fmt_count if m in COUNTS else charts.fmt_rate
            tiles.append(f'<div class="ts-kpi"><div class="ts-kpi-label">{charts.METRIC_LABELS[m]}</div>'
                         f'<div class="ts-kpi-value">{fmt(now[m])}</div><div class="ts-kpi-change">'
                         f'{html.escape(change_text(m, now[m], before[m]))} vs previous</div></div>')
        return f'{REPORT_CSS}<div class="ts-report ts-kpis">{"".join(tiles)}</div>'

    def funnel(self) -> Any:
        return charts.build_funnel(self.stats())

    def state_breakdown(self) -> Any:
        return charts.build_state_breakdown(self.stats("state"))

    def table_html(self, key: str) -> str:
        """Per-campaign or per-sender table, largest first, with a total row."""
        stats = self.stats(key)
        if stats.empty:
            return "<p>No reach outs created in this period.</p>"
        display = charts.stats_table(stats, [key], sort_by="reach_outs", ascending=False)
        total = charts.stats_table(self.stats().assign(**{key: "Total"}), [key])
        both = pd.concat([display, total], ignore_index=True)
        return charts.table_html(both)

    def trend(self, weeks: int = 12) -> Any:
        monday = self.end - dt.timedelta(days=self.end.weekday())
        first = monday - dt.timedelta(weeks=weeks - 1)
        weekly = campaign_stats(self.table, first, monday + dt.timedelta(days=6), self.tz, "week")
        return charts.build_trend(weekly, weeks=weeks, end_week=monday.isoformat())

    def quality_notes(self) -> list[str]:
        """Data-quality facts a reader needs to trust the numbers."""
        r, notes = self.load, []
        notes.append(f"{r.rows_read:,} export rows read from {len(r.files)} file(s): {r.rows_loaded:,} reach outs "
                     f"loaded, {r.rows_rejected:,} rows rejected, {r.duplicates_collapsed:,} duplicate rows "
                     f"collapsed.")
        for kind, n in r.reject_summary().items():
            notes.append(f"Rejected {n:,} row(s) — {kind}.")
        if r.messages is not None:
            m = r.messages
            notes.append(f"Messages export: {m.rows_read:,} messages, {m.rows_rejected:,} rejected, "
                         f"{m.unmatched_messages:,} for reach outs not in the export.")
        total = self.total()
        if total["opens"] is None:
            notes.append("Opens are unknown: the export carries no open information (add the messages export).")
        else:
            responded = members(self.table, self.start, self.end, self.tz, "responses")
            silent = int((~responded["opened"].fillna(False).astype(bool)).sum())
            notes.append(f"{silent:,} of {total['responses']:,} responses came without a tracked open "
                         f"(a reply does not imply an open, so Responses can exceed Opens).")
        marked = members(self.table, self.start, self.end, self.tz, "reach_outs")
        quirk = int(((marked["response_type"] == "Interested") & marked["response_via"].isna()
                     & (marked["state"] != 2)).sum())
        if quirk:
            notes.append(f"{quirk:,} reach out(s) marked Interested without a response are not counted as "
                         f"Interested.")
        if self.campaigns:
            notes.append("Filtered to campaigns: " + ", ".join(self.campaigns) + ".")
        return notes

    def quality_html(self) -> str:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.quality_notes())
        return f'<div class="ts-report"><ul class="ts-notes">{items}</ul></div>'

    def interested_html(self) -> str:
        """The reach outs behind Interested: ids only, prospect names and emails when include_pii."""
        rows = members(self.table, self.start, self.end, self.tz, "interested")
        cols = ["reach_out_id", "campaign", "sender", *(PII_COLUMNS if self.include_pii else ())]
        shown = rows[cols].rename(columns={"reach_out_id": "Reach Out ID", "campaign": "Campaign",
                                           "sender": "Sender", "prospect_name": "Prospect",
                                           "prospect_email": "Email"})
        if shown.empty:
            return "<p>No interested responses in this period.</p>"
        return charts.table_html(shown)

    def record(self) -> None:
        """Emit the headline numbers as a machine-readable output (invisible in HTML) for the report index."""
        from IPython.display import display

        display({HEADLINE_MIME: self.headline()}, raw=True)

    def headline(self) -> dict[str, Any]:
        """The numbers an index page lists for this report."""
        t = self.total()
        return {"week": week_label(self.start), "start": self.start.isoformat(), "end": self.end.isoformat(),
                "tz": self.tz, **{k: t[k] for k in (*COUNTS, *RATES)}}


def change_text(metric: str, now: Any, before: Any) -> str:
    """Change against the previous period: counts as "+12 (+8.5%)", rates in percentage points."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return "—"
    if metric in RATES:
        pp = 100 * (float(now) - float(before))
        return f"{pp:+.1f} pp"
    diff = int(now) - int(before)
    pct = f" ({100 * diff / int(before):+.1f}%)" if int(before) else ""
    return f"{diff:+,}{pct}"


def _newest(table: pd.DataFrame, tz: str) -> pd.Timestamp | None:
    if table.empty:
        return None
    return table["created_at"].max().tz_convert(tz)


def show(fig: Any) -> None:
    """Display a report chart: no mode bar, responsive width (the renderer is chosen by the environment)."""
    fig.show(config=charts.REPORT_CONFIG)
