"""Export headers: matching them to canonical columns (aliases, case and punctuation ignored) and
explicit mappings (``--map``, ``--map-file``)."""

from __future__ import annotations

import difflib
import json
import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from talentstats.errors import InputError, MissingColumnError, UsageError
from talentstats.load.columns import ALIASES, CANONICAL, header_key
from talentstats.load.limits import LimitError, Limits

# --------------------------------------------------------------------------------------------- headers


def match_headers(headers: Sequence[str], aliases: Mapping[str, Sequence[str]],
                  mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """Canonical column -> export header, by explicit mapping first, then by alias (earliest alias wins)."""
    result: dict[str, str] = {}
    keyed = {header_key(h): h for h in reversed(headers)}  # first occurrence wins
    for header, column in (mapping or {}).items():
        found = keyed.get(header_key(header))
        if found is not None:
            result[column] = found
    taken = set(result.values())
    for column, names in aliases.items():
        if column in result:
            continue
        for name in (column, *names):
            found = keyed.get(header_key(name))
            if found is not None and found not in taken:
                result[column] = found
                taken.add(found)
                break
    return result


def one_header_per_column(headers: Sequence[str], mapping: Mapping[str, str] | None, file: str) -> None:
    """Two headers of one export mapped to the same column is an error (which one holds the values?)."""
    present = {header_key(h): h for h in reversed(headers)}
    by_column: dict[str, list[str]] = {}
    for header, column in (mapping or {}).items():
        if header_key(header) in present:
            by_column.setdefault(column, []).append(present[header_key(header)])
    for column, mapped in by_column.items():
        if len(set(mapped)) > 1:
            raise InputError(f"headers {mapped[0]!r} and {mapped[1]!r} are both mapped to column {column!r}; map "
                             "only the one that holds it", file=file)


def _shown(headers: Sequence[str], most: int = 40) -> str:
    """The headers as a list for a message (each cut at 60 characters, at most ``most`` of them)."""
    names = [repr(h) if len(h) <= 60 else repr(h[:60]) + "..." for h in headers[:most]]
    more = f" and {len(headers) - most:,} more" if len(headers) > most else ""
    return (", ".join(names) or "none") + more


def _require(found: Mapping[str, str], required: Sequence[str], headers: Sequence[str], file: str,
             aliases: Mapping[str, Sequence[str]]) -> None:
    for column in required:
        if column in found:
            continue
        # the best-scoring header over every alias, among headers not already used by another column
        taken = set(found.values())
        candidates = {header_key(h): h for h in reversed(headers) if h not in taken}
        wanted = [header_key(a) for a in (column, *aliases.get(column, ()))]
        score, best = max(((difflib.SequenceMatcher(None, w, k).ratio(), k) for w in wanted for k in candidates),
                          key=lambda sk: sk[0], default=(0.0, ""))
        hint = f"; closest match: {candidates[best]!r} (map it with --map '{candidates[best]}={column}')" \
            if score >= 0.6 else ""
        raise MissingColumnError(f"missing required column {column!r} (headers found: {_shown(headers)}){hint}",
                                 file=file)


def check_mapping(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Validate an explicit header mapping {export header: canonical column}."""
    known = set(ALIASES) | set(CANONICAL)
    out = {}
    for header, column in (mapping or {}).items():
        if column not in known:
            raise UsageError(f"--map {header}={column}: unknown column {column!r}; "
                             f"choose from {', '.join(sorted(known))}")
        out[str(header)] = column
    return out


def parse_map_item(text: str) -> tuple[str, str]:
    """``"Thread Ref=reach_out_id"`` -> ``("Thread Ref", "reach_out_id")`` (one item of a mapping given as text).

    Raises:
        UsageError: the text is not ``HEADER=column`` (parameter ``mapping``).
    """
    header, sep, column = str(text).partition("=")
    if not sep or not header.strip() or not column.strip():
        raise UsageError("expected HEADER=column, e.g. 'Thread Ref=reach_out_id'", parameter="mapping", value=text)
    return header.strip(), column.strip()


def read_map_file(path: str | Path, limits: Limits | None = None) -> dict[str, str]:
    """A mapping from a TOML file (``[map]`` table, or top-level keys) or a JSON object, in UTF-8.

    Raises:
        InputError: not a regular file (a FIFO, a device, a folder), not UTF-8, not a mapping.
        LimitError: larger than ``limits.max_map_file_bytes``.
    """
    p = Path(path)
    text = _map_text(p, limits or Limits())
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"invalid mapping file: {err}", file=str(p))
    except RecursionError:
        raise InputError("invalid mapping file: values nested too deeply", file=str(p))
    data = data.get("map", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError('mapping file must hold header = "column" pairs', file=str(p))
    return check_mapping(data)


def _map_text(path: Path, limits: Limits) -> str:
    """The text of a mapping file: opened without blocking (a FIFO is refused, not waited on), a regular file of
    at most ``max_map_file_bytes``, UTF-8."""
    limit = limits.max_map_file_bytes
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise InputError(f"cannot read mapping file: {err.strerror}", file=str(path))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else \
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"
        raise InputError(f"mapping file is {kind}, not a regular file", file=str(path))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise LimitError(f"mapping file is larger than {limit:,} bytes", parameter="max_map_file_bytes",
                         limit=limit, file=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"mapping file is not UTF-8 text (byte 0x{data[err.start]:02X}); save it as UTF-8",
                         file=str(path), line=data.count(b"\n", 0, err.start) + 1)
