"""Raw exports -> the canonical table: headers, states, response types, opens, time zones, duplicates, rejects."""

from __future__ import annotations

import pandas as pd
import pytest

from talentstats.errors import InputError, MissingColumnError, UsageError
from talentstats.load.headers import parse_map_item, read_map_file
from talentstats.stats.metrics import campaign_stats


def stamps(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(v) for v in values]


# ----------------------------------------------------------------------------------------------- headers


def test_headers_match_ignoring_case_spaces_underscores_and_punctuation(write, load):
    path = write("e.csv", """
        REACH_OUT-ID,  campaign name ,Sender.Email,STATE,created__at,Response-Via,response type (sentiment)
        r1,Alpha,ann@x.io,2,2026-11-16T09:00:00Z,Email,Interested
        """)
    t = load(path).table
    assert t.loc[0, ["reach_out_id", "campaign", "sender", "state", "response_via"]].tolist() == [
        "r1", "Alpha", "ann@x.io", 2, "Email"]
    # "response type (sentiment)" is no alias once punctuation is dropped ("responsetypesentiment"): not guessed
    assert pd.isna(t.loc[0, "response_type"])


@pytest.mark.parametrize("header", ["Reach Out ID", "Email Thread ID", "Thread ID", "reach_out_id", "ID"])
def test_reach_out_id_aliases(write, load, header):
    path = write("e.csv", f"{header},State,Created\nr1,2,2026-11-16T09:00:00Z\n")
    assert load(path).table["reach_out_id"].tolist() == ["r1"]


@pytest.mark.parametrize("header", ["Created", "Created At", "Created Date", "created_at", "Date Created"])
def test_created_aliases(write, load, header):
    path = write("e.csv", f"Reach Out ID,State,{header}\nr1,2,2026-11-16T09:00:00Z\n")
    assert load(path).table["created_at"].tolist() == stamps("2026-11-16T09:00:00Z")


def test_explicit_mapping_for_headers_no_alias_knows(write, load):
    path = write("e.csv", """
        Thread Ref,Stage,Born,Team
        r1,Responded,2026-11-16T09:00:00Z,Alpha
        """)
    mapping = {"Thread Ref": "reach_out_id", "stage": "state", "BORN": "created_at", "Team": "campaign"}
    t = load(path, mapping=mapping).table
    assert t.loc[0, ["reach_out_id", "state", "campaign"]].tolist() == ["r1", 2, "Alpha"]


def test_explicit_mapping_wins_over_an_alias(write, load):
    path = write("e.csv", """
        ID,Thread Ref,State,Created
        internal-1,r1,2,2026-11-16T09:00:00Z
        """)
    assert load(path).table["reach_out_id"].tolist() == ["internal-1"]
    assert load(path, mapping={"Thread Ref": "reach_out_id"}).table["reach_out_id"].tolist() == ["r1"]


def test_mapping_to_an_unknown_column_is_a_usage_error(write):
    from talentstats.load.loader import read_reach_outs

    path = write("e.csv", "Thread Ref,State,Created\nr1,2,2026-11-16\n")
    with pytest.raises(UsageError, match=r"^--map Thread Ref=thread: unknown column 'thread'; choose from "):
        read_reach_outs(path, mapping={"Thread Ref": "thread"})


def test_map_options_and_toml_map_file(write):
    assert parse_map_item("Thread Ref=reach_out_id") == ("Thread Ref", "reach_out_id")
    assert parse_map_item(" Born = created_at ") == ("Born", "created_at")
    with pytest.raises(UsageError, match=r"mapping 'Thread Ref': expected HEADER=column"):
        parse_map_item("Thread Ref")
    table = write("map.toml", """
        [map]
        "Thread Ref" = "reach_out_id"
        Born = "created_at"
        """)
    top = write("top.toml", '"Thread Ref" = "reach_out_id"\n')
    assert read_map_file(table) == {"Thread Ref": "reach_out_id", "Born": "created_at"}
    assert read_map_file(top) == {"Thread Ref": "reach_out_id"}
    bad = write("bad.toml", "[map\n")
    with pytest.raises(InputError, match=r"invalid mapping file"):
        read_map_file(bad)


