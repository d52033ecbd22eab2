"""User-facing errors: one line each, with structured fields (file, line, column; parameter, value, hint).

Library code names its own parameters (``source_tz``, ``fmt``); a surface maps them to its own words (the CLI to
``--source-tz``, ``--format``) with :meth:`UsageError.describe`.
"""

from __future__ import annotations

from typing import Any

_UNSET: Any = object()


class TalentstatsError(Exception):
    """Base of every error shown to a user (the CLI prints one line and exits with ``exit_code``)."""

    exit_code: int = 2


class UsageError(TalentstatsError, ValueError):
    """Bad arguments: an unknown group key, an end before start, an unknown time zone.

    Args:
        message: what is wrong, without the parameter's name.
        parameter: the library parameter at fault (``"fmt"``, ``"source_tz"``), if one is.
        value: the value given (shown quoted after the parameter).
        hint: how to put it right.
    """

    def __init__(self, message: str, *, parameter: str | None = None, value: Any = _UNSET,
                 hint: str | None = None) -> None:
        self.reason, self.parameter, self.value, self.hint = message, parameter, value, hint
        super().__init__(self.describe())

    def describe(self, name: str | None = None) -> str:
        """The one-line message, naming the parameter as ``name`` (a surface's word for it) when given."""
        name = name or self.parameter
        head = ""
        if name is not None:
            head = f"{name}: " if self.value is _UNSET else f"{name} {self.value!r}: "
        return head + self.reason + (f"; {self.hint}" if self.hint else "")


class InputError(TalentstatsError):
    """An input file that cannot be used, located as precisely as known (``file:line: column 'X': ...``)."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: str | None = None, hint: str | None = None) -> None:
        self.file, self.line, self.column, self.reason, self.hint = file, line, column, message, hint
        where = ""
        if file is not None:
            where = str(file) + (f":{line}" if line is not None else "") + ": "
        col = f"column {column!r}: " if column is not None else ""
        super().__init__(f"{where}{col}{message}" + (f"; {hint}" if hint else ""))


class MissingColumnError(InputError):
    """A required column is absent; the message lists the headers found and the closest match."""


class ConcurrentIngestError(TalentstatsError):
    """Another ingest committed to the dataset while this one ran, again after every retry: nothing of this ingest
    was written (the dataset holds the other's version, whole); running it again merges it into that version."""

    def __init__(self, root: str) -> None:
        self.root = root
        super().__init__(f"{root}: another ingest committed first; run again")
