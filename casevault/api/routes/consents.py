"""The consent register and the young person's say over who sees their records."""

from __future__ import annotations

from fastapi import APIRouter

from casevault.api.bounds import PathId
from casevault.api.deps import Manager, Officer, ServicesDep, SessionDep
from casevault.api.paging import Cursor, Limit, Page, decode_cursor, page_of
from casevault.api.schemas import (
    AccessRefusalPublic,
    AccessRefusalSet,
    ConsentGiven,
    ConsentList,
    ConsentPublic,
    ConsentWithdrawal,
    DestroyedCounts,
    PersonToDecide,
    ReferralDeclined,
)
from casevault.core import casework
from casevault.core.models import Consent
from casevault.core.release import Recipient

router = APIRouter(tags=["consent"])


def _publics(session: SessionDep, rows: list[Consent]) -> list[ConsentPublic]:
    names = casework.usernames(session, [user for row in rows for user in (row.recorded_by, row.withdrawn_by)])
    return [ConsentPublic.of(row, names) for row in rows]


@router.post("/people/{person_id}/consents", status_code=201, response_model=ConsentList)
def record_consent(
    person_id: PathId, body: ConsentGiven, user: Officer, session: SessionDep, services: ServicesDep
) -> ConsentList:
    """Record what a young person or their parent or carer agreed to: one consent per scope."""
    rows = services.consents.record(session, person_id=person_id, given=body.given(), user=user)
    return ConsentList(items=_publics(session, rows))


@router.get("/people/{person_id}/consents", response_model=Page[ConsentPublic])
def list_consents(
    person_id: PathId,
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConsentPublic]:
    """A person's consents, withdrawn ones too, oldest first."""
    key = decode_cursor(cursor)
    rows = services.consents.listed(
        session, person_id=person_id, user=user, after=int(key[0]) if key else None, limit=limit
    )
    shaped = {row.id: public for row, public in zip(rows, _publics(session, list(rows)), strict=True)}
    return page_of(rows, limit=limit, key=lambda row: (row.id or 0,), shape=lambda row: shaped[row.id])


@router.post("/consents/{consent_id}/withdraw", response_model=ConsentPublic)
def withdraw_consent(
    consent_id: PathId, body: ConsentWithdrawal, user: Officer, session: SessionDep, services: ServicesDep
) -> ConsentPublic:
    """Withdrawal acts at once: keep_contact_details erases the contact details; record_personal_details
    erases the name and contact details (the person shown by a generated label from then on, the date of
    birth kept for the schedule and the release rules); store_electronically refuses further uploads.
    Both of the last list the person for managers (GET /consents/storage-withdrawn)."""
    row = services.consents.withdraw(session, consent_id=consent_id, method=body.how, user=user)
    return _publics(session, [row])[0]


@router.get("/consents/storage-withdrawn", response_model=Page[PersonToDecide])
def storage_withdrawn(
    user: Manager, session: SessionDep, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[PersonToDecide]:
    """People who withdrew consent to store their information electronically or to record their
    personal details (``withdrawn`` says which): a manager decides what happens to what is kept."""
    key = decode_cursor(cursor)
    people = services.consents.storage_withdrawn(session, user=user, after=int(key[0]) if key else None, limit=limit)
    return page_of(
        people,
        limit=limit,
        key=lambda row: (row[0].id or 0,),
        shape=lambda row: PersonToDecide(person_id=row[0].id or 0, full_name=row[0].label, withdrawn=list(row[1])),
    )


@router.get("/people/{person_id}/access-refusal", response_model=AccessRefusalPublic)
def read_access_refusal(
    person_id: PathId, user: Officer, session: SessionDep, services: ServicesDep
) -> AccessRefusalPublic:
    row = services.consents.refusal(session, person_id=person_id, user=user)
    return AccessRefusalPublic.of(person_id, row)


@router.put("/people/{person_id}/access-refusal", response_model=AccessRefusalPublic)
def set_access_refusal(
    person_id: PathId, body: AccessRefusalSet, user: Officer, session: SessionDep, services: ServicesDep
) -> AccessRefusalPublic:
    """The young person refuses access to their records by those named (an empty list
    withdraws the refusal). 12 or over, or younger with maturity and capacity recorded."""
    row = services.consents.set_refusal(
        session,
        person_id=person_id,
        refused=[Recipient(kind) for kind in body.refused],
        method=body.method,
        note=body.note,
        maturity_recorded=body.maturity_recorded,
        user=user,
    )
    return AccessRefusalPublic.of(person_id, row)


@router.post("/cases/{case_id}/decline-referral", response_model=ReferralDeclined)
def decline_referral(case_id: PathId, user: Manager, services: ServicesDep) -> ReferralDeclined:
    """Decline a third party's referral that awaits the family's permission: what was recorded
    for it is destroyed, with a certificate. A person with no other case goes entirely; otherwise
    only this case (its notes, closures, disclosures, released holds, documents, and the consents
    recorded with it). 409 while a hold stands. Destroys in steps of its own, so no session here."""
    done = services.consents.decline_referral(case_id=case_id, user=user)
    destroyed = DestroyedCounts(
        people=1 if done.person_destroyed else 0,
        cases=done.cases,
        documents=done.documents,
        objects=done.objects,
        object_versions=done.object_versions,
        bytes=done.bytes,
        notes=done.notes,
        consents=done.consents,
        disclosures=done.disclosures,
    )
    return ReferralDeclined(
        case_id=done.case_id,
        case_reference=done.case_reference,
        certificate_id=done.certificate_id,
        destroyed=destroyed,
    )