def test_missing_required_column_names_it_the_headers_and_the_closest_match(write, load):
    path = write("e.csv", "Thread Ref,State,Created\nr1,2,2026-11-16\n")
    with pytest.raises(MissingColumnError) as err:
        load(path)
    assert str(err.value) == (
        f"{path}: missing required column 'reach_out_id' (headers found: 'Thread Ref', 'State', 'Created'); "
        "closest match: 'Thread Ref' (map it with --map 'Thread Ref=reach_out_id')")


def test_missing_required_column_without_a_close_header_gives_no_hint(write, load):
    path = write("e.csv", "Reach Out ID,Foo,Created\nr1,2,2026-11-16\n")
    with pytest.raises(MissingColumnError) as err:
        load(path)
    assert str(err.value) == (
        f"{path}: missing required column 'state' (headers found: 'Reach Out ID', 'Foo', 'Created')")


# ----------------------------------------------------------------------------------------------- states


@pytest.mark.parametrize(("value", "code"), [
    ("2", 2), ("2.0", 2), (" 3 ", 3), ("0", 0), ("9", 9), ("Responded (2)", 2), ("(2)", 2), ("hard bounced(1)", 1),
    ("Paused By Auth Loss", 7), ("paused by auth loss", 7), ("PAUSED_BY_AUTH_LOSS", 7),
    ("Cancelled", 5), ("Canceled", 5), ("hard bounced", 1), ("Hard Bounced", 1), ("In Progress", 0),
    ("undone", 6), ("Prevented", 8), ("Pending", 9), ("Paused", 4), ("Completed", 3),
])
def test_state_as_code_or_label_in_any_case(write, load, value, code):
    path = write("e.csv", f'Reach Out ID,State,Created\nr1,"{value}",2026-11-16T09:00:00Z\n')
    assert load(path).table["state"].tolist() == [code]


@pytest.mark.parametrize(("value", "reason"), [
    ("Bogus", "unknown state 'Bogus'"), ("12", "unknown state '12'"), ("2.5", "unknown state '2.5'"),
    ("", "missing state"), ("Canceled (2)", "unknown state 'Canceled (2)'"), ("Foo (1)", "unknown state 'Foo (1)'"),
    ("(12)", "unknown state '(12)'"),
])
def test_unknown_state_is_rejected_with_reason(write, load, value, reason):
    path = write("e.csv", f"Reach Out ID,State,Created\nok,2,2026-11-16T09:00:00Z\nbad,{value},2026-11-16T09:00:00Z\n")
    loaded = load(path)
    assert loaded.table["reach_out_id"].tolist() == ["ok"]
    assert loaded.report.rejects[["file", "line", "column", "reason"]].values.tolist() == [
        [str(path), 3, "State", reason]]


# ----------------------------------------------------------------------------------------------- response type


def test_response_type_words_and_emoji(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created,Response Type
        a,2,2026-11-16T09:00:00Z,👍
        b,2,2026-11-16T09:00:00Z,👎
        c,2,2026-11-16T09:00:00Z,:+1:
        d,2,2026-11-16T09:00:00Z,thumbs up
        e,2,2026-11-16T09:00:00Z,Not interested
        f,2,2026-11-16T09:00:00Z,INTERESTED
        g,2,2026-11-16T09:00:00Z,"  Maybe later  "
        h,2,2026-11-16T09:00:00Z,
        i,2,2026-11-16T09:00:00Z,:-1:
        """)
    t = load(path).table
    assert t["response_type"].fillna("<blank>").tolist() == [
        "Interested", "Not Interested", "Interested", "Interested", "Not Interested", "Interested",
        "Maybe later", "<blank>", "Not Interested"]


def test_blank_response_via_is_missing(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created,Response Via
        a,0,2026-11-16T09:00:00Z,Email
        b,0,2026-11-16T09:00:00Z,"   "
        c,0,2026-11-16T09:00:00Z,
        """)
    assert load(path).table["response_via"].fillna("<blank>").tolist() == ["Email", "<blank>", "<blank>"]


