"""People, cases and case notes: the services behind the casework endpoints.

Services take a session and keyword arguments and never commit: the caller
(a route, a task, a command) owns the transaction. Access rules live here,
not in the routes, so every caller gets them: officers reach only the cases
assigned to them (and the people of those cases); managers reach all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, Forbidden, InvalidInput, NotVisible
from casevault.core.models import (
    Case,
    CaseNote,
    CaseStatus,
    Document,
    NoteKind,
    Person,
    ReferralSource,
    Role,
    User,
)

SEES_EVERY_CASE = {Role.manager}
GONE = {CaseStatus.destroyed}
# A person's open case lets its officer read the person's earlier cases (read-only).
OPEN = CaseStatus.open


# --- access ---------------------------------------------------------------------------
# What an officer may not see answers exactly as what does not exist (NotVisible is a
# NotFound, audited as a refusal): a 403 would tell her which ids are real.


def can_change_case(user: User, case: Case) -> bool:
    if user.role in SEES_EVERY_CASE:
        return True
    return user.role == Role.officer and case.assigned_officer_id == user.id


def can_read_case(session: Session, user: User, case: Case) -> bool:
    """Her own cases, and the earlier cases of a person she has an open case for."""
    if can_change_case(user, case):
        return True
    return user.role == Role.officer and _has_open_case_for(session, user, person_id=case.person_id)


def _has_open_case_for(session: Session, user: User, *, person_id: int) -> bool:
    mine = select(Case.id).where(Case.person_id == person_id, Case.assigned_officer_id == user.id, Case.status == OPEN)
    return session.exec(mine.limit(1)).first() is not None


def get_case(session: Session, *, case_id: int, user: User) -> Case:
    """A case the caller may read."""
    case = session.get(Case, case_id)
    if case is None or not can_read_case(session, user, case):
        raise NotVisible(f"no case with id {case_id}")
    return case


def get_case_to_change(session: Session, *, case_id: int, user: User) -> Case:
    """A case the caller may change: an earlier case she may only read is a 403 saying so
    (she can see it, so refusing it tells her nothing new)."""
    case = get_case(session, case_id=case_id, user=user)
    if not can_change_case(user, case):
        raise Forbidden(
            f"case {case_id} is an earlier case of a person you support, which you may read but not change;"
            " ask a manager to assign it to you"
        )
    return case


def get_person(session: Session, *, person_id: int, user: User) -> Person:
    person = session.get(Person, person_id)
    if person is None or not can_see_person(session, user, person_id=person_id):
        raise NotVisible(f"no person with id {person_id}")
    return person


def can_see_person(session: Session, user: User, *, person_id: int) -> bool:
    if user.role in SEES_EVERY_CASE:
        return True
    assigned = select(Case.id).where(Case.person_id == person_id, Case.assigned_officer_id == user.id)
    return user.role == Role.officer and session.exec(assigned.limit(1)).first() is not None


def get_document(session: Session, *, document_id: int, user: User) -> Document:
    """A document of a case the caller may read; one she may not see names no case."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotVisible(f"no document with id {document_id}")
    case = session.get(Case, document.case_id)
    if case is None or not can_read_case(session, user, case):
        raise NotVisible(f"no document with id {document_id}")
    return document


def visible_cases(
    session: Session, *, user: User, status: CaseStatus | None, limit: int, offset: int
) -> Sequence[Case]:
    query = select(Case).order_by(col(Case.id)).limit(limit).offset(offset)
    if user.role not in SEES_EVERY_CASE:
        query = query.where(Case.assigned_officer_id == user.id)
    if status is not None:
        query = query.where(Case.status == status)
    return session.exec(query).all()


# --- people ---------------------------------------------------------------------------


