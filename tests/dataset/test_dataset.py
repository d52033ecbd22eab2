"""The canonical dataset (`talentstats ingest`) and loading at scale: chunked (streamed) reading of large files.

A dataset must give exactly the numbers the exports give, merge exports with the loader's duplicate rule, keep
every ingest's load report, change nothing when an export is ingested again, and read only the months a date range
needs. Streaming a file in chunks must give the same table, rejects and line numbers as reading it whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import talentstats.dataset.write as dataset_module
import talentstats.load.read as read_module
import talentstats.load.stream as stream_module
from talentstats.dataset.read import read_dataset
from talentstats.dataset.snapshot import LOG, is_dataset, months_between, open_snapshot
from talentstats.dataset.write import ingest, ingest_reports
from talentstats.load.columns import CANONICAL
from talentstats.load.loader import load, read_reach_outs
from talentstats.load.options import LoadOptions
from talentstats.stats.metrics import GROUP_KEYS, campaign_stats

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
HEADER = "Reach Out ID,Campaign,Sender,State,Created At,Updated At,Response Via,Response Type,Prospect Name\n"


def data_files(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every partition file with its bytes and modification time."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.glob("month=*/*.parquet"))}


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("reach_out_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def sample_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ds") / "reach_outs"
    ingest([SAMPLE / "reach_outs.csv"], root, LoadOptions(messages=[SAMPLE / "messages.csv"]))
    return root


# --------------------------------------------------------------------------------------------- layout


def test_ingest_writes_a_delta_table_by_month_and_the_load_report(sample_dataset):
    assert is_dataset(sample_dataset) and (sample_dataset / LOG).is_dir()
    assert open_snapshot(sample_dataset).version == 1  # version 0: the empty table; 1: the first ingest
    months = sorted(p.name for p in sample_dataset.glob("month=*"))
    assert months and all(len(m) == len("month=2026-11") for m in months)
    for part in sample_dataset.glob("month=*/*.parquet"):  # each partition holds its month only
        created = pq.read_table(part).column("created_at").to_pandas()
        assert set(created.dt.strftime("%Y-%m")) == {part.parent.name.removeprefix("month=")}
    [report] = ingest_reports(sample_dataset)
    load = report["load"]
    assert load["rows_read"] == load["rows_loaded"] + load["rows_rejected"] + load["duplicates_collapsed"]
    assert load["messages"]["rows_read"] > 0 and report["opens_source"] == "messages export"
    assert report["added"] == load["rows_loaded"] == report["rows_in_dataset"]
    assert (report["dataset_version"], report["committed"]) == (1, True)


def test_the_dataset_holds_exactly_the_loaded_table(sample_dataset):
    loaded = read_reach_outs(SAMPLE / "reach_outs.csv", messages=SAMPLE / "messages.csv")
    stored = read_reach_outs(sample_dataset)
    assert list(stored.table.columns) == list(CANONICAL)
    assert stored.table.dtypes.equals(loaded.table.dtypes)
    pd.testing.assert_frame_equal(by_id(stored.table), by_id(loaded.table))
    assert stored.report.rows_loaded == stored.report.rows_read == len(loaded.table)


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("by", [None, "campaign,week", "sender,month", "day,state", "response_via,response_type"])
def test_stats_from_the_dataset_equal_stats_from_the_exports(cli, sample_dataset, tz, by):
    args = ["--start", "2026-09-28", "--end", "2026-11-15", "--tz", tz, "--format", "json"]
    args += ["--by", by] if by else []
    code, out, err = cli("stats", SAMPLE / "reach_outs.csv", "--messages", SAMPLE / "messages.csv", *args)
    assert (code, err) == (0, "")
    code, out2, err = cli("stats", sample_dataset, *args)
    assert (code, err) == (0, "")
    a, b = json.loads(out), json.loads(out2)
    assert a["rows"] == b["rows"] and a["total"] == b["total"]
    # the dataset reads only the reach outs of the range (in the months around it): its own load report says so
    assert b["load"]["rows_read"] == b["load"]["rows_loaded"] == a["total"]["reach_outs"]


def test_week_latest_and_the_api_read_a_dataset_like_an_export(cli, sample_dataset):
    code, out, _ = cli("stats", SAMPLE / "reach_outs.csv", "--messages", SAMPLE / "messages.csv", "--week",
                       "latest", "--by", "campaign", "--format", "json")
    code2, out2, _ = cli("stats", sample_dataset, "--week", "latest", "--by", "campaign", "--format", "json")
    assert code == code2 == 0
    assert json.loads(out)["rows"] == json.loads(out2)["rows"]
    table = read_reach_outs(sample_dataset).table
    for key in GROUP_KEYS:
        campaign_stats(table, "2026-10-01", "2026-10-31", by=key)


def test_only_the_months_of_the_range_are_read(tmp_path, sample_dataset, monkeypatch):
    import shutil

    import talentstats.dataset.read as read_module

    root = tmp_path / "copy"
    shutil.copytree(sample_dataset, root)
    # a file the log does not list is never opened (only the version's own files are read)
    (root / "month=2026-06" / "part-0.parquet").write_bytes(b"not parquet")
    lo, hi = pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")
    assert months_between(lo.to_pydatetime(), hi.to_pydatetime()) == ["2026-10"]
    scanned = []
    real = read_module.file_paths
    monkeypatch.setattr(read_module, "file_paths", lambda s, files: scanned.extend(files) or real(s, files))
    part = read_dataset(root, ["created_at", "campaign"], (lo.to_pydatetime(), hi.to_pydatetime()))
    assert scanned and {f.month for f in scanned} == {"2026-10"}  # the other months' files are not scanned
    assert part.column_names == ["created_at", "campaign"]
    created = part.column("created_at").to_pandas()
    assert len(created) and created.min() >= lo and created.max() < hi
    loaded = read_reach_outs(root, created_range=(lo.to_pydatetime(), hi.to_pydatetime()))
    assert len(loaded.table) == len(created)


# --------------------------------------------------------------------------------------------- merging


def test_reingesting_the_same_export_changes_nothing(tmp_path):
    root = tmp_path / "ds"
    first = ingest([SAMPLE / "reach_outs.csv"], root)
    before, log = data_files(root), sorted((root / LOG).iterdir())
    again = ingest([SAMPLE / "reach_outs.csv"], root)
    assert data_files(root) == before  # same bytes, not even rewritten
    assert sorted((root / LOG).iterdir()) == log and open_snapshot(root).version == 1  # no new version
    assert (again.dataset_version, again.committed) == (1, False)
    assert (again.added, again.updated, again.stale) == (0, 0, 0)
    assert again.unchanged == first.added == again.rows_in_dataset
    assert again.partitions_written == []
    assert [r["id"] for r in ingest_reports(root)] == [first.id, again.id]  # both ingests are on record


def write_export(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_merging_keeps_the_latest_row_of_every_reach_out(tmp_path):
    a = write_export(tmp_path / "a.csv", [
        "r1,Alpha,ann,0,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,,,Ann",
        "r2,Alpha,ann,0,2026-10-03T10:00:00Z,2026-10-20T10:00:00Z,Email,Interested,Bo",
        "r3,Beta,bob,0,2026-10-31T23:00:00Z,2026-11-01T10:00:00Z,,,Cy",
        "r4,Beta,bob,3,2026-11-05T10:00:00Z,,,,Di",
    ])
    b = write_export(tmp_path / "b.csv", [
        "r1,Alpha,ann,2,2026-10-01T10:00:00Z,2026-10-09T10:00:00Z,Email,Interested,Ann",  # newer: replaces
        "r2,Alpha,ann,0,2026-10-03T10:00:00Z,2026-10-05T10:00:00Z,,,Bo",  # older: the stored row stays
        "r3,Beta,bob,1,2026-11-01T01:00:00Z,2026-11-02T10:00:00Z,,,Cy",  # newer, and moved to November
        "r4,Beta,bob,5,2026-11-05T10:00:00Z,,,,Di",  # no updated_at either side: the later export wins
        "r5,Gamma,cy,0,2026-11-06T10:00:00Z,2026-11-06T10:00:00Z,,,Ed",  # new
    ])
    root = tmp_path / "ds"
    ingest([a], root)
    report = ingest([b], root)
    assert (report.added, report.updated, report.stale, report.unchanged) == (1, 3, 1, 0)
    assert report.partitions_written == ["2026-10", "2026-11"]
    stored = by_id(read_reach_outs(root).table)
    expected = by_id(read_reach_outs([a, b]).table)  # the loader's duplicate rule over both files
    pd.testing.assert_frame_equal(stored, expected)
    assert stored.set_index("reach_out_id")["state"].to_dict() == {"r1": 2, "r2": 0, "r3": 1, "r4": 5, "r5": 0}
    october = read_dataset(root, ["reach_out_id"], (pd.Timestamp("2026-10-01", tz="UTC").to_pydatetime(),
                                                    pd.Timestamp("2026-11-01", tz="UTC").to_pydatetime()))
    assert sorted(october.column("reach_out_id").to_pylist()) == ["r1", "r2"]  # r3 left October for November
    assert {f.month for f in open_snapshot(root).files if f.rows} == {"2026-10", "2026-11"}
    assert (report.dataset_version, report.committed) == (2, True)  # one transaction per ingest
    assert len(ingest_reports(root)) == 2


def test_an_export_without_open_information_keeps_the_stored_opens(tmp_path):
    """Opens come from a messages export ingested once; a later export (the same, or newer rows) that says nothing
    about opens must not wipe them: unknown is not 'not opened'."""
    a = write_export(tmp_path / "a.csv", [
        "r1,Alpha,ann,0,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,,,Ann",
        "r2,Alpha,ann,0,2026-10-03T10:00:00Z,2026-10-04T10:00:00Z,,,Bo",
    ])
    msgs = tmp_path / "messages.csv"
    msgs.write_text("Message ID,Reach Out ID,Opened At\nm1,r1,2026-10-02T09:00:00Z\nm2,r2,\n", encoding="utf-8")
    root = tmp_path / "ds"
    ingest([a], root, LoadOptions(messages=[msgs]))
    before = data_files(root)
    again = ingest([a], root)  # the same export, without the messages export
    assert (again.added, again.updated, again.unchanged, again.stale) == (0, 0, 2, 0)
    assert data_files(root) == before
    b = write_export(tmp_path / "b.csv", ["r1,Alpha,ann,2,2026-10-01T10:00:00Z,2026-10-09T10:00:00Z,Email,,Ann"])
    newer = ingest([b], root)
    assert (newer.added, newer.updated) == (0, 1)
    stored = by_id(read_reach_outs(root).table).set_index("reach_out_id")
    assert stored["state"].to_dict() == {"r1": 2, "r2": 0}
    assert stored["opened"].tolist() == [True, False]


def test_ingest_keeps_rejected_rows_and_strict_refuses_them(cli, tmp_path):
    bad = write_export(tmp_path / "bad.csv", [
        "r1,Alpha,ann,0,2026-10-01T10:00:00Z,,,,Ann",
        "r2,Alpha,ann,42,2026-10-01T10:00:00Z,,,,Bo",
    ])
    code, out, err = cli("ingest", bad, "--into", tmp_path / "strict", "--strict")
    assert code == 2 and "unknown state '42'" in err and "bad.csv:3" in err
    assert not is_dataset(tmp_path / "strict")
    code, out, err = cli("ingest", bad, "--into", tmp_path / "ds", "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["load"]["rows_rejected"] == 1 and report["added"] == 1
    rejects = pd.read_csv(tmp_path / "ds" / report["rejects_file"])
    assert rejects[["line", "reason"]].to_dict("records") == [{"line": 3, "reason": "unknown state '42'"}]


def test_ingest_refuses_a_folder_that_is_not_a_dataset(cli, tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    code, out, err = cli("ingest", SAMPLE / "reach_outs.csv", "--into", tmp_path / "other")
    assert code == 2 and err.count("\n") == 1 and "not a talentstats dataset" in err


def test_ingest_text_summary(cli, tmp_path):
    code, out, err = cli("ingest", SAMPLE / "reach_outs.csv", "--into", tmp_path / "ds")
    assert (code, err) == (0, "")
    assert "duplicates collapsed" in out and "added" in out and "reach outs in the dataset" in out


# --------------------------------------------------------------------------------------------- large files


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stream files in chunks of 997 rows (as a file larger than memory would be, in 2M-row chunks)."""
    monkeypatch.setattr(stream_module, "CHUNK_ROWS", 997)
    monkeypatch.setattr(dataset_module, "INGEST_CHUNK_ROWS", 997)
    monkeypatch.setattr(stream_module, "_BLOCK", 1 << 14)


