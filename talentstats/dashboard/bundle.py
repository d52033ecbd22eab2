"""plotly's FigureWidget front end, patched for the dashboard.

The dashboard's figures use plotly's FigureWidget front end (its anywidget ESM) with two changes:

- plotly sizes a FigureWidget once, when it is first drawn: in JupyterLab that is before the output has a width,
  so every figure stayed 700 px wide (clipped in a half-width column). The figures are "responsive"
  (:data:`FIGURE_CONFIG`) and a ResizeObserver redraws them at their container's width whenever it changes.
- every FigureWidget ships plotly's ~5 MB bundle and the browser loads it once per figure; anywidget gives each
  model 2 s for that and a model that misses the deadline silently drops every later update (the figure
  freezes). When served (``talentstats dashboard``), the bundle is imported from one URL instead
  (:data:`talentstats.dashboard.config.ENV_FIGURE_ESM`): loaded once per page and shared by all figures.
"""

from __future__ import annotations

import functools
import json
import re

from talentstats.dashboard.config import figure_esm_path, plotly_widget_bundle
from talentstats.fastimport import skip_iri_grammar

__all__ = ["FIGURE_CONFIG", "embedded_esm", "figure_widget_class"]

#: plotly config of every dashboard figure: no mode bar (it covered the chart titles; nothing on it is needed)
FIGURE_CONFIG = {"responsive": True, "displaylogo": False, "displayModeBar": False}

_RESIZING = """
function talentstatsResizing(factory) {
  return () => {
    const widget = factory();
    return {
      initialize: (context) => widget.initialize(context),
      render(context) {
        const cleanup = widget.render(context);
        const el = context.el;
        const observer = new ResizeObserver(() => el._responsiveChartHandler && el._responsiveChartHandler());
        observer.observe(el);
        return () => { observer.disconnect(); if (typeof cleanup === "function") cleanup(); };
      },
    };
  };
}
"""
_SHARED_ESM = """const config = document.getElementById("jupyter-config-data");
const base = (config && JSON.parse(config.textContent).baseUrl) || "/";
const bundle = await import(new URL(base + %s, window.location.origin).href);
""" + _RESIZING + """export default talentstatsResizing(bundle.default);
"""


def figure_widget_class() -> type:
    """The FigureWidget class of the dashboard's figures: plotly's, resizing with their container.

    When ``$TALENTSTATS_FIGURE_ESM`` names where the server serves plotly's widget bundle, the figures import it
    from there; otherwise each embeds the bundle itself (plain plotly FigureWidget if its exports cannot be
    wrapped).

    Returns:
        A subclass of ``plotly.graph_objects.FigureWidget`` (or that class itself).
    """
    return _figure_class(figure_esm_path())


@functools.cache
def _figure_class(served_at: str) -> type:
    skip_iri_grammar()  # (FigureWidget imports nbformat, hence jsonschema)
    import plotly.graph_objects as go  # heavy: plotly, only when a figure is made

    esm = _SHARED_ESM % json.dumps(served_at) if served_at else embedded_esm()
    if esm is None:
        return go.FigureWidget
    return type("DashboardFigureWidget", (go.FigureWidget,), {"_esm": esm, "__module__": __name__})


def embedded_esm() -> str | None:
    """plotly's bundle with its default export wrapped by ``talentstatsResizing``.

    Returns:
        The patched bundle text; None when the bundle is missing or its exports are not the expected shape.
    """
    try:
        text = plotly_widget_bundle().read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return None
    exports = list(re.finditer(r"export\s*\{([^{}]*)\}", text))
    if not exports:
        return None
    last = exports[-1]
    specs = [part.strip() for part in last.group(1).split(",") if part.strip()]
    default = [spec.split(" as ")[0].strip() for spec in specs if spec.endswith(" as default")]
    if len(default) != 1 or not re.fullmatch(r"[\w$]+", default[0]):
        return None
    others = ",".join(spec for spec in specs if not spec.endswith(" as default"))
    head = f"export{{{others}}};const talentstatsPlotlyWidget={default[0]};"
    return text[:last.start()] + head + text[last.end():] + _RESIZING + \
        "export default talentstatsResizing(talentstatsPlotlyWidget);\n"
