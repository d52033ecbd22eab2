"""Ingests under faults (issue 12, defects 1 and 2), each ingest a separate ``talentstats ingest`` process:

- two and four ingests of different exports at once: each commits, or exits 2 with the one line "another ingest
  committed first; run again"; the dataset then equals a clean sequential ingest of the exports that committed
  (today both exited 0 and half the rows were gone);
- an ingest killed with SIGKILL at random points, and one that cannot write (a file-size limit standing in for a
  full disk): the dataset always equals a clean ingest of what committed, and ``stats DIR`` never exits 0 on a
  damaged dataset (today: 499,747 of 500,000 reach outs and exit 0).

The processes are started with subprocess (fork + exec): delta-rs does not survive a plain ``fork()``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from talentstats.dataset.snapshot import has_table, open_snapshot
from talentstats.dataset.write import ingest
from talentstats.load.loader import read_reach_outs

HEADER = "Reach Out ID,Campaign,Sender,State,Created At,Updated At,Response Via,Response Type,Prospect Name\n"
RANGE = ["--start", "2026-01-01", "--end", "2026-12-31", "--format", "json"]
CONFLICT = "another ingest committed first; run again"


def export(folder: Path, k: int, n: int = 6000) -> Path:
    """Export ``k``: ids overlapping the next export's by half, each copy updated on a day of its own (the order
    of the ingests cannot matter), created over four months (several partitions each)."""
    start = k * n // 2
    lines = [f"r{i},C{i % 5},s{i % 3},{(i + k) % 7},2026-{8 + i % 4:02d}-{1 + i % 28:02d}T10:00:00Z,"
             f"2026-12-{1 + k:02d}T10:00:00Z,,,P{i}\n" for i in range(start, start + n)]
    path = folder / f"export{k}.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def start(args: list[str | Path], **kwargs: object) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from talentstats.cli import main; main()", *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def merges(root: Path) -> int:
    """How many ingests committed to the dataset (its MERGE versions; version 0 is the empty table)."""
    from deltalake import DeltaTable

    return sum(h["operation"] == "MERGE" for h in DeltaTable(str(root)).history()) if has_table(root) else 0


def table(root: Path) -> pd.DataFrame:
    return read_reach_outs(root).table.sort_values("reach_out_id").reset_index(drop=True)


def clean(folder: Path, exports: list[Path]) -> pd.DataFrame:
    """The dataset a clean sequential ingest of ``exports`` makes."""
    root = folder / f"clean-{len(list(folder.glob('clean-*')))}"
    for path in exports:
        ingest([path], root)
    return table(root)


def stats_total(root: Path) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-c", "from talentstats.cli import main; main()", "stats", str(root),
                           *RANGE], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)["total"] if proc.returncode == 0 else {}


@pytest.mark.parametrize("n", [2, 4])
def test_concurrent_ingests_lose_no_row(tmp_path, n):
    exports = [export(tmp_path, k) for k in range(n)]
    root = tmp_path / "ds"
    procs = [start(["ingest", path, "--into", root]) for path in exports]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    committed = []
    for path, (code, _out, err) in zip(exports, results, strict=True):
        assert "Traceback" not in err
        if code == 0:
            committed.append(path)
        else:  # refused after its retries: one line, and nothing of it in the dataset
            assert (code, err) == (2, f"talentstats: error: {root}: {CONFLICT}\n")
    assert committed, results
    snapshot = open_snapshot(root)
    assert merges(root) == len(committed)  # one version per ingest that committed
    pd.testing.assert_frame_equal(table(root), clean(tmp_path, committed))
    assert snapshot.rows == len(table(root))


def test_a_killed_ingest_leaves_the_version_before_it_whole(tmp_path):
    """SIGKILL at random points of five ingests (the first creates the dataset): after each, the dataset is a
    clean ingest of the exports whose ingest committed, and ``stats DIR`` agrees (or, before the first commit,
    exits 2: there is no dataset yet)."""
    rng = random.Random(12)
    exports = [export(tmp_path, k, n=20_000) for k in range(5)]
    root = tmp_path / "ds"
    t0 = time.perf_counter()
    full = start(["ingest", exports[0], "--into", tmp_path / "timing"])
    assert full.wait(timeout=300) == 0
    took = time.perf_counter() - t0  # one whole ingest: kills fall from its start-up to its commit
    committed: list[Path] = []
    kills = 0
    for path in exports:
        before = merges(root)
        proc = start(["ingest", path, "--into", root])
        time.sleep(rng.uniform(0.3, 1.1) * took)
        if proc.poll() is None:
            os.kill(proc.pid, 9)
            kills += 1
        proc.wait(timeout=60)
        proc.communicate()
        after = merges(root)
        assert after in (before, before + 1)
        committed += [path] if after == before + 1 else []
        code, total = stats_total(root)
        if not committed:  # (no dataset yet, or its empty version 0)
            assert code == 2 or total["reach_outs"] == 0
            continue
        want = clean(tmp_path, committed)
        pd.testing.assert_frame_equal(table(root), want)
        assert code == 0 and total["reach_outs"] == len(want)
    assert kills >= 2  # (the points fell inside ingests)
    last = export(tmp_path, 9, n=100)  # the dataset takes the next ingest as usual (stray files left by kills)
    proc = start(["ingest", last, "--into", root])
    assert proc.wait(timeout=300) == 0, proc.communicate()
    pd.testing.assert_frame_equal(table(root), clean(tmp_path, [*committed, last]))


def test_an_ingest_that_cannot_write_leaves_the_dataset_whole(tmp_path):
    """A file-size limit (RLIMIT_FSIZE: writes fail as on a full disk) in the middle of an ingest: one line,
    exit 2, and the dataset is the version before it. Today: 49,950 of 50,000 rows and exit 0."""
    import resource

    first, second = export(tmp_path, 0), export(tmp_path, 1, n=20_000)
    root = tmp_path / "ds"
    ingest([first], root)
    before = table(root)

    def limit() -> None:  # (runs in the child between fork and exec: no delta-rs there)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))

    proc = start(["ingest", second, "--into", root], preexec_fn=limit)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2 and err.count("\n") == 1 and "cannot write the dataset" in err, err
    assert "version 1 stays as it was" in err
    assert open_snapshot(root).version == 1
    pd.testing.assert_frame_equal(table(root), before)
    code, total = stats_total(root)
    assert code == 0 and total["reach_outs"] == len(before)
