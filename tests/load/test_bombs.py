"""The bombs of issue 12, run as the command a user runs: each exits 2 with one line, within 30 s and 1 GB of
memory (the peak resident memory of the process, from the kernel's account of it). The files are small on disk
and made in the test; unbounded, each took gigabytes (a 5 KB sheet passed 4 GB in 11 s)."""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from . import bombs

SECONDS, MEMORY_MB = 30, 1024


def _cap_address_space() -> None:  # (a regression fails at 3 GB instead of swapping the machine)
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def run_bounded(cwd: Path, *args: object) -> tuple[int, str, str, float, float]:
    """``talentstats ARGS`` in a subprocess: (exit code, stdout, stderr, seconds, peak memory in MB); killed
    after twice the time allowed, its address space capped at 3 GB."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    start = time.monotonic()
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "talentstats.cli", *map(str, args)], stdout=o, stderr=e,
                                stdin=subprocess.DEVNULL, cwd=cwd, preexec_fn=_cap_address_space)
    timer = threading.Timer(2 * SECONDS, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # (reaped here: Popen must not wait again)
    seconds = time.monotonic() - start
    return (proc.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"), seconds,
            usage.ru_maxrss / 1024)


def bounded_error(cwd: Path, *args: object) -> str:
    """Run a command that must fail on a bomb: exit 2, one line, within the time and memory allowed."""
    code, out, err, seconds, mb = run_bounded(cwd, *args)
    assert (code, out) == (2, ""), err[-2000:]
    assert err.count("\n") == 1 and err.startswith("talentstats: error: "), err[-2000:]
    assert seconds < SECONDS, f"{seconds:.1f} s"
    assert mb < MEMORY_MB, f"{mb:.0f} MB"
    return err


RANGE = ("--start", "2026-11-01", "--end", "2026-11-30")


def test_xlsx_with_one_cell_at_xfd1048576(tmp_path):
    path = bombs.xlsx_far_cell(tmp_path / "far.xlsx")
    assert path.stat().st_size < 5000
    assert "cell XFD1048576 holds a value" in bounded_error(tmp_path, "stats", path, *RANGE)


def test_xlsx_with_one_cell_far_down_within_the_columns(tmp_path):
    path = bombs.xlsx_tall_cell(tmp_path / "tall.xlsx")
    err = bounded_error(tmp_path, "check", path)
    assert "(27,262,976 cells, more than 20,000,000); to read it anyway, raise the limit --read-limit max_cells=N" \
        in err


def test_xlsx_holding_a_1_gib_string(tmp_path):
    path = bombs.xlsx_huge_string(tmp_path / "string.xlsx")
    assert path.stat().st_size < 1_200_000
    err = bounded_error(tmp_path, "stats", path, *RANGE)
    assert "cell B2 holds a text of more than 1,048,576 characters; to read it anyway, raise the limit " \
        "--max-field-bytes" in err


@pytest.mark.parametrize("header", [False, True], ids=["nul-only", "header-then-nul"])
def test_gzip_inflating_to_3_gib_of_nul_bytes_in_stats_and_ingest(tmp_path, header):
    path = bombs.gzip_nul_bomb(tmp_path / "nul.csv.gz", header=header)
    assert path.stat().st_size < 4_000_000
    for args in (("stats", path, *RANGE), ("ingest", path, "--into", tmp_path / "dataset")):
        err = bounded_error(tmp_path, *args)
        assert ("--read-limit max_inflation_ratio=N" if header else "--max-field-bytes") in err


def test_500_mb_line_names_its_line_and_column(tmp_path):
    # gzip of one 500 MiB value: the value's limit checked while streaming (the ratio raised to let it through)
    path = tmp_path / "long.csv.gz"
    with open(path, "wb") as fh:
        fh.write(gzip.compress(f"{bombs.HEADER}\n{bombs.ROW}\nr2,".encode()))
        member = gzip.compress(b"x" * (1 << 24))
        for _ in range(32):
            fh.write(member)
    err = bounded_error(tmp_path, "stats", path, *RANGE, "--read-limit", "max_inflation_ratio=100000")
    assert err == (f"talentstats: error: {path}:3: column 'Campaign': a value of more than 1,048,576 bytes; to read "
                   "it anyway, raise the limit --max-field-bytes (now 1,048,576)\n")


def test_header_of_a_million_columns(tmp_path):
    path = bombs.wide_header(tmp_path / "wide.csv")
    err = bounded_error(tmp_path, "stats", path, *RANGE)
    assert "wide.csv:1: the header has more than 10,000 columns" in err


def test_json_nested_100000_deep(tmp_path):
    err = bounded_error(tmp_path, "stats", bombs.deep_json(tmp_path / "deep.jsonl"), *RANGE)
    assert "deep.jsonl:2: JSON nested 100,001 levels deep, more than 64" in err


def test_map_file_dev_zero_and_fifo(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(f"{bombs.HEADER}\n{bombs.ROW}\n")
    err = bounded_error(tmp_path, "stats", export, *RANGE, "--map-file", "/dev/zero")
    assert "/dev/zero: mapping file is a device, not a regular file" in err
    fifo = tmp_path / "map.toml"
    os.mkfifo(fifo)
    err = bounded_error(tmp_path, "stats", export, *RANGE, "--map-file", fifo)  # (refused, not waited on)
    assert "mapping file is a named pipe (FIFO), not a regular file" in err
