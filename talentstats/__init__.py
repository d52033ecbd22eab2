"""talentstats: trustworthy campaign statistics from Talent CRM Reach Out exports.

>>> import talentstats as ts
>>> table, report = ts.read_reach_outs("sample_data/reach_outs.csv", messages="sample_data/messages.csv")
>>> ts.campaign_stats(table, "2026-11-16", "2026-11-22", by="campaign")  # doctest: +SKIP
"""

from .errors import InputError, MissingColumnError, TalentstatsError, UsageError
from .metrics import COUNTS, GROUP_KEYS, METRICS, RATES, campaign_stats, rollup, stat_counts
from .normalize import Loaded, LoadReport, read_reach_outs
from .states import STATES, state_label

__version__ = "0.1.0"

__all__ = [
    "COUNTS", "GROUP_KEYS", "METRICS", "RATES", "STATES",
    "InputError", "LoadReport", "Loaded", "MissingColumnError", "TalentstatsError", "UsageError",
    "campaign_stats", "read_reach_outs", "rollup", "stat_counts", "state_label",
]
