"""Progress on stderr (talentstats.progress): drawn only on a terminal, never with --quiet, showing the step under
way; the report command prints each finished week at once."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from talentstats import progress as progress_mod
from talentstats.progress import Progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def drawn(buffer: io.StringIO) -> str:
    return ANSI.sub("", buffer.getvalue())


def run_steps(bar: Progress) -> None:
    with bar:
        for text in ("Loading the exports", "2026-W47: notebook", "2026-W47: PDF"):
            bar.step(text)
            time.sleep(0.15)  # (rich redraws ten times a second)
        bar.advance()


def test_not_a_terminal_shows_nothing():
    buffer = io.StringIO()  # (isatty() is False)
    bar = Progress("Weekly report", file=buffer, total=1)
    run_steps(bar)
    assert not bar.enabled and buffer.getvalue() == ""


def test_quiet_shows_nothing_even_on_a_terminal():
    buffer = io.StringIO()
    bar = Progress("Weekly report", quiet=True, file=buffer, force=True)
    run_steps(bar)
    assert not bar.enabled and buffer.getvalue() == ""


def test_a_terminal_shows_each_step_then_clears_the_line():
    buffer = io.StringIO()
    bar = Progress("Weekly report", file=buffer, force=True, total=1)
    run_steps(bar)
    text = drawn(buffer)
    for step in ("Weekly report: Loading the exports", "Weekly report: 2026-W47: notebook",
                 "Weekly report: 2026-W47: PDF"):
        assert step in text, text
    assert "1/1" in text


def test_a_delay_leaves_a_quick_command_silent():
    buffer = io.StringIO()
    with Progress("Ingesting", file=buffer, force=True, delay=1.0) as bar:
        bar.step("merging")
    time.sleep(1.2)
    assert buffer.getvalue() == ""


def test_echo_prints_results_on_stdout_while_the_line_shows(capsys: pytest.CaptureFixture[str]):
    buffer = io.StringIO()
    with Progress("Weekly report", file=buffer, force=True) as bar:
        bar.step("2026-W46: PDF")
        bar.echo("2026-W46: out/2026-W46/weekly_report.html (3.1 s)")
        bar.step("2026-W47: notebook")
        time.sleep(0.15)
    assert capsys.readouterr().out == "2026-W46: out/2026-W46/weekly_report.html (3.1 s)\n"
    assert "2026-W47: notebook" in drawn(buffer)


@pytest.mark.slow
def test_report_progress_on_a_terminal_and_quiet(tmp_path: Path, cli: Callable, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch):
    from talentstats import report as report_mod

    export = tmp_path / "export.csv"
    export.write_text("Reach Out ID,Campaign,Sender,State,Created At\n"
                      "r0,Alpha,ann@x.io,0,2026-11-03T09:00:00Z\n"
                      "r1,Alpha,ann@x.io,2,2026-11-09T09:00:00Z\nr2,Beta,bo@x.io,3,2026-11-18T09:00:00Z\n",
                      encoding="utf-8")
    monkeypatch.setattr(progress_mod, "stderr_is_terminal", lambda: True)
    printed_before: list[str] = []
    drawn_before: list[str] = []  # (reading the capture takes stderr too)
    real_execute = report_mod.execute_notebook

    def execute(parameters, output, **kwargs):
        captured = capsys.readouterr()
        printed_before.append(captured.out)  # what stdout had when this week began
        drawn_before.append(captured.err)
        return real_execute(parameters, output, **kwargs)

    monkeypatch.setattr(report_mod, "execute_notebook", execute)
    code, out, err = cli("report", export, "--week", "2026-W47", "--weeks", "3", "--out", tmp_path / "out",
                         "--format", "ipynb")
    assert code == 0, err
    # each week printed as soon as its files are in place: W45's while W46's notebook ran (the files of a week are
    # written while the next week's notebook runs), so before the third week's notebook begins
    assert printed_before[0] == "" and printed_before[2].startswith("2026-W45: ")
    assert [line.split(" ")[0] for line in out.splitlines()] == ["2026-W46:", "2026-W47:", "index:"]
    shown = ANSI.sub("", "".join(drawn_before) + err)
    for step in ("Weekly report: 2026-W45: notebook", "Weekly report: 2026-W46: notebook",
                 "Weekly report: 2026-W47: notebook"):
        assert step in shown, shown
    printed_before.clear()
    code, out, err = cli("report", export, "--week", "2026-W47", "--out", tmp_path / "out", "--format", "ipynb",
                         "--quiet")
    assert code == 0 and err == ""
    assert out.splitlines()[-1].startswith("index: ")
