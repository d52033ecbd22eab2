"""Weekly reports: execute the packaged notebook with papermill, export HTML / PDF / ipynb, keep an index.

Writes are atomic: every file is rendered in a temporary folder, then written under a temporary name and
renamed into place, so an interrupted or failed run leaves the previous report and the index intact.

The HTML is self-contained (plotly.js inline once, no code, nothing loaded from the network); the PDF is that
page printed by headless Chromium, so the charts are drawn by the real plotly.js.
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
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from talentstats.errors import TalentstatsError, UsageError
from talentstats.present.charts import fmt_count, fmt_rate
from talentstats.stats.periods import week_label

FORMATS = ("html", "pdf", "ipynb")
#: paper name -> (CSS page size, width in mm)
PAPER = {"a4": ("A4", 210.0), "letter": ("Letter", 215.9)}
#: page margins in mm: top/bottom, left/right
MARGIN_MM = (14.0, 12.0)
NOTEBOOK_NAME = "weekly_report.ipynb"
SUMMARY_NAME = "summary.json"
HEADLINE_MIME = "application/vnd.talentstats.headline+json"
#: the renderer report charts are executed with: plotly.js embedded once (drawn offline in the HTML) plus the
#: figure JSON (drawn by JupyterLab when the executed notebook is opened, trusted or not)
REPORT_RENDERER = "plotly_mimetype+notebook"
#: the renderer of the outputs stored in the packaged notebook: small (figure JSON), JupyterLab draws it
STORED_RENDERER = "plotly_mimetype"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                  "--hide-scrollbars", "--mute-audio", "--disable-extensions", "--disable-default-apps",
                  "--disable-domain-reliability", "--no-default-browser-check", "--metrics-recording-only"]


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


def paper_size(paper: str) -> tuple[str, float]:
    """CSS page size and paper width (mm) of ``A4`` or ``Letter`` (any case)."""
    try:
        return PAPER[paper.strip().lower()]
    except KeyError:
        raise UsageError(f"--paper {paper!r}: choose A4 or Letter")


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
def _quiet_stderr(log: Path) -> Iterator[None]:
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
def _env(**values: str) -> Iterator[None]:
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


def execute(parameters: dict[str, Any], output: Path, timeout: int = 600, renderer: str = REPORT_RENDERER,
            cwd: str | Path | None = None) -> None:
    """Run the packaged notebook with papermill into ``output``; a failing cell raises ReportError naming the
    cell and the error (the partly executed notebook is left at ``output``, the kernel's stderr in .log)."""
    import logging
    import warnings

    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    log = output.with_suffix(".log")
    quiet = {"PLOTLY_RENDERER": renderer, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONWARNINGS": "ignore"}
    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level
    papermill_log.setLevel(logging.ERROR)
    try:
        with _env(**quiet), _quiet_stderr(log), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.execute_notebook(str(packaged_notebook()), str(output), parameters=parameters,
                                kernel_name="python3", progress_bar=False, log_output=False,
                                execution_timeout=timeout, cwd=str(cwd or os.getcwd()),
                                kernel_manager_class=this_python_kernel())
    except PapermillExecutionError as err:
        raise ReportError(failure_message(output, err.ename, err.evalue, err.traceback, err.source))
    except Exception as err:  # kernel died, timeout, unreadable notebook: still one readable line
        raise ReportError(f"weekly report notebook did not run: {type(err).__name__}: {_first_line(str(err))}")
    finally:
        papermill_log.setLevel(level)


def this_python_kernel() -> type:
    """A kernel manager that runs the notebook with this very Python (where talentstats is installed), whatever
    kernelspec named python3 the user's Jupyter folders may hold."""
    import sys

    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (talentstats)", language="python", resource_dir="")

    return ThisPythonKernelManager


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failure_message(executed: Path, ename: str, evalue: str, traceback: Sequence[str] = (),
                    source: str = "") -> str:
    """One readable line: which cell failed (its id and the failing line) and the error."""
    cell_name = ""
    try:
        import nbformat

        nb = nbformat.read(str(executed), as_version=4)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("papermill", {}).get("exception"):
                cell_name = f" '{cell.get('id', '')}'"
                source = source or cell.source
                break
    except Exception:  # the notebook may not have been written at all
        pass
    where = ""
    frames = [_ANSI.sub("", t) for t in traceback]
    cell_frames = [f for f in frames if f.lstrip().startswith("Cell In[")]  # IPython names the cell's own frame
    for frame in reversed(cell_frames or frames[:1]):  # the last: the exception the cell raised, not its causes
        match = re.search(r"^-+>\s*(\d+)\s+(.*)$", frame, re.MULTILINE)
        if match:
            line = match.group(2).strip()
            where = f", line {match.group(1)}: {line if len(line) <= 80 else line[:79] + '…'}"
            break
    if not where and source:
        where = f": {_first_line(source)[:100]}"
    return f"weekly report notebook failed in cell{cell_name}{where} -> {ename}: {_first_line(evalue)}"


def _first_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


# ------------------------------------------------------------------------------------------- export

#: nbconvert template: JupyterLab's, minus every script it would load from a CDN (MathJax, Mermaid,
#: require.js, widgets), plus the report's page stylesheet
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style>{{ resources.talentstats_css }}</style>{%- endblock html_head_css -%}
"""

#: the page around the notebook's outputs: reading width, section headings, print rules
PAGE_CSS = """
body.jp-Notebook{background:#fff;margin:0;padding:0}
body.jp-Notebook main{max-width:980px;margin:0 auto;padding:24px 28px 40px 28px;box-sizing:border-box}
.jp-Cell,.jp-Notebook-cell{padding:0!important;margin:0!important}
.jp-Cell.jp-mod-noOutputs{display:none}
.jp-OutputArea-output{overflow:visible!important;padding:0!important}
.jp-OutputArea-child{margin:0}
.jp-RenderedHTMLCommon{padding-right:0!important}
.jp-MarkdownOutput{padding:0!important}
.jp-RenderedHTMLCommon.jp-MarkdownOutput h2{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif!important;
  font-size:19px;font-weight:600!important;color:#1f2933;margin:22px 0 4px 0!important;padding:0 0 3px 0;
  border-bottom:1px solid #d9e2ec}
.jp-RenderedHTMLCommon.jp-MarkdownOutput p{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;
  font-size:13px;color:#52606d;margin:2px 0 6px 0!important}
.modebar-container{display:none!important}
@media print{
  body.jp-Notebook main{max-width:none;margin:0;padding:0}
  .jp-RenderedHTMLCommon.jp-MarkdownOutput h2{font-size:16px;margin-top:14px!important}
  .jp-RenderedHTMLCommon.jp-MarkdownOutput p{font-size:11.5px}
  .jp-MarkdownCell,.jp-MarkdownOutput h2{break-after:avoid;page-break-after:avoid}
  .jp-CodeCell,.plotly-graph-div,.js-plotly-plot,.ts-kpis,tr,.ts-callout{break-inside:avoid;page-break-inside:avoid}
  .ts-report ul li{break-inside:avoid}
}
"""


def export_html(notebook: Path, title: str) -> str:
    """Self-contained HTML of an executed notebook: no code, no prompts, plotly.js inline, no network."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata["title"] = title
    for cell in nb.cells:  # the headline record has no visual form, stderr is for the log: not on the page
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not _off_page(o)]
    exporter = HTMLExporter(template_name="lab", template_file="talentstats_report.html.j2",
                            extra_loaders=[jinja2.DictLoader({"talentstats_report.html.j2": _TEMPLATE})],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            exclude_anchor_links=True)
    body, _ = exporter.from_notebook_node(nb, resources={"talentstats_css": PAGE_CSS})
    return strip_network(body)


def _off_page(output: Any) -> bool:
    """True for outputs the report page leaves out: the headline record and anything written to stderr."""
    if output.get("output_type") == "stream":
        return output.get("name") == "stderr"
    data = output.get("data")
    return data is not None and set(data) <= {HEADLINE_MIME}


_REMOTE_TAG = re.compile(
    r"<script[^>]+src=[\"'](?:https?:)?//[^>]*>\s*</script>|<link[^>]+href=[\"'](?:https?:)?//[^>]*>|"
    r"<script[^>]+src=[\"'][\"'][^>]*>\s*</script>", re.IGNORECASE)


def strip_network(page: str) -> str:
    """Remove every <script src> / <link href> pointing at the network (and empty script srcs)."""
    return _REMOTE_TAG.sub("", page)


def network_references(page: str) -> list[str]:
    """Tags or CSS rules in ``page`` that would load something from the network (should be [])."""
    tags = re.findall(r"<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*\b(?:src|href)="
                      r"[\"'](?:https?:)?//[^\"']*", page, re.IGNORECASE)
    css = re.findall(r"@import\s+(?:url\()?[\"']?(?:https?:)?//[^;]*|url\([\"']?(?:https?:)?//[^)]*\)", page,
                     re.IGNORECASE)
    return tags + css


def _css_string(text: str) -> str:
    """A CSS string literal (for @page margin boxes)."""
    return '"' + re.sub(r'["\\\n]', lambda m: "\\" + format(ord(m.group(0)), "x") + " ", text) + '"'


def print_css(paper: str, footer: str) -> str:
    """Page size and margins, the body at exactly the printable width, and a footer with page numbers."""
    size, width_mm = paper_size(paper)
    top, side = MARGIN_MM
    printable = width_mm - 2 * side
    return (f"<style>@page{{size:{size} portrait;margin:{top}mm {side}mm;"
            f"@bottom-left{{content:{_css_string(footer)};font:8.5px Helvetica,Arial,sans-serif;color:#7b8794}}"
            f"@bottom-right{{content:'Page ' counter(page) ' of ' counter(pages);"
            f"font:8.5px Helvetica,Arial,sans-serif;color:#7b8794}}}}"
            f"html,body.jp-Notebook{{width:{printable:.1f}mm!important;margin:0!important}}"
            f"body.jp-Notebook main{{max-width:none!important;margin:0!important;padding:0!important}}</style>")


def print_pdf(html_path: Path, pdf_path: Path, paper: str = "A4", footer: str = "", timeout: int = 120) -> None:
    """Print an HTML file to PDF with headless Chromium (charts drawn by the real plotly.js).

    The page body is fixed to the printable width, so responsive charts are laid out to the paper.
    """
    browser = find_chromium()
    page = html_path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="talentstats-pdf-") as tmp:
        printable = Path(tmp) / "print.html"
        printable.write_text(page.replace("</head>", print_css(paper, footer) + "</head>", 1), encoding="utf-8")
        out = Path(tmp) / "out.pdf"
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--window-size=1200,1600",
               "--virtual-time-budget=20000", f"--print-to-pdf={out}", printable.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not finish printing the PDF within {timeout} s")
        if not out.exists() or out.stat().st_size == 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise ReportError(f"Chromium could not print the PDF: {tail[0]}")
        atomic_write_bytes(pdf_path, out.read_bytes())


# ------------------------------------------------------------------------------------------- one week


def period_label(start: dt.date, end: dt.date) -> str:
    """Folder name of a period: the ISO week (``2026-W47``) or ``2026-11-01_2026-11-30``."""
    if (end - start).days == 6 and start.weekday() == 0:
        return week_label(start)
    return f"{start}_{end}"


def remove_stale_renders(out_dir: Path, older_than: float = 6 * 3600) -> None:
    """Delete temporary render folders left by a killed run (older than ``older_than`` seconds)."""
    now = time.time()
    for tmp in out_dir.glob(".render-*"):
        try:
            if tmp.is_dir() and now - tmp.stat().st_mtime > older_than:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            continue


def render(data: Sequence[str | Path], out_dir: str | Path, start: dt.date, end: dt.date,
           messages: Sequence[str | Path] | None = None, tz: str = "UTC", campaigns: Sequence[str] = (),
           title: str = "Weekly campaign report", formats: Sequence[str] = ("html", "pdf"), paper: str = "A4",
           include_pii: bool = False, source_tz: str = "UTC", mapping: dict[str, str] | None = None,
           sheet: str | int | None = None, dayfirst: bool = False) -> Rendered:
    """Render the report for [start, end] into ``out_dir/<ISO week>/`` and update ``out_dir/index.html``.

    Files appear only when complete. When the notebook fails, ReportError names the cell and the error, the
    executed notebook is kept as ``weekly_report.failed.ipynb`` (with the kernel's log) and nothing else
    changes.
    """
    t0 = time.perf_counter()
    formats = parse_formats(formats)
    paper_size(paper)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    label = period_label(start, end)
    folder = out_dir / label
    params = {"data": [str(Path(p).resolve()) for p in data],
              "messages": [str(Path(p).resolve()) for p in messages] if messages else None,
              "week": None, "start": start.isoformat(), "end": end.isoformat(), "tz": tz,
              "campaigns": [str(c) for c in campaigns], "title": title, "include_pii": bool(include_pii),
              "source_tz": source_tz, "mapping": dict(mapping or {}), "sheet": sheet, "dayfirst": bool(dayfirst)}
    result = Rendered(folder)
    remove_stale_renders(out_dir)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=out_dir) as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            execute(params, executed)
        except ReportError as err:
            kept = folder / "weekly_report.failed.ipynb"
            if executed.exists():
                atomic_write_bytes(kept, executed.read_bytes())
                log = executed.with_suffix(".log")
                if log.exists():
                    atomic_write_bytes(kept.with_suffix(".log"), log.read_bytes())
                raise ReportError(f"{err} (executed notebook kept at {kept})")
            raise
        result.headline = read_headline(executed)
        staged: dict[str, Path] = {}
        if "html" in formats or "pdf" in formats:
            page = export_html(executed, f"{title} — {label}")
            staged_html = Path(tmp) / "weekly_report.html"
            staged_html.write_text(page, encoding="utf-8")
            if "html" in formats:
                staged["html"] = staged_html
            if "pdf" in formats:
                staged["pdf"] = Path(tmp) / "weekly_report.pdf"
                print_pdf(staged_html, staged["pdf"], paper, footer=f"{title} · {label}")
        if "ipynb" in formats:
            staged["ipynb"] = executed
        summary = {**result.headline, "title": title, "label": label, "campaigns": list(campaigns),
                   "files": sorted(f"weekly_report.{k}" for k in staged)}
        # everything is ready: move into place, one atomic rename per file, the summary (read by the index) last
        for kind in ("ipynb", "pdf", "html"):
            if kind in staged:
                target = folder / f"weekly_report.{kind}"
                atomic_write_bytes(target, staged[kind].read_bytes())
                result.files[kind] = target
        for kind in FORMATS:  # a format not asked for this time must not linger from an earlier run
            if kind not in staged:
                (folder / f"weekly_report.{kind}").unlink(missing_ok=True)
        atomic_write_bytes(folder / SUMMARY_NAME, json.dumps(summary, indent=2).encode())
        for stale in ("weekly_report.failed.ipynb", "weekly_report.failed.log"):
            (folder / stale).unlink(missing_ok=True)
    write_index(out_dir)
    result.seconds = time.perf_counter() - t0
    return result


def read_headline(executed: Path) -> dict[str, Any]:
    """The headline numbers the notebook recorded (see WeeklyReport.record)."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                return dict(data[HEADLINE_MIME])
    return {}


# ------------------------------------------------------------------------------------------- index

INDEX_CSS = """body{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;margin:28px;color:#1f2933}
h1{font-size:24px;font-weight:600;margin:0 0 4px 0}p{color:#52606d;margin:0 0 14px 0}
table{border-collapse:collapse;font-size:13.5px}th{border-bottom:2px solid #9aa5b1;font-weight:600;color:#3e4c59}
td,th{padding:6px 12px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;white-space:nowrap}
th{vertical-align:bottom}tbody tr:nth-child(even){background:#f7f9fb}
.n{text-align:right;font-variant-numeric:tabular-nums}.sub{color:#7b8794;font-size:12px}
.note{color:#8a6d00;font-size:12px}a{color:#2f5f9e}td.w a{font-weight:600;text-decoration:none}"""


def write_index(out_dir: str | Path) -> Path:
    """DIR/index.html listing every report in DIR with its headline numbers, newest first (atomic)."""

    out_dir = Path(out_dir)
    entries = []
    for summary in out_dir.glob(f"*/{SUMMARY_NAME}"):
        try:
            entries.append((summary.parent.name, json.loads(summary.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    entries.sort(key=lambda e: (str(e[1].get("start", "")), e[0]), reverse=True)
    rows = []
    for name, s in entries:
        links = " · ".join(f'<a href="{html.escape(name)}/{html.escape(f)}">{html.escape(f.rsplit(".", 1)[1].upper())}'
                           f"</a>" for f in s.get("files", []))
        note = '<br><span class="note">filling in</span>' if s.get("still_arriving") else ""
        scope = ", ".join(s.get("campaigns") or []) or "all campaigns"
        files = list(s.get("files", []))
        main = next((f for kind in ("html", "pdf", "ipynb") for f in files if f.endswith(f".{kind}")), None)
        week = html.escape(name)
        if main:
            week = f'<a href="{html.escape(name)}/{html.escape(main)}">{week}</a>'
        rows.append(
            f'<tr><td class="w">{week}{note}</td><td>{html.escape(str(s.get("start", "")))} – '
            f'{html.escape(str(s.get("end", "")))}<br><span class="sub">{html.escape(str(s.get("tz", "")))}</span></td>'
            f'<td>{html.escape(str(s.get("title", "")))}<br><span class="sub">{html.escape(scope)}</span></td>'
            + "".join(f'<td class="n">{fmt_count(s.get(k))}</td>' for k in ("reach_outs", "opens", "responses",
                                                                          "interested"))
            + "".join(f'<td class="n">{fmt_rate(s.get(k))}</td>' for k in ("open_rate", "response_rate"))
            + f"<td>{links}</td></tr>")
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Weekly campaign reports</title>
<style>{INDEX_CSS}</style></head><body>
<h1>Weekly campaign reports</h1><p>{len(entries)} report(s), newest first.</p>
<table><thead><tr><th>Week</th><th>Period</th><th>Report</th><th class="n">Reach Outs</th><th class="n">Opens</th>
<th class="n">Responses</th><th class="n">Interested</th><th class="n">Open rate</th><th class="n">Response rate</th>
<th>Files</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>"""
    index = out_dir / "index.html"
    atomic_write_bytes(index, page.encode("utf-8"))
    return index


# ------------------------------------------------------------------------------------------- stored outputs


def store_outputs(notebook: Path | None = None, cwd: Path | None = None) -> Path:
    """Execute the packaged notebook with its default parameters (the sample data, week "latest") and store
    the outputs in it, with the small plotly renderer and no run-specific metadata (for nbval and GitHub)."""
    import nbformat

    target = notebook or packaged_notebook()
    with tempfile.TemporaryDirectory(prefix="talentstats-store-") as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        execute({}, executed, renderer=STORED_RENDERER, cwd=cwd or Path.cwd())
        nb = nbformat.read(str(executed), as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    nb.metadata.pop("papermill", None)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.execution_count = n + 1
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = n + 1
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
    nbformat.validate(nb)
    atomic_write_bytes(target.resolve(), (nbformat.writes(nb) + "\n").encode("utf-8"))
    return target


if __name__ == "__main__":  # pragma: no cover - maintenance: python -m talentstats.report
    print(f"stored outputs in {store_outputs()}")
