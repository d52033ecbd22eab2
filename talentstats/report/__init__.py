"""Weekly reports: the packaged notebook executed with papermill, exported to HTML / PDF / ipynb, and an index.

:func:`render_reports` is the one call a surface makes: it loads the exports once, writes the canonical table
to a snapshot (:mod:`talentstats.report.handoff`), and renders each period in turn in ONE notebook kernel
(:mod:`~talentstats.report.execute`; started while the exports load, it reads the snapshot once), exporting
the HTML (:mod:`~talentstats.report.export`) and printing every PDF in ONE Chromium (:mod:`~talentstats.report.pdf`),
then the index (:mod:`~talentstats.report.index`). A period's files are exported, printed and moved into place by
one worker thread while the next period's notebook runs (:mod:`~talentstats.report.inturn`), in period order.

Writes are atomic: every file of a period (its report files, summary and the new index) is staged complete in a
temporary folder inside ``out``, then renamed into place, so an interrupted run, a full disk or a failed render
leaves the previous report and the index intact. Nothing is written outside ``out`` (a period folder that is a
link is refused, see :mod:`~talentstats.report.outdir`), and a write failure is one line naming ``out``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talentstats.atomic import atomic_write_bytes, install_file
from talentstats.errors import UsageError
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.report.execute import (
    NOTEBOOK_NAME,
    ReportError,
    ReportKernel,
    execute_notebook,
    failure_message,
    packaged_notebook,
    store_outputs,
    warm_papermill,
)
from talentstats.report.export import (
    FORMATS,
    PDF_TIMEOUT,
    check_timeout,
    export_html,
    paper_size,
    parse_formats,
    warm_export,
)
from talentstats.report.handoff import HEADLINE_MIME, SNAPSHOT_NAME, read_headline, read_snapshot, write_snapshot
from talentstats.report.index import SUMMARY_NAME, index_page, period_label, write_index
from talentstats.report.inturn import render_in_turn
from talentstats.report.needed import needed_rows
from talentstats.report.outdir import check_out, make_out, period_folder, writing
from talentstats.report.pdf import PdfPrinter
from talentstats.stats.metrics import newest_date
from talentstats.stats.periods import check_range, parse_date, resolve_week, zone

DEFAULT_TITLE = "Weekly campaign report"
#: temporary folders of a run (the snapshot, each period's staged files) are named .render-*
_TEMP_PREFIX = ".render-"


@dataclass
class Rendered:
    """The files written for one period and its headline numbers.

    Attributes:
        folder: the period's folder (``OUT/2026-W47``).
        files: format -> file written.
        headline: the numbers the notebook recorded (see ``WeeklyReport.headline``).
        seconds: how long the period took to render.
    """

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def render_reports(paths: str | Path | Sequence[str | Path], out: str | Path, *, options: LoadOptions | None = None,
                   week: str | None = "last", weeks: int = 1, start: str | dt.date | None = None,
                   end: str | dt.date | None = None, tz: str = "UTC", campaigns: Sequence[str] = (),
                   title: str = DEFAULT_TITLE, formats: str | Sequence[str] = ("html", "pdf"), paper: str = "A4",
                   include_pii: bool = False, on_week: Callable[[Rendered], object] | None = None,
                   pdf_timeout: float = PDF_TIMEOUT, allow_empty: bool = False,
                   on_step: Callable[[str], object] | None = None,
                   kernel: ReportKernel | None = None) -> list[Rendered]:
    """Load the exports once and render the report of each period into ``out/<period>/``; update the index.

    Every argument is checked before anything is read. The exports are then loaded once (while one notebook
    kernel starts), the canonical table is written to a temporary snapshot under ``out`` (prospect names and
    emails only with ``include_pii``), and each period's notebook runs in that kernel, which reads the snapshot
    once; every PDF is printed by one Chromium.

    Args:
        paths: export files or folders, or dataset folders (see :func:`talentstats.load.loader.load`).
        out: the reports folder (created when missing).
        options: how to read the exports.
        week: the (last) week to render: ``YYYY-Www``, ``last`` (the last complete week before today in ``tz``)
            or ``latest`` (the newest complete week in the data). None means ``last``.
        weeks: how many weeks to render, ending with ``week`` (a backfill), oldest first.
        start: with ``end``, one explicit period instead of weeks (dates or ``YYYY-MM-DD``).
        end: the period's last day (inclusive).
        tz: the report time zone: reach outs belong to the day of their creation there.
        campaigns: only these campaigns (all when empty).
        title: the report title.
        formats: any of ``html``, ``pdf``, ``ipynb``.
        paper: PDF paper, ``A4`` or ``Letter``.
        include_pii: show prospect names and emails in the Interested list.
        on_week: called with each period's :class:`Rendered` as soon as it is done (progress).
        pdf_timeout: seconds Chromium may take to print one PDF.
        allow_empty: render a period without any reach out too (by default that is refused: a report of zeros,
            e.g. from an export that stopped updating, must not go out silently).
        on_step: called with the name of each step as it begins (progress): loading, the kernel's start, and
            ``<period>: notebook`` / ``HTML`` / ``PDF``.
        kernel: the notebook kernel, already started by the caller (the ``report`` command starts it before it
            imports this package, see :mod:`talentstats.reportkernel`); None: one of its own. Shut down at the
            end either way.

    Returns:
        One :class:`Rendered` per period, oldest first.

    Raises:
        UsageError: a bad argument, naming its parameter (``formats``, ``paper``, ``weeks``, ``tz``, ``week``,
            ``start``, ``end``, ``pdf_timeout``); ``out`` a file, not writable, full, or a period folder in it
            that leads outside it (``out``); a PDF that overran ``pdf_timeout``.
        InputError: an export that cannot be read (see :func:`talentstats.load.loader.load`).
        ReportError: a period could not be rendered (its previous report and the index are left as they were;
            the failed notebook is kept in its folder).
    """
    formats = parse_formats(formats)
    paper_size(paper)
    check_timeout(pdf_timeout)
    zone(tz, parameter="tz")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise UsageError("must be a whole number of at least 1", parameter="weeks", value=weeks)
    explicit = None
    if start is not None or end is not None:
        if start is None or end is None:
            raise UsageError("give both start and end")
        explicit = (parse_date(start, "start"), parse_date(end, "end"))
        check_range(*explicit)
    week = "last" if week is None else str(week)
    if explicit is None and week.strip().lower() != "latest":
        resolve_week(week, None, tz)  # a malformed week fails before the load ("latest" needs the data)
    out = check_out(out)
    options = options or LoadOptions()
    step = on_step or _no_step
    done: list[Rendered] = []
    with kernel or ReportKernel(cwd=Path.cwd()) as kernel, PdfPrinter() as printer:
        kernel.start()  # (it imports the notebook's modules while this process loads the exports)
        warm_papermill()
        step("Loading the exports")
        # (names unread unless shown; few-valued text as categoricals: the snapshot carries them so, and the kernel
        # reads them so)
        loaded = load(paths, options.but(categories=True, pii=options.pii and include_pii))
        if explicit is not None:
            periods = [explicit]
        else:
            first, _ = resolve_week(week, newest_date(loaded.table, tz), tz)
            mondays = [first - dt.timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
            periods = [(monday, monday + dt.timedelta(days=6)) for monday in mondays]
        if not allow_empty:
            refuse_empty(loaded.table, periods, tz, campaigns)
        make_out(out)
        remove_stale_renders(out)
        with writing(out), tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX, dir=out) as tmp:
            snapshot = write_snapshot(loaded, Path(tmp) / SNAPSHOT_NAME, pii=include_pii,
                                      rows=needed_rows(loaded, periods, tz, campaigns))
            del loaded  # the kernel reads the snapshot: free the table while it runs
            if "pdf" in formats:
                printer.start()  # (Chromium launches while the first notebook runs)
            if "html" in formats or "pdf" in formats:
                warm_export()  # (in a thread, while the kernel starts and the first notebook runs)
            step("Starting the notebook kernel")
            kernel.ready()
            run = _Run(snapshot=Path(snapshot), out=out, options=options, tz=tz, campaigns=campaigns, title=title,
                       formats=formats, paper=paper, include_pii=include_pii, pdf_timeout=pdf_timeout,
                       kernel=kernel, printer=printer, step=step)
            for rendered in render_in_turn(run, periods, _TEMP_PREFIX, after_notebooks=kernel.close):
                done.append(rendered)
                if on_week is not None:
                    on_week(rendered)
    return done


def _no_step(_text: str) -> None:
    """The progress callback of a run without one."""


def refuse_empty(table: Any, periods: Sequence[tuple[dt.date, dt.date]], tz: str, campaigns: Sequence[str]) -> None:
    """A UsageError (one line) when a period has no reach out (of ``campaigns``): a report of zeros is refused
    rather than published, and the line says where the data ends (an export that stopped updating)."""
    from talentstats.stats.periods import range_instants

    created = table["created_at"]
    if campaigns:
        created = created[table["campaign"].astype(str).isin(list(campaigns))]
    for start, end in periods:  # (a few periods; each a vectorised count)
        lo, hi = range_instants(start, end, tz)
        if not ((created >= lo) & (created < hi)).any():
            newest = newest_date(table, tz)
            ends = f"the data ends on {newest.isoformat()}" if newest is not None else "the data has no reach outs"
            which = f" of campaign(s) {', '.join(campaigns)}" if campaigns else ""
            raise UsageError(f"{period_label(start, end)} has no reach outs{which} ({ends}); nothing to report — "
                             "--allow-empty renders it anyway")


def render_period(snapshot: str | Path, out: str | Path, start: dt.date, end: dt.date, *,
                  options: LoadOptions | None = None, tz: str = "UTC", campaigns: Sequence[str] = (),
                  title: str = DEFAULT_TITLE, formats: str | Sequence[str] = ("html", "pdf"), paper: str = "A4",
                  include_pii: bool = False, pdf_timeout: float = PDF_TIMEOUT, kernel: ReportKernel | None = None,
                  printer: PdfPrinter | None = None, on_step: Callable[[str], object] | None = None) -> Rendered:
    """Render the report of [start, end] from a snapshot into ``out/<period>/`` and update ``out/index.html``.

    Files appear only when complete: all of them (report files, summary, index) are staged in a temporary folder
    inside ``out`` first, then renamed into place. When the notebook fails, the executed notebook is kept as
    ``weekly_report.failed.ipynb`` (with the kernel's log) and nothing else changes.

    Args:
        snapshot: the data, as written by :func:`~talentstats.report.handoff.write_snapshot`.
        out: the reports folder.
        start: the period's first day.
        end: the period's last day (inclusive).
        options: the options the snapshot was loaded with (recorded in the executed notebook).
        tz: the report time zone (checked by the notebook).
        campaigns: only these campaigns (all when empty).
        title: the report title.
        formats: any of ``html``, ``pdf``, ``ipynb``.
        paper: PDF paper, ``A4`` or ``Letter``.
        include_pii: show prospect names and emails in the Interested list.
        pdf_timeout: seconds Chromium may take to print the PDF.
        kernel: the notebook kernel to run in (None: one of its own, shut down afterwards).
        printer: the Chromium to print the PDF with (None: one of its own, closed afterwards).
        on_step: called with ``<period>: notebook`` / ``HTML`` / ``PDF`` as each step begins.

    Returns:
        The files written and the headline numbers.

    Raises:
        UsageError: an unknown format or paper; ``out`` cannot be written, or the period's folder in it is a
            link (naming ``out``); the PDF overran ``pdf_timeout``.
        ReportError: the notebook failed (naming the cell and the error) or the PDF could not be printed.
    """
    t0 = time.perf_counter()
    formats = parse_formats(formats)
    paper_size(paper)
    check_timeout(pdf_timeout)
    out = check_out(out)
    make_out(out)
    label = period_label(start, end)
    folder = period_folder(out, label)
    with writing(out):
        result = _render(Path(snapshot), out, folder, label, start, end, options=options, tz=tz,
                         campaigns=campaigns, title=title, formats=formats, paper=paper, include_pii=include_pii,
                         pdf_timeout=pdf_timeout, kernel=kernel, printer=printer, step=on_step or _no_step)
    result.seconds = time.perf_counter() - t0
    return result


def _render(snapshot: Path, out: Path, folder: Path, label: str, start: dt.date, end: dt.date, *,
            options: LoadOptions | None, tz: str, campaigns: Sequence[str], title: str, formats: Sequence[str],
            paper: str, include_pii: bool, pdf_timeout: float, kernel: ReportKernel | None,
            printer: PdfPrinter | None, step: Callable[[str], object]) -> Rendered:
    """:func:`render_period` once its arguments are checked (write failures are the caller's to word)."""
    run = _Run(snapshot=snapshot, out=out, options=options, tz=tz, campaigns=campaigns, title=title,
               formats=formats, paper=paper, include_pii=include_pii, pdf_timeout=pdf_timeout, kernel=kernel,
               printer=printer, step=step)
    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX, dir=out) as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        try:
            run.notebook(executed, label, start, end)
        except ReportError as err:
            raise run.kept(err, executed, folder)
        return run.install(executed, label, folder)


@dataclass
class _Run:
    """What every period of a run shares, and the two halves of rendering one period: its notebook (in the
    kernel), then its files (HTML, PDF, summary, index) staged beside the executed notebook and moved into place."""

    snapshot: Path
    out: Path
    options: LoadOptions | None
    tz: str
    campaigns: Sequence[str]
    title: str
    formats: Sequence[str]
    paper: str
    include_pii: bool
    pdf_timeout: float
    kernel: ReportKernel | None
    printer: PdfPrinter | None
    step: Callable[[str], object]

    def notebook(self, executed: Path, label: str, start: dt.date, end: dt.date) -> None:
        """Execute the period's notebook into ``executed`` (a ReportError when it fails)."""
        params = {"snapshot": str(Path(self.snapshot).resolve()),
                  "options": (self.options or LoadOptions()).to_parameters(), "week": None,
                  "start": start.isoformat(), "end": end.isoformat(), "tz": self.tz,
                  "campaigns": [str(c) for c in self.campaigns], "title": self.title,
                  "include_pii": bool(self.include_pii)}
        self.step(f"{label}: notebook")
        execute_notebook(params, executed, kernel=self.kernel)

    def kept(self, err: ReportError, executed: Path, folder: Path) -> ReportError:
        """The error of a failed notebook, which is kept (with the kernel's log) in the period's folder."""
        kept = folder / "weekly_report.failed.ipynb"
        if not executed.exists():
            return err
        atomic_write_bytes(kept, executed.read_bytes())
        log = executed.with_suffix(".log")
        if log.exists():
            atomic_write_bytes(kept.with_suffix(".log"), log.read_bytes())
        return ReportError(f"{err} (executed notebook kept at {kept})")

    def install(self, executed: Path, label: str, folder: Path) -> Rendered:
        """Export, print and stage the period's files beside ``executed``, then move them into place."""
        tmp = executed.parent
        result = Rendered(folder, headline=read_headline(executed))
        staged = _export(executed, tmp, self.formats, f"{self.title} — {label}", self.paper,
                         f"{self.title} · {label}", self.pdf_timeout, self.printer,
                         lambda what: self.step(f"{label}: {what}"))
        summary = {**result.headline, "title": self.title, "label": label, "campaigns": list(self.campaigns),
                   "files": sorted(f"weekly_report.{k}" for k in staged)}
        (tmp / SUMMARY_NAME).write_text(json.dumps(summary, indent=2), encoding="utf-8")
        (tmp / "index.html").write_text(index_page(self.out, (label, summary)), encoding="utf-8")
        # everything is staged (a full disk has failed by now): rename into place, the summary and index last
        folder = period_folder(self.out, label)  # (again: nothing is written through a link made meanwhile)
        for kind in ("ipynb", "pdf", "html"):
            if kind in staged:
                target = folder / f"weekly_report.{kind}"
                install_file(staged[kind], target)
                result.files[kind] = target
        for kind in FORMATS:  # a format not asked for this time must not linger from an earlier run
            if kind not in staged:
                (folder / f"weekly_report.{kind}").unlink(missing_ok=True)
        install_file(tmp / SUMMARY_NAME, folder / SUMMARY_NAME)
        for stale in ("weekly_report.failed.ipynb", "weekly_report.failed.log"):
            (folder / stale).unlink(missing_ok=True)
        install_file(tmp / "index.html", self.out / "index.html")
        return result


def _export(executed: Path, tmp: Path, formats: Sequence[str], page_title: str, paper: str, footer: str,
            pdf_timeout: float, printer: PdfPrinter | None, step: Callable[[str], object]) -> dict[str, Path]:
    """The files of the formats asked for, staged in ``tmp``: format -> file."""
    staged: dict[str, Path] = {}
    if "html" in formats or "pdf" in formats:
        step("HTML")
        page = tmp / "weekly_report.html"
        page.write_text(export_html(executed, page_title), encoding="utf-8")
        if "html" in formats:
            staged["html"] = page
        if "pdf" in formats:
            step("PDF")
            staged["pdf"] = tmp / "weekly_report.pdf"
            if printer is None:
                with PdfPrinter() as own:
                    own.print(page, staged["pdf"], paper, footer=footer, timeout=pdf_timeout)
            else:
                printer.print(page, staged["pdf"], paper, footer=footer, timeout=pdf_timeout)
    if "ipynb" in formats:
        staged["ipynb"] = executed
    return staged


def remove_stale_renders(out: Path, older_than: float = 6 * 3600) -> None:
    """Delete temporary folders left in ``out`` by a killed run (older than ``older_than`` seconds)."""
    now = time.time()
    for tmp in out.glob(f"{_TEMP_PREFIX}*"):
        try:
            if tmp.is_dir() and not tmp.is_symlink() and now - tmp.stat().st_mtime > older_than:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            continue


__all__ = ["DEFAULT_TITLE", "FORMATS", "HEADLINE_MIME", "ReportError", "Rendered", "failure_message",
           "packaged_notebook", "paper_size", "parse_formats", "read_headline", "read_snapshot", "render_period",
           "render_reports", "store_outputs", "write_index", "write_snapshot"]
