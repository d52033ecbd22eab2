"""Serve the campaign dashboard notebook as a web app with Voilà (``talentstats dashboard``), on localhost unless
told otherwise.

The data reaches the notebook's kernel as environment variables (``TALENTSTATS_DATA`` and friends, read by
:meth:`talentstats.dashboard.widget.Dashboard.from_paths`), never as code. The exports are loaded once here first,
so a missing or unreadable file fails with the loader's one-line error before any server starts. Serving imports
:mod:`talentstats.dashboard.config` and :mod:`~talentstats.dashboard.access` only, never the widget or plotly.

The server is safe to leave running: it answers only requests for its own names (``localhost``, loopback
addresses, the address it is bound to, ``allow_hosts``) from its own pages (:mod:`talentstats.dashboard.guard`),
asks for a token when it is reachable from other machines, runs at most ``max_kernels`` kernels and culls one
whose page is gone after :data:`CULL_IDLE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from talentstats.dashboard.access import DEFAULT_BIND, LOCAL_HOSTS, allowed_hosts, check_bind, is_local
from talentstats.dashboard.config import (
    ENV_DATA,
    ENV_FIGURE_ESM,
    ENV_LOADED,
    ENV_MESSAGES,
    ENV_SOURCE_TZ,
    ENV_TZ,
    plotly_widget_bundle,
)
from talentstats.dashboard.page import TEMPLATE_NAME, prepare_notebook, write_kernelspec, write_template
from talentstats.errors import UsageError
from talentstats.samplepath import default_data
from talentstats.stats.periods import zone

__all__ = ["BUNDLE_NAME", "CULL_IDLE_SECONDS", "HOST", "MAX_KERNELS", "NOTEBOOK_NAME", "check_max_kernels",
           "check_port", "check_token", "dashboard_env", "dashboard_notebook", "prepare_root", "serve_dashboard",
           "voila_command"]

NOTEBOOK_NAME = "campaign_dashboard.ipynb"
BUNDLE_NAME = "plotly-widgetbundle.js"
#: the loaded exports, handed to the kernel (read in a fraction of a second instead of parsing the exports again)
LOADED_NAME = "loaded.pickle"
#: the notary's folder (key and signatures) inside the served folder
TRUST_DIR = "trust"
HOST = DEFAULT_BIND
#: kernels (open dashboards) at most at once, by default
MAX_KERNELS = 4
#: a kernel idle this long with no page connected (closed without telling the server, or a bare GET) is culled
CULL_IDLE_SECONDS = 120
_CULL_INTERVAL_SECONDS = 30


def dashboard_notebook() -> Path:
    """The dashboard notebook shipped inside the package.

    Returns:
        Its path.
    """
    return Path(str(resources.files("talentstats") / "notebooks" / NOTEBOOK_NAME))


def check_port(port: int, host: str = HOST) -> None:
    """Check that ``port`` is a valid TCP port that is free on ``host``.

    Args:
        port: the port.
        host: the address to listen on.

    Raises:
        UsageError: (naming ``port``) out of range, already in use, or not available.
    """
    if not 1 <= int(port) <= 65535:
        raise UsageError("choose a port between 1 and 65535", parameter="port", value=port)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no conflict
        try:
            s.bind((host, int(port)))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise UsageError(f"already in use on {host}", parameter="port", value=port,
                                 hint="choose another")
            raise UsageError(f"cannot listen on {host}: {err.strerror or err}", parameter="port", value=port)


def check_token(token: str | None) -> str | None:
    """A token given by the user: at least 8 characters, letters, digits and ``-_.~`` only (it goes in URLs).

    Raises:
        UsageError: a shorter or other token (naming the parameter ``token``).
    """
    if token is None:
        return None
    if not re.fullmatch(r"[A-Za-z0-9._~-]{8,}", token):
        raise UsageError("use at least 8 letters, digits or -_.~", parameter="token", value="…")
    return token


def check_max_kernels(max_kernels: int) -> int:
    """The cap on kernels at once, checked: a whole number of at least 1.

    Raises:
        UsageError: anything else (naming the parameter ``max_kernels``).
    """
    if isinstance(max_kernels, bool) or not isinstance(max_kernels, int) or max_kernels < 1:
        raise UsageError("must be a whole number of at least 1", parameter="max_kernels", value=max_kernels)
    return max_kernels


def dashboard_env(files: Sequence[str | Path], messages: Sequence[str | Path] = (), tz: str = "UTC",
                  source_tz: str = "UTC", base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Voilà and its kernels: ``base`` plus the variables of
    :mod:`talentstats.dashboard.config`.

    Args:
        files: export files or folders; made absolute (the kernel runs in the notebook's folder) and joined with
            ``os.pathsep``.
        messages: message exports, likewise.
        tz: report time zone.
        source_tz: time zone of timestamps without a UTC offset.
        base: the environment to extend (default ``os.environ``).

    Returns:
        A new environment mapping.
    """
    env = dict(os.environ if base is None else base)
    env[ENV_DATA] = os.pathsep.join(str(Path(f).resolve()) for f in files)
    env[ENV_MESSAGES] = os.pathsep.join(str(Path(f).resolve()) for f in messages)
    env[ENV_TZ] = tz
    env[ENV_SOURCE_TZ] = source_tz
    return env


