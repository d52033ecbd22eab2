"""The machinery of tests/test_routes.py: generated Reach Out exports, an independent oracle, and the routes.

Three parts, each usable alone:

* **Generation** - :class:`Case` is one export as its writer meant it: logical :class:`Record` rows (raw text
  values with their whitespace, NBSP, zero-width and NFD decorations, states, instants, duplicates, broken rows),
  a :class:`Dialect` (file format, delimiter, encoding, quoting, header aliases, column order, how states, times
  and opens are spelled) and the questions to ask (range, time zone, group keys, a week). :func:`cases` is the
  Hypothesis strategy; :func:`write_case` writes the files.
* **The oracle** - :func:`expected` applies docs/metrics.md to the records in plain Python, without any
  talentstats code: the text rule (NFC, invisible characters removed, surrounding Unicode whitespace stripped),
  the duplicate rule, "responded", the five statistics and their rates, unknown opens.
* **Routes** - every way a user gets the numbers, each a function ``ctx -> [(Query, Result)]`` registered with
  :func:`route` in :data:`ROUTES`. :func:`check_case` runs them all on one case and lists every difference.

A new route is one more decorated function here; it is then part of every case of the test. It yields the
questions it answered (``ctx.case.queries()``: all of them; ``ctx.case.focus_query()``: the one) with its answers,
and may assert more (a route that raises fails like one that answers wrong)::

    @route("stats --engine newengine")
    def new_engine(ctx: Context) -> Iterable[tuple[Query, Result]]:
        q = ctx.case.focus_query()
        yield q, run_json(stats_args(ctx.inputs.files, ctx.inputs, q, "--engine", "newengine"), q)

(``slow=True`` for a route that starts something heavy: it then runs in a test of its own on a few cases.)
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import io
import json
import math
import random
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

# ============================================================================================= the rules (oracle)

COUNTS = ("reach_outs", "in_progress", "opens", "responses", "interested", "hard_bounced")
RATES = ("open_rate", "response_rate", "interested_rate", "interested_of_responses", "bounce_rate")
METRICS = COUNTS + RATES
#: the columns of CSV output: each rate followed by its 95 % Wilson interval
OUTPUT_COLUMNS = tuple(c for m in METRICS for c in ((m, f"{m}_low", f"{m}_high") if m in RATES else (m,)))
RATE_PARTS = {"open_rate": ("opens", "reach_outs"), "response_rate": ("responses", "reach_outs"),
              "interested_rate": ("interested", "reach_outs"), "interested_of_responses": ("interested", "responses"),
              "bounce_rate": ("hard_bounced", "reach_outs")}


def wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, from its formula (docs/metrics.md), in plain Python."""
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(x * (n - x) / n + z * z / 4) / (n + z * z)
    return max(0.0, centre - half), min(1.0, centre + half)

#: removed wherever they stand (zero-width space, word joiner, byte-order mark)
INVISIBLE = "\u200b\u2060\ufeff"
#: stripped from both ends, besides every Unicode whitespace character (zero-width non-joiner and joiner)
EDGE_ONLY = "\u200c\u200d"
_EDGES = re.compile(rf"^[\s{EDGE_ONLY}]+|[\s{EDGE_ONLY}]+$")

HARD_BOUNCED, RESPONDED, CANCELED = 1, 2, 5

#: documented spellings of the two response classes (docs/metrics.md), compared after the text rule
INTERESTED_SPELLINGS = ("Interested", "interested", "INTERESTED", "thumbs up", ":+1:", "Interested (👍)", "👍",
                        "👍🏽")
NOT_INTERESTED_SPELLINGS = ("Not Interested", "not interested", "thumbs down", ":-1:", "Not Interested (👎)", "👎")
OTHER_TYPES = ("Maybe", "Out of office", "Referral")
RESPONSE_CLASS = {**{s: "Interested" for s in INTERESTED_SPELLINGS},
                  **{s: "Not Interested" for s in NOT_INTERESTED_SPELLINGS}}


