"""Periods rendered in turn (talentstats.report.inturn): the next period's notebook runs while one worker writes
the previous period's files, with the guarantees of one period after another (order, errors, temporary folders);
and a backfill's numbers are those of each week rendered alone."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from talentstats.report import ReportError, render_reports
from talentstats.report.inturn import render_in_turn

from .helpers import sample_dir, slow

MONDAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
PERIODS = [(m, m + dt.timedelta(days=6)) for m in MONDAYS]
LABELS = ["2026-W45", "2026-W46", "2026-W47"]


class FakeRun:
    """The two halves of a period without a kernel or a browser; logs what happens, in which thread."""

    def __init__(self, out: Path, *, bad_notebook: str = "", bad_files: str = "", wait_for_next: bool = False):
        self.out, self.log = out, []
        self.bad_notebook, self.bad_files, self.wait_for_next = bad_notebook, bad_files, wait_for_next
        self.started = {label: threading.Event() for label in LABELS}

    def notebook(self, executed: Path, label: str, start: dt.date, end: dt.date) -> None:
        self.started[label].set()
        self.log.append(("notebook", label, threading.current_thread() is threading.main_thread()))
        executed.write_text(label)
        if label == self.bad_notebook:
            raise ReportError(f"{label}: cell failed")

    def kept(self, err: ReportError, executed: Path, folder: Path) -> ReportError:
        self.log.append(("kept", folder.name, executed.read_text()))
        return ReportError(f"{err} (kept)")

    def install(self, executed: Path, label: str, folder: Path) -> SimpleNamespace:
        following = LABELS.index(label) + 1
        if self.wait_for_next and following < len(LABELS):  # the next notebook runs while these files are written
            assert self.started[LABELS[following]].wait(10)
        self.log.append(("files", label, threading.current_thread() is threading.main_thread()))
        if label == self.bad_files:
            raise ReportError(f"{label}: PDF failed")
        folder.mkdir(exist_ok=True)
        (folder / "done").write_text(executed.read_text())
        return SimpleNamespace(folder=folder, seconds=0.0)


def no_temporary_folders(out: Path) -> bool:
    return not [p for p in out.iterdir() if p.name.startswith(".render-")]


def test_files_are_written_while_the_next_notebook_runs_and_come_back_in_order(tmp_path: Path):
    run = FakeRun(tmp_path, wait_for_next=True)
    done = [r.folder.name for r in render_in_turn(run, PERIODS, ".render-")]
    assert done == LABELS
    assert [(what, label) for what, label, _ in run.log] == [
        ("notebook", "2026-W45"), ("notebook", "2026-W46"), ("files", "2026-W45"), ("notebook", "2026-W47"),
        ("files", "2026-W46"), ("files", "2026-W47")]
    assert all(main for what, _, main in run.log if what == "notebook")  # the kernel's client: the main thread
    assert not any(main for what, _, main in run.log if what == "files")
    assert [(tmp_path / label / "done").read_text() for label in LABELS] == LABELS
    assert no_temporary_folders(tmp_path)


def test_a_failed_notebook_stops_the_run_once_the_earlier_week_is_in_place(tmp_path: Path):
    run = FakeRun(tmp_path, bad_notebook="2026-W46")
    done = []
    with pytest.raises(ReportError, match=r"2026-W46: cell failed \(kept\)"):
        for rendered in render_in_turn(run, PERIODS, ".render-"):
            done.append(rendered.folder.name)
    assert done == ["2026-W45"]
    steps = [entry[:2] for entry in run.log]  # (the worker and the next notebook overlap: either may log first)
    assert sorted(steps[:3]) == [("files", "2026-W45"), ("notebook", "2026-W45"), ("notebook", "2026-W46")]
    assert steps[3:] == [("kept", "2026-W46")]  # the failed notebook kept once the week before is in place
    assert not (tmp_path / "2026-W46" / "done").exists() and not (tmp_path / "2026-W47").exists()
    assert no_temporary_folders(tmp_path)


def test_a_week_whose_files_fail_stops_the_run_before_any_later_week_is_written(tmp_path: Path):
    run = FakeRun(tmp_path, bad_files="2026-W45", bad_notebook="2026-W46")
    with pytest.raises(ReportError, match="2026-W45: PDF failed"):  # (its error first: the later one never shows)
        list(render_in_turn(run, PERIODS, ".render-"))
    steps = sorted(entry[:2] for entry in run.log)  # nothing kept of the later notebook, nothing after it run
    assert steps == [("files", "2026-W45"), ("notebook", "2026-W45"), ("notebook", "2026-W46")]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder made, no temporary folder left


@slow
def test_a_backfill_writes_the_summaries_of_each_week_rendered_alone(tmp_path: Path):
    together = tmp_path / "together"
    render_reports([sample_dir()], together, week=LABELS[-1], weeks=3, formats=["html"])
    for label in LABELS:
        alone = tmp_path / f"alone-{label}"
        render_reports([sample_dir()], alone, week=label, weeks=1, formats=["html"])
        assert (together / label / "summary.json").read_bytes() == (alone / label / "summary.json").read_bytes()
    assert no_temporary_folders(together)


def test_the_kernel_is_let_go_once_the_last_notebook_has_run_not_after_the_last_pdf(tmp_path: Path):
    run = FakeRun(tmp_path)
    real_install = run.install
    last_files_started = threading.Event()
    release = threading.Event()

    def slow_install(executed: Path, label: str, folder: Path) -> SimpleNamespace:
        if label == LABELS[-1]:
            last_files_started.set()
            assert release.wait(10)  # (the last PDF still printing)
        return real_install(executed, label, folder)

    run.install = slow_install  # type: ignore[method-assign]

    def notebooks_done() -> None:
        run.log.append(("notebooks done", "", True))
        release.set()

    rendered = list(render_in_turn(run, PERIODS, ".render-", after_notebooks=notebooks_done))
    assert [r.folder.name for r in rendered] == LABELS
    events = [e[0] for e in run.log]
    assert events.count("notebooks done") == 1
    assert events.index("notebooks done") > max(i for i, e in enumerate(events) if e == "notebook")
    assert events.index("notebooks done") < len(events) - 1 and run.log[-1][:2] == ("files", LABELS[-1])
