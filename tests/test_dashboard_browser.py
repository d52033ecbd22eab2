"""Browser test of what makes the dashboard pleasant, in headless Debian chromium through Playwright: a progress note
then the first chart soon after the page opens, no request leaving 127.0.0.1, nothing clipped at 1280 and 390 px (a
tile, chart or table fits or scrolls inside its own box), the date error beside the dates with the old numbers
marked, a searchable campaign picker, and a server log without "not trusted" or "without encryption".

Screenshots: test-artifacts/dashboard-desktop.png and dashboard-phone.png (look at them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import dashboard, open_timed
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed at {CHROMIUM}")

#: first chart drawn at most this long after the page opens (the goal is 5 s on an idle machine; shared test
#: machines are slower, so this only catches a return to the old 25-35 s)
FIRST_CHART_LIMIT_S = 20

#: elements that must fit the viewport unless inside a box that scrolls sideways (whose own right edge must fit)
FITS = """() => {
  const W = document.documentElement.clientWidth, bad = [];
  const scroller = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return p; } return null; };
  for (const el of document.querySelectorAll(
      '.ts-tile, .js-plotly-plot, .ts-pick, .ts-scroll, .ts-ab, .widget-dropdown, .widget-datepicker, .widget-text')) {
    const r = el.getBoundingClientRect(); if (!r.width) continue;
    const box = scroller(el), right = box ? box.getBoundingClientRect().right : r.right;
    if (right > W + 1) bad.push([el.className.toString().slice(0, 50), Math.round(r.left), Math.round(right), W]);
  }
  for (const g of document.querySelectorAll('.js-plotly-plot'))
    if (g._fullLayout && g._fullLayout.width > g.offsetWidth + 2)
      bad.push(['plot drawn wider', g._fullLayout.width, g.offsetWidth]);
  const page = document.documentElement.scrollWidth;
  if (page > W + 1) bad.push(['page scrolls sideways', page, W]);
  return bad;
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``talentstats dashboard sample_data/`` in the background; yields its URL and the file of its log."""
    home = tmp_path_factory.mktemp("jupyter")
    with dashboard(ROOT / "sample_data", home, timeout=60, log=home / "server.log") as url:
        yield url, home / "server.log"


def _screenshot(page: Any, path: Path, width: int) -> None:
    """Full-page screenshot at ``width``: Voilà scrolls inside #rendered_cells, so grow the viewport first."""
    height = page.evaluate("(document.querySelector('#rendered_cells') || document.documentElement).scrollHeight")
    page.set_viewport_size({"width": width, "height": int(height) + 40})
    page.wait_for_timeout(800)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def _open(p: Any, url: str, width: int) -> tuple[Any, Any, list[str], float, float]:
    """A new browser and page at ``width``: (browser, page, requested URLs, seconds to the progress note, to the
    first chart)."""
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    return (browser, *open_timed(browser, url, width))


@pytest.mark.parametrize(("width", "name"), [(1280, "dashboard-desktop.png"), (390, "dashboard-phone.png")])
def test_fast_offline_and_nothing_clipped(served: tuple[str, Path], width: int, name: str) -> None:
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as p:
        browser, page, requests, note, first = _open(p, url, width)
        try:
            print(f"\n{width} px: progress note after {note:.1f} s, first chart after {first:.1f} s")
            assert note < first <= FIRST_CHART_LIMIT_S
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 6", timeout=90_000)
            page.wait_for_timeout(4000)  # the figures put on the page later are laid out again (1 s and 3 s)
            assert page.evaluate(FITS) == []
            assert page.evaluate("""() => Array.from(document.querySelectorAll('.modebar-container')).every(
                m => !m.getBoundingClientRect().width)""")  # no plotly toolbar over the titles
            assert not page.locator(".ts-skeleton").is_visible() and not page.get_by_text("updated in").count()
            # the A/B panel fits without scrolling sideways, and every chart keeps most of its width for the data
            assert page.evaluate("() => [...document.querySelectorAll('.ts-ab')].every("
                                 "b => b.scrollWidth <= b.clientWidth + 1)")
            areas = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map("
                                  "g => g._fullLayout._size.w / g._fullLayout.width)")
            assert min(areas) >= 0.3, areas
            assert not page.locator("pre").filter(has_text="Changes compare with").count()  # (the KPI text cell)
            _screenshot(page, ARTIFACTS / name, width)
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(800)
            assert page.evaluate(FITS) == []
            outside = [u for u in requests if not u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "blob:",
                                                                "data:"))]
            assert outside == []
            page.close(run_before_unload=True)
        finally:
            browser.close()


def test_date_error_beside_the_dates_and_a_searchable_picker(served: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, log = served
    with sync_playwright() as p:
        browser, page, _, _, _ = _open(p, url, 390)
        try:
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 6", timeout=90_000)
            assert page.locator(".widget-dropdown select").first.evaluate(
                "s => s.options[s.selectedIndex].text") == "2026-W47"
            dates = page.locator("input[type=date]")
            dates.nth(0).fill("2026-11-30")
            dates.nth(0).dispatch_event("change")
            error = page.locator(".ts-error")
            expect(error).to_be_visible(timeout=20_000)
            expect(page.locator(".ts-stale .ts-results")).to_have_count(1)
            gap = error.bounding_box()["y"] - (dates.nth(1).bounding_box()["y"] + dates.nth(1).bounding_box()["height"])
            assert gap < 60, gap  # right under (or beside) the To date, not a screen further down
            dates.nth(0).fill("2026-11-16")
            dates.nth(0).dispatch_event("change")
            expect(error).to_have_count(0, timeout=20_000)
            expect(page.locator(".ts-stale")).to_have_count(0)
            search = page.get_by_placeholder("Search 7 campaigns…")
            search.fill("lisbon")
            picker = page.locator(".ts-pick").first
            expect(picker.get_by_role("checkbox")).to_have_count(1, timeout=20_000)  # the search has narrowed it
            box = page.get_by_role("checkbox", name="Frontend Engineers, Lisbon")
            expect(box).to_be_visible(timeout=20_000)
            box.click()
            expect(box).to_be_checked()
            period = page.locator(".ts-line").filter(has_text="campaign Frontend Engineers, Lisbon; all senders")
            expect(period).to_have_count(1, timeout=30_000)
            page.close(run_before_unload=True)
        finally:
            browser.close()
    text = log.read_text()
    assert "is not trusted" not in text and "without encryption" not in text, text[-2000:]
