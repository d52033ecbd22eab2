"""The weekly report's content: each section as HTML or a plotly figure, computed from one load.

The packaged notebook ``talentstats/notebooks/weekly_report.ipynb`` calls one method per section and holds no
logic; :mod:`talentstats.report` executes it with papermill (each kernel reading the snapshot of one load, see
:mod:`talentstats.report.handoff`) and exports it to HTML and PDF.

Every section is plain HTML with classes styled by :data:`talentstats.present.report_html.REPORT_CSS` (emitted
once, by the header), so the executed notebook looks the same in JupyterLab, in the exported HTML and on paper.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from talentstats.load.accounting import LoadReport
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.present import charts
from talentstats.present.charts.funnel import RESPONSES_WITHOUT_OPEN
from talentstats.present.charts.multiples import TOP_CAMPAIGNS, campaign_trends
from talentstats.present.formats import KEY_LABELS
from talentstats.present.report_html import (
    REPORT_CSS,
    REPORT_ROWS,
    breakable,
    cell_text,
    first_rows,
    scroll_box,
    stats_table_html,
)
from talentstats.report.handoff import HEADLINE_MIME, read_snapshot
from talentstats.samplepath import default_data
from talentstats.stats.intervals import with_intervals
from talentstats.stats.metrics import (
    COUNTS,
    RATES,
    campaign_stats,
    check_keys,
    finish,
    has_open_info,
    members,
    newest_created,
    newest_date,
    rollup,
    stat_counts,
    stats_dicts,
    total_of,
)
from talentstats.stats.periods import (
    is_whole_week,
    monday_of,
    parse_date,
    previous_period,
    resolve_week,
    week_label,
    zone,
)
from talentstats.stats.states import IN_PROGRESS
from talentstats.weeklycompare import HonestHeadline
from talentstats.weeklyevents import EventSections

#: a period that ended fewer than this many days before the newest reach out is still filling in
RECENT_DAYS = 7
#: rows of the Interested list shown before "... and N more"
INTERESTED_LIMIT = 25
#: the keys of the period's counts that its statistics by campaign, sender, state and in total are summed from
_CUBE = ("campaign", "sender", "state")


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str | Path):
        return [value]
    return list(value)


@dataclass
class WeeklyReport(EventSections, HonestHeadline):
    """Everything a weekly report shows, for one period of one load (the event sections: see
    :class:`~talentstats.weeklyevents.EventSections`; the tiles compared at the same age:
    :class:`~talentstats.weeklycompare.HonestHeadline`)."""

    table: pd.DataFrame
    load: LoadReport
    start: dt.date
    end: dt.date
    tz: str = "UTC"
    title: str = "Weekly campaign report"
    campaigns: Sequence[str] = ()
    include_pii: bool = False
    messages: Any = None  # the messages export's table (Arrow or pandas), None without one

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_parameters(cls, data: Any = None, options: LoadOptions | Mapping[str, Any] | None = None, *,
                        snapshot: str | Path | None = None, week: str | None = "latest",
                        start: str | dt.date | None = None, end: str | dt.date | None = None, tz: str = "UTC",
                        campaigns: Sequence[str] | str | None = (), title: str = "Weekly campaign report",
                        include_pii: bool = False) -> WeeklyReport:
        """Load the data and resolve the period from the notebook's parameters.

        Args:
            data: export files or folders (or dataset folders); None: :func:`default_data`. Not read when
                ``snapshot`` is given.
            options: how to read ``data``: a :class:`LoadOptions` or its ``to_parameters()`` dict.
            snapshot: the data of a report run, loaded once for all its periods (see
                :func:`talentstats.report.handoff.write_snapshot`); read instead of ``data``.
            week: ``YYYY-Www``, ``last`` or ``latest`` (the newest complete week in the data; the default).
            start: an explicit period's first day (overrides ``week``; alone, a one-day period).
            end: an explicit period's last day.
            tz: the report time zone.
            campaigns: only these campaigns (all when empty).
            title: the report title.
            include_pii: show prospect names and emails in the Interested list.

        Returns:
            The report of the period.

        Raises:
            UsageError: a bad parameter (naming it).
            InputError: data that cannot be read.
        """
        zone(tz, parameter="tz")
        if not isinstance(options, LoadOptions):
            options = LoadOptions.from_parameters(options or {})
        if snapshot:
            loaded = read_snapshot(snapshot, categorical=options.metrics_only or None)
        else:
            loaded = load(_as_list(data) or [default_data()], options)
        table = loaded.table
        wanted = [str(c) for c in _as_list(campaigns)]
        if wanted:
            table = table[table["campaign"].isin(wanted)].reset_index(drop=True)
        if start or end:
            s = parse_date(start or end, "start")
            e = parse_date(end or start, "end")
        else:
            s, e = resolve_week(week or "latest", newest_date(loaded.table, tz), tz)
        return cls(table, loaded.report, s, e, tz, title, tuple(wanted), bool(include_pii), loaded.messages)

    # ---------------------------------------------------------------- numbers
    def stats(self, by: Sequence[str] | str | None = None, start: dt.date | None = None,
              end: dt.date | None = None) -> pd.DataFrame:
        """campaign_stats for the report period (or another), in the report time zone, with the 95 % interval
        of every rate (``<rate>_low``, ``<rate>_high``)."""
        key = (tuple(by) if isinstance(by, list | tuple) else by, start or self.start, end or self.end)
        cache = self.__dict__.setdefault("_stats_cache", {})  # (the sections ask for the same numbers many times)
        if key not in cache:
            keys = check_keys(by)
            if set(keys) <= set(_CUBE):  # a sum of the period's counts by campaign, sender and state
                counts = self._counts(key[1], key[2], _CUBE)
                stats = rollup(counts, keys) if keys else total_of(counts, lambda: has_open_info(self.table))
            else:
                stats = campaign_stats(self.table, key[1], key[2], self.tz, by)
            cache[key] = with_intervals(stats)
        return cache[key].copy()

    def _counts(self, start: dt.date, end: dt.date, keys: tuple[str, ...]) -> Any:
        """stat_counts of the table for [start, end] by ``keys``, kept: the statistics by fewer keys are sums of
        its rows (one pass over the table for the period's totals, campaigns, senders and states; one for the
        weekly trends), the same numbers as a pass each (tested)."""
        kept = self.__dict__.setdefault("_counts_cache", {})
        if (start, end, keys) not in kept:
            kept[(start, end, keys)] = stat_counts(self.table, start, end, self.tz, list(keys))
        return kept[(start, end, keys)]

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
        return is_whole_week(self.start, self.end)

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
        """The newest reach out's creation time in the report time zone: how fresh the data is (kept for this
        table and zone: the sections ask ~30 times, each a pass over the whole table)."""
        kept = self.__dict__.get("_as_of")
        if kept is None or kept[0] is not self.table or kept[1] != self.tz:
            kept = self.__dict__["_as_of"] = (self.table, self.tz, newest_created(self.table, self.tz))
        return kept[2]

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
                f'<p class="ts-sub"><b>Data as of:</b> {html.escape(fresh)} (newest reach out in the export)'
                f'{self._version_text()}</p></div>')

    def _version_text(self) -> str:
        """The dataset version read (the report can be rendered again from it: ``--as-of-version``)."""
        version = self.load.dataset_version
        if version is None:
            return ""
        if isinstance(version, dict):
            version = ", ".join(f"{k}: {v}" for k, v in version.items())
        return f"; dataset version {html.escape(str(version))}"

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
                f"Opens, responses and their rates will likely rise; the headline compares them with "
                f"{self.previous_label} at the same age where event times are known.")

    def responses_without_open(self) -> int | None:
        """How many of the period's responses came without a tracked open; None when opens are unknown."""
        if self.total()["opens"] is None:
            return None
        responded = members(self.table, self.start, self.end, self.tz, "responses")
        return int((~responded["opened"].fillna(False).astype(bool)).sum())

    def funnel(self) -> Any:
        """The stages of the period's total as bars from one baseline, saying how many responses had no tracked
        open (the section heading names it: no chart title)."""
        fig = charts.build_funnel({**self.total(), RESPONSES_WITHOUT_OPEN: self.responses_without_open()})
        fig.update_layout(title_text="", height=320, margin_t=10)
        return fig

    def in_progress_text(self) -> str:
        """One line defining In Progress (the statistic) against the state of the same name, with both numbers."""
        rows = members(self.table, self.start, self.end, self.tz, "in_progress")
        in_state = int(rows["state"].eq(IN_PROGRESS).sum())
        return (f"In Progress ({len(rows):,}) counts the reach outs not responded and neither Hard Bounced nor "
                f"Canceled, whatever their state (Completed, Paused, Pending … included); {in_state:,} of them are "
                f"in the state In Progress, the bar \"In progress (state)\" of the chart of states.")

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
        rows = charts.stats_table(stats, [key], sort_by="reach_outs", ascending=False, intervals=True)
        rows, more = first_rows(rows, key)
        total = charts.stats_table(self.stats().assign(**{key: "Total"}), [key], intervals=True)
        table = stats_table_html(rows, total, key)
        return f'<div class="ts-report">{scroll_box(table, f"Statistics by {KEY_LABELS[key].lower()}")}{more}</div>'

    def rates(self, key: str) -> Any:
        """Response and open rate of each campaign or sender with its 95 % interval (dot and whisker, sorted,
        n printed); a line instead where the period has no reach outs."""
        stats = self.stats(key)
        if stats.empty:
            return '<div class="ts-report"><p>No reach outs created in this period.</p></div>'
        return charts.rate_chart(stats, key, limit=REPORT_ROWS)

    def _weeks(self, weeks: int) -> tuple[list[dt.date], list[int]]:
        """The Mondays of the ``weeks`` weeks ending with this one, and the indexes of those still filling in."""
        monday = monday_of(self.end)
        mondays = [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
        return mondays, [i for i, m in enumerate(mondays) if self.still_arriving(m + dt.timedelta(days=6))]

    def trend(self, weeks: int = 12) -> Any:
        """Weekly reach outs and rates for ``weeks`` weeks ending with this one; weeks still filling in are
        shaded and labelled."""
        mondays, recent = self._weeks(weeks)
        weekly = rollup(self._counts(mondays[0], mondays[-1] + dt.timedelta(days=6), ("campaign", "week")), "week")
        fig = charts.build_trend(weekly, weeks=weeks, end_week=mondays[-1].isoformat())
        fig.update_layout(title_text="", margin_t=10)
        charts.mark_filling_in(fig, recent)
        return fig

    def campaign_trends(self, weeks: int = 12, top: int = TOP_CAMPAIGNS) -> Any:
        """One small weekly response-rate trend per campaign (the ``top`` largest by reach outs over the weeks,
        the others named), all on the same scale (no chart title: the section heading names it)."""
        mondays, recent = self._weeks(weeks)
        by_week = finish(self._counts(mondays[0], mondays[-1] + dt.timedelta(days=6), ("campaign", "week")),
                         ["campaign", "week"])
        fig = campaign_trends(by_week, [m.isoformat() for m in mondays], top=top, filling_in=recent)
        fig.update_layout(title_text="", margin_t=30)
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
            notes.append(f"{self.responses_without_open():,} of {total['responses']:,} responses came without a "
                         f"tracked open (a reply does not imply an open, so Responses can exceed Opens).")
        marked = members(self.table, self.start, self.end, self.tz, "reach_outs")
        quirk = int(((marked["response_type"] == "Interested") & marked["response_via"].isna()
                     & (marked["state"] != 2)).sum())
        if quirk:
            notes.append(f"{quirk:,} reach out(s) marked Interested without a response are not counted as "
                         f"Interested.")
        notes += self.event_notes()
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
                     f"<td>{cell_text(r['campaign'])}</td>", f"<td>{breakable(r['sender'])}</td>",
                     f'<td class="ts-nowrap">{cell_text(r["reach_out_id"])}</td>']
            if self.include_pii:
                cells += [f"<td>{cell_text(r['prospect_name'])}</td>", f"<td>{breakable(r['prospect_email'])}</td>"]
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
        from IPython.display import display  # (IPython is heavy to import: only a notebook records)

        display({HEADLINE_MIME: self.headline()}, raw=True)

    def headline(self) -> dict[str, Any]:
        """The numbers an index page lists for this report."""
        t = self.total()
        label = week_label(self.start) if self.is_week else f"{self.start}_{self.end}"
        rates = {f"{r}{end}": t[f"{r}{end}"] for r in RATES for end in ("", "_low", "_high")}
        return {"week": label, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "tz": self.tz, "still_arriving": self.still_arriving(), **{k: t[k] for k in COUNTS}, **rates,
                **self.headline_extras()}


def show(fig: Any) -> None:
    """Display a report chart: no mode bar, responsive width (the renderer is chosen by the environment); a
    section's HTML (a line saying why there is no chart) is displayed as it is."""
    if isinstance(fig, str):
        from IPython.display import HTML, display  # (IPython is heavy to import: only a notebook shows)

        display(HTML(fig))
        return
    fig.show(config=charts.REPORT_CONFIG)
