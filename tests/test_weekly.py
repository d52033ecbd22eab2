"""WeeklyReport sections on a small literal table whose numbers can be checked by eye.

The table (UTC; week 2026-W47 is Mon 16 – Sun 22 Nov 2026, the previous week 2026-W46):

====  ====  ====  ==========  =========  ================  ======  ==========================================
id    camp  sndr  created     state      response          opened  counts as
====  ====  ====  ==========  =========  ================  ======  ==========================================
r0    A     s1    W47 Mon     Responded  Email, Interested  yes    reach, open, response, interested
r1    A     s1    W47 Tue     In Prog.   —                 yes     reach, in progress, open
r2    A     s1    W47 Wed     In Prog.   —                 no      reach, in progress
r3    A     s1    W47 Thu     Bounced    —                 no      reach
r4    B     s2    W47 Fri     Responded  LinkedIn, Not I.  no      reach, response (no tracked open)
r5    B     s2    W47 Sat     Completed  "Interested" only no      reach, in progress (quirk: not interested)
p0-3  A     s1    W46         2 responded (1 interested, both opened), 2 in progress
====  ====  ====  ==========  =========  ================  ======  ==========================================

W47: 6 reach outs, 3 in progress, 2 opens, 2 responses, 1 interested; rates 33.3%, 33.3%, 16.7%, 50.0%.
W46: 4, 2, 2, 2, 1; rates 50.0%, 50.0%, 25.0%, 50.0%.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from talentstats.errors import UsageError
from talentstats.load.accounting import LoadReport
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.present.formats import change_text
from talentstats.report.handoff import write_snapshot
from talentstats.weekly import INTERESTED_LIMIT, WeeklyReport

W47 = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))

ROWS = [
    dict(reach_out_id="r0", campaign="A", sender="s1", state=2, created_at="2026-11-16T09:00:00Z",
         response_via="Email", response_type="Interested", opened=True, prospect_name="Ada Lovelace",
         prospect_email="ada@example.org"),
    dict(reach_out_id="r1", campaign="A", sender="s1", state=0, created_at="2026-11-17T09:00:00Z", opened=True),
    dict(reach_out_id="r2", campaign="A", sender="s1", state=0, created_at="2026-11-18T09:00:00Z"),
    dict(reach_out_id="r3", campaign="A", sender="s1", state=1, created_at="2026-11-19T09:00:00Z"),
    dict(reach_out_id="r4", campaign="B", sender="s2", state=2, created_at="2026-11-20T09:00:00Z",
         response_via="LinkedIn", response_type="Not Interested"),
    dict(reach_out_id="r5", campaign="B", sender="s2", state=3, created_at="2026-11-21T09:00:00Z",
         response_type="Interested"),
    dict(reach_out_id="p0", campaign="A", sender="s1", state=2, created_at="2026-11-09T09:00:00Z",
         response_via="Email", response_type="Interested", opened=True),
    dict(reach_out_id="p1", campaign="A", sender="s1", state=2, created_at="2026-11-10T09:00:00Z",
         response_via="Email", response_type="Not Interested", opened=True),
    dict(reach_out_id="p2", campaign="A", sender="s1", state=0, created_at="2026-11-11T09:00:00Z"),
    dict(reach_out_id="p3", campaign="A", sender="s1", state=0, created_at="2026-11-12T09:00:00Z"),
]


def table(rows: list[dict]) -> pd.DataFrame:
    """A canonical table from partial rows (defaults: not opened, no response, no prospect data)."""
    base = {"updated_at": None, "response_via": None, "response_type": None, "opened": False,
            "prospect_name": None, "prospect_email": None}
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["state"] = df["state"].astype("int8")
    for c in ("created_at", "updated_at"):
        df[c] = pd.to_datetime(df[c], utc=True).astype("datetime64[us, UTC]")
    df["opened"] = df["opened"].astype("boolean")
    for c in ("response_via", "response_type", "prospect_name", "prospect_email"):
        df[c] = df[c].astype("str")
    return df


def report(rows: list[dict] = ROWS, **kwargs) -> WeeklyReport:
    load = LoadReport(rows_read=len(rows), rows_loaded=len(rows), files=["export.csv"])
    return WeeklyReport(table(rows), load, *W47, **kwargs)


def tiles(page: str) -> dict[str, tuple[str, str, str]]:
    """metric -> (value, change, previous) of the KPI tiles in ``page``."""
    found = re.findall(r'data-metric="(\w+)".*?ts-kpi-value">([^<]*)<.*?ts-kpi-change[^"]*">([^<]*)<.*?'
                       r'ts-kpi-prev">([^<]*)<', page)
    return {m: (v, c, p) for m, v, c, p in found}


def table_rows(page: str) -> list[list[str]]:
    """Cell texts of each body row of the first table in ``page`` (tags stripped)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]


