"""Browser tests' shared helpers: ``talentstats dashboard`` started in the background on a free port with
Jupyter's folders in a temporary home, and stopped with its kernels after; a dashboard page opened and timed to its
progress note and first chart (test_browser, test_dashboard_browser, test_accessibility, and
benchmarks/bench_dashboard.py --page)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(home: Path) -> dict[str, str]:
    """The environment with Jupyter's and IPython's folders inside ``home``."""
    return {**os.environ, "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_CONFIG_DIR": str(home / "config"), "IPYTHONDIR": str(home / "ipython"), "PYTHONUNBUFFERED": "1"}


@contextmanager
def dashboard(data: Path | Sequence[Path | str], home: Path, timeout: float = 45, log: Path | None = None,
              messages: Sequence[Path | str] = ()) -> Iterator[str]:
    """``talentstats dashboard DATA... [--messages M...] --port N`` in the background, Jupyter's folders in
    ``home`` (its output in ``log`` when given); yields its URL once it listens, stops it after."""
    port = free_port()
    exports = [str(data)] if isinstance(data, str | Path) else [str(d) for d in data]
    out = subprocess.PIPE if log is None else log.open("w")
    process = subprocess.Popen([sys.executable, "-m", "talentstats.cli", "dashboard", *exports, "--port", str(port),
                                *(a for m in messages for a in ("--messages", str(m)))],
                               cwd=ROOT, env=jupyter_env(home), stdout=out, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    if log is not None:
        out.close()  # (the server has its own copy)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"talentstats dashboard exited with {process.returncode}:\n"
                                   f"{process.communicate()[0] or (log.read_text() if log else '')}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"talentstats dashboard did not listen on port {port} within {timeout:.0f} s")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the CLI stops Voilà, which shuts its kernels down
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def open_timed(browser: Any, url: str, width: int, timeout_ms: int = 90_000) -> tuple[Any, list[str], float, float]:
    """A new page of ``browser`` at ``width`` opened on the dashboard at ``url``: (page, the URLs it requested,
    seconds from opening to the progress note, to the first chart drawn)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    t0 = time.monotonic()
    page.goto(url, timeout=timeout_ms, wait_until="commit")
    page.wait_for_selector(".ts-skeleton", state="visible", timeout=timeout_ms)
    note = time.monotonic() - t0
    page.wait_for_function("document.querySelector('.js-plotly-plot .main-svg')", timeout=timeout_ms, polling=50)
    return page, requests, note, time.monotonic() - t0
