"""Executing the packaged weekly report notebook with papermill, in a kernel running this very Python.

A failing cell becomes one readable :class:`ReportError` line naming the cell, its failing line and the error.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat

from talentstats.atomic import atomic_write_bytes
from talentstats.errors import TalentstatsError

NOTEBOOK_NAME = "weekly_report.ipynb"
#: the renderer report charts are executed with: plotly.js embedded once (drawn offline in the HTML) plus the
#: figure JSON (drawn by JupyterLab when the executed notebook is opened, trusted or not)
REPORT_RENDERER = "plotly_mimetype+notebook"
#: the renderer of the outputs stored in the packaged notebook: small (figure JSON), JupyterLab draws it
STORED_RENDERER = "plotly_mimetype"
#: OSErrors of the output's file system (full, over quota, read-only): passed on, not taken for a notebook failure
_WRITE_FAILURES = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


class ReportError(TalentstatsError):
    """A report could not be rendered (a notebook cell failed, no browser for the PDF, ...)."""

    exit_code = 1


def packaged_notebook() -> Path:
    """The weekly report notebook shipped inside the installed package.

    Returns:
        The path of ``talentstats/notebooks/weekly_report.ipynb``.
    """
    return Path(str(resources.files("talentstats") / "notebooks" / NOTEBOOK_NAME))


@contextmanager
def _quiet_stderr(log: Path) -> Iterator[None]:
    """Send this process's stderr (and the kernel's, which inherits it) to ``log`` while rendering."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "ab") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute_notebook(parameters: Mapping[str, Any], output: Path, *, timeout: int = 600,
                     renderer: str = REPORT_RENDERER, cwd: str | Path | None = None) -> None:
    """Run the packaged notebook with papermill into ``output``.

    Args:
        parameters: values for the notebook's parameters cell (plain JSON values).
        output: where the executed notebook is written; the kernel's stderr goes next to it (``.log``).
        timeout: seconds a cell may run.
        renderer: the plotly renderer of the kernel (``PLOTLY_RENDERER``).
        cwd: the kernel's working folder (default: this process's).

    Raises:
        ReportError: a cell failed (naming the cell and the error; the partly executed notebook is left at
            ``output``), the kernel died or the notebook could not be read.
    """
    # papermill (and with it nbclient and jupyter_client) is heavy: imported when a report is rendered
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    log = output.with_suffix(".log")
    quiet = {"PLOTLY_RENDERER": renderer, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONWARNINGS": "ignore"}
    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level
    papermill_log.setLevel(logging.ERROR)
    try:
        with _env(**quiet), _quiet_stderr(log), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.execute_notebook(str(packaged_notebook()), str(output), parameters=dict(parameters),
                                kernel_name="python3", progress_bar=False, log_output=False,
                                execution_timeout=timeout, cwd=str(cwd or os.getcwd()),
                                kernel_manager_class=this_python_kernel())
    except PapermillExecutionError as err:
        raise ReportError(failure_message(output, err.ename, err.evalue, err.traceback, err.source))
    except OSError as err:
        if err.errno in _WRITE_FAILURES:  # the output folder is full or read-only: the caller words it
            raise
        raise ReportError(f"weekly report notebook did not run: {type(err).__name__}: {_first_line(str(err))}")
    except Exception as err:  # kernel died, timeout, unreadable notebook: still one readable line
        raise ReportError(f"weekly report notebook did not run: {type(err).__name__}: {_first_line(str(err))}")
    finally:
        papermill_log.setLevel(level)


def this_python_kernel() -> type:
    """A kernel manager that runs the notebook with this very Python (where talentstats is installed), whatever
    kernelspec named python3 the user's Jupyter folders may hold.

    Returns:
        A subclass of jupyter_client's ``AsyncKernelManager``.
    """
    # jupyter_client comes with papermill: imported only when a notebook runs
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (talentstats)", language="python", resource_dir="")

    return ThisPythonKernelManager


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
        where = f": {_first_line(source)[:100]}"
    return f"weekly report notebook failed in cell{cell_name}{where} -> {ename}: {_first_line(evalue)}"


def _first_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


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


__all__ = ["NOTEBOOK_NAME", "REPORT_RENDERER", "STORED_RENDERER", "ReportError", "execute_notebook",
           "failure_message", "packaged_notebook", "store_outputs", "this_python_kernel"]
