"""How replies arrive (the development triangle) and time to reply (talentstats.stats.arrival), issue 13.

Hand-computed examples (arithmetic in the comments) for every definition, with time zones, boundaries, ties and
nulls; hypothesis properties against a plain-Python computation over the rows; and the same numbers on pandas,
Polars (eager and lazy), DuckDB and Dask. The table helpers here are also used by test_steps.py.
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentstats.errors import UsageError
from talentstats.stats.arrival import newest_instant, time_to_reply, triangle
from talentstats.stats.engines import collect
from talentstats.stats.metrics import stats_dicts
from talentstats.stats.periods import monday_of, range_instants, week_label

UTC = dt.UTC
TIMES = ("created_at", "updated_at", "first_sent_at", "first_opened_at", "responded_at")
ENGINE_NAMES = ("pandas", "polars", "polars_lazy", "duckdb", "dask")


# ----------------------------------------------------------------------------- helpers (shared with test_steps)


def t(text: str | None) -> dt.datetime | None:
    """A UTC instant from "YYYY-MM-DD HH:MM[:SS[.ffffff]]" (None stays None)."""
    return None if text is None else dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def canonical(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A canonical Reach Out table (the loader's dtypes) from dicts; unspecified columns take defaults."""
    def col(name: str, default: Any = None) -> list[Any]:
        return [r.get(name, default) for r in rows]

    created = col("created_at")
    return pd.DataFrame({
        "reach_out_id": pd.array(col("id") if rows and "id" in rows[0] else [f"r{i}" for i in range(len(rows))],
                                 dtype="str"),
        "campaign": pd.array(col("campaign", "A"), dtype="str"),
        "sender": pd.array(col("sender", "s1"), dtype="str"),
        "state": pd.array(col("state", 0), dtype="int8"),
        "created_at": pd.array(created, dtype="datetime64[us, UTC]"),
        "updated_at": pd.array([r.get("updated_at", r["created_at"]) for r in rows], dtype="datetime64[us, UTC]"),
        "response_via": pd.array(col("response_via"), dtype="str"),
        "response_type": pd.array(col("response_type"), dtype="str"),
        "opened": pd.array(col("opened"), dtype="boolean"),
        "first_sent_at": pd.array(col("first_sent_at"), dtype="datetime64[us, UTC]"),
        "first_opened_at": pd.array(col("first_opened_at"), dtype="datetime64[us, UTC]"),
        "responded_at": pd.array(col("responded_at"), dtype="datetime64[us, UTC]"),
    })


def on_engine(engine: str, tz: str, *tables: pd.DataFrame | None) -> list[Any]:
    """The pandas tables as frames of ``engine`` (one DuckDB connection set to ``tz``, as the engine does)."""
    if engine == "pandas":
        return list(tables)
    arrow = [None if x is None else pa.Table.from_pandas(x, preserve_index=False) for x in tables]
    if engine in ("polars", "polars_lazy"):
        pl = pytest.importorskip("polars")
        frames = [None if a is None else pl.from_arrow(a) for a in arrow]
        return [f.lazy() if f is not None and engine == "polars_lazy" else f for f in frames]
    if engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        con.execute("SET TimeZone = ?", [tz])
        return [None if a is None else con.from_arrow(a) for a in arrow]
    dd = pytest.importorskip("dask.dataframe")
    return [None if x is None else dd.from_pandas(x, npartitions=2) for x in tables]


def rows_of(native: Any) -> list[dict[str, Any]]:
    """A result frame of any engine as plain dicts (nulls as None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stats_dicts(collect(native))


def is_responded(r: dict[str, Any]) -> bool:
    """The oracle's "responded": response_via not blank, or state 2."""
    return bool((r.get("response_via") or "").strip()) or r.get("state", 0) == 2


def local_date(instant: dt.datetime, tz: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).date()


# ----------------------------------------------------------------------------- triangle: hand-computed

