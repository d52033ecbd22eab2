"""Comparing two periods (talentstats.stats.compare), issue 14: the same-age rule on a hand-made table with every
number worked out, the naive fallback with its caveat, In Progress always naive, groups, and maturity."""

from __future__ import annotations

import pandas as pd
import pytest

from talentstats.errors import UsageError
from talentstats.stats.compare import compare_periods, maturity, resolve_previous
from talentstats.stats.intervals import newcombe

from .test_arrival import canonical, t

CURRENT = ("2026-11-16", "2026-11-22")  # Monday to Sunday, UTC
EMAIL = "Email"


def rows() -> list[dict]:
    """Previous week P′ = 11-09 .. 11-15, current week P = 11-16 .. 11-22. The newest instant in the data is c4's
    creation, 11-19 12:00 (Thursday noon): as_of. P′ starts L = 7 days earlier, so it is taken as it stood at the
    cut = as_of − L = 11-12 12:00."""
    return [
        # P′, created by the cut: opened 11-09 12:00 and answered 11-10 09:00 (both by the cut), Interested
        dict(id="p1", campaign="A", state=2, created_at=t("2026-11-09 10:00"), opened=True,
             first_opened_at=t("2026-11-09 12:00"), response_via=EMAIL, responded_at=t("2026-11-10 09:00"),
             response_type="Interested"),
        # P′, created by the cut, but opened 11-13 08:00 and answered 11-14 10:00: both after the cut
        dict(id="p2", campaign="A", state=2, created_at=t("2026-11-10 10:00"), opened=True,
             first_opened_at=t("2026-11-13 08:00"), response_via=EMAIL, responded_at=t("2026-11-14 10:00"),
             response_type="Not Interested"),
        # P′, created by the cut, hard bounced, not opened
        dict(id="p3", campaign="B", state=1, created_at=t("2026-11-11 10:00"), opened=False),
        # P′, created 11-12 11:00 (one hour before the cut), opened 11-12 11:30 (by the cut), in progress
        dict(id="p4", campaign="B", state=0, created_at=t("2026-11-12 11:00"), opened=True,
             first_opened_at=t("2026-11-12 11:30")),
        # P′, created 11-12 13:00: after the cut, so not in P′ as it stood then
        dict(id="p5", campaign="B", state=2, created_at=t("2026-11-12 13:00"), opened=True,
             first_opened_at=t("2026-11-12 14:00"), response_via=EMAIL, responded_at=t("2026-11-13 13:00"),
             response_type="Interested"),
        dict(id="p6", campaign="B", state=0, created_at=t("2026-11-14 09:00"), opened=False),
        # P: c1 opened and answered (Not Interested); c2 opened; c3 and c4 neither; all in progress but c1
        dict(id="c1", campaign="A", state=2, created_at=t("2026-11-16 00:00"), opened=True,
             first_opened_at=t("2026-11-16 10:00"), response_via=EMAIL, responded_at=t("2026-11-17 09:00"),
             response_type="Not Interested"),
        dict(id="c2", campaign="A", state=0, created_at=t("2026-11-17 09:00"), opened=True,
             first_opened_at=t("2026-11-18 09:00")),
        dict(id="c3", campaign="B", state=0, created_at=t("2026-11-18 09:00"), opened=False),
        dict(id="c4", campaign="C", state=0, created_at=t("2026-11-19 12:00"), opened=False),
    ]


TABLE = canonical(rows())


