"""The weekly report's event sections (issue 13): their numbers are those of the command line on the sample's
week 2026-W47, the reconciliation table adds up, the charts are built from plain frames, the snapshot carries the
messages, and the report renders with and without a messages export."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from talentstats.errors import InputError
from talentstats.load.loader import load
from talentstats.present import charts
from talentstats.report import render_reports
from talentstats.report.handoff import read_snapshot, write_snapshot
from talentstats.stats.metrics import stats_dicts
from talentstats.weekly import WeeklyReport

from .helpers import W47, WEEK, sample_dir, slow, talentstats_cmd


def cli_json(*args: str) -> dict:
    """``talentstats ARGS --format json`` on the sample, run as a command."""
    cmd = [*talentstats_cmd(), *args[:1], str(sample_dir()), *args[1:], "--format", "json"]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


@pytest.fixture(scope="module")
def sample_report() -> WeeklyReport:
    return WeeklyReport.from_parameters([sample_dir()], week=WEEK)


@pytest.fixture(scope="module")
def no_messages() -> WeeklyReport:
    return WeeklyReport.from_parameters([sample_dir() / "reach_outs.csv"], week=WEEK)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (as the command line writes them)."""
    return stats_dicts(frame)


# --------------------------------------------------------------------------- the command line's numbers
def test_activity_and_reconciliation_are_the_cli_views(sample_report: WeeklyReport):
    assert (sample_report.start, sample_report.end) == W47
    activity = cli_json("stats", "--week", WEEK, "--view", "activity")
    assert sample_report.activity_total() == activity["total"]
    assert activity["total"]["messages_sent"] > 0 and activity["total"]["responses"] > 0
    by = cli_json("stats", "--week", WEEK, "--view", "activity", "--by", "campaign")
    assert records(sample_report.activity("campaign")) == by["rows"]
    assert sample_report.reconciliation() == cli_json("stats", "--week", WEEK, "--view", "reconcile")["total"]


def test_each_activity_and_cohort_count_is_made_once_a_report(monkeypatch: pytest.MonkeyPatch):
    """The activity tiles, their table, the previous period's and the reconciliation ask for the same counts: each
    (range, keys) is counted once, and the numbers are those of a count of its own (the command line's above)."""
    from talentstats.stats import eventquery

    made: list[tuple] = []
    for name in ("_activity_of", "_cohort_of"):
        real = getattr(eventquery, name)

        def counted(data, s, e, tz, keys, real=real, name=name):
            made.append((name, s, e, tuple(keys)))
            return real(data, s, e, tz, keys)

        monkeypatch.setattr(eventquery, name, counted)
    report = WeeklyReport.from_parameters([sample_dir()], week=WEEK)
    report.activity_html(), report.activity_table_html(), report.reconciliation_html()
    assert len(made) == len(set(made)) and len([m for m in made if m[0] == "_activity_of"]) == 3
    fresh = WeeklyReport.from_parameters([sample_dir()], week=WEEK)
    assert fresh.reconciliation() == report.reconciliation() and fresh.activity_total() == report.activity_total()


def test_steps_triangle_and_time_to_reply_are_the_cli_rows(sample_report: WeeklyReport):
    assert records(sample_report.steps_frame()) == cli_json("steps", "--week", WEEK)["rows"]
    triangle = cli_json("triangle", "--week", WEEK, "--weeks", "10")["rows"]
    assert records(sample_report.arrival_frame(10)) == triangle
    rows, total = sample_report.time_to_reply("campaign")
    ttr = cli_json("stats", "--week", WEEK, "--by", "campaign", "--time-to-reply")
    assert records(rows) == ttr["rows"] and total == ttr["total"]


def test_the_reconciliation_table_adds_up_and_ends_in_the_headline_and_activity(sample_report: WeeklyReport):
    frame = sample_report.reconciliation_frame()
    assert list(frame.columns) == ["Reach outs", "Responses", "Opens"]
    for column, metric in (("Responses", "responses"), ("Opens", "opens")):
        n = [int(v.replace(",", "")) for v in frame[column]]
        assert n[0] + n[1] + n[2] == n[3] == sample_report.total()[metric]
        assert n[4] == n[0] and n[4] + n[5] == n[6] == sample_report.activity_total()[metric]
    page = sample_report.reconciliation_html()
    assert page.count('class="ts-total"') == len(charts.RECONCILIATION_SUM_ROWS) == 2
    r = sample_report.reconciliation()
    assert (f"Responses that arrived this week ({r['activity_responses']}) = {r['received_in_range']} from reach "
            f"outs created this week + {r['from_earlier_cohorts']} from reach outs created earlier.") in page