#: weeks 2026-W46 (Mon 11-09) and 2026-W47 (Mon 11-16); as_of = r6's updated_at 2026-11-20 12:00 (the newest
#: instant). W46 starts 11-09 00:00 UTC: 11 d 12 h before as_of -> ages 0, 1; W47: 4 d 12 h -> age 0 only.
BASIC = [
    dict(created_at=t("2026-11-09 10:00"), state=2, responded_at=t("2026-11-09 12:00")),   # age 0
    dict(created_at=t("2026-11-10 09:00"), response_via="Email",
         responded_at=t("2026-11-17 09:00")),                                               # exactly 7 d: age 1
    dict(created_at=t("2026-11-10 09:00"), state=2,
         responded_at=t("2026-11-17 08:59:59.999999")),                                    # 1 us short: age 0
    dict(created_at=t("2026-11-11 00:00")),                                                # no reply
    dict(created_at=t("2026-11-12 00:00"), state=2),                                       # replied, time unknown
    dict(created_at=t("2026-11-12 00:00"), responded_at=t("2026-11-12 01:00")),            # a time, not responded
    dict(created_at=t("2026-11-16 00:00"), updated_at=t("2026-11-20 12:00")),              # W47, newest instant
    dict(created_at=t("2026-11-08 23:59:59"), state=2, responded_at=t("2026-11-09 00:00")),  # W45: not a row
]


def test_triangle_basic_weeks_ages_and_rates():
    # W46 reach outs: rows 0-5 = 6; age 0: rows 0 and 2 = 2 -> 2/6; age 1: row 1 -> (2+1)/6 = 0.5
    # W47: row 6 alone, no reply -> 0/1 = 0.0
    got = rows_of(triangle(canonical(BASIC), "2026-11-18", 2))
    assert got == [
        {"created_week": "2026-W46", "age_weeks": 0, "count": 2, "reach_outs": 6, "cumulative_rate": 2 / 6},
        {"created_week": "2026-W46", "age_weeks": 1, "count": 1, "reach_outs": 6, "cumulative_rate": 0.5},
        {"created_week": "2026-W47", "age_weeks": 0, "count": 0, "reach_outs": 1, "cumulative_rate": 0.0},
    ]


def test_triangle_as_of_defaults_to_the_newest_instant_of_any_event_column():
    assert newest_instant(canonical(BASIC)) == t("2026-11-20 12:00")
    late_reply = [*BASIC[:-1], dict(created_at=t("2026-11-09 01:00"), state=2, responded_at=t("2026-11-23 01:00"))]
    # the reply at 11-23 01:00 is newest: W46 is 14 d 1 h old -> ages 0..2; W47 7 d 1 h -> ages 0..1
    # the new row: (11-23 01:00 - 11-09 01:00) = 14 d -> age 2; W46 now 7 reach outs: 2/7, 3/7, 4/7
    got = rows_of(triangle(canonical(late_reply), "2026-11-16", 2))
    assert [(r["created_week"], r["age_weeks"], r["count"], r["reach_outs"]) for r in got] == [
        ("2026-W46", 0, 2, 7), ("2026-W46", 1, 1, 7), ("2026-W46", 2, 1, 7), ("2026-W47", 0, 0, 1),
        ("2026-W47", 1, 0, 1)]
    assert [r["cumulative_rate"] for r in got] == [2 / 7, 3 / 7, 4 / 7, 0.0, 0.0]


def test_triangle_as_of_given_leaves_out_what_came_later():
    # as_of 11-17 08:59:59.999999 (the row 2 reply instant): row 1's reply (11-17 09:00) is later, not counted;
    # W46 is 8 d 8:59:59.999999 old -> ages 0, 1; W47 started 11-16 00:00 -> age 0; row 6 (created 11-16 00:00)
    # was there already, so W47 has 1 reach out
    got = rows_of(triangle(canonical(BASIC), "2026-11-18", 2, as_of=t("2026-11-17 08:59:59.999999")))
    assert [(r["age_weeks"], r["count"], r["reach_outs"]) for r in got] == [(0, 2, 6), (1, 0, 6), (0, 0, 1)]
    # as_of a week later than the data: more ages, all zeros; as_of before W47 starts: W47 has no row at all
    later = rows_of(triangle(canonical(BASIC), "2026-11-18", 2, as_of=t("2026-11-30 00:00")))
    assert [(r["created_week"], r["age_weeks"]) for r in later] == [
        ("2026-W46", 0), ("2026-W46", 1), ("2026-W46", 2), ("2026-W46", 3), ("2026-W47", 0), ("2026-W47", 1),
        ("2026-W47", 2)]
    early = rows_of(triangle(canonical(BASIC), "2026-11-18", 2, as_of=t("2026-11-15 23:59:59")))
    assert {r["created_week"] for r in early} == {"2026-W46"}


