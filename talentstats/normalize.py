"""Raw tables -> the canonical Reach Out table, with a LoadReport accounting for every input row.

Every row read is loaded, rejected with a reason (file, line, column), or counted as a duplicate.
Value parsing works on distinct values (states, response types, flags) or vectorised pandas/pyarrow
calls (timestamps): no Python loop over rows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from .columns import ALIASES, CANONICAL, MESSAGE_ALIASES, MESSAGE_REQUIRED, REQUIRED, header_key
from .errors import InputError, MissingColumnError, UsageError
from .periods import zone
from .read import RawTable, read_raw
from .states import STATE_ALIASES, STATES
from .states import _key as state_key

# --------------------------------------------------------------------------------------------- report


@dataclass
class MessagesReport:
    """What loading a per-message export did (its rows are messages, not reach outs)."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicates_collapsed: int = 0
    reach_outs_opened: int = 0
    unmatched_messages: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class LoadReport:
    """Accounting of a load: rows_read == rows_loaded + rows_rejected + duplicates_collapsed."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicates_collapsed: int = 0
    files: list[str] = field(default_factory=list)
    opens_source: str | None = None
    messages: MessagesReport | None = None
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))

    def as_dict(self) -> dict[str, Any]:
        """The counts as the CLI's JSON ``load`` object."""
        out: dict[str, Any] = {
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "duplicates_collapsed": self.duplicates_collapsed,
        }
        if self.messages is not None:
            out["messages"] = self.messages.as_dict()
        return out

    def reject_summary(self) -> dict[str, int]:
        """Number of rejects per reason kind (the reason without the offending value)."""
        if self.rejects.empty:
            return {}
        kinds = self.rejects["column"].fillna("") + ": " + self.rejects["reason"].str.replace(
            r" '.*'$", "", regex=True)
        return kinds.value_counts().to_dict()


REJECT_COLUMNS = ["file", "line", "column", "reason"]


class Loaded(NamedTuple):
    """The canonical table and the report of how it was loaded."""

    table: pd.DataFrame
    report: LoadReport


# --------------------------------------------------------------------------------------------- headers


def match_headers(headers: Sequence[str], aliases: Mapping[str, Sequence[str]],
                  mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """Canonical column -> export header, by explicit mapping first, then by alias (earliest alias wins)."""
    result: dict[str, str] = {}
    keyed = {header_key(h): h for h in reversed(headers)}  # first occurrence wins
    for header, column in (mapping or {}).items():
        found = keyed.get(header_key(header))
        if found is not None:
            result[column] = found
    taken = set(result.values())
    for column, names in aliases.items():
        if column in result:
            continue
        for name in (column, *names):
            found = keyed.get(header_key(name))
            if found is not None and found not in taken:
                result[column] = found
                taken.add(found)
                break
    return result


def _require(found: Mapping[str, str], required: Sequence[str], headers: Sequence[str], file: str,
             aliases: Mapping[str, Sequence[str]]) -> None:
    for column in required:
        if column in found:
            continue
        # the best-scoring header over every alias, among headers not already used by another column
        taken = set(found.values())
        candidates = {header_key(h): h for h in reversed(headers) if h not in taken}
        wanted = [header_key(a) for a in (column, *aliases.get(column, ()))]
        score, best = max(((difflib.SequenceMatcher(None, w, k).ratio(), k) for w in wanted for k in candidates),
                          key=lambda sk: sk[0], default=(0.0, ""))
        hint = f"; closest match: {candidates[best]!r} (map it with --map '{candidates[best]}={column}')" \
            if score >= 0.6 else ""
        shown = ", ".join(repr(h) for h in headers) or "none"
        raise MissingColumnError(f"missing required column {column!r} (headers found: {shown}){hint}",
                                 file=file)


def check_mapping(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Validate an explicit header mapping {export header: canonical column}."""
    known = set(ALIASES) | set(CANONICAL)
    out = {}
    for header, column in (mapping or {}).items():
        if column not in known:
            raise UsageError(f"--map {header}={column}: unknown column {column!r}; "
                             f"choose from {', '.join(sorted(known))}")
        out[str(header)] = column
    return out


def parse_map_options(items: Sequence[str] | None) -> dict[str, str]:
    """``["Thread Ref=reach_out_id", ...]`` -> mapping."""
    out = {}
    for item in items or ():
        header, sep, column = item.partition("=")
        if not sep or not header.strip() or not column.strip():
            raise UsageError(f"--map {item!r}: expected HEADER=column, e.g. --map 'Thread Ref=reach_out_id'")
        out[header.strip()] = column.strip()
    return check_mapping(out)


def read_map_file(path: str | Path) -> dict[str, str]:
    """A mapping from a TOML file (``[map]`` table, or top-level keys) or a JSON object."""
    import json
    import tomllib

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read mapping file: {err.strerror}", file=str(p))
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"invalid mapping file: {err}", file=str(p))
    data = data.get("map", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError('mapping file must hold header = "column" pairs', file=str(p))
    return check_mapping(data)


# --------------------------------------------------------------------------------------------- values

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "opened", "x", "✓", "✔"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "", "not opened", "unopened", "-"}
_INTERESTED = {"interested", "👍", ":+1:", "+1", "thumbsup", "thumbs up", "positive", "yes", ":thumbsup:",
               "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿"}
_NOT_INTERESTED = {"not interested", "notinterested", "👎", ":-1:", "-1", "thumbsdown", "thumbs down",
                   "negative", "no", ":thumbsdown:", "uninterested"}


def _by_distinct(values: pd.Series, fn: Any, dtype: Any = object) -> pd.Series:
    """Apply ``fn`` to each distinct value and broadcast back (fast on columns with few distinct values)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques] + [fn(None)], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=dtype)


