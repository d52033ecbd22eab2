"""Tests of talentstats.serve: arguments checked and exports loaded before Voilà starts; data passed as
environment, never as code."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from talentstats import serve
from talentstats.dashboard.config import ENV_DATA, ENV_FIGURE_ESM, ENV_TZ
from talentstats.errors import InputError, UsageError

from .helpers import ROOT, free_port


def test_check_port_rejects_a_port_in_use() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port}: already in use") as err:
            serve.check_port(port)
    assert err.value.parameter == "port" and "--port" not in str(err.value)  # the library names its parameter
    with pytest.raises(UsageError, match="between 1 and 65535") as err:
        serve.check_port(70000)
    assert err.value.parameter == "port" and err.value.value == 70000


def test_serve_fails_on_a_missing_file_before_starting_voila(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def no_voila(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Voilà must not start")

    monkeypatch.setattr(serve.subprocess, "Popen", no_voila)
    with pytest.raises(InputError, match="missing.csv"):
        serve.serve_dashboard([tmp_path / "missing.csv"], port=free_port())
    with pytest.raises(UsageError, match="unknown time zone"):
        serve.serve_dashboard([ROOT / "sample_data"], port=free_port(), tz="Mars/Base")


def test_cli_dashboard_errors_are_one_line(cli: Any, tmp_path: Path) -> None:
    code, out, err = cli("dashboard", tmp_path / "missing.csv", "--port", free_port())
    assert code == 2 and out == ""
    assert err.startswith("talentstats: error: ") and "missing.csv" in err and len(err.strip().splitlines()) == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        code, out, err = cli("dashboard", ROOT / "sample_data", "--port", s.getsockname()[1])
    assert code == 2 and "already in use" in err and len(err.strip().splitlines()) == 1
    assert "--port" in err  # the CLI names the flag


def test_serve_passes_data_as_environment_never_as_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    class FakeProcess:
        def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
            calls.append((cmd, env))
            self.root = Path(cmd[3]).parent
            assert (self.root / serve.NOTEBOOK_NAME).exists() and (self.root / serve.BUNDLE_NAME).exists()

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(serve.subprocess, "Popen", FakeProcess)
    weird = tmp_path / "it's \"odd\"; import os"
    weird.mkdir()
    (weird / "reach_outs.csv").write_bytes((ROOT / "sample_data" / "reach_outs.csv").read_bytes())
    port = free_port()
    assert serve.serve_dashboard([weird], port=port, tz="Europe/Berlin") == 0
    (cmd, env), = calls
    assert env[ENV_DATA] == str(weird.resolve()) and env[ENV_TZ] == "Europe/Berlin"
    assert env[ENV_FIGURE_ESM] == f"voila/files/{serve.BUNDLE_NAME}"
    assert f"--port={port}" in cmd and "--Voila.ip=127.0.0.1" in cmd and "--Voila.port_retries=0" in cmd
    assert not any(str(weird) in part for part in cmd)
    notebook = (ROOT / "talentstats" / "notebooks" / serve.NOTEBOOK_NAME).read_text()
    assert str(weird) not in notebook
