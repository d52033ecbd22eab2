"""Safe outputs (issue 6): export strings are text in HTML reports and dashboard widgets (checked in headless
Chromium), CSV written by the toolkit cannot start a formula, reports carry no personal data by default,
papermill parameters are data, and a backfill killed mid-way leaves every finished week and the index intact.

The end-to-end renders (~10-20 s each) are few, shared by module fixtures and marked ``slow``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from talentstats.load.loader import read_reach_outs
from talentstats.safecsv import _FORMULA_START, safe_frame

slow = pytest.mark.slow
WEEK = "2026-W47"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# hostile strings, each in a different field of the export
XSS = {
    "campaign": "<img src=x onerror=alert(1)>",
    "campaign2": "Alpha & Omega $x$ </td></tr></table><script>alert(6)</script>",
    "sender": "<script>alert(2)</script>",
    "via": "<b onmouseover=alert(3)>Email</b>",
    "type": '"><svg onload=alert(4)>',
}
PAYLOADS = ['x"); import os; os.system("touch PWNED', "x'); open('PWNED2', 'w'); ('", "{PWNED3}", "\\\"; touch PWNED4"]
TITLE = "</title><img src=x onerror=alert(9)> Weekly"
PII = {  # name, email, free-text note
    "r1": ("Zelda Quonkers", "zelda.quonkers@pii.example", "Call her at home on 555-0101"),
    "r2": ("Yusuf Brandvold", "yusuf.brandvold@pii.example", "prefers WhatsApp"),
    "r3": ("Wanda Pëtersëns", "wanda.p@pii.example", "met at KubeCon"),
    "r4": ("Ólafur Þórsson", "olafur@pii.example", "salary expectation 95k"),
    "r5": ("Mia Kowalczyk", "mia.k@pii.example", ""),
}


def hostile_export(path: Path) -> Path:
    """Reach outs in 2026-W47 carrying markup in every text field and personal data in every PII column."""
    rows = [
        ("r1", XSS["campaign"], XSS["sender"], 2, "2026-11-16T09:00:00Z", XSS["via"], "Interested", "yes"),
        ("r2", XSS["campaign"], "ann@x.io", 3, "2026-11-17T09:00:00Z", "", "", "no"),
        ("r3", XSS["campaign2"], XSS["type"], 2, "2026-11-18T09:00:00Z", "Email", XSS["type"], "no"),
        ("r4", XSS["campaign2"], "ann@x.io", 2, "2026-11-19T09:00:00Z", XSS["via"], "Interested", "yes"),
        ("r5", "=HYPERLINK(\"http://evil.example\")", "bo@x.io", 0, "2026-11-10T09:00:00Z", "", "", "yes"),
    ]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Reach Out ID", "Campaign", "Sender", "State", "Created At", "Response Via", "Response Type",
                "Opened", "Prospect Name", "Prospect Email", "Notes"])
    for r in rows:
        w.writerow([*r, *PII[r[0]]])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def run_cli(*args: object, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("talentstats")
    return subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------------------------- browser


class Browser:
    """Headless Chromium (Playwright with the system browser): load a page, record dialogs and alert() calls."""

    def __init__(self) -> None:
        sync_api = pytest.importorskip("playwright.sync_api")
        self._pw = sync_api.sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def open(self, path: Path, wait: str | None = None) -> tuple[object, list[str]]:
        page = self.browser.new_page()
        fired: list[str] = []
        page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
        page.add_init_script("for (const f of ['alert', 'confirm', 'prompt']) "
                             "window[f] = (m) => { (window.__fired = window.__fired || []).push(String(m)); };")
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                   else (fired.append("network: " + r.request.url), r.abort()))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        if wait:
            page.wait_for_function(wait, timeout=20_000)
        page.wait_for_timeout(500)
        fired += page.evaluate("window.__fired || []")
        return page, fired

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.close()


def assert_inert(page, fired: list[str]) -> None:
    """No script from data ran and no element from data exists; the hostile strings are visible as text."""
    assert fired == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("svg[onload], [onerror], [onmouseover], b[onmouseover]").count() == 0
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
    assert not [s for s in scripts if re.fullmatch(r"\s*alert\(\d\)\s*", s)]  # a <script> from the data


# --------------------------------------------------------------------------------------------- the rendered report


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hostile export rendered once (HTML, PDF, ipynb) with a hostile title and campaign filters that are
    code-like strings: the kernel runs in ``root``, where an injected command would leave a PWNED file."""
    root = tmp_path_factory.mktemp("hostile")
    data = hostile_export(root / "export.csv")
    campaigns = [XSS["campaign"], XSS["campaign2"], *PAYLOADS]
    proc = run_cli("report", data, "--week", WEEK, "--out", root / "out", "--format", "html,pdf,ipynb",
                   "--title", TITLE, *[a for c in campaigns for a in ("--campaign", c)], cwd=root)
    assert proc.returncode == 0, proc.stderr
    folder = root / "out" / WEEK
    return {"root": root, "html": folder / "weekly_report.html", "pdf": folder / "weekly_report.pdf",
            "ipynb": folder / "weekly_report.ipynb", "summary": folder / "summary.json",
            "index": root / "out" / "index.html"}


