"""What the cohort tiles say about a change (issue 14): each rate with its 95 % interval, a change in colour with an
arrow only when it is significant ("no clear change" otherwise), counts with a plain difference, and the caveats
of how the previous period was taken (at the same age, or naively where event times are unknown).

Plain functions of a :class:`~talentstats.dashboard.sameage.Compared` returning escaped HTML or text.
"""

from __future__ import annotations

import html
from typing import Any

from talentstats.dashboard.sameage import Compared
from talentstats.present import charts
from talentstats.present.formats import HIGHER_IS_WORSE, change_text, fmt_rate_interval
from talentstats.stats.metrics import COUNTS

__all__ = ["NO_CLEAR_CHANGE", "caveat_html", "change_html", "compared_line", "interval_text", "kpi_lines",
           "tile_html", "verdict"]

NO_CLEAR_CHANGE = "no clear change"
#: rates where a rise is bad news (coloured red when it is significant)
#: the tiles' extra style: interval line, verdict colours, the caveat box
VERDICT_CSS = """<style>
.ts-tile .i{font-size:11px;color:#5f6b7a;white-space:nowrap;line-height:1.3}
.ts-tile .c .up,.ts-tile .c .down{font-weight:600}
.ts-tile .c .good{color:#1b7f3b}.ts-tile .c .bad{color:#b42318}
.ts-tile .c .same{color:#5f6b7a}
.ts-caveat{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:12px;color:#5c4400;
background:#fff7d6;border:1px solid #f0d37a;border-radius:4px;padding:4px 8px;margin:2px 0}
</style>"""


def verdict(change: dict[str, Any]) -> str:
    """``"significant"``, :data:`NO_CLEAR_CHANGE`, or ``""`` where there is no verdict (a count; an undefined
    rate)."""
    return {True: "significant", False: NO_CLEAR_CHANGE}.get(change["significant"], "")


def interval_text(metric: str, row: dict[str, Any]) -> str:
    """A rate's 95 % interval, ``"95%: 5.6–10.6"``; empty for a count or without one."""
    low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
    if metric in COUNTS or low is None or high is None or row.get(metric) is None:
        return ""
    return f"95%: {100 * low:.1f}–{100 * high:.1f}"


def _pp(value: float) -> str:
    return f"{100 * value:+.1f}"


def change_html(metric: str, c: Compared) -> str:
    """The change line of a tile (escaped HTML): arrow and colour only for a significant change of a rate."""
    ch = c.changes[metric]
    naive = ' <span class="same">· naive</span>' if c.basis[metric] == "naive" and c.cut is not None else ""
    if ch["diff"] is None:
        return f'<span class="same">{charts.NA_TEXT}</span>{naive}'
    if metric in COUNTS:
        return f'<span class="same">{html.escape(change_text(metric, ch["current"], ch["previous"]))}</span>{naive}'
    interval = f'{_pp(ch["diff"])} pp ({_pp(ch["diff_low"])} to {_pp(ch["diff_high"])})'
    if not ch["significant"]:
        return f'<span class="same">{NO_CLEAR_CHANGE}<br>{interval}</span>{naive}'
    up = ch["diff"] > 0
    good = up != (metric in HIGHER_IS_WORSE)
    arrow = "▲" if up else "▼"
    return (f'<span class="{"up" if up else "down"} {"good" if good else "bad"}">{arrow} {_pp(ch["diff"])} pp</span>'
            f'<br><span class="same">({_pp(ch["diff_low"])} to {_pp(ch["diff_high"])})</span>{naive}')


def tile_html(metric: str, c: Compared) -> str:
    """One cohort tile: label, value, the rate's 95 % interval and the change against the previous period."""
    value = _value(metric, c.now)
    unknown = " unknown" if value == charts.UNKNOWN_TEXT else ""
    interval = interval_text(metric, c.now)
    return (f'<div class="ts-tile" data-metric="{metric}" data-verdict="{verdict(c.changes[metric])}">'
            f'<div class="l">{charts.METRIC_LABELS[metric]}</div>'
            f'<div class="v{unknown}">{html.escape(value)}</div>'
            + (f'<div class="i">{html.escape(interval)}</div>' if interval else "")
            + f'<div class="c">{change_html(metric, c)}</div></div>')


def _value(metric: str, row: dict[str, Any]) -> str:
    if metric in ("opens", "open_rate") and row["opens"] is None:
        return charts.UNKNOWN_TEXT
    return (charts.fmt_count if metric in COUNTS else charts.fmt_rate)(row[metric])


def _when(c: Compared) -> str:
    return f"{c.cut:%d %b %Y %H:%M} UTC" if c.cut is not None else ""


def compared_line(c: Compared, tiles: bool = False) -> str:
    """How the changes compare, in words (plain text); ``tiles``: with how the tiles mark a change."""
    p_start, p_end = c.previous
    days = (c.end - c.start).days + 1
    what = f"the previous {days} days, {p_start:%d %b} – {p_end:%d %b %Y}"
    if c.cut is None:
        return f"Changes compare with {what}, as they are now."
    hint = " Rates show their 95 % interval; a change is coloured and gets an arrow only when it is significant."
    return (f"Changes compare with {what}, as they stood on {_when(c)}: the same age as this range now "
            f"(data as of {c.as_of:%d %b %Y %H:%M} UTC).{hint if tiles else ''}")


def caveats(c: Compared) -> tuple[list[str], list[str]]:
    """(warnings, notes): what makes a comparison naive (event times unknown) and the smaller print."""
    if c.cut is None:
        return ["Compared naively: both periods as they are now, whatever their age."], []
    warnings, notes = [], ["In Progress needs a state history: compared naively (the previous period as it is now)."]
    if not c.timed["first_opened_at"]:
        warnings.append("No open times in the data: Opens and Open rate are compared naively - the previous "
                        "period has had longer to be opened.")
    if not c.timed["responded_at"]:
        warnings.append("No response times in the data: Responses, Interested and their rates are compared "
                        "naively - the previous period has had longer to be answered.")
    notes.append(f"Hard bounces have no time: the previous period's are those of its reach outs created by "
                 f"{_when(c)}, as they are now.")
    for what, n in c.untimed.items():
        if n:
            notes.append(f"{n:,} {what} of the previous period have no time and count as having happened by then.")
    return warnings, notes


def caveat_html(c: Compared) -> str:
    """The line under the tiles (escaped HTML): warnings in a yellow box, notes muted."""
    warnings, notes = caveats(c)
    box = "".join(f'<div class="ts-caveat">⚠ {html.escape(t)}</div>' for t in warnings)
    return f'{VERDICT_CSS}{box}<div class="ts-muted" style="line-height:1.45">{html.escape(" ".join(notes))}</div>'


def kpi_lines(metrics: tuple[str, ...], c: Compared) -> list[str]:
    """One plain-text line per KPI: value (a rate with its interval), change and verdict."""
    lines = []
    for m in metrics:  # (the tiles)
        ch = c.changes[m]
        value = _value(m, c.now) if m in COUNTS else fmt_rate_interval(c.now[m], c.now.get(f"{m}_low"),
                                                                         c.now.get(f"{m}_high"))
        change = change_text(m, ch["current"], ch["previous"])
        if m not in COUNTS and ch["diff"] is not None:
            change += f" ({_pp(ch['diff_low'])} to {_pp(ch['diff_high'])}) {verdict(ch)}"
        naive = " (naive)" if c.basis[m] == "naive" and c.cut is not None else ""
        lines.append(f"  {charts.METRIC_LABELS[m]:<24}{value:>20}   {change}{naive}")
    return lines
