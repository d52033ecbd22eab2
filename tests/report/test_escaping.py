"""Issue 12, defect 5: a hostile ``--title`` ran JavaScript in the Chromium that prints the PDF (it broke out of
the footer's CSS string and the <style> element), and an ``onerror=alert(…)`` payload hung the print until a 120 s
timeout. Now: every value is escaped for its context (CSS here), the page carries a Content-Security-Policy that
lets only the report's own scripts run (by hash), Chromium is sandboxed unless running as root, and a print that
does not finish fails with one line naming the limit.

Fast: the notebook is not executed (a small executed notebook stands in for it); Chromium prints real pages.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from functools import cache
from pathlib import Path

import nbformat
import psutil
import pytest

from talentstats import report as report_mod
from talentstats.errors import UsageError
from talentstats.report import render_period
from talentstats.report.export import export_html, print_css
from talentstats.report.index import write_index
from talentstats.report.pdf import PdfPrinter

from .helpers import pdftotext

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
                                reason="Chromium is needed to print PDFs")

WEEK = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
#: the payloads of the issue: a script that writes into the page, an image whose onerror opens a dialog
WRITE = "</style><script>document.write('JS'+'RAN')</script>"
DIALOG = "</style><img src=x onerror=alert(1)>"
HOSTILE_CHART = "</script><script>document.write('CHART'+'RAN')</script>"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


@cache
def _chart_html() -> str:
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure(go.Bar(x=[HOSTILE_CHART, "B"], y=[3, 5], marker_color="#2f5f9e"))
    return pio.to_html(fig, include_plotlyjs=True, full_html=False)


def executed_notebook(path: Path, injected: str = "") -> Path:
    """A small executed report notebook: a heading, a plotly chart output (plotly.js inline) and, optionally, an
    HTML output carrying markup that should never have reached the page."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("report.header()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<h1>Weekly</h1><p>503 reach outs</p>"}),
                    nbformat.v4.new_output("display_data", data={"text/html": _chart_html(), PLOTLY_MIME: {}})]
    if injected:
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": injected}))
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path


def no_chromium_left() -> bool:
    return not [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]


def test_footer_css_cannot_end_the_string_the_rule_or_the_style_element():
    css = print_css("A4", WRITE + '"}\\ \n')
    inner = css[len("<style>"):-len("</style>")]
    assert "<" not in inner and "</style" not in inner.lower()
    assert '\\3c /style\\3e \\3c script\\3e ' in inner  # the title is still there, as CSS escapes
    assert 'content:"a\\22 b"' in print_css("A4", 'a"b')


