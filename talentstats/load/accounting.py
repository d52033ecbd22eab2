"""Load accounting: every input row is loaded, rejected with a reason, or counted as a duplicate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from talentstats.errors import InputError
from talentstats.lazy import pandas as pd  # (imported on first use: start-up time)

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
    #: reach outs whose earliest open time came before they were created (the time is dropped, the open kept)
    open_times_before_creation: int = 0

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
    _rejects: Any = field(default=None, repr=False)
    #: the version of the dataset read (None for exports; {dataset: version} when several were read)
    dataset_version: int | dict[str, int] | None = None
    #: responded reach outs in state Responded without a response time, given their Updated At (approximate)
    responded_at_from_updated_at: int = 0

    @property
    def rejects(self) -> pd.DataFrame:
        """The rejected rows (file, line, column, reason, raw values); empty when there are none."""
        if self._rejects is None:  # (made on first use: a load starts before pandas is needed)
            self._rejects = pd.DataFrame(columns=REJECT_COLUMNS)
        return self._rejects

    @rejects.setter
    def rejects(self, frame: pd.DataFrame) -> None:
        self._rejects = frame

    def as_dict(self) -> dict[str, Any]:
        """The counts as the CLI's JSON ``load`` object."""
        out: dict[str, Any] = {
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "duplicates_collapsed": self.duplicates_collapsed,
        }
        if self.responded_at_from_updated_at:
            out["responded_at_from_updated_at"] = self.responded_at_from_updated_at
        if self.messages is not None:
            out["messages"] = self.messages.as_dict()
        if self.dataset_version is not None:
            out["dataset_version"] = self.dataset_version
        return out

    def reject_summary(self) -> dict[str, int]:
        """Number of rejects per reason kind (the reason without the offending value)."""
        return reject_kinds(self.rejects)


REJECT_COLUMNS = ["file", "line", "column", "reason"]

@dataclass(frozen=True)
class Loaded:
    """The canonical table and the report of how it was loaded (unpacks as ``table, report``), and the messages
    of a messages export (reach_out_id, step, sent_at, opened_at; None without one)."""

    table: Any
    report: LoadReport
    messages: Any = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.table, self.report))


def raise_if_rejected(report: LoadReport) -> None:
    """``--strict``: any rejected row is an error naming the first one."""
    if len(report.rejects):
        first = report.rejects.iloc[0]
        raise InputError(f"{first['reason']} ({len(report.rejects)} row(s) rejected; --strict)",
                         file=first["file"], line=int(first["line"]), column=first["column"])


def reject_kinds(rejects: pd.DataFrame) -> dict[str, int]:
    """Rejected rows counted by ``column: reason`` with the offending value left out, most frequent first."""
    if rejects.empty:
        return {}
    kinds = rejects["column"].fillna("").astype(str) + ": " + rejects["reason"].str.replace(r" '.*'$", "", regex=True)
    return kinds.value_counts().to_dict()
