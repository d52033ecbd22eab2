"""Tests of talentstats.dashboard.cube: the daily cube holds stat_counts' counts, and its slices give exactly
campaign_stats' statistics and members' rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from talentstats.dashboard.cube import FLAGS, DailyCube, Selection
from talentstats.errors import UsageError
from talentstats.stats.metrics import COUNTS, campaign_stats, members, stat_counts

from .helpers import EVIL, WEEK, dashboard, table

MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.mark.parametrize("by", ["campaign", "sender", "state", "week", "day"])
def test_grouped_stats_equal_campaign_stats(by: str) -> None:
    t = table()
    want = campaign_stats(t, *MONTH, "America/New_York", by)
    pd.testing.assert_frame_equal(DailyCube(t).stats_many([(by, *MONTH)], Selection("America/New_York"))[0], want)
    d = dashboard(t, tz="America/New_York")
    pd.testing.assert_frame_equal(d.stats(by, *MONTH), want)


def test_cube_equals_stat_counts() -> None:
    t = table()
    cube = DailyCube(t)
    for tz in ("UTC", "Asia/Kolkata"):
        d = dashboard(t, tz=tz)
        keys = ["day", "campaign", "sender", "state"]
        want = stat_counts(t, *MONTH, tz, keys)
        rows = {tuple(r[:4]): tuple(int(v) for v in r[4:]) for r in want[[*keys, *FLAGS]].itertuples(index=False)}
        got = {tuple(r[:4]): tuple(r[4:]) for r in d.cube(tz).itertuples(index=False)}
        assert got == rows
        assert {tuple(r[:4]): tuple(r[4:]) for r in cube.frame(tz).itertuples(index=False)} == rows


@pytest.mark.parametrize("selection", [Selection("UTC"), Selection("Europe/Berlin", campaigns=(EVIL,)),
                                       Selection("America/New_York", senders=("s2",)),
                                       Selection("UTC", campaigns=("Alpha",), senders=("s1",))])
def test_selections_equal_campaign_stats_of_the_selected_rows(selection: Selection) -> None:
    t = table()
    rows = t
    if selection.campaigns:
        rows = rows[rows["campaign"].isin(selection.campaigns)]
    if selection.senders:
        rows = rows[rows["sender"].isin(selection.senders)]
    cube = DailyCube(t)
    total, by_campaign = cube.stats_many([(None, *WEEK), ("campaign", *WEEK)], selection)
    pd.testing.assert_frame_equal(total, campaign_stats(rows, *WEEK, selection.tz))
    pd.testing.assert_frame_equal(by_campaign, campaign_stats(rows, *WEEK, selection.tz, "campaign"))
    for metric in COUNTS:
        want = members(rows, *WEEK, selection.tz, metric)["reach_out_id"].tolist()
        assert t["reach_out_id"].take(cube.rows(metric, *WEEK, selection)).tolist() == want


def test_statistics_are_remembered_until_forgotten() -> None:
    cube = DailyCube(table())
    first, = cube.stats_many([(None, *WEEK)], Selection())
    again, = cube.stats_many([(None, *WEEK)], Selection())
    assert again is first
    other, = cube.stats_many([(None, *WEEK)], Selection("Europe/Berlin"))
    assert other is not first
    cube.forget()
    assert cube.stats_many([(None, *WEEK)], Selection())[0] is not first


def test_an_empty_table_gives_zeros_and_unknown_opens() -> None:
    cube = DailyCube(table().iloc[0:0])
    assert cube.frame("UTC").empty
    total, = cube.stats_many([(None, *WEEK)], Selection())
    pd.testing.assert_frame_equal(total, campaign_stats(table().iloc[0:0], *WEEK, "UTC"))
    assert cube.rows("reach_outs", *WEEK, Selection()).tolist() == []
    assert cube.rows("reach_outs", *WEEK, Selection()).dtype == np.int64


def test_keys_and_metrics_the_cube_has_not_are_usage_errors() -> None:
    cube = DailyCube(table())
    with pytest.raises(UsageError) as err:
        cube.counts("response_type", *WEEK, Selection())
    assert err.value.parameter == "by"
    with pytest.raises(UsageError, match="unknown group key"):
        cube.counts("nonsense", *WEEK, Selection())
    with pytest.raises(UsageError) as err:
        cube.rows("response_rate", *WEEK, Selection())
    assert err.value.parameter == "metric"