def test_triangle_time_zone_sunday_2330_utc_is_monday_in_berlin():
    # created Sun 2026-11-15 23:30 UTC = Mon 11-16 00:30 CET (UTC+1): 2026-W47 in Berlin, 2026-W46 in UTC;
    # reply 11-22 23:00 UTC: 6 d 23 h 30 min after creation -> age 0 in both zones (ages are instants apart).
    # as_of = 11-22 23:00 UTC. Berlin W47 starts 11-15 23:00 UTC -> 7 d 0 h -> ages 0, 1;
    # UTC W47 starts 11-16 00:00 -> 6 d 23 h -> age 0 only; UTC W46 starts 11-09 00:00 -> 13 d 23 h -> ages 0, 1
    table = canonical([dict(created_at=t("2026-11-15 23:30"), state=2, responded_at=t("2026-11-22 23:00"))])
    assert rows_of(triangle(table, "2026-11-16", 1, "Europe/Berlin")) == [
        {"created_week": "2026-W47", "age_weeks": 0, "count": 1, "reach_outs": 1, "cumulative_rate": 1.0},
        {"created_week": "2026-W47", "age_weeks": 1, "count": 0, "reach_outs": 1, "cumulative_rate": 1.0},
    ]
    assert rows_of(triangle(table, "2026-11-16", 2)) == [
        {"created_week": "2026-W46", "age_weeks": 0, "count": 1, "reach_outs": 1, "cumulative_rate": 1.0},
        {"created_week": "2026-W46", "age_weeks": 1, "count": 0, "reach_outs": 1, "cumulative_rate": 1.0},
        {"created_week": "2026-W47", "age_weeks": 0, "count": 0, "reach_outs": 0, "cumulative_rate": None},
    ]


def test_triangle_opens_count_first_opened_at_whether_or_not_responded():
    rows = [
        dict(created_at=t("2026-11-09 10:00"), first_opened_at=t("2026-11-16 10:00"), opened=True),  # 7 d: age 1
        dict(created_at=t("2026-11-09 10:00"), first_opened_at=t("2026-11-09 10:00"), state=2),      # age 0
        dict(created_at=t("2026-11-09 10:00"), opened=True),                                         # time unknown
        dict(created_at=t("2026-11-10 10:00"), updated_at=t("2026-11-17 00:00")),                    # as_of
    ]
    # W46 (11-09): as_of 11-17 00:00 is 8 d later -> ages 0, 1; 4 reach outs: 1/4, 2/4
    got = rows_of(triangle(canonical(rows), "2026-11-09", 1, metric="opens"))
    assert [(r["age_weeks"], r["count"], r["cumulative_rate"]) for r in got] == [(0, 1, 0.25), (1, 1, 0.5)]
    # responses: only row 1 (state 2, but responded_at unknown) -> nothing counted
    got = rows_of(triangle(canonical(rows), "2026-11-09", 1))
    assert [r["count"] for r in got] == [0, 0]


def test_triangle_empty_and_bad_arguments():
    assert rows_of(triangle(canonical([]), "2026-11-18", 3)) == []
    table = canonical(BASIC)
    with pytest.raises(UsageError, match="metric"):
        triangle(table, "2026-11-18", 2, metric="clicks")
    for weeks in (0, -1, 1.5, True):
        with pytest.raises(UsageError, match="weeks"):
            triangle(table, "2026-11-18", weeks)
    with pytest.raises(UsageError, match="weeks"):
        triangle(table, "2000-01-10", 10)
    with pytest.raises(UsageError):
        triangle(table, "2026-11-18", 2, "Mars/Olympus")


