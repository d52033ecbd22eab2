"""The weekly report's sections on when things happen (issue 13): the activity of the period beside the cohort
numbers, their reconciliation, how replies arrive, time to reply and the steps of the sequence.

A mixin of :class:`talentstats.weekly.WeeklyReport`: the numbers come from the one-call layer
(:mod:`talentstats.stats.eventquery`) on the report's own frames, so they are those of ``talentstats stats --view
activity|reconcile``, ``--time-to-reply``, ``talentstats steps`` and ``talentstats triangle``. Without a messages
export a section that needs one says so in one line. No prospect data is shown.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import pandas as pd

from talentstats.errors import UsageError
from talentstats.load.accounting import LoadReport
from talentstats.present import charts
from talentstats.present.formats import KEY_LABELS, change_text, is_na
from talentstats.present.report_html import cell_text, first_rows, scroll_box, stats_table_html
from talentstats.stats.arrival import newest_instant
from talentstats.stats.eventquery import EventData, compute_steps, compute_triangle, compute_view
from talentstats.stats.metrics import newest_date, stats_dicts
from talentstats.stats.periods import previous_period

#: activity counts shown as tiles, in order, with their labels
ACTIVITY_LABELS: dict[str, str] = {"messages_sent": "Messages sent", "reach_outs_started": "Reach outs started",
                                   "opens": "Opens", "responses": "Responses", "interested": "Interested"}
#: creation weeks of the "How replies arrive" heatmap
ARRIVAL_WEEKS = 10
TTR_LABELS: dict[str, str] = {"ttr_n": "Replies timed", "ttr_median_h": "Median", "ttr_p75_h": "75% within",
                              "ttr_p90_h": "90% within"}


def _note(text: str) -> str:
    """A one-line section (what is missing and why)."""
    return f'<div class="ts-report"><p class="ts-more">{html.escape(text)}</p></div>'


def fmt_hours(value: Any) -> str:
    """``14.2 h``; missing -> ``'—'``."""
    return charts.NA_TEXT if is_na(value) else f"{float(value):,.1f} h"


class EventSections:
    """Sections of a :class:`~talentstats.weekly.WeeklyReport` about events (needs its table, load report, period,
    time zone and messages)."""

    table: pd.DataFrame
    load: LoadReport
    start: dt.date
    end: dt.date
    tz: str
    messages: Any
    is_week: bool
    campaigns: Sequence[str]

    @cached_property
    def events(self) -> EventData:
        """The report's reach outs and messages as the event queries take them (pandas; messages of the report's
        reach outs only)."""
        msgs = self.messages
        if msgs is not None and not isinstance(msgs, pd.DataFrame):
            msgs = msgs.to_pandas()
        if msgs is not None and self.campaigns:
            msgs = msgs[msgs["reach_out_id"].isin(self.table["reach_out_id"])].reset_index(drop=True)
        return EventData(self.table, msgs, self.load, newest_date(self.table, self.tz), newest_instant(self.table))

    @property
    def period_words(self) -> str:
        """``this week`` or ``this period``."""
        return "this week" if self.is_week else "this period"

    # ------------------------------------------------------------ activity
    def _view(self, view: str, by: str | None, start: dt.date, end: dt.date, time_to_reply: bool = False) -> Any:
        """``compute_view`` of the report's events (each view made once: the data keeps it, ``EventData.kept``)."""
        return compute_view(None, view=view, start=start, end=end, tz=self.tz, by=by, time_to_reply_=time_to_reply,
                            data=self.events)

    def activity(self, by: str | None = None, start: dt.date | None = None, end: dt.date | None = None) -> Any:
        """The activity view of the period (or another): rows by ``by`` (campaign or sender), or the total."""
        result = self._view("activity", by, start or self.start, end or self.end)
        return result.rows if by else result.total  # (read only by the sections: sorted into new frames)

    def activity_total(self) -> dict[str, Any]:
        """The period's activity counts as a dict (None: unknown)."""
        return stats_dicts(self.activity())[0]

    def activity_html(self) -> str:
        """Tiles of what happened in the period, whatever week the reach outs were created, each with the
        previous period's value, and the cohort's count where there is one."""
        now = self.activity_total()
        before = stats_dicts(self.activity(None, *previous_period(self.start, self.end)))[0]
        cohort = stats_dicts(self.stats())[0]  # type: ignore[attr-defined]
        tiles = []
        for m, label in ACTIVITY_LABELS.items():
            colour = charts.METRIC_COLORS.get(m, charts.METRIC_COLORS["reach_outs"])
            same = f"<div class=\"ts-kpi-prev\">Created {self.period_words}: {charts.fmt_count(cohort[m])}</div>" \
                if m in cohort else ""
            tiles.append(
                f'<div class="ts-kpi" data-activity="{m}" style="border-top-color:{colour}">'
                f'<div class="ts-kpi-label">{label}</div><div class="ts-kpi-value">{charts.fmt_count(now[m])}</div>'
                f'<div class="ts-kpi-change">{html.escape(change_text(m, now[m], before[m]))}</div>'
                f'<div class="ts-kpi-prev">{html.escape(self.previous_label)}: '  # type: ignore[attr-defined]
                f"{charts.fmt_count(before[m])}</div>{same}</div>")
        notes = []
        if self.events.messages is None:
            notes.append("No messages export: messages sent and reach outs started are unknown.")
        if now["responses_time_unknown"]:
            notes.append(f"{charts.fmt_count(now['responses_time_unknown'])} responses have no known time: they "
                         "count in their cohort but in no week's activity.")
        extra = "".join(f'<p class="ts-more">{html.escape(n)}</p>' for n in notes)
        return f'<div class="ts-report"><div class="ts-kpis ts-kpis-5">{"".join(tiles)}</div>{extra}</div>'

    def activity_table_html(self, key: str = "campaign") -> str:
        """Activity by campaign (or sender), most responses first, with a Total row."""
        rows = self.activity(key)
        if rows is None or rows.empty:
            return _note(f"Nothing happened {self.period_words}.")
        rows = rows.sort_values(["responses", key], ascending=[False, True], kind="stable")
        total = pd.DataFrame([{key: "Total", **self.activity_total()}])
        show = [KEY_LABELS[key], *ACTIVITY_LABELS.values()]

        def display(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame.rename(columns={key: KEY_LABELS[key], **ACTIVITY_LABELS})[show]
            out[KEY_LABELS[key]] = out[KEY_LABELS[key]].map(charts.display_label)
            return out.astype("object").map(lambda v: v if isinstance(v, str) else charts.fmt_count(v))

        rows, more = first_rows(rows, key)
        table = stats_table_html(display(rows), display(total), key)
        return f'<div class="ts-report">{scroll_box(table, f"Activity by {KEY_LABELS[key].lower()}")}{more}</div>'

    # ------------------------------------------------------------ reconciliation
    def reconciliation(self) -> dict[str, Any]:
        """The period's reconciliation (as ``talentstats stats --view reconcile``'s total)."""
        return self._view("reconcile", None, self.start, self.end).total

    def reconciliation_frame(self) -> pd.DataFrame:
        """The reconciliation as the display table: created in the period, and arrived in it, each a sum."""
        r = self.reconciliation()
        flat = {k: r[k] for k in ("cohort_responses", "received_in_range", "received_after", "time_unknown",
                                  "from_earlier_cohorts", "activity_responses")}
        flat.update({f"opens_{k}": v for k, v in r["opens"].items()})
        opens = r["cohort"] is not None and r["cohort"].get("opens") is not None
        return charts.reconciliation_table(pd.DataFrame([flat]), period=self.period_words, opens=opens)

    def reconciliation_html(self) -> str:
        """The reconciliation table (its two sums in bold) and the identity in words."""
        frame, r = self.reconciliation_frame(), self.reconciliation()
        numeric = [c for c in frame.columns if c != "Reach outs"]
        head = '<th class="ts-key">Reach outs</th>' + "".join(f'<th class="ts-num">{c}</th>' for c in numeric)
        total = ' class="ts-total"'
        body = [f'<tr{total if i in charts.RECONCILIATION_SUM_ROWS else ""}>'
                f'<td class="ts-key">{cell_text(row[0])}</td>'
                + "".join(f'<td class="ts-num">{cell_text(v)}</td>' for v in row[1:]) + "</tr>"
                for i, row in enumerate(frame.itertuples(index=False, name=None))]
        p, n = self.period_words, charts.fmt_count
        words = (f"Responses created {p} ({n(r['cohort_responses'])}) = {n(r['received_in_range'])} arrived {p} + "
                 f"{n(r['received_after'])} arrived after + {n(r['time_unknown'])} with no known time. "
                 f"Responses that arrived {p} ({n(r['activity_responses'])}) = {n(r['received_in_range'])} from "
                 f"reach outs created {p} + {n(r['from_earlier_cohorts'])} from reach outs created earlier.")
        return (f'<div class="ts-report"><table class="ts-rt ts-reconcile"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table><p class="ts-more">{html.escape(words)}</p></div>')

    # ------------------------------------------------------------ how replies arrive
    def arrival_frame(self, weeks: int = ARRIVAL_WEEKS, metric: str = "responses") -> pd.DataFrame:
        """The development triangle of the ``weeks`` creation weeks ending with this one (``talentstats
        triangle``)."""
        return compute_triangle(None, end=self.end, weeks=weeks, tz=self.tz, metric=metric, data=self.events).rows

    def arrival(self, weeks: int = ARRIVAL_WEEKS) -> Any:
        """How replies arrive: the heatmap of the last ``weeks`` creation weeks."""
        return charts.arrival_heatmap(self.arrival_frame(weeks))

    # ------------------------------------------------------------ time to reply
    def time_to_reply(self, key: str = "campaign") -> tuple[pd.DataFrame, dict[str, Any]]:
        """Time to reply of the period's cohort by ``key`` and in total (``stats --time-to-reply``)."""
        result = self._view("cohort", key, self.start, self.end, time_to_reply=True)
        return result.rows, stats_dicts(result.total)[0]

    def time_to_reply_html(self, key: str = "campaign") -> str:
        """Median, 75th and 90th percentile hours to reply by campaign, most replies first, with a Total row."""
        rows, total = self.time_to_reply(key)
        if not total["ttr_n"]:
            return _note(f"No reach out created {self.period_words} has replied at a known time yet.")
        rows = rows.sort_values(["ttr_n", key], ascending=[False, True], kind="stable")
        columns = list(TTR_LABELS)

        def display(frame: pd.DataFrame) -> pd.DataFrame:
            out = pd.DataFrame({KEY_LABELS[key]: frame[key].map(charts.display_label),
                                TTR_LABELS["ttr_n"]: frame["ttr_n"].map(charts.fmt_count)})
            for c in columns[1:]:
                out[TTR_LABELS[c]] = frame[c].map(fmt_hours)
            return out

        rows, more = first_rows(rows, key)
        table = stats_table_html(display(rows), display(pd.DataFrame([{key: "Total", **total}])), key)
        basis = "the first e-mail sent" if self.events.messages is not None else "creation (no messages export)"
        lines = [f"Hours from {basis} to the reply, for the reach outs created {self.period_words} that replied."]
        if self.still_arriving():  # type: ignore[attr-defined]
            lines.append("Replies still to come will lengthen these times.")
        return (f'<div class="ts-report">{scroll_box(table, f"Time to reply by {KEY_LABELS[key].lower()}")}{more}'
                f'<p class="ts-more">{html.escape(" ".join(lines))}</p></div>')

    # ------------------------------------------------------------ steps
    def steps_frame(self) -> pd.DataFrame:
        """Per step of the sequence: sent, first opens, replies, reply rate (``talentstats steps``).

        Raises:
            UsageError: no messages export, or one without a Step column.
        """
        return compute_steps(None, start=self.start, end=self.end, tz=self.tz, data=self.events).rows

    def steps(self) -> Any:
        """Which e-mail gets the replies: the chart, or one line of HTML saying why there is none."""
        try:
            frame = self.steps_frame()
        except UsageError as err:
            return _note(f"No steps: {'no messages export' if self.events.messages is None else err.reason}.")
        if frame.empty:
            return _note(f"No e-mails were sent to the reach outs created {self.period_words}.")
        return charts.steps_chart(frame)

    def event_notes(self) -> list[str]:
        """Data-quality facts of the event sections."""
        n = self.load.responded_at_from_updated_at
        if not n:
            return []
        return [f"{n:,} response time(s) are approximate: taken from Updated At (state Responded, no Responded At "
                "column); the activity view, how replies arrive and time to reply rest on them."]


__all__ = ["ACTIVITY_LABELS", "ARRIVAL_WEEKS", "EventSections", "fmt_hours"]
