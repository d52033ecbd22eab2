"""Every metric rule on small literal tables whose answers can be checked by eye (pandas and Polars)."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from talentstats.errors import UsageError
from talentstats.stats.metrics import METRICS, campaign_stats, rollup, stat_counts

WEEK = ("2026-11-16", "2026-11-22")  # Monday..Sunday


def table(*rows: dict) -> pd.DataFrame:
    """A canonical table from partial rows (defaults: in WEEK, campaign A, state Completed, not opened)."""
    base = {"campaign": "A", "sender": "s1", "state": 3, "created_at": "2026-11-17T12:00:00Z",
            "updated_at": None, "response_via": None, "response_type": None, "opened": False,
            "prospect_name": None, "prospect_email": None}
    recs = [{**base, "reach_out_id": f"r{i}", **r} for i, r in enumerate(rows)]
    df = pd.DataFrame(recs)
    df["state"] = df["state"].astype("int8")
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True).astype("datetime64[us, UTC]")
    df["updated_at"] = pd.to_datetime(df["updated_at"], utc=True).astype("datetime64[us, UTC]")
    df["opened"] = df["opened"].astype("boolean")
    for c in ("response_via", "response_type", "prospect_name", "prospect_email"):
        df[c] = df[c].astype("str")
    return df


def total(df, start=WEEK[0], end=WEEK[1], tz="UTC") -> dict:
    row = campaign_stats(df, start, end, tz).iloc[0]
    return {m: (None if pd.isna(row[m]) else row[m]) for m in METRICS}


# ----------------------------------------------------------------------------- in range / attribution

def test_reach_outs_counts_only_rows_created_in_range():
    df = table({}, {"created_at": "2026-11-15T23:59:59Z"}, {"created_at": "2026-11-23T00:00:00Z"},
               {"created_at": "2026-11-22T23:59:59Z"}, {"created_at": "2026-11-16T00:00:00Z"})
    assert total(df)["reach_outs"] == 3


def test_attribution_is_by_creation_date_not_event_date():
    # responded and updated long after the range: still counts in the week it was created
    df = table({"state": 2, "updated_at": "2026-12-20T00:00:00Z"}, {"created_at": "2026-11-01T10:00:00Z",
                                                                     "state": 2, "updated_at": "2026-11-18T00:00:00Z"})
    t = total(df)
    assert (t["reach_outs"], t["responses"]) == (1, 1)


def test_report_time_zone_moves_rows_across_midnight():
    # 2026-11-16 03:00 UTC is still Sunday 2026-11-15 in New York (UTC-5): out of the week there.
    # 2026-11-23 04:30 UTC is Sunday 2026-11-22 23:30 in New York: in the week there.
    df = table({"created_at": "2026-11-16T03:00:00Z"}, {"created_at": "2026-11-23T04:30:00Z"})
    assert total(df, tz="UTC")["reach_outs"] == 1
    assert total(df, tz="America/New_York")["reach_outs"] == 1
    ny = campaign_stats(df, "2026-11-15", "2026-11-15", "America/New_York")
    assert ny["reach_outs"].iloc[0] == 1
    tokyo = campaign_stats(df, "2026-11-16", "2026-11-16", "Asia/Tokyo")  # 03:00Z = 12:00 JST on the 16th
    assert tokyo["reach_outs"].iloc[0] == 1


def test_range_bounds_follow_dst_change():
    # Europe/Berlin leaves DST on 2026-10-25: the day lasts 25 hours, 22:00Z..23:00Z (previous day) rules.
    df = table({"created_at": "2026-10-24T22:00:00Z"},   # 00:00 CEST Oct 25 -> in
               {"created_at": "2026-10-24T21:59:59Z"},   # 23:59:59 CEST Oct 24 -> out
               {"created_at": "2026-10-25T22:59:59Z"},   # 23:59:59 CET Oct 25 -> in
               {"created_at": "2026-10-25T23:00:00Z"})   # 00:00 CET Oct 26 -> out
    assert total(df, "2026-10-25", "2026-10-25", "Europe/Berlin")["reach_outs"] == 2
    days = campaign_stats(df, "2026-10-24", "2026-10-26", "Europe/Berlin", by="day")
    assert days[["day", "reach_outs"]].values.tolist() == [["2026-10-24", 1], ["2026-10-25", 2],
                                                          ["2026-10-26", 1]]


# ----------------------------------------------------------------------------- responded

@pytest.mark.parametrize(("via", "state", "responded"), [
    (None, 3, False), ("", 3, False), ("   ", 3, False), ("\t", 0, False),
    ("Email Reply", 3, True), ("Manually Marked", 8, True), (None, 2, True), ("  ", 2, True),
])
def test_responded_is_response_via_not_blank_or_state_responded(via, state, responded):
    assert total(table({"response_via": via, "state": state}))["responses"] == int(responded)


# ----------------------------------------------------------------------------- in progress

@pytest.mark.parametrize(("state", "expected"), [(0, 1), (1, 0), (2, 0), (3, 1), (4, 1), (5, 0), (6, 1),
                                                 (7, 1), (8, 1), (9, 1)])
def test_in_progress_excludes_hard_bounced_canceled_and_responded(state, expected):
    assert total(table({"state": state}))["in_progress"] == expected


def test_in_progress_excludes_rows_responded_through_response_via():
    assert total(table({"state": 0, "response_via": "Email"}))["in_progress"] == 0


# ----------------------------------------------------------------------------- opens

def test_opens_count_opened_reach_outs_once():
    df = table({"opened": True}, {"opened": True}, {"opened": False})
    assert total(df)["opens"] == 2


def test_a_reply_does_not_imply_an_open():
    t = total(table({"state": 2, "opened": False}, {"response_via": "Email", "opened": False}))
    assert (t["responses"], t["opens"], t["open_rate"]) == (2, 0, 0.0)


def test_opens_unknown_without_open_information_is_null_not_zero():
    t = total(table({"opened": None}, {"opened": None}))
    assert t["opens"] is None and t["open_rate"] is None
    assert t["reach_outs"] == 2


def test_opens_unknown_even_for_an_empty_range_when_table_has_no_open_information():
    t = total(table({"opened": None}), "2020-01-01", "2020-01-07")
    assert t["reach_outs"] == 0 and t["opens"] is None


def test_opens_zero_for_an_empty_range_when_table_has_open_information():
    t = total(table({"opened": True}), "2020-01-01", "2020-01-07")
    assert t["opens"] == 0 and t["open_rate"] is None


def test_group_with_partly_unknown_opens_is_null():
    df = table({"campaign": "A", "opened": True}, {"campaign": "A", "opened": None},
               {"campaign": "B", "opened": True})
    by = campaign_stats(df, *WEEK, by="campaign").set_index("campaign")
    assert pd.isna(by.loc["A", "opens"]) and by.loc["B", "opens"] == 1
    assert total(df)["opens"] is None


# ----------------------------------------------------------------------------- interested

def test_interested_requires_a_response():
    df = table({"state": 2, "response_type": "Interested"},            # counts
               {"response_via": "Email", "response_type": "Interested"},  # counts
               {"state": 3, "response_type": "Interested"},            # not responded: does not count
               {"state": 2, "response_type": "Not Interested"},        # responded, not interested
               {"state": 2, "response_type": "Maybe"})
    t = total(df)
    assert (t["responses"], t["interested"]) == (4, 2)
    assert t["interested_of_responses"] == pytest.approx(0.5)


# ----------------------------------------------------------------------------- rates

def test_rates_over_reach_outs_and_interested_of_responses():
    df = table({"state": 2, "opened": True, "response_type": "Interested"}, {"opened": True}, {}, {})
    t = total(df)
    assert t["open_rate"] == pytest.approx(0.5)
    assert t["response_rate"] == pytest.approx(0.25)
    assert t["interested_rate"] == pytest.approx(0.25)
    assert t["interested_of_responses"] == pytest.approx(1.0)


def test_zero_denominator_gives_null_rates():
    t = total(table({}), "2021-01-01", "2021-01-01")
    assert t["reach_outs"] == 0
    assert all(t[r] is None for r in ("open_rate", "response_rate", "interested_rate",
                                      "interested_of_responses"))
    assert total(table({}))["interested_of_responses"] is None  # 1 reach out, 0 responses


# ----------------------------------------------------------------------------- grouping

def test_week_key_is_the_monday_in_the_report_time_zone():
    # Sunday 2026-11-22 20:00 in Los Angeles is Monday 04:00 UTC: a different week in UTC.
    df = table({"created_at": "2026-11-23T04:00:00Z"})
    utc = campaign_stats(df, "2026-11-01", "2026-11-30", "UTC", by="week")
    la = campaign_stats(df, "2026-11-01", "2026-11-30", "America/Los_Angeles", by="week")
    assert utc["week"].tolist() == ["2026-11-23"] and la["week"].tolist() == ["2026-11-16"]


def test_month_and_day_keys():
    df = table({"created_at": "2026-10-31T23:30:00Z"}, {"created_at": "2026-11-01T00:30:00Z"})
    m = campaign_stats(df, "2026-10-01", "2026-11-30", by="month")
    assert m[["month", "reach_outs"]].values.tolist() == [["2026-10", 1], ["2026-11", 1]]
    m_tokyo = campaign_stats(df, "2026-10-01", "2026-11-30", "Asia/Tokyo", by="month")
    assert m_tokyo[["month", "reach_outs"]].values.tolist() == [["2026-11", 2]]


def test_groups_without_reach_outs_in_range_are_omitted_and_sum_to_total():
    df = table({"campaign": "A"}, {"campaign": "B", "state": 2}, {"campaign": "C",
                                                                  "created_at": "2026-10-01T00:00:00Z"})
    by = campaign_stats(df, *WEEK, by="campaign")
    assert by["campaign"].tolist() == ["A", "B"]
    t = total(df)
    for m in ("reach_outs", "in_progress", "opens", "responses", "interested"):
        assert by[m].sum() == t[m]


def test_group_by_state_response_via_and_type():
    df = table({"state": 2, "response_via": "Email", "response_type": "Interested"},
               {"state": 8, "response_via": "Manual", "response_type": "Not Interested"}, {"state": 1})
    s = campaign_stats(df, *WEEK, by="state")
    assert s[["state", "reach_outs", "responses"]].values.tolist() == [[1, 1, 0], [2, 1, 1], [8, 1, 1]]
    v = campaign_stats(df, *WEEK, by=["response_via", "response_type"])
    assert v["reach_outs"].sum() == 3 and len(v) == 3


def test_unknown_group_key_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown group key 'weeks'"):
        campaign_stats(table({}), *WEEK, by="weeks")


def test_end_before_start_is_a_usage_error():
    with pytest.raises(UsageError, match="before start"):
        campaign_stats(table({}), "2026-11-22", "2026-11-16")


# ----------------------------------------------------------------------------- engines and the cube

def test_polars_gives_the_same_numbers_as_pandas():
    df = table({"campaign": "A", "state": 2, "opened": True, "response_type": "Interested"},
               {"campaign": "B", "response_via": "x"}, {"campaign": "B", "state": 1},
               {"campaign": "A", "created_at": "2026-11-22T23:00:00Z"})
    want = campaign_stats(df, *WEEK, "Europe/Paris", by="campaign,week")
    got = campaign_stats(pl.from_pandas(df), *WEEK, "Europe/Paris", by="campaign,week").to_pandas()
    pd.testing.assert_frame_equal(got.astype(want.dtypes.to_dict()), want, check_dtype=False)


def test_rollup_of_a_daily_cube_equals_direct_statistics():
    df = table({"campaign": "A", "created_at": "2026-11-10T10:00:00Z", "state": 2},
               {"campaign": "A", "created_at": "2026-11-17T10:00:00Z", "opened": True},
               {"campaign": "B", "created_at": "2026-11-18T10:00:00Z", "response_via": "E"})
    cube = stat_counts(df, "2026-11-01", "2026-11-30", "UTC", by=["day", "campaign", "sender", "state"])
    week_rows = cube[(cube["day"] >= pd.Timestamp("2026-11-16").value // 86_400_000_000_000)
                     & (cube["day"] <= pd.Timestamp("2026-11-22").value // 86_400_000_000_000)]
    pd.testing.assert_frame_equal(rollup(week_rows, "campaign"), campaign_stats(df, *WEEK, by="campaign"))
    pd.testing.assert_frame_equal(rollup(cube, "week"), campaign_stats(df, "2026-11-01", "2026-11-30", by="week"))


def test_worked_example_in_docs():
    """The example of docs/metrics.md, number by number."""
    df = table(
        {"campaign": "Backend", "state": 2, "created_at": "2026-11-16T09:00:00Z", "response_via": "Email Reply",
         "response_type": "Interested", "opened": True},
        {"campaign": "Backend", "state": 3, "created_at": "2026-11-16T10:00:00Z", "opened": True},
        {"campaign": "Backend", "state": 8, "created_at": "2026-11-17T11:00:00Z", "response_via": "Manually Marked",
         "response_type": "Not Interested"},
        {"campaign": "Backend", "state": 0, "created_at": "2026-11-18T12:00:00Z", "response_type": "Interested",
         "opened": True},
        {"campaign": "Design", "state": 1, "created_at": "2026-11-19T08:00:00Z"},
        {"campaign": "Design", "state": 2, "created_at": "2026-11-20T16:00:00Z", "response_via": "  ",
         "response_type": "Interested"},
        {"campaign": "Design", "state": 5, "created_at": "2026-11-21T09:00:00Z"},
        {"campaign": "Design", "state": 4, "created_at": "2026-11-22T23:30:00Z", "opened": True},
        {"campaign": "Design", "state": 3, "created_at": "2026-11-23T00:10:00Z"},
    )
    t = total(df)
    assert [t[m] for m in ("reach_outs", "in_progress", "opens", "responses", "interested")] == [8, 3, 4, 3, 2]
    assert [round(t[r], 3) for r in ("open_rate", "response_rate", "interested_rate",
                                     "interested_of_responses")] == [0.5, 0.375, 0.25, 0.667]
    by = campaign_stats(df, *WEEK, by="campaign")
    assert by[["campaign", "reach_outs", "in_progress", "opens", "responses", "interested"]].values.tolist() == [
        ["Backend", 4, 2, 3, 2, 1], ["Design", 4, 1, 1, 1, 1]]
    assert total(df, tz="America/New_York")["reach_outs"] == 9


def test_members_are_the_rows_behind_a_statistic():
    from talentstats.stats.metrics import members

    df = table({"state": 2, "response_type": "Interested"}, {"response_type": "Interested"},
               {"state": 2, "created_at": "2026-10-01T00:00:00Z", "response_type": "Interested"},
               {"opened": True})
    assert members(df, *WEEK, metric="interested")["reach_out_id"].tolist() == ["r0"]
    assert members(df, *WEEK, metric="opens")["reach_out_id"].tolist() == ["r3"]
    assert members(df, *WEEK)["reach_out_id"].tolist() == ["r0", "r1", "r3"]
    assert len(members(df, *WEEK, metric="interested")) == total(df)["interested"]
