"""Report pages printed to PDF by one headless Chromium for a whole report run, driven by Playwright.

:class:`PdfPrinter` launches Chromium once (in the background, while the first notebook runs) and prints every
page in one browser context and one page (tab) of it, navigated to each report in turn: Chromium's renderer and
V8 stay warm, so a print after the first costs a third to a half less than one in a fresh context. Its guarantees:
the page keeps its Content-Security-Policy (a page without one gets :func:`~talentstats.report.csp.policy`, under
which no script runs), Chromium runs in its sandbox unless this process is root
(:func:`~talentstats.report.export.sandbox_flags`), the network is off, a page that does not finish printing
within ``pdf_timeout`` fails with one line naming it (and its browser, context and page are closed), the PDF is
written atomically, laid out by :func:`~talentstats.report.export.print_css`.

Warm-up: while the first notebook runs, :meth:`PdfPrinter.start` loads a page in that tab that runs the report's
plotly.js and draws a small chart of each trace type it bundles, under a policy allowing exactly those two scripts.
V8 keeps the code it compiled for a script and reuses it for the same text at the same URL, line and column, so
every page (warm-up and reports) is loaded from one file (per launch), its plotly.js moved to line
:data:`PLOTLY_LINE` by blank lines at the end of its ``<head>`` (not rendered): the first report finds plotly.js
compiled and its drawing code warm. A warm-up that fails is ignored (its tab replaced); a print waits for it
rather than racing it.

Nothing of one report reaches the next: each print loads a new document (its own policy, DOM and script realm);
after its PDF the page's storage and ``window.name`` are cleared and the tab is left on ``about:blank`` (while the
caller goes on: the next print waits for it, and a clean-up that failed costs the browser, not a print).

Playwright's own browser download is never used: the browser is :func:`~talentstats.report.export.find_chromium`.
Playwright runs in a thread of its own with its own event loop (the notebook kernel's client uses the main
thread's), so a launch proceeds while the caller does something else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from talentstats.atomic import atomic_write_bytes
from talentstats.report.csp import BUNDLE_TRACES, has_policy, page_plotly_js, policy, with_policy
from talentstats.report.execute import ReportError
from talentstats.report.export import (
    CHROMIUM_FLAGS,
    PDF_TIMEOUT,
    check_timeout,
    find_chromium,
    print_css,
    sandbox_flags,
)

#: the browser window the page is laid out in; the print CSS fixes the body width
VIEWPORT = {"width": 1200, "height": 1600}
#: seconds a stuck browser may take to close before the printer gives up on it
_CLOSE_LIMIT = 10.0
#: seconds the warm-up may take (it takes well under one); past it the tab is replaced and printing goes on
_WARM_LIMIT = 15.0
#: the (0-based) line every page's plotly.js starts on, where a report has fewer lines before it (see above)
PLOTLY_LINE = 20000
#: the warm-up: one small chart of each trace type of the bundle, with titles, text, error bars, fills, a colour
#: scale and dates, as the report's charts have
_WARM_JS = """(() => {
  const x = ['2026-11-02', '2026-11-09', '2026-11-16'];
  const charts = {
    bar: [{type: 'bar', x: [3, 2, 1], y: ['a', 'b', 'c'], text: ['3', '2', '1'], textposition: 'auto',
           orientation: 'h', cliponaxis: false}],
    scatter: [{type: 'scatter', x, y: [3, 4, 5], mode: 'lines+markers+text', text: ['3', '4', '5'],
               textposition: 'top center', error_y: {type: 'data', array: [1, 1, 1]}},
              {type: 'scatter', x, y: [1, 2, 1], mode: 'lines', fill: 'tozeroy', connectgaps: false}],
    heatmap: [{type: 'heatmap', z: [[1, 2], [3, 4]], x: ['a', 'b'], y: ['u', 'v'], texttemplate: '%{z}',
               colorscale: 'Blues', xgap: 1, ygap: 1}],
    funnel: [{type: 'funnel', x: [30, 20, 10], y: ['a', 'b', 'c'], textinfo: 'value+percent initial'}],
  };
  for (const [name, data] of Object.entries(charts)) {
    const div = document.body.appendChild(document.createElement('div'));
    Plotly.newPlot(div, data, {title: {text: 'warm-up ' + name}, width: 700, height: 280, showlegend: true,
      font: {family: "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"}, xaxis: {title: {text: 'x'}},
      yaxis: {title: {text: 'y'}}}, {displayModeBar: false, responsive: true});
  }
})()"""
#: resolves once the page is drawn: fonts loaded, every plotly chart drawn (when plotly.js runs at all: a page
#: whose scripts the policy blocks has nothing to wait for; a chart not drawn after 10 s is printed as it is),
#: then two animation frames
_DRAWN = """async () => {
  await document.fonts.ready;
  const drawn = () => !window.Plotly || [...document.querySelectorAll('.plotly-graph-div')]
    .every(d => d.querySelector('.main-svg'));
  const until = Date.now() + 10000;
  while (!drawn() && Date.now() < until) await new Promise(r => setTimeout(r, 20));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""
#: what a printed page could leave in its tab for the next one: its origin's storage and the window's name
_FORGET = """() => {
  try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}
  window.name = '';
}"""


def warm_page(plotly_js: str) -> str:
    """The warm-up page: ``plotly_js`` at line :data:`PLOTLY_LINE`, column 8, then :data:`_WARM_JS`, under a
    policy allowing exactly those two scripts (UTF-8 declared: the hashes are of the text as decoded)."""
    page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>warm-up</title></head><body>'
            + "\n" * PLOTLY_LINE + f"<script>{plotly_js}</script><script>{_WARM_JS}</script></body></html>")
    return with_policy(page, policy([plotly_js, _WARM_JS]))


