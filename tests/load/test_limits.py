"""Bounded work on any input (issue 12, point 2): every limit stops its input with one located error naming the
limit, and raising the limit reads it. In process and small: the memory and time of the real bombs are measured
in test_bombs.py."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentstats.errors import InputError, UsageError
from talentstats.load.headers import read_map_file
from talentstats.load.limits import MIB, LimitError, Limits, parse_limit_item, parse_size
from talentstats.load.loader import load
from talentstats.load.options import LoadOptions
from talentstats.load.read import read_raw

from . import bombs

EXPORT = f"{bombs.HEADER}\n{bombs.ROW}\n"
RECORD = {"Reach Out ID": "r1", "Campaign": "A", "Sender": "ann", "State": 2, "Created At": "2026-11-16T09:00:00Z"}


def limited(path: Path, **limits: int) -> LimitError:
    """The LimitError of loading ``path`` under ``limits``."""
    with pytest.raises(LimitError) as info:
        load(path, LoadOptions(limits=limits))
    return info.value


def test_limits_are_one_frozen_value_carried_by_load_options():
    options = LoadOptions(limits={"max_field_bytes": "4MiB"})
    assert options.limits == Limits(max_field_bytes=4 * MIB)
    assert LoadOptions.from_parameters(options.to_parameters()).limits == options.limits
    with pytest.raises(AttributeError):
        options.limits.max_columns = 1  # type: ignore[misc]
    assert parse_size("2G") == 2 << 30 and parse_size("123") == 123
    assert parse_limit_item("max-json-depth=100") == ("max_json_depth", 100)
    with pytest.raises(UsageError, match="max_columns 0: must be a whole number"):
        Limits(max_columns=0)
    with pytest.raises(UsageError, match="unknown limit"):
        Limits().but(max_rows=3)


# --------------------------------------------------------------------------------------------- XLSX


def test_xlsx_cell_at_the_last_column_is_refused_from_the_sheet_xml(tmp_path):
    err = limited(bombs.xlsx_far_cell(tmp_path / "far.xlsx"))
    assert (err.parameter, err.line) == ("max_columns", 1048576)
    assert "cell XFD1048576 holds a value, so the sheet has 16,384 columns" in str(err)


def test_xlsx_grid_of_too_many_cells_is_refused_and_the_limit_can_be_raised(tmp_path):
    path = bombs.xlsx_cell(tmp_path / "tall.xlsx", "E500")
    err = limited(path, max_cells=1000)
    assert err.parameter == "max_cells"
    assert "cell E500 holds a value, so the sheet reads as 500 rows x 5 columns (2,500 cells, more than 1,000)" \
        in str(err)
    assert load(path, LoadOptions(limits={"max_cells": 2500})).report.rows_read == 2  # (row 500: no id)


def test_xlsx_declared_dimension_is_not_trusted(tmp_path):
    loaded = load(bombs.xlsx_declared_huge(tmp_path / "claims.xlsx"))
    assert loaded.report.rows_loaded == 1


def test_xlsx_long_shared_string_is_refused_naming_its_cell(tmp_path):
    path = bombs.xlsx_huge_string(tmp_path / "s.xlsx", mib=3)
    err = limited(path)
    assert (err.parameter, err.line) == ("max_field_bytes", 2)
    assert "sheet 'Reach Outs': cell B2 holds a text of more than 1,048,576 characters" in str(err)
    loaded = load(path, LoadOptions(limits={"max_field_bytes": 4 * MIB}))
    assert len(loaded.table["campaign"][0]) == 3 * MIB


def test_xlsx_long_inline_string_is_refused(tmp_path):
    err = limited(bombs.xlsx_cell(tmp_path / "i.xlsx", "B3", "y" * 2000), max_field_bytes=1000)
    assert (err.parameter, err.line) == ("max_field_bytes", 3) and "cell B3" in str(err)


# --------------------------------------------------------------------------------------------- gzip


def test_gzip_of_nul_bytes_is_stopped_at_the_header_line(tmp_path):
    err = limited(bombs.gzip_nul_bomb(tmp_path / "nul.csv.gz"))
    assert (err.parameter, err.line) == ("max_field_bytes", 1)
    assert "the first line (the header) is longer than 1,048,576 bytes" in str(err)


def test_gzip_inflating_more_than_the_ratio_is_stopped_while_streaming(tmp_path):
    err = limited(bombs.gzip_nul_bomb(tmp_path / "nul.csv.gz", header=True))
    assert err.parameter == "max_inflation_ratio"
    assert "a decompression bomb?" in str(err)
    rows = bombs.gzip_text_bomb(tmp_path / "rows.csv.gz", 24)  # (a valid export, 24 MiB of one row repeated)
    assert limited(rows).parameter == "max_inflation_ratio"
    loaded = load(rows, LoadOptions(limits={"max_inflation_ratio": 10_000}))
    assert loaded.report.rows_loaded == 1 and loaded.report.duplicates_collapsed > 500_000


def test_gzip_inflated_size_has_a_limit(write):
    path = write("e.csv.gz", EXPORT * 1)
    err = limited(bombs.gzip_text_bomb(path.with_name("big.csv.gz"), 2), max_inflated_bytes=MIB)
    assert err.parameter == "max_inflated_bytes"
    assert "inflates to more than 1,048,576 bytes" in str(err)
    assert load(path, LoadOptions(limits={"max_inflated_bytes": 1000})).report.rows_loaded == 1


# --------------------------------------------------------------------------------------------- CSV


def test_csv_value_longer_than_the_limit_names_line_and_column(tmp_path):
    path = bombs.long_line(tmp_path / "long.csv", 3, column=1)
    err = limited(path)
    assert (err.parameter, err.line, err.column) == ("max_field_bytes", 3, "Campaign")
    assert str(err) == (f"{path}:3: column 'Campaign': a value of 3,145,728 bytes, more than 1,048,576; to read it "
                        "anyway, raise the limit max_field_bytes (now 1,048,576)")
    big = bombs.long_line(tmp_path / "big.csv", 40, column=3)  # (longer than Arrow's block: walked, not parsed)
    err = limited(big)
    assert (err.parameter, err.line, err.column) == ("max_field_bytes", 3, "State")
    assert "a value of more than 1,048,576 bytes" in str(err)
    assert load(path, LoadOptions(limits={"max_field_bytes": 4 * MIB})).report.rows_loaded == 3


def test_csv_value_within_a_block_is_still_checked(write):
    path = write("e.csv", EXPORT + "r2,Beta,ann,2," + "9" * 3000 + "\n")
    err = limited(path, max_field_bytes=1000)
    assert (err.line, err.column) == (3, "Created At")
    assert "a value of 3,000 bytes, more than 1,000" in str(err)


def test_csv_record_longer_than_a_block_is_read_when_every_value_is_within_the_limit(tmp_path):
    path = bombs.long_line(tmp_path / "long.csv", 20, column=2)  # (Arrow's block: 16 MiB)
    loaded = load(path, LoadOptions(limits={"max_field_bytes": 32 * MIB}))
    assert loaded.table["sender"].str.len().max() == 20 * MIB


def test_csv_unclosed_quote_in_a_large_file_is_located(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(EXPORT + 'r2,"Beta,ann,2,2026-11-16T09:00:00Z\n' + "r3,x,y,2,2026\n" * 200_000)
    with pytest.raises(InputError, match=r"q.csv:3: column 'Campaign': a quote opened in this value is never closed"):
        load(path)
    err = limited(path, max_field_bytes=100_000)  # (the value passes the limit: the walk stops there)
    assert (err.line, err.column) == (3, "Campaign")
    assert "a value of more than 100,000 bytes (a quote opened and never closed?)" in str(err)


def test_csv_header_wider_than_the_limit(tmp_path):
    path = bombs.wide_header(tmp_path / "wide.csv", 20_000)
    err = limited(path)
    assert (err.parameter, err.line) == ("max_columns", 1)
    assert "the header has 20,000 columns, more than 10,000" in str(err)
    assert load(path, LoadOptions(limits={"max_columns": 20_000})).report.rows_loaded == 1


def test_csv_header_over_64_kib_is_read_whole_not_cut(tmp_path):
    path = bombs.wide_header(tmp_path / "wide.csv", 1_000_010)
    err = limited(path)
    assert (err.parameter, err.line) == ("max_columns", 1)
    assert "the header has more than 10,000 columns" in str(err)
    raw = read_raw(bombs.wide_header(tmp_path / "w.csv", 9_000))  # (~60 KiB+: past the sniffed head)
    assert raw.table.num_columns == 9_000


def test_binary_saved_as_csv_is_one_located_line(write, tmp_path):
    gz = tmp_path / "export.csv"
    gz.write_bytes(gzip.compress(EXPORT.encode()))
    with pytest.raises(InputError, match="this is gzip-compressed data: name the file .csv.gz"):
        load(gz)
    cp = write("cp.csv", (bombs.HEADER + "\nr1,Al\x81pha,ann,2,2026-11-16T09:00:00Z\n").encode("latin-1"))
    with pytest.raises(InputError) as info:
        load(cp)
    assert (info.value.line, info.value.column) == (2, "Campaign")
    assert "byte 0x81 is not a character in cp1252" in str(info.value)
    nd = write("nd.csv", (bombs.HEADER + "\nr1,é,ann,2,2026-11-16T09:00:00Z\nr2,").encode("cp1252") + b"\x8d,ann\n")
    with pytest.raises(InputError, match=r"nd.csv:3: column 'Campaign': byte 0x8D"):
        load(nd)


# --------------------------------------------------------------------------------------------- JSON


def test_json_nested_100000_deep_is_refused_before_any_parser(tmp_path):
    err = limited(bombs.deep_json(tmp_path / "deep.jsonl"))
    assert (err.parameter, err.line) == ("max_json_depth", 2)
    assert "JSON nested 100,001 levels deep, more than 64" in str(err)
    array = tmp_path / "deep.json"
    array.write_text("[" + json.dumps(RECORD) + ", " + "[" * 5000 + "]" * 5000 + "]")
    assert limited(array).parameter == "max_json_depth"


def test_json_depth_limit_can_be_raised(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "Reach Out ID": "r2", "x": [[[1]]]}) + "\n")
    assert limited(path, max_json_depth=3).line == 2
    assert load(path, LoadOptions(limits={"max_json_depth": 4})).report.rows_loaded == 2  # (x: unused, dropped)


def test_json_line_longer_than_a_record_names_the_key(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "Campaign": "c" * 40_000}) + "\n")
    err = limited(path, max_field_bytes=2000)
    assert (err.parameter, err.line, err.column) == ("max_field_bytes", 2, "Campaign")
    assert "a value of more than 2,000 bytes" in str(err)


@pytest.mark.parametrize(("value", "kind"), [(["a", "b"], "a list"), ({"n": "a"}, "a struct<n: string>")])
def test_list_or_struct_values_are_one_located_line(tmp_path, value, kind):
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text("\n".join(json.dumps({**RECORD, "Reach Out ID": f"r{i}", "Campaign": value})
                               for i in range(2)) + "\n")
    parquet = tmp_path / "e.parquet"
    pq.write_table(pa.table({k: [v, v] for k, v in {**RECORD, "Campaign": value}.items()}), parquet)
    for path in (jsonl, parquet):
        with pytest.raises(InputError) as info:
            load(path)
        assert (info.value.line, info.value.column) == (1, "Campaign")
        assert f"{kind}, not a single value" in str(info.value)


def test_json_object_among_text_values_is_one_located_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(RECORD) + "\n\n" + json.dumps({**RECORD, "Reach Out ID": "r2", "State": "Cancelled",
                                                             "Campaign": {"n": 1}}) + "\n")
    with pytest.raises(InputError, match=r"mixed.jsonl:3: column 'Campaign': an object or a list"):
        load(path)


def test_unused_list_column_is_set_aside(tmp_path):
    path = tmp_path / "e.parquet"
    pq.write_table(pa.table({**{k: [v] for k, v in RECORD.items()}, "Tags": [["a", "b"]]}), path)
    assert load(path).report.rows_loaded == 1


def test_parquet_binary_ids(tmp_path):
    path = tmp_path / "bin.parquet"
    columns = {k: [v, v] for k, v in RECORD.items()}
    pq.write_table(pa.table({**columns, "Reach Out ID": pa.array([b"r1", b"\xff\xfe"], pa.binary())}), path)
    with pytest.raises(InputError, match=r"bin.parquet:2: column 'Reach Out ID': bytes that are not UTF-8 text"):
        load(path)
    pq.write_table(pa.table({**columns, "Reach Out ID": pa.array([b"r1", b"r2"], pa.binary())}), path)
    assert load(path).table["reach_out_id"].tolist() == ["r1", "r2"]


# --------------------------------------------------------------------------------------------- --map-file


def test_map_file_must_be_a_small_regular_utf8_file(tmp_path):
    with pytest.raises(InputError, match="/dev/zero: mapping file is a device, not a regular file"):
        read_map_file("/dev/zero")
    fifo = tmp_path / "map.toml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="mapping file is a named pipe"):
        read_map_file(fifo)  # (refused at once: nothing writes to it)
    with pytest.raises(InputError, match="mapping file is a folder"):
        read_map_file(tmp_path)
    big = tmp_path / "big.toml"
    big.write_text('"Thread Ref" = "reach_out_id"\n' + "#" * MIB)
    with pytest.raises(LimitError, match="mapping file is larger than 1,048,576 bytes") as info:
        read_map_file(big)
    assert info.value.parameter == "max_map_file_bytes"
    assert read_map_file(big, Limits(max_map_file_bytes=2 * MIB)) == {"Thread Ref": "reach_out_id"}
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'"Thread Ref" = "reach_out_id"\n\xff = "x"\n')
    with pytest.raises(InputError, match=r"bad.toml:2: mapping file is not UTF-8 text \(byte 0xFF\)"):
        read_map_file(bad)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="nested too deeply"):
        read_map_file(deep)


def test_two_headers_mapped_to_one_column_is_an_error(write):
    path = write("e.csv", "Thread,Ref,State,Created At\nr1,x1,2,2026-11-16T09:00:00Z\n")
    mapping = {"Thread": "reach_out_id", "Ref": "reach_out_id"}
    for metrics_only in (False, True):
        with pytest.raises(InputError, match="headers 'Ref' and 'Thread' are both mapped to column 'reach_out_id'"):
            load(path, LoadOptions(mapping=mapping, metrics_only=metrics_only))
    # a mapping file may cover several export variants: only headers both present are a conflict
    assert load(path, LoadOptions(mapping={"Thread": "reach_out_id", "Email Thread": "reach_out_id"})) \
        .report.rows_loaded == 1


def test_missing_column_error_lists_long_headers_cut(write):
    path = write("e.csv", ",".join(["x" * 500] + [f"h{i}" for i in range(100)]) + "\n" + "1," * 100 + "1\n")
    with pytest.raises(InputError) as info:
        load(path)
    assert len(str(info.value)) < 1500 and "and 61 more" in str(info.value)
