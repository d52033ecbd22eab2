"""``talentstats check``: data-quality findings about exports, without computing any statistics.

Findings (each a *kind* that ``--fail-on`` can name):

============================  ===================================================================================
unreadable                    files that cannot be read at all (the one-line error each); the others are checked
rejected                      rows that could not be read, with file, line, column and reason
duplicates                    reach outs exported more than once (the loader keeps the latest update)
case_ids                      ids equal but for letter case ("RO-7" / "ro-7"): kept as two reach outs
interested_not_responded      marked Interested without a response: not counted as Interested
responded_without_open        responded but no tracked open (a reply does not imply an open; pixels get blocked)
future                        created after the moment of the check (clock or time-zone errors)
contradicting_events          events out of order: opened or replied before the first send, a message opened
                              before it was sent, a step sent after the reply, an open before creation
                              (:mod:`talentstats.check.events`)
stale_campaigns               campaigns with no reach out created in the 4 weeks up to the data's newest date
unmatched_messages            messages whose reach out is not in the reach-out exports
merged_spellings              raw spellings of one campaign, sender, response via or response type that the text
                              rule merged ("Sales" / "Sales " / "Sales\\u00a0" -> "Sales"), with counts and lines
============================  ===================================================================================

"Stale" is measured from the newest creation date in the data that is not in the future (``as_of``), not from
today: an export looked at a week after it was taken would otherwise call every campaign stale, and a
mistyped 2099 date would too. The window is the 28 days ending on ``as_of`` (in the ``tz`` given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from talentstats.check.findings import all_findings
from talentstats.check.render import render_check
from talentstats.check.result import KINDS, CheckResult, Finding, parse_fail_on
from talentstats.dataset.read import dataset_problems
from talentstats.dataset.snapshot import is_dataset
from talentstats.errors import InputError, UsageError
from talentstats.load.accounting import Loaded, LoadReport
from talentstats.load.limits import Limits
from talentstats.load.loader import load
from talentstats.load.normalize import ARROW_SCHEMA, to_pandas
from talentstats.load.options import LoadOptions
from talentstats.load.read import expand_paths
from talentstats.stats.metrics import newest_date
from talentstats.stats.periods import zone

# --------------------------------------------------------------------------------------------- findings


def check_exports(paths: Sequence[str | Path], *, options: LoadOptions | None = None, tz: str = "UTC",
                  now: dt.datetime | None = None, limit: int = 10) -> CheckResult:
    """Every data-quality finding about some exports (no statistics).

    Args:
        paths: export files or folders.
        options: how to read them (:class:`LoadOptions`; ``strict`` and ``rejects`` are ignored: rejected rows
            are a finding here).
        tz: the time zone of dates shown and of the staleness window.
        now: check as of this instant (default: now).
        limit: items listed per finding.

    Returns:
        :class:`CheckResult`; files that cannot be read at all are the ``unreadable`` finding.

    Raises:
        UsageError: a bad argument (naming its parameter).
        InputError: when no file at all can be read (the first file's error).
    """
    options = (options or LoadOptions()).but(strict=False, rejects=None)
    zone(tz, parameter="tz")
    if limit < 0:
        raise UsageError("must be 0 or more", parameter="limit", value=limit)
    loaded, unreadable = load_readable(paths, options)
    exports = [p for p in paths if not is_dataset(p)]  # (a dataset folder names no messages export)
    return check_loaded(loaded, inputs=[*exports, *options.messages], mapping=options.header_map,
                        sheet=options.sheet, tz=tz, now=now, limit=limit, unreadable=unreadable,
                        limits=options.limits)


def load_readable(paths: Sequence[str | Path], options: LoadOptions) -> tuple[Loaded, list[dict[str, str]]]:
    """The load of ``paths``, leaving out each file that fails with an error naming it (and trying again),
    so one broken export does not hide the findings of the others. A dataset is validated first (its log, every
    data file of its version present, readable and holding the rows its log records); a damaged one is left out
    with a finding per bad file. Returns the load and the unreadable files with their errors; when no file can be
    read, the first error is raised."""
    datasets = [p for p in paths if is_dataset(p)]  # (validated, then read as a dataset: never as exports)
    unreadable: list[dict[str, str]] = [u for root in datasets for u in dataset_problems(root, options.as_of_version)]
    files = [p for p in datasets if str(p) not in {u["dataset"] for u in unreadable}]
    files += list(expand_paths([p for p in paths if not is_dataset(p)])) if len(datasets) < len(paths) else []
    unreadable = [{"file": u["file"], "error": u["error"]} for u in unreadable]
    messages = list(expand_paths(options.messages)) if options.messages else []
    if not files and unreadable:  # (a damaged dataset alone: its findings, on no rows)
        return Loaded(to_pandas(ARROW_SCHEMA.empty_table()), LoadReport()), unreadable
    first: InputError | None = None
    while True:
        try:
            return load(files, options.but(messages=tuple(messages))), unreadable
        except InputError as err:
            bad = next((f for f in (*files, *messages) if err.file is not None and str(f) == str(err.file)), None)
            if bad is None:
                raise
            first = first or err
            unreadable.append({"file": str(bad), "error": str(err)})
            files = [f for f in files if f != bad]
            messages = [f for f in messages if f != bad]
            if not files:
                raise first


def check_loaded(loaded: Loaded, *, inputs: Sequence[str | Path] = (), mapping: Mapping[str, str] | None = None,
                 sheet: str | int | None = None, tz: str = "UTC", now: dt.datetime | None = None,
                 limit: int = 10, unreadable: Sequence[Mapping[str, str]] = (), limits: Limits | None = None,
                 ) -> CheckResult:
    """Every finding about a load. ``inputs``: every file or folder given (reach outs and messages), to name the
    messages exports; ``mapping``/``sheet`` as used for loading (the duplicate pass rereads the ids);
    ``unreadable``: files left out of the load, as :func:`load_readable` gives them; ``limits``: the read limits
    of the load (:class:`~talentstats.load.limits.Limits`)."""
    table, report = loaded
    now = now or dt.datetime.now(dt.UTC)
    if not 2000 <= now.year <= 2100:  # (the one time rule: no instant outside it exists in any time zone)
        raise UsageError("must be in 2000-2100, the years reach outs can be created in", parameter="now",
                         value=now.isoformat())
    now_ts = pd.Timestamp(now).tz_convert("UTC") if pd.Timestamp(now).tzinfo else pd.Timestamp(now, tz="UTC")
    as_of = newest_date(table[table["created_at"] <= now_ts], tz)  # (the newest that is not in the future)
    findings = all_findings(loaded, now_ts, as_of, tz, mapping, sheet, limit, unreadable, limits or Limits())
    skipped = {u["file"] for u in unreadable}
    message_files = [str(p) for p in expand_paths(inputs) if str(p) not in report.files and str(p) not in skipped] \
        if inputs else []
    return CheckResult(files=list(report.files), message_files=message_files, load=report.as_dict(),
                       opens_source=report.opens_source, as_of=as_of, now=now_ts.to_pydatetime(), tz=tz,
                       findings=findings, unreadable=[dict(u) for u in unreadable])


























# --------------------------------------------------------------------------------------------- output


__all__ = ["KINDS", "CheckResult", "Finding", "check_exports", "check_loaded", "parse_fail_on", "render_check"]