def prepare_root(folder: Path) -> Path:
    """Fill the folder Voilà serves: the dashboard notebook (signed, so that it is trusted), plotly's widget bundle
    (served once per page to all figures, see :mod:`talentstats.dashboard.bundle`), the page template and the
    kernel (:mod:`talentstats.dashboard.page`, under ``share/jupyter``).

    Args:
        folder: an existing, empty folder.

    Returns:
        The notebook's path.
    """
    notebook = folder / NOTEBOOK_NAME
    shutil.copyfile(dashboard_notebook(), notebook)
    prepare_notebook(notebook, folder / TRUST_DIR)
    bundle = plotly_widget_bundle()
    if bundle.exists():
        shutil.copyfile(bundle, folder / BUNDLE_NAME)
    write_kernelspec(write_template(folder, BUNDLE_NAME if bundle.exists() else None))
    return notebook


def voila_command(port: int, notebook: Path | None = None, bind: str = HOST, hosts: Sequence[str] = (),
                  max_kernels: int = MAX_KERNELS, token: bool = False) -> list[str]:
    """The Voilà command line serving the dashboard on ``bind``:``port`` (no browser, no other port), guarded by
    :mod:`talentstats.dashboard.guard`.

    Args:
        port: the port.
        notebook: the notebook to serve (default the packaged one).
        bind: the address to listen on.
        hosts: the Host names and addresses answered (default: :func:`~talentstats.dashboard.access.allowed_hosts`
            of ``bind``).
        max_kernels: kernels at most at once.
        token: ask for the token Voilà finds in ``JUPYTER_TOKEN`` (never on the command line, where other users
            of the machine could read it).

    Returns:
        The command's arguments.
    """
    guard = "talentstats.dashboard.guard"
    notebook = notebook or dashboard_notebook()
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser",
            f"--port={int(port)}", f"--Voila.ip={bind}", "--Voila.port_retries=0", "--theme=light",
            "--VoilaConfiguration.show_tracebacks=False",
            # the page (and the skeleton in it) at once, each cell's output as soon as it is done: the first chart
            # shows while the rest of the dashboard is still being built
            "--VoilaConfiguration.progressive_rendering=True",
            # the kernel's messages encrypted (CurveZMQ keys from the kernel manager) rather than plain TCP
            "--KernelManager.transport_encryption=auto",
            f"--NotebookNotary.data_dir={notebook.parent / TRUST_DIR}", f"--template={TEMPLATE_NAME}",
            f"--Voila.identity_provider_class={guard}.GuardedIdentityProvider",
            *[f"--GuardedIdentityProvider.allowed_hosts={h}" for h in (hosts or allowed_hosts(bind))],
            f"--VoilaConfiguration.multi_kernel_manager_class={guard}.CappedKernelManager",
            f"--CappedKernelManager.max_kernels={int(max_kernels)}",
            # a page closed without telling the server (or a bare GET) leaves its kernel and a copy of the data
            # behind: cull it soon; a kernel with its page connected is kept (cull_connected is off)
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
            f"--MappingKernelManager.cull_interval={_CULL_INTERVAL_SECONDS}",
            *(["--Voila.auto_token=True"] if token else []),
            f"--VoilaConfiguration.file_allowlist={re.escape(BUNDLE_NAME)}"]


