"""Timestamps: Arrow's ISO-8601 parser first, pandas for everything else (local times, day-first dates, Excel
serial days), and a reason for every value that is not a date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import InputError
from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)
from talentstats.load.arrow import _row_texts, _text
from talentstats.stats.periods import zone

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

    Values with a UTC offset keep it; naive values are read in ``source_tz``, where a clock time that does not
    exist (skipped when the clocks go forward) or exists twice (when they go back) is NaT, not guessed. Excel
    serial dates (a number of days such as ``46342.375``, from 2000 to 2100) are read as naive times. With
    ``check_order`` a slashed date readable only in the other day/month order raises :class:`DateOrderError`.
    """
    if isinstance(values, pa.ChunkedArray):
        typ = values.type
        if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
            s = values.to_pandas()
            s = pd.to_datetime(s)
            if s.dt.tz is None:
                s = s.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="NaT")
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
            naive = naive.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="NaT")
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
    read in ``source_tz``; NaT outside 2000-2100 (:data:`EARLIEST`, :data:`LATEST`), where a number is not
    taken for a date."""
    days = pd.to_numeric(text, errors="coerce")
    days = days.where((days >= _SERIAL_FIRST) & (days < _SERIAL_END))
    wall = (pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")).dt.round("ms")
    local = wall.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="NaT")
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
        naive = naive.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="NaT")
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
    """Why a non-blank date was not read: unparseable, or a local time that occurs twice in ``source_tz`` (the
    hour repeated when the clocks go back) or not at all (the hour skipped when they go forward)."""
    reasons = "unparseable date '" + text.fillna("") + "'"
    bad = stamps.isna() & ~_blank(text)
    if source_tz != "UTC" and bad.any():
        wall = pd.to_datetime(text[bad].str.strip(), format="mixed", utc=True, errors="coerce").dt.tz_localize(None)
        twice = wall.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="shift_forward").isna()
        never = wall.dt.tz_localize(zone(source_tz), ambiguous="NaT", nonexistent="NaT").isna() & ~twice
        for rows, why in ((twice, "ambiguous local time in {} (clocks went back)"),
                          (never, "nonexistent local time in {} (clocks went forward)")):
            at = wall.index[(wall.notna() & rows).to_numpy()]
            reasons[at] = why.format(source_tz) + " '" + text[at] + "'"
    return reasons



#: reach outs created before this are placeholders (Unix epoch, .NET MinValue) and are rejected
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: ... and so are those created from this instant on (9999-12-31, "never"): 2000-2100 is the one time rule
LATEST = dt.datetime(2101, 1, 1, tzinfo=dt.UTC)
#: Excel serial days of EARLIEST and LATEST (days since 1899-12-30)
_SERIAL_FIRST, _SERIAL_END = 36526, 73416


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
