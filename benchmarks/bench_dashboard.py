"""Benchmark: how long one dashboard control change takes (issue 3: < 200 ms at 100k; issue 5: < 100 ms at 1M).

Generates the sample at each size into benchmarks/data/ (git-ignored; reused when present), loads it, builds the
Dashboard and times ~30 control changes: date ranges, presets, campaign and sender filters, group-by, sort,
drill-down and two time-zone switches (the first use of a time zone builds its cube). Each change is timed
with its memo cleared, so no change profits from an earlier identical one. Prints wall and CPU time.

    .venv/bin/python benchmarks/bench_dashboard.py                 # 100k and 1M
    .venv/bin/python benchmarks/bench_dashboard.py --sizes 100000 --profile

``--page`` times instead "page opened -> first chart drawn" in headless Debian chromium (Playwright) against
``talentstats dashboard`` (the server's own start, which loads the exports once, is not counted): the sample data,
and the exports given with ``--page-data`` (e.g. a 1M sample from ``talentstats sample --reach-outs 1000000``).
Prints, per page open, when the progress note showed, when the first chart and all charts were drawn, with the
load average.

    .venv/bin/python benchmarks/bench_dashboard.py --page --page-data benchmarks/data/1m/reach_outs.csv \
        --page-messages benchmarks/data/1m/messages.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from talentstats.dashboard.widget import Dashboard
from talentstats.sample import write_sample

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


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


def bench_page(label: str, files: list[str], messages: list[str], opens: int, width: int) -> None:
    """Time page opened -> progress note, first chart, all charts, ``opens`` times (one page at a time), with the
    browser tests' own helpers (tests/browser_support.py: the server, the page opened and timed)."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import dashboard, open_timed
    from test_browser import CHROMIUM, CHROMIUM_ARGS

    print(f"\n{label}: page opened -> first chart drawn, chromium {width} px")
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        with dashboard([Path(f).resolve() for f in files], Path(home), timeout=600, log=Path(home) / "server.log",
                       messages=[Path(m).resolve() for m in messages]) as url:
            print(f"  server ready in {time.perf_counter() - t0:.1f} s (loads the exports once, then starts Voilà)")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for _ in range(opens):
                    load = os.getloadavg()[0]
                    t0 = time.monotonic()
                    page, _, note, first = open_timed(browser, url, width, timeout_ms=180_000)
                    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 6",
                                           timeout=300_000, polling=100)
                    every = time.monotonic() - t0
                    print(f"  progress note {note:.1f} s, first chart {first:.1f} s, all charts {every:.1f} s "
                          f"(load average {load:.2f} at open, {os.getloadavg()[0]:.2f} after)")
                    page.close(run_before_unload=True)  # Voilà shuts this page's kernel down
                    time.sleep(2)
                browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--format", choices=["csv", "parquet"], default="parquet",
                        help="sample file format (loading time only; default parquet)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the changes")
    parser.add_argument("--page", action="store_true", help="time page opened -> first chart in chromium instead")
    parser.add_argument("--page-data", nargs="*", default=[], help="more exports to time the page on")
    parser.add_argument("--page-messages", nargs="*", default=[], help="their message exports")
    parser.add_argument("--opens", type=int, default=3, help="page opens per dataset (default 3)")
    parser.add_argument("--width", type=int, default=1280, help="viewport width (default 1280)")
    args = parser.parse_args(argv)
    if args.page:
        bench_page("sample data", [str(ROOT / "sample_data")], [], args.opens, args.width)
        if args.page_data:
            bench_page(" ".join(args.page_data), args.page_data, args.page_messages, args.opens, args.width)
        return
    for n in args.sizes:
        bench(n, args.format, args.profile)


if __name__ == "__main__":
    sys.exit(main())
