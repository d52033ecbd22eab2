"""Issue 12, defect 8: export values in terminal output. A campaign named ``[/]`` gave a MarkupError traceback in
the ``stats`` table, ``[link=…]`` and ``[blink]`` were interpreted as rich markup, and ESC bytes reached the
terminal. Now table cells are rich ``Text`` (never markup) and control characters are shown as escapes, in
``stats`` and ``check`` alike."""

from __future__ import annotations

import re

import pytest

HEADER = "Reach Out ID,Campaign,Sender,State,Created At\n"
MARKUP = ["[/]", "[link=http://evil.example]click[/link]", "[blink]blinking[/blink]", "[bold red]x", ":smile:"]
ESC = "esc\x1b[31mred\x1b]8;;http://evil.example\x07link"
#: what a terminal would act on: ESC, BEL, CSI (C1), a newline, a right-to-left override
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def _export(write, campaigns: list[str], sender: str = "ann@x.io") -> object:
    """The campaigns in 2026-W47, and a campaign "fresh" five weeks later (so ``check`` lists them as stale)."""
    rows = "".join(f'r{i},"{c.replace(chr(34), chr(34) * 2)}","{sender}",2,2026-11-16T09:00:00Z\n'
                   for i, c in enumerate(campaigns))
    return write("export.csv", HEADER + rows + "f1,fresh,ann@x.io,2,2026-12-21T09:00:00Z\n")


def test_terminal_text_shows_controls_as_escapes():
    from talentstats.present.formats import terminal_text

    assert terminal_text("a\x1b[31mb") == "a\\x1b[31mb"
    assert terminal_text("x\u202ey\nz\x9b\x7f") == "x\\u202ey\\x0az\\x9b\\x7f"
    assert terminal_text("Sales – Berlin 日本 é [/]") == "Sales – Berlin 日本 é [/]"


@pytest.mark.parametrize("by", ["campaign", "campaign,sender"])
def test_stats_table_shows_markup_as_written(write, cli, by):
    path = _export(write, MARKUP, sender="[blink]b@x.io")
    code, out, err = cli("stats", path, "--week", "2026-W47", "--by", by)
    assert code == 0, err
    for name in MARKUP:
        assert name in out, name  # not a traceback, not a link, not blinking: the text
    if "sender" in by:
        assert "[blink]b@x.io" in out


def test_stats_table_and_check_show_control_characters_visibly(write, cli):
    path = _export(write, [ESC, "two\nlines", "rtl\u202eevil"])
    code, out, err = cli("stats", path, "--week", "2026-W47", "--by", "campaign")
    assert code == 0, err
    assert not CONTROLS.search(out)
    assert "esc\\x1b[31mred\\x1b]8;;http://evil.example\\x07link" in out and "two\\x0alines" in out
    assert "rtl\\u202eevil" in out
    code, out, err = cli("check", path, "--now", "2026-12-22")  # the hostile campaigns are stale: listed
    assert code == 0, err
    assert not CONTROLS.search(out)
    assert "esc\\x1b[31mred" in out and "two\\x0alines" in out
