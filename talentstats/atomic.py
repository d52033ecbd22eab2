"""Atomic file writes: a file is replaced whole or not at all, even when the machine stops mid-write."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed to disk, then renamed.

    Readers see the old file or the new one, never a part; a failed write leaves the old file and no temporary
    file. The new file gets the usual permissions (``0o666`` less the umask), as ``open(path, "wb")`` would.

    Args:
        path: the file to write (its folder is created when missing).
        data: the complete new content.

    Raises:
        OSError: the folder cannot be written or the disk is full (the old file is kept).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def install_file(staged: str | Path, path: str | Path) -> None:
    """Move a complete file written elsewhere in the same file system into place: flushed to disk, given the usual
    permissions, then renamed over ``path`` (no second copy, so a full disk cannot stop it half-way).

    Across file systems it is copied with :func:`atomic_write_bytes` instead.

    Args:
        staged: the complete file (it is moved away).
        path: where it belongs (its folder is created when missing).

    Raises:
        OSError: the folder cannot be written (the old file is kept).
    """
    staged, path = Path(staged), Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(staged, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(staged, 0o666 & ~_umask())
    try:
        os.replace(staged, path)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
        atomic_write_bytes(path, staged.read_bytes())
        staged.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["atomic_write_bytes", "install_file"]
