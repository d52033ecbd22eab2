"""``LoadOptions``: how to read exports, one frozen value that travels from a surface to the loader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from talentstats.errors import UsageError
from talentstats.load.headers import check_mapping
from talentstats.load.limits import Limits
from talentstats.stats.periods import zone


@dataclass(frozen=True, kw_only=True)
class LoadOptions:
    """How exports are read (every field has a default: ``LoadOptions()`` reads CSV/XLSX/Parquet/JSONL as is).

    Args:
        messages: per-message exports giving opens.
        mapping: export header -> canonical column, for headers no alias knows (pairs, sorted).
        source_tz: time zone of timestamps without a UTC offset.
        sheet: XLSX sheet name or 0-based number.
        dayfirst: read ambiguous dates like 03/04/2026 as 3 April.
        metrics_only: read only the columns statistics use (no personal data) and keep few-valued text as
            pandas categoricals.
        categories: keep few-valued text (campaign, sender, response via and type) as pandas categoricals, every
            column read (``metrics_only`` implies it): a tenth of the memory and no decoding of the text; what
            a report loads.
        created_range: from a dataset, read only reach outs created in [lo, hi) (UTC instants).
        strict: any rejected row is an error.
        rejects: write rejected rows (with reasons) to this CSV before ``strict`` fails.
        pii: read the prospects' names and emails; without, their columns are all missing (a dataset does not
            read them: a report without them, at 10M reach outs, loads a second faster).
        as_of_version: from a dataset, read the version it had then (``--as-of-version``; default the latest).
        limits: how much one input may make the loader do (:class:`~talentstats.load.limits.Limits`; a mapping
            of some limits sets those).
    """

    messages: tuple[Path, ...] = ()
    mapping: tuple[tuple[str, str], ...] = ()
    source_tz: str = "UTC"
    sheet: str | int | None = None
    dayfirst: bool = False
    metrics_only: bool = False
    categories: bool = False
    created_range: tuple[dt.datetime, dt.datetime] | None = field(default=None, compare=False)
    strict: bool = False
    rejects: Path | None = None
    as_of_version: int | None = None
    pii: bool = True
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.as_of_version is not None and (isinstance(self.as_of_version, bool) or
                                               not isinstance(self.as_of_version, int) or self.as_of_version < 0):
            raise UsageError("a dataset version is a whole number, 0 or more", parameter="as_of_version",
                             value=self.as_of_version)
        object.__setattr__(self, "limits", Limits.from_value(self.limits))
        zone(self.source_tz, parameter="source_tz")
        mapping = check_mapping(dict(self.mapping) if not isinstance(self.mapping, Mapping) else self.mapping)
        object.__setattr__(self, "mapping", tuple(sorted(mapping.items())))
        object.__setattr__(self, "messages", _paths(self.messages))
        if self.rejects is not None:
            object.__setattr__(self, "rejects", Path(self.rejects))

    @property
    def header_map(self) -> dict[str, str]:
        """The explicit mapping as a dict."""
        return dict(self.mapping)

    def but(self, **changes: Any) -> LoadOptions:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_parameters(self) -> dict[str, Any]:
        """Plain JSON values (papermill parameters); ``created_range``, ``strict`` and ``rejects`` stay with the
        caller (a notebook reads the data it reports on, and never fails on rejects)."""
        d = asdict(self)
        return {"messages": [str(p) for p in self.messages], "mapping": dict(self.mapping),
                "source_tz": d["source_tz"], "sheet": d["sheet"], "dayfirst": d["dayfirst"],
                "metrics_only": d["metrics_only"], "limits": self.limits.as_dict()}

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> LoadOptions:
        """The inverse of :meth:`to_parameters` (unknown keys are ignored; missing ones take defaults)."""
        known = ("messages", "mapping", "source_tz", "sheet", "dayfirst", "metrics_only", "limits")
        return cls(**{k: parameters[k] for k in known if k in parameters and parameters[k] is not None})


def _paths(value: str | Path | Sequence[str | Path] | None) -> tuple[Path, ...]:
    if not value:
        return ()
    if isinstance(value, str | Path):
        return (Path(value),)
    return tuple(Path(p) for p in value)