def test_a_streamed_csv_loads_like_a_whole_one(monkeypatch, small_chunks):
    chunks = list(stream_module.iter_raw(SAMPLE / "reach_outs.csv"))
    assert len(chunks) > 5 and [c.first_line for c in chunks[:2]] == [2, 2 + chunks[0].table.num_rows]
    streamed = read_reach_outs(SAMPLE / "reach_outs.csv", messages=SAMPLE / "messages.csv")
    monkeypatch.setattr(stream_module, "CHUNK_ROWS", 10**9)
    whole = read_reach_outs(SAMPLE / "reach_outs.csv", messages=SAMPLE / "messages.csv")
    pd.testing.assert_frame_equal(streamed.table, whole.table)
    assert streamed.report.as_dict() == whole.report.as_dict()


def test_rejects_keep_their_line_numbers_across_chunks(tmp_path, small_chunks):
    lines = [f"r{i},Alpha,ann,0,2026-10-01T10:00:00Z,,,,P{i}" for i in range(3000)]
    lines[1500] = "r1500,Alpha,ann,nope,2026-10-01T10:00:00Z,,,,P"
    lines[2999] = "r2999,Alpha,ann,0,someday,,,,P"
    path = write_export(tmp_path / "big.csv", lines)
    loaded = read_reach_outs(path)
    rej = loaded.report.rejects
    assert rej[["line", "column", "reason"]].to_dict("records") == [
        {"line": 1502, "column": "State", "reason": "unknown state 'nope'"},
        {"line": 3001, "column": "Created At", "reason": "unparseable date 'someday'"},
    ]
    assert loaded.report.rows_loaded == 2998


