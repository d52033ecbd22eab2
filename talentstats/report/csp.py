"""The report page's Content-Security-Policy: only the report's own scripts run, nothing is loaded from anywhere.

The exported page carries plotly's scripts and nothing else: plotly.js itself (embedded once by plotly's
``notebook`` renderer) and one script per chart (the figure as JSON, escaped by plotly for a script element).
Every value from an export is escaped for where it lands; this policy is the second line: should a value ever
reach the page as markup, its scripts, inline event handlers (``onerror=``), ``javascript:`` URLs, frames and
network loads are refused by the browser, in the HTML file and in the Chromium that prints the PDF.

Scripts are allowed by their SHA-256 hash, computed from the notebook outputs plotly produced
(:func:`trusted_scripts`), never from whatever scripts the finished page happens to contain.

The page's plotly.js is, when it can be, a bundle of only the trace types the report draws (vendored in
``assets/``, built by ``tools/plotly_bundle/build.sh``; ~1.2 MB instead of 4.8 MB): :func:`embed_plotly_js` puts
it in the outputs in place of the full library before the hashes are computed, so the policy allows exactly the
plotly.js the page carries.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Mapping, MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

#: the MIME type of a plotly figure output (the report's charts carry their HTML next to it)
PLOTLY_MIME = "application/vnd.plotly.v1+json"
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
#: the configuration plotly's ``notebook`` renderer writes before plotly.js (statements as plotly writes them)
_PLOTLY_CONFIG = re.compile(
    r"\s*(?:window\.PlotlyConfig = \{MathJaxConfig: 'local'\};)?\s*"
    r"(?:if \(window\.MathJax && window\.MathJax\.Hub && window\.MathJax\.Hub\.Config\) "
    r"\{window\.MathJax\.Hub\.Config\(\{SVG: \{font: \"STIX-Web\"\}\}\);\})?\s*")
#: the vendored plotly.js bundle: its plotly.js version and the trace types it can draw (scatter is in the core)
BUNDLE_VERSION = "4.1.1"
BUNDLE_TRACES = frozenset({"scatter", "bar", "heatmap", "funnel"})
BUNDLE_PATH = Path(__file__).with_name("assets") / f"plotly-report-{BUNDLE_VERSION}.min.js"
_META = re.compile(r"<meta\s+http-equiv=[\"']?content-security-policy", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def script_bodies(page: str) -> list[str]:
    """The text of every ``<script>`` element in an HTML fragment, in order.

    Args:
        page: HTML text.

    Returns:
        Each script's content, exactly as written (what the browser hashes).
    """
    return _SCRIPT.findall(page)


def script_hash(body: str) -> str:
    """A CSP source expression allowing one inline script: ``'sha256-…'``.

    Args:
        body: the script's text.

    Returns:
        The quoted hash source.
    """
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs  # (plotly only when a page is exported)

    return get_plotlyjs()


@cache
def _bundle_js() -> str | None:
    try:
        return BUNDLE_PATH.read_text(encoding="utf-8")
    except OSError:  # (a package installed without its assets: the full plotly.js still works)
        return None


def installed_plotlyjs_version() -> str:
    """The version of the plotly.js the installed plotly (python) embeds, e.g. ``"4.1.1"``."""
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def chart_traces(outputs: Iterable[Mapping[str, Any]]) -> set[str]:
    """The trace types (``"bar"``, ``"heatmap"`` ...) of the plotly figures among notebook outputs."""
    figures = [(o.get("data") or {}).get(PLOTLY_MIME) or {} for o in outputs]
    return {trace.get("type", "scatter") for fig in figures for trace in fig.get("data") or []}


def page_plotly_js(traces: Iterable[str]) -> str:
    """The plotly.js a page with charts of these trace types embeds.

    The vendored bundle when it is built from the installed plotly's plotly.js version and draws every one of
    ``traces``; otherwise the installed full plotly.js (correct, only larger).

    Args:
        traces: the trace types the page's charts use (see :func:`chart_traces`).

    Returns:
        The script text.
    """
    bundle = _bundle_js()
    if bundle is not None and installed_plotlyjs_version() == BUNDLE_VERSION and set(traces) <= BUNDLE_TRACES:
        return bundle
    return _plotly_js()


def embed_plotly_js(outputs: Iterable[MutableMapping[str, Any]]) -> str:
    """Put :func:`page_plotly_js` wherever plotly's renderer embedded another plotly.js (the full library, or
    the vendored bundle where a chart needs a trace type outside it).

    Args:
        outputs: the outputs of an executed notebook (changed in place).

    Returns:
        The plotly.js the outputs now carry.
    """
    outputs = list(outputs)
    chosen = page_plotly_js(chart_traces(outputs))
    bundle = _bundle_js()
    for output in outputs:
        data = output.get("data") or {}
        page = data.get("text/html")
        if not page:
            continue
        page = "".join(page) if isinstance(page, list) else str(page)
        if chosen in page or "plotly.js v" not in page:  # (the full library is read only when it may be there)
            continue
        for other in (bundle, _plotly_js()):
            if other and other != chosen and other in page:
                data["text/html"] = page.replace(other, chosen)
                break
    return chosen


def trusted_scripts(output: Mapping[str, Any]) -> list[str]:
    """The scripts of a notebook output that the report itself wrote (plotly's), to be allowed by hash.

    A chart output (it carries :data:`PLOTLY_MIME`) has plotly's HTML, the figure's data JSON-escaped inside
    its script. Any other HTML output may hold only plotly.js (the installed library or the vendored bundle,
    byte for byte) and plotly's configuration statements; other scripts there are not the report's and stay
    blocked.

    Args:
        output: one output of an executed notebook cell.

    Returns:
        The script texts to allow (possibly none).
    """
    data = output.get("data") or {}
    page = data.get("text/html")
    if not page:
        return []
    page = "".join(page) if isinstance(page, list) else str(page)
    bodies = [b for b in script_bodies(page) if b.strip()]
    if PLOTLY_MIME in data:
        return bodies
    return [b for b in bodies if b in (_plotly_js(), _bundle_js()) or _PLOTLY_CONFIG.fullmatch(b)]


def policy(scripts: Iterable[str] = ()) -> str:
    """The page's policy: these inline scripts (by hash), inline styles, data: images and fonts, nothing else.

    Args:
        scripts: the texts of the scripts allowed to run (none: no script runs at all).

    Returns:
        The policy text (for a ``<meta http-equiv>`` element).
    """
    hashes = sorted({script_hash(s) for s in scripts}) or ["'none'"]
    return ("default-src 'none'; script-src " + " ".join(hashes) + "; style-src 'unsafe-inline'; "
            "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'; object-src 'none'")


def has_policy(page: str) -> bool:
    """True when ``page`` carries a Content-Security-Policy ``<meta>`` element."""
    return _META.search(page) is not None


def with_policy(page: str, text: str) -> str:
    """``page`` with a ``<meta http-equiv="Content-Security-Policy">`` first in its head (before any script).

    Args:
        page: a whole HTML document.
        text: the policy (see :func:`policy`).

    Returns:
        The page with the element; a page without a ``<head>`` gets one in front.
    """
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(text, quote=True)}">'
    match = _HEAD.search(page)
    if match is None:
        return f"<head>{meta}</head>{page}"
    return page[:match.end()] + meta + page[match.end():]


__all__ = ["BUNDLE_PATH", "BUNDLE_TRACES", "BUNDLE_VERSION", "PLOTLY_MIME", "chart_traces", "embed_plotly_js",
           "has_policy", "installed_plotlyjs_version", "page_plotly_js", "policy", "script_bodies", "script_hash",
           "trusted_scripts", "with_policy"]
