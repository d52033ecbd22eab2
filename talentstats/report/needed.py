"""The rows a report run's notebook can use: the loaded table cut down before it is written to the snapshot.

A weekly report reads a few weeks of a table that may hold years. :func:`needed_rows` marks every row any section
of the packaged notebook can read for the periods rendered, and :func:`~talentstats.report.handoff.write_snapshot`
leaves the rest out, so the snapshot is written, read and scanned in less time; every number stays the same. A
row is kept when (after the run's campaign filter, which the notebook applies too):

- it was created from the earliest date a section looks back to (:func:`lookback`: the 12-week trends, the
  previous period of the same-age comparison and of the activity, the creation weeks of "How replies arrive" and
  of the projection) up to the end of the last period (of its week, when it ends before a Sunday);
- an event of it (first sent, first opened, responded, this last with the loader's Updated-At fallback already
  applied, or a message sent) falls on or after the earliest date whose activity is shown (the previous period's
  first day);
- it is a response (response_via given or state Responded), whatever its age: the maturity line's p90 time to
  reply is that of every earlier response (:func:`talentstats.stats.compare.maturity`) and the activity counts
  every response without a time created up to the period's end (``responses_time_unknown``);
- it holds a value the notebook takes over the whole table: the newest creation (the "Data as of" line, what is
  still filling in), the newest instant of each event column (the "as of" of the comparison, the maturity and the
  triangle), and one row with a known ``opened``, ``first_opened_at`` and ``responded_at`` each (whether the data
  knows opens and event times at all).

The load report travels unchanged (its counts are of the whole load). The messages are not cut: the activity
counts every message sent in a period, whatever its reach out (their ``ro``, the row of their reach out in the
whole table, is left out of a cut snapshot: see :func:`~talentstats.report.handoff.write_snapshot`).

The look-back comes from the sections themselves: the ``weeks`` the packaged notebook passes to its trends and
triangle (or those methods' defaults), :data:`~talentstats.weeklyevents.ARRIVAL_WEEKS` and
:func:`~talentstats.stats.periods.previous_period`. A notebook calling a method not listed in :data:`SECTIONS`
(a new section, whose needs are unknown here) gets the whole table.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
from collections.abc import Sequence
from functools import cache
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.load.accounting import Loaded
from talentstats.report.execute import packaged_notebook
from talentstats.stats.arrival import EVENT_COLUMNS
from talentstats.stats.metrics import responded_expr
from talentstats.stats.periods import monday_of, previous_period, range_instants

#: the WeeklyReport methods whose rows this module accounts for; ``weeks``: those that look back that many weeks
SECTIONS: frozenset[str] = frozenset({
    "header_html", "record", "kpi_html", "activity_html", "activity_table_html", "reconciliation_html", "funnel",
    "state_breakdown", "table_html", "rates", "trend", "campaign_trends", "arrival", "time_to_reply_html", "steps",
    "quality_html", "interested_html"})
_WEEKS_SECTIONS = ("trend", "campaign_trends", "arrival")
#: event columns whose time, on or after the first day of activity shown, keeps a reach out of any age
_ACTIVITY_EVENTS = ("first_sent_at", "first_opened_at", "responded_at")
#: columns of which the notebook asks whether any row knows them
_KNOWN_ANYWHERE = ("opened", "first_opened_at", "responded_at")


@cache
def notebook_weeks() -> int | None:
    """The most weeks any section of the packaged notebook looks back (its trends, its triangle and the
    projection's creation weeks), from the calls in the notebook and the methods' defaults; None when the notebook
    calls a method this module does not know (then nothing may be cut)."""
    from talentstats.weekly import WeeklyReport
    from talentstats.weeklyevents import ARRIVAL_WEEKS

    cells = json.loads(packaged_notebook().read_text(encoding="utf-8"))["cells"]
    weeks = [ARRIVAL_WEEKS]  # (the projection of the headline: compute_triangle(weeks=ARRIVAL_WEEKS))
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "report"):
                continue
            name = node.func.attr
            if name not in SECTIONS:
                return None
            if name in _WEEKS_SECTIONS:
                given = [k.value for k in node.keywords if k.arg == "weeks"] or node.args[:1]
                if given and not isinstance(given[0], ast.Constant):
                    return None
                default = inspect.signature(getattr(WeeklyReport, name)).parameters["weeks"].default
                weeks.append(int(given[0].value) if given else int(default))
    return max(weeks)


def lookback(periods: Sequence[tuple[dt.date, dt.date]], weeks: int) -> tuple[dt.date, dt.date, dt.date]:
    """(first creation date, last creation date, first activity date) the sections of ``periods`` read when the
    longest look-back is ``weeks`` weeks ending with a period's week."""
    created = [min(previous_period(s, e)[0], monday_of(e) - dt.timedelta(weeks=weeks - 1)) for s, e in periods]
    activity = [previous_period(s, e)[0] for s, e in periods]
    # (the trends and the triangle take whole weeks: a period ending mid-week reads its week to the Sunday)
    return min(created), max(max(e, monday_of(e) + dt.timedelta(days=6)) for _, e in periods), min(activity)


def needed_rows(loaded: Loaded, periods: Sequence[tuple[dt.date, dt.date]], tz: str,
                campaigns: Sequence[str] = ()) -> np.ndarray | None:
    """Which rows of ``loaded.table`` the notebook can use for ``periods`` (see the module docstring), as a
    boolean mask for :func:`talentstats.report.handoff.write_snapshot`; None (all of them) when its notebook calls
    a section not accounted for."""
    weeks = notebook_weeks()
    if weeks is None or not periods:
        return None
    table = loaded.table
    scope = table["campaign"].isin([str(c) for c in campaigns]).to_numpy(dtype=bool) if campaigns else None
    return _kept(table, loaded.messages, periods, tz, weeks, scope)


def _kept(table: pd.DataFrame, messages: Any, periods: Sequence[tuple[dt.date, dt.date]], tz: str, weeks: int,
          scope: np.ndarray | None) -> np.ndarray:
    """The mask of the rows to keep among those in ``scope`` (the campaigns' rows; None: all)."""
    first, last, active = lookback(periods, weeks)
    lo, _ = range_instants(first, first, tz)
    _, hi = range_instants(last, last, tz)
    since, _ = range_instants(active, active, tz)
    created = table["created_at"]
    keep = np.array((created >= lo) & (created < hi), dtype=bool)  # (a copy: to_numpy's may be read-only)
    for column in _ACTIVITY_EVENTS:
        if column in table.columns:
            keep |= (table[column] >= since).to_numpy(dtype=bool, na_value=False)
    keep |= np.asarray(nw.from_native(table, eager_only=True).select(_r=responded_expr())["_r"].to_numpy(),
                       dtype=bool)
    if messages is not None:  # (reach outs with a message sent in an activity shown: the messages travel whole)
        sent = _arrow(messages)
        recent = sent.filter(pc.fill_null(pc.greater_equal(sent.column("sent_at"), pa.scalar(since)), False))
        ids = pc.unique(recent.column("reach_out_id")).cast(pa.string()).to_pylist()
        keep |= table["reach_out_id"].isin(ids).to_numpy(dtype=bool)
    if scope is not None:
        keep &= scope
    for column in EVENT_COLUMNS:  # the newest instant of each: "as of"
        if column in table.columns:
            values = table[column] if scope is None else table[column].where(scope)
            if values.notna().any():
                keep[_position(values, values.max())] = True
    for column in _KNOWN_ANYWHERE:
        if column in table.columns:
            known = table[column].notna().to_numpy(dtype=bool)
            if scope is not None:
                known = known & scope
            if known.any() and not (known & keep).any():
                keep[int(np.argmax(known))] = True
    return keep


def _arrow(messages: Any) -> pa.Table:
    """The messages as an Arrow table (the loader's is one)."""
    return messages if isinstance(messages, pa.Table) else pa.Table.from_pandas(messages, preserve_index=False)


def _position(column: pd.Series, value: Any) -> int:
    """The first position of ``value`` in ``column``."""
    return int(np.argmax((column == value).to_numpy(dtype=bool, na_value=False)))


__all__ = ["SECTIONS", "lookback", "needed_rows", "notebook_weeks"]
