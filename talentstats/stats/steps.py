"""Which e-mail of the sequence gets the opens and the replies: per step statistics (issue 13), with narwhals.

For the reach outs created on [start, end] in the report time zone (the range's cohort, as the five statistics),
from the messages export (one row per message: reach_out_id, step, sent_at, opened_at), per step number:

- sent: reach outs with a message of that step sent (sent_at known);
- first_opens: reach outs whose earliest opened_at is on a message of that step (a tie: the lowest step);
- replies: responded reach outs with a known responded_at whose last message sent at or before responded_at is
  of that step (a tie: the highest step);
- reply_rate = replies / sent (null when sent is 0).

Everything runs in the engine (joins and group-bys on the messages of the cohort); only the result is small.
A message without a step number still takes part (it can be a reach out's first open or last send), but no row
counts it: its reach out then counts under no step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

from talentstats.errors import UsageError
from talentstats.stats.metrics import _bounds, _row_slices, keys_among, responded_expr

STEP_KEYS: tuple[str, ...] = ("campaign", "sender")
STEP_COLUMNS: tuple[str, ...] = ("step", "sent", "first_opens", "replies", "reply_rate")
_COUNTS = ("sent", "first_opens", "replies")


def _step_keys(by: Sequence[str] | str | None) -> list[str]:
    return keys_among(by, STEP_KEYS, "steps are")


def _check_steps(messages: Any) -> int:
    """The highest step number; a UsageError unless the messages export has step numbers (a Step column with a
    value)."""
    no_step = UsageError("the messages export has no Step column", parameter="messages")
    if messages is None:
        raise no_step
    m = nw.from_native(messages)
    if "step" not in m.collect_schema().names():
        raise no_step
    known = m.select(nw.col("step").count().alias("n"), nw.col("step").max().alias("top"))
    if isinstance(known, nw.LazyFrame):
        known = known.collect()
    if int(known["n"].item()) == 0:
        raise no_step
    return int(known["top"].item())


def _same_kind(m: Any, f: Any) -> Any:
    """The messages as frames of the reach outs' engine: an eager table of another kind (the loader's Arrow
    messages beside a pandas table) is converted; lazy frames must already be of the same engine (and for
    DuckDB of the same connection)."""
    if m.implementation == f.implementation or not isinstance(m, nw.DataFrame):
        return m
    if isinstance(f, nw.LazyFrame):
        return m.lazy(backend=f.implementation)
    return nw.from_arrow(m.to_arrow(), backend=f.implementation)


def _per_step(reach_outs: Any, messages: Any, lo: dt.datetime, hi: dt.datetime, keys: list[str]) -> Any:
    """Per (reach out, step) of the cohort: whether sent, its earliest open, and its latest send at or before
    the reach out's (known) reply."""
    created = nw.col("created_at")
    cohort = reach_outs.filter((created >= lo) & (created < hi))
    cohort = cohort.select("reach_out_id", *keys,
                           _replied_at=nw.when(responded_expr()).then(nw.col("responded_at")))
    schema = cohort.collect_schema()
    text = [k for k in keys if schema[k] in (nw.Categorical, nw.Enum)]
    if text:  # categorical keys as text: sorted by label on every engine
        cohort = cohort.with_columns(*[nw.col(k).cast(nw.String) for k in text])
    m = messages.select("reach_out_id", "step", "sent_at", "opened_at")
    m = m.join(cohort, on="reach_out_id", how="inner")
    m = m.with_columns(_reply_sent=nw.when(nw.col("sent_at") <= nw.col("_replied_at")).then(nw.col("sent_at")))
    return m.group_by("reach_out_id", *keys, "step").agg(
        nw.col("sent_at").count().alias("_sent"),
        nw.col("opened_at").min().alias("_open"),
        nw.col("_reply_sent").max().alias("_last"),
    )