# ----------------------------------------------------------------------------- numbers and KPIs


@pytest.mark.parametrize("opened", [False, None], ids=["opens-tracked", "no-open-tracking"])
@pytest.mark.parametrize("period", [W47, (dt.date(2026, 11, 9), dt.date(2026, 11, 15)),
                                    (dt.date(2027, 3, 1), dt.date(2027, 3, 7))], ids=["W47", "W46", "empty"])
def test_the_period_statistics_summed_from_one_count_are_campaign_stats(opened, period):
    """The sections' statistics by campaign, sender, state and in total come from one count of the period by all
    three (and the trends from one count by campaign and week): each equals campaign_stats asked directly."""
    from talentstats.stats.intervals import with_intervals
    from talentstats.stats.metrics import campaign_stats, finish, rollup

    rows = ROWS if opened is False else [{**r, "opened": None} for r in ROWS]
    r = report(rows)
    for by in (None, "campaign", "sender", "state", ["campaign", "sender"]):
        want = with_intervals(campaign_stats(r.table, *period, "UTC", by))
        pd.testing.assert_frame_equal(r.stats(by, *period), want)
    twelve = (dt.date(2026, 8, 31), W47[1])  # (the trends' 12 weeks)
    r.trend(weeks=12)
    by_week = r._counts(*twelve, ("campaign", "week"))  # (the count the trend was drawn from)
    pd.testing.assert_frame_equal(rollup(by_week, "week"), campaign_stats(r.table, *twelve, "UTC", "week"))
    pd.testing.assert_frame_equal(finish(by_week, ["campaign", "week"]),
                                  campaign_stats(r.table, *twelve, "UTC", ["campaign", "week"]))


def test_total_and_previous_total_are_the_two_weeks():
    r = report()
    now, before = r.total(), r.previous_total()
    assert [now[k] for k in ("reach_outs", "in_progress", "opens", "responses", "interested")] == [6, 3, 2, 2, 1]
    assert [before[k] for k in ("reach_outs", "in_progress", "opens", "responses", "interested")] == [4, 2, 2, 2, 1]
    assert now["interested_of_responses"] == pytest.approx(0.5)


def test_kpi_tiles_show_value_change_and_previous_week():
    # no open or response times in this table: opens, responses and their rates are compared naively (said under
    # the tiles); reach outs and hard bounces at the same age (W46 as it stood at Sat 14 Nov 09:00: all four)
    page = report().kpi_html()
    t = tiles(page)
    assert t["reach_outs"] == ("6", "+2", "2026-W46 at the same age: 4")  # counts: a difference, no verdict
    assert t["in_progress"] == ("3", "+1", "2026-W46 (naive): 2")
    assert t["opens"] == ("2", "+0", "2026-W46 (naive): 2")
    assert t["interested"] == ("1", "+0", "2026-W46 (naive): 1")
    # 2/6 against 2/4: d = -16.7 pp; Wilson (9.7, 70.0) and (15.0, 85.0) -> Newcombe -58.9 to +34.0: no verdict
    assert t["open_rate"] == ("33.3%", "no clear change (-16.7 pp)", "2026-W46 (naive): 50.0%")
    assert t["interested_rate"] == ("16.7%", "no clear change (-8.3 pp)", "2026-W46 (naive): 25.0%")
    assert t["interested_of_responses"] == ("50.0%", "no clear change (+0.0 pp)", "2026-W46 (naive): 50.0%")
    assert t["hard_bounced"] == ("1", "+1", "2026-W46 at the same age: 0")  # r3; none in W46
    assert t["bounce_rate"] == ("16.7%", "no clear change (+16.7 pp)", "2026-W46 at the same age: 0.0%")  # 1 of 6
    assert len(t) == 11
    # 2 of 6: centre (2 + 1.9207) / 9.8415 = 0.3984, half-width 1.96·√(1.3333 + 0.9604) / 9.8415 = 0.3016
    assert 'ts-kpi-value">33.3%<span class="ts-kpi-ci">9.7–70.0</span>' in page
    assert "95 %: -58.9 to +34.0 pp" in page
    assert "ts-better" not in page and "ts-worse" not in page and "▲" not in page and "▼" not in page
    assert "No response times (responded_at) in the data: responses, interested and their rates are compared " \
           "naively." in page  # the naive comparison, visibly


