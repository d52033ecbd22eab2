"""Executing the packaged weekly report notebook with papermill, in a kernel running this very Python.

One :class:`ReportKernel` serves every period of a report run: started once (while the exports load, it imports
the notebook's modules), it runs the parameterized notebook of each period top to bottom after resetting its
namespace and execution count, so no variable of one period is seen by the next while modules are imported once
and the snapshot is read once (:func:`talentstats.report.handoff.read_snapshot` keeps the last one it read). A
failing cell becomes one readable :class:`ReportError` line naming the cell, its failing line and the error.
"""

from __future__ import annotations

import errno
import logging
import re
import tempfile
import threading
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from talentstats.atomic import atomic_write_bytes
from talentstats.fastimport import skip_iri_grammar
from talentstats.reportkernel import (
    REPORT_RENDERER,
    STORED_RENDERER,
    ReportError,
    ReportKernel,
    first_line,
    this_python_kernel,
)

skip_iri_grammar()  # (before nbformat imports jsonschema: see talentstats.fastimport)
import nbformat  # noqa: E402

NOTEBOOK_NAME = "weekly_report.ipynb"
#: OSErrors of the output's file system (full, over quota, read-only): passed on, not taken for a notebook failure
_WRITE_FAILURES = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
#: the papermill engine that runs a notebook in a :class:`ReportKernel` (registered on first use)
_ENGINE = "talentstats-report-kernel"


def packaged_notebook() -> Path:
    """The weekly report notebook shipped inside the installed package.

    Returns:
        The path of ``talentstats/notebooks/weekly_report.ipynb``.
    """
    return Path(str(resources.files("talentstats") / "notebooks" / NOTEBOOK_NAME))


def warm_papermill() -> threading.Thread:
    """Import papermill and register the report's engine in a daemon thread, while the exports load, so the first
    notebook does not start with them (~0.25 s)."""
    thread = threading.Thread(target=_warm_engine, name="talentstats-warm-papermill", daemon=True)
    thread.start()
    return thread


def _warm_engine() -> None:
    try:
        _engine()
    except Exception:  # (only a warm-up: the notebook's run reports its own errors)
        pass


