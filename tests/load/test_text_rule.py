"""The text rule (docs/metrics.md "Text values"): one cleaning of campaign, sender, response via and response
type on every route, and the crash it fixes (text values that differ only by whitespace broke the plain load)."""

from __future__ import annotations

import json
import unicodedata

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talentstats.load.arrow import _names
from talentstats.load.values import clean_text, clean_text_arrow, parse_response_type

TWO_ROWS = """Reach Out ID,Campaign,Sender,State,Created At,Response Via
W1,C,s@x,Responded,2026-11-16T09:00:00Z,"  "
W2,C,s@x,Completed,2026-11-16T09:00:00Z,
"""

# docs/metrics.md "A worked example", written as an export (r6's response via is two spaces)
WORKED = """Reach Out ID,Campaign,State,Created At,Response Via,Response Type,Opened
r1,Backend,2,2026-11-16T09:00:00Z,Email Reply,Interested,yes
r2,Backend,3,2026-11-16T10:00:00Z,,,yes
r3,Backend,8,2026-11-17T11:00:00Z,Manually Marked,Not Interested,no
r4,Backend,0,2026-11-18T12:00:00Z,,Interested,yes
r5,Design,1,2026-11-19T08:00:00Z,,,no
r6,Design,2,2026-11-20T16:00:00Z,"  ",Interested,no
r7,Design,5,2026-11-21T09:00:00Z,,,no
r8,Design,4,2026-11-22T23:30:00Z,,,yes
r9,Design,3,2026-11-23T00:10:00Z,,,no
"""
WEEK = ("--start", "2026-11-16", "--end", "2026-11-22")
COUNTS = ("reach_outs", "in_progress", "opens", "responses", "interested")


def _json(cli, *args):
    code, out, err = cli("stats", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("extra", [(), ("--rejects", "REJECTS")])
def test_two_rows_differing_by_whitespace_load_on_the_plain_route(cli, tmp_path, extra):
    path = tmp_path / "two.csv"
    path.write_text(TWO_ROWS, encoding="utf-8")
    extra = tuple(str(tmp_path / "r.csv") if a == "REJECTS" else a for a in extra)
    doc = _json(cli, path, *WEEK, *extra)
    # W1 responded (state 2; its whitespace response via is blank); W2 completed: in progress
    assert [doc["total"][m] for m in ("reach_outs", "in_progress", "responses", "interested")] == [2, 1, 1, 0]
    assert doc["total"]["opens"] is None


@pytest.mark.parametrize("by", [None, "campaign"])
def test_worked_example_as_csv_gives_the_documented_numbers(cli, tmp_path, by):
    path = tmp_path / "worked.csv"
    path.write_text(WORKED, encoding="utf-8")
    doc = _json(cli, path, *WEEK, *(("--by", by) if by else ()))
    assert [doc["total"][m] for m in COUNTS] == [8, 3, 4, 3, 2]
    assert [round(doc["total"][r], 3) for r in ("open_rate", "response_rate", "interested_rate",
                                                "interested_of_responses")] == [0.5, 0.375, 0.25, 0.667]
    if by:
        assert [[r["campaign"], *(r[m] for m in COUNTS)] for r in doc["rows"]] == [
            ["Backend", 4, 2, 3, 2, 1], ["Design", 4, 1, 1, 1, 1]]


def test_spellings_that_clean_alike_are_one_group(cli, tmp_path):
    path = tmp_path / "spellings.csv"
    rows = ["Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type"]
    spellings = ["Sales", "Sales ", "Sales\u00a0", "\u200bSales", " Sales\t", "Café", "Cafe\u0301", "\ufeffCafé"]
    for i, name in enumerate(spellings):
        rows.append(f"id{i},\"{name}\",ann,2,2026-11-17T10:00:00Z,Email,Interested (👍)")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc = _json(cli, path, *WEEK, "--by", "campaign")
    assert {r["campaign"]: r["reach_outs"] for r in doc["rows"]} == {"Café": 3, "Sales": 5}
    assert doc["total"]["interested"] == 8


@pytest.mark.parametrize(("raw", "clean"), [
    ("Sales", "Sales"), ("Sales ", "Sales"), ("\u00a0Sales\u00a0", "Sales"), ("Sa\u200bles", "Sales"),
    ("\ufeffSales", "Sales"), ("Sales\u3000", "Sales"), ("Cafe\u0301", "Café"), ("  ", ""), ("\u200b", ""),
    ("Sales  EU", "Sales  EU"), ("\u200d👨\u200d💻", "👨\u200d💻"), (None, None),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


_TEXT = st.text(st.sampled_from(list("aAé e\u0301\u00a0\t\u200b\u200c\u200d\u2060\ufeff\u3000👍-_()")), max_size=8)


@given(st.lists(st.one_of(st.none(), _TEXT), max_size=30))
@settings(max_examples=300, deadline=None)
def test_arrow_and_python_text_rules_agree(values):
    assert clean_text_arrow(pa.array(values, pa.string())).to_pylist() == [clean_text(v) for v in values]
    for v in values:
        c = clean_text(v)
        assert c is None or (c == unicodedata.normalize("NFC", c) and c == clean_text(c))  # idempotent, NFC


@given(st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=30), st.booleans())
@settings(max_examples=200, deadline=None)
def test_names_have_one_dictionary_entry_per_cleaned_value(values, blank_to_null):
    out = _names(pa.chunked_array([pa.array(values, pa.string())]), len(values), blank_to_null)
    for chunk in out.chunks:
        words = chunk.dictionary.to_pylist()
        assert len(words) == len(set(words))
    expected = [clean_text(v) or (None if blank_to_null else "") for v in values]
    assert out.cast(pa.string()).to_pylist() == expected


@pytest.mark.parametrize(("raw", "parsed"), [
    ("Interested (👍)", "Interested"), ("Not Interested (👎)", "Not Interested"), ("interested\u00a0", "Interested"),
    ("👍🏽", "Interested"), ("Thumbs-Up", "Interested"), ("yes", "Interested"), ("NO", "Not Interested"),
    ("Interested (👎)", "Interested (👎)"), ("Maybe later ", "Maybe later"), ("  ", None), (None, None),
])
def test_response_type_spellings(raw, parsed):
    assert parse_response_type(raw) == parsed
