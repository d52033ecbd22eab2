"""Fixtures of the report tests: the sample week rendered once per session, and a previous report to damage
(tests/conftest.py's fixtures apply here too)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from talentstats.load.options import LoadOptions
from talentstats.report import render_reports

from .helpers import W47, WEEK, Rendering, file_lock, quiet_env, sample_dir, talentstats_cmd


@pytest.fixture(autouse=True)
def _jupyter_runtime_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))


@pytest.fixture(scope="module")
def sample_week(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    """`talentstats report sample_data --week 2026-W47 --format html,pdf,ipynb`, once per session."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    out = root / "sample-week-reports"
    with file_lock(root / "sample-week-reports.lock"):
        if not out.with_suffix(".json").exists():
            shutil.rmtree(out, ignore_errors=True)
            cmd = [*talentstats_cmd(), "report", str(sample_dir()), "--week", WEEK, "--out", str(out),
                   "--format", "html,pdf,ipynb"]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=quiet_env(root), cwd=root, timeout=300)
            seconds = time.perf_counter() - t0
            out.with_suffix(".json").write_text(json.dumps({"stdout": proc.stdout, "stderr": proc.stderr,
                                                            "seconds": seconds, "returncode": proc.returncode}))
    rendering = Rendering(out)
    assert rendering.returncode == 0, rendering.stderr
    return rendering


@pytest.fixture(scope="module")
def stats_json() -> dict:
    """`talentstats stats sample_data --week 2026-W47 --format json`, run as a command."""
    cmd = [*talentstats_cmd(), "stats", str(sample_dir()), "--week", WEEK, "--format", "json"]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


@pytest.fixture(scope="module")
def previous_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Sample data copied into a folder and a report of 2026-W47 rendered from it (html + ipynb)."""
    root = tmp_path_factory.mktemp("previous")
    data = root / "data"
    shutil.copytree(sample_dir(), data, ignore=shutil.ignore_patterns("*.md"))
    render_reports([data / "reach_outs.csv"], root / "out", options=LoadOptions(messages=[data / "messages.csv"]),
                   start=W47[0], end=W47[1], formats=["html", "ipynb"])
    return data, root / "out"
