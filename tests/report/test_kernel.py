"""One notebook kernel for every period of a report run (talentstats.report.execute.ReportKernel): the modules
imported and the snapshot read once, nothing else carried from one period to the next, the numbers those of a
kernel of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.report.execute import ReportKernel, execute_notebook
from talentstats.report.handoff import read_headline, write_snapshot

from .helpers import W47, sample_dir, slow


def in_kernel(kernel: ReportKernel, code: str) -> str:
    """What ``code`` prints in the kernel."""
    from jupyter_core.utils import run_sync

    printed: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    run_sync(kernel.kc.execute_interactive)(code, output_hook=hook, timeout=60)
    return "".join(printed).strip()


def parameters(snapshot: Path, start: str, end: str) -> dict:
    return {"snapshot": str(snapshot), "options": LoadOptions().to_parameters(), "week": None, "start": start,
            "end": end, "tz": "UTC", "campaigns": [], "title": "T", "include_pii": False}


def charts_and_library(executed: Path) -> tuple[int, int, list[int]]:
    """How many chart outputs, how many copies of plotly.js, and the execution counts of an executed notebook."""
    nb = nbformat.read(executed, as_version=4)
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "text/html" in o.get("data", {})]
    charts = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs
                 if "application/vnd.plotly.v1+json" in o.get("data", {}))
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    return charts, sum(len(re.findall(r"\* plotly\.js v\d", h)) for h in html), counts


@slow
def test_periods_share_one_kernel_and_one_snapshot_read_but_no_variables(tmp_path: Path):
    snapshot = write_snapshot(load([sample_dir()]), tmp_path / "snapshot.parquet", pii=False)
    weeks = [("2026-11-09", "2026-11-15"), (W47[0].isoformat(), W47[1].isoformat())]
    with ReportKernel(cwd=tmp_path) as kernel:
        execute_notebook(parameters(snapshot, *weeks[0]), tmp_path / "w46.ipynb", kernel=kernel)
        pid = kernel.km.provisioner.pid
        kept = "from talentstats.report import handoff; print(id(handoff._KEPT['read'][0]))"
        table_id = in_kernel(kernel, kept)
        in_kernel(kernel, "left_over = 46")
        # a reference cycle left by the period: collected at the reset, not frozen with the modules
        in_kernel(kernel, "import builtins, weakref\nclass Cycle: pass\ncycle = Cycle(); cycle.me = cycle\n"
                          "builtins._ts_cycle = weakref.ref(cycle)")
        execute_notebook(parameters(snapshot, *weeks[1]), tmp_path / "w47.ipynb", kernel=kernel)
        assert kernel.km.provisioner.pid == pid  # the same kernel process
        assert in_kernel(kernel, kept) == table_id  # read once
        assert in_kernel(kernel, "print('left_over' in globals(), 'report' in globals())") == "False True"
        # the modules are out of the collector's sight (gc.freeze), the period's garbage is not
        freed = "import builtins, gc; print(builtins._ts_cycle() is None, gc.get_freeze_count() > 1000)"
        assert in_kernel(kernel, freed) == "True True"
    for week in ("w46", "w47"):  # each period's notebook as a new kernel writes it: plotly.js in its first chart
        charts, library, counts = charts_and_library(tmp_path / f"{week}.ipynb")
        assert charts >= 7 and library == 1
        assert counts == list(range(1, len(counts) + 1))
    execute_notebook(parameters(snapshot, *weeks[1]), tmp_path / "alone.ipynb", cwd=tmp_path)  # a kernel of its own
    alone, shared = read_headline(tmp_path / "alone.ipynb"), read_headline(tmp_path / "w47.ipynb")
    assert json.dumps(alone, sort_keys=True) == json.dumps(shared, sort_keys=True)
    assert alone["reach_outs"] == 503
    assert charts_and_library(tmp_path / "alone.ipynb") == charts_and_library(tmp_path / "w47.ipynb")


def test_the_report_command_starts_its_kernel_first_and_leaves_none_running(tmp_path: Path, cli,
                                                                            monkeypatch):
    """The command starts the kernel before importing the report package (its start overlaps the imports and the
    load); a run that then stops on a bad argument or empty week shuts it down all the same."""
    import psutil

    from talentstats import reportkernel

    started: list[bool] = []
    real_start = reportkernel.ReportKernel.start

    def start(self: ReportKernel) -> None:
        started.append(self.km is None)
        real_start(self)

    monkeypatch.setattr(reportkernel.ReportKernel, "start", start)

    def kernels() -> list[int]:
        found = []
        for p in psutil.Process().children(recursive=True):
            try:  # (a zombie or a process gone meanwhile, of another test of this worker, is not a kernel)
                if p.status() != psutil.STATUS_ZOMBIE and any("ipykernel" in part for part in p.cmdline()):
                    found.append(p.pid)
            except psutil.Error:
                continue
        return found

    for bad in (["--paper", "A5"], ["--week", "2030-W01"]):
        code, _, err = cli("report", sample_dir(), "--out", tmp_path / "out", "--format", "html", *bad)
        assert code == 2 and err.count("\n") == 1, err
        assert kernels() == []
    assert started and started[0] is True  # (started by the command, before the report package ran)


def test_papermill_is_warmed_in_a_thread_with_the_report_engine_registered():
    import sys

    from talentstats.report.execute import _engine, warm_papermill

    thread = warm_papermill()
    assert thread.daemon
    thread.join(60)
    from papermill.engines import papermill_engines

    assert "papermill" in sys.modules and papermill_engines.get_engine(_engine()) is not None
