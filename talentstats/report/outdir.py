"""The reports folder (``out``): checked before anything is read, never left through a link, write failures as
one line.

Every path a report run writes is ``out/<period>/<file>`` or ``out/index.html``. A period folder that is a
symbolic link (or otherwise resolves outside ``out``) is refused before anything is written or deleted in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from talentstats.errors import UsageError


def check_out(out: str | Path) -> Path:
    """Check the reports folder before anything is read: a folder, or one that can be created, that this
    process can write in. Nothing is created.

    Args:
        out: the reports folder.

    Returns:
        ``out`` as a Path.

    Raises:
        UsageError: ``out`` (or a folder above it) is a file, or the place is read-only or not writable
            (naming the parameter ``out``).
    """
    out = Path(out)
    existing = out.absolute()
    while not existing.exists() and not existing.is_symlink() and existing.parent != existing:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        where = "" if existing == out.absolute() else f" ({existing})"
        raise UsageError(f"is a file{where}, not a folder", parameter="out", value=str(out))
    if not existing.exists():  # a dangling link, or a path the system cannot look into
        raise UsageError(f"{existing} cannot be used as a folder", parameter="out", value=str(out))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {existing} (read-only or no permission)", parameter="out",
                         value=str(out))
    return out


def make_out(out: Path) -> None:
    """Create the reports folder (and the folders above it) when missing.

    Raises:
        UsageError: it cannot be created (naming the parameter ``out``).
    """
    with writing(out):
        out.mkdir(parents=True, exist_ok=True)


def period_folder(out: Path, label: str) -> Path:
    """``out/<label>``, refused when it is a symbolic link or leads anywhere but directly inside ``out``.

    Args:
        out: the reports folder (it exists).
        label: the period's folder name (``2026-W47``).

    Returns:
        The folder (it may not exist yet).

    Raises:
        UsageError: the folder is a link, a file, or resolves outside ``out`` (naming the parameter ``out``).
    """
    folder = out / label
    if folder.is_symlink() or (folder.exists() and folder.resolve().parent != out.resolve()):
        raise UsageError(f"its folder {label} is a link to {folder.resolve()}; a report is written only inside "
                         f"the reports folder: nothing written", parameter="out", value=str(out),
                         hint="remove the link")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{label} in it is a file, not a folder: nothing written", parameter="out",
                         value=str(out))
    return folder


@contextmanager
def writing(out: Path) -> Iterator[None]:
    """Turn a failed write under ``out`` (full disk, read-only place, a file where a folder should be) into one
    line naming the parameter ``out``."""
    try:
        yield
    except OSError as err:
        what = err.strerror or type(err).__name__
        where = f" ({err.filename})" if err.filename else ""
        raise UsageError(f"cannot write the report: {what}{where}; files already in place are left as they were",
                         parameter="out", value=str(out)) from err


__all__ = ["check_out", "make_out", "period_folder", "writing"]
