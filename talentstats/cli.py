"""The ``talentstats`` command line: each command parses its flags, makes one library call and renders it.

Exit codes: 0 ok, 1 findings asked to fail (``check --fail-on``), 2 bad input or usage (one line on stderr, no
traceback), 70 an internal error (one line; ``talentstats --debug`` or ``TALENTSTATS_DEBUG=1`` shows the
traceback). Library modules are imported inside the commands that need them, so that start-up does not pay for
pandas, plotly or papermill before the first byte of an export is read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from talentstats import clievents, cliopts
from talentstats.cliopts import (
    WEEK_HELP,
    AsOfVersion,
    Dayfirst,
    Files,
    MapFile,
    Maps,
    Messages,
    Rejects,
    Sheet,
    SourceTz,
    Strict,
    Tz,
    exit_now,
    load_options,
    write_out,
)
from talentstats.errors import TalentstatsError, UsageError

#: the --quiet flag of the long commands (report, ingest)
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr (shown only on a terminal).")]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode="markdown",
                  help="Campaign statistics, dashboards and weekly reports from Talent CRM Reach Out exports.")

#: library parameter -> the flag that sets it (errors name what the user typed)
FLAGS = {"fmt": "--format", "formats": "--format", "source_tz": "--source-tz", "tz": "--tz", "mapping": "--map",
         "fail_on": "--fail-on", "engine": "--engine", "paper": "--paper", "port": "--port", "week": "--week",
         "weeks": "--weeks", "start": "--start", "end": "--end", "limit": "--limit", "now": "--now",
         "sheet": "--sheet", "by": "--by", "reach_outs": "--reach-outs", "strict": "--strict", "into": "--into",
         "dask_scheduler": "--dask-scheduler", "spark_master": "--spark-master", "dates": "--start/--end",
         "as_of_version": "--as-of-version", "out": "--out", "pdf_timeout": "--pdf-timeout", "bind": "--bind",
         "allow_host": "--allow-host", "token": "--token", "max_kernels": "--max-kernels",
         "rejects": "--rejects", "view": "--view", "metric": "--metric", "compare": "--compare",
         "same_age": "--same-age", "as_of": "--as-of", "previous": "--compare", "messages": "--messages",
         **cliopts.LIMIT_FLAGS}


@app.command(epilog="**Examples**\n\n* `talentstats stats exports/ --week last --by campaign`\n\n"
                    "* `talentstats stats reach_outs.csv --messages messages.csv --start 2026-11-16 --end 2026-11-22"
                    " --format json`\n\n* `talentstats stats exports/ --week latest --compare previous --same-age`\n\n"
                    "* `talentstats stats exports/ --messages messages.csv --week last --view reconcile`")
def stats(
    files: Files,
    start: Annotated[str | None, typer.Option("--start", help="First date, YYYY-MM-DD (inclusive).",
                                              metavar="DATE")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date, YYYY-MM-DD (inclusive).", metavar="DATE")]
    = None,
    week: Annotated[str | None, typer.Option("--week", help="Instead of --start/--end: " + WEEK_HELP,
                                             metavar="WEEK")] = None,
    messages: Messages = None,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    by: Annotated[str | None, typer.Option("--by", metavar="KEYS", help="Group keys, comma-separated: campaign, "
                                           "sender, week, day, month, state, response_via, response_type.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.", metavar="FORMAT")] = "table",
    strict: Strict = False,
    rejects: Rejects = None,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    max_field_bytes: cliopts.MaxFieldBytes = None,
    max_inflated_bytes: cliopts.MaxInflatedBytes = None,
    read_limit: cliopts.ReadLimits = None,
    as_of_version: AsOfVersion = None,
    engine: Annotated[str, typer.Option("--engine", metavar="ENGINE", help="Compute with pandas (default), polars, "
                                        "duckdb, dask or spark; each engine is an extra: pip install "
                                        "'talentstats\\[dask]'.")] = "pandas",
    dask_scheduler: Annotated[str | None, typer.Option("--dask-scheduler", metavar="ADDRESS",
                                                       help="Address of an existing Dask scheduler "
                                                            "(tcp://host:8786).")] = None,
    spark_master: Annotated[str | None, typer.Option("--spark-master", metavar="URL",
                                                     help="Spark master URL (spark://host:7077, yarn, local[4]).")]
    = None,
    view: Annotated[str, typer.Option("--view", metavar="VIEW", help="cohort (default: what became of the reach "
                                      "outs created in the range), activity (what happened in the range, by the "
                                      "date of each event) or reconcile (the two side by side, adding up).")]
    = "cohort",
    time_to_reply: Annotated[bool, typer.Option("--time-to-reply", help="Add the median, p75 and p90 hours from "
                                                "first send to reply (and n) of the range's cohort.")] = False,
    compare: Annotated[str | None, typer.Option("--compare", metavar="PERIOD", help="Compare with 'previous' (the "
                                                "same-length period just before) or START:END (two dates) for the "
                                                "changes, with an interval and a verdict for rates.")] = None,
    same_age: Annotated[bool, typer.Option("--same-age", help="With --compare: take the earlier period as it "
                                           "stood when it was as old as this one is.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="INSTANT", help="With --same-age: the instant the "
                                              "data stands at (default: the newest in the data).")] = None,
) -> None:
    """The five campaign statistics for reach outs created in a date range (or, with --view, what happened in it).

    `--week last` is the last complete week before today (for a schedule); `--week latest` the newest complete
    week in the data (for an export that stopped updating).

    FILES may be a dataset folder made by `talentstats ingest` (or its URL, with --engine): only the months of
    the range are read. --engine chooses where the statistics are computed; the numbers are the same on every
    engine.

    The table lists groups as the weekly report does: largest first by reach outs, then by name (grouped by week,
    day or month: in time order first); CSV and JSON rows stay sorted by the group keys. In a terminal too narrow
    for every column (80 columns) rates put their interval on a second line and the columns that still do not
    fit are left out, a line naming them; --format csv has every column.
    """
    if fmt not in ("table", "csv", "json"):
        raise UsageError("choose table, csv or json", parameter="fmt", value=fmt)
    if week is None and (start is None or end is None):
        raise UsageError("give --start and --end (YYYY-MM-DD), or --week")
    if week is not None and (start is not None or end is not None):
        raise UsageError("give either --week or --start/--end, not both")
    if (dask_scheduler and engine != "dask") or (spark_master and engine != "spark"):
        raise UsageError("--dask-scheduler goes with --engine dask, --spark-master with --engine spark")
    options = load_options(messages, source_tz, maps, map_file, sheet, dayfirst, strict, rejects,
                           (max_field_bytes, max_inflated_bytes, read_limit))
    options = options.but(as_of_version=as_of_version) if as_of_version is not None else options
    view = view.strip().lower()
    if view != "cohort" or time_to_reply:
        from talentstats.present.eventout import render_events_bytes
        from talentstats.stats.eventquery import compute_view

        if dask_scheduler or spark_master:
            raise UsageError("a cluster is for the cohort view", parameter="view", value=view)
        write_out(render_events_bytes(fmt, compute_view(files, view=view, options=options, start=start, end=end,
                                                     week=week, tz=tz, by=by, time_to_reply_=time_to_reply,
                                                     engine=engine.strip().lower())))
        exit_now()
        return
    from talentstats.present.output import render_stats_bytes  # (pandas, narwhals: imported when the command runs)
    from talentstats.stats.query import compute_stats

    result = compute_stats(files, options=options, start=start, end=end, week=week, tz=tz, by=by,
                           engine=engine.strip().lower(), dask_scheduler=dask_scheduler, spark_master=spark_master,
                           compare=compare, same_age=same_age, as_of=as_of)
    write_out(render_stats_bytes(fmt, result))
    exit_now()


@app.command(epilog="**Examples**\n\n* `talentstats report exports/ --week last --out reports`\n\n"
                    "* `talentstats report exports/ --weeks 8 --format html,pdf,ipynb`")
def report(
    files: Files,
    messages: Messages = None,
    week: Annotated[str, typer.Option("--week", help=WEEK_HELP, metavar="WEEK")] = "last",
    start: Annotated[str | None, typer.Option("--start", help="Explicit period start (with --end).", metavar="DATE")]
    = None,
    end: Annotated[str | None, typer.Option("--end", help="Explicit period end (with --start).", metavar="DATE")]
    = None,
    weeks: Annotated[int, typer.Option("--weeks", help="Render the N weeks ending with --week (backfill).",
                                       metavar="N")] = 1,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    campaign: Annotated[list[str] | None, typer.Option("--campaign", help="Only this campaign (repeatable).",
                                                       metavar="NAME")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.", metavar="DIR")] = Path("reports"),
    fmt: Annotated[str, typer.Option("--format", help="Any of html,pdf,ipynb.", metavar="FORMATS")] = "html,pdf",
    title: Annotated[str, typer.Option("--title", help="Report title.")] = "Weekly campaign report",
    include_pii: Annotated[bool, typer.Option("--include-pii", help="Show prospect names and emails.")] = False,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Render a week without any reach out too "
                                              "(refused by default: an export that stopped updating).")] = False,
    paper: Annotated[str, typer.Option("--paper", help="PDF paper size: A4 or Letter.")] = "A4",
    pdf_timeout: Annotated[float, typer.Option("--pdf-timeout", help="Seconds Chromium may take to print a PDF.",
                                               metavar="SECONDS")] = 60.0,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    max_field_bytes: cliopts.MaxFieldBytes = None,
    max_inflated_bytes: cliopts.MaxInflatedBytes = None,
    read_limit: cliopts.ReadLimits = None,
    as_of_version: AsOfVersion = None,
    quiet: Quiet = False,
) -> None:
    """Render the weekly report (HTML, PDF, executed notebook) into OUT/<week>/ and update OUT/index.html.

    Each week's files are printed as soon as the week is done; on a terminal, stderr shows the step under way.
    """
    from talentstats.reportkernel import ReportKernel

    if (start is None) != (end is None):
        raise UsageError("give both --start and --end")
    cliopts.check_weeks(weeks)
    with ReportKernel(cwd=Path.cwd()) as kernel:
        kernel.start()  # first thing: its start (~1 s) overlaps the imports below and the load of the exports
        from talentstats.progress import Progress
        from talentstats.report import parse_formats, render_reports  # (papermill, nbconvert: imported when run)

        options = load_options(messages, source_tz, maps, map_file, sheet, dayfirst,
                               limits=(max_field_bytes, max_inflated_bytes, read_limit))
        options = options.but(as_of_version=as_of_version) if as_of_version is not None else options
        formats = parse_formats(fmt)

        with Progress("Weekly report", quiet=quiet, total=weeks if start is None else 1, delay=1.0) as progress:
            def week_done(r: Any) -> None:
                progress.advance()
                progress.echo(f"{r.folder.name}: {', '.join(str(p) for p in r.files.values())} ({r.seconds:.1f} s)")

            render_reports(files, out, options=options, week=week, weeks=weeks, start=start, end=end, tz=tz,
                           campaigns=tuple(campaign or ()), title=title, formats=formats, paper=paper,
                           include_pii=include_pii, on_week=week_done, on_step=progress.step,
                           pdf_timeout=pdf_timeout, allow_empty=allow_empty, kernel=kernel)
    typer.echo(f"index: {out / 'index.html'}")
    exit_now()  # (every file is in place, the kernel and the browser are gone: no interpreter teardown)


@app.command()
def check(
    files: Files,
    messages: Messages = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.", metavar="FORMAT")] = "table",
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", metavar="KINDS", help="Exit 1 when any of these findings is present: unreadable, rejected, "
        "duplicates, case_ids, interested_not_responded, responded_without_open, future, contradicting_events, "
        "stale_campaigns, unmatched_messages, merged_spellings, or all.")] = None,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    limit: Annotated[int, typer.Option("--limit", help="Items listed per finding.", metavar="N")] = 10,
    now: Annotated[str | None, typer.Option("--now", help="Check as of this time (ISO; default: now).",
                                            metavar="TIME")] = None,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    max_field_bytes: cliopts.MaxFieldBytes = None,
    max_inflated_bytes: cliopts.MaxInflatedBytes = None,
    read_limit: cliopts.ReadLimits = None,
) -> None:
    """Data-quality findings about exports (rejects, duplicates, odd rows, stale campaigns); no statistics."""
    import datetime as dt

    from talentstats.check import check_exports, parse_fail_on, render_check  # (pandas: imported when run)
    from talentstats.errors import InputError

    if fmt not in ("table", "json"):
        raise UsageError("choose table or json", parameter="fmt", value=fmt)
    kinds = parse_fail_on(fail_on)
    when = None
    if now is not None:
        try:
            when = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError("expected an ISO date or time, e.g. 2026-11-27T09:00:00Z", parameter="now", value=now)
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    options = load_options(messages, source_tz, maps, map_file, sheet, dayfirst,
                           limits=(max_field_bytes, max_inflated_bytes, read_limit))
    result = check_exports(files, options=options, tz=tz, now=when, limit=limit)
    typer.echo(render_check(result, fmt, kinds), nl=False)
    unreadable = result.unreadable
    if unreadable:  # bad input: exit 2 even though the other files were checked
        raise InputError(f"{len(unreadable)} file(s) could not be read; the first: {unreadable[0]['error']}")
    if result.found(kinds):
        raise typer.Exit(1)


@app.command()
def dashboard(
    files: Annotated[list[Path] | None, typer.Argument(help="Exports to show (default: the sample data).",
                                                       metavar="[FILES]...")] = None,
    messages: Messages = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8866,
    tz: Tz = "UTC",
    source_tz: SourceTz = "UTC",
    bind: Annotated[str, typer.Option("--bind", metavar="ADDRESS", help="Address to listen on; 0.0.0.0 exposes "
                                      "the dashboard to other machines (a token is then required).")] = "127.0.0.1",
    allow_host: Annotated[list[str] | None, typer.Option("--allow-host", metavar="NAME", help="Also answer "
                          "requests for this host name or address (repeatable; localhost always).")] = None,
    token: Annotated[str | None, typer.Option("--token", metavar="TOKEN", help="Require this token (default: "
                     "none on localhost, a generated one beyond).")] = None,
    max_kernels: Annotated[int, typer.Option("--max-kernels", metavar="N", help="Dashboards open at once at "
                                             "most.")] = 4,
) -> None:
    """Serve the interactive dashboard as a web app with Voilà (on localhost unless --bind says otherwise)."""
    from talentstats.serve import serve_dashboard

    raise typer.Exit(serve_dashboard(files or [], messages=messages or [], port=port, tz=tz, source_tz=source_tz,
                                     bind=bind, allow_hosts=allow_host or [], token=token, max_kernels=max_kernels))


@app.command()
def ingest(
    files: Files,
    into: Annotated[Path, typer.Option("--into", help="Dataset folder (created on first use).", metavar="DIR")],
    messages: Messages = None,
    source_tz: SourceTz = "UTC",
    strict: Strict = False,
    maps: Maps = None,
    map_file: MapFile = None,
    sheet: Sheet = None,
    dayfirst: Dayfirst = False,
    max_field_bytes: cliopts.MaxFieldBytes = None,
    max_inflated_bytes: cliopts.MaxInflatedBytes = None,
    read_limit: cliopts.ReadLimits = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.", metavar="FORMAT")] = "text",
    quiet: Quiet = False,
) -> None:
    """Normalise exports once into a canonical dataset (a Delta Lake table by month), merging them with what it
    holds in one transaction: a killed or failed ingest changes nothing, and ingests may run at the same time.

    The latest updated_at of a reach out wins; re-ingesting an export changes nothing; an export without open
    information keeps the opens stored. stats, report and dashboard then read DIR like an export, only the
    months and columns they need.
    """
    import json

    from talentstats.dataset.write import ingest as run_ingest  # (pyarrow, pandas: imported when run)
    from talentstats.progress import Progress

    if fmt not in ("text", "json"):
        raise UsageError("choose text or json", parameter="fmt", value=fmt)
    options = load_options(messages, source_tz, maps, map_file, sheet, dayfirst, strict,
                           limits=(max_field_bytes, max_inflated_bytes, read_limit))
    with Progress(f"Ingesting {len(files)} export(s) into {into}", quiet=quiet, delay=1.0):
        r = run_ingest(files, into, options)
    if fmt == "json":
        typer.echo(json.dumps(r.as_dict(), default=str))
        return
    load = r.load
    typer.echo(f"read {load['rows_read']:,} rows from {len(r.exports)} export(s): {load['rows_loaded']:,} reach outs, "
               f"{load['rows_rejected']:,} rejected, {load['duplicates_collapsed']:,} duplicates collapsed")
    typer.echo(f"merged into {into}: {r.added:,} added, {r.updated:,} updated, {r.unchanged:,} unchanged, "
               f"{r.stale:,} older than stored; {len(r.partitions_written)} month(s) written; "
               f"{r.rows_in_dataset:,} reach outs in the dataset, version {r.dataset_version}"
               + ("" if r.committed else " (nothing changed: no new version)"))
    if r.rejects_file:
        typer.echo(f"rejected rows: {Path(into) / r.rejects_file}")


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write reach_outs.csv and messages.csv into.",
                                      metavar="DIR")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 0,
    reach_outs: Annotated[int, typer.Option("--reach-outs", help="Number of reach outs.", metavar="N", min=1)] = 10_000,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.", metavar="FORMAT")] = "csv",
) -> None:
    """Write a realistic, deterministic sample export (reach outs + messages)."""
    from talentstats.sample import write_sample  # (numpy, pyarrow: imported when run)

    paths = write_sample(out, reach_outs=reach_outs, seed=seed, fmt=fmt)
    typer.echo(f"wrote {paths.reach_outs} and {paths.messages}")


app.command(epilog=clievents.STEPS_EXAMPLE)(clievents.steps)
app.command(epilog=clievents.TRIANGLE_EXAMPLE)(clievents.triangle)
app.callback()(cliopts.debug_flag)


def error_line(err: TalentstatsError) -> str:
    """The one line a library error prints: its parameters (and limits) named as the flags that set them."""
    parameter = getattr(err, "parameter", None)
    if parameter is not None and hasattr(err, "describe"):
        return err.describe(FLAGS.get(parameter, parameter))
    return str(err)


def _leave(code: int) -> None:
    """Exit with ``code`` after an input or machine error: the error line is written and every ``with`` block has
    cleaned up while the error rose, so the process ends at once, not through the interpreter's teardown, where an
    Arrow reader thread stopped mid-file can abort it (SIGABRT: "terminate called without an active exception")."""
    cliopts.exit_now(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning TalentstatsError into a one-line message and exit code 2 (an operating
    system error too: a read-only or full output location), and anything else into one line and exit code 70."""
    cliopts.DEBUG[0] = False
    try:
        code = app(args=argv, prog_name="talentstats", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) comes back as a return value here
            sys.exit(code)
    except TalentstatsError as err:
        typer.echo(f"talentstats: error: {error_line(err)}", err=True)
        _leave(err.exit_code)
    except typer.Exit as ex:
        sys.exit(ex.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("talentstats: aborted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # (the reader of stdout went away: nothing to tell it)
        sys.exit(141)
    except OSError as err:  # the machine, not the input: a read-only folder, a full disk
        typer.echo(f"talentstats: error: {err.filename or ''}{': ' if err.filename else ''}{err.strerror or err}",
                   err=True)
        _leave(2)
    except Exception as err:  # usage errors of the flags themselves (typer's click exceptions), else a bug
        if not (hasattr(err, "format_message") and hasattr(err, "exit_code")):
            sys.exit(cliopts.internal_error(err))
        ctx = getattr(err, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        typer.echo(f"talentstats: error: {err.format_message()}{hint}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
