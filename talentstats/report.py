"""Weekly reports: execute the packaged notebook with papermill, export HTML / PDF / ipynb, keep an index.

Writes are atomic: every file is written under a temporary name and renamed into place, so an interrupted or
failed run leaves the previous report and the index intact.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import TalentstatsError, UsageError
from .periods import week_label

FORMATS = ("html", "pdf", "ipynb")
PAPER = {"a4": "A4", "letter": "Letter"}
NOTEBOOK_NAME = "weekly_report.ipynb"
SUMMARY_NAME = "summary.json"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                  "--hide-scrollbars", "--mute-audio"]


class ReportError(TalentstatsError):
    """A report could not be rendered (a notebook cell failed, no browser for the PDF, ...)."""

    exit_code = 1


@dataclass
class Rendered:
    """The files written for one period and its headline numbers."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def packaged_notebook() -> Path:
    """The weekly report notebook shipped inside the installed package."""
    return Path(str(resources.files("talentstats") / "notebooks" / NOTEBOOK_NAME))


def parse_formats(value: str | Sequence[str]) -> list[str]:
    """``"html,pdf"`` -> ["html", "pdf"], validated."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out = [i.strip().lower() for i in items if i.strip()]
    for f in out:
        if f not in FORMATS:
            raise UsageError(f"--format {f!r}: choose from {', '.join(FORMATS)}")
    if not out:
        raise UsageError("--format: give at least one of html, pdf, ipynb")
    return out


def find_chromium() -> str:
    """Path of a headless-capable Chromium: $TALENTSTATS_CHROMIUM, then chromium/chromium-browser/chrome."""
    env = os.environ.get("TALENTSTATS_CHROMIUM")
    candidates = [env] if env else []
    candidates += ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"]
    for c in candidates:
        path = shutil.which(c) if c else None
        if path:
            return path
    raise ReportError("PDF needs Chromium: install it (Debian: apt-get install chromium) or set "
                      "TALENTSTATS_CHROMIUM to its path; or render --format html,ipynb")


# ------------------------------------------------------------------------------------------- atomic files


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _quiet_stderr(log: Path):
    """Send this process's stderr (and the kernel's, which inherits it) to ``log`` while rendering."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextmanager
