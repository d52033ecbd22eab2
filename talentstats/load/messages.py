"""Per-message exports: opens by reach out (streamed, only the id and open columns read)."""

from __future__ import annotations

import re
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


def _instants(col: pa.ChunkedArray, header: str, bad: np.ndarray, parts: list) -> tuple[pa.Array, np.ndarray]:
    """A date column's instants, and its rows (not already ``bad``) whose text is not a date: blank is no time,
    anything else a reject, appended to ``parts`` as (rows, header, reasons)."""
    stamps = _stamps(col)
    unreadable = _nulls(stamps) & ~bad
    if unreadable.any():
        rows = np.nonzero(unreadable)[0]
        unreadable[rows[_is_blank(_text(col).take(pa.array(rows)))]] = False
        rows = np.nonzero(unreadable)[0]
        parts.append((rows, header, ("unparseable date '" + _row_texts(col, rows) + "'").to_numpy(dtype=object)))
    return stamps, unreadable


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
    opened_at = pa.nulls(n, _TS)
    if "opened_at" in found:
        opened_at, unreadable = _instants(table.column(found["opened_at"]), found["opened_at"], bad, parts)
        bad |= unreadable
        opened |= ~_nulls(opened_at)
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
    sent_at = pa.nulls(n, _TS)
    if "sent_at" in found:  # blank: not sent yet; text that is not a date: rejected
        sent_at, unreadable = _instants(table.column(found["sent_at"]), found["sent_at"], bad, parts)
        bad |= unreadable
    step = pa.nulls(n, pa.int16())
    if "step" in found:  # 1, 2, 3 ... (a "Step 2" label too); blank: unknown
        col = table.column(found["step"])
        values, codes = _distinct(col)
        number = _lut(values, codes, _step_number, np.int32)
        unreadable = (number < 0) & ~bad
        if unreadable.any():
            rows = np.nonzero(unreadable)[0]
            parts.append((rows, found["step"],
                          ("unreadable step '" + _row_texts(col, rows) + "'").to_numpy(dtype=object)))
        bad |= unreadable
        step = pa.array(number, pa.int16(), mask=number <= 0)
    parts = [p for p in parts if len(p[0])]
    if parts:  # (line numbers only for rows actually rejected: they may cost a parse of the file)
        rows = np.concatenate([p[0] for p in parts])
        rejects = pd.DataFrame({"file": raw.path, "line": raw.lines(rows),
                                "column": np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts]),
                                "reason": np.concatenate([p[2] for p in parts]), "_row": rows})
        rejects = rejects.sort_values("_row", kind="stable").drop(columns="_row").reset_index(drop=True)
    else:
        rejects = pd.DataFrame(columns=REJECT_COLUMNS)
    columns = {"reach_out_id": _str(ids), "opened": pa.array(opened), "step": step, "sent_at": sent_at,
               "opened_at": opened_at}
    if "message_id" in found:
        columns["message_id"] = pc.fill_null(_str(_stripped(table.column(found["message_id"]), False)), "")
    msgs = pa.table(columns)
    if bad.any():
        msgs = msgs.filter(pa.array(~bad))
    report = MessagesReport(rows_read=n, rows_loaded=msgs.num_rows, rows_rejected=int(bad.sum()))
    return msgs, rejects, report


_TS = pa.timestamp("us", tz="UTC")
_STEP = re.compile(r"^\s*(?:step\s*#?\s*)?(\d{1,4})(?:\.0+)?\s*$", re.IGNORECASE)


def _step_number(value: str | None) -> int:
    """A step's number (1, "2", "Step 3", "4.0"); 0 for blank (unknown), -1 for text that is no step."""
    if value is None or not str(value).strip():
        return 0
    found = _STEP.match(str(value))
    return int(found.group(1)) if found and int(found.group(1)) > 0 else -1


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
    few = frozenset(found[c] for c in ("opened", "step") if c in found)
    return ColumnPlan(frozenset(found.values()) if complete else None, few)


def _looks_like_messages(headers: Sequence[str], mapping: Mapping[str, str]) -> bool:
    found = match_headers(headers, ALIASES, mapping)
    msg = match_headers(headers, MESSAGE_ALIASES)
    return "state" not in found and ("message_id" in msg or "opened_at" in msg) and "reach_out_id" in msg


