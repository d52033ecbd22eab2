"""The dashboard's numbers as a notebook asks for them: statistics, KPIs, the comparison and the drill-down rows
for the selected range and selections (:class:`DashboardNumbers`, a base of
:class:`~talentstats.dashboard.widget.Dashboard`). Everything is sliced from the daily cube; nothing here draws."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from talentstats.dashboard import text
from talentstats.dashboard.cube import DailyCube, Selection
from talentstats.dashboard.rangenames import DATE_ERROR
from talentstats.dashboard.sameage import Compared, SameAge
from talentstats.dashboard.text import PII_LABELS
from talentstats.stats.metrics import stats_dicts

__all__ = ["DashboardNumbers"]


class DashboardNumbers:
    """Numbers of the selected range and selections; the subclass provides the controls (``start``, ``end``,
    ``tz``, ``campaigns``, ``senders``), ``table``, ``numbers``, ``same_age`` and ``include_pii``."""

    table: pd.DataFrame
    numbers: DailyCube
    same_age: SameAge
    include_pii: bool
    start: Any
    end: Any
    tz: Any
    campaigns: Any
    senders: Any

    def _selection(self) -> Selection:
        return Selection(self.tz.value, tuple(self.campaigns.value), tuple(self.senders.value))

    def cube(self, tz: str | None = None) -> pd.DataFrame:
        """Additive counts by day (number), campaign, sender and state (cached per time zone).

        Args:
            tz: the time zone; default the selected one.

        Returns:
            See :meth:`talentstats.dashboard.cube.DailyCube.frame`.
        """
        return self.numbers.frame(tz or self.tz.value)

    def stats(self, by: str | None = None, start: dt.date | None = None, end: dt.date | None = None
              ) -> pd.DataFrame:
        """campaign_stats for the selected range and filters (or another range), computed from the cube.

        Results are remembered per (key, range, time zone, selections): do not modify the returned frame.

        Args:
            by: None, or campaign, sender, state, week or day.
            start: first day; default the selected one.
            end: last day; default the selected one.

        Returns:
            The statistics, as :func:`talentstats.stats.metrics.campaign_stats` returns them.

        Raises:
            UsageError: ``by`` is not a key the dashboard groups by.
        """
        return self.stats_many([(by, start, end)])[0]

    def stats_many(self, requests: Sequence[tuple[str | None, dt.date | None, dt.date | None]]
                   ) -> list[pd.DataFrame]:
        """:meth:`stats` for several (by, start, end) at once, with a single
        :func:`~talentstats.stats.metrics.finish` (see :meth:`talentstats.dashboard.cube.DailyCube.stats_many`).

        Args:
            requests: (by, start, end) each; a date left None is the selected one.

        Returns:
            One statistics frame per request, in order.

        Raises:
            UsageError: a key the dashboard does not group by.
        """
        resolved = [(by, start or self.start.value, end or self.end.value) for by, start, end in requests]
        return self.numbers.stats_many(resolved, self._selection())

    def forget(self) -> None:
        """Forget the remembered statistics (they are recomputed on the next update; the cubes are kept)."""
        self.numbers.forget()

    def kpis(self) -> dict[str, Any]:
        """The tile values for the selected range.

        Returns:
            {metric: value}, None when unknown or undefined.
        """
        return stats_dicts(self.stats())[0]

    def compared(self, start: dt.date | None = None, end: dt.date | None = None) -> Compared:
        """The range against the previous period of the same length, at the same age where event times are known
        (:meth:`talentstats.dashboard.sameage.SameAge.compare`; default: the selected range)."""
        return self.same_age.compare(start or self.start.value, end or self.end.value, self._selection())

    def kpi_text(self) -> str:
        """The KPIs of the selected range as plain text, with the change against the previous period.

        Returns:
            See :func:`talentstats.dashboard.text.kpi_text`; the date error when the range is not valid.
        """
        start, end = self.start.value, self.end.value
        if start is None or end is None or end < start:
            return DATE_ERROR
        return text.kpi_text(start, end, self.tz.value, self._scope_text(), self.compared(start, end))

    def _scope_text(self) -> str:
        return text.scope_text(self.campaigns.value, self.senders.value)

    def drill_rows(self, metric: str, limit: int | None = None) -> pd.DataFrame:
        """The reach outs behind a tile: the rows of :func:`talentstats.stats.metrics.members` for the range,
        filtered by the selections.

        Args:
            metric: one of :data:`talentstats.stats.metrics.COUNTS`.
            limit: at most this many rows (the first ones).

        Returns:
            Columns reach_out_id, campaign, sender, state, created_at; prospect name and email only with
            ``include_pii``.

        Raises:
            UsageError: ``metric`` is not a count.
        """
        return self._rows(self._row_numbers(metric), limit)

    def _row_numbers(self, metric: str) -> np.ndarray:
        return self.numbers.rows(metric, self.start.value, self.end.value, self._selection())

    def _rows(self, rows: np.ndarray, limit: int | None) -> pd.DataFrame:
        if limit is not None:
            rows = rows[:limit]
        cols = ["reach_out_id", "campaign", "sender", "state", "created_at"]
        if self.include_pii:
            cols += list(PII_LABELS)
        # only these columns, and only these rows of them (copying whole columns of a big table is what costs)
        return pd.DataFrame({c: self.table[c].take(rows).reset_index(drop=True) for c in cols})
