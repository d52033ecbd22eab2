"""The sample week's report compares honestly (issue 14): 2026-W47 against 2026-W46 at the same age, rates with
their intervals, a verdict only for a significant change; its headline record carries the intervals and the
comparison. Reads the session's rendering of the sample week (see conftest.py)."""

from __future__ import annotations

import html
import json
import re

from talentstats.stats.intervals import wilson
from talentstats.stats.metrics import RATES

from .helpers import Rendering, slow


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@slow
def test_w47_tiles_are_compared_at_the_same_age_with_intervals_and_verdicts(sample_week: Rendering):
    page = (sample_week.folder / "weekly_report.html").read_text(encoding="utf-8")
    tiles = page[page.index('class="ts-kpis ts-kpis-6"'):page.index('class="ts-caveats"')]
    text = _text(tiles)
    # naively W46 has 99 responses now (-58 / -61 %, the "-61"); at the same age it had 53
    assert "-61" not in text and "−61" not in text and "-58" not in text and "(-58.6%)" not in text
    assert "2026-W46 at the same age: 53" in text and "2026-W46 at the same age: 10.1%" in text
    # response rate 41/503 = 8.2 % (6.1–10.9) against 53/524: -2.0 pp, Newcombe -5.5 to +1.6: no verdict
    assert re.search(r'data-metric="response_rate".*?8\.2%<span class="ts-kpi-ci">6\.1–10\.9</span>.*?'
                     r'ts-kpi-change ts-flat">no clear change \(-2\.0 pp\)</div>.*?95 %: -5\.5 to \+1\.6 pp', tiles)
    # open rate 154/503 against 208/524: -9.1 pp, -14.8 to -3.2: significant, so an arrow and a colour
    assert re.search(r'data-metric="open_rate".*?ts-kpi-change ts-worse">▼ -9\.1 pp</div>', tiles)
    assert "ts-better" not in tiles and tiles.count("ts-worse") == 1  # the only significant change
    assert 'class="ts-callout"' not in page  # no yellow caveat: a line says how mature the week is
    assert re.search(r"How mature: the 503 reach outs of this week are a median 4\.4 days old; none of them is "
                     r"older than the time within which 90 % of replies come \(11\.8 days\)\. Response rate now "
                     r"8\.2%; projected final response rate \d+\.\d% \(\d+\.\d–\d+\.\d\)\.", _text(page))


@slow
def test_w47_tables_show_rates_with_intervals(sample_week: Rendering):
    text = _text((sample_week.folder / "weekly_report.html").read_text(encoding="utf-8"))
    lo, hi = wilson(41, 503)
    assert f"{lo * 100:.1f}–{hi * 100:.1f}" == "6.1–10.9"
    assert "Total 503 444 154 41 16 14 30.6% (26.7–34.8) 8.2% (6.1–10.9) 3.2% (2.0–5.1)" in text


@slow
def test_the_summary_carries_the_intervals_and_the_comparison(sample_week: Rendering):
    summary = json.loads((sample_week.folder / "summary.json").read_text())
    for rate in RATES:
        assert summary[f"{rate}_low"] <= summary[rate] <= summary[f"{rate}_high"]
    lo, hi = wilson(summary["responses"], summary["reach_outs"])
    assert (summary["response_rate_low"], summary["response_rate_high"]) == (lo, hi)
    changes = summary["compare"]["changes"]
    assert changes["responses"] == {"current": 41, "previous": 53, "diff": -12, "diff_low": None,
                                    "diff_high": None, "significant": None}
    assert changes["response_rate"]["significant"] is False and changes["open_rate"]["significant"] is True
    assert summary["compare"]["same_age"] is True and summary["compare"]["start"] == "2026-11-09"
    p = summary["projected_response_rate"]
    assert p["projected_low"] <= p["projected_rate"] <= p["projected_high"]