def clean(value: str | None) -> str:
    """The text rule of docs/metrics.md for campaign, sender, response via and response type: invisible
    characters removed, NFC, surrounding Unicode whitespace (NBSP too) and zero-width (non-)joiners stripped.
    Missing is "" (blank)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", "".join(c for c in value if c not in INVISIBLE))
    return _EDGES.sub("", text)


def response_class(value: str | None) -> str | None:
    """Canonical response type: "Interested" / "Not Interested" for a documented spelling, else the cleaned
    text; None when blank."""
    text = clean(value)
    if not text:
        return None
    return RESPONSE_CLASS.get(text, text)


# ============================================================================================= generation

BASE = dt.datetime(2026, 4, 6, tzinfo=dt.UTC)  # a Monday
WEEKS = 27  # 2026-04-06 .. 2026-10-11: no DST change in the source zones, so every naive local time exists once
HOURS = WEEKS * 7 * 24
SOURCE_ZONES = ("UTC", "Europe/Berlin")
REPORT_ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "Europe/Berlin")

FORMATS = ("csv", "csv;", "tsv", "csv|", "csv-bom", "csv.gz", "csv-cp1252", "csv-utf16", "txt", "xlsx", "parquet",
           "jsonl", "jsonl.gz", "folder", "files")
#: formats of two exports: a folder of two CSV files; a CSV file and a JSON Lines file named one after the other
SPLIT_FORMATS = ("folder", "files")

#: campaign and sender names (NFC); "" is the blank name. Names stay distinct under the text rule.
CAMPAIGNS = ("Sales", "Café Zürich", "Backend, Berlin", 'Say "hi"; now', "Data  Science", "Data Science",
             "Ωmega Team", "-Ops", "Müller & Söhne", "", "Rekrutacja Łódź", "東京 エンジニア", "Sales EU")
SENDERS = ("ann@x.io", "Bo Ström", "José Núñez", "", "priya@acme.example", "Zoë Åberg", "Łukasz")
VIAS = (None, "", "", "Email Reply", "LinkedIn", "Manually Marked")

#: decorations around a value (the first is none); the cp1252-safe ones come first
SAFE_EDGES = ("", " ", "  ", "\t", "\u00a0", " \u00a0", "\n")
EDGES = SAFE_EDGES + ("\u2003", "\u3000", "\u200b", "\ufeff", "\u200c", "\u200d", "\u2060", "\u00a0\u200b ")

HEADERS = {
    "reach_out_id": ("Reach Out ID", "Email Thread ID", "thread_id", "REACH-OUT ID"),
    "campaign": ("Campaign", "Campaign Name", "sequence"),
    "sender": ("Sender", "Sent By", "owner"),
    "state": ("State", "Status", "Email Thread State"),
    "created_at": ("Created At", "Created", "created_date", "Date Created"),
    "updated_at": ("Updated At", "Last Updated", "modified"),
    "response_via": ("Response Via", "Responded Via", "replied_via"),
    "response_type": ("Response Type", "Sentiment", "Reply Type"),
    "opened": ("Opened", "was_opened"),
    "open_count": ("Open Count", "Opens", "Times Opened"),
    "opened_at": ("Opened At", "First Opened", "last_opened_at"),
}
STATE_LABELS = {0: "In Progress", 1: "Hard Bounced", 2: "Responded", 3: "Completed", 4: "Paused", 5: "Canceled",
                6: "Undone", 7: "Paused By Auth Loss", 8: "Prevented", 9: "Pending"}

Pick = Callable[[int], int]  # pick(n): an integer in [0, n); 0 is the simplest choice


def safe_text(text: str, encoding: str | None) -> bool:
    if encoding is None:
        return True
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


@dataclass(frozen=True)
class Record:
    """One export row as its writer meant it (raw text values; instants in UTC)."""

    id: str
    campaign: str | None
    sender: str | None
    state: int
    created: dt.datetime
    updated: dt.datetime | None
    via: str | None
    rtype: str | None
    opened: bool
    bad: str | None = None  # None, or how the row is broken: "state", "id" or "created" (it is rejected)


@dataclass(frozen=True)
class Dialect:
    """How the records are written."""

    fmt: str = "csv"
    headers: tuple[tuple[str, str], ...] = tuple((k, v[0]) for k, v in HEADERS.items())
    order_seed: int = 0
    state: str = "label"  # code | float | label | label_code | mixed (codes and labels)
    label_case: str = "as is"  # as is | lower | upper
    time: str = "z"  # z | offset | naive | typed (date cells, timestamp columns)
    source_tz: str = "UTC"
    opens: str = "none"  # none | flag | count | opened_at | messages
    flag_words: tuple[str, str] = ("yes", "no")
    updated: bool = False
    extra: bool = False  # prospect columns and a column no alias knows
    quote_all: bool = False
    crlf: bool = False
    partial_opens: bool = False  # a folder whose second file has no open column (its reach outs: opens unknown)

    @property
    def encoding(self) -> str | None:
        return "cp1252" if self.fmt == "csv-cp1252" else None

    def opens_unknown(self, index: int, rows: int) -> bool:
        """Whether the export says nothing about the opens of row ``index`` (of ``rows``)."""
        if self.opens == "none":
            return True
        partial = self.partial_opens and self.fmt in SPLIT_FORMATS and self.opens in ("flag", "count", "opened_at")
        return partial and index >= rows // 2


@dataclass(frozen=True)
class Query:
    """One question: statistics of reach outs created on [start, end] in ``tz``, by ``keys``."""

    start: dt.date
    end: dt.date
    tz: str
    keys: tuple[str, ...] = ()
    week: str | None = None  # the ISO week label when [start, end] is that week

    def __str__(self) -> str:
        span = self.week or f"{self.start}..{self.end}"
        return f"{span} {self.tz} by {','.join(self.keys) or '-'}"


@dataclass(frozen=True)
class Case:
    """One generated export and the questions every route is asked about it."""

    records: tuple[Record, ...]
    dialect: Dialect = Dialect()
    tz: str = "UTC"
    start: dt.date = BASE.date()
    end: dt.date = BASE.date() + dt.timedelta(days=WEEKS * 7 - 1)
    bys: tuple[tuple[str, ...], ...] = ((), ("campaign",), ("sender",), ("campaign", "week"))
    focus: tuple[str, ...] = ("campaign",)
    week: dt.date = BASE.date()  # Monday of the weekly report's week
    label: str = ""

    def queries(self) -> list[Query]:
        """Every question of the case: the range by each of ``bys``, and the week by campaign (with its total)."""
        return [Query(self.start, self.end, self.tz, keys) for keys in self.bys] + [self.week_query()]

    def focus_query(self) -> Query:
        """The one question asked of the routes that are asked one."""
        return Query(self.start, self.end, self.tz, self.focus)

    def week_query(self) -> Query:
        iso = self.week.isocalendar()
        return Query(self.week, self.week + dt.timedelta(days=6), self.tz, ("campaign",),
                     f"{iso.year}-W{iso.week:02d}")

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # (how Hypothesis prints a falsifying example)
        p.text(repr(self))

    def __repr__(self) -> str:
        groups = {(clean(r.campaign), clean(r.sender)) for r in self.records if r.bad is None}
        head = (f"Case({self.label + ': ' if self.label else ''}{len(self.records)} rows, {len(groups)} groups, "
                f"{self.dialect!r}, tz={self.tz!r}, range={self.start}..{self.end}, bys={self.bys}, "
                f"focus={self.focus}, week={self.week}")
        if len(self.records) <= 30:
            return head + ", records=[\n  " + ",\n  ".join(map(repr, self.records)) + "])"
        return head + ", records: too many to show; see the files the failure message names)"


def decorate(pick: Pick, base: str, safe: bool) -> str:
    """``base`` as an export may spell it: surrounding whitespace / NBSP / zero-width characters, NFD, an
    invisible character inside. Half the time as is."""
    if pick(2) == 0:
        return base
    edges = SAFE_EDGES if safe else EDGES
    lead, trail = edges[pick(len(edges))], edges[pick(len(edges))]
    text = base
    if not safe:
        if pick(2):
            text = unicodedata.normalize("NFD", text)
        if len(text) > 1 and pick(3) == 0:
            at = 1 + pick(len(text) - 1)
            text = text[:at] + INVISIBLE[pick(len(INVISIBLE))] + text[at:]
    return lead + text + trail


def _name(pick: Pick, names: Sequence[str], index: int | None, safe: bool) -> str | None:
    base = names[pick(len(names)) if index is None else index]
    if base == "" and pick(2):
        return None  # a missing value (an empty CSV field, a JSON null)
    return decorate(pick, base, safe)


def _via(pick: Pick, safe: bool) -> str | None:
    base = VIAS[pick(len(VIAS))]
    return None if base is None else decorate(pick, base, safe)


def _rtype(pick: Pick, encoding: str | None) -> str | None:
    kind = pick(6)
    if kind in (0, 1):
        return None if kind == 0 else decorate(pick, ("", " ", "\u00a0")[pick(3)], encoding is not None)
    spellings = {2: INTERESTED_SPELLINGS, 3: INTERESTED_SPELLINGS, 4: NOT_INTERESTED_SPELLINGS, 5: OTHER_TYPES}[kind]
    spellings = [s for s in spellings if safe_text(s, encoding)]
    return decorate(pick, spellings[pick(len(spellings))], encoding is not None)


def _instant(pick: Pick) -> dt.datetime:
    return BASE + dt.timedelta(hours=pick(HOURS), seconds=pick(3600))


def reach_out(pick: Pick, number: int, campaigns: Sequence[str], senders: Sequence[str], dialect: Dialect,
              campaign: int | None = None, sender: int | None = None) -> list[Record]:
    """The rows of one reach out: usually one, sometimes copies (the same id, other values; the duplicate rule
    decides), sometimes a broken row. With ``campaign`` and ``sender`` given: one good row of that group."""
    safe = dialect.encoding is not None
    created = _instant(pick)
    rid = f"RO-{number:05d}"
    out = []
    cover = campaign is not None
    for copy in range(1 if cover else 1 + (0, 0, 0, 0, 1, 2)[pick(6)]):
        if copy and pick(4) == 0:
            created = _instant(pick)
        bad = (None,) * 17 + ("state", "id", "created")
        bad_kind = None if cover else bad[pick(len(bad))]
        ident = (rid, rid, f" {rid}", f"{rid}\t")[pick(4)] if copy else rid
        if bad_kind == "id":
            ident = ("", "  ")[pick(2)]
        hours = pick(5)
        out.append(Record(
            id=ident,
            campaign=_name(pick, campaigns, campaign if copy == 0 else None, safe),
            sender=_name(pick, senders, sender if copy == 0 else None, safe),
            state=pick(10),
            created=created,
            updated=None if hours == 4 else created + dt.timedelta(hours=hours * 7),
            via=_via(pick, safe),
            rtype=_rtype(pick, dialect.encoding),
            opened=bool(pick(2)),
            bad=bad_kind,
        ))
    return out


def name_pool(names: Sequence[str], n: int, rotate: int, generic: str, encoding: str | None) -> list[str]:
    """``n`` distinct names: the special ones (rotated) that the encoding can write, then generic ones."""
    special = [s for s in names if safe_text(s, encoding)]
    special = special[rotate % len(special):] + special[:rotate % len(special)]
    return (special + [f"{generic} {k:03d}" for k in range(n)])[:n]


def bulk_records(rng: random.Random, count: int, first_number: int, campaigns: Sequence[str],
                 senders: Sequence[str], dialect: Dialect) -> list[Record]:
    """``count`` reach outs from a seeded generator; the first ones cover every campaign x sender pair."""
    pick: Pick = rng.randrange
    out: list[Record] = []
    pairs = len(campaigns) * len(senders)
    for i in range(count):
        c, s = (i % len(campaigns), i // len(campaigns)) if i < pairs else (None, None)
        out += reach_out(pick, first_number + i, campaigns, senders, dialect, c, s)
    return out


def dialects(formats: Sequence[str] = FORMATS) -> st.SearchStrategy[Dialect]:
    """Every way of writing an export that the loader reads."""
    return st.builds(
        Dialect,
        fmt=st.sampled_from(tuple(formats)),
        headers=st.tuples(*[st.tuples(st.just(k), st.sampled_from(v)) for k, v in HEADERS.items()]),
        order_seed=st.integers(0, 10_000),
        state=st.sampled_from(("code", "float", "label", "label_code", "mixed")),
        label_case=st.sampled_from(("as is", "lower", "upper")),
        time=st.sampled_from(("z", "offset", "naive", "typed")),
        source_tz=st.sampled_from(SOURCE_ZONES),
        opens=st.sampled_from(("none", "flag", "count", "opened_at", "messages")),
        flag_words=st.sampled_from((("yes", "no"), ("true", "false"), ("1", "0"), ("TRUE", ""))),
        updated=st.booleans(),
        extra=st.booleans(),
        quote_all=st.booleans(),
        crlf=st.booleans(),
        partial_opens=st.booleans(),
    )


OTHER_BYS = (("week",), ("day",), ("month",), ("state",), ("response_via",), ("response_type",),
             ("sender", "week"), ("campaign", "sender"), ("week", "campaign"))


@st.composite
def cases(draw: Any, max_groups: int = 500, max_rows: int = 1000, formats: Sequence[str] = FORMATS) -> Case:
    """A generated export: a dialect, 1 to ``max_groups`` campaign x sender groups, a few reach outs drawn one
    by one (shrinkable) and up to ``max_rows`` more from a seeded generator, in any order; and the questions."""
    dialect = draw(dialects(formats))
    n_campaigns = draw(st.integers(1, 25))
    n_senders = draw(st.integers(1, max(1, min(20, max_groups // n_campaigns))))
    rotate = draw(st.integers(0, 20))
    campaigns = name_pool(CAMPAIGNS, n_campaigns, rotate, "Campaign", dialect.encoding)
    senders = name_pool(SENDERS, n_senders, rotate, "sender", dialect.encoding)
    pick: Pick = lambda n: draw(st.integers(0, n - 1)) if n > 1 else 0  # noqa: E731
    drawn = draw(st.integers(0, 12))
    records: list[Record] = []
    for number in range(drawn):
        records += reach_out(pick, number, campaigns, senders, dialect)
    if dialect.fmt == "xlsx":  # (openpyxl is slow: smaller sheets)
        max_rows = min(max_rows, 150)
    groups = n_campaigns * n_senders
    bulk = draw(st.integers(0 if drawn else 1, max(1, min(max_rows, groups + groups // 2))))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    records += bulk_records(rng, bulk, drawn, campaigns, senders, dialect)
    order = draw(st.sampled_from(("shuffled", "as generated", "newest first")))
    if order == "shuffled":
        rng.shuffle(records)
    elif order == "newest first":
        records.sort(key=lambda r: r.created, reverse=True)

    tz = draw(st.sampled_from(REPORT_ZONES))
    first, last = BASE.date(), BASE.date() + dt.timedelta(days=WEEKS * 7 - 1)
    span = draw(st.sampled_from(("all", "week", "days", "week", "days", "beyond")))
    if span == "all":
        start, end = first, last
    elif span == "week":
        start = first + dt.timedelta(weeks=draw(st.integers(0, WEEKS - 1)))
        end = start + dt.timedelta(days=6)
    elif span == "days":
        start = first + dt.timedelta(days=draw(st.integers(-2, WEEKS * 7)))
        end = start + dt.timedelta(days=draw(st.integers(0, 60)))
    else:  # partly or (rarely) wholly outside the data
        start = last - dt.timedelta(days=draw(st.integers(-3, 20)))
        end = start + dt.timedelta(days=draw(st.integers(0, 40)))
    bys = ((), ("campaign",), ("sender",), ("campaign", "week"), draw(st.sampled_from(OTHER_BYS)))
    focus = draw(st.sampled_from(bys))
    week = first + dt.timedelta(weeks=draw(st.integers(0, WEEKS - 1)))
    return Case(tuple(records), dialect, tz, start, end, bys, focus, week)


# --------------------------------------------------------------------------------------------- fixed cases


def issue_case() -> Case:
    """Issue 10's two rows: a whitespace-only Response Via beside an empty one."""
    at = dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC)
    records = (Record("W1", "C", "s@x", 2, at, None, "  ", None, False),
               Record("W2", "C", "s@x", 3, at, None, "", None, False))
    return Case(records, Dialect(), "UTC", at.date(), at.date() + dt.timedelta(days=6),
                week=at.date(), label="issue 10's two rows")


