"""``stats --compare previous|START:END [--same-age] [--as-of]`` (issue 14): the comparison in the JSON, hand
computed, the same-age rule through the command line, and the usage errors."""

from __future__ import annotations

import json
import math

import pytest

EXPORT = """\
Reach Out ID,Campaign,State,Created At,Updated At,Response Via,Responded At
a,X,2,2026-11-16T09:00:00Z,2026-11-17T09:00:00Z,Email,2026-11-17T09:00:00Z
b,X,2,2026-11-17T09:00:00Z,2026-11-22T12:00:00Z,Email,2026-11-21T09:00:00Z
c,X,0,2026-11-18T09:00:00Z,,,
d,X,0,2026-11-19T09:00:00Z,,,
e,X,2,2026-11-09T09:00:00Z,2026-11-10T09:00:00Z,Email,2026-11-10T09:00:00Z
f,X,2,2026-11-10T09:00:00Z,2026-11-20T09:00:00Z,Email,2026-11-20T09:00:00Z
g,X,2,2026-11-11T09:00:00Z,2026-11-14T09:00:00Z,Email,2026-11-14T09:00:00Z
h,X,0,2026-11-15T18:00:00Z,,,
"""
# W47 (a b c d): 4 reach outs, 2 responses. as_of = the newest instant, b's update 11-22 12:00; the lag is 7 days,
# so W46 is taken as it stood at 11-15 12:00: e f g created by then (h at 18:00 is not), responses e and g (f
# answered on 11-20, after it). Naively W46 is 4 reach outs (e f g h) and 3 responses (e f g).
W47 = ("--start", "2026-11-16", "--end", "2026-11-22")


def wilson(x, n, z=1.959963984540054):
    centre, half = (x + z * z / 2) / (n + z * z), z * math.sqrt(x * (n - x) / n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def newcombe(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def compare_json(cli, write, *args) -> dict:
    code, out, err = cli("stats", write("e.csv", EXPORT), *W47, "--compare", *args, "--format", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out)["compare"]


def test_same_age_comparison_hand_computed(cli, write):
    c = compare_json(cli, write, "previous", "--same-age")
    assert (c["start"], c["end"], c["same_age"]) == ("2026-11-09", "2026-11-15", True)
    assert c["as_of"].startswith("2026-11-22T12:00") and c["cut"].startswith("2026-11-15T12:00")
    ch = c["changes"]
    assert ch["reach_outs"] == {"current": 4, "previous": 3, "diff": 1, "diff_low": None, "diff_high": None,
                                "significant": None}
    assert (ch["responses"]["current"], ch["responses"]["previous"], ch["responses"]["diff"]) == (2, 2, 0)
    d, low, high = newcombe(2, 4, 2, 3)  # 50 % against 66.7 %: -16.7 pp, an interval far wider than that
    r = ch["response_rate"]
    assert (r["current"], r["previous"]) == (pytest.approx(0.5), pytest.approx(2 / 3))
    assert (r["diff"], r["diff_low"], r["diff_high"]) == (pytest.approx(d), pytest.approx(low), pytest.approx(high))
    assert r["significant"] is False
    assert c["total"]["reach_outs"] == 3 and c["total"]["responses"] == 2
    assert c["basis"]["responses"] == "same age" and c["basis"]["in_progress"] == "naive"
    assert any("In Progress" in note for note in c["caveats"])


def test_naive_comparison_takes_the_earlier_period_as_it_is_now(cli, write):
    c = compare_json(cli, write, "previous")
    assert c["same_age"] is False
    assert (c["changes"]["reach_outs"]["previous"], c["changes"]["responses"]["previous"]) == (4, 3)
    d, low, high = newcombe(2, 4, 3, 4)
    assert c["changes"]["response_rate"]["diff_low"] == pytest.approx(low)


def test_an_explicit_period_and_as_of(cli, write):
    c = compare_json(cli, write, "2026-11-09:2026-11-15", "--same-age", "--as-of", "2026-11-21T00:00:00Z")
    # as of 11-21 00:00: W47 holds a b c d, only a answered (b on 11-21 09:00 is later); the cut is
    # 11-14 00:00: e f g created, only e answered (g on 11-14 09:00 is later)
    assert (c["changes"]["reach_outs"]["current"], c["changes"]["responses"]["current"]) == (4, 1)
    assert (c["changes"]["reach_outs"]["previous"], c["changes"]["responses"]["previous"]) == (3, 1)


@pytest.mark.parametrize(("args", "flag"), [
    (("--same-age",), "--same-age"),
    (("--compare", "previous", "--engine", "polars"), "--engine"),
    (("--compare", "2026-11-23:2026-11-29"), "--compare"),
    (("--compare", "previous", "--same-age", "--as-of", "noon"), "--as-of"),
])
def test_usage_errors_name_the_flag(cli, write, args, flag):
    code, out, err = cli("stats", write("e.csv", EXPORT), *W47, *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and flag in err, err


def test_triangle_projects_each_week_with_an_interval(cli):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "sample_data"
    code, out, err = cli("triangle", root / "reach_outs.csv", "--messages", root / "messages.csv", "--weeks", "6",
                         "--project", "--format", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    projected = doc["projected"]
    assert [p["created_week"] for p in projected] == [f"2026-W{w}" for w in range(42, 48)]
    assert projected[0]["label"] == "observed" and {p["label"] for p in projected[1:]} == {"projected"}
    for p in projected[1:]:  # a final rate is never below the rate so far, and its interval holds the estimate
        assert p["rate"] <= p["projected_low"] + 1e-12 <= p["projected_rate"] + 2e-12
        assert p["projected_rate"] <= p["projected_high"] + 1e-12
    youngest = projected[-1]  # W47 has had days, not weeks: most of its replies are still to come
    assert youngest["projected_rate"] > 1.5 * youngest["rate"]
