"""The loader: exports (files, folders) and canonical datasets -> ``Loaded(table, report)``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from talentstats.dataset.read import has_open_info, is_dataset, load_dataset, location
from talentstats.errors import InputError
from talentstats.load.accounting import REJECT_COLUMNS, Loaded, LoadReport, raise_if_rejected
from talentstats.load.columns import ALIASES, CANONICAL, PII, REQUIRED
from talentstats.load.headers import check_mapping, match_headers
from talentstats.load.messages import read_opens, split_messages
from talentstats.load.normalize import collapse_arrow, normalize_arrow, to_pandas
from talentstats.load.read import ColumnPlan, expand_paths, iter_raw
from talentstats.stats.periods import zone

# --------------------------------------------------------------------------------------------- the loader


def _plan(mapping: Mapping[str, str], metrics_only: bool) -> Any:
    """The columns to read from a reach-out export (all; with ``metrics_only`` those statistics use)."""

    def plan(headers: list[str]) -> ColumnPlan:
        found = match_headers(headers, ALIASES, mapping)
        complete = all(c in found for c in REQUIRED)  # (else the error lists every header)
        keep = frozenset(h for c, h in found.items() if c not in PII) if metrics_only and complete else None
        few = frozenset(found[c] for c in ("campaign", "sender", "state", "response_via", "response_type", "opened")
                        if c in found)
        return ColumnPlan(keep, few)

    return plan


def normalized_chunks(files: Sequence[Path], report: LoadReport, rejects: list, mapping: Mapping[str, str],
                      source_tz: str = "UTC", sheet: str | int | None = None, dayfirst: bool = False,
                      metrics_only: bool = False, offset: int = 0,
                      chunk_rows: int | None = None) -> Iterator[pa.Table]:
    """The canonical rows (with ``_order``) of reach-out exports, chunk by chunk (of ``chunk_rows``) as the files
    are streamed; counts rows read into ``report`` and appends rejected rows to ``rejects``."""

    for path in files:
        report.files.append(str(path))
        for raw in iter_raw(path, sheet, plan=_plan(mapping, metrics_only), chunk_rows=chunk_rows):
            good, bad = normalize_arrow(raw, mapping, source_tz, dayfirst, offset)
            offset += raw.table.num_rows
            report.rows_read += raw.table.num_rows
            if len(bad):
                rejects.append(bad)
            yield good


def read_reach_outs(paths: str | Path | Sequence[str | Path], messages: str | Path | Sequence | None = None,
                    mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                    sheet: str | int | None = None, strict: bool = False, dayfirst: bool = False,
                    metrics_only: bool = False, created_range: tuple[Any, Any] | None = None) -> Loaded:
    """Load Reach Out exports (files or folders, any supported format) into the canonical table.

    ``messages`` are per-message exports giving opens. Files in a folder whose headers look like a messages
    export (no state column, a message id or opened-at column) are treated as messages automatically.
    ``mapping`` maps export headers no alias knows to canonical columns. With ``strict`` any rejected row
    is an error. ``metrics_only`` reads only the columns the statistics need (no prospect names or emails,
    no columns no alias knows; rejected rows then show only those columns), and keeps few-valued text
    (campaign, sender, response via and type) as pandas categoricals. Large CSV and Parquet files are
    read in chunks.

    A canonical dataset folder (``talentstats ingest``) can stand wherever an export can; it is read, not
    parsed, and with ``created_range`` = (lo, hi) UTC instants only its reach outs created in [lo, hi) are read
    (the partitions of those months). Returns ``Loaded(table, report)``.
    """
    loaded = load_arrow(paths, messages, mapping, source_tz, sheet, dayfirst, metrics_only, created_range)
    table = to_pandas(loaded.table, categorical=metrics_only)
    if strict:
        raise_if_rejected(loaded.report)
    return Loaded(table, loaded.report)


def load_arrow(paths: str | Path | Sequence[str | Path], messages: str | Path | Sequence | None = None,
               mapping: Mapping[str, str] | None = None, source_tz: str = "UTC", sheet: str | int | None = None,
               dayfirst: bool = False, metrics_only: bool = False,
               created_range: tuple[Any, Any] | None = None) -> Loaded:
    """:func:`read_reach_outs` without the conversion to pandas: ``Loaded(arrow_table, report)``."""

    zone(source_tz)
    mapping = check_mapping(mapping)
    if isinstance(paths, str | Path):
        paths = [paths]
    datasets = [location(p) for p in paths if is_dataset(p)]
    exports = [p for p in paths if not is_dataset(p)]
    files = expand_paths(exports) if exports or not datasets else []
    message_files = expand_paths([messages] if isinstance(messages, str | Path) else messages) \
        if messages else []
    files, message_files = split_messages(files, message_files, mapping, sheet)
    report = LoadReport()
    parts, rejects = [], []
    offset = 0
    for root in datasets:  # already normalised and deduplicated: read, not parsed
        columns = None
        if metrics_only:  # ids and update times only matter when rows from elsewhere may duplicate these
            alone = len(datasets) == 1 and not files
            columns = [c for c in CANONICAL if c not in PII and not (alone and c in ("reach_out_id", "updated_at"))]
        stored, _ = load_dataset(root, columns, created_range,
                                 dictionary=metrics_only or bool(files) or len(datasets) > 1)
        n = stored.num_rows
        parts.append(stored.append_column("_order", pa.array(np.arange(offset, offset + n, dtype=np.int64))))
        report.files.append(str(root))
        report.rows_read += n
        offset += n
        if stored.column("opened").null_count == n and created_range is not None:

            # the rows of the range say nothing about opens: the dataset's other rows may (then Opens is 0)
            report.opens_source = "dataset" if has_open_info(root) else report.opens_source
    parts += normalized_chunks(files, report, rejects, mapping, source_tz, sheet, dayfirst, metrics_only, offset)
    if not report.files:
        raise InputError("no reach-out export among the inputs (only messages exports)",
                         file=str(message_files[0]) if message_files else None)
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    if table.column("opened").null_count < table.num_rows:
        report.opens_source = "dataset" if not files else "reach-out export"
    if files or len(parts) > 1:  # (one dataset alone holds one row per reach out already)
        table, report.duplicates_collapsed = collapse_arrow(table)
    if message_files:
        opens = read_opens(message_files, rejects, sheet)
        table = opens.apply(table, report)
        opens.finish(table.column("reach_out_id"), report)
    report.rejects = (pd.concat(rejects, ignore_index=True) if rejects
                      else pd.DataFrame(columns=REJECT_COLUMNS))
    report.rows_rejected = int(report.rejects["file"].isin(report.files).sum())
    report.rows_loaded = table.num_rows
    return Loaded(table.select(list(CANONICAL)), report)


