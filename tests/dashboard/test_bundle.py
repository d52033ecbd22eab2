"""Tests of talentstats.dashboard.bundle: the figures resize with their container, and import plotly's bundle from
one URL when served."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest

from talentstats.dashboard.bundle import embedded_esm, figure_widget_class
from talentstats.dashboard.config import ENV_FIGURE_ESM

from .helpers import dashboard


def test_figures_resize_and_import_a_shared_bundle_when_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_FIGURE_ESM, raising=False)
    embedded = figure_widget_class()
    assert issubclass(embedded, go.FigureWidget) and embedded is not go.FigureWidget
    esm = embedded(go.Figure())._esm
    assert esm.count("export default") == 1 and esm.rstrip().endswith(
        "export default talentstatsResizing(talentstatsPlotlyWidget);")
    assert len(esm) > 1_000_000  # plotly's bundle itself
    monkeypatch.setenv(ENV_FIGURE_ESM, "voila/files/plotly-widgetbundle.js")
    served = figure_widget_class()
    assert issubclass(served, go.FigureWidget) and served is not embedded
    fig = served(go.Figure())
    assert '"voila/files/plotly-widgetbundle.js"' in fig._esm and len(fig._esm) < 2000
    assert dashboard().funnel._config["responsive"] is True


def test_the_embedded_bundle_keeps_plotlys_other_exports(monkeypatch: pytest.MonkeyPatch) -> None:
    esm = embedded_esm()
    assert esm is not None and "const talentstatsPlotlyWidget=" in esm
    missing = Path(go.__file__).with_name("missing.js")
    monkeypatch.setattr("talentstats.dashboard.bundle.plotly_widget_bundle", lambda: missing)
    assert embedded_esm() is None  # no bundle: plain FigureWidgets
