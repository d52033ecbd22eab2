"""`talentstats check`: the findings and the result they make (kinds, counts, items)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from talentstats.errors import UsageError

KINDS: tuple[str, ...] = ("unreadable", "rejected", "duplicates", "case_ids", "interested_not_responded",
                          "responded_without_open", "future", "contradicting_events", "stale_campaigns",
                          "unmatched_messages", "merged_spellings")



#: the columns the text rule cleans (docs/metrics.md "Text values")
TEXT_COLUMNS = ("campaign", "sender", "response_via", "response_type")



STALE_DAYS = 28



@dataclass
class Finding:
    """One kind of finding: how many, a sentence saying what it means, and the first few items."""

    kind: str
    title: str
    count: int | None  # None: could not be checked (e.g. no open information)
    summary: str
    items: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0  # items not listed (beyond --limit)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "count": self.count, "summary": self.summary,
                "items": self.items, "more_items": self.more}



@dataclass
class CheckResult:
    """Everything ``check`` found in one load."""

    files: list[str]
    message_files: list[str]
    load: dict[str, Any]
    opens_source: str | None
    as_of: dt.date | None
    now: dt.datetime
    tz: str
    findings: list[Finding]
    #: the files left out because they cannot be read at all, with their errors
    unreadable: list[dict[str, str]] = field(default_factory=list)

    def found(self, kinds: Sequence[str]) -> list[str]:
        """The kinds among ``kinds`` with at least one finding."""
        return [f.kind for f in self.findings if f.kind in kinds and f.count]

    def as_dict(self, fail_on: Sequence[str] = ()) -> dict[str, Any]:
        return {"files": self.files, "messages_files": self.message_files, "load": self.load,
                "opens_source": self.opens_source, "as_of": self.as_of.isoformat() if self.as_of else None,
                "checked_at": self.now.isoformat().replace("+00:00", "Z"), "tz": self.tz,
                "findings": [f.as_dict() for f in self.findings], "fail_on": list(fail_on),
                "failed": self.found(fail_on)}



def parse_fail_on(value: str | None) -> list[str]:
    """``"rejected,future"`` -> validated kinds; ``all`` means every kind."""
    if not value:
        return []
    kinds = [k.strip().lower().replace("-", "_") for k in value.split(",") if k.strip()]
    if kinds == ["all"]:
        return list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UsageError(f"choose from {', '.join(KINDS)} or all", parameter="fail_on", value=unknown[0])
    return kinds
