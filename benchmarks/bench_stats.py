"""Benchmark: talentstats against DuckDB on 1M and 10M reach outs (issue 5). Run by hand or ``make bench``.

For each size it generates the sample export once (``talentstats sample``, cached in benchmarks/data/<size>/,
git-ignored) as CSV and as Parquet, ingests it into a canonical dataset, and measures, each time as a separate
process (wall time, CPU time and peak RSS from ``os.wait4``), alternating with the reference:

1. ``talentstats stats FILE.csv --start … --end … --by campaign,week --format json``;
2. the same from the Parquet export and from the canonical dataset folder (also with ``--engine duckdb`` and
   ``--engine polars``: the same metric code, computed by those engines);
3. the metrics alone (``campaign_stats`` by campaign and week plus the total, as the CLI does) on a table already
   loaded, in one process;
4. (1M only) one dashboard update, ``Dashboard.set_range``, median over several ranges;

beside each the reference, DuckDB computing the same five statistics by campaign and week in SQL from the same
file (``benchmarks/duckdb_reference.py``; for 3 and 4 on the same table in memory, as Arrow), and the ratio
talentstats / DuckDB. Both sides' numbers are compared before their times are.

    .venv/bin/python benchmarks/bench_stats.py                  # 1M and 10M (10M: ~15 min the first time)
    .venv/bin/python benchmarks/bench_stats.py --sizes 1m --repeat 5
    .venv/bin/python benchmarks/bench_stats.py --markdown /tmp/results.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REFERENCE = HERE / "duckdb_reference.py"
START, END = "2026-08-01", "2026-11-22"  # ~16 weeks of the 26 the sample covers
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}


def _exe() -> str:
    found = Path(sys.executable).with_name("talentstats")
    return str(found) if found.exists() else shutil.which("talentstats") or "talentstats"


# ------------------------------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    out: str


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` as a child process: wall seconds, CPU seconds and peak RSS (MB) of that child alone."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode())


@dataclass
class Row:
    """One line of the results table: talentstats and DuckDB medians over the repeats."""

    size: str
    case: str
    ours: list[Run] = field(default_factory=list)
    ref: list[Run] = field(default_factory=list)
    note: str = ""

    @staticmethod
    def _med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    def cells(self) -> list[str]:
        o_w, r_w = self._med(self.ours, "wall"), self._med(self.ref, "wall")
        o_c, r_c = self._med(self.ours, "cpu"), self._med(self.ref, "cpu")
        o_m, r_m = max(r.rss_mb for r in self.ours), max(r.rss_mb for r in self.ref)
        def mem(v: float) -> str:
            return f"{v:,.0f} MB" if v else "–"

        return [self.size, self.case, _fmt_s(o_w), _fmt_s(r_w), f"{o_w / r_w:.2f}×", f"{_fmt_s(o_c)} / {_fmt_s(r_c)}",
                f"{mem(o_m)} / {mem(r_m)}", self.note]


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


HEADER = ["size", "case", "talentstats", "DuckDB", "ratio", "CPU (ts / duckdb)", "peak RSS (ts / duckdb)", "note"]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- data


def prepare(label: str, n: int) -> dict[str, Path]:
    """The sample export of ``n`` reach outs as CSV and Parquet, and its canonical dataset (made once)."""
    folder = DATA / label
    csv, parquet, dataset = folder / "reach_outs.csv", folder / "parquet" / "reach_outs.parquet", folder / "dataset"
    exe = _exe()
    if not csv.exists():
        _timed(f"generate {label} CSV", [exe, "sample", "--out", str(folder), "--reach-outs", str(n)])
    if not parquet.exists():
        _timed(f"generate {label} Parquet", [exe, "sample", "--out", str(parquet.parent), "--reach-outs", str(n),
                                             "--format", "parquet"])
    paths = {"csv": csv, "parquet": parquet}
    if _has_ingest():
        if not (dataset / "_ingests").exists():
            shutil.rmtree(dataset, ignore_errors=True)
            _timed(f"ingest {label} into a dataset", [exe, "ingest", str(csv), "--into", str(dataset)])
        paths["dataset"] = dataset
    return paths


def _timed(what: str, cmd: list[str]) -> None:
    print(f"  {what} ...", end="", flush=True, file=sys.stderr)
    r = measure(cmd)
    print(f" {r.wall:.1f} s, peak {r.rss_mb:,.0f} MB", file=sys.stderr)


def _has_ingest() -> bool:
    try:
        import talentstats.dataset.read  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------------------------------------- checks


def _counts(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple]:
    keys = ("reach_outs", "in_progress", "opens", "responses", "interested")
    return {(r["campaign"], r["week"]): tuple(r[k] for k in keys) for r in rows}


def check_same(ours: dict[str, Any], ref: dict[str, Any], what: str) -> None:
    """Both sides' counts by campaign and week are identical (else the timing means nothing)."""
    a, b = _counts(ours["rows"]), _counts(ref["rows"])
    if a != b:
        diff = sorted(set(a.items()) ^ set(b.items()))[:6]
        raise SystemExit(f"{what}: talentstats and DuckDB disagree, e.g. {diff}")