def test_duplicates_are_collapsed_across_chunks(tmp_path, small_chunks):
    lines = [f"r{i},Alpha,ann,0,2026-10-01T10:00:00Z,2026-10-02T10:00:00Z,,,P" for i in range(2500)]
    lines.append("r7,Alpha,ann,2,2026-10-01T10:00:00Z,2026-10-09T10:00:00Z,Email,,P")  # newer, chunks later
    loaded = read_reach_outs(write_export(tmp_path / "dups.csv", lines))
    assert loaded.report.duplicates_collapsed == 1 and len(loaded.table) == 2500
    assert loaded.table.set_index("reach_out_id").loc["r7", "state"] == 2


def test_a_parquet_export_is_read_in_row_chunks(tmp_path, small_chunks):
    csv = read_module.read_raw(SAMPLE / "reach_outs.csv").table
    path = tmp_path / "export.parquet"
    pq.write_table(csv, path, row_group_size=1000)
    assert len(list(stream_module.iter_raw(path))) > 5
    a = read_reach_outs(path)
    b = read_reach_outs(SAMPLE / "reach_outs.csv")
    pd.testing.assert_frame_equal(a.table, b.table)


def test_statistics_only_loads_skip_the_personal_columns():
    loaded = read_reach_outs(SAMPLE / "reach_outs.csv", metrics_only=True)
    assert list(loaded.table.columns) == list(CANONICAL)
    assert loaded.table["prospect_name"].isna().all() and loaded.table["prospect_email"].isna().all()
    text = ["campaign", "sender", "response_via", "response_type"]  # kept as categoricals: cheaper to make
    assert all(isinstance(loaded.table[c].dtype, pd.CategoricalDtype) for c in text)
    full = read_reach_outs(SAMPLE / "reach_outs.csv")
    pd.testing.assert_frame_equal(loaded.table.drop(columns=["prospect_name", "prospect_email"]).astype(
        {c: full.table[c].dtype for c in text}), full.table.drop(columns=["prospect_name", "prospect_email"]))


