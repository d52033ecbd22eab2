"""Cross-check of talentstats.stats.metrics against an independent DuckDB SQL implementation of the definitions.

The SQL below is written from the definitions of issue 2 ("The metrics") only; it never calls talentstats. Both
sides run on the same generated canonical tables (fixed seed), for every group key, several combinations of keys,
four report time zones and date ranges that cross daylight-saving changes. Counts must agree exactly and rates to
1e-12, null positions included.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")

from talentstats.stats.metrics import campaign_stats  # noqa: E402

COUNTS = ("reach_outs", "in_progress", "opens", "responses", "interested", "hard_bounced")
RATES = ("open_rate", "response_rate", "interested_rate", "interested_of_responses", "bounce_rate")
TZS = ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
BYS: tuple[tuple[str, ...], ...] = (
    (),
    ("campaign",), ("sender",), ("week",), ("day",), ("month",), ("state",), ("response_via",), ("response_type",),
    ("campaign", "week"), ("sender", "month"), ("day", "campaign"), ("state", "response_via", "response_type"),
    ("month", "week", "day"),
)

#: group keys checked on ranges that mostly test the time zone (every key is checked on the wide ranges)
TIME_BYS: tuple[tuple[str, ...], ...] = ((), ("week",), ("day",), ("month",), ("campaign", "week"),
                                         ("sender", "month"), ("month", "week", "day"))
DAY_BYS: tuple[tuple[str, ...], ...] = ((), ("day",), ("week",), ("state",))

# Two windows of ~3 months: spring (New York starts DST 2026-03-08, Auckland ends it 2026-04-05) and autumn
# (Auckland starts DST 2026-09-27, New York ends it 2026-11-01). Kolkata (+05:30) never changes.
WINDOWS = {"spring": dt.date(2026, 2, 16), "autumn": dt.date(2026, 9, 7)}
WINDOW_DAYS = 91
RANGES: dict[str, list[tuple[str, str, tuple[tuple[str, ...], ...]]]] = {
    "spring": [("2026-02-01", "2026-06-30", BYS),       # the whole window (and empty days around it)
               ("2026-03-02", "2026-03-15", TIME_BYS),  # crosses New York's spring-forward week
               ("2026-03-08", "2026-03-08", DAY_BYS),   # the 23-hour day in New York
               ("2026-04-05", "2026-04-05", DAY_BYS),   # the 25-hour day in Auckland
               ("2026-03-29", "2026-04-12", BYS),       # crosses Europe's and Auckland's changes
               ("2026-02-16", "2026-02-16", DAY_BYS),   # first day of data
               ("2025-06-01", "2025-06-30", DAY_BYS)],  # no data at all
    "autumn": [("2026-09-01", "2026-12-31", BYS),
               ("2026-09-26", "2026-09-27", TIME_BYS),  # Auckland's 23-hour day
               ("2026-10-26", "2026-11-08", BYS),       # crosses New York's fall-back
               ("2026-11-01", "2026-11-01", DAY_BYS)],  # New York's 25-hour day
}

CAMPAIGNS = np.array(["Backend", "Design", "Data", "Sales Q3", ""], dtype=object)
SENDERS = np.array(["ana@acme.io", "bo@acme.io", "cy@acme.io", "dee@acme.io"], dtype=object)
VIA = np.array([None, "", " ", "  ", "\t", " \n ", "Email Reply", "Manually Marked", "LinkedIn"], dtype=object)
TYPES = np.array([None, "Interested", "Not Interested", "Maybe"], dtype=object)


def _local_midnights(first: dt.date, days: int) -> list[pd.Timestamp]:
    """UTC instants of local midnight of every day of the window in every report time zone."""
    out = []
    for tz in TZS:
        z = ZoneInfo(tz)
        for i in range(-1, days + 2):
            local = dt.datetime.combine(first + dt.timedelta(days=i), dt.time(), tzinfo=z)
            out.append(pd.Timestamp(local.astimezone(dt.UTC)))
    return out


def make_table(seed: int, window: str, opened: str, n: int = 3000) -> pd.DataFrame:
    """A canonical Reach Out table (columns and dtypes of talentstats.load.columns) with a fixed-seed generator.

    ``opened``: "known" (no nulls), "partial" (a share of nulls) or "none" (the export has no open data).
    Besides n uniformly spread rows it holds rows at, just before and just after every local midnight.
    """
    rng = np.random.default_rng(seed)
    first = WINDOWS[window]
    base = pd.Timestamp(first, tz="UTC")
    us = rng.integers(0, WINDOW_DAYS * 86_400_000_000, n)
    uniform = base + pd.to_timedelta(us, unit="us")
    mids = pd.DatetimeIndex(_local_midnights(first, WINDOW_DAYS))
    picked = mids[rng.choice(len(mids), 600)]
    shift = pd.to_timedelta(rng.choice([0, 0, 0, 1, -1, 1_000_000, -1_000_000], 600), unit="us")
    outside = pd.DatetimeIndex([pd.Timestamp("2019-12-31 23:59:59", tz="UTC")] * 5)
    created = pd.DatetimeIndex(list(uniform) + list(picked + shift) + list(outside))
    m = len(created)

    state = rng.choice(10, m, p=[.16, .08, .14, .2, .08, .07, .05, .04, .12, .06])
    state[:10] = np.arange(10)  # every state present
    # responses mostly come with a response_via, but some only with state 2 and some with a blank one
    via_idx = np.where(np.isin(state, [2, 8]) & (rng.random(m) < 0.8), rng.integers(6, 9, m), rng.integers(0, 6, m))
    via_idx = np.where(rng.random(m) < 0.05, rng.integers(6, 9, m), via_idx)  # a few responses in other states
    rtype = TYPES[rng.choice(4, m, p=[.55, .2, .15, .1])]
    if opened == "known":
        op = pd.array(rng.random(m) < 0.45, dtype="boolean")
    elif opened == "partial":
        op = pd.array(np.where(rng.random(m) < 0.02, None, rng.random(m) < 0.45), dtype="boolean")
    else:
        op = pd.array([pd.NA] * m, dtype="boolean")
    created_us = created.astype("datetime64[us, UTC]")
    updated = created_us + pd.to_timedelta(rng.integers(0, 40 * 86_400, m), unit="s")
    df = pd.DataFrame({
        "reach_out_id": pd.array([f"ro-{seed}-{i:06d}" for i in range(m)], dtype="str"),
        "campaign": pd.array(CAMPAIGNS[rng.choice(len(CAMPAIGNS), m, p=[.3, .25, .2, .15, .1])], dtype="str"),
        "sender": pd.array(SENDERS[rng.integers(0, len(SENDERS), m)], dtype="str"),
        "state": state.astype("int8"),
        "created_at": created_us,
        "updated_at": pd.Series(updated).where(rng.random(m) < 0.7).astype("datetime64[us, UTC]").array,
        "response_via": pd.array(VIA[via_idx], dtype="str"),
        "response_type": pd.array(rtype, dtype="str"),
        "opened": op,
        "prospect_name": pd.array([None] * m, dtype="str"),
        "prospect_email": pd.array([None] * m, dtype="str"),
    })
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


# ----------------------------------------------------------------------------- the independent SQL version

KEY_SQL = {
    "campaign": "campaign",
    "sender": "sender",
    "state": "CAST(state AS INTEGER)",
    "response_via": "response_via",
    "response_type": "response_type",
    "day": "strftime(local_date, '%Y-%m-%d')",
    "week": "strftime(date_trunc('week', local_date), '%Y-%m-%d')",  # ISO weeks start on Monday
    "month": "strftime(local_date, '%Y-%m')",
}


def sql_stats(con: Any, start: str, end: str, tz: str, by: tuple[str, ...]) -> list[tuple]:
    """The statistics by the definitions, as rows (keys..., counts..., rates...), from table ``reach_outs``."""
    keys = ", ".join(f"{KEY_SQL[k]} AS {k}" for k in by)
    sql = f"""
    WITH local AS (
        SELECT *, CAST(timezone($tz, created_at) AS DATE) AS local_date FROM reach_outs
    ), flagged AS (
        SELECT *,
               -- blank = missing, empty or whitespace only
               (NOT regexp_full_match(coalesce(response_via, ''), '\\s*') OR state = 2) AS responded
        FROM local
        WHERE local_date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)
    ), counted AS (
        SELECT {keys + "," if keys else ""}
               count(*) AS reach_outs,
               count(*) FILTER (WHERE NOT responded AND state NOT IN (1, 5)) AS in_progress,
               CASE WHEN bool_or(opened IS NULL)
                      OR (SELECT count(opened) = 0 FROM reach_outs) THEN NULL  -- no open data at all
                    ELSE count(*) FILTER (WHERE opened) END AS opens,
               count(*) FILTER (WHERE responded) AS responses,
               count(*) FILTER (WHERE responded AND response_type = 'Interested') AS interested,
               count(*) FILTER (WHERE state = 1) AS hard_bounced
        FROM flagged
        {"GROUP BY ALL" if keys else ""}
    )
    SELECT {", ".join(by) + "," if by else ""} reach_outs, in_progress, opens, responses, interested, hard_bounced,
           CAST(opens AS DOUBLE) / nullif(reach_outs, 0) AS open_rate,
           CAST(responses AS DOUBLE) / nullif(reach_outs, 0) AS response_rate,
           CAST(interested AS DOUBLE) / nullif(reach_outs, 0) AS interested_rate,
           CAST(interested AS DOUBLE) / nullif(responses, 0) AS interested_of_responses,
           CAST(hard_bounced AS DOUBLE) / nullif(reach_outs, 0) AS bounce_rate
    FROM counted
    """
    return con.execute(sql, {"tz": tz, "start": start, "end": end}).fetchall()


# ----------------------------------------------------------------------------- comparison

def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _rows_of(frame: Any) -> list[tuple]:
    if isinstance(frame, pl.DataFrame):
        return [tuple(_plain(v) for v in r) for r in frame.iter_rows()]
    return [tuple(_plain(v) for v in r) for r in frame.astype(object).itertuples(index=False, name=None)]


def _sort_key(key: tuple) -> tuple:
    return tuple((v is not None, v) for v in key)


def compare(got: list[tuple], want: list[tuple], nkeys: int, what: str) -> list[str]:
    """Differences between two result row lists (keys first), as readable lines (empty when equal)."""
    g = {r[:nkeys]: r[nkeys:] for r in got}
    w = {r[:nkeys]: r[nkeys:] for r in want}
    problems = []
    if len(g) != len(got):
        problems.append(f"{what}: repeated group keys in talentstats result")
    if set(g) != set(w):
        problems.append(f"{what}: groups only in talentstats {sorted(set(g) - set(w), key=_sort_key)[:5]}, "
                        f"only in SQL {sorted(set(w) - set(g), key=_sort_key)[:5]}")
    for key in sorted(set(g) & set(w), key=_sort_key):
        for name, a, b in zip(COUNTS + RATES, g[key], w[key], strict=True):
            if name in COUNTS:
                ok = a == b and (a is None) == (b is None) and (a is None or isinstance(a, int))
            else:
                ok = (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-12)
            if not ok:
                problems.append(f"{what} group {key}: {name} talentstats={a!r} sql={b!r}")
    return problems


VARIANTS = [(1, "spring", "known"), (2, "spring", "partial"), (3, "spring", "none"),
            (4, "autumn", "partial"), (5, "autumn", "known")]


@pytest.fixture(scope="module")
def tables() -> dict[tuple, tuple[pd.DataFrame, Any]]:
    out = {}
    for variant in VARIANTS:
        df = make_table(*variant)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.register("generated", df)
        con.execute("CREATE TABLE reach_outs AS SELECT * FROM generated")
        con.unregister("generated")
        out[variant] = (df, con)
    yield out
    for _, con in out.values():
        con.close()


def test_generated_tables_exercise_every_rule(tables):
    """The generator covers what the comparison is meant to exercise."""
    df, _ = tables[VARIANTS[1]]
    assert set(df["state"]) == set(range(10))
    assert df["reach_out_id"].is_unique
    via = df["response_via"]
    assert via.isna().any() and (via == "").any() and (via == "  ").any() and (via == "\t").any()
    assert ((df["response_type"] == "Interested") & via.isna() & (df["state"] != 2)).any()
    assert 0 < df["opened"].isna().sum() < len(df) // 10
    assert tables[VARIANTS[2]][0]["opened"].isna().all() and not tables[VARIANTS[0]][0]["opened"].isna().any()
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]" and str(df["state"].dtype) == "int8"


@pytest.mark.parametrize("tz", TZS)
@pytest.mark.parametrize("variant", VARIANTS, ids=["-".join(map(str, v)) for v in VARIANTS])
def test_talentstats_equals_sql(tables, variant, tz):
    df, con = tables[variant]
    problems: list[str] = []
    for start, end, bys in RANGES[variant[1]]:
        for by in bys:
            want = sql_stats(con, start, end, tz, by)
            got = _rows_of(campaign_stats(df, start, end, tz, by=list(by)))
            problems += compare(got, want, len(by), f"[{start}..{end} {tz} by={','.join(by) or '-'}]")
            if not by:
                assert len(got) == 1, "the total is always one row"
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("tz", ["America/New_York", "Pacific/Auckland"])
def test_polars_input_equals_sql(tables, tz):
    df, con = tables[VARIANTS[3]]
    frame = pl.from_pandas(df)
    problems: list[str] = []
    for start, end, bys in RANGES["autumn"][:3]:
        for by in bys:
            want = sql_stats(con, start, end, tz, by)
            got = _rows_of(campaign_stats(frame, start, end, tz, by=list(by)))
            problems += compare(got, want, len(by), f"polars [{start}..{end} {tz} by={','.join(by) or '-'}]")
    assert not problems, "\n".join(problems[:30])


def test_sql_reference_on_a_hand_checked_table():
    """The SQL itself on a table small enough to check by eye (guards the reference, not the package)."""
    rows = [  # (id, campaign, state, created_at, response_via, response_type, opened)
        ("a", "X", 2, "2026-03-08 04:59:59", None, "Interested", True),   # NY 03-07 23:59:59 -> out in NY
        ("b", "X", 3, "2026-03-08 05:00:00", "\t", "Interested", False),  # NY 03-08 00:00 -> in; blank via
        ("c", "X", 8, "2026-03-09 03:59:59", "Email", "Interested", None),  # NY 03-08 23:59:59 EDT -> in
        ("d", "Y", 1, "2026-03-09 04:00:00", None, None, True),           # NY 03-09 00:00 EDT -> out
    ]
    df = pd.DataFrame(rows, columns=["reach_out_id", "campaign", "state", "created_at", "response_via",
                                     "response_type", "opened"])
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True).astype("datetime64[us, UTC]")
    df["opened"] = df["opened"].astype("boolean")
    con = duckdb.connect()
    con.register("reach_outs", df)
    assert sql_stats(con, "2026-03-08", "2026-03-08", "America/New_York", ()) == [
        (2, 1, None, 1, 1, 0, None, 0.5, 0.5, 1.0, 0.0)]  # (b and c: none hard bounced)
    assert sorted(sql_stats(con, "2026-03-02", "2026-03-09", "America/New_York", ("week", "campaign"))) == [
        ("2026-03-02", "X", 3, 1, None, 2, 2, 0, None, 2 / 3, 2 / 3, 1.0, 0.0),
        ("2026-03-09", "Y", 1, 0, 1, 0, 0, 1, 1.0, 0.0, 0.0, None, 1.0)]  # (d is hard bounced: 1 of 1)
    got = _rows_of(campaign_stats(df, "2026-03-02", "2026-03-09", "America/New_York", by="week,campaign"))
    assert not compare(got, sql_stats(con, "2026-03-02", "2026-03-09", "America/New_York", ("week", "campaign")),
                       2, "hand")


def test_empty_table_equals_sql():
    df = make_table(9, "spring", "known").iloc[0:0].reset_index(drop=True)
    con = duckdb.connect()
    con.register("reach_outs", df)
    for by in BYS:
        want = sql_stats(con, "2026-03-01", "2026-03-31", "Pacific/Auckland", by)
        got = _rows_of(campaign_stats(df, "2026-03-01", "2026-03-31", "Pacific/Auckland", by=list(by)))
        assert not compare(got, want, len(by), f"empty by={by}")


#: what a DuckDB relation as *input* supports today: column keys in any zone, time keys in UTC only
DUCKDB_NATIVE_BYS: tuple[tuple[str, ...], ...] = ((), ("campaign",), ("sender",), ("state",), ("response_via",),
                                                  ("response_type",), ("state", "response_via", "response_type"))
DUCKDB_UTC_TIME_BYS: tuple[tuple[str, ...], ...] = (("day",), ("week",), ("month",), ("campaign", "week"),
                                                    ("month", "week", "day"))


@pytest.mark.parametrize("tz", TZS)
def test_duckdb_relation_input_equals_sql(tables, tz):
    """campaign_stats on a DuckDB relation (lazy, run by DuckDB itself) against the SQL."""
    _, con = tables[VARIANTS[1]]
    rel = con.table("reach_outs")
    problems: list[str] = []
    for start, end, _ in RANGES["spring"][:2]:
        for by in DUCKDB_NATIVE_BYS + (DUCKDB_UTC_TIME_BYS if tz == "UTC" else ()):
            got = campaign_stats(rel, start, end, tz, by=list(by))
            rows = [tuple(_plain(v) for v in r) for r in got.fetchall()]
            problems += compare(rows, sql_stats(con, start, end, tz, by), len(by), f"duckdb [{start}..{end} {by}]")
    assert not problems, "\n".join(problems[:30])


@pytest.mark.xfail(reason="time keys in a zone other than UTC on a lazy DuckDB relation: narwhals cannot convert "
                          "time zones on DuckDB (the zone is a connection setting); talentstats.stats.engines handles"
                          " it",
                   raises=NotImplementedError, strict=False)
@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_duckdb_relation_input_time_keys_in_another_zone(tables, by):
    _, con = tables[VARIANTS[1]]
    tz = "America/New_York"
    got = campaign_stats(con.table("reach_outs"), "2026-03-02", "2026-03-15", tz, by=by)
    rows = [tuple(_plain(v) for v in r) for r in got.fetchall()]
    assert not compare(rows, sql_stats(con, "2026-03-02", "2026-03-15", tz, (by,)), 1, by)
