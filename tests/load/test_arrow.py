"""talentstats.load.arrow: ids grouped in parallel parts group exactly as one hash table does."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import talentstats.load.arrow as arrow


def same_grouping(a: np.ndarray, b: np.ndarray) -> bool:
    """Two code arrays put the same rows together (codes may differ; -1 only for nulls in both)."""
    if not ((a < 0) == (b < 0)).all():
        return False
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len({x for x, _ in pairs}) == len(pairs) == len({y for _, y in pairs})


@given(st.lists(st.one_of(st.none(), st.text(st.sampled_from("ab1é\u00a0"), max_size=5)), max_size=300))
@settings(max_examples=200, deadline=None)
def test_id_groups_match_one_hash_table(values):
    col = pa.chunked_array([pa.array(values, pa.string())])
    assert same_grouping(arrow.id_groups(col), arrow._codes(col)[1])


@pytest.fixture(autouse=True)
def _parallel_from_one_row(monkeypatch):
    monkeypatch.setattr(arrow, "PARALLEL_IDS", 1)


def test_a_large_column_in_chunks_with_duplicates():
    rng = np.random.default_rng(0)
    ids = [f"RO-{i:040d}" if i % 7 else "" for i in rng.integers(0, 5_000, 20_000)]
    col = pa.chunked_array([pa.array(ids[:9_000]), pa.array(ids[9_000:], pa.large_string()).cast(pa.string())])
    assert same_grouping(arrow.id_groups(col), arrow._codes(col)[1])
