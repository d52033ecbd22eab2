"""Line numbers of rejected rows: the vectorised one-record-per-line check that lets streamed chunks skip a parse,
and the parse (done once per file) when it fails."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import talentstats.load.rawcheck as rawcheck

CASES = {
    "plain LF": (b"a,b\n1,x\n2,y\n", True),
    "CRLF": (b"a,b\r\n1,x\r\n2,y\r\n", True),
    "quoted delimiter and doubled quotes": (b'a,b\n1,"x, ""y"""\n2,z\n', True),
    "no final line break": (b"a,b\n1,x\n2,y", True),
    "trailing blank lines": (b"a,b\r\n1,x\r\n\r\n\r\n", True),
    "line break inside quotes": (b'a,b\n1,"x\ny"\n2,z\n', False),
    "CRLF inside quotes": (b'a,b\r\n1,"x\r\ny"\r\n2,z\r\n', False),
    "blank line between rows": (b"a,b\n1,x\n\n2,y\n", False),
    "blank CRLF line between rows": (b"a,b\r\n1,x\r\n\r\n2,y\r\n", False),
    "lone CR line ends": (b"a,b\r1,x\r2,y\r", False),
    "blank first line": (b"\na,b\n1,x\n", False),
}


@pytest.mark.parametrize("block", [1 << 22, 1, 2, 3])  # tiny blocks: every pattern straddles a block boundary
@pytest.mark.parametrize("name", list(CASES))
def test_one_record_per_line(tmp_path, monkeypatch, name, block):
    data, expected = CASES[name]
    monkeypatch.setattr(rawcheck, "_CHUNK", block)
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert rawcheck._one_record_per_line(path, False) is expected
    gz = tmp_path / "x.csv.gz"
    gz.write_bytes(gzip.compress(data))
    assert rawcheck._one_record_per_line(gz, True) is expected


def test_row_lines_are_worked_out_once_per_file(tmp_path, monkeypatch):
    path = tmp_path / "x.csv"
    path.write_bytes(b'a,b\n1,"x\ny"\n\n2,z\n3,w\n')
    calls = []
    parse = rawcheck._row_lines
    monkeypatch.setattr(rawcheck, "_row_lines", lambda *a: calls.append(a) or parse(*a))
    first = rawcheck.csv_row_lines(path, False, "utf-8", ",", 2)
    both = rawcheck.csv_row_lines(path, False, "utf-8", ",", 3)
    assert first.tolist() == [2, 5] and both.tolist() == [2, 5, 6]
    assert len(calls) == 1  # the second chunk reused the first parse
    simple = tmp_path / "y.csv"
    simple.write_bytes(b"a,b\n1,x\n2,y\n")
    assert rawcheck.csv_row_lines(simple, False, "utf-8", ",", 2) is None  # row i on line i + 2
    assert isinstance(first, np.ndarray)
