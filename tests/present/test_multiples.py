"""Tests of charts.multiples.campaign_trends: one small response-rate trend per campaign on one scale."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from talentstats.present.charts import figure_notes
from talentstats.present.charts.multiples import campaign_trends
from talentstats.stats.intervals import wilson

WINDOW = ["2026-11-09", "2026-11-16"]


def by_week(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["campaign", "week", "reach_outs", "responses"])


FRAME = by_week([("A", "2026-11-09", 10, 2), ("A", "2026-11-16", 10, 5), ("B", "2026-11-09", 4, 1),
                 ("C", "2026-11-16", 20, 2), ("<b>D</b>", "2026-11-09", 1, 0), ("A", "2026-11-02", 99, 99)])


def test_the_largest_campaigns_get_a_panel_each_on_one_scale_and_the_rest_are_named() -> None:
    fig = campaign_trends(FRAME, WINDOW, top=2, filling_in=[1])
    # A and C have 20 reach outs each in the window (A's week of Nov 2 is outside it): ties by name
    assert fig.layout.meta["groups"] == ["A", "C"] and fig.layout.meta["left_out"] == ["B", "<b>D</b>"]
    assert all(isinstance(t, go.Scatter) for t in fig.data) and len(fig.data) == 6  # band, all, campaign x 2
    a_band, a_all, a_line, c_band, _, c_line = fig.data
    assert list(a_line.y) == [0.2, 0.5] and list(c_line.y) == [None, 0.1]  # 2/10, 5/10; C: no reach outs, 2/20
    assert list(a_all.y) == pytest.approx([3 / 15, 7 / 30])  # all campaigns: (2+1+0)/(10+4+1), (5+2)/(10+20)
    low, high = wilson(5, 10)
    assert a_band.fill == "toself" and list(a_band.y)[1] == pytest.approx(high) and list(a_band.y)[2] == \
        pytest.approx(low)
    assert list(c_band.x) == ["2026-11-16", "2026-11-16", None]  # one week with a rate: one closed run
    # one y scale for every panel: 0 to a round number above the highest rate (50 % -> 60 %)
    ranges = [tuple(fig.layout[name].range) for name in ("yaxis", "yaxis2")]
    assert ranges == [(0, pytest.approx(0.6))] * 2
    assert list(a_line.marker.symbol) == ["circle", "circle-open"]  # the week still filling in
    assert "Week of Nov 16: 50.0% (5 of 10)" in a_line.hovertext[1] and "still filling in" in a_line.hovertext[1]
    titles = [a.text for a in fig.layout.annotations[1:]]
    assert titles == ["<b>A</b> · 20 reach outs", "<b>C</b> · 20 reach outs"]
    assert figure_notes(fig)[-1] == ("Not shown (2 smaller campaigns, reach outs in these weeks): B (4), "
                                     "&lt;b&gt;D&lt;/b&gt; (1).")  # escaped: plotly renders HTML in text
    # the panels keep their 2 x 118 px whatever the note's length: the note's lines make the figure taller
    assert fig.layout.margin.b > 40 and fig.layout.height - fig.layout.margin.b == 110 + 2 * 118 - 40


def test_every_campaign_shown_when_there_are_few_and_nothing_to_show_says_so() -> None:
    fig = campaign_trends(FRAME, WINDOW, top=6)
    assert fig.layout.meta["groups"] == ["A", "C", "B", "<b>D</b>"] and not fig.layout.meta["left_out"]
    assert not any("Not shown" in n for n in figure_notes(fig))
    empty = campaign_trends(FRAME.iloc[0:0], WINDOW)
    assert figure_notes(empty) == ["No reach outs in these weeks."] and len(empty.data) == 0
    with pytest.raises(ValueError, match="top"):
        campaign_trends(FRAME, WINDOW, top=0)


def test_hundreds_of_long_named_campaigns_name_five_and_count_the_rest() -> None:
    import pandas as pd

    names = [f"  Campaign {i:03d} – a very long campaign name for the platform data team #{i} " for i in range(250)]
    frame = pd.concat([FRAME.assign(campaign=name) for name in names], ignore_index=True)
    fig = campaign_trends(frame, WINDOW, top=6)
    note = figure_notes(fig)[-1]
    assert note.startswith("Not shown (244 smaller campaigns, reach outs in these weeks): ")
    assert note.endswith(" and 239 more.") and note.count("Campaign") == 5
    assert fig.layout.height - fig.layout.margin.b == 110 + 6 * 118 - 40
