"""The redaction log of a subject access request (managers only), and a page preview with
the request's redactions burned in: what the bundle will release of that page.

A term (a third party's name) is shown to managers in the log and is never written to the
audit log. Routes that find a term or draw a page read stored objects, so they take no
session of their own (see docs/architecture.md, "Who owns the transaction")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, model_validator

from casevault.api.bounds import BodyId, PathId, QueryId
from casevault.api.deps import Manager, ServicesDep, SessionDep
from casevault.api.schemas import Strict
from casevault.core import casework
from casevault.core.models import RedactionCategory, SarRedaction

router = APIRouter(tags=["subject access"])

Fraction = Annotated[float, Field(ge=0, le=1)]


class RegionIn(Strict):
    left: Fraction
    top: Fraction
    width: Fraction = Field(gt=0)
    height: Fraction = Field(gt=0)


class RedactionCreate(Strict):
    """Either ``page`` and ``region`` (fractions of the page from its top left), or ``term``."""

    document_id: BodyId
    page: Annotated[int, Field(ge=1, le=100_000)] | None = None
    region: RegionIn | None = None
    term: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    category: RedactionCategory
    legal_basis: Annotated[str, Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _one_kind(self) -> RedactionCreate:
        if (self.region is None) == (self.term is None):
            raise ValueError("give either page and region, or term")
        if self.region is not None and self.page is None:
            raise ValueError("a region needs its page")
        return self

    def region_tuple(self) -> tuple[float, float, float, float] | None:
        region = self.region
        return (region.left, region.top, region.width, region.height) if region else None


class RegionOut(BaseModel):
    left: float
    top: float
    width: float
    height: float


class RedactionPublic(BaseModel):
    id: int
    request_id: int
    document_id: int
    page: int | None  # None: a term, on every page of the document
    region: RegionOut | None
    term: str | None
    category: RedactionCategory
    legal_basis: str
    redacted_by: str
    redacted_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None

    @classmethod
    def of(cls, row: SarRedaction, names: dict[int, str]) -> RedactionPublic:
        region = None
        if row.left is not None and row.top is not None and row.width is not None and row.height is not None:
            region = RegionOut(left=row.left, top=row.top, width=row.width, height=row.height)
        return cls(
            id=row.id,
            request_id=row.request_id,
            document_id=row.document_id,
            page=row.page,
            region=region,
            term=row.term,
            category=row.category,
            legal_basis=row.legal_basis,
            redacted_by=names.get(row.redacted_by, str(row.redacted_by)),
            redacted_at=row.redacted_at,
            reviewed_by=names.get(row.reviewed_by) if row.reviewed_by is not None else None,
            reviewed_at=row.reviewed_at,
        )


class RedactionList(BaseModel):
    items: list[RedactionPublic]


def _public(session: SessionDep, row: SarRedaction) -> RedactionPublic:
    return RedactionPublic.of(row, casework.usernames(session, (row.redacted_by, row.reviewed_by)))


@router.post("/subject-access/{request_id}/redactions", status_code=201, response_model=RedactionPublic)
def add_redaction(request_id: PathId, body: RedactionCreate, user: Manager, services: ServicesDep) -> RedactionPublic:
    """Mark a region of a page, or every occurrence of a term on the document's pages (422 if
    it is found on none), to be removed from what the request releases."""
    row = services.redactions.add(
        request_id=request_id,
        document_id=body.document_id,
        category=body.category,
        legal_basis=body.legal_basis,
        page=body.page,
        region=body.region_tuple(),
        term=body.term,
        user=user,
    )
    with services.new_session() as session:
        return _public(session, row)


@router.get("/subject-access/{request_id}/redactions", response_model=RedactionList)
def read_redactions(request_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> RedactionList:
    """The redaction log: document, page, region or term, category, legal basis, who redacted, who reviewed, when."""
    rows = services.redactions.listed(session, request_id=request_id, user=user)
    names = casework.usernames(session, [u for row in rows for u in (row.redacted_by, row.reviewed_by)])
    return RedactionList(items=[RedactionPublic.of(row, names) for row in rows])


@router.post("/redactions/{redaction_id}/review", response_model=RedactionPublic)
def review_redaction(
    redaction_id: PathId, user: Manager, session: SessionDep, services: ServicesDep
) -> RedactionPublic:
    """A second manager confirms the redaction (409 for the manager who marked it)."""
    row = services.redactions.review(session, redaction_id=redaction_id, user=user)
    return _public(session, row)


@router.delete("/redactions/{redaction_id}", response_model=RedactionPublic)
def delete_redaction(
    redaction_id: PathId, user: Manager, session: SessionDep, services: ServicesDep
) -> RedactionPublic:
    """Take a redaction out of the log while its request is not completed."""
    row = services.redactions.remove(session, redaction_id=redaction_id, user=user)
    return _public(session, row)


@router.get(
    "/documents/{document_id}/pages/{page}/preview",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the page with the redactions burned in"}},
)
def preview_page(
    document_id: PathId,
    page: PathId,
    request_id: QueryId,
    user: Manager,
    services: ServicesDep,
) -> Response:
    """The page as the request's bundle will show it: its redactions burned in, as a PNG."""
    preview = services.redactions.preview(request_id=request_id, document_id=document_id, page=page, user=user)
    return Response(
        preview.png,
        media_type="image/png",
        headers={"Cache-Control": "no-store", "Content-Disposition": "inline; filename=preview.png"},
    )
