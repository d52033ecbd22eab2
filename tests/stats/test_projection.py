"""Projected final rates (talentstats.stats.projection), issue 14: on simulated weekly cohorts whose final rates
are known, the interval covers the truth about as often as it claims; snapshots agree with the triangle's
definitions on a hand-made table; the chain ladder arithmetic by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talentstats.errors import UsageError
from talentstats.stats.arrival import newest_instant, triangle
from talentstats.stats.projection import PROJECTION_COLUMNS, project, snapshots

from .test_arrival import canonical, t

WEEK = 7.0  # days


def simulate(seed: int, weeks: int = 10, rate: float = 0.12, size: int = 150) -> tuple[pd.DataFrame, np.ndarray]:
    """Weekly cohorts of reach outs created uniformly over their week; each answers with probability ``rate``
    after a log-normal delay (median 2 days, a long tail); ``as_of`` falls somewhere in the last week. Returns
    the snapshots frame (as :func:`snapshots` builds it) and each week's true final rate: the share of its reach
    outs created by as_of that eventually answer."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(size, weeks)
    week = np.repeat(np.arange(weeks), n)
    created = week * WEEK + rng.uniform(0, WEEK, n.sum())  # days from the first Monday
    answers = rng.uniform(size=n.sum()) < rate
    answered = np.where(answers, created + rng.lognormal(np.log(2.0), 1.0, n.sum()), np.inf)
    as_of = (weeks - 1) * WEEK + rng.uniform(0.2, 0.95) * WEEK
    live = created <= as_of
    truth = np.bincount(week[live], answers[live], weeks) / np.bincount(week[live], minlength=weeks)
    snaps = [as_of - WEEK * j for j in range(weeks)]
    rows = []
    for j, s in enumerate(snaps):  # (test code: a loop over the few snapshots is clear)
        lag = np.floor((s - np.arange(weeks) * WEEK) / WEEK).astype(int)
        reach = np.bincount(week[created <= s], minlength=weeks)
        count = np.bincount(week[(created <= s) & (answered <= s)], minlength=weeks)
        keep = lag >= 0
        rows.append(pd.DataFrame({"created_week": [f"2026-W{w + 10:02d}" for w in np.flatnonzero(keep)],
                                  "lag_weeks": lag[keep], "count": count[keep], "reach_outs": reach[keep]}))
        assert j < weeks
    return pd.concat(rows, ignore_index=True), truth


@pytest.mark.parametrize(("level", "seeds", "band"), [(0.95, 200, (0.90, 0.99)), (0.8, 100, (0.70, 0.90))])
def test_interval_covers_the_truth_as_often_as_it_claims(level, seeds, band):
    # 200 seeds know a 95 % coverage to about ±0.015; 100 seeds an 80 % one to about ±0.04
    hits = {0: 0, 1: 0}  # the youngest week (lag 0, filling in) and the one before (lag 1)
    widths, errors = [], []
    for seed in range(seeds):
        snaps, truth = simulate(seed)
        p = project(snaps, level=level, n_boot=300, seed=seed)
        for back in hits:
            row = p.iloc[len(p) - 1 - back]
            assert row["label"] == "projected"
            hits[back] += bool(row["projected_low"] <= truth[len(p) - 1 - back] <= row["projected_high"])
        widths.append(p["projected_high"].iloc[-1] - p["projected_low"].iloc[-1])
        errors.append(p["projected_rate"].iloc[-1] - truth[-1])
    young = hits[0] / seeds
    assert band[0] <= young <= band[1], f"youngest week: coverage {young} at level {level}"
    # a week older than that has only a few events still to come: the simulated final counts are discrete and
    # the interval's ends include them, so it covers at least as often as it claims (0.9 for 80 % in the runs)
    older = hits[1] / seeds
    assert band[0] <= older <= 1.0, f"lag 1: coverage {older} at level {level}"
    assert 0 < np.median(widths) < 0.2
    # the youngest week's rate so far is far below the truth; the projection is right on average
    assert abs(np.mean(errors)) < 0.01


def test_chain_ladder_by_hand():
    # two weeks: W10 seen at lags 0, 1, 2 with rates 5/100, 8/100, 10/100; W11 at lags 0, 1 with 6/100, 9/100
    snaps = pd.DataFrame({"created_week": ["2026-W10"] * 3 + ["2026-W11"] * 2, "lag_weeks": [0, 1, 2, 0, 1],
                          "count": [5, 8, 10, 6, 9], "reach_outs": [100] * 5})
    # f0 = (100·0.08 + 100·0.09) / (100·0.05 + 100·0.06) = 17 / 11; f1 = 10 / 8 = 1.25 (W10 only)
    # chain ladder, W11 at lag 1: 0.09 × 1.25 = 0.1125
    cl = project(snaps, method="chain_ladder", n_boot=10)
    assert cl["projected_rate"].iloc[1] == pytest.approx(0.1125)
    # Cape Cod: arrived share of W11 = 1/1.25 = 0.8, of W10 = 1; expected final rate = (10 + 9) / (100 + 80)
    # = 0.1055556; W11: 0.09 + (1 − 0.8) × 0.1055556 = 0.1111111
    cc = project(snaps, n_boot=10)
    assert cc["projected_rate"].iloc[1] == pytest.approx(0.09 + 0.2 * 19 / 180)
    # W10 is the oldest: observed, no interval
    assert cc["label"].tolist() == ["observed", "projected"] and pd.isna(cc["projected_low"].iloc[0])
    assert cc["rate"].iloc[0] == pytest.approx(0.10) and list(cc.columns) == list(PROJECTION_COLUMNS)
    assert cc["projected_low"].iloc[1] <= cc["projected_rate"].iloc[1] <= cc["projected_high"].iloc[1]
    assert project(snaps.iloc[:0]).empty
    with pytest.raises(UsageError):
        project(snaps, method="magic")


