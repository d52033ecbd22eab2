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
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from talentstats.atomic import atomic_write_bytes
from talentstats.errors import TalentstatsError
from talentstats.fastimport import skip_iri_grammar

skip_iri_grammar()  # (before nbformat imports jsonschema: see talentstats.fastimport)
import nbformat  # noqa: E402

NOTEBOOK_NAME = "weekly_report.ipynb"
#: the renderer report charts are executed with: plotly.js embedded once (drawn offline in the HTML) plus the
#: figure JSON (drawn by JupyterLab when the executed notebook is opened, trusted or not)
REPORT_RENDERER = "plotly_mimetype+notebook"
#: the renderer of the outputs stored in the packaged notebook: small (figure JSON), JupyterLab draws it
STORED_RENDERER = "plotly_mimetype"
#: OSErrors of the output's file system (full, over quota, read-only): passed on, not taken for a notebook failure
_WRITE_FAILURES = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
#: sent when the kernel starts, not waited for: the notebook's imports, done while this process loads the exports,
#: and plotly's notebook renderer made to embed the report's plotly.js (see :mod:`talentstats.report.renderer`)
_WARM = ("from talentstats.fastimport import skip_iri_grammar\nskip_iri_grammar()\n"
         "import talentstats.weekly, plotly.graph_objects, plotly.io, nbformat, IPython.display\n"
         "from talentstats.report.renderer import use_report_renderer\nuse_report_renderer()\n")
#: run before each period: a fresh namespace, history session and execution count (imported modules stay), and
#: plotly's renderer queued for activation again so that the period's first chart embeds plotly.js, as the
#: first chart of a new kernel does
_RESET = ("get_ipython().reset(new_session=True)\n"
          "import plotly.io as _pio\n_pio.renderers.default = _pio.renderers.default\ndel _pio\n")
#: the papermill engine that runs a notebook in a :class:`ReportKernel` (registered on first use)
_ENGINE = "talentstats-report-kernel"


class ReportError(TalentstatsError):
    """A report could not be rendered (a notebook cell failed, no browser for the PDF, ...)."""

    exit_code = 1


def packaged_notebook() -> Path:
    """The weekly report notebook shipped inside the installed package.

    Returns:
        The path of ``talentstats/notebooks/weekly_report.ipynb``.
    """
    return Path(str(resources.files("talentstats") / "notebooks" / NOTEBOOK_NAME))


class ReportKernel:
    """One kernel (this Python, see :func:`this_python_kernel`) that runs the report notebook of every period of
    a run; a context manager that shuts it down.

    The kernel's stdout and stderr go to a log file (the part a failed period wrote is kept beside its notebook).
    A kernel that died or overran a cell is shut down and the next period starts a new one.

    Args:
        cwd: the kernel's working folder (default: this process's).
        renderer: the plotly renderer of the kernel (``PLOTLY_RENDERER``).
        startup_timeout: seconds the kernel may take to start.
    """

    def __init__(self, *, cwd: str | Path | None = None, renderer: str = REPORT_RENDERER,
                 startup_timeout: float = 60.0) -> None:
        self.cwd = Path(cwd or os.getcwd())
        self.renderer = renderer
        self.startup_timeout = startup_timeout
        self.km: Any = None
        self.kc: Any = None
        self._ready = False
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> ReportKernel:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def log(self) -> Path | None:
        """The kernel's stdout/stderr file (None before :meth:`start`)."""
        return Path(self._tmp.name) / "kernel.log" if self._tmp is not None else None

    def start(self) -> None:
        """Launch the kernel and ask it to import the notebook's modules; returns without waiting for either."""
        if self.km is not None:
            return
        from jupyter_core.utils import run_sync

        self._tmp = tempfile.TemporaryDirectory(prefix="talentstats-kernel-")
        env = {**os.environ, "PLOTLY_RENDERER": self.renderer, "PYDEVD_DISABLE_FILE_VALIDATION": "1",
               "PYTHONWARNINGS": "ignore"}
        km = this_python_kernel()(kernel_name="python3")
        with open(self.log, "ab") as fh:  # type: ignore[arg-type]
            run_sync(km.start_kernel)(cwd=str(self.cwd), env=env, stdout=fh, stderr=fh)
        self.km = km
        run_sync(self._connect)()

    async def _connect(self) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.execute(_WARM, silent=True, store_history=False)

    def ready(self) -> None:
        """Wait until the kernel answers (starting it when needed).

        Raises:
            ReportError: it did not start within ``startup_timeout``.
        """
        self.start()
        if self._ready:
            return
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        except RuntimeError as err:
            self.close()
            raise ReportError(f"the notebook kernel did not start: {_first_line(str(err))}")
        self._ready = True

    def reset(self) -> None:
        """A fresh namespace for the next period (see :data:`_RESET`)."""
        from jupyter_core.utils import run_sync

        self.ready()
        reply = run_sync(self.kc.execute_interactive)(_RESET, silent=True, store_history=False,
                                                      timeout=self.startup_timeout, output_hook=lambda _msg: None)
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise ReportError(f"the notebook kernel could not be reset: {content.get('ename')}: "
                              f"{_first_line(content.get('evalue'))}")

    def log_size(self) -> int:
        """Bytes in the kernel's log so far (where a period's part of it begins)."""
        log = self.log
        return log.stat().st_size if log is not None and log.exists() else 0

    def copy_log(self, since: int, target: Path) -> None:
        """Write the kernel's log from byte ``since`` on (what one period wrote) to ``target``."""
        log = self.log
        if log is None or not log.exists():
            return
        with open(log, "rb") as fh:
            fh.seek(since)
            target.write_bytes(fh.read())

    def close(self) -> None:
        """Shut the kernel down (a no-op when it is not running); :meth:`start` may start a new one."""
        from jupyter_core.utils import run_sync

        km, kc, self.km, self.kc, self._ready = self.km, self.kc, None, None, False
        try:
            if kc is not None:
                kc.stop_channels()
            if km is not None:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already gone: nothing left to stop
            pass
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


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
        raise ReportError(f"weekly report notebook did not run: {type(err).__name__}: {_first_line(str(err))}")
    except Exception as err:  # kernel died, timeout, unreadable notebook: still one readable line
        kernel.copy_log(since, output.with_suffix(".log"))
        kernel.close()  # (not reused: the next period starts a new kernel)
        if isinstance(err, ReportError):
            raise
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
