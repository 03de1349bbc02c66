"""The README's API table is what a new user reads first: it names every route the API
serves under /api/v1, and no route that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from casevault.api import API_PREFIX
from casevault.api.app import create_app
from casevault.app.services import Services

README = Path(__file__).parents[2] / "README.md"
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)")
UNDOCUMENTED = {"/openapi.json", "/docs"}  # the schema and its page have their own paragraph


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _readme_routes() -> set[tuple[str, str]]:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    first_cells = [row.split(" | ")[0] for row in rows]
    return {(method, _shape(path)) for cell in first_cells for method, path in ROUTE.findall(cell)}


def test_the_readme_api_table_names_every_route_and_only_those(container: Services) -> None:
    schema = create_app(container).openapi()  # every operation the API publishes
    served = {
        (method.upper(), _shape(path.removeprefix(API_PREFIX)))
        for path, operations in schema["paths"].items()
        if path.startswith(API_PREFIX) and path.removeprefix(API_PREFIX) not in UNDOCUMENTED
        for method in operations
    }
    documented = _readme_routes()

    assert ("GET", "/cases/{}") in served  # the comparison reads real routes
    assert sorted(served - documented) == [], "routes the README's API table does not name"
    assert sorted(documented - served) == [], "rows in the README's API table for routes that do not exist"
