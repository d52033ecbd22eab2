"""Serve the campaign dashboard notebook as a web app with Voilà on localhost (``talentstats dashboard``).

The data reaches the notebook's kernel as environment variables (``TALENTSTATS_DATA`` and friends, read by
:meth:`talentstats.dashboard.widget.Dashboard.from_paths`), never as code. The exports are loaded once here first,
so a missing or unreadable file fails with the loader's one-line error before any server starts. Serving imports
:mod:`talentstats.dashboard.config` only, never the widget or plotly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from talentstats.dashboard.config import (
    ENV_DATA,
    ENV_FIGURE_ESM,
    ENV_MESSAGES,
    ENV_SOURCE_TZ,
    ENV_TZ,
    plotly_widget_bundle,
)
from talentstats.errors import UsageError
from talentstats.samplepath import default_data
from talentstats.stats.periods import zone

__all__ = ["BUNDLE_NAME", "HOST", "NOTEBOOK_NAME", "check_port", "dashboard_env", "dashboard_notebook",
           "prepare_root", "serve_dashboard", "voila_command"]

NOTEBOOK_NAME = "campaign_dashboard.ipynb"
BUNDLE_NAME = "plotly-widgetbundle.js"
HOST = "127.0.0.1"


def dashboard_notebook() -> Path:
    """The dashboard notebook shipped inside the package.

    Returns:
        Its path.
    """
    return Path(str(resources.files("talentstats") / "notebooks" / NOTEBOOK_NAME))


def check_port(port: int, host: str = HOST) -> None:
    """Check that ``port`` is a valid TCP port that is free on ``host``.

    Args:
        port: the port.
        host: the address to listen on.

    Raises:
        UsageError: (naming ``port``) out of range, already in use, or not available.
    """
    if not 1 <= int(port) <= 65535:
        raise UsageError("choose a port between 1 and 65535", parameter="port", value=port)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no conflict
        try:
            s.bind((host, int(port)))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise UsageError(f"already in use on {host}", parameter="port", value=port,
                                 hint="choose another")
            raise UsageError(f"cannot listen on {host}: {err.strerror or err}", parameter="port", value=port)


def dashboard_env(files: Sequence[str | Path], messages: Sequence[str | Path] = (), tz: str = "UTC",
                  source_tz: str = "UTC", base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Voilà and its kernels: ``base`` plus the variables of
    :mod:`talentstats.dashboard.config`.

    Args:
        files: export files or folders; made absolute (the kernel runs in the notebook's folder) and joined with
            ``os.pathsep``.
        messages: message exports, likewise.
        tz: report time zone.
        source_tz: time zone of timestamps without a UTC offset.
        base: the environment to extend (default ``os.environ``).

    Returns:
        A new environment mapping.
    """
    env = dict(os.environ if base is None else base)
    env[ENV_DATA] = os.pathsep.join(str(Path(f).resolve()) for f in files)
    env[ENV_MESSAGES] = os.pathsep.join(str(Path(f).resolve()) for f in messages)
    env[ENV_TZ] = tz
    env[ENV_SOURCE_TZ] = source_tz
    return env


def prepare_root(folder: Path) -> Path:
    """Fill the folder Voilà serves: the dashboard notebook and plotly's widget bundle (served once per page to all
    figures, see :mod:`talentstats.dashboard.bundle`).

    Args:
        folder: an existing, empty folder.

    Returns:
        The notebook's path.
    """
    notebook = folder / NOTEBOOK_NAME
    shutil.copyfile(dashboard_notebook(), notebook)
    bundle = plotly_widget_bundle()
    if bundle.exists():
        shutil.copyfile(bundle, folder / BUNDLE_NAME)
    return notebook


def voila_command(port: int, notebook: Path | None = None) -> list[str]:
    """The Voilà command line serving the dashboard on 127.0.0.1:``port`` (no browser, no other port).

    Args:
        port: the port.
        notebook: the notebook to serve (default the packaged one).

    Returns:
        The command's arguments.
    """
    return [sys.executable, "-m", "voila", str(notebook or dashboard_notebook()), "--no-browser",
            f"--port={int(port)}", f"--Voila.ip={HOST}", "--Voila.port_retries=0", "--theme=light",
            "--VoilaConfiguration.show_tracebacks=False",
            # a page closed without telling the server leaves its kernel (and a copy of the data) behind: cull it
            "--MappingKernelManager.cull_idle_timeout=600", "--MappingKernelManager.cull_interval=60",
            f"--VoilaConfiguration.file_allowlist={re.escape(BUNDLE_NAME)}"]


def serve_dashboard(files: Sequence[str | Path] = (), messages: Sequence[str | Path] = (), port: int = 8866,
                    tz: str = "UTC", source_tz: str = "UTC") -> int:
    """Check the arguments, load the exports once (their errors are the loader's), then run Voilà until Ctrl-C.

    Args:
        files: export files or folders (default the sample data, :func:`talentstats.samplepath.default_data`).
        messages: message exports giving opens.
        port: port on 127.0.0.1.
        tz: report time zone.
        source_tz: time zone of timestamps without a UTC offset.

    Returns:
        Voilà's exit code.

    Raises:
        UsageError: a bad ``tz``, ``source_tz`` or ``port``.
        InputError: an export that cannot be read.
    """
    from talentstats.load.loader import read_reach_outs  # heavy: pandas and pyarrow, only when serving

    zone(tz, "tz")
    zone(source_tz, "source_tz")
    check_port(port)
    paths = [Path(f) for f in files] or [default_data()]
    loaded = read_reach_outs(paths, messages=list(messages) or None, source_tz=source_tz)
    r = loaded.report
    print(f"talentstats: {r.rows_loaded:,} reach outs loaded from {len(r.files)} file(s) "
          f"({r.rows_rejected:,} rows rejected); serving the dashboard at http://{HOST}:{port}/ "
          f"(Ctrl-C to stop)", flush=True)
    env = dashboard_env(paths, messages, tz, source_tz)
    with tempfile.TemporaryDirectory(prefix="talentstats-dashboard-") as root:
        notebook = prepare_root(Path(root))
        if (Path(root) / BUNDLE_NAME).exists():
            env[ENV_FIGURE_ESM] = f"voila/files/{BUNDLE_NAME}"
        process = subprocess.Popen(voila_command(port, notebook), env=env)
        with _sigterm_as_interrupt():
            try:
                return process.wait()
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stop Voilà (it shuts its kernels down) and wait
                process.terminate()
                try:
                    return process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    return process.wait()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (main thread only), so a terminated server stops Voilà too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
