"""The periods of a report run rendered in turn, each period's files written while the next one's notebook runs.

A period's notebook runs in the kernel (another process) and its PDF is printed by Chromium (another process):
:func:`render_in_turn` has one worker thread export, print and move into place the files of period N while the
next period's notebook runs in the kernel, so the two overlap instead of following each other.

What a run of one :func:`~talentstats.report.render_period` after another guarantees still holds: a period's
files appear only when complete, and the index is updated once per period, in period order (one worker, at most
one period in its hands); a period that fails stops the run with its own error, after every earlier period is in
place and before any later one is (a later notebook that ran meanwhile is discarded, as if it never ran); its
previous report and the index are left as they were; every temporary folder is removed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from talentstats.report.execute import NOTEBOOK_NAME, ReportError
from talentstats.report.index import period_label
from talentstats.report.outdir import period_folder


class Periods(Protocol):
    """The two halves of rendering one period (``talentstats.report._Run``)."""

    out: Path

    def notebook(self, executed: Path, label: str, start: dt.date, end: dt.date) -> None: ...

    def kept(self, err: ReportError, executed: Path, folder: Path) -> ReportError: ...

    def install(self, executed: Path, label: str, folder: Path) -> Any: ...


def render_in_turn(run: Periods, periods: Sequence[tuple[dt.date, dt.date]], prefix: str,
                   after_notebooks: Callable[[], object] | None = None) -> Iterator[Any]:
    """Render each period (oldest first): its notebook here, its files in a worker thread while the next
    period's notebook runs. Yields each period's ``Rendered`` in period order once its files are in place.

    Args:
        run: what renders one period.
        periods: (first day, last day) of each period.
        prefix: the name prefix of the temporary folders (inside ``run.out``).
        after_notebooks: called once every notebook has run, while the last period's files are being made
            (the run shuts its kernel down then, instead of after the last PDF).

    Raises:
        The first failing period's error (see the module's docstring).
    """
    stages: list[Path] = []
    pending: Future[Any] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="talentstats-report") as worker:
        try:
            for start, end in periods:
                t0 = time.perf_counter()
                label = period_label(start, end)
                stages.append(Path(tempfile.mkdtemp(prefix=prefix, dir=run.out)))
                executed = stages[-1] / NOTEBOOK_NAME
                failed: BaseException | None = None
                try:
                    folder = period_folder(run.out, label)
                    run.notebook(executed, label, start, end)
                except BaseException as err:  # (raised below, once the earlier period is in place)
                    failed = err
                if pending is not None:
                    previous, pending = pending, None
                    yield _collect(previous, stages)  # (an earlier period's error comes first)
                if failed is not None:
                    if isinstance(failed, ReportError):
                        raise run.kept(failed, executed, folder)
                    raise failed
                pending = worker.submit(_files, run, executed, label, folder, t0)
            if after_notebooks is not None:
                after_notebooks()
            if pending is not None:
                previous, pending = pending, None
                yield _collect(previous, stages)
        finally:
            if pending is not None:  # (interrupted: the worker finishes what it holds before the folders go)
                pending.exception()
            for stage in stages:
                shutil.rmtree(stage, ignore_errors=True)


def _files(run: Periods, executed: Path, label: str, folder: Path, t0: float) -> Any:
    """The worker's part of a period: its files exported, printed and moved into place."""
    rendered = run.install(executed, label, folder)
    rendered.seconds = time.perf_counter() - t0
    return rendered


def _collect(job: Future[Any], stages: list[Path]) -> Any:
    """A period's ``Rendered`` once the worker is done with it (its error raised), its temporary folder gone."""
    try:
        return job.result()
    finally:
        shutil.rmtree(stages.pop(0), ignore_errors=True)


__all__ = ["render_in_turn"]