# ----------------------------------------------------------------------------------------------- opens


def test_opened_flag_words(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created,Opened
        a,3,2026-11-16T09:00:00Z,true
        b,3,2026-11-16T09:00:00Z,false
        c,3,2026-11-16T09:00:00Z,Yes
        d,3,2026-11-16T09:00:00Z,no
        e,3,2026-11-16T09:00:00Z,1
        f,3,2026-11-16T09:00:00Z,0
        g,3,2026-11-16T09:00:00Z,
        """)
    loaded = load(path)
    assert loaded.table["opened"].tolist() == [True, False, True, False, True, False, False]
    assert loaded.report.opens_source == "reach-out export"


def test_unreadable_opened_flag_is_rejected(write, load):
    path = write("e.csv", "Reach Out ID,State,Created,Opened\na,3,2026-11-16T09:00:00Z,maybe\n")
    loaded = load(path)
    assert loaded.report.rejects[["line", "column", "reason"]].values.tolist() == [
        [2, "Opened", "unreadable opened flag 'maybe'"]]


def test_open_count(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created,Open Count
        a,3,2026-11-16T09:00:00Z,3
        b,3,2026-11-16T09:00:00Z,0
        c,3,2026-11-16T09:00:00Z,
        """)
    assert load(path).table["opened"].tolist() == [True, False, False]


@pytest.mark.parametrize("header", ["First Opened", "Last Opened At", "Opened At"])
def test_opened_timestamp(write, load, header):
    path = write("e.csv", f"""
        Reach Out ID,State,Created,{header}
        a,3,2026-11-16T09:00:00Z,2026-11-17T08:00:00Z
        b,3,2026-11-16T09:00:00Z,
        """)
    assert load(path).table["opened"].tolist() == [True, False]


def test_opened_timestamp_placeholders_are_not_opens_and_other_text_is_rejected(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created,Last Opened
        a,3,2026-11-16T09:00:00Z,never
        b,3,2026-11-16T09:00:00Z,-
        c,3,2026-11-16T09:00:00Z,16/11/2026 10:00
        d,3,2026-11-16T09:00:00Z,soon
        """)
    loaded = load(path)
    assert loaded.table["opened"].tolist() == [False, False, True]
    assert loaded.report.rejects[["line", "column", "reason"]].values.tolist() == [
        [5, "Last Opened", "unparseable date 'soon'"]]


def test_a_reply_does_not_imply_an_open(write, load):
    path = write("e.csv", "Reach Out ID,State,Created,Response Via,Opened\na,2,2026-11-16T09:00:00Z,Email,no\n")
    assert load(path).table["opened"].tolist() == [False]


def test_no_open_information_gives_unknown_opens(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created
        a,2,2026-11-16T09:00:00Z
        b,3,2026-11-16T09:00:00Z
        """)
    loaded = load(path)
    assert loaded.table["opened"].isna().all()
    assert str(loaded.table["opened"].dtype) == "boolean"
    assert loaded.report.opens_source is None
    stats = campaign_stats(loaded.table, "2026-11-16", "2026-11-22")
    assert pd.isna(stats.loc[0, "opens"]) and pd.isna(stats.loc[0, "open_rate"])


REACH_OUTS = """
    Reach Out ID,State,Created
    r1,3,2026-11-16T09:00:00Z
    r2,3,2026-11-16T09:00:00Z
    r3,3,2026-11-16T09:00:00Z
    """


def test_messages_export_with_opened_at_one_open_per_reach_out(write, load):
    ros = write("reach_outs.csv", REACH_OUTS)
    msgs = write("messages.csv", """
        Message ID,Reach Out ID,Opened At
        m1,r1,2026-11-16T10:00:00Z
        m2,r1,2026-11-17T10:00:00Z
        m3,r2,
        m4,r9,2026-11-16T10:00:00Z
        """)
    loaded = load(ros, messages=msgs)
    assert loaded.table["opened"].tolist() == [True, False, False]
    m = loaded.report.messages
    assert (m.rows_read, m.rows_loaded, m.reach_outs_opened, m.unmatched_messages) == (4, 4, 1, 1)
    stats = campaign_stats(loaded.table, "2026-11-16", "2026-11-22")
    assert stats.loc[0, "opens"] == 1  # two opened messages of r1 count once


