"""A dataset under faults (issue 12, defect 3): a deleted, truncated or garbled data file is a one-line error naming
it (exit 2), never a silent undercount; a stray file in the folder is ignored; a damaged log is one line too;
``check DIR`` validates a dataset instead of reading its files as exports. Also: every output records the version
it read, ``--as-of-version N`` reads the table as it stood then, and a dataset of the layout before Delta Lake is
converted in place, once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentstats.dataset.snapshot import LOG, MARKER, open_snapshot
from talentstats.dataset.write import ingest
from talentstats.load.loader import read_reach_outs
from talentstats.load.normalize import ARROW_SCHEMA

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
ALL = ["--start", "2026-01-01", "--end", "2026-12-31", "--format", "json"]
OCTOBER = ["--start", "2026-10-01", "--end", "2026-10-31", "--format", "json"]
HEADER = "Reach Out ID,Campaign,Sender,State,Created At,Updated At,Response Via,Response Type,Prospect Name\n"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults") / "ds"
    ingest([SAMPLE / "reach_outs.csv"], root)
    return root


@pytest.fixture
def dataset(tmp_path: Path, pristine: Path) -> Path:
    root = tmp_path / "ds"
    shutil.copytree(pristine, root)
    return root


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("reach_out_id").reset_index(drop=True)


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("talentstats: error: "), err
    return err


def june(root: Path) -> Path:
    [f] = [f for f in open_snapshot(root).files if f.month == "2026-06"]
    return Path(f.path)


# --------------------------------------------------------------------------------------------- damaged files


def test_a_deleted_data_file_is_a_one_line_error_naming_it(cli, dataset):
    """Today: 44,253 of 50,000 reach outs counted and exit 0. Now every read of the version fails, naming it."""
    path = june(dataset)
    path.unlink()
    for args in (ALL, OCTOBER):  # (a range of other months too: the version is damaged)
        err = one_line_error(*cli("stats", dataset, *args))
        assert str(path) in err and "missing" in err
    err = one_line_error(*cli("stats", dataset, *ALL, "--engine", "duckdb"))
    assert str(path) in err
    with pytest.raises(Exception, match="missing"):
        read_reach_outs(dataset)


@pytest.mark.parametrize("damage", ["truncated", "garbled footer", "other rows"])
def test_a_damaged_data_file_is_a_one_line_error_naming_it(cli, dataset, damage):
    """Today: a traceback (and a truncated file broke ranges of other months too)."""
    path = june(dataset)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbled footer":  # same size, not Parquet any more
        path.write_bytes(data[:-64] + b"\0" * 64)
    else:  # a valid Parquet file, but not the one the log records
        pq.write_table(pq.read_table(path).slice(0, 10), path)
    for args in (ALL, OCTOBER):
        err = one_line_error(*cli("stats", dataset, *args))
        assert str(path) in err and "damaged" in err
    err = one_line_error(*cli("stats", dataset, *ALL, "--engine", "polars"))
    assert str(path) in err


def test_a_stray_file_in_the_folder_is_ignored(cli, dataset, pristine):
    """Today: a ``notes.txt`` in a month folder gave a traceback. Only the version's own files are read."""
    (dataset / "month=2026-06" / "notes.txt").write_text("call Ann back", encoding="utf-8")
    (dataset / "notes.txt").write_text("dataset of the sales team", encoding="utf-8")
    pq.write_table(ARROW_SCHEMA.empty_table(), dataset / "month=2026-06" / "part-0.parquet")  # (not in the log)
    (dataset / "month=2026-07" / "half-written.parquet").write_bytes(b"PAR1 and then nothing")
    code, out, err = cli("stats", dataset, *ALL)
    code2, want, _ = cli("stats", pristine, *ALL)
    assert (code, err, code2) == (0, "", 0)
    assert json.loads(out)["total"] == json.loads(want)["total"]
    code, out, err = cli("check", dataset, "--format", "json", "--now", "2026-12-01T00:00:00Z")
    assert (code, err) == (0, "") and json.loads(out)["findings"][0]["count"] == 0


def test_a_damaged_log_is_a_one_line_error(cli, dataset):
    (dataset / LOG / "00000000000000000000.json").write_text("{not json", encoding="utf-8")
    err = one_line_error(*cli("stats", dataset, *ALL))
    assert "log cannot be read" in err and LOG in err
    code, out, err = cli("check", dataset)  # (the finding, then the one-line error)
    assert code == 2 and err.count("\n") == 1 and "log cannot be read" in err and "Unreadable files" in out


# --------------------------------------------------------------------------------------------- check DIR


def test_check_validates_a_dataset(cli, dataset):
    """Today ``check DIR`` read the dataset's marker JSON as an export. Now: log, files and row counts."""
    code, out, err = cli("check", dataset, "--format", "json", "--now", "2026-12-01T00:00:00Z")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["findings"][0]["kind"] == "unreadable" and doc["findings"][0]["count"] == 0
    assert doc["load"]["rows_loaded"] == 10_000 and doc["load"]["dataset_version"] == 1
    assert doc["files"] == [str(dataset)] and doc["messages_files"] == []
    path = june(dataset)
    path.write_bytes(path.read_bytes()[:100])
    code, out, err = cli("check", dataset, "--format", "json")
    assert code == 2 and err.count("\n") == 1 and str(path) in err
    [item] = json.loads(out)["findings"][0]["items"]
    assert item["file"] == str(path) and "damaged" in item["error"]


