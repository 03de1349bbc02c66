"""Correcting mistakes: a person's details, a misfiled document, a document uploaded in
error, a note's text, a case's officer. The use cases are ``services.corrections``."""

from __future__ import annotations

from fastapi import APIRouter

from casevault.api import answers
from casevault.api.bounds import PathId
from casevault.api.deps import Manager, Officer, ServicesDep, SessionDep
from casevault.api.paging import Cursor, Limit, Page, decode_cursor, page_of
from casevault.api.schemas import (
    CaseAssign,
    CasePublic,
    DocumentDisposalPublic,
    DocumentMoveRequest,
    DocumentPublic,
    NoteAmend,
    NotePublic,
    NoteVersionPublic,
    PersonUpdate,
    Reason,
)
from casevault.core import casework
from casevault.core.models import PersonPublic

router = APIRouter(tags=["corrections"])


@router.patch("/people/{person_id}", response_model=PersonPublic)
def update_person(
    person_id: PathId, body: PersonUpdate, user: Officer, session: SessionDep, services: ServicesDep
) -> PersonPublic:
    """Correct a person's details: only the fields sent change. A new date of birth moves
    the destruction date; one that would put the person past it is refused (422)."""
    changes = body.model_dump(include=body.model_fields_set)
    person = services.corrections.update_person(session, person_id=person_id, changes=changes, user=user)
    return PersonPublic.model_validate(person, from_attributes=True)


# Moving and removing store and delete objects: they open their own short transactions,
# so these routes take no session (none may be held across the store's IO); FastAPI runs them in its thread pool.


@router.post("/documents/{document_id}/move", response_model=DocumentPublic)
def move_document(
    document_id: PathId, body: DocumentMoveRequest, user: Officer, services: ServicesDep
) -> DocumentPublic:
    """Move a misfiled document to the right case (the caller must be able to change both).
    To another person's case, its files are re-encrypted under that person's key."""
    moved = services.corrections.move_document(
        document_id=document_id, case_id=body.case_id, reason=body.reason, user=user
    )
    with services.new_session() as session:
        return answers.document(session, moved)


@router.delete("/documents/{document_id}", response_model=DocumentDisposalPublic)
def remove_document(document_id: PathId, body: Reason, user: Manager, services: ServicesDep) -> DocumentDisposalPublic:
    """Remove a document uploaded in error: every stored version, its page text, its rows.
    Answers the disposal record; the document then answers 404."""
    disposal = services.corrections.remove_document(document_id=document_id, reason=body.reason, user=user)
    return DocumentDisposalPublic.of(disposal, disposed_by=user.username)


@router.patch("/notes/{note_id}", response_model=NotePublic)
def amend_note(
    note_id: PathId, body: NoteAmend, user: Officer, session: SessionDep, services: ServicesDep
) -> NotePublic:
    """Correct a note's text; the earlier text is kept as a version, with who and why."""
    note = services.corrections.amend_note(session, note_id=note_id, text=body.text, reason=body.reason, user=user)
    return answers.note(session, note)


@router.get("/notes/{note_id}/versions", response_model=Page[NoteVersionPublic])
def note_versions(
    note_id: PathId,
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NoteVersionPublic]:
    """A note's earlier texts, oldest first."""
    after = decode_cursor(cursor)
    rows = services.corrections.note_versions(
        session, note_id=note_id, user=user, after=int(after[0]) if after else None, limit=limit + 1
    )
    names = casework.usernames(session, [user_id for row in rows for user_id in (row.written_by, row.replaced_by)])
    return page_of(
        rows, limit=limit, key=lambda row: (row.version,), shape=lambda row: NoteVersionPublic.of(row, names)
    )


@router.post("/cases/{case_id}/assign", response_model=CasePublic)
def assign_case(
    case_id: PathId, body: CaseAssign, user: Manager, session: SessionDep, services: ServicesDep
) -> CasePublic:
    """Give a case to an active officer."""
    case = services.corrections.assign(session, case_id=case_id, officer=body.officer, user=user)
    return answers.case(session, case)
