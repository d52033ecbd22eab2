"""JSON exports checked before a parser sees them: a JSON parser recurses once per level of nesting (Arrow's
crashes the process on 100,000 levels, Python's raises RecursionError), and reads a record whole however long.

One vectorised pass over the bytes: the length of every line and the number of ``{`` and ``[`` in it; only a line
with more brackets than ``max_json_depth`` has its nesting measured exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from talentstats.load.guards import open_input
from talentstats.load.limits import RECORD_FIELDS, LimitError, Limits

_BLOCK = 1 << 22
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_KEY = re.compile(rb'"((?:[^"\\]|\\.){1,200})"\s*:')


def depth(data: bytes) -> tuple[int, int]:
    """(the deepest nesting of ``{`` and ``[`` in JSON text, outside strings; the offset where it is reached)."""
    bare = _STRING.sub(lambda m: b" " * len(m.group()), data)  # (same length: offsets stay right)
    level = best = at = 0
    for offset in range(0, len(bare), _BLOCK):  # (a block at a time: bounded memory beside the text)
        b = np.frombuffer(bare, dtype=np.uint8, count=min(_BLOCK, len(bare) - offset), offset=offset)
        levels = np.cumsum(((b == 123) | (b == 91)).astype(np.int32) - ((b == 125) | (b == 93)),
                           dtype=np.int32) + level
        i = int(np.argmax(levels))
        if levels[i] > best:
            best, at = int(levels[i]), offset + i
        level = int(levels[-1])
    return best, at


def _too_deep(found: int, line: int, path: str, limits: Limits) -> LimitError:
    return LimitError(f"JSON nested {found:,} levels deep, more than {limits.max_json_depth:,} (exports hold flat "
                      "records)", parameter="max_json_depth", limit=limits.max_json_depth, file=path, line=line)


def _too_long(prefix: bytes, line: int, path: str, limits: Limits) -> LimitError:
    keys = list(_KEY.finditer(prefix))
    limit = limits.max_field_bytes
    if keys and len(prefix) - keys[-1].end() > limit:
        column = keys[-1].group(1).decode("utf-8", errors="replace")
        return LimitError(f"a value of more than {limit:,} bytes", parameter="max_field_bytes", limit=limit,
                          file=path, line=line, column=column)
    return LimitError(f"a record of more than {len(prefix):,} bytes ({RECORD_FIELDS} values of the longest "
                      f"allowed, {limit:,} bytes)", parameter="max_field_bytes", limit=limit, file=path, line=line)


def check_json(path: str | Path, gz: bool, limits: Limits) -> bool:
    """Check a JSON Lines file (or one JSON array of records) against ``limits``; whether it is an array.

    Raises:
        LimitError: a line longer than ``limits.record_bytes`` (naming the key whose value is that long, when one
            is), or nesting deeper than ``max_json_depth`` (an array of records counts its records as level 1).
    """
    cap, path = limits.record_bytes, str(path)
    with open_input(path, gz, limits) as fh:
        if fh.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
            data = fh.read()
            found, at = depth(data)
            if found - 1 > limits.max_json_depth:
                raise _too_deep(found - 1, data.count(b"\n", 0, at) + 1, path, limits)
            return True
        line, tail = 1, b""
        while block := fh.read(_BLOCK):
            data = tail + block
            b = np.frombuffer(data, dtype=np.uint8)
            ends = np.flatnonzero(b == 10)
            starts = np.concatenate(([0], ends + 1))
            lengths = np.concatenate((ends, [len(data)])) - starts
            long = np.flatnonzero(lengths > cap)
            if len(long):
                i = int(long[0])
                raise _too_long(data[starts[i]:starts[i] + cap + 1], line + i, path, limits)
            opens = np.add.reduceat(((b == 123) | (b == 91)).astype(np.int32), starts[starts < len(b)]) \
                if len(b) else np.zeros(0, np.int32)
            for i in np.flatnonzero(opens > limits.max_json_depth):
                segment = data[starts[i]:starts[i] + lengths[i]]
                found, _ = depth(segment)
                if found > limits.max_json_depth:
                    raise _too_deep(found, line + int(i), path, limits)
            line += len(ends)
            tail = data[starts[-1]:]
        if tail:
            found, _ = depth(tail)
            if found > limits.max_json_depth:
                raise _too_deep(found, line, path, limits)
    return False