def test_kpi_frame_lists_the_eleven_metrics_in_order():
    frame = report().kpi_frame()
    assert frame["Metric"].tolist()[:3] == ["Reach Outs", "In Progress", "Opens"]
    assert frame.iloc[0].tolist() == ["Reach Outs", "6", "4", "+2", "", "same age"]
    assert frame.iloc[6].tolist() == ["Open rate", "33.3% (9.7–70.0)", "50.0% (15.0–85.0)",
                                      "no clear change (-16.7 pp)", "95 %: -58.9 to +34.0 pp", "naive"]
    assert frame["Metric"].tolist()[-1] == "Bounce rate"
    assert len(frame) == 11


def timed(w46_early: int, w46_late: int) -> WeeklyReport:
    """40 reach outs a week with open and response times. W47's (Mon 16 Nov 09:00): 4 answered on Tue 17 Nov;
    W46's (Mon 9 Nov 09:00): ``w46_early`` answered on Tue 10 Nov and ``w46_late`` on Thu 19 Nov. The newest
    instant is Sun 22 Nov 12:00 (a W47 reach out created then), so W46 is taken at Sun 15 Nov 12:00: the late
    answers had not happened yet."""
    def rows(week: str, created: str, answers: list[str]) -> list[dict]:
        out = [dict(reach_out_id=f"{week}{i}", campaign="A", sender="s1", state=0, created_at=created)
               for i in range(40)]
        for row, when in zip(out, answers, strict=False):
            row.update(state=2, response_via="Email", response_type="Not Interested", responded_at=when,
                       opened=True, first_opened_at=when)
        return out

    w47 = rows("n", "2026-11-16T09:00:00Z", ["2026-11-17T09:00:00Z"] * 4)
    w47[-1]["created_at"] = "2026-11-22T12:00:00Z"
    w46 = rows("p", "2026-11-09T09:00:00Z", ["2026-11-10T09:00:00Z"] * w46_early + ["2026-11-19T09:00:00Z"] * w46_late)
    frame = table(w47 + w46)
    for c in ("responded_at", "first_opened_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True).astype("datetime64[us, UTC]")
    return WeeklyReport(frame, LoadReport(rows_read=80, rows_loaded=80, files=["export.csv"]), *W47)


def test_a_young_week_is_compared_at_the_same_age_not_naively():
    r = timed(w46_early=4, w46_late=16)
    naive = r.previous_total()
    assert (naive["responses"], naive["response_rate"]) == (20, 0.5)  # W46 now: 20 of 40, naively -40 pp
    t = tiles(r.kpi_html())
    # W46 at Sun 15 Nov 12:00: 4 of 40 answered, as W47 now -> d = 0: no clear change, no arrow, no colour
    assert t["responses"] == ("4", "+0", "2026-W46 at the same age: 4")
    assert t["response_rate"] == ("10.0%", "no clear change (+0.0 pp)", "2026-W46 at the same age: 10.0%")
    assert 'data-metric="response_rate"' in r.kpi_html() and "ts-worse" not in r.kpi_html()
    assert "-16" not in r.kpi_html() and "-40.0 pp" not in r.kpi_html()
    assert "as it stood on Sun 15 Nov 12:00" in r.kpi_html()
    h = r.headline()
    assert h["compare"]["changes"]["response_rate"]["significant"] is False
    assert h["compare"]["basis"]["response_rate"] == "same age"


def test_a_significant_change_gets_an_arrow_and_a_colour():
    r = timed(w46_early=20, w46_late=0)
    page = r.kpi_html()
    t = tiles(page)
    # 4/40 against 20/40: d = -40 pp; Wilson (4.0, 23.1) and (35.2, 64.8); lower = -0.4 - √(0.06² + 0.148²)
    # = -0.560, upper = -0.4 + √(0.1305² + 0.1480²) = -0.203: excludes 0
    assert t["response_rate"] == ("10.0%", "▼ -40.0 pp", "2026-W46 at the same age: 50.0%")
    assert '<div class="ts-kpi-change ts-worse">▼ -40.0 pp</div>' in page
    assert "95 %: -56.0 to -20.3 pp" in page
    assert t["responses"] == ("4", "-16", "2026-W46 at the same age: 20")  # a count: no colour
    assert '<div class="ts-kpi-change ts-count">-16</div>' in page


@pytest.mark.parametrize(("metric", "now", "before", "text"), [
    ("reach_outs", 6, 4, "+2 (+50.0%)"),
    ("responses", 1, 3, "-2 (-66.7%)"),
    ("reach_outs", 3, 0, "+3"),  # no percentage of nothing
    ("reach_outs", 1234, 1000, "+234 (+23.4%)"),
    ("open_rate", 1 / 3, 0.5, "-16.7 pp"),  # rates change in percentage points
    ("opens", None, 4, "—"),  # unknown opens: no change
    ("open_rate", 0.5, None, "—"),
])
def test_change_text(metric, now, before, text):
    assert change_text(metric, now, before) == text


# ----------------------------------------------------------------------------- still filling in


def test_a_week_ending_on_the_newest_data_is_still_filling_in():
    r = report()
    assert r.still_arriving()
    assert "ts-callout" not in r.kpi_html()  # the tiles say how mature the week is instead (one line)
    assert "How mature: the 6 reach outs of this week are a median 2.5 days old (no response times" in r.kpi_html()
    assert any(n.startswith("Still filling in") for n in r.quality_notes())
    assert r.headline()["still_arriving"] is True


def test_a_week_with_a_week_of_newer_data_is_final():
    later = dict(reach_out_id="z", campaign="C", sender="s3", state=0, created_at="2026-11-29T09:00:00Z")
    r = report([*ROWS, later])
    assert not r.still_arriving()
    assert "ts-callout" not in r.kpi_html()
    assert r.total()["reach_outs"] == 6  # a newer reach out changes nothing in the week
    fig = r.trend(weeks=4)
    assert not fig.layout.shapes


def test_trend_shades_the_weeks_still_filling_in():
    # the data ends Sat 21 Nov: W47 and W46 (ended Sun 15 Nov, 6 days before) are both still filling in
    fig = report().trend(weeks=4)
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(1.5, 2.5), (2.5, 3.5)]
    assert list(fig.data[1].marker.symbol) == ["circle", "circle", "circle-open", "circle-open"]
    assert list(fig.data[0].y) == [0, 0, 4, 6]
    assert fig.layout.title.text == ""  # the section heading names the chart


