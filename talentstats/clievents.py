"""The event commands: ``talentstats steps`` (which e-mail gets the replies) and ``talentstats triangle`` (how
replies arrive with age). Registered on the app by :mod:`talentstats.cli`."""

from __future__ import annotations

from typing import Annotated

import typer

from talentstats.cliopts import (
    WEEK_HELP,
    Dayfirst,
    Files,
    MapFile,
    Maps,
    Messages,
    Sheet,
    SourceTz,
    Tz,
    exit_now,
    load_options,
    write_out,
)

STEPS_EXAMPLE = ("**Example**\n\n* `talentstats steps reach_outs.csv --messages messages.csv --week latest "
                 "--by campaign`")
TRIANGLE_EXAMPLE = ("**Examples**\n\n* `talentstats triangle reach_outs.csv --messages messages.csv --weeks 12`\n\n"
                    "* `talentstats triangle exports/ --weeks 8 --metric opens --project`")

Start = Annotated[str | None, typer.Option("--start", help="First date, YYYY-MM-DD (inclusive).", metavar="DATE")]
End = Annotated[str | None, typer.Option("--end", help="Last date, YYYY-MM-DD (inclusive).", metavar="DATE")]
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json.", metavar="FORMAT")]
Engine = Annotated[str, typer.Option("--engine", metavar="ENGINE", help="pandas, polars, duckdb, dask or spark.")]


def steps(
    files: Files,
    messages: Messages = None,
    start: Start = None,
    end: End = None,
    week: Annotated[str | None, typer.Option("--week", help="Instead of --start/--end: " + WEEK_HELP,
                                             metavar="WEEK")] = None,
    by: Annotated[str | None, typer.Option("--by", metavar="KEYS", help="campaign and/or sender.")] = None,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    fmt: Fmt = "table",
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    engine: Engine = "pandas",
) -> None:
    """Which e-mail of the sequence gets the opens and the replies, for the reach outs created in a date range:
    per step, the reach outs it was sent to, their first opens, the replies after it and the reply rate."""
    from talentstats.present.eventout import render_events_bytes
    from talentstats.stats.eventquery import compute_steps

    options = load_options(messages, source_tz, maps, map_file, sheet, dayfirst)
    write_out(render_events_bytes(fmt, compute_steps(files, options=options, start=start, end=end, week=week, tz=tz,
                                                  by=by, engine=engine.strip().lower())))
    exit_now()


def triangle(
    files: Files,
    messages: Messages = None,
    weeks: Annotated[int, typer.Option("--weeks", help="The N creation weeks ending with --week.", metavar="N")] = 8,
    week: Annotated[str | None, typer.Option("--week", help="The last creation week: " + WEEK_HELP,
                                             metavar="WEEK")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Instead of --week: a date in the last week.",
                                            metavar="DATE")] = None,
    metric: Annotated[str, typer.Option("--metric", help="responses or opens.", metavar="METRIC")] = "responses",
    project: Annotated[bool, typer.Option("--project", help="Add each week's projected final rate (chain ladder "
                                          "over the weekly cohorts, with a 95% interval).")] = False,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    fmt: Fmt = "table",
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    engine: Engine = "pandas",
) -> None:
    """How replies (or opens) arrive with age: per creation week and week of age, the count and the cumulative
    rate (a development triangle). Default: the 8 weeks ending with the newest complete week of the data."""
    from talentstats.present.eventout import render_events_bytes
    from talentstats.stats.eventquery import compute_triangle

    options = load_options(messages, source_tz, maps, map_file, sheet, dayfirst)
    write_out(render_events_bytes(fmt, compute_triangle(files, options=options, end=end, week=week, weeks=weeks, tz=tz,
                                                     metric=metric.strip().lower(), engine=engine.strip().lower(),
                                                     project=project)))
    exit_now()