def parse_state(value: Any) -> int | None:
    """A state code from 2, "2", "2.0", a label in any case ("Cancelled"), or "Responded (2)"; else None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    m = re.fullmatch(r"(.*?)\s*\(\s*(\d+)\s*\)", text)
    if m:
        # "Responded (2)": the label, when there is one, must name the same state as the code
        if m.group(1) and STATE_ALIASES.get(state_key(m.group(1))) != int(m.group(2)):
            return None
        text = m.group(2)
    try:
        number = float(text)
    except ValueError:
        return STATE_ALIASES.get(state_key(text))
    if number.is_integer() and int(number) in STATES:
        return int(number)
    return None


def parse_response_type(value: Any) -> str | None:
    """"Interested" / "Not Interested" from words or emoji; other text kept as is (stripped); blank -> None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    low = re.sub(r"\s+", " ", text.lower().replace("_", " ").replace("-", " ").strip())
    raw = text.lower()
    if raw in _INTERESTED or low in _INTERESTED or low.replace(" ", "") in _INTERESTED:
        return "Interested"
    if raw in _NOT_INTERESTED or low in _NOT_INTERESTED or low.replace(" ", "") in _NOT_INTERESTED:
        return "Not Interested"
    return text


def parse_flag(value: Any) -> bool | None:
    """True/False from true/false/yes/no/1/0 (blank = False); None when unreadable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


#: a 4-digit year, or a d/m/yy style date: what the free-form fallback needs to see before reading a value
_HAS_YEAR = r"(?<!\d)\d{4}(?!\d)|(?<!\d)\d{1,2}[./-]\d{1,2}[./-]\d{2}(?!\d)"
_ZONE_END = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?|UTC|GMT|utc|gmt)$"


def _has_offset(s: pd.Series) -> pd.Series:
    """Values ending in a zone after a time of day: "...T10:00Z", "10:00:00.5+02:00", "10:00 -0500",
    "T10+02", "T100000Z", "5pm UTC" - but not the "-16" ending the date "2026-11-16".

    Cheap literal checks first (this runs on every timestamp of a large export).
    """
    zoned = s.str.contains(_ZONE_END, regex=True, na=False)
    timed = s.str.contains(":", regex=False, na=False) | s.str.contains(r"\dT\d", regex=True, na=False)
    rest = zoned & ~timed
    if rest.any():
        timed |= s.where(rest).str.contains(r"\d\s*[aApP]\.?[mM]", regex=True, na=False)
    return zoned & timed


def parse_timestamps(values: pd.Series | pa.ChunkedArray, source_tz: str = "UTC",
                     dayfirst: bool = False) -> pd.Series:
    """UTC timestamps (microseconds) from strings or typed columns; NaT where blank or unreadable.

    Values with a UTC offset keep it; naive values are read in ``source_tz``.
    """
    if isinstance(values, pa.ChunkedArray):
        typ = values.type
        if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            s = values.to_pandas()
            s = pd.to_datetime(s)
            if s.dt.tz is None:
                s = s.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="shift_forward")
            return s.dt.tz_convert("UTC").dt.as_unit("us")
        if pa.types.is_integer(typ) or pa.types.is_floating(typ):
            values = values.cast(pa.string())
        fast = _arrow_iso(values, source_tz)
        if fast is not None:
            return fast
        values = values.to_pandas()
    s = values.astype("str") if values.dtype != "str" else values
    s = s.str.strip()
    blank = s.isna() | (s == "")
    if source_tz == "UTC":
        out = pd.to_datetime(s.where(~blank), format="ISO8601", utc=True, errors="coerce")
    else:
        has_offset = _has_offset(s)
        out = pd.to_datetime(s.where(~blank & has_offset), format="ISO8601", utc=True, errors="coerce")
        try:
            naive = pd.to_datetime(s.where(~blank & ~has_offset), format="ISO8601", errors="coerce")
        except ValueError:  # offsets the pattern missed, mixed with plain times: not guessed (left to the retry)
            naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
        if naive.dt.tz is None:  # (else every value carried an offset the pattern missed: keep the instants)
            naive = naive.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="shift_forward")
        out = out.where(has_offset, naive.dt.tz_convert("UTC"))
    # free-form fallback (dateutil) only for text that names a year: it would take a missing year as 1 AD
    # ("16 Nov") and a missing date as today ("10:30") - guesses, not dates
    retry = out.isna() & ~blank
    if retry.any():
        retry &= s.where(retry).str.contains(_HAS_YEAR, regex=True, na=False)
    if retry.any():
        again = _parse_free(s[retry], source_tz, dayfirst)
        out = out.astype("datetime64[us, UTC]")
        out.loc[retry] = again.astype("datetime64[us, UTC]")
    return out.astype("datetime64[us, UTC]")


def _arrow_iso(values: pa.ChunkedArray, source_tz: str) -> pd.Series | None:
    """Fast path (Arrow's C++ ISO-8601 parser): every value blank or ISO with an offset, or - in a UTC
    ``source_tz`` - every value naive ISO. Anything else returns None and takes the general path."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    import pyarrow.compute as pc

    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us") if source_tz == "UTC" else None):
        if target is None:
            continue
        try:
            parsed = values.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if target.tz is None:
            parsed = parsed.cast(pa.timestamp("us", tz="UTC"))
        return parsed.to_pandas().astype("datetime64[us, UTC]")
    return None


def _parse_free(text: pd.Series, source_tz: str, dayfirst: bool) -> pd.Series:
    """Non-ISO dates (dateutil): values ending in a zone keep it, the others are read in ``source_tz``."""
    zoned = _has_offset(text)
    out = pd.to_datetime(text.where(zoned), format="mixed", dayfirst=dayfirst, utc=True, errors="coerce")
    try:
        naive = pd.to_datetime(text.where(~zoned), format="mixed", dayfirst=dayfirst, errors="coerce")
    except ValueError:  # zones the pattern does not know mixed with plain times: rejected, not guessed
        return out.where(zoned)
    if naive.dt.tz is None:
        naive = naive.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="shift_forward")
    return out.where(zoned, naive.dt.tz_convert("UTC"))


