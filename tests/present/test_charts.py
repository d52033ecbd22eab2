"""Tests of talentstats.present.charts: the figures' data checked against hand-computed statistics."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from talentstats.present import charts
from talentstats.present.charts import (
    METRIC_COLORS,
    REPORT_CONFIG,
    STATE_COLORS,
    build_comparison,
    build_funnel,
    build_state_breakdown,
    build_trend,
    escape_label,
    figure_notes,
    fmt_count,
    fmt_rate,
    stats_table,
    table_html,
    update_comparison,
    update_funnel,
    update_state_breakdown,
    update_trend,
)
from talentstats.stats.states import STATES

EVIL = "<img src=x onerror=alert(1)>"
EVIL_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
COUNTS = ("reach_outs", "in_progress", "opens", "responses", "interested")


def stats(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A campaign_stats-shaped frame: key columns, then counts (Int64, None = unknown), then rates (Float64).

    Each row is ``[*key values, reach_outs, in_progress, opens, responses, interested]``.
    """
    frame = pd.DataFrame([list(r) for r in rows], columns=[*keys, *COUNTS])
    for col in COUNTS:
        frame[col] = pd.array(frame[col].astype(object).where(frame[col].notna(), None).tolist(), dtype="Int64")

    def rate(num: str, den: str) -> pd.Series:
        values = [
            pd.NA if pd.isna(d) or d == 0 or pd.isna(n) else n / d for n, d in zip(frame[num], frame[den], strict=True)
        ]
        return pd.Series(pd.array(values, dtype="Float64"), index=frame.index)

    frame["open_rate"] = rate("opens", "reach_outs")
    frame["response_rate"] = rate("responses", "reach_outs")
    frame["interested_rate"] = rate("interested", "reach_outs")
    frame["interested_of_responses"] = rate("interested", "responses")
    return frame


def total(reach: int, opens: int | None, responses: int, interested: int, in_progress: int = 0) -> pd.DataFrame:
    return stats([], [[reach, in_progress, opens, responses, interested]])


def trace_json(trace: Any) -> dict[str, Any]:
    """A trace's properties without the uid a FigureWidget adds."""
    return {k: v for k, v in trace.to_plotly_json().items() if k != "uid"}


def note_text(fig: go.Figure) -> str:
    return " ".join(figure_notes(fig))