# ----------------------------------------------------------------------------- tables


def test_campaign_table_has_one_row_per_campaign_and_a_total():
    rows = table_rows(report().table_html("campaign"))
    assert rows == [
        # rates with their Wilson interval: 2/4 (15.0–85.0), 1/4 (4.6–69.9), 1/1 (20.7–100.0), 0/2 (0.0–65.8)
        ["A", "4", "2", "2", "1", "1", "1", "50.0% (15.0–85.0)", "25.0% (4.6–69.9)", "25.0% (4.6–69.9)",
         "100.0% (20.7–100.0)", "25.0% (4.6–69.9)"],  # r3 bounced
        ["B", "2", "1", "0", "1", "0", "0", "0.0% (0.0–65.8)", "50.0% (9.5–90.5)", "0.0% (0.0–65.8)",
         "0.0% (0.0–79.3)", "0.0% (0.0–65.8)"],
        ["Total", "6", "3", "2", "2", "1", "1", "33.3% (9.7–70.0)", "33.3% (9.7–70.0)", "16.7% (3.0–56.4)",
         "50.0% (9.5–90.5)", "16.7% (3.0–56.4)"],
    ]


def test_sender_table_lets_long_addresses_wrap_after_the_at_sign():
    rows = [{**r, "sender": "lucia.romero@acme-talent.example"} for r in ROWS]
    page = report(rows).table_html("sender")
    assert "lucia.romero@<wbr>acme-talent.example" in page
    assert table_rows(page)[0][:2] == ["lucia.romero@acme-talent.example", "6"]


