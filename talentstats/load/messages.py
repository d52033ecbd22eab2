"""Per-message exports: opens by reach out (streamed, only the id and open columns read)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import MissingColumnError
from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)
from talentstats.load.accounting import REJECT_COLUMNS, LoadReport, MessagesReport
from talentstats.load.arrow import _codes, _distinct, _is_blank, _lut, _nulls, _row_texts, _str, _stripped, _text
from talentstats.load.columns import ALIASES, MESSAGE_ALIASES, MESSAGE_REQUIRED
from talentstats.load.guards import DEFAULT, usable_columns
from talentstats.load.headers import _require, match_headers
from talentstats.load.limits import Limits
from talentstats.load.read import RawTable
from talentstats.load.stream import ColumnPlan, iter_raw
from talentstats.load.timestamps import _stamps
from talentstats.load.values import parse_flag

# --------------------------------------------------------------------------------------------- messages


def load_messages(raw: RawTable) -> tuple[pa.Table, pd.DataFrame, MessagesReport]:
    """A per-message export (or chunk of one) -> (reach_out_id, opened[, message_id]) per message row as Arrow,
    its rejects and its report (duplicate messages are collapsed later, over every file: see
    :func:`_apply_messages`)."""
    found = match_headers(raw.table.column_names, MESSAGE_ALIASES)
    table = usable_columns(raw, set(found.values()))
    _require(found, MESSAGE_REQUIRED, table.column_names, raw.path, MESSAGE_ALIASES)
    if "opened_at" not in found and "opened" not in found:
        shown = ", ".join(repr(h) for h in table.column_names)
        raise MissingColumnError(f"messages export has no open information: need 'Opened At' or 'Opened' "
                                 f"(headers found: {shown})", file=raw.path)
    n = table.num_rows
    ids = _stripped(table.column(found["reach_out_id"]), blank_to_null=False)
    bad = _is_blank(ids)
    opened = np.zeros(n, dtype=bool)
    parts = []
    if bad.any():
        rows = np.nonzero(bad)[0]
        parts.append((rows, found["reach_out_id"], np.full(len(rows), "missing reach out id", dtype=object)))
    if "opened_at" in found:
        col = table.column(found["opened_at"])
        stamp = ~_nulls(_stamps(col))
        unreadable = ~stamp & ~bad
        if unreadable.any():
            rows = np.nonzero(unreadable)[0]
            unreadable[rows[_is_blank(_text(col).take(pa.array(rows)))]] = False
            rows = np.nonzero(unreadable)[0]
            parts.append((rows, found["opened_at"],
                          ("unparseable date '" + _row_texts(col, rows) + "'").to_numpy(dtype=object)))
        bad |= unreadable
        opened |= stamp
    if "opened" in found:
        col = table.column(found["opened"])
        values, codes = _distinct(col)
        flag = _lut(values, codes, lambda v: {True: 1, False: 0, None: -1}[parse_flag(v)], np.int8)
        unreadable = (flag < 0) & ~bad
        if unreadable.any():
            rows = np.nonzero(unreadable)[0]
            parts.append((rows, found["opened"],
                          ("unreadable opened flag '" + _row_texts(col, rows) + "'").to_numpy(dtype=object)))
        bad |= unreadable
        opened |= flag == 1
    parts = [p for p in parts if len(p[0])]
    if parts:  # (line numbers only for rows actually rejected: they may cost a parse of the file)
        rows = np.concatenate([p[0] for p in parts])
        rejects = pd.DataFrame({"file": raw.path, "line": raw.lines(rows),
                                "column": np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts]),
                                "reason": np.concatenate([p[2] for p in parts]), "_row": rows})
        rejects = rejects.sort_values("_row", kind="stable").drop(columns="_row").reset_index(drop=True)
    else:
        rejects = pd.DataFrame(columns=REJECT_COLUMNS)
    columns = {"reach_out_id": _str(ids), "opened": pa.array(opened)}
    if "message_id" in found:
        columns["message_id"] = pc.fill_null(_str(_stripped(table.column(found["message_id"]), False)), "")
    msgs = pa.table(columns)
    if bad.any():
        msgs = msgs.filter(pa.array(~bad))
    report = MessagesReport(rows_read=n, rows_loaded=msgs.num_rows, rows_rejected=int(bad.sum()))
    return msgs, rejects, report


class _Probe(Exception):
    """Raised by the column plan that only looks at a file's headers."""

    def __init__(self, messages: bool) -> None:
        self.messages = messages


def split_messages(files: Sequence[Path], message_files: Sequence[Path], mapping: Mapping[str, str],
                   sheet: str | int | None = None, limits: Limits = DEFAULT) -> tuple[list[Path], list[Path]]:
    """(reach-out exports, messages exports): files whose headers look like a messages export (no state column,
    a message id or opened-at column) are messages, unless named as reach-out exports and messages both."""

    exports, messages = [], list(message_files)
    for path in files:
        def probe(headers: list[str], path: Path = path) -> Any:
            raise _Probe(path not in message_files and _looks_like_messages(headers, mapping))

        try:
            next(iter_raw(path, sheet, plan=probe, limits=limits))
            is_messages = False  # (a reader that never asked: an export)
        except _Probe as found:
            is_messages = found.messages
        (messages if is_messages else exports).append(path)
    return exports, messages


