"""axe-core for the accessibility tests: where its JS comes from, how it runs in a Playwright page, what it reports.

axe-core's ``axe.min.js`` is taken, offline, from (in this order):

1. the ``axe-playwright-python`` wheel (PyPI; 0.1.8 bundles axe-core 4.12.1), when it is installed;
2. ``$TALENTSTATS_AXE_CACHE/axe-core-<AXE_VERSION>/axe.min.js`` (default cache: ``~/.cache/talentstats/axe``),
   which ``python tests/axe_support.py`` fills from npm (``npm pack axe-core@<AXE_VERSION>``, pinned).

:func:`axe_source` returns ``None`` (the tests then skip, saying why) when neither is there. The report pages allow
scripts only by hash (Content-Security-Policy): the browser context is made with ``bypass_csp=True`` and axe is added
with ``add_init_script``, so it is in every page and frame before the page's own scripts run.

Also here: starting ``talentstats dashboard`` (Voilà) for a test, and printing the violations axe finds.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

#: the axe-core release fetched from npm when the wheel is absent (the one axe-playwright-python 0.1.8 bundles)
AXE_VERSION = "4.12.1"
#: the impacts that fail a test (axe's others are "moderate" and "minor")
FAILING_IMPACTS = ("serious", "critical")
#: axe's rule tags checked: WCAG 2.0/2.1/2.2 A and AA, and axe's best practices
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
ROOT = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    """The folder that keeps axe-core fetched from npm: ``$TALENTSTATS_AXE_CACHE`` or ``~/.cache/talentstats/axe``."""
    return Path(os.environ.get("TALENTSTATS_AXE_CACHE") or Path.home() / ".cache" / "talentstats" / "axe")


def cached_axe() -> Path:
    """Where the npm copy of axe-core :data:`AXE_VERSION` is kept."""
    return cache_dir() / f"axe-core-{AXE_VERSION}" / "axe.min.js"


def wheel_axe() -> Path | None:
    """``axe.min.js`` inside the installed ``axe-playwright-python`` package, if it is installed."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"
    return path if path.is_file() else None


def axe_source() -> tuple[str, str] | None:
    """(axe-core's JS, where it came from), from the wheel or the npm cache; ``None`` if neither has it."""
    for path in (wheel_axe(), cached_axe()):
        if path is not None and path.is_file():
            return path.read_text(encoding="utf-8"), str(path)
    return None


def fetch_with_npm() -> Path:
    """``npm pack axe-core@AXE_VERSION`` into a temporary folder, its ``axe.min.js`` kept in :func:`cached_axe`."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    target = cached_axe()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
                       check=True, capture_output=True, text=True, timeout=300)
        (tarball,) = Path(tmp).glob("axe-core-*.tgz")
        with tarfile.open(tarball) as tar:
            member = tar.extractfile("package/axe.min.js")
            if member is None:
                raise RuntimeError(f"{tarball.name} has no package/axe.min.js")
            data = member.read()
    if f"axe v{AXE_VERSION}".encode() not in data[:200]:
        raise RuntimeError(f"the axe.min.js npm gave is not axe-core {AXE_VERSION}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def run_axe(page: Any) -> dict[str, Any]:
    """axe's results for ``page`` (axe must have been added to its context): violations only, WCAG A/AA rules
    and best practices."""
    page.wait_for_function("() => typeof window.axe !== 'undefined'", timeout=10_000)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => window.axe.run(document, options)", options)


def failing(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The violations whose impact is serious or critical."""
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]], snippet: int = 160) -> str:
    """Each violation: rule id, impact, help and, for each node, its target selectors and a short HTML snippet."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            html = " ".join(node.get("html", "").split())
            html = html if len(html) <= snippet else html[: snippet - 1] + "…"
            lines.append(f"    {node['target']}  {html}")
            summary = " ".join(node.get("failureSummary", "").split())
            if summary:
                lines.append(f"        {summary[:300]}")
    return "\n".join(lines)


if __name__ == "__main__":
    # python tests/axe_support.py: fetch axe-core from npm into the cache (CI or a developer without the wheel)
    found = axe_source()
    if found is not None:
        print(f"axe-core is already available: {found[1]}")
    else:
        print(f"axe-core {AXE_VERSION} fetched from npm: {fetch_with_npm()}")
