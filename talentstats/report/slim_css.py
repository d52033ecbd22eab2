"""JupyterLab's stylesheet cut down to the rules a report page can use.

nbconvert's ``lab`` template inlines JupyterLab's whole stylesheet (~240 kB: toolbars, editors, file browsers,
dialogs) into every exported page. A rule whose selectors all name a class the page never carries cannot match
anything there, so it is left out; everything else is kept as written (variables, element rules, ``@keyframes``,
``@font-face``, rules under ``@media`` pruned the same way). The report page has no script that adds
JupyterLab classes later (plotly.js styles its own elements), so the page looks the same with less than half the
bytes.
"""

from __future__ import annotations

import re
from collections.abc import Set

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_PSEUDO_ARGS = re.compile(r"\([^()]*\)")
_BRACE_OR_STRING = re.compile(r"""[{}]|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'""")
_VAR_USE = re.compile(r"var\(\s*(--[\w-]+)")
#: one custom property declaration (its value may hold strings and parenthesised ``;``, as data: URLs do)
_CUSTOM_PROPERTY = re.compile(r"""(?<![\w-])(--[\w-]+)\s*:(?:[^;{}()"']|"[^"]*"|'[^']*'|\([^()]*\))*;?""")
#: at-rules whose block holds style rules (pruned inside); other at-rule blocks are kept whole
_GROUPING = ("@media", "@supports", "@container", "@layer")


def page_classes(page: str) -> frozenset[str]:
    """Every class name in the ``class`` attributes of an HTML page."""
    return frozenset(name for m in _CLASS_ATTR.finditer(page) for name in (m.group(1) or m.group(2) or "").split())


def _block_end(css: str, start: int) -> int:
    """Index just past the ``}`` closing the block whose ``{`` is at ``start`` (braces in strings skipped)."""
    depth = 0
    for m in _BRACE_OR_STRING.finditer(css, start):
        token = m.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                return m.end()
    return len(css)


def _split_selectors(selectors: str) -> list[str]:
    """A selector list split at its top-level commas (commas inside ``:is(...)`` etc. stay)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(selectors):
        depth += (c in "([") - (c in ")]")
        if c == "," and depth == 0:
            parts.append(selectors[start:i])
            start = i + 1
    parts.append(selectors[start:])
    return [p.strip() for p in parts if p.strip()]


def _may_match(selector: str, classes: Set[str]) -> bool:
    """False when the selector requires a class the page does not have (``:not(.x)``-style arguments ignored)."""
    while True:
        stripped = _PSEUDO_ARGS.sub("", selector)
        if stripped == selector:
            break
        selector = stripped
    return all(name in classes for name in _CLASS.findall(selector))


def prune_css(css: str, classes: Set[str], context: str = "") -> str:
    """``css`` without comments, without the style rules none of whose selectors can match, and without the
    custom properties (``--name: ...``) nothing uses through ``var(--name)``.

    Args:
        css: a stylesheet.
        classes: the class names the page carries (see :func:`page_classes`).
        context: other text of the page that may use the stylesheet's custom properties (its other styles).

    Returns:
        The kept rules, each as written (selectors that cannot match dropped from a kept rule's list).
    """
    css = _prune_rules(_COMMENT.sub("", css), classes)
    outside = set(_VAR_USE.findall(context))
    while True:  # a kept property may be the only user of another: drop until nothing changes
        slimmer = _drop_properties(css, outside | set(_VAR_USE.findall(css)))
        if slimmer == css:
            return css
        css = slimmer


def _drop_properties(css: str, used: Set[str]) -> str:
    """``css`` without the custom property declarations whose name is not in ``used``."""
    return _CUSTOM_PROPERTY.sub(lambda m: m.group(0) if m.group(1) in used else "", css)


def _prune_rules(css: str, classes: Set[str]) -> str:
    """The rules of a comment-free stylesheet that may match (see :func:`prune_css`)."""
    out, i = [], 0
    while i < len(css):
        brace, semi = css.find("{", i), css.find(";", i)
        if brace < 0:
            break
        head = css[i:brace].strip()
        if head.startswith("@") and 0 <= semi < brace:  # a statement at-rule (@charset, @import ...)
            out.append(css[i:semi + 1].strip())
            i = semi + 1
            continue
        end = _block_end(css, brace)
        body = css[brace + 1:end - 1]
        if head.startswith(_GROUPING):
            inner = _prune_rules(body, classes)
            if inner:
                out.append(f"{head}{{{inner}}}")
        elif head.startswith("@"):
            out.append(f"{head}{{{body.strip()}}}")
        else:
            kept = [s for s in _split_selectors(head) if _may_match(s, classes)]
            if kept:
                out.append(f"{','.join(kept)}{{{body.strip()}}}")
        i = end
    return "\n".join(out)


__all__ = ["page_classes", "prune_css"]
