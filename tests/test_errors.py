"""Every failure is one line and an exit code (issue 12, point 3): bad input and usage exit 2, an operating system
error on an output (a folder, a full disk, no permission) exits 2 naming it, anything unexpected is one line and
exit 70, and ``--debug`` (or TALENTSTATS_DEBUG=1) shows its traceback. A raw stack never reaches the user."""

from __future__ import annotations

import os

import pytest

from talentstats.cli import main

EXPORT = """
    Reach Out ID,Campaign,Sender,State,Created At
    r1,Alpha,ann,2,2026-11-16T09:00:00Z
    r2,Alpha,ann,Lost,2026-11-17T09:00:00Z
    """
WEEK = ("--week", "2026-W47")


@pytest.fixture
def export(write):
    return write("export.csv", EXPORT)


def one_line(cli, *args, code: int = 2) -> str:
    got, out, err = cli(*args)
    assert (got, out) == (code, "")
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.rstrip("\n")


def test_an_unexpected_exception_is_one_line_and_exit_70(cli, export, monkeypatch):
    import talentstats.stats.query as query

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(query, "compute_stats", broken)
    assert one_line(cli, "stats", export, *WEEK, code=70) == \
        "talentstats: internal error: RuntimeError: boom second line (run with --debug for the traceback)"


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_debug_shows_the_traceback(export, monkeypatch, capsys, how):
    import talentstats.stats.query as query

    monkeypatch.setattr(query, "compute_stats", lambda *_a, **_k: 1 / 0)
    if how == "environment":
        monkeypatch.setenv("TALENTSTATS_DEBUG", "1")
    with pytest.raises(SystemExit) as info:
        main([*(["--debug"] if how == "flag" else []), "stats", str(export), *WEEK])
    err = capsys.readouterr().err
    assert info.value.code == 70
    assert err.startswith("Traceback (most recent call last):") and "1 / 0" in err
    assert err.endswith("talentstats: internal error: ZeroDivisionError: division by zero (run with --debug for the "
                        "traceback)\n")
    with pytest.raises(SystemExit):  # (an error of the input is never a traceback, --debug or not)
        main([*(["--debug"] if how == "flag" else []), "stats", str(export), *WEEK, "--map-file", "/dev/zero"])
    assert capsys.readouterr().err == "talentstats: error: /dev/zero: mapping file is a device, not a regular file\n"


def test_rejects_that_is_a_folder_or_a_full_disk(cli, export, tmp_path):
    folder = tmp_path / "rejects"
    folder.mkdir()
    assert one_line(cli, "stats", export, *WEEK, "--rejects", folder) == \
        f"talentstats: error: {folder}: cannot write the rejected rows: Is a directory"
    assert one_line(cli, "stats", export, *WEEK, "--rejects", "/dev/full") == \
        "talentstats: error: /dev/full: cannot write the rejected rows: No space left on device"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_locations(cli, export, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert "Permission denied" in one_line(cli, "stats", export, *WEEK, "--rejects", locked / "r.csv")
        assert "Permission denied" in one_line(cli, "ingest", export, "--into", locked / "dataset")
    finally:
        locked.chmod(0o755)


def test_operating_system_errors_name_the_path(cli, export, monkeypatch):
    import talentstats.dataset.write as write_module

    def read_only(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", "/srv/data/2026-11")

    monkeypatch.setattr(write_module, "ingest", read_only)
    assert one_line(cli, "ingest", export, "--into", "/srv/data") == \
        "talentstats: error: /srv/data/2026-11: Permission denied"


def test_out_that_is_a_file(cli, export, tmp_path):
    out = tmp_path / "reports"
    out.write_text("not a folder")
    assert "is a file" in one_line(cli, "report", export, *WEEK, "--out", out, "--format", "html")


def test_map_file_not_utf8_and_limit_flags(cli, export, tmp_path):
    bad = tmp_path / "map.toml"
    bad.write_bytes(b'"Thread Ref" = "reach_out_id"\n\xff = "x"\n')
    assert one_line(cli, "stats", export, *WEEK, "--map-file", bad) == \
        f"talentstats: error: {bad}:2: mapping file is not UTF-8 text (byte 0xFF); save it as UTF-8"
    assert "Invalid value for '--max-field-bytes': 'lots'" in one_line(cli, "stats", export, *WEEK,
                                                                        "--max-field-bytes", "lots")
    assert "Invalid value for '--read-limit': 'max_rows=3'" in one_line(cli, "check", export, "--read-limit",
                                                                         "max_rows=3")
    code, _, err = cli("stats", export, *WEEK, "--max-field-bytes", "10", "--read-limit", "max_columns=5")
    assert (code, err) == (2, f"talentstats: error: {export}:2: column 'Created At': a value of 20 bytes, more than "
                              "10; to read it anyway, raise the limit --max-field-bytes (now 10)\n")
