"""Flags the commands that read exports share (the read limits), and the last-resort error line of the command
line: what :mod:`talentstats.cli` imports so that it stays one parse and one library call per command."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from talentstats.errors import UsageError
from talentstats.load.headers import parse_map_item
from talentstats.load.limits import parse_limit_item, parse_size

if TYPE_CHECKING:  # pragma: no cover
    from talentstats.load.limits import Limits
    from talentstats.load.options import LoadOptions

#: library parameter -> the flag that sets it, for the read limits (merged into ``talentstats.cli.FLAGS``)
LIMIT_FLAGS = {"limits": "--read-limit", "max_field_bytes": "--max-field-bytes",
               "max_inflated_bytes": "--max-inflated-bytes",
               **{f"max_{n}": f"--read-limit max_{n}=N" for n in ("columns", "cells", "inflation_ratio", "json_depth",
                                                                  "map_file_bytes")}}
#: the most weeks one report run renders (every week from 2000 to 2100)
MAX_WEEKS = 5270


def flag_type(parse: Callable[[str], Any], parsed: type | tuple[type, ...]) -> Callable[[Any], Any]:
    """A flag's parameter type from a library parser: its ``UsageError`` becomes a usage error of the flag (exit
    2, naming the flag); a value already parsed (a default, or a test passing one) is returned as is."""

    def convert(value: Any) -> Any:
        if isinstance(value, parsed):
            return value
        try:
            return parse(value)
        except UsageError as err:
            raise typer.BadParameter(f"{value!r}: {err.reason}")

    return convert


size_value = flag_type(parse_size, int)  # ``1048576``, ``4MiB``, ``2G``
limit_item = flag_type(parse_limit_item, tuple)  # ``--read-limit NAME=VALUE``
map_item = flag_type(parse_map_item, tuple)  # ``--map HEADER=column``


MaxFieldBytes = Annotated[int | None, typer.Option(
    "--max-field-bytes", parser=size_value, metavar="SIZE",
    help="Longest value (and CSV header line) read, e.g. 4MiB (default 1MiB).")]
MaxInflatedBytes = Annotated[int | None, typer.Option(
    "--max-inflated-bytes", parser=size_value, metavar="SIZE",
    help="Most a gzip export or an XLSX part may inflate to (default 32GiB).")]
ReadLimits = Annotated[list[str] | None, typer.Option(
    "--read-limit", parser=limit_item, metavar="NAME=N",
    help="Raise another read limit: max_columns, max_cells, max_inflation_ratio, max_json_depth, "
         "max_map_file_bytes (see docs/robustness.md).")]


def limits_of(flags: tuple[int | None, int | None, list[Any] | None] | None) -> Limits:
    """The :class:`~talentstats.load.limits.Limits` of ``(--max-field-bytes, --max-inflated-bytes,
    --read-limit pairs)`` (the defaults for what is not given)."""
    from talentstats.load.limits import Limits

    field_bytes, inflated_bytes, items = flags or (None, None, None)
    given = {"max_field_bytes": field_bytes, "max_inflated_bytes": inflated_bytes}
    return Limits().but(**dict(items or ()), **{k: v for k, v in given.items() if v is not None})


def check_weeks(weeks: int) -> None:
    """``report --weeks``: 1 to :data:`MAX_WEEKS` (a backfill never reaches a week before 2000 by overflow)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise UsageError(f"must be from 1 to {MAX_WEEKS:,} (the weeks from 2000 to 2100)", parameter="weeks",
                         value=weeks)


DEBUG = [False]  # (set by the global --debug flag)


def debug_flag(debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error (or "
                                                   "set TALENTSTATS_DEBUG=1).")] = False) -> None:
    """The global options of the command line (its callback): ``--debug``."""
    DEBUG[0] = debug


