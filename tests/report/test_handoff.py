"""The snapshot a report run hands its notebook kernels (one load for every week), and the headline record the
notebook hands back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentstats.errors import InputError
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.report.handoff import HEADLINE_MIME, read_headline, read_snapshot, write_snapshot
from talentstats.stats.metrics import campaign_stats

from .helpers import W47, sample_dir

EXPORT = """\
    Reach Out ID,Campaign,Sender,State,Created At,Response Via,Response Type,Prospect Name
    r1,A,s1,Responded,2026-11-16T09:00:00Z,Email,Interested,Ada
    r2,A,s1,In Progress,2026-11-17T09:00:00Z,,,Bob
    r2,A,s1,In Progress,2026-11-17T09:00:00Z,,,Bob
    r3,B,s2,Sleeping,2026-11-18T09:00:00Z,,,Cy
    ,B,s2,In Progress,2026-11-18T09:00:00Z,,,Di
"""


def test_the_sample_round_trips_with_its_load_report(tmp_path: Path):
    loaded = load([sample_dir()])
    back = read_snapshot(write_snapshot(loaded, tmp_path / "s.arrow"))
    pd.testing.assert_frame_equal(back.table, loaded.table)
    a, b = loaded.report, back.report
    assert b.as_dict() == a.as_dict() and b.files == a.files and b.opens_source == a.opens_source
    assert b.messages == a.messages and b.messages is not None


def test_rejects_keep_their_reasons_but_not_their_raw_values(tmp_path: Path, write: Callable[..., Path]):
    loaded = load([write("export.csv", EXPORT)])
    assert loaded.report.rows_rejected == 2 and loaded.report.duplicates_collapsed == 1
    back = read_snapshot(write_snapshot(loaded, tmp_path / "s.arrow"))
    assert back.report.reject_summary() == loaded.report.reject_summary()
    assert list(back.report.rejects.columns) == ["file", "line", "column", "reason"]
    assert back.report.rejects["line"].tolist() == loaded.report.rejects["line"].tolist()
    assert (back.report.rows_read, back.report.rows_rejected) == (5, 2)


def test_a_metrics_only_load_stays_categorical(tmp_path: Path):
    loaded = load([sample_dir()], LoadOptions(metrics_only=True))
    back = read_snapshot(write_snapshot(loaded, tmp_path / "s.arrow"), categorical=True)
    pd.testing.assert_frame_equal(back.table, loaded.table)


def test_a_report_load_keeps_few_valued_text_as_categories_every_column_read(tmp_path: Path):
    plain = load([sample_dir()])
    loaded = load([sample_dir()], LoadOptions(categories=True))
    text = ["campaign", "sender", "response_via", "response_type"]
    assert all(isinstance(loaded.table[c].dtype, pd.CategoricalDtype) for c in text)
    assert list(loaded.table.columns) == list(plain.table.columns)  # (ids and names read, unlike metrics_only)
    decoded = loaded.table.astype({c: plain.table[c].dtype for c in text})
    pd.testing.assert_frame_equal(decoded, plain.table)
    # the snapshot is read as it was written: categories stay categories (a tenth of the bytes at 10M rows)
    path = write_snapshot(loaded, tmp_path / "cat.arrow")
    assert path.stat().st_size < write_snapshot(plain, tmp_path / "plain.arrow").stat().st_size
    pd.testing.assert_frame_equal(read_snapshot(path).table, loaded.table)
    pd.testing.assert_frame_equal(read_snapshot(tmp_path / "plain.arrow").table, plain.table)
    pd.testing.assert_frame_equal(read_snapshot(path, categorical=False).table, plain.table)


def test_a_dataset_read_for_a_report_keeps_its_stored_dictionaries(tmp_path: Path):
    from talentstats.dataset.write import ingest

    ingest([sample_dir() / "reach_outs.csv"], tmp_path / "ds")
    plain = load([tmp_path / "ds"], LoadOptions(pii=False))
    loaded = load([tmp_path / "ds"], LoadOptions(pii=False, categories=True))
    text = ["campaign", "sender", "response_via", "response_type"]
    assert all(isinstance(loaded.table[c].dtype, pd.CategoricalDtype) for c in text)
    assert not any(isinstance(plain.table[c].dtype, pd.CategoricalDtype) for c in text)
    pd.testing.assert_frame_equal(loaded.table.astype({c: plain.table[c].dtype for c in text}), plain.table)


def test_a_report_of_categories_is_the_report_of_text(tmp_path: Path):
    from talentstats.weekly import WeeklyReport

    reports = []
    for categories in (False, True):
        path = write_snapshot(load([sample_dir()], LoadOptions(categories=categories, pii=False)),
                              tmp_path / f"{categories}.arrow", pii=False)
        reports.append(WeeklyReport.from_parameters(None, {}, snapshot=str(path), week="2026-W47"))
    text, cats = reports
    assert isinstance(cats.table["campaign"].dtype, pd.CategoricalDtype)
    assert cats.headline() == text.headline()
    for key in ("campaign", "sender"):
        assert cats.table_html(key) == text.table_html(key)
        pd.testing.assert_frame_equal(cats.activity(key).astype({key: str}), text.activity(key).astype({key: str}))
    assert cats.reconciliation_html() == text.reconciliation_html() and cats.interested_html() == text.interested_html()
    assert cats.campaign_trends().to_json() == text.campaign_trends().to_json()


def test_without_pii_the_prospect_columns_are_empty_and_the_numbers_the_same(tmp_path: Path):
    loaded = load([sample_dir()])
    back = read_snapshot(write_snapshot(loaded, tmp_path / "s.arrow", pii=False)).table
    assert back[["prospect_name", "prospect_email"]].isna().all().all()
    assert loaded.table["prospect_name"].notna().any()  # (the load itself is untouched)
    assert list(back.columns) == list(loaded.table.columns)
    pd.testing.assert_frame_equal(campaign_stats(back, *W47, by="campaign"),
                                  campaign_stats(loaded.table, *W47, by="campaign"))


def test_rows_leave_reach_outs_out_but_not_the_load_report_or_the_messages(tmp_path: Path):
    loaded = load([sample_dir()])
    rows = loaded.table.index.to_numpy() % 3 == 0
    back = read_snapshot(write_snapshot(loaded, tmp_path / "s.arrow", pii=False, rows=rows))
    expected = loaded.table[rows].reset_index(drop=True)
    pd.testing.assert_frame_equal(back.table.drop(columns=["prospect_name", "prospect_email"]),
                                  expected.drop(columns=["prospect_name", "prospect_email"]))
    assert back.table[["prospect_name", "prospect_email"]].isna().all().all()
    assert back.report.as_dict() == loaded.report.as_dict()  # (the counts of the whole load)
    assert back.messages.num_rows == loaded.messages.num_rows  # every message, without its reach out's row
    assert "ro" in loaded.messages.column_names and "ro" not in back.messages.column_names
    assert back.messages.equals(loaded.messages.drop_columns(["ro"]))


def test_a_missing_or_foreign_snapshot_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="file not found"):
        read_snapshot(tmp_path / "gone.parquet")
    pq.write_table(pa.table({"x": [1]}), tmp_path / "other.parquet")
    with pytest.raises(InputError, match="not a report snapshot"):
        read_snapshot(tmp_path / "other.parquet")
    (tmp_path / "text.parquet").write_text("hello")
    with pytest.raises(InputError, match="not a report snapshot"):
        read_snapshot(tmp_path / "text.parquet")


def test_a_snapshot_is_arrow_with_one_chunk_per_column(tmp_path: Path):
    """Arrow IPC (uncompressed, read memory-mapped), each column one batch: the kernel's string columns are one
    chunk, which rows are picked from tens of times faster than from the loader's many chunks."""
    loaded = load([sample_dir()])
    rows = loaded.table.index.to_numpy() % 2 == 0
    path = write_snapshot(loaded, tmp_path / "s.arrow", rows=rows)
    assert path.read_bytes()[:6] == b"ARROW1"
    with pa.OSFile(str(path)) as source:
        reader = pa.ipc.open_file(source)
        assert reader.num_record_batches == 1
        assert reader.get_batch(0).column(0).buffers()[-1] is not None
    back = read_snapshot(path).table
    assert back["campaign"].array._pa_array.num_chunks == 1
    pd.testing.assert_frame_equal(back, loaded.table[rows].reset_index(drop=True))


