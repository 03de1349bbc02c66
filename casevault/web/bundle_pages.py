"""Managers' pages for a subject access request's bundle: build it and watch it build,
review its index, download it, approve it, record its delivery.

One page, ``/manager/subject-access/{id}/bundle``, shows what the bundle's state allows
next; its forms post back to it (POST-redirect-GET). The same use cases as the API's
routes (``services.sar_bundles``), the same refusals. Anyone but a manager gets the
not-found page, as for a request that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import ItemDecision
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep
from casevault.web.manager_pages import form_page, is_manager, manager_form, number_in, read_date

router = APIRouter(include_in_schema=False)
TEMPLATE = "manager/bundle.html"
METHODS = {"post": "Post", "email": "Email", "secure_portal": "Secure portal", "in_person": "In person"}
DECISIONS = {
    ItemDecision.disclosed: "Disclosed",
    ItemDecision.partly_disclosed: "Partly disclosed",
    ItemDecision.withheld: "Withheld",
}
PROVIDERS = {
    "young_person": "The young person",
    "parent_carer": "Parent or carer",
    "school": "School",
    "professional": "Professional",
    "officer": "Our service",
}


def _url(request_id: int) -> str:
    return f"/manager/subject-access/{request_id}/bundle"


def _page(
    request: Request,
    signed_in: Any,
    request_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    services = guard.services_of(request)
    with transaction(services.new_session) as session:
        try:
            view = services.sar_bundles.view(session, request_id=request_id, user=signed_in.user)
        except NotFound as missing:
            if "no bundle yet" not in missing.detail:
                return pages.not_found(request, signed_in)
            view = None
    return form_page(
        request,
        TEMPLATE,
        signed_in,
        errors=errors,
        request_id=request_id,
        view=view,
        bundle=view.bundle if view else None,
        status=view.bundle.status.value if view else "none",
        methods=METHODS,
        decisions=DECISIONS,
        providers=PROVIDERS,
        form=form or {},
        url=_url(request_id),
    )


@router.get("/manager/subject-access/{request_id}/bundle")
def bundle_page(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    number = number_in(request_id)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    return _page(request, signed_in, number)


def _act(request: Request, request_id: str, signed_in: Any, csrf_token: str, field: str, act: Any) -> Response:
    number = manager_form(request, signed_in, csrf_token, request_id)
    if number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            act(services, session, number)
    except NotFound as missing:
        if "no subject access request" in missing.detail:
            return pages.not_found(request, signed_in)
        return _page(request, signed_in, number, errors={field: missing.detail})
    except CasevaultError as problem:
        return _page(request, signed_in, number, errors={field: problem.detail})
    return RedirectResponse(_url(number), status_code=303)


@router.post("/manager/subject-access/{request_id}/bundle")
def build(
    request: Request, request_id: str, signed_in: SignedInDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    return _act(
        request,
        request_id,
        signed_in,
        csrf_token,
        "build",
        lambda services, session, number: services.sar_bundles.request_build(
            session, request_id=number, user=signed_in.user
        ),
    )


@router.post("/manager/subject-access/{request_id}/bundle/approve")
def approve(
    request: Request, request_id: str, signed_in: SignedInDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    return _act(
        request,
        request_id,
        signed_in,
        csrf_token,
        "approve",
        lambda services, session, number: services.sar_bundles.approve(session, request_id=number, user=signed_in.user),
    )


@router.post("/manager/subject-access/{request_id}/bundle/delivery")
async def delivery(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    number = manager_form(request, signed_in, form.get("csrf_token"), request_id)
    if number is None:
        return pages.not_found(request, signed_in)
    errors = {}
    method = form.get("method", "")
    if method not in METHODS:
        errors["method"] = "Select how the bundle was delivered"
    delivered_on, problem = read_date(form, "delivered", "The delivery date")
    if delivered_on is None:
        errors["delivered"] = problem or "Enter the date the bundle was delivered"
    if errors or delivered_on is None:
        return _page(request, signed_in, number, errors=errors, form=form)
    return _act(
        request,
        request_id,
        signed_in,
        form.get("csrf_token", ""),
        "delivered",
        lambda services, session, number: services.sar_bundles.record_delivery(
            session, request_id=number, method=method, delivered_on=delivered_on, user=signed_in.user
        ),
    )


@router.get("/manager/subject-access/{request_id}/bundle.pdf")
def download_pdf(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    return _download(request, request_id, signed_in, "pdf")


@router.get("/manager/subject-access/{request_id}/notes.csv")
def download_csv(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    return _download(request, request_id, signed_in, "csv")


def _download(request: Request, request_id: str, signed_in: Any, part: str) -> Response:
    number = number_in(request_id)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            file = services.sar_bundles.file(session, request_id=number, part=part, user=signed_in.user)
        chunks = services.sar_bundles.chunks(file)
    except CasevaultError:
        return pages.not_found(request, signed_in)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"}
    return StreamingResponse(chunks, media_type=file.media_type, headers=headers)
