"""The activity view (what happened in a date range, by the date of each event) and its reconciliation with the
cohort view (what became of the reach outs created in the range), written once with narwhals.

Accepts any frames narwhals supports (pandas, Polars eager or lazy, DuckDB, Dask, ...) holding the canonical Reach
Out table (:mod:`talentstats.load.columns`, with its event times ``first_sent_at``, ``first_opened_at`` and
``responded_at``) and the message table, and returns a frame of the same kind. See issue 13 and docs/metrics.md.

Definitions, for calendar dates [start, end] in the report time zone ``tz`` (an event is "in range" when its
instant, converted to ``tz``, falls on one of those dates):

- messages_sent: messages whose sent_at is in range;  reach_outs_started: reach outs whose first_sent_at is;
- opens: reach outs whose first_opened_at is in range;  responses: responded reach outs whose responded_at is;
- interested: those responses whose response_type is "Interested";
- responses_time_unknown: responded reach outs created on or before ``end`` whose responded_at is unknown.

The reconciliation splits the range's cohort responses (created in range, responded) by when they arrived:
``cohort_responses = received_in_range + received_after + time_unknown`` and
``activity_responses = received_in_range + from_earlier_cohorts`` - exactly, since each side is a partition of the
same rows. The same for opens (``opens_`` prefix; the cohort counts ``opened`` == True).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

from talentstats.errors import UsageError
from talentstats.stats.metrics import (
    TIME_KEYS,
    _bounds,
    _row_slices,
    check_keys,
    flag_exprs,
    maybe_responded_expr,
    responded_expr,
)
from talentstats.stats.timekeys import day_labels, time_key_exprs

ACTIVITY_KEYS: tuple[str, ...] = ("campaign", "sender", "day", "week", "month", "step")
RECONCILE_KEYS: tuple[str, ...] = ("campaign", "sender")
#: the activity counts, in output order
ACTIVITY: tuple[str, ...] = ("messages_sent", "reach_outs_started", "opens", "responses", "interested",
                             "responses_time_unknown")
_SPLIT: tuple[str, ...] = ("cohort", "received_in_range", "received_after", "time_unknown", "from_earlier_cohorts",
                           "activity")
#: the reconciliation counts, in output order: responses, then the same for opens
RECONCILE: tuple[str, ...] = (
    "cohort_responses", *_SPLIT[1:5], "activity_responses", *(f"opens_{c}" for c in _SPLIT))
#: the event-time columns of the Reach Out table the two views read
EVENT_COLUMNS: tuple[str, ...] = ("first_sent_at", "first_opened_at", "responded_at")


def check_activity_keys(by: Sequence[str] | str | None, allowed: Sequence[str] = ACTIVITY_KEYS) -> list[str]:
    """:func:`~talentstats.stats.metrics.check_keys` against the activity view's own keys: a reach out's state or
    response is not an event with a date, and ``step`` belongs to messages only."""
    return check_keys(by, allowed)


def _in(column: str, lo: dt.datetime, hi: dt.datetime) -> nw.Expr:
    """``column`` is an instant in [lo, hi) (false when it is null, on every engine)."""
    return ((nw.col(column) >= lo) & (nw.col(column) < hi)).fill_null(False)


def _columns(f: Any) -> list[str]:
    return list(f.collect_schema().names())


def _need(f: Any, columns: Sequence[str], parameter: str) -> None:
    """A UsageError naming the first column of ``columns`` that the frame lacks."""
    names = set(_columns(f))  # (once: a schema is built anew at every call, ~1 ms on pandas)
    missing = [c for c in columns if c not in names]
    if missing:
        raise UsageError(f"the table has no {missing[0]} column (load it with this version of talentstats)",
                         parameter=parameter)


def _scalar(f: Any) -> Any:
    """The one value of a one-row, one-column narwhals frame (collected when lazy)."""
    if isinstance(f, nw.LazyFrame):
        f = f.collect()
    return f.item()


def _like(m: Any, f: Any) -> Any:
    """The message table as the same kind of frame as the reach outs, since a join needs one backend (the loader
    hands the messages over as an Arrow table beside a pandas Reach Out table)."""
    if m.implementation == f.implementation:
        return m
    if isinstance(m, nw.DataFrame) and isinstance(f, nw.DataFrame):
        return nw.from_arrow(m.to_arrow(), backend=f.implementation)
    if isinstance(m, nw.DataFrame) and (f.implementation.is_polars() or f.implementation.is_dask()):
        return m.lazy(backend=f.implementation)
    raise UsageError(f"the messages are a {m.implementation} frame and the reach outs a {f.implementation} one: "
                     "give both as the same kind", parameter="messages")


def _part(f: Any, keys: list[str], tz: str, event: str | None, count: str,
          sums: dict[str, nw.Expr] | None = None) -> Any:
    """Additive counts of the (already filtered) rows of ``f`` per group: the plain keys, plus the local date key
    (or month) of the instant in column ``event``. ``count`` counts the rows, ``sums`` sums 0/1 flags. Every
    activity count is present (0 where this part counts nothing), as Int64, so the parts can be stacked."""
    sums = sums or {}
    per_row, _ = time_key_exprs(keys, tz)
    plain = [k for k in keys if k not in TIME_KEYS]
    # time_key_exprs reads created_at: the event's instant takes its place (the part's only time column)
    moved = {"created_at": nw.col(event)} if event is not None and per_row else {}
    columns = [*plain, *[e.cast(nw.Int64).alias(c) for c, e in sums.items()]]
    if columns or moved:  # (only the columns needed; none for a plain count of rows)
        f = f.select(*columns, **moved)
    if per_row:
        f = f.with_columns(**per_row)
    row_keys = plain + list(per_row)
    aggs = [nw.len().alias(count), *[nw.col(c).sum() for c in sums]]
    f = f.group_by(*row_keys).agg(*aggs) if row_keys else f.select(*aggs)
    return f.select(*row_keys, *[nw.col(c).cast(nw.Int64) if c == count or c in sums else nw.lit(0, nw.Int64).alias(c)
                                 for c in ACTIVITY])


def _stack_and_sum(parts: list[Any], keys: list[str], tz: str, columns: Sequence[str]) -> Any:
    """The parts (frames of row keys and additive counts) stacked and summed per group of ``keys``; day and week
    are derived from the local date key after the first grouping (a few rows per date)."""
    _, per_group = time_key_exprs(keys, tz)
    f = parts[0] if len(parts) == 1 else nw.concat(parts, how="vertical")
    sums = [nw.col(c).sum().alias(c) for c in columns]
    if not keys:
        return f.select(*sums)
    if per_group:
        f = f.with_columns(**per_group)
    return f.group_by(*keys).agg(*sums)


def _labels(f: Any, keys: list[str]) -> tuple[Any, list[nw.Expr]]:
    """Readable keys, as in the cohort statistics: day and week "YYYY-MM-DD" (week: its Monday), month "YYYY-MM",
    categorical text as text. Returns the frame (with any helper columns the labels need) and the expressions."""
    schema = f.collect_schema()
    exprs: list[nw.Expr] = []
    for k in keys:
        if k in ("day", "week"):
            rounds, label = day_labels(f, k)
            for columns in rounds:
                f = f.with_columns(**columns)
            exprs.append(label)
        elif k == "month":
            m = nw.col("month")
            exprs.append(nw.concat_str((m // 100).cast(nw.String), nw.lit("-"),
                                       (m % 100).cast(nw.String).str.zfill(2)).alias(k))
        elif schema[k] in (nw.Categorical, nw.Enum):
            exprs.append(nw.col(k).cast(nw.String))
        else:
            exprs.append(nw.col(k))
    return f, exprs


def _finish(f: Any, keys: list[str], columns: Sequence[str], unknown: Sequence[str] = ()) -> Any:
    """Sorted rows of readable keys and Int64 counts (sums of no row are 0; the ``unknown`` columns are null),
    as a native frame (pandas: nullable Int64, so unknown is <NA>)."""
    f, labels = _labels(f, keys)
    # a typed null literal fails on pandas and Dask (numpy int64 has no null): untyped there, pandas made Int64 below
    untyped = f.implementation.is_pandas() or f.implementation.is_dask()
    null = nw.lit(None) if untyped else nw.lit(None, nw.Int64)
    counts = [(null if c in unknown else nw.col(c).fill_null(0).cast(nw.Int64)).alias(c) for c in columns]
    f = f.select(*labels, *counts)
    if keys:
        f = f.sort(*keys)
    native = f.to_native()
    if f.implementation.is_pandas():  # (step: a float column when messages came from Arrow with null steps)
        steps = {"step": "Int64"} if "step" in keys else {}
        native = native.astype(dict.fromkeys(columns, "Int64") | steps).reset_index(drop=True)
    return native


#: the reach-out events counted per quarter hour (:func:`event_counts`): event name -> its instant column
COUNTED_EVENTS: dict[str, str] = {"reach_outs_started": "first_sent_at", "opens": "first_opened_at",
                                  "responses": "responded_at", "responses_time_unknown": "created_at"}


def event_counts(reach_outs: Any) -> Any:
    """The reach outs' events counted once per load by campaign, sender and quarter hour of the event (column
    ``at``; ``n`` reach outs, ``interested`` of them for responses): the activity view of any range whose ends are
    quarter hours (a local midnight in every zone) then sums a few hundred thousand rows, not every reach out.
    Responses with no time are counted at the quarter hour of their creation (``responses_time_unknown``)."""
    f = nw.from_native(reach_outs)
    responded = responded_expr()
    rows = {"reach_outs_started": ~nw.col("first_sent_at").is_null(),
            "opens": ~nw.col("first_opened_at").is_null(),
            "responses": responded & ~nw.col("responded_at").is_null(),
            "responses_time_unknown": responded & nw.col("responded_at").is_null()}
    parts = []
    for name, keep in rows.items():  # (four kinds of event, each one vectorised count)
        g = f.filter(keep).select("campaign", "sender", at=nw.col(COUNTED_EVENTS[name]).dt.truncate("15m"),
                                  _i=(flag_exprs()["interested"] if name == "responses" else nw.lit(0)).cast(nw.Int64))
        g = g.group_by("campaign", "sender", "at").agg(nw.len().alias("n"), nw.col("_i").sum().alias("interested"))
        parts.append(g.with_columns(event=nw.lit(name), n=nw.col("n").cast(nw.Int64),
                                    interested=nw.col("interested").cast(nw.Int64)))
    return nw.concat(parts, how="vertical").to_native()


def _counted_parts(events: Any, keys: list[str], tz: str, lo: dt.datetime, hi: dt.datetime, unknown: set[str],
                   dated: bool) -> list[Any]:
    """:func:`activity_counts`' reach-out parts from :func:`event_counts` (sums of ``n``)."""
    e = nw.from_native(events)
    plain = [k for k in keys if k not in TIME_KEYS]
    out = []
    for name in ("reach_outs_started", "opens", "responses"):
        if name not in unknown:
            g = e.filter((nw.col("event") == name) & _in("at", lo, hi)).select(*plain, "at", "n", "interested")
            sums = {name: nw.col("n"), **({"interested": nw.col("interested")} if name == "responses" else {})}
            out.append(_part(g, keys, tz, "at", "_n", sums))
    if not dated:
        g = e.filter((nw.col("event") == "responses_time_unknown") & (nw.col("at") < hi))
        out.append(_part(g.select(*plain, "n"), keys, tz, None, "_n", {"responses_time_unknown": nw.col("n")}))
    return out