def test_a_parquet_snapshot_of_an_earlier_version_is_still_read(tmp_path: Path):
    loaded = load([sample_dir()])
    path = write_snapshot(loaded, tmp_path / "s.arrow")
    with pa.OSFile(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    pq.write_table(table.replace_schema_metadata({k: v for k, v in table.schema.metadata.items()
                                                  if k != b"talentstats.messages"}), tmp_path / "old.parquet")
    back = read_snapshot(tmp_path / "old.parquet")
    pd.testing.assert_frame_equal(back.table, loaded.table)
    assert back.messages is None and back.report.as_dict() == loaded.report.as_dict()


def test_read_headline_finds_the_record(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("report.record()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={HEADLINE_MIME: {"reach_outs": 503}})]
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), cell]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    assert read_headline(tmp_path / "nb.ipynb") == {"reach_outs": 503}
    nb.cells = nb.cells[:1]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    assert read_headline(tmp_path / "nb.ipynb") == {}


def test_a_snapshot_is_read_once_and_each_caller_gets_its_own_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from talentstats.report import handoff

    loaded = load([sample_dir()])
    path = write_snapshot(loaded, tmp_path / "s.arrow")
    reads: list[Path] = []
    real_read = handoff._read_table

    def counted(source, *args, **kwargs):
        reads.append(Path(source))
        return real_read(source, *args, **kwargs)

    monkeypatch.setattr(handoff, "_read_table", counted)
    first = read_snapshot(path)
    assert [p.name for p in reads] == ["s.arrow", "s.messages.arrow"]
    first.table["campaign"] = "changed"  # a notebook changing its table...
    first.report.rows_loaded = -1
    second = read_snapshot(path)
    assert len(reads) == 2  # ...the second period's read is the kept one, unchanged
    pd.testing.assert_frame_equal(second.table, loaded.table)
    assert second.report.rows_loaded == loaded.report.rows_loaded and second.messages is first.messages
    read_snapshot(path, categorical=True)  # another typing is another read
    assert len(reads) == 4
    write_snapshot(loaded, path, pii=False)  # a new snapshot at the same path is read again
    assert read_snapshot(path).table["prospect_name"].isna().all() and len(reads) == 6
    path.unlink()
    with pytest.raises(InputError, match="file not found"):
        read_snapshot(path)


def test_a_snapshot_written_again_at_its_path_leaves_a_table_read_from_it_as_it_was(tmp_path: Path):
    """The kernel's table is made from the mapped file: writing the next snapshot at the same path makes a new
    file (renamed into place), never rewrites the pages the table reads."""
    from talentstats.report.handoff import _read_table

    loaded = load([sample_dir()])
    path = write_snapshot(loaded, tmp_path / "s.arrow")
    first = _read_table(path)
    before = first.to_pandas()
    write_snapshot(loaded, path, rows=loaded.table.index.to_numpy() % 3 == 0)
    assert first.num_rows == len(loaded.table)
    pd.testing.assert_frame_equal(first.to_pandas(), before)
    assert read_snapshot(path).table.shape[0] == int((loaded.table.index.to_numpy() % 3 == 0).sum())
    assert not list(tmp_path.glob("*.part"))