@slow
def test_report_html_shows_export_markup_as_text(hostile_report, browser):
    page, fired = browser.open(hostile_report["html"], wait="document.querySelectorAll('.js-plotly-plot').length")
    assert_inert(page, fired)
    text = page.inner_text("body")
    for value in (XSS["campaign"], XSS["sender"], XSS["type"], "Alpha & Omega $x$"):
        assert value in text, value
    assert page.title().startswith(TITLE)  # the title too is text, also inside <title>


@slow
def test_report_index_shows_the_title_as_text(hostile_report, browser):
    page, fired = browser.open(hostile_report["index"])
    assert_inert(page, fired)
    assert TITLE in page.inner_text("body")


@slow
def test_campaign_filters_are_data_not_code(hostile_report):
    assert not [p for p in hostile_report["root"].rglob("PWNED*")]
    summary = json.loads(hostile_report["summary"].read_text(encoding="utf-8"))
    # r1-r4 are the two hostile campaigns in W47; the code-like names match nothing and add nothing
    assert summary["reach_outs"] == 4
    assert summary["campaigns"] == [XSS["campaign"], XSS["campaign2"], *PAYLOADS]


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@slow
def test_reports_carry_no_names_emails_or_notes_by_default(hostile_report):
    page = hostile_report["html"].read_text(encoding="utf-8")
    notebook = json.loads(hostile_report["ipynb"].read_text(encoding="utf-8"))
    texts = {"html": page + html.unescape(page),
             "ipynb": json.dumps(notebook, ensure_ascii=False) + html.unescape(json.dumps(notebook,
                                                                                           ensure_ascii=False)),
             "pdf": _pdf_text(hostile_report["pdf"])}
    # full names, surnames (first names such as "Mia" occur inside plotly.js), emails and notes
    secrets = [s for name, email, note in PII.values() for s in (name, name.split()[-1], email, note) if s]
    for kind, text in texts.items():
        leaked = [s for s in secrets if s in text]
        assert leaked == [], kind
        assert not re.findall(r"[\w.+-]+@pii\.example", text), kind
    # the report does show the ids behind Interested (and the data did carry the personal data)
    assert "r1" in texts["pdf"] and "r4" in texts["pdf"]
    table = read_reach_outs(hostile_report["root"] / "export.csv").table
    assert set(table["prospect_email"]) == {e for _, e, _ in PII.values()}


@slow
def test_pdf_shows_the_markup_as_text(hostile_report):
    text = _pdf_text(hostile_report["pdf"])
    assert XSS["campaign"] in text and XSS["sender"] in text


# --------------------------------------------------------------------------------------------- dashboard widgets


def _hostile_table(tmp_path: Path) -> pd.DataFrame:
    return read_reach_outs(hostile_export(tmp_path / "export.csv")).table