def test_messages_export_with_opened_flag(write, load):
    ros = write("reach_outs.csv", REACH_OUTS)
    msgs = write("messages.csv", """
        Reach Out ID,Opened
        r1,no
        r2,yes
        r2,yes
        r3,no
        """)
    loaded = load(ros, messages=msgs)
    assert loaded.table["opened"].tolist() == [False, True, False]
    assert loaded.report.messages.rows_loaded == 4  # no message id: rows are not duplicates of each other


def test_the_same_message_exported_twice_is_collapsed(write, load):
    ros = write("reach_outs.csv", REACH_OUTS)
    msgs = write("messages.csv", """
        Message ID,Reach Out ID,Opened At
        m1,r1,
        m1,r1,2026-11-16T10:00:00Z
        m2,r2,
        """)
    loaded = load(ros, messages=msgs)
    assert loaded.table["opened"].tolist() == [True, False, False]
    m = loaded.report.messages
    assert (m.rows_read, m.rows_loaded, m.duplicates_collapsed) == (3, 2, 1)


@pytest.mark.parametrize("per_part", [4_000_000, 2, 1])
def test_message_copies_are_found_part_by_part(write, load, monkeypatch, per_part):
    """Copies of a message are looked for among the messages of the same reach out, part by part (bounded
    memory): the same counts however the reach outs are split. m1 is exported three times for r1 (two copies),
    m2 twice but for different reach outs (no copy), m3 once; r4 is in no reach-out export."""
    import talentstats.load.messages as normalize

    monkeypatch.setattr(normalize, "_MESSAGES_PER_PART", per_part)
    ros = write("reach_outs.csv", REACH_OUTS)
    msgs = write("messages.csv", """
        Message ID,Reach Out ID,Opened At
        m1,r1,
        m2,r2,
        m1,r1,2026-11-16T10:00:00Z
        m2,r3,
        m3,r4,2026-11-17T10:00:00Z
        m1,r1,
        """)
    loaded = load(ros, messages=msgs)
    assert loaded.table["opened"].tolist() == [True, False, False]
    m = loaded.report.messages
    assert (m.rows_read, m.rows_loaded, m.duplicates_collapsed, m.unmatched_messages) == (6, 4, 2, 1)


def test_messages_rejects_are_reported_beside_the_reach_out_counts(write, load):
    ros = write("reach_outs.csv", REACH_OUTS)
    msgs = write("messages.csv", """
        Message ID,Reach Out ID,Opened At
        m1,,2026-11-16T10:00:00Z
        m2,r2,yesterday
        m3,r3,2026-11-16T10:00:00Z
        """)
    loaded = load(ros, messages=msgs)
    r = loaded.report
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 3, 0)
    assert (r.messages.rows_read, r.messages.rows_loaded, r.messages.rows_rejected) == (3, 1, 2)
    assert r.rejects[["file", "line", "column", "reason"]].values.tolist() == [
        [str(msgs), 2, "Reach Out ID", "missing reach out id"],
        [str(msgs), 3, "Opened At", "unparseable date 'yesterday'"]]
    assert loaded.table["opened"].tolist() == [False, False, True]


def test_messages_and_the_reach_out_flag_are_combined(write, load):
    ros = write("reach_outs.csv", """
        Reach Out ID,State,Created,Opened
        r1,3,2026-11-16T09:00:00Z,yes
        r2,3,2026-11-16T09:00:00Z,no
        r3,3,2026-11-16T09:00:00Z,no
        """)
    msgs = write("messages.csv", "Message ID,Reach Out ID,Opened At\nm1,r2,2026-11-16T10:00:00Z\n")
    loaded = load(ros, messages=msgs)
    assert loaded.table["opened"].tolist() == [True, True, False]
    assert loaded.report.opens_source == "reach-out export + messages export"