# ---------------------------------------------------------------------------------------------------------------
# formats, escaping, palette
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12345, "12,345"),
        (0, "0"),
        (1234567, "1,234,567"),
        (np.int64(900), "900"),
        (12.0, "12"),
        (pd.NA, "—"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_fmt_count(value: object, expected: str) -> None:
    assert fmt_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1234, "12.3%"),
        (0.456, "45.6%"),
        (0, "0.0%"),
        (1, "100.0%"),
        (1.25, "125.0%"),
        (0.0002, "<0.1%"),
        (0.9997, ">99.9%"),
        (pd.NA, "—"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_fmt_rate(value: object, expected: str) -> None:
    assert fmt_rate(value) == expected


def test_escape_label_makes_html_inert_and_round_trips() -> None:
    assert escape_label(EVIL) == EVIL_ESCAPED
    assert escape_label("R&D") == "R&amp;D"
    assert escape_label("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;"
    # quotes as numeric entities (plotly decodes those, not &quot;), $ so that $..$ is never sent to MathJax
    assert escape_label('say "hi" it\'s $5$') == "say &#34;hi&#34; it&#39;s &#36;5&#36;"
    for text in [EVIL, "R&D", "a<br>b", "x\"y'z", "$x^2$", "plain", "&amp;", "Zoë — 東京"]:
        escaped = escape_label(text)
        assert "<" not in escaped and ">" not in escaped and '"' not in escaped and "$" not in escaped
        assert html.unescape(escaped) == text


def test_palette_and_config_constants() -> None:
    assert set(METRIC_COLORS) == {"reach_outs", "opens", "responses", "interested", "in_progress"}
    assert len(set(METRIC_COLORS.values())) == 5
    assert list(STATE_COLORS) == list(range(10)) == list(STATES)
    assert len(set(STATE_COLORS.values())) == 10
    assert REPORT_CONFIG == {"displayModeBar": False, "displaylogo": False}


# ---------------------------------------------------------------------------------------------------------------
# funnel
# ---------------------------------------------------------------------------------------------------------------


def test_funnel_stages_counts_and_shares() -> None:
    fig = build_funnel(total(2000, 900, 150, 44))
    assert len(fig.data) == 1
    trace = fig.data[0]
    # bars from one baseline (no stage drawn inside another): a plain bar trace, no base, one count axis
    assert isinstance(trace, go.Bar) and trace.orientation == "h" and trace.base is None
    assert fig.layout.barmode is None and fig.layout.xaxis.rangemode == "tozero"
    assert list(trace.y) == ["Reach Outs", "Opens", "Responses", "Interested"]
    assert list(trace.x) == [2000, 900, 150, 44]
    assert list(trace.text) == ["2,000 · 100.0%", "900 · 45.0%", "150 · 7.5%", "44 · 2.2%"]
    assert list(trace.marker.color) == [METRIC_COLORS[m] for m in ("reach_outs", "opens", "responses", "interested")]
    assert "44 · 2.2% of reach outs" in trace.hovertext[3]
    assert "29.3% of responses" in trace.hovertext[3]  # 44 / 150
    assert "not a subset of Opens" in trace.hovertext[2]
    assert fig.layout.title.text
    assert fig.layout.height and fig.layout.width is None
    assert figure_notes(fig) == []  # responses <= opens and no count of responses without an open: nothing known


def test_funnel_accepts_a_mapping_and_a_series() -> None:
    values = {"reach_outs": 1234, "opens": 563, "responses": 99, "interested": 12}
    for given in (values, pd.Series(values)):
        trace = build_funnel(given).data[0]
        assert list(trace.text) == ["1,234 · 100.0%", "563 · 45.6%", "99 · 8.0%", "12 · 1.0%"]


@pytest.mark.parametrize("unknown", [pd.NA, None, float("nan")])
def test_funnel_unknown_opens_say_unknown_not_zero(unknown: object) -> None:
    frame = total(2000, None, 150, 44)
    for fig in (build_funnel(frame), build_funnel({"reach_outs": 2000, "opens": unknown, "responses": 150})):
        trace = fig.data[0]
        assert trace.text[1] == "unknown"
        assert "0" not in trace.text[1]
        assert trace.x[1] == 0  # no bar
        assert "unknown" in trace.hovertext[1] and "0" not in trace.hovertext[1]
        assert note_text(fig) == "Opens unknown: the export has no open information."
    assert build_funnel({"reach_outs": 2000, "opens": None}).data[0].text[2] == "unknown"  # missing responses


def test_funnel_zero_opens_are_a_known_zero() -> None:
    fig = build_funnel(total(100, 0, 5, 1))
    assert fig.data[0].text[1] == "0 · 0.0%"
    assert note_text(fig) == ("At least 5 of the 5 responses had no tracked open (5 more responses than opens): "
                              "Responses are not a subset of Opens.")


def test_funnel_note_when_responses_exceed_opens() -> None:
    fig = build_funnel(total(1200, 80, 117, 40))
    assert list(fig.data[0].x) == [1200, 80, 117, 40]  # shown as they are, not clipped to the opens
    assert figure_notes(fig) == [  # 117 - 80 = 37 at least
        "At least 37 of the 117 responses had no tracked open (37 more responses than opens): Responses are not "
        "a subset of Opens."
    ]
    note = fig.layout.annotations[0]
    assert note.visible is True and note.showarrow is False
    # wrapped for display (plotly does not wrap), all words kept
    assert "<br>" in note.text and note.text.replace("<br>", " ") == figure_notes(fig)[0]
    assert "(1 more response than opens)" in note_text(build_funnel(total(1200, 80, 81, 40)))


def test_funnel_says_exactly_how_many_responses_had_no_tracked_open() -> None:
    # the week: 39 responses, 6 of them without a tracked open, fewer responses than opens
    given = {"reach_outs": 500, "opens": 150, "responses": 39, "interested": 15, "responses_without_open": 6}
    fig = build_funnel(given)
    assert figure_notes(fig) == ["6 of the 39 responses had no tracked open: Responses are not a subset of Opens."]
    update_funnel(fig, {**given, "responses": 1, "responses_without_open": 1})
    assert figure_notes(fig) == ["1 of the 1 response had no tracked open: Responses are not a subset of Opens."]
    update_funnel(fig, {**given, "responses_without_open": 0})
    assert figure_notes(fig) == ["Every response came after a tracked open."]
    update_funnel(fig, {**given, "opens": None})  # opens unknown: nothing said about responses without them
    assert figure_notes(fig) == ["Opens unknown: the export has no open information."]


@pytest.mark.parametrize("responses", [80, 79, 0])
def test_funnel_no_note_when_responses_do_not_exceed_opens(responses: int) -> None:
    fig = build_funnel(total(1200, 80, responses, 0))
    assert figure_notes(fig) == []
    assert fig.layout.annotations[0].visible is False


def test_funnel_without_reach_outs() -> None:
    for given in (total(0, 0, 0, 0), stats([], []).iloc[0:0], {}, {"reach_outs": 0, "opens": None}):
        fig = build_funnel(given)
        assert list(fig.data[0].text) == ["0 · —"] * 4  # stages of nothing are 0, not unknown
        assert list(fig.data[0].textposition) == ["outside"] * 4  # text of a 0-width bar shows only outside
        assert figure_notes(fig) == ["No reach outs in this period."]


def test_funnel_rejects_more_than_one_row() -> None:
    with pytest.raises(ValueError, match="one row"):
        build_funnel(stats(["campaign"], [["A", 1, 0, 1, 0, 0], ["B", 1, 0, 1, 0, 0]]))


# ---------------------------------------------------------------------------------------------------------------
# state breakdown
# ---------------------------------------------------------------------------------------------------------------

BY_STATE = [[2, 300, 0, 200, 300, 90], [0, 500, 500, 100, 0, 0], [1, 200, 0, 0, 0, 0]]


def test_state_breakdown_all_ten_states_in_order_with_fixed_colours() -> None:
    fig = build_state_breakdown(stats(["state"], BY_STATE))
    assert len(fig.data) == 10
    labels = ["In progress (state)", *list(STATES.values())[1:]]
    assert [t.name for t in fig.data] == labels
    assert [t.name for t in fig.data][:3] == ["In progress (state)", "Hard Bounced", "Responded"]
    assert fig.data[9].name == "Pending"
    assert [t.marker.color for t in fig.data] == [STATE_COLORS[c] for c in range(10)]
    assert [list(t.y) for t in fig.data] == [[label] for label in labels]
    assert [t.x[0] for t in fig.data] == [500, 200, 300, 0, 0, 0, 0, 0, 0, 0]
    assert [t.text[0] for t in fig.data][:4] == ["500 · 50.0%", "200 · 20.0%", "300 · 30.0%", "0 · 0.0%"]
    assert "of all reach outs" in fig.data[2].hovertext[0]
    assert list(fig.layout.yaxis.categoryarray) == labels
    assert fig.layout.yaxis.autorange == "reversed"  # state 0 on top
    assert fig.layout.showlegend is False
    assert all(t.orientation == "h" for t in fig.data)


def test_the_state_in_progress_is_named_and_coloured_apart_from_the_in_progress_statistic() -> None:
    # the statistic In Progress (not responded, not bounced or canceled) counts Completed, Paused, ... too: the
    # state must not wear its name or colour
    fig = build_state_breakdown(stats(["state"], BY_STATE))
    state_bar = fig.data[0]
    assert state_bar.name == "In progress (state)" != charts.METRIC_LABELS["in_progress"]
    assert state_bar.marker.color == STATE_COLORS[0] != METRIC_COLORS["in_progress"]
    assert METRIC_COLORS["in_progress"] not in STATE_COLORS.values()
    split = build_state_breakdown(stats(["state"], BY_STATE), stats(["campaign", "state"], [["A", *BY_STATE[1]]]))
    assert split.data[0].name == "In progress (state)"
    assert split.data[0].hovertext[0].startswith("<b>A</b><br>In progress (state): 500 reach outs")


def test_state_breakdown_split_by_campaign() -> None:
    by_state = stats(["state"], [[0, 110, 110, 0, 0, 0], [2, 30, 0, 30, 30, 3]])
    by_campaign_state = stats(
        ["campaign", "state"],
        [["A", 0, 10, 10, 0, 0, 0], ["A", 2, 30, 0, 30, 30, 3], [EVIL, 0, 100, 100, 0, 0, 0]],
    )
    fig = build_state_breakdown(by_state, by_campaign_state)
    assert len(fig.data) == 10
    assert [t.name for t in fig.data] == ["In progress (state)", *list(STATES.values())[1:]]
    assert [t.marker.color for t in fig.data] == [STATE_COLORS[c] for c in range(10)]
    assert fig.layout.barmode == "stack" and fig.layout.showlegend is True
    assert list(fig.data[0].y) == [EVIL_ESCAPED, "A"]  # largest campaign first
    assert list(fig.data[0].x) == [100, 10]
    assert list(fig.data[2].x) == [0, 30]
    assert list(fig.data[1].x) == [0, 0]
    assert list(fig.data[2].text) == ["", "30"]
    assert "75.0% of this campaign" in fig.data[2].hovertext[1]  # 30 of A's 40
    assert "21.4% of all" in fig.data[2].hovertext[1]  # 30 of 140
    assert list(fig.layout.yaxis.ticktext) == [EVIL_ESCAPED, "A"]
    assert "campaign" in fig.layout.title.text


def test_state_breakdown_mode_is_fixed_at_build_time() -> None:
    by_state = stats(["state"], BY_STATE)
    by_campaign_state = stats(["campaign", "state"], [["A", 0, 10, 10, 0, 0, 0]])
    with pytest.raises(ValueError, match="without by_campaign_state"):
        update_state_breakdown(build_state_breakdown(by_state), by_state, by_campaign_state)
    with pytest.raises(ValueError, match="with by_campaign_state"):
        update_state_breakdown(build_state_breakdown(by_state, by_campaign_state), by_state)


def test_state_breakdown_rejects_unknown_state() -> None:
    with pytest.raises(ValueError, match="unknown state code 12"):
        build_state_breakdown(stats(["state"], [[12, 5, 0, 0, 0, 0]]))


def test_state_breakdown_empty() -> None:
    fig = build_state_breakdown(stats(["state"], []))
    assert len(fig.data) == 10
    assert [t.x[0] for t in fig.data] == [0] * 10
    assert fig.data[0].text[0] == "0 · —"
    assert "No reach outs" in note_text(fig)


# ---------------------------------------------------------------------------------------------------------------
# trend
# ---------------------------------------------------------------------------------------------------------------

WINDOW = [
    "2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29", "2024-02-05",
    "2024-02-12", "2024-02-19", "2024-02-26", "2024-03-04", "2024-03-11", "2024-03-18",
]  # fmt: skip


def weekly_stats(skip: Sequence[str] = ("2024-02-12",), no_opens: Sequence[str] = ()) -> pd.DataFrame:
    """13 weeks (one before the 12-week window) with reach outs 100, 110, ...; opens 50%, responses 10%."""
    rows = []
    for i, week in enumerate(["2023-12-25", *WINDOW]):
        if week in skip:
            continue
        reach = 100 + 10 * i
        rows.append([week, reach, 0, None if week in no_opens else reach // 2, reach // 10, 1])
    return stats(["week"], rows)


def test_trend_last_12_weeks_with_missing_week_filled() -> None:
    fig = build_trend(weekly_stats())
    assert len(fig.data) == 4
    bars, opens, responses, interested = fig.data
    assert isinstance(bars, go.Bar) and bars.name == "Reach Outs"
    assert [t.name for t in fig.data[1:]] == ["Open rate", "Response rate", "Interested rate"]
    for trace in fig.data:
        assert list(trace.x) == WINDOW  # 2023-12-25 is outside the window
    assert list(bars.y) == [110, 120, 130, 140, 150, 160, 0, 180, 190, 200, 210, 220]
    assert opens.y[0] == pytest.approx(0.5) and responses.y[0] == pytest.approx(0.1)
    assert interested.y[0] == pytest.approx(1 / 110)
    assert opens.y[6] is None and responses.y[6] is None and interested.y[6] is None  # the filled week
    assert bars.marker.color == METRIC_COLORS["reach_outs"]
    assert opens.line.color == METRIC_COLORS["opens"]
    assert responses.line.color == METRIC_COLORS["responses"]
    assert interested.line.color == METRIC_COLORS["interested"]
    assert bars.yaxis in (None, "y") and {t.yaxis for t in fig.data[1:]} == {"y2"}
    assert fig.layout.yaxis2.tickformat == ".0%" and fig.layout.yaxis2.side == "right"
    assert fig.layout.xaxis.ticktext[0] == "Jan 1<br>2024" and fig.layout.xaxis.ticktext[1] == "Jan 8"
    assert "Reach Outs: 110" in bars.hovertext[0]
    assert "Open rate: 50.0%</b> (55 of 110 reach outs)" in opens.hovertext[0]
    assert figure_notes(fig) == []


def test_trend_window_size_and_end_week() -> None:
    fig = build_trend(weekly_stats(skip=()), weeks=4, end_week="2024-04-01")
    assert list(fig.data[0].x) == ["2024-03-11", "2024-03-18", "2024-03-25", "2024-04-01"]
    assert list(fig.data[0].y) == [210, 220, 0, 0]
    assert list(fig.data[1].y)[2:] == [None, None]
    assert fig.layout.xaxis.ticktext[0] == "Mar 11<br>2024"


def test_trend_unknown_opens_are_gaps_with_a_note() -> None:
    fig = build_trend(weekly_stats(no_opens=("2024-03-11", "2024-03-18")))
    assert list(fig.data[1].y)[-2:] == [None, None]
    assert fig.data[2].y[-1] == pytest.approx(0.1)  # other rates unaffected
    assert "Open rate not shown for 2 weeks without open information." in figure_notes(fig)
    everything = weekly_stats(no_opens=["2023-12-25", *WINDOW])
    assert "the export has no open information" in note_text(build_trend(everything))


def test_trend_empty() -> None:
    fig = build_trend(stats(["week"], []))
    assert len(fig.data) == 4 and list(fig.data[0].x) == []
    assert "No reach outs" in note_text(fig)
    with pytest.raises(ValueError):
        build_trend(weekly_stats(), weeks=0)


# ---------------------------------------------------------------------------------------------------------------
# comparison and tables
# ---------------------------------------------------------------------------------------------------------------

CAMPAIGNS = [
    ["Alpha", 900, 10, 450, 90, 30],
    ["Beta", 1000, 20, 400, 100, 20],
    [EVIL, 50, 0, None, 5, 1],
]


def test_comparison_grouped_bars_sorted_by_reach_outs() -> None:
    fig = build_comparison(stats(["campaign"], CAMPAIGNS))
    assert len(fig.data) == 4
    assert [t.name for t in fig.data] == ["Reach Outs", "Opens", "Responses", "Interested"]
    assert [t.marker.color for t in fig.data] == [
        METRIC_COLORS[m] for m in ("reach_outs", "opens", "responses", "interested")
    ]
    assert fig.layout.barmode == "group"
    for trace in fig.data:
        assert list(trace.y) == ["Beta", "Alpha", EVIL_ESCAPED]
    assert list(fig.data[0].x) == [1000, 900, 50]
    assert list(fig.data[1].x) == [400, 450, None]  # unknown opens: no bar, not 0
    assert list(fig.data[1].text) == ["400", "450", ""]
    assert list(fig.data[2].x) == [100, 90, 5]
    assert list(fig.data[3].x) == [20, 30, 1]
    assert "Reach Outs: 1,000 · 51.3% of all reach outs" in fig.data[0].hovertext[0]  # 1000 / 1950
    assert "Opens: 450 · 50.0% of reach outs" in fig.data[1].hovertext[1]
    assert "Opens: unknown" in fig.data[1].hovertext[2]
    assert "Interested: 30 · 3.3% of reach outs · 33.3% of responses" in fig.data[3].hovertext[1]
    assert figure_notes(fig) == [f"Opens unknown (not 0) for 1 campaign: {EVIL_ESCAPED}."]
    assert fig.layout.title.text == "Campaign comparison"


def test_comparison_by_sender_and_empty() -> None:
    fig = build_comparison(stats(["sender"], [["ann@x.io", 3, 0, 1, 1, 0]]), key="sender")
    assert fig.layout.title.text == "Sender comparison"
    assert list(fig.data[0].y) == ["ann@x.io"]
    empty = build_comparison(stats(["campaign"], []))
    assert len(empty.data) == 4 and "No reach outs" in note_text(empty)
    with pytest.raises(ValueError, match="one row per campaign"):
        build_comparison(stats(["campaign"], [["A", 1, 0, 1, 0, 0], ["A", 2, 0, 1, 0, 0]]))
    with pytest.raises(ValueError):
        build_comparison(stats(["campaign"], CAMPAIGNS), key="state")


def test_comparison_update_can_switch_the_key() -> None:
    by_sender = stats(["sender"], [["ann@x.io", 3, 0, 1, 1, 0], ["bob@x.io", 5, 0, None, 2, 1]])
    fig = build_comparison(stats(["campaign"], CAMPAIGNS))
    update_comparison(fig, by_sender, key="sender")
    assert fig.to_plotly_json() == build_comparison(by_sender, key="sender").to_plotly_json()
    assert fig.layout.title.text == "Sender comparison"
    assert figure_notes(fig) == ["Opens unknown (not 0) for 1 sender: bob@x.io."]
    update_comparison(fig, by_sender)  # stays on sender
    assert list(fig.data[0].y) == ["bob@x.io", "ann@x.io"]
    custom = build_comparison(stats(["campaign"], CAMPAIGNS), title="Who sends best")
    update_comparison(custom, by_sender, key="sender")
    assert custom.layout.title.text == "Who sends best"
    with pytest.raises(ValueError, match="needs columns"):
        update_comparison(fig, stats(["campaign"], CAMPAIGNS))


def test_comparison_key_switch_on_a_figure_widget() -> None:
    pytest.importorskip("anywidget", reason="plotly's FigureWidget needs anywidget")
    by_sender = stats(["sender"], [["ann@x.io", 3, 0, 1, 1, 0]])
    widget = go.FigureWidget(build_comparison(stats(["campaign"], CAMPAIGNS)))
    update_comparison(widget, by_sender, key="sender")
    expected = build_comparison(by_sender, key="sender")
    assert [trace_json(t) for t in widget.data] == [trace_json(t) for t in expected.data]
    assert widget.layout.to_plotly_json() == expected.layout.to_plotly_json()


def test_malicious_campaign_name_is_escaped_everywhere_in_the_figure() -> None:
    figs = [
        build_comparison(stats(["campaign"], CAMPAIGNS)),
        build_state_breakdown(
            stats(["state"], [[0, 5, 5, 0, 0, 0]]), stats(["campaign", "state"], [[EVIL, 0, 5, 5, 0, 0, 0]])
        ),
    ]
    for fig in figs:
        dumped = fig.to_json()
        assert "<img" not in dumped
        assert EVIL_ESCAPED in dumped
    assert build_comparison(stats(["campaign"], CAMPAIGNS), title="Q2 <b>").layout.title.text == "Q2 &lt;b&gt;"


def test_stats_table_sorts_by_the_numbers() -> None:
    table = stats_table(stats(["campaign"], CAMPAIGNS + [["Gamma", 90, 0, 9, 1, 0]]), ["campaign"])
    assert list(table["Campaign"]) == ["Beta", "Alpha", "Gamma", EVIL]  # 1,000 > 900 > 90 > 50
    assert list(table["Reach Outs"]) == ["1,000", "900", "90", "50"]
    ascending = stats_table(stats(["campaign"], CAMPAIGNS), "campaign", sort_by="Reach Outs", ascending=True)
    assert list(ascending["Campaign"]) == [EVIL, "Alpha", "Beta"]
    by_open_rate = stats_table(stats(["campaign"], CAMPAIGNS), ["campaign"], sort_by="open_rate")
    assert list(by_open_rate["Campaign"]) == ["Alpha", "Beta", EVIL]  # 50% > 40% > unknown (last)
    assert list(by_open_rate["Open rate"]) == ["50.0%", "40.0%", "—"]
    ties = stats(["campaign"], [["b", 5, 0, 1, 1, 0], ["c", 7, 0, 1, 1, 0], ["a", 5, 0, 1, 1, 0]])
    assert list(stats_table(ties, ["campaign"])["Campaign"]) == ["c", "a", "b"]  # ties by name
    assert list(stats_table(ties, ["campaign"], sort_by="campaign", ascending=True)["Campaign"]) == ["a", "b", "c"]


def test_stats_table_frames_can_be_combined_with_a_total_row() -> None:
    table = stats_table(stats(["campaign"], CAMPAIGNS), ["campaign"])
    row = stats_table(total(1950, None, 195, 51), [])
    row.insert(0, "Campaign", ["Total"])
    combined = pd.concat([table, row], ignore_index=True)
    assert combined.iloc[-1].tolist()[:4] == ["Total", "1,950", "0", "—"]
    assert "<td>Total</td>" in table_html(combined)


def test_stats_table_columns_and_formats() -> None:
    table = stats_table(stats(["campaign"], CAMPAIGNS), ["campaign"])
    assert list(table.columns) == [
        "Campaign", "Reach Outs", "In Progress", "Opens", "Responses", "Interested",
        "Open rate", "Response rate", "Interested rate", "Interested / Responses",
    ]  # fmt: skip
    assert table.iloc[0].tolist() == ["Beta", "1,000", "20", "400", "100", "20", "40.0%", "10.0%", "2.0%", "20.0%"]
    assert table.iloc[2]["Opens"] == "—" and table.iloc[2]["Open rate"] == "—"
    assert len(table) == 3  # no total row
    by_state = stats_table(stats(["state"], BY_STATE), ["state"])
    assert list(by_state["State"]) == ["In progress (state)", "Responded", "Hard Bounced"]
    with pytest.raises(ValueError):
        stats_table(stats(["campaign"], CAMPAIGNS), ["campaign"], sort_by="nope")


def test_table_html_escapes_and_right_aligns() -> None:
    table = stats_table(stats(["campaign"], CAMPAIGNS), ["campaign"])
    out = table_html(table, caption="Campaigns <b>Q2</b>")
    assert "<img" not in out and EVIL_ESCAPED in out
    assert "<caption>Campaigns &lt;b&gt;Q2&lt;/b&gt;</caption>" in out
    assert "<th>Campaign</th>" in out and '<th class="ts-num">Reach Outs</th>' in out
    assert '<td class="ts-num">1,000</td>' in out
    assert '<td class="ts-num">40.0%</td>' in out
    assert '<td class="ts-num">—</td>' in out  # unknown opens
    assert "<td>Beta</td>" in out
    assert ".ts-num{text-align:right" in out
    assert out.count("<tr>") == 4
    plain = table_html(pd.DataFrame({"Campaign": ["x&y"], "Reach Outs": [5]}), css=False)
    assert "<style>" not in plain and "<td>x&amp;y</td>" in plain and '<td class="ts-num">5</td>' in plain


# ---------------------------------------------------------------------------------------------------------------
# update in place: same figure object, same result as a fresh build, also on a FigureWidget
# ---------------------------------------------------------------------------------------------------------------

SPLIT_A = stats(["campaign", "state"], [["A", 0, 10, 10, 0, 0, 0], ["B", 2, 5, 0, 5, 5, 1]])
SPLIT_B = stats(["campaign", "state"], [["C", 3, 7, 0, 1, 0, 0]])

CASES = {
    "funnel": (build_funnel, update_funnel, (total(1200, 80, 117, 40),), (total(1000, None, 90, 20),)),
    "states": (
        build_state_breakdown,
        update_state_breakdown,
        (stats(["state"], BY_STATE),),
        (stats(["state"], [[9, 7, 0, 0, 0, 0]]),),
    ),
    "states_split": (
        build_state_breakdown,
        update_state_breakdown,
        (stats(["state"], [[0, 10, 10, 0, 0, 0], [2, 5, 0, 5, 5, 1]]), SPLIT_A),
        (stats(["state"], [[3, 7, 0, 1, 0, 0]]), SPLIT_B),
    ),
    "trend": (build_trend, update_trend, (weekly_stats(),), (weekly_stats(skip=(), no_opens=("2024-03-18",)),)),
    "comparison": (
        build_comparison,
        update_comparison,
        (stats(["campaign"], CAMPAIGNS),),
        (stats(["campaign"], CAMPAIGNS[:2]),),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_update_changes_the_same_figure_in_place(case: str) -> None:
    build, update, first, second = CASES[case]
    fig = build(*first)
    traces = fig.data
    update(fig, *second)
    assert len(fig.data) == len(traces)
    assert all(new is old for new, old in zip(fig.data, traces, strict=True))
    assert fig.to_plotly_json() == build(*second).to_plotly_json()
    assert fig.to_plotly_json() != build(*first).to_plotly_json()
    update(fig, *first)  # and back: nothing left over from the second data
    assert fig.to_plotly_json() == build(*first).to_plotly_json()


@pytest.mark.parametrize("case", list(CASES))
def test_update_works_on_a_figure_widget(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("anywidget", reason="plotly's FigureWidget needs anywidget")
    build, update, first, second = CASES[case]
    widget = go.FigureWidget(build(*first))
    traces = widget.data
    outermost: list[go.FigureWidget] = []  # batches not nested in another one
    open_batches: list[go.FigureWidget] = []
    original = go.FigureWidget.batch_update

    @contextmanager
    def counting_batch_update(self: go.FigureWidget) -> Iterator[None]:
        if not open_batches:
            outermost.append(self)
        open_batches.append(self)
        try:
            with original(self):
                yield
        finally:
            open_batches.pop()

    monkeypatch.setattr(go.FigureWidget, "batch_update", counting_batch_update)
    update(widget, *second)
    assert outermost == [widget]  # everything in one batch: the front end gets one message
    assert all(new is old for new, old in zip(widget.data, traces, strict=True))
    expected = build(*second)
    assert [trace_json(t) for t in widget.data] == [trace_json(t) for t in expected.data]
    assert widget.layout.annotations[0].to_plotly_json() == expected.layout.annotations[0].to_plotly_json()
    assert widget.layout.to_plotly_json() == expected.layout.to_plotly_json()


def test_funnel_note_comes_and_goes_on_update() -> None:
    fig = build_funnel(total(1000, 500, 100, 10))
    assert figure_notes(fig) == []
    update_funnel(fig, total(1000, 50, 100, 10))
    assert figure_notes(fig) == [
        "At least 50 of the 100 responses had no tracked open (50 more responses than opens): Responses are not "
        "a subset of Opens."
    ]
    update_funnel(fig, total(1000, 500, 100, 10), title="Funnel · March")
    assert figure_notes(fig) == [] and fig.layout.annotations[0].visible is False
    assert fig.layout.title.text == "Funnel · March"


def test_update_rejects_a_figure_of_another_chart() -> None:
    with pytest.raises(ValueError, match="build_funnel"):
        update_funnel(build_trend(weekly_stats()), total(1, 1, 1, 1))
    with pytest.raises(ValueError, match="build_trend"):
        update_trend(go.Figure(), weekly_stats())


def test_every_figure_has_titles_and_a_fixed_height() -> None:
    figs = [build(*first) for build, _, first, _ in CASES.values()]
    for fig in figs:
        assert fig.layout.title.text
        assert fig.layout.height and fig.layout.width is None
    trend = figs[3]
    assert trend.layout.xaxis.title.text and trend.layout.yaxis.title.text and trend.layout.yaxis2.title.text
    for fig in (figs[1], figs[4]):
        assert fig.layout.xaxis.title.text


def test_public_api_is_present() -> None:
    public = {name for name in vars(charts) if not name.startswith("_") and callable(getattr(charts, name))}
    expected = {
        "build_funnel", "update_funnel", "build_state_breakdown", "update_state_breakdown", "build_trend",
        "update_trend", "build_comparison", "update_comparison", "stats_table", "table_html", "fmt_count",
        "fmt_rate", "escape_label", "display_label", "figure_notes",
    }  # fmt: skip
    assert expected <= public


# ---------------------------------------------------------------- the charts' template
def test_chart_template_is_plotly_white_for_flat_charts_and_nothing_more() -> None:
    import plotly.io as pio

    from talentstats.present.charts.figure import TEMPLATE, chart_template

    assert chart_template() == TEMPLATE
    white = pio.templates["plotly_white"].to_plotly_json()
    ours = pio.templates[TEMPLATE].to_plotly_json()
    # every layout default a flat chart reads is plotly_white's, unchanged; maps, 3D and polar parts are gone
    assert ours["layout"] == {k: v for k, v in white["layout"].items() if k not in {"geo", "polar", "scene", "ternary"}}
    assert {"xaxis", "yaxis", "colorway", "font", "plot_bgcolor", "hoverlabel"} <= set(ours["layout"])
    assert ours["data"] == {k: white["data"][k] for k in ("bar", "scatter", "heatmap")}
    assert len(json.dumps(ours)) < len(json.dumps(white)) / 2


def test_every_chart_uses_the_template_and_only_trace_types_it_styles() -> None:
    import plotly.io as pio

    from talentstats.present.charts.figure import TEMPLATE

    figs = [
        charts.build_funnel(total(100, 60, 20, 5)),
        charts.build_state_breakdown(stats(["state"], [[0, 10, 5, 3, 1, 1]])),
        charts.build_trend(weekly_stats(), weeks=12, end_week="2024-03-25"),
    ]
    styled = set(pio.templates[TEMPLATE].to_plotly_json()["data"])
    white = set(pio.templates["plotly_white"].to_plotly_json()["data"])
    for fig in figs:
        assert fig.layout.template.to_plotly_json() == pio.templates[TEMPLATE].to_plotly_json()
        for trace in fig.data:  # a type plotly_white styles is styled the same here (funnel: neither has one)
            assert trace.type in styled or trace.type not in white, trace.type


def test_subplot_grid_is_the_same_grid_each_time_and_a_copy_each_time() -> None:
    from plotly.subplots import make_subplots

    from talentstats.present.charts.figure import subplot_grid

    first = subplot_grid(3, shared_xaxes=True, subplot_titles=["a", "b", "c"])
    expected = make_subplots(rows=3, cols=1, shared_xaxes=True, subplot_titles=["a", "b", "c"]).layout.to_plotly_json()
    expected.pop("template")
    assert first == expected
    first["xaxis"]["domain"][0] = 0.5  # the caller changes its grid: the next caller's is untouched
    first["annotations"].clear()
    again = subplot_grid(3, shared_xaxes=True, subplot_titles=["a", "b", "c"])
    assert again == expected
    assert subplot_grid(3, shared_xaxes=True, subplot_titles=["x", "b", "c"])["annotations"][0]["text"] == "x"
