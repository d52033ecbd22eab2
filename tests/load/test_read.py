"""Every export format of issue 2: CSV dialects, gzip, XLSX, Parquet, JSON Lines, several files, folders."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from talentstats.errors import InputError
from talentstats.load.read import detect_delimiter, expand_paths, read_raw

HEADER = ["Reach Out ID", "Campaign", "State", "Created At"]
ROWS = [["r1", '"Q1, EMEA"', "2", "2026-11-16T09:00:00Z"],
        ["r2", "Café Berlin", "Completed", "2026-11-17T10:30:00+01:00"]]


def csv_text(delimiter: str = ",", newline: str = "\n") -> str:
    return newline.join(delimiter.join(r) for r in [HEADER, *ROWS]) + newline


def utc(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(s) for s in stamps]


def assert_two_rows(loaded) -> None:
    t = loaded.table
    assert t["reach_out_id"].tolist() == ["r1", "r2"]
    assert t["campaign"].tolist() == ["Q1, EMEA", "Café Berlin"]
    assert t["state"].tolist() == [2, 3]
    assert t["created_at"].tolist() == utc("2026-11-16T09:00:00Z", "2026-11-17T09:30:00Z")
    assert loaded.report.rows_read == 2


# ----------------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_delimiter_is_detected(write, load, delimiter):
    assert_two_rows(load(write("export.csv", csv_text(delimiter))))


def test_delimiter_is_the_most_frequent_in_the_header_line():
    assert detect_delimiter("Reach Out ID;Campaign, Name;State") == ";"
    assert detect_delimiter("a\tb\tc") == "\t"
    assert detect_delimiter("single") == ","


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_csv_utf8_with_and_without_bom(write, load, bom):
    path = write("export.csv", csv_text(), bom=bom)
    loaded = load(path)
    assert_two_rows(loaded)
    assert read_raw(path).table.column_names[0] == "Reach Out ID"  # the BOM is not part of the first header


def test_csv_windows_line_endings(write, load):
    assert_two_rows(load(write("export.csv", csv_text(newline="\r\n"))))


def test_csv_in_cp1252_is_decoded(write, load):
    assert_two_rows(load(write("export.csv", csv_text(";"), encoding="cp1252")))


def test_gzipped_csv(write, load):
    assert_two_rows(load(write("export.csv.gz", csv_text(";"))))


def test_quoted_value_with_newline_stays_one_row(write, load):
    loaded = load(write("export.csv", 'Reach Out ID,Campaign,State,Created\nr1,"two\nlines",0,2026-11-16\n'))
    assert loaded.table["campaign"].tolist() == ["two\nlines"]


# ----------------------------------------------------------------------------------------------- XLSX


def write_xlsx(path, sheets: dict[str, pd.DataFrame]) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            frame.to_excel(xw, sheet_name=name, index=False)


XLSX_ROWS = pd.DataFrame({
    "Reach Out ID": ["r1", "r2"],
    "Campaign": ["Alpha", "Beta"],
    "State": [2, 7],  # numeric cells
    "Created Date": [dt.datetime(2026, 11, 16, 9, 0), dt.datetime(2026, 7, 1, 12, 0)],  # date cells, no zone
})


def test_xlsx_first_sheet_by_default_and_sheet_by_name(tmp_path, load):
    path = tmp_path / "export.xlsx"
    other = XLSX_ROWS.assign(**{"Reach Out ID": ["x1", "x2"]})
    write_xlsx(path, {"Reach Outs": XLSX_ROWS, "Older": other})
    assert load(path).table["reach_out_id"].tolist() == ["r1", "r2"]
    assert load(path, sheet="Older").table["reach_out_id"].tolist() == ["x1", "x2"]
    assert load(path, sheet=1).table["reach_out_id"].tolist() == ["x1", "x2"]


def test_xlsx_numeric_state_and_date_cells_read_in_source_tz(tmp_path, load):
    path = tmp_path / "export.xlsx"
    write_xlsx(path, {"Reach Outs": XLSX_ROWS})
    t = load(path, source_tz="Europe/Berlin").table
    assert t["state"].tolist() == [2, 7]
    # Berlin is UTC+1 in November and UTC+2 in July
    assert t["created_at"].tolist() == utc("2026-11-16T08:00:00Z", "2026-07-01T10:00:00Z")


def test_xlsx_wrong_sheet_name_lists_the_sheets(tmp_path):
    path = tmp_path / "export.xlsx"
    write_xlsx(path, {"Reach Outs": XLSX_ROWS, "Older": XLSX_ROWS})
    with pytest.raises(InputError) as err:
        read_raw(path, sheet="Sheet1")
    assert str(err.value) == f"{path}: no sheet named 'Sheet1'; sheets: Reach Outs, Older"
    with pytest.raises(InputError) as err:
        read_raw(path, sheet=5)
    assert str(err.value) == f"{path}: no sheet number 5; sheets: Reach Outs, Older"


def test_xlsx_reject_line_is_the_sheet_row(tmp_path, load):
    path = tmp_path / "export.xlsx"
    write_xlsx(path, {"Reach Outs": XLSX_ROWS.assign(State=[2, "Lost"])})
    rejects = load(path).report.rejects
    assert rejects[["line", "column", "reason"]].values.tolist() == [[3, "State", "unknown state 'Lost'"]]


# ----------------------------------------------------------------------------------------------- Parquet


def test_parquet_typed_columns(tmp_path, load):
    berlin_aware = pa.array([dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC),
                             dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.UTC)], pa.timestamp("ms", tz="Europe/Berlin"))
    table = pa.table({
        "reach_out_id": ["r1", "r2"],
        "state": pa.array([2, 5], pa.int64()),
        "created_at": berlin_aware,
        "updated_at": pa.array([dt.datetime(2026, 11, 18, 9, 0), None], pa.timestamp("us")),  # naive
        "opened": pa.array([True, False]),
        "open_count": pa.array([3, 0], pa.int32()),
    })
    pq.write_table(table, tmp_path / "export.parquet")
    t = load(tmp_path / "export.parquet", source_tz="America/New_York").table
    assert t["state"].tolist() == [2, 5]
    assert t["created_at"].tolist() == utc("2026-11-16T09:00:00Z", "2026-11-17T09:00:00Z")  # zone-aware: kept
    assert t["updated_at"].iloc[0] == pd.Timestamp("2026-11-18T14:00:00Z")  # naive: New York (UTC-5)
    assert pd.isna(t["updated_at"].iloc[1])
    assert t["opened"].tolist() == [True, False]


def test_parquet_naive_timestamps_read_in_source_tz(tmp_path, load):
    table = pa.table({"Thread ID": ["r1"], "Status": pa.array([3], pa.int8()),
                      "Created": pa.array([dt.datetime(2026, 7, 1, 0, 30)], pa.timestamp("s"))})
    pq.write_table(table, tmp_path / "export.parquet")
    assert load(tmp_path / "export.parquet").table["created_at"].tolist() == utc("2026-07-01T00:30:00Z")
    berlin = load(tmp_path / "export.parquet", source_tz="Europe/Berlin").table
    assert berlin["created_at"].tolist() == utc("2026-06-30T22:30:00Z")


def test_parquet_written_by_pandas_with_categories_and_dates(tmp_path, load):
    frame = pd.DataFrame({
        "Reach Out ID": pd.Series(["r1", "r2"], dtype="category"),
        "State": pd.Series(["Responded", "Cancelled"], dtype="category"),
        "Created At": pd.to_datetime(["2026-11-16 10:00", "2026-11-16 11:00"]).tz_localize("Europe/Berlin"),
        "Updated At": [dt.date(2026, 11, 17), None],
        "Opened": pd.array([True, None], dtype="boolean"),
    })
    frame.to_parquet(tmp_path / "export.parquet")
    t = load(tmp_path / "export.parquet").table
    assert t["state"].tolist() == [2, 5]
    assert t["created_at"].tolist() == utc("2026-11-16T09:00:00Z", "2026-11-16T10:00:00Z")
    assert t["updated_at"].iloc[0] == pd.Timestamp("2026-11-17T00:00:00Z") and pd.isna(t["updated_at"].iloc[1])
    assert t["opened"].tolist() == [True, False]  # a blank flag is "not opened"


def test_parquet_reject_line_is_the_row_number(tmp_path, load):
    table = pa.table({"reach_out_id": ["r1", "r2", "r3"], "state": pa.array([2, 12, 0]),
                      "created_at": ["2026-11-16T09:00:00Z"] * 3})
    pq.write_table(table, tmp_path / "export.parquet")
    loaded = load(tmp_path / "export.parquet")
    assert loaded.report.rejects[["line", "reason"]].values.tolist() == [[2, "unknown state '12'"]]


# ----------------------------------------------------------------------------------------------- JSON Lines


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_jsonl(write, load):
    path = write("export.jsonl", jsonl(
        {"Email Thread ID": "r1", "Status": "Responded", "Created Date": "2026-11-16T09:00:00Z",
         "Response Type": "👍", "Response Via": "Email", "Opened": True},
        {"Email Thread ID": "r2", "Status": "Cancelled", "Created Date": "2026-11-17T09:00:00Z",
         "Response Type": None, "Response Via": None, "Opened": False},
    ))
    t = load(path).table
    assert t["reach_out_id"].tolist() == ["r1", "r2"]
    assert t["state"].tolist() == [2, 5]
    assert t["response_type"].iloc[0] == "Interested"
    assert t["opened"].tolist() == [True, False]


def test_jsonl_offsets_are_kept_and_only_naive_times_read_in_source_tz(write, load):
    # pyarrow's JSON reader would turn all three into naive clock times; the offsets must survive
    path = write("export.jsonl", jsonl(
        {"id": "z", "state": 0, "created": "2026-11-16T09:00:00Z"},
        {"id": "plus2", "state": 0, "created": "2026-11-16T09:00:00+02:00"},
        {"id": "naive", "state": 0, "created": "2026-11-16 09:00:00"},
    ))
    t = load(path, source_tz="Europe/Berlin").table
    assert t["created_at"].tolist() == utc("2026-11-16T09:00:00Z", "2026-11-16T07:00:00Z", "2026-11-16T08:00:00Z")


def test_jsonl_field_changing_type_between_rows(write, load):
    path = write("export.jsonl", jsonl(
        {"Reach Out ID": 101, "State": 2, "Created": "2026-11-16T09:00:00Z"},
        {"Reach Out ID": "r-102", "State": "Cancelled", "Created": "2026-11-16T09:00:00Z"},
    ))
    t = load(path).table
    assert t["reach_out_id"].tolist() == ["101", "r-102"]
    assert t["state"].tolist() == [2, 5]


def test_json_array_of_records(write, load):
    path = write("export.json", """
        [{"Reach Out ID": "r1", "State": 2, "Created": "2026-11-16T09:00:00+01:00"},
         {"Reach Out ID": "r2", "State": "Paused", "Created": "2026-11-16 09:00:00"}]
        """)
    t = load(path, source_tz="Europe/Berlin").table
    assert t["state"].tolist() == [2, 4]
    assert t["created_at"].tolist() == utc("2026-11-16T08:00:00Z", "2026-11-16T08:00:00Z")


def test_broken_jsonl_is_an_input_error(write):
    path = write("export.jsonl", '{"id": "r1", "state": 2\n')
    with pytest.raises(InputError, match=r"cannot parse JSON Lines"):
        read_raw(path)


# ----------------------------------------------------------------------------------------------- many files


def test_several_files_of_different_formats_load_as_one_table(write, tmp_path, load):
    a = write("a.csv", """
        Reach Out ID;State;Created
        r1;2;2026-11-16T09:00:00Z
        """)
    pq.write_table(pa.table({"reach_out_id": ["r2"], "state": [3], "created_at": ["2026-11-17T09:00:00Z"]}),
                   tmp_path / "b.parquet")
    loaded = load([a, tmp_path / "b.parquet"])
    assert loaded.table["reach_out_id"].tolist() == ["r1", "r2"]
    assert loaded.report.files == [str(a), str(tmp_path / "b.parquet")]
    assert loaded.report.rows_read == 2


def test_folder_loads_every_export_inside_and_detects_the_messages_file(write, tmp_path, load):
    write("export/2026-11.csv", """
        Reach Out ID,State,Created At
        r1,3,2026-11-16T09:00:00Z
        r2,3,2026-11-17T09:00:00Z
        """)
    write("export/2026-12.csv", """
        Reach Out ID,State,Created At
        r3,0,2026-12-01T09:00:00Z
        """)
    write("export/messages.csv", """
        Message ID,Reach Out ID,Opened At
        m1,r1,2026-11-16T10:00:00Z
        m2,r2,
        """)
    write("export/README.md", "not an export\n")
    loaded = load(tmp_path / "export")
    assert loaded.report.files == [str(tmp_path / "export" / f) for f in ("2026-11.csv", "2026-12.csv")]
    assert loaded.report.rows_read == 3  # the messages file's rows are not reach outs
    assert loaded.report.messages.rows_read == 2
    assert loaded.table["opened"].tolist() == [True, False, False]
    assert loaded.report.opens_source == "messages export"


def test_folder_files_are_taken_in_name_order(write, tmp_path):
    write("d/b.csv", "x\n")
    write("d/a.jsonl", "{}\n")
    write("d/c.txt.gz", "x\n")
    write("d/notes.pdf", "x\n")
    assert [p.name for p in expand_paths([tmp_path / "d"])] == ["a.jsonl", "b.csv", "c.txt.gz"]


# ----------------------------------------------------------------------------------------------- unusable input


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        read_raw(tmp_path / "nope.csv")
    assert str(err.value) == f"{tmp_path / 'nope.csv'}: file not found"


def test_empty_file(write):
    path = write("empty.csv", b"")
    with pytest.raises(InputError) as err:
        read_raw(path)
    assert str(err.value) == f"{path}: file is empty"


def test_file_of_blank_lines_has_no_header(write):
    path = write("blank.csv", b"\n\r\n  \n")
    with pytest.raises(InputError) as err:
        read_raw(path)
    assert str(err.value) == f"{path}: file is empty (no header line)"


def test_header_only_file_loads_no_rows(write, load):
    loaded = load(write("head.csv", "Reach Out ID,State,Created At\n"))
    assert len(loaded.table) == 0
    assert loaded.report.rows_read == 0


def test_folder_without_export_files(write, tmp_path):
    write("docs/notes.md", "hello\n")
    with pytest.raises(InputError) as err:
        expand_paths([tmp_path / "docs"])
    assert str(err.value).startswith(f"{tmp_path / 'docs'}: folder has no export files (.csv, .tsv, ")
