"""Export headers: matching them to canonical columns (aliases, case and punctuation ignored) and
explicit mappings (``--map``, ``--map-file``)."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from talentstats.errors import InputError, MissingColumnError, UsageError
from talentstats.load.columns import ALIASES, CANONICAL, header_key

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
        shown = ", ".join(repr(h) for h in headers) or "none"
        raise MissingColumnError(f"missing required column {column!r} (headers found: {shown}){hint}",
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


def read_map_file(path: str | Path) -> dict[str, str]:
    """A mapping from a TOML file (``[map]`` table, or top-level keys) or a JSON object."""

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read mapping file: {err.strerror}", file=str(p))
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"invalid mapping file: {err}", file=str(p))
    data = data.get("map", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError('mapping file must hold header = "column" pairs', file=str(p))
    return check_mapping(data)


