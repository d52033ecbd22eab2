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
    assert "3 report(s), newest first." in page and "T &lt;b&gt;" in page
    assert page.count("filling in") == 1 and '<td class="n">—</td>' in page and '<td class="n">524</td>' in page
    # laid out at the phone's width, not 1,113 px wide (issue 15)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_period_label_is_the_iso_week_or_the_dates():
    assert period_label(dt.date(2026, 11, 16), dt.date(2026, 11, 22)) == "2026-W47"
    assert period_label(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == "2026-11-01_2026-11-30"
    assert period_label(dt.date(2026, 11, 17), dt.date(2026, 11, 23)) == "2026-11-17_2026-11-23"  # not Monday
