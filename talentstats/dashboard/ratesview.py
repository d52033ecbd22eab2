"""The dashboard's comparison of campaigns or senders by rate (issue 14 point 5): the dot-and-whisker chart
(:mod:`~talentstats.dashboard.ratechart`) and an A/B mode - two campaigns (or senders) of the range picked, their
rates with 95 % intervals, and Newcombe's verdict on the difference ("no clear change" unless it is significant).

:class:`RatesView` holds the widgets; the dashboard calls :meth:`RatesView.update` with the statistics by key.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from talentstats.dashboard.ratechart import RATE_CHOICES, build_rate_dots, update_rate_dots
from talentstats.dashboard.verdicts import NO_CLEAR_CHANGE
from talentstats.present.formats import HIGHER_IS_WORSE, KEY_LABELS, METRIC_LABELS, fmt_count, fmt_rate_interval
from talentstats.stats.intervals import RATE_PARTS, newcombe

__all__ = ["AB_CSS", "RatesView", "ab_html", "ab_verdict"]

AB_CSS = """<style>
.ts-ab{overflow-x:auto;max-width:100%;
font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;font-size:13px;color:#3e4c59;margin:4px 0 8px 0}
.ts-ab table{border-collapse:collapse}.ts-ab td{padding:3px 10px 3px 0;white-space:nowrap}
.ts-ab .track{position:relative;width:260px;height:14px;border-left:1px solid #cbd2d9;border-right:1px solid #cbd2d9;
background:linear-gradient(#e4e7eb,#e4e7eb) center/100% 1px no-repeat}
.ts-ab .wh{position:absolute;top:6px;height:2px;background:#52606d}
.ts-ab .dot{position:absolute;top:2px;width:10px;height:10px;border-radius:5px;margin-left:-5px;background:#E07B24}
.ts-ab .verdict{margin-top:4px}.ts-ab .good{color:#1b7f3b;font-weight:600}.ts-ab .bad{color:#b42318;font-weight:600}
.ts-ab .same{color:#5f6b7a}.ts-ab .scale{font-size:11px;color:#5f6b7a}
@media (max-width:600px){.ts-ab table,.ts-ab tbody{display:block}
.ts-ab tr{display:grid;grid-template-columns:auto 1fr;column-gap:12px;margin-bottom:6px}.ts-ab td{padding:1px 0}
.ts-ab td:first-child{grid-column:1/-1;white-space:normal}.ts-ab .track,.ts-ab .scale{width:160px}}
</style>"""


def ab_verdict(rows: pd.DataFrame, a: Any, b: Any, metric: str) -> dict[str, Any] | None:
    """A's rate against B's: (d = p_A − p_B, Newcombe's 95 % interval, significant), from :func:`rate_rows`.

    Returns:
        {"a", "b": the two rows as dicts, "diff", "diff_low", "diff_high", "significant"}; None when either is not
        among the rows (no reach outs, or no rate, in the range).
    """
    pick = rows[rows["key"].isin([a, b])].set_index("key", drop=False)
    if a == b or len(pick) < 2:
        return None
    ra, rb = pick.loc[a].to_dict(), pick.loc[b].to_dict()
    d, low, high, significant = newcombe(ra["x"], ra["n"], rb["x"], rb["n"])
    return {"a": ra, "b": rb, "diff": d, "diff_low": low, "diff_high": high, "significant": significant}


def _bar(row: dict[str, Any], scale: float) -> str:
    low, high, rate = (100 * row[c] / scale for c in ("low", "high", "rate"))
    return (f'<div class="track"><div class="wh" style="left:{low:.2f}%;width:{high - low:.2f}%"></div>'
            f'<div class="dot" style="left:{rate:.2f}%"></div></div>')


def ab_html(result: dict[str, Any] | None, metric: str, key: str) -> str:
    """The A/B panel (escaped HTML): both rates with their intervals drawn on one scale, then the verdict."""
    what = KEY_LABELS[key].lower()
    if result is None:
        return (f'{AB_CSS}<div class="ts-ab"><span class="same">Pick two different {what}s with reach outs in the '
                f"range.</span></div>")
    den = RATE_PARTS[metric][1].replace("_", " ")
    scale = min(1.0, max(result["a"]["high"], result["b"]["high"]) * 1.1) or 1.0
    lines = []
    for tag in ("a", "b"):  # (the two picked groups)
        r = result[tag]
        rate = html.escape(fmt_rate_interval(r["rate"], r["low"], r["high"]))
        lines.append(f"<tr><td><b>{tag.upper()}</b> {r['name']}</td><td>{rate}</td>"
                     f"<td class=\"same\">{fmt_count(r['x'])} of {fmt_count(r['n'])} {den}</td>"
                     f"<td>{_bar(r, scale)}</td></tr>")
    d, low, high = (100 * result[c] for c in ("diff", "diff_low", "diff_high"))
    change = f"A − B: {d:+.1f} pp, 95 % interval {low:+.1f} to {high:+.1f} pp"
    if result["significant"]:
        good = (d > 0) != (metric in HIGHER_IS_WORSE)
        verdict = (f'<span class="{"good" if good else "bad"}">{"▲" if d > 0 else "▼"} A is '
                   f'{"higher" if d > 0 else "lower"}: significant</span> <span class="same">({change})</span>')
    else:
        verdict = (f'<span class="same"><b>{NO_CLEAR_CHANGE}</b> between A and B ({change}): the interval '
                   f"includes 0, the difference may be chance.</span>")
    scale_row = (f'<tr><td colspan="3"></td><td class="scale">0 %<span style="float:right">{100 * scale:.0f} %'
                 f"</span></td></tr>")
    return (f'{AB_CSS}<div class="ts-ab" data-verdict="{"significant" if result["significant"] else NO_CLEAR_CHANGE}">'
            f'<table>{"".join(lines)}{scale_row}</table><div class="verdict">{verdict}</div></div>')


class RatesView:
    """The rate picker, the dot-and-whisker chart and the A/B panel.

    Args:
        figure: the FigureWidget class to wrap the chart in.
    """

    def __init__(self, figure: Callable[[Any], Any]) -> None:
        label = {"description_width": "84px"}
        self.metric = w.Dropdown(description="Rate", options=[(METRIC_LABELS[m], m) for m in RATE_CHOICES],
                                 value=RATE_CHOICES[0], style=label, layout=w.Layout(width="280px"))
        self.chart = figure(build_rate_dots())
        self.a = w.Dropdown(description="A", options=[], style={"description_width": "20px"},
                            layout=w.Layout(width="300px"))
        self.b = w.Dropdown(description="B", options=[], style={"description_width": "20px"},
                            layout=w.Layout(width="300px"))
        self.ab = w.HTML()
        self.rows = pd.DataFrame(columns=["key", "label", "name", "x", "n", "rate", "low", "high"])
        self._key = "campaign"
        self._last: tuple[pd.DataFrame, dict[str, Any], str] | None = None
        self._hold = False
        self.metric.observe(lambda _: self.redraw(), names="value")
        for pick in (self.a, self.b):
            pick.observe(lambda _: self._update_ab(), names="value")

    def box(self) -> w.Box:
        """The rate picker, the chart and the A/B row, in a column."""
        row = w.Layout(display="flex", flex_flow="row wrap", grid_gap="6px 16px", align_items="center")
        title = w.HTML('<span class="ts-line"><b>A/B</b>: two of them side by side, with the verdict on the '
                       "difference</span>")
        return w.VBox([self.metric, self.chart, title, w.HBox([self.a, self.b], layout=row), self.ab])

    def update(self, stats: pd.DataFrame, total: dict[str, Any], key: str) -> None:
        """Draw the statistics by ``key`` (campaign or sender) of the range and refresh the A/B picks."""
        self._last = (stats, total, key)
        self.redraw()

    def redraw(self) -> None:
        """Chart and A/B for the last statistics and the chosen rate."""
        if self._last is None:
            return
        stats, total, key = self._last
        self.rows = update_rate_dots(self.chart, stats, total, key, self.metric.value)
        by_n = self.rows.sort_values(["n", "key"], ascending=[False, True], kind="stable")
        options = list(zip(by_n["name"].map(html.unescape), by_n["key"], strict=True))
        values = [v for _, v in options]
        keep = key == self._key
        a = self.a.value if keep and self.a.value in values else (values[0] if values else None)
        others = [v for v in values if v != a]
        b = self.b.value if keep and self.b.value in others else (others[0] if others else None)
        self._key = key
        self._hold = True
        try:
            for pick, value in ((self.a, a), (self.b, b)):  # (two pickers; a change sends a message: only then)
                if tuple(pick.options) != tuple(options):
                    pick.options = options
                if pick.value != value:
                    pick.value = value
        finally:
            self._hold = False
        self._update_ab()

    def _update_ab(self) -> None:
        if self._hold:
            return
        self.ab.value = ab_html(ab_verdict(self.rows, self.a.value, self.b.value, self.metric.value),
                                self.metric.value, self._key)
