"""A report that cannot be rendered: one readable line naming the cell and the error, the previous report and
the index left as they were, the failed notebook kept; arguments checked before anything is read."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from talentstats import report as report_mod
from talentstats.errors import UsageError
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.report import ReportError, failure_message, render_period, render_reports, write_snapshot

from .helpers import W47, WEEK, slow, tree


def fresh_copy(previous: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    data, out = previous
    shutil.copytree(data, tmp_path / "data")
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "data", tmp_path / "out"


def assert_previous_intact(before: dict[str, bytes], out: Path) -> nbformat.NotebookNode:
    """Every earlier file byte-identical, the failed notebook kept next to them, no temporary leftovers."""
    after = tree(out)
    kept = f"{WEEK}/weekly_report.failed.ipynb"
    assert {k: v for k, v in after.items() if k not in (kept, kept.replace(".ipynb", ".log"))} == before
    assert kept in after
    assert not [k for k in after if "/." in k or k.startswith(".")]
    return nbformat.reads(after[kept].decode(), as_version=4)


@slow
def test_data_vanishing_mid_run_fails_readably_and_keeps_the_previous_report(
        previous_report, tmp_path: Path, cli: Callable, monkeypatch: pytest.MonkeyPatch):
    data, out = fresh_copy(previous_report, tmp_path)
    before = tree(out)
    real_execute = report_mod.execute_notebook

    def vanish_then_execute(parameters, *args, **kwargs):
        Path(parameters["snapshot"]).unlink()  # after the command wrote it, before the notebook reads it
        return real_execute(parameters, *args, **kwargs)

    monkeypatch.setattr(report_mod, "execute_notebook", vanish_then_execute)
    code, stdout, err = cli("report", data / "reach_outs.csv", "--messages", data / "messages.csv", "--week", WEEK,
                            "--out", out, "--format", "html,pdf,ipynb")
    assert code == 1
    assert err.count("\n") == 1, err  # one readable line
    assert "notebook failed in cell 'header', line 5: report = WeeklyReport.from_parameters(" in err
    assert "InputError: " in err and "snapshot.arrow: file not found" in err
    assert f"executed notebook kept at {out / WEEK / 'weekly_report.failed.ipynb'}" in err
    kept = assert_previous_intact(before, out)
    assert any(o.get("ename") == "InputError" for c in kept.cells if c.cell_type == "code" for o in c.outputs)


@slow
def test_notebook_error_from_a_bad_parameter_keeps_the_previous_report(previous_report, tmp_path: Path):
    data, out = fresh_copy(previous_report, tmp_path)
    before = tree(out)
    options = LoadOptions(messages=[data / "messages.csv"])
    snapshot = write_snapshot(load([data / "reach_outs.csv"], options), tmp_path / "snapshot.parquet")
    with pytest.raises(ReportError) as info:
        render_period(snapshot, out, *W47, options=options, tz="Mars/Olympus", formats=["html", "pdf"])
    message = str(info.value)
    assert "\n" not in message
    assert "cell 'header', line 5: report = WeeklyReport.from_parameters(" in message  # the cell's line
    assert "-> UsageError: tz 'Mars/Olympus': unknown time zone" in message
    assert_previous_intact(before, out)


@pytest.mark.parametrize(("arguments", "parameter"), [
    ({"formats": "html,docx"}, "formats"),
    ({"formats": " , "}, "formats"),
    ({"paper": "A3"}, "paper"),
    ({"weeks": 0}, "weeks"),
    ({"tz": "Mars/Olympus"}, "tz"),
    ({"week": "2026-W99"}, None),
    ({"start": "2026-11-16"}, None),
    ({"start": "2026-11-16", "end": "16/11/2026"}, "end"),
])
def test_arguments_are_checked_before_anything_is_read(tmp_path: Path, arguments: dict, parameter: str | None):
    with pytest.raises(UsageError) as info:  # (the export does not exist: reading it would be an InputError)
        render_reports([tmp_path / "missing.csv"], tmp_path / "out", **arguments)
    assert info.value.parameter == parameter
    assert not (tmp_path / "out").exists()


def test_failure_message_names_the_cell_the_line_and_the_error(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1\nreport = load()\n")
    cell.id = "header"
    cell.metadata["papermill"] = {"exception": True}
    nb.cells = [nbformat.v4.new_code_cell("y = 2"), cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    traceback = ["\x1b[0;31m---------\x1b[0m", "File zoneinfo.py:12, in load()\n---> 12 return resources.files()\n",
                 "Cell \x1b[0;32mIn[3], line 2\x1b[0m\n\x1b[0;32m----> 2\x1b[0m "
                 "report \x1b[38;5;241m=\x1b[39m load()\n", "File x.py:5, in load()\n----> 5 raise InputError()\n",
                 "InputError: x.csv: file not found"]
    message = failure_message(path, "InputError", "x.csv: file not found\nmore detail", traceback)
    assert message == ("weekly report notebook failed in cell 'header', line 2: report = load() -> "
                       "InputError: x.csv: file not found")
