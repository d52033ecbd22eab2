"""The weekly report's honest headline (issue 14): KPI tiles compared with the previous period at the same age,
rates with their 95 % intervals, a verdict only for a significant change, how mature the period is and its
projected final response rate.

A mixin of :class:`talentstats.weekly.WeeklyReport`. The comparison is
:func:`talentstats.stats.compare.compare_periods` with ``same_age=True`` (each metric whose event times are unknown
falls back to the naive comparison, and a caveat under the tiles says so), the maturity
:func:`talentstats.stats.compare.maturity`, the projection that of ``talentstats triangle --project``. See
docs/metrics.md, "Honest comparisons".
"""

from __future__ import annotations

import datetime as dt
import html
from functools import cached_property
from typing import Any

import pandas as pd

from talentstats.present import charts
from talentstats.present.formats import HIGHER_IS_WORSE, fmt_rate_interval, is_na
from talentstats.stats.compare import compare_periods, maturity
from talentstats.stats.metrics import COUNTS, RATES
from talentstats.stats.periods import week_label

KPI_ORDER = COUNTS + RATES


def change_words(metric: str, change: dict[str, Any]) -> tuple[str, str]:
    """The change line of a tile and its CSS class: counts ``-12`` (no verdict: ``ts-count``); rates with a
    significant change ``▼ -9.1 pp`` (``ts-better`` / ``ts-worse``), otherwise ``no clear change (-2.0 pp)``
    (``ts-flat``); ``—`` when undefined."""
    diff = change.get("diff")
    if is_na(diff):
        return charts.NA_TEXT, "ts-flat"
    if metric in COUNTS:
        return f"{int(diff):+,}", "ts-count"
    if not change.get("significant"):
        return f"no clear change ({float(diff) * 100:+.1f} pp)", "ts-flat"
    up = float(diff) > 0
    better = up != (metric in HIGHER_IS_WORSE)
    return f"{'▲' if up else '▼'} {float(diff) * 100:+.1f} pp", "ts-better" if better else "ts-worse"


def change_range(metric: str, change: dict[str, Any]) -> str:
    """The 95 % interval of a rate's change, ``95 %: -5.5 to +1.6 pp``; '' for counts or when undefined."""
    if metric in COUNTS or is_na(change.get("diff_low")) or is_na(change.get("diff")):
        return ""
    return f"95 %: {float(change['diff_low']) * 100:+.1f} to {float(change['diff_high']) * 100:+.1f} pp"


