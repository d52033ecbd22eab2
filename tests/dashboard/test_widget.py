"""Tests of talentstats.dashboard.widget: numbers, controls, drill-down, escaping, notebook text, loading.

The dashboard's numbers must be exactly campaign_stats' for the same range, selections and time zone; every
control must update the same FigureWidget objects in place.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from talentstats.dashboard import Dashboard
from talentstats.dashboard.config import ENV_DATA, ENV_MESSAGES, ENV_TZ, env_paths
from talentstats.dashboard.text import KPIS
from talentstats.errors import UsageError
from talentstats.present import charts
from talentstats.stats.metrics import COUNTS, campaign_stats, members
from talentstats.stats.periods import PRESETS, preset_range

from .helpers import (
    EVIL,
    EVIL_ESCAPED,
    ROOT,
    WEEK,
    dashboard,
    figures,
    funnel_x,
    html_values,
    selected,
    shown,
    table,
    tile_values,
    total,
)

# ------------------------------------------------------------------------------------------------ numbers


def test_kpis_hand_checked() -> None:
    d = dashboard()
    assert d.kpis() == {
        "reach_outs": 6, "in_progress": 2, "opens": 3, "responses": 2, "interested": 1, "hard_bounced": 1,  # r4
        "open_rate": 0.5, "response_rate": 2 / 6, "interested_rate": 1 / 6, "interested_of_responses": 0.5,
        "bounce_rate": 1 / 6,
    }
    assert tile_values(d) == {"reach_outs": "6", "in_progress": "2", "opens": "3", "responses": "2",
                              "interested": "1", "open_rate": "50.0%", "response_rate": "33.3%",
                              "interested_rate": "16.7%", "interested_of_responses": "50.0%", "bounce_rate": "16.7%"}
    assert funnel_x(d) == [6, 3, 2, 1]


@pytest.mark.parametrize(("tz", "reach_outs"), [("UTC", 6), ("Europe/Berlin", 5), ("America/New_York", 7)])
def test_kpis_follow_the_time_zone_like_campaign_stats(tz: str, reach_outs: int) -> None:
    d = dashboard(tz=tz)
    assert d.kpis() == total(table(), *WEEK, tz)
    assert d.kpis()["reach_outs"] == reach_outs


def test_change_against_the_previous_period() -> None:
    d = dashboard()
    before = total(table(), dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert before["reach_outs"] == 2 and before["responses"] == 1
    assert '<div class="c"><span class="same">+4 (+200.0%)</span>' in d.tiles["reach_outs"].value
    # no response times in this table: compared naively, said on the tile and above the tiles
    assert '<span class="same">+1 (+100.0%)</span> <span class="same">· naive</span>' in d.tiles["responses"].value
    assert "no clear change<br>-16.7 pp" in d.tiles["response_rate"].value  # 33.3% now, 50% before
    assert "No response times in the data" in d.caveats.value
    assert "09 Nov – 15 Nov 2026" in d.period.value
    d.set_range(dt.date(2026, 11, 10), dt.date(2026, 11, 12))  # previous: 7-9 Nov, no reach outs
    assert '<span class="same">+2</span>' in d.tiles["reach_outs"].value
    assert '<span class="same">—</span>' in d.tiles["response_rate"].value


def test_unknown_opens_are_shown_as_unknown_not_zero() -> None:
    t = table(opened=False)
    d = dashboard(t)
    assert d.kpis()["opens"] is None and total(t, *WEEK)["opens"] is None
    values = tile_values(d)
    assert values["opens"] == values["open_rate"] == "unknown"
    assert values["reach_outs"] == "6"
    assert "opens unknown" in d.data_note.value
    assert d.funnel.data[0].text[1] == charts.UNKNOWN_TEXT
    d.set_range(dt.date(2026, 1, 1), dt.date(2026, 1, 7))  # nothing in range: still unknown, as campaign_stats
    assert d.kpis()["opens"] is None and total(t, dt.date(2026, 1, 1), dt.date(2026, 1, 7))["opens"] is None


def test_partly_unknown_opens_match_campaign_stats() -> None:
    t = table()
    t.loc[t["reach_out_id"] == "r9", "opened"] = pd.NA  # unknown only in the previous week
    d = dashboard(t)
    assert d.kpis() == total(t, *WEEK)
    assert d.kpis()["opens"] == 3
    assert '<span class="same">—</span>' in d.tiles["opens"].value  # previous period's opens unknown
    d.set_range(dt.date(2026, 11, 9), dt.date(2026, 11, 22))
    assert d.kpis() == total(t, dt.date(2026, 11, 9), dt.date(2026, 11, 22))
    assert d.kpis()["opens"] is None


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata"])
def test_sample_data_matches_campaign_stats(sample: pd.DataFrame, tz: str) -> None:
    d = Dashboard(sample, tz=tz)
    campaigns = sorted(sample["campaign"].unique())
    senders = sorted(sample["sender"].unique())
    for start, end in [WEEK, (dt.date(2026, 5, 1), dt.date(2026, 10, 31))]:
        d.set_range(start, end)
        for chosen_c, chosen_s in [((), ()), (tuple(campaigns[:2]), tuple(senders[1:3])),
                                   (tuple(campaigns[2:5]), tuple(senders[:1]))]:
            d.campaigns.value, d.senders.value = chosen_c, chosen_s
            t = selected(sample, chosen_c, chosen_s)
            assert d.kpis() == total(t, start, end, tz)
            assert tile_values(d) == shown(total(t, start, end, tz))
            by = ("campaign", "sender", "state")[len(chosen_c) % 3]
            pd.testing.assert_frame_equal(d.stats(by), campaign_stats(t, start, end, tz, by))


# ------------------------------------------------------------------------------------------------ controls


def test_every_control_updates_the_same_figures_in_place(sample: pd.DataFrame) -> None:
    d = Dashboard(sample, start=WEEK[0], end=WEEK[1], today=dt.date(2026, 11, 25))
    figs = figures(d)
    tiles = dict(d.tiles)

    def check(start: dt.date, end: dt.date, tz: str = "UTC", campaigns: tuple = (), senders: tuple = ()) -> None:
        assert figures(d) == figs and all(a is b for a, b in zip(figures(d), figs, strict=True))
        assert d.tiles == tiles
        t = selected(sample, campaigns, senders)
        now = total(t, start, end, tz)
        assert d.kpis() == now and tile_values(d) == shown(now)
        assert funnel_x(d) == [now["reach_outs"], now["opens"] or 0, now["responses"], now["interested"]]
        by_state = campaign_stats(t, start, end, tz, "state")
        counts = dict(zip(by_state["state"], by_state["reach_outs"], strict=True))
        assert [tr.x[0] for tr in d.states.data] == [counts.get(code, 0) for code in range(10)]
        monday = end - dt.timedelta(days=end.weekday())
        weekly = campaign_stats(t, monday - dt.timedelta(weeks=11), monday + dt.timedelta(days=6), tz, "week")
        per_week = dict(zip(weekly["week"], weekly["reach_outs"], strict=True))
        assert list(d.trend.data[0].y) == [per_week.get(str(w), 0) for w in d.trend.data[0].x]
        key = d.group_by.value
        by_key = campaign_stats(t, start, end, tz, key)
        # by rate: one dot per group at its response rate, n (its reach outs) printed under the name
        dots = dict(zip(d.comparison.data[0].y, d.comparison.data[0].x, strict=True))
        assert dots == {charts.escape_label(k): v for k, v in zip(by_key[key], by_key["response_rate"], strict=True)}
        n = {charts.escape_label(k): v for k, v in zip(by_key[key], by_key["reach_outs"], strict=True)}
        for label, tick in zip(d.comparison.layout.yaxis.tickvals, d.comparison.layout.yaxis.ticktext, strict=True):
            name, under = tick.split("<br>")  # (the name, then its n on a line of its own: a phone's width)
            assert name and under.endswith(f">n = {n[label]:,}</span>")

    check(*WEEK)
    d.start.value = dt.date(2026, 11, 2)  # one date picker
    check(dt.date(2026, 11, 2), WEEK[1])
    d.end.value = dt.date(2026, 11, 15)
    check(dt.date(2026, 11, 2), dt.date(2026, 11, 15))
    for name in PRESETS:
        d.preset.value = name
        s, e = preset_range(name, dt.date(2026, 11, 25))
        assert (d.start.value, d.end.value) == (s, e)
        check(s, e)
    d.start.value = dt.date(2026, 10, 2)  # a date picker turns the preset back to custom
    assert d.preset.value == "custom"
    d.set_range(dt.date(2026, 10, 5), dt.date(2026, 11, 1))
    s, e = dt.date(2026, 10, 5), dt.date(2026, 11, 1)
    check(s, e)
    d.tz.value = "Australia/Sydney"
    check(s, e, "Australia/Sydney")
    campaigns = tuple(sorted(sample["campaign"].unique())[:3])
    d.campaigns.value = campaigns
    check(s, e, "Australia/Sydney", campaigns)
    senders = tuple(sorted(sample["sender"].unique())[1:3])
    d.senders.value = senders
    check(s, e, "Australia/Sydney", campaigns, senders)
    d.group_by.value = "sender"
    assert d.comparison.layout.title.text == "Response rate by sender"
    assert "<th>Sender</th>" in d.table_html.value
    check(s, e, "Australia/Sydney", campaigns, senders)
    d.campaigns.value = ()
    d.senders.value = ()
    check(s, e, "Australia/Sydney")


def test_sort_control_orders_the_table(sample: pd.DataFrame) -> None:
    d = Dashboard(sample, start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 22))
    for metric in ("reach_outs", "response_rate", "interested_of_responses"):
        d.sort_by.value = metric
        by = campaign_stats(sample, dt.date(2026, 10, 1), dt.date(2026, 11, 22), "UTC", "campaign")
        order = list(charts.stats_table(by, ["campaign"], sort_by=metric, ascending=False)["Campaign"])
        rows = re.findall(r"<tr><td>(.*?)</td>", d.table_html.value)
        assert rows == [charts.escape_label(c) for c in order] + ["Total"]


def test_a_bad_range_keeps_the_outputs_and_says_why() -> None:
    d = dashboard()
    before = tile_values(d)
    d.start.value = dt.date(2026, 11, 30)
    assert "From date on or before the To date" in d.date_error.value
    assert tile_values(d) == before
    d.start.value = None
    assert tile_values(d) == before


def test_empty_range_shows_zeros() -> None:
    d = dashboard(start=dt.date(2025, 1, 6), end=dt.date(2025, 1, 12))
    assert d.kpis()["reach_outs"] == 0
    assert tile_values(d)["reach_outs"] == "0" and tile_values(d)["response_rate"] == "—"
    assert funnel_x(d) == [0, 0, 0, 0]
    assert "No reach outs" in d.table_html.value


def test_an_empty_export_shows_zeros_and_unknown_opens() -> None:
    d = Dashboard(table().iloc[0:0], today=dt.date(2026, 11, 25))
    assert d.kpis()["reach_outs"] == 0 and d.kpis()["opens"] is None
    assert tile_values(d)["opens"] == "unknown"
    d.preset.value = "last week"
    assert (d.start.value, d.end.value) == WEEK
    d.group_by.value = "sender"
    d.drill.value = "reach_outs"
    assert "No reach outs behind Reach Outs" in d.drill_html.value


def test_controls_that_change_no_number_refresh_only_their_output(monkeypatch: pytest.MonkeyPatch) -> None:
    d = dashboard()
    calls: list[str] = []
    for name in ("_update_numbers", "_update_table", "_update_drill"):
        original = getattr(d, name)
        monkeypatch.setattr(d, name, lambda *a, _name=name, _f=original: (calls.append(_name), _f(*a))[1])
    d.sort_by.value = "response_rate"
    d.drill.value = "opens"
    assert calls == ["_update_table", "_update_drill"]
    calls.clear()
    d.end.value = dt.date(2026, 11, 21)
    assert calls == ["_update_numbers", "_update_table", "_update_drill"]


# ------------------------------------------------------------------------------------------------ drill-down


@pytest.mark.parametrize("metric", COUNTS)
def test_drill_down_lists_exactly_the_ids_behind_a_tile(sample: pd.DataFrame, metric: str) -> None:
    d = Dashboard(sample, start=dt.date(2026, 11, 2), end=WEEK[1], tz="Europe/Berlin")
    campaigns = tuple(sorted(sample["campaign"].unique())[:4])
    d.campaigns.value = campaigns
    rows = members(sample[sample["campaign"].isin(campaigns)], dt.date(2026, 11, 2), WEEK[1], "Europe/Berlin",
                   metric)
    assert d.drill_rows(metric)["reach_out_id"].tolist() == rows["reach_out_id"].tolist()
    assert len(rows) == (d.kpis()[metric] or 0)
    d.drill.value = metric
    assert f"{len(rows):,} reach outs behind {charts.METRIC_LABELS[metric]}" in d.drill_html.value
    assert len(re.findall("<tr><td>", d.drill_html.value)) == min(len(rows), 500)
    for rid in rows["reach_out_id"].head(500):
        assert f"<td>{rid}</td>" in d.drill_html.value


def test_drill_down_hides_names_and_emails_unless_asked() -> None:
    t = table()
    d = dashboard(t)
    assert d.drill_rows("reach_outs")["reach_out_id"].tolist() == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert d.drill_rows("interested")["reach_out_id"].tolist() == ["r2"]
    d.drill.value = "reach_outs"
    for col in ("prospect_name", "prospect_email"):
        assert col not in d.drill_rows("reach_outs").columns
        for value in t[col]:
            assert value not in html_values(d)
    pii = dashboard(t, include_pii=True)
    pii.drill.value = "reach_outs"
    assert "Ann Lee" in pii.drill_html.value and "ann.lee@mail.example" in pii.drill_html.value
    assert "<th>Email</th>" in pii.drill_html.value


def test_drill_down_follows_range_time_zone_and_selections() -> None:
    d = dashboard(tz="America/New_York")
    assert d.drill_rows("reach_outs")["reach_out_id"].tolist() == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    d.senders.value = ("s2",)
    assert d.drill_rows("reach_outs")["reach_out_id"].tolist() == ["r3", "r4", "r6"]
    d.drill.value = "responses"
    assert "<td>r3</td>" in d.drill_html.value and "<td>r2</td>" not in d.drill_html.value
    d.set_range(dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert "<td>r9</td>" in d.drill_html.value and "<td>r3</td>" not in d.drill_html.value


# ------------------------------------------------------------------------------------------------ escaping


def test_a_campaign_name_is_escaped_everywhere() -> None:
    d = dashboard()
    d.drill.value = "reach_outs"
    d.campaigns.value = (EVIL,)
    everything = html_values(d)
    assert "<img" not in everything
    assert EVIL_ESCAPED in d.table_html.value
    assert EVIL_ESCAPED in d.drill_html.value
    assert html.escape(EVIL) in d.period.value
    assert EVIL_ESCAPED in d.comparison.data[0].y
    shown_text = (*d.comparison.data[0].y, *d.comparison.data[0].text, *d.comparison.layout.yaxis.ticktext)
    assert all("<img" not in str(v) for v in shown_text)
    assert EVIL in dict(d.campaigns.options).values()  # option labels are text, never HTML
    assert d.kpis() == total(table()[table()["campaign"] == EVIL], *WEEK)


# ------------------------------------------------------------------------------------------------ notebook text


def test_kpi_text_lists_every_kpi_with_its_change() -> None:
    text = dashboard().kpi_text()
    assert text.splitlines()[0] == "Reach outs created Mon 16 Nov 2026 – Sun 22 Nov 2026 (UTC)"
    assert "Scope: all campaigns; all senders" in text
    assert re.search(r"Reach Outs\s+6\s+\+4 \(\+200\.0%\)", text)
    assert re.search(r"Open rate\s+50\.0% \(18\.8–81\.2\)\s+-50\.0 pp \(-[\d.]+ to \+[\d.]+\) no clear change", text)
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[3:3 + len(KPIS)]] == [charts.METRIC_LABELS[m].split()[0] for m in KPIS]
    assert all(line.startswith("Note: ") for line in lines[3 + len(KPIS):])
    assert "Note: No response times in the data" in text  # this table has none: compared naively, said


def test_default_range_is_the_newest_complete_week() -> None:
    d = Dashboard(table())  # newest reach out: Mon 23 Nov 00:30 UTC -> week of 16 Nov
    assert (d.start.value, d.end.value) == WEEK


def test_display_syncs_the_figures_before_showing_them() -> None:
    d = dashboard()
    bundle = d._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert d.funnel._widget_data[0]["x"] == [6, 3, 2, 1]


# ------------------------------------------------------------------------------------------------ loading


def test_from_paths_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = table()
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    export = t.assign(created_at=t["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    export.iloc[:5].to_csv(a, index=False)
    export.iloc[5:].to_csv(b, index=False)
    monkeypatch.setenv(ENV_DATA, os.pathsep.join([str(a), str(b)]))
    monkeypatch.setenv(ENV_TZ, "America/New_York")
    monkeypatch.delenv(ENV_MESSAGES, raising=False)
    assert env_paths(ENV_DATA) == [a, b]
    d = Dashboard.from_paths(None)
    assert d.tz.value == "America/New_York"
    assert len(d.table) == len(t)
    assert d.kpis()["reach_outs"] == 7


def test_from_paths_without_data_uses_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATA, raising=False)
    monkeypatch.chdir(ROOT)
    d = Dashboard.from_paths()
    assert len(d.table) == 10_000


def test_a_bad_time_zone_names_the_parameter() -> None:
    with pytest.raises(UsageError, match="unknown time zone") as err:
        Dashboard(table(), tz="Mars/Base")
    assert err.value.parameter == "tz" and err.value.value == "Mars/Base"


def test_a_key_or_metric_the_dashboard_has_not_names_the_parameter() -> None:
    d = dashboard()
    with pytest.raises(UsageError) as err:
        d.stats("response_via")  # a group key of campaign_stats, not of the cube
    assert err.value.parameter == "by" and err.value.value == "response_via"
    with pytest.raises(UsageError) as err:
        d.drill_rows("open_rate")
    assert err.value.parameter == "metric" and err.value.value == "open_rate"
