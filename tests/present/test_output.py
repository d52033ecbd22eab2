"""talentstats.present.output: the JSON of ``stats`` built column-wise equals json.dumps of the row dicts."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from talentstats.present.output import json_rows

_NAMES = st.text(st.sampled_from(list('ab "\\é–\n\t👍\u00a0\u2028')), max_size=6)
_RATE = st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.0, 1.0, 1 / 3, 2 / 3, 0.1, 1e-7]))


@given(st.lists(st.tuples(_NAMES, st.integers(0, 10**9), st.one_of(st.none(), st.integers(0, 50)), _RATE),
                min_size=1, max_size=40), st.booleans())
@settings(max_examples=300, deadline=None)
def test_json_rows_equal_json_dumps(rows, categorical):
    frame = pd.DataFrame(rows, columns=["campaign", "reach_outs", "opens", "open_rate"])
    frame["opens"] = frame["opens"].astype("Int64")
    frame["open_rate"] = frame["open_rate"].astype("Float64")
    if categorical:
        frame["campaign"] = frame["campaign"].astype("category")
    cols = list(frame.columns)
    expected = [{c: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for c, v in zip(cols, r,
                                                                                                      strict=True)}
                for r in frame.astype(object).itertuples(index=False)]
    text = json_rows(frame, cols).decode()
    assert text == json.dumps(expected, ensure_ascii=False)
    assert json.loads(text) == expected


def test_no_rows_is_an_empty_array():
    assert json_rows(pd.DataFrame({"campaign": pd.Series([], dtype=str)}), ["campaign"]) == b"[]"