# ----------------------------------------------------------------------------- time to reply: hand-computed

TTR = [
    dict(campaign="A", created_at=t("2026-11-02 09:00"), first_sent_at=t("2026-11-02 10:00"), state=2,
         responded_at=t("2026-11-02 12:00")),                                          # from the first send: 2 h
    dict(campaign="A", created_at=t("2026-11-03 08:00"), response_via="Email",
         responded_at=t("2026-11-03 14:00")),                                          # no send: from creation, 6 h
    dict(campaign="B", created_at=t("2026-11-04 00:00"), first_sent_at=t("2026-11-04 00:00"), state=2,
         responded_at=t("2026-11-05 00:00")),                                          # 24 h
    dict(campaign="B", created_at=t("2026-11-05 00:00"), state=2),                     # replied, time unknown
    dict(campaign="C", created_at=t("2026-11-06 00:00"), responded_at=t("2026-11-06 01:00")),  # not responded
    dict(campaign="D", created_at=t("2026-10-31 23:00"), state=2,
         responded_at=t("2026-11-01 00:30")),  # 10-31 in UTC; 11-01 00:00 CET in Berlin: 1.5 h from creation
]


def test_time_to_reply_total_quantiles_by_linear_interpolation():
    # UTC [2, 6, 24]: median 6; p75 at position 2*0.75 = 1.5: 6 + 0.5*(24-6) = 15; p90 at 1.8: 6 + 0.8*18 = 20.4
    got = rows_of(time_to_reply(canonical(TTR), "2026-11-01", "2026-11-30"))
    assert got == [{"ttr_median_h": 6.0, "ttr_p75_h": 15.0, "ttr_p90_h": pytest.approx(20.4), "ttr_n": 3}]


def test_time_to_reply_time_zone_brings_in_the_berlin_midnight_reach_out():
    # Berlin [1.5, 2, 6, 24]: median at 1.5: 2 + 0.5*4 = 4; p75 at 2.25: 6 + 0.25*18 = 10.5; p90 at 2.7: 6+0.7*18
    got = rows_of(time_to_reply(canonical(TTR), "2026-11-01", "2026-11-30", "Europe/Berlin"))
    assert got == [{"ttr_median_h": 4.0, "ttr_p75_h": 10.5, "ttr_p90_h": pytest.approx(18.6), "ttr_n": 4}]


def test_time_to_reply_by_campaign_keeps_groups_without_replies():
    # A [2, 6]: median 4, p75 2+0.75*4 = 5, p90 2+0.9*4 = 5.6; B [24]; C: reach outs but no reply -> n 0, nulls
    got = rows_of(time_to_reply(canonical(TTR), "2026-11-01", "2026-11-30", by="campaign"))
    assert got == [
        {"campaign": "A", "ttr_median_h": 4.0, "ttr_p75_h": 5.0, "ttr_p90_h": pytest.approx(5.6), "ttr_n": 2},
        {"campaign": "B", "ttr_median_h": 24.0, "ttr_p75_h": 24.0, "ttr_p90_h": 24.0, "ttr_n": 1},
        {"campaign": "C", "ttr_median_h": None, "ttr_p75_h": None, "ttr_p90_h": None, "ttr_n": 0},
    ]


def test_time_to_reply_empty_range_and_bad_keys():
    empty = {"ttr_median_h": None, "ttr_p75_h": None, "ttr_p90_h": None, "ttr_n": 0}
    assert rows_of(time_to_reply(canonical(TTR), "2030-01-01", "2030-01-31")) == [empty]
    assert rows_of(time_to_reply(canonical(TTR), "2030-01-01", "2030-01-31", by="sender")) == []
    for by in ("week", "state", "nonsense"):
        with pytest.raises(UsageError):
            time_to_reply(canonical(TTR), "2026-11-01", "2026-11-30", by=by)
    with pytest.raises(UsageError):
        time_to_reply(canonical(TTR), "2026-11-30", "2026-11-01")


# ----------------------------------------------------------------------------- the oracle (plain Python)


