"""Benchmark: `talentstats report` wall time, as a user runs it (the command in a subprocess, HTML + PDF).

Prints, each the best of ``--repeat`` runs:

- one week (2026-W47) of the sample (``sample_data/``, 10,000 reach outs);
- each further week: ``--weeks 4`` on the sample, (total - one week) / 3;
- one week (the newest complete one) of 10M reach outs: the sample generator's parquet export (cached in
  benchmarks/.data/events-seed0-n10000000/ by bench_events.py's helper), ingested once into a Delta dataset
  (benchmarks/.data/dataset-events-n10000000/, git-ignored) that the report reads, months and columns it needs.

With ``--old REV`` the same runs are timed with the package as it was at git revision REV (extracted with
``git archive`` into a temporary folder put first on PYTHONPATH; the kernel inherits it), for comparison. The
machine's load average is printed beside every figure (a shared machine skews them).
Targets: one week <= 5 s, each further week <= 1.5 s, 10M one week <= 15 s.

    .venv/bin/python benchmarks/bench_report.py
    .venv/bin/python benchmarks/bench_report.py --old 94ad18d --skip-10m --repeat 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
WEEK = "2026-W47"
TARGETS = {"one week": 5.0, "each further week": 1.5, "10M one week": 15.0}


def talentstats() -> list[str]:
    exe = Path(sys.executable).with_name("talentstats")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "talentstats.cli"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


def timed(args: list[str], env: dict[str, str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of ``talentstats ARGS`` (a fresh --out each time)."""
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-report-") as out:
            t0 = time.perf_counter()
            # (stderr piped: not a terminal, so no progress is drawn, with or without --quiet, old versions too)
            done = subprocess.run([*talentstats(), *args, "--out", out], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            if done.returncode:
                raise SystemExit(f"talentstats {' '.join(args)} failed: {done.stderr.strip()}")
            best = min(best, time.perf_counter() - t0)
    return best


def dataset_10m() -> Path:
    """The 10M-reach-out Delta dataset (ingested from the cached parquet sample on first use)."""
    sys.path.insert(0, str(HERE))
    from bench_events import sample  # (generates benchmarks/.data/events-seed0-n10000000 when missing)

    into = DATA / "dataset-events-n10000000"
    if not (into / "_delta_log").exists():
        source = sample(10_000_000)
        shutil.rmtree(into, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([*talentstats(), "ingest", str(source / "reach_outs.parquet"), "--messages",
                        str(source / "messages.parquet"), "--into", str(into), "--quiet"], check=True)
        print(f"(ingested 10M reach outs into {into} in {time.perf_counter() - t0:.0f} s)")
    return into


def measure(env: dict[str, str], repeat: int, big: Path | None) -> dict[str, tuple[float, str]]:
    """name -> (seconds, load average when it ended)."""
    sample = str(REPO / "sample_data")
    common = ["--format", "html,pdf"]
    out: dict[str, tuple[float, str]] = {}
    one = timed(["report", sample, "--week", WEEK, *common], env, repeat)
    out["one week"] = (one, load())
    four = timed(["report", sample, "--week", WEEK, "--weeks", "4", *common], env, repeat)
    out["four weeks"] = (four, load())
    out["each further week"] = ((four - one) / 3, load())
    if big is not None:
        out["10M one week"] = (timed(["report", str(big), "--week", "latest", *common], env, repeat), load())
    return out


def old_package(rev: str, into: Path) -> Path:
    """The talentstats package at git revision ``rev``, extracted under ``into`` (and compiled, see
    :func:`compiled`)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "talentstats"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return compiled(into / "talentstats").parent


def compiled(package: Path) -> Path:
    """``package`` with its bytecode written, as an install leaves it (``make`` compiles it; where
    PYTHONDONTWRITEBYTECODE is set nothing else would, and every run would compile ~90 modules, ~0.5 s)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, stdout=subprocess.DEVNULL)
    return package


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, the best is shown")
    ap.add_argument("--skip-10m", action="store_true", help="leave out the 10M reach outs")
    ap.add_argument("--old", metavar="REV", help="also time the package at this git revision")
    args = ap.parse_args(argv)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": tempfile.mkdtemp(prefix="bench-report-jupyter-")}
    compiled(REPO / "talentstats")
    big = None if args.skip_10m else dataset_10m()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {load()} at the start")
    rows = {"now": measure(env, args.repeat, big)}
    print({name: round(seconds, 2) for name, (seconds, _) in rows["now"].items()}, flush=True)
    if args.old:
        with tempfile.TemporaryDirectory(prefix="bench-report-old-") as tmp:
            old = old_package(args.old, Path(tmp))
            rows[f"at {args.old}"] = measure({**env, "PYTHONPATH": str(old)}, args.repeat, big)
    print(f"\n| {'':<18} | " + " | ".join(f"{k:<24}" for k in rows) + " | target |")
    print(f"|{'-' * 20}|" + "|".join("-" * 26 for _ in rows) + "|--------|")
    for name in rows["now"]:
        cells = [f"{r[name][0]:6.1f} s ({r[name][1]})" if name in r else "" for r in rows.values()]
        target = f"<= {TARGETS[name]:g} s" if name in TARGETS else ""
        print(f"| {name:<18} | " + " | ".join(f"{c:<24}" for c in cells) + f" | {target:<6} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