def test_dashboard_widgets_escape_export_strings_and_drill_down_shows_ids_only(tmp_path, browser):
    import datetime as dt

    import plotly.io as pio

    from talentstats.dashboard.widget import Dashboard

    board = Dashboard(_hostile_table(tmp_path), tz="UTC", start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 22))
    parts = []
    for metric in ("reach_outs", "responses", "interested"):
        board.drill.value = metric
        parts.append(board.drill_html.value)
    for key in ("campaign", "sender"):
        board.group_by.value = key
        parts.append(board.table_html.value)
    parts += [t.value for t in board.tiles.values()] + [board.period.value, board.data_note.value,
                                                       board.status.value]
    figures = [pio.to_html(f, include_plotlyjs=i == 0, full_html=False)
               for i, f in enumerate((board.comparison, board.states, board.funnel, board.trend))]
    page_path = tmp_path / "widgets.html"
    page_path.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body>" + "".join(parts)
                         + "".join(figures) + "</body></html>", encoding="utf-8")
    widgets = "".join(parts)
    for value in XSS.values():
        assert value not in widgets  # raw markup never reaches a widget's HTML
    for name, email, note in PII.values():
        assert name not in widgets and email not in widgets and (not note or note not in widgets)
    page, fired = browser.open(page_path, wait="document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
    assert_inert(page, fired)
    text = page.inner_text("body")
    assert XSS["campaign"] in text and XSS["sender"] in text
    assert "r1" in text and "Zelda" not in text


# --------------------------------------------------------------------------------------------- formula injection

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://evil.example")']


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _dangerous(cell: str) -> bool:
    return cell.startswith(_FORMULA_START)


@pytest.mark.parametrize("value", FORMULAS)
def test_spreadsheet_safe_prefixes_every_formula_start(value):
    frame = safe_frame(pd.DataFrame({"t": [value, "plain", None], "n": [-1, 2, 3]}))
    assert frame["t"].iloc[0] == "'" + value and frame["t"].iloc[1] == "plain"
    assert frame["n"].tolist() == [-1, 2, 3]  # numbers are not text: untouched


def test_stats_csv_and_rejects_file_cannot_start_a_formula(write, cli, tmp_path):
    rows = "".join(f'r{i},"{v}","{v}",2,2026-11-16T09:00:00Z,"{v}","{v}"\n'
                   for i, v in enumerate(f.replace('"', '""') for f in FORMULAS))
    rows += '''r98,"=bad","@x",Lost,2026-11-16T09:00:00Z,"\t=1","-2"\n'''
    rows += '''r99,"+bad","\r=1",2,"=NOW()","",""\n'''
    path = write("f.csv", "Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type\n" + rows)
    for by in ("campaign", "sender", "response_via", "response_type", "campaign,sender,response_type"):
        code, out, err = cli("stats", path, "--start", "2026-11-01", "--end", "2026-11-30", "--by", by,
                             "--format", "csv", "--rejects", tmp_path / "rejects.csv")
        assert code == 0, err
        cells = [c for row in _cells(out) for c in row]
        assert not [c for c in cells if _dangerous(c)], by
        assert any(c.startswith("'") for c in cells), by  # the formula-like values are there, neutralised
    with open(tmp_path / "rejects.csv", encoding="utf-8", newline="") as fh:
        rejects = list(csv.reader(fh))
    assert len(rejects) == 3  # header + r98 (state) + r99 (date)
    assert not [c for row in rejects for c in row if _dangerous(c)]
    assert "'=NOW()" in rejects[2] and "'\r=1" in rejects[2] and "'\t=1" in rejects[1]


# --------------------------------------------------------------------------------------------- crash mid-backfill


class _Checker(HTMLParser):
    """Well-formedness, enough to tell a complete page from a cut one: every opened element of these kinds
    is closed, and the document ends with </html>."""

    PAIRED = {"html", "head", "body", "table", "thead", "tbody", "tr", "td", "th", "script", "style", "div"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.broken = False

    def handle_starttag(self, tag, attrs):
        if tag in self.PAIRED:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.PAIRED:
            if not self.stack or self.stack[-1] != tag:
                self.broken = True
            else:
                self.stack.pop()


def assert_complete_html(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert text.rstrip().endswith("</html>") and not checker.broken and checker.stack == [], path
    return text


@slow
def test_backfill_killed_after_the_first_week_leaves_finished_weeks_and_the_index_intact(tmp_path):
    rows = [f"r{i},Camp {i % 3},2,{day}T{9 + i % 8:02d}:00:00Z" for i, day in enumerate(
        ["2026-10-26", "2026-10-28", "2026-11-02", "2026-11-05", "2026-11-09", "2026-11-12", "2026-11-16",
         "2026-11-19"] * 2)]
    data = tmp_path / "export.csv"
    data.write_text("Reach Out ID,Campaign,State,Created At\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    exe = Path(sys.executable).with_name("talentstats")
    proc = subprocess.Popen([str(exe), "report", str(data), "--week", WEEK, "--weeks", "4", "--format", "html",
                             "--out", str(out)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    first = out / "2026-W44"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            index = out / "index.html"
            if (first / "summary.json").exists() and index.exists() and "2026-W44" in index.read_text("utf-8"):
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the backfill ended before it could be killed: {proc.stderr.read()}"
        os.killpg(proc.pid, signal.SIGKILL)  # the command and the kernel it started, mid-way through week 2
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    finished = sorted(p.parent.name for p in out.glob("*/summary.json"))
    assert finished and finished[0] == "2026-W44" and len(finished) < 4
    for week in finished:
        assert sorted(p.name for p in (out / week).iterdir() if not p.name.startswith(".")) == [
            "summary.json", "weekly_report.html"]
        page = assert_complete_html(out / week / "weekly_report.html")
        assert "Weekly campaign report" in page
        json.loads((out / week / "summary.json").read_text(encoding="utf-8"))
    # a week that was not finished has no report file under its final name
    for folder in out.iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in finished:
            assert not [p for p in folder.iterdir() if p.name.startswith("weekly_report.")], folder
    index = assert_complete_html(out / "index.html")
    listed = re.findall(r'href="(20\d\d-W\d\d)/weekly_report\.html"', index)
    assert sorted(set(listed)) == finished and all((out / w / "weekly_report.html").exists() for w in listed)
