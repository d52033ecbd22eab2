"""A report of hundreds of campaigns stays readable: tables and rate charts show the 20 largest and count the rest
(the Total row and the dashed 'all' line still cover every group)."""

from __future__ import annotations

import pandas as pd

from talentstats.present.charts import rate_chart
from talentstats.present.charts.figure import figure_notes
from talentstats.present.report_html import REPORT_ROWS, first_rows


def stats(n: int) -> pd.DataFrame:
    """n campaigns: campaign i has 10 + i reach outs, i % 7 responses and i % 5 opens."""
    i = pd.RangeIndex(n)
    return pd.DataFrame({"campaign": [f"  Campaign {k:03d} – a long name ” " for k in i],
                         "reach_outs": 10 + i, "responses": i % 7, "opens": i % 5})


def test_first_rows_keeps_twenty_and_names_the_rest() -> None:
    rows = stats(250).sort_values("reach_outs", ascending=False)
    shown, more = first_rows(rows, "campaign")
    assert len(shown) == REPORT_ROWS == 20 and shown["reach_outs"].tolist() == list(range(259, 239, -1))
    assert more == ('<p class="ts-more">230 more campaigns not shown (the Total row counts them; talentstats stats '
                    "--by campaign --format csv lists every one).</p>")
    few, none = first_rows(rows.head(20), "campaign")
    assert len(few) == 20 and none == ""


def test_rate_chart_limit_shows_the_largest_and_the_line_of_every_group() -> None:
    frame = stats(250)
    fig = rate_chart(frame, "campaign", ["response_rate"], limit=20)
    dots = fig.data[0]
    assert len(dots.x) == 20
    shown = {t.split("  <span")[0].strip() for t in fig.data[2].text}
    assert shown == {f"Campaign {k:03d} – a long name ”" for k in range(230, 250)}
    # the dashed line: all 250 campaigns' responses over all their reach outs
    want = frame["responses"].sum() / frame["reach_outs"].sum()
    assert [s.x0 for s in fig.layout.shapes if s.line.dash == "dash"] == [want]
    assert any("The 20 largest of 250 groups by reach outs" in n for n in figure_notes(fig))
    assert len(rate_chart(frame.head(20), "campaign", ["response_rate"], limit=20).data[0].x) == 20
    assert not any("largest" in n for n in figure_notes(rate_chart(frame.head(20), "campaign", limit=20)))