def test_table_cells_are_escaped():
    rows = [{**r, "campaign": '<b>x</b> & "y"'} for r in ROWS]
    page = report(rows).table_html("campaign")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;" in page
    assert "<b>x</b>" not in page


def test_table_of_an_empty_week_says_so():
    r = WeeklyReport(table(ROWS), LoadReport(), dt.date(2026, 1, 5), dt.date(2026, 1, 11))
    assert "No reach outs created in this period." in r.table_html("campaign")
    assert "No interested responses in this period." in r.interested_html()


# ----------------------------------------------------------------------------- quality notes


def test_quality_notes_count_silent_responses_and_unanswered_interest():
    notes = report().quality_notes()
    assert notes[0] == ("10 export rows read from 1 file(s): 10 reach outs loaded, 0 rows rejected, "
                        "0 duplicate rows collapsed.")
    assert "1 of 2 responses came without a tracked open" in notes[1]
    assert notes[2] == "1 reach out(s) marked Interested without a response are not counted as Interested."


def test_quality_notes_say_when_opens_are_unknown_and_name_the_filter():
    rows = [{**r, "opened": None} for r in ROWS]
    notes = report(rows, campaigns=("A",)).quality_notes()
    assert any(n.startswith("Opens are unknown") for n in notes)
    assert notes[-1] == "Filtered to campaigns: A."


# ----------------------------------------------------------------------------- interested list and PII


def test_interested_list_shows_ids_but_no_prospect_data_by_default():
    page = report().interested_html()
    assert table_rows(page) == [["Mon 16 Nov", "A", "s1", "r0"]]
    assert "Ada" not in page and "ada@example.org" not in page


def test_interested_list_shows_prospects_when_asked():
    page = report(include_pii=True).interested_html()
    assert table_rows(page) == [["Mon 16 Nov", "A", "s1", "r0", "Ada Lovelace", "ada@example.org"]]


def test_interested_list_is_capped_newest_first_with_a_count_of_the_rest():
    many = [dict(reach_out_id=f"i{i:02d}", campaign="A", sender="s1", state=2, response_via="Email",
                 response_type="Interested", created_at=f"2026-11-{16 + i % 7}T{i % 24:02d}:00:00Z")
            for i in range(INTERESTED_LIMIT + 5)]
    page = report(many).interested_html()
    rows = table_rows(page)
    assert len(rows) == INTERESTED_LIMIT
    assert rows[0][0] == "Sun 22 Nov"
    assert f"The {INTERESTED_LIMIT} newest of {INTERESTED_LIMIT + 5} interested responses; 5 more" in page


# ----------------------------------------------------------------------------- header, headline, loading


def test_header_names_period_scope_and_freshness():
    page = report(campaigns=("A", "B")).header_html()
    assert "2026-W47 · Mon 16 Nov 2026 – Sun 22 Nov 2026 (UTC)" in page
    assert "<b>Scope:</b> A, B" in page
    assert "Sat 21 Nov 2026 09:00 UTC" in page


def test_headline_has_the_numbers_for_the_index():
    h = report().headline()
    assert (h["week"], h["start"], h["end"], h["reach_outs"], h["interested"]) == (
        "2026-W47", "2026-11-16", "2026-11-22", 6, 1)
    # 2 of 6: (2 + 1.9207 ∓ 1.96·√(1.3333 + 0.9604)) / 9.8415 = 0.0968, 0.7000
    assert (h["response_rate_low"], h["response_rate_high"]) == pytest.approx((0.0968, 0.7000), abs=1e-4)
    assert h["compare"]["changes"]["reach_outs"] == {"current": 6, "previous": 4, "diff": 2, "diff_low": None,
                                                     "diff_high": None, "significant": None}
    assert h["compare"]["changes"]["response_rate"]["significant"] is False
    assert h["projected_response_rate"] is None  # no response times to project from