def oracle_triangle(rows: list[dict[str, Any]], end: dt.date, weeks: int, tz: str, metric: str,
                    as_of: dt.datetime | None) -> list[dict[str, Any]]:
    event = "responded_at" if metric == "responses" else "first_opened_at"
    if as_of is None:
        found = [r[c] for r in rows for c in TIMES if r.get(c) is not None]
        if not found:
            return []
        as_of = max(found)
    last = monday_of(end)
    out = []
    for i in range(weeks):
        monday = last - dt.timedelta(days=7 * (weeks - 1 - i))
        start = range_instants(monday, monday, tz)[0]
        members = [r for r in rows if monday_of(local_date(r["created_at"], tz)) == monday
                   and r["created_at"] <= as_of]
        ages = [(r[event] - r["created_at"]) // dt.timedelta(days=7) for r in members
                if r.get(event) is not None and r["created_at"] <= r[event] <= as_of
                and (metric == "opens" or is_responded(r))]
        cumulative = 0
        for age in range((as_of - start) // dt.timedelta(days=7) + 1):
            count = ages.count(age)
            cumulative += count
            out.append({"created_week": week_label(monday), "age_weeks": age, "count": count,
                        "reach_outs": len(members),
                        "cumulative_rate": cumulative / len(members) if members else None})
    return out


def oracle_ttr(rows: list[dict[str, Any]], start: dt.date, end: dt.date, tz: str,
               keys: list[str]) -> list[dict[str, Any]]:
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        if start <= local_date(r["created_at"], tz) <= end:
            hours = groups.setdefault(tuple(r.get(k) for k in keys), [])
            if is_responded(r) and r.get("responded_at") is not None:
                base = r.get("first_sent_at") or r["created_at"]
                hours.append((r["responded_at"] - base) / dt.timedelta(hours=1))
    if not keys:
        groups = {(): groups.get((), [])}
    out = []
    for key in sorted(groups):
        h = groups[key]
        q = [float(np.percentile(h, p)) if h else None for p in (50, 75, 90)]
        out.append({**dict(zip(keys, key, strict=True)), "ttr_median_h": q[0], "ttr_p75_h": q[1],
                    "ttr_p90_h": q[2], "ttr_n": len(h)})
    return out


def approx_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: pytest.approx(v, rel=1e-12, abs=1e-9) if isinstance(v, float) else v for k, v in r.items()}
            for r in rows]


# ----------------------------------------------------------------------------- properties

BASE = dt.datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; 6 weeks cover New York, Berlin and Auckland DST changes
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Kathmandu", "America/St_Johns")
_minutes = st.integers(0, 42 * 24 * 60 - 1)
_delay = st.one_of(st.none(), st.integers(0, 30 * 24 * 60), st.sampled_from([7 * 24 * 60, 14 * 24 * 60 - 1]))


@st.composite
def reach_out_rows(draw: Any) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 25))):
        created = BASE + dt.timedelta(minutes=draw(_minutes), microseconds=draw(st.sampled_from([0, 1, 999999])))
        delays = {c: draw(_delay) for c in ("first_sent_at", "first_opened_at", "responded_at", "updated_at")}
        row = {c: None if d is None else created + dt.timedelta(minutes=d) for c, d in delays.items()}
        row["updated_at"] = row["updated_at"] or created
        if draw(st.booleans()) and row["first_sent_at"] is not None and row["responded_at"] is not None:
            row["first_sent_at"] = row["responded_at"]  # a reply at the instant of the first send
        out.append({**row, "created_at": created, "campaign": draw(st.sampled_from(["A", "B", "C"])),
                    "sender": draw(st.sampled_from(["s1", "s2"])), "state": draw(st.sampled_from([0, 1, 2, 3])),
                    "response_via": draw(st.sampled_from([None, "", "  ", "Email"]))})
    return out


