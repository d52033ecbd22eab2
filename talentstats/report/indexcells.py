"""The index page's cells that look across reports: each number's change against the previous report of the same
scope, honestly (a rate's change is called only when its 95 % interval excludes 0), and a small trend of the
response rate as an inline SVG sparkline (the index runs no script: its policy forbids them).

A report's "series" is its scope: the same campaigns, time zone and period length. The previous report is the next
older one of the same series. When a report's own summary compared it with exactly that period (its headline
``compare``, at the same age where event times were known), that comparison is used, as the report's tiles show
it; otherwise the two summaries' counts are compared as each report recorded them (Newcombe's interval).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

from talentstats.present.formats import HIGHER_IS_WORSE, fmt_rate, is_na
from talentstats.stats.intervals import RATE_PARTS, newcombe

#: reports shown in a row's sparkline: this one and the older ones of its series
SPARK_REPORTS = 8
SPARK_W, SPARK_H, SPARK_PAD = 96, 26, 3


def series_key(summary: dict[str, Any]) -> tuple:
    """What makes two reports comparable: the same campaigns, time zone and period length."""
    try:
        days = (dt.date.fromisoformat(str(summary.get("end"))) - dt.date.fromisoformat(str(summary.get("start")))).days
    except ValueError:
        days = None
    return tuple(summary.get("campaigns") or ()), str(summary.get("tz", "")), days


def previous_of(entries: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]] | None]:
    """For each entry (newest first), the next older entry of the same series, or None."""
    keys = [series_key(s) for _, s in entries]
    return [next((entries[j] for j in range(i + 1, len(entries)) if keys[j] == keys[i]), None)
            for i in range(len(entries))]


def change(metric: str, summary: dict[str, Any], previous: tuple[str, dict[str, Any]] | None) -> dict[str, Any]:
    """The change of ``metric`` against the previous report: ``diff`` (None: undefined), ``low``/``high`` and
    ``significant`` for rates, ``basis`` ("same age", "naive" or "as reported") and ``against`` (its folder)."""
    if previous is None:
        return {"diff": None}
    name, prev = previous
    compared = summary.get("compare") or {}
    if (compared.get("start"), compared.get("end")) == (prev.get("start"), prev.get("end")) \
            and metric in compared.get("changes", {}):
        ch = compared["changes"][metric]
        return {"diff": ch.get("diff"), "low": ch.get("diff_low"), "high": ch.get("diff_high"),
                "significant": ch.get("significant"), "basis": compared.get("basis", {}).get(metric, "naive"),
                "against": name}
    if metric in RATE_PARTS:
        num, den = RATE_PARTS[metric]
        parts = [summary.get(num), summary.get(den), prev.get(num), prev.get(den)]
        if any(is_na(p) for p in parts):
            return {"diff": None}
        d, low, high, significant = newcombe(*parts)
        if significant is None:
            return {"diff": None}
        return {"diff": d, "low": low, "high": high, "significant": significant, "basis": "as reported",
                "against": name}
    if is_na(summary.get(metric)) or is_na(prev.get(metric)):
        return {"diff": None}
    return {"diff": int(summary[metric]) - int(prev[metric]), "basis": "as reported", "against": name}


def change_cell(metric: str, ch: dict[str, Any]) -> str:
    """The change under a number: a count's difference; a rate's ``▲ +2.1 pp`` only when significant, else
    ``no clear change (−2.0 pp)``; a title gives the interval and what it was compared with."""
    diff = ch.get("diff")
    if is_na(diff):
        return ""
    basis = {"same age": "at the same age", "naive": "as it is now", "as reported": "as each report recorded it"}
    against = f"vs {ch['against']} {basis.get(ch.get('basis'), '')}".strip()
    if metric not in RATE_PARTS:
        return f'<br><span class="chg" title="{html.escape(against)}">{int(diff):+,}</span>'
    pp = f"{float(diff) * 100:+.1f} pp"
    title = f"{against}; 95 %: {float(ch['low']) * 100:+.1f} to {float(ch['high']) * 100:+.1f} pp" \
        if not is_na(ch.get("low")) and not is_na(ch.get("high")) else against
    if not ch.get("significant"):
        return f'<br><span class="chg" title="{html.escape(title)}">no clear change<br>({pp})</span>'
    up = float(diff) > 0
    klass = "worse" if up == (metric in HIGHER_IS_WORSE) else "better"
    return f'<br><span class="chg {klass}" title="{html.escape(title)}">{"▲" if up else "▼"} {pp}</span>'


def series_points(entries: Sequence[tuple[str, dict[str, Any]]]) -> list[list[tuple[str, dict[str, Any]]]]:
    """For each entry (newest first), the reports of its sparkline: up to :data:`SPARK_REPORTS` of its series
    ending with it, oldest first."""
    keys = [series_key(s) for _, s in entries]
    return [[entries[j] for j in range(len(entries)) if j >= i and keys[j] == keys[i]][:SPARK_REPORTS][::-1]
            for i in range(len(entries))]


def sparkline(points: Sequence[tuple[str, dict[str, Any]]], top: float, metric: str = "response_rate") -> str:
    """An inline SVG of ``metric`` over ``points`` (oldest first) on a 0 – ``top`` scale shared by every row: the
    line, its 95 % interval as a band, the newest point filled (hollow when still filling in); '' without rates."""
    values = [(name, s.get(metric), s.get(f"{metric}_low"), s.get(f"{metric}_high"), bool(s.get("still_arriving")))
              for name, s in points]
    values = [v for v in values if not is_na(v[1])]
    if not values or top <= 0:
        return ""
    step = (SPARK_W - 2 * SPARK_PAD) / max(SPARK_REPORTS - 1, 1)
    x0 = SPARK_W - SPARK_PAD - step * (len(values) - 1)  # the newest report at the right edge, as in every row

    def y(v: float) -> float:
        return SPARK_H - SPARK_PAD - (SPARK_H - 2 * SPARK_PAD) * min(float(v), top) / top

    xs = [x0 + step * i for i in range(len(values))]
    line = " ".join(f"{x:.1f},{y(v[1]):.1f}" for x, v in zip(xs, values, strict=True))
    band = ""
    if all(not is_na(v[2]) and not is_na(v[3]) for v in values) and len(values) > 1:
        outline = [f"{x:.1f},{y(v[3]):.1f}" for x, v in zip(xs, values, strict=True)]
        outline += [f"{x:.1f},{y(v[2]):.1f}" for x, v in zip(xs[::-1], values[::-1], strict=True)]
        band = f'<polygon points="{" ".join(outline)}" fill="#E07B24" fill-opacity="0.15" stroke="none"/>'
    name, last, _, _, filling = values[-1]
    dot = (f'<circle cx="{xs[-1]:.1f}" cy="{y(last):.1f}" r="2.6" fill="{"#ffffff" if filling else "#E07B24"}" '
           f'stroke="#E07B24" stroke-width="1.4"/>')
    words = ", ".join(f"{html.escape(n)} {fmt_rate(v)}" for n, v, *_ in values)
    label = f"Response rate, oldest to newest: {words}" + (" (the newest still filling in)" if filling else "")
    return (f'<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}" role="img" '
            f'aria-label="{label}"><title>{label}</title>{band}'
            f'<polyline points="{line}" fill="none" stroke="#E07B24" stroke-width="1.6"/>{dot}</svg>')


__all__ = ["SPARK_REPORTS", "change", "change_cell", "previous_of", "series_key", "series_points", "sparkline"]