def docs_case() -> Case:
    """The worked example of docs/metrics.md, written as a CSV with an Opened column."""
    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)

    rows = [("r1", "Backend", 2, at(16, 9), "Email Reply", "Interested", True),
            ("r2", "Backend", 3, at(16, 10), None, None, True),
            ("r3", "Backend", 8, at(17, 11), "Manually Marked", "Not Interested", False),
            ("r4", "Backend", 0, at(18, 12), None, "Interested", True),
            ("r5", "Design", 1, at(19, 8), None, None, False),
            ("r6", "Design", 2, at(20, 16), "  ", "Interested", False),
            ("r7", "Design", 5, at(21, 9), None, None, False),
            ("r8", "Design", 4, at(22, 23, 30), None, None, True),
            ("r9", "Design", 3, at(23, 0, 10), None, None, False)]
    records = tuple(Record(i, c, "", s, t, None, v, rt, o) for i, c, s, t, v, rt, o in rows)
    return Case(records, Dialect(opens="flag"), "UTC", dt.date(2026, 11, 16), dt.date(2026, 11, 22),
                week=dt.date(2026, 11, 16), label="docs/metrics.md worked example")


def spellings_case() -> Case:
    """Two campaigns spelled nine ways, one sender two ways, the CRM's "Interested (👍)"."""
    at = BASE + dt.timedelta(hours=10)
    names = ("Sales", "Sales ", "Sales\u00a0", "\u200bSales", " Sales\ufeff", "Cafe\u0301", "Café", "Café\u2060 ",
             "Cafe\u200b\u0301\u3000")
    types = ("Interested (👍)", "👍", " Interested", "Not Interested (👎)", "Interested\u00a0", None, "Maybe", "👍🏽",
             "\u200dthumbs up")
    records = tuple(Record(f"S{i}", n, ("Bo Ström", "Bo Stro\u0308m ")[i % 2], (2, 8, 3, 0)[i % 4],
                           at + dt.timedelta(hours=i), None, ("Email Reply", "  ", "\u00a0", None)[i % 4],
                           types[i], bool(i % 3))
                    for i, n in enumerate(names))
    return Case(records, Dialect(opens="count"), "UTC", BASE.date(), BASE.date() + dt.timedelta(days=6),
                bys=((), ("campaign",), ("sender",), ("campaign", "week"), ("response_type",)),
                focus=("campaign",), week=BASE.date(), label="spellings")