# --------------------------------------------------------------------------------------------- versions


def write_export(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_every_output_records_the_version_and_as_of_version_reads_it(cli, tmp_path):
    a = write_export(tmp_path / "a.csv", ["r1,Alpha,ann,0,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,,,A",
                                          "r2,Alpha,ann,0,2026-10-03T10:00:00Z,2026-10-04T10:00:00Z,,,B"])
    b = write_export(tmp_path / "b.csv", ["r1,Alpha,ann,2,2026-10-01T10:00:00Z,2026-10-09T10:00:00Z,Email,,A",
                                          "r3,Beta,bob,0,2026-11-03T10:00:00Z,2026-11-04T10:00:00Z,,,C"])
    root = tmp_path / "ds"
    code, out, _ = cli("ingest", a, "--into", root, "--format", "json")
    assert code == 0 and json.loads(out)["dataset_version"] == 1  # (version 0: the empty table)
    code, out, _ = cli("ingest", b, "--into", root)
    assert code == 0 and "version 2" in out
    ingest([b], root)  # unchanged: still version 2
    assert open_snapshot(root).version == 2

    def stats(*extra: str) -> dict:
        code, out, err = cli("stats", root, *ALL, "--by", "campaign", *extra)
        assert (code, err) == (0, "")
        return json.loads(out)

    latest, then = stats(), stats("--as-of-version", "1")
    assert latest["load"]["dataset_version"] == 2 and then["load"]["dataset_version"] == 1
    assert (latest["total"]["reach_outs"], then["total"]["reach_outs"]) == (3, 2)
    assert then["total"]["responses"] == 0 and latest["total"]["responses"] == 1
    code, out, _ = cli("stats", a, *ALL, "--by", "campaign")
    assert then["rows"] == json.loads(out)["rows"] and "dataset_version" not in json.loads(out)["load"]
    for engine in ("duckdb", "polars"):
        assert stats("--as-of-version", "1", "--engine", engine)["rows"] == then["rows"]
        assert stats("--engine", engine)["load"]["dataset_version"] == 2
    assert stats("--as-of-version", "0")["total"]["reach_outs"] == 0
    err = one_line_error(*cli("stats", root, *ALL, "--as-of-version", "7"))
    assert "--as-of-version 7: the dataset has versions 0 to 2" in err
    err = one_line_error(*cli("stats", a, *ALL, "--as-of-version", "0"))
    assert "--as-of-version 0: reads one dataset" in err
    err = one_line_error(*cli("report", root, "--as-of-version", "7", "--out", tmp_path / "r", "--format", "html"))
    assert "--as-of-version 7" in err
    loaded = read_reach_outs(root)
    assert loaded.report.dataset_version == 2


# --------------------------------------------------------------------------------------------- the old layout


def old_layout(root: Path, table: pa.Table) -> None:
    """A dataset as talentstats wrote it before Delta Lake: a marker file and one Parquet file per month."""
    import pyarrow.compute as pc

    months = pc.strftime(table.column("created_at"), format="%Y-%m")
    for month in sorted(set(months.to_pylist())):
        folder = root / f"month={month}"
        folder.mkdir(parents=True)
        pq.write_table(table.filter(pc.equal(months, month)), folder / "part-0.parquet")
    info = {"format": "talentstats-dataset", "version": 1, "partitioning": "month=YYYY-MM of created_at (UTC)",
            "columns": {f.name: str(f.type) for f in ARROW_SCHEMA}}
    (root / MARKER).write_text(json.dumps(info), encoding="utf-8")
    (root / "_ingests").mkdir()
    (root / "_ingests" / "20261101T000000.000000Z.json").write_text("{}", encoding="utf-8")


def test_a_dataset_of_the_old_layout_is_converted_in_place_once(cli, tmp_path):
    from talentstats.load.loader import load_arrow

    old = load_arrow(SAMPLE / "reach_outs.csv").table.cast(ARROW_SCHEMA)
    root = tmp_path / "ds"
    old_layout(root, old)
    err = one_line_error(*cli("stats", root, *ALL))
    assert "layout before Delta Lake" in err and "converts it" in err
    new = write_export(tmp_path / "new.csv", ["r-new,Gamma,cy,0,2026-11-06T10:00:00Z,2026-11-06T10:00:00Z,,,E"])
    code, out, err = cli("ingest", new, "--into", root)
    assert (code, err) == (0, "")
    assert not (root / MARKER).exists() and not list(root.glob("month=*/part-0.parquet"))
    assert (root / "_ingests" / "20261101T000000.000000Z.json").exists()  # the old ingest reports stay
    assert open_snapshot(root).version == 1  # version 0: the conversion; version 1: this ingest
    want = read_reach_outs([SAMPLE / "reach_outs.csv", new]).table
    pd.testing.assert_frame_equal(by_id(read_reach_outs(root).table), by_id(want))
    code, out, _ = cli("stats", root, *ALL, "--as-of-version", "0")
    assert code == 0 and json.loads(out)["total"]["reach_outs"] == old.num_rows
    ingest([new], root)
    assert open_snapshot(root).version == 1  # converted once: nothing more to do
