"""One time rule (issue 12, point 6): reach outs are created from 2000 to 2100 - the others are rejected with the
value - and a local time that does not exist is rejected with its reason like one that exists twice. Nothing
overflows in any time zone, at either end of the range."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.weekly import WeeklyReport

EXPORT = """
    Reach Out ID,Campaign,Sender,State,Created At,Updated At
    r1,Alpha,ann,2,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z
    r2,Alpha,ann,2,9999-12-31T23:00:00Z,
    r3,Alpha,bob,0,2100-12-31T23:30:00Z,9999-12-31T23:00:00Z
    r4,Beta,bob,0,2000-01-01T00:00:00Z,0001-01-01T00:00:00Z
    r5,Beta,bob,0,2101-01-01T00:00:00Z,
    r6,Beta,bob,0,1999-12-31T23:59:59Z,
    """
ZONES = ("Europe/Berlin", "Pacific/Kiritimati", "Etc/GMT+12", "America/Adak")


@pytest.fixture
def extremes(write):
    return write("extremes.csv", EXPORT)


def test_created_after_2100_is_rejected_like_before_2000(extremes):
    report = load(extremes).report
    assert report.rows_loaded == 3
    assert report.rejects[["line", "reason"]].values.tolist() == [
        [3, "created after 2100 '9999-12-31T23:00:00Z'"], [6, "created after 2100 '2101-01-01T00:00:00Z'"],
        [7, "created before 2000 '1999-12-31T23:59:59Z'"]]


@pytest.mark.parametrize("tz", ZONES)
def test_no_overflow_in_any_zone_at_either_end(cli, extremes, tz):
    for args in (("stats", extremes, "--week", "2026-W47"), ("stats", extremes, "--week", "latest"),
                 ("stats", extremes, "--start", "2000-01-01", "--end", "2100-12-31", "--by", "week,day,month"),
                 ("check", extremes, "--format", "json")):
        code, out, err = cli(*args, "--tz", tz)
        assert (code, err) == (0, ""), err
    doc = json.loads(cli("stats", extremes, "--start", "2000-01-01", "--end", "2100-12-31", "--tz", tz,
                         "--format", "json")[1])
    assert doc["load"]["rows_rejected"] == 3


def test_weekly_report_in_berlin_with_a_row_created_in_9999(extremes):
    for week in ("2026-W47", "latest"):
        report = WeeklyReport.from_parameters(data=[extremes], week=week, tz="Europe/Berlin")
        report.total(), report.previous_total(), report.kpi_frame(), report.quality_notes(), report.trend()
        assert report.as_of is None or report.as_of.year <= 2101


@pytest.mark.parametrize(("args", "message"), [
    (("--start", "2026-11-16", "--end", "9999-12-31"),
     "--end: '9999-12-31' is not from 2000-01-01 to 2100-12-31, the dates reach outs can have"),
    (("--start", "1999-12-31", "--end", "2026-11-22"),
     "--start: '1999-12-31' is not from 2000-01-01 to 2100-12-31, the dates reach outs can have"),
    (("--week", "9999-W52"), "week '9999-W52' is not from 2000 to 2100, the years reach outs can be created in"),
])
def test_dates_outside_the_rule_are_one_line_usage_errors(cli, extremes, args, message):
    code, out, err = cli("stats", extremes, *args, "--tz", "Europe/Berlin")
    assert (code, out, err) == (2, "", f"talentstats: error: {message}\n")


def test_weeks_and_now_outside_the_rule_are_one_line_usage_errors(cli, extremes, tmp_path):
    code, _, err = cli("report", extremes, "--week", "2026-W47", "--weeks", "1000000", "--out", tmp_path / "r")
    assert (code, err) == (2, "talentstats: error: --weeks 1000000: must be from 1 to 5,270 (the weeks from 2000 to "
                              "2100)\n")
    code, _, err = cli("check", extremes, "--now", "9999-12-31T23:00:00Z", "--tz", "Europe/Berlin")
    assert (code, err) == (2, "talentstats: error: --now '9999-12-31T23:00:00+00:00': must be in 2000-2100, the "
                              "years reach outs can be created in\n")


GAP = """
    Reach Out ID,State,Created At
    before,0,2026-03-29 01:30:00
    skipped,0,2026-03-29 02:30:00
    twice,0,2026-10-25 02:30:00
    after,0,2026-03-29 03:30:00
    """


def test_nonexistent_local_time_is_rejected_with_its_reason_like_an_ambiguous_one(write):
    loaded = load(write("gap.csv", GAP), LoadOptions(source_tz="Europe/Berlin"))
    assert loaded.table["reach_out_id"].tolist() == ["before", "after"]
    assert loaded.report.rejects[["line", "reason"]].values.tolist() == [
        [3, "nonexistent local time in Europe/Berlin (clocks went forward) '2026-03-29 02:30:00'"],
        [4, "ambiguous local time in Europe/Berlin (clocks went back) '2026-10-25 02:30:00'"]]


def test_nonexistent_local_time_in_typed_and_serial_dates(tmp_path, write):
    path = tmp_path / "typed.parquet"
    stamps = pd.to_datetime(["2026-03-29 02:30:00", "2026-03-29 03:30:00"]).to_numpy()
    pq.write_table(pa.table({"Reach Out ID": ["a", "b"], "State": [0, 0], "Created At": stamps}), path)
    report = load(path, LoadOptions(source_tz="Europe/Berlin")).report
    assert report.rejects["reason"].tolist() == [
        "nonexistent local time in Europe/Berlin (clocks went forward) '2026-03-29 02:30:00.000000'"]
    # Excel serial days: 2000 to 2100, as every other date (2100-12-31 12:00 is day 73415.5)
    serial = write("serial.csv", "Reach Out ID,State,Created At\na,0,73415.5\nb,0,73416.5\nc,0,36525.5\n")
    loaded = load(serial)
    assert loaded.table["created_at"].tolist() == [pd.Timestamp("2100-12-31T12:00:00Z")]
    assert loaded.report.rows_rejected == 2
