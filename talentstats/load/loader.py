"""The loader: exports (files, folders) and canonical datasets -> ``Loaded(table, report)``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.dataset.read import has_open_info, load_dataset
from talentstats.dataset.snapshot import is_dataset, location
from talentstats.errors import InputError, UsageError
from talentstats.lazy import pandas as pd
from talentstats.lazy import warm  # (imported on first use: start-up time)
from talentstats.load.accounting import REJECT_COLUMNS, Loaded, LoadReport, raise_if_rejected
from talentstats.load.columns import ALIASES, CANONICAL, PII, REQUIRED
from talentstats.load.headers import match_headers, one_header_per_column
from talentstats.load.messages import read_opens, split_messages
from talentstats.load.normalize import collapse_arrow, normalize_arrow, to_pandas
from talentstats.load.options import LoadOptions
from talentstats.load.read import expand_paths
from talentstats.load.stream import ColumnPlan, iter_raw
from talentstats.safecsv import write_rejects
from talentstats.stats.states import RESPONDED

# --------------------------------------------------------------------------------------------- the loader


def _plan(mapping: Mapping[str, str], metrics_only: bool, path: Path) -> Any:
    """The columns to read from a reach-out export (all; with ``metrics_only`` those statistics use)."""

    def plan(headers: list[str]) -> ColumnPlan:
        one_header_per_column(headers, mapping, str(path))
        found = match_headers(headers, ALIASES, mapping)
        complete = all(c in found for c in REQUIRED)  # (else the error lists every header)
        keep = frozenset(h for c, h in found.items() if c not in PII) if metrics_only and complete else None
        few = frozenset(found[c] for c in ("campaign", "sender", "state", "response_via", "response_type", "opened")
                        if c in found)
        return ColumnPlan(keep, few)

    return plan


def normalized_chunks(files: Sequence[Path], options: LoadOptions, report: LoadReport, rejects: list,
                      offset: int = 0, chunk_rows: int | None = None) -> Iterator[pa.Table]:
    """The canonical rows (with ``_order``) of reach-out exports, chunk by chunk (of ``chunk_rows``) as the files
    are streamed; counts rows read into ``report`` and appends rejected rows to ``rejects``."""
    mapping = options.header_map
    # every load ends in pandas (its account of rejects, the table): imported while Arrow parses, in C++ threads
    # that release the GIL, rather than before the first byte is read
    warm("pandas", "narwhals._pandas_like.dataframe")
    for path in files:
        report.files.append(str(path))
        for raw in iter_raw(path, options.sheet, plan=_plan(mapping, options.metrics_only, path), chunk_rows=chunk_rows,
                            limits=options.limits):
            good, bad = normalize_arrow(raw, mapping, options.source_tz, options.dayfirst, offset)
            offset += raw.table.num_rows
            report.rows_read += raw.table.num_rows
            if len(bad):
                rejects.append(bad)
            yield good


def read_reach_outs(paths: str | Path | Sequence[str | Path], messages: str | Path | Sequence | None = None, *,
                    mapping: Mapping[str, str] | None = None, source_tz: str = "UTC",
                    sheet: str | int | None = None, strict: bool = False, dayfirst: bool = False,
                    metrics_only: bool = False, created_range: tuple[Any, Any] | None = None,
                    rejects: str | Path | None = None) -> Loaded:
    """Load Reach Out exports (files or folders, any supported format) into the canonical table.

    Args:
        paths: export files or folders; a canonical dataset folder (``talentstats ingest``) can stand wherever
            an export can (it is read, not parsed).
        messages: per-message exports giving opens. Files in a folder whose headers look like a messages
            export (no state column, a message id or opened-at column) are treated as messages automatically.
        mapping, source_tz, sheet, strict, dayfirst, metrics_only, created_range, rejects: see
            :class:`LoadOptions`.

    Returns:
        ``Loaded(table, report)``: the canonical pandas table and the account of every input row.

    Raises:
        InputError: a file that cannot be read (naming file, line and column), or any rejected row with
            ``strict``.
        UsageError: a bad option (an unknown time zone or mapped column).
    """
    return load(paths, LoadOptions(messages=messages, mapping=mapping or {}, source_tz=source_tz, sheet=sheet,
                                   strict=strict, dayfirst=dayfirst, metrics_only=metrics_only,
                                   created_range=created_range, rejects=rejects))


def load(paths: str | Path | Sequence[str | Path], options: LoadOptions | None = None) -> Loaded:
    """:func:`read_reach_outs` with the options as one value: the canonical pandas table and its report.
    Rejected rows are written to ``options.rejects`` (before ``options.strict`` fails: that is when they are
    needed)."""
    options = options or LoadOptions()
    loaded = load_arrow(paths, options)
    table = to_pandas(loaded.table, categorical=options.metrics_only or options.categories)
    finish_load(loaded.report, options)
    return Loaded(table, loaded.report, loaded.messages)


def finish_load(report: LoadReport, options: LoadOptions) -> None:
    """The end of every load: rejected rows written to ``options.rejects``, then ``options.strict`` applied
    (rejects first: that is when they are needed)."""
    if options.rejects is not None:
        try:
            write_rejects(report.rejects, options.rejects)
        except OSError as err:  # a folder, a full disk, no permission: one line naming the file
            raise InputError(f"cannot write the rejected rows: {err.strerror or err}", file=str(options.rejects))
    if options.strict:
        raise_if_rejected(report)


def load_arrow(paths: str | Path | Sequence[str | Path], options: LoadOptions | None = None) -> Loaded:
    """:func:`load` without the conversion to pandas: ``Loaded(arrow_table, report)``."""
    options = options or LoadOptions()
    mapping, sheet, metrics_only = options.header_map, options.sheet, options.metrics_only
    created_range = options.created_range
    if isinstance(paths, str | Path):
        paths = [paths]
    datasets = [location(p) for p in paths if is_dataset(p)]
    exports = [p for p in paths if not is_dataset(p)]
    files = expand_paths(exports) if exports or not datasets else []
    message_files = expand_paths(options.messages) if options.messages else []
    files, message_files = split_messages(files, message_files, mapping, sheet, options.limits)
    report = LoadReport()
    parts, rejects = [], []
    offset = 0
    if options.as_of_version is not None and len(datasets) != 1:
        raise UsageError("reads one dataset: give one dataset folder", parameter="as_of_version",
                         value=options.as_of_version)
    versions = {}
    for root in datasets:  # already normalised and deduplicated: read, not parsed
        columns = None
        if metrics_only:  # ids only matter when rows from elsewhere may duplicate these (update times also give
            # the approximate response times) and when a messages export is matched to them by id
            alone = len(datasets) == 1 and not files and not message_files
            columns = [c for c in CANONICAL if c not in PII and not (alone and c == "reach_out_id")]
        elif not options.pii:
            columns = [c for c in CANONICAL if c not in PII]
        stored, snapshot = load_dataset(root, columns, created_range,
                                        dictionary=metrics_only or options.categories or bool(files)
                                        or len(datasets) > 1,
                                        version=options.as_of_version,
                                        large_text=len(datasets) == 1 and not files and not message_files)
        versions[str(root)] = snapshot.version
        n = stored.num_rows
        parts.append(stored.append_column("_order", pa.array(np.arange(offset, offset + n, dtype=np.int64))))
        report.files.append(str(root))
        report.rows_read += n
        offset += n
        if stored.column("opened").null_count == n and created_range is not None:
            # the rows of the range say nothing about opens: the dataset's other rows may (then Opens is 0)
            report.opens_source = "dataset" if has_open_info(snapshot) else report.opens_source
    report.dataset_version = next(iter(versions.values())) if len(versions) == 1 else (versions or None)
    parts += normalized_chunks(files, options, report, rejects, offset)
    if not report.files:
        raise InputError("no reach-out export among the inputs (only messages exports)",
                         file=str(message_files[0]) if message_files else None)
    table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    if table.column("opened").null_count < table.num_rows:
        report.opens_source = "dataset" if not files else "reach-out export"
    if files or len(parts) > 1:  # (one dataset alone holds one row per reach out already)
        table, report.duplicates_collapsed = collapse_arrow(table)
    events = None
    if message_files:
        opens = read_opens(message_files, rejects, sheet, options.limits)
        table = opens.apply(table, report)
        opens.finish(table.column("reach_out_id"), report, table)
        events = opens.locate(table)
    table = responded_at_fallback(table, report)
    report.rejects = (pd.concat(rejects, ignore_index=True) if rejects
                      else pd.DataFrame(columns=REJECT_COLUMNS))
    report.rows_rejected = int(report.rejects["file"].isin(report.files).sum())
    report.rows_loaded = table.num_rows
    if not options.pii:  # (an export's were read: left out here, as a dataset's are)
        table = _without_pii(table)
    return Loaded(table.select(list(CANONICAL)), report, events)


def _without_pii(table: pa.Table) -> pa.Table:
    """``table`` with its prospect names and emails all missing."""
    for name in PII:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), pa.nulls(table.num_rows, table.schema.field(i).type))
    return table


def responded_at_fallback(table: pa.Table, report: LoadReport) -> pa.Table:
    """Responded reach outs in state Responded (2) without a response time take their Updated At (the CRM
    updates a reach out when it records the response) where it is not before creation: approximate, and
    counted in ``report.responded_at_from_updated_at``."""
    responded_at = table.column("responded_at")
    if responded_at.null_count == 0:
        return table
    use = pc.and_(pc.and_(pc.is_null(responded_at), pc.equal(table.column("state"), RESPONDED)),
                  pc.greater_equal(table.column("updated_at"), table.column("created_at")))
    use = pc.fill_null(use, False)
    report.responded_at_from_updated_at = int(pc.sum(use).as_py() or 0)
    if not report.responded_at_from_updated_at:
        return table
    filled = pc.if_else(use, table.column("updated_at"), responded_at)
    return table.set_column(table.schema.get_field_index("responded_at"), "responded_at", filled)


