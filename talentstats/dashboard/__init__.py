"""The interactive campaign dashboard (``talentstats dashboard``, ``notebooks/campaign_dashboard.ipynb``).

Modules: ``config`` (the environment variables ``talentstats dashboard`` hands to the notebook's kernel; standard
library only), ``cube`` (the numbers: a daily cube per time zone, sliced into statistics), ``activitycube`` and
``arrivalcube`` (the same for the activity view, the reply triangle and the steps), ``bundle`` (plotly's
FigureWidget front end, patched), ``text`` (what the tiles, lines and tables say), ``activitycharts`` (the activity
mode's figures), ``layout`` (the page), ``eventsview`` (the cohort/activity toggle, the triangle and the steps) and
``widget`` (:class:`Dashboard`: controls, events, updates).

:class:`Dashboard` is imported on first use (PEP 562), so that :mod:`talentstats.serve` imports
:mod:`talentstats.dashboard.config` without ipywidgets or plotly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["Dashboard"]

if TYPE_CHECKING:  # pragma: no cover
    from talentstats.dashboard.widget import Dashboard


def __getattr__(name: str) -> Any:
    if name == "Dashboard":
        importlib.import_module(".warm", __name__).wait()  # (a dashboard kernel may be importing it already)
        value = importlib.import_module(".widget", __name__).Dashboard  # heavy: ipywidgets, plotly, pandas
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
