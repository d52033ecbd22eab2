"""Benchmark: how long one dashboard control change takes (issue 3: < 200 ms at 100k; issue 5: < 100 ms at 1M).

Generates the sample at each size into benchmarks/data/ (git-ignored; reused when present), loads it, builds the
Dashboard and times ~30 control changes: date ranges, presets, campaign and sender filters, group-by, sort,
drill-down and two time-zone switches (the first use of a time zone builds its cube). Each change is timed
with its memo cleared, so no change profits from an earlier identical one. Prints wall and CPU time.

    .venv/bin/python benchmarks/bench_dashboard.py                 # 100k and 1M
    .venv/bin/python benchmarks/bench_dashboard.py --sizes 100000 --profile
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from talentstats.dashboard.widget import Dashboard
from talentstats.sample import write_sample

DATA = Path(__file__).parent / "data"


def sample_folder(n: int, fmt: str) -> Path:
    """benchmarks/data/dashboard_<n>_<fmt>/ with the sample of n reach outs (written once)."""
    folder = DATA / f"dashboard_{n}_{fmt}"
    if not (folder / f"reach_outs.{fmt}").exists():
        t0 = time.perf_counter()
        write_sample(folder, reach_outs=n, fmt=fmt)
        print(f"  wrote {folder} in {time.perf_counter() - t0:.1f} s")
    return folder


def changes(d: Dashboard) -> list[tuple[str, Callable[[], None]]]:
    """About 30 distinct control changes, as a user would make them."""
    end = d.end.value
    out: list[tuple[str, Callable[[], None]]] = []
    for i in range(8):  # date ranges of different lengths
        s, e = end - dt.timedelta(days=7 * i + 13 + 3 * i), end - dt.timedelta(days=2 * i)
        out.append((f"range {s}..{e}", lambda s=s, e=e: d.set_range(s, e)))
    for i in range(4):  # single date pickers
        out.append((f"start -{i + 20}d", lambda i=i: setattr(d.start, "value", end - dt.timedelta(days=i + 20))))
    for name in ("last week", "last 4 weeks", "last 90 days", "quarter to date", "this week"):
        out.append((f"preset {name}", lambda name=name: setattr(d.preset, "value", name)))
    out.append(("range back", lambda: d.set_range(end - dt.timedelta(days=27), end)))
    campaigns, senders = list(d.campaigns.options), list(d.senders.options)
    for i in range(1, 4):
        out.append((f"campaigns {i}", lambda i=i: setattr(d.campaigns, "value", tuple(v for _, v in campaigns[:i]))))
    for i in range(1, 3):
        out.append((f"senders {i}", lambda i=i: setattr(d.senders, "value", tuple(v for _, v in senders[:i]))))
    out.append(("campaigns all", lambda: setattr(d.campaigns, "value", ())))
    out.append(("senders all", lambda: setattr(d.senders, "value", ())))
    out.append(("group by sender", lambda: setattr(d.group_by, "value", "sender")))
    out.append(("sort by response rate", lambda: setattr(d.sort_by, "value", "response_rate")))
    out.append(("drill interested", lambda: setattr(d.drill, "value", "interested")))
    out.append(("range with drill", lambda: d.set_range(end - dt.timedelta(days=13), end)))
    out.append(("drill off", lambda: setattr(d.drill, "value", "")))
    out.append(("time zone New York (new cube)", lambda: setattr(d.tz, "value", "America/New_York")))
    out.append(("time zone Kolkata (new cube)", lambda: setattr(d.tz, "value", "Asia/Kolkata")))
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench(n: int, fmt: str, profile: bool) -> None:
    print(f"\n{n:,} reach outs")
    folder = sample_folder(n, fmt)
    t0 = time.perf_counter()
    d = Dashboard.from_paths(folder, today=dt.date(2026, 11, 25))
    print(f"  load + build: {time.perf_counter() - t0:.1f} s ({len(d.table):,} rows, "
          f"{len(d.cube()):,} cube cells)")
    wall, cpu, slowest = [], [], []
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    for name, change in changes(d):
        d.forget()
        w0, c0 = time.perf_counter(), time.process_time()
        change()
        wall.append(1000 * (time.perf_counter() - w0))
        cpu.append(1000 * (time.process_time() - c0))
        slowest.append((wall[-1], name))
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    print(f"  {len(wall)} control changes: wall median {statistics.median(wall):.0f} ms, p95 {p95(wall):.0f} ms, "
          f"max {max(wall):.0f} ms; CPU median {statistics.median(cpu):.0f} ms, p95 {p95(cpu):.0f} ms")
    print("  slowest: " + ", ".join(f"{name} {ms:.0f} ms" for ms, name in sorted(slowest, reverse=True)[:4]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--format", choices=["csv", "parquet"], default="parquet",
                        help="sample file format (loading time only; default parquet)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the changes")
    args = parser.parse_args(argv)
    for n in args.sizes:
        bench(n, args.format, args.profile)


if __name__ == "__main__":
    sys.exit(main())