def serve_dashboard(files: Sequence[str | Path] = (), messages: Sequence[str | Path] = (), port: int = 8866,
                    tz: str = "UTC", source_tz: str = "UTC", bind: str = HOST, allow_hosts: Sequence[str] = (),
                    token: str | None = None, max_kernels: int = MAX_KERNELS) -> int:
    """Check the arguments, load the exports once (their errors are the loader's), then run Voilà until Ctrl-C.

    Bound beyond localhost (``bind`` not a loopback address), the server warns on stderr and asks for a token:
    ``token``, or one generated and printed with the address.

    Args:
        files: export files or folders (default the sample data, :func:`talentstats.samplepath.default_data`).
        messages: message exports giving opens.
        port: the port.
        tz: report time zone.
        source_tz: time zone of timestamps without a UTC offset.
        bind: the address to listen on (``0.0.0.0``: every interface).
        allow_hosts: more host names or addresses the server may be reached by (for a deliberate exposure).
        token: require this token (``?token=…`` once; a cookie then); default: none on localhost, a generated
            one beyond.
        max_kernels: kernels (open dashboards) at most at once.

    Returns:
        Voilà's exit code.

    Raises:
        UsageError: a bad ``tz``, ``source_tz``, ``port``, ``bind``, ``allow_host``, ``token`` or
            ``max_kernels``.
        InputError: an export that cannot be read.
    """
    from talentstats.load.loader import read_reach_outs  # heavy: pandas and pyarrow, only when serving

    zone(tz, "tz")
    zone(source_tz, "source_tz")
    bind = check_bind(bind)
    hosts = allowed_hosts(bind, allow_hosts)
    token = check_token(token)
    check_max_kernels(max_kernels)
    check_port(port, bind)
    local = is_local(bind)
    generated = token is None and not local
    if generated:
        token = secrets.token_urlsafe(24)
    paths = [Path(f) for f in files] or [default_data()]
    loaded = read_reach_outs(paths, messages=list(messages) or None, source_tz=source_tz)
    r = loaded.report
    if not local:
        print(f"talentstats: warning: the dashboard is reachable from other machines on {bind}:{port}; it answers "
              f"only requests for {', '.join(hosts)} (--allow-host adds one) that carry the token", file=sys.stderr,
              flush=True)
    print(f"talentstats: {r.rows_loaded:,} reach outs loaded from {len(r.files)} file(s) "
          f"({r.rows_rejected:,} rows rejected); serving the dashboard at {_url(bind, hosts, port)}"
          f"{'?token=' + str(token) if generated else ''} (Ctrl-C to stop)", flush=True)
    env = dashboard_env(paths, messages, tz, source_tz)
    env.pop("JUPYTER_TOKEN", None)
    if token:
        env["JUPYTER_TOKEN"] = token  # (read by Voilà's identity provider: never on a command line)
    with tempfile.TemporaryDirectory(prefix="talentstats-dashboard-") as root:
        notebook = prepare_root(Path(root))
        if (Path(root) / BUNDLE_NAME).exists():
            env[ENV_FIGURE_ESM] = f"voila/files/{BUNDLE_NAME}"
        # the page template (voila/templates/talentstats) is found first on Jupyter's data path
        env["JUPYTER_PATH"] = os.pathsep.join([str(Path(root) / "share" / "jupyter"),
                                               *filter(None, [env.get("JUPYTER_PATH")])])
        # the kernels read the exports as loaded here (a private folder: only this user can write it)
        env[ENV_LOADED] = str(_keep_loaded(Path(root), loaded))
        del loaded
        command = voila_command(port, notebook, bind, hosts, max_kernels, token=bool(token))
        process = subprocess.Popen(command, env=env)
        with _sigterm_as_interrupt():
            try:
                return process.wait()
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stop Voilà (it shuts its kernels down) and wait
                process.terminate()
                try:
                    return process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    return process.wait()


def _keep_loaded(folder: Path, loaded: Any) -> Path:
    """Write the loaded table, report and messages to ``folder`` for the kernels (pickled: a private temporary
    folder of this process, read by its own kernels only)."""
    import pickle

    path = folder / LOADED_NAME
    with path.open("wb") as f:
        pickle.dump((loaded.table, loaded.report, loaded.messages), f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _url(bind: str, hosts: Sequence[str], port: int) -> str:
    """The address to open: the bound address, or (bound to every interface) the first name allowed beyond the
    local ones, else localhost."""
    name = bind
    if ipaddress.ip_address(bind).is_unspecified:
        name = next((h for h in hosts if h not in LOCAL_HOSTS), "localhost")
    return f"http://{f'[{name}]' if ':' in name else name}:{port}/"


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt (main thread only), so a terminated server stops Voilà too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
