"""The activity view and its reconciliation with the cohort view (talentstats.stats.activity, issue 13).

Hand-computed examples (the arithmetic in comments), the report time zone at a week's edge, the nulls; a property
test against a row-by-row oracle in plain Python; the reconciliation identity; the same numbers on pandas, Polars
(eager and lazy), DuckDB and Dask.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentstats.errors import UsageError
from talentstats.load.loader import read_reach_outs
from talentstats.stats.activity import ACTIVITY, RECONCILE, activity_counts, reconcile
from talentstats.stats.engines import collect, quiet
from talentstats.stats.metrics import stats_dicts

pl = pytest.importorskip("polars")

TS = "datetime64[us, UTC]"


def stamps(values: list[Any]) -> Any:
    return pd.array([None if v is None else pd.Timestamp(v).tz_localize("UTC") if isinstance(v, str)
                     else pd.Timestamp(v) for v in values], dtype=TS)


def reach_outs(*rows: dict[str, Any]) -> pd.DataFrame:
    """A canonical Reach Out table (loader dtypes) from short dicts: id, campaign, sender, state, created, via,
    type, opened, sent (first_sent_at), open (first_opened_at), responded (responded_at); times in UTC."""
    def col(name: str, default: Any = None) -> list[Any]:
        return [r.get(name, default) for r in rows]

    return pd.DataFrame({
        "reach_out_id": pd.array(col("id"), dtype="str"),
        "campaign": pd.array(col("campaign"), dtype="str"),
        "sender": pd.array(col("sender", "s1"), dtype="str"),
        "state": pd.array(col("state", 0), dtype="int8"),
        "created_at": stamps(col("created")),
        "updated_at": stamps(col("created")),
        "response_via": pd.array(col("via"), dtype="str"),
        "response_type": pd.array(col("type"), dtype="str"),
        "opened": pd.array(col("opened"), dtype="boolean"),
        "prospect_name": pd.array(col("name"), dtype="str"),
        "prospect_email": pd.array(col("email"), dtype="str"),
        "first_sent_at": stamps(col("sent")),
        "first_opened_at": stamps(col("open")),
        "responded_at": stamps(col("responded")),
    })


def messages(*rows: tuple[str, int | None, str | None]) -> pd.DataFrame:
    """The message table from (reach_out_id, step, sent_at) rows."""
    return pd.DataFrame({
        "reach_out_id": pd.array([r[0] for r in rows], dtype="str"),
        "step": pd.array([r[1] for r in rows], dtype="Int16"),
        "sent_at": stamps([r[2] for r in rows]),
        "opened_at": stamps([None] * len(rows)),
    })


def rows(frame: Any) -> list[dict[str, Any]]:
    return stats_dicts(collect(frame))


def row(frame: Any) -> dict[str, Any]:
    (only,) = rows(frame)
    return only


# ----------------------------------------------------------------------------------------- hand-computed examples

# The week Monday 2026-11-16 .. Sunday 2026-11-22, in UTC.
WEEK = ("2026-11-16", "2026-11-22")
TABLE = reach_outs(
    # created before the week; opened and responded (Interested) in it
    dict(id="A", campaign="X", state=2, created="2026-11-02 09:00", via="Email", type="Interested", opened=True,
         sent="2026-11-02 09:00", open="2026-11-16 08:00", responded="2026-11-17 10:00"),
    # created and started in the week; first opened on Monday 2026-11-23 00:00 (after the week)
    dict(id="B", campaign="X", created="2026-11-16 09:00", opened=True, sent="2026-11-16 09:05",
         open="2026-11-23 00:00"),
    # created, started, opened and responded (Not Interested, via LinkedIn, state Completed) in the week
    dict(id="C", campaign="Y", state=3, created="2026-11-20 12:00", via="LinkedIn", type="Not Interested",
         opened=True, sent="2026-11-20 12:00", open="2026-11-20 13:00", responded="2026-11-21 09:00"),
    # responded (state 2) before the week ... at an unknown time
    dict(id="D", campaign="Y", state=2, created="2026-11-10 10:00", opened=False),
    # responded at an unknown time, but created after the week: not "time unknown" of this week
    dict(id="E", campaign="Y", state=2, created="2026-11-23 10:00"),
    # the week's last microsecond; a responded_at but not responded (blank via, state 0): no response
    dict(id="F", campaign="X", created="2026-11-22 23:59:59.999999", via="  ", opened=False,
         responded="2026-11-22 23:59:59.999999"),
    # created in the week, responded after it
    dict(id="J", campaign="X", state=2, created="2026-11-18 08:00", responded="2026-11-25 08:00"),
    # created in the week, responded and opened at unknown times
    dict(id="K", campaign="Y", state=2, created="2026-11-19 08:00", opened=True),
    # nothing happens in the week: no row for campaign Z anywhere
    dict(id="L", campaign="Z", created="2026-11-01 08:00"),
)
MESSAGES = messages(
    ("A", 1, "2026-11-02 09:00"), ("A", 2, "2026-11-16 00:00"), ("A", 3, None),  # A2 at the week's first instant
    ("B", 1, "2026-11-16 09:05"), ("B", 2, "2026-11-22 23:59"), ("B", 3, "2026-11-23 00:00"),  # B3 after it
    ("C", 1, "2026-11-20 12:00"),
)


def test_activity_total_by_hand():
    # messages_sent: A2, B1, B2, C1 = 4 (A1 before the week, A3 not sent, B3 on Monday after it)
    # reach_outs_started: B (11-16), C (11-20) = 2 (A started 11-02)
    # opens: A (11-16 08:00), C (11-20) = 2 (B's first open is 11-23)
    # responses: A (11-17), C (11-21) = 2 (F has a time but is no response; J responds 11-25; D, K unknown)
    # interested: A = 1 (C is Not Interested)
    # responses_time_unknown: D (created 11-10), K (11-19) = 2 (E is created after the week)
    assert row(activity_counts(TABLE, MESSAGES, *WEEK)) == dict(
        messages_sent=4, reach_outs_started=2, opens=2, responses=2, interested=1, responses_time_unknown=2)


def test_activity_by_campaign_by_hand():
    got = rows(activity_counts(TABLE, MESSAGES, *WEEK, by="campaign"))
    assert got == [
        # X: messages A2, B1, B2 = 3; started B; opens A; responses A (Interested); nothing unknown (J: 11-25)
        dict(campaign="X", messages_sent=3, reach_outs_started=1, opens=1, responses=1, interested=1,
             responses_time_unknown=0),
        # Y: message C1; started C; opens C; responses C (not Interested); unknown D, K = 2
        dict(campaign="Y", messages_sent=1, reach_outs_started=1, opens=1, responses=1, interested=0,
             responses_time_unknown=2),
    ]  # Z: no event in the week, no row


def test_activity_by_day_and_by_step_by_hand():
    got = rows(activity_counts(TABLE, MESSAGES, *WEEK, by="day"))
    n = None  # responses_time_unknown has no date: null in rows keyed by a date
    assert [tuple(r.values()) for r in got] == [
        # day          sent started opens responses interested unknown
        ("2026-11-16", 2, 1, 1, 0, 0, n),  # A2 00:00, B1; B started; A opened
        ("2026-11-17", 0, 0, 0, 1, 1, n),  # A responded, Interested
        ("2026-11-20", 1, 1, 1, 0, 0, n),  # C1; C started and opened
        ("2026-11-21", 0, 0, 0, 1, 0, n),  # C responded
        ("2026-11-22", 1, 0, 0, 0, 0, n),  # B2 at 23:59
    ]
    # by step: messages only (step 1: B1, C1; step 2: A2, B2); the reach-out counts have no step
    got = rows(activity_counts(TABLE, MESSAGES, *WEEK, by="step"))
    assert got == [dict(step=s, messages_sent=2, **dict.fromkeys(ACTIVITY[1:])) for s in (1, 2)]
    got = rows(activity_counts(TABLE, MESSAGES, *WEEK, by="campaign,step"))
    assert [(r["campaign"], r["step"], r["messages_sent"]) for r in got] == [
        ("X", 1, 1), ("X", 2, 2), ("Y", 1, 1)]  # X: B1 | A2, B2;  Y: C1


def test_activity_nulls():
    # without a messages export messages_sent is unknown; the rest as with it
    got = row(activity_counts(TABLE, None, *WEEK))
    assert got == dict(messages_sent=None, reach_outs_started=2, opens=2, responses=2, interested=1,
                       responses_time_unknown=2)
    # no reach out has a first_sent_at at all: reach_outs_started is unknown, not 0
    unsent = TABLE.assign(first_sent_at=stamps([None] * len(TABLE)))
    assert row(activity_counts(unsent, MESSAGES, *WEEK))["reach_outs_started"] is None
    # ... while a known first_sent_at outside the range gives 0
    assert row(activity_counts(TABLE, MESSAGES, "2026-12-01", "2026-12-07"))["reach_outs_started"] == 0
    # an empty range: one total row of zeros (D, K, E created on or before 2030-01-01: unknown 3), groups: none
    assert row(activity_counts(TABLE, MESSAGES, "2030-01-01", "2030-01-01")) == dict(
        messages_sent=0, reach_outs_started=0, opens=0, responses=0, interested=0, responses_time_unknown=3)
    assert rows(activity_counts(TABLE, MESSAGES, "2000-01-01", "2000-01-02", by="campaign")) == []
    # pandas results are nullable Int64 (unknown is <NA>, not NaN)
    frame = activity_counts(TABLE, None, *WEEK, by="campaign")
    assert all(str(frame[c].dtype) == "Int64" for c in ACTIVITY) and frame["messages_sent"].isna().all()


def test_time_zone_at_the_edge_of_a_week():
    """An event at 23:30 UTC on a Sunday is on Monday in Europe/Berlin (UTC+1 in November)."""
    table = reach_outs(
        # G: created and started Sunday 2026-11-15 23:30 UTC = Monday 11-16 00:30 Berlin (in the week);
        #    responded Sunday 11-22 23:30 UTC = Monday 11-23 00:30 Berlin (after the week in Berlin)
        dict(id="G", campaign="X", state=2, created="2026-11-15 23:30", sent="2026-11-15 23:30",
             responded="2026-11-22 23:30"),
        # H: created and started Sunday 11-15 22:30 UTC = 23:30 Berlin (before the week);
        #    first opened 11-15 23:00 UTC = Monday 00:00 Berlin (the week's first instant)
        dict(id="H", campaign="X", created="2026-11-15 22:30", sent="2026-11-15 22:30", opened=True,
             open="2026-11-15 23:00"),
    )
    counts = ("reach_outs_started", "opens", "responses")

    def pick(r: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(r[c] for c in counts)

    assert pick(row(activity_counts(table, None, *WEEK, tz="Europe/Berlin"))) == (1, 1, 0)  # G; H; -
    assert pick(row(activity_counts(table, None, *WEEK, tz="UTC"))) == (0, 0, 1)  # -; -; G (11-22 23:30)
    got = rows(activity_counts(table, None, "2026-11-09", "2026-11-29", tz="Europe/Berlin", by="week"))
    assert [(r["week"], *pick(r)) for r in got] == [
        ("2026-11-09", 1, 0, 0),  # H started Sunday 11-15 in Berlin
        ("2026-11-16", 1, 1, 0),  # G started, H opened, Monday 11-16 in Berlin
        ("2026-11-23", 0, 0, 1),  # G responded Monday 11-23 in Berlin
    ]
    got = rows(activity_counts(table, None, "2026-11-09", "2026-11-29", tz="UTC", by="week"))
    assert [(r["week"], *pick(r)) for r in got] == [("2026-11-09", 2, 1, 0), ("2026-11-16", 0, 0, 1)]
    # the range's cohort in Berlin is G alone (H: Sunday); G responded after the week
    rec = row(reconcile(table, *WEEK, tz="Europe/Berlin"))
    assert (rec["cohort_responses"], rec["received_after"], rec["opens_from_earlier_cohorts"]) == (1, 1, 1)


def test_reconcile_by_hand():
    # cohort (created in the week): B, C, F, J, K (E: 11-23; F: the last microsecond of 11-22)
    # responses: cohort C, J, K = 3 = in range C (11-21) + after J (11-25) + unknown K     = 1 + 1 + 1
    #            activity A, C = 2 = in range C + from earlier cohorts A (created 11-02)   = 1 + 1
    # opens:     cohort opened B, C, K = 3 = in range C (11-20) + after B (11-23) + unknown K = 1 + 1 + 1
    #            activity A, C = 2 = in range C + from earlier cohorts A (opened 11-16)       = 1 + 1
    want = dict(cohort_responses=3, received_in_range=1, received_after=1, time_unknown=1, from_earlier_cohorts=1,
                activity_responses=2, opens_cohort=3, opens_received_in_range=1, opens_received_after=1,
                opens_time_unknown=1, opens_from_earlier_cohorts=1, opens_activity=2)
    assert row(reconcile(TABLE, *WEEK)) == want
    got = rows(reconcile(TABLE, *WEEK, by="campaign"))
    assert got == [
        # X (A, B, F, J): responses J after; A from an earlier cohort. opens B after; A from an earlier cohort
        dict(campaign="X", cohort_responses=1, received_in_range=0, received_after=1, time_unknown=0,
             from_earlier_cohorts=1, activity_responses=1, opens_cohort=1, opens_received_in_range=0,
             opens_received_after=1, opens_time_unknown=0, opens_from_earlier_cohorts=1, opens_activity=1),
        # Y (C, D, E, K): responses C in range, K unknown. opens C in range, K unknown
        dict(campaign="Y", cohort_responses=2, received_in_range=1, received_after=0, time_unknown=1,
             from_earlier_cohorts=0, activity_responses=1, opens_cohort=2, opens_received_in_range=1,
             opens_received_after=0, opens_time_unknown=1, opens_from_earlier_cohorts=0, opens_activity=1),
    ]  # Z: nothing created or happening in the week
    # the activity view counts the same responses and opens as the reconciliation
    act = row(activity_counts(TABLE, MESSAGES, *WEEK))
    assert (act["responses"], act["opens"]) == (want["activity_responses"], want["opens_activity"])


def test_bad_arguments():
    with pytest.raises(UsageError, match="unknown group key 'state'; choose from campaign, sender, day, week, month"):
        activity_counts(TABLE, MESSAGES, *WEEK, by="state")
    with pytest.raises(UsageError):
        activity_counts(TABLE, None, *WEEK, by="step")  # steps need the messages export
    with pytest.raises(UsageError, match="group key repeated in day,day"):
        activity_counts(TABLE, MESSAGES, *WEEK, by="day,day")
    with pytest.raises(UsageError, match="unknown group key 'week'; choose from campaign, sender$"):
        reconcile(TABLE, *WEEK, by="week")  # the reconciliation is of a whole range
    with pytest.raises(UsageError):
        reconcile(TABLE, "2026-11-22", "2026-11-16")
    with pytest.raises(UsageError) as err:
        activity_counts(TABLE.drop(columns="responded_at"), None, *WEEK)
    assert "responded_at" in str(err.value)


# ----------------------------------------------------------------------------------------- the oracle

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "Asia/Kathmandu")
BASE = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # six weeks cover New York's, Berlin's and Auckland's DST changes
KEYS = (None, "campaign", "sender", "day", "week", "month", "step", "campaign,week", "sender,step", "month,day")


def _local(ts: Any, z: ZoneInfo) -> dt.date | None:
    return None if ts is None else ts.to_pydatetime().astimezone(z).date()


def _plain(v: Any) -> Any:
    return None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v


def oracle_activity(table: pd.DataFrame, msgs: pd.DataFrame | None, start: dt.date, end: dt.date, tz: str,
                    by: str | None) -> dict[tuple, dict[str, Any]]:
    """The activity counts per group by the definitions, row by row (zoneinfo for the dates)."""
    z, keys = ZoneInfo(tz), by.split(",") if by else []
    dated, stepped = any(k in ("day", "week", "month") for k in keys), "step" in keys
    recs = [{k: _plain(v) for k, v in r.items()} for r in table.astype(object).to_dict("records")]
    by_id = {r["reach_out_id"]: r for r in recs}
    out: dict[tuple, dict[str, Any]] = {}

    def add(r: dict[str, Any], day: dt.date | None, name: str, step: Any = None) -> None:
        key = []
        for k in keys:
            if k == "day":
                key.append(day.isoformat())
            elif k == "week":
                key.append((day - dt.timedelta(days=day.weekday())).isoformat())
            elif k == "month":
                key.append(f"{day.year:04d}-{day.month:02d}")
            else:
                key.append(step if k == "step" else r[k])
        out.setdefault(tuple(key), dict.fromkeys(ACTIVITY, 0))[name] += 1

    for m in [] if msgs is None else msgs.astype(object).to_dict("records"):
        day = _local(_plain(m["sent_at"]), z)
        if day is not None and start <= day <= end:
            add(by_id[m["reach_out_id"]], day, "messages_sent", _plain(m["step"]))
    started_known = any(r["first_sent_at"] is not None for r in recs)
    for r in [] if stepped else recs:
        responded = (r["response_via"] or "").strip() != "" or r["state"] == 2
        for column, name, counted in (("first_sent_at", "reach_outs_started", started_known),
                                      ("first_opened_at", "opens", True), ("responded_at", "responses", responded)):
            day = _local(r[column], z)
            if counted and day is not None and start <= day <= end:
                add(r, day, name)
                if name == "responses" and r["response_type"] == "Interested":
                    add(r, day, "interested")
        if not dated and responded and r["responded_at"] is None and _local(r["created_at"], z) <= end:
            add(r, None, "responses_time_unknown")
    if not keys and not out:
        out[()] = dict.fromkeys(ACTIVITY, 0)
    unknown = {"messages_sent"} if msgs is None else set()
    unknown |= set(ACTIVITY[1:]) if stepped else set()
    unknown |= {"responses_time_unknown"} if dated else set()
    unknown |= set() if started_known else {"reach_outs_started"}
    return {k: {c: None if c in unknown else v for c, v in counts.items()} for k, counts in out.items()}


def oracle_reconcile(table: pd.DataFrame, start: dt.date, end: dt.date, tz: str,
                     by: str | None) -> dict[tuple, dict[str, int]]:
    """The reconciliation by its words: cohort = created in range; earlier = created before start."""
    z, keys = ZoneInfo(tz), by.split(",") if by else []
    out: dict[tuple, dict[str, int]] = {} if keys else {(): dict.fromkeys(RECONCILE, 0)}
    for r in table.astype(object).to_dict("records"):
        r = {k: _plain(v) for k, v in r.items()}
        created = _local(r["created_at"], z)
        cohort, earlier = start <= created <= end, created < start
        responded = (r["response_via"] or "").strip() != "" or r["state"] == 2
        flags: dict[str, bool] = {}
        for prefix, has, column in (("", responded, "responded_at"), ("opens_", r["opened"] is True,
                                                                       "first_opened_at")):
            day = _local(r[column], z)
            in_range = day is not None and start <= day <= end
            flags[prefix + ("cohort_responses" if not prefix else "cohort")] = cohort and has
            flags[prefix + "received_in_range"] = cohort and has and in_range
            flags[prefix + "received_after"] = cohort and has and day is not None and day > end
            flags[prefix + "time_unknown"] = cohort and has and day is None
            activity = in_range and (responded if not prefix else True)
            flags[prefix + "from_earlier_cohorts"] = activity and earlier
            flags[prefix + ("activity_responses" if not prefix else "activity")] = activity
        if cohort or any(flags.values()):
            counts = out.setdefault(tuple(r[k] for k in keys), dict.fromkeys(RECONCILE, 0))
            for name, flag in flags.items():
                counts[name] += int(flag)
    return out


def keyed(got: list[dict[str, Any]], by: str | None) -> dict[tuple, dict[str, Any]]:
    keys = by.split(",") if by else []
    return {tuple(r[k] for k in keys): {c: v for c, v in r.items() if c not in keys} for r in got}


_offset = st.one_of(st.integers(0, 86_400 * 1_000_000 - 1),  # anywhere in a day, or on a 15-minute grid +- 1 us
                    st.builds(lambda q, d: q * 900_000_000 + d, st.integers(0, 95), st.sampled_from([0, 1, -1])))


def _instant(day: int, us: int) -> dt.datetime:
    return BASE + dt.timedelta(days=day, microseconds=us)


@st.composite
def cases(draw: Any) -> tuple[pd.DataFrame, pd.DataFrame | None, dt.date, dt.date]:
    """A table whose events follow the loader's guarantees (responded_at, first_opened_at >= created_at), its
    messages (or None) and a range."""
    n = draw(st.integers(0, 25))
    later = st.one_of(st.none(), st.tuples(st.integers(0, 20), _offset))  # days and microseconds after creation
    table_rows, msg_rows = [], []
    for i in range(n):
        created = _instant(draw(st.integers(-2, 40)), draw(_offset))
        times = {c: (None if d is None else created + dt.timedelta(days=d[0], microseconds=d[1]))
                 for c, d in (("sent", draw(later)), ("open", draw(later)), ("responded", draw(later)))}
        table_rows.append(dict(
            id=f"r{i}", campaign=draw(st.sampled_from(["A", "B", None])), sender=draw(st.sampled_from(["s1", "s2"])),
            state=draw(st.sampled_from([0, 1, 2, 3])), created=created, via=draw(st.sampled_from([None, " ", "Email"])),
            type=draw(st.sampled_from([None, "Interested", "Maybe"])),
            opened=True if times["open"] else draw(st.sampled_from([True, False, None])), **times))
        for _ in range(draw(st.integers(0, 3))):
            sent = draw(st.one_of(st.none(), st.tuples(st.integers(-1, 20), _offset)))
            msg_rows.append((f"r{i}", draw(st.sampled_from([1, 2, 3, None])),
                             None if sent is None else created + dt.timedelta(days=sent[0], microseconds=sent[1])))
    start = BASE.date() + dt.timedelta(days=draw(st.integers(-3, 42)))
    end = start + dt.timedelta(days=draw(st.one_of(st.integers(0, 3), st.integers(0, 40))))
    msgs = draw(st.sampled_from([messages(*msg_rows), None]))
    return reach_outs(*table_rows), msgs, start, end


def check_identity(r: dict[str, Any]) -> None:
    assert r["cohort_responses"] == r["received_in_range"] + r["received_after"] + r["time_unknown"], r
    assert r["activity_responses"] == r["received_in_range"] + r["from_earlier_cohorts"], r
    assert r["opens_cohort"] == r["opens_received_in_range"] + r["opens_received_after"] + r["opens_time_unknown"]
    assert r["opens_activity"] == r["opens_received_in_range"] + r["opens_from_earlier_cohorts"], r


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cases(), st.sampled_from(ZONES), st.sampled_from(KEYS), st.sampled_from([None, "campaign", "campaign,sender"]))
def test_activity_and_reconcile_equal_a_row_by_row_oracle(case, tz, by, rec_by):
    table, msgs, start, end = case
    if "step" in (by or "") and msgs is None:
        by = "campaign"
    want = oracle_activity(table, msgs, start, end, tz, by)
    assert keyed(rows(activity_counts(table, msgs, start, end, tz, by)), by) == want
    lazy = pl.from_pandas(table).lazy(), None if msgs is None else pl.from_pandas(msgs).lazy()
    assert keyed(rows(activity_counts(*lazy, start, end, tz, by)), by) == want
    # few-valued text as pandas categoricals, as a report loads it (responded is tested on a cheap superset first)
    cats = table.astype(dict.fromkeys(("campaign", "sender", "response_via", "response_type"), "category"))
    assert keyed(rows(activity_counts(cats, msgs, start, end, tz, by)), by) == want
    got = rows(reconcile(table, start, end, tz, rec_by))
    assert keyed(got, rec_by) == oracle_reconcile(table, start, end, tz, rec_by)
    assert keyed(rows(reconcile(cats, start, end, tz, rec_by)), rec_by) == keyed(got, rec_by)
    for r in got:
        check_identity(r)
    total = row(reconcile(table, start, end, tz))
    assert all(total[c] == sum(r[c] for r in got) for c in RECONCILE)  # the groups add up to the total
    act = row(activity_counts(table, msgs, start, end, tz))
    assert (act["responses"], act["opens"]) == (total["activity_responses"], total["opens_activity"])


_edge = st.sampled_from([0, 1, 86_400_000_000 - 1, 86_400_000_000 - 2, 43_200_000_000, 900_000_000 - 1])


@st.composite
def edge_cases(draw: Any) -> pd.DataFrame:
    """A few reach outs created, opened and answered at the edges of days (first and last microsecond, a quarter
    hour less one) around BASE, where a range's bounds are."""
    out = []
    for i in range(draw(st.integers(1, 4))):
        created = BASE + dt.timedelta(days=draw(st.integers(-2, 1)), microseconds=draw(_edge))
        later = [draw(st.one_of(st.none(), st.tuples(st.integers(0, 2), _edge))) for _ in range(2)]
        o, r = (None if d is None else created + dt.timedelta(days=d[0], microseconds=d[1]) for d in later)
        out.append(dict(id=f"r{i}", campaign=draw(st.sampled_from(["A", None])), state=draw(st.sampled_from([0, 2])),
                        created=created, via=draw(st.sampled_from([None, "Email"])), opened=True if o else None,
                        open=o, responded=r, sent=created))
    return reach_outs(*out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(edge_cases(), st.sampled_from(ZONES), st.sampled_from([None, "campaign", "day"]), st.integers(-1, 1),
       st.integers(0, 1), st.booleans())
def test_events_at_the_edges_of_days_are_counted_as_the_oracle_counts_them(table, tz, by, shift, length, with_msgs):
    start = BASE.date() + dt.timedelta(days=shift)
    end = start + dt.timedelta(days=length)
    sent = zip(table.reach_out_id, table.created_at, strict=True)
    msgs = messages(*[(i, 1, c) for i, c in sent]) if with_msgs else None
    want = oracle_activity(table, msgs, start, end, tz, by)
    assert keyed(rows(activity_counts(table, msgs, start, end, tz, by)), by) == want
    lazy = pl.from_pandas(table).lazy(), None if msgs is None else pl.from_pandas(msgs).lazy()
    assert keyed(rows(activity_counts(*lazy, start, end, tz, by)), by) == want
    rec_by = None if by == "day" else by
    assert keyed(rows(reconcile(table, start, end, tz, rec_by)), rec_by) == oracle_reconcile(table, start, end, tz,
                                                                                              rec_by)


def test_the_identity_holds_even_for_events_before_creation():
    """A row that breaks the loader's guarantee (responded and opened before created) still adds up."""
    table = reach_outs(dict(id="a", campaign="X", state=2, created="2026-11-18 10:00", opened=True,
                            open="2026-11-01 10:00", responded="2026-11-10 10:00"),
                       dict(id="b", campaign="X", state=2, created="2026-11-25 10:00", opened=True,
                            open="2026-11-20 10:00", responded="2026-11-20 10:00"))
    r = row(reconcile(table, *WEEK))
    check_identity(r)
    # a: in the cohort, answered before the week: after (the identity's remainder); b: from a later cohort
    assert (r["received_after"], r["from_earlier_cohorts"], r["opens_received_after"]) == (1, 1, 1)


# ----------------------------------------------------------------------------------------- every engine

ENGINES = ("pandas", "polars", "polars-lazy", "duckdb", "dask")
ENGINE_CASES = [
    ("UTC", None, "2026-03-09", "2026-03-29"),
    ("Europe/Berlin", "campaign,week", "2026-03-16", "2026-04-05"),  # Berlin springs forward 03-29
    ("America/New_York", "day", "2026-03-05", "2026-03-12"),  # New York springs forward 03-08
    ("Asia/Kolkata", "sender,month,step", "2026-03-01", "2026-04-30"),
    ("Pacific/Auckland", "campaign,sender", "2026-04-01", "2026-04-12"),  # Auckland falls back 04-05
    ("UTC", "campaign", "2030-01-01", "2030-01-31"),  # no event in range
]


def sample(seed: int = 13, n: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fixed random table and its messages over six weeks of March-April 2026."""
    rnd = random.Random(seed)

    def after(t: dt.datetime) -> dt.datetime | None:
        return None if rnd.random() < 0.4 else t + dt.timedelta(seconds=rnd.randrange(0, 14 * 86_400))

    table_rows, msg_rows = [], []
    for i in range(n):
        created = _instant(rnd.randrange(0, 42), rnd.randrange(0, 86_400) * 1_000_000)
        table_rows.append(dict(id=f"r{i}", campaign=rnd.choice(["Backend", "Design", None]),
                               sender=rnd.choice(["ana", "bo"]), state=rnd.choice([0, 2, 3]), created=created,
                               via=rnd.choice([None, "Email"]), type=rnd.choice([None, "Interested"]),
                               opened=rnd.choice([True, False, None]), sent=after(created), open=None,
                               responded=after(created)))
        table_rows[-1]["open"] = after(created) if table_rows[-1]["opened"] else None
        msg_rows += [(f"r{i}", rnd.choice([1, 2, 3, None]), after(created)) for _ in range(rnd.randrange(0, 4))]
    return reach_outs(*table_rows), messages(*msg_rows)


def on_engine(engine: str, tz: str) -> Any:
    """A function turning a pandas frame into the engine's native frame (DuckDB: relations of one connection in
    the report time zone, as the DuckDB engine sets it)."""
    if engine == "pandas":
        return lambda frame: frame
    if engine.startswith("polars"):
        return lambda frame: pl.from_pandas(frame).lazy() if engine == "polars-lazy" else pl.from_pandas(frame)
    if engine == "duckdb":
        con = pytest.importorskip("duckdb").connect()
        con.execute("SET TimeZone = ?", [tz])
        return lambda frame: con.from_arrow(pa.Table.from_pandas(frame, preserve_index=False))
    dd = pytest.importorskip("dask.dataframe")
    return lambda frame: dd.from_pandas(frame, npartitions=3)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return sample()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("tz", "by", "start", "end"), ENGINE_CASES, ids=[f"{c[0]}-{c[1]}" for c in ENGINE_CASES])
def test_every_engine_gives_pandas_numbers(data, engine, tz, by, start, end):
    table, msgs = data
    want_activity = rows(activity_counts(table, msgs, start, end, tz, by))
    rec_by = ",".join(k for k in (by or "").split(",") if k in ("campaign", "sender")) or None
    want_reconcile = rows(reconcile(table, start, end, tz, rec_by))
    native = on_engine(engine, tz)
    plain_by = by.replace(",step", "") if by else by
    with quiet():
        got_activity = rows(activity_counts(native(table), native(msgs), start, end, tz, by))
        got_reconcile = rows(reconcile(native(table), start, end, tz, rec_by))
        got_no_messages = rows(activity_counts(native(table), None, start, end, tz, plain_by))
    assert got_activity == want_activity
    assert got_reconcile == want_reconcile
    assert got_no_messages == rows(activity_counts(table, None, start, end, tz, plain_by))
    assert keyed(want_activity, by) == oracle_activity(table, msgs, *map(dt.date.fromisoformat, (start, end)), tz,
                                                       by)
    for r in got_reconcile:
        check_identity(r)


def test_dictionary_text_keys_give_the_same_rows(data):
    """The loader's few-valued text columns are categoricals in pandas (dictionaries in Arrow): labels, not
    codes, come out, sorted as text."""
    table, msgs = data
    coded = table.astype({"campaign": "category", "sender": "category", "response_type": "category"})
    for by in ("campaign", "sender,week"):
        assert rows(activity_counts(coded, msgs, "2026-03-01", "2026-04-30", "UTC", by)) == \
            rows(activity_counts(table, msgs, "2026-03-01", "2026-04-30", "UTC", by))
    assert rows(reconcile(coded, "2026-03-09", "2026-03-22", by="campaign,sender")) == \
        rows(reconcile(table, "2026-03-09", "2026-03-22", by="campaign,sender"))


def test_arrow_messages_beside_any_reach_out_frame(data):
    """The loader hands the messages over as an Arrow table: they are taken as the reach outs' kind of frame."""
    table, msgs = data
    arrow = pa.Table.from_pandas(msgs, preserve_index=False)
    for by in (None, "campaign,step", "week"):
        want = rows(activity_counts(table, msgs, "2026-03-09", "2026-04-05", "Europe/Berlin", by))
        for engine in ("pandas", "polars", "polars-lazy", "dask"):
            with quiet():
                got = rows(activity_counts(on_engine(engine, "Europe/Berlin")(table), arrow, "2026-03-09",
                                           "2026-04-05", "Europe/Berlin", by))
            assert got == want, (engine, by)
    duck = on_engine("duckdb", "UTC")
    with pytest.raises(UsageError) as err:
        activity_counts(duck(table), arrow, "2026-03-09", "2026-04-05", by="campaign")
    assert err.value.parameter == "messages"


def test_the_sample_adds_up():
    """The sample export (and its messages) through the loader: the reconciliation adds up per campaign and in
    total, and its activity side is the activity view's."""
    sample_dir = Path(__file__).resolve().parents[2] / "sample_data"
    loaded = read_reach_outs(sample_dir / "reach_outs.csv", messages=sample_dir / "messages.csv")
    for tz, start, end in (("UTC", "2026-11-09", "2026-11-15"), ("Europe/Berlin", "2026-10-01", "2026-10-31")):
        by_campaign = rows(reconcile(loaded.table, start, end, tz, "campaign"))
        total = row(reconcile(loaded.table, start, end, tz))
        for r in [*by_campaign, total]:
            check_identity(r)
        assert all(total[c] == sum(r[c] for r in by_campaign) for c in RECONCILE)
        act = row(activity_counts(loaded.table, loaded.messages, start, end, tz))
        assert (act["responses"], act["opens"]) == (total["activity_responses"], total["opens_activity"])
        assert act["messages_sent"] > 0 and total["cohort_responses"] > 0