def add_person(
    session: Session,
    *,
    full_name: str,
    date_of_birth: dt.date,
    contact_details: str | None,
    clock: Clock,
) -> Person:
    _check_not_future(date_of_birth, "date_of_birth", clock)
    person = Person(
        full_name=full_name.strip(),
        date_of_birth=date_of_birth,
        contact_details=contact_details,
        created_at=clock.now(),
    )
    if not person.full_name:
        raise InvalidInput("full_name must not be blank", field="full_name")
    session.add(person)
    session.flush()
    return person


# --- cases ----------------------------------------------------------------------------


def open_case(
    session: Session,
    *,
    person: Person,
    referral_date: dt.date,
    referral_source: ReferralSource,
    officer: User | None,
    clock: Clock,
) -> Case:
    """Open a case for a referral. Age limits are the retention schedule's to check."""
    _check_not_future(referral_date, "referral_date", clock)
    if referral_date < person.date_of_birth:
        raise InvalidInput("referral_date is before the person's date of birth", field="referral_date")
    now = clock.now()
    case = Case(
        reference=f"pending-{uuid.uuid4().hex[:20]}",  # fits the column until the id is known
        person_id=person.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
        referral_date=referral_date,
        referral_source=referral_source,
        assigned_officer_id=officer.id if officer else None,
        status=CaseStatus.open,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    # The id is unique and race-free, so the human reference is derived from it.
    case.reference = f"SEN-{referral_date.year}-{case.id:05d}"
    session.add(case)
    session.flush()
    return case


def close_case(session: Session, *, case: Case, closed_on: dt.date, outcome: str, clock: Clock) -> Case:
    if case.status != CaseStatus.open:
        raise Conflict(f"case {case.id} is {case.status.value}, not open; only an open case can be closed")
    _check_not_future(closed_on, "closed_on", clock)
    if closed_on < case.referral_date:
        raise InvalidInput("closed_on is before the referral date", field="closed_on")
    if not outcome.strip():
        raise InvalidInput("outcome must say how the case ended", field="outcome")
    case.status = CaseStatus.closed
    case.closed_on = closed_on
    case.outcome = outcome.strip()
    case.updated_at = clock.now()
    session.add(case)
    session.flush()
    return case


def note_correspondence(case: Case, *, on: dt.date) -> None:
    """Keep the derived last-correspondence date current (notes and documents)."""
    if case.last_correspondence is None or on > case.last_correspondence:
        case.last_correspondence = on


def check_case_writable(case: Case) -> None:
    if case.status in GONE:
        raise Conflict(f"case {case.id} was destroyed under the retention schedule; nothing can be added to it")


def check_case_takes_documents(case: Case) -> None:
    """New documents go to the active tier: an archived case must come back first."""
    check_case_writable(case)
    if case.status in (CaseStatus.archived, CaseStatus.restoring):
        raise Conflict(
            f"case {case.id} is {case.status.value}; restore it (POST /cases/{case.id}/restore) before adding documents"
        )


# --- notes ----------------------------------------------------------------------------


def add_note(
    session: Session, *, case: Case, kind: NoteKind, text: str, date: dt.date, author: User, clock: Clock
) -> CaseNote:
    check_case_writable(case)
    _check_not_future(date, "date", clock)
    if not text.strip():
        raise InvalidInput("text must not be blank", field="text")
    note = CaseNote(case_id=case.id, kind=kind, text=text, date=date, author_id=author.id, created_at=clock.now())  # type: ignore[arg-type]  # ids of rows read from the database are set
    note_correspondence(case, on=date)
    case.updated_at = clock.now()
    session.add_all([note, case])
    session.flush()
    return note


def list_notes(session: Session, *, case: Case) -> Sequence[CaseNote]:
    return session.exec(
        select(CaseNote).where(CaseNote.case_id == case.id).order_by(col(CaseNote.date), col(CaseNote.id))
    ).all()


def _check_not_future(value: dt.date, field: str, clock: Clock) -> None:
    if value > clock.today():
        raise InvalidInput(f"{field} {value.isoformat()} is in the future", field=field)