def _counts(per: Any, keys: list[str]) -> Any:
    """Long rows (keys, step, sent, first_opens, replies) from the per (reach out, step) frame, one count each;
    unknown steps dropped (before the cast: Dask cannot cast a missing integer)."""
    # each reach out's earliest open and latest send before the reply beside its rows: a window, not a self-join
    # (a join on the text ids was half the time of step_stats on pandas)
    both = per.with_columns(_first=nw.col("_open").min().over("reach_out_id"),
                            _latest=nw.col("_last").max().over("reach_out_id"))
    first = (both.filter(nw.col("_open") == nw.col("_first"))
             .group_by("reach_out_id", *keys).agg(nw.col("step").min()))
    last = (both.filter(nw.col("_last") == nw.col("_latest"))
            .group_by("reach_out_id", *keys).agg(nw.col("step").max()))
    zero = nw.lit(0).cast(nw.Int64)
    parts = {
        "sent": per.filter(nw.col("_sent") > 0),
        "first_opens": first,
        "replies": last,
    }
    long = [
        part.group_by(*keys, "step").agg(nw.len().alias(name)).filter(~nw.col("step").is_null())
        .select(*keys, nw.col("step").cast(nw.Int64),
                *[nw.col(c).cast(nw.Int64) if c == name else zero.alias(c) for c in _COUNTS])
        for name, part in parts.items()
    ]
    return nw.concat(long, how="vertical")


#: per-reach-out step facts (:func:`step_facts`): steps sent as bits, the step of the first open and of the reply
FACTS: tuple[str, ...] = ("_steps_sent", "_first_open_step", "_reply_step")
#: steps a bit mask of int64 holds (beyond: the join of the messages is used)
_MAX_BIT_STEP = 62
_NO_STEP = 1023  # (packed beside an instant: a message without a step loses every tie, as the join's min/max do)


def step_facts(reach_outs: Any, messages: Any) -> dict[str, Any] | None:
    """The facts :func:`step_stats` counts, per reach out, from the loader's message table (Arrow, with ``ro``,
    its reach out's row): ``_steps_sent`` (bit s-1 set when step s was sent), ``_first_open_step`` (the step of
    its earliest open; a tie: the lowest step) and ``_reply_step`` (the step of its last message sent at or
    before its ``responded_at``; a tie: the highest step) as numpy arrays aligned with ``reach_outs`` (Arrow).
    Made once per load, so the steps of any range are one pass over the reach outs (as the cohort statistics),
    not a join of the messages. None when there is nothing to make them from (no ``ro``, steps beyond 62)."""
    import numpy as np
    import pyarrow.compute as pc

    if messages is None or "ro" not in messages.column_names or "step" not in messages.column_names:
        return None
    n = reach_outs.num_rows
    ro = messages.column("ro").to_numpy()
    step = pc.fill_null(messages.column("step").cast("int64"), 0).to_numpy()
    if step.max(initial=0) > _MAX_BIT_STEP or step.min(initial=1) < 0:
        return None

    def micros(column: Any) -> tuple[np.ndarray, np.ndarray]:
        values = column.cast("int64")
        return pc.fill_null(values, 0).to_numpy(), pc.is_valid(values).to_numpy(zero_copy_only=False)

    sent_at, sent = micros(messages.column("sent_at"))
    opened_at, opened = micros(messages.column("opened_at"))
    bits = np.zeros(n, dtype=np.int64)
    known = sent & (step > 0)  # (a step sent twice sets its bit once)
    np.bitwise_or.at(bits, ro[known], np.left_shift(np.int64(1), step[known] - 1))
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    key = opened_at * 1024 + np.where(step > 0, step, _NO_STEP)  # (µs since 1970 < 2^53: room for the step)
    np.minimum.at(first, ro[opened], key[opened])
    replied_at, replied = micros(reach_outs.column("responded_at"))
    eligible = sent & replied[ro] & (sent_at <= replied_at[ro])
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, ro[eligible], (sent_at * 1024 + step)[eligible])
    first_step, last_step = first % 1024, last % 1024
    return {"_steps_sent": bits,
            "_first_open_step": np.where((first_step > 0) & (first_step < _NO_STEP) & (first < np.iinfo(np.int64).max),
                                         first_step, 0).astype(np.int16),
            "_reply_step": np.where((last >= 0) & (last_step > 0), last_step, 0).astype(np.int16)}


