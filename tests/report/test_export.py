"""The exported page: outputs only, nothing from the network, printed at the paper's width; the format and paper
arguments validated, naming the library parameter."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from talentstats.errors import UsageError
from talentstats.report.export import (
    export_html,
    network_references,
    paper_size,
    parse_formats,
    print_css,
    strip_network,
    warm_export,
)
from talentstats.report.handoff import HEADLINE_MIME
from talentstats.report.slim_css import page_classes, prune_css


def test_strip_network_removes_remote_scripts_and_links():
    page = ('<head><script src="https://cdn.example/require.js"></script><link rel="stylesheet" '
            'href="//fonts.example/x.css"><script src=""></script><script>var x = 1;</script></head>')
    assert network_references(page)
    clean = strip_network(page)
    assert clean == "<head><script>var x = 1;</script></head>"
    assert network_references(clean) == []
    assert network_references("<style>@import url('https://x.example/a.css');</style>")
    assert network_references('<a href="https://plotly.com/">plotly</a>') == []  # a link is not a load


def test_formats_and_paper_are_validated_naming_the_parameter():
    assert parse_formats("HTML, pdf") == ["html", "pdf"]
    assert parse_formats(["ipynb"]) == ["ipynb"]
    with pytest.raises(UsageError) as info:
        parse_formats("html,docx")
    assert (info.value.parameter, info.value.value) == ("formats", "docx")
    assert str(info.value) == "formats 'docx': choose from html, pdf, ipynb"
    assert info.value.describe("--format") == "--format 'docx': choose from html, pdf, ipynb"  # as the CLI says it
    with pytest.raises(UsageError) as info:
        parse_formats(" , ")
    assert info.value.parameter == "formats"
    assert paper_size("letter") == ("Letter", 215.9)
    with pytest.raises(UsageError) as info:
        paper_size("A3")
    assert info.value.describe("--paper") == "--paper 'A3': choose A4 or Letter"


def test_print_css_fixes_the_body_to_the_printable_width():
    assert "size:A4 portrait" in print_css("A4", "x") and "width:186.0mm" in print_css("A4", "x")
    assert "size:Letter portrait" in print_css("Letter", "x") and "width:191.9mm" in print_css("Letter", "x")
    assert 'content:"a\\22 b"' in print_css("A4", 'a"b')  # quotes escaped in CSS


def test_exported_page_has_outputs_only_no_code_stderr_headline_or_network(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("secret_code()")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<p class='x'>503 reach outs</p>",
                                                     "text/plain": "<HTML>"}),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: something noisy\n"),
        nbformat.v4.new_output("display_data", data={HEADLINE_MIME: {"reach_outs": 503}}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("## Funnel\nText."), code]
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    page = export_html(path, "Weekly <report>")
    assert "<title>Weekly &lt;report&gt;</title>" in page
    assert "503 reach outs" in page and ">Funnel<" in page
    for absent in ("secret_code", "UserWarning", "reach_outs", "¶", "In&nbsp;[", "mathjax", "mermaid",
                   "require.js"):
        assert absent not in page, absent
    assert network_references(page) == [] and not re.search(r"<script[^>]*\ssrc=", page)


def test_lab_stylesheet_is_cut_to_what_the_page_can_use():
    css = (":root{--used:1px;--chained:var(--used);--unused:url(data:image/svg+xml;base64,AA==);--x:2px}"
           ".jp-Toolbar{color:red}.jp-Cell .jp-Toolbar,.jp-Cell{margin:var(--chained)}"
           "p:not(.jp-mod-hidden){padding:0}"
           "@media print{.jp-Toolbar{display:none}.jp-Cell{display:block}}"
           "@media screen{.jp-Dialog{top:0}}"
           "@keyframes spin{from{opacity:0}to{opacity:1}}"
           "a[href='}']{color:blue}/* .jp-Cell{comment:1} */")
    slim = prune_css(css, page_classes('<div class="jp-Cell x"><p class=\'y\'>text</p></div>'), context="var(--x)")
    assert ".jp-Toolbar" not in slim and ".jp-Dialog" not in slim and "comment" not in slim
    assert ".jp-Cell{margin:var(--chained)}" in slim  # the selector that can match is kept, the other dropped
    assert "--used:1px" in slim and "--chained:var(--used)" in slim and "--x:2px" in slim  # used (also by the page)
    assert "--unused" not in slim
    assert "p:not(.jp-mod-hidden){padding:0}" in slim  # a class the page lacks inside :not() still matches
    assert "@media print{.jp-Cell{display:block}}" in slim and "@keyframes spin" in slim
    assert "a[href='}']{color:blue}" in slim  # a brace in a string does not end the rule


def test_exported_page_keeps_the_lab_rules_it_uses_and_prints_charts_scaled(tmp_path: Path):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>1</td></tr></table>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("## Heading"), code]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    page = export_html(tmp_path / "nb.ipynb", "T")
    assert "<!--ts-lab-css-->" not in page and ".jp-RenderedHTMLCommon table" in page
    assert ".jp-Toolbar" not in page and "--jp-icon-jupyter:" not in page
    assert len(page) < 60_000  # (JupyterLab's whole stylesheet alone is ~250 kB)
    assert ".jp-OutputArea-output:has(.plotly-graph-div){zoom:0.8}" in print_css("A4", "x")


def test_the_kept_exporter_carries_nothing_from_one_page_to_the_next(tmp_path: Path):
    def notebook(name: str, body: str, title: str) -> Path:
        nb = nbformat.v4.new_notebook()
        code = nbformat.v4.new_code_cell("x")
        code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": body})]
        nb.cells = [nbformat.v4.new_markdown_cell(f"## {title}"), code]
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    first = notebook("a.ipynb", "<table class='ts-rt'><tr><td>week A</td></tr></table>", "Week A")
    second = notebook("b.ipynb", "<p class='ts-more'>week B</p>", "Week B")
    warm_export().join(60)  # (as a report run does while its first notebook runs)
    page_a = export_html(first, "A")
    page_b = export_html(second, "B")
    assert "week A" in page_a and "week A" not in page_b and "Week A" not in page_b and "<title>B</title>" in page_b
    assert "<p>warm</p>" not in page_a and "<title>warm</title>" not in page_a  # (nor of the warm-up's page)
    assert export_html(first, "A") == page_a  # the same page, whatever was exported before
