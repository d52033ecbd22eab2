"""A searchable multi-select for campaigns and senders: a search box above a short list of check boxes.

Ctrl/Shift-click list boxes cannot be used on touch screens and are unusable with dozens of campaigns. A
:class:`SearchPicker` shows the chosen names first, then the names containing what is typed in its search box (case
and accents as typed, anywhere in the name), at most :data:`SHOWN` of them: the check boxes are a fixed pool of widgets
relabelled on each search, so hundreds of campaigns cost no more widgets than ten. Long names wrap (the style is in
:data:`talentstats.dashboard.layout.DASHBOARD_CSS`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import numpy as np
import traitlets

__all__ = ["SHOWN", "SearchPicker"]

#: check boxes shown at most (type to narrow)
SHOWN = 12


class SearchPicker(w.VBox):  # type: ignore[misc]
    """A search box, the matching names as check boxes, a summary line and a "Clear" button.

    ``value`` (a traitlet, observed like a SelectMultiple's) is the tuple of chosen values, in the order of the
    options; none chosen means all.

    Args:
        what: the plural noun, e.g. "campaigns" (the placeholder and the summary say it).
        options: (label, value) pairs, as :func:`talentstats.dashboard.text.options` makes them.
        width: the CSS width of the whole picker.
    """

    value = traitlets.Tuple()

    def __init__(self, what: str, options: Sequence[tuple[str, Any]], width: str = "min(360px, 100%)") -> None:
        self.what = what
        self.options = list(options)
        self._labels = np.array([label.casefold() for label, _ in self.options], dtype=object)
        self.search = w.Text(placeholder=f"Search {len(self.options):,} {what}…", continuous_update=True,
                             layout=w.Layout(width="100%"))
        self.boxes = [w.Checkbox(indent=False, layout=w.Layout(width="100%", display="none"))
                      for _ in range(min(SHOWN, len(self.options)))]
        self.summary = w.HTML()
        self.clear = w.Button(description="Clear", layout=w.Layout(width="auto", display="none"),
                              tooltip=f"All {what}")
        self._shown: list[int] = []
        self._busy = False
        self._keep_order = False  # a tick does not move the boxes under the finger
        super().__init__([w.HTML(f'<span class="ts-pick-label">{html.escape(what.capitalize())}</span>'),
                          self.search, w.VBox(self.boxes, layout=w.Layout(max_height="240px", overflow="auto")),
                          w.HBox([self.summary, self.clear], layout=w.Layout(align_items="center",
                                                                            grid_gap="8px"))],
                         layout=w.Layout(width=width))
        self.add_class("ts-pick")
        for box in self.boxes:
            box.observe(self._ticked, names="value")
        self.search.observe(lambda _: self.refresh(), names="value")
        self.clear.on_click(lambda _: setattr(self, "value", ()))
        self.observe(lambda _: self.refresh(), names="value")
        self.refresh()

    def matches(self, query: str) -> list[int]:
        """Positions of the options whose label contains ``query`` (ignoring case), in order."""
        q = query.strip().casefold()
        if not q:
            return list(range(len(self.options)))
        found = np.char.find(self._labels.astype(str), q) >= 0
        return np.flatnonzero(found).tolist()

    def refresh(self) -> None:
        """Show the chosen options first, then the matches of the search, on the check boxes; update the summary."""
        chosen = set(self.value)
        picked = [i for i, (_, v) in enumerate(self.options) if v in chosen]
        found = self.matches(self.search.value)
        taken = set(picked)
        rest = [i for i in found if i not in taken]
        if not self._keep_order:
            self._shown = (picked + rest)[:len(self.boxes)]
        self._busy = True
        try:
            for box, i in zip(self.boxes, self._shown + [None] * len(self.boxes), strict=False):
                if i is None:
                    box.layout.display = "none"
                    continue
                label, value = self.options[i]
                box.set_trait("description", label)
                box.set_trait("tooltip", label)
                box.value = value in chosen
                box.layout.display = "flex"
        finally:
            self._busy = False
        more = len(set(found) - set(self._shown))
        self.summary.value = _summary(len(chosen), len(self.options), self.what, more, bool(self.search.value.strip()),
                                      len(found))
        self.clear.layout.display = "flex" if chosen else "none"

    def _ticked(self, change: dict) -> None:
        if self._busy:
            return
        at = self.boxes.index(change["owner"])
        if at >= len(self._shown):  # a box hidden by a search while it was being ticked: nothing it shows
            self._busy = True
            try:
                change["owner"].value = False
            finally:
                self._busy = False
            return
        value = self.options[self._shown[at]][1]
        chosen = set(self.value) | {value} if change["new"] else set(self.value) - {value}
        self._keep_order = True
        try:
            self.value = tuple(v for _, v in self.options if v in chosen)
        finally:
            self._keep_order = False


def _summary(chosen: int, total: int, what: str, more: int, searching: bool, found: int) -> str:
    head = f"{chosen:,} of {total:,} {what} chosen" if chosen else f"All {total:,} {what}"
    if searching and not found:
        tail = "no match"
    elif more > 0:
        tail = f"{more:,} more: type to narrow"
    else:
        tail = ""
    return f'<span class="ts-muted">{html.escape(head)}{" · " + html.escape(tail) if tail else ""}</span>'
