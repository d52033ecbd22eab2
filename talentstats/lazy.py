"""Heavy modules imported on first use, and imported ahead of time in the background.

``talentstats stats`` needs pandas only once an export has been parsed (by Arrow, in C++ threads that release the
GIL). Modules on that path take ``from talentstats.lazy import pandas as pd``: the name stands for the module and
imports it on first attribute access, through the normal (thread-safe) import system; :func:`warm` starts that
import in a background thread, so it overlaps with reading instead of delaying the first byte read.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any


class LazyModule:
    """A module imported when one of its attributes is first used (then a plain attribute lookup)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def warm(*names: str) -> threading.Thread:
    """Import ``names`` in a daemon thread (errors surface later, where the module is used)."""

    def run() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:  # pragma: no cover - reported where the module is needed
                return

    thread = threading.Thread(target=run, name="talentstats-warm", daemon=True)
    thread.start()
    return thread


pandas = LazyModule("pandas")
