"""One Chromium prints every PDF of a run (talentstats.report.pdf.PdfPrinter), keeping what a Chromium per PDF
guaranteed: the page's Content-Security-Policy (none: no script runs), the sandbox unless root, the network off,
the time limit per PDF as one line naming pdf_timeout, the paper and the footer, and no browser left behind."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psutil
import pytest

from talentstats.errors import UsageError
from talentstats.report.csp import policy, with_policy
from talentstats.report.pdf import PdfPrinter

from .helpers import pdf_page_size, pdftotext

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
                                reason="Chromium is needed to print PDFs")


def browsers() -> list[psutil.Process]:
    """The running Chromium browser processes (not their helpers, whose parent is Chromium) this process started."""
    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            if ("chrom" in p.name().lower() and p.status() != psutil.STATUS_ZOMBIE
                    and "chrom" not in p.parent().name().lower()):
                found.append(p)
        except psutil.Error:  # (gone meanwhile)
            continue
    return found


def page(path: Path, body: str, scripts: list[str] | None = None) -> Path:
    html = f"<html><head><title>t</title></head><body>{body}</body></html>"
    path.write_text(with_policy(html, policy(scripts)) if scripts is not None else html, encoding="utf-8")
    return path


def test_one_browser_prints_every_pdf_on_its_paper_with_its_footer(tmp_path: Path):
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "a.html", "<p>first week</p>"), tmp_path / "a.pdf", "A4", "Report · W46")
        started = [p.pid for p in browsers()]
        printer.print(page(tmp_path / "b.html", "<p>second week</p>"), tmp_path / "b.pdf", "Letter", "Report · W47")
        assert len(started) == 1 and [p.pid for p in browsers()] == started  # the same Chromium, once
        flags = started and psutil.Process(started[0]).cmdline()
        assert ("--no-sandbox" in flags) == (os.geteuid() == 0)  # sandboxed unless root
    assert browsers() == []
    assert pdf_page_size(tmp_path / "a.pdf") == pytest.approx((595.0, 842.0), abs=1.5)
    assert pdf_page_size(tmp_path / "b.pdf") == pytest.approx((612.0, 792.0), abs=1.5)
    text = pdftotext(tmp_path / "b.pdf")
    assert "second week" in text and "Report · W47" in text and "Page 1 of 1" in text


def test_a_page_runs_only_the_scripts_its_policy_allows(tmp_path: Path):
    allowed = "document.body.append('ALLOWED'+'RAN')"
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "bare.html", "<p>plain</p><script>document.write('BARE'+'RAN')</script>"),
                      tmp_path / "bare.pdf")
        printer.print(page(tmp_path / "own.html", f"<p>x</p><script>{allowed}</script><script>document.body."
                           "append('INJECTED'+'RAN')</script><img src=x onerror=\"document.body.append('HANDLER'"
                           "+'RAN')\"><img src='https://example.com/x.png'>", [allowed]), tmp_path / "own.pdf")
    bare, own = pdftotext(tmp_path / "bare.pdf"), pdftotext(tmp_path / "own.pdf")
    assert "plain" in bare and "BARERAN" not in bare  # no policy: one under which no script runs
    assert "ALLOWEDRAN" in own and "INJECTEDRAN" not in own and "HANDLERRAN" not in own


def test_a_print_that_does_not_finish_is_one_line_naming_the_limit_and_the_next_one_prints(tmp_path: Path):
    stuck = "while (true) {}"
    with PdfPrinter() as printer:
        t0 = time.perf_counter()
        with pytest.raises(UsageError) as info:
            printer.print(page(tmp_path / "hang.html", f"<p>x</p><script>{stuck}</script>", [stuck]),
                          tmp_path / "hang.pdf", timeout=3)
        assert time.perf_counter() - t0 < 20
        assert info.value.parameter == "pdf_timeout" and "within 3 s" in str(info.value)
        assert "\n" not in str(info.value) and not (tmp_path / "hang.pdf").exists()
        printer.print(page(tmp_path / "ok.html", "<p>after</p>"), tmp_path / "ok.pdf", timeout=30)
    assert "after" in pdftotext(tmp_path / "ok.pdf")
    assert browsers() == []


def test_prints_share_one_tab_and_nothing_of_a_page_reaches_the_next(tmp_path: Path):
    leave = ("window.name='LEFT'+'NAME'; localStorage.setItem('k','LEFT'+'LOCAL');"
             "sessionStorage.setItem('k','LEFT'+'SESSION'); document.body.append('FIRST'+'RAN')")
    read = ("document.body.append('SAW:'+window.name+'|'+localStorage.getItem('k')+'|'"
            "+sessionStorage.getItem('k')+'|'+history.length)")
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "a.html", f"<p>alpha page</p><script>{leave}</script>", [leave]),
                      tmp_path / "a.pdf")
        started = [p.pid for p in browsers()]
        printer.print(page(tmp_path / "b.html", f"<p>beta page</p><script>{read}</script>", [read]),
                      tmp_path / "b.pdf")
        assert len(started) == 1 and [p.pid for p in browsers()] == started
    a, b = pdftotext(tmp_path / "a.pdf"), pdftotext(tmp_path / "b.pdf")
    assert "alpha page" in a and "FIRSTRAN" in a and "beta page" not in a
    assert "beta page" in b and "alpha page" not in b and "FIRSTRAN" not in b
    assert "SAW:|null|null|" in b and "LEFT" not in b  # (the storage and the window's name were cleared)


def test_a_page_after_one_whose_scripts_ran_still_runs_only_what_its_own_policy_allows(tmp_path: Path):
    script = "document.body.append('SCRIPT'+'RAN')"
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "own.html", f"<p>own</p><script>{script}</script>", [script]),
                      tmp_path / "own.pdf")
        printer.print(page(tmp_path / "bare.html", f"<p>bare</p><script>{script}</script>"), tmp_path / "bare.pdf")
        printer.print(page(tmp_path / "other.html", f"<p>other</p><script>{script}</script>", ["1"]),
                      tmp_path / "other.pdf")
    assert "SCRIPTRAN" in pdftotext(tmp_path / "own.pdf")
    bare, other = pdftotext(tmp_path / "bare.pdf"), pdftotext(tmp_path / "other.pdf")
    assert "bare" in bare and "SCRIPTRAN" not in bare  # no policy: none runs, though the same script just ran
    assert "other" in other and "SCRIPTRAN" not in other


def test_after_a_timeout_the_next_print_runs_in_a_new_browser_and_nothing_is_left(tmp_path: Path):
    stuck = "document.body.append('STUCK'+'PAGE'); while (true) {}"
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "first.html", "<p>first</p>"), tmp_path / "first.pdf")
        before = [p.pid for p in browsers()]
        with pytest.raises(UsageError):
            printer.print(page(tmp_path / "hang.html", f"<p>x</p><script>{stuck}</script>", [stuck]),
                          tmp_path / "hang.pdf", timeout=2)
        assert browsers() == []  # (the stuck browser, its context and its page were closed)
        printer.print(page(tmp_path / "ok.html", "<p>after</p>"), tmp_path / "ok.pdf")
        after = [p.pid for p in browsers()]
        assert len(after) == 1 and after != before
    text = pdftotext(tmp_path / "ok.pdf")
    assert "after" in text and "STUCK" not in text and "first" not in text
    assert browsers() == []


def test_a_page_that_hangs_after_its_pdf_costs_the_browser_not_a_print(tmp_path: Path):
    late = "addEventListener('afterprint', () => { while (true) {} })"  # (runs after the PDF, in the clean-up)
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "late.html", f"<p>late</p><script>{late}</script>", [late]),
                      tmp_path / "late.pdf", timeout=3)
        before = [p.pid for p in browsers()]
        printer.print(page(tmp_path / "next.html", "<p>next</p>"), tmp_path / "next.pdf", timeout=30)
        after = [p.pid for p in browsers()]
        assert len(after) == 1 and after != before
    assert "late" in pdftotext(tmp_path / "late.pdf") and "next" in pdftotext(tmp_path / "next.pdf")
    assert browsers() == []


def test_chinese_japanese_and_korean_names_print_in_a_font_that_has_them(tmp_path: Path):
    import subprocess

    names = ["採用キャンペーン東京", "招聘活动上海", "서울 개발자 채용"]
    body = "<table>" + "".join(f"<tr><td>{n}</td><td>12</td></tr>" for n in names) + "</table>"
    with PdfPrinter() as printer:
        printer.print(page(tmp_path / "cjk.html", body), tmp_path / "cjk.pdf", "A4", "CJK")
    text = pdftotext(tmp_path / "cjk.pdf")
    assert all(n in text for n in names), text
    # Chromium draws a character no installed font has as an empty box (the text above would still read right):
    # every character has a font (.ci/system-deps installs fonts-noto-cjk)
    for char in sorted(set("".join(names)) - {" "}):
        found = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True)
        assert found.stdout.strip(), f"no font has {char!r}"
