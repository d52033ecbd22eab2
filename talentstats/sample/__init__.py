"""Deterministic, realistic and fast sample Talent CRM exports: ``reach_outs`` and ``messages``.

Everything is vectorised with numpy/pyarrow (no Python loop over rows) and runs in blocks of :data:`CHUNK`
reach outs: a million reach outs take a few seconds. The same arguments always give byte-identical files.
The data deliberately contains the quirks real exports have (see ``sample_data/README.md``): duplicated
reach outs, "Interested" on reach outs that never responded, replies without a tracked open, state-2 rows
with a blank Response Via (and a blank Responded At), and Undone reach outs without messages.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from talentstats.errors import UsageError
from talentstats.sample.arrowtext import DAY, HOUR, _ascii_local, _ids, _iso, _labels
from talentstats.sample.catalog import _CAMPAIGNS, _FIRST, _LAST, _MAIL_DOMAINS, _SENDER_DOMAIN, _SENDERS
from talentstats.stats.states import STATES

REACH_OUT_COLUMNS: Final[tuple[str, ...]] = (
    "Reach Out ID", "Campaign", "Sender", "State", "Created At", "Updated At", "Responded At",
    "Response Via", "Response Type", "Prospect Name", "Prospect Email",
)
MESSAGE_COLUMNS: Final[tuple[str, ...]] = (
    "Message ID", "Reach Out ID", "Step", "Scheduled At", "Sent At", "Opened At",
)

DEFAULT_END: Final = dt.date(2026, 11, 22)
DUPLICATE_SHARE: Final = 0.005
#: reply delay after the step replied to: lognormal (median, sigma of its log), capped; a long tail of late replies
REPLY_MEDIAN: Final = 16 * HOUR
REPLY_SIGMA: Final = 1.4
REPLY_MAX: Final = 120 * DAY


# code -> text as the CRM writes it; index 0 is blank (null)
_VIA: Final = (None, "Email Reply", "Manually Marked", "LinkedIn")
_TYPE: Final = (None, "Interested", "Not Interested", "Maybe", "👍", "👎")
V_BLANK, V_EMAIL, V_MANUAL, V_LINKEDIN = range(4)
T_BLANK, T_INTERESTED, T_NOT, T_MAYBE, T_UP, T_DOWN = range(6)

# state codes (see talentstats.stats.states)
S_PROGRESS, S_BOUNCED, S_RESPONDED, S_COMPLETED, S_PAUSED, S_CANCELED, S_UNDONE, S_AUTH, S_PREVENTED, \
    S_PENDING = range(10)
#: states whose not-yet-sent messages stay in the export (blank Sent At); other states drop them
_KEEP_UNSENT: Final = (S_PROGRESS, S_PAUSED, S_AUTH, S_PENDING)







@dataclass(frozen=True)
class SamplePaths:
    """Where :func:`write_sample` wrote the two export files."""

    reach_outs: Path
    messages: Path


# Strings are assembled from fixed-width byte strings looked up in small tables (no per-row Python work).
























# ------------------------------------------------------------------------------------------------- generator

#: reach outs generated together; keeps every temporary array small (cache and allocator friendly)
CHUNK: Final = 1 << 18


def _choose(rng: np.random.Generator, probs: list[float] | np.ndarray, size: int) -> np.ndarray:
    """Vectorised categorical draw: ``size`` indices with probabilities ``probs``."""
    cdf = np.cumsum(probs)
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(size), side="right"), len(cdf) - 1)


def _choose_by(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per-row categorical draw with the probabilities of the row's group (``probs`` is groups x k)."""
    g, k = probs.shape
    cdf = np.cumsum(probs, axis=1)
    flat = (cdf / cdf[:, -1:] + np.arange(g)[:, None]).ravel()  # group i's cdf shifted into (i, i + 1]
    pos = np.searchsorted(flat, group + rng.random(len(group)), side="right")
    return np.clip(pos - group * k, 0, k - 1)


@dataclass(frozen=True)
class _Window:
    """The export's time frame, in epoch seconds."""

    start: int  # first day 00:00:00
    days: int
    export: int  # last day 23:59:59: when the export was taken