def test_sections_show_the_numbers(sample_report: WeeklyReport):
    tiles = dict(re.findall(r'data-activity="(\w+)".*?ts-kpi-value">([^<]*)<', sample_report.activity_html()))
    assert tiles == {m: f"{v:,}" for m, v in sample_report.activity_total().items() if m in tiles}
    assert set(tiles) == {"messages_sent", "reach_outs_started", "opens", "responses", "interested"}
    page = sample_report.time_to_reply_html()
    total = sample_report.time_to_reply()[1]
    assert f"<td class=\"ts-num\">{total['ttr_n']}</td>" in page and "first e-mail sent" in page
    assert isinstance(sample_report.steps(), go.Figure)
    fig = sample_report.arrival()
    assert fig.layout.meta["talentstats"] == "arrival_heatmap" and len(fig.data[0].y) == 10


# --------------------------------------------------------------------------- without a messages export
def test_without_messages_each_section_says_so_in_one_line(no_messages: WeeklyReport):
    assert no_messages.messages is None
    steps = no_messages.steps()
    assert isinstance(steps, str) and "No steps: no messages export" in steps and steps.count("<p") == 1
    assert "No messages export: messages sent and reach outs started are unknown." in no_messages.activity_html()
    assert no_messages.activity_total()["messages_sent"] is None
    assert "from creation (no messages export)" in no_messages.time_to_reply_html()
    frame = no_messages.reconciliation_frame()  # opens unknown: responses only
    assert list(frame.columns) == ["Reach outs", "Responses"]
    n = [int(v) for v in frame["Responses"]]
    assert n[0] + n[1] + n[2] == n[3] and n[4] + n[5] == n[6]
    assert no_messages.arrival().data[0].type == "heatmap"


# --------------------------------------------------------------------------- the charts
TRIANGLE = pd.DataFrame({
    "created_week": ["2026-W46", "2026-W46", "2026-W47"], "age_weeks": [0, 1, 0], "count": [3, 1, 2],
    "reach_outs": [10, 10, 4], "cumulative_rate": [0.3, 0.4, 0.5]})


def test_arrival_heatmap_rows_weeks_columns_ages_colour_rate_text_counts():
    fig = charts.arrival_heatmap(TRIANGLE)
    trace = fig.data[0]
    assert list(trace.y) == ["2026-W46", "2026-W47"] and list(trace.x) == [0, 1]
    assert [list(r) for r in trace.z] == [[0.3, 0.4], [0.5, None]]  # W47 has not reached age 1: blank
    assert [list(r) for r in trace.text] == [["3", "1"], ["2", ""]]
    with pytest.raises(ValueError, match="cumulative_rate"):
        charts.arrival_heatmap(TRIANGLE.drop(columns="cumulative_rate"))
    empty = charts.arrival_heatmap(TRIANGLE.iloc[:0])
    assert charts.figure_notes(empty)


def test_steps_chart_one_bar_per_step_labelled_with_rate_and_sent():
    steps = pd.DataFrame({"step": [2, 1], "sent": [50, 100], "first_opens": [3, 30], "replies": [2, 9],
                          "reply_rate": [0.04, 0.09]})
    bar = charts.steps_chart(steps).data[0]
    assert list(bar.y) == ["Step 1", "Step 2"] and list(bar.x) == [9, 2]
    assert list(bar.text) == ["9 · 9.0% of 100 sent", "2 · 4.0% of 50 sent"]
    with pytest.raises(ValueError, match="one row per step"):
        charts.steps_chart(pd.concat([steps, steps]))


# --------------------------------------------------------------------------- the snapshot
def test_the_snapshot_carries_the_messages(tmp_path: Path):
    loaded = load([sample_dir()])
    back = read_snapshot(write_snapshot(loaded, tmp_path / "s.arrow"))
    assert back.messages is not None and back.messages.equals(loaded.messages)
    alone = load([sample_dir() / "reach_outs.csv"])
    assert read_snapshot(write_snapshot(alone, tmp_path / "t.arrow")).messages is None
    (tmp_path / "s.messages.arrow").unlink()
    with pytest.raises(InputError, match="messages"):
        read_snapshot(tmp_path / "s.arrow")


@slow
def test_a_report_without_messages_renders_and_says_so(tmp_path: Path):
    done = render_reports([sample_dir() / "reach_outs.csv"], tmp_path, start=W47[0], end=W47[1],
                          formats=["html"])
    page = done[0].files["html"].read_text(encoding="utf-8")
    for text in ("Activity this week", "Headline and activity reconciled", "How replies arrive", "Time to reply",
                 "No steps: no messages export", "No messages export: messages sent"):
        assert text in page