def internal_error(err: BaseException) -> int:
    """Report an unexpected exception in one line (with its traceback first under ``--debug`` or
    ``TALENTSTATS_DEBUG=1``); the exit code: 70 (a bug, to report with the traceback)."""
    if DEBUG[0] or os.environ.get("TALENTSTATS_DEBUG", "") not in ("", "0"):
        traceback.print_exception(err)
    text = " ".join(str(err).split())
    text = text if len(text) <= 300 else text[:300] + "..."
    typer.echo(f"talentstats: internal error: {type(err).__name__}: {text} (run with --debug for the traceback)",
               err=True)
    return 70


Files = Annotated[list[Path], typer.Argument(help="Reach-out export files or folders (CSV, XLSX, Parquet, JSONL), "
                                                  "or a dataset folder.", metavar="FILES")]
Messages = Annotated[list[Path] | None, typer.Option("--messages", help="Per-message export(s) giving opens.",
                                                     metavar="PATH")]
Tz = Annotated[str, typer.Option("--tz", help="Report time zone (IANA name).", metavar="ZONE")]
SourceTz = Annotated[str, typer.Option("--source-tz", help="Time zone of timestamps without a UTC offset.",
                                       metavar="ZONE")]
Maps = Annotated[list[str] | None, typer.Option("--map", parser=map_item, metavar="HEADER=column",
                                                            help="Map a header no alias knows to a column.")]
MapFile = Annotated[Path | None, typer.Option("--map-file", help="TOML/JSON file of header = column pairs.",
                                              metavar="PATH")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or 0-based number.", metavar="NAME")]
Strict = Annotated[bool, typer.Option("--strict", help="Fail on any rejected row.")]
Rejects = Annotated[Path | None, typer.Option("--rejects", help="Write rejected rows with reasons to this CSV.",
                                              metavar="PATH")]
Dayfirst = Annotated[bool, typer.Option("--dayfirst", help="Read ambiguous dates like 03/04/2026 as 3 April.")]
AsOfVersion = Annotated[int | None, typer.Option("--as-of-version", metavar="N",
                                                 help="From a dataset: read version N (as it stood after that "
                                                      "ingest); default the latest.")]
WEEK_HELP = ("YYYY-Www; 'last' = the last complete week before today (for schedules); 'latest' = the newest "
             "complete week in the data (for exports that stopped).")


def load_options(messages: list[Path] | None = None, source_tz: str = "UTC", maps: list[Any] | None = None,
                 map_file: Path | None = None, sheet: str | None = None, dayfirst: bool = False,
                 strict: bool = False, rejects: Path | None = None, limits: Any = None) -> LoadOptions:
    """The LoadOptions of the loading flags (``--map`` wins over ``--map-file``; ``limits``: the read-limit flags,
    see :func:`talentstats.cliopts.limits_of`)."""
    from talentstats.load.headers import read_map_file
    from talentstats.load.options import LoadOptions

    read_limits = limits_of(limits)
    mapping = read_map_file(map_file, read_limits) if map_file else {}
    mapping.update(dict(maps or ()))
    sheet_value: str | int | None = int(sheet) if sheet is not None and sheet.strip().isdigit() else sheet
    return LoadOptions(messages=tuple(messages or ()), mapping=mapping, source_tz=source_tz, sheet=sheet_value,
                       dayfirst=dayfirst, strict=strict, rejects=rejects, limits=read_limits)


def write_out(data: bytes) -> None:
    """UTF-8 output as is (a large JSON is never decoded); as text where stdout is a text stream only."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(data)
    else:
        sys.stdout.write(data.decode())


def exit_now(code: int = 0) -> None:
    """End the process at once with ``code`` (a read-only command's output, or an error line, is written; nothing
    is left to clean up): tearing down pandas, Arrow and their thread pools takes a tenth of a second or more.
    Returns in a REPL or a test."""
    sys.stdout.flush()
    sys.stderr.flush()
    if not hasattr(sys, "ps1") and "pytest" not in sys.modules:  # (not in a REPL or a test)
        os._exit(code)
