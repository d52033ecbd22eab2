"""The step facts made once per load (``steps.step_facts``: steps sent as bits, the step of the first open and of
the reply) give the steps of any range in one pass over the reach outs: the same numbers as the join of the
messages and as the plain-Python oracle of tests/stats/test_steps.py, on every engine."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from talentstats.stats.steps import FACTS, step_facts, step_stats

from .test_arrival import BASE, budget, canonical, rows_of
from .test_steps import message_frame, oracle_steps, random_case, steps_case


def with_facts(table: pd.DataFrame, msgs: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the facts, made from the messages as the loader hands them (Arrow, ``ro`` = row)."""
    row = {rid: i for i, rid in enumerate(table["reach_out_id"])}
    known = msgs[msgs["reach_out_id"].isin(row)]
    arrow = pa.Table.from_pandas(known, preserve_index=False)
    arrow = arrow.append_column("ro", pa.array([row[r] for r in known["reach_out_id"]], pa.int64()))
    facts = step_facts(pa.Table.from_pandas(table, preserve_index=False), arrow)
    assert facts is not None
    return table.assign(**facts)


def test_hand_made_facts():
    # r0: steps 1 and 2 sent (bits 0b11); first open on step 2 (11:00 before step 1's 12:00); replied 13:00 after
    # both sends (step 2 at 10:00 is the last before it). r1: step 3 only, opened at the same instant as a step-2
    # message that was never sent (a tie: the lower step, 2); no reply. r2: nothing.
    t = canonical([
        {"id": "r0", "created_at": BASE, "campaign": "A", "sender": "s", "state": 2, "response_via": "Email",
         "responded_at": BASE + dt.timedelta(hours=13)},
        {"id": "r1", "created_at": BASE, "campaign": "A", "sender": "s", "state": 0, "response_via": None,
         "responded_at": None},
        {"id": "r2", "created_at": BASE, "campaign": "A", "sender": "s", "state": 0, "response_via": None,
         "responded_at": None},
    ])
    h = [BASE + dt.timedelta(hours=k) for k in range(14)]
    m = message_frame([
        {"reach_out_id": "r0", "step": 1, "sent_at": h[1], "opened_at": h[12]},
        {"reach_out_id": "r0", "step": 2, "sent_at": h[10], "opened_at": h[11]},
        {"reach_out_id": "r1", "step": 3, "sent_at": h[2], "opened_at": h[5]},
        {"reach_out_id": "r1", "step": 2, "sent_at": None, "opened_at": h[5]},
    ])
    f = with_facts(t, m)
    assert f["_steps_sent"].tolist() == [0b11, 0b100, 0]
    assert f["_first_open_step"].tolist() == [2, 2, 0]
    assert f["_reply_step"].tolist() == [2, 0, 0]


@budget(80)
@given(case=steps_case(), tz=st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Auckland"]),
       start_day=st.integers(-2, 15), days=st.integers(0, 10),
       by=st.sampled_from([None, "campaign", "campaign,sender"]))
def test_facts_give_the_numbers_of_the_join_and_of_the_oracle(case, tz, start_day, days, by):
    ros, msgs = case
    start = BASE.date() + dt.timedelta(days=start_day)
    end = start + dt.timedelta(days=days)
    table, m = canonical(ros), message_frame(msgs)
    fast = rows_of(step_stats(with_facts(table, m), m, start, end, tz, by))
    assert fast == rows_of(step_stats(table, m, start, end, tz, by))
    assert fast == oracle_steps(ros, msgs, start, end, tz, by.split(",") if by else [])


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_facts_on_other_engines(engine):
    import duckdb
    import polars as pl

    ros, msgs = random_case(5)
    table, m = canonical(ros), message_frame(msgs)
    f = with_facts(table, m)
    want = rows_of(step_stats(table, m, "2026-03-04", "2026-03-22", "UTC", "campaign"))
    arrow = pa.Table.from_pandas(f, preserve_index=False)
    frame = pl.from_arrow(arrow).lazy() if engine == "polars" else duckdb.connect().from_arrow(arrow)
    msg_frame = pl.from_pandas(m).lazy() if engine == "polars" else None
    if engine == "duckdb":  # (the same connection for both relations)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        frame, msg_frame = con.from_arrow(arrow), con.from_arrow(pa.Table.from_pandas(m, preserve_index=False))
    assert set(FACTS) <= set(arrow.column_names)
    assert rows_of(step_stats(frame, msg_frame, "2026-03-04", "2026-03-22", "UTC", "campaign")) == want