def _from_facts(f: Any, lo: dt.datetime, hi: dt.datetime, keys: list[str], steps: int) -> Any:
    """:func:`step_stats`' long counts from the per-reach-out facts: one pass over the cohort (0 = no step)."""
    created = nw.col("created_at")
    cohort = f.filter((created >= lo) & (created < hi))
    cohort = cohort.select(*keys, "_steps_sent", "_first_open_step",
                           _reply=nw.when(responded_expr() & ~nw.col("responded_at").is_null())
                           .then(nw.col("_reply_step")).otherwise(0))
    schema = cohort.collect_schema()
    text = [k for k in keys if schema[k] in (nw.Categorical, nw.Enum)]
    if text:  # categorical keys as text: sorted by label on every engine
        cohort = cohort.with_columns(*[nw.col(k).cast(nw.String) for k in text])
    flags = {}
    for s in range(1, steps + 1):  # (a handful of steps: three 0/1 columns each, then plain sums)
        flags[f"sent_{s}"] = ((nw.col("_steps_sent") // (1 << (s - 1))) % 2).cast(nw.Int8)
        flags[f"first_opens_{s}"] = (nw.col("_first_open_step") == s).cast(nw.Int8)
        flags[f"replies_{s}"] = (nw.col("_reply") == s).cast(nw.Int8)
    cohort = cohort.select(*keys, **flags)
    sums = [nw.col(name).sum() for name in flags]
    wide = cohort.group_by(*keys).agg(*sums) if keys else cohort.select(*sums)
    long = [wide.select(*keys, step=nw.lit(s).cast(nw.Int64),
                        **{c: nw.col(f"{c}_{s}").cast(nw.Int64) for c in _COUNTS}) for s in range(1, steps + 1)]
    out = nw.concat(long, how="vertical")
    return out.filter((nw.col("sent") > 0) | (nw.col("first_opens") > 0) | (nw.col("replies") > 0))


def step_stats(reach_outs: IntoFrameT, messages: IntoFrameT | None, start: dt.date | str, end: dt.date | str,
               tz: str = "UTC", by: Sequence[str] | str | None = None) -> IntoFrameT:
    """Per step of the sequence (and ``by``: campaign, sender) for the reach outs created on [start, end] in
    ``tz``: sent, first_opens, replies and reply_rate - which e-mail gets the opens and the replies.

    ``messages`` is the messages table (reach_out_id, step, sent_at, opened_at): of the same engine as
    ``reach_outs``, or any eager table (e.g. the loader's Arrow table), converted. Rows: each (keys, step) with
    a count, sorted by keys and step; steps unknown (null) are not shown. Raises UsageError when there are no
    messages or none has a step number.
    """
    keys = _step_keys(by)
    lo, hi = _bounds(start, end, tz)
    steps = _check_steps(messages)
    f = nw.from_native(reach_outs)
    if all(c in f.collect_schema().names() for c in FACTS):  # (made at load: see step_facts)
        slices = _row_slices(f)
        if slices is None:
            out = _from_facts(f, lo, hi, keys, steps)
        else:  # a long pandas table: counted in row slices on all cores, then summed (the counts are additive)
            with ThreadPoolExecutor(len(slices)) as pool:
                counted = list(pool.map(lambda part: _from_facts(part, lo, hi, keys, steps), slices))
            out = nw.concat(counted, how="vertical").group_by(*keys, "step").agg(*[nw.col(c).sum() for c in _COUNTS])
    else:
        per = _per_step(f, _same_kind(nw.from_native(messages), f), lo, hi, keys)
        out = _counts(per, keys)
        out = out.group_by(*keys, "step").agg(*[nw.col(c).sum() for c in _COUNTS])
    out = out.with_columns(*[nw.col(c).cast(nw.Int64) for c in _COUNTS])
    rate = nw.when(nw.col("sent") > 0).then(nw.col("replies").cast(nw.Float64) / nw.col("sent").cast(nw.Float64))
    out = out.with_columns(reply_rate=rate).select(*keys, *STEP_COLUMNS).sort(*keys, "step")
    native = out.to_native()
    if out.implementation.is_pandas():  # nullable types, so an unknown rate is <NA> rather than NaN
        native = native.astype({c: "Int64" for c in _COUNTS} | {"step": "Int64", "reply_rate": "Float64"})
        native = native.reset_index(drop=True)
    return native
