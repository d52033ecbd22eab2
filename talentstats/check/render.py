"""`talentstats check`: the findings as a text report or one JSON document.

The text report shows export values (file names, ids, campaigns, reasons) with control characters written
visibly (:func:`talentstats.present.formats.terminal_text`): an ESC byte or a newline in a campaign name cannot
colour, move or fake a line of the report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from talentstats.check.events import REASONS
from talentstats.check.result import CheckResult
from talentstats.present.formats import terminal_text


def render_check(result: CheckResult, fmt: str = "table", fail_on: Sequence[str] = ()) -> str:
    """The findings as a text report (``table``) or one JSON document (``json``).

    Args:
        result: the findings.
        fmt: ``table`` or ``json``.
        fail_on: the finding kinds that fail the check (marked in the report).

    Returns:
        The report; in the text form every line is printable (control characters shown as escapes).
    """
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
    return "\n".join(terminal_text(line) for line in out) + "\n"



def _names(files: Sequence[str], shown: int = 6) -> str:
    more = f" ... and {len(files) - shown} more" if len(files) > shown else ""
    return ", ".join(files[:shown]) + more



def _item_lines(kind: str, items: Sequence[Mapping[str, Any]]) -> list[str]:
    if items and "created" in items[0]:  # reach-out rows: aligned columns
        cells = [[terminal_text(c) for c in (i["reach_out_id"], i["campaign"] or "(no campaign)", i["state"],
                                              "created " + i["created"])] for i in items]
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
    if kind == "contradicting_events":
        times = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in item["times"].items() if v)
        return f"{item['reach_out_id']}: {'; '.join(REASONS[r] for r in item['contradictions'])} ({times})"
    if kind == "stale_campaigns":
        return f"{item['campaign']}: last reach out created {item['last_created']} ({item['reach_outs']:,} in all)"
    return str(dict(item))
