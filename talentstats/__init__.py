"""talentstats: trustworthy campaign statistics from Talent CRM Reach Out exports.

>>> import talentstats as ts
>>> table, report = ts.read_reach_outs("sample_data/reach_outs.csv", messages="sample_data/messages.csv")
>>> ts.campaign_stats(table, "2026-11-16", "2026-11-22", by="campaign")  # doctest: +SKIP

Names are imported on first use (PEP 562), so that the command line starts without pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "InputError": "errors", "MissingColumnError": "errors", "TalentstatsError": "errors", "UsageError": "errors",
    "COUNTS": "stats.metrics", "GROUP_KEYS": "stats.metrics", "METRICS": "stats.metrics", "RATES": "stats.metrics",
    "campaign_stats": "stats.metrics", "rollup": "stats.metrics", "stat_counts": "stats.metrics",
    "Loaded": "load.accounting", "LoadReport": "load.accounting", "read_reach_outs": "load.loader",
    "STATES": "stats.states", "state_label": "stats.states",
}

__all__ = sorted(_WHERE)

if TYPE_CHECKING:  # pragma: no cover
    from talentstats.errors import InputError, MissingColumnError, TalentstatsError, UsageError  # noqa: F401
    from talentstats.load.accounting import Loaded, LoadReport  # noqa: F401
    from talentstats.load.loader import read_reach_outs  # noqa: F401
    from talentstats.stats.metrics import COUNTS, GROUP_KEYS, METRICS, RATES, campaign_stats, rollup, stat_counts  # noqa: F401
    from talentstats.stats.states import STATES, state_label  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'talentstats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
