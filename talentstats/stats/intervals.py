"""Confidence intervals on rates and on the difference of two rates (issue 14), vectorised with numpy.

- :func:`wilson`: the 95 % Wilson score interval of a proportion x / n (null when n = 0);
- :func:`newcombe`: the difference of two proportions with Newcombe's hybrid score interval (built from the two
  Wilson intervals) and whether it excludes 0 ("significant");
- :func:`with_intervals`: ``<rate>_low`` / ``<rate>_high`` beside every rate of a cohort statistics frame.

A rate on 30 reach outs moves by about ±10 points by chance alone; these say how far. See docs/metrics.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: the two-sided 95 % normal quantile
Z95 = 1.959963984540054

#: rate -> (numerator count, denominator count) of the cohort statistics (talentstats.stats.metrics)
RATE_PARTS: dict[str, tuple[str, str]] = {
    "open_rate": ("opens", "reach_outs"),
    "response_rate": ("responses", "reach_outs"),
    "interested_rate": ("interested", "reach_outs"),
    "interested_of_responses": ("interested", "responses"),
    "bounce_rate": ("hard_bounced", "reach_outs"),
}


def _floats(values: Any) -> np.ndarray:
    """Numbers (scalars, numpy arrays, pandas Series with <NA>) as a float array, missing as NaN."""
    if hasattr(values, "to_numpy"):
        return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")
    if values is None:
        return np.asarray(np.nan)
    return np.asarray(values, dtype="float64")


def _out(values: np.ndarray, scalar: bool) -> Any:
    return float(values) if scalar else values


def wilson(x: Any, n: Any, z: float = Z95) -> tuple[Any, Any]:
    """The Wilson score interval (low, high) of x successes in n trials.

    centre = (x + z²/2) / (n + z²), half-width = z·√(x(n − x)/n + z²/4) / (n + z²). NaN where n is 0 or a count
    is missing. At x = 0 the low end is exactly 0 and at x = n the high end exactly 1 (the formula gives them up to
    rounding). Scalars in give floats out; arrays (or Series) give float arrays.
    """
    xs, ns = _floats(x), _floats(n)
    scalar = xs.ndim == 0 and ns.ndim == 0
    z2 = z * z
    ok = (ns > 0) & np.isfinite(xs) & np.isfinite(ns)
    safe_n = np.where(ok, ns, 1.0)
    safe_x = np.where(ok, xs, 0.0)
    centre = (safe_x + z2 / 2) / (safe_n + z2)
    half = z * np.sqrt(np.clip(safe_x * (safe_n - safe_x) / safe_n, 0, None) + z2 / 4) / (safe_n + z2)
    low = np.where(safe_x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(safe_x >= safe_n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return _out(np.where(ok, low, np.nan), scalar), _out(np.where(ok, high, np.nan), scalar)


def newcombe(x1: Any, n1: Any, x2: Any, n2: Any, z: float = Z95) -> tuple[Any, Any, Any, Any]:
    """d = x1/n1 − x2/n2 with Newcombe's hybrid score interval: (d, low, high, significant).

    From the Wilson intervals (l₁, u₁) and (l₂, u₂): low = d − √((p₁ − l₁)² + (u₂ − p₂)²),
    high = d + √((u₁ − p₁)² + (p₂ − l₂)²). Significant when the interval excludes 0 (low > 0 or high < 0).
    Undefined (NaN; significant None for scalars, False in arrays) when either n is 0 or a count is missing.
    """
    a1, b1, a2, b2 = _floats(x1), _floats(n1), _floats(x2), _floats(n2)
    scalar = all(v.ndim == 0 for v in (a1, b1, a2, b2))
    l1, u1 = wilson(a1, b1, z)
    l2, u2 = wilson(a2, b2, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(b1 > 0, a1 / np.where(b1 > 0, b1, 1.0), np.nan)
        p2 = np.where(b2 > 0, a2 / np.where(b2 > 0, b2, 1.0), np.nan)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    defined = np.isfinite(low) & np.isfinite(high)
    significant = defined & ((low > 0) | (high < 0))
    if scalar:
        return float(d), float(low), float(high), (bool(significant) if bool(defined) else None)
    return d, low, high, significant


def with_intervals(stats: Any, z: float = Z95) -> Any:
    """A pandas cohort statistics frame with ``<rate>_low`` and ``<rate>_high`` (nullable Float64) right after
    each rate, from the rate's counts (:data:`RATE_PARTS`).

    Null where the rate is null (no denominator; opens unknown). Rates whose column or counts the frame does not
    have (e.g. an older frame without ``hard_bounced``) are left as they are. The frame is not modified.
    """
    import pandas as pd  # (statistics frames are small and eager; pandas is how the surfaces hold them)

    out = stats.copy()
    for rate, (num, den) in RATE_PARTS.items():  # (five rates, each a vectorised column)
        if rate not in out.columns or num not in out.columns or den not in out.columns:
            continue
        low, high = wilson(out[num], out[den], z)
        unknown = np.asarray(pd.isna(out[rate]), dtype=bool) | np.isnan(low)
        at = out.columns.get_loc(rate) + 1
        for offset, (name, values) in enumerate(((f"{rate}_low", low), (f"{rate}_high", high))):
            if name in out.columns:
                out = out.drop(columns=name)
                at = out.columns.get_loc(rate) + 1
            column = pd.array(np.where(unknown, 0.0, values), dtype="Float64")
            column[unknown] = pd.NA
            out.insert(at + offset, name, column)
    return out
