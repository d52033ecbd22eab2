"""``talentstats check``: data-quality findings about exports, without computing any statistics.

Findings (each a *kind* that ``--fail-on`` can name):

============================  ===================================================================================
unreadable                    files that cannot be read at all (the one-line error each); the others are checked
rejected                      rows that could not be read, with file, line, column and reason
duplicates                    reach outs exported more than once (the loader keeps the latest update)
case_ids                      ids equal but for letter case ("RO-7" / "ro-7"): kept as two reach outs
interested_not_responded      marked Interested without a response: not counted as Interested
responded_without_open        responded but no tracked open (a reply does not imply an open; pixels get blocked)
future                        created after the moment of the check (clock or time-zone errors)
stale_campaigns               campaigns with no reach out created in the 4 weeks up to the data's newest date
unmatched_messages            messages whose reach out is not in the reach-out exports
merged_spellings              raw spellings of one campaign, sender, response via or response type that the text
                              rule merged ("Sales" / "Sales " / "Sales\\u00a0" -> "Sales"), with counts and lines
============================  ===================================================================================

"Stale" is measured from the newest creation date in the data that is not in the future (``as_of``), not from
today: an export looked at a week after it was taken would otherwise call every campaign stale, and a
mistyped 2099 date would too. The window is the 28 days ending on ``as_of`` (in the ``tz`` given).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from talentstats.errors import InputError, UsageError
from talentstats.load.accounting import Loaded
from talentstats.load.columns import ALIASES
from talentstats.load.headers import match_headers
from talentstats.load.read import expand_paths, read_raw
from talentstats.load.values import clean_text, parse_response_type
from talentstats.stats.states import STATES

KINDS: tuple[str, ...] = ("unreadable", "rejected", "duplicates", "case_ids", "interested_not_responded",
                          "responded_without_open", "future", "stale_campaigns", "unmatched_messages",
                          "merged_spellings")
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
        raise UsageError(f"--fail-on {unknown[0]!r}: choose from {', '.join(KINDS)} or all")
    return kinds


# --------------------------------------------------------------------------------------------- findings


def load_readable(files: Sequence[Path], messages: Sequence[Path] | None, load: Callable[..., Loaded],
                  ) -> tuple[Loaded, list[dict[str, str]]]:
    """``load(files, messages)``, leaving out each file that fails with an error naming it (and trying again),
    so one broken export does not hide the findings of the others. Returns the load and the unreadable files
    with their errors; when no file can be read, the first error is raised."""
    files, messages = list(expand_paths(files)), list(expand_paths(messages)) if messages else []
    unreadable: list[dict[str, str]] = []
    first: InputError | None = None
    while True:
        try:
            return load(files, messages or None), unreadable
        except InputError as err:
            bad = next((f for f in (*files, *messages) if err.file is not None and str(f) == str(err.file)), None)
            if bad is None:
                raise
            first = first or err
            unreadable.append({"file": str(bad), "error": str(err)})
            files = [f for f in files if f != bad]
            messages = [f for f in messages if f != bad]
            if not files:
                raise first


def check_loaded(loaded: Loaded, *, inputs: Sequence[str | Path] = (), mapping: Mapping[str, str] | None = None,
                 sheet: str | int | None = None, tz: str = "UTC", now: dt.datetime | None = None,
                 limit: int = 10, unreadable: Sequence[Mapping[str, str]] = ()) -> CheckResult:
    """Every finding about a load. ``inputs``: every file or folder given (reach outs and messages), to name the
    messages exports; ``mapping``/``sheet`` as used for loading (the duplicate pass rereads the ids);
    ``unreadable``: files left out of the load, as :func:`load_readable` gives them."""
    table, report = loaded
    now = now or dt.datetime.now(dt.UTC)
    now_ts = pd.Timestamp(now).tz_convert("UTC") if pd.Timestamp(now).tzinfo else pd.Timestamp(now, tz="UTC")
    responded = table["response_via"].notna() | (table["state"] == 2)
    past = table.loc[table["created_at"] <= now_ts, "created_at"]
    as_of = past.max().tz_convert(tz).date() if len(past) else None
    findings = [
        _unreadable(unreadable, limit),
        _rejected(report.rejects, limit),
        _duplicates(report, mapping, sheet, limit),
        _case_ids(table, limit),
        _interested_not_responded(table, responded, tz, limit),
        _responded_without_open(table, responded, tz, limit),
        _future(table, now_ts, tz, limit),
        _stale(table, as_of, tz, limit),
        _unmatched(report),
        _merged_spellings(report, mapping, sheet, limit),
    ]
    skipped = {u["file"] for u in unreadable}
    message_files = [str(p) for p in expand_paths(inputs) if str(p) not in report.files and str(p) not in skipped] \
        if inputs else []
    return CheckResult(files=list(report.files), message_files=message_files, load=report.as_dict(),
                       opens_source=report.opens_source, as_of=as_of, now=now_ts.to_pydatetime(), tz=tz,
                       findings=findings)


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
    kinds = rejects["reason"].str.replace(r" '.*'$", "", regex=True)
    by = (rejects["column"].fillna("").astype(str) + ": " + kinds).value_counts()
    parts = "; ".join(f"{k} ({v:,})" for k, v in by.items())
    return Finding("rejected", "Rejected rows", n, f"{n:,} row(s) could not be read and are left out: {parts}.",
                   items, n - len(items))


def _duplicates(report: Any, mapping: Mapping[str, str] | None, sheet: str | int | None, limit: int) -> Finding:
    n = report.duplicates_collapsed
    if not n:
        return Finding("duplicates", "Duplicate reach outs", 0, "Every reach out appears once.")
    frames = []
    rejected = set(zip(report.rejects["file"].astype(str), report.rejects["line"].astype(int), strict=True))
    for path in report.files:
        raw = read_raw(path, sheet)
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


def _spellings(path: str, sheet: str | int | None, mapping: Mapping[str, str] | None) -> pd.DataFrame:
    """Each distinct raw value of the text columns of one export: its count and first line."""
    raw = read_raw(path, sheet)
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
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["column", "raw", "rows", "file", "line"])


def _merged_spellings(report: Any, mapping: Mapping[str, str] | None, sheet: str | int | None,
                      limit: int) -> Finding:
    title = "Spellings merged by the text rule"
    spell = pd.concat([_spellings(p, sheet, mapping) for p in report.files], ignore_index=True)
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


# --------------------------------------------------------------------------------------------- output


def render_check(result: CheckResult, fmt: str = "table", fail_on: Sequence[str] = ()) -> str:
    """The findings as a text report (``table``) or one JSON document (``json``)."""
    if fmt == "json":
        return json.dumps(result.as_dict(fail_on), ensure_ascii=False, indent=2) + "\n"
    load = result.load
    out = [f"Checked {len(result.files)} reach-out export(s): {_names(result.files)}"]
    if result.message_files:
        out.append(f"  and {len(result.message_files)} messages export(s): {_names(result.message_files)}")
    out.append(f"  {load['rows_read']:,} rows read: {load['rows_loaded']:,} reach outs loaded, "
               f"{load['rows_rejected']:,} rejected, {load['duplicates_collapsed']:,} duplicate rows collapsed")
    if load.get("messages"):
        m = load["messages"]
        out.append(f"  messages: {m['rows_read']:,} rows read, {m['rows_loaded']:,} loaded, {m['rows_rejected']:,} "
                   f"rejected, {m['duplicates_collapsed']:,} duplicates")
    out.append(f"  opens from: {result.opens_source or 'nowhere (no open information)'}")
    as_of = result.as_of.isoformat() if result.as_of else "no data"
    out.append(f"  data as of {as_of} (newest reach out created, {result.tz}); checked "
               f"{result.now.strftime('%Y-%m-%d %H:%M')} UTC")
    out.append("")
    width = max(len(f.title) for f in result.findings)
    out.append(f"  {'':2}{'finding':<{width}}  {'count':>9}  kind")
    for f in result.findings:
        mark = "--" if f.count is None else ("ok" if f.count == 0 else "!!")
        count = "n/a" if f.count is None else f"{f.count:,}"
        flag = "  <- fails (--fail-on)" if f.kind in fail_on and f.count else ""
        out.append(f"  {mark} {f.title:<{width}}  {count:>9}  {f.kind}{flag}")
    for f in result.findings:
        if not f.count and f.count is not None:
            continue
        out.append("")
        out.append(f"{f.title}: {f.summary}")
        out += ["  " + line for line in _item_lines(f.kind, f.items)]
        if f.more:
            out.append(f"  ... and {f.more:,} more (--limit N to show more)")
    failed = result.found(fail_on)
    out.append("")
    unreadable = result.found(["unreadable"])
    if unreadable:
        out.append("FAILED: some files could not be read (exit 2)" + (f"; --fail-on findings: {', '.join(failed)}"
                                                                     if failed else ""))
    elif fail_on:
        out.append(f"FAILED: {', '.join(failed)} (--fail-on)" if failed else
                   f"passed: no {', '.join(fail_on)} findings")
    else:
        found = [f.kind for f in result.findings if f.count]
        out.append(f"{len(found)} kind(s) of findings" + (f": {', '.join(found)}" if found else "") +
                   " (exit 0: use --fail-on KIND,... to fail on them)")
    return "\n".join(out) + "\n"


def _names(files: Sequence[str], shown: int = 6) -> str:
    more = f" ... and {len(files) - shown} more" if len(files) > shown else ""
    return ", ".join(files[:shown]) + more


def _item_lines(kind: str, items: Sequence[Mapping[str, Any]]) -> list[str]:
    if items and "created" in items[0]:  # reach-out rows: aligned columns
        cells = [[i["reach_out_id"], i["campaign"] or "(no campaign)", str(i["state"]), "created " + i["created"]]
                 for i in items]
        widths = [max(len(c[k]) for c in cells) for k in range(3)]
        return ["  ".join(c[k].ljust(widths[k]) if k < 3 else c[k] for k in range(4)) for c in cells]
    return [_item_text(kind, i) for i in items]


def _visible(text: str) -> str:
    """Quoted text with every invisible or non-printing character written as an escape ("Sales\\u00a0")."""
    inner = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text.replace("\\", "\\\\"))
    return f'"{inner}"'


def _item_text(kind: str, item: Mapping[str, Any]) -> str:
    if kind == "unreadable":
        return item["error"]
    if kind == "rejected":
        col = f" column {item['column']!r}:" if item["column"] else ""
        return f"{item['file']}:{item['line']}:{col} {item['reason']}"
    if kind == "duplicates":
        return f"{item['reach_out_id']}: {item['rows']} rows ({', '.join(item['where'])})"
    if kind == "case_ids":
        return " / ".join(item["reach_out_ids"])
    if kind == "merged_spellings":
        shown = " / ".join(f"{_visible(sp['raw'])} ({sp['rows']:,}, {sp['first']})"
                           for sp in item["spellings"])
        return f"{item['column']}: {shown} -> {_visible(item['value'])}"
    if kind == "stale_campaigns":
        return f"{item['campaign']}: last reach out created {item['last_created']} ({item['reach_outs']:,} in all)"
    return str(dict(item))
