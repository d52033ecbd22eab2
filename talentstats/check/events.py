"""`talentstats check`: reach outs whose event times contradict each other (issue 13), found vectorised.

A reach out's events happen in one order: created, then its messages sent, then opened, then (maybe) a reply,
after which no further step of the sequence is sent. Each way a reach out breaks that order is a *reason*:

==============================  ==================================================================================
opened_before_first_send        its first open (``first_opened_at``) is before its first send (``first_sent_at``)
replied_before_first_send       its reply (``responded_at``) is before its first send
sent_before_created             its first send is before it was created
message_opened_before_sent      one of its messages has an Opened At before that message's Sent At
step_sent_after_reply           one of its messages was sent after its reply (``sent_at > responded_at``)
opened_before_created           one of its messages has an Opened At before the reach out was created (the loader
                                drops that open time and counts it: ``load.messages.open_times_before_creation``)
==============================  ==================================================================================

A reply or a reach-out Opened At before creation never gets here: the loader rejects such rows (the ``rejected``
finding). The count is of reach outs with at least one reason; without a messages export and without a First Sent
At column nothing can be compared, and the finding is "not checked". A ``responded_at`` taken from Updated At
(state Responded without a Responded At column) is later than the reply, so it can hide a step sent after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.check.result import Finding
from talentstats.load.accounting import Loaded

#: each reason, as the items and the summary say it
REASONS: dict[str, str] = {
    "opened_before_first_send": "opened before its first send",
    "replied_before_first_send": "replied before its first send",
    "sent_before_created": "sent before it was created",
    "message_opened_before_sent": "a message opened before it was sent",
    "step_sent_after_reply": "a step sent after the reply",
    "opened_before_created": "a message opened before the reach out was created (open time dropped)",
}
KIND, TITLE = "contradicting_events", "Events that contradict each other"
_TIMES = {"created": "created_at", "first_sent": "first_sent_at", "first_opened": "first_opened_at",
          "responded": "responded_at"}


def _before(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Where both instants are known and ``a`` is earlier than ``b``."""
    return (a < b).fillna(False).to_numpy(dtype=bool)


def _per_reach_out(table: pd.DataFrame, messages: pa.Table) -> dict[str, np.ndarray]:
    """The message-level reasons as one flag per reach out of ``table`` (a message names its reach out by id)."""
    n = len(table)
    at = pc.index_in(messages.column("reach_out_id"), value_set=pa.array(table["reach_out_id"], pa.string()))
    known = pc.is_valid(at)
    idx = pc.fill_null(at, 0).to_numpy(zero_copy_only=False)
    sent, opened = messages.column("sent_at"), messages.column("opened_at")

    def of_reach_out(column: str) -> Any:
        return pa.array(table[column], pa.timestamp("us", tz="UTC")).take(pa.array(idx))

    masks = {"message_opened_before_sent": pc.less(opened, sent),
             "step_sent_after_reply": pc.greater(sent, of_reach_out("responded_at")),
             "opened_before_created": pc.less(opened, of_reach_out("created_at"))}
    out = {}
    for reason, mask in masks.items():  # (three reasons, not rows)
        hit = pc.fill_null(pc.and_(mask, known), False).to_numpy(zero_copy_only=False)
        flag = np.zeros(n, dtype=bool)
        flag[idx[hit]] = True
        out[reason] = flag
    return out


def contradicting_events(loaded: Loaded, tz: str, limit: int) -> Finding:
    """Reach outs whose event times contradict each other, each listed with its reasons and event times."""
    table, report, messages = loaded.table, loaded.report, loaded.messages
    if messages is None and not table["first_sent_at"].notna().any():
        return Finding(KIND, TITLE, None, "Not checked: no send times (no messages export, no First Sent At "
                                          "column) to compare the opens and replies with.")
    flags = {"opened_before_first_send": _before(table["first_opened_at"], table["first_sent_at"]),
             "replied_before_first_send": _before(table["responded_at"], table["first_sent_at"]),
             "sent_before_created": _before(table["first_sent_at"], table["created_at"])}
    if messages is not None:
        flags.update(_per_reach_out(table, messages))
    hits = np.column_stack(list(flags.values()))
    bad = hits.any(axis=1)
    n = int(bad.sum())
    dropped = report.messages.open_times_before_creation if report.messages is not None else 0
    note = (f" The loader dropped {dropped:,} open time(s) before creation (the opens are kept)." if dropped
            else "")
    if not n:
        return Finding(KIND, TITLE, 0, "Every reach out's events come in order: created, sent, opened, "
                                       "replied (no step sent after the reply)." + note)
    per = hits.sum(axis=0)
    parts = "; ".join(f"{REASONS[r]} ({int(c):,})" for r, c in zip(flags, per, strict=True) if c)
    rows = np.nonzero(bad)[0][:limit]
    return Finding(KIND, TITLE, n, f"{n:,} reach out(s) have event times that contradict each other: {parts}."
                   + note, _items(table, rows, hits[rows], list(flags), tz), n - len(rows))


def _items(table: pd.DataFrame, rows: np.ndarray, hits: np.ndarray, reasons: list[str],
           tz: str) -> list[dict[str, Any]]:
    """The listed reach outs (at most ``limit`` rows): id, campaign, reasons, event times in ``tz``."""
    shown = table.iloc[rows]
    times = {name: shown[column].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M").tolist()
             for name, column in _TIMES.items()}
    return [{"reach_out_id": rid, "campaign": campaign if isinstance(campaign, str) else None,
             "contradictions": [r for r, hit in zip(reasons, flags, strict=True) if hit],
             "times": {name: None if pd.isna(values[k]) else values[k] for name, values in times.items()}}
            for k, (rid, campaign, flags) in enumerate(zip(shown["reach_out_id"], shown["campaign"], hits,
                                                            strict=True))]
