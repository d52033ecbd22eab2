"""Per step statistics (talentstats.stats.steps.step_stats), issue 13: which e-mail gets the opens and replies.

Hand-computed examples (the arithmetic in comments) with ties, nulls, unsent steps and time zones; a hypothesis
property against a plain-Python computation over the rows; and the same numbers on pandas, Polars (eager and
lazy), DuckDB and Dask.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from talentstats.errors import UsageError
from talentstats.stats.steps import step_stats

from .test_arrival import BASE, ENGINE_NAMES, budget, canonical, is_responded, local_date, on_engine, rows_of, t


def messages(rows: list[tuple[str, int | None, str | None, str | None]]) -> pd.DataFrame:
    """A messages table (the loader's dtypes) from (reach_out_id, step, sent_at, opened_at) tuples."""
    return pd.DataFrame({
        "reach_out_id": pd.array([r[0] for r in rows], dtype="str"),
        "step": pd.array([r[1] for r in rows], dtype="Int16"),
        "sent_at": pd.array([t(r[2]) for r in rows], dtype="datetime64[us, UTC]"),
        "opened_at": pd.array([t(r[3]) for r in rows], dtype="datetime64[us, UTC]"),
    })


# ----------------------------------------------------------------------------- hand-computed

#: range 2026-11-02 .. 2026-11-08 (UTC)
REACH_OUTS = canonical([
    dict(id="a", campaign="A", created_at=t("2026-11-02 08:00"), state=2, responded_at=t("2026-11-06 12:00")),
    dict(id="b", campaign="A", created_at=t("2026-11-03 08:00"), response_via="Email",
         responded_at=t("2026-11-03 10:00")),
    dict(id="c", campaign="A", created_at=t("2026-11-02 08:00")),
    dict(id="d", campaign="B", created_at=t("2026-11-03 08:00"), state=2, responded_at=t("2026-11-05 09:00")),
    dict(id="e", campaign="B", created_at=t("2026-11-03 08:00"), state=2),                  # reply time unknown
    dict(id="f", campaign="B", created_at=t("2026-11-02 07:00"), state=2, responded_at=t("2026-11-02 08:00")),
    dict(id="g", campaign="A", created_at=t("2026-11-09 08:00")),                           # after the range
    dict(id="h", campaign="B", created_at=t("2026-11-03 08:00")),
])
MESSAGES = messages([
    # a: 3 sent; first open step 1 (11-02 11:00); reply 11-06 12:00 -> last send before it: step 2 (11-04)
    ("a", 1, "2026-11-02 10:00", "2026-11-02 11:00"), ("a", 2, "2026-11-04 10:00", "2026-11-04 10:30"),
    ("a", 3, "2026-11-07 10:00", None),
    # b: step 1 sent at the instant of the reply (at or before: counts); step 2 not sent yet
    ("b", 1, "2026-11-03 10:00", None), ("b", 2, None, None),
    # c: both opened at the same instant: a tie -> the lowest step (1); no reply
    ("c", 1, "2026-11-02 09:00", "2026-11-05 08:00"), ("c", 2, "2026-11-04 09:00", "2026-11-05 08:00"),
    # d: step 1 twice (sent once counts once); steps 1 and 2 sent at the same instant: a tie -> the highest (2)
    ("d", 1, "2026-11-03 09:00", None), ("d", 1, "2026-11-04 09:00", None),
    ("d", 2, "2026-11-04 09:00", "2026-11-04 10:00"),
    ("e", 1, "2026-11-04 09:00", None),                     # e: sent; replied, time unknown: no reply counted
    ("f", 1, "2026-11-02 09:00", None),                     # f: replied before the first send: no step
    ("g", 1, "2026-11-09 09:00", "2026-11-09 10:00"),       # g: not in the cohort
    # h: the earliest open is on a message without a step: its first open counts under no step
    ("h", None, "2026-11-03 09:00", "2026-11-03 12:00"), ("h", 1, "2026-11-04 09:00", "2026-11-04 12:00"),
    ("zz", 1, "2026-11-04 09:00", "2026-11-04 10:00"),      # a message of an unknown reach out
])


def row(step: int, sent: int, first_opens: int, replies: int, rate: float | None, **keys: str) -> dict[str, Any]:
    return {**keys, "step": step, "sent": sent, "first_opens": first_opens, "replies": replies, "reply_rate": rate}


def test_steps_by_campaign():
    # A step 1: sent a, b, c = 3; first opens a, c = 2; replies b = 1 -> 1/3
    # A step 2: sent a, c = 2 (b's not sent); first opens 0; replies a = 1 -> 1/2;  A step 3: sent a -> 0/1
    # B step 1: sent d (twice: once), e, f, h = 4; first opens 0 (h's was stepless); replies 0 -> 0/4
    # B step 2: sent d = 1; first opens d = 1; replies d (the tie goes to the highest step) = 1 -> 1/1
    got = rows_of(step_stats(REACH_OUTS, MESSAGES, "2026-11-02", "2026-11-08", by="campaign"))
    assert got == [
        row(1, 3, 2, 1, 1 / 3, campaign="A"), row(2, 2, 0, 1, 0.5, campaign="A"), row(3, 1, 0, 0, 0.0, campaign="A"),
        row(1, 4, 0, 0, 0.0, campaign="B"), row(2, 1, 1, 1, 1.0, campaign="B"),
    ]


def test_steps_total():
    # step 1: 3 + 4 = 7 sent, 2 first opens, 1 reply -> 1/7; step 2: 3, 1, 2 -> 2/3; step 3: 1, 0, 0
    got = rows_of(step_stats(REACH_OUTS, MESSAGES, "2026-11-02", "2026-11-08"))
    assert got == [row(1, 7, 2, 1, 1 / 7), row(2, 3, 1, 2, 2 / 3), row(3, 1, 0, 0, 0.0)]


def test_steps_time_zone_decides_the_cohort():
    # Berlin (CET, UTC+1) for 11-02 .. 11-08: a reach out created Sun 11-01 23:30 UTC (Mon 00:30 in Berlin) is
    # in; one created Sun 11-08 23:30 UTC (Mon 11-09 00:30 in Berlin) is out. UTC: the other way round.
    table = canonical([dict(id="early", created_at=t("2026-11-01 23:30")),
                       dict(id="late", created_at=t("2026-11-08 23:30"), state=2,
                            responded_at=t("2026-11-10 00:00"))])
    msgs = messages([("early", 1, "2026-11-02 09:00", "2026-11-02 10:00"),
                     ("late", 1, "2026-11-09 09:00", None), ("late", 2, "2026-11-09 10:00", None)])
    assert rows_of(step_stats(table, msgs, "2026-11-02", "2026-11-08", "Europe/Berlin")) == [
        row(1, 1, 1, 0, 0.0)]
    # UTC: only "late": steps 1 and 2 sent, the reply (11-10) after step 2 (11-09 10:00)
    assert rows_of(step_stats(table, msgs, "2026-11-02", "2026-11-08")) == [
        row(1, 1, 0, 0, 0.0), row(2, 1, 0, 1, 1.0)]


def test_steps_a_step_with_opens_but_no_send_has_a_null_rate():
    # an open recorded on a message with no send time (step 4): first_opens 1, sent 0 -> reply_rate null
    table = canonical([dict(id="x", created_at=t("2026-11-02 08:00"))])
    msgs = messages([("x", 4, None, "2026-11-03 08:00")])
    assert rows_of(step_stats(table, msgs, "2026-11-02", "2026-11-08")) == [row(4, 0, 1, 0, None)]


def test_steps_take_the_loaders_arrow_messages_beside_a_pandas_table():
    arrow = pa.Table.from_pandas(MESSAGES, preserve_index=False)
    assert rows_of(step_stats(REACH_OUTS, arrow, "2026-11-02", "2026-11-08", by="campaign")) == rows_of(
        step_stats(REACH_OUTS, MESSAGES, "2026-11-02", "2026-11-08", by="campaign"))


def test_steps_empty_range_and_errors():
    assert rows_of(step_stats(REACH_OUTS, MESSAGES, "2030-01-01", "2030-01-31", by="sender")) == []
    no_steps = MESSAGES.assign(step=pd.array([None] * len(MESSAGES), dtype="Int16"))
    for msgs in (None, no_steps, MESSAGES.drop(columns="step")):
        with pytest.raises(UsageError, match="messages: the messages export has no Step column") as err:
            step_stats(REACH_OUTS, msgs, "2026-11-02", "2026-11-08")
        assert err.value.parameter == "messages"
    for by in ("week", "day", "state"):
        with pytest.raises(UsageError):
            step_stats(REACH_OUTS, MESSAGES, "2026-11-02", "2026-11-08", by=by)


# ----------------------------------------------------------------------------- the oracle (plain Python)


def oracle_steps(reach_outs: list[dict[str, Any]], msgs: list[dict[str, Any]], start: dt.date, end: dt.date,
                 tz: str, keys: list[str]) -> list[dict[str, Any]]:
    cohort = {r["id"]: r for r in reach_outs if start <= local_date(r["created_at"], tz) <= end}
    counts: dict[tuple, dict[str, int]] = {}

    def add(r: dict[str, Any], step: int | None, what: str) -> None:
        if step is not None:
            cell = counts.setdefault((*(r[k] for k in keys), step), dict.fromkeys(("sent", "first_opens",
                                                                                 "replies"), 0))
            cell[what] += 1

    for rid, r in cohort.items():
        mine = [m for m in msgs if m["reach_out_id"] == rid]
        for step in {m["step"] for m in mine if m["sent_at"] is not None}:
            add(r, step, "sent")
        opens = [m for m in mine if m["opened_at"] is not None]
        if opens:
            first = min(m["opened_at"] for m in opens)
            steps = [m["step"] for m in opens if m["opened_at"] == first and m["step"] is not None]
            add(r, min(steps) if steps else None, "first_opens")
        if is_responded(r) and r.get("responded_at") is not None:
            before = [m for m in mine if m["sent_at"] is not None and m["sent_at"] <= r["responded_at"]]
            if before:
                last = max(m["sent_at"] for m in before)
                steps = [m["step"] for m in before if m["sent_at"] == last and m["step"] is not None]
                add(r, max(steps) if steps else None, "replies")
    return [{**dict(zip(keys, key[:-1], strict=True)), "step": key[-1], **c,
             "reply_rate": c["replies"] / c["sent"] if c["sent"] else None} for key, c in sorted(counts.items())]


_minute = st.integers(0, 20 * 24 * 60)
_maybe_minute = st.one_of(st.none(), _minute)


@st.composite
def steps_case(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ros, msgs = [], []
    for i in range(draw(st.integers(0, 12))):
        created = BASE + dt.timedelta(minutes=draw(_minute))
        reply = draw(_maybe_minute)
        ros.append({"id": f"r{i}", "created_at": created, "campaign": draw(st.sampled_from(["A", "B"])),
                    "sender": draw(st.sampled_from(["s1", "s2"])), "state": draw(st.sampled_from([0, 2, 3])),
                    "response_via": draw(st.sampled_from([None, " ", "Email"])),
                    "responded_at": None if reply is None else created + dt.timedelta(minutes=reply)})
        # few distinct instants, so that ties (same open, same send, send at the reply) are common
        grid = [None if m is None else created + dt.timedelta(minutes=60 * m) for m in (None, 0, 1, 2, 3)]
        if ros[-1]["responded_at"] is not None:
            grid.append(ros[-1]["responded_at"])
        for _ in range(draw(st.integers(0, 5))):
            msgs.append({"reach_out_id": f"r{i}", "step": draw(st.sampled_from([1, 1, 2, 3, None])),
                         "sent_at": draw(st.sampled_from(grid)), "opened_at": draw(st.sampled_from(grid))})
    if draw(st.booleans()):  # a message of a reach out the table does not have
        msgs.append({"reach_out_id": "stranger", "step": 1, "sent_at": BASE, "opened_at": BASE})
    msgs.append({"reach_out_id": "stranger", "step": 1, "sent_at": None, "opened_at": None})  # (a known step)
    return ros, msgs


def message_frame(msgs: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({
        "reach_out_id": pd.array([m["reach_out_id"] for m in msgs], dtype="str"),
        "step": pd.array([m["step"] for m in msgs], dtype="Int16"),
        "sent_at": pd.array([m["sent_at"] for m in msgs], dtype="datetime64[us, UTC]"),
        "opened_at": pd.array([m["opened_at"] for m in msgs], dtype="datetime64[us, UTC]"),
    })


@budget(150)
@given(case=steps_case(), tz=st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Auckland", "America/New_York"]),
       start_day=st.integers(-2, 15), days=st.integers(0, 10),
       by=st.sampled_from([None, "campaign", "sender", "campaign,sender"]))
def test_steps_equal_the_plain_python_computation(case, tz, start_day, days, by):
    ros, msgs = case
    start = BASE.date() + dt.timedelta(days=start_day)
    end = start + dt.timedelta(days=days)
    keys = by.split(",") if by else []
    got = rows_of(step_stats(canonical(ros), message_frame(msgs), start, end, tz, by))
    assert got == oracle_steps(ros, msgs, start, end, tz, keys)
    # a reach out counts at most once per step for sent, and once in all for first opens and for replies
    assert all(r["first_opens"] >= 0 and r["replies"] <= len(ros) for r in got)


# ----------------------------------------------------------------------------- every engine, the same numbers


def random_case(seed: int, n: int = 300) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    ros, msgs = [], []
    for i in range(n):
        created = BASE + dt.timedelta(minutes=rng.randrange(28 * 24 * 60))
        replied = created + dt.timedelta(hours=rng.randrange(1, 400)) if rng.random() < 0.4 else None
        ros.append({"id": f"r{i}", "created_at": created, "campaign": rng.choice(["A", "B", "C"]),
                    "sender": rng.choice(["s1", "s2"]), "state": rng.choice([0, 2, 3]),
                    "response_via": rng.choice([None, "Email"]), "responded_at": replied})
        for step in range(1, rng.randrange(1, 5)):
            sent = created + dt.timedelta(hours=72 * (step - 1) + rng.randrange(0, 3)) if rng.random() < 0.9 \
                else None
            opened = sent + dt.timedelta(hours=rng.randrange(0, 100)) if sent and rng.random() < 0.5 else None
            msgs.append({"reach_out_id": f"r{i}", "step": step, "sent_at": sent, "opened_at": opened})
    return ros, msgs


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize(("tz", "by"), [("UTC", None), ("Europe/Berlin", "campaign"),
                                        ("Pacific/Auckland", "campaign,sender")])
def test_steps_same_numbers_on_every_engine(engine, tz, by):
    ros, msgs = random_case(3)
    table, msg_table = canonical(ros), message_frame(msgs)
    want = rows_of(step_stats(table, msg_table, "2026-03-04", "2026-03-22", tz, by))
    assert want == oracle_steps(ros, msgs, dt.date(2026, 3, 4), dt.date(2026, 3, 22), tz, by.split(",") if by else [])
    assert sum(r["replies"] for r in want) > 0 and sum(r["first_opens"] for r in want) > 0
    frame, msg_frame = on_engine(engine, tz, table, msg_table)
    assert rows_of(step_stats(frame, msg_frame, "2026-03-04", "2026-03-22", tz, by)) == want
    hand, hand_msgs = on_engine(engine, tz, REACH_OUTS, MESSAGES)
    assert rows_of(step_stats(hand, hand_msgs, "2026-11-02", "2026-11-08", tz, by)) == rows_of(
        step_stats(REACH_OUTS, MESSAGES, "2026-11-02", "2026-11-08", tz, by))
