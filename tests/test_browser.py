"""Browser test: ``talentstats dashboard`` served by Voilà, driven by headless Debian chromium through Playwright.

Changes the date range in the date pickers and checks that the KPI tiles and the charts show what
``talentstats stats --format json`` gives for that range, then switches to the activity mode (``--view activity``).
Full-page screenshots are kept in test-artifacts/dashboard.png and dashboard-activity.png (look at them).
Jupyter's data and runtime folders live in a temporary folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import dashboard

from talentstats.dashboard.text import KPIS
from talentstats.present import charts
from talentstats.stats.metrics import COUNTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
START, END = "2026-11-09", "2026-11-15"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed at {CHROMIUM}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``talentstats dashboard sample_data/ --port N`` in the background; yields its URL."""
    with dashboard(ROOT / "sample_data", tmp_path_factory.mktemp("jupyter")) as url:
        yield url


def stats_json(start: str, end: str, *more: str) -> dict[str, Any]:
    """The total ``talentstats stats sample_data/ --start --end --format json`` (and ``more``) prints."""
    out = subprocess.run([sys.executable, "-m", "talentstats.cli", "stats", str(ROOT / "sample_data"), "--start",
                          start, "--end", end, "--format", "json", *more], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)["total"]


def tile_texts(total: dict[str, Any]) -> dict[str, str]:
    """What each KPI tile (:data:`talentstats.dashboard.text.KPIS`) must show for a total of the CLI's JSON."""
    return {m: (charts.fmt_count if m in COUNTS else charts.fmt_rate)(total[m]) for m in KPIS}


def screenshot(page: Any, path: Path) -> None:
    """Full-page screenshot: Voilà scrolls inside #rendered_cells, so grow the viewport to the content first."""
    height = page.evaluate("(document.querySelector('#rendered_cells') || document.documentElement).scrollHeight")
    page.set_viewport_size({"width": 1280, "height": int(height) + 40})
    page.wait_for_timeout(800)  # plotly relayouts to the new width
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def test_date_range_change_shows_the_cli_numbers(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    want = stats_json(START, END)
    assert want["reach_outs"] > 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server, timeout=90_000)
            tiles = page.locator(".ts-tile .v")
            expect(tiles.first).to_be_visible(timeout=90_000)
            dates = page.locator("input[type=date]")
            for i, value in enumerate((START, END)):
                dates.nth(i).fill(value)
                dates.nth(i).dispatch_event("change")
            for metric, text in tile_texts(want).items():
                expect(page.locator(f'.ts-tile[data-metric="{metric}"] .v')).to_have_text(text, timeout=20_000)
            # the charts follow too (FigureWidget updates reach the browser): funnel and comparison by rate, whose
            # n add up to the reach outs (the plots: funnel, states, trend, how replies arrive, steps, comparison)
            funnel = [want["reach_outs"], want["opens"], want["responses"], want["interested"]]
            page.wait_for_function(
                """([n, reach]) => { const plots = document.querySelectorAll('.js-plotly-plot');
                    if (plots.length < 6) return false;
                    const f = plots[0].data[0].x, c = plots[5].data[0].customdata;
                    return JSON.stringify(Array.from(f)) === JSON.stringify(n)
                        && Array.from(c).reduce((a, row) => a + row[1], 0) === reach; }""",
                arg=[funnel, want["reach_outs"]], timeout=20_000)
            expect(page.get_by_text("Mon 09 Nov 2026 – Sun 15 Nov 2026")).to_be_visible()
            screenshot(page, ARTIFACTS / "dashboard.png")
            # every chart is drawn at the width of its column (none clipped, none left at plotly's 700 px)
            sizes = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
                g => [g._fullLayout.width, g.offsetWidth, g.parentElement.offsetWidth])""")
            assert len(sizes) == 6
            for drawn, element, column in sizes:
                assert abs(drawn - element) <= 2 and element <= column + 1, sizes
            # the activity mode: the tiles show what happened in the range, as `stats --view activity` says
            page.set_viewport_size({"width": 1280, "height": 900})
            page.get_by_role("button", name="Activity").click()
            activity = stats_json(START, END, "--view", "activity")
            for metric in ("messages_sent", "reach_outs_started", "opens", "responses", "interested"):
                expect(page.locator(f'.ts-tile[data-metric="{metric}"] .v')).to_have_text(
                    charts.fmt_count(activity[metric]), timeout=20_000)
            expect(page.get_by_text("Reach outs by state has no activity view")).to_be_visible()
            page.wait_for_timeout(1500)  # the figures shown are laid out again once drawn
            screenshot(page, ARTIFACTS / "dashboard-activity.png")
            assert not errors, errors
            page.close(run_before_unload=True)  # Voilà shuts this page's kernel down
        finally:
            browser.close()
