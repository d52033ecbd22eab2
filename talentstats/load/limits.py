"""Limits on the work one input may cause (issue 12, "Bounded work on any input"): one frozen value that travels
with :class:`~talentstats.load.options.LoadOptions`, and the error an input gets when it goes past one.

Each limit is checked while the input is read - from the gzip stream, the sheet XML, the header line - never after
the whole thing has been inflated or parsed, so a file that is small on disk and huge when read fails in seconds
with a bounded amount of memory. The defaults are far above what any real export needs; each can be raised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from talentstats.errors import InputError, UsageError

MIB, GIB = 1 << 20, 1 << 30

#: the ratio of inflated to compressed bytes is only checked once this much has been inflated (a small file may
#: compress very well; a bomb is stopped here)
RATIO_FLOOR = 16 * MIB
#: a record (a line of JSON Lines, a CSV line while an error is located) may hold this many longest values
RECORD_FIELDS = 16


@dataclass(frozen=True, kw_only=True)
class Limits:
    """How much one input may make the loader do (every limit a whole number; sizes in bytes).

    Args:
        max_field_bytes: one value (a CSV or JSON field, an XLSX cell or shared string) and a CSV header line.
        max_columns: columns of a header (CSV) or a sheet (XLSX).
        max_cells: XLSX: rows times columns up to the last cell that holds a value (the grid a sheet is read as).
        max_inflated_bytes: what a gzip file, or one part of an XLSX workbook, may inflate to.
        max_inflation_ratio: inflated bytes per compressed byte, checked once 16 MiB have been inflated.
        max_json_depth: nesting of JSON values (a flat record is depth 1).
        max_map_file_bytes: the size of a mapping file (``--map-file``).
    """

    max_field_bytes: int = MIB
    max_columns: int = 10_000
    max_cells: int = 20_000_000
    max_inflated_bytes: int = 32 * GIB
    max_inflation_ratio: int = 100
    max_json_depth: int = 64
    max_map_file_bytes: int = MIB

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                value = parse_size(value, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError("must be a whole number of 1 or more", parameter=f.name, value=value)
            object.__setattr__(self, f.name, value)

    @property
    def record_bytes(self) -> int:
        """The longest record (a line of JSON Lines, a line while a CSV parse error is located): ``RECORD_FIELDS``
        values of ``max_field_bytes``."""
        return RECORD_FIELDS * self.max_field_bytes

    def but(self, **changes: Any) -> Limits:
        """A copy with some limits changed (unknown names are a UsageError)."""
        unknown = set(changes) - set(NAMES)
        if unknown:
            name = sorted(unknown)[0]
            raise UsageError(f"unknown limit; choose from {', '.join(NAMES)}", parameter="limits", value=name)
        return replace(self, **changes)

    def as_dict(self) -> dict[str, int]:
        """The limits as plain numbers (papermill parameters, JSON)."""
        return asdict(self)

    @classmethod
    def from_value(cls, value: Limits | Mapping[str, Any] | None) -> Limits:
        """A Limits from itself, a mapping of some limits (the others default) or None (the defaults)."""
        if isinstance(value, Limits):
            return value
        return cls().but(**dict(value or {}))


NAMES = tuple(f.name for f in fields(Limits))

_SIZE = re.compile(r"\s*(\d+)\s*(?:([kmgt])i?b?)?\s*", re.IGNORECASE)


def parse_size(text: str | int, parameter: str = "limits") -> int:
    """A whole number from ``"1048576"``, ``"4MiB"``, ``"4M"`` or ``"2 GiB"`` (K, M, G, T count in 1024s).

    Raises:
        UsageError: not a size (naming ``parameter``).
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    m = _SIZE.fullmatch(str(text))
    if not m:
        raise UsageError("expected a whole number, optionally with K, M, G or T (e.g. 4MiB)", parameter=parameter,
                         value=text)
    power = "kmgt".index(m.group(2).lower()) + 1 if m.group(2) else 0
    return int(m.group(1)) << (10 * power)


def parse_limit_item(text: str) -> tuple[str, int]:
    """``"max_columns=20000"`` -> ``("max_columns", 20000)`` (one limit given as text; the name may use dashes).

    Raises:
        UsageError: not ``NAME=VALUE`` with a known name and a size (parameter ``limits``).
    """
    name, sep, value = str(text).partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in NAMES:
        raise UsageError(f"expected NAME=VALUE with NAME one of {', '.join(NAMES)}", parameter="limits", value=text)
    return name, parse_size(value, "limits")


class LimitError(InputError):
    """An input that goes past one of the :class:`Limits`: located like any input error, naming the limit.

    Args:
        message: what was found (``"a value of more than 1,048,576 bytes"``).
        parameter: the limit's name (``"max_field_bytes"``); a surface names it as its own flag.
        limit: the limit's value.
        file, line, column: where, as far as known.
    """

    def __init__(self, message: str, *, parameter: str, limit: int, file: str | None = None,
                 line: int | None = None, column: str | None = None) -> None:
        self.parameter, self.limit = parameter, limit
        super().__init__(message, file=file, line=line, column=column, hint=self._hint(parameter))
        self.hint = None  # (described afresh by describe(): the hint names the limit as the surface does)

    def _hint(self, name: str) -> str:
        return f"to read it anyway, raise the limit {name} (now {self.limit:,})"

    def describe(self, name: str | None = None) -> str:
        """The one-line message, naming the limit as ``name`` (a surface's word for it) when given."""
        where = ""
        if self.file is not None:
            where = str(self.file) + (f":{self.line}" if self.line is not None else "") + ": "
        col = f"column {self.column!r}: " if self.column is not None else ""
        return f"{where}{col}{self.reason}; {self._hint(name or self.parameter)}"
