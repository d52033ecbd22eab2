"""Progress of the long commands (``report``, ``ingest``) on stderr with rich: the step under way and the time it
has taken, on one line that disappears when the command ends.

Shown only when stderr is a terminal and the command was not given ``--quiet``: a pipe, a log file or a test sees
nothing. stdout keeps the command's results (a line printed while the progress shows appears above it).
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO


def stderr_is_terminal() -> bool:
    """True when stderr is a terminal (where a progress line can be redrawn)."""
    return sys.stderr.isatty()


class Progress:
    """A transient progress line on stderr: a spinner, the current step, the steps done of ``total`` and the
    elapsed time.

    Args:
        title: what the command does (shown before the step).
        quiet: show nothing (the ``--quiet`` flag).
        total: how many steps there are (a bar when known).
        delay: seconds before the line appears (a command done sooner shows nothing).
        file: where to draw it (default: stderr); drawn only when it is a terminal, or when ``force`` is set.
        force: draw on ``file`` even though it is not a terminal (tests).
    """

    def __init__(self, title: str, *, quiet: bool = False, total: int | None = None, delay: float = 0.0,
                 file: TextIO | None = None, force: bool = False) -> None:
        self.enabled = not quiet and (force or (stderr_is_terminal() if file is None else file.isatty()))
        self._title = title
        self._total = total
        self._delay = delay
        self._file = file
        self._bar: Any = None
        self._task: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        from rich.console import Console  # (rich is imported only when something is drawn)
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        console = Console(file=self._file or sys.stderr, force_terminal=True)  # (enabled: it is one)
        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
        if self._total is not None:
            columns += [BarColumn(bar_width=24), MofNCompleteColumn()]
        # (stdout is not redirected into the console: with stdout in a file and stderr a terminal, results stay
        # in the file; see echo)
        self._bar = Bar(*columns, TimeElapsedColumn(), console=console, transient=True, redirect_stdout=False,
                        redirect_stderr=False)
        self._task = self._bar.add_task(self._title, total=self._total)
        if self._delay > 0:
            self._timer = threading.Timer(self._delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        else:
            self._show()
        return self

    def _show(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.start()

    def __exit__(self, *_exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None

    def step(self, text: str) -> None:
        """Show ``text`` as the step under way."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self._title}: {text}")

    def echo(self, text: str) -> None:
        """Print a line of results on stdout now (the progress line is taken away and drawn again below it)."""
        with self._lock:
            shown = self._bar is not None and self._bar.live.is_started
            if shown:
                self._bar.stop()
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
            if shown:
                self._bar.start()

    def advance(self) -> None:
        """Count one step of ``total`` done."""
        if self._bar is not None:
            self._bar.advance(self._task)


__all__ = ["Progress", "stderr_is_terminal"]