def _strings(col: pa.ChunkedArray) -> pd.Series:
    """A raw column as pandas strings (typed Parquet/JSON values cast to text)."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        if pa.types.is_null(col.type):
            col = pa.chunked_array([pa.nulls(len(col), pa.string())])
        else:
            col = col.cast(pa.string())
    return col.to_pandas().astype("str")


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.str.strip() == "")


def _date_reasons(stamps: pd.Series, text: pd.Series, source_tz: str) -> pd.Series:
    """Why a non-blank date was not read: unparseable, or a local time that occurs twice in ``source_tz``."""
    reasons = "unparseable date '" + text.fillna("") + "'"
    bad = stamps.isna() & ~_blank(text)
    if source_tz != "UTC" and bad.any():
        # a clock time that exists twice in source_tz (the hour repeated when the clocks go back)
        wall = pd.to_datetime(text[bad].str.strip(), format="mixed", utc=True, errors="coerce").dt.tz_localize(None)
        local = wall.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="shift_forward")
        twice = wall.index[(wall.notna() & local.isna()).to_numpy()]
        reasons[twice] = f"ambiguous local time in {source_tz} (clocks went back) '" + text[twice] + "'"
    return reasons


# --------------------------------------------------------------------------------------------- reach outs


def normalize_reach_outs(raw: RawTable, mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                         dayfirst: bool = False, order_offset: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One raw export -> (canonical rows with ``_order``, rejected rows with file/line/column/reason)."""
    table = raw.table
    headers = table.column_names
    found = match_headers(headers, ALIASES, mapping)
    _require(found, REQUIRED, headers, raw.path, ALIASES)
    n = table.num_rows
    line = np.arange(n, dtype=np.int64) + raw.first_line
    problems: list[tuple[pd.Series, str, pd.Series]] = []  # (mask, column header, reason)

    def text(column: str) -> pd.Series:
        if column not in found:
            return pd.Series(pd.array([None] * n, dtype="str"))
        return _strings(table.column(found[column]))

    ids = text("reach_out_id").str.strip()
    problems.append((_blank(ids), found["reach_out_id"], pd.Series("missing reach out id", index=ids.index)))

    raw_state = table.column(found["state"])
    state_text = _strings(raw_state)
    state = _by_distinct(state_text, parse_state)
    bad_state = state.isna()
    problems.append((bad_state, found["state"],
                     np.where(_blank(state_text), "missing state", "unknown state '" + state_text.fillna("") + "'")))

    created_raw = table.column(found["created_at"])
    created = parse_timestamps(created_raw, source_tz, dayfirst)
    created_text = _strings(created_raw)
    problems.append((created.isna(), found["created_at"],
                     np.where(_blank(created_text), "missing created date",
                              _date_reasons(created, created_text, source_tz))))

    if "updated_at" in found:
        updated_raw = table.column(found["updated_at"])
        updated = parse_timestamps(updated_raw, source_tz, dayfirst)
        updated_text = _strings(updated_raw)
        problems.append((updated.isna() & ~_blank(updated_text), found["updated_at"],
                         _date_reasons(updated, updated_text, source_tz)))
    else:
        updated = pd.Series(pd.NaT, index=ids.index, dtype="datetime64[us, UTC]")

    opened, open_problems = _opened(table, found, n)
    problems += open_problems

    via = text("response_via").str.strip()
    via = via.where(~_blank(via))
    rtype = _by_distinct(text("response_type"), parse_response_type, dtype="str")

    frame = pd.DataFrame({
        "reach_out_id": ids,
        "campaign": text("campaign").str.strip().fillna(""),
        "sender": text("sender").str.strip().fillna(""),
        "state": state,
        "created_at": created,
        "updated_at": updated,
        "response_via": via,
        "response_type": rtype,
        "opened": opened,
        "prospect_name": text("prospect_name"),
        "prospect_email": text("prospect_email"),
        "_order": np.arange(n, dtype=np.int64) + order_offset,
    })

    rejected = np.zeros(n, dtype=bool)
    parts = []
    for mask, column, reason in problems:
        m = np.asarray(mask, dtype=bool) & ~rejected  # the first problem of a row is its reason
        if m.any():
            reasons = pd.Series(reason, index=ids.index)[m] if not isinstance(reason, str) else reason
            parts.append(pd.DataFrame({"file": raw.path, "line": line[m], "column": column,
                                       "reason": np.asarray(reasons, dtype=object) if not isinstance(
                                           reasons, str) else reasons, "_row": np.nonzero(m)[0]}))
            rejected |= m
    rejects = _reject_frame(parts, table, raw)
    good = frame.loc[~rejected].copy()
    good["state"] = good["state"].astype("int8")
    return good, rejects


