"""The HTTP API: thin routes over the services (parse, authorise, call, shape)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from casevault.api import API_PREFIX, health, metrics
from casevault.api.docs import docs_router
from casevault.api.last_resort import LastResort
from casevault.api.limits import BodyLimits
from casevault.api.paging import reject_unknown_query
from casevault.api.problems import install_problem_handlers
from casevault.api.request_id import RequestId
from casevault.api.route_names import RouteTemplates
from casevault.api.routes import (
    audit,
    cases,
    certificates,
    consents,
    corrections,
    disclosures,
    documents,
    holds,
    people,
    policy,
    redactions,
    retention,
    sar_bundles,
    search,
    statistics,
    subject_access,
    todo,
)
from casevault.api.security_headers import SecurityHeaders
from casevault.api.text_guard import refuse_unstorable_text
from casevault.app.services import Services
from casevault.web import officer_pages
from casevault.web.site import body_refused_page, error_page, install_web


def is_upload(path: str) -> bool:
    """Document uploads (the API's and the upload form's) are streamed and capped by their own route."""
    return (path.startswith(f"{API_PREFIX}/cases/") and path.endswith("/documents")) or officer_pages.is_upload(path)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="casevault",
        version="1",
        openapi_url=None,  # served by casevault.api.docs, behind a token
        docs_url=None,
        redoc_url=None,
    )
    settings = services.settings
    app.state.services = services
    app.state.route_templates = RouteTemplates(app)  # one naming for logs, metrics and audit
    app.state.probes = health.Probes(services, seconds=services.settings.probe_seconds)
    app.state.metrics = metrics.Metrics(services, app.state.probes)
    install_problem_handlers(app)
    app.include_router(health.router)  # /healthz, /readyz and /metrics: open, for probes and Prometheus
    app.include_router(metrics.router)
    for module in (
        people,
        cases,
        documents,
        search,
        audit,
        holds,
        retention,
        certificates,
        corrections,
        todo,
        policy,
        statistics,
        consents,
        disclosures,
        subject_access,
        redactions,
        sar_bundles,
    ):
        app.include_router(
            module.router,
            prefix=API_PREFIX,
            dependencies=[Depends(reject_unknown_query), Depends(refuse_unstorable_text)],
        )
    app.include_router(docs_router(public_schema=settings.public_api_docs))
    install_web(app)  # the web pages: /, /cases, ... and their assets at /assets/

    # Each one added wraps the ones before it.
    app.add_middleware(
        BodyLimits,
        limit=settings.max_request_body_kb * 1024,
        timeout=settings.body_timeout_seconds,
        streamed=is_upload,
        page_refusal=body_refused_page,  # a page's form too large or stalled: a page saying so
    )
    app.add_middleware(
        metrics.RequestMetrics, metrics=app.state.metrics, templates=app.state.route_templates, is_upload=is_upload
    )
    app.add_middleware(LastResort, error_page=error_page)  # any exception left: a 500 (a page's too), logged once
    app.add_middleware(SecurityHeaders)  # on every answer, the 500s, 408s and 413s above included
    app.add_middleware(RequestId)  # added last, so outermost: the id and the access line cover the rest
    return app
