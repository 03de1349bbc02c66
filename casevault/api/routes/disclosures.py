"""The disclosure register: what left a case, to whom, on which basis."""

from __future__ import annotations

from fastapi import APIRouter

from casevault.api.bounds import PathId
from casevault.api.deps import Manager, Officer, ServicesDep, SessionDep
from casevault.api.paging import Cursor, Limit, Page, decode_cursor, page_of
from casevault.api.schemas import DisclosureCreate, DisclosurePublic, MarkedDocument

router = APIRouter(tags=["disclosures"])


@router.post("/cases/{case_id}/disclosures", status_code=201, response_model=DisclosurePublic)
def record_disclosure(
    case_id: PathId, body: DisclosureCreate, user: Officer, session: SessionDep, services: ServicesDep
) -> DisclosurePublic:
    """Record a disclosure the release rules allow (409 naming what is missing). Documents the
    rules keep back are marked withheld with the reason. Under risk_of_harm or illegal_activity:
    a reason, a safeguarding hold at once, and a second person's approval (POST /disclosures/{id}/approve)."""
    row, release = services.consents.disclose(
        session,
        case_id=case_id,
        recipient_kind=body.recipient_kind,
        recipient=body.recipient,
        document_ids=body.documents,
        basis=body.basis,
        reason=body.reason,
        user=user,
    )
    marked = [
        MarkedDocument(document_id=m.document_id, disclosed=m.disclosed, reason=m.reason) for m in release.documents
    ]
    return DisclosurePublic.of(row, marked)


@router.get("/disclosures", response_model=Page[DisclosurePublic])
def list_disclosures(
    user: Manager, session: SessionDep, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[DisclosurePublic]:
    """Every disclosure, oldest first."""
    key = decode_cursor(cursor)
    rows = services.consents.disclosures(session, user=user, after=int(key[0]) if key else None, limit=limit)
    return page_of(rows, limit=limit, key=lambda row: (row.id or 0,), shape=DisclosurePublic.of)


@router.post("/disclosures/{disclosure_id}/approve", response_model=DisclosurePublic)
def approve_disclosure(
    disclosure_id: PathId, user: Manager, session: SessionDep, services: ServicesDep
) -> DisclosurePublic:
    """A manager other than the one who recorded it approves a disclosure made without consent."""
    return DisclosurePublic.of(services.consents.approve(session, disclosure_id=disclosure_id, user=user))
