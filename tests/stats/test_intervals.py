"""Confidence intervals (talentstats.stats.intervals), issue 14: Wilson against statsmodels, a hand-computed
Newcombe example, and the interval columns of a statistics frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from talentstats.stats.intervals import Z95, newcombe, wilson, with_intervals

# every (x, n) with n up to 60, some large n, and the edges x = 0 and x = n
SMALL = [(x, n) for n in range(1, 61) for x in range(n + 1)]
LARGE = [(x, n) for n in (99, 100, 183, 1000, 12_345, 1_000_000) for x in (0, 1, 2, n // 3, n // 2, n - 1, n)]


def test_wilson_matches_statsmodels_on_many_counts():
    x, n = (np.array(v) for v in zip(*(SMALL + LARGE), strict=True))
    low, high = wilson(x, n)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-13)
    # the edges are exact: nothing below 0 at x = 0, nothing above 1 at x = n
    assert (low[x == 0] == 0).all() and (high[x == n] == 1).all()
    assert ((low >= 0) & (low <= x / n) & (x / n <= high) & (high <= 1)).all()


@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (0, 30), (3, 30), (30, 30), (7, 90)])
def test_wilson_scalars_give_floats(x, n):
    low, high = wilson(x, n)
    ref = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert isinstance(low, float) and isinstance(high, float)
    assert low == pytest.approx(ref[0], abs=1e-13) and high == pytest.approx(ref[1], abs=1e-13)


def test_wilson_formula_by_hand():
    # 3 of 30: z² = 3.8414588; centre = (3 + 1.9207294) / 33.8414588 = 4.9207294 / 33.8414588 = 0.1454054;
    # half = 1.959964 · √(3·27/30 + 0.9603647) / 33.8414588 = 1.959964 · √3.6603647 / 33.8414588
    #      = 1.959964 · 1.9132080 / 33.8414588 = 0.1108055  ->  (0.0345999, 0.2562109)
    low, high = wilson(3, 30)
    assert low == pytest.approx(0.1454054 - 0.1108055, abs=1e-6)
    assert high == pytest.approx(0.1454054 + 0.1108055, abs=1e-6)


def test_wilson_null_without_denominator_or_count():
    low, high = wilson(pd.array([1, None, 0, 2], dtype="Int64"), pd.Series([5, 5, 0, 4]))
    assert np.isnan(low[1:3]).all() and np.isnan(high[1:3]).all()
    assert np.isfinite(low[[0, 3]]).all()
    assert all(np.isnan(v) for v in wilson(0, 0))


def test_newcombe_hand_computed():
    # p₁ = 20/100 = 0.2, p₂ = 10/100 = 0.1, d = 0.1; z² = 3.8414588206941254, n + z² = 103.8414588206941
    # Wilson 20/100: centre = (20 + 1.9207294) / 103.8414588 = 0.2110980; half = 1.959964 · √(16 + 0.9603647)
    #   / 103.8414588 = 1.959964 · 4.1182963 / 103.8414588 = 0.0777311 -> (l₁, u₁) = (0.1333669, 0.2888292)
    # Wilson 10/100: centre = 11.9207294 / 103.8414588 = 0.1147974; half = 1.959964 · √(9 + 0.9603647)
    #   / 103.8414588 = 1.959964 · 3.1560045 / 103.8414588 = 0.0595683 -> (l₂, u₂) = (0.0552291, 0.1743657)
    # low  = 0.1 − √((0.2 − 0.1333669)² + (0.1743657 − 0.1)²) = 0.1 − √(0.0044400 + 0.0055303)
    #      = 0.1 − √0.0099702 = 0.1 − 0.0998510 = 0.0001490
    # high = 0.1 + √((0.2888292 − 0.2)² + (0.1 − 0.0552291)²) = 0.1 + √(0.0078906 + 0.0020044)
    #      = 0.1 + √0.0098951 = 0.1 + 0.0994739 = 0.1994739
    # the interval (0.0001490, 0.1994739) excludes 0, just: significant
    d, low, high, significant = newcombe(20, 100, 10, 100)
    assert d == pytest.approx(0.1, abs=1e-15)
    assert low == pytest.approx(0.0001490, abs=5e-8)
    assert high == pytest.approx(0.1994739, abs=5e-8)
    assert significant is True
    # 19/100 vs 10/100: the interval contains 0 -> no clear change; and the mirror image has the mirrored interval
    d2, low2, high2, sig2 = newcombe(19, 100, 10, 100)
    assert low2 < 0 < high2 and sig2 is False
    d3, low3, high3, sig3 = newcombe(10, 100, 19, 100)
    assert (d3, low3, high3) == pytest.approx((-d2, -high2, -low2), abs=1e-15) and sig3 is False


def test_newcombe_vectorised_and_undefined():
    d, low, high, significant = newcombe(np.array([20, 5, 3]), np.array([100, 0, 30]),
                                         np.array([10, 5, 3]), np.array([100, 10, 30]))
    assert significant.tolist() == [True, False, False]
    assert np.isnan([d[1], low[1], high[1]]).all()
    assert d[2] == 0 and low[2] < 0 < high[2]
    assert newcombe(1, 0, 1, 2)[3] is None


def test_newcombe_contains_the_difference_and_stays_in_range():
    rng = np.random.default_rng(7)
    n1, n2 = rng.integers(1, 300, 500), rng.integers(1, 300, 500)
    x1, x2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    d, low, high, _ = newcombe(x1, n1, x2, n2)
    assert ((low <= d) & (d <= high) & (low >= -1) & (high <= 1)).all()


def test_with_intervals_adds_columns_beside_each_rate():
    stats = pd.DataFrame({
        "campaign": ["A", "B", "C"],
        "reach_outs": pd.array([30, 0, 100], dtype="Int64"),
        "opens": pd.array([None, None, None], dtype="Int64"),  # opens unknown
        "responses": pd.array([3, 0, 20], dtype="Int64"),
        "interested": pd.array([1, 0, 0], dtype="Int64"),
        "open_rate": pd.array([None, None, None], dtype="Float64"),
        "response_rate": pd.array([0.1, None, 0.2], dtype="Float64"),
        "interested_rate": pd.array([1 / 30, None, 0.0], dtype="Float64"),
        "interested_of_responses": pd.array([1 / 3, None, 0.0], dtype="Float64"),
    })  # (no hard_bounced / bounce_rate: left out gracefully)
    out = with_intervals(stats)
    assert list(stats.columns) == ["campaign", "reach_outs", "opens", "responses", "interested", "open_rate",
                                   "response_rate", "interested_rate", "interested_of_responses"]  # unchanged
    cols = list(out.columns)
    for rate in ("open_rate", "response_rate", "interested_rate", "interested_of_responses"):
        i = cols.index(rate)
        assert cols[i + 1:i + 3] == [f"{rate}_low", f"{rate}_high"]
        assert str(out[f"{rate}_low"].dtype) == "Float64"
    assert "bounce_rate_low" not in cols
    assert out["open_rate_low"].isna().all() and out["open_rate_high"].isna().all()
    assert out["response_rate_low"].isna().tolist() == [False, True, False]
    ref = proportion_confint(np.array([3, 20]), np.array([30, 100]), method="wilson")
    np.testing.assert_allclose(out["response_rate_low"].to_numpy("float64", na_value=np.nan)[[0, 2]], ref[0])
    np.testing.assert_allclose(out["response_rate_high"].to_numpy("float64", na_value=np.nan)[[0, 2]], ref[1])
    # interested of responses: 1 of 3 responses; 0 of 20 -> low exactly 0
    assert out.loc[0, "interested_of_responses_low"] == pytest.approx(
        proportion_confint(1, 3, method="wilson")[0])
    assert out.loc[2, "interested_of_responses_low"] == 0
    # applying it twice gives the same frame (the columns are replaced, not doubled)
    pd.testing.assert_frame_equal(with_intervals(out), out)


def test_with_intervals_on_real_statistics():
    from talentstats.stats.metrics import campaign_stats

    t = pd.DataFrame({"reach_out_id": ["a", "b", "c"], "campaign": ["X", "X", "Y"], "sender": ["s", "s", "s"],
                      "state": pd.array([2, 1, 0], dtype="int8"),
                      "created_at": pd.to_datetime(["2026-11-16 10:00", "2026-11-17 10:00", "2026-11-18 10:00"],
                                                   utc=True),
                      "response_via": [None, None, None], "response_type": ["Interested", None, None],
                      "opened": pd.array([True, False, True], dtype="boolean")})
    stats = campaign_stats(t, "2026-11-16", "2026-11-22", by="campaign")
    out = with_intervals(stats)
    x = out.loc[out["campaign"] == "X"].iloc[0]
    assert (x["response_rate_low"], x["response_rate_high"]) == pytest.approx(wilson(1, 2))
    if "bounce_rate" in out.columns:
        assert (x["bounce_rate_low"], x["bounce_rate_high"]) == pytest.approx(wilson(1, 2))
    assert Z95 == pytest.approx(1.959963984540054)