def activity_counts(reach_outs: IntoFrameT, messages: Any, start: dt.date | str, end: dt.date | str,
                    tz: str = "UTC", by: Sequence[str] | str | None = None, events: Any = None) -> IntoFrameT:
    """The activity view: what happened on the dates [start, end] in ``tz``, whatever day the reach outs were
    created (the cohort view, :func:`~talentstats.stats.metrics.campaign_stats`, counts by creation date).

    ``messages`` is the message table (same kind of frame), or None without a messages export (messages_sent is
    then null). ``by``: campaign, sender, day, week, month (of each event's own date in ``tz``) and step (messages
    only: the other counts are null in rows keyed by step). Groups without any event are omitted; without ``by``
    the result is one row, the total. reach_outs_started is null when no reach out has a first_sent_at at all;
    responses_time_unknown (created on or before ``end``, responded, time unknown) is null in rows keyed by a
    date, since it has none. ``events``: the reach outs' :func:`event_counts` (same kind of frame), read instead
    of the table when given (the range's ends must be quarter hours; they are local midnights).
    """
    keys = check_activity_keys(by)
    lo, hi = _bounds(start, end, tz)
    f = nw.from_native(reach_outs)
    _need(f, ["reach_out_id", "created_at", "state", "response_via", "response_type", *EVENT_COLUMNS],
          "reach_outs")
    if "step" in keys and messages is None:
        raise UsageError("step needs a messages export", parameter="by", value="step")
    dated = any(k in TIME_KEYS for k in keys)
    unknown = {"messages_sent"} if messages is None else set()
    if "step" in keys:
        unknown |= set(ACTIVITY) - {"messages_sent"}
    if dated:
        unknown.add("responses_time_unknown")
    if "reach_outs_started" not in unknown and not (
            _scalar(f.select(nw.col("first_sent_at").count())) if events is None else
            _scalar(nw.from_native(events).select((nw.col("event") == "reach_outs_started").sum()))):
        unknown.add("reach_outs_started")

    plain = [k for k in keys if k not in TIME_KEYS]
    joined = [k for k in plain if k != "step"]
    # only the columns counted, before any filter: a filter copies every column (the prospects' names and e-mails
    # too), which was most of the time of the total on pandas
    f = f.select(*dict.fromkeys([*joined, *(["reach_out_id"] if joined and messages is not None else []),
                                 "created_at", "state", "response_via", "response_type", *EVENT_COLUMNS]))
    tasks: list[Callable[[], list[Any]]] = []
    if messages is not None:
        m = _like(nw.from_native(messages), f)
        step = ["step"] if "step" in keys else []
        _need(m, ["reach_out_id", "sent_at", *step], "messages")
        # campaign and sender are the reach out's: the loader's message table carries them (a join of millions
        # of messages on text ids was most of the time of the view by campaign); else they are joined
        carried = bool(joined) and all(k in _columns(m) for k in joined)
        counted = "n" in _columns(m)  # (messages already counted per quarter hour: their counts are summed)
        m = m.select(*(joined if carried else ["reach_out_id"] if joined else []), "sent_at", *step,
                     *(["n"] if counted else []))

        def sent_part() -> list[Any]:
            sent = m.filter(_in("sent_at", lo, hi))
            if joined and not carried:
                sent = sent.join(f.select("reach_out_id", *joined), on="reach_out_id", how="left")
            return [_part(sent, keys, tz, "sent_at", "_messages", {"messages_sent": nw.col("n")}) if counted
                    else _part(sent, keys, tz, "sent_at", "messages_sent")]

        tasks.append(sent_part)

    def event_parts(g: Any) -> list[Any]:
        """The reach outs' counts of one slice of the table (additive: slices are summed with the rest)."""
        out = []
        for event, name in (("first_sent_at", "reach_outs_started"), ("first_opened_at", "opens")):
            if name not in unknown:
                out.append(_part(g.filter(_in(event, lo, hi)), keys, tz, event, name))
        responded = g.filter(maybe_responded_expr()).filter(responded_expr())  # (the exact test on the few)
        out.append(_part(responded.filter(_in("responded_at", lo, hi)), keys, tz, "responded_at", "responses",
                         {"interested": flag_exprs()["interested"]}))
        if not dated:
            late = responded.filter(nw.col("responded_at").is_null() & (nw.col("created_at") < hi))
            out.append(_part(late, keys, tz, None, "responses_time_unknown"))
        return out

    if "step" not in keys and events is not None:
        tasks.append(lambda: _counted_parts(events, keys, tz, lo, hi, unknown, dated))
    elif "step" not in keys:  # (a long pandas table in row slices, counted on all cores, as the cohort statistics)
        tasks += [lambda g=g: event_parts(g) for g in (_row_slices(f) or [f])]
    if len(tasks) > 1 and isinstance(f, nw.DataFrame) and f.implementation.is_pandas():  # (eager pandas only: a
        # lazy engine plans the parts itself, and a DuckDB connection takes one call at a time)
        with ThreadPoolExecutor(min(len(tasks), os.cpu_count() or 1)) as pool:
            parts = [p for done in pool.map(lambda task: task(), tasks) for p in done]
    else:
        parts = [p for task in tasks for p in task()]
    return _finish(_stack_and_sum(parts, keys, tz, ACTIVITY), keys, ACTIVITY, sorted(unknown))


