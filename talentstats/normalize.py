"""Raw tables -> the canonical Reach Out table, with a LoadReport accounting for every input row.

Every row read is loaded, rejected with a reason (file, line, column), or counted as a duplicate.
Value parsing works on distinct values (states, response types, flags) or vectorised pyarrow compute
calls (ids, names, ISO timestamps; pandas only for dates Arrow cannot read): no Python loop over rows.
Everything stays in Arrow - few-valued text dictionary-encoded, reasons built only for rejected rows,
duplicates found by one hash pass over the ids - until one conversion to pandas at the end. Large files
arrive in chunks (:func:`talentstats.read.iter_raw`), so a file larger than memory is never held whole.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import ALIASES, CANONICAL, MESSAGE_ALIASES, MESSAGE_REQUIRED, PII, REQUIRED, header_key
from .errors import InputError, MissingColumnError, UsageError
from .periods import zone
from .read import RawTable
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

#: reach outs created before this are placeholders (Unix epoch, .NET MinValue) and are rejected
EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")


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


#: invisible characters that carry no meaning in a name: removed wherever they stand
_INVISIBLE = "\u200b\u2060\ufeff\u00ad"
#: characters stripped from both ends of a text value: every Unicode whitespace (NBSP, ideographic space, ...)
#: and the zero-width joiners (which inside a value may join an emoji, so are kept there)
_EDGE = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace()) + "\u200c\u200d" + _INVISIBLE
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


def clean_text(value: str | None) -> str | None:
    """The text rule for campaign, sender, response via and response type values: NFC-normalised, invisible
    characters (zero-width space, word joiner, BOM, soft hyphen) removed, surrounding Unicode whitespace and
    zero-width joiners stripped. ``"Sales\u00a0"``, ``" Sales"`` and ``"Sa\u200bles"`` all become ``"Sales"``.
    Blank means empty after this."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", value).strip(_EDGE))