def _env(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ------------------------------------------------------------------------------------------- execute


def execute(parameters: dict[str, Any], output: Path, timeout: int = 600) -> None:
    """Run the packaged notebook with papermill; a failing cell raises ReportError naming cell and error."""
    import warnings

    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        with _env(PLOTLY_RENDERER="notebook", PYDEVD_DISABLE_FILE_VALIDATION="1"), \
                _quiet_stderr(output.with_suffix(".log")), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.execute_notebook(str(packaged_notebook()), str(output), parameters=parameters,
                                kernel_name="python3", progress_bar=False, log_output=False,
                                execution_timeout=timeout, cwd=os.getcwd())
    except PapermillExecutionError as err:
        first = (err.evalue or "").strip().splitlines()
        raise ReportError(f"weekly report notebook failed in cell {err.exec_count}: {err.ename}: "
                          f"{first[0] if first else ''} (executed notebook kept at {output})")


# ------------------------------------------------------------------------------------------- export

PRINT_CSS = """<style>
body{background:#fff}
.jp-Cell,.jp-OutputArea-output,.plotly-graph-div,.js-plotly-plot,table,tr,.ts-kpi{break-inside:avoid;page-break-inside:avoid}
h2{break-after:avoid;page-break-after:avoid;margin-top:18px}
.jp-MarkdownCell{break-after:avoid;page-break-after:avoid}
.ts-table{width:100%;font-size:12px}.ts-table thead th{white-space:normal!important;vertical-align:bottom}
.jp-RenderedHTMLCommon table{table-layout:auto}
.jp-OutputArea-output{overflow-x:auto}
.jp-MarkdownOutput h2{border-bottom:1px solid #d9e2ec;padding-bottom:3px}
.modebar-container{display:none!important}
@media print{.jp-Notebook{padding:0!important}.jp-Cell{padding:2px 0!important}}
</style>"""


def export_html(notebook: Path, title: str) -> str:
    """Self-contained HTML of an executed notebook: no code, no prompts, plotly.js inline, no network."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.mathjax_url = ""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the headline output has no visual form, by design
        body, _ = exporter.from_notebook_node(nb)
    body = strip_network(body)
    return body.replace("</head>", PRINT_CSS + "</head>", 1)


_REMOTE_TAG = re.compile(r"<script[^>]+src=[\"']https?://[^>]*>\s*</script>|<link[^>]+href=[\"']https?://[^>]*>",
                         re.IGNORECASE)


def strip_network(page: str) -> str:
    """Remove every <script src> / <link href> pointing at the network (CDN loaders nbconvert adds)."""
    return _REMOTE_TAG.sub("", page)


def print_pdf(html_path: Path, pdf_path: Path, paper: str = "A4", timeout: int = 120) -> None:
    """Print an HTML file to PDF with headless Chromium (charts drawn by the real plotly.js)."""
    browser = find_chromium()
    size = PAPER.get(paper.lower())
    if size is None:
        raise UsageError(f"--paper {paper!r}: choose A4 or Letter")
    page = html_path.read_text(encoding="utf-8")
    css = f"<style>@page{{size:{size};margin:12mm 10mm}}</style>"
    with tempfile.TemporaryDirectory(prefix="talentstats-pdf-") as tmp:
        printable = Path(tmp) / "print.html"
        printable.write_text(page.replace("</head>", css + "</head>", 1), encoding="utf-8")
        out = Path(tmp) / "out.pdf"
        width = 700 if size == "A4" else 720  # the printable width, so responsive charts are laid out to fit
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--window-size={width},1200", "--virtual-time-budget=15000", f"--print-to-pdf={out}",
               printable.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not finish printing the PDF within {timeout} s")
        if not out.exists() or out.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise ReportError(f"Chromium could not print the PDF: {tail[0]}")
        atomic_write_bytes(pdf_path, out.read_bytes())


# ------------------------------------------------------------------------------------------- one week


def render(data: Sequence[str | Path], out_dir: str | Path, start: dt.date, end: dt.date,
           messages: Sequence[str | Path] | None = None, tz: str = "UTC", campaigns: Sequence[str] = (),
           title: str = "Weekly campaign report", formats: Sequence[str] = ("html", "pdf"), paper: str = "A4",
           include_pii: bool = False, source_tz: str = "UTC") -> Rendered:
    """Render the report for [start, end] into ``out_dir/<ISO week>/``; files appear only when complete."""
    import time

    import nbformat

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    label = week_label(start) if (end - start).days == 6 and start.weekday() == 0 else f"{start}_{end}"
    folder = out_dir / label
    folder.mkdir(parents=True, exist_ok=True)
    params = {"data": [str(Path(p).resolve()) for p in data],
              "messages": [str(Path(p).resolve()) for p in messages] if messages else None,
              "week": None, "start": start.isoformat(), "end": end.isoformat(), "tz": tz,
              "campaigns": list(campaigns), "title": title, "include_pii": bool(include_pii),
              "source_tz": source_tz}
    result = Rendered(folder)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=out_dir) as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            execute(params, executed)
        except ReportError:
            if executed.exists():
                atomic_write_bytes(folder / "weekly_report.failed.ipynb", executed.read_bytes())
                raise ReportError(_failure(executed, folder / "weekly_report.failed.ipynb"))
            raise
        nb = nbformat.read(str(executed), as_version=4)
        result.headline = _headline(nb)
        staged: dict[str, Path] = {}
        if "html" in formats or "pdf" in formats:
            page = export_html(executed, f"{title} — {label}")
            staged_html = Path(tmp) / "weekly_report.html"
            staged_html.write_text(page, encoding="utf-8")
            if "html" in formats:
                staged["html"] = staged_html
            if "pdf" in formats:
                print_pdf(staged_html, Path(tmp) / "weekly_report.pdf", paper)
                staged["pdf"] = Path(tmp) / "weekly_report.pdf"
        if "ipynb" in formats:
            staged["ipynb"] = executed
        summary = {**result.headline, "title": title, "label": label, "campaigns": list(campaigns),
                   "files": sorted(f"weekly_report.{k}" for k in staged)}
        # everything is ready: move into place, one atomic rename per file
        for kind in ("ipynb", "pdf", "html"):
            if kind in staged:
                target = folder / f"weekly_report.{kind}"
                atomic_write_bytes(target, staged[kind].read_bytes())
                result.files[kind] = target
        atomic_write_bytes(folder / SUMMARY_NAME, json.dumps(summary, indent=2).encode())
        (folder / "weekly_report.failed.ipynb").unlink(missing_ok=True)
    write_index(out_dir)
    result.seconds = time.perf_counter() - t0
    return result


def _failure(executed: Path, kept: Path) -> str:
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                value = (out.get("evalue") or "").strip().splitlines()
                return (f"weekly report notebook failed in cell {i} ({cell.source.splitlines()[0][:60]!r}): "
                        f"{out.get('ename')}: {value[0] if value else ''} (executed notebook kept at {kept})")
    return f"weekly report notebook failed (executed notebook kept at {kept})"


def _headline(nb: Any) -> dict[str, Any]:
    """The headline numbers the notebook recorded in its metadata (see WeeklyReport.record)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.talentstats.headline+json" in data:
                return dict(data["application/vnd.talentstats.headline+json"])
    return {}


# ------------------------------------------------------------------------------------------- index


def write_index(out_dir: str | Path) -> Path:
    """DIR/index.html listing every report in DIR with its headline numbers, newest first (atomic)."""
    from .charts import fmt_count, fmt_rate

    out_dir = Path(out_dir)
    entries = []
    for summary in out_dir.glob(f"*/{SUMMARY_NAME}"):
        try:
            entries.append((summary.parent.name, json.loads(summary.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    entries.sort(key=lambda e: (e[1].get("start", ""), e[0]), reverse=True)
    rows = []
    for name, s in entries:
        links = " · ".join(f'<a href="{html.escape(name)}/{html.escape(f)}">{html.escape(f.rsplit(".", 1)[1].upper())}'
                           f"</a>" for f in s.get("files", []))
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(str(s.get('start', '')))} – "
            f"{html.escape(str(s.get('end', '')))}</td><td>{html.escape(str(s.get('title', '')))}</td>"
            + "".join(f'<td class="n">{fmt_count(s.get(k))}</td>' for k in ("reach_outs", "opens", "responses",
                                                                          "interested"))
            + f'<td class="n">{fmt_rate(s.get("response_rate"))}</td><td>{links}</td></tr>')
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Weekly campaign reports</title>
<style>body{{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#1f2933}}
table{{border-collapse:collapse}}td,th{{padding:5px 12px;border-bottom:1px solid #e3e3e3;text-align:left}}
.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head><body>
<h1>Weekly campaign reports</h1><p>{len(entries)} report(s), newest first.</p>
<table><thead><tr><th>Week</th><th>Period</th><th>Title</th><th class="n">Reach Outs</th><th class="n">Opens</th>
<th class="n">Responses</th><th class="n">Interested</th><th class="n">Response rate</th><th>Files</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>"""
    index = out_dir / "index.html"
    atomic_write_bytes(index, page.encode("utf-8"))
    return index
