"""An executed report notebook as a self-contained HTML page, and that page printed to PDF by headless Chromium.

The HTML is self-contained (plotly.js inline once, no code, nothing loaded from the network) and carries a
Content-Security-Policy that lets only the report's own scripts run (:mod:`talentstats.report.csp`); the PDF is
that page printed by Chromium (sandboxed where the machine allows it, within a time limit), so the charts are
drawn by the real plotly.js.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

from talentstats.errors import UsageError
from talentstats.report.csp import embed_plotly_js, policy, trusted_scripts, with_policy
from talentstats.report.execute import ReportError
from talentstats.report.handoff import HEADLINE_MIME
from talentstats.report.slim_css import page_classes, prune_css

FORMATS = ("html", "pdf", "ipynb")
#: paper name -> (CSS page size, width in mm)
PAPER = {"a4": ("A4", 210.0), "letter": ("Letter", 215.9)}
#: page margins in mm: top/bottom, left/right
MARGIN_MM = (14.0, 12.0)
#: charts on paper at this scale of the page (laid out as on a ~940 px screen, so a chart takes less of a page)
CHART_ZOOM = 0.8
#: seconds Chromium may take to print a report (``pdf_timeout``); a page that never finishes fails cleanly
PDF_TIMEOUT = 60.0
CHROMIUM_FLAGS = ["--headless", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                  "--hide-scrollbars", "--mute-audio", "--disable-extensions", "--disable-default-apps",
                  "--disable-domain-reliability", "--no-default-browser-check", "--metrics-recording-only"]


def parse_formats(value: str | Sequence[str]) -> list[str]:
    """The output formats asked for, validated: ``"html,pdf"`` -> ``["html", "pdf"]``.

    Args:
        value: comma-separated text or a sequence of format names (any case).

    Returns:
        The formats, lower case, in the order given.

    Raises:
        UsageError: an unknown format or none at all (naming the parameter ``formats``).
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    out = [i.strip().lower() for i in items if i.strip()]
    for f in out:
        if f not in FORMATS:
            raise UsageError(f"choose from {', '.join(FORMATS)}", parameter="formats", value=f)
    if not out:
        raise UsageError(f"give at least one of {', '.join(FORMATS)}", parameter="formats")
    return out


def paper_size(paper: str) -> tuple[str, float]:
    """CSS page size and paper width (mm) of ``A4`` or ``Letter`` (any case).

    Raises:
        UsageError: another paper (naming the parameter ``paper``).
    """
    try:
        return PAPER[str(paper).strip().lower()]
    except KeyError:
        raise UsageError("choose A4 or Letter", parameter="paper", value=paper)


def find_chromium() -> str:
    """Path of a headless-capable Chromium: $TALENTSTATS_CHROMIUM, then chromium/chromium-browser/chrome.

    Raises:
        ReportError: no browser found.
    """
    env = os.environ.get("TALENTSTATS_CHROMIUM")
    candidates = [env] if env else []
    candidates += ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"]
    for c in candidates:
        path = shutil.which(c) if c else None
        if path:
            return path
    raise ReportError("PDF needs Chromium: install it (Debian: apt-get install chromium) or set "
                      "TALENTSTATS_CHROMIUM to its path; or render the html and ipynb formats only")


#: nbconvert template: JupyterLab's, minus every script it would load from a CDN (MathJax, Mermaid,
#: require.js, widgets), its stylesheet marked (to be cut down to what the page uses), plus the report's own
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block notebook_css -%}<!--ts-lab-css-->{{ super() }}<!--/ts-lab-css-->{%- endblock notebook_css -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style>{{ resources.talentstats_css }}</style>{%- endblock html_head_css -%}
"""

#: the page around the notebook's outputs: reading width, section headings, wide tables and charts scrolling in
#: their own box on a phone, print rules (sections flow; one output is kept whole on a page when it fits)
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
body.jp-Notebook .ts-kpi-label{white-space:normal;overflow:visible;text-overflow:clip;overflow-wrap:break-word}
.modebar-container{display:none!important}
@media screen{
  .jp-RenderedHTMLCommon div:has(>table){overflow-x:auto;overflow-y:hidden}
}
@media screen and (max-width:600px){
  body.jp-Notebook main{padding:16px 14px 32px 14px}
  .js-plotly-plot .plotly .main-svg{overflow:visible}
}
@media print{
  body.jp-Notebook main{max-width:none;margin:0;padding:0}
  .jp-RenderedHTMLCommon.jp-MarkdownOutput h2{font-size:16px;margin-top:12px!important}
  .jp-RenderedHTMLCommon.jp-MarkdownOutput p{font-size:11.5px}
  .jp-MarkdownCell,.jp-MarkdownOutput h2{break-after:avoid;page-break-after:avoid}
  .jp-OutputArea-child,.plotly-graph-div,.js-plotly-plot,.ts-kpis,tr,.ts-callout{break-inside:avoid;
    page-break-inside:avoid}
  .jp-OutputArea-child:has(table.ts-list){break-inside:auto;page-break-inside:auto}
  .ts-report ul li{break-inside:avoid}
}
"""


def export_html(notebook: Path, title: str) -> str:
    """Self-contained HTML of an executed notebook: no code, no prompts, plotly.js inline, no network.

    Args:
        notebook: the executed notebook.
        title: the page title.

    Returns:
        The page.
    """
    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata["title"] = title
    for cell in nb.cells:  # the headline record has no visual form, stderr is for the log: not on the page
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not _off_page(o)]
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    embed_plotly_js(outputs)  # the partial bundle when it draws every chart: hashed below as embedded
    with _EXPORTING:  # (one exporter, kept: its templates are compiled once per process)
        body, _ = _exporter().from_notebook_node(nb, resources={"talentstats_css": PAGE_CSS})
    scripts = [s for o in outputs for s in trusted_scripts(o)]
    return with_policy(strip_network(_slim_lab_css(body)), policy(scripts))