@dataclass
class Opens:
    """What messages exports say, by reach out id (reduced once, applied to any table): which reach outs were
    opened, their first send and first open, and the messages themselves (the activity view and the steps)."""

    ids: pa.Array  # every reach out id the messages name (distinct)
    messages: np.ndarray  # number of distinct messages per id in ``ids``
    report: MessagesReport
    first_sent: pa.Array | None = None  # earliest sent_at per id in ``ids`` (null: none sent)
    first_opened: pa.Array | None = None  # earliest opened_at per id in ``ids`` (null: no open time)
    events: pa.Table | None = None  # one row per distinct message: reach_out_id, step, sent_at, opened_at
    event_codes: np.ndarray | None = None  # each message's reach out as a position in ``ids``
    opened_codes: np.ndarray | None = None  # positions in ``ids`` of the reach outs with an opened message
    _at: Any = None  # (the last table's ids as positions in ``ids``: see :meth:`positions`)

    def apply(self, table: pa.Table, report: LoadReport, uncounted: np.ndarray | None = None) -> pa.Table:
        """``table`` with ``opened`` true where a message was opened (known, i.e. not null, everywhere) and the
        first send and open times of its messages (the earlier of them and the table's own); ``uncounted`` rows
        (copies of reach outs counted before) are left out of the report's counts. An open time before the
        reach out was created contradicts it: the time is dropped (the open stays) and counted."""
        at = self.positions(table)  # (the one hash of the table's ids: every lookup below is an array take)
        found = ~_nulls(at)
        position = pc.fill_null(at, 0).to_numpy(zero_copy_only=False)
        opened_by_id = np.zeros(max(len(self.ids), 1), dtype=bool)
        opened_by_id[self.opened_codes] = True
        via = opened_by_id[position] & found
        counted = np.ones(len(via), dtype=bool) if uncounted is None else ~uncounted
        self.report.reach_outs_opened += int((via & counted).sum())
        opened = pc.fill_null(table.column("opened"), False).to_numpy(zero_copy_only=False) | via
        table = _set(table, "opened", pa.array(opened, pa.bool_()))
        if self.first_sent is not None and self.first_opened is not None:
            sent = _earlier(table.column("first_sent_at"), self.first_sent.take(at))
            first = _earlier(table.column("first_opened_at"), self.first_opened.take(at))
            early = pc.fill_null(pc.less(first, table.column("created_at")), False)
            self.report.open_times_before_creation += int(pc.sum(pc.and_(early, pa.array(counted))).as_py() or 0)
            table = _set(_set(table, "first_sent_at", sent), "first_opened_at", pc.if_else(early, None, first))
        if report.opens_source is None or "messages export" not in report.opens_source:
            report.opens_source = "messages export" if report.opens_source is None else \
                report.opens_source + " + messages export"
        return table

    def positions(self, table: pa.Table) -> pa.Array:
        """Each row's reach out as a position in ``ids`` (null: no message names it); hashed once per table."""
        ids = table.column("reach_out_id")
        key = tuple((c.buffers()[-1].address if c.buffers()[-1] is not None else 0, len(c)) for c in ids.chunks)
        if self._at is None or self._at[0] != key:
            self._at = (key, pc.index_in(table.column("reach_out_id"), value_set=self.ids))
        return self._at[1]

    def finish(self, reach_out_ids: Any, report: LoadReport, table: pa.Table | None = None) -> None:
        """Count the messages of reach outs not among ``reach_out_ids``, keep the messages of the others (the
        message table) and put the report in place (``table``: the final reach-out table, whose ids are hashed
        already)."""
        if table is not None:
            known = np.zeros(len(self.ids), dtype=bool)
            known[pc.drop_null(self.positions(table)).to_numpy()] = True
        else:
            known = pc.is_in(self.ids, value_set=reach_out_ids).to_numpy(zero_copy_only=False)
        self.report.unmatched_messages = int(self.messages[~known].sum())
        if self.events is not None and self.event_codes is not None:  # (codes: no text id hashed again)
            keep = known[self.event_codes]
            if not keep.all():
                self.events, self.event_codes = self.events.filter(pa.array(keep)), self.event_codes[keep]
        report.messages = self.report

    def locate(self, table: pa.Table) -> pa.Table | None:
        """The message table (after :meth:`finish`) with ``ro``, the row of its reach out in ``table`` (the final
        reach-out table), and that reach out's campaign and sender: a message's reach out is then an array
        lookup, never a join on text ids (the activity view by campaign, the steps)."""
        if self.events is None or self.event_codes is None:
            return self.events
        at = self.positions(table)
        row_of_id = np.full(len(self.ids), -1, dtype=np.int64)
        row_of_id[pc.drop_null(at).to_numpy()] = np.nonzero(~_nulls(at))[0]
        ro = row_of_id[self.event_codes]
        events = self.events.append_column("ro", pa.array(ro, pa.int64()))
        take = pa.array(ro)
        return events.append_column("campaign", table.column("campaign").take(take)).append_column(
            "sender", table.column("sender").take(take))