def budget(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@budget(120)
@given(rows=reach_out_rows(), tz=st.sampled_from(ZONES), end_day=st.integers(0, 48), weeks=st.integers(1, 8),
       metric=st.sampled_from(["responses", "opens"]),
       as_of_minutes=st.one_of(st.none(), st.integers(-7 * 24 * 60, 80 * 24 * 60)))
def test_triangle_equals_the_plain_python_computation(rows, tz, end_day, weeks, metric, as_of_minutes):
    end = BASE.date() + dt.timedelta(days=end_day)
    as_of = None if as_of_minutes is None else BASE + dt.timedelta(minutes=as_of_minutes)
    got = rows_of(triangle(canonical(rows), end, weeks, tz, metric, as_of))
    assert got == approx_rows(oracle_triangle(rows, end, weeks, tz, metric, as_of))
    # each week's last cumulative rate is its counted events over its reach outs (never above 1)
    assert all(r["cumulative_rate"] is None or 0 <= r["cumulative_rate"] <= 1 for r in got)


@budget(120)
@given(rows=reach_out_rows(), tz=st.sampled_from(ZONES), start_day=st.integers(-3, 40), days=st.integers(0, 20),
       by=st.sampled_from([None, "campaign", "sender", "campaign,sender"]))
def test_time_to_reply_equals_the_plain_python_computation(rows, tz, start_day, days, by):
    start = BASE.date() + dt.timedelta(days=start_day)
    end = start + dt.timedelta(days=days)
    keys = by.split(",") if by else []
    got = rows_of(time_to_reply(canonical(rows), start, end, tz, by))
    assert got == approx_rows(oracle_ttr(rows, start, end, tz, keys))


# ----------------------------------------------------------------------------- every engine, the same numbers


def random_rows(seed: int, n: int = 400) -> list[dict[str, Any]]:
    """A fixed pseudo-random table (the engines are too slow for hypothesis)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        created = BASE + dt.timedelta(minutes=rng.randrange(42 * 24 * 60))

        def later(p: float, created: dt.datetime = created) -> dt.datetime | None:
            return created + dt.timedelta(minutes=rng.randrange(30 * 24 * 60)) if rng.random() < p else None

        out.append({"created_at": created, "first_sent_at": later(0.7), "first_opened_at": later(0.5),
                    "responded_at": later(0.4), "updated_at": later(1.0),
                    "campaign": rng.choice(["A", "B", "C"]), "sender": rng.choice(["s1", "s2"]),
                    "state": rng.choice([0, 1, 2, 2, 3]), "response_via": rng.choice([None, "", "Email"])})
    return out


ENGINE_CASES = [("UTC", "2026-04-08", 6, "responses", None), ("Europe/Berlin", "2026-03-29", 4, "opens", None),
                ("Pacific/Auckland", "2026-04-12", 3, "responses", t("2026-04-10 12:00"))]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize(("tz", "end", "weeks", "metric", "as_of"), ENGINE_CASES)
def test_triangle_same_numbers_on_every_engine(engine, tz, end, weeks, metric, as_of):
    table = canonical(random_rows(1))
    want = rows_of(triangle(table, end, weeks, tz, metric, as_of))
    assert want and sum(r["count"] for r in want) > 0
    (frame,) = on_engine(engine, tz, table)
    assert rows_of(triangle(frame, end, weeks, tz, metric, as_of)) == want
    (hand,) = on_engine(engine, "Europe/Berlin", canonical(BASIC))
    assert rows_of(triangle(hand, "2026-11-18", 2, "Europe/Berlin")) == rows_of(
        triangle(canonical(BASIC), "2026-11-18", 2, "Europe/Berlin"))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize(("tz", "by"), [("UTC", None), ("Europe/Berlin", "campaign"),
                                        ("America/New_York", "campaign,sender")])
def test_time_to_reply_same_numbers_on_every_engine(engine, tz, by):
    table = canonical(random_rows(2))
    want = rows_of(time_to_reply(table, "2026-03-05", "2026-04-01", tz, by))
    assert sum(r["ttr_n"] for r in want) > 0
    (frame,) = on_engine(engine, tz, table)
    assert rows_of(time_to_reply(frame, "2026-03-05", "2026-04-01", tz, by)) == want
    (hand,) = on_engine(engine, tz, canonical(TTR))
    assert rows_of(time_to_reply(hand, "2026-11-01", "2026-11-30", tz, by)) == rows_of(
        time_to_reply(canonical(TTR), "2026-11-01", "2026-11-30", tz, by))