#: one export at a time through the kept exporter (the warm-up's included)
_EXPORTING = threading.Lock()


@cache
def _exporter() -> Any:
    """The report's nbconvert HTMLExporter (made once: building it and compiling its templates takes ~0.4 s)."""
    # nbconvert (with jinja2, pygments, bleach) is heavy: imported when a page is exported
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file="talentstats_report.html.j2",
                        extra_loaders=[jinja2.DictLoader({"talentstats_report.html.j2": _TEMPLATE})],
                        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                        exclude_anchor_links=True)


def warm_export() -> threading.Thread:
    """Import nbconvert, compile the page's templates and nbformat's validator in a daemon thread, while the
    first notebook runs in its kernel, so the first export does not start with them (~0.5 s)."""

    def run() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="talentstats-warm-") as tmp:
                cell = nbformat.v4.new_code_cell("")
                cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>warm</p>"})]
                notebook = Path(tmp) / "warm.ipynb"
                nbformat.write(nbformat.v4.new_notebook(cells=[cell]), str(notebook))
                export_html(notebook, "warm")
        except Exception:  # (only a warm-up: the real export reports its own errors)
            pass

    thread = threading.Thread(target=run, name="talentstats-warm-export", daemon=True)
    thread.start()
    return thread


_LAB_CSS = re.compile(r"<!--ts-lab-css-->(.*?)<!--/ts-lab-css-->", re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)


def _slim_lab_css(page: str) -> str:
    """The page with JupyterLab's stylesheets (marked by the template) as one ``<style>`` holding only the rules
    and custom properties the page can use (~14 kB instead of ~256 kB, see :mod:`talentstats.report.slim_css`)."""
    match = _LAB_CSS.search(page)
    if match is None:
        return page
    rest = page[:match.start()] + page[match.end():]
    css = prune_css("\n".join(_STYLE.findall(match.group(1))), page_classes(rest), context=rest)
    return page[:match.start()] + f"<style>{css}</style>" + page[match.end():]


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


_CSS_PLAIN = re.compile(r"[^A-Za-z0-9 _.,:;!?@#%*+=()/\u00a0-\U0010ffff-]")


def _css_string(text: str) -> str:
    """A CSS string literal (for @page margin boxes) that cannot end the string, the rule or the ``<style>``
    element: every ASCII character outside letters, digits and plain punctuation is a CSS escape (``<`` is
    ``\\3c ``); control characters and lone surrogates are left out."""
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cs"))
    return '"' + _CSS_PLAIN.sub(lambda m: "\\" + format(ord(m.group(0)), "x") + " ", text) + '"'


def print_css(paper: str, footer: str) -> str:
    """Page size and margins, the body at exactly the printable width, and a footer with page numbers.

    Args:
        paper: ``A4`` or ``Letter``.
        footer: text at the bottom left of every page.

    Returns:
        A ``<style>`` element.
    """
    size, width_mm = paper_size(paper)
    top, side = MARGIN_MM
    printable = width_mm - 2 * side
    return (f"<style>@page{{size:{size} portrait;margin:{top}mm {side}mm;"
            f"@bottom-left{{content:{_css_string(footer)};font:8.5px Helvetica,Arial,sans-serif;color:#5f6b7a}}"
            f"@bottom-right{{content:'Page ' counter(page) ' of ' counter(pages);"
            f"font:8.5px Helvetica,Arial,sans-serif;color:#5f6b7a}}}}"
            f"html,body.jp-Notebook{{width:{printable:.1f}mm!important;margin:0!important}}"
            f"body.jp-Notebook main{{max-width:none!important;margin:0!important;padding:0!important}}"
            f".jp-OutputArea-output:has(.plotly-graph-div){{zoom:{CHART_ZOOM}}}</style>")


def sandbox_flags() -> list[str]:
    """Chromium's sandbox switches: none (the sandbox on) unless this process runs as root.

    Chromium refuses to start as root with its sandbox (it cannot drop privileges it was not given), so only
    then is it started with ``--no-sandbox``; the page it prints is still held by the Content-Security-Policy
    (:mod:`talentstats.report.csp`) and nothing it could load is allowed.

    Returns:
        ``["--no-sandbox"]`` as root, else ``[]``.
    """
    return ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def check_timeout(timeout: float) -> float:
    """A PDF time limit, checked: seconds, more than 0.

    Raises:
        UsageError: not a positive number (naming the parameter ``pdf_timeout``).
    """
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < float("inf"):
        raise UsageError("give a number of seconds above 0", parameter="pdf_timeout", value=timeout)
    return float(timeout)


__all__ = ["FORMATS", "PAGE_CSS", "PAPER", "PDF_TIMEOUT", "check_timeout", "export_html", "find_chromium",
           "network_references", "paper_size", "parse_formats", "print_css", "sandbox_flags",
           "strip_network", "warm_export"]