def clean_text_arrow(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`clean_text` for an Arrow text array (vectorised; the same result value for value)."""
    values = pc.replace_substring_regex(_str(values), f"[{_INVISIBLE}]", "")
    return pc.utf8_normalize(pc.utf8_trim(values, _EDGE), "NFC")


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


def _response_class(text: str) -> str | None:
    """ "Interested" / "Not Interested" for a documented spelling of either, else None."""
    low = text.lower()
    squeezed = re.sub(r"\s+", " ", low.replace("_", " ").replace("-", " ")).strip()
    for words, label in ((_INTERESTED, "Interested"), (_NOT_INTERESTED, "Not Interested")):
        if low in words or squeezed in words or squeezed.replace(" ", "") in words:
            return label
    return None


def parse_response_type(value: Any) -> str | None:
    """"Interested" / "Not Interested" from the documented words or emoji, alone or as the CRM writes them
    ("Interested (👍)"); other text kept as cleaned by :func:`clean_text`; blank -> None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = clean_text(str(value))
    if not text:
        return None
    label = _response_class(text)
    if label is None:
        # "Interested (👍)": a label and an emoji in brackets that name the same class
        m = re.fullmatch(r"(.+?)\s*\(\s*(.+?)\s*\)", text)
        if m and (first := _response_class(m.group(1))) == _response_class(m.group(2)):
            label = first
    return label or text


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
                     dayfirst: bool = False, check_order: bool = False) -> pd.Series:
    """UTC timestamps (microseconds) from strings or typed columns; NaT where blank or unreadable.

    Values with a UTC offset keep it; naive values are read in ``source_tz``. Excel serial dates (a number
    of days such as ``46342.375``, from 2000 to 2099) are read as naive times. With ``check_order`` a slashed
    date readable only in the other day/month order raises :class:`DateOrderError`.
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
        again = _parse_free(s[retry], source_tz, dayfirst, check_order)
        out = out.astype("datetime64[us, UTC]")
        out.loc[retry] = again.astype("datetime64[us, UTC]")
    serial = out.isna() & ~blank
    if serial.any():
        serial &= s.where(serial).str.fullmatch(r"\d{5}(?:\.\d+)?", na=False)
    if serial.any():
        out = out.astype("datetime64[us, UTC]")
        out.loc[serial] = _excel_serial(s[serial], source_tz)
    return out.astype("datetime64[us, UTC]")


def _excel_serial(text: pd.Series, source_tz: str) -> pd.Series:
    """Excel serial dates (days since 1899-12-30, what a date cell shows once formatted as a number): naive,
    read in ``source_tz``; NaT outside 2000-2099, where a number is not taken for a date."""
    days = pd.to_numeric(text, errors="coerce")
    days = days.where((days >= 36526) & (days < 73051))
    wall = (pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")).dt.round("ms")
    local = wall.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


class DateOrderError(InputError):
    """A date such as 13/04/2026 that reads only in the other day/month order than the one asked for."""

    def __init__(self, value: str, label: Any, dayfirst: bool) -> None:
        self.value, self.label = value, label
        if dayfirst:
            message = f"date {value!r} is month/day/year, but --dayfirst reads dates day/month/year: drop --dayfirst"
        else:
            message = f"date {value!r} is day/month/year, but dates are read month/day/year: pass --dayfirst"
        super().__init__(message)


def _check_day_order(text: pd.Series, dayfirst: bool) -> None:
    parts = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](?:\d{4}|\d{2})(?!\d)")
    if parts[0].isna().all():
        return
    first, second = parts[0].astype("float64"), parts[1].astype("float64")
    wrong = (second > 12) & (first <= 12) if dayfirst else (first > 12) & (second <= 12)
    if wrong.any():
        label = wrong.index[wrong.to_numpy()][0]
        raise DateOrderError(str(text[label]), label, dayfirst)


def _arrow_iso(values: pa.ChunkedArray, source_tz: str) -> pd.Series | None:
    """Fast path (Arrow's C++ ISO-8601 parser): every value blank or ISO with an offset, or - in a UTC
    ``source_tz`` - every value naive ISO. Anything else returns None and takes the general path."""
    parsed = _iso_arrow(values, source_tz)
    return None if parsed is None else parsed.to_pandas().astype("datetime64[us, UTC]")


def _parse_free(text: pd.Series, source_tz: str, dayfirst: bool, check_order: bool = False) -> pd.Series:
    """Non-ISO dates (dateutil): values ending in a zone keep it, the others are read in ``source_tz``."""
    if check_order:  # dateutil would silently swap day and month where the asked order is impossible
        _check_day_order(text, dayfirst)
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


# --------------------------------------------------------------------------------------------- Arrow columns
#
# Normalising works on Arrow arrays: pyarrow compute kernels for whole columns, Python only once per distinct
# value (states, response types, flags), reasons only for the rows rejected, one conversion to pandas at the end.

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
    return pa.chunked_array(out, _DICT)


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


def _iso_arrow(values: pa.ChunkedArray, source_tz: str) -> pa.ChunkedArray | None:
    """Timestamps by Arrow's C++ ISO-8601 parser (see :func:`_arrow_iso`), as Arrow; None if not all ISO."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us") if source_tz == "UTC" else None):
        if target is None:
            continue
        try:
            parsed = values.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return parsed.cast(pa.timestamp("us", tz="UTC")) if target.tz is None else parsed
    return None


def _stamps(col: pa.ChunkedArray, source_tz: str = "UTC", dayfirst: bool = False,
            check_order: bool = False) -> pa.ChunkedArray:
    """:func:`parse_timestamps` as Arrow timestamp[us, UTC] (the ISO fast path never leaves Arrow)."""
    if pa.types.is_dictionary(col.type):
        col = _text(col)
    fast = _iso_arrow(col, source_tz)
    if fast is not None:
        return fast
    parsed = parse_timestamps(col, source_tz, dayfirst, check_order)
    return pa.chunked_array([pa.Array.from_pandas(parsed, type=pa.timestamp("us", tz="UTC"))])


def _stamp_reasons(col: pa.ChunkedArray, rows: np.ndarray, source_tz: str, missing: str | None = None) -> Any:
    """Reasons for the rows whose date was not read (all of ``rows``)."""
    text = _row_texts(col, rows)
    reasons = _date_reasons(pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]"), text, source_tz)
    if missing is not None:
        return np.where(_blank(text), missing, reasons.to_numpy(dtype=object))
    return reasons.to_numpy(dtype=object)


# --------------------------------------------------------------------------------------------- reach outs


def normalize_arrow(raw: RawTable, mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                    dayfirst: bool = False, order_offset: int = 0) -> tuple[pa.Table, pd.DataFrame]:
    """One raw export (or chunk of one) -> (canonical rows as Arrow with ``_order``, rejected rows with
    file/line/column/reason). Types: see :data:`ARROW_SCHEMA`."""
    table = raw.table
    headers = table.column_names
    found = match_headers(headers, ALIASES, mapping)
    _require(found, REQUIRED, headers, raw.path, ALIASES)
    n = table.num_rows
    problems: list[_Problem] = []

    def col(column: str) -> pa.ChunkedArray:
        return table.column(found[column])

    ids = _stripped(col("reach_out_id"), blank_to_null=False)
    no_id = _is_blank(ids)

    def id_reasons(rows: np.ndarray) -> np.ndarray:
        from .rawcheck import blank_rows

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
    # 1970-01-01, 0001-01-01, Excel's day 0: placeholders, not creation dates (the CRM postdates 2000)
    early = pc.fill_null(pc.less(created, pa.scalar(EARLIEST.to_pydatetime(), created.type)), False)
    problems.append((early.to_numpy(zero_copy_only=False), found["created_at"],
                     lambda rows: ("created before 2000 '" + _row_texts(col("created_at"), rows).fillna("") + "'")
                     .to_numpy(dtype=object)))

    if "updated_at" in found:
        updated = stamps("updated_at")
        unread = _nulls(updated)
        if unread.any():  # blank is fine (unknown); text that is not a date is not
            rows = np.nonzero(unread)[0]
            unread[rows[_is_blank(_text(col("updated_at")).take(pa.array(rows)))]] = False
        problems.append((unread, found["updated_at"], lambda rows: _stamp_reasons(col("updated_at"), rows, source_tz)))
    else:
        updated = pa.nulls(n, pa.timestamp("us", tz="UTC"))

    opened, open_problems = _opened_arrow(table, found, n)
    problems += open_problems

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
        if "response_type" in found else pa.nulls(n, _DICT),
        "opened": opened,
        "prospect_name": text_or_null("prospect_name"),
        "prospect_email": text_or_null("prospect_email"),
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


#: the canonical table as Arrow (see :mod:`talentstats.columns`; pandas dtypes follow from these types)
ARROW_SCHEMA = pa.schema([
    ("reach_out_id", pa.string()), ("campaign", pa.string()), ("sender", pa.string()), ("state", pa.int8()),
    ("created_at", pa.timestamp("us", tz="UTC")), ("updated_at", pa.timestamp("us", tz="UTC")),
    ("response_via", pa.string()), ("response_type", pa.string()), ("opened", pa.bool_()),
    ("prospect_name", pa.string()), ("prospect_email", pa.string()),
])


_DICT = pa.dictionary(pa.int32(), pa.string())
#: what the loader works with (few-valued text columns dictionary-encoded: compact, cheap to filter)
CHUNK_SCHEMA = pa.schema([pa.field(f.name, _DICT) if f.name in ("campaign", "sender", "response_via",
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


def normalize_reach_outs(raw: RawTable, mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                         dayfirst: bool = False, order_offset: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One raw export -> (canonical rows with ``_order`` as pandas, rejected rows with file/line/column/reason)."""
    good, rejects = normalize_arrow(raw, mapping, source_tz, dayfirst, order_offset)
    return to_pandas(good), rejects


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
    values, codes = _codes(table.column("reach_out_id"))
    dup = np.bincount(codes + 1, minlength=len(values) + 1)[codes + 1] > 1
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


def collapse_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """:func:`collapse_arrow` for a pandas frame with ``_order``."""
    kept, n = collapse_arrow(pa.Table.from_pandas(frame, preserve_index=False))
    return (frame, 0) if n == 0 else (to_pandas(kept), n)


# --------------------------------------------------------------------------------------------- messages


def load_messages(raw: RawTable) -> tuple[pa.Table, pd.DataFrame, MessagesReport]:
    """A per-message export (or chunk of one) -> (reach_out_id, opened[, message_id]) per message row as Arrow,
    its rejects and its report (duplicate messages are collapsed later, over every file: see
    :func:`_apply_messages`)."""
    table = raw.table
    found = match_headers(table.column_names, MESSAGE_ALIASES)
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


# --------------------------------------------------------------------------------------------- the loader


class _Probe(Exception):
    """Raised by the column plan that only looks at a file's headers."""

    def __init__(self, messages: bool) -> None:
        self.messages = messages


def split_messages(files: Sequence[Path], message_files: Sequence[Path], mapping: Mapping[str, str],
                   sheet: str | int | None = None) -> tuple[list[Path], list[Path]]:
    """(reach-out exports, messages exports): files whose headers look like a messages export (no state column,
    a message id or opened-at column) are messages, unless named as reach-out exports and messages both."""
    from .read import iter_raw

    exports, messages = [], list(message_files)
    for path in files:
        def probe(headers: list[str], path: Path = path) -> Any:
            raise _Probe(path not in message_files and _looks_like_messages(headers, mapping))

        try:
            next(iter_raw(path, sheet, plan=probe))
            is_messages = False  # (a reader that never asked: an export)
        except _Probe as found:
            is_messages = found.messages
        (messages if is_messages else exports).append(path)
    return exports, messages


def _plan(mapping: Mapping[str, str], metrics_only: bool) -> Any:
    """The columns to read from a reach-out export (all; with ``metrics_only`` those statistics use)."""
    from .read import ColumnPlan

    def plan(headers: list[str]) -> ColumnPlan:
        found = match_headers(headers, ALIASES, mapping)
        complete = all(c in found for c in REQUIRED)  # (else the error lists every header)
        keep = frozenset(h for c, h in found.items() if c not in PII) if metrics_only and complete else None
        few = frozenset(found[c] for c in ("campaign", "sender", "state", "response_via", "response_type", "opened")
                        if c in found)
        return ColumnPlan(keep, few)

    return plan


def _message_plan(headers: list[str]) -> Any:
    from .read import ColumnPlan

    found = match_headers(headers, MESSAGE_ALIASES)
    complete = "reach_out_id" in found and ("opened" in found or "opened_at" in found)
    return ColumnPlan(frozenset(found.values()) if complete else None,
                      frozenset({found["opened"]}) if "opened" in found else frozenset())


def normalized_chunks(files: Sequence[Path], report: LoadReport, rejects: list, mapping: Mapping[str, str],
                      source_tz: str = "UTC", sheet: str | int | None = None, dayfirst: bool = False,
                      metrics_only: bool = False, offset: int = 0,
                      chunk_rows: int | None = None) -> Iterator[pa.Table]:
    """The canonical rows (with ``_order``) of reach-out exports, chunk by chunk (of ``chunk_rows``) as the files
    are streamed; counts rows read into ``report`` and appends rejected rows to ``rejects``."""
    from .read import iter_raw

    for path in files:
        report.files.append(str(path))
        for raw in iter_raw(path, sheet, plan=_plan(mapping, metrics_only), chunk_rows=chunk_rows):
            good, bad = normalize_arrow(raw, mapping, source_tz, dayfirst, offset)
            offset += raw.table.num_rows
            report.rows_read += raw.table.num_rows
            if len(bad):
                rejects.append(bad)
            yield good


def read_reach_outs(paths: str | Path | Sequence[str | Path], messages: str | Path | Sequence | None = None,
                    mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                    sheet: str | int | None = None, strict: bool = False, dayfirst: bool = False,
                    metrics_only: bool = False, created_range: tuple[Any, Any] | None = None) -> Loaded:
    """Load Reach Out exports (files or folders, any supported format) into the canonical table.

    ``messages`` are per-message exports giving opens. Files in a folder whose headers look like a messages
    export (no state column, a message id or opened-at column) are treated as messages automatically.
    ``mapping`` maps export headers no alias knows to canonical columns. With ``strict`` any rejected row
    is an error. ``metrics_only`` reads only the columns the statistics need (no prospect names or emails,
    no columns no alias knows; rejected rows then show only those columns), and keeps few-valued text
    (campaign, sender, response via and type) as pandas categoricals. Large CSV and Parquet files are
    read in chunks.

    A canonical dataset folder (``talentstats ingest``) can stand wherever an export can; it is read, not
    parsed, and with ``created_range`` = (lo, hi) UTC instants only its reach outs created in [lo, hi) are read
    (the partitions of those months). Returns ``Loaded(table, report)``.
    """
    loaded = load_arrow(paths, messages, mapping, source_tz, sheet, dayfirst, metrics_only, created_range)
    table = to_pandas(loaded.table, categorical=metrics_only)
    if strict:
        raise_if_rejected(loaded.report)
    return Loaded(table, loaded.report)


def load_arrow(paths: str | Path | Sequence[str | Path], messages: str | Path | Sequence | None = None,
               mapping: Mapping[str, str] | None = None, source_tz: str = "UTC", sheet: str | int | None = None,
               dayfirst: bool = False, metrics_only: bool = False,
               created_range: tuple[Any, Any] | None = None) -> Loaded:
    """:func:`read_reach_outs` without the conversion to pandas: ``Loaded(arrow_table, report)``."""
    from .dataset import is_dataset, load_dataset, location
    from .read import expand_paths

    zone(source_tz)
    mapping = check_mapping(mapping)
    if isinstance(paths, str | Path):
        paths = [paths]
    datasets = [location(p) for p in paths if is_dataset(p)]
    exports = [p for p in paths if not is_dataset(p)]
    files = expand_paths(exports) if exports or not datasets else []
    message_files = expand_paths([messages] if isinstance(messages, str | Path) else messages) \
        if messages else []
    files, message_files = split_messages(files, message_files, mapping, sheet)
    report = LoadReport()
    parts, rejects = [], []
    offset = 0
    for root in datasets:  # already normalised and deduplicated: read, not parsed
        columns = None
        if metrics_only:  # ids and update times only matter when rows from elsewhere may duplicate these
            alone = len(datasets) == 1 and not files
            columns = [c for c in CANONICAL if c not in PII and not (alone and c in ("reach_out_id", "updated_at"))]
        stored, _ = load_dataset(root, columns, created_range,
                                 dictionary=metrics_only or bool(files) or len(datasets) > 1)
        n = stored.num_rows
        parts.append(stored.append_column("_order", pa.array(np.arange(offset, offset + n, dtype=np.int64))))
        report.files.append(str(root))
        report.rows_read += n
        offset += n
        if stored.column("opened").null_count == n and created_range is not None:
            from .dataset import has_open_info

            # the rows of the range say nothing about opens: the dataset's other rows may (then Opens is 0)
            report.opens_source = "dataset" if has_open_info(root) else report.opens_source
    parts += normalized_chunks(files, report, rejects, mapping, source_tz, sheet, dayfirst, metrics_only, offset)
    if not report.files:
        raise InputError("no reach-out export among the inputs (only messages exports)",
                         file=str(message_files[0]) if message_files else None)
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    if table.column("opened").null_count < table.num_rows:
        report.opens_source = "dataset" if not files else "reach-out export"
    if files or len(parts) > 1:  # (one dataset alone holds one row per reach out already)
        table, report.duplicates_collapsed = collapse_arrow(table)
    if message_files:
        opens = read_opens(message_files, rejects, sheet)
        table = opens.apply(table, report)
        opens.finish(table.column("reach_out_id"), report)
    report.rejects = (pd.concat(rejects, ignore_index=True) if rejects
                      else pd.DataFrame(columns=REJECT_COLUMNS))
    report.rows_rejected = int(report.rejects["file"].isin(report.files).sum())
    report.rows_loaded = table.num_rows
    return Loaded(table.select(list(CANONICAL)), report)


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


def read_opens(files: Sequence[Path], rejects: list, sheet: str | int | None = None) -> Opens:
    """Read messages exports (streamed; only their id and open columns) into :class:`Opens`."""
    from .read import iter_raw

    total = MessagesReport()
    parts = []
    for path in files:
        for raw in iter_raw(path, sheet, plan=_message_plan):
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