def _creations(rng: np.random.Generator, n: int, window: _Window) -> np.ndarray:
    """Sorted ``created * 8 + campaign`` keys: weekdays, office hours, a slight growth over time."""
    day = np.arange(window.days)
    weekday = (day + window.start // DAY + 3) % 7  # 0 = Monday
    day_weight = np.select([weekday == 5, weekday == 6], [0.08, 0.05], 1.0) * (0.85 + 0.3 * day / window.days)
    active = np.zeros((len(_CAMPAIGNS), window.days))
    for i, c in enumerate(_CAMPAIGNS):
        lo = 0 if c.first is None else max(0, window.days - 1 - c.first)
        active[i, lo : window.days - c.last] = day_weight[lo : window.days - c.last]
    live = active.sum(axis=1) > 0
    shares = np.array([c.share for c in _CAMPAIGNS]) * live
    active[~live] = 1.0  # never drawn; keeps its cdf well defined
    keys = np.empty(n, np.int64)
    for lo in range(0, n, CHUNK):
        size = min(CHUNK, n - lo)
        camp = _choose(rng, shares, size)
        cday = _choose_by(rng, camp, active)
        office = rng.random(size) < 0.86
        tod = np.where(office, 7 * HOUR + (rng.random(size) + rng.random(size)) * 6 * HOUR, rng.random(size) * DAY)
        keys[lo : lo + size] = (window.start + cday * DAY + tod.astype(np.int64)) * 8 + camp
    keys.sort()  # reach out ids follow creation order
    return keys


def _chunk(
    rng: np.random.Generator, keys: np.ndarray, window: _Window, first_id: int, first_msg: int,
    id_width: int, msg_width: int,
) -> tuple[pa.Table, pa.Table]:
    """Both exports for consecutive reach outs (``keys`` from :func:`_creations`)."""
    n, export = len(keys), window.export
    created, camp = keys >> 3, keys & 7
    sender_p = np.zeros((len(_CAMPAIGNS), len(_SENDERS)))
    for i, c in enumerate(_CAMPAIGNS):
        for s, p in c.senders:
            sender_p[i, s] = p
    sender = _choose_by(rng, camp, sender_p)
    k = _choose_by(rng, camp, np.array([c.steps for c in _CAMPAIGNS])) + 1

    # ---- category of each reach out (one uniform, cumulative thresholds)
    u = rng.random(n)
    undone = u < 0.010
    bounce_c = (u >= 0.010) & (u < 0.040)
    auth_c = (u >= 0.040) & (u < 0.047)
    cancel_c = (u >= 0.047) & (u < 0.072)
    pause_c = (u >= 0.072) & (u < 0.102)
    resp_c = (u >= 0.102) & (u < 0.102 + np.array([c.response for c in _CAMPAIGNS])[camp])
    pending = ~undone & (created > export - 7 * DAY) & (rng.random(n) < 0.05)

    # ---- message schedule: every step of every sequence (filtered below)
    total = int(k.sum())
    starts = np.cumsum(k) - k
    ro = np.repeat(np.arange(n), k)
    step = (np.arange(total) - np.repeat(starts, k) + 1).astype(np.int8)
    gap = rng.integers(3 * DAY, 7 * DAY, total)
    gap[starts] = np.where(pending, export - created + rng.integers(HOUR, 3 * DAY, n),
                           rng.integers(60, 3 * HOUR, n))
    csum = np.cumsum(gap)
    sched = np.repeat(created + gap[starts] - csum[starts], k) + csum
    sched1 = sched[starts]
    sched_last = sched[starts + k - 1]

    # ---- states and the instant each reach out stopped sending (a sequence completes after a wait)
    completes = sched_last + rng.integers(5 * DAY, 9 * DAY, n)
    state = np.where(completes <= export, S_COMPLETED, S_PROGRESS)
    stop = np.full(n, export)
    stop_any = sched1 + (rng.random(n) * (sched_last - sched1 + DAY)).astype(np.int64) + 60
    for cat, code in ((auth_c, S_AUTH), (cancel_c, S_CANCELED), (pause_c, S_PAUSED)):
        m = cat & (stop_any <= export)
        state[m], stop[m] = code, stop_any[m]
    bounce_at = sched1 + rng.integers(5, 600, n)
    m = bounce_c & (bounce_at <= export)
    state[m], stop[m] = S_BOUNCED, bounce_at[m]
    # a reply answers step 1, 2 or 3 after a long-tailed delay; steps due before it still go out
    r_step = np.minimum(_choose(rng, [0.45, 0.27, 0.28], n) + 1, k)
    delay = np.minimum(rng.lognormal(np.log(REPLY_MEDIAN), REPLY_SIGMA, n), REPLY_MAX).astype(np.int64)
    resp_at = sched[starts + r_step - 1] + 600 + delay
    responder = resp_c & (resp_at <= export)  # young reach outs have not replied yet
    prevented = responder & (rng.random(n) < 0.13)
    state[responder] = np.where(prevented[responder], S_PREVENTED, S_RESPONDED)
    stop[responder] = resp_at[responder]
    state[undone], stop[undone] = S_UNDONE, created[undone] - 1
    state[pending], stop[pending] = S_PENDING, created[pending] - 1

    # ---- messages kept (sent, or unsent but still scheduled), sent and opened; per-message draws come from
    # their own stream, so the reach-out draws below do not depend on how many messages were kept
    mrng = rng.spawn(1)[0]
    keep_unsent = np.zeros(10, bool)
    keep_unsent[list(_KEEP_UNSENT)] = True
    stop_m = np.repeat(stop, k)
    sent_m = sched <= stop_m
    n_sent = np.bincount(ro[sent_m], minlength=n)
    last_sent = np.where(n_sent > 0, sched[starts + np.maximum(n_sent, 1) - 1], created)
    keep = sent_m | np.repeat(keep_unsent[state], k)
    ro, step, sched, sent_m, stop_m = ro[keep], step[keep], sched[keep], sent_m[keep], stop_m[keep]
    sent_at = np.minimum(np.minimum(sched + mrng.integers(0, 90, len(ro)), np.maximum(stop_m, sched)), export)
    open_p = np.where(responder, 0.80, 1 - 0.76**n_sent)
    opened = (n_sent > 0) & (state != S_BOUNCED) & (rng.random(n) < open_p)
    first_open = (1 + rng.random(n) * np.maximum(n_sent, 1)).astype(np.int8)
    open_m = opened[ro] & sent_m & ((step == first_open[ro]) | (mrng.random(len(ro)) < 0.3))
    at = np.flatnonzero(open_m)
    delay = np.minimum(mrng.lognormal(np.log(1.5 * HOUR), 1.3, len(at)), 10 * DAY).astype(np.int64)
    cap = np.maximum(np.where(responder, resp_at, export)[ro[at]], sent_at[at])  # opens precede replies
    open_at = sent_at.copy()
    open_at[at] = np.minimum(sent_at[at] + delay, cap)

    # ---- updated at
    updated = last_sent + rng.integers(0, 120, n)
    updated = np.where(state == S_COMPLETED, completes, updated)
    stopped = (state == S_BOUNCED) | (state == S_PAUSED) | (state == S_CANCELED) | (state == S_AUTH)
    updated = np.where(stopped, stop, updated)
    updated = np.where(undone, created + rng.integers(60, 6 * HOUR, n), updated)
    updated = np.where(pending, created + rng.integers(1, 300, n), updated)
    updated = np.where(prevented, resp_at + rng.integers(0, 2 * DAY, n), updated)
    updated = np.where(responder & ~prevented, resp_at + rng.integers(0, 2 * HOUR, n), updated)
    updated = np.maximum(np.minimum(updated, export), created)

    # ---- response via / type
    via = np.where(state == S_RESPONDED, _choose(rng, [0.03, 0.86, 0.055, 0.055], n), V_BLANK)
    via = np.where(prevented, V_MANUAL, via)
    type_p = np.array([[0.06, c.interested, 0.77 - c.interested, 0.12, 0.03, 0.02] for c in _CAMPAIGNS])
    rtype = np.where(responder, _choose_by(rng, camp, type_p), T_BLANK)
    quirk = ~responder & (rng.random(n) < 0.013)  # "Interested" though never responded
    rtype = np.where(quirk, T_INTERESTED, rtype)
    # Responded At: the reply's instant; blank where the CRM recorded neither how nor when (state 2, blank via)
    has_resp = responder & ~((state == S_RESPONDED) & (via == V_BLANK))
    resp_out = np.where(responder, resp_at, created)  # keeps every value in the window (for _iso)

    # ---- prospects: first x last name, e-mail with an optional number and a domain
    person = rng.integers(0, len(_FIRST), n) * len(_LAST) + rng.integers(0, len(_LAST), n)
    suffix = np.where(rng.random(n) < 0.6, rng.integers(1, 100, n), 0) * len(_MAIL_DOMAINS)
    suffix += _choose(rng, [0.55, 0.2, 0.15, 0.1], n)

    # ---- duplicates: stale copies (earlier Updated At, maybe an older state) inserted elsewhere
    eligible = np.flatnonzero(updated > created)
    n_dup = min(int(round(n * DUPLICATE_SHARE)), len(eligible))
    src = rng.choice(eligible, n_dup, replace=False)  # random order
    where = np.sort(rng.integers(0, n + 1, n_dup))
    older = (rng.random(n_dup) < 0.7) & ~np.isin(state[src], (S_PROGRESS, S_UNDONE, S_PENDING))
    replied = responder[src]
    older |= replied & (updated[src] <= resp_at[src])  # no room for a stale copy after the reply
    # a stale copy of a responder is taken after the reply (same state) or before it (older state)
    lo = np.where(replied & ~older, resp_at[src], created[src])
    span = np.where(replied & older, resp_at[src], updated[src]) - lo
    dup_updated = lo + np.minimum((span * rng.uniform(0.1, 0.9, n_dup)).astype(np.int64), span - 1)
    idx = np.insert(np.arange(n), where, src)

    def with_dups(values: np.ndarray, stale: np.ndarray) -> np.ndarray:
        return np.insert(values, where, stale)

    text = _texts()
    reach = pa.table({
        "Reach Out ID": _ids("RO-", first_id + idx, id_width),
        "Campaign": _labels(text["campaign"], camp[idx]),
        "Sender": _labels(text["sender"], sender[idx]),
        "State": _labels(text["state"], with_dups(state, np.where(older, S_PROGRESS, state[src]))),
        "Created At": _iso(created[idx]),
        "Updated At": _iso(with_dups(updated, dup_updated)),
        "Responded At": _iso(resp_out[idx], with_dups(has_resp, ~older & has_resp[src])),
        "Response Via": _labels(_VIA, with_dups(via, np.where(older, V_BLANK, via[src]))),
        "Response Type": _labels(_TYPE, with_dups(rtype, np.where(older, T_BLANK, rtype[src]))),
        "Prospect Name": _labels(text["name"], person[idx]),
        "Prospect Email": pc.binary_join_element_wise(
            _labels(text["local"], person[idx]), _labels(text["suffix"], suffix[idx]), ""),
    })
    messages = pa.table({
        "Message ID": _ids("MSG-", first_msg + np.arange(len(ro)), msg_width),
        "Reach Out ID": _ids("RO-", first_id + ro, id_width),
        "Step": pa.array(step),
        "Scheduled At": _iso(sched),
        "Sent At": _iso(sent_at, sent_m),
        "Opened At": _iso(open_at, open_m),
    })
    return reach, messages


@functools.cache
def _texts() -> dict[str, tuple[str | None, ...]]:
    """Label tables: code -> text."""
    return {
        "campaign": tuple(c.name for c in _CAMPAIGNS),
        "sender": tuple(s + _SENDER_DOMAIN for s in _SENDERS),
        "state": tuple(STATES[i] for i in range(10)),
        "name": tuple(f"{f} {last}" for f in _FIRST for last in _LAST),
        "local": tuple(f"{_ascii_local(f)}.{_ascii_local(last)}" for f in _FIRST for last in _LAST),
        "suffix": tuple(f"{i or ''}@{d}" for i in range(100) for d in _MAIL_DOMAINS),
    }


REACH_OUT_SCHEMA: Final = pa.schema([(c, pa.string()) for c in REACH_OUT_COLUMNS])
MESSAGE_SCHEMA: Final = pa.schema([(c, pa.int8() if c == "Step" else pa.string()) for c in MESSAGE_COLUMNS])


def _check(reach_outs: int, weeks: int) -> None:
    """Reject impossible sizes."""
    if reach_outs < 0:
        raise UsageError("must be at least 0", parameter="reach_outs", value=reach_outs)
    if weeks < 1:
        raise UsageError("must be at least 1", parameter="weeks", value=weeks)


def iter_sample(
    reach_outs: int = 10_000, seed: int = 0, end: dt.date = DEFAULT_END, weeks: int = 26
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Yield ``(reach_outs, messages)`` tables for consecutive blocks of at most :data:`CHUNK` reach outs.

    Concatenated they equal :func:`generate_sample`; lets :func:`write_sample` stream large samples.
    """
    _check(reach_outs, weeks)
    if isinstance(end, dt.datetime):
        end = end.date()
    n = int(reach_outs)
    start = (end - dt.date(1970, 1, 1)).days - (7 * weeks - 1)
    window = _Window(start * DAY, 7 * weeks, (start + 7 * weeks) * DAY - 1)
    n_chunks = -(-n // CHUNK)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks + 1)
    keys = _creations(np.random.default_rng(seeds[0]), n, window)
    id_width, msg_width = max(7, len(str(n))), max(8, len(str(4 * n)))  # at most 4 messages each
    first_msg = 1
    for i in range(n_chunks):  # blocks of reach outs, never single rows
        lo = i * CHUNK
        reach, messages = _chunk(np.random.default_rng(seeds[i + 1]), keys[lo : lo + CHUNK], window,
                                 lo + 1, first_msg, id_width, msg_width)
        first_msg += messages.num_rows
        yield reach, messages


def generate_sample(
    reach_outs: int = 10_000, seed: int = 0, end: dt.date = DEFAULT_END, weeks: int = 26
) -> tuple[pa.Table, pa.Table]:
    """Return ``(reach_outs_export, messages_export)`` as the CRM would export them (raw string columns).

    Reach outs are created in the ``weeks`` weeks ending on ``end`` (inclusive); the export is taken at
    ``end`` 23:59:59 UTC. About 0.5 % extra rows are stale duplicates of other rows (same Reach Out ID).
    """
    parts = list(iter_sample(reach_outs, seed=seed, end=end, weeks=weeks))
    if not parts:
        return REACH_OUT_SCHEMA.empty_table(), MESSAGE_SCHEMA.empty_table()
    if len(parts) == 1:
        return parts[0]
    return pa.concat_tables([r for r, _ in parts]), pa.concat_tables([m for _, m in parts])


# --------------------------------------------------------------------------------------------------- writing


def write_sample(
    out_dir: str | Path,
    reach_outs: int = 10_000,
    seed: int = 0,
    end: dt.date = DEFAULT_END,
    weeks: int = 26,
    fmt: str = "csv",
) -> SamplePaths:
    """Write ``reach_outs.<fmt>`` and ``messages.<fmt>`` (``fmt`` "csv" or "parquet") into ``out_dir``.

    CSV is UTF-8 without BOM, ``\\n`` line ends, an unquoted header, every text value quoted and blank
    cells empty; parquet keeps the same (string) columns.
    """
    if fmt not in ("csv", "parquet"):
        raise UsageError("choose csv or parquet", parameter="fmt", value=fmt)
    _check(reach_outs, weeks)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = SamplePaths(out / f"reach_outs.{fmt}", out / f"messages.{fmt}")
    writers: list[pacsv.CSVWriter | pq.ParquetWriter] = []
    for path, schema in ((paths.reach_outs, REACH_OUT_SCHEMA), (paths.messages, MESSAGE_SCHEMA)):
        if fmt == "csv":
            options = pacsv.WriteOptions(quoting_header="none", batch_size=65_536)
            writers.append(pacsv.CSVWriter(str(path), schema, write_options=options))
        else:
            writers.append(pq.ParquetWriter(str(path), schema, compression="zstd"))
    try:
        for tables in iter_sample(reach_outs, seed=seed, end=end, weeks=weeks):  # streamed in blocks
            for writer, table in zip(writers, tables, strict=True):
                writer.write_table(table)
    finally:
        for writer in writers:
            writer.close()
    return paths