def test_messages_export_without_open_information_is_an_error(write, load):
    ros = write("reach_outs.csv", REACH_OUTS)
    msgs = write("messages.csv", "Message ID,Reach Out ID,Subject\nm1,r1,Hi\n")
    with pytest.raises(MissingColumnError) as err:
        load(ros, messages=msgs)
    assert str(err.value) == (f"{msgs}: messages export has no open information: need 'Opened At' or 'Opened' "
                              "(headers found: 'Message ID', 'Reach Out ID', 'Subject')")


# ----------------------------------------------------------------------------------------------- created_at


def test_created_at_with_offset_keeps_the_instant_whatever_the_source_tz(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created
        z,0,2026-11-16T09:00:00Z
        plus,0,2026-11-16T09:00:00+02:00
        minus,0,2026-11-16 09:00:00 -0500
        """)
    expected = stamps("2026-11-16T09:00:00Z", "2026-11-16T07:00:00Z", "2026-11-16T14:00:00Z")
    assert load(path).table["created_at"].tolist() == expected
    assert load(path, source_tz="Asia/Tokyo").table["created_at"].tolist() == expected


@pytest.mark.parametrize(("value", "instant"), [
    ("2026-11-16T10:00:00.5+01:00", "2026-11-16T09:00:00.5Z"),
    ("2026-11-16T10+02:00", "2026-11-16T08:00:00Z"),
    ("2026-11-16T1000+0200", "2026-11-16T08:00:00Z"),
    ("20261116T100000Z", "2026-11-16T10:00:00Z"),
    ("2026-11-16 10:00 UTC", "2026-11-16T10:00:00Z"),
    ("Mon, 16 Nov 2026 10:00:00 GMT", "2026-11-16T10:00:00Z"),
    ("Nov 16 2026 5pm +0200", "2026-11-16T15:00:00Z"),
])
def test_offset_spellings_keep_their_instant_beside_naive_values(write, load, value, instant):
    path = write("e.csv", f'Reach Out ID,State,Created\na,0,"{value}"\nb,0,2026-11-16 10:00\n')
    t = load(path, source_tz="Europe/Berlin").table
    assert t["created_at"].tolist() == stamps(instant, "2026-11-16T09:00:00Z")


def test_naive_created_at_is_utc_by_default(write, load):
    path = write("e.csv", "Reach Out ID,State,Created\na,0,2026-11-16 09:00:00\nb,0,2026-11-16\n")
    assert load(path).table["created_at"].tolist() == stamps("2026-11-16T09:00:00Z", "2026-11-16T00:00:00Z")


def test_naive_created_at_read_in_source_tz_across_the_spring_dst_change(write, load):
    # Europe/Berlin switched from UTC+1 to UTC+2 at 02:00 local on 2026-03-29
    path = write("e.csv", """
        Reach Out ID,State,Created
        before,0,2026-03-29 00:30:00
        early,0,2026-03-29 01:30:00
        after,0,2026-03-29 03:30:00
        summer,0,2026-07-01 12:00:00
        winter,0,2026-01-15 12:00:00
        """)
    t = load(path, source_tz="Europe/Berlin").table
    assert t["created_at"].tolist() == stamps("2026-03-28T23:30:00Z", "2026-03-29T00:30:00Z",
                                              "2026-03-29T01:30:00Z", "2026-07-01T10:00:00Z",
                                              "2026-01-15T11:00:00Z")
    # 00:30 Berlin on the DST day is 23:30 UTC the day before: the report zone decides the day
    assert campaign_stats(t, "2026-03-29", "2026-03-29", "Europe/Berlin").loc[0, "reach_outs"] == 3
    assert campaign_stats(t, "2026-03-29", "2026-03-29", "UTC").loc[0, "reach_outs"] == 2


def test_naive_time_repeated_when_clocks_go_back_is_rejected_not_guessed(write, load):
    # 2026-10-25 02:30 happened twice in Berlin (CEST, then CET): which instant is unknowable
    path = write("e.csv", """
        Reach Out ID,State,Created
        a,0,2026-10-25 01:30:00
        b,0,2026-10-25 02:30:00
        c,0,2026-10-25 03:30:00
        """)
    loaded = load(path, source_tz="Europe/Berlin")
    assert loaded.table["created_at"].tolist() == stamps("2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z")
    assert loaded.report.rejects[["line", "column", "reason"]].values.tolist() == [
        [3, "Created", "ambiguous local time in Europe/Berlin (clocks went back) '2026-10-25 02:30:00'"]]


def test_date_without_year_or_day_is_rejected_not_guessed(write, load):
    # a free-form parser would read "16 Nov" as 16 Nov of year 1 and "10:30" as today
    path = write("e.csv", """
        Reach Out ID,State,Created
        a,0,16 Nov
        b,0,10:30
        c,0,Nov 16 2026 5pm
        """)
    loaded = load(path)
    assert loaded.table["created_at"].tolist() == stamps("2026-11-16T17:00:00Z")
    assert loaded.report.rejects["reason"].tolist() == ["unparseable date '16 Nov'", "unparseable date '10:30'"]


def test_free_form_dates_keep_their_zone_and_read_the_others_in_source_tz(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created
        a,0,16/11/2026 10:00 +0200
        b,0,16/11/2026 10:00
        c,0,16-11-2026
        d,0,16/11/2026 10:00 UTC
        """)
    t = load(path, source_tz="Europe/Berlin", dayfirst=True).table
    assert t["created_at"].tolist() == stamps("2026-11-16T08:00:00Z", "2026-11-16T09:00:00Z",
                                              "2026-11-15T23:00:00Z", "2026-11-16T10:00:00Z")


