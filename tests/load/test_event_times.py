"""Event times: Responded At / First Sent At / First Opened At columns, the messages' Step, Sent At and Opened At,
and the response time taken from Updated At (issue 13). Every expected value is worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from talentstats.load.loader import read_reach_outs
from talentstats.load.options import LoadOptions

HEAD = "Reach Out ID,Campaign,Sender,State,Created At,Updated At,Response Via,Responded At\n"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def ts(text):
    return pd.Timestamp(text, tz="UTC")


def test_responded_at_column_and_the_updated_at_fallback(tmp_path):
    export = _write(tmp_path / "r.csv", HEAD + "".join([
        "a,C,s,2,2026-11-16T09:00:00Z,2026-11-18T12:00:00Z,Email,2026-11-17T08:00:00Z\n",  # own time
        "b,C,s,2,2026-11-16T09:00:00Z,2026-11-18T12:00:00Z,,\n",  # state 2, no time: Updated At
        "c,C,s,0,2026-11-16T09:00:00Z,2026-11-18T12:00:00Z,Email,\n",  # responded, state 0: unknown
        "d,C,s,0,2026-11-16T09:00:00Z,2026-11-18T12:00:00Z,,\n",  # not responded
        "e,C,s,2,2026-11-16T09:00:00Z,2026-11-15T12:00:00Z,,\n",  # Updated At before creation: unknown
    ]))
    loaded = read_reach_outs(export)
    t = loaded.table.set_index("reach_out_id")["responded_at"]
    assert t["a"] == ts("2026-11-17T08:00:00Z")
    assert t["b"] == ts("2026-11-18T12:00:00Z")
    assert t[["c", "d", "e"]].isna().all()
    assert loaded.report.responded_at_from_updated_at == 1  # b only
    assert loaded.report.as_dict()["responded_at_from_updated_at"] == 1


def test_a_response_before_creation_is_rejected_with_file_line_and_column(tmp_path):
    export = _write(tmp_path / "r.csv", HEAD + "".join([
        "a,C,s,2,2026-11-16T09:00:00Z,,Email,2026-11-15T08:00:00Z\n",
        "b,C,s,2,2026-11-16T09:00:00Z,,Email,2026-11-16T09:00:00Z\n",  # the same instant is fine
        "c,C,s,2,2026-11-16T09:00:00Z,,Email,not a date\n",
    ]))
    loaded = read_reach_outs(export)
    assert list(loaded.table["reach_out_id"]) == ["b"]
    rej = loaded.report.rejects
    assert list(rej["line"]) == [2, 4]
    assert list(rej["column"]) == ["Responded At", "Responded At"]
    assert rej["reason"].iloc[0] == "responded before created '2026-11-15T08:00:00Z'"
    assert rej["reason"].iloc[1] == "unparseable date 'not a date'"


def test_messages_give_first_send_first_open_steps_and_the_message_table(tmp_path):
    export = _write(tmp_path / "r.csv", HEAD + "".join([
        "a,C,s,0,2026-11-16T09:00:00Z,,,\n",
        "b,C,s,0,2026-11-16T09:00:00Z,,,\n",
        "c,C,s,0,2026-11-16T09:00:00Z,,,\n",
    ]))
    msgs = _write(tmp_path / "m.csv", "Message ID,Reach Out ID,Step,Sent At,Opened At\n" + "".join([
        "m1,a,1,2026-11-16T10:00:00Z,2026-11-18T10:00:00Z\n",
        "m2,a,2,2026-11-19T10:00:00Z,2026-11-19T11:00:00Z\n",
        "m2,a,2,2026-11-19T10:00:00Z,2026-11-19T10:30:00Z\n",  # a copy of m2 with an earlier open
        "m3,a,Step 3,,\n",  # not sent yet
        "m4,b,1,2026-11-16T10:00:00Z,2026-11-15T10:00:00Z\n",  # opened before b was created: time dropped
        "m5,x,1,2026-11-16T10:00:00Z,\n",  # a reach out not in the export
    ]))
    loaded = read_reach_outs(export, messages=msgs)
    t = loaded.table.set_index("reach_out_id")
    assert t.loc["a", "first_sent_at"] == ts("2026-11-16T10:00:00Z")
    assert t.loc["a", "first_opened_at"] == ts("2026-11-18T10:00:00Z")
    assert t.loc["b", "first_sent_at"] == ts("2026-11-16T10:00:00Z")
    assert pd.isna(t.loc["b", "first_opened_at"]) and bool(t.loc["b", "opened"])  # opened; when: unknown
    assert pd.isna(t.loc["c", "first_sent_at"]) and not bool(t.loc["c", "opened"])
    m = loaded.report.messages
    assert (m.rows_read, m.rows_loaded, m.duplicates_collapsed, m.unmatched_messages) == (6, 5, 1, 1)
    assert m.open_times_before_creation == 1
    events = loaded.messages.to_pandas().sort_values(["reach_out_id", "step"]).reset_index(drop=True)
    assert list(events["reach_out_id"]) == ["a", "a", "a", "b"]  # x's message left out, m2 once
    assert list(events["step"]) == [1, 2, 3, 1]
    assert events.loc[1, "opened_at"] == ts("2026-11-19T10:30:00Z")  # the earliest copy's open
    assert pd.isna(events.loc[2, "sent_at"])


def test_an_unreadable_step_or_send_time_is_a_reject(tmp_path):
    export = _write(tmp_path / "r.csv", HEAD + "a,C,s,0,2026-11-16T09:00:00Z,,,\n")
    msgs = _write(tmp_path / "m.csv", "Reach Out ID,Step,Sent At,Opened At\n"
                  "a,one,2026-11-16T10:00:00Z,\na,2,yesterday,\na,2,2026-11-20T10:00:00Z,\n")
    loaded = read_reach_outs(export, messages=msgs)
    rej = loaded.report.rejects
    assert list(rej["line"]) == [2, 3]
    assert list(rej["reason"]) == ["unreadable step 'one'", "unparseable date 'yesterday'"]
    assert loaded.table["first_sent_at"].iloc[0] == ts("2026-11-20T10:00:00Z")


@pytest.mark.parametrize("header", ["First Opened At", "Opened At"])
def test_a_reach_out_open_time_column_is_the_first_open(tmp_path, header):
    export = _write(tmp_path / "r.csv", f"Reach Out ID,State,Created At,{header}\n"
                    "a,0,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z\nb,0,2026-11-16T09:00:00Z,\n"
                    "c,0,2026-11-16T09:00:00Z,2026-11-10T09:00:00Z\n")
    loaded = read_reach_outs(export)
    t = loaded.table.set_index("reach_out_id")
    assert t.loc["a", "first_opened_at"] == ts("2026-11-17T09:00:00Z") and bool(t.loc["a", "opened"])
    assert pd.isna(t.loc["b", "first_opened_at"]) and not bool(t.loc["b", "opened"])
    assert list(loaded.report.rejects["reason"]) == ["opened before created '2026-11-10T09:00:00Z'"]


def test_a_last_opened_column_says_whether_not_when_first(tmp_path):
    export = _write(tmp_path / "r.csv", "Reach Out ID,State,Created At,Last Opened At\n"
                    "a,0,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z\n")
    t = read_reach_outs(export).table
    assert bool(t["opened"].iloc[0]) and pd.isna(t["first_opened_at"].iloc[0])


def test_ingest_keeps_stored_event_times_when_a_later_export_has_none(tmp_path):
    from talentstats.dataset.write import ingest

    export = _write(tmp_path / "r.csv", HEAD + "a,C,s,0,2026-11-16T09:00:00Z,2026-11-16T09:00:00Z,,\n")
    msgs = _write(tmp_path / "m.csv", "Reach Out ID,Step,Sent At,Opened At\n"
                  "a,1,2026-11-16T10:00:00Z,2026-11-17T10:00:00Z\n")
    ingest([export], tmp_path / "ds", LoadOptions(messages=[msgs]))
    later = _write(tmp_path / "r2.csv", HEAD + "a,C,s,2,2026-11-16T09:00:00Z,2026-11-18T09:00:00Z,Email,"
                   "2026-11-18T08:00:00Z\n")
    ingest([later], tmp_path / "ds", LoadOptions())
    t = read_reach_outs(tmp_path / "ds").table.iloc[0]
    assert (t["first_sent_at"], t["first_opened_at"], t["responded_at"]) == (
        ts("2026-11-16T10:00:00Z"), ts("2026-11-17T10:00:00Z"), ts("2026-11-18T08:00:00Z"))
    assert bool(t["opened"]) and t["state"] == 2