def _reject_frame(parts: list[pd.DataFrame], table: pa.Table, raw: RawTable) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=REJECT_COLUMNS)
    rej = pd.concat(parts, ignore_index=True).sort_values("_row", kind="stable")
    rows = table.take(pa.array(rej["_row"].to_numpy())).to_pandas().astype(str)
    rows.index = rej.index
    rej = pd.concat([rej.drop(columns="_row"), rows.add_prefix("raw:")], axis=1)
    return rej.reset_index(drop=True)


def _opened(table: pa.Table, found: Mapping[str, str], n: int) -> tuple[pd.Series, list]:
    """Canonical ``opened`` from an opened flag, an open count or an opened timestamp (ORed); <NA> if none."""
    problems = []
    result: pd.Series | None = None
    if "opened" in found:
        s = _strings(table.column(found["opened"]))
        flag = _by_distinct(s, parse_flag)
        problems.append((flag.isna(), found["opened"], "unreadable opened flag '" + s.fillna("") + "'"))
        result = flag.fillna(False).astype(bool)
    if "open_count" in found:
        s = _strings(table.column(found["open_count"])).str.strip()
        count = pd.to_numeric(s.where(s != ""), errors="coerce")
        problems.append((count.isna() & ~_blank(s), found["open_count"], "unreadable open count '" + s + "'"))
        c = count.fillna(0) > 0
        result = c if result is None else (result | c)
    if "opened_at" in found:
        col = table.column(found["opened_at"])
        s = _strings(col)
        c = parse_timestamps(col).notna()
        # placeholders such as "-", "no" or "never" mean not opened; other text is not guessed to be an open
        unopened = _blank(s) | s.str.strip().str.lower().isin(_FALSE | {"never", "n/a", "none"})
        problems.append((~c & ~unopened, found["opened_at"], "unparseable date '" + s.fillna("") + "'"))
        result = c if result is None else (result | c)
    if result is None:
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean")), problems
    return result.astype("boolean"), problems


