"""The weekly report's sections on the sample week (2026-W47, in process, no rendering): the stages say how many
responses had no tracked open, In Progress is defined against the state of that name, one small trend per campaign,
and every chart uses bar, scatter or heatmap traces only (a partial plotly.js bundle ships just those)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from talentstats.present.charts import figure_notes
from talentstats.weekly import WeeklyReport

from .helpers import sample_dir

#: the trace types of the partial plotly.js bundle
BUNDLED = {"bar", "scatter", "heatmap"}


@pytest.fixture(scope="module")
def report() -> WeeklyReport:
    return WeeklyReport.from_parameters([str(sample_dir())], week="2026-W47")


@pytest.fixture(scope="module")
def week_rows(report: WeeklyReport) -> pd.DataFrame:
    """The week's reach outs with docs/metrics.md's flags, computed here by hand."""
    t = report.table
    created = t["created_at"].dt.tz_convert("UTC")
    rows = t[(created >= pd.Timestamp("2026-11-16", tz="UTC")) & (created < pd.Timestamp("2026-11-23", tz="UTC"))]
    via = rows["response_via"].astype("string").str.strip().fillna("")
    responded = (via != "") | (rows["state"] == 2)
    return pd.DataFrame({"responded": responded.to_numpy(), "state": rows["state"].to_numpy(),
                         "opened": rows["opened"].astype("boolean").fillna(False).to_numpy(),
                         "campaign": rows["campaign"].astype(str).to_numpy()})


def test_the_stages_say_how_many_responses_had_no_tracked_open(report: WeeklyReport, week_rows: pd.DataFrame):
    silent = int((week_rows["responded"] & ~week_rows["opened"]).sum())
    responses = int(week_rows["responded"].sum())
    assert (silent, responses) == (9, 41)
    fig = report.funnel()
    assert fig.data[0].type == "bar" and list(fig.data[0].x) == [503, 154, 41, 16]
    assert figure_notes(fig) == ["9 of the 41 responses had no tracked open: Responses are not a subset of Opens."]
    assert "9 of 41 responses came without a tracked open" in " ".join(report.quality_notes())


def test_in_progress_is_defined_on_the_page_against_the_state(report: WeeklyReport, week_rows: pd.DataFrame):
    in_progress = ~week_rows["responded"] & ~week_rows["state"].isin([1, 5])
    in_state = in_progress & (week_rows["state"] == 0)
    assert (int(in_progress.sum()), int(in_state.sum())) == (444, 404)
    text = report.in_progress_text()
    assert text.startswith("In Progress (444) counts the reach outs not responded and neither Hard Bounced nor "
                           "Canceled, whatever their state (Completed, Paused, Pending … included); 404 of them are "
                           "in the state In Progress")
    assert '<p class="ts-maturity ts-define">In Progress (444) counts' in report.kpi_html()
    states = report.state_breakdown()
    assert states.data[0].name == "In progress (state)" and states.data[0].x[0] == 404


def test_one_small_trend_per_campaign_the_largest_first(report: WeeklyReport):
    t = report.table
    created = t["created_at"].dt.tz_convert("UTC")
    window = t[(created >= pd.Timestamp("2026-08-31", tz="UTC")) & (created < pd.Timestamp("2026-11-23", tz="UTC"))]
    sizes = window.groupby(window["campaign"].astype(str)).size()
    ranked = sorted(sizes.index, key=lambda c: (-sizes[c], c))
    fig = report.campaign_trends(weeks=12, top=6)
    assert fig.layout.meta["groups"] == ranked[:6] and fig.layout.meta["left_out"] == ranked[6:]
    assert len(ranked) == 7 and figure_notes(fig)[-1].startswith("Not shown (1 smaller campaign")
    assert len({tuple(fig.layout[f"yaxis{i if i > 1 else ''}"].range) for i in range(1, 7)}) == 1  # one scale
    week = list(fig.data[2].x)
    assert week[0] == "2026-08-31" and week[-1] == "2026-11-16"  # twelve weeks ending with W47
    assert dt.date.fromisoformat(week[-1]) == report.start


def test_every_chart_uses_only_bar_scatter_or_heatmap_traces(report: WeeklyReport):
    figures = [report.funnel(), report.state_breakdown(), report.rates("campaign"), report.rates("sender"),
               report.trend(), report.campaign_trends(), report.arrival(), report.steps()]
    types = {trace.type for fig in figures if not isinstance(fig, str) for trace in fig.data}
    assert types <= BUNDLED, types - BUNDLED
    assert {"bar", "scatter"} <= types