def test_same_age_rule_by_hand():
    r = compare_periods(TABLE, CURRENT)
    assert (r["start"], r["end"]) == ("2026-11-09", "2026-11-15")
    assert r["as_of"] == t("2026-11-19 12:00") and r["cut"] == t("2026-11-12 12:00")
    c = r["changes"]
    # Reach Outs: P c1 c2 c3 c4 = 4; P′ by the cut p1 p2 p3 p4 = 4 (p5, p6 created later) -> 0
    assert (c["reach_outs"]["current"], c["reach_outs"]["previous"], c["reach_outs"]["diff"]) == (4, 4, 0)
    # Opens: P c1 c2 = 2; P′ p1 p4 = 2 (p2 first opened 11-13 08:00, after the cut) -> 0
    assert (c["opens"]["current"], c["opens"]["previous"], c["opens"]["diff"]) == (2, 2, 0)
    # Responses: P c1 = 1; P′ p1 = 1 (p2 answered 11-14, after the cut) -> 0; Interested: 0 vs p1 = 1 -> −1
    assert (c["responses"]["current"], c["responses"]["previous"]) == (1, 1)
    assert (c["interested"]["current"], c["interested"]["previous"], c["interested"]["diff"]) == (0, 1, -1)
    # Hard Bounced: 0 vs p3 = 1 -> −1 (state as now, of the reach outs created by the cut)
    assert (c["hard_bounced"]["current"], c["hard_bounced"]["previous"]) == (0, 1)
    # counts: a difference, no verdict
    assert all(c[m]["significant"] is None and c[m]["diff_low"] is None for m in ("reach_outs", "opens"))
    # open rate 2/4 vs 2/4, response rate 1/4 vs 1/4: d = 0, interval around 0, no clear change
    for rate in ("open_rate", "response_rate"):
        assert c[rate]["current"] == c[rate]["previous"] == pytest.approx(0.5 if rate == "open_rate" else 0.25)
        assert c[rate]["diff"] == 0 and c[rate]["diff_low"] < 0 < c[rate]["diff_high"]
        assert c[rate]["significant"] is False
    # interested of responses 0/1 vs 1/1: d = −1. Wilson 0/1: centre = 1.9207294 / 4.8414588 = 0.3967253,
    # half = 1.959964 · √0.9603647 / 4.8414588 = 1.959964 · 0.9799820 / 4.8414588 = 0.3967253 -> (0, 0.7934507);
    # Wilson 1/1 = (1 − 0.7934507, 1) = (0.2065493, 1). low = −1 − √((0 − 0)² + (1 − 1)²) = −1;
    # high = −1 + √((0.7934507 − 0)² + (1 − 0.2065493)²) = −1 + √(2 × 0.6295640) = −1 + 1.1221087 = 0.1221087
    iof = c["interested_of_responses"]
    assert (iof["current"], iof["previous"], iof["diff"]) == (0.0, 1.0, -1.0)
    assert iof["diff_low"] == pytest.approx(-1.0) and iof["diff_high"] == pytest.approx(0.1221087, abs=1e-6)
    assert iof["significant"] is False
    # the previous total as compared, with intervals
    assert r["total"]["responses"] == 1 and r["total"]["reach_outs"] == 4
    assert r["total"]["response_rate_low"] < 0.25 < r["total"]["response_rate_high"]


def test_in_progress_is_always_naive_and_says_so():
    r = compare_periods(TABLE, CURRENT)
    # In Progress of P: c2 c3 c4 = 3. Of P′ as it is now (naive): p4 and p6 = 2 (p1 p2 p5 responded, p3 bounced);
    # as it stood at the cut it would have been p2 and p4, but that needs the state history the exports lack
    assert (r["changes"]["in_progress"]["current"], r["changes"]["in_progress"]["previous"]) == (3, 2)
    assert r["basis"]["in_progress"] == "naive" and r["basis"]["responses"] == "same age"
    assert any("In Progress" in note and "naively" in note for note in r["caveats"])


def test_naive_comparison_when_asked():
    r = compare_periods(TABLE, CURRENT, same_age=False)
    c = r["changes"]
    # P′ as it is now: 6 reach outs, opens p1 p2 p4 p5 = 4, responses p1 p2 p5 = 3, interested p1 p5 = 2
    assert (c["reach_outs"]["previous"], c["opens"]["previous"], c["responses"]["previous"]) == (6, 4, 3)
    assert c["interested"]["previous"] == 2 and c["responses"]["diff"] == -2
    # response rate 1/4 vs 3/6: d = −0.25, with Newcombe's interval
    expected = newcombe(1, 4, 3, 6)
    assert (c["response_rate"]["diff"], c["response_rate"]["diff_low"], c["response_rate"]["diff_high"]) == \
        pytest.approx(expected[:3])
    assert set(r["basis"].values()) == {"naive"} and r["cut"] == r["as_of"]
    assert r["caveats"] == ["Compared naively: both periods as they are now, whatever their age."]


def test_naive_fallback_without_open_times():
    table = TABLE.assign(first_opened_at=pd.array([pd.NaT] * len(TABLE), dtype="datetime64[us, UTC]"))
    r = compare_periods(table, CURRENT)
    # opens: no first_opened_at anywhere -> naive: P′ as now has p1 p2 p4 p5 = 4 of 6 reach outs
    assert r["basis"]["opens"] == r["basis"]["open_rate"] == "naive"
    assert r["changes"]["opens"]["previous"] == 4
    assert r["changes"]["open_rate"]["previous"] == pytest.approx(4 / 6)
    assert r["total"]["open_rate"] == pytest.approx(4 / 6)
    # the rest is still the same age (responses as by the cut: p1 only)
    assert r["basis"]["responses"] == "same age" and r["changes"]["responses"]["previous"] == 1
    assert any("No open times" in note for note in r["caveats"])


def test_naive_fallback_without_response_times():
    table = TABLE.assign(responded_at=pd.array([pd.NaT] * len(TABLE), dtype="datetime64[us, UTC]"))
    r = compare_periods(table, CURRENT)
    for metric in ("responses", "interested", "response_rate", "interested_rate", "interested_of_responses"):
        assert r["basis"][metric] == "naive"
    # P′ as now: responses p1 p2 p5 = 3 of 6, interested p1 p5 = 2
    assert (r["changes"]["responses"]["previous"], r["changes"]["interested"]["previous"]) == (3, 2)
    assert r["changes"]["response_rate"]["previous"] == pytest.approx(0.5)
    assert r["basis"]["opens"] == "same age" and r["changes"]["opens"]["previous"] == 2
    assert any("No response times" in note for note in r["caveats"])