def collapse_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per reach_out_id: the latest updated_at wins (unknown counts as oldest), else the last row.

    Only the rows whose id occurs more than once are sorted; the rest pass through in export order.
    """
    dup = frame["reach_out_id"].duplicated(keep=False).to_numpy()
    if not dup.any():
        return frame, 0
    ordered = frame.loc[dup].sort_values(["updated_at", "_order"], na_position="first", kind="stable")
    winners = ordered.drop_duplicates("reach_out_id", keep="last")
    keep = ~dup
    keep[frame.index.get_indexer(winners.index)] = True
    kept = frame.loc[keep]
    return kept, len(frame) - len(kept)


# --------------------------------------------------------------------------------------------- messages


def load_messages(raw: RawTable) -> tuple[pd.DataFrame, pd.DataFrame, MessagesReport]:
    """A per-message export -> (reach_out_id, opened) per message, its rejects and its report."""
    table = raw.table
    found = match_headers(table.column_names, MESSAGE_ALIASES)
    _require(found, MESSAGE_REQUIRED, table.column_names, raw.path, MESSAGE_ALIASES)
    if "opened_at" not in found and "opened" not in found:
        shown = ", ".join(repr(h) for h in table.column_names)
        raise MissingColumnError(f"messages export has no open information: need 'Opened At' or 'Opened' "
                                 f"(headers found: {shown})", file=raw.path)
    n = table.num_rows
    ids = _strings(table.column(found["reach_out_id"])).str.strip()
    opened = pd.Series(False, index=ids.index)
    bad = _blank(ids)
    reasons = pd.Series("missing reach out id", index=ids.index, dtype=object)
    column = pd.Series(found["reach_out_id"], index=ids.index, dtype=object)
    if "opened_at" in found:
        col = table.column(found["opened_at"])
        text = _strings(col)
        stamp = parse_timestamps(col)
        unreadable = stamp.isna() & ~_blank(text) & ~bad
        reasons[unreadable] = "unparseable date '" + text[unreadable] + "'"
        column[unreadable] = found["opened_at"]
        bad |= unreadable
        opened |= stamp.notna()
    if "opened" in found:
        text = _strings(table.column(found["opened"]))
        flag = _by_distinct(text, parse_flag)
        unreadable = flag.isna() & ~bad
        reasons[unreadable] = "unreadable opened flag '" + text[unreadable] + "'"
        column[unreadable] = found["opened"]
        bad |= unreadable
        opened |= flag.fillna(False).astype(bool)
    line = np.arange(n) + raw.first_line
    rejects = pd.DataFrame({"file": raw.path, "line": line[bad.to_numpy()], "column": column[bad].to_numpy(),
                            "reason": reasons[bad].to_numpy()})
    msgs = pd.DataFrame({"reach_out_id": ids, "opened": opened})
    if "message_id" in found:
        msgs["message_id"] = _strings(table.column(found["message_id"])).str.strip()
    msgs = msgs.loc[~bad.to_numpy()]
    dups = 0
    if "message_id" in found:
        before = len(msgs)
        # the same message exported twice: opened if any copy says so
        msgs = msgs.groupby(["message_id", "reach_out_id"], sort=False, as_index=False)["opened"].max()
        dups = before - len(msgs)
    report = MessagesReport(rows_read=n, rows_loaded=len(msgs), rows_rejected=int(bad.sum()),
                            duplicates_collapsed=dups)
    return msgs, rejects, report


# --------------------------------------------------------------------------------------------- the loader


def read_reach_outs(paths: str | Path | Sequence[str | Path], messages: str | Path | Sequence | None = None,
                    mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                    sheet: str | int | None = None, strict: bool = False, dayfirst: bool = False) -> Loaded:
    """Load Reach Out exports (files or folders, any supported format) into the canonical table.

    ``messages`` are per-message exports giving opens. Files in a folder whose headers look like a messages
    export (no state column, a message id or opened-at column) are treated as messages automatically.
    ``mapping`` maps export headers no alias knows to canonical columns. With ``strict`` any rejected row
    is an error. Returns ``Loaded(table, report)``.
    """
    from .read import expand_paths

    zone(source_tz)
    mapping = check_mapping(mapping)
    if isinstance(paths, str | Path):
        paths = [paths]
    files = expand_paths(paths)
    message_files = expand_paths([messages] if isinstance(messages, str | Path) else messages) \
        if messages else []
    report = LoadReport()
    frames, rejects = [], []
    offset = 0
    for path in files:
        raw = read_raw(path, sheet)
        if path not in message_files and _looks_like_messages(raw.table.column_names, mapping):
            message_files.append(path)
            continue
        report.files.append(str(path))
        good, bad = normalize_reach_outs(raw, mapping, source_tz, dayfirst, offset)
        offset += raw.table.num_rows
        report.rows_read += raw.table.num_rows
        frames.append(good)
        if len(bad):
            rejects.append(bad)
    if not report.files:
        raise InputError("no reach-out export among the inputs (only messages exports)",
                         file=str(files[0]) if files else None)
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if "opened" in table and table["opened"].notna().any():
        report.opens_source = "reach-out export"
    table, report.duplicates_collapsed = collapse_duplicates(table)
    if message_files:
        table = _apply_messages(table, message_files, report, rejects, sheet)
    report.rejects = (pd.concat(rejects, ignore_index=True) if rejects
                      else pd.DataFrame(columns=REJECT_COLUMNS))
    report.rows_rejected = int(report.rejects["file"].isin(report.files).sum())
    report.rows_loaded = len(table)
    table = table.drop(columns="_order").reset_index(drop=True)
    table = table[list(CANONICAL)]
    if strict:
        raise_if_rejected(report)
    return Loaded(table, report)


def raise_if_rejected(report: LoadReport) -> None:
    """``--strict``: any rejected row is an error naming the first one."""
    if len(report.rejects):
        first = report.rejects.iloc[0]
        raise InputError(f"{first['reason']} ({len(report.rejects)} row(s) rejected; --strict)",
                         file=first["file"], line=int(first["line"]), column=first["column"])


def _looks_like_messages(headers: Sequence[str], mapping: Mapping[str, str]) -> bool:
    found = match_headers(headers, ALIASES, mapping)
    msg = match_headers(headers, MESSAGE_ALIASES)
    return "state" not in found and ("message_id" in msg or "opened_at" in msg) and "reach_out_id" in msg


def _isin(values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """``values.isin(wanted)`` for text columns, in pyarrow (pandas loops in Python over ``wanted`` there)."""
    import pyarrow.compute as pc

    left = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    right = pa.array(wanted.astype("str"), type=pa.large_string(), from_pandas=True).unique()
    return pc.is_in(left, value_set=right, skip_nulls=True).fill_null(False).to_numpy(zero_copy_only=False)


def _apply_messages(table: pd.DataFrame, files: Sequence[Path], report: LoadReport, rejects: list,
                    sheet: str | int | None) -> pd.DataFrame:
    total = MessagesReport()
    parts = []
    for path in files:
        msgs, bad, rep = load_messages(read_raw(path, sheet))
        parts.append(msgs)
        if len(bad):
            rejects.append(bad)
        for k in ("rows_read", "rows_loaded", "rows_rejected", "duplicates_collapsed"):
            setattr(total, k, getattr(total, k) + getattr(rep, k))
    msgs = pd.concat(parts, ignore_index=True)
    opened_ids = msgs.loc[msgs["opened"], "reach_out_id"]
    total.unmatched_messages = int((~_isin(msgs["reach_out_id"], table["reach_out_id"])).sum())
    via_messages = pd.Series(_isin(table["reach_out_id"], opened_ids), index=table.index)
    total.reach_outs_opened = int(via_messages.sum())
    table = table.copy()
    table["opened"] = (table["opened"].fillna(False) | via_messages).astype("boolean")
    report.messages = total
    report.opens_source = "messages export" if report.opens_source is None else \
        report.opens_source + " + messages export"
    return table
