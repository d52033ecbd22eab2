"""The packaged notebook: executed outputs stored small and tagged for nbval, and parameters built around
LoadOptions and the snapshot of a report run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from talentstats.load.options import LoadOptions
from talentstats.report import packaged_notebook

from .helpers import REPO, quiet_env, sample_dir, slow


def test_packaged_notebook_is_executed_small_and_tagged():
    path = packaged_notebook()
    assert path.is_file() and "talentstats" in path.parts
    assert path.stat().st_size < 1_000_000
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata["tags"] and not code[0].outputs
    for cell in code[1:]:
        tags = cell.metadata.get("tags", [])
        assert cell.outputs, cell.id
        assert ("nbval-check-output" in tags) != ("nbval-ignore-output" in tags), cell.id
        charts = any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in cell.outputs)
        assert charts == ("nbval-ignore-output" in tags), cell.id
    text = path.read_text(encoding="utf-8")
    assert "plotly.js v" not in text and "injected-parameters" not in text  # small renderer, no run metadata
    assert '"papermill": {' not in text and "start_time" not in text
    kpis = next(c for c in code if c.id == "kpis").outputs[0]["data"]["text/html"]
    assert 'data-metric="reach_outs"' in kpis and 'ts-kpi-value">503<' in kpis  # the sample's latest week


@slow
def test_stored_outputs_pass_nbval_and_a_changed_number_fails(tmp_path: Path):
    tampered = tmp_path / "notebooks" / "weekly_report.ipynb"
    tampered.parent.mkdir()
    (tmp_path / "sample_data").symlink_to(sample_dir())
    nb = nbformat.read(packaged_notebook(), as_version=4)
    kpis = next(c for c in nb.cells if c.get("id") == "kpis").outputs[0]["data"]
    assert kpis["text/html"].count('ts-kpi-value">503<') == 1
    kpis["text/html"] = kpis["text/html"].replace('ts-kpi-value">503<', 'ts-kpi-value">504<')
    nbformat.write(nb, tampered)
    def nbval(notebook: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
               "--nbval-sanitize-with", str(REPO / "notebooks" / "sanitize.cfg"), "-rf", notebook]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=Path(notebook).parent.parent, env=quiet_env(tmp_path))

    runs = [nbval(str(REPO / "notebooks" / "weekly_report.ipynb")), nbval(str(tampered))]  # in parallel
    (committed, _), (changed, _) = (run.communicate(timeout=300) for run in runs)
    assert runs[0].returncode == 0 and re.search(r"\b18 passed\b", committed), committed[-3000:]
    assert runs[1].returncode == 1 and re.search(r"\b1 failed, 17 passed\b", changed), changed[-3000:]
    assert "::Cell 2 - " in changed and "-value\">504</div>" in changed  # the KPI cell, the changed number



def test_parameters_are_the_load_options_and_the_snapshot():
    nb = nbformat.read(packaged_notebook(), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = {t.id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}
    assert list(names) == ["data", "options", "snapshot", "week", "start", "end", "tz", "campaigns", "title",
                           "include_pii"]
    assert LoadOptions.from_parameters(names["options"]) == LoadOptions()
    options = LoadOptions(messages=["m.csv"], mapping={"Thread Ref": "reach_out_id"}, source_tz="Europe/Berlin",
                          sheet=1, dayfirst=True)
    assert LoadOptions.from_parameters(options.to_parameters()) == options  # what a report run passes
