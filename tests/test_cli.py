"""`talentstats stats`: the output contract (json, csv, table), loading options, and bad input (exit 2, one line)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from talentstats.stats.metrics import METRICS

EXPORT = """
    Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type,Opened
    r1,Alpha,ann,2,2026-11-16T09:00:00Z,Email,👍,yes
    r2,Alpha,ann,3,2026-11-17T09:00:00Z,,,yes
    r3,Alpha,bob,0,2026-11-23T09:00:00Z,,,no
    r4,Beta,bob,1,2026-11-18T09:00:00Z,,,no
    r5,Beta,ann,0,2026-11-24T23:30:00Z,Manual,Not interested,no
    r6,Beta,bob,5,2026-11-10T09:00:00Z,,,yes
    """
RANGE = ("--start", "2026-11-16", "--end", "2026-11-29")
LOAD_OK = {"rows_read": 6, "rows_loaded": 6, "rows_rejected": 0, "duplicates_collapsed": 0}
# in range: r1..r5; responded r1 (state 2, via Email), r5 (via Manual); in progress r2, r3 (r4 bounced: 1 of 5)
# each rate has its 95 % Wilson interval beside it (checked against statsmodels' implementation)
RATE_PARTS = {"open_rate": ("opens", "reach_outs"), "response_rate": ("responses", "reach_outs"),
              "interested_rate": ("interested", "reach_outs"), "interested_of_responses": ("interested", "responses"),
              "bounce_rate": ("hard_bounced", "reach_outs")}


def with_ci(values: dict) -> dict:
    """``values`` with ``<rate>_low`` and ``<rate>_high`` after each rate (None where the rate is None)."""
    from statsmodels.stats.proportion import proportion_confint

    out = {}
    for name, value in values.items():
        out[name] = value
        if name in RATE_PARTS:
            num, den = (values[p] for p in RATE_PARTS[name])
            low, high = (None, None) if value is None else proportion_confint(num, den, method="wilson")
            out[f"{name}_low"], out[f"{name}_high"] = low, high
    return out


def same(got, want) -> bool:
    """Equal, the interval ends to 1e-12 (two implementations of one formula)."""
    if isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True))
    return list(got) == list(want) and all(
        got[k] == want[k] if not isinstance(want[k], float) else got[k] == pytest.approx(want[k], abs=1e-12)
        for k in want)


TOTAL = with_ci({"reach_outs": 5, "in_progress": 2, "opens": 2, "responses": 2, "interested": 1, "hard_bounced": 1,
                 "open_rate": 0.4, "response_rate": 0.4, "interested_rate": 0.2, "interested_of_responses": 0.5,
                 "bounce_rate": 0.2})


def metrics(reach_outs, in_progress, opens, responses, interested, open_rate, response_rate, interested_rate,
            interested_of_responses, hard_bounced=0) -> dict:
    values = {"reach_outs": reach_outs, "in_progress": in_progress, "opens": opens, "responses": responses,
              "interested": interested, "hard_bounced": hard_bounced, "open_rate": open_rate,
              "response_rate": response_rate, "interested_rate": interested_rate,
              "interested_of_responses": interested_of_responses,
              "bounce_rate": hard_bounced / reach_outs if reach_outs else None}
    assert list(values) == list(METRICS)
    return with_ci(values)


@pytest.fixture
def export(write):
    return write("export.csv", EXPORT)


def stats_json(cli, *args) -> dict:
    code, out, err = cli("stats", *args, "--format", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    load = doc["load"]
    assert load["rows_read"] == load["rows_loaded"] + load["rows_rejected"] + load["duplicates_collapsed"]
    return doc


def error_line(cli, *args) -> str:
    """Run a command that must fail on bad input: exit code 2 and exactly one line on stderr."""
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.rstrip("\n")


# ----------------------------------------------------------------------------------------------- json


def test_json_total_structure_and_numbers(cli, export):
    doc = stats_json(cli, export, *RANGE)
    assert list(doc) == ["start", "end", "tz", "rows", "total", "load"]
    assert (doc["start"], doc["end"], doc["tz"]) == ("2026-11-16", "2026-11-29", "UTC")
    assert same(doc["total"], TOTAL)
    assert [k for k in doc["total"] if not k.endswith(("_low", "_high"))] == list(METRICS)
    assert same(doc["rows"], [TOTAL])
    assert doc["load"] == LOAD_OK


def test_json_rows_carry_group_keys_and_weeks_are_monday_dates(cli, export):
    doc = stats_json(cli, export, *RANGE, "--by", "campaign,week")
    assert same(doc["rows"], [
        {"campaign": "Alpha", "week": "2026-11-16", **metrics(2, 1, 2, 1, 1, 1.0, 0.5, 0.5, 1.0)},
        {"campaign": "Alpha", "week": "2026-11-23", **metrics(1, 1, 0, 0, 0, 0.0, 0.0, 0.0, None)},
        {"campaign": "Beta", "week": "2026-11-16", **metrics(1, 0, 0, 0, 0, 0.0, 0.0, 0.0, None, hard_bounced=1)},
        {"campaign": "Beta", "week": "2026-11-23", **metrics(1, 0, 0, 1, 0, 0.0, 1.0, 0.0, 0.0)},
    ])
    assert same(doc["total"], TOTAL)
    for key in ("reach_outs", "in_progress", "opens", "responses", "interested"):
        assert sum(r[key] for r in doc["rows"]) == TOTAL[key]


def test_json_state_key_is_the_code(cli, export):
    doc = stats_json(cli, export, *RANGE, "--by", "state")
    assert [(r["state"], r["reach_outs"]) for r in doc["rows"]] == [(0, 2), (1, 1), (2, 1), (3, 1)]


def test_json_opens_null_without_open_information(cli, write):
    path = write("e.csv", """
        Reach Out ID,Campaign,State,Created At
        r1,Alpha,2,2026-11-16T09:00:00Z
        r2,Beta,3,2026-11-17T09:00:00Z
        """)
    doc = stats_json(cli, path, *RANGE, "--by", "campaign")
    assert doc["total"]["opens"] is None and doc["total"]["open_rate"] is None
    assert [(r["opens"], r["open_rate"]) for r in doc["rows"]] == [(None, None), (None, None)]
    assert doc["total"]["responses"] == 1


def test_json_zero_denominators_are_null(cli, export):
    doc = stats_json(cli, export, "--start", "2026-12-01", "--end", "2026-12-07")
    assert same(doc["total"], metrics(0, 0, 0, 0, 0, None, None, None, None))
    assert doc["rows"] == [doc["total"]]


# ----------------------------------------------------------------------------------------------- csv, table


def test_csv_format(cli, export):
    code, out, err = cli("stats", export, *RANGE, "--by", "campaign,week", "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    header = rows[0]
    assert header == ["campaign", "week", *(c for m in METRICS for c in (
        (m, f"{m}_low", f"{m}_high") if m in RATE_PARTS else (m,)))]
    shown = ["campaign", "week", *METRICS]
    assert [[r[header.index(c)] for c in shown] for r in rows[1:]] == [
        ["Alpha", "2026-11-16", "2", "1", "2", "1", "1", "0", "1.0", "0.5", "0.5", "1.0", "0.0"],
        ["Alpha", "2026-11-23", "1", "1", "0", "0", "0", "0", "0.0", "0.0", "0.0", "", "0.0"],
        ["Beta", "2026-11-16", "1", "0", "0", "0", "0", "1", "0.0", "0.0", "0.0", "", "1.0"],
        ["Beta", "2026-11-23", "1", "0", "0", "1", "0", "0", "0.0", "1.0", "0.0", "0.0", "0.0"],
    ]
    beta = dict(zip(header, rows[3], strict=True))  # 1 bounced of 1: Wilson (0.2065.., 1)
    assert float(beta["bounce_rate_low"]) == pytest.approx(with_ci(
        {"hard_bounced": 1, "reach_outs": 1, "bounce_rate": 1.0})["bounce_rate_low"], abs=1e-12)
    assert beta["interested_of_responses_low"] == ""  # no responses: no rate, no interval


def test_csv_format_total_only(cli, export):
    code, out, _ = cli("stats", export, *RANGE, "--format", "csv")
    assert code == 0
    header, total = list(csv.reader(io.StringIO(out)))
    assert [total[header.index(m)] for m in METRICS] == ["5", "2", "2", "2", "1", "1", "0.4", "0.4", "0.2", "0.5",
                                                         "0.2"]
    assert float(total[header.index("open_rate_low")]) == pytest.approx(TOTAL["open_rate_low"], abs=1e-12)


def test_table_format_shows_the_numbers_and_the_load_summary(cli, export):
    code, out, err = cli("stats", export, *RANGE, "--by", "campaign")
    assert (code, err) == (0, "")
    for text in ("Reach outs created 2026-11-16 – 2026-11-29 (UTC)", "Alpha", "Beta", "Total", "Reach Outs",
                 "40.0%", "20.0%", "50.0%", "Interested / Responses",
                 "Loaded 6 reach outs from 6 rows in 1 file(s): 0 rejected, 0 duplicate rows collapsed.",
                 "Opens from: reach-out export."):
        assert text in out, text
    alpha = next(line for line in out.splitlines() if "Alpha" in line)
    cells = [c.strip() for c in alpha.split("│")[1:-1]]
    assert cells[:7] == ["Alpha", "3", "2", "2", "1", "1", "0"]
    # rates with their 95 % intervals: 2/3 -> 66.7% (20.8–93.9), 1/3 -> 33.3% (6.1–79.2)
    assert [c.split(" ")[0] for c in cells[7:]] == ["66.7%", "33.3%", "33.3%", "100.0%", "0.0%"]
    assert "(20.8–93.9)" in out and "(6.1–79.2)" in out


def test_table_lists_groups_largest_first_like_the_report_while_json_and_csv_keep_key_order(cli, write):
    path = write("e.csv", """
        Reach Out ID,Campaign,Sender,State,Created At
        a1,Alpha,ann,0,2026-11-16T09:00:00Z
        b1,Beta,ann,0,2026-11-16T09:00:00Z
        b2,Beta,bob,0,2026-11-17T09:00:00Z
        c1,Cedar,bob,0,2026-11-23T09:00:00Z
        c2,Cedar,bob,0,2026-11-24T09:00:00Z
        d1,Delta,ann,0,2026-11-16T09:00:00Z
        """)
    code, out, _ = cli("stats", path, *RANGE, "--by", "campaign")
    assert code == 0
    names = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert names == ["Beta", "Cedar", "Alpha", "Delta", "Total"]  # 2, 2 (ties A-Z), 1, 1
    assert [r["campaign"] for r in stats_json(cli, path, *RANGE, "--by", "campaign")["rows"]] == [
        "Alpha", "Beta", "Cedar", "Delta"]  # the JSON contract: rows in key order
    code, out, _ = cli("stats", path, *RANGE, "--by", "campaign", "--format", "csv")
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["Alpha", "Beta", "Cedar", "Delta"]
    # grouped by week: time order first, then largest first within each week
    code, out, _ = cli("stats", path, *RANGE, "--by", "week,campaign")
    rows = [[c.strip() for c in line.split("│")[1:3]] for line in out.splitlines() if line.startswith("│")]
    assert rows[:4] == [["2026-11-16", "Beta"], ["2026-11-16", "Alpha"], ["2026-11-16", "Delta"],
                        ["2026-11-23", "Cedar"]]


def test_table_fits_an_80_column_terminal(cli, export, monkeypatch):
    monkeypatch.setattr("talentstats.present.output.terminal_width", lambda: 80)
    code, out, _ = cli("stats", export, *RANGE, "--by", "campaign")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    table = [line for line in lines if line.startswith(("│", "┃"))]
    heads = [" ".join(c.strip() for c in cells if c.strip()) for cells in zip(*(
        [c for c in line.strip("┃").split("┃")] for line in table if line.startswith("┃")), strict=True)]
    assert heads == ["Campaign", "Reach Outs", "Opens", "Responses", "Interested", "Response rate",
                     "Interested rate"]  # the most wanted columns that fit, in the usual order
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in table if line.startswith("│")]
    # Alpha: 3 reach outs, 2 opens, 1 response, 1 interested; 1/3 = 33.3% (6.1–79.2); the total 2/5 = 40.0%
    # (11.8–76.9), 1/5 = 20.0% (3.6–62.4): each interval on the line below its rate
    assert cells[:2] == [["Alpha", "3", "2", "1", "1", "33.3%", "33.3%"], ["", "", "", "", "", "(6.1–79.2)",
                                                                             "(6.1–79.2)"]]
    assert cells[-2:] == [["Total", "5", "2", "2", "1", "40.0%", "20.0%"], ["", "", "", "", "", "(11.8–76.9)",
                                                                              "(3.6–62.4)"]]
    note = " ".join(lines).split("Not shown at 80 columns: ")[1]
    assert " ".join(note.split()).startswith(
        "In Progress, Hard Bounced, Open rate, Interested / Responses, Bounce rate. A wider terminal shows them; "
        "--format csv has every column.")
    monkeypatch.setattr("talentstats.present.output.terminal_width", lambda: 200)
    code, wide, _ = cli("stats", export, *RANGE, "--by", "campaign")
    assert "Not shown" not in wide and "Bounce rate" in wide and "66.7% (20.8–93.9)" in wide


def test_table_says_opens_unknown_without_open_information(cli, write):
    path = write("e.csv", "Reach Out ID,State,Created At\nr1,2,2026-11-16T09:00:00Z\n")
    code, out, _ = cli("stats", path, *RANGE)
    assert code == 0
    assert "unknown" in out and "Opens unknown: the export has no open information (pass --messages)." in out


# ----------------------------------------------------------------------------------------------- time zones


def test_tz_moves_reach_outs_across_week_boundaries(cli, write):
    path = write("e.csv", """
        Reach Out ID,State,Created At
        sun_late,3,2026-11-22T23:30:00Z
        mon_early,3,2026-11-23T00:30:00Z
        """)

    def weeks(tz):
        doc = stats_json(cli, path, *RANGE, "--by", "week", "--tz", tz)
        assert doc["tz"] == tz
        return {r["week"]: r["reach_outs"] for r in doc["rows"]}

    assert weeks("UTC") == {"2026-11-16": 1, "2026-11-23": 1}
    assert weeks("America/New_York") == {"2026-11-16": 2}  # 18:30 and 19:30 on Sunday the 22nd
    assert weeks("Asia/Tokyo") == {"2026-11-23": 2}  # 08:30 and 09:30 on Monday the 23rd


def test_source_tz_reads_naive_timestamps(cli, write):
    path = write("e.csv", "Reach Out ID,State,Created At\nr1,3,2026-11-23 00:30:00\n")
    utc = stats_json(cli, path, *RANGE, "--by", "day")
    berlin = stats_json(cli, path, *RANGE, "--by", "day", "--source-tz", "Europe/Berlin")
    assert [r["day"] for r in utc["rows"]] == ["2026-11-23"]
    assert [r["day"] for r in berlin["rows"]] == ["2026-11-22"]  # 00:30 Berlin = 23:30 UTC the day before


# ----------------------------------------------------------------------------------------------- loading options


UNKNOWN_HEADERS = """
    Thread Ref,Stage,Born
    r1,Responded,2026-11-16T09:00:00Z
    r2,Completed,2026-11-17T09:00:00Z
    """


def test_map_option_for_headers_no_alias_knows(cli, write):
    path = write("e.csv", UNKNOWN_HEADERS)
    doc = stats_json(cli, path, *RANGE, "--map", "Thread Ref=reach_out_id", "--map", "Stage=state",
                     "--map", "Born=created_at")
    assert (doc["total"]["reach_outs"], doc["total"]["responses"]) == (2, 1)


def test_map_file_toml(cli, write):
    path = write("e.csv", UNKNOWN_HEADERS)
    mapping = write("map.toml", """
        [map]
        "Thread Ref" = "reach_out_id"
        Stage = "state"
        """)
    doc = stats_json(cli, path, *RANGE, "--map-file", mapping, "--map", "Born=created_at")
    assert (doc["total"]["reach_outs"], doc["total"]["responses"]) == (2, 1)


def test_map_option_without_equals_sign(cli, write):
    path = write("e.csv", UNKNOWN_HEADERS)
    assert error_line(cli, "stats", path, *RANGE, "--map", "Thread Ref") == (
        "talentstats: error: Invalid value for '--map': 'Thread Ref': expected HEADER=column, e.g. "
        "'Thread Ref=reach_out_id' (see: talentstats stats --help)")


def test_messages_option_gives_opens(cli, write):
    path = write("e.csv", """
        Reach Out ID,State,Created At
        r1,3,2026-11-16T09:00:00Z
        r2,3,2026-11-17T09:00:00Z
        """)
    msgs = write("m.csv", """
        Message ID,Reach Out ID,Opened At
        m1,r1,2026-11-16T10:00:00Z
        m2,r1,2026-11-18T10:00:00Z
        m3,r2,
        """)
    doc = stats_json(cli, path, *RANGE, "--messages", msgs)
    assert (doc["total"]["opens"], doc["total"]["open_rate"]) == (1, 0.5)
    assert doc["load"] == {"rows_read": 2, "rows_loaded": 2, "rows_rejected": 0, "duplicates_collapsed": 0,
                           "messages": {"rows_read": 3, "rows_loaded": 3, "rows_rejected": 0,
                                        "duplicates_collapsed": 0, "reach_outs_opened": 1,
                                        "unmatched_messages": 0, "open_times_before_creation": 0}}


def test_folder_and_several_files(cli, write, tmp_path):
    write("dir/a.csv", "Reach Out ID;State;Created At\nr1;2;2026-11-16T09:00:00Z\nr2;3;2026-11-16T09:00:00Z\n")
    write("dir/b.csv", "Reach Out ID\tState\tCreated At\nr2\t2\t2026-11-16T09:00:00Z\n")
    extra = write("c.csv", "Reach Out ID,State,Created At\nr3,0,2026-11-16T09:00:00Z\n")
    doc = stats_json(cli, tmp_path / "dir", extra, *RANGE)
    assert doc["load"] == {"rows_read": 4, "rows_loaded": 3, "rows_rejected": 0, "duplicates_collapsed": 1}
    assert (doc["total"]["reach_outs"], doc["total"]["responses"]) == (3, 2)  # r2's later row says Responded


def test_generated_sample_folder_loads_with_opens_from_its_messages_file(cli, tmp_path):
    from talentstats.sample import write_sample

    write_sample(tmp_path / "sample", reach_outs=300, seed=3)
    doc = stats_json(cli, tmp_path / "sample", "--start", "2000-01-01", "--end", "2100-12-31", "--by", "state")
    assert doc["load"]["rows_loaded"] == doc["total"]["reach_outs"] == 300
    assert doc["load"]["messages"]["rows_read"] > 0
    assert doc["total"]["opens"] is not None and 0 < doc["total"]["opens"] < 300
    assert doc["load"]["rows_rejected"] == doc["load"]["messages"]["rows_rejected"] == 0


# ----------------------------------------------------------------------------------------------- rejects, strict


BAD = """
    Reach Out ID,State,Created At
    r1,2,2026-11-16T09:00:00Z
    r2,Bogus,2026-11-16T09:00:00Z
    r3,3,someday
    ,3,2026-11-16T09:00:00Z
    """


def test_rejects_file(cli, write, tmp_path):
    path = write("e.csv", BAD)
    out_path = tmp_path / "rejects.csv"
    doc = stats_json(cli, path, *RANGE, "--rejects", out_path)
    assert doc["load"] == {"rows_read": 4, "rows_loaded": 1, "rows_rejected": 3, "duplicates_collapsed": 0}
    rejects = pd.read_csv(out_path, dtype=str, keep_default_na=False)
    assert rejects.columns.tolist() == ["file", "line", "column", "reason", "raw:Reach Out ID", "raw:State",
                                        "raw:Created At"]
    assert rejects.values.tolist() == [
        [str(path), "3", "State", "unknown state 'Bogus'", "r2", "Bogus", "2026-11-16T09:00:00Z"],
        [str(path), "4", "Created At", "unparseable date 'someday'", "r3", "3", "someday"],
        [str(path), "5", "Reach Out ID", "missing reach out id", "", "3", "2026-11-16T09:00:00Z"],
    ]


def test_rejects_file_is_spreadsheet_safe(cli, write, tmp_path):
    path = write("e.csv", "Reach Out ID,State,Created At\nr1,=HYPERLINK(1),2026-11-16T09:00:00Z\n")
    cli("stats", path, *RANGE, "--rejects", tmp_path / "rej.csv")
    rejects = pd.read_csv(tmp_path / "rej.csv", dtype=str)
    assert rejects.loc[0, "raw:State"] == "'=HYPERLINK(1)"


def test_rejects_file_without_rejects_has_the_header_only(cli, export, tmp_path):
    stats_json(cli, export, *RANGE, "--rejects", tmp_path / "rej.csv")
    assert (tmp_path / "rej.csv").read_text().splitlines() == ["file,line,column,reason"]


def test_strict_exits_2_with_one_line(cli, write):
    path = write("e.csv", BAD)
    assert error_line(cli, "stats", path, *RANGE, "--strict") == (
        f"talentstats: error: {path}:3: column 'State': unknown state 'Bogus' (3 row(s) rejected; --strict)")


def test_strict_on_a_clean_file_is_ok(cli, export):
    assert stats_json(cli, export, *RANGE, "--strict")["load"] == LOAD_OK


# ----------------------------------------------------------------------------------------------- bad input


def test_missing_required_column(cli, write):
    path = write("e.csv", "Thread Ref,State,Created At\nr1,2,2026-11-16\n")
    assert error_line(cli, "stats", path, *RANGE) == (
        f"talentstats: error: {path}: missing required column 'reach_out_id' (headers found: 'Thread Ref', "
        "'State', 'Created At'); closest match: 'Thread Ref' (map it with --map 'Thread Ref=reach_out_id')")


def test_missing_file(cli, tmp_path):
    missing = tmp_path / "nope.csv"
    assert error_line(cli, "stats", missing, *RANGE) == f"talentstats: error: {missing}: file not found"


def test_empty_file(cli, write):
    path = write("e.csv", b"")
    assert error_line(cli, "stats", path, *RANGE) == f"talentstats: error: {path}: file is empty"


def test_header_only_file_loads_zero_rows(cli, write):
    path = write("e.csv", "Reach Out ID,State,Created At\n")
    doc = stats_json(cli, path, *RANGE)
    assert doc["load"] == {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "duplicates_collapsed": 0}
    assert doc["total"]["reach_outs"] == 0


def test_header_only_file_without_open_columns_has_unknown_opens(cli, write):
    path = write("e.csv", "Reach Out ID,State,Created At\n")
    assert stats_json(cli, path, *RANGE)["total"]["opens"] is None


def test_wrong_sheet(cli, tmp_path):
    path = tmp_path / "e.xlsx"
    pd.DataFrame({"Reach Out ID": ["r1"], "State": [2], "Created": ["2026-11-16"]}).to_excel(
        path, sheet_name="Reach Outs", index=False)
    assert error_line(cli, "stats", path, *RANGE, "--sheet", "Sheet1") == (
        f"talentstats: error: {path}: no sheet named 'Sheet1'; sheets: Reach Outs")
    assert stats_json(cli, path, *RANGE, "--sheet", "Reach Outs")["total"]["responses"] == 1


def test_folder_without_export_files(cli, write, tmp_path):
    write("docs/readme.md", "nothing here\n")
    line = error_line(cli, "stats", tmp_path / "docs", *RANGE)
    assert line == (f"talentstats: error: {tmp_path / 'docs'}: folder has no export files (.csv, .tsv, .txt, "
                    ".csv.gz, .tsv.gz, .txt.gz, .xlsx, .xlsm, .parquet, .pq, .jsonl, .ndjson, .json, .jsonl.gz, "
                    ".ndjson.gz)")


def test_bad_group_key(cli, export):
    assert error_line(cli, "stats", export, *RANGE, "--by", "campaign,colour") == (
        "talentstats: error: unknown group key 'colour'; choose from campaign, sender, week, day, month, state, "
        "response_via, response_type")


def test_end_before_start(cli, export):
    assert error_line(cli, "stats", export, "--start", "2026-11-29", "--end", "2026-11-16") == (
        "talentstats: error: end 2026-11-16 is before start 2026-11-29")


def test_unknown_time_zone(cli, export):
    """The error names the flag at fault (the library names its parameter; the CLI maps it to the flag)."""
    for flag in ("--tz", "--source-tz"):
        assert error_line(cli, "stats", export, *RANGE, flag, "Mars/Olympus") == (
            f"talentstats: error: {flag} 'Mars/Olympus': unknown time zone (use an IANA name such as 'UTC' or "
            "'Europe/Berlin')")


def test_bad_date(cli, export):
    assert error_line(cli, "stats", export, "--start", "16.11.2026", "--end", "2026-11-29") == (
        "talentstats: error: --start: '16.11.2026' is not a date like 2026-11-16")


def test_bad_format(cli, export):
    assert error_line(cli, "stats", export, *RANGE, "--format", "xml") == (
        "talentstats: error: --format 'xml': choose table, csv or json")


def test_installed_command_fails_cleanly(export, tmp_path):
    """The real entry point: exit 2, one line on stderr, no traceback."""
    missing = tmp_path / "nope.csv"
    proc = subprocess.run([sys.executable, "-m", "talentstats.cli", "stats", str(missing), *RANGE],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == f"talentstats: error: {missing}: file not found\n"
    assert proc.stdout == ""


def test_strict_still_writes_the_rejects_file(tmp_path, cli):
    src = tmp_path / "r.csv"
    src.write_text("Reach Out ID,State,Created At\na,2,2026-11-16T10:00:00Z\nb,Snoozed,2026-11-16T10:00:00Z\n")
    out = tmp_path / "rejects.csv"
    code, _, err = cli("stats", src, "--start", "2026-11-16", "--end", "2026-11-22", "--strict",
                       "--rejects", out)
    assert code == 2 and "unknown state 'Snoozed'" in err
    assert "Snoozed" in out.read_text()