def _earlier(a: Any, b: Any) -> Any:
    """The earlier of two instants (a known one over an unknown one)."""
    return pc.min_element_wise(a.cast(pa.int64()), b.cast(pa.int64()), skip_nulls=True).cast(_TS)


def _set(table: pa.Table, name: str, values: Any) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


#: messages whose ids are hashed at once when copies of a message are looked for (bounds the memory it needs)
_MESSAGES_PER_PART = 4_000_000

_EVENT_COLUMNS = ("reach_out_id", "opened", "step", "sent_at", "opened_at")


def read_opens(files: Sequence[Path], rejects: list, sheet: str | int | None = None,
               limits: Limits = DEFAULT) -> Opens:
    """Read messages exports (streamed; only their id, open, step and send columns) into :class:`Opens`."""

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
        parts = [p.select(list(_EVENT_COLUMNS)) for p in parts]
    msgs = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    del parts
    ids, codes = _codes(msgs.column("reach_out_id"))
    was_opened = msgs.column("opened").to_numpy(zero_copy_only=False)
    first = np.ones(msgs.num_rows, dtype=bool)
    times = msgs.select(["step", "sent_at", "opened_at"])
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
                pairs = pd.Series(m_codes[repeated] * (len(ids) + 1) + codes[r])
                first[r] = ~pairs.duplicated().to_numpy()
                times = _earliest_of_copies(times, r, pairs)
        total.duplicates_collapsed = int(len(first) - first.sum())
        total.rows_loaded -= total.duplicates_collapsed
    valid = codes >= 0
    per_id = np.bincount(codes[valid & first], minlength=len(ids))
    opened = np.flatnonzero(np.bincount(codes[was_opened & valid], minlength=len(ids)))  # (no sort, no hash)
    keep = valid & first
    events = times.filter(pa.array(keep)).add_column(0, "reach_out_id", ids.take(pa.array(codes[keep])))
    earliest = pa.table({"code": codes[keep], "sent": events.column("sent_at"), "open": events.column("opened_at")}
                        ).group_by("code").aggregate([("sent", "min"), ("open", "min")])
    at = earliest.column("code").to_numpy()
    first_sent, first_opened = (_scatter(earliest.column(c), at, len(ids)) for c in ("sent_min", "open_min"))
    return Opens(ids, per_id, total, first_sent, first_opened, events, codes[keep], opened)


def _earliest_of_copies(times: pa.Table, rows: np.ndarray, pairs: pd.Series) -> pa.Table:
    """Each copy of a message (``rows``, ascending; ``pairs`` names its message) given the earliest send and open
    times of its copies and a known step."""
    grouped = times.take(pa.array(rows)).to_pandas().groupby(pairs.to_numpy())
    mask = np.zeros(times.num_rows, dtype=bool)
    mask[rows] = True
    for name, how in (("sent_at", "min"), ("opened_at", "min"), ("step", "max")):
        column = times.column(name).combine_chunks()
        merged = pa.array(grouped[name].transform(how), column.type, from_pandas=True)
        times = _set(times, name, pc.replace_with_mask(column, pa.array(mask), merged))
    return times


def _scatter(values: pa.ChunkedArray, at: np.ndarray, n: int) -> pa.Array:
    """``values`` placed at positions ``at`` of an array of ``n`` nulls."""
    index = np.full(n, -1, dtype=np.int64)
    index[at] = np.arange(len(at))
    return values.combine_chunks().take(pa.array(index, mask=index < 0))
