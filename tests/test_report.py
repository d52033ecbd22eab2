"""`talentstats report`: papermill execution, self-contained HTML, PDF, index, failures, PII, backfill, nbval.

End-to-end tests are marked ``slow`` (each executes the notebook in a kernel, a few seconds). One sample week
(2026-W47, HTML + PDF + ipynb) is rendered once per session by the real command in a subprocess and shared by
every test that only reads it (also across pytest-xdist workers). Screenshots and PDF pages are saved into
test-artifacts/ (git-ignored) for looking at.
"""

from __future__ import annotations

import ast
import datetime as dt
import fcntl
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from talentstats import report as report_mod
from talentstats.errors import UsageError
from talentstats.load.loader import read_reach_outs
from talentstats.present.charts import METRIC_COLORS, STATE_COLORS, fmt_count, fmt_rate
from talentstats.report import (
    HEADLINE_MIME,
    ReportError,
    atomic_write_bytes,
    export_html,
    failure_message,
    network_references,
    packaged_notebook,
    paper_size,
    parse_formats,
    print_css,
    render,
    strip_network,
    write_index,
)
from talentstats.stats.metrics import COUNTS, RATES, campaign_stats, stats_dicts

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
WEEK = "2026-W47"
W47 = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
#: the sections of the report, each with text that must be printed on the same page as its heading
SECTIONS = {
    "Headline numbers": "2026-W46:",
    "Funnel": "· 100.0%",
    "Reach outs by state": "Paused By Auth Loss",
    "Campaigns": "Sales Development Reps Q4",
    "Senders": "lucia.romero@",
    "12-week trend": "Week starting (Monday)",
    "Data quality": "export rows read",
    "Interested responses": "Reach Out ID",
}
slow = pytest.mark.slow


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------- helpers


def sample_dir() -> Path:
    """The committed sample data (written by the deterministic generator when missing)."""
    path = REPO / "sample_data"
    if not (path / "reach_outs.csv").exists():
        from talentstats.sample import write_sample

        write_sample(path)
    return path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by the pytest-xdist workers of one session."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def talentstats_cmd() -> list[str]:
    """The installed console script (falls back to ``python -m talentstats.cli``)."""
    script = Path(sys.executable).parent / "talentstats"
    return [str(script)] if script.exists() else [sys.executable, "-m", "talentstats.cli"]


def quiet_env(tmp: Path) -> dict[str, str]:
    """The environment of a subprocess run: Jupyter's runtime files inside ``tmp``."""
    return {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime")}


@pytest.fixture(autouse=True)
def _jupyter_runtime_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))


