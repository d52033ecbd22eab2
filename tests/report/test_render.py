"""`talentstats report` end to end: the sample week (HTML, PDF, ipynb, index), the options, one load per run.

Each test here executes the notebook in a kernel (a few seconds) and is marked ``slow``. One sample week
(2026-W47, HTML + PDF + ipynb) is rendered once per session by the real command in a subprocess and shared by
every test that only reads it (also across pytest-xdist workers). Screenshots and PDF pages are saved into
test-artifacts/ (git-ignored) for looking at.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from talentstats import report as report_mod
from talentstats.load.loader import read_reach_outs
from talentstats.present.charts import METRIC_COLORS, STATE_COLORS, fmt_count, fmt_rate
from talentstats.report import HEADLINE_MIME
from talentstats.report.export import find_chromium, network_references
from talentstats.report.index import COUNT_HEADS, RATE_HEADS
from talentstats.stats.metrics import COUNTS, RATES

from .helpers import (
    SECTIONS,
    W47,
    WEEK,
    Rendering,
    artifact,
    blend,
    colour_pixels,
    expected_totals,
    formatted,
    pdf_page_images,
    pdf_page_size,
    pdftotext,
    sample_dir,
    slow,
    total_row,
    without_plotly_js,
)

# ----------------------------------------------------------------------------------------------- the sample week


@slow
def test_renders_html_pdf_ipynb_summary_and_index(sample_week: Rendering):
    names = sorted(p.name for p in sample_week.folder.iterdir())
    assert names == ["summary.json", "weekly_report.html", "weekly_report.ipynb", "weekly_report.pdf"]
    assert sorted(p.name for p in sample_week.out.iterdir()) == [WEEK, "index.html"]
    index = (sample_week.out / "index.html").read_text()
    assert f'href="{WEEK}/weekly_report.html"' in index and f'href="{WEEK}/weekly_report.pdf"' in index


@slow
def test_terminal_shows_only_where_the_files_are_and_it_takes_under_30_s(sample_week: Rendering):
    assert sample_week.stderr == ""
    lines = sample_week.stdout.strip().splitlines()
    assert lines[0].startswith(f"{WEEK}: ") and str(sample_week.html) in lines[0] and str(sample_week.pdf) in lines[0]
    assert lines[1] == f"index: {sample_week.out / 'index.html'}"
    assert len(lines) == 2
    artifact("report-timing.txt").write_text(f"talentstats report (one week, html+pdf+ipynb): "
                                             f"{sample_week.seconds:.1f} s\n")
    assert sample_week.seconds < 60  # measured ~12 s alone on 2 cores; generous under a parallel test run


@slow
def test_html_kpis_are_the_numbers_of_talentstats_stats(sample_week: Rendering, stats_json: dict):
    page = sample_week.html.read_text(encoding="utf-8")
    tiles = dict(re.findall(r'data-metric="(\w+)"[^>]*>.*?ts-kpi-value">([^<]*)<', page))
    total = stats_json["total"]
    assert tiles == {**{m: fmt_count(total[m]) for m in COUNTS}, **{m: fmt_rate(total[m]) for m in RATES}}
    assert tiles["reach_outs"] == "503"  # the documented sample week
    summary = json.loads((sample_week.folder / "summary.json").read_text())
    assert {k: summary[k] for k in (*COUNTS, *RATES)} == {k: total[k] for k in (*COUNTS, *RATES)}


@slow
def test_html_is_self_contained_without_code_prompts_or_network(sample_week: Rendering):
    page = sample_week.html.read_text(encoding="utf-8")
    assert len(re.findall(r"\* plotly\.js v\d+\.\d+\.\d+", page)) == 1  # plotly.js embedded exactly once
    visible = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.DOTALL)
    assert network_references(page) == []
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*\shref=", page)
    for code in ("jp-InputArea-editor", "jp-InputPrompt", "jp-OutputPrompt", "WeeklyReport", "from_parameters",
                 "Traceback", "Warning", "Error", "<pre"):
        assert code not in visible, code
    # funnel, states, rates (2), trend, response rate by campaign, arrival, steps
    assert page.count('class="plotly-graph-div"') == 8
    assert HEADLINE_MIME not in page


@slow
def test_html_draws_every_chart_in_chromium_with_the_network_blocked(sample_week: Rendering):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r) -> None:
                if r.request.url.startswith(("file:", "data:", "blob:")):
                    r.continue_()
                else:
                    requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(sample_week.html.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6",
                                   timeout=20_000)
            page.screenshot(path=str(artifact("weekly_report_html.png")), full_page=True)
            funnel = page.locator(".js-plotly-plot").first.screenshot()
            artifact("weekly_report_funnel.png").write_bytes(funnel)
            texts = page.locator(".js-plotly-plot").first.inner_text()
        finally:
            browser.close()
    assert requests == [] and errors == []
    for stage in ("reach_outs", "opens", "responses", "interested"):
        assert colour_pixels(funnel, METRIC_COLORS[stage]) > 200, stage
    assert "503 · 100.0%" in texts


@slow
def test_pdf_has_the_numbers_and_every_table_column(sample_week: Rendering, stats_json: dict):
    text = pdftotext(sample_week.pdf)
    total = stats_json["total"]
    for value in formatted(total):
        assert value in text
    # the 10th column (Interested / Responses) is printed, not clipped, in both tables
    assert total_row(text, "Campaigns") == ["Total", *formatted(total)]
    assert total_row(text, "Senders") == ["Total", *formatted(total)]
    assert pdf_page_size(sample_week.pdf) == pytest.approx((595.0, 842.0), abs=1.5)  # A4 portrait


@slow
def test_pdf_keeps_each_heading_on_the_page_of_its_chart_or_table(sample_week: Rendering):
    pages = pdftotext(sample_week.pdf).split("\f")
    for heading, content in SECTIONS.items():
        on = [i for i, page in enumerate(pages) if re.search(rf"^\s*{re.escape(heading)}\s*$", page, re.MULTILINE)]
        assert len(on) == 1, heading
        assert content in pages[on[0]], f"{heading!r} is not on the page of its content"


@slow
def test_pdf_pages_carry_the_drawn_charts(sample_week: Rendering, tmp_path: Path):
    texts = pdftotext(sample_week.pdf).split("\f")
    images = pdf_page_images(sample_week.pdf, tmp_path)
    for image in images:
        shutil.copy(image, artifact(f"weekly_report_pdf_{image.name}"))

    def page_of(heading: str) -> Path:
        return images[next(i for i, t in enumerate(texts) if re.search(rf"^\s*{heading}\s*$", t, re.MULTILINE))]

    funnel = page_of("Funnel")
    for stage in ("reach_outs", "opens", "responses", "interested"):
        assert colour_pixels(funnel, METRIC_COLORS[stage]) > 50, stage
    assert colour_pixels(page_of("Reach outs by state"), STATE_COLORS[1]) > 10  # Hard Bounced bar
    trend = page_of("12-week trend")
    assert colour_pixels(trend, blend(METRIC_COLORS["reach_outs"], 0.55)) > 500  # the weekly bars
    assert colour_pixels(trend, METRIC_COLORS["responses"]) > 20  # the response-rate line


@slow
def test_no_prospect_names_or_emails_by_default(sample_week: Rendering):
    raw = pd.read_csv(sample_dir() / "reach_outs.csv")
    emails = set(raw["Prospect Email"].dropna())
    created = pd.to_datetime(raw["Created At"], utc=True)
    names = set(raw.loc[(created >= "2026-11-16") & (created < "2026-11-23"), "Prospect Name"].dropna())
    assert len(emails) > 1000 and len(names) > 400
    notebook = json.loads(sample_week.ipynb.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if "text/html" in output.get("data", {}):
                output["data"]["text/html"] = without_plotly_js("".join(output["data"]["text/html"]))
    page = sample_week.html.read_text(encoding="utf-8")
    assert len(without_plotly_js(page)) < len(page) - 1_000_000  # the library is gone, the page is left
    for kind, text in (("html", without_plotly_js(page)),
                       ("pdf", pdftotext(sample_week.pdf, layout=False)),
                       ("ipynb", json.dumps(notebook, ensure_ascii=False))):
        text = re.sub(r"<wbr/?>", "", text)  # long addresses may wrap after the @
        found = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
        assert not found & emails, kind
        assert not [n for n in names if n in text or html.escape(n) in text], kind



# ----------------------------------------------------------------------------------------------- options


@slow
def test_include_pii_shows_the_interested_prospects(tmp_path: Path, cli: Callable):
    code, out, err = cli("report", sample_dir(), "--week", WEEK, "--out", tmp_path, "--format", "html,ipynb",
                         "--include-pii")
    assert code == 0, err
    table = read_reach_outs([sample_dir()]).table
    shown = table[(table["response_type"] == "Interested") & (table["state"] == 2)
                  & (table["created_at"] >= "2026-11-16") & (table["created_at"] < "2026-11-23")]
    shown = shown.sort_values("created_at", ascending=False).head(5)
    page = re.sub(r"<wbr/?>", "", (tmp_path / WEEK / "weekly_report.html").read_text(encoding="utf-8"))
    notebook = (tmp_path / WEEK / "weekly_report.ipynb").read_text(encoding="utf-8")
    for name, email in zip(shown["prospect_name"], shown["prospect_email"], strict=True):
        assert html.escape(name) in page and html.escape(email) in page
        assert html.escape(name) in notebook


@slow
def test_backfill_three_weeks_ipynb_only_and_the_index_lists_them_newest_first(tmp_path: Path, cli: Callable):
    code, out, err = cli("report", sample_dir(), "--week", WEEK, "--weeks", "3", "--out", tmp_path,
                         "--format", "ipynb")
    assert code == 0, err
    weeks = ["2026-W47", "2026-W46", "2026-W45"]
    for week in weeks:
        assert sorted(p.name for p in (tmp_path / week).iterdir()) == ["summary.json", "weekly_report.ipynb"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"w\">(.*?)</tr>", index)
    assert [re.search(r">(20\d\d-W\d\d)<", r).group(1) for r in rows] == weeks  # type: ignore[union-attr]
    for row, week in zip(rows, weeks, strict=True):
        start = dt.date.fromisocalendar(2026, int(week[-2:]), 1)
        total = expected_totals(start, start + dt.timedelta(days=6))
        numbers = re.findall(r'<td class="n">([^<]*)', row)  # (each number, before its change against the last)
        assert numbers == [fmt_count(total[m]) for m in COUNT_HEADS] + [fmt_rate(total[m]) for m in RATE_HEADS]


@slow
def test_week_last_on_letter_paper(tmp_path: Path, cli: Callable, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("talentstats.stats.periods.today_in", lambda tz="UTC": dt.date(2026, 11, 25))  # a Wednesday
    code, out, err = cli("report", sample_dir(), "--week", "last", "--out", tmp_path, "--format", "pdf",
                         "--paper", "Letter")
    assert code == 0, err
    pdf = tmp_path / WEEK / "weekly_report.pdf"
    assert sorted(p.name for p in (tmp_path / WEEK).iterdir()) == ["summary.json", "weekly_report.pdf"]
    assert pdf_page_size(pdf) == pytest.approx((612.0, 792.0), abs=1.5)
    text = pdftotext(pdf)
    assert total_row(text, "Campaigns") == ["Total", *formatted(expected_totals(*W47))]
    for image in pdf_page_images(pdf, tmp_path / "pages"):
        shutil.copy(image, artifact(f"weekly_report_letter_{image.name}"))


@slow
def test_campaign_filter_and_a_campaign_that_looks_like_code(tmp_path: Path, cli: Callable,
                                                            monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # the kernel runs here: an injected file would appear here
    broken = tmp_path / "jupyter-data" / "kernels" / "python3"  # a user's own python3 kernelspec is not used
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text(json.dumps({"argv": ["/bin/false", "{connection_file}"],
                                                    "display_name": "broken", "language": "python"}))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # the user's folders first, even in a virtualenv
    payloads = ['x"); import os; os.system("echo pwned', "x'); import pathlib; pathlib.Path('PWNED').touch(); ('"]
    code, out, err = cli("report", sample_dir(), "--week", WEEK, "--out", tmp_path / "out", "--format", "ipynb",
                         "--campaign", "Data Scientists NYC", *[a for p in payloads for a in ("--campaign", p)])
    assert code == 0, err
    assert not list(tmp_path.rglob("PWNED"))
    nb = nbformat.read(tmp_path / "out" / WEEK / "weekly_report.ipynb", as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"]
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assigned = {t.id: ast.literal_eval(n.value) for n in ast.parse(injected.source).body
                if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert assigned["campaigns"] == ["Data Scientists NYC", *payloads]  # passed as data
    summary = json.loads((tmp_path / "out" / WEEK / "summary.json").read_text())
    expected = expected_totals(*W47, campaigns=["Data Scientists NYC"])
    assert {m: summary[m] for m in COUNTS} == {m: expected[m] for m in COUNTS}
    assert summary["reach_outs"] == 63




# ----------------------------------------------------------------------------------------------- one load


@slow
def test_a_backfill_loads_the_exports_once_and_every_kernel_reads_the_snapshot(tmp_path: Path, cli: Callable,
                                                                              monkeypatch: pytest.MonkeyPatch):
    data, out = tmp_path / "data", tmp_path / "out"
    shutil.copytree(sample_dir(), data, ignore=shutil.ignore_patterns("*.md"))
    loads, runs = [], []
    real_load, real_execute = report_mod.load, report_mod.execute_notebook

    def load_then_remove_the_exports(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        loads.append(args)
        shutil.rmtree(data)  # a kernel that read the exports again would fail
        return loaded

    def execute(parameters, output, **kwargs):
        snapshot = report_mod.read_snapshot(parameters["snapshot"]).table
        runs.append((dict(parameters), snapshot[["prospect_name", "prospect_email"]].notna().sum().sum()))
        return real_execute(parameters, output, **kwargs)

    monkeypatch.setattr(report_mod, "load", load_then_remove_the_exports)
    monkeypatch.setattr(report_mod, "execute_notebook", execute)
    code, stdout, err = cli("report", data / "reach_outs.csv", "--messages", data / "messages.csv", "--week", WEEK,
                            "--weeks", "2", "--out", out, "--format", "ipynb")
    assert code == 0, err
    assert len(loads) == 1 and len(runs) == 2
    assert [p["start"] for p, _ in runs] == ["2026-11-09", "2026-11-16"]
    snapshots = {p["snapshot"] for p, _ in runs}
    assert len(snapshots) == 1 and Path(snapshots.pop()).parent.parent == out.resolve()  # out/.render-*/
    assert [pii for _, pii in runs] == [0, 0]  # no prospect names or emails on disk without include_pii
    assert runs[0][0]["options"]["messages"] == [str(data / "messages.csv")]
    assert sorted(p.name for p in out.iterdir()) == ["2026-W46", WEEK, "index.html"]  # the snapshot is gone
    for week, (start, end) in (("2026-W46", (W47[0] - dt.timedelta(7), W47[1] - dt.timedelta(7))), (WEEK, W47)):
        summary = json.loads((out / week / "summary.json").read_text())
        assert {m: summary[m] for m in (*COUNTS, *RATES)} == pytest.approx(
            {m: expected_totals(start, end)[m] for m in (*COUNTS, *RATES)})
    quality = next(c for c in nbformat.read(out / WEEK / "weekly_report.ipynb", as_version=4).cells
                   if c.get("id") == "quality").outputs[0]["data"]["text/html"]
    assert "10,050 export rows read from 1 file(s): 10,000 reach outs loaded" in quality  # the load's own report
