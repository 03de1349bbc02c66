"""The web pages put into the one FastAPI app: the templates, the assets at /assets/,
the pages' router, and what a page answers when signed out or refused."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from casevault.web import (
    admin_pages,
    bundle_pages,
    disclosure_pages,
    guard,
    manager_pages,
    officer_pages,
    pages,
    people_pages,
    policy_pages,
    redaction_pages,
    sar_pages,
    sso,
    statistics_pages,
)

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"  # built by `make` from the pinned npm packages
NOT_PAGES = ("/api/", "/healthz", "/readyz", "/metrics")


class Assets(StaticFiles):
    """The built assets. Pages link them with ``?v=<hash of the files>``, so a versioned
    URL never changes content and is kept for a year; any other, for an hour."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
        )
        return response


def asset_version(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*")) if directory.is_dir() else []:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def install_web(app: FastAPI) -> None:
    if not (STATIC / "casevault.css").exists():
        log.warning("the web pages' assets are not built; run `make assets`")
    environment = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("casevault.web", "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True),
    )
    environment.globals["referral_sources"] = officer_pages.SOURCES  # "Parent or carer", not "Parent carer"
    app.state.web_templates = Jinja2Templates(env=environment)
    app.state.web_asset_version = asset_version(STATIC)
    app.mount("/assets", Assets(directory=STATIC, check_dir=False), name="assets")
    plain = [Depends(guard.plain_form)]  # no control character in any form's text, whatever the page
    app.include_router(pages.router, dependencies=plain)
    app.include_router(officer_pages.router, dependencies=plain)
    app.include_router(people_pages.router, dependencies=plain)
    app.include_router(disclosure_pages.router, dependencies=plain)
    app.include_router(manager_pages.router, dependencies=plain)
    app.include_router(redaction_pages.router, dependencies=plain)
    app.include_router(bundle_pages.router, dependencies=plain)
    app.include_router(admin_pages.router, dependencies=plain)
    app.include_router(policy_pages.router, dependencies=plain)  # disclosures, policy notices, declining a referral
    app.include_router(statistics_pages.router, dependencies=plain)
    app.include_router(sar_pages.router, dependencies=plain)
    app.include_router(sso.router, dependencies=plain)

    @app.exception_handler(guard.SignInRequired)
    async def _sign_in_first(request: Request, exc: guard.SignInRequired) -> Response:
        return RedirectResponse("/", status_code=303)

    @app.exception_handler(guard.FormRefused)
    async def _form_refused(request: Request, exc: guard.FormRefused) -> Response:
        return pages.render(request, "form_refused.html", None, status_code=403)

    @app.exception_handler(guard.UnstorableText)
    async def _unstorable_text(request: Request, exc: guard.UnstorableText) -> Response:
        return pages.render(
            request,
            "unstorable_text.html",
            guard.current(request),
            status_code=422,
            field=exc.field,
            codes=exc.codes,
            back=back_to(request),
        )


def is_page(path: str) -> bool:
    """Paths the web pages answer (an unknown one gets the HTML not-found page)."""
    return not path.startswith(NOT_PAGES)


def not_found_page(request: Request, status_code: int = 404) -> Response:
    """The not-found page; also for an address of ours that takes another method (405), as a
    form's address opened in the address bar: to a person it is not a page either."""
    page = pages.not_found(request)
    page.status_code = status_code
    return page


def body_refused_page(scope: Scope, status: int, title: str, detail: str) -> Response | None:
    """A page's form refused before any page read it (too large: 413; stopped arriving: 408),
    answered as a page with an error summary; None for the API's paths (problem+json)."""
    if not is_page(scope["path"]):
        return None
    request = Request(scope)
    return pages.render(
        request,
        "body_refused.html",
        None,
        status_code=status,
        too_large=status == 413,
        detail=detail,
        back=back_to(request),
    )


def error_page(scope: Scope, request_id: str) -> Response | None:
    """A page's unexpected error (500): a page with the request id to quote; None for the API's
    paths (problem+json). Rendered without reading the session: the database may be what failed."""
    if not is_page(scope["path"]):
        return None
    return pages.render(Request(scope), "server_error.html", None, status_code=500, request_id=request_id)


def back_to(request: Request) -> str:
    """The page of ours the form was sent from (its Referer's path), else the start. A path
    beginning "//" or "/\\" is another site's address to a browser ("//evil.example/"): never."""
    back = urlsplit(request.headers.get("referer", ""))
    same_site = back.netloc == request.headers.get("host") and back.path.startswith("/")
    return back.path if same_site and back.path[1:2] not in ("/", "\\") else "/"