def reconcile(reach_outs: IntoFrameT, start: dt.date | str, end: dt.date | str, tz: str = "UTC",
              by: Sequence[str] | str | None = None) -> IntoFrameT:
    """The cohort view and the activity view of [start, end] in ``tz``, reconciled: how the range's cohort
    responses (created in range, responded) split by when they arrived, and how the range's activity responses
    (responded_at in range) split by cohort. Exactly:

    - ``cohort_responses = received_in_range + received_after + time_unknown``;
    - ``activity_responses = received_in_range + from_earlier_cohorts``;

    and the same for opens (``opens_cohort`` counts opened == True; times are first_opened_at). Each side is a
    partition of its rows, so the sums hold even on rows that break the loader's guarantee (event >= created_at):
    a cohort event before the range counts as ``received_after`` (known, not in range), an event in range of a
    reach out created after it as ``from_earlier_cohorts`` (in the activity, not in the cohort). ``by``: campaign
    and/or sender. Groups with neither a reach out created in range nor an event in range are omitted; without
    ``by`` the result is one row, the total.
    """
    keys = check_activity_keys(by, RECONCILE_KEYS)
    lo, hi = _bounds(start, end, tz)
    f = nw.from_native(reach_outs)
    _need(f, ["created_at", "state", "response_via", "opened", "responded_at", "first_opened_at"], "reach_outs")
    cohort = (nw.col("created_at") >= lo) & (nw.col("created_at") < hi)
    # the rows that may count (a cheap superset of the filter below: no text trimmed on every row), then exactly
    f = f.filter(cohort | (maybe_responded_expr() & _in("responded_at", lo, hi)) | _in("first_opened_at", lo, hi))
    f = f.select(*keys, _c=cohort, _r=responded_expr(), _ri=_in("responded_at", lo, hi),
                 _rk=~nw.col("responded_at").is_null(), _o=nw.col("opened").fill_null(False),
                 _oi=_in("first_opened_at", lo, hi), _ok=~nw.col("first_opened_at").is_null())
    f = f.filter(nw.col("_c") | (nw.col("_r") & nw.col("_ri")) | nw.col("_oi"))
    f = f.with_columns(_rc=nw.col("_c") & nw.col("_r"), _oc=nw.col("_c") & nw.col("_o"),
                       _ra=nw.col("_r") & nw.col("_ri"))

    def split(in_cohort: str, known: str, in_range: str, activity: str) -> list[nw.Expr]:
        c, k, i, a = nw.col(in_cohort), nw.col(known), nw.col(in_range), nw.col(activity)
        return [c, c & i, c & k & ~i, c & ~k, a & ~c, a]  # (in the order of _SPLIT)

    flags = split("_rc", "_rk", "_ri", "_ra") + split("_oc", "_ok", "_oi", "_oi")
    f = f.with_columns(*[e.cast(nw.Int64).alias(name) for name, e in zip(RECONCILE, flags, strict=True)])
    sums = [nw.col(name).sum() for name in RECONCILE]
    f = f.group_by(*keys).agg(*sums) if keys else f.select(*sums)
    return _finish(f, keys, RECONCILE)
