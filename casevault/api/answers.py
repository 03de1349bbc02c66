"""Shaping answers with names, not ids: the one place rows become what clients read.

Whoever may read a case sees its reference and its person's name; users appear by
username (the id beside it). Every route that answers a case, a document or a note
shapes it here, so none answers ``uploaded_by: null`` because it forgot a lookup.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from casevault.api.schemas import CaseClosurePublic, CasePublic, DocumentPublic, NotePublic
from casevault.core import casework
from casevault.core.models import Case, CaseNote, Document
from casevault.retention.history import closures


def cases(session: Session, rows: Sequence[Case]) -> list[CasePublic]:
    officers = casework.usernames(session, (case.assigned_officer_id for case in rows))
    person_ids = {case.person_id for case in rows}
    names = casework.shown_names(session, person_ids)
    return [
        CasePublic.of(
            case,
            officer=officers.get(case.assigned_officer_id) if case.assigned_officer_id else None,
            person_name=names.get(case.person_id),
        )
        for case in rows
    ]


def case(session: Session, row: Case) -> CasePublic:
    return cases(session, [row])[0]


def case_with_history(session: Session, row: Case) -> CasePublic:
    """One case as read on its own: with every closing, oldest first."""
    assert row.id is not None  # rows read from the database
    history = [CaseClosurePublic.model_validate(c, from_attributes=True) for c in closures(session, case_id=row.id)]
    return case(session, row).model_copy(update={"history": history})


def documents(session: Session, rows: Sequence[Document]) -> list[DocumentPublic]:
    names = casework.usernames(session, (document.uploaded_by for document in rows))
    return [DocumentPublic.of(document, names) for document in rows]


def document(session: Session, row: Document) -> DocumentPublic:
    return documents(session, [row])[0]


def notes(session: Session, rows: Sequence[CaseNote]) -> list[NotePublic]:
    names = casework.usernames(session, (note.author_id for note in rows))
    return [NotePublic.of(note, names) for note in rows]


def note(session: Session, row: CaseNote) -> NotePublic:
    return notes(session, [row])[0]
