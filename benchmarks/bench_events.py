"""Benchmark: the event questions of issue 13 against the cohort statistics on the same loaded data.

For each size it generates the sample once (``talentstats sample --format parquet``: reach outs with Responded At
and ~2.7 messages each, cached in benchmarks/.data/events-seed0-n<N>/, git-ignored), loads it once with
``talentstats.stats.eventquery.load_events`` (pandas; timed on its own) and times, in this process, best of
``--repeat`` runs each, on those same frames:

- cohort statistics: ``metrics.stats_with_total`` by campaign (the reference every other time is divided by);
- ``activity_counts`` by campaign, and the total; ``reconcile`` by campaign; ``step_stats`` (per step);
  ``triangle`` (12 creation weeks ending with END, responses); ``time_to_reply`` by campaign.

Beside each, the same question in DuckDB SQL (over the frames handed to DuckDB as Arrow) and in Polars (a lazy
query over a DataFrame made from the same Arrow table); those conversions are not timed. Every answer's numbers
are checked equal to talentstats' before any time is shown (a difference is printed and the run exits 1).
Target (issue 13, done-when): activity, steps and triangle each within 2x of the cohort statistics at 10M reach
outs / 27M messages. The machine's load average is printed beside the figures (a shared machine skews them).

    .venv/bin/python benchmarks/bench_events.py                       # 1M then 10M
    .venv/bin/python benchmarks/bench_events.py --sizes 1M --repeat 5 --markdown /tmp/events.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
START, END = "2026-08-01", "2026-11-22"  # ~16 weeks of the 26 the sample covers (as bench_stats)
TRIANGLE_WEEKS = 12
SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
TARGET = 2.0  # activity, steps and triangle within 2x of the cohort statistics
TARGETED = ("activity by campaign", "activity total", "steps", "triangle")
COHORT = ("reach_outs", "in_progress", "opens", "responses", "interested")
ACTIVITY = ("messages_sent", "reach_outs_started", "opens", "responses", "interested", "responses_time_unknown")
RECONCILE = ("cohort_responses", "received_in_range", "received_after", "time_unknown", "from_earlier_cohorts",
             "activity_responses", "opens_cohort", "opens_received_in_range", "opens_received_after",
             "opens_time_unknown", "opens_from_earlier_cohorts", "opens_activity")
STEPS = ("sent", "first_opens", "replies")
TTR = ("ttr_n", "ttr_median_h", "ttr_p75_h", "ttr_p90_h")


def sample(rows: int) -> Path:
    """The cached sample folder of ``rows`` reach outs (generated on first use)."""
    folder = DATA / f"events-seed0-n{rows}"
    if not (folder / "messages.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        exe = Path(sys.executable).with_name("talentstats")
        subprocess.run([str(exe), "sample", "--out", str(folder), "--seed", "0", "--reach-outs", str(rows),
                        "--format", "parquet"], check=True)
    return folder


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` calls (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# ============================================================================================ answers as dicts
# Each question's answer as {group: tuple of numbers}, whoever computed it, so the three can be compared.


def _rows(frame: Any) -> list[dict[str, Any]]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):  # polars
        frame = frame.to_pandas()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def keyed(frame: Any, keys: tuple[str, ...], values: tuple[str, ...]) -> dict[tuple, tuple]:
    def num(v: Any) -> Any:
        return None if v is None else (round(float(v), 6) if isinstance(v, float) else int(v))

    return {tuple(str(r[k]) for k in keys): tuple(num(r[v]) for v in values) for r in _rows(frame)}


def triangle_cells(frame: Any) -> dict[tuple, tuple]:
    """(week, age) -> count for counts > 0, and (week, "all") -> reach outs of the week."""
    rows = _rows(frame)
    out = {(r["created_week"], str(int(r["age_weeks"]))): (int(r["count"]),) for r in rows if r["count"]}
    out.update({(r["created_week"], "all"): (int(r["reach_outs"]),) for r in rows if r.get("reach_outs")})
    return out


def same(a: dict, b: dict) -> str | None:
    """None when equal (floats to 1e-6 relative); else the first differences."""
    def eq(x: tuple, y: tuple) -> bool:
        return x is not None and y is not None and len(x) == len(y) and all(
            u == v or (isinstance(u, float) and isinstance(v, float) and math.isclose(u, v, rel_tol=1e-6))
            for u, v in zip(x, y, strict=True))

    diff = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=str) if not eq(a.get(k), b.get(k))]
    return None if not diff else f"{len(diff)} of {len(set(a) | set(b))} groups differ, e.g. {diff[:3]}"


# ============================================================================================ the questions


def talentstats_questions(data: Any, as_of: dt.datetime) -> dict[str, Callable[[], dict]]:
    from talentstats.stats.activity import activity_counts, reconcile
    from talentstats.stats.arrival import time_to_reply, triangle
    from talentstats.stats.metrics import stats_with_total
    from talentstats.stats.steps import step_stats

    ro, msgs = data.reach_outs, data.messages
    # the activity view as `talentstats stats --view activity` computes it: from the counts made at load (the
    # reach outs' events and the messages per quarter hour), when the loader made them
    sent = data.sent if data.sent is not None else msgs
    events = data.events
    c = ("campaign",)
    return {
        "cohort by campaign": lambda: keyed(stats_with_total(ro, START, END, "UTC", ["campaign"],
                                                             opens_known=True)[0], c, COHORT),
        "activity by campaign": lambda: keyed(activity_counts(ro, sent, START, END, "UTC", ["campaign"],
                                                              events=events), c, ACTIVITY),
        "activity total": lambda: keyed(activity_counts(ro, sent, START, END, "UTC", events=events), (), ACTIVITY),
        "reconcile by campaign": lambda: keyed(reconcile(ro, START, END, "UTC", ["campaign"]), c, RECONCILE),
        "steps": lambda: keyed(step_stats(ro, msgs, START, END, "UTC"), ("step",), STEPS),
        "triangle": lambda: triangle_cells(triangle(ro, END, TRIANGLE_WEEKS, "UTC", "responses", as_of)),
        "time to reply by campaign": lambda: keyed(time_to_reply(ro, START, END, "UTC", ["campaign"]), c, TTR),
    }


def _bounds() -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(dt.date.fromisoformat(START), dt.time(), tzinfo=dt.UTC)
    return lo, dt.datetime.combine(dt.date.fromisoformat(END) + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _triangle_range() -> tuple[dt.datetime, dt.datetime]:
    end = dt.date.fromisoformat(END)
    last = end - dt.timedelta(days=end.weekday())
    first = last - dt.timedelta(days=7 * (TRIANGLE_WEEKS - 1))
    return (dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
            dt.datetime.combine(last + dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC))


RESPONDED_SQL = "(coalesce(trim(response_via) <> '', false) OR state = 2)"
INTERESTED_SQL = f"({RESPONDED_SQL} AND coalesce(response_type = 'Interested', false))"


def duckdb_questions(ro: Any, msgs: Any, as_of: dt.datetime) -> dict[str, Callable[[], dict]]:
    """The same questions in DuckDB SQL over the Arrow tables (UTC; [lo, hi) the range's instants)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("ro", ro)
    con.register("msgs", msgs)
    lo, hi = _bounds()
    tlo, thi = _triangle_range()
    p = {"lo": lo, "hi": hi}

    def q(sql: str, params: dict | None = None) -> Any:
        return con.execute(sql, params if params is not None else p).df()

    inr = "({c} >= $lo AND {c} < $hi)"
    cohort = f"""SELECT campaign, count(*) AS reach_outs,
        count(*) FILTER (NOT {RESPONDED_SQL} AND state NOT IN (1, 5)) AS in_progress,
        count(*) FILTER (opened) AS opens, count(*) FILTER ({RESPONDED_SQL}) AS responses,
        count(*) FILTER ({INTERESTED_SQL}) AS interested
        FROM ro WHERE {inr.format(c='created_at')} GROUP BY campaign"""

    def activity(by: str) -> str:
        sel, grp = (f"{by}, ", f"GROUP BY {by}") if by else ("", "")
        return f"""WITH parts AS (
          SELECT r.campaign, 1 AS messages_sent, 0 AS reach_outs_started, 0 AS opens, 0 AS responses,
                 0 AS interested, 0 AS responses_time_unknown
            FROM msgs m JOIN ro r USING (reach_out_id) WHERE {inr.format(c='m.sent_at')}
          UNION ALL SELECT campaign, 0, 1, 0, 0, 0, 0 FROM ro WHERE {inr.format(c='first_sent_at')}
          UNION ALL SELECT campaign, 0, 0, 1, 0, 0, 0 FROM ro WHERE {inr.format(c='first_opened_at')}
          UNION ALL SELECT campaign, 0, 0, 0, 1, {INTERESTED_SQL}::INT, 0 FROM ro
            WHERE {RESPONDED_SQL} AND {inr.format(c='responded_at')}
          UNION ALL SELECT campaign, 0, 0, 0, 0, 0, 1 FROM ro
            WHERE {RESPONDED_SQL} AND responded_at IS NULL AND created_at < $hi)
        SELECT {sel}{', '.join(f'sum({c})::BIGINT AS {c}' for c in ACTIVITY)} FROM parts {grp}"""

    def split(c: str, k: str, i: str, a: str) -> list[str]:
        return [c, f"{c} AND {i}", f"{c} AND {k} AND NOT {i}", f"{c} AND NOT {k}", f"{a} AND NOT {c}", a]

    flags = split("rc", "rk", "ri", "ra") + split("oc", "ok", "oi", "oi")
    reconcile = f"""WITH f AS (SELECT campaign, {inr.format(c='created_at')} AS c, {RESPONDED_SQL} AS r,
          coalesce({inr.format(c='responded_at')}, false) AS ri, responded_at IS NOT NULL AS rk,
          coalesce(opened, false) AS o, coalesce({inr.format(c='first_opened_at')}, false) AS oi,
          first_opened_at IS NOT NULL AS ok FROM ro),
        g AS (SELECT *, c AND r AS rc, c AND o AS oc, r AND ri AS ra FROM f WHERE c OR (r AND ri) OR oi)
        SELECT campaign, {', '.join(f'count(*) FILTER ({e}) AS {n}' for n, e in zip(RECONCILE, flags, strict=True))}
        FROM g GROUP BY campaign"""
    steps = f"""WITH c AS (SELECT reach_out_id, CASE WHEN {RESPONDED_SQL} THEN responded_at END AS replied_at
          FROM ro WHERE {inr.format(c='created_at')}),
        per AS (SELECT reach_out_id, step, count(sent_at) AS n_sent, min(opened_at) AS o,
          max(CASE WHEN sent_at <= replied_at THEN sent_at END) AS l
          FROM msgs JOIN c USING (reach_out_id) GROUP BY reach_out_id, step),
        j AS (SELECT *, min(o) OVER w AS f, max(l) OVER w AS la FROM per WINDOW w AS (PARTITION BY reach_out_id)),
        fo AS (SELECT min(step) AS step FROM j WHERE o = f GROUP BY reach_out_id),
        rp AS (SELECT max(step) AS step FROM j WHERE l = la GROUP BY reach_out_id),
        parts AS (SELECT step, 1 AS sent, 0 AS first_opens, 0 AS replies FROM per WHERE n_sent > 0
          UNION ALL SELECT step, 0, 1, 0 FROM fo UNION ALL SELECT step, 0, 0, 1 FROM rp)
        SELECT step, sum(sent)::BIGINT AS sent, sum(first_opens)::BIGINT AS first_opens,
          sum(replies)::BIGINT AS replies FROM parts WHERE step IS NOT NULL GROUP BY step"""
    triangle = f"""WITH t AS (SELECT strftime(created_at, '%G-W%V') AS created_week,
          CASE WHEN {RESPONDED_SQL} AND responded_at >= created_at AND responded_at <= $as_of
               THEN (epoch_us(responded_at) - epoch_us(created_at)) // {7 * 86_400_000_000} END AS age
          FROM ro WHERE created_at >= $lo AND created_at < $hi AND created_at <= $as_of)
        SELECT created_week, age AS age_weeks, count(*) FILTER (age IS NOT NULL) AS count,
          sum(count(*)) OVER (PARTITION BY created_week) AS reach_outs FROM t GROUP BY created_week, age"""
    ttr = f"""WITH t AS (SELECT campaign, (epoch_us(responded_at) - epoch_us(coalesce(first_sent_at, created_at)))
          / 3600e6 AS h FROM ro WHERE {inr.format(c='created_at')} AND {RESPONDED_SQL} AND responded_at IS NOT NULL)
        SELECT campaign, count(h) AS ttr_n, quantile_cont(h, 0.5) AS ttr_median_h,
          quantile_cont(h, 0.75) AS ttr_p75_h, quantile_cont(h, 0.9) AS ttr_p90_h FROM t GROUP BY campaign"""
    c = ("campaign",)
    return {
        "cohort by campaign": lambda: keyed(q(cohort), c, COHORT),
        "activity by campaign": lambda: keyed(q(activity("campaign")), c, ACTIVITY),
        "activity total": lambda: keyed(q(activity("")), (), ACTIVITY),
        "reconcile by campaign": lambda: keyed(q(reconcile), c, RECONCILE),
        "steps": lambda: keyed(q(steps), ("step",), STEPS),
        "triangle": lambda: triangle_cells(q(triangle, {"lo": tlo, "hi": thi, "as_of": as_of})),
        "time to reply by campaign": lambda: keyed(q(ttr), c, TTR),
    }


def polars_questions(ro: Any, msgs: Any, as_of: dt.datetime) -> dict[str, Callable[[], dict]]:
    """The same questions in Polars (lazy queries over DataFrames of the Arrow tables)."""
    import polars as pl

    r, m = pl.from_arrow(ro).lazy(), pl.from_arrow(msgs).lazy()
    lo, hi = _bounds()
    tlo, thi = _triangle_range()
    col = pl.col

    def inr(c: str) -> pl.Expr:
        return ((col(c) >= lo) & (col(c) < hi)).fill_null(False)

    responded = (col("response_via").str.strip_chars().fill_null("") != "") | (col("state") == 2)
    interested = responded & (col("response_type") == "Interested").fill_null(False)

    def cohort() -> Any:
        return (r.filter(inr("created_at")).group_by("campaign")
                .agg(reach_outs=pl.len(), in_progress=(~responded & ~col("state").is_in([1, 5])).sum(),
                     opens=col("opened").sum(), responses=responded.sum(), interested=interested.sum()).collect())

    def activity(by: list[str]) -> Any:
        zero = {c: pl.lit(0, pl.Int64) for c in ACTIVITY}

        def part(f: pl.LazyFrame, **counts: pl.Expr) -> pl.LazyFrame:
            return f.with_columns(**(zero | counts)).select(*by, *ACTIVITY)  # (one row per row of f)

        one = pl.lit(1, pl.Int64)
        parts = [part(m.filter(inr("sent_at")).join(r.select("reach_out_id", "campaign"), on="reach_out_id"),
                      messages_sent=one),
                 part(r.filter(inr("first_sent_at")), reach_outs_started=one),
                 part(r.filter(inr("first_opened_at")), opens=one),
                 part(r.filter(responded & inr("responded_at")), responses=one,
                      interested=interested.cast(pl.Int64)),
                 part(r.filter(responded & col("responded_at").is_null() & (col("created_at") < hi)),
                      responses_time_unknown=one)]
        f = pl.concat(parts)
        sums = [col(c).sum() for c in ACTIVITY]
        return (f.group_by(*by).agg(*sums) if by else f.select(*sums)).collect()

    def reconcile() -> Any:
        f = r.select("campaign", c=inr("created_at"), r=responded, ri=inr("responded_at"),
                     rk=col("responded_at").is_not_null(), o=col("opened").fill_null(False), oi=inr("first_opened_at"),
                     ok=col("first_opened_at").is_not_null())
        f = f.filter(col("c") | (col("r") & col("ri")) | col("oi"))
        f = f.with_columns(rc=col("c") & col("r"), oc=col("c") & col("o"), ra=col("r") & col("ri"))

        def split(c: str, k: str, i: str, a: str) -> list[pl.Expr]:
            c_, k_, i_, a_ = col(c), col(k), col(i), col(a)
            return [c_, c_ & i_, c_ & k_ & ~i_, c_ & ~k_, a_ & ~c_, a_]

        flags = split("rc", "rk", "ri", "ra") + split("oc", "ok", "oi", "oi")
        return f.group_by("campaign").agg(*[e.sum().alias(n) for n, e in zip(RECONCILE, flags, strict=True)]).collect()

    def steps() -> Any:
        c = r.filter(inr("created_at")).select("reach_out_id",
                                               replied_at=pl.when(responded).then(col("responded_at")))
        per = (m.join(c, on="reach_out_id")
               .group_by("reach_out_id", "step")
               .agg(n_sent=col("sent_at").count(), o=col("opened_at").min(),
                    l=pl.when(col("sent_at") <= col("replied_at")).then(col("sent_at")).max()))
        per = per.with_columns(f=col("o").min().over("reach_out_id"), la=col("l").max().over("reach_out_id"))
        fo = per.filter(col("o") == col("f")).group_by("reach_out_id").agg(col("step").min())
        rp = per.filter(col("l") == col("la")).group_by("reach_out_id").agg(col("step").max())
        parts = [per.filter(col("n_sent") > 0).select("step", sent=1, first_opens=0, replies=0),
                 fo.select("step", sent=0, first_opens=1, replies=0),
                 rp.select("step", sent=0, first_opens=0, replies=1)]
        return (pl.concat([p.with_columns(col("sent", "first_opens", "replies").cast(pl.Int64)) for p in parts])
                .filter(col("step").is_not_null()).group_by("step").agg(col(*STEPS).sum()).collect())

    def triangle() -> Any:
        counted = responded & (col("responded_at") >= col("created_at")) & (col("responded_at") <= as_of)
        age = (col("responded_at") - col("created_at")).dt.total_microseconds() // (7 * 86_400_000_000)
        f = (r.filter((col("created_at") >= tlo) & (col("created_at") < thi) & (col("created_at") <= as_of))
             .select(created_week=col("created_at").dt.strftime("%G-W%V"), age_weeks=pl.when(counted).then(age)))
        return (f.group_by("created_week", "age_weeks").agg(n=pl.len())
                .with_columns(count=pl.when(col("age_weeks").is_not_null()).then(col("n")).otherwise(0),
                              reach_outs=col("n").sum().over("created_week")).collect())

    def ttr() -> Any:
        h = (col("responded_at") - pl.coalesce("first_sent_at", "created_at")).dt.total_microseconds() / 3600e6
        f = r.filter(inr("created_at") & responded & col("responded_at").is_not_null()).select("campaign", h=h)
        return f.group_by("campaign").agg(ttr_n=col("h").count(),
                                          **{n: col("h").quantile(q, interpolation="linear") for n, q in
                                             (("ttr_median_h", 0.5), ("ttr_p75_h", 0.75), ("ttr_p90_h", 0.9))}
                                          ).collect()

    c = ("campaign",)
    return {
        "cohort by campaign": lambda: keyed(cohort(), c, COHORT),
        "activity by campaign": lambda: keyed(activity(["campaign"]), c, ACTIVITY),
        "activity total": lambda: keyed(activity([]), (), ACTIVITY),
        "reconcile by campaign": lambda: keyed(reconcile(), c, RECONCILE),
        "steps": lambda: keyed(steps(), ("step",), STEPS),
        "triangle": lambda: triangle_cells(triangle()),
        "time to reply by campaign": lambda: keyed(ttr(), c, TTR),
    }


# ============================================================================================ running


def to_arrow(frame: Any) -> Any:
    """A pandas frame as an Arrow table with plain string columns (categoricals decoded): what DuckDB and Polars
    are given (not timed)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
    return table


def run_size(label: str, rows: int, repeat: int, tools: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from talentstats.load.options import LoadOptions
    from talentstats.stats.eventquery import load_events

    folder = sample(rows)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    data = load_events([folder / "reach_outs.parquet"], LoadOptions(messages=(folder / "messages.parquet",)))
    load_s = time.perf_counter() - t0
    as_of = data.as_of
    info = {"size": label, "reach_outs": len(data.reach_outs), "messages": len(data.messages), "load_s": load_s}
    print(f"\n== {label}: {info['reach_outs']:,} reach outs, {info['messages']:,} messages; load_events "
          f"{load_s:.1f} s; load average {load_before[0]:.1f} (1 min) {load_before[1]:.1f} (5 min)", flush=True)
    questions = {"talentstats": talentstats_questions(data, as_of)}
    if tools:
        ro, msgs = to_arrow(data.reach_outs), to_arrow(data.messages)
        makers = {"duckdb": duckdb_questions, "polars": polars_questions}
        questions |= {t: makers[t](ro, msgs, as_of) for t in tools}
    results = []
    for name in questions["talentstats"]:
        row: dict[str, Any] = {"question": name}
        answers = {}
        for tool, qs in questions.items():  # (tools, then the next question: all see the same machine load)
            row[tool], answers[tool] = best(qs[name], repeat)
        problems = [f"{t}: {d}" for t in tools if (d := same(answers["talentstats"], answers[t]))]
        row["groups"] = len(answers["talentstats"])
        row["equal"] = not problems
        for p in problems:
            print(f"  !! {name}: counts differ, {p}", flush=True)
        results.append(row)
        print(f"  {name:<27} talentstats {row['talentstats']:7.2f} s" +
              "".join(f"  {t} {row[t]:6.2f} s" for t in tools), flush=True)
    cohort = results[0]["talentstats"]
    for row in results:
        row["ratio"] = row["talentstats"] / cohort
    info["load_average"] = [load_before, os.getloadavg()]
    data.close()
    return results, info


def table(results: list[dict[str, Any]], info: dict[str, Any], tools: list[str]) -> str:
    """The results as a markdown table: each time, its ratio to the cohort statistics, the references."""
    (b1, b5, _), (a1, a5, _) = info["load_average"]
    head = (f"**{info['size']}**: {info['reach_outs']:,} reach outs, {info['messages']:,} messages; "
            f"`load_events` {info['load_s']:.1f} s; best of {info['repeat']}; load average (1 / 5 min) "
            f"{b1:.1f} / {b5:.1f} before, {a1:.1f} / {a5:.1f} after ({os.cpu_count()} cores)\n\n")
    names = {"duckdb": "DuckDB SQL", "polars": "Polars"}
    lines = ["| question | talentstats (s) | × cohort | " + " | ".join(f"{names[t]} (s)" for t in tools)
             + " | groups | same numbers |",
             "|---|---:|---:|" + "---:|" * len(tools) + "---:|---|"]
    for r in results:
        mark = " ⚠" if r["question"] in TARGETED and r["ratio"] > TARGET else ""
        lines.append(f"| {r['question']} | {r['talentstats']:.2f} | {r['ratio']:.2f}{mark} | "
                     + " | ".join(f"{r[t]:.2f}" for t in tools) + f" | {r['groups']} | "
                     + ("yes" if r["equal"] else "**no**") + " |")
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1M,10M", help=f"comma-separated, of {', '.join(SIZES)}")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each question (the best is shown)")
    ap.add_argument("--tools", default="duckdb,polars", help="references beside talentstats ('' for none)")
    ap.add_argument("--markdown", type=Path, help="also write the tables here")
    args = ap.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    out = [f"bench_events on {platform.node()} ({platform.machine()}, {os.cpu_count()} cores), "
           f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; range {START} .. {END}, UTC\n"]
    failed = False
    for label in args.sizes.split(","):
        results, info = run_size(label, SIZES[label], args.repeat, tools)
        info["repeat"] = args.repeat
        out.append(table(results, info, tools))
        failed |= not all(r["equal"] for r in results)
        over = [r["question"] for r in results if r["question"] in TARGETED and r["ratio"] > TARGET]
        print("\n" + out[-1] + (f"over {TARGET:g}× the cohort statistics: {', '.join(over)}\n" if over else
                                f"activity, steps and triangle within {TARGET:g}× the cohort statistics\n"),
              flush=True)
    if args.markdown:
        args.markdown.write_text("\n".join(out), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
