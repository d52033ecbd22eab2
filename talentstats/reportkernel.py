"""The notebook kernel of a report run: this very Python, started once, its modules imported ahead of time.

Kept apart from :mod:`talentstats.report` (whose package imports pandas, nbformat and the loader) so that the
``report`` command can start the kernel first thing, before those imports: the kernel's own start (about a
second) then overlaps them and the load of the exports.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from talentstats.errors import TalentstatsError

#: the renderer report charts are executed with: plotly.js embedded once (drawn offline in the HTML) plus the
#: figure JSON (drawn by JupyterLab when the executed notebook is opened, trusted or not)
REPORT_RENDERER = "plotly_mimetype+notebook"
#: the renderer of the outputs stored in the packaged notebook: small (figure JSON), JupyterLab draws it
STORED_RENDERER = "plotly_mimetype"
#: sent when the kernel starts, not waited for: the notebook's imports, done while this process loads the exports,
#: and plotly's notebook renderer made to embed the report's plotly.js (see :mod:`talentstats.report.renderer`)
_WARM = ("from talentstats.fastimport import skip_iri_grammar\nskip_iri_grammar()\n"
         "import talentstats.weekly, plotly.graph_objects, plotly.io, nbformat, IPython.display\n"
         "from talentstats.report.renderer import use_report_renderer\nuse_report_renderer()\n"
         "from talentstats.present.charts.figure import chart_template\nchart_template()\n"
         "import gc\ngc.collect()\ngc.freeze()\n")
#: run before each period: a fresh namespace, history session and execution count (imported modules stay), and
#: plotly's renderer queued for activation again so that the period's first chart embeds plotly.js, as the
#: first chart of a new kernel does. What outlives the namespace (modules, their caches) is then moved out of
#: the garbage collector's sight (gc.freeze), as the warm-up's imports are: each collection - IPython's reset
#: forces one, the notebook triggers dozens - walks only the period's own objects (~0.1 s less a period).
_RESET = ("get_ipython().reset(new_session=True)\n"
          "import plotly.io as _pio\n_pio.renderers.default = _pio.renderers.default\ndel _pio\n"
          "import gc as _gc\n_gc.collect()\n_gc.freeze()\ndel _gc\n")


class ReportError(TalentstatsError):
    """A report could not be rendered (a notebook cell failed, no browser for the PDF, ...)."""

    exit_code = 1


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
            raise ReportError(f"the notebook kernel did not start: {first_line(str(err))}")
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
                              f"{first_line(content.get('evalue'))}")

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


def first_line(text: str | None) -> str:
    """The first non-blank line of ``text``, stripped ("" for none): errors are reported in one line."""
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else ""



__all__ = ["REPORT_RENDERER", "STORED_RENDERER", "ReportError", "ReportKernel", "first_line", "this_python_kernel"]
