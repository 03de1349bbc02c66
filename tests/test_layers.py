"""The house of docs/architecture.md: arrows point down only, and no import cycles.

core < archive < ingest / retention < backup / policy < app (the composition root) < web < api, cli. The
edges (api, and the web pages, which the API's app serves) receive the services object
and reach the use cases through it, so of the root they import only the ``Services`` type. Celery and kombu
are the root's business. Imports under ``if TYPE_CHECKING:`` are for the type checker
only and do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "casevault"
MAY_IMPORT = {
    "core": {"core"},
    "archive": {"core", "archive"},
    "ingest": {"core", "archive", "ingest"},
    "retention": {"core", "archive", "retention"},
    "backup": {"core", "archive", "retention", "backup"},
    "policy": {"core", "archive", "ingest", "retention", "policy"},
    "app": {"core", "archive", "ingest", "retention", "backup", "policy", "app"},
    "web": {"core", "archive", "ingest", "retention", "policy", "app", "web"},
    "api": {"core", "archive", "ingest", "retention", "policy", "api", "app", "web"},
    "cli": {"core", "archive", "ingest", "retention", "backup", "policy", "app", "cli", "api"},
}
EDGES = {"api", "web"}  # of the root, these may import only the services type
ROOT_FOR_EDGES = {"casevault.app.services"}
BOTO_ALLOWED = {"archive"}
CELERY_ALLOWED = {"app"}


def _runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement not under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skipped:
            yield node


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports at run time (``from a import b``
    counts as ``a.b`` when ``a.b`` is a module of ours, else as ``a``)."""
    names = set()
    for node in _runtime_imports(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.add(candidate if candidate in MODULES else node.module)
    return names


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


def test_the_top_level_holds_only_the_package_and_its_entry_point() -> None:
    assert sorted(path.name for path in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_a_layer_imports_only_what_is_below_it(layer: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            where = path.relative_to(PACKAGE)
            if parts[0] == "casevault" and len(parts) > 1 and parts[1] not in MAY_IMPORT[layer]:
                wrong.append(f"{where} imports {name}")
            if layer in EDGES and name.startswith("casevault.app") and name not in ROOT_FOR_EDGES:
                wrong.append(f"{where} imports {name}: an edge reaches use cases through the services object")
            if parts[0] in {"boto3", "botocore"} and layer not in BOTO_ALLOWED:
                wrong.append(f"{where} imports {name}")
            if parts[0] in {"celery", "kombu"} and layer not in CELERY_ALLOWED:
                wrong.append(f"{where} imports {name}: Celery belongs to the composition root")
    assert wrong == []


def test_layer_list_covers_every_package() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(MAY_IMPORT)


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each import cycle found by a depth-first walk, written ``a -> b -> a``."""
    cycles: list[str] = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, set())):
            if state.get(nxt) == "open":
                path = [*trail, node]
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    return cycles


def test_no_import_cycle_anywhere() -> None:
    graph = {name: {i for i in _imports(path) if i in MODULES and i != name} for name, path in MODULES.items()}
    assert "casevault.app.parts" in graph["casevault.app.services"]  # the graph holds our own modules' edges
    assert find_cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
