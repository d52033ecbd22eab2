"""User-facing errors: one line each, naming file, line and column where there is one; exit code 2."""

from __future__ import annotations


class TalentstatsError(Exception):
    """Base of every error shown to a user (the CLI prints ``str(err)`` and exits with ``exit_code``)."""

    exit_code: int = 2


class UsageError(TalentstatsError):
    """Bad arguments: an unknown group key, an end before start, an unknown time zone."""


class InputError(TalentstatsError):
    """An input file that cannot be used, located as precisely as known (``file:line: column 'X': ...``)."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: str | None = None) -> None:
        self.file, self.line, self.column, self.reason = file, line, column, message
        where = ""
        if file is not None:
            where = str(file) + (f":{line}" if line is not None else "") + ": "
        col = f"column {column!r}: " if column is not None else ""
        super().__init__(f"{where}{col}{message}")


class MissingColumnError(InputError):
    """A required column is absent; the message lists the headers found and the closest match."""