def test_an_event_of_unknown_time_is_counted_and_said():
    # p2's open time unknown (other open times known): it has happened, so P′ as by the cut counts it: p1 p2 p4 = 3
    table = TABLE.copy()
    table.loc[table["reach_out_id"] == "p2", "first_opened_at"] = pd.NaT
    r = compare_periods(table, CURRENT)
    assert r["basis"]["opens"] == "same age" and r["changes"]["opens"]["previous"] == 3
    assert any(note.startswith("1 opens of the previous period have no time") for note in r["caveats"])


def test_by_campaign_and_a_group_missing_from_one_period():
    g = compare_periods(TABLE, CURRENT, by="campaign")["groups"]
    assert list(g.columns) == ["campaign", "metric", "current", "previous", "diff", "diff_low", "diff_high",
                               "significant", "basis"]
    cell = g.set_index(["campaign", "metric"])
    # A: P c1 c2 (2), P′ by the cut p1 p2 (2); responses c1 vs p1 -> 1 vs 1
    assert cell.loc[("A", "reach_outs"), "current"] == 2 and cell.loc[("A", "reach_outs"), "previous"] == 2
    assert cell.loc[("A", "responses"), "previous"] == 1
    # B: P c3 (1), P′ by the cut p3 p4 (2): p5 and p6 not yet created
    assert (cell.loc[("B", "reach_outs"), "current"], cell.loc[("B", "reach_outs"), "previous"]) == (1, 2)
    # C exists only in P: previous reach outs 0, its rates undefined, no verdict
    assert cell.loc[("C", "reach_outs"), "previous"] == 0
    assert pd.isna(cell.loc[("C", "response_rate"), "previous"])
    assert pd.isna(cell.loc[("C", "response_rate"), "significant"])
    with pytest.raises(UsageError):
        compare_periods(TABLE, CURRENT, by="week")


def test_explicit_previous_period():
    assert resolve_previous(CURRENT) == resolve_previous(CURRENT, "previous") == (
        pd.Timestamp("2026-11-09").date(), pd.Timestamp("2026-11-15").date())
    # P′ = 11-02 .. 11-08 starts L = 14 days earlier: cut = 11-19 12:00 − 14 days = 11-05 12:00; no reach outs
    r = compare_periods(TABLE, CURRENT, "2026-11-02:2026-11-08")
    assert r["cut"] == t("2026-11-05 12:00") and r["changes"]["reach_outs"]["previous"] == 0
    assert r["changes"]["response_rate"]["previous"] is None and r["changes"]["response_rate"]["significant"] is None
    # an explicit as_of: P as it stood at 11-18 00:00 (c1 c2 = 2 reach outs), P′ at 11-11 00:00 (p1 p2 = 2)
    r = compare_periods(TABLE, CURRENT, ("2026-11-09", "2026-11-15"), as_of=t("2026-11-18 00:00"))
    assert (r["changes"]["reach_outs"]["current"], r["changes"]["reach_outs"]["previous"]) == (2, 2)
    # opens: c1 (c2 first opened 11-18 09:00, after) vs p1 (p2 opened later) -> 1 vs 1
    assert (r["changes"]["opens"]["current"], r["changes"]["opens"]["previous"]) == (1, 1)
    for bad in ("2026-11-16:2026-11-22", "2026-11-09", "2026-11-09:2026-11-02"):
        with pytest.raises(UsageError):
            compare_periods(TABLE, CURRENT, bad)


def test_maturity():
    m = maturity(TABLE, CURRENT)
    # ages at 11-19 12:00: c1 3.5 days, c2 2.125, c3 1.125, c4 0 -> median (1.125 + 2.125) / 2 = 1.625
    assert m["reach_outs"] == 4 and m["median_age_days"] == pytest.approx(1.625)
    # p90 time to reply of the reach outs created before the period (no send times: from creation):
    # p1 23 h, p5 24 h, p2 96 h -> sorted [23, 24, 96], p90 at position 1.8: 24 + 0.8 × 72 = 81.6 h = 3.4 days;
    # older than that: c1 (3.5 days) only -> 1/4
    assert m["p90_hours"] == pytest.approx(81.6) and m["share_older_than_p90"] == pytest.approx(0.25)
    empty = maturity(TABLE, ("2026-10-05", "2026-10-11"))
    assert empty["reach_outs"] == 0 and empty["median_age_days"] is None and empty["share_older_than_p90"] is None
    untimed = maturity(TABLE.drop(columns=["responded_at"]), CURRENT)  # an export without response times
    assert untimed["median_age_days"] == pytest.approx(1.625)
    assert untimed["p90_hours"] is None and untimed["share_older_than_p90"] is None
