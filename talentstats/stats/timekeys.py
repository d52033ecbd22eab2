"""Time keys of the statistics (day, week, month of creation in the report time zone) as narwhals expressions
that every engine can run: calendar arithmetic on integers, no engine-specific date functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import narwhals as nw

_US_PER_DAY = 86_400_000_000



def local_date_key(tz: str) -> nw.Expr:
    """``year * 1000 + day of year`` of created_at's calendar date in ``tz``: cheap per row, and turned into a
    day number (:func:`day_number`) only after grouping, on a few rows."""
    local = nw.col("created_at").dt.convert_time_zone(tz).dt.replace_time_zone(None)
    return local.dt.year().cast(nw.Int64) * 1000 + local.dt.ordinal_day().cast(nw.Int64)



def day_number(date_key: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 from a :func:`local_date_key`.

    Portable calendar arithmetic (integer operations only): every engine has them, whereas ``dt.timestamp`` and
    ``dt.total_microseconds`` are missing on DuckDB or PySpark.
    """
    y = date_key // 1000 - 1  # full years before this one, counted from year 0
    leap_days = y // 4 - y // 100 + y // 400 - 477  # leap days in 1970 .. year-1 (477 before 1970)
    return (y - 1969) * 365 + leap_days + date_key % 1000 - 1



def date_text(key: str) -> tuple[list[dict[str, nw.Expr]], nw.Expr]:
    """"YYYY-MM-DD" of the day numbers (days since 1970-01-01) in column ``key``, by integer arithmetic
    (H. Hinnant's civil_from_days): portable, where casting an integer to a timestamp is not (DuckDB refuses
    it). Returns (rounds of ``with_columns`` adding helper columns, the final text expression): in steps, because
    SQL engines expand a shared sub-expression at every use, which nested in one expression grows exponentially.
    """
    p = f"_{key}_"

    def c(name: str) -> nw.Expr:
        return nw.col(p + name)

    day = nw.col(key)
    doy = c("doe") - (c("yoe") * 365 + c("yoe") // 4 - c("yoe") // 100)  # day of the year starting in March
    m = (c("mp") + 2) % 12 + 1
    rounds = [
        {p + "era": (day + 719468) // 146097},  # 400-year eras since 0000-03-01
        {p + "doe": day + 719468 - c("era") * 146097},  # day of the era
        {p + "yoe": (c("doe") - c("doe") // 1460 + c("doe") // 36524 - c("doe") // 146096) // 365},
        {p + "doy": doy, p + "mp": (doy * 5 + 2) // 153},
        {p + "d": c("doy") - (c("mp") * 153 + 2) // 5 + 1, p + "m": m,
         p + "y": c("yoe") + c("era") * 400 + (12 - m) // 10},  # January and February end the March year
    ]

    def two(e: nw.Expr) -> nw.Expr:
        return e.cast(nw.String).str.zfill(2)

    return rounds, nw.concat_str(c("y").cast(nw.String), nw.lit("-"), two(c("m")), nw.lit("-"), two(c("d")))



def day_labels(f: Any, key: str) -> tuple[list[dict[str, nw.Expr]], nw.Expr]:
    """"YYYY-MM-DD" of the day numbers in column ``key``, as (rounds of helper columns, expression). Grouped
    frames are small: on eager frames the few distinct days are formatted in Python and mapped (fast); lazy
    frames use the portable arithmetic (:func:`date_text`)."""
    if isinstance(f, nw.DataFrame):
        days = [d for d in f.get_column(key).unique().to_list() if d is not None]
        epoch = dt.date(1970, 1, 1)
        labels = {int(d): (epoch + dt.timedelta(days=int(d))).isoformat() for d in days}
        return [], nw.col(key).replace_strict(labels, return_dtype=nw.String).alias(key)
    rounds, text = date_text(key)
    return rounds, text.alias(key)



def time_key_exprs(keys: Sequence[str], tz: str) -> tuple[dict[str, nw.Expr], dict[str, nw.Expr]]:
    """Time keys as (expressions per row, expressions on the grouped rows). Day and week are grouped by the
    local date key first and derived from it afterwards; month is computed per row."""
    per_row: dict[str, nw.Expr] = {}
    per_group: dict[str, nw.Expr] = {}
    if "day" in keys or "week" in keys:
        per_row["_date"] = local_date_key(tz)
        day = day_number(nw.col("_date"))
        if "day" in keys:
            per_group["day"] = day
        if "week" in keys:
            per_group["week"] = monday_number(day)
    if "month" in keys:
        local = nw.col("created_at").dt.convert_time_zone(tz)
        per_row["month"] = local.dt.year().cast(nw.Int64) * 100 + local.dt.month().cast(nw.Int64)
    return per_row, per_group


def monday_number(day: Any) -> Any:
    """The day number (days since 1970-01-01) of the Monday starting the week of day number ``day`` (an
    expression or an integer array): 1970-01-01 was a Thursday, so ``(day + 3) % 7`` is 0 on Mondays."""
    return day - (day + 3) % 7
