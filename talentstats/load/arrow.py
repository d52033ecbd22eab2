"""Arrow column helpers of the loader: raw columns as text, distinct values and codes, names by the text
rule, blanks, timestamps by Arrow's ISO-8601 parser. Vectorised; per distinct value at most."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)
from talentstats.load.values import clean_text_arrow

# --------------------------------------------------------------------------------------------- Arrow columns
#
# Normalising works on Arrow arrays: pyarrow compute kernels for whole columns, Python only once per distinct
# value (states, response types, flags), reasons only for the rows rejected, one conversion to pandas at the end.

#: few-valued text (campaigns, senders, response via and type) as the loader holds it
TEXT_DICT = pa.dictionary(pa.int32(), pa.string())

_Problem = tuple[np.ndarray, str, Any]  # (mask, column header, reason: text, or rows -> texts)


def _text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A raw column as Arrow text (dictionaries decoded, typed Parquet/JSON values cast to text)."""
    typ = col.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return col
    if pa.types.is_null(typ):
        return pa.chunked_array([pa.nulls(len(col), pa.string())], pa.string())
    if pa.types.is_dictionary(typ):
        return _text(col.cast(typ.value_type))
    return col.cast(pa.string())


def _codes(col: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """(the distinct texts, each row's code into them; -1 = null), by one hash pass (or a dictionary's own)."""
    if not (pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type)):
        # one array, one hash table (encoding chunk by chunk leaves dictionaries that are slow to unify)
        col = pa.chunked_array([pc.dictionary_encode(_text(col).combine_chunks())])
    col = col.unify_dictionaries()
    if col.num_chunks == 0:
        return pa.array([], pa.string()), np.zeros(0, dtype=np.int64)
    codes = [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in col.chunks]
    return col.chunk(0).dictionary, np.concatenate(codes).astype(np.int64, copy=False)


def _distinct(col: pa.ChunkedArray) -> tuple[list[Any], np.ndarray]:
    """:func:`_codes` with the distinct values as Python strings: parse a column once per distinct value."""
    values, codes = _codes(col)
    return values.to_pylist(), codes


def _str(arr: Any) -> Any:
    """Arrow text as ``string`` (Parquet may hold ``large_string``)."""
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _lut(values: list[Any], codes: np.ndarray, fn: Any, dtype: Any) -> np.ndarray:
    """``fn`` of every row's value, computed once per distinct value (``fn(None)`` for nulls)."""
    return np.array([fn(v) for v in values] + [fn(None)], dtype=dtype)[codes]


def _texts_by_distinct(col: pa.ChunkedArray, fn: Any) -> pa.DictionaryArray:
    """Text ``fn`` of every row's value (None -> null), computed once per distinct value; dictionary-encoded."""
    values, codes = _distinct(col)
    mapped = [fn(v) for v in values] + [fn(None)]
    uniq = sorted({m for m in mapped if m is not None})
    where = {m: i for i, m in enumerate(uniq)}
    lut = np.array([where.get(m, -1) if m is not None else -1 for m in mapped], dtype=np.int32)
    idx = lut[codes]
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32(), mask=idx < 0), pa.array(uniq, pa.string()))


def _names(col: pa.ChunkedArray | None, n: int, blank_to_null: bool) -> pa.ChunkedArray:
    """Text by the text rule (:func:`clean_text_arrow`) as dictionary<int32, string> with unique values (few
    distinct values: campaigns, senders, response via): blank -> null with ``blank_to_null``, else missing -> "".
    Works on the distinct values only; spellings that clean to one value share one dictionary entry."""
    if col is None:
        col = pa.chunked_array([pa.nulls(n, pa.string())], pa.string())
    if not (pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type)):
        col = pa.chunked_array([pc.dictionary_encode(_str(_text(col)).combine_chunks())])
    out = []
    for chunk in col.chunks:
        merged = pc.dictionary_encode(clean_text_arrow(chunk.dictionary))  # unique cleaned values
        values, idx = merged.dictionary, pc.take(merged.indices, chunk.indices)
        if blank_to_null:
            blank = pc.fill_null(pc.take(pc.equal(values, ""), idx), False)
            idx = pc.if_else(blank, pa.scalar(None, idx.type), idx)
        elif idx.null_count:
            empty = pc.index(values, "").as_py()
            if empty < 0:
                values = pa.concat_arrays([values, pa.array([""], values.type)])
                empty = len(values) - 1
            idx = pc.fill_null(idx, pa.scalar(empty, idx.type))
        out.append(pa.DictionaryArray.from_arrays(idx, values))
    return pa.chunked_array(out, TEXT_DICT)


def _stripped(col: pa.ChunkedArray, blank_to_null: bool) -> pa.ChunkedArray:
    """Text with surrounding whitespace removed; blank values null when ``blank_to_null``."""

    def clean(arr: Any) -> Any:
        arr = pc.utf8_trim_whitespace(arr)
        return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr) if blank_to_null else arr

    if pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type):
        # trim the few distinct values, then expand (no per-row string work)
        return pa.chunked_array([clean(c.dictionary).take(c.indices) for c in col.chunks], pa.string())
    return clean(_text(col))


def _is_blank(text: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Null, empty or whitespace only."""
    blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    return pc.fill_null(blank, True).to_numpy(zero_copy_only=False)


def _nulls(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.is_null(arr).to_numpy(zero_copy_only=False)


def _row_texts(col: pa.ChunkedArray, rows: np.ndarray) -> pd.Series:
    """The raw text of some rows (for reasons), nulls as None."""
    return pd.Series(_text(col).take(pa.array(rows)).to_pylist(), dtype="str")










#: ids hashed in parallel parts from this many rows on (below it one hash table is quicker)
PARALLEL_IDS = 250_000


def id_groups(col: pa.ChunkedArray) -> np.ndarray:
    """A code per row such that two rows share a code exactly when their texts are equal (-1 = null).

    Large columns are split by a cheap key that equal texts share (length and last byte), and the parts are
    hashed on a thread pool: Arrow's hash tables release the GIL, so every core builds one.
    """
    n = len(col)
    workers = min(os.cpu_count() or 1, 8)
    if n < PARALLEL_IDS or workers < 2:
        return _codes(col)[1]
    text = _text(col).combine_chunks()
    if pa.types.is_large_string(text.type):
        text = text.cast(pa.string())
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1, offset=text.offset * 4)
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8) if text.buffers()[2] is not None else np.zeros(1, np.uint8)
    lengths = np.diff(offsets)
    last = data[np.maximum(offsets[1:] - 1, 0)] if len(data) else np.zeros(n, np.uint8)
    parts = 2 * workers
    part = ((lengths.astype(np.int64) * 31 + np.where(lengths > 0, last, 0)) % parts).astype(np.int8)
    rows = [np.nonzero(part == p)[0] for p in range(parts)]

    def encode(r: np.ndarray) -> np.ndarray:
        return _codes(pa.chunked_array([text.take(pa.array(r))]))[1]

    codes = np.full(n, -1, dtype=np.int64)
    base = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for r, c in zip(rows, pool.map(encode, rows), strict=True):
            codes[r] = np.where(c >= 0, c + base, -1)
            base += int(c.max()) + 1 if len(c) else 0
    return codes