def partial_opens_case() -> Case:
    """A folder of two exports, the second without an Opened column, holding a newer copy of a reach out that the
    first says was opened: the newer copy wins, so its opens are unknown (on every route, ingest included)."""
    at = BASE + dt.timedelta(hours=10)
    later = at + dt.timedelta(hours=5)
    records = (Record("A", "C", "s", 3, at, at, None, None, True),  # first file
               Record("B", "C", "s", 3, at, at, None, None, False),
               Record("A", "C", "s", 3, at, later, None, None, False),  # second file, no Opened column
               Record("D", "E", "s", 0, at, at, None, None, True))
    return Case(records, Dialect(fmt="folder", opens="flag", updated=True, partial_opens=True), "UTC", BASE.date(),
                BASE.date() + dt.timedelta(days=6), label="opens known in one file of two")


def big_case(groups: tuple[int, int] = (25, 20), seed: int = 0) -> Case:
    """25 campaigns x 20 senders = 500 groups (by default), 1.5 reach outs per group from a seeded generator,
    shuffled; opens from a messages export."""
    dialect = Dialect(fmt="csv", opens="messages", updated=True)
    campaigns = name_pool(CAMPAIGNS, groups[0], 0, "Campaign", None)
    senders = name_pool(SENDERS, groups[1], 0, "sender", None)
    rng = random.Random(seed)
    records = bulk_records(rng, groups[0] * groups[1] * 3 // 2, 0, campaigns, senders, dialect)
    rng.shuffle(records)
    return Case(tuple(records), dialect, "Europe/Berlin", BASE.date(), BASE.date() + dt.timedelta(days=WEEKS * 7 - 1),
                focus=("campaign", "week"), week=BASE.date() + dt.timedelta(weeks=5),
                label=f"{groups[0] * groups[1]} groups")


# ============================================================================================= writing


@dataclass(frozen=True)
class Inputs:
    """What a route is given: the export paths, the messages exports and the source time zone."""

    files: tuple[Path, ...]
    messages: tuple[Path, ...] = ()
    source_tz: str = "UTC"
    folder: Path = Path(".")


def _state_value(code: int, d: Dialect, i: int) -> str | int:
    style = d.state if d.state != "mixed" else ("code", "label")[i % 2]
    label = STATE_LABELS[code] if not (code == 5 and i % 3 == 0) else "Cancelled"
    label = {"as is": label, "lower": label.lower(), "upper": label.upper()}[d.label_case]
    return {"code": code, "float": f"{code}.0", "label": label, "label_code": f"{label} ({code})"}[style]


def stamp_text(instant: dt.datetime, d: Dialect, i: int) -> str:
    """An instant as an export spells it in this dialect (text)."""
    if d.time == "offset":
        offset = dt.timedelta(minutes=(-300, 60, 330, 540, 0)[i % 5])
        return instant.astimezone(dt.timezone(offset)).isoformat()
    if d.time == "naive":
        return instant.astimezone(ZoneInfo(d.source_tz)).strftime("%Y-%m-%d %H:%M:%S")
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def export_rows(case: Case) -> list[dict[str, Any]]:
    """The records as rows of header -> value (text, or typed where the dialect has typed cells: int states,
    datetime instants, bool flags); None is a missing value."""
    d = case.dialect
    h = dict(d.headers)
    rows = []
    for i, r in enumerate(case.records):
        row: dict[str, Any] = {
            h["reach_out_id"]: r.id,
            h["campaign"]: r.campaign,
            h["sender"]: r.sender,
            h["state"]: "Lost" if r.bad == "state" else _state_value(r.state, d, i),
            h["created_at"]: "not a date" if r.bad == "created" else r.created,
            h["response_via"]: r.via,
            h["response_type"]: r.rtype,
        }
        if d.updated:
            row[h["updated_at"]] = r.updated
        if d.opens == "flag":
            row[h["opened"]] = (r.opened if d.flag_words == ("true", "false")
                                else d.flag_words[0 if r.opened else 1])
        elif d.opens == "count":
            row[h["open_count"]] = 1 + i % 3 if r.opened else (0 if i % 2 else None)
        elif d.opens == "opened_at":
            row[h["opened_at"]] = r.created + dt.timedelta(hours=2) if r.opened else ("" if i % 2 else "never")
        if d.extra:
            row["Prospect Name"] = f"Person {i}"
            row["Prospect Email"] = f"p{i}@mail.example"
            row["Internal Notes"] = ("", "call back", "=HYPERLINK(x)")[i % 3]
        rows.append(row)
    names = sorted(rows[0], key=lambda k: zlib.crc32(f"{k}/{d.order_seed}".encode())) if rows else []
    return [{k: row.get(k) for k in names} for row in rows]


def _as_text(value: Any, d: Dialect, i: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return stamp_text(value, d, i)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(path: Path, rows: list[dict[str, Any]], d: Dialect, header: Sequence[str]) -> None:
    delimiter = {"csv;": ";", "tsv": "\t", "csv|": "|"}.get(d.fmt, ",")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if d.crlf else "\n",
                   quoting=csv.QUOTE_ALL if d.quote_all else csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows([[_as_text(v, d, i) for v in row.values()] for i, row in enumerate(rows)])
    text = buf.getvalue()
    if d.fmt == "csv-cp1252":
        data = text.encode("cp1252")
    elif d.fmt == "csv-utf16":
        data = text.encode("utf-16")  # with its byte-order mark
    else:
        data = (b"\xef\xbb\xbf" if d.fmt == "csv-bom" else b"") + text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)


def _write_xlsx(path: Path, rows: list[dict[str, Any]], d: Dialect, header: Sequence[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    zone = ZoneInfo(d.source_tz)
    for i, row in enumerate(rows):
        cells = []
        for v in row.values():
            if isinstance(v, dt.datetime):  # a date cell (no zone: read in the source time zone) or text
                v = v.astimezone(zone).replace(tzinfo=None) if d.time in ("typed", "naive") else stamp_text(v, d, i)
            cells.append(v)
        ws.append(cells)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text, as in a real export
    wb.save(path)


def _write_parquet(path: Path, rows: list[dict[str, Any]], d: Dialect, header: Sequence[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = {}
    for k in header:
        values = [r[k] for r in rows]
        kinds = {type(v) for v in values if v is not None}
        if d.time == "typed" and kinds == {dt.datetime}:
            cols[k] = pa.array(values, pa.timestamp("us", tz="UTC"))
        elif kinds == {bool}:
            cols[k] = pa.array(values, pa.bool_())
        elif kinds == {int}:
            cols[k] = pa.array(values, pa.int16())
        else:
            cols[k] = pa.array([None if v is None else _as_text(v, d, i) for i, v in enumerate(values)], pa.string())
    pq.write_table(pa.table(cols), path)


def _write_jsonl(path: Path, rows: list[dict[str, Any]], d: Dialect) -> None:
    lines = []
    for i, row in enumerate(rows):
        out = {k: stamp_text(v, d, i) if isinstance(v, dt.datetime) else v for k, v in row.items()}
        lines.append(json.dumps(out, ensure_ascii=bool(d.order_seed % 2)) + "\n")
    data = "".join(lines).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)


def write_messages(path: Path, case: Case) -> None:
    """A per-message export: 1-3 messages per reach out id, one of them opened when any row of the id says so."""
    opened: dict[str, bool] = {}
    for r in case.records:
        if r.id.strip():
            opened[r.id.strip()] = opened.get(r.id.strip(), False) or r.opened
    created = {r.id.strip(): r.created for r in case.records}
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Message ID", "Reach Out ID", "Opened At"])
    for n, (rid, was_opened) in enumerate(opened.items()):
        for step in range(1 + n % 3):
            hit = was_opened and step == n % 3
            stamp = (created[rid] + dt.timedelta(hours=step + 1)).strftime("%Y-%m-%dT%H:%M:%SZ") if hit else ""
            w.writerow([f"m{n}-{step}", rid, stamp])
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_case(case: Case, folder: Path) -> Inputs:
    """Write the export (and messages export) of ``case`` under ``folder``."""
    d = case.dialect
    rows = export_rows(case)
    header = list(rows[0]) if rows else []
    folder.mkdir(parents=True, exist_ok=True)
    if d.fmt in SPLIT_FORMATS:  # the first half of the rows in one file, the rest in another (read in that order)
        target = folder / "exports"
        target.mkdir()
        cut = len(rows) // 2
        _write_csv(target / "part-1.csv", rows[:cut], d, header)
        if d.opens != "none" and d.opens_unknown(cut, len(rows)):  # the second file without its open column
            known = dict(d.headers)[{"flag": "opened", "count": "open_count", "opened_at": "opened_at"}[d.opens]]
            header = [k for k in header if k != known]
            rows = [{k: v for k, v in row.items() if k != known} for row in rows]
        if d.fmt == "folder":
            _write_csv(target / "part-2.csv", rows[cut:], d, header)
            files: tuple[Path, ...] = (target,)
        else:
            _write_jsonl(target / "part-2.jsonl", rows[cut:], d)
            files = (target / "part-1.csv", target / "part-2.jsonl")
    else:
        name = {"tsv": "export.tsv", "csv.gz": "export.csv.gz", "txt": "export.txt", "xlsx": "export.xlsx",
                "parquet": "export.parquet", "jsonl": "export.jsonl", "jsonl.gz": "export.jsonl.gz"}.get(d.fmt,
                                                                                                       "export.csv")
        path = folder / name
        if d.fmt == "xlsx":
            _write_xlsx(path, rows, d, header)
        elif d.fmt == "parquet":
            _write_parquet(path, rows, d, header)
        elif d.fmt.startswith("jsonl"):
            _write_jsonl(path, rows, d)
        else:
            _write_csv(path, rows, d, header)
        files = (path,)
    messages: tuple[Path, ...] = ()
    if d.opens == "messages":
        write_messages(folder / "messages.csv", case)
        messages = (folder / "messages.csv",)
    source_tz = d.source_tz if d.time in ("naive", "typed") else "UTC"
    return Inputs(files, messages, source_tz, folder)


# ============================================================================================= the oracle


@dataclass(frozen=True)
class Reach:
    """A loaded reach out, as docs/metrics.md defines its values."""

    campaign: str
    sender: str
    state: int
    created: dt.datetime
    via: str | None
    rtype: str | None
    opened: bool | None


@dataclass(frozen=True)
class Accounting:
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    duplicates_collapsed: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def loaded(case: Case) -> tuple[list[Reach], Accounting]:
    """The reach outs a load must give: broken rows rejected, then one row per id (stripped): the latest
    updated_at wins (unknown counts as oldest; without the column, none is known), else the last row."""
    d = case.dialect
    good = [(i, r) for i, r in enumerate(case.records) if r.bad is None]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    winners: dict[str, tuple[tuple[dt.datetime, int], Record]] = {}
    for i, r in good:
        rank = ((r.updated or oldest) if d.updated else oldest, i)
        rid = r.id.strip()
        if rid not in winners or rank > winners[rid][0]:
            winners[rid] = (rank, r)
    any_opened: dict[str, bool] = {}
    for r in case.records:
        any_opened[r.id.strip()] = any_opened.get(r.id.strip(), False) or r.opened
    out = []
    for rid, ((_, i), r) in winners.items():
        opened = any_opened[rid] if d.opens == "messages" else \
            None if d.opens_unknown(i, len(case.records)) else r.opened
        out.append(Reach(clean(r.campaign), clean(r.sender), r.state, r.created, clean(r.via) or None,
                         response_class(r.rtype), opened))
    acc = Accounting(len(case.records), len(winners), len(case.records) - len(good), len(good) - len(winners))
    return out, acc


def responded(r: Reach) -> bool:
    return r.via is not None or r.state == RESPONDED


def key_value(r: Reach, key: str, tz: str) -> Any:
    day = r.created.astimezone(ZoneInfo(tz)).date()
    if key == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    if key == "day":
        return day.isoformat()
    if key == "month":
        return f"{day:%Y-%m}"
    return {"campaign": r.campaign, "sender": r.sender, "state": r.state, "response_via": r.via,
            "response_type": r.rtype}[key]


def statistics(rows: Sequence[Reach], has_info: bool) -> dict[str, Any]:
    n = len(rows)
    resp = [r for r in rows if responded(r)]
    in_progress = sum(1 for r in rows if not responded(r) and r.state not in (HARD_BOUNCED, CANCELED))
    interested = sum(1 for r in resp if r.rtype == "Interested")
    unknown = any(r.opened is None for r in rows) or (n == 0 and not has_info)
    opens = None if unknown else sum(1 for r in rows if r.opened)

    def rate(num: int | None, den: int) -> float | None:
        return None if num is None or den == 0 else num / den

    bounced = sum(1 for r in rows if r.state == HARD_BOUNCED)
    return {"reach_outs": n, "in_progress": in_progress, "opens": opens, "responses": len(resp),
            "interested": interested, "hard_bounced": bounced, "open_rate": rate(opens, n),
            "response_rate": rate(len(resp), n), "interested_rate": rate(interested, n),
            "interested_of_responses": rate(interested, len(resp)), "bounce_rate": rate(bounced, n)}


@dataclass
class Result:
    """What a route answered: rows as (group key tuple, statistics) in the route's order (None when the route
    shows no rows), the total (None when it shows none) and the load accounting (None when not shown)."""

    rows: list[tuple[tuple, dict[str, Any]]] | None
    total: dict[str, Any] | None
    load: dict[str, int] | None = None


def expected(case: Case, query: Query, reaches: list[Reach] | None = None,
             where: Callable[[Reach], bool] | None = None) -> Result:
    """The oracle's answer to ``query`` (only the reach outs ``where`` accepts, when given)."""
    if reaches is None:
        reaches = loaded(case)[0]
    has_info = any(r.opened is not None for r in reaches if where is None or where(r))
    zone = ZoneInfo(query.tz)
    chosen = [r for r in reaches if query.start <= r.created.astimezone(zone).date() <= query.end
              and (where is None or where(r))]
    groups: dict[tuple, list[Reach]] = {}
    for r in chosen:
        groups.setdefault(tuple(key_value(r, k, query.tz) for k in query.keys), []).append(r)
    rows = [(k, statistics(v, has_info)) for k, v in groups.items()] if query.keys else None
    return Result(rows, statistics(chosen, has_info))


# ============================================================================================= comparing


def plain(v: Any) -> Any:
    """A route's value as a plain Python value: None for every kind of missing, ints, floats, str."""
    if v is None:
        return None
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.date().isoformat()
    except ImportError:  # pragma: no cover
        pass
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _metrics(d: dict[str, Any]) -> dict[str, Any]:
    return {m: plain(d.get(m, "<missing>")) for m in METRICS}


def compare(want: Result, got: Result, limit: int = 3) -> list[str]:
    """Every difference between the oracle's answer and a route's (at most ``limit`` group differences)."""
    problems = []
    if got.total is not None and _metrics(got.total) != want.total:
        problems.append(f"total: got {_diff(_metrics(got.total), want.total)}")
    if got.load is not None and want.load is not None and got.load != want.load:
        problems.append(f"load: got {got.load}, expected {want.load}")
    if got.rows is not None and want.rows is not None:
        seen: dict[tuple, dict] = {}
        for key, stats in got.rows:
            key = tuple(plain(k) for k in key)
            if key in seen:
                problems.append(f"group {key!r} appears more than once")
            seen[key] = _metrics(stats)
        wanted = dict(want.rows)
        missing = [k for k in wanted if k not in seen]
        extra = [k for k in seen if k not in wanted]
        if missing:
            problems.append(f"{len(missing)} group(s) missing, e.g. {missing[:3]!r}")
        if extra:
            problems.append(f"{len(extra)} unexpected group(s), e.g. {extra[:3]!r}")
        wrong = [k for k in wanted if k in seen and seen[k] != wanted[k]]
        for k in wrong[:limit]:
            problems.append(f"group {k!r}: got {_diff(seen[k], wanted[k])}")
        if len(wrong) > limit:
            problems.append(f"... and {len(wrong) - limit} more groups differ")
    return problems


def _diff(got: dict[str, Any], want: dict[str, Any]) -> str:
    return ", ".join(f"{m}={got.get(m)!r} (expected {want.get(m)!r})" for m in METRICS
                     if got.get(m) != want.get(m)) or "(same)"


# ============================================================================================= routes


@dataclass
class Context:
    """One case on disk, as the routes see it (the dataset is ingested once, when a route first asks)."""

    case: Case
    inputs: Inputs
    reaches: list[Reach]
    accounting: Accounting
    _dataset: Path | None = field(default=None, repr=False)

    def dataset(self) -> Path:
        """``talentstats ingest FILE --into DIR`` (once); its load report must account for every row."""
        if self._dataset is None:
            root = self.inputs.folder / "dataset"
            code, out, err = cli("ingest", *self.inputs.files, *_messages(self.inputs), "--source-tz",
                                 self.inputs.source_tz, "--into", root, "--format", "json")
            assert code == 0, f"ingest exited {code}: {err.strip()}"
            load = {k: v for k, v in json.loads(out)["load"].items() if k in Accounting.__annotations__}
            assert load == self.accounting.as_dict(), f"ingest load report {load} != {self.accounting.as_dict()}"
            self._dataset = root
        return self._dataset


RouteFn = Callable[[Context], Iterable[tuple[Query, Result]]]


@dataclass(frozen=True)
class Route:
    name: str
    run: RouteFn
    slow: bool = False  # started engines (Dask, Spark): run on a few cases only


ROUTES: list[Route] = []


def route(name: str, slow: bool = False) -> Callable[[RouteFn], RouteFn]:
    """Register ``fn(ctx) -> [(query, result), ...]`` as a route every case goes through."""

    def register(fn: RouteFn) -> RouteFn:
        ROUTES.append(Route(name, fn, slow))
        return fn

    return register


def cli(*args: Any) -> tuple[int, str, str]:
    """``talentstats ARGS`` in this process: (exit code, stdout, stderr). Exceptions escape (a traceback)."""
    from talentstats.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as ex:
            code = ex.code if isinstance(ex.code, int) else (0 if ex.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def _messages(inputs: Inputs) -> list[Any]:
    return [a for m in inputs.messages for a in ("--messages", m)]


def stats_args(sources: Sequence[Any], inputs: Inputs, q: Query, *extra: Any, messages: bool = True) -> list[Any]:
    span = ["--week", q.week] if q.week else ["--start", q.start, "--end", q.end]
    by = ["--by", ",".join(q.keys)] if q.keys else []
    return ["stats", *sources, *(_messages(inputs) if messages else []), "--source-tz", inputs.source_tz,
            "--tz", q.tz, *span, *by, *extra]


def _json_result(out: str, q: Query, with_load: bool = True) -> Result:
    doc = json.loads(out)
    rows = [(tuple(r[k] for k in q.keys), r) for r in doc["rows"]] if q.keys else None
    load = {k: doc["load"][k] for k in Accounting.__annotations__} if with_load else None
    return Result(rows, doc["total"], load)


def run_json(args: Sequence[Any], q: Query, with_load: bool = True) -> Result:
    code, out, err = cli(*args, "--format", "json")
    assert code == 0, f"exit {code}: {err.strip()}"
    return _json_result(out, q, with_load)


@route("stats --format json")
def stats_json(ctx: Context) -> Iterable[tuple[Query, Result]]:
    """The plain command, as users run it most: every question of the case (the week one with --week)."""
    for q in ctx.case.queries():
        yield q, run_json(stats_args(ctx.inputs.files, ctx.inputs, q), q)


@route("stats --rejects")
def stats_rejects(ctx: Context) -> Iterable[tuple[Query, Result]]:
    q = ctx.case.focus_query()
    path = ctx.inputs.folder / "rejects.csv"
    result = run_json(stats_args(ctx.inputs.files, ctx.inputs, q, "--rejects", path), q)
    with open(path, newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == ctx.accounting.rows_rejected, f"{len(written)} rows in the --rejects file"
    yield q, result


@route("stats --strict")
def stats_strict(ctx: Context) -> Iterable[tuple[Query, Result]]:
    q = ctx.case.focus_query()
    code, out, err = cli(*stats_args(ctx.inputs.files, ctx.inputs, q, "--strict"), "--format", "json")
    if ctx.accounting.rows_rejected:
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out[:200], err)
        return
    assert code == 0, f"exit {code}: {err.strip()}"
    yield q, _json_result(out, q)


def _unsafe(text: str) -> str:
    """Undo the spreadsheet guard of CSV output (a quote before = + - @ tab CR)."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_key(key: str, text: str) -> Any:
    text = _unsafe(text)
    if key == "state":
        return int(text)
    if key in ("response_via", "response_type") and text == "":
        return None
    return text


def _csv_number(m: str, text: str) -> Any:
    if text == "":
        return None
    return int(text) if m in COUNTS else float(text)


@route("stats --format csv")
def stats_csv(ctx: Context) -> Iterable[tuple[Query, Result]]:
    q = ctx.case.focus_query()
    code, out, err = cli(*stats_args(ctx.inputs.files, ctx.inputs, q), "--format", "csv")
    assert code == 0, f"exit {code}: {err.strip()}"
    reader = csv.DictReader(io.StringIO(out, newline=""))
    assert reader.fieldnames == [*q.keys, *OUTPUT_COLUMNS], reader.fieldnames
    rows = [(tuple(_csv_key(k, r[k]) for k in q.keys), {m: _csv_number(m, r[m]) for m in METRICS}) for r in reader]
    if q.keys:
        yield q, Result(rows, None)
    else:
        assert len(rows) == 1, rows
        yield q, Result(None, rows[0][1])


def table_total(text: str, keys: Sequence[str]) -> list[str]:
    """The cells of the total line of a ``--format table`` output (the footer; without keys the one row)."""
    lines = text.splitlines()
    border = [i for i, line in enumerate(lines) if line.startswith(("├", "┡"))]
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└"))
    body = [line for line in lines[border[-1] + 1:bottom] if line.startswith("│")]
    cells: list[str] = []
    for line in body:  # a cell wrapped over several lines: its pieces joined
        parts = [p.strip() for p in line.strip("│").split("│")]
        cells = parts if not cells else [f"{a}{b}" for a, b in zip(cells, parts, strict=True)]
    return cells


@route("stats --format table")
def stats_table(ctx: Context) -> Iterable[tuple[Query, Result]]:
    """The terminal table: its total line, as the expected numbers are shown (counts with separators, rates as
    percentages)."""
    from talentstats.present.formats import fmt_rate_interval

    q = ctx.case.focus_query()
    code, out, err = cli(*stats_args(ctx.inputs.files, ctx.inputs, q), "--format", "table")
    assert code == 0, f"exit {code}: {err.strip()}"
    cells = table_total(out, q.keys)
    if q.keys:
        assert cells[0] == "Total", cells
    want = expected(ctx.case, q, ctx.reaches).total
    def rate_text(m: str) -> str:
        num, den = (want[p] for p in RATE_PARTS[m])
        if want[m] is None:
            return fmt_rate_interval(None, None, None)
        return fmt_rate_interval(want[m], *wilson(num, den))

    shown = [("unknown" if want[m] is None else f"{want[m]:,}") if m in COUNTS else rate_text(m) for m in METRICS]
    assert cells[-len(METRICS):] == shown, f"table total {cells[-len(METRICS):]} != {shown}"
    return ()


@route("ingest, then stats DIR")
def stats_dataset(ctx: Context) -> Iterable[tuple[Query, Result]]:
    q = ctx.case.focus_query()
    yield q, run_json(stats_args([ctx.dataset()], ctx.inputs, q, messages=False), q, with_load=False)


def _engine_route(engine: str, dataset: bool, slow: bool = False) -> None:
    def run(ctx: Context) -> Iterable[tuple[Query, Result]]:
        q = ctx.case.focus_query()
        sources = [ctx.dataset()] if dataset else ctx.inputs.files
        yield q, run_json(stats_args(sources, ctx.inputs, q, "--engine", engine, messages=not dataset), q,
                          with_load=not dataset)

    route(f"stats --engine {engine}" + (" DIR" if dataset else ""), slow=slow)(run)


for _engine in ("polars", "duckdb", "dask", "spark"):
    for _dataset in (False, True):
        _engine_route(_engine, _dataset, slow=_engine in ("dask", "spark"))


def _api_load(ctx: Context, **kwargs: Any) -> Any:
    import talentstats as ts

    loaded_ = ts.read_reach_outs(list(ctx.inputs.files), messages=list(ctx.inputs.messages) or None,
                                 source_tz=ctx.inputs.source_tz, **kwargs)
    r = loaded_.report
    load = {"rows_read": r.rows_read, "rows_loaded": r.rows_loaded, "rows_rejected": r.rows_rejected,
            "duplicates_collapsed": r.duplicates_collapsed}
    return loaded_, load


def _frame_rows(frame: Any, keys: Sequence[str]) -> list[tuple[tuple, dict[str, Any]]]:
    from talentstats.stats.metrics import stats_dicts

    return [(tuple(r[k] for k in keys), r) for r in stats_dicts(frame)]


@route("API read_reach_outs + campaign_stats")
def api(ctx: Context) -> Iterable[tuple[Query, Result]]:
    import talentstats as ts

    loaded_, load = _api_load(ctx)
    totals: dict[tuple, dict[str, Any]] = {}
    for q in ctx.case.queries():
        span = (q.start, q.end, q.tz)
        if span not in totals:
            totals[span] = _frame_rows(ts.campaign_stats(loaded_.table, *span), [])[0][1]
        total = totals[span]
        rows = _frame_rows(ts.campaign_stats(loaded_.table, q.start, q.end, q.tz, list(q.keys)), q.keys) \
            if q.keys else None
        yield q, Result(rows, total, load)


@route("API read_reach_outs(metrics_only) + stats_with_total")
def api_metrics_only(ctx: Context) -> Iterable[tuple[Query, Result]]:
    from talentstats.stats.metrics import stats_with_total

    loaded_, load = _api_load(ctx, metrics_only=True)
    known = loaded_.report.opens_source is not None
    for q in ctx.case.queries():
        rows, total = stats_with_total(loaded_.table, q.start, q.end, q.tz, list(q.keys), opens_known=known)
        yield q, Result(_frame_rows(rows, q.keys) if q.keys else None, _frame_rows(total, [])[0][1], load)


#: the group keys the dashboard offers (one at a time)
DASHBOARD_KEYS = ("campaign", "sender", "week", "day", "state")


@route("dashboard")
def dashboard(ctx: Context) -> Iterable[tuple[Query, Result]]:
    """The dashboard's tiles (kpis) for the range, its per-key tables for every question it can answer, and the
    tiles again with one campaign selected."""
    from talentstats.dashboard import Dashboard
    from talentstats.stats.metrics import stats_dicts

    c = ctx.case
    d = Dashboard.from_paths(list(ctx.inputs.files), messages=list(ctx.inputs.messages) or None,
                             source_tz=ctx.inputs.source_tz, tz=c.tz, start=c.start, end=c.end)
    main = Query(c.start, c.end, c.tz)
    yield main, Result(None, d.kpis())
    for q in c.queries():
        if len(q.keys) <= 1 and all(k in DASHBOARD_KEYS for k in q.keys):
            by = q.keys[0] if q.keys else None
            frame = d.stats(by, q.start, q.end)
            yield q, Result(_frame_rows(frame, q.keys) if by else None, stats_dicts(d.stats(None, q.start, q.end))[0])
    if ctx.reaches:  # one campaign selected: the tiles count only its reach outs
        name = max(sorted({r.campaign for r in ctx.reaches}), key=lambda n: sum(r.campaign == n for r in ctx.reaches))
        d.campaigns.value = (name,)
        want = expected(c, main, ctx.reaches, where=lambda r: r.campaign == name)
        problems = compare(want, Result(None, d.kpis()))
        assert not problems, f"campaign {name!r} selected: " + "; ".join(problems)


@route("weekly report")
def weekly(ctx: Context) -> Iterable[tuple[Query, Result]]:
    """The weekly report of the case's week: its headline numbers and its per-campaign table."""
    from talentstats.load.options import LoadOptions
    from talentstats.weekly import WeeklyReport

    q = ctx.case.week_query()
    options = LoadOptions(messages=tuple(ctx.inputs.messages), source_tz=ctx.inputs.source_tz)
    report = WeeklyReport.from_parameters(list(ctx.inputs.files), options, week=q.week, tz=ctx.case.tz)
    assert (report.start, report.end) == (q.start, q.end), (report.start, report.end)
    yield q, Result(_frame_rows(report.stats("campaign"), ["campaign"]), report.headline())


# ============================================================================================= one case


def check_case(case: Case, folder: Path, routes: Sequence[Route]) -> None:
    """Write ``case`` under ``folder``, run every route on it and assert that each gives the oracle's numbers;
    the message lists every route that does not (a route that raises is one that does not)."""
    inputs = write_case(case, folder)
    reaches, accounting = loaded(case)
    ctx = Context(case, inputs, reaches, accounting)
    wanted: dict[Query, Result] = {}
    failures = []
    for r in routes:
        try:
            for q, got in r.run(ctx):
                if q not in wanted:
                    wanted[q] = expected(case, q, reaches)
                    wanted[q].load = accounting.as_dict()
                problems = compare(wanted[q], got)
                if problems:
                    failures.append(f"{r.name} [{q}]: " + "; ".join(problems))
        except Exception as err:  # noqa: BLE001 - a crash is a difference like any other
            message = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
            failures.append(f"{r.name}: {type(err).__name__}: {message}")
    if failures:
        shown = [f if len(f) < 600 else f[:600] + " ..." for f in failures[:40]]
        more = [f"... and {len(failures) - 40} more"] if len(failures) > 40 else []
        raise AssertionError(f"{len(failures)} route answer(s) differ from docs/metrics.md on the export in "
                             f"{folder}:\n  " + "\n  ".join(shown + more))
