"""The dashboard kernel's head start: while the browser loads the page's scripts, a background thread imports the
dashboard's modules and reads the exports as the server loaded them (:func:`start`, called by
:mod:`talentstats.dashboard.kernel` once the kernel is up). :func:`wait` joins it before the notebook imports
anything heavy (two threads importing the same modules at once could meet half-made modules).

Standard library only.
"""

from __future__ import annotations

import importlib
import pickle
import threading
from typing import Any

from talentstats.dashboard.config import loaded_file
from talentstats.fastimport import skip_iri_grammar

__all__ = ["start", "taken", "wait"]

_thread: threading.Thread | None = None
_result: dict[str, Any] = {}


def _warm() -> None:
    skip_iri_grammar()
    widget = importlib.import_module("talentstats.dashboard.widget")  # pandas, plotly, ipywidgets, the cubes
    widget.figure_widget_class()  # (the figures' class, made once: ~0.25 s; no widget is made here)
    importlib.import_module("talentstats.present.charts.figure").chart_template()  # (the charts' template, made once)

    path = loaded_file()
    if path is not None:
        with path.open("rb") as f:  # written by talentstats.serve in its private folder
            _result[str(path)] = pickle.load(f)  # noqa: S301


def start() -> None:
    """Start warming up in a background thread (once)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_warm, name="talentstats-warm", daemon=True)
        _thread.start()


def wait() -> None:
    """Wait until the warm-up (if started) is done."""
    if _thread is not None:
        _thread.join()


def taken(path: str) -> Any:
    """The loaded exports read from ``path`` by the warm-up, handed over once.

    Args:
        path: the pickle's path (:func:`talentstats.dashboard.config.loaded_file`).

    Returns:
        (table, report, messages), or None when the warm-up did not read that file.
    """
    wait()
    return _result.pop(path, None)
