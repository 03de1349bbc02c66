from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlmodel import Session

from casevault.api import answers
from casevault.api.bounds import PathId, QueryId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.paging import Cursor, CursorKey, Limit, Page, decode_cursor, page_of
from casevault.api.schemas import (
    CaseClose,
    CaseCreate,
    CasePublic,
    CaseReopen,
    DocumentPublic,
    NoteCreate,
    NotePublic,
)
from casevault.core import casework
from casevault.core.errors import BadQuery, Forbidden
from casevault.core.models import Case, CaseNote, CaseStatus, Document, Person, Role, User
from casevault.core.users import find_user

router = APIRouter(prefix="/cases", tags=["cases"])

ASSIGNED_OFFICER = f"a username; `{casework.UNASSIGNED}` (managers): no officer, or a revoked one"
# Plain characters only: whatever else a client sends (a NUL, say) could not even be a query on PostgreSQL.
REFERENCE_CHARACTERS = r"^[A-Za-z0-9-]+$"
USERNAME_CHARACTERS = r"^[A-Za-z0-9._-]+$"
Reference = Annotated[
    str, Path(min_length=1, max_length=32, pattern=REFERENCE_CHARACTERS, description="e.g. SEN-2026-00042")
]


def by_id(row: Case | Document | Person) -> CursorKey:
    """The cursor key of a list in id order."""
    assert row.id is not None  # rows read from the database
    return (row.id,)


def case_page(
    session: Session, *, user: User, where: casework.CaseFilter, limit: int, cursor: str | None
) -> Page[CasePublic]:
    key = decode_cursor(cursor)
    after = int(key[0]) if key else None
    cases = casework.list_cases(session, user=user, where=where, after=after, limit=limit)
    shaped = {case.id: public for case, public in zip(cases, answers.cases(session, cases), strict=True)}
    return page_of(cases, limit=limit, key=by_id, shape=lambda case: shaped[case.id])


def _officer_for(session: Session, *, body: CaseCreate, user: User) -> User | None:
    if user.role == Role.officer:
        if body.assigned_officer not in (None, user.username):
            raise Forbidden("officers open cases for themselves; ask a manager to assign a case to someone else")
        return user
    return find_user(session, username=body.assigned_officer) if body.assigned_officer else None


@router.post("", status_code=201, response_model=CasePublic)
def open_case(body: CaseCreate, user: Officer, session: SessionDep, services: ServicesDep) -> CasePublic:
    named = casework.PersonDetails(**body.person.model_dump(exclude={"consent"})) if body.person else None
    given = body.person.consent.given() if body.person and body.person.consent else None
    case = services.cases.open(
        session,
        person_id=body.person_id,
        named=named,
        consent_given=given,
        referral_date=body.referral_date,
        referral_source=body.referral_source,
        officer=_officer_for(session, body=body, user=user),
        user=user,
    )
    return answers.case(session, case)


@router.get("", response_model=Page[CasePublic])
def list_cases(
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    person_id: QueryId | None = None,
    status: CaseStatus | None = None,
    assigned_officer: Annotated[
        str | None, Query(max_length=64, pattern=USERNAME_CHARACTERS, description=ASSIGNED_OFFICER)
    ] = None,
    reference: Annotated[str | None, Query(max_length=32, pattern=REFERENCE_CHARACTERS)] = None,
    re_referral: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CasePublic]:
    """The cases you may read (officers: their own, and the earlier cases of a person they
    have an open case for), by id."""
    where = casework.CaseFilter(person_id, status, assigned_officer, reference, re_referral)
    page = case_page(session, user=user, where=where, limit=limit, cursor=cursor)
    record(session, services, user, "case.list", count=len(page.items))
    return page


@router.get("/by-reference/{reference}", response_model=CasePublic)
def read_case_by_reference(
    reference: Reference, user: Officer, session: SessionDep, services: ServicesDep
) -> CasePublic:
    case = casework.find_case_by_reference(session, reference=reference, user=user)
    record(session, services, user, "case.read", subject_type="case", subject_id=case.id)
    return answers.case(session, case)


@router.get("/{case_id}", response_model=CasePublic)
def read_case(case_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> CasePublic:
    case = casework.get_case(session, case_id=case_id, user=user)
    record(session, services, user, "case.read", subject_type="case", subject_id=case.id)
    return answers.case_with_history(session, case)


@router.post("/{case_id}/close", response_model=CasePublic)
def close_case(
    case_id: PathId, body: CaseClose, user: Officer, session: SessionDep, services: ServicesDep
) -> CasePublic:
    case = services.cases.close(session, case_id=case_id, **body.model_dump(), user=user)
    return answers.case_with_history(session, case)


@router.post("/{case_id}/notes", status_code=201, response_model=NotePublic)
def add_note(
    case_id: PathId, body: NoteCreate, user: Officer, session: SessionDep, services: ServicesDep
) -> NotePublic:
    case = casework.get_case_to_change(session, case_id=case_id, user=user)
    note = casework.add_note(session, case=case, **body.model_dump(), author=user, clock=services.clock)
    record(session, services, user, "note.create", subject_type="case", subject_id=case.id, note=note.id)
    return answers.note(session, note)


@router.get("/{case_id}/notes", response_model=Page[NotePublic])
def list_notes(
    case_id: PathId, user: Officer, session: SessionDep, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[NotePublic]:
    """A case's notes by date, then the order they were written."""
    case = casework.get_case(session, case_id=case_id, user=user)
    notes = casework.list_notes(session, case=case, after=_after_note(cursor), limit=limit)
    shaped = dict(zip((note.id for note in notes), answers.notes(session, notes), strict=True))
    page = page_of(notes, limit=limit, key=_by_date, shape=lambda note: shaped[note.id])
    record(session, services, user, "note.read", subject_type="case", subject_id=case.id, count=len(page.items))
    return page


def _by_date(note: CaseNote) -> CursorKey:
    assert note.id is not None  # rows read from the database
    return (note.date.isoformat(), note.id)


def _after_note(cursor: str | None) -> tuple[dt.date, int] | None:
    key = decode_cursor(cursor, shape=(str, int))
    if key is None:
        return None
    try:
        return dt.date.fromisoformat(str(key[0])), int(key[1])
    except ValueError:
        raise BadQuery("cursor is not one this list gave out; leave it out to start from the first page") from None


@router.get("/{case_id}/documents", response_model=Page[DocumentPublic])
def list_documents(
    case_id: PathId, user: Officer, session: SessionDep, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[DocumentPublic]:
    """A case's documents in the order they were uploaded: status (and why one failed), pages, tier."""
    case = casework.get_case(session, case_id=case_id, user=user)
    key = decode_cursor(cursor)
    documents = casework.list_documents(session, case=case, after=int(key[0]) if key else None, limit=limit)
    shaped = dict(zip((document.id for document in documents), answers.documents(session, documents), strict=True))
    page = page_of(documents, limit=limit, key=by_id, shape=lambda document: shaped[document.id])
    record(session, services, user, "document.list", subject_type="case", subject_id=case.id, count=len(page.items))
    return page


# --- reopening, and the case's history -------------------------------------------------------


@router.post("/{case_id}/reopen", response_model=CasePublic)
def reopen_case(
    case_id: PathId, body: CaseReopen, user: Officer, session: SessionDep, services: ServicesDep
) -> CasePublic:
    """A closed case open again; its closing stays in ``history``. Archived: a manager
    restores it first (409 says so); destroyed: 409."""
    case = services.cases.reopen(session, case_id=case_id, reason=body.reason, user=user)
    return answers.case_with_history(session, case)
