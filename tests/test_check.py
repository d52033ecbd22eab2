"""`talentstats check`: every finding on a hand-built export, --fail-on exit codes, the sample data, the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from talentstats.check import KINDS

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
NOW = "2026-11-27T12:00:00Z"

EXPORT = """
    Reach Out ID,Campaign,State,Created At,Updated At,Response Via,Response Type,Opened
    r1,Alpha,2,2026-11-20T09:00:00Z,2026-11-21T09:00:00Z,Email,Interested,yes
    r2,Alpha,3,2026-11-20T10:00:00Z,,,Interested,yes
    r3,Alpha,Lost,2026-11-20T11:00:00Z,,,,no
    r4,Beta,2,2026-10-01T09:00:00Z,,Email,Not Interested,no
    r1,Alpha,2,2026-11-20T09:00:00Z,2026-11-20T09:00:00Z,Email,Interested,yes
    R1,Alpha,0,2026-11-22T09:00:00Z,,,,no
    r5,Alpha,0,2026-12-24T09:00:00Z,,,,no
    r6,Gamma,3,2026-10-30T09:00:00Z,,,,no
    """


@pytest.fixture
def export(write) -> Path:
    return write("export.csv", EXPORT)


def findings(out: str) -> dict[str, dict]:
    doc = json.loads(out)
    assert [f["kind"] for f in doc["findings"]] == list(KINDS)
    return {f["kind"]: f for f in doc["findings"]}


def test_every_finding_on_a_hand_built_export(cli, export):
    code, out, err = cli("check", export, "--format", "json", "--now", NOW)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    f = findings(out)
    # r1 (state 2, no response time) takes its Updated At as its response time
    assert doc["load"] == {"rows_read": 8, "rows_loaded": 6, "rows_rejected": 1, "duplicates_collapsed": 1,
                           "responded_at_from_updated_at": 1}
    assert {k: v["count"] for k, v in f.items()} == {
        "unreadable": 0, "rejected": 1, "duplicates": 1, "case_ids": 1, "interested_not_responded": 1,
        "responded_without_open": 1, "future": 1, "contradicting_events": None, "stale_campaigns": 1,
        "unmatched_messages": None,
        "merged_spellings": 0}
    assert f["rejected"]["items"] == [{"file": str(export), "line": 4, "column": "State",
                                       "reason": "unknown state 'Lost'"}]
    assert f["duplicates"]["items"] == [{"reach_out_id": "r1", "rows": 2, "where": ["export.csv:2", "export.csv:6"]}]
    assert f["case_ids"]["items"] == [{"reach_out_ids": ["r1", "R1"]}]
    assert [i["reach_out_id"] for i in f["interested_not_responded"]["items"]] == ["r2"]
    assert [i["reach_out_id"] for i in f["responded_without_open"]["items"]] == ["r4"]
    assert f["future"]["items"] == [{"reach_out_id": "r5", "campaign": "Alpha", "state": "In Progress",
                                     "created": "2026-12-24 09:00"}]
    # as of the newest past creation (2026-11-22, not r5's 2026-12-24): Beta's last reach out is older than
    # the 4 weeks 2026-10-26 .. 2026-11-22, Gamma's (2026-10-30) is inside them
    assert doc["as_of"] == "2026-11-22"
    assert f["stale_campaigns"]["items"] == [{"campaign": "Beta", "last_created": "2026-10-01", "reach_outs": 1}]
    assert doc["failed"] == []


@pytest.mark.parametrize("fail_on,code,failed", [
    ("rejected", 1, ["rejected"]),
    ("future,stale-campaigns", 1, ["future", "stale_campaigns"]),
    ("unmatched_messages", 0, []),  # not checked (no messages export): nothing to fail on
    ("all", 1, [k for k in KINDS if k not in ("unmatched_messages", "unreadable", "merged_spellings",
                                              "contradicting_events")]),
])
def test_fail_on_exit_codes(cli, export, fail_on, code, failed):
    got, out, err = cli("check", export, "--format", "json", "--now", NOW, "--fail-on", fail_on)
    assert (got, err) == (code, "")
    assert json.loads(out)["failed"] == failed


def test_fail_on_absent_kind_passes(cli, write):
    clean = write("clean.csv", """
        Reach Out ID,Campaign,State,Created At
        r1,Alpha,3,2026-11-20T09:00:00Z
        """)
    code, out, _ = cli("check", clean, "--now", NOW, "--fail-on", "all")
    assert code == 0
    assert out.rstrip().endswith("passed: no " + ", ".join(KINDS) + " findings")


def test_unknown_fail_on_kind_is_a_usage_error(cli, export):
    code, out, err = cli("check", export, "--fail-on", "rejects")
    assert code == 2 and out == ""
    assert err == ("talentstats: error: --fail-on 'rejects': choose from " + ", ".join(KINDS) + " or all\n")


def test_bad_input_exits_2_with_one_line(cli):
    path = CORPUS / "text_unbalanced_quote.csv"
    code, out, err = cli("check", path)
    assert code == 2 and out == ""
    assert err.startswith(f"talentstats: error: {path}:3: column 'Campaign': ") and err.count("\n") == 1


def test_table_output_is_readable(cli, export):
    code, out, _ = cli("check", export, "--now", NOW, "--fail-on", "rejected")
    assert code == 1
    assert "8 rows read: 6 reach outs loaded, 1 rejected, 1 duplicate rows collapsed" in out
    assert "  !! Rejected rows " in out and "<- fails (--fail-on)" in out
    assert f"  {export}:4: column 'State': unknown state 'Lost'" in out
    assert "  r1: 2 rows (export.csv:2, export.csv:6)" in out
    assert "  Beta: last reach out created 2026-10-01 (1 in all)" in out
    assert "  -- Messages without their reach out " in out
    assert out.rstrip().endswith("FAILED: rejected (--fail-on)")


def test_limit_lists_fewer_items(cli, write):
    rows = "".join(f"r{i},Alpha,Lost,2026-11-20T09:00:00Z\n" for i in range(5))
    path = write("bad.csv", "Reach Out ID,Campaign,State,Created At\n" + rows)
    code, out, _ = cli("check", path, "--now", NOW, "--limit", "2")
    assert code == 0
    assert "  ... and 3 more (--limit N to show more)" in out
    f = findings(cli("check", path, "--now", NOW, "--limit", "2", "--format", "json")[1])
    assert len(f["rejected"]["items"]) == 2 and f["rejected"]["more_items"] == 3


def test_sample_data(cli):
    code, out, err = cli("check", ROOT / "sample_data", "--format", "json", "--now", NOW, "--fail-on",
                         "rejected,future,unmatched_messages")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    f = findings(out)
    assert doc["messages_files"] == [str(ROOT / "sample_data" / "messages.csv")]
    assert doc["as_of"] == "2026-11-22"
    assert f["rejected"]["count"] == 0 and f["future"]["count"] == 0 and f["unmatched_messages"]["count"] == 0
    assert f["duplicates"]["count"] == 50  # the sample's 50 stale duplicates (sample_data/README.md)
    assert f["interested_not_responded"]["count"] > 0 and f["responded_without_open"]["count"] > 0


def test_corpus_files_through_check(cli):
    files = [CORPUS / n for n in ("text_quoted_newlines.csv", "text_blank_lines.csv", "values_future_and_old.csv",
                                  "excel_trailing_empty.xlsx", "json_blank_lines.jsonl")]
    code, out, err = cli("check", *files, "--format", "json", "--now", NOW, "--limit", "50")
    assert (code, err) == (0, "")
    f = findings(out)
    where = [(Path(i["file"]).name, i["line"], i["reason"]) for i in f["rejected"]["items"]]
    assert where == [
        ("text_quoted_newlines.csv", 8, "unknown state 'Lost'"),
        ("text_quoted_newlines.csv", 9, "unparseable date 'not a date'"),
        ("text_blank_lines.csv", 6, "unknown state 'Lost'"),
        ("text_blank_lines.csv", 7, "empty row"),
        ("values_future_and_old.csv", 4, "created before 2000 '1999-12-31T23:59:59Z'"),
        ("values_future_and_old.csv", 5, "created before 2000 '1970-01-01T00:00:00Z'"),
        ("values_future_and_old.csv", 6, "created before 2000 '0001-01-01'"),
        ("excel_trailing_empty.xlsx", 5, "unknown state 'Lost'"),
        ("json_blank_lines.jsonl", 3, "unknown state 'Lost'"),
    ]
    # ids repeat across these files (the last copy wins); alone, the 2099 row is in the future
    f = findings(cli("check", CORPUS / "values_future_and_old.csv", "--format", "json", "--now", NOW)[1])
    assert [(i["reach_out_id"], i["created"]) for i in f["future"]["items"]] == [("r2", "2099-01-01 00:00")]


def test_corpus_folder_lists_every_unreadable_file_and_checks_the_rest(cli):
    code, out, err = cli("check", CORPUS, "--format", "json", "--now", NOW, "--limit", "100")
    assert code == 2  # bad input, though every readable file was checked
    assert err.startswith("talentstats: error: 13 file(s) could not be read; the first: ") and err.count("\n") == 1
    f = findings(out)
    unreadable = {Path(i["file"]).name: i["error"] for i in f["unreadable"]["items"]}
    assert sorted(unreadable) == [
        "enc_mixed_utf8_cp1252.csv", "enc_utf16_unicode_text.txt", "json_bad_line.jsonl", "json_truncated.jsonl",
        "size_blank_lines_only.csv", "size_empty.csv", "size_empty.jsonl", "size_empty.xlsx",
        "text_extra_field.csv", "text_truncated.csv.gz", "text_truncated_last_line.csv",
        "text_unbalanced_quote.csv", "values_day_first_only.csv"]
    assert unreadable["text_unbalanced_quote.csv"] == (
        f"{CORPUS / 'text_unbalanced_quote.csv'}:3: column 'Campaign': a quote opened in this value is never "
        f"closed, so lines 3-4 run together (unbalanced quote)")
    assert f["rejected"]["count"] == 21 and len(json.loads(out)["files"]) == 24


SPELLINGS = (
    "Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type\n"
    "1,Sales,a,2,2026-11-16T09:00:00Z,Email,Interested (👍)\n"
    "2,Sales ,a,2,2026-11-16T09:00:00Z,Email,Interested\n"
    "3,Sales\u00a0,a,2,2026-11-16T09:00:00Z,Email,👍\n"
    "4,Sales,a,2,2026-11-16T09:00:00Z,\"  \",\n"
    "5,Cafe\u0301,\u200ba,2,2026-11-16T09:00:00Z,,\n"
    "6,Café,a,2,2026-11-16T09:00:00Z,,\n"
)


def test_merged_spellings_are_listed_with_counts_and_first_lines(cli, tmp_path):
    path = tmp_path / "spellings.csv"
    path.write_text(SPELLINGS, encoding="utf-8")
    code, out, err = cli("check", path, "--format", "json", "--now", NOW, "--fail-on", "merged_spellings")
    assert (code, err) == (1, "")
    f = findings(out)["merged_spellings"]
    assert f["count"] == 4
    got = {(i["column"], i["value"]): [(s["raw"], s["rows"], s["first"]) for s in i["spellings"]] for i in f["items"]}
    assert got == {
        ("campaign", "Café"): [("Cafe\u0301", 1, "spellings.csv:6"), ("Café", 1, "spellings.csv:7")],
        ("campaign", "Sales"): [("Sales", 2, "spellings.csv:2"), ("Sales ", 1, "spellings.csv:3"),
                                ("Sales\u00a0", 1, "spellings.csv:4")],
        ("response_type", "Interested"): [("Interested (👍)", 1, "spellings.csv:2"),
                                          ("Interested", 1, "spellings.csv:3"), ("👍", 1, "spellings.csv:4")],
        ("sender", "a"): [("a", 5, "spellings.csv:2"), ("\u200ba", 1, "spellings.csv:6")],
    }
    code, out, err = cli("check", path, "--now", NOW)
    assert '"Sales" (2, spellings.csv:2) / "Sales " (1, spellings.csv:3) / "Sales\\u00a0" (1, spellings.csv:4)' \
        ' -> "Sales"' in out


# Events out of order (times UTC). Each reach out is created 2026-11-16 09:00.
#   e1  clean: step 1 sent 10:00 and opened 11:00 (an open at the send instant and a step sent at the reply
#       instant are not contradictions: e6)
#   e2  step 1 sent 10:00, opened 09:30: the message is opened before it was sent, and so the first open (09:30)
#       is before the first send (10:00)
#   e3  replied 09:30, step 1 sent 10:00: replied before the first send, and a step sent after the reply
#   e4  replied 11-18 09:00; step 1 sent 11-16 10:00, step 2 sent 11-20 10:00: a step sent after the reply
#   e5  step 1 sent 07:00 (before creation), opened 08:00 (before creation: the loader drops the open time, so
#       no first open is compared with the first send)
#   e6  replied 11-18 10:00 = step 2's send; step 1 sent and opened at 10:00: nothing out of order
EVENTS = """
    Reach Out ID,Campaign,State,Created At,Responded At,Response Via
    e1,Alpha,3,2026-11-16T09:00:00Z,,
    e2,Alpha,3,2026-11-16T09:00:00Z,,
    e3,Alpha,2,2026-11-16T09:00:00Z,2026-11-16T09:30:00Z,Email
    e4,Beta,2,2026-11-16T09:00:00Z,2026-11-18T09:00:00Z,Email
    e5,Beta,3,2026-11-16T09:00:00Z,,
    e6,Beta,2,2026-11-16T09:00:00Z,2026-11-18T10:00:00Z,Email
    """
EVENT_MESSAGES = """
    Message ID,Reach Out ID,Step,Sent At,Opened At
    m1,e1,1,2026-11-16T10:00:00Z,2026-11-16T11:00:00Z
    m2,e2,1,2026-11-16T10:00:00Z,2026-11-16T09:30:00Z
    m3,e3,1,2026-11-16T10:00:00Z,
    m4,e4,1,2026-11-16T10:00:00Z,
    m5,e4,2,2026-11-20T10:00:00Z,
    m6,e5,1,2026-11-16T07:00:00Z,2026-11-16T08:00:00Z
    m7,e6,1,2026-11-16T10:00:00Z,2026-11-16T10:00:00Z
    m8,e6,2,2026-11-18T10:00:00Z,
    """


def test_contradicting_events_hand_computed(cli, write):
    export, messages = write("events.csv", EVENTS), write("messages.csv", EVENT_MESSAGES)
    code, out, err = cli("check", export, "--messages", messages, "--format", "json", "--now", NOW,
                         "--tz", "Europe/Berlin", "--fail-on", "contradicting_events")
    assert (code, err) == (1, "")
    doc = json.loads(out)
    assert doc["load"]["messages"]["open_times_before_creation"] == 1  # e5's open at 08:00
    f = findings(out)["contradicting_events"]
    assert f["count"] == 4 and f["more_items"] == 0
    got = {i["reach_out_id"]: (i["campaign"], i["contradictions"]) for i in f["items"]}
    assert got == {
        "e2": ("Alpha", ["opened_before_first_send", "message_opened_before_sent"]),
        "e3": ("Alpha", ["replied_before_first_send", "step_sent_after_reply"]),
        "e4": ("Beta", ["step_sent_after_reply"]),
        "e5": ("Beta", ["sent_before_created", "opened_before_created"]),
    }
    # times in the --tz given (Berlin is UTC+1 in November); e5's open time was dropped
    assert f["items"][0]["times"] == {"created": "2026-11-16 10:00", "first_sent": "2026-11-16 11:00",
                                      "first_opened": "2026-11-16 10:30", "responded": None}
    assert f["items"][3]["times"]["first_opened"] is None
    assert f["summary"] == (
        "4 reach out(s) have event times that contradict each other: opened before its first send (1); replied "
        "before its first send (1); sent before it was created (1); a message opened before it was sent (1); a "
        "step sent after the reply (2); a message opened before the reach out was created (open time dropped) "
        "(1). The loader dropped 1 open time(s) before creation (the opens are kept).")
    code, out, _ = cli("check", export, "--messages", messages, "--now", NOW, "--limit", "1")
    assert "  e2: opened before its first send; a message opened before it was sent (created 2026-11-16 09:00, " \
        "first sent 2026-11-16 10:00, first opened 2026-11-16 09:30)" in out
    assert "  ... and 3 more (--limit N to show more)" in out


def test_contradicting_events_without_messages(cli, write):
    # no send times at all: not checked; a First Sent At column is enough for the reach-out level reasons
    code, out, _ = cli("check", write("events.csv", EVENTS), "--format", "json", "--now", NOW)
    assert findings(out)["contradicting_events"]["count"] is None
    sent = write("sent.csv", """
        Reach Out ID,Campaign,State,Created At,First Sent At,Responded At,Response Via
        s1,Alpha,2,2026-11-16T09:00:00Z,2026-11-16T10:00:00Z,2026-11-16T09:30:00Z,Email
        s2,Alpha,2,2026-11-16T09:00:00Z,2026-11-16T08:00:00Z,2026-11-17T09:00:00Z,Email
        s3,Alpha,2,2026-11-16T09:00:00Z,2026-11-16T10:00:00Z,2026-11-17T09:00:00Z,Email
        """)
    f = findings(cli("check", sent, "--format", "json", "--now", NOW)[1])["contradicting_events"]
    assert f["count"] == 2
    assert [(i["reach_out_id"], i["contradictions"]) for i in f["items"]] == [
        ("s1", ["replied_before_first_send"]), ("s2", ["sent_before_created"])]
