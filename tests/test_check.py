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
        "responded_without_open": 1, "future": 1, "stale_campaigns": 1, "unmatched_messages": None,
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
    ("all", 1, [k for k in KINDS if k not in ("unmatched_messages", "unreadable", "merged_spellings")]),
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
