"""The house rules that docs/architecture.md states, kept by tests: no import circle anywhere (core,
plugins and their sandboxes), and no module over 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "connector": ROOT / "connector",
    "connector_teamleader": ROOT / "plugins" / "teamleader" / "connector_teamleader",
    "connector_exact": ROOT / "plugins" / "exact_online" / "connector_exact",
}
MAX_LINES = 400


def modules() -> dict[str, Path]:
    """Every module of the core and the plugins, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of this project that `name` imports, wherever the import stands (also inside a
    function or under TYPE_CHECKING: a lazy import hides a circle, it does not remove it)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in known:
                    yield f"{target}.{alias.name}"
                elif target in known:
                    yield target


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_anywhere() -> None:
    known = modules()
    graph = {name: set(imported(name, path, known)) - {name} for name, path in known.items()}
    assert circles(graph) == [], "modules that import each other: move what both need into a third"


def test_the_circle_finder_finds_a_circle() -> None:
    """The detector itself: a → b → c → a is one circle, d alone is none."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


SOURCE_TREES = [
    *PACKAGES.values(),
    ROOT / "tests",
    ROOT / "plugins" / "teamleader" / "tests",
    ROOT / "plugins" / "exact_online" / "tests",
    ROOT / "benchmarks",
]


@pytest.mark.parametrize("tree", SOURCE_TREES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_over_400_lines(tree: Path) -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in sorted(tree.rglob("*.py"))
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (at most {MAX_LINES} lines each)"
