"""The ``talentstats`` command line: a thin layer over the Python API.

Exit codes: 0 ok, 2 bad input or usage (one line on stderr, no traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from talentstats.errors import TalentstatsError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Campaign statistics, dashboards and weekly reports from Talent CRM Reach Out exports.")

Files = Annotated[list[Path], typer.Argument(help="Reach-out export files or folders (CSV, XLSX, Parquet, JSONL).")]
Messages = Annotated[list[Path] | None, typer.Option("--messages", help="Per-message export(s) giving opens.")]
Tz = Annotated[str, typer.Option("--tz", help="Report time zone (IANA name).")]
SourceTz = Annotated[str, typer.Option("--source-tz", help="Time zone of timestamps without a UTC offset.")]
Maps = Annotated[list[str] | None, typer.Option("--map", help="HEADER=column for headers no alias knows.")]
MapFile = Annotated[Path | None, typer.Option("--map-file", help="TOML/JSON file of header = column pairs.")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or 0-based number.")]
Strict = Annotated[bool, typer.Option("--strict", help="Fail on any rejected row.")]
Rejects = Annotated[Path | None, typer.Option("--rejects", help="Write rejected rows with reasons to this CSV.")]
Dayfirst = Annotated[bool, typer.Option("--dayfirst", help="Read ambiguous dates like 03/04/2026 as 3 April.")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"talentstats: error: {message}", err=True)
    raise typer.Exit(code)


def load(files: list[Path], messages: list[Path] | None, source_tz: str, maps: list[str] | None,
         map_file: Path | None, sheet: str | None, strict: bool, rejects: Path | None, dayfirst: bool = False,
         metrics_only: bool = False, created_range: Any = None):
    """Shared loading for every command that reads exports (``metrics_only``: skip columns no statistic uses;
    ``created_range``: from a dataset folder read only the reach outs created in that UTC range)."""
    from talentstats.load.accounting import raise_if_rejected
    from talentstats.load.headers import parse_map_options, read_map_file
    from talentstats.load.loader import read_reach_outs
    from talentstats.present.output import write_rejects

    mapping = read_map_file(map_file) if map_file else {}
    mapping.update(parse_map_options(maps))
    loaded = read_reach_outs(files, messages=messages, mapping=mapping, source_tz=source_tz, sheet=sheet,
                             dayfirst=dayfirst, metrics_only=metrics_only, created_range=created_range)
    if rejects is not None:
        write_rejects(loaded.report.rejects, rejects)  # before --strict fails: that is when they are needed
    if strict:
        raise_if_rejected(loaded.report)
    return loaded


def header_mapping(maps: list[str] | None, map_file: Path | None) -> dict[str, str]:
    """The explicit header mapping of --map-file and --map (--map wins)."""
    from talentstats.load.headers import parse_map_options, read_map_file

    mapping = read_map_file(map_file) if map_file else {}
    mapping.update(parse_map_options(maps))
    return mapping


@app.command()
def stats(
    files: Files,
    start: Annotated[str | None, typer.Option("--start", help="First date, YYYY-MM-DD (inclusive).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date, YYYY-MM-DD (inclusive).")] = None,
    week: Annotated[str | None, typer.Option("--week", help="Instead of --start/--end: YYYY-Www, last or latest.")]
    = None,
    messages: Messages = None,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    by: Annotated[str | None, typer.Option("--by", help="Group keys: campaign,sender,week,day,month,state,"
                                                      "response_via,response_type.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    strict: Strict = False,
    rejects: Rejects = None,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    engine: Annotated[str, typer.Option("--engine", help="Compute with pandas (default), polars, duckdb, dask or "
                                                        "spark; each engine is an extra: pip install "
                                                        "'talentstats\\[dask]'.")]
    = "pandas",
    dask_scheduler: Annotated[str | None, typer.Option("--dask-scheduler", help="Address of an existing Dask "
                                                                                "scheduler (tcp://host:8786).")]
    = None,
    spark_master: Annotated[str | None, typer.Option("--spark-master", help="Spark master URL (spark://host:7077,"
                                                                            " yarn, local[4]).")] = None,
) -> None:
    """The five campaign statistics for reach outs created in a date range.

    FILE may be a dataset folder made by `talentstats ingest` (or its URL, with --engine): only the months of the
    range are read. --engine chooses where the statistics are computed; the numbers are the same on every engine.
    """
    from talentstats.present.output import render_stats
    from talentstats.stats.metrics import check_keys, stats_with_total
    from talentstats.stats.periods import parse_date, range_instants, resolve_week, zone

    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--format {fmt!r}: choose table, csv or json")
    keys = check_keys(by)
    if week is None and (start is None or end is None):
        raise UsageError("give --start and --end (YYYY-MM-DD), or --week")
    if week is not None and (start is not None or end is not None):
        raise UsageError("give either --week or --start/--end, not both")
    zone(tz)
    if week is None:
        s, e = parse_date(start, "--start"), parse_date(end, "--end")
    span = range_instants(s, e, tz) if week is None and s <= e else None
    from talentstats.stats.engines import check_engine

    if check_engine(engine) != "pandas" or dask_scheduler or spark_master:
        if (dask_scheduler and engine != "dask") or (spark_master and engine != "spark"):
            raise UsageError("--dask-scheduler goes with --engine dask, --spark-master with --engine spark")
        from talentstats.stats.engines import engine_stats

        out = engine_stats(engine, files, tz, keys, (s, e) if week is None else None, week, span,
                           messages=messages, source_tz=source_tz, mapping=_mapping(maps, map_file), sheet=sheet,
                           dayfirst=dayfirst, strict=strict, rejects=rejects, dask_scheduler=dask_scheduler,
                           spark_master=spark_master)
        typer.echo(render_stats(fmt, *out), nl=False)
        return
    loaded = load(files, messages, source_tz, maps, map_file, sheet, strict, rejects, dayfirst,
                  metrics_only=rejects is None, created_range=span)
    if week is not None:
        newest = newest_date(loaded.table, tz)
        s, e = resolve_week(week, newest, tz)
    rows, total = stats_with_total(loaded.table, s, e, tz, keys, opens_known=loaded.report.opens_source is not None)
    typer.echo(render_stats(fmt, s, e, tz, keys, rows, total, loaded.report), nl=False)


def _mapping(maps: list[str] | None, map_file: Path | None) -> dict[str, str]:
    from talentstats.load.headers import parse_map_options, read_map_file

    mapping = read_map_file(map_file) if map_file else {}
    mapping.update(parse_map_options(maps))
    return mapping


def newest_date(table: Any, tz: str):
    """The newest created_at date in ``tz`` (None for an empty table)."""
    if len(table) == 0:
        return None
    return table["created_at"].max().tz_convert(tz).date()


@app.command()
def report(
    files: Files,
    messages: Messages = None,
    week: Annotated[str, typer.Option("--week", help="YYYY-Www, last (last complete week before today) or "
                                                    "latest (newest complete week in the data).")] = "last",
    start: Annotated[str | None, typer.Option("--start", help="Explicit period start (with --end).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Explicit period end (with --start).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="Render the N weeks ending with --week (backfill).")] = 1,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    campaign: Annotated[list[str] | None, typer.Option("--campaign", help="Only this campaign (repeatable).")]
    = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    fmt: Annotated[str, typer.Option("--format", help="Any of html,pdf,ipynb.")] = "html,pdf",
    title: Annotated[str, typer.Option("--title", help="Report title.")] = "Weekly campaign report",
    include_pii: Annotated[bool, typer.Option("--include-pii", help="Show prospect names and emails.")] = False,
    paper: Annotated[str, typer.Option("--paper", help="PDF paper size: A4 or Letter.")] = "A4",
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
) -> None:
    """Render the weekly report (HTML, PDF, executed notebook) into OUT/<week>/ and update OUT/index.html."""
    import datetime as dt

    from rich.progress import Progress

    from talentstats.report import parse_formats, render
    from talentstats.stats.periods import check_range, parse_date, resolve_week

    formats = parse_formats(fmt)
    if paper.lower() not in ("a4", "letter"):
        raise UsageError(f"--paper {paper!r}: choose A4 or Letter")
    if weeks < 1:
        raise UsageError("--weeks must be at least 1")
    from talentstats.stats.periods import zone

    zone(tz)
    zone(source_tz)
    loaded = load(files, messages, source_tz, maps, map_file, sheet, False, None, dayfirst)
    if start or end:
        if not (start and end):
            raise UsageError("give both --start and --end")
        periods = [(parse_date(start, "--start"), parse_date(end, "--end"))]
        check_range(*periods[0])
    else:
        last_start, _ = resolve_week(week, newest_date(loaded.table, tz), tz)
        periods = [(last_start - dt.timedelta(weeks=i), last_start - dt.timedelta(weeks=i) + dt.timedelta(days=6))
                   for i in range(weeks - 1, -1, -1)]
    kwargs = dict(messages=messages, tz=tz, campaigns=campaign or (), title=title, formats=formats, paper=paper,
                  include_pii=include_pii, source_tz=source_tz, mapping=header_mapping(maps, map_file),
                  sheet=sheet, dayfirst=dayfirst)
    done = []
    if len(periods) == 1:
        done.append(render(files, out, *periods[0], **kwargs))
    else:
        # stdout, not stderr: stderr goes to the kernel log while a week renders; silent when not a terminal
        with Progress(transient=True, disable=not sys.stdout.isatty()) as progress:
            task = progress.add_task("Rendering weekly reports", total=len(periods))
            for s, e in periods:
                done.append(render(files, out, s, e, **kwargs))
                progress.advance(task)
    for r in done:
        names = ", ".join(str(p) for p in r.files.values())
        typer.echo(f"{r.folder.name}: {names} ({r.seconds:.1f} s)")
    typer.echo(f"index: {out / 'index.html'}")


@app.command()
def check(
    files: Files,
    messages: Messages = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="Exit 1 when any of these findings is present: unreadable, rejected, duplicates, case_ids, "
                          "interested_not_responded, responded_without_open, future, stale_campaigns, "
                          "unmatched_messages, or all.")] = None,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    limit: Annotated[int, typer.Option("--limit", help="Items listed per finding.")] = 10,
    now: Annotated[str | None, typer.Option("--now", help="Check as of this time (ISO; default: now).")] = None,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
) -> None:
    """Data-quality findings about exports (rejects, duplicates, odd rows, stale campaigns); no statistics."""
    import datetime as dt

    from talentstats.check import check_loaded, parse_fail_on, render_check
    from talentstats.stats.periods import zone

    if fmt not in ("table", "json"):
        raise UsageError(f"--format {fmt!r}: choose table or json")
    kinds = parse_fail_on(fail_on)
    zone(tz)
    if limit < 0:
        raise UsageError("--limit must be 0 or more")
    when = None
    if now is not None:
        try:
            when = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--now {now!r}: expected an ISO date or time, e.g. 2026-11-27T09:00:00Z")
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    from talentstats.check import load_readable
    from talentstats.errors import InputError
    from talentstats.load.headers import parse_map_options, read_map_file

    mapping = read_map_file(map_file) if map_file else {}
    mapping.update(parse_map_options(maps))
    loaded, unreadable = load_readable(files, messages, lambda f, m: load(f, m, source_tz, maps, map_file, sheet,
                                                                          False, None, dayfirst))
    result = check_loaded(loaded, inputs=[*files, *(messages or [])], mapping=mapping, sheet=sheet, tz=tz,
                          now=when, limit=limit, unreadable=unreadable)
    typer.echo(render_check(result, fmt, kinds), nl=False)
    if unreadable:  # bad input: exit 2 even though the other files were checked
        raise InputError(f"{len(unreadable)} file(s) could not be read; the first: {unreadable[0]['error']}")
    if result.found(kinds):
        raise typer.Exit(1)


@app.command()
def dashboard(
    files: Annotated[list[Path] | None, typer.Argument(help="Exports to show (default: the sample data).")] = None,
    messages: Messages = None,
    port: Annotated[int, typer.Option("--port", help="Port on localhost.")] = 8866,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
) -> None:
    """Serve the interactive dashboard as a web app with Voilà on localhost."""
    from talentstats.serve import serve_dashboard

    raise typer.Exit(serve_dashboard(files or [], messages=messages or [], port=port, tz=tz, source_tz=source_tz))


@app.command()
def ingest(
    files: Files,
    into: Annotated[Path, typer.Option("--into", help="Dataset folder (created on first use).")],
    messages: Messages = None,
    source_tz: SourceTz = "UTC",
    strict: Strict = False,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Normalise exports once into a canonical Parquet dataset (by month), merging them with what it holds.

    The latest updated_at of a reach out wins; re-ingesting an export changes nothing; an export without open
    information keeps the opens stored. stats, report and dashboard then read DIR like an export, only the
    months and columns they need.
    """
    import json

    from talentstats.dataset.write import ingest as run_ingest
    from talentstats.load.headers import parse_map_options, read_map_file

    if fmt not in ("text", "json"):
        raise UsageError(f"--format {fmt!r}: choose text or json")
    mapping = read_map_file(map_file) if map_file else {}
    mapping.update(parse_map_options(maps))
    r = run_ingest(files, into, messages=messages, mapping=mapping, source_tz=source_tz, sheet=sheet,
                   dayfirst=dayfirst, strict=strict)
    if fmt == "json":
        typer.echo(json.dumps(r.as_dict(), default=str))
        return
    load = r.load
    typer.echo(f"read {load['rows_read']:,} rows from {len(r.exports)} export(s): {load['rows_loaded']:,} reach outs, "
               f"{load['rows_rejected']:,} rejected, {load['duplicates_collapsed']:,} duplicates collapsed")
    typer.echo(f"merged into {into}: {r.added:,} added, {r.updated:,} updated, {r.unchanged:,} unchanged, "
               f"{r.stale:,} older than stored; {len(r.partitions_written)} month(s) written; "
               f"{r.rows_in_dataset:,} reach outs in the dataset")
    if r.rejects_file:
        typer.echo(f"rejected rows: {Path(into) / r.rejects_file}")


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write reach_outs.csv and messages.csv into.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 0,
    reach_outs: Annotated[int, typer.Option("--reach-outs", help="Number of reach outs.")] = 10_000,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write a realistic, deterministic sample export (reach outs + messages)."""
    from talentstats.sample import write_sample

    if reach_outs < 1:
        raise UsageError("--reach-outs must be at least 1")
    if fmt not in ("csv", "parquet"):
        raise UsageError("--format: choose csv or parquet")
    paths = write_sample(out, reach_outs=reach_outs, seed=seed, fmt=fmt)
    typer.echo(f"wrote {paths.reach_outs} and {paths.messages}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning TalentstatsError into a one-line message and exit code 2."""
    try:
        code = app(args=argv, prog_name="talentstats", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) comes back as a return value here
            sys.exit(code)
    except TalentstatsError as err:
        typer.echo(f"talentstats: error: {err}", err=True)
        sys.exit(err.exit_code)
    except typer.Exit as ex:
        sys.exit(ex.exit_code)
    except typer.Abort:
        typer.echo("talentstats: aborted", err=True)
        sys.exit(130)
    except Exception as err:  # click usage errors and the like
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(2)
        raise
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