def test_slashed_dates_are_month_first_unless_dayfirst(write, load):
    path = write("e.csv", "Reach Out ID,State,Created\na,0,03/04/2026\n")
    assert load(path).table["created_at"].tolist() == stamps("2026-03-04T00:00:00Z")
    assert load(path, dayfirst=True).table["created_at"].tolist() == stamps("2026-04-03T00:00:00Z")


def test_unknown_source_tz_is_a_usage_error(write, load):
    path = write("e.csv", "Reach Out ID,State,Created\na,0,2026-11-16\n")
    with pytest.raises(UsageError, match=r"source_tz 'Mars/Olympus': unknown time zone"):
        load(path, source_tz="Mars/Olympus")


# ----------------------------------------------------------------------------------------------- duplicates


def test_duplicates_latest_updated_at_wins(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created,Updated At
        r1,2,2026-11-16T09:00:00Z,2026-11-18T09:00:00Z
        r2,0,2026-11-16T09:00:00Z,2026-11-16T09:00:00Z
        r1,0,2026-11-16T09:00:00Z,2026-11-16T09:00:00Z
        r1,3,2026-11-16T09:00:00Z,
        """)
    loaded = load(path)
    t = loaded.table.set_index("reach_out_id")
    assert t.loc["r1", "state"] == 2  # the newest update, although it came first; unknown updated_at is oldest
    assert loaded.report.duplicates_collapsed == 2
    assert (loaded.report.rows_read, loaded.report.rows_loaded) == (4, 2)


def test_duplicates_without_updated_at_the_last_row_wins(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created
        r1,0,2026-11-16T09:00:00Z
        r1,2,2026-11-16T09:00:00Z
        r2,0,2026-11-16T09:00:00Z
        r1,3,2026-11-16T09:00:00Z
        """)
    loaded = load(path)
    assert loaded.table.set_index("reach_out_id").loc["r1", "state"] == 3
    assert loaded.report.duplicates_collapsed == 2