# ------------------------------------------------------------------------------------------------- cases


def bench_cli(label: str, case: str, source: Path, kind: str, repeat: int, engine: str | None = None) -> Row:
    ours_cmd = [_exe(), "stats", str(source), "--start", START, "--end", END, "--by", "campaign,week",
                "--format", "json"] + (["--engine", engine] if engine else [])
    ref_cmd = [sys.executable, str(REFERENCE), kind, str(source), "--start", START, "--end", END]
    row = Row(label, case)
    for i in range(repeat):  # alternate, so both sides see the same machine load
        row.ours.append(measure(ours_cmd))
        row.ref.append(measure(ref_cmd))
        if i == 0:
            check_same(json.loads(row.ours[0].out), json.loads(row.ref[0].out), f"{label} {case}")
    return row


def bench_worker(label: str, case: str, worker: str, source: Path, repeat: int) -> Row:
    """Cases timed inside one process (metrics on a loaded table, dashboard updates): the worker prints both."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", worker, "--source", str(source),
           "--repeat", str(repeat)]
    r = measure(cmd)
    result = json.loads(r.out)
    row = Row(label, case, note=result.get("note", ""))
    row.ours = [Run(t, c, 0, "") for t, c in zip(result["ours"], result["ours_cpu"], strict=True)]
    row.ref = [Run(t, c, 0, "") for t, c in zip(result["ref"], result["ref_cpu"], strict=True)]
    return row


def _timeit(fn: Any, repeat: int) -> tuple[list[float], list[float], Any]:
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, out


def worker_metrics(source: str, repeat: int) -> dict[str, Any]:
    """The statistics by campaign and week plus the total (what ``stats`` computes: ``stats_with_total``), against
    DuckDB SQL on the same table as Arrow."""
    import pyarrow as pa

    sys.path.insert(0, str(HERE))
    import duckdb_reference as ref

    from talentstats.load.loader import read_reach_outs
    from talentstats.stats.metrics import stats_dicts, stats_with_total

    table = read_reach_outs(source, metrics_only=True).table  # the table `stats` computes on
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    con = ref.connect()

    def ours() -> Any:
        return stats_with_total(table, START, END, "UTC", "campaign,week")

    def duck() -> Any:
        return ref.metrics_on_arrow(con, arrow, START, END)

    ours(), duck()  # warm up (imports, first-call caches) on both sides
    walls, cpus, (rows, _) = _timeit(ours, repeat)
    r_walls, r_cpus, expected = _timeit(duck, repeat)
    check_same({"rows": stats_dicts(rows)}, expected, "metrics on a loaded table")
    return {"ours": walls, "ours_cpu": cpus, "ref": r_walls, "ref_cpu": r_cpus,
            "note": f"{len(table):,} rows loaded"}


def worker_dashboard(source: str, repeat: int) -> dict[str, Any]:
    """Dashboard.set_range over different ranges, against DuckDB's five statistics by campaign and week for the
    same range on the same table (as Arrow)."""
    import pyarrow as pa

    sys.path.insert(0, str(HERE))
    import duckdb_reference as ref

    from talentstats.dashboard.widget import Dashboard
    from talentstats.load.loader import read_reach_outs

    loaded = read_reach_outs(source)
    d = Dashboard(loaded.table, loaded.report, today=dt.date(2026, 11, 25))
    arrow = pa.Table.from_pandas(loaded.table, preserve_index=False)
    con = ref.connect()
    end = dt.date(2026, 11, 22)
    ranges = [(end - dt.timedelta(days=7 * i + 6 + 2 * i), end - dt.timedelta(days=i)) for i in range(max(repeat, 8))]
    d.set_range(*ranges[-1])  # warm up
    ref.metrics_on_arrow(con, arrow, str(ranges[-1][0]), str(ranges[-1][1]))
    walls, cpus, r_walls, r_cpus = [], [], [], []
    for s, e in ranges:
        w, c, _ = _timeit(lambda s=s, e=e: d.set_range(s, e), 1)
        walls += w
        cpus += c
        w, c, _ = _timeit(lambda s=s, e=e: ref.metrics_on_arrow(con, arrow, str(s), str(e)), 1)
        r_walls += w
        r_cpus += c
    return {"ours": walls, "ours_cpu": cpus, "ref": r_walls, "ref_cpu": r_cpus,
            "note": f"median of {len(ranges)} ranges"}


# ------------------------------------------------------------------------------------------------- main


def cases_for(label: str, paths: dict[str, Path], cases: set[str], repeat: int) -> list[tuple[str, Any]]:
    """(name, function returning its Row) for the cases asked for at one size."""
    from functools import partial

    todo: list[tuple[str, Any]] = []
    for case, key, kind in (("csv", "csv", "export"), ("parquet", "parquet", "export"),
                            ("dataset", "dataset", "dataset")):
        if case in cases and key in paths:
            name = f"{'1' if case == 'csv' else '2'} stats from {'CSV' if case == 'csv' else case.capitalize()}"
            todo.append((name, partial(bench_cli, label, name, paths[key], kind, repeat)))
    for engine in ("duckdb", "polars"):  # the same metric code, computed by another engine
        if f"dataset-{engine}" in cases and "dataset" in paths:
            name = f"2 stats from Dataset --engine {engine}"
            todo.append((name, partial(bench_cli, label, name, paths["dataset"], "dataset", repeat, engine)))
    source = paths.get("dataset", paths["parquet"])
    if "metrics" in cases:
        name = "3 metrics on loaded table"
        todo.append((name, partial(bench_worker, label, name, "metrics", source, max(repeat, 5))))
    if "dashboard" in cases and label in ("100k", "1m"):
        name = "4 dashboard update"
        todo.append((name, partial(bench_worker, label, name, "dashboard", source, repeat)))
    return todo



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
    import duckdb
    import pandas
    import pyarrow

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}, "
            f"DuckDB {duckdb.__version__}; load average at start {load}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1m,10m", help="comma-separated: 100k, 1m, 10m (default 1m,10m)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median reported)")
    ap.add_argument("--cases", default="csv,parquet,dataset,dataset-duckdb,dataset-polars,metrics,dashboard",
                    help="which cases to run (default all)")
    ap.add_argument("--markdown", type=Path, help="also write the results table to this file")
    ap.add_argument("--worker", choices=["metrics", "dashboard"], help=argparse.SUPPRESS)
    ap.add_argument("--source", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        fn = worker_metrics if args.worker == "metrics" else worker_dashboard
        print(json.dumps(fn(args.source, args.repeat)))
        return

    cases = set(args.cases.split(","))
    started = dt.datetime.now().astimezone()
    print(f"# talentstats vs DuckDB, {started:%Y-%m-%d %H:%M %Z}\n{machine()}\n", flush=True)
    rows: list[Row] = []
    for label in args.sizes.split(","):
        label = label.strip().lower()
        if label not in SIZES:
            raise SystemExit(f"unknown size {label!r}; choose from {', '.join(SIZES)}")
        paths = prepare(label, SIZES[label])
        for name, run in cases_for(label, paths, cases, args.repeat):
            print(f"  {label}: {name} ...", file=sys.stderr, flush=True)
            row = run()
            rows.append(row)
            print("| " + " | ".join(row.cells()) + " |", flush=True)
    table = markdown(rows)
    print("\n" + table)
    if args.markdown:
        args.markdown.write_text(f"Run {started:%Y-%m-%d %H:%M %Z}: {machine()}\n\n{table}\n")


if __name__ == "__main__":
    main()
