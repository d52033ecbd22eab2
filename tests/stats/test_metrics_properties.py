"""Property tests (hypothesis) of the campaign statistics over random canonical Reach Out tables.

Invariants of the definitions, sums over groups, the day cube and its rollups, pandas = Polars, attribution by
creation date and the local-midnight edges of a range, for random ranges in random report time zones.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentstats.stats.metrics import COUNTS, GROUP_KEYS, RATES, campaign_stats, rollup, stat_counts, stats_with_total

pl = pytest.importorskip("polars")

US = 1_000_000
DAY_US = 86_400 * US
EPOCH = dt.date(1970, 1, 1)
#: data start: Monday 2026-03-02; six weeks cover New York (03-08), Berlin (03-29) and Auckland (04-05) DST changes
BASE = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
BASE_DATE = BASE.date()
DATA_DAYS = 42
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "Europe/Berlin", "Asia/Kathmandu",
         "Pacific/Chatham", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago")


def budget(examples: int) -> settings:
    """Settings of one property: each campaign_stats call on pandas costs ~20 ms; the file runs in < 30 s."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- strategies

#: offsets within a day: anywhere, or on a 15-minute grid +-1 microsecond (hits the local midnight of every zone)
_grid = st.builds(lambda q, d: q * 15 * 60 * US + d, st.integers(0, 95), st.sampled_from([0, 0, 1, -1]))
_time_of_day = st.one_of(st.integers(0, DAY_US - 1), _grid)



def _rows(days: st.SearchStrategy[int]) -> st.SearchStrategy[tuple]:
    return st.tuples(
        st.sampled_from(["A", "B", "C", ""]),                                 # campaign
        st.sampled_from(["s1", "s2", "s3"]),                                  # sender
        st.integers(0, 9),                                                    # state
        days, _time_of_day,                                                   # created: day, time of day (UTC)
        st.sampled_from([None, "", "  ", "Email"]),                           # response_via
        st.sampled_from([None, "Interested", "Not Interested", "Maybe"]),     # response_type
        st.sampled_from([True, False, None]),                                 # opened
    )


def build_table(rows: list[tuple], opened_mode: str) -> pd.DataFrame:
    """A canonical table (dtypes of talentstats.load.columns) from generated rows."""
    n = len(rows)
    created = [BASE + dt.timedelta(microseconds=day * DAY_US + t) for (_, _, _, day, t, _, _, _) in rows]
    if opened_mode == "known":
        opened = [bool(r[7]) for r in rows]
    elif opened_mode == "none":
        opened = [None] * n
    else:
        opened = [r[7] for r in rows]
    df = pd.DataFrame({
        "reach_out_id": pd.array([f"r{i}" for i in range(n)], dtype="str"),
        "campaign": pd.array([r[0] for r in rows], dtype="str"),
        "sender": pd.array([r[1] for r in rows], dtype="str"),
        "state": pd.array([r[2] for r in rows], dtype="int8"),
        "created_at": pd.array(created, dtype="datetime64[us, UTC]"),
        "updated_at": pd.array([c + dt.timedelta(days=3) for c in created], dtype="datetime64[us, UTC]"),
        "response_via": pd.array([r[5] for r in rows], dtype="str"),
        "response_type": pd.array([r[6] for r in rows], dtype="str"),
        "opened": pd.array(opened, dtype="boolean"),
        "prospect_name": pd.array([None] * n, dtype="str"),
        "prospect_email": pd.array([None] * n, dtype="str"),
    })
    return df


@st.composite
def cases(draw: Any) -> tuple[pd.DataFrame, tuple[dt.date, dt.date]]:
    """A canonical table and a date range [start, end]; most rows are created in or next to the range (as UTC
    days: the report time zone moves some of them out), the others anywhere in the data's six weeks."""
    first = draw(st.integers(-3, DATA_DAYS + 2))
    length = draw(st.one_of(st.integers(0, 3), st.integers(0, 50)))
    days = st.one_of(st.integers(first - 1, first + length + 1), st.integers(-1, DATA_DAYS))
    n = draw(st.integers(0, 40))
    rows = draw(st.lists(_rows(days), min_size=n, max_size=n))
    df = build_table(rows, draw(st.sampled_from(["known", "mixed", "mixed", "none"])))
    start = BASE_DATE + dt.timedelta(days=first)
    return df, (start, start + dt.timedelta(days=length))