def pdftotext(pdf: Path, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdf_page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()  # type: ignore[union-attr]
    return float(w), float(h)


def pdf_page_images(pdf: Path, dest: Path, dpi: int = 50) -> list[Path]:
    """Every page of ``pdf`` as a PNG in ``dest`` (sorted by page)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(dest / "page")], check=True)
    return sorted(dest.glob("page-*.png"))


def colour_pixels(image: Path | bytes, colour: str | tuple[int, int, int], tol: int = 8) -> int:
    """Pixels of ``image`` within ``tol`` of ``colour`` on every channel."""
    import io

    import numpy as np
    from PIL import Image

    img = Image.open(io.BytesIO(image) if isinstance(image, bytes) else image).convert("RGB")
    rgb = hex_rgb(colour) if isinstance(colour, str) else colour
    arr = np.asarray(img, dtype=np.int16)
    return int((np.abs(arr - np.array(rgb, dtype=np.int16)) <= tol).all(axis=-1).sum())


def blend(colour: str, opacity: float) -> tuple[int, int, int]:
    """``colour`` drawn with ``opacity`` over white."""
    return tuple(round(255 - opacity * (255 - c)) for c in hex_rgb(colour))  # type: ignore[return-value]


def expected_totals(start: dt.date, end: dt.date, campaigns: list[str] | None = None) -> dict:
    table = read_reach_outs([sample_dir()]).table
    if campaigns:
        table = table[table["campaign"].isin(campaigns)]
    return stats_dicts(campaign_stats(table, start, end))[0]


def total_row(text: str, heading: str) -> list[str]:
    """The tokens of the first 'Total' line after ``heading`` in pdftotext -layout output."""
    after = re.split(rf"^\s*{re.escape(heading)}\s*$", text, maxsplit=1, flags=re.MULTILINE)[1]
    line = next(line for line in after.splitlines() if line.strip().startswith("Total"))
    return line.split()


def formatted(total: dict) -> list[str]:
    """The Total row as the tables print it: five counts, four rates."""
    return [fmt_count(total[m]) for m in COUNTS] + [fmt_rate(total[m]) for m in RATES]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


# ----------------------------------------------------------------------------------------------- the sample week


class Rendering:
    """The sample week rendered by ``talentstats report`` in a subprocess: where, what it printed, how long."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out / WEEK
        self.html = self.folder / "weekly_report.html"
        self.pdf = self.folder / "weekly_report.pdf"
        self.ipynb = self.folder / "weekly_report.ipynb"
        run = json.loads(out.with_suffix(".json").read_text())
        self.stdout, self.stderr, self.seconds, self.returncode = (run["stdout"], run["stderr"], run["seconds"],
                                                                   run["returncode"])


@pytest.fixture(scope="module")
def sample_week(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    """`talentstats report sample_data --week 2026-W47 --format html,pdf,ipynb`, once per session."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    out = root / "sample-week-reports"
    with file_lock(root / "sample-week-reports.lock"):
        if not out.with_suffix(".json").exists():
            shutil.rmtree(out, ignore_errors=True)
            cmd = [*talentstats_cmd(), "report", str(sample_dir()), "--week", WEEK, "--out", str(out),
                   "--format", "html,pdf,ipynb"]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=quiet_env(root), cwd=root, timeout=300)
            seconds = time.perf_counter() - t0
            out.with_suffix(".json").write_text(json.dumps({"stdout": proc.stdout, "stderr": proc.stderr,
                                                            "seconds": seconds, "returncode": proc.returncode}))
    rendering = Rendering(out)
    assert rendering.returncode == 0, rendering.stderr
    return rendering


@pytest.fixture(scope="module")
def stats_json() -> dict:
    """`talentstats stats sample_data --week 2026-W47 --format json`, run as a command."""
    cmd = [*talentstats_cmd(), "stats", str(sample_dir()), "--week", WEEK, "--format", "json"]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


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
    assert {k: summary[k] for k in total} == total


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
    assert page.count('class="plotly-graph-div"') == 3
    assert HEADLINE_MIME not in page


@slow
def test_html_draws_every_chart_in_chromium_with_the_network_blocked(sample_week: Rendering):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=report_mod.find_chromium(), args=[
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
    assert len(without_plotly_js(page)) < len(page) - 3_000_000  # the library is gone, the page is left
    for kind, text in (("html", without_plotly_js(page)),
                       ("pdf", pdftotext(sample_week.pdf, layout=False)),
                       ("ipynb", json.dumps(notebook, ensure_ascii=False))):
        text = re.sub(r"<wbr/?>", "", text)  # long addresses may wrap after the @
        found = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
        assert not found & emails, kind
        assert not [n for n in names if n in text or html.escape(n) in text], kind


def without_plotly_js(page: str) -> str:
    """``page`` without the embedded plotly.js library (static code, 4.8 MB; the chart data stays)."""
    return re.sub(r"<script[^>]*>\s*/\*\*\s*\* plotly\.js v.*?</script>", "", page, flags=re.DOTALL)


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
        numbers = re.findall(r'<td class="n">([^<]*)</td>', row)
        assert numbers == [fmt_count(total[m]) for m in ("reach_outs", "opens", "responses", "interested")] + [
            fmt_rate(total[m]) for m in ("open_rate", "response_rate")]


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


# ----------------------------------------------------------------------------------------------- failures


@pytest.fixture(scope="module")
def previous_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Sample data copied into a folder and a report of 2026-W47 rendered from it (html + ipynb)."""
    root = tmp_path_factory.mktemp("previous")
    data = root / "data"
    shutil.copytree(sample_dir(), data, ignore=shutil.ignore_patterns("*.md"))
    render([data / "reach_outs.csv"], root / "out", *W47, messages=[data / "messages.csv"],
           formats=["html", "ipynb"])
    return data, root / "out"


def fresh_copy(previous: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    data, out = previous
    shutil.copytree(data, tmp_path / "data")
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "data", tmp_path / "out"


def assert_previous_intact(before: dict[str, bytes], out: Path) -> nbformat.NotebookNode:
    """Every earlier file byte-identical, the failed notebook kept next to them, no temporary leftovers."""
    after = snapshot(out)
    kept = f"{WEEK}/weekly_report.failed.ipynb"
    assert {k: v for k, v in after.items() if k not in (kept, kept.replace(".ipynb", ".log"))} == before
    assert kept in after
    assert not [k for k in after if "/." in k or k.startswith(".")]
    return nbformat.reads(after[kept].decode(), as_version=4)


@slow
def test_data_file_vanishing_mid_run_fails_readably_and_keeps_the_previous_report(
        previous_report, tmp_path: Path, cli: Callable, monkeypatch: pytest.MonkeyPatch):
    data, out = fresh_copy(previous_report, tmp_path)
    before = snapshot(out)
    real_execute = report_mod.execute

    def vanish_then_execute(*args, **kwargs):
        (data / "reach_outs.csv").unlink()  # after the command read it, before the notebook does
        return real_execute(*args, **kwargs)

    monkeypatch.setattr(report_mod, "execute", vanish_then_execute)
    code, stdout, err = cli("report", data / "reach_outs.csv", "--messages", data / "messages.csv", "--week", WEEK,
                            "--out", out, "--format", "html,pdf,ipynb")
    assert code == 1
    assert err.count("\n") == 1, err  # one readable line
    assert "notebook failed in cell 'header', line 5: report = WeeklyReport.from_parameters(" in err
    assert "InputError: " in err and "reach_outs.csv: file not found" in err
    assert f"executed notebook kept at {out / WEEK / 'weekly_report.failed.ipynb'}" in err
    kept = assert_previous_intact(before, out)
    assert any(o.get("ename") == "InputError" for c in kept.cells if c.cell_type == "code" for o in c.outputs)


@slow
def test_notebook_error_from_a_bad_parameter_keeps_the_previous_report(previous_report, tmp_path: Path):
    data, out = fresh_copy(previous_report, tmp_path)
    before = snapshot(out)
    with pytest.raises(ReportError) as info:
        render([data / "reach_outs.csv"], out, *W47, messages=[data / "messages.csv"], tz="Mars/Olympus",
               formats=["html", "pdf"])
    message = str(info.value)
    assert "\n" not in message
    assert "cell 'header', line 5: report = WeeklyReport.from_parameters(" in message  # the cell's line
    assert "-> UsageError: unknown time zone 'Mars/Olympus'" in message
    assert_previous_intact(before, out)


# ----------------------------------------------------------------------------------------------- the notebook


def test_packaged_notebook_is_executed_small_and_tagged():
    path = packaged_notebook()
    assert path.is_file() and "talentstats" in path.parts
    assert path.stat().st_size < 1_000_000
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata["tags"] and not code[0].outputs
    for cell in code[1:]:
        tags = cell.metadata.get("tags", [])
        assert cell.outputs, cell.id
        assert ("nbval-check-output" in tags) != ("nbval-ignore-output" in tags), cell.id
        charts = any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in cell.outputs)
        assert charts == ("nbval-ignore-output" in tags), cell.id
    text = path.read_text(encoding="utf-8")
    assert "plotly.js v" not in text and "injected-parameters" not in text  # small renderer, no run metadata
    assert '"papermill": {' not in text and "start_time" not in text
    kpis = next(c for c in code if c.id == "kpis").outputs[0]["data"]["text/html"]
    assert 'data-metric="reach_outs"' in kpis and 'ts-kpi-value">503<' in kpis  # the sample's latest week


@slow
def test_stored_outputs_pass_nbval_and_a_changed_number_fails(tmp_path: Path):
    tampered = tmp_path / "notebooks" / "weekly_report.ipynb"
    tampered.parent.mkdir()
    (tmp_path / "sample_data").symlink_to(sample_dir())
    nb = nbformat.read(packaged_notebook(), as_version=4)
    kpis = next(c for c in nb.cells if c.get("id") == "kpis").outputs[0]["data"]
    assert kpis["text/html"].count('ts-kpi-value">503<') == 1
    kpis["text/html"] = kpis["text/html"].replace('ts-kpi-value">503<', 'ts-kpi-value">504<')
    nbformat.write(nb, tampered)
    def nbval(notebook: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
               "--nbval-sanitize-with", str(REPO / "notebooks" / "sanitize.cfg"), "-rf", notebook]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=Path(notebook).parent.parent, env=quiet_env(tmp_path))

    runs = [nbval(str(REPO / "notebooks" / "weekly_report.ipynb")), nbval(str(tampered))]  # in parallel
    (committed, _), (changed, _) = (run.communicate(timeout=300) for run in runs)
    assert runs[0].returncode == 0 and re.search(r"\b10 passed\b", committed), committed[-3000:]
    assert runs[1].returncode == 1 and re.search(r"\b1 failed, 9 passed\b", changed), changed[-3000:]
    assert "::Cell 2 - " in changed and "-value\">504</div>" in changed  # the KPI cell, the changed number


# ----------------------------------------------------------------------------------------------- fast units


def test_strip_network_removes_remote_scripts_and_links():
    page = ('<head><script src="https://cdn.example/require.js"></script><link rel="stylesheet" '
            'href="//fonts.example/x.css"><script src=""></script><script>var x = 1;</script></head>')
    assert network_references(page)
    clean = strip_network(page)
    assert clean == "<head><script>var x = 1;</script></head>"
    assert network_references(clean) == []
    assert network_references("<style>@import url('https://x.example/a.css');</style>")
    assert network_references('<a href="https://plotly.com/">plotly</a>') == []  # a link is not a load


def test_failure_message_names_the_cell_the_line_and_the_error(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1\nreport = load()\n")
    cell.id = "header"
    cell.metadata["papermill"] = {"exception": True}
    nb.cells = [nbformat.v4.new_code_cell("y = 2"), cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    traceback = ["\x1b[0;31m---------\x1b[0m", "File zoneinfo.py:12, in load()\n---> 12 return resources.files()\n",
                 "Cell \x1b[0;32mIn[3], line 2\x1b[0m\n\x1b[0;32m----> 2\x1b[0m "
                 "report \x1b[38;5;241m=\x1b[39m load()\n", "File x.py:5, in load()\n----> 5 raise InputError()\n",
                 "InputError: x.csv: file not found"]
    message = failure_message(path, "InputError", "x.csv: file not found\nmore detail", traceback)
    assert message == ("weekly report notebook failed in cell 'header', line 2: report = load() -> "
                       "InputError: x.csv: file not found")


def test_index_lists_reports_newest_first_and_skips_broken_summaries(tmp_path: Path):
    for week, start, reach in (("2026-W45", "2026-11-02", 505), ("2026-W47", "2026-11-16", 503),
                               ("2026-W46", "2026-11-09", 524)):
        (tmp_path / week).mkdir()
        (tmp_path / week / "summary.json").write_text(json.dumps({
            "start": start, "end": start, "reach_outs": reach, "opens": None, "response_rate": 0.5,
            "title": "T <b>", "files": ["weekly_report.pdf"], "still_arriving": week == "2026-W47"}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{not json")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert re.findall(r">(2026-W\d\d)<", page) == ["2026-W47", "2026-W46", "2026-W45"]
    assert "3 report(s), newest first." in page and "T &lt;b&gt;" in page
    assert page.count("filling in") == 1 and '<td class="n">—</td>' in page and '<td class="n">524</td>' in page


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "index.html"
    atomic_write_bytes(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_formats_and_paper_are_validated():
    assert parse_formats("HTML, pdf") == ["html", "pdf"]
    with pytest.raises(UsageError):
        parse_formats("html,docx")
    with pytest.raises(UsageError):
        parse_formats(" , ")
    assert paper_size("letter") == ("Letter", 215.9)
    with pytest.raises(UsageError):
        paper_size("A3")


def test_print_css_fixes_the_body_to_the_printable_width():
    assert "size:A4 portrait" in print_css("A4", "x") and "width:186.0mm" in print_css("A4", "x")
    assert "size:Letter portrait" in print_css("Letter", "x") and "width:191.9mm" in print_css("Letter", "x")
    assert 'content:"a\\22 b"' in print_css("A4", 'a"b')  # quotes escaped in CSS


def test_exported_page_has_outputs_only_no_code_stderr_headline_or_network(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("secret_code()")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<p class='x'>503 reach outs</p>",
                                                     "text/plain": "<HTML>"}),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: something noisy\n"),
        nbformat.v4.new_output("display_data", data={HEADLINE_MIME: {"reach_outs": 503}}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("## Funnel\nText."), code]
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    page = export_html(path, "Weekly <report>")
    assert "<title>Weekly &lt;report&gt;</title>" in page
    assert "503 reach outs" in page and ">Funnel<" in page
    for absent in ("secret_code", "UserWarning", "reach_outs", "¶", "In&nbsp;[", "mathjax", "mermaid",
                   "require.js"):
        assert absent not in page, absent
    assert network_references(page) == [] and not re.search(r"<script[^>]*\ssrc=", page)