def test_youngest_week_without_events_yet():
    # W11 has 0 responses after its first days: the chain ladder can only say 0; Cape Cod still projects
    snaps = pd.DataFrame({"created_week": ["2026-W10"] * 2 + ["2026-W11"], "lag_weeks": [0, 1, 0],
                          "count": [4, 10, 0], "reach_outs": [100, 100, 40]})
    cc = project(snaps, n_boot=200)
    # f0 = 10 / 4 = 2.5: W11 has 1/2.5 = 0.4 of its final rate; expected = (10 + 0) / (100 + 40 × 0.4) = 10 / 116
    assert cc["projected_rate"].iloc[1] == pytest.approx(0.6 * 10 / 116)
    assert cc["projected_high"].iloc[1] > 0
    assert project(snaps, method="chain_ladder", n_boot=10)["projected_rate"].iloc[1] == 0


def test_snapshots_from_the_triangle():
    # W47 (11-16 .. 11-22): a created Mon 09:00, answered Tue 09:00; b created Tue 09:00, answered 11-25 09:00;
    # d created Wed 09:00, never answered. W48: c created 11-24 09:00, not answered. as_of 11-27 09:00 (Friday).
    table = canonical([
        dict(id="a", state=2, created_at=t("2026-11-16 09:00"), response_via="Email",
             responded_at=t("2026-11-17 09:00")),
        dict(id="b", state=2, created_at=t("2026-11-17 09:00"), response_via="Email",
             responded_at=t("2026-11-25 09:00")),
        dict(id="d", state=0, created_at=t("2026-11-18 09:00")),
        dict(id="c", state=0, created_at=t("2026-11-24 09:00")),
    ])
    s = snapshots(table, "2026-11-24", 2, as_of=t("2026-11-27 09:00"))
    # at 11-27 09:00: W47 is 11 days 9 hours old = lag 1: 3 reach outs, 2 answers; W48 lag 0: 1 reach out, 0
    # at 11-20 09:00: W47 lag 0: a b d created, a answered -> 1 of 3; W48 not begun (no row)
    assert s.to_dict("list") == {"created_week": ["2026-W47", "2026-W47", "2026-W48"], "lag_weeks": [0, 1, 0],
                                 "count": [1, 2, 0], "reach_outs": [3, 3, 1]}
    p = project(s, n_boot=50)
    # f0 = (3 × 2/3) / (3 × 1/3) = 2: W48 has 1/2 of its final rate by lag 0; W47 (oldest) all of it.
    # expected final rate = (3 × 2/3 + 1 × 0) / (3 × 1 + 1 × 0.5) = 2 / 3.5; W48: 0 + (1 − 0.5) × 2 / 3.5 = 0.2857
    assert p["projected_rate"].iloc[1] == pytest.approx(0.5 * 2 / 3.5)
    assert snapshots(table.iloc[:0], "2026-11-24", 2).empty


def triangle_snapshots(table: pd.DataFrame, end: str, weeks: int, tz: str, metric: str, as_of) -> pd.DataFrame:
    """The snapshots as defined: one triangle per snapshot (as_of − 7·j days), summed over ages."""
    parts = []
    for j in range(weeks):  # (test code: the definition, one triangle per snapshot)
        tri = triangle(table, end, weeks, tz, metric, as_of - dt.timedelta(days=7 * j))
        parts.append(tri.groupby("created_week", as_index=False)
                     .agg(lag_weeks=("age_weeks", "max"), count=("count", "sum"), reach_outs=("reach_outs", "first")))
    out = pd.concat(parts, ignore_index=True).astype({"lag_weeks": "Int64", "count": "Int64", "reach_outs": "Int64"})
    return out.sort_values(["created_week", "lag_weeks"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Pacific/Chatham"])
@pytest.mark.parametrize("metric", ["responses", "opens"])
@pytest.mark.parametrize("engine", ["pandas", "polars"])  # (pandas counts in integer microseconds; others by flags)
def test_snapshots_counted_in_one_pass_are_the_triangles_of_each_snapshot(tz: str, metric: str, engine: str):
    from talentstats.load.loader import read_reach_outs

    table = read_reach_outs([Path(__file__).resolve().parents[2] / "sample_data"]).table
    frame = table if engine == "pandas" else pytest.importorskip("polars").from_pandas(table)
    for end, weeks, as_of in (("2026-11-22", 11, newest_instant(table)), ("2026-11-22", 4, t("2026-11-19 13:07")),
                              ("2026-10-07", 3, t("2026-10-30 00:00")), ("2026-11-22", 1, t("2026-11-15 23:59"))):
        pd.testing.assert_frame_equal(snapshots(frame, end, weeks, tz, metric, as_of),
                                      triangle_snapshots(table, end, weeks, tz, metric, as_of), check_exact=True)
