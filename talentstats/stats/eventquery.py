"""One call per event question (issue 13): the activity view, its reconciliation with the cohort view, time to
reply, the steps and the development triangle - exports (or a dataset) in, an :class:`EventsResult` out, on any
engine (the loader's Arrow tables handed to the engine; the numbers are the same on each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentstats.errors import UsageError
from talentstats.load.accounting import LoadReport
from talentstats.load.loader import finish_load, load_arrow
from talentstats.load.normalize import to_pandas
from talentstats.load.options import LoadOptions
from talentstats.stats.activity import (
    ACTIVITY_KEYS,
    RECONCILE_KEYS,
    activity_counts,
    check_activity_keys,
    event_counts,
    reconcile,
)
from talentstats.stats.arrival import TTR_COLUMNS, TTR_KEYS, newest_instant, time_to_reply, triangle
from talentstats.stats.metrics import check_keys, newest_date, stats_dicts, stats_with_total
from talentstats.stats.periods import check_range, monday_of, parse_date, range_instants, resolve_week, zone
from talentstats.stats.steps import step_facts, step_stats

#: the views of ``talentstats stats --view``
VIEWS: tuple[str, ...] = ("cohort", "activity", "reconcile")


@dataclass(frozen=True)
class EventsResult:
    """An event question's answer: ``rows`` (pandas; plain dicts for the reconciliation), the ``total`` (None
    where a total means nothing: steps, triangle), the range and the load's account; ``notes`` say what the
    numbers rest on (e.g. response times taken from Updated At)."""

    kind: str
    start: dt.date
    end: dt.date
    tz: str
    keys: list[str]
    rows: Any
    total: Any
    report: LoadReport
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventData:
    """The reach outs and messages as frames of one engine, and the load's account."""

    reach_outs: Any
    messages: Any
    report: LoadReport
    newest: dt.date | None
    as_of: dt.datetime | None
    engine: Any = None  # what the engine started (closed by :meth:`close`)
    #: messages counted per campaign, sender, step and quarter hour of sending (see :func:`sent_counts`)
    sent: Any = None
    #: the reach outs' events counted per campaign, sender and quarter hour (see activity.event_counts)
    events: Any = None
    #: views, activity and cohort counts already made from this data, by range, zone and keys (a report's sections
    #: ask for the same views, and its views and reconciliation for the same counts: at 10M reach outs each count
    #: is a pass of ~0.3 s over the table)
    kept: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    def close(self) -> None:
        """Close what the engine started (a Dask client, a Spark session)."""
        if self.engine is not None:
            self.engine.close()


def load_events(paths: str | Path | Sequence[str | Path], options: LoadOptions | None = None, *, tz: str = "UTC",
                engine: str = "pandas") -> EventData:
    """Reach outs (with their event times) and messages loaded once and handed to ``engine``.

    Raises:
        InputError: an export that cannot be read; UsageError: an unknown engine or zone.
    """
    options = (options or LoadOptions()).but(metrics_only=True)
    zone(tz, parameter="tz")
    loaded = load_arrow(paths, options.but(created_range=None))  # (events of a range may belong to older rows)
    finish_load(loaded.report, options)
    table, messages = loaded.table, loaded.messages
    facts = step_facts(table, messages)
    if facts is not None:  # (the steps of any range: one pass over the reach outs)
        for name, values in facts.items():
            table = table.append_column(name, pa.array(values))
    counts = sent_counts(messages)
    if engine == "pandas":
        frame = to_pandas(table, categorical=True)
        msgs = None if messages is None else messages.to_pandas()
        sent = None if counts is None else counts.to_pandas()
    else:
        from talentstats.stats.engines import get_engine, quiet

        with quiet():
            runner = get_engine(engine, tz=tz)
            frame = runner.from_arrow(table)
            msgs = None if messages is None else runner.from_arrow(messages)
            # (the counted messages on the in-process engines; Dask and Spark sum them differently typed: each)
            sent = None if counts is None or engine in ("dask", "spark") else runner.from_arrow(counts)
            return EventData(frame, msgs, loaded.report, newest_date(table, tz), newest_instant(table), runner, sent)
    return EventData(frame, msgs, loaded.report, newest_date(frame, tz), newest_instant(frame), sent=sent,
                     events=event_counts(frame))


