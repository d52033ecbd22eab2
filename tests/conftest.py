"""Shared fixtures: write small literal export files into tmp_path, load them with the accounting checked,
and run the CLI in-process."""

from __future__ import annotations

import gzip
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from talentstats.load.accounting import Loaded, LoadReport
from talentstats.load.columns import CANONICAL
from talentstats.load.loader import read_reach_outs


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write("a.csv", text)``: dedented text (or bytes) written under tmp_path; ``.gz`` names are gzipped."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8", bom: bool = False) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else textwrap.dedent(content).lstrip("\n").encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        if name.endswith(".gz"):
            data = gzip.compress(data)
        path.write_bytes(data)
        return path

    return _write


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: end-to-end renders and browser runs (seconds each); CI runs them too")


def check_accounting(report: LoadReport) -> None:
    """Every input row is loaded, rejected or collapsed as a duplicate (reach outs and messages alike)."""
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.duplicates_collapsed
    if report.messages is not None:
        m = report.messages
        assert m.rows_read == m.rows_loaded + m.rows_rejected + m.duplicates_collapsed


@pytest.fixture
def load() -> Callable[..., Loaded]:
    """``read_reach_outs`` plus the invariants every load must keep."""

    def _load(paths, **kwargs) -> Loaded:
        loaded = read_reach_outs(paths, **kwargs)
        check_accounting(loaded.report)
        assert list(loaded.table.columns) == list(CANONICAL)
        assert len(loaded.table) == loaded.report.rows_loaded
        assert loaded.table["reach_out_id"].is_unique
        assert str(loaded.table["created_at"].dtype) == "datetime64[us, UTC]"
        assert str(loaded.table["state"].dtype) == "int8"
        return loaded

    return _load


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``cli("stats", path, ...)`` -> (exit code, stdout, stderr), run in-process; never a traceback."""
    from talentstats.cli import main

    def _run(*args: object) -> tuple[int, str, str]:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as ex:
            code = int(ex.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return _run
