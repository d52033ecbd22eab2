"""CSV that is safe to open in a spreadsheet: formula prefixes neutralised, RFC 4180 line ends."""

from __future__ import annotations

from pathlib import Path

from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: RFC 4180 line ends: with a bare "\n" the csv module leaves a value holding a lone "\r" unquoted, and
#: spreadsheets then split the row there
CSV_EOL = "\r\n"




def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell made spreadsheet-safe (numbers untouched)."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            s = out[c].astype("str")
            risky = s.str.startswith(_FORMULA_START, na=False)
            out[c] = s.where(~risky, "'" + s)
    return out


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> None:
    """Write rejected rows (file, line, column, reason, raw values) as CSV, spreadsheet-safe."""
    safe_frame(rejects).to_csv(path, index=False, lineterminator=CSV_EOL)
