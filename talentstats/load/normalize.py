"""One raw export (or chunk) -> canonical rows and rejected rows; the canonical table in Arrow and pandas;
duplicates collapsed. No Python loop over rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import InputError
from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)
from talentstats.load.accounting import REJECT_COLUMNS
from talentstats.load.arrow import (
    TEXT_DICT,
    _distinct,
    _is_blank,
    _lut,
    _names,
    _nulls,
    _Problem,
    _row_texts,
    _str,
    _stripped,
    _text,
    _texts_by_distinct,
    id_groups,
)
from talentstats.load.columns import ALIASES, LAST_OPEN, REQUIRED, header_key
from talentstats.load.guards import usable_columns
from talentstats.load.headers import _require, match_headers, one_header_per_column
from talentstats.load.rawcheck import blank_rows
from talentstats.load.read import RawTable
from talentstats.load.timestamps import (
    EARLIEST,
    LATEST,
    DateOrderError,
    _blank,
    _stamp_reasons,
    _stamps,
    _strings,
)
from talentstats.load.values import _FALSE, parse_flag, parse_response_type, parse_state

# --------------------------------------------------------------------------------------------- reach outs


def normalize_arrow(raw: RawTable, mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                    dayfirst: bool = False, order_offset: int = 0) -> tuple[pa.Table, pd.DataFrame]:
    """One raw export (or chunk of one) -> (canonical rows as Arrow with ``_order``, rejected rows with
    file/line/column/reason). Types: see :data:`ARROW_SCHEMA`."""
    headers = raw.table.column_names
    one_header_per_column(headers, mapping, raw.path)
    found = match_headers(headers, ALIASES, mapping)
    _require(found, REQUIRED, headers, raw.path, ALIASES)
    table = usable_columns(raw, set(found.values()))  # (lists, structs, non-UTF-8 bytes: refused where read)
    n = table.num_rows
    problems: list[_Problem] = []

    def col(column: str) -> pa.ChunkedArray:
        return table.column(found[column])

    ids = _stripped(col("reach_out_id"), blank_to_null=False)
    no_id = _is_blank(ids)

    def id_reasons(rows: np.ndarray) -> np.ndarray:

        # a row of empty values (",,,") says so
        return np.where(blank_rows(table.take(pa.array(rows))), "empty row", "missing reach out id")

    problems.append((no_id, found["reach_out_id"], id_reasons))

    def stamps(column: str) -> pa.ChunkedArray:
        try:
            return _stamps(col(column), source_tz, dayfirst, check_order=True)
        except DateOrderError as err:
            raise InputError(err.reason, file=raw.path, line=int(raw.lines([err.label])[0]), column=found[column])

    values, codes = _distinct(col("state"))
    state = _lut(values, codes, lambda v: -1 if (s := parse_state(v)) is None else s, np.int8)
    state_reasons = np.array([f"unknown state '{v}'" if v is not None and v.strip() else "missing state"
                              for v in values] + ["missing state"], dtype=object)
    problems.append((state < 0, found["state"], lambda rows: state_reasons[codes[rows]]))

    created = stamps("created_at")
    problems.append((_nulls(created), found["created_at"],
                     lambda rows: _stamp_reasons(col("created_at"), rows, source_tz, "missing created date")))
    # 1970-01-01, 0001-01-01, Excel's day 0, 9999-12-31: placeholders, not creation dates (the CRM postdates 2000)
    for outside, words in ((pc.less(created, pa.scalar(EARLIEST, created.type)), "before 2000"),
                           (pc.greater_equal(created, pa.scalar(LATEST, created.type)), "after 2100")):
        problems.append((pc.fill_null(outside, False).to_numpy(zero_copy_only=False), found["created_at"],
                         lambda rows, words=words: (f"created {words} '" + _row_texts(col("created_at"), rows)
                                                    .fillna("") + "'").to_numpy(dtype=object)))

    def optional_stamps(column: str) -> pa.ChunkedArray | pa.Array:
        """An optional time column: blank is unknown; text that is not a date is a reject reason."""
        if column not in found:
            return pa.nulls(n, pa.timestamp("us", tz="UTC"))
        got = stamps(column)
        unread = _nulls(got)
        if unread.any():
            rows = np.nonzero(unread)[0]
            unread[rows[_is_blank(_text(col(column)).take(pa.array(rows)))]] = False
        if column != "opened_at":  # (an opened-at column's text is judged with the open flags: "never", "-")
            problems.append((unread, found[column], lambda rows: _stamp_reasons(col(column), rows, source_tz)))
        return got

    updated = optional_stamps("updated_at")
    opened, open_problems = _opened_arrow(table, found, n)
    problems += open_problems
    first_sent = optional_stamps("first_sent_at")
    first_opened = (optional_stamps("opened_at") if header_key(found.get("opened_at", "")) not in LAST_OPEN
                    else pa.nulls(n, pa.timestamp("us", tz="UTC")))
    responded = optional_stamps("responded_at")
    # an event before the reach out existed: the row contradicts itself
    for event, column, words in ((responded, "responded_at", "responded"), (first_opened, "opened_at", "opened")):
        if column in found:
            early = pc.fill_null(pc.less(event, created), False).to_numpy(zero_copy_only=False)
            problems.append((early, found[column], lambda rows, column=column, words=words: (
                f"{words} before created '" + _row_texts(col(column), rows).fillna("") + "'").to_numpy(dtype=object)))

    def text_or_null(column: str) -> Any:
        return _str(_text(col(column))) if column in found else pa.nulls(n, pa.string())

    def name(column: str, blank_to_null: bool = False) -> Any:
        return _names(col(column) if column in found else None, n, blank_to_null)

    canonical = pa.table({
        "reach_out_id": _str(ids),
        "campaign": name("campaign"),
        "sender": name("sender"),
        "state": pa.array(state, pa.int8()),
        "created_at": created,
        "updated_at": updated,
        "response_via": name("response_via", blank_to_null=True),
        "response_type": _texts_by_distinct(col("response_type"), parse_response_type)
        if "response_type" in found else pa.nulls(n, TEXT_DICT),
        "opened": opened,
        "prospect_name": text_or_null("prospect_name"),
        "prospect_email": text_or_null("prospect_email"),
        "first_sent_at": first_sent,
        "first_opened_at": first_opened,
        "responded_at": responded,
        "_order": pa.array(np.arange(n, dtype=np.int64) + order_offset),
    }, schema=CHUNK_SCHEMA)

    rejected = np.zeros(n, dtype=bool)
    parts = []
    for mask, column, reason in problems:
        m = np.asarray(mask, dtype=bool) & ~rejected  # the first problem of a row is its reason
        if m.any():
            rows = np.nonzero(m)[0]
            reasons = reason(rows) if callable(reason) else reason
            parts.append(pd.DataFrame({"file": raw.path, "line": raw.lines(rows), "column": column,
                                       "reason": reasons if isinstance(reasons, str)
                                       else np.asarray(reasons, dtype=object), "_row": rows}))
            rejected |= m
    rejects = _reject_frame(parts, table, raw)
    if rejected.any():
        canonical = canonical.filter(pa.array(~rejected))
    return canonical, rejects


#: the canonical table as Arrow (see :mod:`talentstats.load.columns`; pandas dtypes follow from these types)
ARROW_SCHEMA = pa.schema([
    ("reach_out_id", pa.string()), ("campaign", pa.string()), ("sender", pa.string()), ("state", pa.int8()),
    ("created_at", pa.timestamp("us", tz="UTC")), ("updated_at", pa.timestamp("us", tz="UTC")),
    ("response_via", pa.string()), ("response_type", pa.string()), ("opened", pa.bool_()),
    ("prospect_name", pa.string()), ("prospect_email", pa.string()),
    ("first_sent_at", pa.timestamp("us", tz="UTC")), ("first_opened_at", pa.timestamp("us", tz="UTC")),
    ("responded_at", pa.timestamp("us", tz="UTC")),
])


#: what the loader works with (few-valued text columns dictionary-encoded: compact, cheap to filter)
CHUNK_SCHEMA = pa.schema([pa.field(f.name, TEXT_DICT) if f.name in ("campaign", "sender", "response_via",
                                                               "response_type") else f for f in ARROW_SCHEMA]
                         ).append(pa.field("_order", pa.int64()))


def to_canonical(table: pa.Table) -> pa.Table:
    """Dictionary-encoded text decoded: the table in :data:`ARROW_SCHEMA` types."""
    return table.cast(pa.schema([ARROW_SCHEMA.field(f.name) if f.name in ARROW_SCHEMA.names else f
                                 for f in table.schema]))


def to_pandas(table: pa.Table, categorical: bool = False) -> pd.DataFrame:
    """A canonical Arrow table as the canonical pandas table (str, int8, datetime64[us, UTC], boolean), one
    column at a time (dictionary-encoded text is decoded here, and only here). ``categorical``: dictionary-encoded
    text stays encoded, as pandas categoricals - five times cheaper to make, and what the statistics alone need."""
    mapper = {pa.bool_(): pd.BooleanDtype()}.get
    columns = {}
    for f in table.schema:
        col = table.column(f.name)
        if pa.types.is_dictionary(f.type) and not categorical:
            col = col.cast(f.type.value_type)
        columns[f.name] = pa.table({f.name: col}).to_pandas(types_mapper=mapper)[f.name]
    return pd.DataFrame(columns, copy=False) if columns else table.to_pandas()


def _reject_frame(parts: list[pd.DataFrame], table: pa.Table, raw: RawTable) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=REJECT_COLUMNS)
    rej = pd.concat(parts, ignore_index=True).sort_values("_row", kind="stable")
    rows = table.take(pa.array(rej["_row"].to_numpy())).to_pandas().astype(str)
    rows.index = rej.index
    rej = pd.concat([rej.drop(columns="_row"), rows.add_prefix("raw:")], axis=1)
    return rej.reset_index(drop=True)


def _opened_arrow(table: pa.Table, found: Mapping[str, str], n: int) -> tuple[pa.Array, list[_Problem]]:
    """Canonical ``opened`` from an opened flag, an open count or an opened timestamp (ORed); null if none."""
    problems: list[_Problem] = []
    result: np.ndarray | None = None
    if "opened" in found:
        col = table.column(found["opened"])
        values, codes = _distinct(col)
        flag = _lut(values, codes, lambda v: {True: 1, False: 0, None: -1}[parse_flag(v)], np.int8)
        problems.append((flag < 0, found["opened"], lambda rows: (
            "unreadable opened flag '" + _row_texts(col, rows).fillna("") + "'").to_numpy(dtype=object)))
        result = flag == 1
    if "open_count" in found:
        s = _strings(table.column(found["open_count"])).str.strip()
        count = pd.to_numeric(s.where(s != ""), errors="coerce")
        bad = (count.isna() & ~_blank(s)).to_numpy()
        problems.append((bad, found["open_count"], lambda rows: (
            "unreadable open count '" + s.iloc[rows] + "'").to_numpy(dtype=object)))
        c = (count.fillna(0) > 0).to_numpy()
        result = c if result is None else (result | c)
    if "opened_at" in found:
        col = table.column(found["opened_at"])
        c = ~_nulls(_stamps(col))
        # placeholders such as "-", "no" or "never" mean not opened; other text is not guessed to be an open
        low = pc.utf8_lower(pc.utf8_trim_whitespace(_text(col)))
        placeholder = pc.is_in(low, value_set=pa.array(sorted(_FALSE | {"never", "n/a", "none"}), pa.string()))
        unopened = pc.fill_null(pc.or_(pc.equal(low, ""), placeholder), True).to_numpy(zero_copy_only=False)
        problems.append((~c & ~unopened, found["opened_at"], lambda rows: (
            "unparseable date '" + _row_texts(col, rows).fillna("") + "'").to_numpy(dtype=object)))
        result = c if result is None else (result | c)
    if result is None:
        return pa.nulls(n, pa.bool_()), problems
    return pa.array(result, pa.bool_()), problems


def collapse_arrow(table: pa.Table) -> tuple[pa.Table, int]:
    """One row per reach_out_id: the latest updated_at wins (unknown counts as oldest), else the last row
    (highest ``_order``). Rows are hashed once; only those of duplicated ids are sorted."""
    n = table.num_rows
    if n < 2:
        return table, 0
    codes = id_groups(table.column("reach_out_id"))
    dup = np.bincount(codes + 1)[codes + 1] > 1
    if not dup.any():
        return table, 0
    rows = np.nonzero(dup)[0]
    sub = table.select(["updated_at", "_order"]).take(pa.array(rows))
    updated = pc.fill_null(sub.column("updated_at").cast(pa.int64()), np.iinfo(np.int64).min)
    order = np.lexsort((sub.column("_order").to_numpy(), updated.to_numpy(), codes[rows]))
    ranked = rows[order]
    ranked_codes = codes[ranked]
    last = np.ones(len(ranked), dtype=bool)
    last[:-1] = ranked_codes[:-1] != ranked_codes[1:]
    keep = ~dup
    keep[ranked[last]] = True
    return table.filter(pa.array(keep)), int(n - keep.sum())


