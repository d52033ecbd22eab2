"""Reach Out exports of a chosen *shape*, for benchmarks (issue 10): fast, vectorised (numpy + pyarrow), and
independent of talentstats (its own ``talentstats sample`` generator is not used).

A file looks like what the Talent CRM's "Reach Out" export writes: the CRM's own headers ("Reach Out ID",
"Campaign", "Sender", "State", "Created At", "Updated At", "Response Via", "Response Type", optionally
"Opened"), every text value quoted, ISO-8601 UTC timestamps (``2026-11-16T09:00:00Z``). The shape chooses:

- ``campaigns`` × ``weeks`` (the campaign×week groups; rows are spread uniformly, so nearly every group is
  present) and ``senders``;
- ``id_len``: reach out ids of 8 to 40 lowercase hex characters, unique (the last 8 characters carry the row
  number, the others are random);
- ``states``: ``"text"`` labels ("Responded", "In Progress", ...) or numeric ``"code"`` (0..9);
- ``opened``: whether the export has an "Opened" column (``true``/``false``); without it Opens is unknown;
- ``stray``: the fraction of campaign, sender, response via and response type values written with stray
  surrounding whitespace — ASCII spaces and/or a no-break space (U+00A0), nothing else, so a plain ``strip()``
  in any tool removes it; blank response vias are sometimes written as ``" "``, ``"  "`` or ``"\\u00a0"``;
- ``duplicates``: the fraction of extra rows that are stale copies of other reach outs (same id, an earlier
  "Updated At", state In Progress, no response): the latest "Updated At" must win.

Created dates are spread uniformly over the ``weeks`` ISO weeks that end on Sunday :data:`LAST_SUNDAY`;
:func:`date_range` gives the matching ``--start``/``--end``. Campaign names are long, have spaces, some a comma
and an en dash. The data are random but reproducible (``seed``).

    .venv/bin/python benchmarks/shapes.py --rows 100k --campaigns 40 --senders 25 --weeks 104 --out /tmp/x.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a benchmark driver can use shapes and file names without them
    import numpy as np
    import pyarrow as pa

#: the last day of the last week of every generated export (a Sunday)
LAST_SUNDAY = dt.date(2026, 11, 22)
#: part of every cached file's name: bump it when a change here changes the files
VERSION = 1
NBSP = "\u00a0"

#: code -> the CRM's label, and how often each state occurs
STATE_LABELS = ("In Progress", "Hard Bounced", "Responded", "Completed", "Paused", "Canceled", "Undone",
                "Paused By Auth Loss", "Prevented", "Pending")
STATE_WEIGHTS = (0.14, 0.03, 0.10, 0.50, 0.03, 0.05, 0.02, 0.01, 0.09, 0.03)
VIAS = ("Email Reply", "Manually Marked", "LinkedIn Message")
#: P(a response via is recorded) by state code: replies mostly have one; a few other states too (those rows are
#: responded although their state is not Responded)
VIA_P = (0.01, 0.0, 0.85, 0.01, 0.10, 0.02, 0.0, 0.01, 0.90, 0.0)
HEADERS = ("Reach Out ID", "Campaign", "Sender", "State", "Created At", "Updated At", "Response Via",
           "Response Type")

_ROLES = ("Senior Backend Engineer", "Staff Data Scientist", "Product Designer", "Engineering Manager",
          "Site Reliability Engineer", "Frontend Developer (React)", "Machine Learning Engineer",
          "Head of Talent Acquisition", "Mobile Engineer iOS", "Security Analyst")
_PLACES = ("Berlin, DE", "Remote – Europe", "New York City", "London & Manchester", "São Paulo", "Toronto",
           "Amsterdam", "Singapore")
_FIRST = ("anna", "ben", "chloe", "david", "elif", "farid", "grace", "hugo", "ines", "jonas", "kemal", "lena",
          "mateo", "nora", "oscar")
_LAST = ("schmidt", "okafor", "nguyen", "garcia", "kowalski", "rossi", "svensson", "tanaka", "dubois")
_HEX = b"0123456789abcdef"


@dataclass(frozen=True)
class Shape:
    """What an export looks like (not how many rows it has)."""

    campaigns: int = 40
    senders: int = 25
    weeks: int = 104
    id_len: int = 40
    states: str = "text"  # "text" labels or numeric "code"s
    opened: bool = True
    stray: float = 0.02
    duplicates: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 8 <= self.id_len <= 40:
            raise ValueError("id_len must be 8..40")
        if self.states not in ("text", "code"):
            raise ValueError("states must be 'text' or 'code'")
        if self.campaigns < 1 or self.senders < 1 or self.weeks < 1:
            raise ValueError("campaigns, senders and weeks must be at least 1")

    @property
    def label(self) -> str:
        """Short readable name, e.g. ``40c×25s×104w id40 text opened``."""
        extra = [f"stray {self.stray:g}"] if self.stray != Shape.stray else []
        extra += [f"dup {self.duplicates:g}"] if self.duplicates else []
        return " ".join([f"{self.campaigns}c×{self.senders}s×{self.weeks}w", f"id{self.id_len}", self.states,
                         "opened" if self.opened else "no-opened", *extra])

    def slug(self, rows: int) -> str:
        """File name (without suffix) of this shape at ``rows`` reach outs."""
        return (f"v{VERSION}-c{self.campaigns}-s{self.senders}-w{self.weeks}-id{self.id_len}-{self.states}-"
                f"{'op' if self.opened else 'noop'}-st{self.stray:g}-dup{self.duplicates:g}-seed{self.seed}-"
                f"n{rows}")

    def with_(self, **changes: object) -> Shape:
        return replace(self, **changes)  # type: ignore[arg-type]


def date_range(shape: Shape) -> tuple[str, str]:
    """``(start, end)`` (ISO dates, inclusive): the Monday of the first and the Sunday of the last week."""
    first = LAST_SUNDAY - dt.timedelta(days=7 * shape.weeks - 1)
    return first.isoformat(), LAST_SUNDAY.isoformat()


def campaign_names(n: int) -> list[str]:
    """``n`` distinct, long campaign names with spaces (some with a comma, an en dash, an accent)."""
    quarters = ("Q1", "Q2", "Q3", "Q4")
    return [f"{_ROLES[i % len(_ROLES)]} – {_PLACES[(i // len(_ROLES)) % len(_PLACES)]} "
            f"{quarters[i % 4]} {2025 + (i // 4) % 2} outreach #{i + 1:03d}" for i in range(n)]


def sender_names(n: int) -> list[str]:
    """``n`` distinct sender mailboxes."""
    out = []
    for i in range(n):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
        k = i // (len(_FIRST) * len(_LAST))
        out.append(f"{first}.{last}{k or ''}@acme-recruiting.com")
    return out


# --------------------------------------------------------------------------------------------- vectorised text


def _fixed_width(mat: np.ndarray) -> pa.Array:
    """A uint8 matrix (rows × width) of ASCII as an Arrow string array, without per-row Python work."""
    import numpy as np
    import pyarrow as pa

    n, width = mat.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * width)
    if offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)),
                                           pa.py_buffer(np.ascontiguousarray(mat)))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(mat)))


def _digits(mat: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    for k in range(width):
        mat[:, col + width - 1 - k] = 48 + (values // 10**k) % 10


def iso_utc(seconds: np.ndarray) -> pa.Array:
    """Unix seconds as ``YYYY-MM-DDTHH:MM:SSZ`` text (dates from a small lookup table, time by digit arithmetic)."""
    import numpy as np

    days = seconds // 86_400
    lo = int(days.min()) if len(days) else 0
    epoch = dt.date(1970, 1, 1)
    table = np.frombuffer("".join((epoch + dt.timedelta(days=lo + i)).isoformat()
                                  for i in range(int(days.max()) - lo + 1 if len(days) else 1)).encode(),
                        dtype=np.uint8).reshape(-1, 10)
    mat = np.empty((len(seconds), 20), dtype=np.uint8)
    mat[:, :10] = table[days - lo]
    sod = seconds - days * 86_400
    mat[:, 10], mat[:, 13], mat[:, 16], mat[:, 19] = ord("T"), ord(":"), ord(":"), ord("Z")
    _digits(mat, 11, sod // 3600, 2)
    _digits(mat, 14, sod // 60 % 60, 2)
    _digits(mat, 17, sod % 60, 2)
    return _fixed_width(mat)


def hex_ids(n: int, length: int, rng: np.random.Generator, first: int = 0, salt: int = 0) -> pa.Array:
    """Ids of rows ``first`` .. ``first + n - 1``, ``length`` hex characters: random, then 8 characters from the
    scrambled row number (unique for up to 2**32 rows)."""
    import numpy as np

    hexdigits = np.frombuffer(_HEX, dtype=np.uint8)
    mat = np.empty((n, length), dtype=np.uint8)
    if length > 8:
        mat[:, :length - 8] = hexdigits[rng.integers(0, 16, (n, length - 8), dtype=np.uint8)]
    # an odd multiplier and an offset modulo 2**32: a bijection, so the row numbers give distinct ids
    unique = (np.arange(first, first + n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(salt)
              ) % np.uint64(2**32)
    for k in range(8):
        mat[:, length - 1 - k] = hexdigits[((unique >> np.uint64(4 * k)) & np.uint64(15)).astype(np.intp)]
    return _fixed_width(mat)


def _variants(value: str) -> list[str]:
    """The clean spelling first, then stray-whitespace spellings (ASCII spaces and NBSP only)."""
    return [value, f" {value}", f"{value} ", f"{value}{NBSP}", f"{NBSP}{value} ", f"  {value}{NBSP}"]


_NV = len(_variants("x"))


def _texts(values: list[str], index: np.ndarray, stray: float, rng: np.random.Generator,
           null: np.ndarray | None = None) -> pa.Array:
    """``values[index]`` as Arrow text, a ``stray`` fraction of rows spelt with surrounding whitespace; rows in
    ``null`` missing (an empty field)."""
    import numpy as np
    import pyarrow as pa

    dictionary = pa.array([v for value in values for v in _variants(value)], pa.string())
    variant = np.zeros(len(index), dtype=np.int32)
    if stray > 0:
        hit = rng.random(len(index)) < stray
        variant[hit] = rng.integers(1, _NV, int(hit.sum()), dtype=np.int32)
    codes = index.astype(np.int32) * _NV + variant
    arr = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=null), dictionary)
    return arr.cast(pa.string())


# --------------------------------------------------------------------------------------------- the table


#: rows generated (and written) at a time: memory stays small whatever the size
CHUNK = 1_000_000


def make_table(shape: Shape, rows: int, first: int = 0) -> pa.Table:
    """Reach outs ``first`` .. ``first + rows - 1`` of the export (plus ``duplicates`` × rows stale copies of
    some of them, among them in random order) as an Arrow table of text columns. Rows are independent, so an
    export is its chunks one after the other."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng([shape.seed, first])
    salt = int(np.random.default_rng(shape.seed).integers(0, 2**32))
    n = rows
    campaign = rng.integers(0, shape.campaigns, n)
    sender = rng.integers(0, shape.senders, n)
    state = rng.choice(len(STATE_LABELS), n, p=np.array(STATE_WEIGHTS) / sum(STATE_WEIGHTS)).astype(np.int8)
    start = int(dt.datetime.combine(dt.date.fromisoformat(date_range(shape)[0]), dt.time(),
                                    tzinfo=dt.UTC).timestamp())
    created = start + rng.integers(0, shape.weeks * 7 * 86_400, n)
    updated = created + rng.integers(3_600, 30 * 86_400, n)  # at least an hour later (stale copies go between)

    has_via = rng.random(n) < np.asarray(VIA_P)[state]
    via = rng.choice(len(VIAS), n, p=[0.6, 0.25, 0.15])
    responded = has_via | (state == 2)
    # response type: for responses Interested / Not Interested / none; a few unanswered rows marked Interested
    rt = np.where(responded, rng.choice(3, n, p=[0.35, 0.45, 0.20]), rng.choice(3, n, p=[0.02, 0.0, 0.98]))
    opened = rng.random(n) < np.where(responded, 0.7, 0.35)

    k = int(round(n * shape.duplicates))
    if k:  # stale copies: an earlier update, still In Progress, no response, not opened
        src = rng.choice(n, k, replace=False)
        stale_upd = created[src] + (updated[src] - created[src]) // 2
        campaign, sender = np.r_[campaign, campaign[src]], np.r_[sender, sender[src]]
        state = np.r_[state, np.zeros(k, np.int8)]
        created, updated = np.r_[created, created[src]], np.r_[updated, stale_upd]
        has_via, via = np.r_[has_via, np.zeros(k, bool)], np.r_[via, via[src]]
        rt, opened = np.r_[rt, np.full(k, 2)], np.r_[opened, np.zeros(k, bool)]
    total = n + k

    ids = hex_ids(n, shape.id_len, rng, first, salt)
    if k:
        ids = pa.concat_arrays([ids, ids.take(pa.array(src))])

    if shape.states == "text":
        states = pa.DictionaryArray.from_arrays(pa.array(state.astype(np.int32)),
                                                pa.array(STATE_LABELS)).cast(pa.string())
    else:
        states = pa.array(state.astype(np.int64))
    # blank response vias: mostly an empty field, a few whitespace-only values (" ", "  ", NBSP)
    blank_kinds = ["", " ", "  ", NBSP]
    via_values = list(VIAS) + blank_kinds
    blank_kind = np.where(rng.random(total) < shape.stray, rng.integers(1, len(blank_kinds), total), 0)
    via_index = np.where(has_via, via, len(VIAS) + blank_kind)
    via_col = _texts(via_values, via_index, shape.stray, rng, null=~has_via & (blank_kind == 0))
    columns = {
        "Reach Out ID": ids,
        "Campaign": _texts(campaign_names(shape.campaigns), campaign, shape.stray, rng),
        "Sender": _texts(sender_names(shape.senders), sender, shape.stray, rng),
        "State": states,
        "Created At": iso_utc(created),
        "Updated At": iso_utc(updated),
        "Response Via": via_col,
        "Response Type": _texts(["Interested", "Not Interested", ""], rt, shape.stray, rng, null=rt == 2),
    }
    if shape.opened:
        columns["Opened"] = pa.DictionaryArray.from_arrays(pa.array(opened.astype(np.int32)),
                                                           pa.array(["false", "true"])).cast(pa.string())
    table = pa.table(columns)
    # the stale copies among the others (the rows are random already)
    return table.take(pa.array(rng.permutation(total))) if k else table


