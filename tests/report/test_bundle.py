"""The report page's plotly.js: the vendored partial bundle (scatter, bar, heatmap, funnel) when the installed
plotly.js is its version and it draws every chart, else the full library; the policy allows exactly the one
embedded, and charts of each trace type draw with it in Chromium."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from talentstats.report import csp
from talentstats.report.csp import BUNDLE_PATH, BUNDLE_TRACES, BUNDLE_VERSION, PLOTLY_MIME, script_hash
from talentstats.report.export import export_html, network_references

from .helpers import REPO, slow

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


def full_plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def bundle_js() -> str:
    return BUNDLE_PATH.read_text(encoding="utf-8")


def chart_notebook(path: Path, traces: list[str], plotly_js: str | None = None) -> Path:
    """An executed notebook as plotly's ``notebook`` renderer leaves it: plotly.js (the full library unless
    ``plotly_js`` is given) in the first output (after its configuration script), then one chart per trace type,
    each its figure JSON next to its HTML."""
    import plotly.graph_objects as go
    import plotly.io as pio

    make = {"bar": lambda: go.Bar(x=["a", "b"], y=[3, 5], marker_color="#2f5f9e"),
            "scatter": lambda: go.Scatter(x=[1, 2, 3], y=[2, 1, 3], mode="lines+markers"),
            "heatmap": lambda: go.Heatmap(z=[[1, 2], [3, 4]]),
            "funnel": lambda: go.Funnel(y=["a", "b"], x=[5, 3]),
            "pie": lambda: go.Pie(labels=["a", "b"], values=[1, 2])}
    cell = nbformat.v4.new_code_cell("show()")
    config = "<script type=\"text/javascript\">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": f"{config}\n<script type=\"text/javascript\">{plotly_js or full_plotly_js()}</script>"})]
    for trace in traces:
        fig = go.Figure(make[trace]())
        cell.outputs.append(nbformat.v4.new_output("display_data", data={
            "text/html": pio.to_html(fig, include_plotlyjs=False, full_html=False),
            PLOTLY_MIME: fig.to_plotly_json()}))
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path


def allowed_hashes(page: str) -> set[str]:
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert meta
    return set(re.findall(r"'sha256-[^']+'", meta.group(1).replace("&#x27;", "'")))


def test_the_vendored_bundle_is_the_recorded_build_with_its_licence():
    data = BUNDLE_PATH.read_bytes()
    script = (REPO / "tools" / "plotly_bundle" / "build.sh").read_text()
    recorded = re.search(r"^SHA256=([0-9a-f]{64})$", script, re.MULTILINE)
    assert recorded and hashlib.sha256(data).hexdigest() == recorded.group(1)
    header = data[:300].decode()
    assert header.startswith(f"/**\n* plotly.js v{BUNDLE_VERSION} (partial bundle")
    assert "Copyright 2012-2026, Plotly, Inc." in header and "Licensed under the MIT license" in header
    assert "MIT License" in (BUNDLE_PATH.parent / "plotly.js-LICENSE.txt").read_text()
    assert b"</script" not in data.lower()  # it can sit in a <script> element as it is
    assert len(data) < 1_250_000 and BUNDLE_TRACES == {"scatter", "bar", "heatmap", "funnel"}


def test_page_carries_the_bundle_once_and_the_policy_allows_it(tmp_path: Path):
    page = export_html(chart_notebook(tmp_path / "nb.ipynb", ["bar", "scatter", "heatmap"]), "Charts")
    assert page.count(bundle_js()) == 1 and full_plotly_js() not in page
    assert script_hash(bundle_js()) in allowed_hashes(page)
    assert script_hash(full_plotly_js()) not in allowed_hashes(page)
    assert network_references(page) == []


@pytest.mark.parametrize("why", ["another plotly.js version", "a trace type outside the bundle"])
def test_page_falls_back_to_the_full_plotly_js(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str):
    traces = ["bar", "scatter"]
    if why == "another plotly.js version":
        monkeypatch.setattr(csp, "installed_plotlyjs_version", lambda: "4.2.0")
    else:
        traces.append("pie")
    page = export_html(chart_notebook(tmp_path / "nb.ipynb", traces), "Charts")
    assert page.count(full_plotly_js()) == 1 and bundle_js() not in page
    assert script_hash(full_plotly_js()) in allowed_hashes(page)
    assert script_hash(bundle_js()) not in allowed_hashes(page)


def test_a_chart_outside_the_bundle_swaps_the_embedded_bundle_for_the_full_plotly_js(tmp_path: Path):
    page = export_html(chart_notebook(tmp_path / "nb.ipynb", ["bar", "pie"], plotly_js=bundle_js()), "Charts")
    assert page.count(full_plotly_js()) == 1 and bundle_js() not in page
    hashes = allowed_hashes(page)
    assert script_hash(full_plotly_js()) in hashes and script_hash(bundle_js()) not in hashes
    page = export_html(chart_notebook(tmp_path / "nb2.ipynb", ["bar"], plotly_js=bundle_js()), "Charts")
    assert page.count(bundle_js()) == 1 and script_hash(bundle_js()) in allowed_hashes(page)


def test_the_report_kernel_renderer_embeds_the_bundle_where_plotly_would_embed_the_full_library(
        monkeypatch: pytest.MonkeyPatch):
    import IPython.display
    import plotly.io as pio

    from talentstats.report.renderer import NAME, use_report_renderer

    shown: list[str] = []
    monkeypatch.setattr(IPython.display, "display_html", lambda html, raw=False: shown.append(html))
    default = pio.renderers.default
    try:
        pio.renderers.default = "plotly_mimetype+notebook"
        use_report_renderer()
        assert pio.renderers.default == f"plotly_mimetype+{NAME}"
        pio.renderers[NAME].activate()
    finally:
        pio.renderers.default = default
    assert len(shown) == 1 and bundle_js() in shown[0] and full_plotly_js() not in shown[0]
    allowed = csp.trusted_scripts({"data": {"text/html": shown[0]}})  # plotly's configuration and the bundle
    assert len(allowed) == 2 and bundle_js() in allowed


def drawn_charts(page: Path) -> tuple[list[dict], list[str]]:
    """Each chart of ``page`` as Chromium draws it (its trace groups and heatmap images), and the page's errors."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=CHROMIUM_FLAGS)
        try:
            tab = browser.new_page(viewport={"width": 900, "height": 800})
            errors: list[str] = []
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.goto(page.as_uri())
            tab.wait_for_timeout(800)
            charts = tab.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(d => ({
                svg: d.querySelectorAll('svg.main-svg').length,
                traces: d.querySelectorAll('.trace').length + d.querySelectorAll('.hm image').length}))""")
        finally:
            browser.close()
    return charts, errors


@slow
@pytest.mark.parametrize("version", [BUNDLE_VERSION, "4.2.0"])
def test_bar_scatter_heatmap_and_funnel_draw_with_the_embedded_plotly_js(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         version: str):
    monkeypatch.setattr(csp, "installed_plotlyjs_version", lambda: version)
    page = tmp_path / "charts.html"
    page.write_text(export_html(chart_notebook(tmp_path / "nb.ipynb", ["bar", "scatter", "heatmap", "funnel"]),
                                "Charts"), encoding="utf-8")
    assert (bundle_js() in page.read_text(encoding="utf-8")) == (version == BUNDLE_VERSION)
    charts, errors = drawn_charts(page)
    assert errors == []
    assert len(charts) == 4 and all(c["svg"] >= 1 and c["traces"] >= 1 for c in charts), charts