def aligned(page: str, plotly_js: str) -> str:
    """``page`` with blank lines at the end of its ``<head>`` moving ``plotly_js`` (when the page embeds it on a
    line of its own, before line :data:`PLOTLY_LINE`) to that line; otherwise ``page`` as it is.

    Blank lines in the head are not rendered: the PDF is the same, only V8 finds the code it compiled before.
    """
    head = page.find("</head>")
    at = page.find(plotly_js, head) if head >= 0 and plotly_js else -1
    if at < 0 or page.rfind("\n", head, at) < 0:  # (not there, or on the head's last line: its column would move)
        return page
    line = page.count("\n", 0, at)
    return page[:head] + "\n" * (PLOTLY_LINE - line) + page[head:] if line <= PLOTLY_LINE else page


class _Session:
    """A launched browser with the one context and page (tab) every print uses, and the file pages load from
    (one per launch: a launch given up on never writes where the next one prints)."""

    __slots__ = ("browser", "context", "file", "page")

    def __init__(self, browser: Any, context: Any, page: Any, file: Path) -> None:
        self.browser, self.context, self.page, self.file = browser, context, page, file


class PdfPrinter:
    """One headless Chromium printing every PDF of a report run; a context manager that closes it.

    :meth:`start` launches the browser without waiting; :meth:`print` waits for it when needed (a printer that
    was never started starts at its first print). Prints run one at a time, in one tab, each page loaded from the
    same file of the printer's own temporary folder. After a print failed or overran its time limit the browser
    is closed and the next print launches a new one.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._launch: concurrent.futures.Future[_Session] | None = None
        self._playwright: Any = None
        self._folders: list[Path] = []
        self._lock = threading.Lock()
        self._job: concurrent.futures.Future[None] | None = None  # the last print, with its clean-up of the tab

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Launch Chromium in the background (returns at once) and run the warm-up in it (see the module's text).

        Raises:
            ReportError: no Chromium found.
        """
        self._begin(warm=True)

    def _begin(self, warm: bool) -> None:
        """Launch the browser in the background unless it is launched; ``warm``: then run the warm-up in it."""
        if self._launch is not None:
            return
        browser = find_chromium()
        self._folders.append(Path(tempfile.mkdtemp(prefix="talentstats-pdf-")))
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="talentstats-pdf", daemon=True)
            self._thread.start()
        self._launch = asyncio.run_coroutine_threadsafe(self._open(browser, self._folders[-1] / "print.html", warm),
                                                        self._loop)

    async def _open(self, executable: str, file: Path, warm: bool) -> _Session:
        """Launch the browser, open its one context and tab, and run the warm-up in it (from ``file``) when
        ``warm``."""
        from playwright.async_api import async_playwright  # (heavy; only when a PDF is asked for)

        if self._playwright is None:
            self._playwright = await async_playwright().start()
        sandbox = sandbox_flags()
        flags = [f for f in CHROMIUM_FLAGS if f != "--headless"] + sandbox
        writing = asyncio.ensure_future(asyncio.to_thread(_write_warm_page, file)) if warm else None
        try:
            browser = await self._playwright.chromium.launch(
                executable_path=executable, args=flags, headless=True, chromium_sandbox=not sandbox,
                handle_sigint=False, handle_sigterm=False, handle_sighup=False)
            try:
                session = await _tab(browser, file)
                if writing is not None:
                    try:
                        async with asyncio.timeout(_WARM_LIMIT):
                            await writing
                            await session.page.goto(file.as_uri(), wait_until="load", timeout=0)
                            await session.page.goto("about:blank", timeout=0)
                            file.unlink(missing_ok=True)
                    except Exception:  # the warm-up only saves time: a tab it left in any state is replaced
                        await asyncio.wait_for(session.context.close(), _CLOSE_LIMIT)
                        session = await _tab(browser, file)
                return session
            except BaseException:
                await asyncio.wait_for(browser.close(), _CLOSE_LIMIT)
                raise
        finally:
            if writing is not None:  # (its thread is done before a print writes the file)
                await asyncio.wait([writing])
                if not writing.cancelled():
                    writing.exception()

    def print(self, html_path: Path, pdf_path: Path, paper: str = "A4", footer: str = "",
              timeout: float = PDF_TIMEOUT) -> None:
        """Print an HTML file to PDF (charts drawn by the real plotly.js) in this printer's browser.

        Args:
            html_path: the page (see :func:`talentstats.report.export.export_html`).
            pdf_path: where the PDF is written (atomically).
            paper: ``A4`` or ``Letter``.
            footer: text at the bottom left of every page.
            timeout: seconds the print may take, waiting for the browser's launch included.

        Raises:
            UsageError: the print overran ``timeout`` (naming the parameter ``pdf_timeout``).
            ReportError: no Chromium, or it did not print.
        """
        from talentstats.errors import UsageError

        timeout = check_timeout(timeout)
        page = html_path.read_text(encoding="utf-8")
        if not has_policy(page):
            page = with_policy(page, policy())
        page = page.replace("</head>", print_css(paper, footer) + "</head>", 1)
        page = aligned(page, page_plotly_js(BUNDLE_TRACES))
        with self._lock:
            self._settle()
            self._begin(warm=False)  # (a print never waits for a warm-up of its own: only start() runs one)
            assert self._loop is not None
            printed: concurrent.futures.Future[bytes] = concurrent.futures.Future()
            job = self._job = asyncio.run_coroutine_threadsafe(self._print(page, timeout, printed), self._loop)
            try:
                pdf = printed.result(timeout + 2 * _CLOSE_LIMIT)  # (the job stops itself at timeout: a backstop)
            except (TimeoutError, concurrent.futures.TimeoutError):
                job.cancel()
                self._discard()
                raise UsageError(f"Chromium did not finish printing the PDF within {timeout:g} s (stopped)",
                                 parameter="pdf_timeout", value=timeout, hint="raise it for a very large report")
            except ReportError:
                self._discard()
                raise
            except Exception as err:  # a browser that would not start or crashed: one readable line
                self._discard()
                text = str(err).strip().splitlines()
                hint = ""
                if "sandbox" in str(err).lower():
                    hint = " (Chromium's sandbox needs unprivileged user namespaces on this machine)"
                raise ReportError(f"Chromium could not print the PDF: {text[0] if text else type(err).__name__}"
                                  f"{hint}")
        if not pdf:
            raise ReportError("Chromium could not print the PDF: no output")
        atomic_write_bytes(pdf_path, pdf)

    async def _print(self, page: str, timeout: float, printed: concurrent.futures.Future[bytes]) -> None:
        """Set ``printed`` to the PDF of ``page`` (HTML text), then clean the tab up; all within ``timeout``
        seconds (a TimeoutError past it, in ``printed`` when the PDF was not made yet).

        The page is written to the launch's file once the browser is ready (the warm-up has read it), loaded in
        the printer's tab and printed; then its storage and the window's name are cleared and the tab goes to
        ``about:blank`` (the report's document is gone before the next print) and the file is removed. A print
        that fails leaves the tab as it is: the caller closes the browser.
        """
        assert self._launch is not None
        try:
            async with asyncio.timeout(timeout):
                session = await asyncio.wrap_future(self._launch)
                tab = session.page
                session.file.write_text(page, encoding="utf-8")
                await tab.goto(session.file.as_uri(), wait_until="load", timeout=0)
                await tab.evaluate(_DRAWN)
                printed.set_result(await tab.pdf(prefer_css_page_size=True, print_background=False))
                await tab.evaluate(_FORGET)
                await tab.goto("about:blank", timeout=0)
                session.file.unlink(missing_ok=True)  # (no copy of a report, which may name people, is kept)
        except BaseException as err:
            if not printed.done():
                printed.set_exception(err if isinstance(err, Exception) else concurrent.futures.CancelledError())
            raise

    def _settle(self) -> None:
        """Wait for the last print's clean-up of the tab (done meanwhile, as a rule); one that failed or does not
        end within :data:`_CLOSE_LIMIT` costs the browser: this print launches a new one."""
        job, self._job = self._job, None
        if job is None:
            return
        try:
            job.result(_CLOSE_LIMIT)
        except Exception:
            job.cancel()
            self._discard()

    def _discard(self) -> None:
        """Close the browser (its context and page with it) after a failed print: the next print launches anew."""
        launch, self._launch = self._launch, None
        if launch is not None and self._loop is not None:
            closing = asyncio.run_coroutine_threadsafe(_close_browser(launch), self._loop)
            try:
                closing.result(2 * _CLOSE_LIMIT)
            except Exception:  # (stopping Playwright below ends its browser in any case)
                pass

    def close(self) -> None:
        """Close the browser and Playwright, stop the printer's thread, remove its folder; no Chromium is left."""
        self._discard()
        loop, self._loop = self._loop, None
        for folder in self._folders:  # (the browser is closed: nothing reads them any more)
            shutil.rmtree(folder, ignore_errors=True)
        self._folders = []
        if loop is None:
            return
        if self._playwright is not None:
            stopping = asyncio.run_coroutine_threadsafe(self._playwright.stop(), loop)
            try:
                stopping.result(2 * _CLOSE_LIMIT)
            except Exception:
                pass
            self._playwright = None
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(_CLOSE_LIMIT)
            self._thread = None
        if not loop.is_running():
            loop.close()


async def _tab(browser: Any, file: Path) -> _Session:
    """A new context (offline, no downloads) of ``browser`` with one page, loading pages from ``file``."""
    context = await browser.new_context(viewport=VIEWPORT, offline=True, accept_downloads=False)
    return _Session(browser, context, await context.new_page(), file)


def _write_warm_page(file: Path) -> None:
    """Write the warm-up page (in a worker thread: plotly is imported for its version)."""
    file.write_text(warm_page(page_plotly_js(BUNDLE_TRACES)), encoding="utf-8")


async def _close_browser(launch: concurrent.futures.Future[_Session]) -> None:
    """Close a launched (or launching) browser, within :data:`_CLOSE_LIMIT`."""
    try:
        session = await asyncio.wait_for(asyncio.wrap_future(launch), _CLOSE_LIMIT)
    except Exception:  # it never started: nothing to close
        return
    await asyncio.wait_for(session.browser.close(), _CLOSE_LIMIT)


__all__ = ["PLOTLY_LINE", "VIEWPORT", "PdfPrinter", "aligned", "warm_page"]