def generate(shape: Shape, rows: int, path: Path) -> Path:
    """Write the export of ``shape`` with ``rows`` reach outs to ``path`` as CSV, chunk by chunk, atomically
    (a partial file never has the final name)."""
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        writer = None
        for first in range(0, rows, CHUNK):
            table = make_table(shape, min(CHUNK, rows - first), first)
            if writer is None:
                writer = pacsv.CSVWriter(tmp, table.schema, write_options=pacsv.WriteOptions(batch_size=65_536))
            writer.write_table(table)
        if writer is None:  # no rows: the header alone
            writer = pacsv.CSVWriter(tmp, make_table(shape, 0).schema)
        writer.close()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def cached(shape: Shape, rows: int, folder: Path, subprocess_: bool = False) -> Path:
    """The export of ``shape`` at ``rows`` in ``folder``, generated only when missing (``subprocess_``: in a
    child process, so that the caller's memory does not grow - a benchmark driver's children inherit it)."""
    path = folder / f"{shape.slug(rows)}.csv"
    if not path.exists():
        if subprocess_:
            subprocess.run(generate_cmd(shape, rows, path), check=True, stdout=subprocess.DEVNULL)
        else:
            generate(shape, rows, path)
    return path


def generate_cmd(shape: Shape, rows: int, path: Path) -> list[str]:
    """The command line generating ``shape`` at ``rows`` into ``path`` (this file run as a script)."""
    return [sys.executable, str(Path(__file__).resolve()), "--rows", str(rows), "--campaigns", str(shape.campaigns),
            "--senders", str(shape.senders), "--weeks", str(shape.weeks), "--id-len", str(shape.id_len),
            "--states", shape.states, *([] if shape.opened else ["--no-opened"]), "--stray", repr(shape.stray),
            "--duplicates", repr(shape.duplicates), "--seed", str(shape.seed), "--out", str(path)]


def parse_count(text: str) -> int:
    """``100k``, ``1M``, ``10m``, ``2500000`` -> int."""
    t = text.strip().lower().replace("_", "").replace(",", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = Shape()
    ap.add_argument("--rows", default="100k", help="distinct reach outs: 100k, 1M, 10M, ...")
    ap.add_argument("--campaigns", type=int, default=d.campaigns)
    ap.add_argument("--senders", type=int, default=d.senders)
    ap.add_argument("--weeks", type=int, default=d.weeks)
    ap.add_argument("--id-len", type=int, default=d.id_len)
    ap.add_argument("--states", choices=["text", "code"], default=d.states)
    ap.add_argument("--no-opened", action="store_true", help="no Opened column")
    ap.add_argument("--stray", type=float, default=d.stray)
    ap.add_argument("--duplicates", type=float, default=d.duplicates)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    shape = Shape(a.campaigns, a.senders, a.weeks, a.id_len, a.states, not a.no_opened, a.stray, a.duplicates,
                  a.seed)
    generate(shape, parse_count(a.rows), a.out)
    s, e = date_range(shape)
    print(f"{a.out}: {shape.label}; {asdict(shape)}; --start {s} --end {e}")


if __name__ == "__main__":
    main()
