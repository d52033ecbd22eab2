"""The weekly report's content: each section as HTML or a plotly figure, computed from one load.

The packaged notebook ``talentstats/notebooks/weekly_report.ipynb`` calls one method per section and holds no
logic; :mod:`talentstats.report` executes it with papermill and exports it to HTML and PDF.

Every section is plain HTML with classes styled by :data:`REPORT_CSS` (emitted once, by the header), so the
executed notebook looks the same in JupyterLab, in the exported HTML and on paper.
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

from talentstats.load.accounting import LoadReport
from talentstats.load.loader import read_reach_outs
from talentstats.present import charts
from talentstats.sample import write_sample
from talentstats.stats.metrics import COUNTS, RATES, campaign_stats, members, stats_dicts
from talentstats.stats.periods import parse_date, previous_period, resolve_week, week_label, zone

PII_COLUMNS = ("prospect_name", "prospect_email")
HEADLINE_MIME = "application/vnd.talentstats.headline+json"
KPI_ORDER = COUNTS + RATES
#: a period that ended fewer than this many days before the newest reach out is still filling in
RECENT_DAYS = 7
#: rows of the Interested list shown before "... and N more"
INTERESTED_LIMIT = 25

REPORT_CSS = """<style>
.ts-report{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2933;font-size:13px;line-height:1.4}
.ts-report h1{font-size:26px;margin:0 0 6px 0;font-weight:600}
.ts-report .ts-sub{color:#52606d;font-size:13.5px;margin:1px 0}
.ts-kpis{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:8px;margin:6px 0 8px 0}
.ts-kpis.ts-kpis-4{grid-template-columns:repeat(4,minmax(0,1fr))}
.ts-kpi{border:1px solid #d9e2ec;border-top:4px solid #9aa5b1;border-radius:4px;padding:6px 10px;
  break-inside:avoid}
.ts-kpi-label{font-size:12px;color:#52606d;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ts-kpi-value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums;margin:1px 0}
.ts-kpi-change{font-size:12px;color:#3e4c59;font-variant-numeric:tabular-nums}
.ts-kpi-prev{font-size:11.5px;color:#7b8794;font-variant-numeric:tabular-nums}
.ts-callout{background:#fff6da;border:1px solid #e5c66b;color:#5c4400;border-radius:4px;padding:6px 10px;
  margin:8px 0;font-size:12.5px;break-inside:avoid}
.jp-RenderedHTMLCommon table.ts-rt,table.ts-rt{border-collapse:collapse;table-layout:auto;width:100%;
  margin:4px 0 8px 0;font-size:12.5px;color:#1f2933;font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif}
.jp-RenderedHTMLCommon table.ts-rt th,.jp-RenderedHTMLCommon table.ts-rt td,table.ts-rt th,table.ts-rt td{
  padding:4px 6px;border:0;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;
  white-space:normal;line-height:1.3;max-width:none}
.jp-RenderedHTMLCommon table.ts-rt thead th,table.ts-rt thead th{border-bottom:2px solid #9aa5b1;
  vertical-align:bottom;font-weight:600;color:#3e4c59}
.jp-RenderedHTMLCommon table.ts-rt .ts-num,table.ts-rt .ts-num{text-align:right;white-space:nowrap;
  font-variant-numeric:tabular-nums;width:1%}
.jp-RenderedHTMLCommon table.ts-rt thead th.ts-num,table.ts-rt thead th.ts-num{white-space:normal}
.jp-RenderedHTMLCommon table.ts-rt .ts-split,table.ts-rt .ts-split{border-left:1px solid #cbd2d9}
.jp-RenderedHTMLCommon table.ts-rt .ts-rate,table.ts-rt .ts-rate{color:#3e4c59}
.jp-RenderedHTMLCommon table.ts-rt tbody tr:nth-child(even),table.ts-rt tbody tr:nth-child(even){
  background:#f7f9fb}
.jp-RenderedHTMLCommon table.ts-rt tbody tr:hover,table.ts-rt tbody tr:hover{background:#eef2f6}
.jp-RenderedHTMLCommon table.ts-rt tr.ts-total td,table.ts-rt tr.ts-total td{font-weight:600;
  border-top:2px solid #9aa5b1;background:#fff}
.jp-RenderedHTMLCommon table.ts-rt tr,table.ts-rt tr{break-inside:avoid}
.ts-key{min-width:8em}
.jp-RenderedHTMLCommon table.ts-rt .ts-nowrap,table.ts-rt .ts-nowrap{white-space:nowrap}
.ts-more{color:#52606d;font-size:12.5px;margin:2px 0 0 0}
.ts-notes{margin:4px 0;padding-left:20px}.ts-notes li{margin:3px 0}
@media print{
  .ts-report{font-size:11.5px}.ts-kpi-value{font-size:19px}.ts-kpi{padding:5px 8px}
  .jp-RenderedHTMLCommon table.ts-rt,table.ts-rt{font-size:10.5px}
  .jp-RenderedHTMLCommon table.ts-rt th,.jp-RenderedHTMLCommon table.ts-rt td,table.ts-rt th,table.ts-rt td{
    padding:3px 4px}
}
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
                        mapping: dict[str, str] | None = None, sheet: str | int | None = None,
                        dayfirst: bool = False) -> WeeklyReport:
        """Load the data and resolve the period from the notebook's parameters."""
        zone(tz)
        paths = _as_list(data) or [default_data()]
        loaded = read_reach_outs(paths, messages=_as_list(messages) or None, source_tz=source_tz,
                                 mapping=mapping or None, sheet=sheet, dayfirst=bool(dayfirst))
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
    def is_week(self) -> bool:
        """True when the period is one ISO week (Monday to Sunday)."""
        return (self.end - self.start).days == 6 and self.start.weekday() == 0

    @property
    def period_label(self) -> str:
        """``2026-W47 · Mon 16 Nov 2026 – Sun 22 Nov 2026`` (or just the dates for another period)."""
        if self.is_week:
            return f"{week_label(self.start)} · {self.start:%a %d %b %Y} – {self.end:%a %d %b %Y}"
        return f"{self.start:%a %d %b %Y} – {self.end:%a %d %b %Y}"

    @property
    def previous_label(self) -> str:
        """Short name of the comparison period: ``2026-W46``, or ``previous period``."""
        s, _ = previous_period(self.start, self.end)
        return week_label(s) if self.is_week else "previous period"

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The newest reach out's creation time in the report time zone: how fresh the data is."""
        return _newest(self.table, self.tz)

    def still_arriving(self, end: dt.date | None = None) -> bool:
        """True when a period ending on ``end`` (default: this one) ended fewer than :data:`RECENT_DAYS` days
        before the newest data, so its reach outs have had little time to be opened or answered."""
        as_of = self.as_of
        return as_of is not None and (as_of.date() - (end or self.end)).days < RECENT_DAYS

    # ---------------------------------------------------------------- sections
    def header_html(self) -> str:
        """Title, period, scope and the data's freshness (with the report stylesheet)."""
        newest = self.as_of
        fresh = f"{newest:%a %d %b %Y %H:%M} {self.tz}" if newest is not None else "no data"
        scope = ", ".join(self.campaigns) if self.campaigns else "all campaigns"
        return (f'{REPORT_CSS}<div class="ts-report ts-header"><h1>{html.escape(self.title)}</h1>'
                f'<p class="ts-sub"><b>Period:</b> {html.escape(self.period_label)} ({html.escape(self.tz)}), '
                f'reach outs by creation date</p>'
                f'<p class="ts-sub"><b>Scope:</b> {html.escape(scope)}</p>'
                f'<p class="ts-sub"><b>Data as of:</b> {html.escape(fresh)} (newest reach out in the export)</p>'
                f'</div>')

    def kpi_frame(self) -> pd.DataFrame:
        """Metric, this period, previous period and change, formatted (the KPI tiles as a table)."""
        now, before = self.total(), self.previous_total()
        rows = []
        for m in KPI_ORDER:
            fmt = charts.fmt_count if m in COUNTS else charts.fmt_rate
            rows.append({"Metric": charts.METRIC_LABELS[m], "This period": fmt(now[m]),
                         "Previous period": fmt(before[m]), "Change": change_text(m, now[m], before[m])})
        return pd.DataFrame(rows)

    def kpi_html(self) -> str:
        """KPI tiles: counts in one row, rates in another, each with the previous period and the change.

        When the period is still filling in (see :meth:`still_arriving`) a callout says so.
        """
        now, before = self.total(), self.previous_total()
        rows = []
        for group in (COUNTS, RATES):
            tiles = []
            for m in group:
                fmt = charts.fmt_count if m in COUNTS else charts.fmt_rate
                colour = charts.METRIC_COLORS.get(m) or charts.RATE_COLORS.get(m, "#9aa5b1")
                tiles.append(
                    f'<div class="ts-kpi" data-metric="{m}" style="border-top-color:{colour}">'
                    f'<div class="ts-kpi-label">{html.escape(charts.METRIC_LABELS[m])}</div>'
                    f'<div class="ts-kpi-value">{fmt(now[m])}</div>'
                    f'<div class="ts-kpi-change">{html.escape(change_text(m, now[m], before[m]))}</div>'
                    f'<div class="ts-kpi-prev">{html.escape(self.previous_label)}: {fmt(before[m])}</div></div>')
            rows.append(f'<div class="ts-kpis ts-kpis-{len(group)}">{"".join(tiles)}</div>')
        callout = f'<p class="ts-callout">{html.escape(self.arriving_text())}</p>' if self.still_arriving() else ""
        return f'<div class="ts-report">{"".join(rows)}{callout}</div>'

    def arriving_text(self) -> str:
        """Why this period's opens and responses are probably not final yet."""
        newest = self.as_of
        if newest is None:
            return ""
        days = (newest.date() - self.end).days
        if days < 0:
            when = f"the data ends on {newest:%a %d %b}, before this period ends"
        elif days == 0:
            when = "the data ends on this period's last day"
        else:
            when = f"the data ends {days} day{'s' if days != 1 else ''} after this period"
        return (f"Still filling in: {when}, so many of its reach outs have not had time to be opened or answered. "
                f"Opens, responses and their rates will likely rise; compare them with {self.previous_label} "
                f"with care.")

    def funnel(self) -> Any:
        """Funnel of the period's total (the section heading names it: no chart title)."""
        fig = charts.build_funnel(self.stats())
        fig.update_layout(title_text="", height=320, margin_t=10)
        return fig

    def state_breakdown(self) -> Any:
        """Reach outs by state, all ten states (no chart title)."""
        fig = charts.build_state_breakdown(self.stats("state"))
        fig.update_layout(title_text="", height=380, margin_t=10)
        return fig

    def table_html(self, key: str) -> str:
        """Per-campaign or per-sender table, largest first, with a Total row; counts, then rates."""
        stats = self.stats(key)
        if stats.empty:
            return '<div class="ts-report"><p>No reach outs created in this period.</p></div>'
        rows = charts.stats_table(stats, [key], sort_by="reach_outs", ascending=False)
        total = charts.stats_table(self.stats().assign(**{key: "Total"}), [key])
        return f'<div class="ts-report">{_stats_table(rows, total, key)}</div>'

    def trend(self, weeks: int = 12) -> Any:
        """Weekly reach outs and rates for ``weeks`` weeks ending with this one; weeks still filling in are
        shaded and labelled."""
        monday = self.end - dt.timedelta(days=self.end.weekday())
        first = monday - dt.timedelta(weeks=weeks - 1)
        weekly = campaign_stats(self.table, first, monday + dt.timedelta(days=6), self.tz, "week")
        fig = charts.build_trend(weekly, weeks=weeks, end_week=monday.isoformat())
        fig.update_layout(title_text="", margin_t=10)
        recent = [i for i in range(weeks)
                  if self.still_arriving(first + dt.timedelta(weeks=i, days=6))]
        _mark_incomplete(fig, recent)
        return fig

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
        if self.still_arriving():
            notes.append(self.arriving_text())
        if self.campaigns:
            notes.append("Filtered to campaigns: " + ", ".join(self.campaigns) + ".")
        return notes

    def quality_html(self) -> str:
        """The data-quality notes as a list."""
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.quality_notes())
        return f'<div class="ts-report"><ul class="ts-notes">{items}</ul></div>'

    def interested_html(self, limit: int = INTERESTED_LIMIT) -> str:
        """The reach outs behind Interested, newest first, at most ``limit`` of them; prospect names and emails
        only when include_pii."""
        rows = members(self.table, self.start, self.end, self.tz, "interested")
        if rows.empty:
            return '<div class="ts-report"><p>No interested responses in this period.</p></div>'
        rows = rows.sort_values(["created_at", "reach_out_id"], ascending=[False, True], kind="stable")
        shown = rows.head(limit)
        head = ["Created", "Campaign", "Sender", "Reach Out ID", *(["Prospect", "Email"] if self.include_pii else [])]
        body = []
        for _, r in shown.iterrows():
            cells = [f'<td class="ts-nowrap">{r["created_at"].tz_convert(self.tz):%a %d %b}</td>',
                     f"<td>{_text(r['campaign'])}</td>", f"<td>{_breakable(r['sender'])}</td>",
                     f'<td class="ts-nowrap">{_text(r["reach_out_id"])}</td>']
            if self.include_pii:
                cells += [f"<td>{_text(r['prospect_name'])}</td>", f"<td>{_breakable(r['prospect_email'])}</td>"]
            body.append(f"<tr>{''.join(cells)}</tr>")
        more = ""
        if len(rows) > len(shown):
            more = (f'<p class="ts-more">The {len(shown):,} newest of {len(rows):,} interested responses; '
                    f"{len(rows) - len(shown):,} more are not listed.</p>")
        return ('<div class="ts-report"><table class="ts-rt ts-list"><thead><tr>'
                + "".join(f'<th class="ts-nowrap">{h}</th>' if h in ("Created", "Reach Out ID") else f"<th>{h}</th>"
                          for h in head)
                + f"</tr></thead><tbody>{''.join(body)}</tbody></table>{more}</div>")

    def record(self) -> None:
        """Emit the headline numbers as a machine-readable output (invisible in HTML) for the report index."""
        from IPython.display import display

        display({HEADLINE_MIME: self.headline()}, raw=True)

    def headline(self) -> dict[str, Any]:
        """The numbers an index page lists for this report."""
        t = self.total()
        label = week_label(self.start) if self.is_week else f"{self.start}_{self.end}"
        return {"week": label, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "tz": self.tz, "still_arriving": self.still_arriving(), **{k: t[k] for k in (*COUNTS, *RATES)}}


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


def _text(value: Any) -> str:
    """Escaped cell text; missing -> '—'."""
    return charts.NA_TEXT if value is None or pd.isna(value) else html.escape(str(value))


def _breakable(value: Any) -> str:
    """Escaped text that may wrap after '@' (long email addresses in narrow columns)."""
    return _text(value).replace("@", "@<wbr>")


def _stats_table(rows: pd.DataFrame, total: pd.DataFrame, key: str) -> str:
    """HTML of a :func:`charts.stats_table` frame plus its total row: key column left, counts, then rates."""
    key_label = charts.KEY_LABELS[key]
    metrics = [c for c in rows.columns if c != key_label]
    rate_labels = {charts.METRIC_LABELS[m] for m in RATES}
    first_rate = next((c for c in metrics if c in rate_labels), None)

    def klass(col: str) -> str:
        parts = ["ts-num"]
        if col in rate_labels:
            parts.append("ts-rate")
        if col == first_rate:
            parts.append("ts-split")
        return " ".join(parts)

    head = f'<th class="ts-key">{key_label}</th>' + "".join(f'<th class="{klass(c)}">{html.escape(c)}</th>'
                                                            for c in metrics)
    body = []
    for frame, row_class in ((rows, ""), (total, ' class="ts-total"')):
        for i in range(len(frame)):
            r = frame.iloc[i]
            name = _breakable(r[key_label]) if key == "sender" else _text(r[key_label])
            cells = f'<td class="ts-key">{name}</td>' + "".join(f'<td class="{klass(c)}">{_text(r[c])}</td>'
                                                                for c in metrics)
            body.append(f"<tr{row_class}>{cells}</tr>")
    return (f'<table class="ts-rt ts-stats"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f"</table>")


def _mark_incomplete(fig: Any, positions: Sequence[int]) -> None:
    """Shade the trend's weeks at ``positions`` (category indexes) and label them as still filling in."""
    if not positions:
        return
    for i in positions:
        fig.add_shape(type="rect", xref="x", yref="paper", x0=i - 0.5, x1=i + 0.5, y0=0, y1=1, layer="below",
                      line_width=0, fillcolor="#e4e7eb", opacity=0.6)
    fig.add_annotation(xref="x", yref="paper", x=positions[-1] + 0.5, y=1, xanchor="right", yanchor="top",
                       text="filling in", showarrow=False, font={"size": 11, "color": "#52606d"})
    n = len(fig.data[0].x)
    fig.data[0].marker.pattern = {"shape": ["/" if i in positions else "" for i in range(n)], "fgcolor": "#ffffff",
                                  "size": 6, "solidity": 0.25}
    for trace in fig.data[1:]:
        trace.marker.symbol = ["circle-open" if i in positions else "circle" for i in range(n)]
        trace.hovertext = [t + ("<br><i>still filling in</i>" if i in positions else "")
                           for i, t in enumerate(trace.hovertext)]


def show(fig: Any) -> None:
    """Display a report chart: no mode bar, responsive width (the renderer is chosen by the environment)."""
    fig.show(config=charts.REPORT_CONFIG)
