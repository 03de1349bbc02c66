"""A subject access request's bundle (managers): build it, follow its progress and read its
index, download the PDF and the notes CSV, approve it, record its delivery.

The files are decrypted as they are sent, never cached (``Cache-Control: no-store``, as on
every answer), and each download is audited (ids only)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from casevault.api.bounds import PathId, RealDate
from casevault.api.deps import Manager, ServicesDep, SessionDep
from casevault.api.schemas import Strict
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import BundleStatus, ItemDecision, SarBundle, User

router = APIRouter(prefix="/subject-access", tags=["subject access"])


class BundleIndexRow(BaseModel):
    item_id: int
    pages: str  # "3-7", "4", or "none" for a withheld item
    first_page: int | None
    last_page: int | None
    date: dt.date
    type: str
    provided_by: str
    decision: ItemDecision
    reason: str
    case_reference: str


class BundlePublic(BaseModel):
    request_id: int
    reference: str
    status: BundleStatus
    progress: int
    problem: str | None
    pages: int | None
    bytes: int
    requested_at: dt.datetime
    built_at: dt.datetime | None
    approved_by: int | None
    approved_at: dt.datetime | None
    delivered_method: str | None
    delivered_on: dt.date | None
    destroy_on: dt.date | None
    index: list[BundleIndexRow]


class BundleDelivery(Strict):
    method: Literal["post", "email", "secure_portal", "in_person"]
    delivered_on: RealDate


def _public(session: SessionDep, services: Services, request_id: int, user: User) -> BundlePublic:
    view = services.sar_bundles.view(session, request_id=request_id, user=user)
    bundle: SarBundle = view.bundle
    return BundlePublic(
        request_id=request_id,
        reference=view.reference,
        status=bundle.status,
        progress=bundle.progress,
        problem=bundle.problem,
        pages=bundle.pages,
        bytes=bundle.bytes,
        requested_at=bundle.requested_at,
        built_at=bundle.built_at,
        approved_by=bundle.approved_by,
        approved_at=bundle.approved_at,
        delivered_method=bundle.delivered_method,
        delivered_on=bundle.delivered_on,
        destroy_on=bundle.destroy_on,
        index=[
            BundleIndexRow(
                item_id=entry.item_id,
                pages=_pages(entry.first_page, entry.last_page),
                first_page=entry.first_page,
                last_page=entry.last_page,
                date=entry.date,
                type=entry.type,
                provided_by=entry.provided_by,
                decision=entry.decision,
                reason=entry.reason,
                case_reference=entry.case_reference,
            )
            for entry in view.index
        ],
    )


def _pages(first: int | None, last: int | None) -> str:
    if first is None:
        return "none"
    return str(first) if first == last else f"{first}-{last}"


@router.post("/{request_id}/bundle", status_code=202, response_model=BundlePublic)
def build_bundle(request_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> BundlePublic:
    """Build (or build again) the bundle; 409 while the person's documents and notes are not all marked."""
    services.sar_bundles.request_build(session, request_id=request_id, user=user)
    return _public(session, services, request_id, user)


@router.get("/{request_id}/bundle", response_model=BundlePublic)
def read_bundle(request_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> BundlePublic:
    return _public(session, services, request_id, user)


@router.post("/{request_id}/bundle/approve", response_model=BundlePublic)
def approve_bundle(request_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> BundlePublic:
    services.sar_bundles.approve(session, request_id=request_id, user=user)
    return _public(session, services, request_id, user)


@router.post("/{request_id}/bundle/delivery", response_model=BundlePublic)
def record_delivery(
    request_id: PathId, body: BundleDelivery, user: Manager, session: SessionDep, services: ServicesDep
) -> BundlePublic:
    services.sar_bundles.record_delivery(
        session, request_id=request_id, method=body.method, delivered_on=body.delivered_on, user=user
    )
    return _public(session, services, request_id, user)


@router.get("/{request_id}/bundle.pdf", response_class=StreamingResponse)
def download_bundle(request_id: PathId, user: Manager, services: ServicesDep) -> StreamingResponse:
    return _download(services, request_id=request_id, part="pdf", user=user)


@router.get("/{request_id}/notes.csv", response_class=StreamingResponse)
def download_notes(request_id: PathId, user: Manager, services: ServicesDep) -> StreamingResponse:
    return _download(services, request_id=request_id, part="csv", user=user)


def _download(services: Services, *, request_id: int, part: str, user: User) -> StreamingResponse:
    # Its own short transaction, none open while the object is read (SQLite's write lock).
    with transaction(services.new_session) as session:
        file = services.sar_bundles.file(session, request_id=request_id, part=part, user=user)
    chunks = services.sar_bundles.chunks(file)  # a damaged copy answers an error before anything is sent
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"}
    return StreamingResponse(chunks, media_type=file.media_type, headers=headers)
