"""Text columns of the sample generator, built as Arrow arrays from numpy byte matrices (ids, names, ISO
timestamps, labels): no Python string per row."""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

import numpy as np
import pyarrow as pa

DAY: Final = 86_400
HOUR: Final = 3_600


def _ascii_local(name: str) -> str:
    """E-mail local part of a name: 'Chloé' -> 'chloe', "O'Brien" -> 'obrien'."""
    plain = unicodedata.normalize("NFKD", name.lower())
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())



def _table(texts: list[str]) -> np.ndarray:
    """Texts of equal UTF-8 length -> (len(texts) x width) uint8 matrix."""
    return np.frombuffer("".join(texts).encode(), np.uint8).reshape(len(texts), -1)



def _from_bytes(mat: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Fixed-width rows of UTF-8 bytes (n x w uint8) -> string array; rows where ``valid`` is False are null."""
    n, w = mat.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)[: n + 1]
    bitmap, nulls = None, 0
    if valid is not None:
        nulls = int(n - np.count_nonzero(valid))
        if nulls:
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(mat).reshape(-1))]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=nulls)



_UNITS: Final[dict[int, type]] = {4: np.uint32, 2: np.uint16, 1: np.uint8}



def _lookup(parts: list[tuple[np.ndarray, np.ndarray]], valid: np.ndarray | None = None) -> pa.Array:
    """Row-wise concatenation of ``table[index]`` for each (table, index) part -> string array.

    Bytes move in the widest unit (4, 2 or 1 bytes) dividing every part's width: one native gather each.
    """
    widths = [table.shape[1] for table, _ in parts]
    unit = next(u for u in _UNITS if all(w % u == 0 for w in widths))
    out = np.empty((len(parts[0][1]), sum(widths) // unit), _UNITS[unit])
    col = 0
    for table, index in parts:
        words = table.view(_UNITS[unit])
        for c in range(words.shape[1]):
            out[:, col] = np.ascontiguousarray(words[:, c])[index]
            col += 1
    return _from_bytes(out.view(np.uint8), valid)



@functools.cache
def _digits(prefix: str, width: int) -> np.ndarray:
    """``prefix`` followed by every ``width``-digit zero-padded number."""
    return _table([f"{prefix}{i:0{width}d}" if width else prefix for i in range(10**width)])



def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``'RO-'`` and 1 -> ``'RO-0000001'`` for every number, zero-padded to ``width`` digits."""
    head = width % 4
    rest = width - head
    parts = [(_digits(prefix, head), numbers // 10**rest % 10**head)]
    while rest:
        rest -= 4
        parts.append((_digits("", 4), numbers // 10**rest % 10_000))
    return _lookup(parts)



@functools.cache
def _clock() -> np.ndarray:
    """'H:MM:SSZ' (from the hour's units digit on) for every second of a day."""
    return _table([f"{h % 10}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)])



@functools.lru_cache(maxsize=64)
def _calendar(first_day: int, days: int) -> np.ndarray:
    """'YYYY-MM-DDTH' (up to the hour's tens digit) for every hour of ``days`` days from ``first_day``."""
    dates = (np.datetime64(first_day, "D") + np.arange(days)).astype(str)
    return _table([f"{d}T{h // 10}" for d in dates for h in range(24)])



def _iso(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Epoch seconds -> ``'2026-06-01T14:03:22Z'`` strings (null where ``valid`` is False)."""
    if len(seconds) == 0:
        return pa.array([], pa.string())
    first_day = int(seconds.min()) // DAY
    rel = seconds - first_day * DAY
    hours = rel // HOUR
    calendar = _calendar(first_day, int(hours.max()) // 24 + 1)
    return _lookup([(calendar, hours), (_clock(), rel % DAY)], valid)



def _labels(texts: tuple[str | None, ...], codes: np.ndarray) -> pa.Array:
    """Codes -> the texts at those positions (``None`` texts give nulls)."""
    nulls = [i for i, t in enumerate(texts) if t is None]
    mask = np.isin(codes, nulls) if nulls else None
    indices = pa.array(codes.astype(np.int32), mask=mask)
    dictionary = pa.array([t or "" for t in texts], pa.string())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())
