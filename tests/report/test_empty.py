"""An empty or stale week is refused, not published as a report of zeros (issue 15): exit 2, one line saying where
the data ends, nothing written; ``--allow-empty`` renders it anyway."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .helpers import sample_dir


def test_a_week_after_the_data_ends_is_refused_in_one_line(tmp_path: Path, cli: Callable):
    code, out, err = cli("report", sample_dir(), "--week", "2027-W01", "--out", tmp_path / "out")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "talentstats: error: 2027-W01 has no reach outs (the data ends on 2026-11-22); nothing to report — "
        "--allow-empty renders it anyway"]
    assert not (tmp_path / "out").exists()  # no folder, no report, no index row


def test_a_backfill_with_an_empty_week_is_refused_before_anything_renders(tmp_path: Path, cli: Callable):
    (tmp_path / "out").mkdir()
    code, _, err = cli("report", sample_dir(), "--week", "2026-W49", "--weeks", "3", "--out", tmp_path / "out")
    assert code == 2 and "2026-W48 has no reach outs" in err  # (W47 has reach outs; W48 is the first empty one)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_campaign_without_reach_outs_in_the_week_is_refused(tmp_path: Path, cli: Callable):
    code, _, err = cli("report", sample_dir(), "--week", "2026-W47", "--campaign", "No Such Campaign", "--out",
                       tmp_path / "out")
    assert code == 2 and "of campaign(s) No Such Campaign" in err


def test_allow_empty_renders_it_anyway(tmp_path: Path, cli: Callable):
    code, _, err = cli("report", sample_dir(), "--week", "2027-W01", "--out", tmp_path / "out", "--format", "html",
                       "--allow-empty")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "2027-W01" / "summary.json").read_text())
    assert summary["reach_outs"] == 0
