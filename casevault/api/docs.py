"""The API's schema and its docs page, served from casevault alone.

The schema (``openapi.json``) lists every route and field, so it takes a user's
token like the API itself, unless ``CASEVAULT_PUBLIC_API_DOCS`` opens it.

The docs page is opened in a browser, which cannot add a bearer header to a page
it navigates to, so the page itself is open: it is static, holds nothing about
the service but its own name, and loads only files served from here (Swagger UI
ships in a Python package, so no CDN is ever asked). It asks for the token in a
form; its script keeps it in memory only and adds it to the requests Swagger UI
makes (the schema and "Try it out"), never to a URL or to storage.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from casevault.api import API_PREFIX
from casevault.api.deps import allow
from casevault.core.models import Role

OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"
ASSETS_URL = f"{DOCS_URL}/assets"
_SWAGGER_UI = Path(str(files("fastapi_offline"))) / "static"  # Swagger UI's release files
_OURS = Path(__file__).parent / "docs_assets"
ASSETS = {
    "swagger-ui-bundle.js": (_SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_SWAGGER_UI / "swagger-ui.css", "text/css"),
    "favicon.png": (_SWAGGER_UI / "favicon.png", "image/png"),
    "docs.js": (_OURS / "docs.js", "text/javascript"),
    "docs.css": (_OURS / "docs.css", "text/css"),
}


def docs_router(*, public_schema: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    any_user = [] if public_schema else [Depends(allow(Role.officer, Role.manager, Role.admin))]

    @router.get(OPENAPI_URL, dependencies=any_user)
    def openapi(request: Request) -> JSONResponse:
        return JSONResponse(with_bearer_auth(request.app.openapi()))

    @router.get(DOCS_URL, response_class=HTMLResponse)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(_page(public_schema=public_schema))

    @router.get(f"{ASSETS_URL}/{{name}}")
    def docs_asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(status_code=404, detail=f"no docs asset {name!r}")
        path, media_type = ASSETS[name]
        return FileResponse(path, media_type=media_type)

    return router


def with_bearer_auth(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema saying every operation takes a bearer token, so Swagger UI shows its
    Authorize button (the token typed in above the page is sent as well)."""
    components = {**schema.get("components", {}), "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
    return {**schema, "components": components, "security": [{"bearer": []}]}


def _page(*, public_schema: bool) -> str:
    openapi_url = html.escape(OPENAPI_URL)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>casevault API</title>
<link rel="icon" type="image/png" href="{ASSETS_URL}/favicon.png">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
<link rel="stylesheet" href="{ASSETS_URL}/docs.css">
</head>
<body>
<form id="token-form" data-openapi-url="{openapi_url}" data-public-schema="{str(public_schema).lower()}">
<label for="token">Your casevault token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false">
<button type="submit">Show the API</button>
<p>The token stays in this page's memory: it is sent only to this service, with the requests
the page makes, and is forgotten when the page closes. Ask an admin for a token.</p>
</form>
<div id="swagger-ui"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_URL}/docs.js"></script>
</body>
</html>
"""