#: the quarter hour: every UTC offset in use is a whole number of them, so a local midnight is a quarter hour
QUARTER = dt.timedelta(minutes=15)


def sent_counts(messages: pa.Table | None) -> pa.Table | None:
    """The messages counted per campaign, sender, step and quarter hour of ``sent_at`` (column ``n``): the activity
    view's messages sent of any range whose ends are quarter hours (a local midnight in every zone) from a few
    hundred thousand rows instead of every message (27M at 10M reach outs). None without the columns."""
    if messages is None or not {"campaign", "sender", "step", "sent_at"} <= set(messages.column_names):
        return None
    import pyarrow.compute as pc

    quarter = pc.floor_temporal(messages.column("sent_at"), multiple=15, unit="minute")
    slim = pa.table({"campaign": messages.column("campaign"), "sender": messages.column("sender"),
                     "step": messages.column("step"), "sent_at": quarter})
    counted = slim.group_by(["campaign", "sender", "step", "sent_at"], use_threads=True).aggregate(
        [([], "count_all")])
    counted = counted.select(["campaign", "sender", "step", "sent_at", "count_all"])
    return counted.rename_columns(["campaign", "sender", "step", "sent_at", "n"]).append_column(
        "reach_out_id", pa.nulls(counted.num_rows, pa.string()))


def _activity(data: EventData, s: dt.date, e: dt.date, tz: str, keys: list[str]) -> Any:
    """The activity view from the counts made at load when the range's ends are quarter hours (always, for real
    zones), else from every reach out and message (each once per data, see ``EventData.kept``)."""
    key = ("activity", s, e, tz, tuple(keys))
    if key not in data.kept:
        data.kept[key] = _activity_of(data, s, e, tz, keys)
    return data.kept[key]


def _activity_of(data: EventData, s: dt.date, e: dt.date, tz: str, keys: list[str]) -> Any:
    lo, hi = range_instants(s, e, tz)
    aligned = all(t.timestamp() % QUARTER.total_seconds() == 0 for t in (lo, hi))
    messages = data.sent if data.sent is not None and aligned else data.messages
    return _collect(activity_counts(data.reach_outs, messages, s, e, tz, keys or None,
                                    events=data.events if aligned else None))


def _dates(start: Any, end: Any, week: str | None, newest: dt.date | None, tz: str) -> tuple[dt.date, dt.date]:
    if week is None and (start is None or end is None):
        raise UsageError("give start and end (YYYY-MM-DD), or week", parameter="start")
    if week is not None and (start is not None or end is not None):
        raise UsageError("give either week or start/end, not both", parameter="week", value=week)
    if week is not None:
        return resolve_week(week, newest, tz)
    dates = parse_date(start, "start"), parse_date(end, "end")
    check_range(*dates)
    return dates


def _notes(report: LoadReport, messages: Any) -> list[str]:
    notes = []
    if report.responded_at_from_updated_at:
        notes.append(f"{report.responded_at_from_updated_at:,} response time(s) approximate: taken from Updated At "
                     "(state Responded, no Responded At column)")
    if messages is None:
        notes.append("no messages export: messages sent, send times and steps unknown")
    return notes


def _collect(native: Any) -> Any:
    from talentstats.stats.engines.base import collect

    return collect(native)