def export(tmp_path: Path, rows: list[dict] = ROWS, naive: bool = False) -> Path:
    """``rows`` as a CSV export (creation times without their offset when ``naive``)."""
    path = tmp_path / "export.csv"
    lines = ["Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type"]
    lines += [f"{r['reach_out_id']},{r['campaign']},{r['sender']},{r['state']},"
              f"{r['created_at'].removesuffix('Z') if naive else r['created_at']},"
              f"{r.get('response_via') or ''},{r.get('response_type') or ''}" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_from_parameters_loads_a_file_and_resolves_the_latest_week(tmp_path: Path):
    path = export(tmp_path)
    r = WeeklyReport.from_parameters(data=str(path), week="latest")
    assert (r.start, r.end) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))  # W47 is not complete (no Sunday)
    r = WeeklyReport.from_parameters(data=[path], week="2026-W47", campaigns="B")
    assert (r.start, r.total()["reach_outs"], r.campaigns) == (W47[0], 2, ("B",))
    r = WeeklyReport.from_parameters(data=path, start="2026-11-16", end="2026-11-17")
    assert r.total()["reach_outs"] == 2
    assert "16 Nov 2026 – Tue 17 Nov 2026" in r.period_label
    with pytest.raises(UsageError):
        WeeklyReport.from_parameters(data=path, tz="Mars/Olympus")
    with pytest.raises(UsageError) as info:
        WeeklyReport.from_parameters(data=path, week="latest", options={"source_tz": "Mars/Olympus"})
    assert info.value.parameter == "source_tz"


def test_from_parameters_reads_the_load_options_of_the_notebook(tmp_path: Path):
    late = dict(reach_out_id="z", campaign="C", sender="s3", state=0, created_at="2026-11-22T23:30:00Z")
    path = export(tmp_path, [*ROWS, late], naive=True)
    utc = WeeklyReport.from_parameters(path, {}, week="2026-W47")
    new_york = WeeklyReport.from_parameters(path, LoadOptions(source_tz="America/New_York").to_parameters(),
                                            week="2026-W47")
    assert utc.total()["reach_outs"] == 7 and new_york.total()["reach_outs"] == 6  # 04:30 UTC on Monday of W48
    assert WeeklyReport.from_parameters(path, LoadOptions(source_tz="America/New_York"), week="2026-W47").total() \
        == new_york.total()


def test_from_parameters_reads_a_snapshot_instead_of_the_data(tmp_path: Path):
    path = export(tmp_path)
    snapshot = write_snapshot(load([path]), tmp_path / "snapshot.parquet")
    path.unlink()  # the snapshot is all a report kernel reads
    r = WeeklyReport.from_parameters(None, {}, snapshot=str(snapshot), week="latest", campaigns=["A"])
    assert (r.start, r.end) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))  # the newest data of every campaign
    assert (r.total()["reach_outs"], r.load.rows_read, r.load.files) == (4, 10, [str(path)])


def test_header_names_the_dataset_version_read(tmp_path):
    """A report from a dataset says which version it read (and the report snapshot keeps it)."""
    from talentstats.dataset.write import ingest
    from talentstats.load.loader import load
    from talentstats.load.options import LoadOptions
    from talentstats.report.handoff import read_snapshot, write_snapshot
    from talentstats.weekly import WeeklyReport

    root = tmp_path / "ds"
    ingest([Path(__file__).resolve().parents[1] / "sample_data" / "reach_outs.csv"], root)
    report = WeeklyReport.from_parameters([str(root)], LoadOptions(), week="2026-W47")
    assert "; dataset version 1</p>" in report.header_html()
    snap = write_snapshot(load(root), tmp_path / "snapshot.parquet")
    assert read_snapshot(snap).report.dataset_version == 1


def test_as_of_is_read_once_per_table_and_zone(monkeypatch):
    import talentstats.weekly as weekly_mod

    calls: list[str] = []
    real = weekly_mod.newest_created

    def counted(table, tz="UTC"):
        calls.append(tz)
        return real(table, tz)

    monkeypatch.setattr(weekly_mod, "newest_created", counted)
    report = weekly_mod.WeeklyReport.from_parameters(week="2026-W47")
    first = report.as_of
    assert report.as_of == first and report.still_arriving() in (True, False) and len(calls) == 1
    report.tz = "Asia/Tokyo"  # another zone, or another table: read again
    assert report.as_of == real(report.table, "Asia/Tokyo") and len(calls) == 2
    report.table = report.table.iloc[:10]
    assert report.as_of == real(report.table, "Asia/Tokyo") and len(calls) == 3