@cache
def _engine() -> str:
    """The name of a papermill engine running notebooks in a :class:`ReportKernel` (passed as ``report_kernel``):
    papermill's nbclient engine with the kernel and its client kept, not started and shut down per notebook."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    def run(cls: type, nb_man: Any, kernel_name: str, log_output: bool = False, stdout_file: Any = None,
            stderr_file: Any = None, start_timeout: int = 60, execution_timeout: int | None = None,
            **kwargs: Any) -> Any:
        kernel: ReportKernel = kwargs["report_kernel"]
        client = PapermillNotebookClient(nb_man, km=kernel.km, timeout=execution_timeout,
                                         startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                         log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client.kc = kernel.kc
        return client.execute(cleanup_kc=False)

    engine = type("ReportKernelEngine", (NBClientEngine,), {"execute_managed_notebook": classmethod(run)})
    papermill_engines.register(_ENGINE, engine)
    return _ENGINE


def execute_notebook(parameters: Mapping[str, Any], output: Path, *, timeout: int = 600,
                     renderer: str = REPORT_RENDERER, cwd: str | Path | None = None,
                     kernel: ReportKernel | None = None) -> None:
    """Run the packaged notebook with papermill into ``output``.

    Args:
        parameters: values for the notebook's parameters cell (plain JSON values).
        output: where the executed notebook is written; when it fails, what the kernel wrote to its stderr
            meanwhile goes next to it (``.log``).
        timeout: seconds a cell may run.
        renderer: the plotly renderer of the kernel (without ``kernel``).
        cwd: the kernel's working folder (without ``kernel``; default: this process's).
        kernel: the kernel to run it in (reset first); None: a kernel of its own, shut down afterwards.

    Raises:
        ReportError: a cell failed (naming the cell and the error; the partly executed notebook is left at
            ``output``), the kernel died or the notebook could not be read.
    """
    if kernel is None:
        with ReportKernel(cwd=cwd, renderer=renderer) as own:
            return execute_notebook(parameters, output, timeout=timeout, kernel=own)
    # papermill (and with it nbclient and jupyter_client) is heavy: imported when a report is rendered
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    kernel.start()
    since = kernel.log_size()
    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level
    papermill_log.setLevel(logging.ERROR)
    try:
        kernel.reset()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.execute_notebook(str(packaged_notebook()), str(output), parameters=dict(parameters),
                                engine_name=_engine(), kernel_name="python3", progress_bar=False, log_output=False,
                                execution_timeout=timeout, request_save_on_cell_execute=False,
                                report_kernel=kernel)
    except PapermillExecutionError as err:
        kernel.copy_log(since, output.with_suffix(".log"))
        raise ReportError(failure_message(output, err.ename, err.evalue, err.traceback, err.source))
    except OSError as err:
        if err.errno in _WRITE_FAILURES:  # the output folder is full or read-only: the caller words it
            raise
        kernel.copy_log(since, output.with_suffix(".log"))
        kernel.close()
        raise ReportError(f"weekly report notebook did not run: {type(err).__name__}: {first_line(str(err))}")
    except Exception as err:  # kernel died, timeout, unreadable notebook: still one readable line
        kernel.copy_log(since, output.with_suffix(".log"))
        kernel.close()  # (not reused: the next period starts a new kernel)
        if isinstance(err, ReportError):
            raise
        raise ReportError(f"weekly report notebook did not run: {type(err).__name__}: {first_line(str(err))}")
    finally:
        papermill_log.setLevel(level)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failure_message(executed: Path, ename: str, evalue: str, traceback: Sequence[str] = (),
                    source: str = "") -> str:
    """One readable line: which cell failed (its id and the failing line) and the error.

    Args:
        executed: the partly executed notebook (its failed cell is marked by papermill), if it was written.
        ename: the exception's class name.
        evalue: the exception's message (its first line is shown).
        traceback: IPython's traceback lines (with ANSI colours).
        source: the failed cell's source, when the notebook cannot tell.

    Returns:
        ``weekly report notebook failed in cell 'header', line 5: ... -> InputError: ...``.
    """
    cell_name = ""
    try:
        nb = nbformat.read(str(executed), as_version=4)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("papermill", {}).get("exception"):
                cell_name = f" '{cell.get('id', '')}'"
                source = source or cell.source
                break
    except Exception:  # the notebook may not have been written at all
        pass
    where = ""
    frames = [_ANSI.sub("", t) for t in traceback]
    cell_frames = [f for f in frames if f.lstrip().startswith("Cell In[")]  # IPython names the cell's own frame
    for frame in reversed(cell_frames or frames[:1]):  # the last: the exception the cell raised, not its causes
        match = re.search(r"^-+>\s*(\d+)\s+(.*)$", frame, re.MULTILINE)
        if match:
            line = match.group(2).strip()
            where = f", line {match.group(1)}: {line if len(line) <= 80 else line[:79] + '…'}"
            break
    if not where and source:
        where = f": {first_line(source)[:100]}"
    return f"weekly report notebook failed in cell{cell_name}{where} -> {ename}: {first_line(evalue)}"


def store_outputs(notebook: Path | None = None, cwd: Path | None = None) -> Path:
    """Execute the packaged notebook with its default parameters (the sample data, week "latest") and store
    the outputs in it, with the small plotly renderer and no run-specific metadata (for nbval and GitHub).

    Args:
        notebook: where to store the result (default: the packaged notebook itself).
        cwd: the kernel's working folder, where ``sample_data/`` is looked for (default: this process's).

    Returns:
        The notebook written.

    Raises:
        ReportError: the notebook failed.
    """
    target = notebook or packaged_notebook()
    with tempfile.TemporaryDirectory(prefix="talentstats-store-") as tmp:
        executed = Path(tmp) / NOTEBOOK_NAME
        execute_notebook({}, executed, renderer=STORED_RENDERER, cwd=cwd or Path.cwd())
        nb = nbformat.read(str(executed), as_version=4)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    nb.metadata.pop("papermill", None)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.execution_count = n + 1
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = n + 1
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
    nbformat.validate(nb)
    atomic_write_bytes(target.resolve(), (nbformat.writes(nb) + "\n").encode("utf-8"))
    return target


__all__ = ["NOTEBOOK_NAME", "REPORT_RENDERER", "STORED_RENDERER", "ReportError", "ReportKernel", "execute_notebook",
           "failure_message", "packaged_notebook", "store_outputs", "this_python_kernel", "warm_papermill"]
