"""Tests of the dashboard's cohort/activity toggle, the triangle and the steps chart (issue 13).

Activity numbers must be exactly ``talentstats stats --view activity``'s; the triangle and steps exactly
``talentstats.stats.arrival.triangle`` and ``talentstats.stats.steps.step_stats`` on the selected reach outs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from talentstats.dashboard import Dashboard
from talentstats.dashboard.activitycharts import ACTIVITY_LABELS, TILES
from talentstats.dashboard.eventsview import NO_STATES
from talentstats.load.loader import Loaded, read_reach_outs
from talentstats.present.charts import UNKNOWN_TEXT, fmt_count
from talentstats.present.charts.events import arrival_heatmap, steps_chart
from talentstats.stats.activity import activity_counts
from talentstats.stats.arrival import triangle
from talentstats.stats.steps import step_stats

from .helpers import ROOT, WEEK, tile_values

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    """The sample's reach outs and messages."""
    return read_reach_outs(ROOT / "sample_data")


def board(loaded: Loaded, **kwargs: Any) -> Dashboard:
    kwargs.setdefault("start", WEEK[0])
    kwargs.setdefault("end", WEEK[1])
    d = Dashboard(loaded.table, loaded.report, messages=loaded.messages, **kwargs)
    d.widget()
    return d


def activity_tiles(d: Dashboard) -> dict[str, str]:
    out = {}
    for m, tile in d.events.tiles.items():
        found = re.search(r'<div class="v[^"]*">(.*?)</div>', tile.value)
        assert found, tile.value
        out[m] = found.group(1)
    return out


def cli_activity(cli: Cli, *args: str) -> dict[str, Any]:
    code, out, err = cli("stats", ROOT / "sample_data", "--week", "2026-W47", "--view", "activity",
                         "--format", "json", *args)
    assert (code, err) == (0, ""), err
    return json.loads(out)


def expected(row: dict[str, Any]) -> dict[str, str]:
    return {m: UNKNOWN_TEXT if row[m] is None else fmt_count(row[m]) for m in TILES}


def test_the_toggle_switches_every_tile_to_the_cli_activity_numbers(loaded: Loaded, cli: Cli) -> None:
    d = board(loaded)
    cohort = tile_values(d)
    total = cli_activity(cli)["total"]
    assert activity_tiles(d) == expected(total)  # kept current in both modes
    slots = [box for box, _, _ in d.events._slots]
    for box, cohort_children, _ in d.events._slots:
        assert box.children == cohort_children
    d.events.mode.value = "activity"
    for box, _, activity in d.events._slots:
        assert box.children == activity  # every tile, chart, the table and the drill-down follow
    assert d.events.states_note in [c for box in slots for c in box.children]
    assert NO_STATES in d.events.states_note.value
    # the funnel's counterpart, the trend and the comparison show activity counts
    bars = dict(zip(d.events.bars.data[0].y, d.events.bars.data[0].x, strict=True))
    assert bars == {ACTIVITY_LABELS[m]: total[m] for m in TILES}
    week = list(d.events.trend.data[0].x).index("2026-11-16")
    assert [t.y[week] for t in d.events.trend.data] == [total[m] for m in TILES]
    by_campaign = {r["campaign"]: r for r in cli_activity(cli, "--by", "campaign")["rows"]}
    shown_sent = dict(zip(d.events.comparison.data[0].y, d.events.comparison.data[0].x, strict=True))
    assert sorted(shown_sent.values()) == sorted(r["messages_sent"] for r in by_campaign.values())
    assert "Messages sent" in d.events.table_html.value and fmt_count(total["messages_sent"]) in \
        d.events.table_html.value
    d.events.mode.value = "cohort"
    for box, cohort_children, _ in d.events._slots:
        assert box.children == cohort_children
    assert tile_values(d) == cohort


def test_activity_tiles_follow_a_campaign_filter(loaded: Loaded, cli: Cli) -> None:
    d = board(loaded)
    d.events.mode.value = "activity"
    rows = cli_activity(cli, "--by", "campaign")["rows"]
    for row in rows[:3]:
        d.campaigns.value = (row["campaign"],)
        assert activity_tiles(d) == expected(row), row["campaign"]
    d.campaigns.value = tuple(r["campaign"] for r in rows[:2])
    both = {m: rows[0][m] + rows[1][m] for m in TILES}
    assert activity_tiles(d) == expected(both)


def test_activity_changes_compare_with_the_previous_week(loaded: Loaded, cli: Cli) -> None:
    d = board(loaded)
    now = cli_activity(cli)["total"]
    code, out, _ = cli("stats", ROOT / "sample_data", "--week", "2026-W46", "--view", "activity", "--format", "json")
    before = json.loads(out)["total"]
    diff = now["responses"] - before["responses"]
    assert f"{diff:+,}" in d.events.tiles["responses"].value


def test_the_triangle_and_steps_follow_range_time_zone_and_filters(loaded: Loaded) -> None:
    d = board(loaded, tz="Europe/Berlin")
    campaigns = tuple(sorted(loaded.table["campaign"].unique())[:2])
    senders = tuple(sorted(loaded.table["sender"].unique())[1:4])
    messages = loaded.messages.to_pandas()
    as_of = d.events.arrival.as_of
    for c, s, start in [((), (), WEEK[0]), (campaigns, (), dt.date(2026, 10, 1)), (campaigns, senders, WEEK[0])]:
        d.campaigns.value, d.senders.value = c, s
        d.set_range(start, WEEK[1])
        t = loaded.table
        t = t[t["campaign"].isin(c)] if c else t
        t = t[t["sender"].isin(s)] if s else t
        want = triangle(t, WEEK[1], 12, "Europe/Berlin", as_of=as_of)
        pd.testing.assert_frame_equal(d.events.arrival.triangle(WEEK[1], 12, d._selection()), want)
        heat = arrival_heatmap(want).data[0]
        assert d.events.heatmap.data[0].text == heat.text and d.events.heatmap.data[0].y == heat.y
        steps = step_stats(t, messages, start, WEEK[1], "Europe/Berlin")
        pd.testing.assert_frame_equal(d.events.arrival.steps(start, WEEK[1], d._selection()), steps)
        assert d.events.steps.data[0].x == steps_chart(steps).data[0].x
    d.events.arrival_metric.value = "opens"
    want = triangle(t, WEEK[1], 12, "Europe/Berlin", metric="opens", as_of=as_of)
    assert d.events.heatmap.data[0].text == arrival_heatmap(want, metric="opens").data[0].text


def test_without_messages_the_activity_tiles_that_need_them_say_unknown(loaded: Loaded) -> None:
    alone = read_reach_outs(ROOT / "sample_data" / "reach_outs.csv")
    assert alone.messages is None
    d = Dashboard(alone.table, alone.report, start=WEEK[0], end=WEEK[1])
    d.widget()
    d.events.mode.value = "activity"
    shown = activity_tiles(d)
    assert shown["messages_sent"] == shown["reach_outs_started"] == shown["opens"] == UNKNOWN_TEXT
    responses = activity_counts(alone.table, None, *WEEK)["responses"].iloc[0]
    assert shown["responses"] == fmt_count(int(responses)) != UNKNOWN_TEXT
    assert "unknown" in d.events.tile_note.value
    assert ' unknown">unknown<' in d.events.tiles["messages_sent"].value  # styled as unknown, never 0
    assert d.events.bars.data[0].text[0] == UNKNOWN_TEXT
    assert "no Step column" in d.events.steps_note.value
    assert d.events.steps not in d.events.section().children[1].children
