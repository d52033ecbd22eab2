"""Tests of what makes the dashboard pleasant: the Range box names the dates, searchable pickers, the date error beside
the dates with the stale numbers marked, no debug line, the trend following the range, the staged build, and the
served page (no link to another server, a trusted notebook, encrypted kernel transport)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ipywidgets as w

from talentstats import serve
from talentstats.dashboard.pickers import SHOWN, SearchPicker
from talentstats.dashboard.rangenames import CUSTOM, DATE_ERROR, range_name, range_options

from .helpers import WEEK, dashboard, funnel_x, tile_values


def test_range_names() -> None:
    assert range_name(dt.date(2026, 11, 9), dt.date(2026, 11, 15)) == "2026-W46"
    assert range_name(dt.date(2026, 10, 26), dt.date(2026, 11, 22)) == "2026-W44 – 2026-W47"
    assert range_name(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == "November 2026"
    assert range_name(dt.date(2026, 11, 12), dt.date(2026, 11, 20)) == "12 – 20 Nov 2026"
    assert range_name(dt.date(2026, 10, 30), dt.date(2026, 11, 2)) == "30 Oct – 02 Nov 2026"
    assert range_name(dt.date(2026, 11, 12), dt.date(2026, 11, 12)) == "Thu 12 Nov 2026"
    options, value = range_options(dt.date(2026, 11, 16), dt.date(2026, 11, 22), dt.date(2026, 11, 25))
    assert value == "last week" and ("last week · 2026-W47", "last week") in options
    assert CUSTOM not in dict((v, k) for k, v in options)  # a preset's dates: no "custom" entry at all


def test_the_range_box_says_what_is_chosen() -> None:
    d = dashboard(today=dt.date(2026, 12, 9))
    assert d.preset.value == CUSTOM and d.preset.label == "2026-W47"
    d.set_range(dt.date(2026, 11, 2), dt.date(2026, 11, 22))
    assert d.preset.label == "2026-W45 – 2026-W47"
    d.preset.value = "last 4 weeks"
    assert (d.start.value, d.end.value) == (dt.date(2026, 11, 9), dt.date(2026, 12, 6))
    assert d.preset.label == "last 4 weeks · 2026-W46 – 2026-W49"
    d.start.value = dt.date(2026, 11, 10)  # one date picker: named, not "custom"
    assert d.preset.value == CUSTOM and d.preset.label == "10 Nov – 06 Dec 2026"


def test_search_picker_filters_and_picks() -> None:
    names = [(f"Campaign {i:03d} – a long name that must wrap on a phone", f"c{i}") for i in range(300)]
    p = SearchPicker("campaigns", names)
    shown = [b for b in p.boxes if b.layout.display != "none"]
    assert len(shown) == SHOWN and "288 more: type to narrow" in p.summary.value
    p.search.value = "  CAMPAIGN 29"  # case and spaces around do not matter
    labels = [b.description for b in p.boxes if b.layout.display != "none"]
    assert labels == [names[i][0] for i in range(290, 300)]
    p.boxes[3].value = True  # tick "Campaign 293"
    assert p.value == ("c293",) and "1 of 300 campaigns chosen" in p.summary.value
    assert p.boxes[3].description == names[293][0]  # a tick does not move the boxes under the finger
    p.search.value = "nothing like it"
    assert "no match" in p.summary.value and p.boxes[0].description == names[293][0]  # the chosen stay in sight
    p.clear.click()
    assert p.value == () and "All 300 campaigns" in p.summary.value


def test_picked_campaigns_filter_the_numbers() -> None:
    d = dashboard()
    assert isinstance(d.campaigns, SearchPicker)
    box = next(b for b in d.campaigns.boxes if b.description == "Alpha")
    box.value = True
    assert d.campaigns.value == ("Alpha",)
    assert funnel_x(d) == [3, 2, 2, 1]  # r1, r2, r3 (opened r1, r2; responded r2, r3; interested r2)
    assert "campaign Alpha" in d.period.value


def test_the_date_error_is_beside_the_dates_and_the_old_numbers_are_marked() -> None:
    d = dashboard()
    page = d.widget()
    row = next(b for b in _boxes(page) if d.end in b.children)
    assert d.date_error in row.children and d.start in row.children  # the same row as the dates
    before = tile_values(d)
    d.start.value = dt.date(2026, 11, 30)
    assert DATE_ERROR in d.date_error.value and 'role="alert"' in d.date_error.value
    assert d.stale and "ts-stale" in page._dom_classes and tile_values(d) == before
    assert "ts-results" in next(b for b in _boxes(page) if d.period in b.children)._dom_classes
    d.start.value = WEEK[0]
    assert d.date_error.value == "" and not d.stale and "ts-stale" not in page._dom_classes


def test_no_debug_line_unless_asked() -> None:
    assert dashboard().status.value == ""
    assert "updated in" in dashboard(debug=True).status.value


def test_the_trend_follows_the_range() -> None:
    d = dashboard()
    assert d.trend.data[0].x[-1] == "2026-11-16" and d.trend.layout.title.text.endswith("to 2026-W47")
    d.set_range(dt.date(2026, 9, 28), dt.date(2026, 10, 18))  # three weeks ending in 2026-W42
    assert d.trend.data[0].x[-1] == "2026-10-12" and d.trend.layout.title.text.endswith("to 2026-W42")
    shade, = d.trend.layout.shapes
    assert (shade.x0, shade.x1) == (8.5, 11.5)  # the range's three weeks, the last three on the axis


def test_a_staged_dashboard_shows_tiles_and_funnel_first() -> None:
    d = dashboard(staged=True)
    page = d.widget()
    assert not d.ready and d.states is None and funnel_x(d) == [6, 3, 2, 1]
    assert tile_values(d)["reach_outs"] == "6"
    assert "Loading the weekly trend" in _html(page)
    d.finish()
    assert d.ready and list(d.trend.data[0].x)[-1] == "2026-11-16" and "Loading" not in _html(page)
    shown = _all(page)
    assert all(fig in shown for fig in (d.funnel, d.states, d.trend, d.comparison, d.events.heatmap))


def test_served_page_is_offline_trusted_and_encrypted(tmp_path: Path) -> None:
    from nbformat import read
    from nbformat.sign import NotebookNotary

    notebook = serve.prepare_root(tmp_path)
    nb = read(notebook, as_version=4)
    assert NotebookNotary(data_dir=str(tmp_path / serve.TRUST_DIR)).check_signature(nb)
    assert nb.metadata.kernelspec.name == "talentstats-dashboard"
    data = tmp_path / "share" / "jupyter"
    spec = json.loads((data / "kernels" / "talentstats-dashboard" / "kernel.json").read_text())
    assert spec["argv"][1:3] == ["-m", "talentstats.dashboard.kernel"]
    assert spec["metadata"]["supported_encryption"] == ["curve"]
    template = (data / "voila" / "templates" / "talentstats" / "index.html.j2").read_text()
    assert "startswith('<link') and '://' in line" in template and "modulepreload" in template
    cmd = serve.voila_command(8866, notebook)
    assert "--VoilaConfiguration.progressive_rendering=True" in cmd and "--template=talentstats" in cmd
    assert "--KernelManager.transport_encryption=auto" in cmd
    assert f"--NotebookNotary.data_dir={tmp_path / serve.TRUST_DIR}" in cmd


def _all(widget: w.Widget) -> list[w.Widget]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _all(child)
    return out


def _boxes(widget: w.Widget) -> list[w.Box]:
    return [x for x in _all(widget) if isinstance(x, w.Box)]


def _html(widget: w.Widget) -> str:
    return "\n".join(x.value for x in _all(widget) if isinstance(x, w.HTML))



def test_a_box_hidden_while_ticked_picks_nothing() -> None:
    p = SearchPicker("senders", [("Ann", "a"), ("Bo", "b"), ("Cy", "c")])
    p.search.value = "cy"  # only box 0 shows now; box 2 was ticked in a browser that had not seen the search yet
    p.boxes[2].value = True
    assert p.value == () and p.boxes[2].value is False



def test_the_served_page_leaves_out_the_cells_tagged_off_page(tmp_path):
    """The KPI text cell is for nbval and JupyterLab: the copy Voilà serves has every other cell, and is signed."""
    import shutil

    import nbformat
    from nbformat.sign import NotebookNotary

    from talentstats.dashboard.page import KERNEL_NAME, OFF_PAGE, prepare_notebook
    from talentstats.serve import dashboard_notebook as packaged_notebook

    source = nbformat.read(packaged_notebook(), as_version=4)
    off = [c for c in source.cells if OFF_PAGE in c.metadata.get("tags", [])]
    assert len(off) == 1 and "kpi_text()" in off[0].source
    served = tmp_path / "served.ipynb"
    shutil.copy(packaged_notebook(), served)
    prepare_notebook(served, tmp_path / "notary")
    nb = nbformat.read(served, as_version=4)
    assert [c.source for c in nb.cells] == [c.source for c in source.cells if c is not off[0]]
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    assert NotebookNotary(data_dir=str(tmp_path / "notary")).check_signature(nb)