class HonestHeadline:
    """The headline sections of a :class:`~talentstats.weekly.WeeklyReport` (needs its table, period, time zone,
    ``total()``, ``previous_label``, ``is_week`` and the event data of
    :class:`~talentstats.weeklyevents.EventSections`)."""

    table: pd.DataFrame
    start: dt.date
    end: dt.date
    tz: str
    is_week: bool
    period_words: str
    previous_label: str
    total: Any
    events: Any
    in_progress_text: Any

    @cached_property
    def comparison(self) -> dict[str, Any]:
        """This period against the previous one of the same length, at the same age where event times are known
        (:func:`~talentstats.stats.compare.compare_periods`)."""
        return compare_periods(self.table, (self.start, self.end), "previous", self.tz, same_age=True,
                               as_of=self.events.as_of)  # (the newest instant, found once for every section)

    @cached_property
    def maturity(self) -> dict[str, Any]:
        """How old the period's reach outs are (:func:`~talentstats.stats.compare.maturity`); without response
        times the p90 time to reply and the share older than it are None."""
        return maturity(self.table, (self.start, self.end), self.tz, as_of=self.events.as_of)

    @cached_property
    def projection(self) -> dict[str, Any] | None:
        """The week's projected final response rate with its 95 % interval (``talentstats triangle --weeks 10
        --project``: the creation weeks of the "How replies arrive" section), or None: not a week, no response
        times, or nothing to project (the week is the oldest, or its interval is unknown)."""
        from talentstats.stats.eventquery import projected_rates
        from talentstats.weeklyevents import ARRIVAL_WEEKS

        if not self.is_week or self.comparison["basis"]["response_rate"] != "same age":
            return None
        # (what compute_triangle(project=True) adds to its triangle, without counting the triangle: not shown here)
        rows = projected_rates(self.events, self.end, ARRIVAL_WEEKS, self.tz, "responses")
        row = rows[-1] if rows else None  # (the weeks end with this one)
        if row is None or row["created_week"] != week_label(self.start) or row["label"] != "projected" \
                or row["projected_low"] is None:
            return None
        return row

    @property
    def same_age(self) -> bool:
        """True when the rates of responses are compared at the same age (response times known)."""
        return self.comparison["basis"]["response_rate"] == "same age"

    def _previous_words(self, metric: str) -> str:
        how = self.comparison["basis"].get(metric)
        return f"{self.previous_label} at the same age" if how == "same age" else f"{self.previous_label} (naive)"

    def kpi_frame(self) -> pd.DataFrame:
        """The KPI tiles as a table: metric, this period (rates with their interval), the previous period as
        compared, the change and the verdict."""
        now, changes, before = self.total(), self.comparison["changes"], self.comparison["total"]
        frame = pd.DataFrame({"metric": list(KPI_ORDER)})
        words = frame["metric"].map(lambda m: change_words(m, changes[m])[0])  # (eleven metrics)
        return pd.DataFrame({
            "Metric": frame["metric"].map(charts.METRIC_LABELS),
            "This period": frame["metric"].map(lambda m: _value(m, now)),
            "Previous period": frame["metric"].map(lambda m: _value(m, before)),
            "Change": words,
            "95 % interval of the change": frame["metric"].map(lambda m: change_range(m, changes[m])),
            "Compared": frame["metric"].map(self.comparison["basis"]),
        })

    def kpi_tile(self, metric: str) -> str:
        """One tile: the number (a rate with its interval), the change (arrow and colour only when
        significant), the previous period's number as compared."""
        now, change = self.total(), self.comparison["changes"][metric]
        before = self.comparison["total"]
        colour = charts.METRIC_COLORS.get(metric) or charts.RATE_COLORS.get(metric, "#9aa5b1")
        words, klass = change_words(metric, change)
        rng = change_range(metric, change)
        value = charts.fmt_count(now[metric]) if metric in COUNTS else charts.fmt_rate(now[metric])
        interval = ""
        if metric in RATES and not is_na(now.get(f"{metric}_low")):
            interval = (f'<span class="ts-kpi-ci">{now[f"{metric}_low"] * 100:.1f}–'
                        f'{now[f"{metric}_high"] * 100:.1f}</span>')
        detail = f'<div class="ts-kpi-range">{html.escape(rng)}</div>' if rng else ""
        return (f'<div class="ts-kpi" data-metric="{metric}" style="border-top-color:{colour}">'
                f'<div class="ts-kpi-label">{html.escape(charts.METRIC_LABELS[metric])}</div>'
                f'<div class="ts-kpi-value">{value}{interval}</div>'
                f'<div class="ts-kpi-change {klass}">{html.escape(words)}</div>{detail}'
                f'<div class="ts-kpi-prev">{html.escape(self._previous_words(metric))}: '
                f'{_value(metric, before, interval=False)}</div></div>')

    def kpi_html(self) -> str:
        """KPI tiles (counts in one row, rates in another), the period's maturity and projection in one line, what
        In Progress counts (not the state of that name), and how the comparison was made (its caveats)."""
        rows = [f'<div class="ts-kpis ts-kpis-{len(group)}">{"".join(self.kpi_tile(m) for m in group)}</div>'
                for group in (COUNTS, RATES)]
        notes = "".join(f"<li>{html.escape(c)}</li>" for c in self.comparison_notes())
        return (f'<div class="ts-report">{"".join(rows)}<p class="ts-maturity">{html.escape(self.maturity_text())}'
                f'</p><p class="ts-maturity ts-define">{html.escape(self.in_progress_text())}</p>'
                f'<ul class="ts-caveats">{notes}</ul></div>')

    def comparison_notes(self) -> list[str]:
        """How the changes were computed, then the comparison's caveats."""
        c = self.comparison
        cut = pd.Timestamp(c["cut"]).tz_convert(self.tz)
        if any(v == "same age" for k, v in c["basis"].items() if k != "reach_outs"):
            how = (f"Changes against {self.previous_label} as it stood on {cut:%a %d %b %H:%M}, when it was as old "
                   f"as {self.period_words} is now (same age)")
        else:
            how = f"Changes against {self.previous_label} as it is now (naive: no event times in the data)"
        return [f"{how}. Arrows and colours mark significant changes only (95 % interval of the difference "
                f"excludes 0); intervals are 95 % Wilson.", *c["caveats"]]

    def maturity_text(self) -> str:
        """One line: the median age of the period's reach outs, the share older than the p90 time to reply and
        the projected final response rate."""
        m = self.maturity
        if not m["reach_outs"]:
            return f"No reach outs created in {self.period_words}."
        text = (f"How mature: the {m['reach_outs']:,} reach outs of {self.period_words} are a median "
                f"{m['median_age_days']:.1f} days old")
        share = m["share_older_than_p90"]
        if share is not None:
            older = "none" if share == 0 else "all" if share == 1 else f"{share * 100:.0f} %"
            text += (f"; {older} of them {'is' if share == 0 else 'are'} older than the time within which 90 % "
                     f"of replies come ({m['p90_hours'] / 24:.1f} days)")
        else:
            text += " (no response times: how long replies take is unknown)"
        p = self.projection
        if p is not None:
            final = fmt_rate_interval(p["projected_rate"], p["projected_low"], p["projected_high"])
            text += f". Response rate now {charts.fmt_rate(p['rate'])}; projected final response rate {final}"
        return text + "."

    def headline_extras(self) -> dict[str, Any]:
        """The comparison, maturity and projection as the headline record carries them (JSON values)."""
        c, m, p = self.comparison, self.maturity, self.projection
        return {"compare": {"start": c["start"], "end": c["end"], "same_age": c["same_age"],
                            "cut": c["cut"].isoformat(), "changes": c["changes"], "basis": c["basis"],
                            "caveats": c["caveats"]},
                "maturity": {k: m[k] for k in ("median_age_days", "p90_hours", "share_older_than_p90")},
                "projected_response_rate": None if p is None else
                {k: p[k] for k in ("projected_rate", "projected_low", "projected_high")}}


def _value(metric: str, total: dict[str, Any], interval: bool = True) -> str:
    """A total's number as a tile shows it: a count, or a rate (with its interval)."""
    if metric in COUNTS:
        return charts.fmt_count(total.get(metric))
    if not interval:
        return charts.fmt_rate(total.get(metric))
    return fmt_rate_interval(total.get(metric), total.get(f"{metric}_low"), total.get(f"{metric}_high"))


__all__ = ["KPI_ORDER", "HonestHeadline", "change_range", "change_words"]