def compute_view(paths: str | Path | Sequence[str | Path], *, view: str = "activity",
                 options: LoadOptions | None = None, start: Any = None, end: Any = None, week: str | None = None,
                 tz: str = "UTC", by: Sequence[str] | str | None = None, time_to_reply_: bool = False,
                 engine: str = "pandas", data: EventData | None = None) -> EventsResult:
    """The cohort, activity or reconcile view of a date range (``--view``), per group and in total; with
    ``time_to_reply_`` each row gains ttr_median_h, ttr_p75_h, ttr_p90_h and ttr_n (the range's cohort).

    Raises:
        UsageError: bad arguments (each names its parameter); InputError: an export that cannot be read.
    """
    if view not in VIEWS:
        raise UsageError(f"choose {', '.join(VIEWS)}", parameter="view", value=view)
    keys = check_keys(by) if view == "cohort" else \
        check_activity_keys(by, RECONCILE_KEYS if view == "reconcile" else ACTIVITY_KEYS)
    if time_to_reply_ and any(k not in TTR_KEYS for k in keys):
        raise UsageError(f"time to reply is by {' and '.join(TTR_KEYS)} only", parameter="by", value=",".join(keys))
    zone(tz, parameter="tz")
    if data is not None:  # (data loaded once for several views: each view made once)
        key = ("view", view, start, end, week, tz, tuple(keys), time_to_reply_)
        if key not in data.kept:
            data.kept[key] = _view(data, view, start, end, week, tz, keys, time_to_reply_)
        return data.kept[key]
    data = load_events(paths, options, tz=tz, engine=engine)
    try:
        return _view(data, view, start, end, week, tz, keys, time_to_reply_)
    finally:
        data.close()


def _view(data: EventData, view: str, start: Any, end: Any, week: str | None, tz: str, keys: list[str],
          time_to_reply_: bool) -> EventsResult:
    s, e = _dates(start, end, week, data.newest, tz)
    notes = _notes(data.report, data.messages)
    if view == "cohort":
        rows, total = _cohort(data, s, e, tz, keys)
    elif view == "activity":
        total = _activity(data, s, e, tz, [])
        rows = _activity(data, s, e, tz, keys) if keys else None
    else:
        return EventsResult("reconcile", s, e, tz, keys, *_reconciled(data, s, e, tz, keys), data.report, notes)
    if time_to_reply_:
        total = _with_ttr(total, _collect(time_to_reply(data.reach_outs, s, e, tz)), [])
        if rows is not None:
            rows = _with_ttr(rows, _collect(time_to_reply(data.reach_outs, s, e, tz, keys)), keys)
    return EventsResult(view, s, e, tz, keys, rows, total, data.report, notes)


def _cohort(data: EventData, s: dt.date, e: dt.date, tz: str, keys: list[str]) -> tuple[Any, Any]:
    """The cohort statistics (rows or None, total) as pandas, computed by the data's engine (each once per data,
    see ``EventData.kept``)."""
    key = ("cohort", s, e, tz, tuple(keys))
    if key not in data.kept:
        data.kept[key] = _cohort_of(data, s, e, tz, keys)
    return data.kept[key]


def _cohort_of(data: EventData, s: dt.date, e: dt.date, tz: str, keys: list[str]) -> tuple[Any, Any]:
    known = data.report.opens_source is not None
    if data.engine is not None:  # (lazy engines: the counts are collected before the total is summed)
        return data.engine.stats(data.reach_outs, s, e, keys, known)
    return stats_with_total(data.reach_outs, s, e, tz, keys, opens_known=known)


def _with_ttr(rows: Any, ttr: Any, keys: list[str]) -> Any:
    """``rows`` with the time-to-reply columns of their group (n 0 and no quantiles where none replied)."""
    if not keys:
        return rows.reset_index(drop=True).join(ttr[list(TTR_COLUMNS)].reset_index(drop=True))
    out = rows.merge(ttr[[*keys, *TTR_COLUMNS]], on=keys, how="left")
    out["ttr_n"] = out["ttr_n"].fillna(0).astype("Int64")
    return out


def _reconciled(data: EventData, s: dt.date, e: dt.date, tz: str, keys: list[str]) -> tuple[list, dict]:
    """Reconciliation rows as nested dicts: the group's cohort statistics and activity counts side by side, and
    how the responses (and opens) of each split."""
    parts = {}
    for name, k in (("rows", keys), ("total", [])):
        if name == "rows" and not keys:
            continue
        rec = stats_dicts(_collect(reconcile(data.reach_outs, s, e, tz, k)))
        act = stats_dicts(_activity(data, s, e, tz, k))
        rows, total = _cohort(data, s, e, tz, k)
        coh = stats_dicts(rows if k else total)
        parts[name] = _nest(rec, act, coh, k)
    total = parts["total"][0] if parts["total"] else None
    return parts.get("rows", [total] if total else []), total


