"""Errors as RFC 9457 problem details, translated once at the HTTP edge.

Refused requests of a known caller (403) are written to the audit log in a
transaction of their own, since the request's own transaction is rolled back.
Requests without a valid token (401, 429) are counted per client address and
audited in aggregate instead (``refusals``), so a flood cannot grow the log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from casevault.api.route_names import route_template
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError
from casevault.web.site import is_page, not_found_page

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
AUDITED_STATUSES = {403}
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400: bytes not UTF-8, JSON nested too deep


def problem(
    request: Request, *, status: int, title: str, detail: str, retry_after: int | None = None, **extra: Any
) -> JSONResponse:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    body = {"type": f"urn:casevault:problem:{slug}", "title": title, "status": status, "detail": detail}
    body["instance"] = request.url.path
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or None)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(CasevaultError)
    async def _casevault_error(request: Request, exc: CasevaultError) -> JSONResponse:
        if exc.http_status in AUDITED_STATUSES or getattr(exc, "audited", False):
            _audit_refusal(request, exc.http_status)
        if exc.http_status >= 500:
            log.error("request failed: %s %s", type(exc).__name__, exc.detail)
        field = getattr(exc, "field", None)  # only some errors name the field at fault
        extra = {"field": field} if field else {}
        retry_after = getattr(exc, "retry_after", None)  # 429s say when to come back
        return problem(
            request, status=exc.http_status, title=exc.title, detail=exc.detail, retry_after=retry_after, **extra
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]} for error in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(request, status=422, title="Invalid input", detail=summary, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405) and is_page(request.url.path):
            page = not_found_page(request, exc.status_code)  # a person's browser gets a page, not JSON
            page.headers.update(exc.headers or {})  # a 405's Allow
            return page
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == UNREADABLE_BODY:  # FastAPI's words: say what to send instead
            title, detail = "Unreadable body", "the body could not be read: send JSON in UTF-8, nested shallowly"
        return problem(request, status=exc.status_code, title=title, detail=detail)


def _audit_refusal(request: Request, status: int) -> None:
    services = request.app.state.services
    details: dict[str, audit.DetailValue] = {
        "status": status,
        "method": request.method,
        "route": route_template(request),
    }
    with transaction(services.new_session) as session:
        audit.record(
            session,
            clock=services.clock,
            actor=getattr(request.state, "actor", "anonymous"),
            action="request.refused",
            outcome="refused",
            details=details,
        )
