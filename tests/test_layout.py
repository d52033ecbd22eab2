"""The shape of the package (issue "One loading package, one definition of each rule"): no import circles, no
module much over 400 lines, and each business rule defined in one place (a grep finds one definition)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "talentstats"
MAX_LINES = 420  # "about 400"


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """talentstats modules a module imports (at any level: a function-level import is a dependency too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for n in names:
            while n and n not in known:
                n = n.rpartition(".")[0]
            if n and n.startswith("talentstats"):
                found.add(n)
    return found


def test_no_import_circles():
    mods = modules()
    graph = {m: imports(p, set(mods)) - {m} for m, p in mods.items()}
    # a package's __init__ importing its own submodules is how a package exports; it is not a circle
    for m in graph:
        graph[m] = {d for d in graph[m] if not d.startswith(m + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d] if d in stack else [m, d])
            elif d not in state:
                visit(d, [*stack, d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_are_small(name):
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def _definitions(pattern: str) -> list[str]:
    rx = re.compile(pattern, re.MULTILINE)
    return sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if rx.search(p.read_text("utf-8")))


@pytest.mark.parametrize(("rule", "pattern", "where"), [
    ("the Monday of a week", r"\.weekday\(\)", ["stats/periods.py"]),
    ("the newest date in the data", r"created_at\"?\]?\)?\.max\(\)|col\(\"created_at\"\)\.max\(\)",
     ["stats/metrics.py"]),
    ("responded", r"_blank\(\"response_via\"\)|\"response_via\"\]\.notna\(\)|== RESPONDED|== 2\)",
     ["stats/metrics.py"]),
    ("the headline MIME type", r"^HEADLINE_MIME\s*=", None),
    ("the reject summary (reason without its value)", r"replace\(r\" '\.\*'\$\"", ["load/accounting.py"]),
    ("a count as text", r"^def fmt_count\(", None),
    ("an atomic file write", r"os\.fsync\(", None),
    ("the text rule", r"^def clean_text\(", ["load/values.py"]),
    ("the end of a load (rejects written, then strict)", r"write_rejects\(report\.rejects, options\.rejects\)",
     ["load/loader.py"]),
])
def test_each_rule_has_one_definition(rule, pattern, where):
    found = _definitions(pattern)
    assert len(found) == 1, f"{rule}: defined in {found}"
    if where is not None:
        assert found == where, f"{rule}: defined in {found}, expected {where}"
