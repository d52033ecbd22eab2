"""Tests of the dashboard's honest comparisons (issue 14): tiles compared at the same age with intervals and a
verdict, naive with a caveat where event times are unknown, the bounce tile, the chart by rate and the A/B mode.

Hand-made tables have numbers worked out by hand (Wilson and Newcombe written out below from docs/metrics.md);
the sample's must be exactly ``compare_periods``' and the CLI's.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from talentstats.dashboard import Dashboard, layout
from talentstats.dashboard.ratesview import ab_verdict
from talentstats.load.loader import Loaded, read_reach_outs
from talentstats.present.charts import fmt_rate
from talentstats.stats.compare import compare_periods
from talentstats.stats.intervals import newcombe
from talentstats.stats.metrics import campaign_stats

from .helpers import ROOT, WEEK, selected

Cli = Callable[..., tuple[int, str, str]]
Z = 1.959963984540054


def wilson_by_hand(x: int, n: int) -> tuple[float, float]:
    """centre = (x + z²/2) / (n + z²), half-width = z·√(x(n − x)/n + z²/4) / (n + z²)."""
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(x * (n - x) / n + Z * Z / 4) / (n + Z * Z)
    return centre - half, centre + half


def newcombe_by_hand(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """d = p₁ − p₂, lower = d − √((p₁ − l₁)² + (u₂ − p₂)²), upper = d + √((u₁ − p₁)² + (p₂ − l₂)²)."""
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson_by_hand(x1, n1), wilson_by_hand(x2, n2)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def reach_outs(now_replies: int, before_early: int, before_late: int, n: int = 20,
               times: bool = True) -> pd.DataFrame:
    """n reach outs created Mon 16 Nov 10:00 (W47) of which ``now_replies`` answered on 17 Nov, and n created Mon
    9 Nov 10:00 (W46) of which ``before_early`` answered on 10 Nov and ``before_late`` on 20 Nov. The newest
    instant is an update on Sun 22 Nov 12:00, so W46 is taken as it stood on Sun 15 Nov 12:00: at the same age
    its late replies had not happened yet. Campaign "A" holds W47, "B" W46."""
    rows = []
    for week, created, answers in (("A", "2026-11-16 10:00", ["2026-11-17 09:00"] * now_replies),
                                   ("B", "2026-11-09 10:00", ["2026-11-10 09:00"] * before_early
                                    + ["2026-11-20 09:00"] * before_late)):
        for i in range(n):  # (building a literal test table)
            answered = answers[i] if i < len(answers) else None
            rows.append({"reach_out_id": f"{week}{i}", "campaign": week, "sender": "s1", "state": 2 if answered else 0,
                         "created_at": created, "updated_at": answered or created, "response_via":
                         "email" if answered else None, "response_type": None, "opened": False,
                         "responded_at": answered})
    t = pd.DataFrame(rows)
    t.loc[0, "updated_at"] = "2026-11-22 12:00"
    for c in ("created_at", "updated_at", "responded_at"):
        t[c] = pd.to_datetime(t[c], utc=True).dt.as_unit("us")
    t = t.astype({"reach_out_id": "str", "campaign": "str", "sender": "str", "state": "int8", "response_via": "str",
                  "response_type": "str", "opened": "boolean"})
    return t if times else t.drop(columns="responded_at")


def board(t: pd.DataFrame, **kwargs: Any) -> Dashboard:
    d = Dashboard(t, start=WEEK[0], end=WEEK[1], **kwargs)
    d.widget()
    return d


def change_line(d: Dashboard, metric: str) -> str:
    found = re.search(r'<div class="c">(.*)</div></div>$', d.tiles[metric].value)
    assert found, d.tiles[metric].value
    return found.group(1)


def pp(value: float) -> str:
    return f"{100 * value:+.1f}"


# ------------------------------------------------------------------------------------------------ tiles


def test_a_large_naive_change_that_is_not_there_at_the_same_age_shows_no_clear_change() -> None:
    t = reach_outs(now_replies=2, before_early=2, before_late=8)
    naive = newcombe_by_hand(2, 20, 10, 20)  # 10% against 50%: -40 pp, and naively significant
    assert naive[2] < 0
    d = board(t)
    c = d.compared()
    assert c.cut == dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC)
    assert c.changes["responses"] == {"current": 2, "previous": 2, "diff": 0, "diff_low": None, "diff_high": None,
                                      "significant": None}
    same = newcombe_by_hand(2, 20, 2, 20)  # at the same age: 2 of 20 both times
    line = change_line(d, "response_rate")
    assert line == f'<span class="same">no clear change<br>+0.0 pp ({pp(same[1])} to {pp(same[2])})</span>'
    assert "▲" not in line and "▼" not in line and "good" not in line and "bad" not in line
    assert 'data-verdict="no clear change"' in d.tiles["response_rate"].value
    low, high = wilson_by_hand(2, 20)
    assert f'<div class="i">95%: {100 * low:.1f}–{100 * high:.1f}</div>' in d.tiles["response_rate"].value
    # the old naive comparison of the same data would have called it
    assert compare_periods(t, WEEK, same_age=False)["changes"]["response_rate"]["significant"] is True


def test_a_significant_change_shows_its_arrow_and_colour() -> None:
    t = reach_outs(now_replies=12, before_early=2, before_late=8)
    d, low, high = newcombe_by_hand(12, 20, 2, 20)  # 60% against 10% at the same age
    assert low > 0
    board_ = board(t)
    line = change_line(board_, "response_rate")
    assert line == (f'<span class="up good">▲ {pp(d)} pp</span><br><span class="same">({pp(low)} to {pp(high)})'
                    "</span>")
    assert 'data-verdict="significant"' in board_.tiles["response_rate"].value
    ch = board_.compared().changes["response_rate"]
    assert ch["diff"] == pytest.approx(d) and ch["diff_low"] == pytest.approx(low)
    assert ch["diff_high"] == pytest.approx(high)
    assert "↑" not in change_line(board_, "responses") and "▲" not in change_line(board_, "responses")  # a count


def test_without_event_times_the_comparison_is_naive_with_a_visible_caveat() -> None:
    d = board(reach_outs(now_replies=2, before_early=2, before_late=8, times=False))
    assert d.compared().basis["response_rate"] == "naive"
    assert "· naive" in d.tiles["response_rate"].value and "· naive" in d.tiles["responses"].value
    assert '<div class="ts-caveat">⚠ No response times in the data' in d.caveats.value
    assert "▼ -40.0 pp" in change_line(d, "response_rate")  # naive: 10% against 50%, and said to be naive


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return read_reach_outs(ROOT / "sample_data")


@pytest.mark.parametrize(("tz", "campaigns"), [("UTC", ()), ("Europe/Berlin", ("SRE / Platform",
                                                                               "Data Scientists NYC"))])
def test_sample_tiles_are_compare_periods_at_the_same_age(loaded: Loaded, tz: str, campaigns: tuple) -> None:
    d = board(loaded.table, tz=tz, messages=loaded.messages)
    d.campaigns.value = campaigns
    c = d.compared()
    lib = compare_periods(selected(loaded.table, campaigns), WEEK, tz=tz, as_of=d.same_age.as_of)
    assert c.changes == lib["changes"] and c.basis == lib["basis"] and c.cut == lib["cut"]
    assert {k: v for k, v in c.before.items() if k in lib["total"]} == lib["total"]
    if not campaigns:  # the sample's W47: Responses -12 at the same age (naive -58), no clear change in the rate
        assert c.changes["responses"]["diff"] == -12
        assert "no clear change" in d.tiles["response_rate"].value
        assert "-58" not in d.tiles["responses"].value


def test_bounce_tile_is_the_cli_bounce_rate_for_2026_w47(loaded: Loaded, cli: Cli) -> None:
    code, out, err = cli("stats", ROOT / "sample_data", "--week", "2026-W47", "--format", "json")
    assert (code, err) == (0, "")
    want = json.loads(out)["total"]
    d = board(loaded.table, messages=loaded.messages)
    tile = d.tiles["bounce_rate"].value
    assert f'<div class="v">{fmt_rate(want["bounce_rate"])}</div>' in tile
    assert f'95%: {100 * want["bounce_rate_low"]:.1f}–{100 * want["bounce_rate_high"]:.1f}' in tile
    rates_row = layout.tile_box(d.tiles).children[1]
    assert d.tiles["bounce_rate"] is rates_row.children[-1]  # beside the other rates


def test_an_update_stays_fast(loaded: Loaded) -> None:
    d = board(loaded.table, messages=loaded.messages)
    times = []
    for start in (dt.date(2026, 11, 2), dt.date(2026, 10, 5), WEEK[0]):  # (three ranges)
        d.forget()
        d.set_range(start, WEEK[1])
        times.append(d.last_update_ms)
    assert min(times) < 500, times


# ------------------------------------------------------------------------------------------------ by rate, A/B


def test_ab_verdict_is_newcombe(loaded: Loaded) -> None:
    d = board(loaded.table, messages=loaded.messages)
    by = campaign_stats(loaded.table, *WEEK, "UTC", "campaign").sort_values("reach_outs", ascending=False)
    a, b = by.iloc[0], by.iloc[1]
    assert (d.rates.a.value, d.rates.b.value) == (a["campaign"], b["campaign"])  # the two largest by default
    want = newcombe(a["responses"], a["reach_outs"], b["responses"], b["reach_outs"])
    got = ab_verdict(d.rates.rows, a["campaign"], b["campaign"], "response_rate")
    assert got is not None
    assert (got["diff"], got["diff_low"], got["diff_high"], got["significant"]) == pytest.approx(want)
    verdict = "significant" if want[3] else "no clear change"
    assert f'data-verdict="{verdict}"' in d.rates.ab.value
    d.rates.b.value = by.iloc[2]["campaign"]  # another pick: the panel follows
    assert by.iloc[2]["campaign"].split()[0] in d.rates.ab.value


def test_ab_hand_checked_significant_pair() -> None:
    d = board(pd.concat([reach_outs(12, 2, 0).assign(campaign="A"),
                         reach_outs(0, 0, 0).assign(campaign="B", reach_out_id=lambda f: "x" + f["reach_out_id"])]
                        ).reset_index(drop=True))
    d.rates.a.value, d.rates.b.value = "A", "B"  # W47: A 12 of 20, B 0 of 20
    diff, low, high = newcombe_by_hand(12, 20, 0, 20)
    assert 'data-verdict="significant"' in d.rates.ab.value and "▲ A is higher" in d.rates.ab.value
    assert f"A − B: {pp(diff)} pp, 95 % interval {pp(low)} to {pp(high)} pp" in d.rates.ab.value
    d.rates.metric.value = "bounce_rate"  # no bounces either side: 0 of 20 twice
    assert 'data-verdict="no clear change"' in d.rates.ab.value


def test_rate_chart_has_wilson_whiskers_sorted_with_n(loaded: Loaded) -> None:
    d = board(loaded.table, messages=loaded.messages)
    d.group_by.value = "sender"
    by = campaign_stats(loaded.table, *WEEK, "UTC", "sender")
    trace = d.comparison.data[0]
    assert list(trace.x) == sorted(trace.x, reverse=True)
    want = by.set_index("sender")
    for y, x, plus, minus, custom in zip(trace.y, trace.x, trace.error_x.array, trace.error_x.arrayminus,
                                         trace.customdata, strict=True):  # (one check per dot drawn)
        low, high = wilson_by_hand(int(want.loc[y, "responses"]), int(want.loc[y, "reach_outs"]))
        assert x == want.loc[y, "response_rate"] and custom[1] == want.loc[y, "reach_outs"]
        assert x + plus == pytest.approx(high) and x - minus == pytest.approx(max(low, 0.0), abs=1e-12)
