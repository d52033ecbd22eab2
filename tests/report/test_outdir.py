"""Issue 12, defects 9 and 11 (output locations of ``report``): ``--out`` that is a file, a read-only or full
output location gave tracebacks; a week folder inside ``--out`` replaced by a symbolic link made the report write,
and delete old files, outside ``--out``. Now each is one line naming ``--out``, exit 2, and the previous report
(and whatever the link points at) is left byte for byte as it was.

The read-only and full locations are real file systems (a small tmpfs) when the tests run as root and may mount;
otherwise a read-only folder is a folder without write permission and a full disk is simulated.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from talentstats import report as report_mod
from talentstats.errors import UsageError
from talentstats.report import render_reports

from .helpers import W47, WEEK, tree

EXPORT = ("Reach Out ID,Campaign,Sender,State,Created At\n"
          "r1,Alpha,ann@x.io,2,2026-11-16T09:00:00Z\nr2,Beta,bo@x.io,3,2026-11-18T09:00:00Z\n")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def previous_report(out: Path) -> dict[str, bytes]:
    """A previous report in ``out`` (small stand-ins for its files): what must survive a failed run."""
    (out / WEEK).mkdir(parents=True, exist_ok=True)
    for name, text in (("weekly_report.html", "<html>old report</html>"), ("summary.json", '{"start": "x"}'),
                       ("weekly_report.ipynb", "{}")):
        (out / WEEK / name).write_text(text, encoding="utf-8")
    (out / "index.html").write_text("<html>old index</html>", encoding="utf-8")
    return tree(out)


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root only; skips when mounting is not possible here)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("talentstats: error: --out "), err
    for needle in needles:
        assert needle in err, (needle, err)


def test_out_that_is_a_file_is_one_line(export: Path, tmp_path: Path, cli):
    file = tmp_path / "reports"
    file.write_text("not a folder", encoding="utf-8")
    for out in (file, file / "sub"):
        code, _, err = cli("report", export, "--week", WEEK, "--format", "html", "--out", out)
        assert_one_line(code, err, "is a file")
    assert file.read_text(encoding="utf-8") == "not a folder"


def test_read_only_out_is_one_line_and_the_previous_report_stays(export: Path, tmp_path: Path, cli):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        with tmpfs(tmp_path / "ro", "1m") as out:
            before = previous_report(out)
            remount = subprocess.run(["mount", "-o", "remount,ro", str(out)], capture_output=True)
            if remount.returncode != 0:
                pytest.skip("cannot remount read-only here")
            code, _, err = cli("report", export, "--week", WEEK, "--format", "html", "--out", out)
            assert_one_line(code, err, "read-only")
            assert tree(out) == before
    else:
        out = tmp_path / "ro"
        before = previous_report(out)
        out.chmod(0o555)
        try:
            code, _, err = cli("report", export, "--week", WEEK, "--format", "html", "--out", out)
        finally:
            out.chmod(0o755)
        assert_one_line(code, err, "cannot write")
        assert tree(out) == before


def test_full_out_is_one_line_and_the_previous_report_stays(export: Path, tmp_path: Path, cli):
    """A real full disk: the snapshot fits, the report (the executed notebook and the page, plotly.js inline in
    each: ~3 MB) does not."""
    with tmpfs(tmp_path / "full", "2m") as out:
        before = previous_report(out)
        code, _, err = cli("report", export, "--week", WEEK, "--format", "html", "--out", out)
        assert_one_line(code, err, "No space left on device")
        assert tree(out) == before  # no temporary leftovers either


def test_full_disk_at_the_snapshot_is_one_line(export: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch):
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "out" / ".render-x"))

    monkeypatch.setattr(report_mod, "write_snapshot", full)
    before = previous_report(tmp_path / "out")
    code, _, err = cli("report", export, "--week", WEEK, "--format", "html", "--out", tmp_path / "out")
    assert_one_line(code, err, "No space left on device")
    assert tree(tmp_path / "out") == before


def test_a_week_folder_that_is_a_link_is_refused_and_nothing_outside_changes(export: Path, tmp_path: Path, cli):
    outside = tmp_path / "elsewhere"
    before_outside = previous_report(outside)  # would be overwritten, and its ipynb deleted (not asked for)
    out = tmp_path / "out"
    out.mkdir()
    (out / WEEK).symlink_to(outside / WEEK, target_is_directory=True)
    with pytest.raises(UsageError) as info:
        render_reports([export], out, start=W47[0], end=W47[1], formats=["html"])
    assert info.value.parameter == "out" and "link" in str(info.value)
    code, _, err = cli("report", export, "--week", WEEK, "--format", "html", "--out", out)
    assert_one_line(code, err, "link", str(outside))
    assert tree(outside) == before_outside
    assert sorted(p.name for p in out.iterdir()) == [WEEK]  # no index, no temporary folder left
