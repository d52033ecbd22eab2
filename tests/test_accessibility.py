"""Accessibility: axe-core finds no serious or critical violation on the weekly report, the index and the dashboard.

The report (``talentstats report sample_data/ --week latest --format html``) is rendered once for the module and
checked at 1280 px and 390 px wide once its charts are drawn; the index page next to it; the dashboard
(``talentstats dashboard sample_data/``, Voilà) once its first chart is drawn. One Chromium (Debian's) serves them
all, in a context that bypasses the report's Content-Security-Policy and adds axe-core to every page before it loads
(see tests/axe_support.py for where axe-core comes from). axe's full results go to test-artifacts/axe-*.json.

Violations known today are listed in :data:`KNOWN`, each with the fix its owners are making: a page whose serious
violations are all known raises :class:`KnownViolations`, which its ``xfail(strict=True)`` expects, so the test turns
red (XPASS) once the fix lands, and any violation not listed fails it as usual.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_support import (
    AXE_VERSION,
    ROOT,
    axe_source,
    describe,
    failing,
    fetch_with_npm,
    run_axe,
)
from browser_support import dashboard, jupyter_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed at {CHROMIUM}")]

#: serious violations known and being fixed, by page: rule id -> the classes of the elements it flags (none today:
#: the grey text and the keyboard access to scrolling tables found on 2026-11-30 are fixed)
KNOWN: dict[str, dict[str, frozenset[str]]] = {}


class KnownViolations(AssertionError):
    """Every serious violation on the page is one listed in :data:`KNOWN` (expected until its fix lands)."""


def node_classes(node: dict[str, Any]) -> set[str]:
    """The classes of the element axe flagged (from the opening tag of its HTML snippet)."""
    match = re.match(r'<[^>]*?\sclass="([^"]*)"', node.get("html", ""))
    return set(match.group(1).split()) if match else set()


def unlisted(violations: list[dict[str, Any]], known: dict[str, frozenset[str]]) -> list[dict[str, Any]]:
    """The violations (each with only its nodes) that :data:`KNOWN` does not list for the page."""
    out = []
    for v in violations:
        nodes = [n for n in v["nodes"] if not node_classes(n) & known.get(v["id"], frozenset())]
        if nodes:
            out.append({**v, "nodes": nodes})
    return out


def check(results: dict[str, Any], page_name: str, label: str) -> None:
    """Fail on serious or critical violations; raise :class:`KnownViolations` if all are listed in :data:`KNOWN`."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{label}.json").write_text(json.dumps(results, indent=1))
    assert results["passes"], "axe checked nothing on the page"
    bad = failing(results)
    new = unlisted(bad, KNOWN.get(page_name, {}))
    assert not new, (f"axe {AXE_VERSION}: serious violations on the {label} page not listed in KNOWN:\n{describe(new)}"
                     f"\n(all of them:)\n{describe(bad)}")
    if bad:
        raise KnownViolations(f"axe {AXE_VERSION}: known serious violations on the {label} page:\n{describe(bad)}")


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe-core's JS: from the axe-playwright-python wheel, else fetched from npm into the cache, else skip."""
    found = axe_source()
    if found is None:
        try:
            fetch_with_npm()
        except (OSError, RuntimeError, ValueError, KeyError, tarfile.TarError, subprocess.SubprocessError) as e:
            pytest.skip(f"axe-core is not available: install axe-playwright-python (test extra) or let "
                        f"`python tests/axe_support.py` fetch axe-core {AXE_VERSION} from npm ({e})")
        found = axe_source()
        assert found is not None
    return found[0]


@pytest.fixture(scope="module")
def context(axe_js: str) -> Iterator[Any]:
    """One Chromium for the module; a context that bypasses CSP and adds axe to every page and frame."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
            ctx.add_init_script(script=axe_js)
            yield ctx
            ctx.close()
        finally:
            browser.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``talentstats report sample_data/ --week latest --format html``, once; the output folder."""
    root = tmp_path_factory.mktemp("a11y-report")
    out = root / "out"
    cmd = [sys.executable, "-m", "talentstats.cli", "report", str(ROOT / "sample_data"), "--week", "latest", "--out",
           str(out), "--format", "html"]
    proc = subprocess.run(cmd, cwd=root, env=jupyter_env(root / "jupyter"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def open_page(context: Any, url: str, width: int) -> Any:
    """A new page at ``width`` x 900 px showing ``url``, every plotly chart on it drawn."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                           ".every(g => g.querySelector('.main-svg'))", timeout=30_000)
    page.wait_for_timeout(300)  # plotly's relayout to the page width
    return page


def test_axe_runs_in_a_page_with_a_strict_csp(context: Any) -> None:
    """The harness itself: axe is there despite a CSP that allows no script, and it reports a low-contrast text."""
    page = context.new_page()
    try:
        page.set_content('<!doctype html><html lang="en"><head><meta http-equiv="Content-Security-Policy" '
                         "content=\"default-src 'none'; script-src 'none'\"><title>t</title></head><body><main>"
                         '<p style="color:#aaaaaa;background:#ffffff">too pale</p></main></body></html>')
        results = run_axe(page)
    finally:
        page.close()
    [contrast] = [v for v in failing(results) if v["id"] == "color-contrast"]
    assert [node_classes(n) for n in contrast["nodes"]] == [set()]
    assert "too pale" in contrast["nodes"][0]["html"]


@pytest.mark.parametrize("width", [1280, 390])
def test_report(context: Any, report: Path, width: int) -> None:
    """The week's HTML report, at a desktop and a phone width."""
    [html] = sorted(report.glob("*/weekly_report.html"))
    page = open_page(context, html.as_uri(), width)
    try:
        assert page.locator(".js-plotly-plot").count() > 0
        results = run_axe(page)
    finally:
        page.close()
    check(results, "report", f"report-{width}")


#: the index's layout as the browser drew it: the page's width and its table's box
INDEX_LAYOUT = """() => { const box = document.querySelector('.scroll'), t = box.querySelector('table');
  return {page: document.documentElement.scrollWidth, box: box.clientWidth, table: t.scrollWidth,
          scrolls: getComputedStyle(box).overflowX}; }"""


@pytest.mark.parametrize(("width", "name"), [(1280, "index-desktop.png"), (390, "index-phone.png")])
def test_index(context: Any, report: Path, width: int, name: str) -> None:
    """The index page that lists the reports: no serious violation, nothing cut off (the page never scrolls
    sideways; a table wider than the screen scrolls in its own box); a screenshot to look at."""
    page = open_page(context, (report / "index.html").as_uri(), width)
    try:
        assert page.locator("a[href$='weekly_report.html']").count() >= 1
        layout = page.evaluate(INDEX_LAYOUT)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        results = run_axe(page)
    finally:
        page.close()
    assert layout["page"] <= width, layout
    assert layout["table"] <= layout["box"] or layout["scrolls"] in ("auto", "scroll"), layout
    check(results, "index", f"index-{width}")


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``talentstats dashboard sample_data/ --port N`` for the module; its URL."""
    with dashboard(ROOT / "sample_data", tmp_path_factory.mktemp("a11y-jupyter")) as url:
        yield url


def test_dashboard(context: Any, dashboard_url: str) -> None:
    """The dashboard once its first chart is drawn."""
    page = context.new_page()
    try:
        page.goto(dashboard_url, timeout=90_000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=90_000)
        page.wait_for_selector(".ts-tile .v", timeout=30_000)
        results = run_axe(page)
    finally:
        page.close(run_before_unload=True)  # Voilà shuts this page's kernel down
    check(results, "dashboard", "dashboard")
