"""Issue 12, defect 6: the dashboard server answered any Host (``Host: evil.example`` got the page, and the kernel
websocket when the Origin matched: DNS rebinding exposed the data), and every unauthenticated ``GET /`` started a
kernel of ~210 MB, culled only after 600 s.

Now (``talentstats dashboard``, Voilà with :mod:`talentstats.dashboard.guard`): requests for a foreign Host or
from a foreign Origin get 403 before anything starts; a token is asked for when given (and generated when bound
beyond localhost); kernels are capped (503 beyond) and culled after two idle minutes. The live tests start one
real server (~10 s) and send raw HTTP requests.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from talentstats import serve
from talentstats.errors import UsageError

from .helpers import ROOT, free_port

TOKEN = "tok-safe-12345"
KERNEL = "/api/kernels/00000000-0000-0000-0000-000000000000"


class Server:
    """``talentstats dashboard sample_data --port N ARGS…`` in the background."""

    def __init__(self, home: Path, *args: str) -> None:
        self.port = free_port()
        env = {**os.environ, "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
               "JUPYTER_CONFIG_DIR": str(home / "config"), "IPYTHONDIR": str(home / "ipython"),
               "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "talentstats.cli", "dashboard", str(ROOT / "sample_data"), "--port",
             str(self.port), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"talentstats dashboard exited: {self.process.communicate()[0]}")
            try:
                if self.request("GET", "/voila/static/favicon.ico")[0] in (200, 404):
                    return
            except OSError:
                time.sleep(0.3)
        pytest.fail("the dashboard server did not start within 60 s")

    def request(self, method: str, path: str, host: str | None = None, timeout: float = 90,
                **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, headers={"Host": host or f"127.0.0.1:{self.port}",
                                                **{k.replace("_", "-"): v for k, v in headers.items()}})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def kernels(self) -> int:
        """Kernels running under the server."""
        children = psutil.Process(self.process.pid).children(recursive=True)
        # (ipykernel's launcher, or the dashboard's own kernel module when served by talentstats dashboard)
        return sum(1 for p in children if {"ipykernel_launcher", "talentstats.dashboard.kernel"} & set(p.cmdline()))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The dashboard as anyone starts it: no flags beyond the port."""
    s = Server(tmp_path_factory.mktemp("jupyter"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """With a token, one more allowed host and room for one dashboard."""
    s = Server(tmp_path_factory.mktemp("jupyter"), "--max-kernels", "1", "--token", TOKEN, "--allow-host",
               "dash.test")
    yield s
    s.stop()


def websocket_upgrade(server: Server, host: str, origin: str) -> int:
    return server.request("GET", f"{KERNEL}/channels?token={TOKEN}", host=host, Origin=origin, Connection="Upgrade",
                          Upgrade="websocket", Sec_WebSocket_Version="13",
                          Sec_WebSocket_Key="dGhlIHNhbXBsZSBub25jZQ==")[0]


def test_a_foreign_host_is_refused_before_any_kernel_starts(server: Server):
    evil = f"evil.example:{server.port}"
    t0 = time.monotonic()
    assert server.request("GET", "/", host=evil)[0] == 403
    assert time.monotonic() - t0 < 5  # refused at once, no notebook executed
    # DNS rebinding: the kernel API, and the kernel websocket with a matching Origin
    assert websocket_upgrade(server, evil, f"http://{evil}") == 403
    assert server.request("GET", KERNEL, host=evil)[0] == 403
    assert server.request("GET", KERNEL, host=f"localhost:{server.port}")[0] == 404  # a local name: answered
    assert server.kernels() == 0


def test_a_foreign_origin_is_refused(server: Server):
    local = f"127.0.0.1:{server.port}"
    assert server.request("GET", KERNEL, Origin="http://evil.example")[0] == 403
    assert server.request("GET", KERNEL, Origin="null")[0] == 403
    assert websocket_upgrade(server, local, "http://evil.example") == 403
    assert server.request("GET", KERNEL, Origin=f"http://{local}")[0] == 404  # its own origin: answered


def test_the_token_is_required_and_allowed_hosts_answer(guarded: Server):
    server = guarded
    assert server.request("GET", f"/?token={TOKEN}", host=f"evil.example:{server.port}")[0] == 403
    status, headers, _ = server.request("GET", "/", host=f"dash.test:{server.port}")
    assert status in (302, 403) and (status == 403 or "/login" in headers.get("Location", ""))
    assert server.request("GET", f"{KERNEL}?token=wrong-token-1", host=f"dash.test:{server.port}")[0] == 403
    assert server.request("GET", f"{KERNEL}?token={TOKEN}", host=f"dash.test:{server.port}")[0] == 404
    assert server.request("GET", f"{KERNEL}?token={TOKEN}", host=f"localhost:{server.port}")[0] == 404
    assert server.kernels() == 0


def test_kernels_are_capped(guarded: Server):
    server = guarded
    status, _, body = server.request("GET", f"/?token={TOKEN}")
    assert status == 200 and b"ts-skeleton" in body, body[-500:]  # the page (its cells run once it has loaded)
    assert server.kernels() == 1
    t0 = time.monotonic()
    status, _, body = server.request("GET", f"/?token={TOKEN}")
    assert status == 503 and b"dashboards are open" in body and time.monotonic() - t0 < 5
    assert server.kernels() == 1


# --------------------------------------------------------------------------------------------- without a server


def test_voila_runs_guarded_with_a_short_cull_and_no_secret_on_its_command_line():
    cmd = serve.voila_command(8866, Path("nb.ipynb"), "0.0.0.0", ["localhost", "dash.test"], 3, token=True)
    assert "--Voila.ip=0.0.0.0" in cmd and "--CappedKernelManager.max_kernels=3" in cmd
    assert "--Voila.identity_provider_class=talentstats.dashboard.guard.GuardedIdentityProvider" in cmd
    assert "--GuardedIdentityProvider.allowed_hosts=dash.test" in cmd and "--Voila.auto_token=True" in cmd
    cull = next(int(c.split("=")[1]) for c in cmd if c.startswith("--MappingKernelManager.cull_idle_timeout="))
    assert 0 < cull <= 120
    assert "--Voila.ip=127.0.0.1" in serve.voila_command(8866)


class FakeProcess:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        FakeProcess.calls.append((cmd, env))

    def wait(self, timeout: float | None = None) -> int:
        return 0


def test_bound_beyond_localhost_it_warns_and_generates_a_token(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(serve.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(serve, "check_port", lambda *args: None)
    FakeProcess.calls.clear()
    assert serve.serve_dashboard([ROOT / "sample_data"], port=18999, bind="0.0.0.0", allow_hosts=["Dash.Test"]) == 0
    out, err = capsys.readouterr()
    assert "warning: the dashboard is reachable from other machines on 0.0.0.0:18999" in err
    (cmd, env), = FakeProcess.calls
    token = env["JUPYTER_TOKEN"]
    assert len(token) >= 24 and f"http://dash.test:18999/?token={token}" in out
    assert not any(token in part for part in cmd) and "--GuardedIdentityProvider.allowed_hosts=dash.test" in cmd
    FakeProcess.calls.clear()
    monkeypatch.setenv("JUPYTER_TOKEN", "inherited-token")
    assert serve.serve_dashboard([ROOT / "sample_data"], port=18999) == 0
    out, err = capsys.readouterr()
    (cmd, env), = FakeProcess.calls
    assert err == "" and "http://127.0.0.1:18999/ " in out and "JUPYTER_TOKEN" not in env
    assert "--Voila.auto_token=True" not in cmd


@pytest.mark.parametrize(("args", "flag"), [
    (["--bind", "everywhere"], "--bind 'everywhere'"),
    (["--allow-host", "http://x.example"], "--allow-host 'http://x.example'"),
    (["--allow-host", "*.example.com"], "--allow-host '*.example.com'"),
    (["--token", "short"], "--token"),
    (["--max-kernels", "0"], "--max-kernels 0"),
])
def test_bad_server_arguments_are_one_line_naming_the_flag(cli, args: list[str], flag: str):
    code, out, err = cli("dashboard", ROOT / "sample_data", "--port", free_port(), *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and f"error: {flag}" in err, err
    assert "short" not in err  # a token is never echoed


def test_host_rules():
    from talentstats.dashboard.access import allowed_hosts, host_allowed, origin_allowed

    hosts = allowed_hosts("0.0.0.0", ["dash.test"])
    assert host_allowed("localhost:8866", hosts) and host_allowed("[::1]:8866", hosts)
    assert host_allowed("127.0.0.2:8866", hosts) and host_allowed("DASH.TEST:1", hosts)
    assert not host_allowed("evil.example:8866", hosts) and not host_allowed("192.168.1.5", hosts)
    assert not host_allowed("localhost.evil.example", hosts) and not host_allowed(None, hosts)
    assert host_allowed("192.168.1.5:80", allowed_hosts("192.168.1.5"))  # the address it is bound to
    assert origin_allowed(None, "localhost:1") and origin_allowed("http://localhost:1", "localhost:1")
    assert not origin_allowed("http://localhost:2", "localhost:1") and not origin_allowed("null", "localhost:1")
    assert not origin_allowed("file://", "localhost:1")


def test_check_port_speaks_ipv6():
    with socket.socket(socket.AF_INET6) as s:
        try:
            s.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        s.listen()
        with pytest.raises(UsageError, match="already in use"):
            serve.check_port(s.getsockname()[1], "::1")
