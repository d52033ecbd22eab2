"""The report page's Content-Security-Policy: only the report's own scripts run, nothing is loaded from anywhere.

The exported page carries plotly's scripts and nothing else: plotly.js itself (embedded once by plotly's
``notebook`` renderer) and one script per chart (the figure as JSON, escaped by plotly for a script element).
Every value from an export is escaped for where it lands; this policy is the second line: should a value ever
reach the page as markup, its scripts, inline event handlers (``onerror=``), ``javascript:`` URLs, frames and
network loads are refused by the browser, in the HTML file and in the Chromium that prints the PDF.

Scripts are allowed by their SHA-256 hash, computed from the notebook outputs plotly produced
(:func:`trusted_scripts`), never from whatever scripts the finished page happens to contain.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

#: the MIME type of a plotly figure output (the report's charts carry their HTML next to it)
PLOTLY_MIME = "application/vnd.plotly.v1+json"
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
#: the configuration plotly's ``notebook`` renderer writes before plotly.js (statements as plotly writes them)
_PLOTLY_CONFIG = re.compile(
    r"\s*(?:window\.PlotlyConfig = \{MathJaxConfig: 'local'\};)?\s*"
    r"(?:if \(window\.MathJax && window\.MathJax\.Hub && window\.MathJax\.Hub\.Config\) "
    r"\{window\.MathJax\.Hub\.Config\(\{SVG: \{font: \"STIX-Web\"\}\}\);\})?\s*")
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


def trusted_scripts(output: Mapping[str, Any]) -> list[str]:
    """The scripts of a notebook output that the report itself wrote (plotly's), to be allowed by hash.

    A chart output (it carries :data:`PLOTLY_MIME`) has plotly's HTML, the figure's data JSON-escaped inside
    its script. Any other HTML output may hold only plotly.js (the installed library, byte for byte) and
    plotly's configuration statements; other scripts there are not the report's and stay blocked.

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
    return [b for b in bodies if b == _plotly_js() or _PLOTLY_CONFIG.fullmatch(b)]


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


__all__ = ["PLOTLY_MIME", "has_policy", "policy", "script_bodies", "script_hash", "trusted_scripts", "with_policy"]
