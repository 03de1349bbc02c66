"""The arrows of shared/DESIGN.md point down only: core < archive < ingest/retention < api < composition root."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "casevault"
MAY_IMPORT = {
    "core": {"core"},
    "archive": {"core", "archive"},
    "ingest": {"core", "archive", "ingest"},
    "retention": {"core", "archive", "retention"},
}
BOTO_ALLOWED = {"archive"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_a_layer_imports_only_what_is_below_it(layer: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "casevault" and len(parts) > 1 and parts[1] not in MAY_IMPORT[layer]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if parts[0] in {"boto3", "botocore"} and layer not in BOTO_ALLOWED:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def test_layer_list_covers_every_package() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(MAY_IMPORT) | {"api", "commands"}
