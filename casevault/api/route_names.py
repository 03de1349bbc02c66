"""The route template a request belongs to, e.g. ``/api/v1/cases/{case_id}``.

One naming for the access log, the metrics' labels and the audit of refused
requests: a template, never the path asked for (it may hold ids) nor the query.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from starlette.routing import Route, compile_path

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route of ours: the path asked for is never a label


def route_template(request: Request) -> str:
    """The template of the route this request's path and method belong to."""
    template: str = request.app.state.route_templates(request.method, request.url.path)
    return template


class RouteTemplates:
    """The route template a path belongs to, e.g. ``/api/v1/cases/{case_id}``.

    Built on first use from the published API (the OpenAPI paths) and the app's own
    routes (docs, schema), so it does not depend on how the router nests included
    routers. A path no route matches is ``unmatched``; one whose route takes other
    methods keeps that route's template (405)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._table: list[tuple[re.Pattern[str], str, frozenset[str]]] | None = None

    def __call__(self, method: str, path: str) -> str:
        if self._table is None:
            self._table = self._build()
        other_method = None
        for pattern, template, methods in self._table:
            if pattern.match(path):
                if method in methods or (method == "HEAD" and "GET" in methods):
                    return template
                other_method = other_method or template
        return other_method or UNMATCHED

    def _build(self) -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
        operations: dict[str, set[str]] = {}
        for template, item in self.app.openapi().get("paths", {}).items():
            operations.setdefault(template, set()).update(key.upper() for key in item if key.upper() in METHODS)
        for route in self.app.router.routes:
            if isinstance(route, Route):  # routes of the app itself, outside the schema
                operations.setdefault(route.path, set()).update(route.methods or ())
        return [(compile_path(template)[0], template, frozenset(methods)) for template, methods in operations.items()]