def _message_plan(headers: list[str]) -> Any:

    found = match_headers(headers, MESSAGE_ALIASES)
    complete = "reach_out_id" in found and ("opened" in found or "opened_at" in found)
    return ColumnPlan(frozenset(found.values()) if complete else None,
                      frozenset({found["opened"]}) if "opened" in found else frozenset())


def _looks_like_messages(headers: Sequence[str], mapping: Mapping[str, str]) -> bool:
    found = match_headers(headers, ALIASES, mapping)
    msg = match_headers(headers, MESSAGE_ALIASES)
    return "state" not in found and ("message_id" in msg or "opened_at" in msg) and "reach_out_id" in msg


@dataclass
class Opens:
    """What messages exports say about opens, by reach out id (reduced once, applied to any table)."""

    opened_ids: pa.Array  # the reach outs with an opened message
    ids: pa.Array  # every reach out id the messages name (distinct)
    messages: np.ndarray  # number of distinct messages per id in ``ids``
    report: MessagesReport

    def apply(self, table: pa.Table, report: LoadReport, uncounted: np.ndarray | None = None) -> pa.Table:
        """``table`` with ``opened`` true where a message was opened (known, i.e. not null, everywhere);
        ``uncounted`` rows (copies of reach outs counted before) are left out of ``reach_outs_opened``."""
        via = pc.is_in(table.column("reach_out_id"), value_set=self.opened_ids).to_numpy(zero_copy_only=False)
        self.report.reach_outs_opened += int((via if uncounted is None else via & ~uncounted).sum())
        opened = pc.fill_null(table.column("opened"), False).to_numpy(zero_copy_only=False) | via
        table = table.set_column(table.schema.get_field_index("opened"), "opened", pa.array(opened, pa.bool_()))
        if report.opens_source is None or "messages export" not in report.opens_source:
            report.opens_source = "messages export" if report.opens_source is None else \
                report.opens_source + " + messages export"
        return table

    def finish(self, reach_out_ids: Any, report: LoadReport) -> None:
        """Count the messages of reach outs not among ``reach_out_ids`` and put the report in place."""
        known = pc.is_in(self.ids, value_set=reach_out_ids).to_numpy(zero_copy_only=False)
        self.report.unmatched_messages = int(self.messages[~known].sum())
        report.messages = self.report


#: messages whose ids are hashed at once when copies of a message are looked for (bounds the memory it needs)
_MESSAGES_PER_PART = 4_000_000


def read_opens(files: Sequence[Path], rejects: list, sheet: str | int | None = None,
               limits: Limits = DEFAULT) -> Opens:
    """Read messages exports (streamed; only their id and open columns) into :class:`Opens`."""

    total = MessagesReport()
    parts = []
    for path in files:
        for raw in iter_raw(path, sheet, plan=_message_plan, limits=limits):
            msgs, bad, rep = load_messages(raw)
            parts.append(msgs)
            if len(bad):
                rejects.append(bad)
            for k in ("rows_read", "rows_loaded", "rows_rejected"):
                setattr(total, k, getattr(total, k) + getattr(rep, k))
    if len({tuple(p.column_names) for p in parts}) > 1:  # some files name their messages, some do not
        parts = [p.select(["reach_out_id", "opened"]) for p in parts]
    msgs = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    del parts
    ids, codes = _codes(msgs.column("reach_out_id"))
    was_opened = msgs.column("opened").to_numpy(zero_copy_only=False)
    first = np.ones(msgs.num_rows, dtype=bool)
    if "message_id" in msgs.column_names:
        # the same message exported twice is one message (opened if any copy says so); only message ids seen
        # more than once can be copies, so only their (message, reach out) pairs are compared
        message_ids = msgs.column("message_id")
        del msgs
        # copies share their reach out: hashed part by part (reach outs split into parts of ~4M messages), since
        # a hash table of every message id at once needs ~100 bytes per message
        parts_n = max(1, -(-len(codes) // _MESSAGES_PER_PART))
        part_of = np.where(codes >= 0, codes % parts_n, 0)
        for k in range(parts_n):
            rows = np.nonzero(part_of == k)[0] if parts_n > 1 else np.arange(len(codes))
            _, m_codes = _codes(message_ids.take(pa.array(rows)) if parts_n > 1 else message_ids)
            repeated = np.bincount(m_codes + 1)[m_codes + 1] > 1
            if repeated.any():
                r = rows[repeated]
                pairs = m_codes[repeated] * (len(ids) + 1) + codes[r]
                first[r] = ~pd.Series(pairs).duplicated().to_numpy()
        total.duplicates_collapsed = int(len(first) - first.sum())
        total.rows_loaded -= total.duplicates_collapsed
    valid = codes >= 0
    per_id = np.bincount(codes[valid & first], minlength=len(ids))
    opened = np.unique(codes[was_opened & valid])
    return Opens(ids.take(pa.array(opened, pa.int64())), ids, per_id, total)
