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
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

from talentstats.errors import UsageError
from talentstats.stats.metrics import _bounds, check_keys, responded_expr

STEP_KEYS: tuple[str, ...] = ("campaign", "sender")
STEP_COLUMNS: tuple[str, ...] = ("step", "sent", "first_opens", "replies", "reply_rate")
_COUNTS = ("sent", "first_opens", "replies")


def _step_keys(by: Sequence[str] | str | None) -> list[str]:
    keys = check_keys(by)
    wrong = [k for k in keys if k not in STEP_KEYS]
    if wrong:
        raise UsageError(f"steps are grouped by {' or '.join(STEP_KEYS)} only", parameter="by",
                         value=",".join(wrong))
    return keys


def _check_steps(messages: Any) -> None:
    """A UsageError unless the messages export has step numbers (a Step column with a value)."""
    no_step = UsageError("the messages export has no Step column", parameter="messages")
    if messages is None:
        raise no_step
    m = nw.from_native(messages)
    if "step" not in m.collect_schema().names():
        raise no_step
    known = m.select(nw.col("step").count())
    if isinstance(known, nw.LazyFrame):
        known = known.collect()
    if int(known.item()) == 0:
        raise no_step


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
    _check_steps(messages)
    f = nw.from_native(reach_outs)
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
