"""Atomic file writes: a file is replaced whole or not at all, even when the machine stops mid-write."""

from __future__ import annotations

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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["atomic_write_bytes"]
