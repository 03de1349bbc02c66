from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from casevault.api.bounds import Offset, PathId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.schemas import (
    CaseClose,
    CaseClosurePublic,
    CaseCreate,
    CaseList,
    CasePublic,
    CaseReopen,
    NoteCreate,
    NoteList,
    NotePublic,
)
from casevault.core import casework
from casevault.core.errors import Forbidden
from casevault.core.models import Case, CaseStatus, Role, User
from casevault.core.users import find_user
from casevault.retention.history import closures

router = APIRouter(prefix="/cases", tags=["cases"])


def _public(session: Session, case: Case) -> CasePublic:
    officer = session.get(User, case.assigned_officer_id) if case.assigned_officer_id else None
    return CasePublic.of(case, officer=officer.username if officer else None)


def _officer_for(session: Session, *, body: CaseCreate, user: User) -> User | None:
    if user.role == Role.officer:
        if body.assigned_officer not in (None, user.username):
            raise Forbidden("officers open cases for themselves; ask a manager to assign a case to someone else")
        return user
    return find_user(session, username=body.assigned_officer) if body.assigned_officer else None


@router.post("", status_code=201, response_model=CasePublic)
def open_case(body: CaseCreate, user: Officer, session: SessionDep, services: ServicesDep) -> CasePublic:
    case = services.cases.open(
        session,
        person_id=body.person_id,
        referral_date=body.referral_date,
        referral_source=body.referral_source,
        officer=_officer_for(session, body=body, user=user),
        user=user,
    )
    return _public(session, case)


@router.get("", response_model=CaseList)
def list_cases(
    user: Officer,
    session: SessionDep,
    status: CaseStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> CaseList:
    cases = casework.visible_cases(session, user=user, status=status, limit=limit, offset=offset)
    return CaseList(cases=[_public(session, case) for case in cases])


@router.get("/{case_id}", response_model=CasePublic)
def read_case(case_id: PathId, user: Officer, session: SessionDep) -> CasePublic:
    return with_history(session, _public(session, casework.get_case(session, case_id=case_id, user=user)))


@router.post("/{case_id}/close", response_model=CasePublic)
def close_case(
    case_id: PathId, body: CaseClose, user: Officer, session: SessionDep, services: ServicesDep
) -> CasePublic:
    case = services.cases.close(session, case_id=case_id, closed_on=body.closed_on, outcome=body.outcome, user=user)
    return _public(session, case)


@router.post("/{case_id}/notes", status_code=201, response_model=NotePublic)
def add_note(
    case_id: PathId, body: NoteCreate, user: Officer, session: SessionDep, services: ServicesDep
) -> NotePublic:
    case = casework.get_case_to_change(session, case_id=case_id, user=user)
    note = casework.add_note(session, case=case, **body.model_dump(), author=user, clock=services.clock)
    record(session, services, user, "note.create", subject_type="case", subject_id=case.id, note=note.id)
    return NotePublic.of(note)


@router.get("/{case_id}/notes", response_model=NoteList)
def list_notes(case_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> NoteList:
    case = casework.get_case(session, case_id=case_id, user=user)
    notes = casework.list_notes(session, case=case)
    record(session, services, user, "note.read", subject_type="case", subject_id=case.id, count=len(notes))
    return NoteList(notes=[NotePublic.of(note) for note in notes])


# --- reopening, and the case's history -------------------------------------------------------


@router.post("/{case_id}/reopen", response_model=CasePublic)
def reopen_case(
    case_id: PathId, body: CaseReopen, user: Officer, session: SessionDep, services: ServicesDep
) -> CasePublic:
    """A closed case open again; its closing stays in ``history``. Archived: a manager
    restores it first (409 says so); destroyed: 409."""
    case = services.cases.reopen(session, case_id=case_id, reason=body.reason, user=user)
    return with_history(session, _public(session, case))


def with_history(session: Session, public: CasePublic) -> CasePublic:
    """The case's answer with every closing, oldest first."""
    history = [CaseClosurePublic.model_validate(c, from_attributes=True) for c in closures(session, case_id=public.id)]
    return public.model_copy(update={"history": history})
