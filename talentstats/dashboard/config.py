"""How ``talentstats dashboard`` hands its arguments to the notebook's kernel: environment variables.

:mod:`talentstats.serve` sets them; :meth:`talentstats.dashboard.widget.Dashboard.from_paths` (through
:func:`load_arguments`) and :mod:`talentstats.dashboard.bundle` read them. Only the standard library here (and
:mod:`talentstats.samplepath`, likewise), so that serving imports neither the widget nor plotly.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# ENV_DATA: export files or folders, separated by os.pathsep; defined with the default data it overrides
from talentstats.samplepath import ENV_DATA, default_data

__all__ = ["ENV_DATA", "ENV_DEBUG", "ENV_FIGURE_ESM", "ENV_LOADED", "ENV_MESSAGES", "ENV_SOURCE_TZ", "ENV_TZ",
           "LoadArguments", "env_paths", "env_text", "figure_esm_path", "load_arguments", "loaded_file",
           "plotly_widget_bundle"]

#: message exports giving opens, separated by ``os.pathsep``
ENV_MESSAGES = "TALENTSTATS_MESSAGES"
#: report time zone (IANA name)
ENV_TZ = "TALENTSTATS_TZ"
#: time zone of export timestamps without a UTC offset
ENV_SOURCE_TZ = "TALENTSTATS_SOURCE_TZ"
#: set (to anything) to show how long each dashboard update took
ENV_DEBUG = "TALENTSTATS_DEBUG"
#: the exports as ``talentstats dashboard`` loaded them (a pickle it wrote in its private folder), read instead
ENV_LOADED = "TALENTSTATS_LOADED"
#: path (under the server's base URL) where the server serves plotly's FigureWidget bundle
ENV_FIGURE_ESM = "TALENTSTATS_FIGURE_ESM"


def env_paths(name: str) -> list[Path]:
    """Paths in an environment variable, separated by ``os.pathsep`` (like PATH).

    Args:
        name: the variable, e.g. :data:`ENV_DATA`.

    Returns:
        The paths, blank parts left out; ``[]`` when the variable is unset or blank.
    """
    return [Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p.strip()]


def env_text(name: str) -> str | None:
    """The value of an environment variable, None when unset or empty.

    Args:
        name: the variable, e.g. :data:`ENV_TZ`.

    Returns:
        The value as set, or None.
    """
    return os.environ.get(name) or None


@dataclass(frozen=True)
class LoadArguments:
    """What the dashboard loads, and in which time zones."""

    paths: Sequence[str | Path] | str | Path  #: export files or folders, or a dataset folder
    messages: Sequence[str | Path] | str | Path | None  #: message exports giving opens
    source_tz: str  #: time zone of timestamps without a UTC offset
    tz: str  #: report time zone


def load_arguments(paths: Sequence[str | Path] | str | Path | None = None,
                   messages: Sequence[str | Path] | str | Path | None = None, source_tz: str | None = None,
                   tz: str | None = None) -> LoadArguments:
    """The dashboard's arguments: those given, else the environment's, else the sample data and UTC.

    Args:
        paths: export files or folders; None or empty: :data:`ENV_DATA`, else
            :func:`talentstats.samplepath.default_data`.
        messages: message exports; None or empty: :data:`ENV_MESSAGES`, else none.
        source_tz: None or empty: :data:`ENV_SOURCE_TZ`, else UTC.
        tz: None or empty: :data:`ENV_TZ`, else UTC.

    Returns:
        The arguments to load with (time zones not checked).
    """
    if paths is None or paths == [] or paths == "":
        paths = env_paths(ENV_DATA) or [default_data()]
    if messages is None or messages == [] or messages == "":
        messages = env_paths(ENV_MESSAGES) or None
    return LoadArguments(paths, messages, source_tz or env_text(ENV_SOURCE_TZ) or "UTC",
                         tz or env_text(ENV_TZ) or "UTC")


def loaded_file() -> Path | None:
    """The file of :data:`ENV_LOADED`, when set and present (the dashboard was started by ``talentstats dashboard``).

    Returns:
        Its path, or None.
    """
    path = env_text(ENV_LOADED)
    return Path(path) if path and Path(path).is_file() else None


def figure_esm_path() -> str:
    """Where the server serves plotly's widget bundle (:data:`ENV_FIGURE_ESM`), relative to its base URL.

    Returns:
        A path without a leading slash; ``""`` when not served (each figure then embeds the bundle).
    """
    return os.environ.get(ENV_FIGURE_ESM, "").strip().lstrip("/")


def plotly_widget_bundle() -> Path:
    """plotly's FigureWidget front-end bundle (the anywidget ESM of every FigureWidget), found without importing
    plotly.

    Returns:
        The path of ``widgetbundle.js`` in the installed plotly package (it may be missing in other versions).

    Raises:
        ModuleNotFoundError: plotly is not installed.
    """
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("No module named 'plotly'", name="plotly")
    return Path(spec.origin).parent / "package_data" / "widgetbundle.js"
