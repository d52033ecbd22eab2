"""Tests of talentstats.dashboard.config and talentstats.samplepath: the environment ``talentstats dashboard``
hands to the notebook's kernel, read without the widget or plotly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from talentstats.dashboard.config import (
    ENV_DATA,
    ENV_FIGURE_ESM,
    ENV_TZ,
    env_paths,
    env_text,
    figure_esm_path,
    plotly_widget_bundle,
)
from talentstats.samplepath import default_data

from .helpers import ROOT


def test_env_paths_split_like_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DATA, os.pathsep.join(["a.csv", " ", "dir/b.csv", ""]))
    assert env_paths(ENV_DATA) == [Path("a.csv"), Path("dir/b.csv")]
    monkeypatch.setenv(ENV_DATA, "")
    assert env_paths(ENV_DATA) == []
    monkeypatch.delenv(ENV_DATA)
    assert env_paths(ENV_DATA) == []


def test_env_text_and_the_served_bundle_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TZ, "")
    assert env_text(ENV_TZ) is None
    monkeypatch.setenv(ENV_TZ, "Asia/Tokyo")
    assert env_text(ENV_TZ) == "Asia/Tokyo"
    monkeypatch.setenv(ENV_FIGURE_ESM, " /voila/files/plotly-widgetbundle.js ")
    assert figure_esm_path() == "voila/files/plotly-widgetbundle.js"
    monkeypatch.delenv(ENV_FIGURE_ESM)
    assert figure_esm_path() == ""


def test_plotly_widget_bundle_is_found_without_importing_plotly() -> None:
    import plotly

    assert plotly_widget_bundle() == Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
    assert plotly_widget_bundle().exists()


def test_default_data_follows_the_environment_then_sample_data(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_DATA, str(tmp_path / "x.csv"))
    assert default_data() == tmp_path / "x.csv"
    monkeypatch.delenv(ENV_DATA)
    monkeypatch.chdir(ROOT)
    assert default_data() == Path("sample_data")
    monkeypatch.chdir(ROOT / "talentstats")
    assert default_data() == Path("..") / "sample_data"


def test_serving_imports_neither_the_widget_nor_plotly() -> None:
    code = ("import json, sys; import talentstats.serve; print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('plotly', 'ipywidgets', 'pandas', 'pyarrow', 'numpy') "
            "or m.startswith(('talentstats.dashboard.', 'talentstats.weekly', 'talentstats.load')))))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout) == ["talentstats.dashboard.access", "talentstats.dashboard.config",
                                      "talentstats.dashboard.page"]  # standard library only
