"""charts.rate_chart: each group's rate as a dot with its 95 % Wilson interval as the whisker, sorted, n printed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from talentstats.present import charts
from talentstats.stats.intervals import wilson

STATS = pd.DataFrame({
    "campaign": ["Small", "Big", "<b>x</b>", "None yet"],
    "reach_outs": pd.array([30, 183, 10, 0], dtype="Int64"),
    "opens": pd.array([12, 59, pd.NA, 0], dtype="Int64"),
    "responses": pd.array([3, 11, 5, 0], dtype="Int64"),
})


def test_whiskers_are_the_wilson_intervals_sorted_with_n_printed():
    fig = charts.rate_chart(STATS)
    dots, values, names = fig.data[0], fig.data[1], fig.data[2]  # the response-rate panel
    # sorted by the rate, highest first: 5/10, 3/30, 11/183; no reach outs: no rate, last
    assert list(dots.x[:3]) == pytest.approx([0.5, 0.1, 11 / 183]) and np.isnan(dots.x[3])
    low, high = wilson(np.array([5, 3, 11]), np.array([10, 30, 183]))
    assert list(np.asarray(dots.x[:3]) - np.asarray(dots.error_x.arrayminus[:3])) == pytest.approx(list(low))
    assert list(np.asarray(dots.x[:3]) + np.asarray(dots.error_x.array[:3])) == pytest.approx(list(high))
    assert (low[1], high[1]) == pytest.approx((0.0346, 0.2562), abs=1e-4)  # 3 of 30: 10.0 % (3.5–25.6)
    assert [t.split("  ")[0] for t in names.text] == ["&lt;b&gt;x&lt;/b&gt;", "Small", "Big", "None yet"]
    assert "n = 30" in names.text[1] and "n = 183" in names.text[2]  # n beside each name
    assert list(values.text[:3]) == [" 50.0%", " 10.0%", " 6.0%"]


def test_one_panel_per_rate_and_unknown_opens_are_named():
    fig = charts.rate_chart(STATS, "campaign", ("response_rate", "open_rate"))
    assert [t.name for t in fig.data] == ["Response rate", "Response rate value", "Response rate names",
                                          "Open rate", "Open rate value", "Open rate names"]
    assert fig.data[3].x[0] == pytest.approx(0.4)  # 12 of 30 opened: the highest open rate
    assert any("Open rate unknown for &lt;b&gt;x&lt;/b&gt;" in n for n in charts.figure_notes(fig))
    by_sender = STATS.rename(columns={"campaign": "sender"})
    assert charts.rate_chart(by_sender).layout.meta["key"] == "sender"  # the key: the frame's first column
    with pytest.raises(ValueError):
        charts.rate_chart(STATS, rates=("reply_speed",))
