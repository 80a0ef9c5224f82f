"""Rooms a reader can live in: no import circle, no module over 400 lines, no function a reader has to scroll
(over 60 lines) and no class over 150, unless a comment just above it says why it "reads better whole" or is
"long because"."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.behave_runs import ROOT

SOURCES = ["support", "steps", "reference_platform", "targets", "load", "environment.py"]
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_CLASS_LINES = 400, 60, 150
REASONS = ("reads better whole", "long because")


def modules() -> dict[str, Path]:
    """Every first-party module outside tests/, by its dotted name."""
    found = {}
    for source in SOURCES:
        root = ROOT / source
        for path in [root] if source.endswith(".py") else sorted(root.rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The first-party modules `name` imports, counting imports under TYPE_CHECKING and `from a import module`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            targets |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
    return {target for target in targets if target in known and target != name}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for after in graph[node]:
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([node, *group]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def too_long(path: Path) -> Iterator[str]:
    lines = path.read_text().splitlines()
    for node in ast.walk(ast.parse("\n".join(lines), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([decorator.lineno for decorator in node.decorator_list] + [node.lineno])
            length = (node.end_lineno or start) - start + 1
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            above = lines[start - 2] if start > 1 else ""
            if length > limit and not any(reason in above for reason in REASONS):
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines (at most {limit})"


def test_no_import_circle() -> None:
    found = modules()
    graph = {name: imports_of(name, path, set(found)) for name, path in found.items()}
    assert circles(graph) == [], "modules that import each other, directly or around a circle"


def test_no_module_over_400_lines() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: split them by role"


def test_no_function_or_class_a_reader_has_to_scroll() -> None:
    long = [finding for path in modules().values() for finding in too_long(path)]
    assert long == [], "\n".join(long)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_circles_are_found(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert circles(graph) == expected
