"""A small literal Reach Out table with hand-checked numbers, and ways to read what a dashboard shows."""

from __future__ import annotations

import datetime as dt
import re
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from talentstats.dashboard.text import KPIS
from talentstats.dashboard.widget import Dashboard
from talentstats.present import charts
from talentstats.stats.metrics import COUNTS, campaign_stats, stats_dicts

EVIL = "<img src=x onerror=alert(1)>"
EVIL_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
WEEK = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
ROOT = Path(__file__).resolve().parents[2]

# id, campaign, sender, state, created (UTC), response_via, response_type, opened, prospect
ROWS = [
    ("r1", "Alpha", "s1", 0, "2026-11-16 10:00", None, None, True, "Ann Lee"),
    ("r2", "Alpha", "s1", 2, "2026-11-17 10:00", "email", "Interested", True, "Bo Chan"),
    ("r3", "Alpha", "s2", 2, "2026-11-18 10:00", "email", "Not Interested", False, "Cy Dorn"),
    ("r4", EVIL, "s2", 1, "2026-11-19 10:00", None, None, False, "Di Epp"),
    ("r5", EVIL, "s1", 3, "2026-11-20 10:00", None, None, True, "Ed Fox"),
    ("r6", EVIL, "s2", 5, "2026-11-22 23:30", None, None, False, "Flo Gu"),  # Berlin: 23 Nov
    ("r7", "Alpha", "s1", 0, "2026-11-23 00:30", None, None, False, "Gus Ho"),  # New York: 22 Nov
    ("r8", "Alpha", "s1", 0, "2026-11-10 09:00", None, None, True, "Hal Ivy"),  # previous week
    ("r9", EVIL, "s2", 2, "2026-11-12 09:00", "linkedin", "Interested", True, "Ida Jo"),
]


def table(rows: list[tuple] = ROWS, opened: bool = True) -> pd.DataFrame:
    """A canonical Reach Out table (the loader's dtypes) from ROWS-like tuples."""
    created = pd.to_datetime([r[4] for r in rows], utc=True).as_unit("us")
    return pd.DataFrame({
        "reach_out_id": pd.array([r[0] for r in rows], dtype="str"),
        "campaign": pd.array([r[1] for r in rows], dtype="str"),
        "sender": pd.array([r[2] for r in rows], dtype="str"),
        "state": np.array([r[3] for r in rows], dtype="int8"),
        "created_at": created,
        "updated_at": created,
        "response_via": pd.array([r[5] for r in rows], dtype="str"),
        "response_type": pd.array([r[6] for r in rows], dtype="str"),
        "opened": pd.array([r[7] if opened else None for r in rows], dtype="boolean"),
        "prospect_name": pd.array([r[8] for r in rows], dtype="str"),
        "prospect_email": pd.array([r[8].lower().replace(" ", ".") + "@mail.example" for r in rows], dtype="str"),
    })


def dashboard(t: pd.DataFrame | None = None, **kwargs: Any) -> Dashboard:
    kwargs.setdefault("start", WEEK[0])
    kwargs.setdefault("end", WEEK[1])
    return Dashboard(table() if t is None else t, **kwargs)


def selected(t: pd.DataFrame, campaigns: tuple = (), senders: tuple = ()) -> pd.DataFrame:
    """The rows the campaign and sender selections keep (none selected = all)."""
    if campaigns:
        t = t[t["campaign"].isin(campaigns)]
    if senders:
        t = t[t["sender"].isin(senders)]
    return t


def total(t: pd.DataFrame, start: dt.date, end: dt.date, tz: str = "UTC") -> dict[str, Any]:
    return stats_dicts(campaign_stats(t, start, end, tz))[0]


def tile_values(d: Dashboard) -> dict[str, str]:
    """The value shown on each KPI tile (HTML unescaped)."""
    out = {}
    for m, tile in d.tiles.items():
        found = re.search(r'<div class="v[^"]*">(.*?)</div>', tile.value)
        assert found, tile.value
        out[m] = found.group(1)
    return out


def shown(values: dict[str, Any]) -> dict[str, str]:
    """What the tiles must show for these statistics."""
    out = {}
    for m in KPIS:
        if m in ("opens", "open_rate") and values["opens"] is None:
            out[m] = charts.UNKNOWN_TEXT
        else:
            out[m] = (charts.fmt_count if m in COUNTS else charts.fmt_rate)(values[m])
    return out


def funnel_x(d: Dashboard) -> list[int]:
    return list(d.funnel.data[0].x)


def figures(d: Dashboard) -> list[go.FigureWidget]:
    return [d.funnel, d.states, d.trend, d.comparison]


def html_values(d: Dashboard) -> str:
    return "\n".join([*(t.value for t in d.tiles.values()), d.period.value, d.status.value, d.table_html.value,
                      d.drill_html.value, d.data_note.value, d.caveats.value, d.rates.ab.value])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
