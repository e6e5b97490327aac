"""The rooms' import directions hold, and no module imports itself back through another.

The contract lives in pyproject.toml (``[tool.importlinter]``) and is drawn in
docs/architecture.md. import-linter checks the directions; cycles between modules are found
here with grimp's graph. Imports inside functions count (a lazy import that dodges a cycle is
still a cycle); names imported under ``TYPE_CHECKING`` only for annotations do not, so a
resource group may name the client that owns it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
         str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=src, env=env, capture_output=True, text=True, timeout=300,
    )


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    nodes = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    edges = {m: sorted(t for t in graph.find_modules_directly_imported_by(m) if t in nodes) for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_import_follows_the_documented_direction() -> None:
    result = _lint_imports(SRC)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


# Each plant is one line a careless change could add; the contract must name it.
PLANTS = {
    "engine imports the store": ("engine/__init__.py", "from u22a8.store import Store"),
    "engine imports the database driver": ("engine/__init__.py", "import sqlalchemy"),
    "engine imports a scheduler lazily": ("engine/__init__.py", "def _later():\n    import celery"),
    "console imports the api": ("console/__init__.py", "from u22a8.api import errors"),
    "api reaches the store past the service": ("api/__init__.py", "from u22a8.store import Store"),
    "store imports the runs": ("store/__init__.py", "from u22a8 import runs"),
    "SDK imports the store": ("client/__init__.py", "from u22a8.store import Store"),
}


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_a_planted_violation_breaks_the_contract(plant: str, tmp_path: Path) -> None:
    module, line = PLANTS[plant]
    copy = tmp_path / "src"
    shutil.copytree(SRC / "u22a8", copy / "u22a8", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "u22a8" / module
    target.write_text(target.read_text() + "\n" + line + "\n")
    result = _lint_imports(copy)
    assert result.returncode != 0, f"{plant}: the contract did not notice\n{result.stdout[-3000:]}"
    assert "BROKEN" in result.stdout


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("u22a8", exclude_type_checking_imports=True)
    assert _cycles(graph, "u22a8") == []


def test_a_planted_cycle_is_found(tmp_path: Path) -> None:
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from . import c\n")
    (package / "c.py").write_text("from .a import *\n")
    (package / "d.py").write_text("from . import a\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("cyclic_pkg", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert _cycles(graph, "cyclic_pkg") == [["cyclic_pkg.a", "cyclic_pkg.b", "cyclic_pkg.c"]]