def _nest(rec: list[dict], act: list[dict], coh: list[dict], keys: list[str]) -> list[dict]:
    def key(d: dict) -> tuple:
        return tuple(d[k] for k in keys)

    acts, cohs = {key(d): d for d in act}, {key(d): d for d in coh}
    out = []
    for r in rec:
        k = key(r)
        split = {"received_in_range": r["received_in_range"], "received_after": r["received_after"],
                 "time_unknown": r["time_unknown"], "from_earlier_cohorts": r["from_earlier_cohorts"]}
        opens = {name: r[f"opens_{name}"] for name in ("cohort", *split, "activity")}
        out.append({**dict(zip(keys, k, strict=True)),
                    "cohort": {m: v for m, v in cohs.get(k, {}).items() if m not in keys} or None,
                    "activity": {m: v for m, v in acts.get(k, {}).items() if m not in keys} or None,
                    "cohort_responses": r["cohort_responses"], **split,
                    "activity_responses": r["activity_responses"], "opens": opens})
    return out


def compute_steps(paths: str | Path | Sequence[str | Path], *, options: LoadOptions | None = None,
                  start: Any = None, end: Any = None, week: str | None = None, tz: str = "UTC",
                  by: Sequence[str] | str | None = None, engine: str = "pandas",
                  data: EventData | None = None) -> EventsResult:
    """Which e-mail of the sequence gets the opens and replies, for the reach outs created in the range.

    Raises:
        UsageError: bad arguments, or no messages export with steps.
    """
    zone(tz, parameter="tz")
    keys = check_activity_keys(by, RECONCILE_KEYS)
    own, data = data is None, data or load_events(paths, options, tz=tz, engine=engine)
    try:
        s, e = _dates(start, end, week, data.newest, tz)
        rows = _collect(step_stats(data.reach_outs, data.messages, s, e, tz, keys or None))
    finally:
        if own:
            data.close()
    return EventsResult("steps", s, e, tz, keys, rows, None, data.report, _notes(data.report, data.messages))


def compute_triangle(paths: str | Path | Sequence[str | Path], *, options: LoadOptions | None = None,
                     end: Any = None, week: str | None = None, weeks: int = 8, tz: str = "UTC",
                     metric: str = "responses", engine: str = "pandas", project: bool = False,
                     data: EventData | None = None) -> EventsResult:
    """How the responses (or opens) of the ``weeks`` creation weeks ending with ``week`` (or the week of
    ``end``; default the newest complete week) arrive with age; with ``project`` each week's projected final
    rate (chain ladder over weekly snapshots, 95 % interval, labelled projected).

    Raises:
        UsageError: bad arguments (each names its parameter).
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise UsageError("a number of weeks, 1 or more", parameter="weeks", value=weeks)
    zone(tz, parameter="tz")
    if end is not None and week is not None:
        raise UsageError("give either week or end, not both", parameter="week", value=week)
    own, data = data is None, data or load_events(paths, options, tz=tz, engine=engine)
    try:
        last = parse_date(end, "end") if end is not None else _dates(None, None, week or "latest", data.newest, tz)[1]
        rows = _collect(triangle(data.reach_outs, last, weeks, tz, metric, data.as_of))
        projected = projected_rates(data, last, weeks, tz, metric) if project else None
    finally:
        if own:
            data.close()
    last = monday_of(last) + dt.timedelta(days=6)
    first = last - dt.timedelta(days=7 * weeks - 1)
    return EventsResult("triangle", first, last, tz, [], rows, None, data.report, _notes(data.report, data.messages),
                        {"metric": metric, "weeks": weeks,
                         "as_of": None if data.as_of is None else data.as_of.isoformat(),
                         **({} if projected is None else {"projected": projected})})


def projected_rates(data: EventData, last: dt.date, weeks: int, tz: str, metric: str) -> list[dict[str, Any]]:
    """Each week's projected final rate (chain ladder over its weekly snapshots) with a 95 % interval."""
    from talentstats.stats.projection import project, snapshots

    frame = data.reach_outs if data.engine is None else _collect(data.reach_outs)
    return stats_dicts(project(snapshots(frame, last, weeks, tz, metric, data.as_of)))


__all__ = ["VIEWS", "EventData", "EventsResult", "compute_steps", "compute_triangle", "compute_view", "projected_rates",
           "load_events"]
