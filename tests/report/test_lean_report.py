"""The sample week's report as mailed: a self-contained page of at most 1.5 MB (plotly.js once, as the partial
bundle) whose every chart draws offline on a phone and a desktop, and a PDF without wasted paper."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from talentstats.report.csp import BUNDLE_PATH, PLOTLY_MIME
from talentstats.report.export import find_chromium, network_references

from .helpers import Rendering, artifact, pdf_page_images, slow

#: the issue's wish: a report that can be mailed
MAX_HTML_BYTES = 1_500_000
#: the sample week's PDF fills this many A4 pages (11 before the print rules let sections flow and scaled charts)
MAX_PDF_PAGES = 8
#: no page but the last may have a longer blank stretch than this share of its printable height
MAX_BLANK = 0.40
#: A4 page margins (14 mm of 297 mm) plus the footer line: left out of a page's printable height
MARGIN_SHARE = 16 / 297

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
#: each chart as the browser drew it, every table whose content is wider than its box, and clipped KPI labels
_LAYOUT_JS = """() => {
  const scrolls = el => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
      if (o !== 'visible' && el.getBoundingClientRect().width > a.clientWidth + 1) return false; }
    return el.getBoundingClientRect().right <= document.documentElement.clientWidth + 1; };
  return {
    charts: [...document.querySelectorAll('.plotly-graph-div')].map(d => ({
      svg: d.querySelectorAll('svg.main-svg').length,
      traces: d.querySelectorAll('.trace').length + d.querySelectorAll('.hm image').length,
      width: d.getBoundingClientRect().width, room: d.parentElement.getBoundingClientRect().width})),
    tables: [...document.querySelectorAll('table')].map(t => ({cls: t.className, reachable: scrolls(t)})),
    cut_labels: [...document.querySelectorAll('.ts-kpi-label')].filter(l => l.scrollWidth > l.clientWidth + 1)
      .map(l => l.textContent),
    page_width: document.documentElement.scrollWidth};
}"""


def chart_count(rendering: Rendering) -> int:
    cells = json.loads(rendering.ipynb.read_text(encoding="utf-8"))["cells"]
    return sum(PLOTLY_MIME in o.get("data", {}) for c in cells for o in c.get("outputs", []))


def test_html_is_at_most_1_5_mb_with_plotly_js_once_and_nothing_from_the_network(sample_week: Rendering):
    data = sample_week.html.read_bytes()
    page = data.decode("utf-8")
    assert len(data) <= MAX_HTML_BYTES, f"{len(data):,} bytes"
    assert page.count(BUNDLE_PATH.read_text(encoding="utf-8")) == 1  # the partial bundle, once
    assert len(re.findall(r"\* plotly\.js v\d+\.\d+\.\d+", page)) == 1  # and no other plotly.js
    assert network_references(page) == [] and not re.search(r"<(?:script|link|img)\b[^>]*\s(?:src|href)=", page)


def blank_runs(image: Path) -> float:
    """The longest stretch of blank rows of a page image, as a share of its printable height."""
    from PIL import Image

    grey = np.asarray(Image.open(image).convert("L"))
    margin = round(grey.shape[0] * MARGIN_SHARE)
    inked = (grey[margin:grey.shape[0] - margin] < 240).any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate(([1], inked.astype(np.int8), [1]))))
    starts, ends = edges[::2], edges[1::2]  # blank runs: from a 1->0 step to the next 0->1 step
    return float((ends - starts).max(initial=0) / inked.size)


@slow
def test_pdf_wastes_no_paper(sample_week: Rendering, tmp_path: Path):
    pages = pdf_page_images(sample_week.pdf, tmp_path, dpi=50)
    assert len(pages) <= MAX_PDF_PAGES
    blank = [blank_runs(p) for p in pages]
    assert max(blank[:-1]) <= MAX_BLANK, [f"{b:.0%}" for b in blank]  # (the last page ends where the report does)
    assert blank_runs(pages[-1]) < 0.95  # (a page that is not empty is measured as such)


@slow
@pytest.mark.parametrize("width, name", [(390, "report-phone.png"), (1280, "report-desktop.png")])
def test_every_chart_draws_offline_and_nothing_is_cut_off(sample_week: Rendering, width: int, name: str):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_FLAGS)
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                      else (requests.append(r.request.url), r.abort()))
            tab.goto(sample_week.html.as_uri())
            tab.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6",
                                  timeout=20_000)
            layout = tab.evaluate(_LAYOUT_JS)
            tab.screenshot(path=str(artifact(name)), full_page=True)
        finally:
            browser.close()
    assert requests == [] and errors == []
    assert len(layout["charts"]) == chart_count(sample_week)
    for chart in layout["charts"]:
        assert chart["svg"] >= 1 and chart["traces"] >= 1, chart  # drawn
        assert chart["width"] <= chart["room"] + 1, chart  # as wide as its place, not wider
    assert layout["page_width"] <= width  # the page itself never scrolls sideways
    assert [t for t in layout["tables"] if not t["reachable"]] == []  # wide tables scroll in their own box
    assert layout["cut_labels"] == []