def test_title_script_does_not_run_and_a_dialog_does_not_hang_the_print(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    def fake_execute(parameters: dict, output: Path, **_kwargs: object) -> None:
        executed_notebook(output)

    monkeypatch.setattr(report_mod, "execute_notebook", fake_execute)
    t0 = time.perf_counter()
    for n, title in enumerate((WRITE, DIALOG)):
        rendered = render_period(tmp_path / "snapshot.parquet", tmp_path / f"out{n}", *WEEK, title=title,
                                 formats=["html", "pdf"])
        text = pdftotext(rendered.files["pdf"])
        assert "JSRAN" not in text and "CHARTRAN" not in text
        assert ("document.write" if n == 0 else "onerror") in text  # the title is in the footer, as text
    assert time.perf_counter() - t0 < 40  # was: the dialog held Chromium until the 120 s timeout
    assert no_chromium_left()


def test_page_policy_allows_the_charts_scripts_only(tmp_path: Path):
    from talentstats.report.csp import script_hash, trusted_scripts

    page = export_html(executed_notebook(tmp_path / "nb.ipynb", injected="<script>alert('injected')</script>"
                                         "<img src=x onerror=alert(2)>"), "Weekly")
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert meta and page.index(meta.group(0)) < page.index("<script")  # before any script
    allowed = set(re.findall(r"'sha256-[^']+'", meta.group(1).replace("&#x27;", "'")))
    assert script_hash("alert('injected')") not in allowed
    from plotly.offline import get_plotlyjs

    from talentstats.report.csp import page_plotly_js

    chart = _chart_html().replace(get_plotlyjs(), page_plotly_js({"bar"}))  # as embedded: the partial bundle
    assert {script_hash(b) for b in trusted_scripts({"data": {"text/html": chart, PLOTLY_MIME: {}}})} <= allowed
    assert script_hash(get_plotlyjs()) not in allowed  # (the library the page does not carry)
    assert "default-src &#x27;none&#x27;" in meta.group(1) and "unsafe-inline&#x27; " not in meta.group(1).split(
        "script-src")[1].split(";")[0]
    # an HTML output that is not a chart may carry plotly.js itself, but no other script
    assert trusted_scripts({"data": {"text/html": "<script>alert(1)</script>"}}) == []


def test_printed_page_runs_no_injected_script_and_draws_the_chart(tmp_path: Path):
    page = tmp_path / "page.html"
    page.write_text(export_html(executed_notebook(tmp_path / "nb.ipynb", injected=(
        "<script>document.write('INJECTED'+'RAN')</script><img src=x onerror=\"document.body.append('HANDLER'+"
        "'RAN')\">")), "Weekly"), encoding="utf-8")
    pdf = tmp_path / "page.pdf"
    with PdfPrinter() as printer:
        printer.print(page, pdf, footer=WRITE, timeout=45)
    text = pdftotext(pdf)
    assert "INJECTEDRAN" not in text and "HANDLERRAN" not in text and "JSRAN" not in text
    assert "CHARTRAN" not in text  # a bar label cannot end the chart's script
    from .helpers import colour_pixels, pdf_page_images

    images = pdf_page_images(pdf, tmp_path / "png", dpi=40)
    assert colour_pixels(images[0], "#2f5f9e") > 200  # plotly.js ran under the policy and drew the bars


def test_a_page_without_a_policy_is_printed_with_no_script_at_all(tmp_path: Path):
    from talentstats.report.csp import has_policy, policy, with_policy

    page = tmp_path / "bare.html"
    page.write_text("<html><head></head><body><p>plain</p><script>document.write('BARE'+'RAN')</script></body>"
                    "</html>", encoding="utf-8")
    with PdfPrinter() as printer:
        printer.print(page, tmp_path / "bare.pdf", timeout=45)
    assert "BARERAN" not in pdftotext(tmp_path / "bare.pdf") and "plain" in pdftotext(tmp_path / "bare.pdf")
    assert has_policy(with_policy("<html><head></head></html>", policy()))


def test_a_print_that_does_not_finish_is_one_line_naming_the_limit(tmp_path: Path, cli):
    from talentstats.report.csp import policy, with_policy

    hang = "while (true) {}"  # allowed by the page's own policy: the page never finishes loading
    page = tmp_path / "hang.html"
    page.write_text(with_policy(f"<html><head></head><body><p>x</p><script>{hang}</script></body></html>",
                                policy([hang])), encoding="utf-8")
    t0 = time.perf_counter()
    with PdfPrinter() as printer, pytest.raises(UsageError) as info:
        printer.print(page, tmp_path / "hang.pdf", timeout=3)
    assert time.perf_counter() - t0 < 15
    assert info.value.parameter == "pdf_timeout" and "within 3 s" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "hang.pdf").exists() and no_chromium_left()
    code, _, err = cli("report", tmp_path / "missing.csv", "--pdf-timeout", "0", "--out", tmp_path / "out")
    assert code == 2 and err.count("\n") == 1 and "--pdf-timeout 0.0: give a number of seconds above 0" in err


def test_chromium_is_sandboxed_unless_running_as_root(monkeypatch: pytest.MonkeyPatch):
    from talentstats.report.export import sandbox_flags

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert sandbox_flags() == []
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert sandbox_flags() == ["--no-sandbox"]


def test_index_links_are_relative_paths_and_the_page_has_a_policy(tmp_path: Path):
    folder = tmp_path / "javascript:alert(1)"
    folder.mkdir()
    (folder / "summary.json").write_text('{"start": "2026-11-16", "title": "<b>T</b>", "files": '
                                         '["weekly_report.html"]}', encoding="utf-8")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert 'href="javascript%3Aalert%281%29/weekly_report.html"' in page
    assert "&lt;b&gt;T&lt;/b&gt;" in page and "Content-Security-Policy" in page
