"""Helpers of the report tests: the sample data, the command, reading PDFs and pixels, expected numbers."""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from talentstats.load.loader import read_reach_outs
from talentstats.present.charts import fmt_count, fmt_rate
from talentstats.stats.metrics import COUNTS, RATES, campaign_stats, stats_dicts

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WEEK = "2026-W47"
W47 = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
#: the sections of the report, each with text that must be printed on the same page as its heading
SECTIONS = {
    "Headline numbers": "no clear change",
    "Activity this week": "Reach outs started",
    "Headline and activity reconciled": "= Arrived this week (activity)",
    "Funnel": "· 100.0%",
    "Reach outs by state": "Paused By Auth Loss",
    "Campaigns": "SRE / Platform",  # (longer names wrap in the narrow key column of the printed table)
    "Senders": "lucia.romero@",
    "12-week trend": "Week starting (Monday)",
    "How replies arrive": "Weeks after creation",
    "Time to reply": "Replies",
    "Steps: which e-mail gets the replies": "Step 1",
    "Data quality": "export rows read",
    "Interested responses": "Reach Out ID",
}
slow = pytest.mark.slow


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def sample_dir() -> Path:
    """The committed sample data (written by the deterministic generator when missing)."""
    path = REPO / "sample_data"
    if not (path / "reach_outs.csv").exists():
        from talentstats.sample import write_sample

        write_sample(path)
    return path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by the pytest-xdist workers of one session."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def talentstats_cmd() -> list[str]:
    """The installed console script (falls back to ``python -m talentstats.cli``)."""
    script = Path(sys.executable).parent / "talentstats"
    return [str(script)] if script.exists() else [sys.executable, "-m", "talentstats.cli"]


def quiet_env(tmp: Path) -> dict[str, str]:
    """The environment of a subprocess run: Jupyter's runtime files inside ``tmp``."""
    return {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime")}


def pdftotext(pdf: Path, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()  # type: ignore[union-attr]
    return float(w), float(h)


def pdf_page_images(pdf: Path, dest: Path, dpi: int = 50) -> list[Path]:
    """Every page of ``pdf`` as a PNG in ``dest`` (sorted by page)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(dest / "page")], check=True)
    return sorted(dest.glob("page-*.png"))


def colour_pixels(image: Path | bytes, colour: str | tuple[int, int, int], tol: int = 8) -> int:
    """Pixels of ``image`` within ``tol`` of ``colour`` on every channel."""
    from PIL import Image

    img = Image.open(io.BytesIO(image) if isinstance(image, bytes) else image).convert("RGB")
    rgb = hex_rgb(colour) if isinstance(colour, str) else colour
    arr = np.asarray(img, dtype=np.int16)
    return int((np.abs(arr - np.array(rgb, dtype=np.int16)) <= tol).all(axis=-1).sum())


def blend(colour: str, opacity: float) -> tuple[int, int, int]:
    """``colour`` drawn with ``opacity`` over white."""
    return tuple(round(255 - opacity * (255 - c)) for c in hex_rgb(colour))  # type: ignore[return-value]


def expected_totals(start: dt.date, end: dt.date, campaigns: list[str] | None = None) -> dict:
    table = read_reach_outs([sample_dir()]).table
    if campaigns:
        table = table[table["campaign"].isin(campaigns)]
    return stats_dicts(campaign_stats(table, start, end))[0]


def total_row(text: str, heading: str) -> list[str]:
    """The tokens of the first 'Total' line after ``heading`` in pdftotext -layout output."""
    after = re.split(rf"^\s*{re.escape(heading)}\s*$", text, maxsplit=1, flags=re.MULTILINE)[1]
    line = next(line for line in after.splitlines() if line.strip().startswith("Total"))
    return line.split()


def formatted(total: dict) -> list[str]:
    """The Total row as the tables print it: five counts, four rates."""
    return [fmt_count(total[m]) for m in COUNTS] + [fmt_rate(total[m]) for m in RATES]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def without_plotly_js(page: str) -> str:
    """``page`` without the embedded plotly.js library (static code, 4.8 MB; the chart data stays)."""
    return re.sub(r"<script[^>]*>\s*/\*\*\s*\* plotly\.js v.*?</script>", "", page, flags=re.DOTALL)


class Rendering:
    """The sample week rendered by ``talentstats report`` in a subprocess: where, what it printed, how long."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out / WEEK
        self.html = self.folder / "weekly_report.html"
        self.pdf = self.folder / "weekly_report.pdf"
        self.ipynb = self.folder / "weekly_report.ipynb"
        run = json.loads(out.with_suffix(".json").read_text())
        self.stdout, self.stderr, self.seconds, self.returncode = (run["stdout"], run["stderr"], run["seconds"],
                                                                   run["returncode"])
