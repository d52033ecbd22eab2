"""`talentstats check`: each finding, computed from one load (vectorised; items listed up to a limit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.check.events import contradicting_events
from talentstats.check.result import STALE_DAYS, TEXT_COLUMNS, Finding
from talentstats.dataset.snapshot import is_dataset
from talentstats.load.accounting import Loaded, reject_kinds
from talentstats.load.columns import ALIASES
from talentstats.load.guards import DEFAULT
from talentstats.load.headers import match_headers
from talentstats.load.limits import Limits
from talentstats.load.read import read_raw
from talentstats.load.values import clean_text, parse_response_type
from talentstats.stats.metrics import responded_expr
from talentstats.stats.states import STATES


def all_findings(loaded: Loaded, now: pd.Timestamp, as_of: dt.date | None, tz: str,
                 mapping: Mapping[str, str] | None, sheet: str | int | None, limit: int,
                 unreadable: Sequence[Mapping[str, str]], limits: Limits = DEFAULT) -> list[Finding]:
    """Every finding, in the order of :data:`~talentstats.check.result.KINDS`."""
    table, report = loaded
    responded = nw.from_native(table, eager_only=True).select(responded=responded_expr())["responded"].to_native()
    return [
        _unreadable(unreadable, limit),
        _rejected(report.rejects, limit),
        _duplicates(report, mapping, sheet, limit, limits),
        _case_ids(table, limit),
        _interested_not_responded(table, responded, tz, limit),
        _responded_without_open(table, responded, tz, limit),
        _future(table, now, tz, limit),
        contradicting_events(loaded, tz, limit),
        _stale(table, as_of, tz, limit),
        _unmatched(report),
        _merged_spellings(report, mapping, sheet, limit, limits),
    ]


def _unreadable(unreadable: Sequence[Mapping[str, str]], limit: int) -> Finding:
    n = len(unreadable)
    if not n:
        return Finding("unreadable", "Unreadable files", 0, "Every file could be read.")
    return Finding("unreadable", "Unreadable files", n, f"{n:,} file(s) cannot be read at all and are left out of "
                   f"every other finding:", [dict(u) for u in unreadable[:limit]], max(n - limit, 0))



def _rejected(rejects: pd.DataFrame, limit: int) -> Finding:
    n = len(rejects)
    items = [{"file": str(r["file"]), "line": int(r["line"]), "column": None if pd.isna(r["column"]) else
              str(r["column"]), "reason": str(r["reason"])} for _, r in rejects.head(limit).iterrows()]
    if not n:
        return Finding("rejected", "Rejected rows", 0, "Every row could be read.")
    parts = "; ".join(f"{k} ({v:,})" for k, v in reject_kinds(rejects).items())
    return Finding("rejected", "Rejected rows", n, f"{n:,} row(s) could not be read and are left out: {parts}.",
                   items, n - len(items))



def _duplicates(report: Any, mapping: Mapping[str, str] | None, sheet: str | int | None, limit: int,
                limits: Limits = DEFAULT) -> Finding:
    n = report.duplicates_collapsed
    if not n:
        return Finding("duplicates", "Duplicate reach outs", 0, "Every reach out appears once.")
    frames = []
    rejected = set(zip(report.rejects["file"].astype(str), report.rejects["line"].astype(int), strict=True))
    for path in _exports(report.files):
        raw = read_raw(path, sheet, limits)
        found = match_headers(raw.table.column_names, ALIASES, mapping)
        col = raw.table.column(found["reach_out_id"])
        ids = col.to_pandas().astype("str").str.strip()
        lines = raw.lines(np.arange(raw.table.num_rows))
        frames.append(pd.DataFrame({"file": path, "line": lines, "id": ids}))
    occ = pd.concat(frames, ignore_index=True)
    occ = occ[occ["id"].notna() & (occ["id"] != "")]
    if rejected:
        occ = occ[[(f, ln) not in rejected for f, ln in zip(occ["file"], occ["line"], strict=True)]]
    dup = occ[occ["id"].duplicated(keep=False)]
    groups = dup.groupby("id", sort=False)
    items = []
    for rid, g in list(groups)[:limit]:
        items.append({"reach_out_id": rid, "rows": len(g),
                      "where": [f"{Path(f).name}:{ln}" for f, ln in zip(g["file"], g["line"], strict=True)]})
    ids = groups.ngroups
    return Finding("duplicates", "Duplicate reach outs", n,
                   f"{ids:,} reach out(s) appear in more than one row; {n:,} extra row(s) collapsed (the row "
                   f"with the latest update, else the last, is kept).", items, ids - len(items))



def _case_ids(table: pd.DataFrame, limit: int) -> Finding:
    lower = table["reach_out_id"].str.lower()
    clash = table.loc[lower.duplicated(keep=False), "reach_out_id"]
    groups = clash.groupby(lower[clash.index], sort=False)
    items = [{"reach_out_ids": list(g)} for _, g in list(groups)[:limit]]
    n = int(groups.ngroups)
    if not n:
        return Finding("case_ids", "Ids differing only in case", 0, "No two ids differ only in letter case.")
    return Finding("case_ids", "Ids differing only in case", n,
                   f"{n:,} group(s) of ids differ only in letter case; ids are case-sensitive, so they count as "
                   f"different reach outs - check the exports agree.", items, n - len(items))



def _row_items(rows: pd.DataFrame, tz: str, limit: int) -> list[dict[str, Any]]:
    return [{"reach_out_id": r.reach_out_id, "campaign": r.campaign, "state": STATES.get(int(r.state), r.state),
             "created": r.created_at.tz_convert(tz).strftime("%Y-%m-%d %H:%M")}
            for r in rows.head(limit).itertuples(index=False)]



def _interested_not_responded(table: pd.DataFrame, responded: pd.Series, tz: str, limit: int) -> Finding:
    rows = table[(table["response_type"] == "Interested") & ~responded]
    n = len(rows)
    title = "Interested but not responded"
    if not n:
        return Finding("interested_not_responded", title, 0, "Every reach out marked Interested has a response.")
    return Finding("interested_not_responded", title, n,
                   f"{n:,} reach out(s) are marked Interested without a response (no Response Via, state not "
                   f"Responded): they do not count as Interested.", _row_items(rows, tz, limit), max(n - limit, 0))



def _responded_without_open(table: pd.DataFrame, responded: pd.Series, tz: str, limit: int) -> Finding:
    title = "Responded without an open"
    if table["opened"].isna().all():
        return Finding("responded_without_open", title, None,
                       "Not checked: the exports carry no open information (pass --messages).")
    rows = table[responded & ~table["opened"].fillna(False).astype(bool)]
    n = len(rows)
    if not n:
        return Finding("responded_without_open", title, 0, "Every responded reach out has a tracked open.")
    share = n / max(int(responded.sum()), 1)
    return Finding("responded_without_open", title, n,
                   f"{n:,} responded reach out(s) ({share:.0%} of responses) have no tracked open - normal when "
                   f"images are blocked, suspicious if the share is high.", _row_items(rows, tz, limit),
                   max(n - limit, 0))



def _future(table: pd.DataFrame, now: pd.Timestamp, tz: str, limit: int) -> Finding:
    rows = table[table["created_at"] > now].sort_values("created_at", ascending=False)
    n = len(rows)
    when = now.tz_convert(tz).strftime("%Y-%m-%d %H:%M")
    if not n:
        return Finding("future", "Created in the future", 0, f"No reach out is created after {when} {tz}.")
    return Finding("future", "Created in the future", n,
                   f"{n:,} reach out(s) are created after now ({when} {tz}): a clock or time-zone error "
                   f"(naive times read in the wrong --source-tz?).", _row_items(rows, tz, limit), max(n - limit, 0))



def _stale(table: pd.DataFrame, as_of: dt.date | None, tz: str, limit: int) -> Finding:
    title = "Campaigns without recent reach outs"
    if as_of is None:
        return Finding("stale_campaigns", title, 0, "No reach outs to check.")
    since = as_of - dt.timedelta(days=STALE_DAYS - 1)
    local = table["created_at"].dt.tz_convert(tz)
    past = local.dt.date <= as_of
    last = local[past].groupby(table.loc[past, "campaign"]).max()
    total = table.loc[past, "campaign"].value_counts()
    stale = last[last.dt.date < since].sort_values(ascending=False)
    items = [{"campaign": c or "(none)", "last_created": ts.strftime("%Y-%m-%d"), "reach_outs": int(total[c])}
             for c, ts in list(stale.items())[:limit]]
    n = len(stale)
    window = f"{since.isoformat()} – {as_of.isoformat()}"
    if not n:
        return Finding("stale_campaigns", title, 0, f"Every campaign has reach outs created in {window}.")
    return Finding("stale_campaigns", title, n,
                   f"{n:,} of {len(last):,} campaign(s) have no reach out created in the 4 weeks {window} "
                   f"(ended, paused, or missing from this export?).", items, n - len(items))



def _unmatched(report: Any) -> Finding:
    title = "Messages without their reach out"
    if report.messages is None:
        return Finding("unmatched_messages", title, None, "Not checked: no messages export.")
    n = report.messages.unmatched_messages
    if not n:
        return Finding("unmatched_messages", title, 0, "Every message belongs to a loaded reach out.")
    return Finding("unmatched_messages", title, n,
                   f"{n:,} message(s) belong to reach outs not in the reach-out exports (a partial export?).")



def _exports(files: Sequence[str]) -> list[str]:
    """The export files among the files of a load (a dataset was normalised when it was ingested: no raw rows)."""
    return [f for f in files if not is_dataset(f)]


def _spellings_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["column", "raw", "rows", "file", "line"])


def _spellings(path: str, sheet: str | int | None, mapping: Mapping[str, str] | None,
               limits: Limits = DEFAULT) -> pd.DataFrame:
    """Each distinct raw value of the text columns of one export: its count and first line."""
    raw = read_raw(path, sheet, limits)
    found = match_headers(raw.table.column_names, ALIASES, mapping)
    frames = []
    for column in TEXT_COLUMNS:
        if column not in found:
            continue
        enc = pc.dictionary_encode(raw.table.column(found[column]).cast(pa.string())).combine_chunks()
        codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)
        values = enc.dictionary.to_pylist()
        ok = codes >= 0
        counts = np.bincount(codes[ok], minlength=len(values))
        first = np.full(len(values), -1, dtype=np.int64)
        rows = np.nonzero(ok)[0]
        first[codes[rows][::-1]] = rows[::-1]  # the first row of each value (the last write wins)
        frames.append(pd.DataFrame({"column": column, "raw": values, "rows": counts, "file": path,
                                    "line": raw.lines(first) if len(values) else np.zeros(0, np.int64)}))
    return pd.concat(frames, ignore_index=True) if frames else _spellings_empty()



def _merged_spellings(report: Any, mapping: Mapping[str, str] | None, sheet: str | int | None,
                      limit: int, limits: Limits = DEFAULT) -> Finding:
    title = "Spellings merged by the text rule"
    spell = pd.concat([_spellings(p, sheet, mapping, limits) for p in _exports(report.files)]
                      or [_spellings_empty()], ignore_index=True)
    if len(spell):
        cleaned = [parse_response_type(v) if c == "response_type" else clean_text(v)
                   for c, v in zip(spell["column"], spell["raw"], strict=True)]  # (distinct values, not rows)
        spell["value"] = [v or "" for v in cleaned]
        spell = spell[spell["value"] != ""]
        per = spell.groupby(["column", "value", "raw"], sort=False).agg(rows=("rows", "sum"), file=("file", "first"),
                                                                        line=("line", "first")).reset_index()
        kinds = per.groupby(["column", "value"], sort=False)["raw"].transform("size")
        per = per[kinds > 1].sort_values(["column", "value", "rows"], ascending=[True, True, False], kind="stable")
    else:
        per = spell
    groups = list(per.groupby(["column", "value"], sort=False)) if len(per) else []
    n = len(groups)
    if not n:
        return Finding("merged_spellings", title, 0, "No two raw spellings of a name were merged.")
    items = [{"column": col, "value": value,
              "spellings": [{"raw": r.raw, "rows": int(r.rows), "first": f"{Path(r.file).name}:{int(r.line)}"}
                            for r in g.itertuples(index=False)]}
             for (col, value), g in groups[:limit]]
    return Finding("merged_spellings", title, n,
                   f"{n:,} value(s) are written in more than one raw spelling (surrounding or invisible spaces, "
                   f"Unicode forms, response-type aliases) and are counted as one:", items, n - len(items))
