"""Benchmark: `talentstats stats` against DuckDB, Polars and pandas on a matrix of export shapes (issue 10).

For each export shape (benchmarks/shapes.py: campaigns × senders × weeks, id length, text or numeric states,
with or without an Opened column) and size (reach outs), it generates the CSV once (cached in benchmarks/.data/,
git-ignored) and times, as separate processes, end to end (wall time of the whole process, as a user runs it),
round-robin — every repeat runs each tool once, in a rotated order, so all see the same machine load — and
reports the median of the repeats:

- ``talentstats stats FILE --start S --end E --by campaign,week --format json`` (S..E: all the file's weeks);
- DuckDB SQL, Polars (a lazy ``scan_csv``) and plain pandas (``read_csv`` + ``groupby``), each written as a user
  writes it for such an export (the functions ``ref_duckdb``, ``ref_polars``, ``ref_pandas`` below), computing
  the five counts by campaign and week and printing them as JSON.

Before any time is compared, the four tools' counts per (campaign, week) are checked to be identical; a
difference is printed and the run exits non-zero (after the other shapes). It also measures:

- start-up of ``talentstats stats``: process start to the first byte read of the input. The command runs in a
  child Python whose audit hook notes (``time.monotonic``, system-wide) when the input file is first opened
  (talentstats reads its first 64 KiB with Python's ``open`` to sniff the dialect), against the instant just
  before the parent spawned it; on a 20-row export, median of several runs. The whole run on that file is shown
  beside it, and the largest imports (``python -X importtime``);
- peak memory (``ru_maxrss`` of the child, from ``os.wait4``) of every talentstats run; the target is at 10M;
- building the output of 50,000 groups: ``talentstats.present.output.render_stats_bytes("json", ...)`` on the statistics
  frame of a 500 campaigns × 100 weeks export (in-process, median of repeats), with ``metrics.finish`` (additive
  counts -> that frame) beside it for information;
- (unless ``--no-phases``) where one more talentstats run spends its time: start-up (to the first byte read),
  the rest of ``load`` (reading and normalising), ``metrics.stats_with_total``, ``output.render_stats_bytes``,
  writing, and the interpreter's exit, by wrapping those functions in a child process; ``--profile N`` adds the
  N top functions of a cProfile run of its own (main thread only: the statistics are counted in slices on a
  thread pool, which cProfile does not see; time spent waiting for them shows as ``lock.acquire``).

The matrix: three group shapes (7 campaigns × 5 senders × 16 weeks = 112 groups, the sample's shape; 40 × 25 ×
104 weeks = 4,160; 500 × 25 × 104 = 52,000), ids of 8 and 40 characters, text and numeric states, with and
without an Opened column; 2 % of the text values carry stray spaces / no-break spaces. At 1M every combination
(24 shapes); at 10M the base shape (40 × 25 × 104, ids of 40, text states, Opened) and one factor changed at a
time (6 shapes). With ``--duplicates F`` the exports also hold stale copies of reach outs and every reference
applies the latest-"Updated At" rule. Expected time on a quiet 2-core machine: ~10 min at 1M plus ~15–20 min at
10M (the first run also spends ~3 min generating the files: ~5 GB at 1M, ~12 GB at 10M); ``--repeat 2`` or
``--matrix ofat`` is quicker.

    .venv/bin/python benchmarks/bench_matrix.py                          # 1M and 10M, as above
    .venv/bin/python benchmarks/bench_matrix.py --sizes 1M --repeat 5 --json /tmp/m.json --markdown /tmp/m.md
    .venv/bin/python benchmarks/bench_matrix.py --sizes 100k --quick     # a smoke test: base shape and one
                                                                         # change at a time, one repeat
    .venv/bin/python benchmarks/bench_matrix.py --sizes 1M --match id8,no-opened --tools talentstats,duckdb

Targets (issue 10): end to end ≤ 1.5× DuckDB at 10M and ≤ 2× at 1M, never slower than Polars or pandas; output
of 50,000 groups < 20 ms; start-up ≤ 0.25 s; peak memory of ``stats`` at 10M ≤ 2.5 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
TOOLS = ("talentstats", "duckdb", "polars", "pandas")
TOOL_NAMES = {"talentstats": "talentstats", "duckdb": "DuckDB", "polars": "Polars", "pandas": "pandas"}
COUNTS = ("reach_outs", "in_progress", "opens", "responses", "interested")
KEYS = "campaign,week"

#: targets: the largest ratio talentstats / DuckDB by size (none for other sizes), and the fixed ones
RATIO_TARGET = {1_000_000: 2.0, 10_000_000: 1.5}
OUTPUT_MS_TARGET = 20.0
STARTUP_S_TARGET = 0.25
PEAK_MB_TARGET = 2.5 * 1024
PEAK_AT = 10_000_000

#: the state labels of the CRM, as a user maps them
STATE_CODES = {"In Progress": 0, "Hard Bounced": 1, "Responded": 2, "Completed": 3, "Paused": 4, "Canceled": 5,
               "Undone": 6, "Paused By Auth Loss": 7, "Prevented": 8, "Pending": 9}
#: the whitespace the generated exports carry around text values
WS = " \u00a0"


# ============================================================================================ the references
# Each is what a user would write for such an export, knowing its columns: whether "State" holds labels or codes,
# whether there is an "Opened" column, and whether the export can hold several rows per reach out (then the row
# with the latest "Updated At" wins). Text values are trimmed of spaces and no-break spaces; "blank" = empty after
# that. Result: {"rows": [{campaign, week, reach_outs, in_progress, opens, responses, interested}]}.


def ref_duckdb(path: str, start: str, end: str, states: str, opened: bool, dedupe: bool) -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    state = ("CASE trim(\"State\") " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in STATE_CODES.items()) + " END"
             if states == "text" else '"State"')
    latest = ('QUALIFY row_number() OVER (PARTITION BY "Reach Out ID" ORDER BY "Updated At"::TIMESTAMPTZ DESC) = 1'
              if dedupe else "")
    sql = f"""
    WITH export AS (
      SELECT * FROM read_csv($path) {latest}
    ), t AS (
      SELECT trim("Campaign", $ws) AS campaign,
             CAST(date_trunc('week', "Created At"::TIMESTAMPTZ) AS DATE) AS week,
             {state} AS state_code,
             coalesce(trim("Response Via", $ws), '') <> '' OR state_code = 2 AS responded,
             coalesce(trim("Response Type", $ws) = 'Interested', false) AS interested,
             {'"Opened"::BOOLEAN' if opened else 'NULL::BOOLEAN'} AS opened
      FROM export
      WHERE "Created At"::TIMESTAMPTZ >= $lo AND "Created At"::TIMESTAMPTZ < $hi
    )
    SELECT campaign, strftime(week, '%Y-%m-%d') AS week,
           count(*) AS reach_outs,
           count(*) FILTER (NOT responded AND state_code NOT IN (1, 5)) AS in_progress,
           {'count(*) FILTER (opened)' if opened else 'NULL'} AS opens,
           count(*) FILTER (responded) AS responses,
           count(*) FILTER (responded AND interested) AS interested
    FROM t GROUP BY campaign, week ORDER BY campaign, week
    """
    lo, hi = _bounds(start, end)
    cur = con.execute(sql, {"path": path, "ws": WS, "lo": lo, "hi": hi})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def ref_polars(path: str, start: str, end: str, states: str, opened: bool, dedupe: bool) -> list[dict[str, Any]]:
    import polars as pl

    lo, hi = _bounds(start, end)
    lf = pl.scan_csv(path).with_columns(created=pl.col("Created At").str.to_datetime(time_zone="UTC"))
    if dedupe:
        lf = (lf.with_columns(updated=pl.col("Updated At").str.to_datetime(time_zone="UTC"))
              .sort("updated", nulls_last=False).unique("Reach Out ID", keep="last"))
    state = pl.col("State").str.strip_chars().replace_strict(STATE_CODES) if states == "text" else pl.col("State")
    responded = (pl.col("Response Via").str.strip_chars().fill_null("") != "") | (state == 2)
    out = (
        lf.filter((pl.col("created") >= lo) & (pl.col("created") < hi))
        .with_columns(state=state, responded=responded)
        .group_by(campaign=pl.col("Campaign").str.strip_chars(),
                  week=pl.col("created").dt.truncate("1w").dt.date())
        .agg(reach_outs=pl.len(),
             in_progress=(~pl.col("responded") & ~pl.col("state").is_in([1, 5])).sum(),
             opens=pl.col("Opened").sum() if opened else pl.lit(None, pl.Int64),
             responses=pl.col("responded").sum(),
             interested=(pl.col("responded") & (pl.col("Response Type").str.strip_chars() == "Interested")).sum())
        .sort("campaign", "week")
        .with_columns(pl.col("week").dt.to_string("%Y-%m-%d"))
        .collect()
    )
    return out.to_dicts()


def ref_pandas(path: str, start: str, end: str, states: str, opened: bool, dedupe: bool) -> list[dict[str, Any]]:
    import pandas as pd

    lo, hi = _bounds(start, end)
    df = pd.read_csv(path)
    df["created"] = pd.to_datetime(df["Created At"], utc=True)
    if dedupe:
        df["updated"] = pd.to_datetime(df["Updated At"], utc=True)
        df = df.sort_values("updated", kind="stable").drop_duplicates("Reach Out ID", keep="last")
    df = df[(df["created"] >= lo) & (df["created"] < hi)]
    state = df["State"].str.strip().map(STATE_CODES) if states == "text" else df["State"]
    responded = df["Response Via"].fillna("").str.strip().ne("") | (state == 2)
    t = pd.DataFrame({
        "campaign": df["Campaign"].str.strip(),
        "week": df["created"].dt.tz_localize(None).dt.normalize()
        - pd.to_timedelta(df["created"].dt.day_of_week, unit="D"),
        "in_progress": ~responded & ~state.isin([1, 5]),
        "responses": responded,
        "interested": responded & df["Response Type"].str.strip().eq("Interested").fillna(False),
    })
    if opened:
        t["opens"] = df["Opened"].astype(bool)
    g = t.groupby(["campaign", "week"], sort=True)
    out = g.agg(reach_outs=("responses", "size"), in_progress=("in_progress", "sum"),
                **({"opens": ("opens", "sum")} if opened else {}),
                responses=("responses", "sum"), interested=("interested", "sum")).reset_index()
    out["week"] = out["week"].dt.strftime("%Y-%m-%d")
    if not opened:
        out["opens"] = None
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in out[["campaign", "week", *COUNTS]].to_dict("records")]


REFERENCES = {"duckdb": ref_duckdb, "polars": ref_polars, "pandas": ref_pandas}


def _bounds(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants bounding the calendar dates [start, end]."""
    lo = dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), tzinfo=dt.UTC)
    return lo, lo + dt.timedelta(days=(dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1)


# ============================================================================================ child processes

#: run talentstats' CLI in a child that notes (on stderr) when the input is first opened; with BENCH_PHASES also
#: how long cli.load, metrics.stats_with_total and output.render_stats took; with BENCH_PROFILE a cProfile top
BOOT = r"""
import json, os, sys, time
_target = os.path.realpath(sys.argv[1]); _base = os.path.basename(_target); _seen = []
def _hook(event, args):
    if event == "open" and not _seen and args and isinstance(args[0], str) and args[0].endswith(_base) \
            and os.path.realpath(args[0]) == _target:
        _seen.append(time.monotonic())
sys.addaudithook(_hook)
_phases = {}
def _wrap(module, name):
    fn = getattr(module, name, None)
    if fn is None:
        return
    def timed(*a, **k):
        t0 = time.monotonic()
        try:
            return fn(*a, **k)
        finally:
            _phases[name] = _phases.get(name, 0.0) + time.monotonic() - t0
            _phases[name + "_end"] = time.monotonic()
    setattr(module, name, timed)
sys.argv = ["talentstats", *sys.argv[2:]]
_t_imp = time.monotonic()
from talentstats.cli import main
if os.environ.get("BENCH_PHASES"):
    import talentstats.present.output, talentstats.stats.query
    _wrap(talentstats.stats.query, "load"); _wrap(talentstats.stats.query, "stats_with_total")
    _wrap(talentstats.present.output, "render_stats_bytes")
def _report():
    sys.stdout.flush()
    _phases.update(first_open=_seen[0] if _seen else None, main_start=_t_main, imports_start=_t_imp,
                   end=time.monotonic())
    sys.stderr.write("\n@@bench " + json.dumps(_phases) + "\n"); sys.stderr.flush()
_real_exit = os._exit
def _fast_exit(code):  # talentstats ends read-only commands with os._exit: report first
    _report(); _real_exit(code)
os._exit = _fast_exit
_t_main = time.monotonic()
_code = 0
try:
    if os.environ.get("BENCH_PROFILE"):
        import cProfile, io, pstats
        _prof = cProfile.Profile()
        try:
            _prof.runcall(main)
        finally:
            _buf = io.StringIO()
            pstats.Stats(_prof, stream=_buf).sort_stats("tottime").print_stats(int(os.environ["BENCH_PROFILE"]))
            _phases["profile"] = _buf.getvalue()
    else:
        main()
except SystemExit as e:
    _code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
finally:
    _report()
sys.exit(_code)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    out: str
    err: str
    t0: float = 0.0


def measure(cmd: list[str], env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run ``cmd`` as a child process (stdout and stderr to temporary files, as `> out.json` would): wall
    seconds, CPU seconds and peak RSS (MB) of that child alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode(),
                  err.read().decode(errors="replace"), t0)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])} ... failed ({proc.returncode}):\n{run.err[-3000:]}")
    return run


def _exe() -> str:
    found = Path(sys.executable).with_name("talentstats")
    return str(found) if found.exists() else shutil.which("talentstats") or "talentstats"


def ts_cmd(path: Path, start: str, end: str, extra: list[str]) -> list[str]:
    return [_exe(), "stats", str(path), "--start", start, "--end", end, "--by", KEYS, "--format", "json", *extra]


def ref_cmd(tool: str, path: Path, start: str, end: str, states: str, opened: bool, dedupe: bool) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--ref", tool, str(path), "--start", start, "--end", end,
            "--states", states, *(["--opened"] if opened else []), *(["--dedupe"] if dedupe else [])]


def _bench_info(err: str) -> dict[str, Any]:
    for line in reversed(err.splitlines()):
        if line.startswith("@@bench "):
            return json.loads(line[len("@@bench "):])
    return {}


# ============================================================================================ checks


def counts_of(out: str) -> dict[tuple[str, str], tuple]:
    rows = json.loads(out)["rows"]
    return {(r["campaign"], r["week"]): tuple(r[k] for k in COUNTS) for r in rows}


def compare(results: dict[str, str]) -> str | None:
    """None when every tool gave the same counts per (campaign, week); else a description of the differences."""
    counts = {tool: counts_of(out) for tool, out in results.items()}
    first, *others = counts
    problems = []
    for tool in others:
        a, b = counts[first], counts[tool]
        if a == b:
            continue
        keys = sorted(set(a) | set(b))
        diff = [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]
        lines = [f"  {TOOL_NAMES[first]} vs {TOOL_NAMES[tool]}: {len(diff)} of {len(keys)} groups differ "
                 f"({len(a)} vs {len(b)} groups; counts {', '.join(COUNTS)})"]
        lines += [f"    {k}: {x} vs {y}" for k, x, y in diff[:8]]
        problems.append("\n".join(lines))
    return "\n".join(problems) or None


# ============================================================================================ the matrix


def shape_matrix(kind: str) -> list[Any]:
    """``full``: every combination of the factors; ``ofat``: the base shape and one factor changed at a time."""
    from shapes import Shape

    groups = [(7, 5, 16), (40, 25, 104), (500, 25, 104)]
    base = Shape(campaigns=40, senders=25, weeks=104, id_len=40, states="text", opened=True)
    if kind == "full":
        return [base.with_(campaigns=c, senders=s, weeks=w, id_len=i, states=st, opened=op)
                for (c, s, w), i, st, op in itertools.product(groups, (40, 8), ("text", "code"), (True, False))]
    one = [base]
    one += [base.with_(campaigns=c, senders=s, weeks=w) for c, s, w in groups if (c, s, w) != (40, 25, 104)]
    one += [base.with_(id_len=8), base.with_(states="code"), base.with_(opened=False)]
    return one


@dataclass
class Case:
    shape: Any
    rows: int
    path: Path
    runs: dict[str, list[Run]] = field(default_factory=dict)
    groups: int = 0
    mismatch: str | None = None
    error: str | None = None
    phases: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> str:
        return size_label(self.rows)

    def med(self, tool: str, attr: str = "wall") -> float | None:
        runs = self.runs.get(tool)
        return statistics.median(getattr(r, attr) for r in runs) if runs else None

    def peak_mb(self, tool: str = "talentstats") -> float | None:
        runs = self.runs.get(tool)
        return max(r.rss_mb for r in runs) if runs else None

    def verdicts(self) -> list[str]:
        """What misses a target (empty: all met)."""
        ts, duck = self.med("talentstats"), self.med("duckdb")
        miss = []
        if self.error:
            return ["error"]
        if self.mismatch:
            miss.append("counts differ")
        if ts is None:
            return miss
        limit = RATIO_TARGET.get(self.rows)
        if limit and duck and ts / duck > limit:
            miss.append(f">{limit:g}× DuckDB")
        for tool in ("polars", "pandas"):
            other = self.med(tool)
            if other is not None and ts > other:
                miss.append(f"slower than {TOOL_NAMES[tool]}")
        if self.rows >= PEAK_AT and (p := self.peak_mb()) and p > PEAK_MB_TARGET:
            miss.append(f"peak {p / 1024:.2f} GB")
        return miss

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"shape": self.shape.label, "shape_params": asdict(self.shape), "rows": self.rows,
                "size": self.size, "file": str(self.path), "groups": self.groups,
                "median_wall_s": {t: self.med(t) for t in self.runs},
                "median_cpu_s": {t: self.med(t, "cpu") for t in self.runs},
                "peak_rss_mb": {t: self.peak_mb(t) for t in self.runs},
                "walls_s": {t: [r.wall for r in rs] for t, rs in self.runs.items()},
                "ratio_to_duckdb": self.ratio(), "misses": self.verdicts(), "mismatch": self.mismatch,
                "error": self.error, "phases": {k: v for k, v in self.phases.items() if k != "profile"},
                "profile": self.phases.get("profile")}

    def ratio(self) -> float | None:
        ts, duck = self.med("talentstats"), self.med("duckdb")
        return ts / duck if ts and duck else None


def size_label(rows: int) -> str:
    for unit, div in (("M", 1_000_000), ("k", 1_000)):
        if rows >= div and rows % div == 0:
            return f"{rows // div}{unit}"
    return str(rows)


def run_case(case: Case, tools: list[str], repeat: int, ts_extra: list[str], say: Any) -> None:
    from shapes import date_range

    shape = case.shape
    start, end = date_range(shape)
    dedupe = shape.duplicates > 0
    cmds = {t: ts_cmd(case.path, start, end, ts_extra) if t == "talentstats"
            else ref_cmd(t, case.path, start, end, shape.states, shape.opened, dedupe) for t in tools}
    _warm(case.path)
    case.runs = {t: [] for t in tools}
    for i in range(repeat):
        order = tools[i % len(tools):] + tools[:i % len(tools)]  # rotate: no tool always runs first
        outs = {}
        for tool in order:
            try:
                run = measure(cmds[tool])
            except RuntimeError as err:
                case.error = f"{TOOL_NAMES[tool]}: {err}"
                say(f"    ERROR {case.error}")
                return
            case.runs[tool].append(run)
            outs[tool] = run.out
            say(f"    {TOOL_NAMES[tool]:<11} {run.wall:7.2f} s  (cpu {run.cpu:6.2f} s, peak {run.rss_mb:7,.0f} MB)")
        if i == 0:
            case.groups = len(counts_of(outs[tools[0]]))
            case.mismatch = compare(outs) if len(outs) > 1 else None
            if case.mismatch:
                say(f"  COUNTS DIFFER on {shape.label} at {case.size}:\n{case.mismatch}")
        for r in itertools.chain.from_iterable(case.runs.values()):
            r.out = ""  # the outputs can be large (52,000 groups): keep only what was compared


def _warm(path: Path) -> None:
    """Read the file once, so every tool finds it in the page cache (none pays the first read from disk)."""
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def run_phases(case: Case, ts_extra: list[str], profile: int) -> dict[str, Any]:
    """One talentstats run with its phases timed (and, with ``profile``, a cProfile top)."""
    from shapes import date_range

    start, end = date_range(case.shape)
    env = dict(os.environ, BENCH_PHASES="1", **({"BENCH_PROFILE": str(profile)} if profile else {}))
    cmd = [sys.executable, "-c", BOOT, str(case.path), *ts_cmd(case.path, start, end, ts_extra)[1:]]
    run = measure(cmd, env=env)
    info = _bench_info(run.err)
    out: dict[str, Any] = {"wall": run.wall}
    first = info.get("first_open")
    if first:
        out["startup"] = first - run.t0
        if "load_end" in info:  # reading and normalising, from the first byte read
            out["load"] = info["load_end"] - first
    for name in ("stats_with_total", "render_stats_bytes"):
        if name in info:
            out[name.removesuffix("_bytes")] = info[name]
    if "render_stats_bytes_end" in info and "end" in info:  # writing the output and leaving main()
        out["write"] = info["end"] - info["render_stats_bytes_end"]
    if "end" in info:  # the interpreter's teardown (atexit handlers, freeing modules, thread pools)
        out["exit"] = run.t0 + run.wall - info["end"]
    if info.get("profile"):
        out["profile"] = info["profile"]
    return out


# ============================================================================================ fixed targets


def measure_startup(shape: Any, repeat: int, ts_extra: list[str], folder: Path) -> dict[str, Any]:
    """Process start to the first open of the input file, on a 20-row export (median), and the whole run."""
    from shapes import cached, date_range

    tiny = cached(shape.with_(stray=0.0), 20, folder, subprocess_=True)
    start, end = date_range(shape)
    cmd = [sys.executable, "-c", BOOT, str(tiny), *ts_cmd(tiny, start, end, ts_extra)[1:]]
    firsts, walls = [], []
    for _ in range(repeat):
        run = measure(cmd)
        info = _bench_info(run.err)
        if info.get("first_open") is None:
            raise RuntimeError("the input file was never opened through Python's open(): start-up not measured")
        firsts.append(info["first_open"] - run.t0)
        walls.append(run.wall)
    imp = measure([sys.executable, "-X", "importtime", "-c", BOOT, str(tiny), *ts_cmd(tiny, start, end,
                                                                                   ts_extra)[1:]])
    return {"first_read_s": statistics.median(firsts), "first_read_all_s": firsts,
            "tiny_run_s": statistics.median(walls), "top_imports": top_imports(imp.err)}


def top_imports(err: str, n: int = 8) -> list[tuple[str, float]]:
    """The ``n`` packages taking the most import time (seconds: the sum of the "self" times of their modules,
    whoever imported them), from ``-X importtime``."""
    own: dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        top = parts[2].strip().split(".")[0]
        own[top] = own.get(top, 0.0) + int(parts[0]) / 1e6
    return sorted(own.items(), key=lambda kv: -kv[1])[:n]


def measure_output(repeat: int, folder: Path) -> dict[str, Any]:
    """Runs in a child (``--worker output``): the time to build the JSON output of ~50,000 groups."""
    from shapes import Shape, cached, date_range

    shape = Shape(campaigns=500, senders=25, weeks=100, stray=0.0)
    path = cached(shape, 500_000, folder)
    start, end = date_range(shape)
    from talentstats.load.loader import read_reach_outs
    from talentstats.present.output import render_stats_bytes
    from talentstats.stats.metrics import finish, stat_counts, stats_with_total
    from talentstats.stats.result import StatsResult

    loaded = read_reach_outs(path, metrics_only=True)
    rows, total = stats_with_total(loaded.table, start, end, "UTC", KEYS)
    s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    keys = KEYS.split(",")

    def timed(fn: Any) -> list[float]:
        fn()  # warm up
        out = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return out

    result = StatsResult(s, e, "UTC", keys, rows, total, loaded.report)
    render = timed(lambda: render_stats_bytes("json", result))
    counts = stat_counts(loaded.table, start, end, "UTC", keys)
    fin = timed(lambda: finish(counts, keys))
    return {"groups": len(rows), "render_ms": statistics.median(render) * 1000,
            "finish_ms": statistics.median(fin) * 1000, "render_all_ms": [x * 1000 for x in render]}


# ============================================================================================ report


def _s(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def markdown(cases: list[Case], tools: list[str], fixed: dict[str, Any]) -> str:
    head = ["shape", "size", "groups", *(f"{TOOL_NAMES[t]} s" for t in tools), "ratio to DuckDB",
            "talentstats peak RSS", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for c in cases:
        miss = c.verdicts()
        limit = RATIO_TARGET.get(c.rows)
        ratio = c.ratio()
        peak = c.peak_mb()
        verdict = "✗ " + "; ".join(miss) if miss else ("✓" if limit else "✓ (no ratio target at this size)")
        lines.append("| " + " | ".join([
            c.shape.label, c.size, f"{c.groups:,}", *(_s(c.med(t)) for t in tools),
            "–" if ratio is None else f"{ratio:.2f}×" + (f" (≤{limit:g}×)" if limit else ""),
            "–" if peak is None else f"{peak:,.0f} MB", verdict]) + " |")
    lines += ["", "| target | measured | verdict |", "|---|---|---|"]
    for label, limit in (("end to end at 1M", 2.0), ("end to end at 10M", 1.5)):
        rows = 1_000_000 if "1M" in label else 10_000_000
        rs = [c.ratio() for c in cases if c.rows == rows and c.ratio()]
        if rs:
            lines.append(f"| {label} ≤ {limit:g}× DuckDB | worst {max(rs):.2f}× (best {min(rs):.2f}×) over "
                         f"{len(rs)} shapes | {'met' if max(rs) <= limit else '**not met**'} |")
    slower = [f"{c.shape.label} at {c.size}" for c in cases
              if any(m.startswith("slower") for m in c.verdicts())]
    if any(c.runs.get("polars") or c.runs.get("pandas") for c in cases):
        lines.append(f"| never slower than Polars or pandas | slower on {len(slower)} of {len(cases)} cases"
                     f"{': ' + ', '.join(slower[:6]) + (' …' if len(slower) > 6 else '') if slower else ''} | "
                     f"{'met' if not slower else '**not met**'} |")
    out = fixed.get("output")
    if out and "render_ms" in out:
        ok = out["render_ms"] < OUTPUT_MS_TARGET
        lines.append(f"| output of 50,000 groups < {OUTPUT_MS_TARGET:g} ms | render_stats(json) "
                     f"{out['render_ms']:.1f} ms for {out['groups']:,} groups (metrics.finish before it: "
                     f"{out['finish_ms']:.1f} ms) | {'met' if ok else '**not met**'} |")
    elif out:
        lines.append(f"| output of 50,000 groups < {OUTPUT_MS_TARGET:g} ms | error: {out.get('error')} | – |")
    st = fixed.get("startup")
    if st and "first_read_s" in st:
        imports = ", ".join(f"{k} {v:.2f}" for k, v in st["top_imports"][:6])
        lines.append(f"| start-up ≤ {STARTUP_S_TARGET:g} s | {st['first_read_s']:.3f} s to the first byte read "
                     f"(whole run on a 20-row file {st['tiny_run_s']:.3f} s; largest imports, s: {imports}) | "
                     f"{'met' if st['first_read_s'] <= STARTUP_S_TARGET else '**not met**'} |")
    elif st:
        lines.append(f"| start-up ≤ {STARTUP_S_TARGET:g} s | error: {st.get('error')} | – |")
    peaks = [c.peak_mb() for c in cases if c.rows >= PEAK_AT and c.peak_mb()]
    if peaks:
        lines.append(f"| peak memory of stats at 10M ≤ 2.5 GB | max {max(peaks) / 1024:.2f} GB over {len(peaks)} "
                     f"shapes | {'met' if max(peaks) <= PEAK_MB_TARGET else '**not met**'} |")
    else:
        lines.append("| peak memory of stats at 10M ≤ 2.5 GB | not measured (no 10M case run) | – |")
    with_phases = [c for c in cases if c.phases and "load" in c.phases]
    if with_phases:
        lines += ["", "Where one talentstats run spends its time (s; a separate run, not a median):", "",
                  "| shape | size | whole run | start-up (to first byte read) | reading and normalising "
                  "(rest of cli.load) | stats_with_total | render_stats | writing | interpreter exit | other |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        parts = ("startup", "load", "stats_with_total", "render_stats", "write", "exit")
        for c in with_phases:
            p = c.phases
            other = p["wall"] - sum(p.get(k, 0) for k in parts)
            lines.append(f"| {c.shape.label} | {c.size} | {p['wall']:.2f} | "
                         + " | ".join(_s(p.get(k)) for k in parts) + f" | {other:.2f} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for mod in ("talentstats", "duckdb", "polars", "pandas", "pyarrow"):
        try:
            from importlib.metadata import version

            versions.append(f"{mod} {version(mod)}")
        except Exception:  # noqa: BLE001
            pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, {', '.join(versions)}; load average {load}")


# ============================================================================================ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1M,10M", help="reach outs per file, comma-separated (100k, 1M, 10M, ...)")
    ap.add_argument("--matrix", choices=["auto", "full", "ofat"], default="auto",
                    help="full: every combination (3 group shapes × 2 id lengths × text/code states × with/"
                         "without Opened = 24); ofat: the base shape and one factor changed at a time (6); "
                         "auto (default): full below 10M, ofat from 10M")
    ap.add_argument("--match", help="only shapes whose label contains one of these comma-separated texts "
                                    "(e.g. '500c,id8'); labels look like '40c×25s×104w id40 text opened'")
    ap.add_argument("--repeat", type=int, default=3, help="round-robin repeats per shape (median reported)")
    ap.add_argument("--quick", action="store_true", help="ofat shapes at every size, one repeat, no phases")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--stray", type=float, default=None, help="fraction of text values with stray whitespace "
                                                              "(default: shapes.Shape's, 0.02; 0 for none)")
    ap.add_argument("--duplicates", type=float, default=0.0, help="fraction of stale duplicate rows added "
                                                                  "(the references then apply the latest-"
                                                                  "Updated-At rule; default 0)")
    ap.add_argument("--ts-args", default="", help="extra arguments for talentstats stats, e.g. "
                                                  "'--rejects /dev/null'")
    ap.add_argument("--no-fixed", action="store_true", help="skip start-up and output-build measurements")
    ap.add_argument("--no-phases", action="store_true", help="skip the per-shape phase breakdown run")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also print the N top functions (cProfile, tottime) of one talentstats run per shape")
    ap.add_argument("--data", type=Path, default=DATA, help="cache folder of generated exports")
    ap.add_argument("--json", type=Path, help="also write every measurement as JSON to this file")
    ap.add_argument("--markdown", type=Path, help="also write the tables to this file")
    # internal: a reference run, and in-process workers
    ap.add_argument("--ref", choices=sorted(REFERENCES), help=argparse.SUPPRESS)
    ap.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    ap.add_argument("--start", help=argparse.SUPPRESS)
    ap.add_argument("--end", help=argparse.SUPPRESS)
    ap.add_argument("--states", help=argparse.SUPPRESS)
    ap.add_argument("--opened", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--dedupe", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker", choices=["output"], help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.ref:
        rows = REFERENCES[args.ref](args.path, args.start, args.end, args.states, args.opened, args.dedupe)
        sys.stdout.write(json.dumps({"rows": rows}, default=str, ensure_ascii=False) + "\n")
        return
    sys.path.insert(0, str(HERE))
    if args.worker == "output":
        print(json.dumps(measure_output(max(args.repeat, 9), args.data)))
        return

    import shlex

    from shapes import cached, parse_count

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := set(tools) - set(TOOLS):
        raise SystemExit(f"unknown tools {sorted(unknown)}; choose from {', '.join(TOOLS)}")
    ts_extra = shlex.split(args.ts_args)
    repeat = 1 if args.quick else args.repeat
    phases = not (args.no_phases or args.quick)
    sizes = [parse_count(s) for s in args.sizes.split(",") if s.strip()]

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = dt.datetime.now().astimezone()
    t_start = time.monotonic()
    header = f"# talentstats vs DuckDB, Polars, pandas by export shape — {started:%Y-%m-%d %H:%M %Z}\n{machine()}"
    print(header + "\n", flush=True)
    cases: list[Case] = []
    for rows in sizes:
        kind = "ofat" if args.quick else args.matrix
        if kind == "auto":
            kind = "ofat" if rows >= 10_000_000 else "full"
        for shape in shape_matrix(kind):
            if args.stray is not None:
                shape = shape.with_(stray=args.stray)
            if args.duplicates:
                shape = shape.with_(duplicates=args.duplicates)
            if args.match and not any(m.strip() in shape.label for m in args.match.split(",")):
                continue
            say(f"  {size_label(rows)} {shape.label}")
            path = args.data / f"{shape.slug(rows)}.csv"
            if not path.exists():
                t0 = time.monotonic()
                cached(shape, rows, args.data, subprocess_=True)
                say(f"    generated {path.name} ({path.stat().st_size / 2**20:,.0f} MB) in "
                    f"{time.monotonic() - t0:.1f} s")
            case = Case(shape, rows, path)
            run_case(case, tools, repeat, ts_extra, say)
            if "talentstats" in tools and not case.error:
                try:
                    if phases:
                        case.phases = run_phases(case, ts_extra, 0)
                    if args.profile:  # a run of its own: cProfile slows what it watches
                        case.phases["profile"] = run_phases(case, ts_extra, args.profile).get("profile")
                        say(case.phases["profile"] or "    (no profile)")
                except RuntimeError as err:
                    say(f"    phases not measured: {err}")
            cases.append(case)
            print(markdown([case], tools, {}).split("\n")[2], flush=True)

    fixed: dict[str, Any] = {}
    if not args.no_fixed and "talentstats" in tools:
        say("  start-up ...")
        try:
            from shapes import Shape

            fixed["startup"] = measure_startup(Shape(), 7 if not args.quick else 3, ts_extra, args.data)
        except RuntimeError as err:
            fixed["startup"] = {"error": str(err)[:500]}
        say("  output of 50,000 groups ...")
        try:
            r = measure([sys.executable, str(Path(__file__).resolve()), "--worker", "output", "--data",
                         str(args.data)])
            fixed["output"] = json.loads(r.out)
        except (RuntimeError, json.JSONDecodeError) as err:
            fixed["output"] = {"error": str(err)[-500:]}

    table = markdown(cases, tools, fixed)
    elapsed = time.monotonic() - t_start
    footer = (f"\n{len(cases)} cases, {repeat} round-robin repeat(s) each (medians), in {elapsed / 60:.1f} min; "
              f"load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\n" + table + footer)
    for out in (args.markdown, args.json):
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
    if args.markdown:
        args.markdown.write_text(f"{header}\n\n{table}\n{footer}\n")
    if args.json:
        args.json.write_text(json.dumps({"started": started.isoformat(), "machine": machine(), "repeat": repeat,
                                         "tools": tools, "ts_args": ts_extra, "elapsed_s": elapsed,
                                         "cases": [c.as_dict() for c in cases], **fixed}, indent=1,
                                        ensure_ascii=False, default=str))
    bad = [c for c in cases if c.mismatch or c.error]
    if bad:
        for c in bad:
            print(f"\n{c.shape.label} at {c.size}: " + (c.error or f"counts differ:\n{c.mismatch}"), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