def test_a_dataset_url_is_read(cli, sample_dataset):
    """A dataset named by URL (here ``file://``; ``s3://``, ``gs://``, ``az://`` go through delta-rs' object
    stores for the log and fsspec for the files): the same rows and statistics."""
    url = sample_dataset.resolve().as_uri()
    assert is_dataset(url)
    table = read_dataset(url, ["reach_out_id", "state"])
    assert table.num_rows == read_reach_outs(sample_dataset).report.rows_loaded
    assert pa.types.is_int8(table.schema.field("state").type)
    args = ["--start", "2026-10-01", "--end", "2026-10-31", "--by", "campaign", "--format", "json"]
    code, out, err = cli("stats", url, *args)  # (a URL survives the CLI's Path arguments)
    assert (code, err) == (0, "")
    code, want, _ = cli("stats", sample_dataset, *args)
    assert json.loads(out)["rows"] == json.loads(want)["rows"]


def test_an_export_is_ingested_chunk_by_chunk_like_a_whole_load(tmp_path, small_chunks, monkeypatch):
    """Ingest streams exports in chunks and commits them in one transaction: the table and the load report of
    one load of the whole export, duplicates across chunks included."""
    lines = [f"r{i},C{i % 7},s{i % 3},{i % 10},2026-{9 + i % 3:02d}-{1 + i % 28:02d}T10:00:00Z,"
             f"2026-11-0{1 + i % 5}T10:00:00Z,,,P{i}" for i in range(2600)]
    lines += [f"r{i},C0,s0,2,2026-10-01T10:00:00Z,2026-11-20T10:00:00Z,Email,Interested,P" for i in (5, 1200)]
    lines += ["r7,C0,s0,2,2026-10-01T10:00:00Z,2026-10-20T10:00:00Z,Email,,P"]  # older than r7's first copy
    lines += ["r9,C0,s0,bad,2026-10-01T10:00:00Z,,,,P"]
    export = write_export(tmp_path / "export.csv", lines)
    msgs = tmp_path / "messages.csv"
    msgs.write_text("Message ID,Reach Out ID,Opened At\n" + "".join(
        f"m{i},r{i},{'2026-11-02T10:00:00Z' if i % 4 == 0 else ''}\n" for i in range(0, 3000, 3)), encoding="utf-8")
    chunks = []
    normalized = dataset_module.normalized_chunks
    monkeypatch.setattr(dataset_module, "normalized_chunks",
                        lambda *a, **k: (chunks.append(c.num_rows) or c for c in normalized(*a, **k)))
    report = ingest([export], tmp_path / "ds", LoadOptions(messages=[msgs]))
    assert len(chunks) >= 3  # 2,604 rows in chunks of about 997: read chunk by chunk ...
    assert (report.dataset_version, open_snapshot(tmp_path / "ds").version) == (1, 1)  # ... committed at once
    whole = read_reach_outs(export, messages=msgs)
    # (response times taken from Updated At are a reading of the data, made when it is read: not stored)
    assert report.load == {k: v for k, v in whole.report.as_dict().items() if k != "responded_at_from_updated_at"}
    assert report.opens_source == whole.report.opens_source
    assert report.added == len(whole.table) == report.rows_in_dataset
    pd.testing.assert_frame_equal(by_id(read_reach_outs(tmp_path / "ds").table), by_id(whole.table))