zones = st.sampled_from(ZONES)
group_keys = st.sampled_from(GROUP_KEYS)

# ----------------------------------------------------------------------------- helpers


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def records(frame: Any) -> list[dict[str, Any]]:
    """Rows of a result frame (pandas or Polars) as dicts of plain Python values, nulls as None."""
    if isinstance(frame, pl.DataFrame):
        return [{k: _plain(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]
    return [{k: _plain(v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")]


def total(df: Any, start: dt.date, end: dt.date, tz: str) -> dict[str, Any]:
    rows = records(campaign_stats(df, start, end, tz))
    assert len(rows) == 1
    return rows[0]


def local_date(ts: pd.Timestamp, tz: str) -> dt.date:
    return ts.to_pydatetime().astimezone(ZoneInfo(tz)).date()


def local_midnight(day: dt.date, tz: str) -> pd.Timestamp:
    """The UTC instant at which ``day`` begins in ``tz``."""
    return pd.Timestamp(dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(tz)).astimezone(dt.UTC))


def check_row(r: dict[str, Any]) -> None:
    """The invariants of one statistics row."""
    n, opens, resp, inter, prog = r["reach_outs"], r["opens"], r["responses"], r["interested"], r["in_progress"]
    assert 0 <= resp <= n and 0 <= inter <= resp and 0 <= prog <= n - resp
    if opens is not None:
        assert 0 <= opens <= n
    assert 0 <= r["hard_bounced"] <= n
    for rate, num, den in (("open_rate", opens, n), ("response_rate", resp, n), ("interested_rate", inter, n),
                           ("interested_of_responses", inter, resp), ("bounce_rate", r["hard_bounced"], n)):
        if num is None or den == 0:
            assert r[rate] is None, (rate, r)
        else:
            assert r[rate] == pytest.approx(num / den, rel=0, abs=1e-12), (rate, r)


def assert_same_records(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        for k in g:
            if k in RATES and g[k] is not None and w[k] is not None:
                assert abs(g[k] - w[k]) <= 1e-12, (k, g, w)
            else:
                assert g[k] == w[k], (k, g, w)


# ----------------------------------------------------------------------------- invariants and sums over groups


@budget(15)
@given(cases(), zones)
def test_invariants_and_groups_sum_to_the_total(case, tz):
    df, (start, end) = case
    t = total(df, start, end, tz)
    check_row(t)
    for key in GROUP_KEYS:
        rows, total_from_groups = stats_with_total(df, start, end, tz, by=key)
        assert records(total_from_groups) == [t], "one-pass total equals the direct total"
        groups = records(rows)
        for g in groups:
            check_row(g)
            assert g["reach_outs"] > 0, "groups without a reach out in range are omitted"
        assert len({g[key] for g in groups}) == len(groups), "one row per group"
        for m in ("reach_outs", "in_progress", "responses", "interested"):
            assert sum(g[m] for g in groups) == t[m], (key, m)
        if t["opens"] is not None:
            assert all(g["opens"] is not None for g in groups), key
            assert sum(g["opens"] for g in groups) == t["opens"], key
        else:
            # unknown in total: some group is unknown, or there is no group (empty range, no open data at all)
            assert any(g["opens"] is None for g in groups) or t["reach_outs"] == 0, key


def oracle(df: pd.DataFrame, start: dt.date, end: dt.date, tz: str, key: str | None) -> dict[Any, dict]:
    """The counts per group (the five and Hard Bounced) by the definitions, row by row in plain Python."""
    z = ZoneInfo(tz)
    no_open_info = bool(df["opened"].isna().all())  # an empty table has no open information either
    names = ("reach_outs", "in_progress", "opens", "responses", "interested", "hard_bounced")
    out: dict[Any, dict] = {} if key else {None: dict.fromkeys(names, 0)}
    for row in df.astype(object).to_dict("records"):
        row = {k: _plain(v) for k, v in row.items()}
        local = row["created_at"].to_pydatetime().astimezone(z)
        if not start <= local.date() <= end:
            continue
        monday = local.date() - dt.timedelta(days=local.weekday())
        group = {None: None, "week": monday.isoformat(), "day": local.date().isoformat(),
                 "month": f"{local.year:04d}-{local.month:02d}"}.get(key, row.get(key or ""))
        c = out.setdefault(group, dict.fromkeys(names, 0))
        responded = (row["response_via"] or "").strip() != "" or row["state"] == 2
        c["reach_outs"] += 1
        c["in_progress"] += int(not responded and row["state"] not in (1, 5))
        c["responses"] += int(responded)
        c["interested"] += int(responded and row["response_type"] == "Interested")
        c["hard_bounced"] += int(row["state"] == 1)
        if row["opened"] is None or c["opens"] is None:
            c["opens"] = None
        else:
            c["opens"] += int(row["opened"])
    if key is None and no_open_info:
        out[None]["opens"] = None
    return out


@budget(25)
@given(cases(), zones, st.sampled_from(["campaign", "sender", "state", "response_via",
                                                      "response_type"]))
def test_counts_equal_a_row_by_row_oracle(case, tz, column_key):
    """Reach outs are the rows created on a local date in range, and every count follows the definitions."""
    df, (start, end) = case
    for key in (None, "day", "week", "month", column_key):
        want = oracle(df, start, end, tz, key)
        got = records(campaign_stats(df, start, end, tz, by=key))
        assert {(g[key] if key else None): {m: g[m] for m in COUNTS} for g in got} == want, key


# ----------------------------------------------------------------------------- attribution by creation date


@budget(20)
@given(cases(), zones, st.randoms(use_true_random=False))
def test_rows_are_attributed_by_created_date_only(case, tz, rnd):
    """Moving created_at within its local date, or changing updated_at or row order, changes nothing."""
    df, (start, end) = case
    moved = df.copy()
    midnights = [local_midnight(local_date(ts, tz), tz) for ts in df["created_at"]]
    moved["created_at"] = pd.array(midnights, dtype="datetime64[us, UTC]")
    moved["updated_at"] = pd.array([pd.Timestamp("2030-01-01", tz="UTC")] * len(df), dtype="datetime64[us, UTC]")
    order = list(range(len(df)))
    rnd.shuffle(order)
    moved = moved.iloc[order].reset_index(drop=True)
    for by in (None, "day,month,campaign,state"):
        assert_same_records(records(campaign_stats(moved, start, end, tz, by=by)),
                            records(campaign_stats(df, start, end, tz, by=by)))


@budget(30)
@given(cases(), zones)
def test_local_midnight_of_start_is_in_and_of_end_plus_one_is_out(case, tz):
    df, (start, end) = case
    before = total(df, start, end, tz)
    lo, hi = local_midnight(start, tz), local_midnight(end + dt.timedelta(days=1), tz)
    extra = [(lo, "in"), (hi, "out"), (hi - pd.Timedelta(microseconds=1), "in"),
             (lo - pd.Timedelta(microseconds=1), "out")]
    rows = pd.DataFrame({
        "reach_out_id": pd.array([f"edge-{i}" for i in range(len(extra))], dtype="str"),
        "campaign": pd.array(["EDGE"] * len(extra), dtype="str"),
        "sender": pd.array(["s1"] * len(extra), dtype="str"),
        "state": pd.array([2] * len(extra), dtype="int8"),
        "created_at": pd.array([ts for ts, _ in extra], dtype="datetime64[us, UTC]"),
        "updated_at": pd.array([None] * len(extra), dtype="datetime64[us, UTC]"),
        "response_via": pd.array(["Email"] * len(extra), dtype="str"),
        "response_type": pd.array(["Interested"] * len(extra), dtype="str"),
        "opened": pd.array([True] * len(extra), dtype="boolean"),
        "prospect_name": pd.array([None] * len(extra), dtype="str"),
        "prospect_email": pd.array([None] * len(extra), dtype="str"),
    })
    after = total(pd.concat([df, rows], ignore_index=True), start, end, tz)
    for m in ("reach_outs", "responses", "interested"):
        assert after[m] == before[m] + 2, m
    assert after["in_progress"] == before["in_progress"]
    if before["opens"] is not None:
        assert after["opens"] == before["opens"] + 2
    days = records(campaign_stats(rows, start - dt.timedelta(days=1), end + dt.timedelta(days=1), tz, by="day"))
    by_day = {d["day"]: d["reach_outs"] for d in days}
    assert by_day[start.isoformat()] >= 1 and by_day[(end + dt.timedelta(days=1)).isoformat()] == 1
    assert by_day[(start - dt.timedelta(days=1)).isoformat()] == 1


# ----------------------------------------------------------------------------- the day cube and rollups


def _day_number(d: dt.date) -> int:
    return (d - EPOCH).days


@budget(12)
@given(cases(), zones)
def test_rollup_of_a_day_cube_equals_direct_statistics(case, tz):
    df, (start, end) = case
    # a cube over a range holding every generated row, then the days of [start, end] taken from it
    wide_start, wide_end = BASE_DATE - dt.timedelta(days=7), BASE_DATE + dt.timedelta(days=DATA_DAYS + 60)
    cube = stat_counts(df, wide_start, wide_end, tz, by=["day", "campaign", "sender", "state"])
    part = cube[(cube["day"] >= _day_number(start)) & (cube["day"] <= _day_number(end))]
    for by in ("campaign", "sender,state", "campaign,week"):
        got, want = rollup(part, by), campaign_stats(df, start, end, tz, by=by)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-12)
    # whole weeks: the weeks of the cube equal the weeks computed directly over the wide range
    pd.testing.assert_frame_equal(rollup(cube, "week"), campaign_stats(df, wide_start, wide_end, tz, by="week"),
                                  check_exact=False, rtol=0, atol=1e-12)
    # the total of a non-empty part (an empty one cannot know whether the table had open information)
    if len(part):
        assert_same_records(records(rollup(part)), records(campaign_stats(df, start, end, tz)))


# ----------------------------------------------------------------------------- pandas and Polars


@budget(20)
@given(cases(), zones, st.lists(group_keys, min_size=0, max_size=3, unique=True))
def test_polars_input_gives_the_same_statistics_as_pandas(case, tz, keys):
    df, (start, end) = case
    frame = pl.from_pandas(df)
    for by in (None, keys, *keys):
        want = records(campaign_stats(df, start, end, tz, by=by))
        got = records(campaign_stats(frame, start, end, tz, by=by))
        assert_same_records(got, want)
    assert tuple(campaign_stats(frame, start, end, tz).columns) == COUNTS + RATES


@budget(20)
@given(cases(), zones, st.lists(group_keys, min_size=0, max_size=3, unique=True))
def test_categorical_text_gives_the_same_statistics_as_plain_text(case, tz, keys):
    """Statistics-only loads keep campaign, sender, response via and type as pandas categoricals: same numbers,
    same order (keys sorted by label, not by category code), same output types as plain text."""
    df, (start, end) = case
    text = ["campaign", "sender", "response_via", "response_type"]
    # categories deliberately in reverse order, so a sort by code would differ from a sort by label
    cat = df.assign(**{c: df[c].astype(pd.CategoricalDtype(sorted(df[c].dropna().unique(), reverse=True)))
                       for c in text})
    for by in (None, keys, *keys):
        want = campaign_stats(df, start, end, tz, by=by)
        got = campaign_stats(cat, start, end, tz, by=by)
        assert_same_records(records(got), records(want))
        assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes]