def test_duplicates_across_two_files(write, load):
    old = write("a.csv", """
        Reach Out ID,State,Created
        r1,0,2026-11-16T09:00:00Z
        r2,0,2026-11-16T09:00:00Z
        """)
    new = write("b.csv", """
        Reach Out ID,State,Created
        r1,2,2026-11-16T09:00:00Z
        """)
    loaded = load([old, new])
    assert loaded.table.set_index("reach_out_id")["state"].to_dict() == {"r1": 2, "r2": 0}
    assert (loaded.report.rows_read, loaded.report.rows_loaded, loaded.report.duplicates_collapsed) == (3, 2, 1)
    # the file order decides only without updated_at
    assert load([new, old]).table.set_index("reach_out_id").loc["r1", "state"] == 0


def test_duplicates_across_files_decided_by_updated_at_not_file_order(write, load):
    newer = write("a.csv", "Reach Out ID,State,Created,Updated\nr1,2,2026-11-16T09:00:00Z,2026-11-20T09:00:00Z\n")
    older = write("b.csv", "Reach Out ID,State,Created,Updated\nr1,0,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z\n")
    assert load([newer, older]).table["state"].tolist() == [2]
    assert load([older, newer]).table["state"].tolist() == [2]


def test_a_rejected_row_is_not_a_duplicate(write, load):
    path = write("e.csv", """
        Reach Out ID,State,Created
        r1,2,2026-11-16T09:00:00Z
        r1,Lost,2026-11-16T09:00:00Z
        """)
    r = load(path).report
    assert (r.rows_read, r.rows_loaded, r.rows_rejected, r.duplicates_collapsed) == (2, 1, 1, 0)


# ----------------------------------------------------------------------------------------------- rejects


BAD = """
    Reach Out ID,Campaign,State,Created At
    r1,A,2,2026-11-16T09:00:00Z
    r2,A,Bogus,2026-11-16T09:00:00Z
    r3,A,3,16th of Nov
    ,A,3,2026-11-16T09:00:00Z
    r5,A,Bogus,never
    r6,A,3,
    """


def test_rejects_give_file_line_column_and_reason(write, load):
    path = write("e.csv", BAD)
    loaded = load(path)
    assert loaded.table["reach_out_id"].tolist() == ["r1"]
    assert loaded.report.rejects[["file", "line", "column", "reason"]].values.tolist() == [
        [str(path), 3, "State", "unknown state 'Bogus'"],
        [str(path), 4, "Created At", "unparseable date '16th of Nov'"],
        [str(path), 5, "Reach Out ID", "missing reach out id"],
        [str(path), 6, "State", "unknown state 'Bogus'"],  # the first problem of a row is its reason
        [str(path), 7, "Created At", "missing created date"],
    ]
    r = loaded.report
    assert (r.rows_read, r.rows_loaded, r.rows_rejected, r.duplicates_collapsed) == (6, 1, 5, 0)
    assert r.reject_summary() == {"State: unknown state": 2, "Created At: unparseable date": 1,
                                  "Reach Out ID: missing reach out id": 1, "Created At: missing created date": 1}


def test_rejects_keep_the_raw_values(write, load):
    rejects = load(write("e.csv", BAD)).report.rejects
    assert rejects.loc[0, ["raw:Reach Out ID", "raw:Campaign", "raw:State", "raw:Created At"]].tolist() == [
        "r2", "A", "Bogus", "2026-11-16T09:00:00Z"]


def test_unparseable_updated_at_is_rejected(write, load):
    path = write("e.csv", "Reach Out ID,State,Created,Updated At\nr1,2,2026-11-16T09:00:00Z,soon\n")
    assert load(path).report.rejects[["line", "column", "reason"]].values.tolist() == [
        [2, "Updated At", "unparseable date 'soon'"]]


def test_strict_fails_on_the_first_reject(write, load):
    path = write("e.csv", BAD)
    with pytest.raises(InputError) as err:
        load(path, strict=True)
    assert str(err.value) == f"{path}:3: column 'State': unknown state 'Bogus' (5 row(s) rejected; --strict)"


def test_strict_passes_a_clean_file(write, load):
    path = write("e.csv", "Reach Out ID,State,Created\nr1,2,2026-11-16T09:00:00Z\n")
    assert load(path, strict=True).report.rows_loaded == 1