def test_a_load_without_pii_does_not_read_the_names_and_is_otherwise_the_same(sample_dataset, monkeypatch):
    import talentstats.dataset.read as dataset_read

    asked: list[list[str]] = []
    real = dataset_read.read_snapshot

    def counted(snapshot, files, columns=None, *args, **kwargs):
        asked.append(list(columns))
        return real(snapshot, files, columns, *args, **kwargs)

    monkeypatch.setattr(dataset_read, "read_snapshot", counted)
    full = read_reach_outs(sample_dataset)
    without = load(sample_dataset, LoadOptions(pii=False))
    assert "prospect_name" in asked[0] and not {"prospect_name", "prospect_email"} & set(asked[1])
    assert without.table[["prospect_name", "prospect_email"]].isna().all().all()
    assert full.table["prospect_name"].notna().any()
    assert without.table.dtypes.equals(full.table.dtypes)
    names = ["prospect_name", "prospect_email"]
    pd.testing.assert_frame_equal(without.table.drop(columns=names), full.table.drop(columns=names))
    assert without.report.as_dict() == full.report.as_dict()
    export = load(SAMPLE / "reach_outs.csv", LoadOptions(pii=False)).table  # (an export's are read, then left out)
    assert export[names].isna().all().all() and len(export) == len(full.table)
