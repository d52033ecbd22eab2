"""The snapshot of a report run holds only the rows its notebook can use (talentstats.report.needed), and every
number of every section stays the same: each WeeklyReport section's HTML or figure, and the headline record, from
the cut table equal those from the whole table. On the sample data (each week 2026-W40..W47, alone and together,
in three time zones, a campaign filter, a period ending mid-week) and on a synthetic table whose events come long
after creation."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from talentstats.load.accounting import Loaded
from talentstats.load.loader import load
from talentstats.report.handoff import read_snapshot, write_snapshot
from talentstats.report.needed import SECTIONS, lookback, needed_rows, notebook_weeks
from talentstats.stats.periods import resolve_week
from talentstats.weekly import WeeklyReport

from .helpers import sample_dir, slow

WEEKS = [f"2026-W{n}" for n in range(40, 48)]
ZONES = ["UTC", "Pacific/Auckland", "America/New_York"]


@cache
def sample() -> Loaded:
    return load([str(sample_dir())])


def week(label: str) -> tuple[dt.date, dt.date]:
    return resolve_week(label, None, "UTC")


def sections(loaded: Loaded, start: dt.date, end: dt.date, tz: str, campaigns: tuple[str, ...] = ()) -> dict:
    """Every section the notebook shows, as text, built the way the notebook builds its report."""
    table = loaded.table
    if campaigns:
        table = table[table["campaign"].isin(list(campaigns))].reset_index(drop=True)
    r = WeeklyReport(table, loaded.report, start, end, tz, campaigns=campaigns, messages=loaded.messages)
    out = {"headline": json.dumps(r.headline(), sort_keys=True, default=str), "header": r.header_html(),
           "kpi": r.kpi_html(), "activity": r.activity_html(), "activity_table": r.activity_table_html("campaign"),
           "reconciliation": r.reconciliation_html(), "funnel": r.funnel(), "states": r.state_breakdown(),
           "table_campaign": r.table_html("campaign"), "rates_campaign": r.rates("campaign"),
           "table_sender": r.table_html("sender"), "rates_sender": r.rates("sender"),
           "trend": r.trend(weeks=12), "campaign_trends": r.campaign_trends(weeks=12), "arrival": r.arrival(),
           "ttr": r.time_to_reply_html("campaign"), "steps": r.steps(), "quality": r.quality_html(),
           "interested": r.interested_html()}
    return {k: v if isinstance(v, str) else v.to_json() for k, v in out.items()}


_SNAPSHOTS = Path(tempfile.mkdtemp(prefix="test-needed-"))
_COUNT = itertools.count()


def assert_same(loaded: Loaded, periods: list[tuple[dt.date, dt.date]], tz: str,
                campaigns: tuple[str, ...] = ()) -> Loaded:
    """Every section of each period from the snapshot a run writes (only the needed rows) equals the section from
    the whole table; returns what the snapshot holds."""
    rows = needed_rows(loaded, periods, tz, campaigns)
    assert rows is not None and not rows.all()  # (something was cut: the test is not vacuous)
    cut = read_snapshot(write_snapshot(loaded, _SNAPSHOTS / f"s{next(_COUNT)}.arrow", rows=rows))
    assert len(cut.table) == int(rows.sum())
    for start, end in periods:
        full, part = sections(loaded, start, end, tz, campaigns), sections(cut, start, end, tz, campaigns)
        for name in full:
            assert part[name] == full[name], f"{name} of {start}..{end} in {tz} differs"
    return cut


def test_the_notebook_calls_only_sections_accounted_for():
    assert notebook_weeks() == 12  # (the trends' 12 weeks: more than the triangle's ARRIVAL_WEEKS)
    assert {"trend", "kpi_html", "activity_html", "reconciliation_html", "arrival"} <= SECTIONS


def test_lookback_covers_the_trends_the_previous_period_and_the_whole_last_week():
    first, last, active = lookback([week("2026-W47")], 12)
    assert (first, last, active) == (dt.date(2026, 8, 31), dt.date(2026, 11, 22), dt.date(2026, 11, 9))
    first, last, active = lookback([(dt.date(2026, 11, 1), dt.date(2026, 11, 18))], 12)
    assert first == dt.date(2026, 8, 31) and last == dt.date(2026, 11, 22) and active == dt.date(2026, 10, 14)


@slow
@pytest.mark.parametrize("tz", ZONES)
def test_each_sample_week_alone_is_the_same_from_the_cut_table(tz: str):
    for label in WEEKS:
        assert_same(sample(), [week(label)], tz)


@slow
def test_a_backfill_a_campaign_filter_and_a_period_ending_mid_week_are_the_same():
    loaded = sample()
    assert_same(loaded, [week(w) for w in WEEKS[-4:]], "Pacific/Auckland")
    campaigns = tuple(sorted(loaded.table["campaign"].astype(str).unique())[:2])
    assert_same(loaded, [week("2026-W46")], "America/New_York", campaigns)
    assert_same(loaded, [(dt.date(2026, 11, 4), dt.date(2026, 11, 11))], "UTC")


def late_events(loaded: Loaded, seed: int = 7) -> Loaded:
    """The sample with events long after creation: old reach outs sent, opened and answered in 2026-W46/W47
    (some answered in state Responded with no time), an old reach out updated after everything else (the newest
    instant) and old reach outs sent a late step in 2026-W47 (messages only)."""
    t = loaded.table.copy()
    rng = np.random.default_rng(seed)
    old = np.flatnonzero((t["created_at"] < pd.Timestamp("2026-08-15", tz="UTC")).to_numpy())
    assert len(old) > 100
    pick = rng.choice(old, size=len(old) // 3, replace=False)
    when = pd.Timestamp("2026-11-09", tz="UTC") + pd.to_timedelta(rng.integers(0, 14 * 86400, len(pick)), unit="s")
    for i, column in enumerate(("first_sent_at", "first_opened_at", "responded_at")):
        part = pick[i::3]
        t.loc[t.index[part], column] = when[i::3]
        if column == "responded_at":
            t.loc[t.index[part], "state"] = np.int8(2)
            t.loc[t.index[part], "response_via"] = "Email"
            t.loc[t.index[part[::4]], "response_type"] = "Interested"
    untimed = rng.choice(np.setdiff1d(old, pick), size=20, replace=False)
    t.loc[t.index[untimed], "state"] = np.int8(2)
    t.loc[t.index[untimed], "responded_at"] = pd.NaT
    t.loc[t.index[untimed[0]], "updated_at"] = t["updated_at"].max() + pd.Timedelta(days=30)
    quiet = rng.choice(np.setdiff1d(old, np.concatenate([pick, untimed])), size=30, replace=False)
    return Loaded(t, loaded.report, late_messages(loaded.messages, t, quiet, rng))


def late_messages(messages: pa.Table, table: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """``messages`` and a late step sent in 2026-W47 to each reach out at ``rows`` (created long before)."""
    when = pd.Timestamp("2026-11-16", tz="UTC") + pd.to_timedelta(rng.integers(0, 7 * 86400, len(rows)), unit="s")
    late = {"reach_out_id": table["reach_out_id"].iloc[rows].astype(str).tolist(), "step": [4] * len(rows),
            "sent_at": list(when), "opened_at": [None] * len(rows), "ro": rows.tolist(),
            "campaign": table["campaign"].iloc[rows].astype(str).tolist(),
            "sender": table["sender"].iloc[rows].astype(str).tolist()}
    extra = pa.table({name: pa.array(late[name], type=field.type.value_type if pa.types.is_dictionary(field.type)
                                     else field.type) for name, field in zip(messages.schema.names, messages.schema,
                                                                              strict=True)})
    extra = extra.cast(messages.schema)
    return pa.concat_tables([messages, extra])


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Auckland"])
def test_events_long_after_creation_are_the_same_from_the_cut_table(tz: str):
    loaded = late_events(sample())
    cut = assert_same(loaded, [week("2026-W47")], tz)
    assert cut.table["created_at"].min() < pd.Timestamp("2026-08-15", tz="UTC")  # (old reach outs were kept)
    assert_same(loaded, [week(w) for w in WEEKS[-2:]], "America/New_York")
