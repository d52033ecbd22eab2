"""Report pages printed to PDF by one headless Chromium for a whole report run, driven by Playwright.

:class:`PdfPrinter` launches Chromium once (in the background, while the first notebook runs) and prints every
page in one browser context and one page (tab) of it, navigated to each report in turn: Chromium's renderer and
V8 stay warm, so a print after the first costs about a third less than one in a fresh context. Its guarantees:
the page keeps its Content-Security-Policy (a page without one gets :func:`~talentstats.report.csp.policy`, under
which no script runs), Chromium runs in its sandbox unless this process is root
(:func:`~talentstats.report.export.sandbox_flags`), the network is off, a page that does not finish printing
within ``pdf_timeout`` fails with one line naming it (and its browser, context and page are closed), the PDF is
written atomically, laid out by :func:`~talentstats.report.export.print_css`.

Nothing of one report reaches the next: each print loads a new document (its own policy, DOM and script realm);
after its PDF the page's storage and ``window.name`` are cleared and the tab is left on ``about:blank``.

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
from talentstats.report.csp import has_policy, policy, with_policy
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


class _Session:
    """A launched browser with the one context and page (tab) that every print of the printer uses."""

    __slots__ = ("browser", "context", "page")

    def __init__(self, browser: Any, context: Any, page: Any) -> None:
        self.browser, self.context, self.page = browser, context, page


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
        self._folder: Path | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def _file(self) -> Path:
        """The file every page is printed from (one URL for all: see :meth:`print`)."""
        assert self._folder is not None
        return self._folder / "print.html"

    def start(self) -> None:
        """Launch Chromium in the background (returns at once).

        Raises:
            ReportError: no Chromium found.
        """
        if self._launch is not None:
            return
        browser = find_chromium()
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="talentstats-pdf-"))
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="talentstats-pdf", daemon=True)
            self._thread.start()
        self._launch = asyncio.run_coroutine_threadsafe(self._open(browser), self._loop)

    async def _open(self, executable: str) -> _Session:
        """Launch the browser and open its one context and page."""
        from playwright.async_api import async_playwright  # (heavy; only when a PDF is asked for)

        if self._playwright is None:
            self._playwright = await async_playwright().start()
        sandbox = sandbox_flags()
        flags = [f for f in CHROMIUM_FLAGS if f != "--headless"] + sandbox
        browser = await self._playwright.chromium.launch(executable_path=executable, args=flags, headless=True,
                                                         chromium_sandbox=not sandbox, handle_sigint=False,
                                                         handle_sigterm=False, handle_sighup=False)
        try:
            context = await browser.new_context(viewport=VIEWPORT, offline=True, accept_downloads=False)
            return _Session(browser, context, await context.new_page())
        except BaseException:
            await asyncio.wait_for(browser.close(), _CLOSE_LIMIT)
            raise

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
        with self._lock:
            self.start()
            assert self._loop is not None
            job = asyncio.run_coroutine_threadsafe(self._print(page, timeout), self._loop)
            try:
                pdf = job.result(timeout + 2 * _CLOSE_LIMIT)  # (the job stops itself at timeout; this is a backstop)
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

    async def _print(self, page: str, timeout: float) -> bytes:
        """The PDF of ``page`` (HTML text), within ``timeout`` seconds (a TimeoutError past it).

        The page is written to the printer's one file once the browser is ready (a launch never reads it after),
        loaded in the printer's tab, printed, then its storage and the window's name are cleared and the tab goes
        to ``about:blank`` (the report's document is gone before the next print). A print that fails leaves the
        tab as it is: the caller closes the browser.
        """
        assert self._launch is not None
        async with asyncio.timeout(timeout):
            tab = (await asyncio.wrap_future(self._launch)).page
            self._file.write_text(page, encoding="utf-8")
            await tab.goto(self._file.as_uri(), wait_until="load", timeout=0)
            await tab.evaluate(_DRAWN)
            pdf = await tab.pdf(prefer_css_page_size=True, print_background=False)
            await tab.evaluate(_FORGET)
            await tab.goto("about:blank", timeout=0)
            return pdf

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
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)  # (the browser is closed: nothing reads it any more)
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


async def _close_browser(launch: concurrent.futures.Future[_Session]) -> None:
    """Close a launched (or launching) browser, within :data:`_CLOSE_LIMIT`."""
    try:
        session = await asyncio.wait_for(asyncio.wrap_future(launch), _CLOSE_LIMIT)
    except Exception:  # it never started: nothing to close
        return
    await asyncio.wait_for(session.browser.close(), _CLOSE_LIMIT)


__all__ = ["VIEWPORT", "PdfPrinter"]
