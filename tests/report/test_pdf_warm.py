"""The printer's warm-up (talentstats.report.pdf): started by PdfPrinter.start, it runs the report's plotly.js in the
printer's tab and draws a chart of each trace type, and leaves nothing in the PDFs after it; a warm-up that fails or
hangs never fails a print. Pages are loaded with their plotly.js moved to one line (aligned) by blank lines in the
head, which change nothing else."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from talentstats.report import pdf as pdf_module
from talentstats.report.csp import BUNDLE_TRACES, page_plotly_js, policy, with_policy
from talentstats.report.pdf import PLOTLY_LINE, PdfPrinter, aligned, warm_page

from .helpers import pdftotext
from .test_pdf import browsers

chromium = pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
                              reason="Chromium is needed to print PDFs")
#: a script that writes what the tab holds: plotly loaded, charts, elements
LOOK = ("document.body.append('LOOK:'+typeof Plotly+'|'+document.querySelectorAll('svg').length+'|'"
        "+document.querySelectorAll('div').length+'|'+window.name)")


def looking_page(path: Path) -> Path:
    path.write_text(with_policy(f"<html><head><title>t</title></head><body><p>own page</p><script>{LOOK}</script>"
                                "</body></html>", policy([LOOK])), encoding="utf-8")
    return path


@chromium
def test_the_warm_up_leaves_nothing_in_the_first_pdf(tmp_path: Path):
    with PdfPrinter() as printer:
        printer.start()  # (the print below waits for the warm-up instead of racing it in the tab)
        printer.print(looking_page(tmp_path / "a.html"), tmp_path / "a.pdf", footer="W47")
        assert len(browsers()) == 1
    text = pdftotext(tmp_path / "a.pdf")
    assert "own page" in text and "LOOK:undefined|0|0|" in text and "warm-up" not in text
    assert "Page 1 of 1" in text
    assert browsers() == []


@chromium
def test_the_warm_up_page_runs_plotly_and_draws_every_trace_type(tmp_path: Path):
    page = tmp_path / "warm.html"
    page.write_text(warm_page(page_plotly_js(BUNDLE_TRACES)), encoding="utf-8")
    with PdfPrinter() as printer:
        printer.print(page, tmp_path / "warm.pdf")
    text = pdftotext(tmp_path / "warm.pdf")
    for trace in sorted(BUNDLE_TRACES):  # (each title is drawn by plotly.js, allowed by the page's own policy)
        assert f"warm-up {trace}" in text


@chromium
def test_a_warm_up_that_hangs_or_fails_does_not_fail_the_first_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pdf_module, "_WARM_JS", "while (true) {}")
    monkeypatch.setattr(pdf_module, "_WARM_LIMIT", 1.0)
    with PdfPrinter() as printer:
        t0 = time.perf_counter()
        printer.start()
        printer.print(looking_page(tmp_path / "a.html"), tmp_path / "a.pdf", timeout=30)
        assert time.perf_counter() - t0 < 25
        assert len(browsers()) == 1  # (the stuck tab was replaced, not the browser)
    assert "LOOK:undefined|0|0|" in pdftotext(tmp_path / "a.pdf")

    def broken(_file: Path) -> None:
        raise OSError("no room")

    monkeypatch.setattr(pdf_module, "_write_warm_page", broken)
    with PdfPrinter() as printer:
        printer.start()
        printer.print(looking_page(tmp_path / "b.html"), tmp_path / "b.pdf", timeout=30)
    assert "own page" in pdftotext(tmp_path / "b.pdf")
    assert browsers() == []


def test_aligned_moves_plotly_js_to_its_line_by_blank_lines_in_the_head_and_changes_nothing_else():
    js = "/* plotly */ var Plotly = {};"
    page = "<html><head>\n<style>p{}</style>\n</head>\n<body>\n<p>x</p>\n<script>" + js + "</script></body></html>"
    out = aligned(page, js)
    at = out.find(js)
    assert out.count("\n", 0, at) == PLOTLY_LINE and at - out.rfind("\n", 0, at) - 1 == len("<script>")
    pad = "\n" * (PLOTLY_LINE - page.count("\n", 0, page.find(js)))
    assert out == page.replace("</head>", pad + "</head>", 1)  # (only blank lines, at the end of the head)
    assert aligned(page, "var other;") == page  # no plotly.js: as it is
    same_line = "<html><head></head><body><script>" + js + "</script></body></html>"
    assert aligned(same_line, js) == same_line  # on the head's line: its column would move
    long = "<html><head></head>" + "\n" * (PLOTLY_LINE + 1) + "<script>" + js + "</script>"
    assert aligned(long, js) == long  # already past the line


@chromium
def test_no_copy_of_a_page_is_kept_after_its_print_and_the_folder_goes_with_the_printer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with PdfPrinter() as printer:
        printer.start()
        printer.print(looking_page(tmp_path / "a.html"), tmp_path / "a.pdf")
        folders = list(tmp_path.glob("talentstats-pdf-*"))
        deadline = time.monotonic() + 10
        while any(list(folder.iterdir()) for folder in folders) and time.monotonic() < deadline:
            time.sleep(0.05)  # (the clean-up after a print runs while the caller goes on)
        assert len(folders) == 1 and list(folders[0].iterdir()) == []
    assert list(tmp_path.glob("talentstats-pdf-*")) == []
