"""The reports folder's index page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from talentstats.report.index import period_label, write_index


def test_index_lists_reports_newest_first_and_skips_broken_summaries(tmp_path: Path):
    for week, start, reach in (("2026-W45", "2026-11-02", 505), ("2026-W47", "2026-11-16", 503),
                               ("2026-W46", "2026-11-09", 524)):
        (tmp_path / week).mkdir()
        (tmp_path / week / "summary.json").write_text(json.dumps({
            "start": start, "end": start, "reach_outs": reach, "opens": None, "response_rate": 0.5,
            "title": "T <b>", "files": ["weekly_report.pdf"], "still_arriving": week == "2026-W47"}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{not json")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert re.findall(r">(2026-W\d\d)<", page) == ["2026-W47", "2026-W46", "2026-W45"]
    assert "3 reports, newest first." in page and "T &lt;b&gt;" in page
    assert page.count('<span class="note">filling in</span>') == 1 and '<td class="n">—</td>' in page
    assert '<td class="n">505</td>' in page and '<td class="n">524<br><span class="chg"' in page  # +19 under W46
    # laid out at the phone's width, not 1,113 px wide (issue 15)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_period_label_is_the_iso_week_or_the_dates():
    assert period_label(dt.date(2026, 11, 16), dt.date(2026, 11, 22)) == "2026-W47"
    assert period_label(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == "2026-11-01_2026-11-30"
    assert period_label(dt.date(2026, 11, 17), dt.date(2026, 11, 23)) == "2026-11-17_2026-11-23"  # not Monday


def write_summaries(folder: Path, summaries: dict[str, dict]) -> str:
    for name, summary in summaries.items():
        (folder / name).mkdir()
        (folder / name / "summary.json").write_text(json.dumps({"tz": "UTC", "files": ["weekly_report.html"],
                                                                **summary}))
    return write_index(folder).read_text(encoding="utf-8")


def week(start: str, end: str, reach: int, responses: int, interested: int, **extra) -> dict:
    """A summary as a report writes it (rates and their Wilson intervals from the counts)."""
    from talentstats.stats.intervals import wilson

    out = {"start": start, "end": end, "reach_outs": reach, "in_progress": reach - responses, "opens": None,
           "responses": responses, "interested": interested, "response_rate": responses / reach,
           "interested_rate": interested / reach}
    for rate, num in (("response_rate", responses), ("interested_rate", interested)):
        out[f"{rate}_low"], out[f"{rate}_high"] = wilson(num, reach)
    return {**out, **extra}


def cells(page: str, week_name: str) -> list[str]:
    row = re.search(rf"<tr><td class=\"w\"><a [^>]*>{week_name}</a>.*?</tr>", page, re.S).group(0)
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)


def test_index_changes_are_called_only_when_the_interval_excludes_zero(tmp_path: Path):
    page = write_summaries(tmp_path, {
        "2026-W46": week("2026-11-09", "2026-11-15", 500, 100, 20),
        "2026-W47": week("2026-11-16", "2026-11-22", 500, 60, 18),
    })
    w47 = cells(page, "2026-W47")
    # 60/500 vs 100/500: -8.0 pp; Wilson (9.44-15.14 %) and (16.73-23.73 %) give Newcombe's -12.5 to -3.5 pp
    assert 'class="chg worse"' not in w47[10]
    assert w47[8].startswith("12.0%") and '<span class="chg better"' not in w47[8]
    assert re.search(r'<span class="chg worse" title="vs 2026-W46 as each report recorded it; 95 %: -12\.5 to '
                     r'-3\.5 pp">▼ -8\.0 pp</span>', w47[8])
    # 18/500 vs 20/500: -0.4 pp, interval spans 0
    assert w47[10].startswith("3.6%") and ">no clear change<br>(-0.4 pp)</span>" in w47[10]
    assert w47[2].startswith("500") and ">+0</span>" in w47[2]  # counts: the difference, no verdict
    assert w47[3].startswith("440")  # In Progress is listed
    assert "chg" not in "".join(cells(page, "2026-W46"))  # the oldest report has nothing to compare with
    assert "<script" not in page and "2 reports, newest first." in page


def test_index_uses_the_reports_own_same_age_comparison_with_that_period(tmp_path: Path):
    compare = {"start": "2026-11-09", "end": "2026-11-15", "basis": {"response_rate": "same age"},
               "changes": {"response_rate": {"diff": -0.02, "diff_low": -0.055, "diff_high": 0.016,
                                             "significant": False}}}
    page = write_summaries(tmp_path, {
        "2026-W46": week("2026-11-09", "2026-11-15", 500, 100, 20),
        "2026-W47": week("2026-11-16", "2026-11-22", 500, 60, 18, compare=compare, still_arriving=True),
    })
    # naively -8.0 pp and significant; at the same age -2.0 pp with an interval spanning 0: no verdict
    assert ('title="vs 2026-W46 at the same age; 95 %: -5.5 to +1.6 pp">no clear change<br>(-2.0 pp)</span>'
            in cells(page, "2026-W47")[8])


def test_index_compares_and_trends_only_reports_of_the_same_scope(tmp_path: Path):
    page = write_summaries(tmp_path, {
        "2026-W45": week("2026-11-02", "2026-11-08", 400, 40, 8),
        "2026-W46": week("2026-11-09", "2026-11-15", 500, 100, 20),
        "2026-W47": week("2026-11-16", "2026-11-22", 500, 60, 18, still_arriving=True),
        "W47-alpha": week("2026-11-16", "2026-11-22", 50, 5, 1, campaigns=["Alpha"]),
    })
    assert "4 reports, newest first." in page
    assert "chg" not in "".join(cells(page, "W47-alpha"))  # no earlier report of Alpha alone
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 4 and all('role="img"' in s for s in svgs)
    w47 = next(s for s in svgs if "2026-W47 12.0%" in s)
    assert "Response rate, oldest to newest: 2026-W45 10.0%, 2026-W46 20.0%, 2026-W47 12.0%" in w47
    # one scale for every row, 0 to the highest rate (20 %): y = 23 - 20 * rate / 0.2; the newest at x = 93,
    # one report every 90 / 7 = 12.86 px to its left
    assert '<polyline points="67.3,13.0 80.1,3.0 93.0,11.0"' in w47
    assert 'fill="#ffffff"' in w47 and "(the newest still filling in)" in w47  # hollow: still filling in
    alpha = next(s for s in svgs if "Alpha" not in s and "oldest to newest: W47-alpha 10.0%" in s)
    assert '<polyline points="93.0,13.0"' in alpha


def test_index_counts_one_report_in_the_singular(tmp_path: Path):
    page = write_summaries(tmp_path, {"2026-W47": week("2026-11-16", "2026-11-22", 500, 60, 18)})
    assert "1 report, newest first." in page and "report(s)" not in page
    assert '<div class="scroll" tabindex="0" role="region" aria-label="Reports">\n<table>' in page  # own scroll box,
    assert ".scroll{overflow-x:auto" in page and "<main>" in page  # reachable by keyboard, named for screen readers
