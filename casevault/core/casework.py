"""People, cases and case notes: the services behind the casework endpoints.

Services take a session and keyword arguments and never commit: the caller
(a route, a task, a command) owns the transaction. Access rules live here,
not in the routes, so every caller gets them: officers reach only the cases
assigned to them (and the people of those cases); managers reach all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, Forbidden, InvalidInput, NotFound, NotVisible
from casevault.core.models import (
    Case,
    CaseNote,
    CaseStatus,
    Document,
    NoteKind,
    OutcomeCode,
    Person,
    ReferralSource,
    Role,
    User,
    name_key,
    name_problem,
    shown_name,
)

SEES_EVERY_CASE = {Role.manager}
GONE = {CaseStatus.destroyed}
# A person's open case lets its officer read the person's earlier cases (read-only).
OPEN = CaseStatus.open


# --- access ---------------------------------------------------------------------------
# What an officer may not see answers exactly as what does not exist (NotVisible is a
# NotFound, the same answer, but audited as a refused probe): a 403 would tell her which
# ids are real. A missing id is only a NotFound.


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
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    if not can_read_case(session, user, case):
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
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    if not can_see_person(session, user, person_id=person_id):
        raise NotVisible(f"no person with id {person_id}")
    return person


def can_see_person(session: Session, user: User, *, person_id: int) -> bool:
    """Managers: everyone. Officers: the people of cases assigned to them, and someone
    they recorded themselves who has no case yet (so they can open the first one)."""
    if user.role in SEES_EVERY_CASE:
        return True
    if user.role != Role.officer:
        return False
    seen = select(Person.id).where(Person.id == person_id, _people_an_officer_sees(user))
    return session.exec(seen.limit(1)).first() is not None


def _people_an_officer_sees(user: User) -> sa.ColumnElement[bool]:
    """can_see_person as a condition on Person, for lists."""
    assigned = select(Case.person_id).where(Case.assigned_officer_id == user.id)
    any_case = select(Case.id).where(Case.person_id == Person.id)
    return sa.or_(
        col(Person.id).in_(assigned),
        sa.and_(col(Person.recorded_by) == user.id, ~any_case.exists()),
    )


def _cases_an_officer_reads(user: User) -> sa.ColumnElement[bool]:
    """can_read_case as a condition on Case, for lists."""
    open_for = select(Case.person_id).where(Case.assigned_officer_id == user.id, Case.status == OPEN)
    return sa.or_(col(Case.assigned_officer_id) == user.id, col(Case.person_id).in_(open_for))


def get_document(session: Session, *, document_id: int, user: User) -> Document:
    """A document of a case the caller may read; one she may not see names no case."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document with id {document_id}")
    case = session.get(Case, document.case_id)
    if case is None or not can_read_case(session, user, case):
        raise NotVisible(f"no document with id {document_id}")
    return document


def find_case_by_reference(session: Session, *, reference: str, user: User) -> Case:
    """A case by its reference (any case of letters), answering as missing when the caller may not read it."""
    wanted = reference.strip().upper()
    case = session.exec(select(Case).where(Case.reference == wanted)).first()
    if case is None:
        raise NotFound("no case with that reference")
    if not can_read_case(session, user, case):
        raise NotVisible("no case with that reference")
    return case


@dataclasses.dataclass(frozen=True)
class CaseFilter:
    """What GET /cases may ask; None asks nothing of that field."""

    person_id: int | None = None
    status: CaseStatus | None = None
    assigned_officer: str | None = None  # a username, or UNASSIGNED
    reference: str | None = None
    re_referral: bool | None = None


UNASSIGNED = "none"  # no officer, or one whose access was revoked: work a manager must hand on


def list_cases(
    session: Session, *, user: User, where: CaseFilter, after: int | None, limit: int, offset: int = 0
) -> Sequence[Case]:
    """The cases the caller may read that match, by id, ``limit + 1`` of them after ``after``
    (the API's cursor) or past the first ``offset`` (the pages' numbered pages)."""
    query = select(Case).order_by(col(Case.id)).limit(limit + 1).offset(offset)
    if user.role not in SEES_EVERY_CASE:
        query = query.where(_cases_an_officer_reads(user))
    if after is not None:
        query = query.where(col(Case.id) > after)
    if where.person_id is not None:
        query = query.where(Case.person_id == where.person_id)
    if where.status is not None:
        query = query.where(Case.status == where.status)
    if where.reference is not None:
        query = query.where(Case.reference == where.reference.strip().upper())
    if where.re_referral is not None:
        query = query.where(Case.re_referral == where.re_referral)
    if where.assigned_officer is not None:
        query = query.where(_assigned_to(user, where.assigned_officer))
    return session.exec(query).all()


def _assigned_to(user: User, username: str) -> sa.ColumnElement[bool]:
    if username != UNASSIGNED:
        officer = select(User.id).where(User.username == username)
        return col(Case.assigned_officer_id).in_(officer)
    if user.role not in SEES_EVERY_CASE:
        raise Forbidden(f"assigned_officer={UNASSIGNED} (cases nobody looks after) is for managers")
    revoked = select(User.id).where(col(User.revoked_at).is_not(None))
    return sa.or_(col(Case.assigned_officer_id).is_(None), col(Case.assigned_officer_id).in_(revoked))


def list_documents(session: Session, *, case: Case, after: int | None, limit: int) -> Sequence[Document]:
    query = select(Document).where(Document.case_id == case.id).order_by(col(Document.id)).limit(limit + 1)
    if after is not None:
        query = query.where(col(Document.id) > after)
    return session.exec(query).all()


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Usernames by id, in one query, for answers that name users."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(User.id, User.username).where(col(User.id).in_(wanted))).all())  # type: ignore[arg-type]  # ids of stored rows are set


# --- people ---------------------------------------------------------------------------


def shown_names(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """How each person is shown, in one query: the name, or an anonymous contact's label."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(wanted))).all()
    return {person_id: shown_name(person_id, full_name) for person_id, full_name in rows}  # type: ignore[misc]  # ids of stored rows are set


@dataclasses.dataclass(frozen=True)
class PersonDetails:
    """A person as a referral names them."""

    full_name: str | None
    date_of_birth: dt.date | None
    contact_details: str | None = None
    anonymous: bool = False  # an anonymous contact: no name, date of birth or contact details


ANONYMOUS_FIELDS = ("full_name", "date_of_birth", "contact_details")


def check_anonymous(
    *, anonymous: bool, full_name: str | None, date_of_birth: dt.date | None, contact: str | None
) -> None:
    """An anonymous contact is recorded with none of the details that would name them; anyone
    else with a name and a date of birth."""
    values = (full_name, date_of_birth, contact)
    if anonymous:
        sent = [name for name, value in zip(ANONYMOUS_FIELDS, values, strict=True) if value is not None]
        if sent:
            raise InvalidInput(
                f"an anonymous contact is recorded without a name, date of birth or contact details: do not send"
                f" {', '.join(sent)} with anonymous: true",
                field=sent[0],
            )
        return
    for name, value in zip(ANONYMOUS_FIELDS[:2], values[:2], strict=True):
        if value is None:
            raise InvalidInput(f"send {name}, or anonymous: true for someone who wants to stay anonymous", field=name)


def add_person(
    session: Session,
    *,
    full_name: str | None,
    date_of_birth: dt.date | None,
    contact_details: str | None,
    recorded_by: User | None,  # None: recorded by the system (an import, a test)
    clock: Clock,
    anonymous: bool = False,
) -> Person:
    check_anonymous(anonymous=anonymous, full_name=full_name, date_of_birth=date_of_birth, contact=contact_details)
    if full_name is not None and (problem := name_problem(full_name)):  # the pages' forms as the API's schema
        raise InvalidInput(problem, field="full_name")
    if date_of_birth is not None:
        _check_not_future(date_of_birth, "date_of_birth", clock)
    person = Person(
        full_name=" ".join(full_name.split()) if full_name is not None else None,
        date_of_birth=date_of_birth,
        contact_details=contact_details,
        anonymous=anonymous,
        recorded_by=recorded_by.id if recorded_by else None,
        created_at=clock.now(),
    )
    if not anonymous and not person.full_name:
        raise InvalidInput("full_name must not be blank", field="full_name")
    session.add(person)
    session.flush()
    return person


def find_known_person(session: Session, *, full_name: str, date_of_birth: dt.date) -> Person | None:
    """The person a referral names, when the same name (as name_key sees it) and date of
    birth are already recorded; the first recorded when there are several."""
    query = select(Person).where(Person.name_key == name_key(full_name), Person.date_of_birth == date_of_birth)
    return session.exec(query.order_by(col(Person.id)).limit(1)).first()


def find_people(
    session: Session,
    *,
    user: User,
    name: str | None,
    date_of_birth: dt.date | None,
    after: int | None,
    limit: int,
) -> Sequence[Person]:
    """People the caller may see, by id. Every word of ``name`` must begin a word of the
    person's name, ignoring case, accents, spacing and order: "smi ame" finds Amelia Smith."""
    query = select(Person).order_by(col(Person.id)).limit(limit + 1)
    if user.role not in SEES_EVERY_CASE:
        query = query.where(_people_an_officer_sees(user))
    if after is not None:
        query = query.where(col(Person.id) > after)
    if date_of_birth is not None:
        query = query.where(Person.date_of_birth == date_of_birth)
    for word in name_key(name or "").split():
        pattern = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        key = col(Person.name_key)
        query = query.where(sa.or_(key.like(f"{pattern}%", escape="\\"), key.like(f"% {pattern}%", escape="\\")))
    return session.exec(query).all()


# --- cases ----------------------------------------------------------------------------


def open_case(
    session: Session,
    *,
    person: Person,
    referral_date: dt.date,
    referral_source: ReferralSource,
    officer: User | None,
    clock: Clock,
    re_referral: bool = False,
) -> Case:
    """Open a case for a referral. Age limits are the retention schedule's to check."""
    _check_not_future(referral_date, "referral_date", clock)
    if person.date_of_birth is not None and referral_date < person.date_of_birth:
        raise InvalidInput("referral_date is before the person's date of birth", field="referral_date")
    now = clock.now()
    case = Case(
        reference=f"pending-{uuid.uuid4().hex[:20]}",  # fits the column until the id is known
        person_id=person.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
        referral_date=referral_date,
        referral_source=referral_source,
        assigned_officer_id=officer.id if officer else None,
        status=CaseStatus.open,
        re_referral=re_referral,
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


def close_case(
    session: Session, *, case: Case, closed_on: dt.date, outcome: str, outcome_code: OutcomeCode, clock: Clock
) -> Case:
    if case.status != CaseStatus.open:
        raise Conflict(f"case {case.id} is {case.status.value}, not open; only an open case can be closed")
    _check_not_future(closed_on, "closed_on", clock)
    if closed_on < case.referral_date:
        raise InvalidInput("closed_on is before the referral date", field="closed_on")
    if not outcome.strip():
        raise InvalidInput("outcome must say how the case ended", field="outcome")
    if outcome_code is OutcomeCode.not_recorded:
        choices = ", ".join(code.value for code in OutcomeCode if code is not OutcomeCode.not_recorded)
        raise InvalidInput(
            f"outcome_code not_recorded is kept for cases closed before codes existed; choose one of {choices}",
            field="outcome_code",
        )
    case.status = CaseStatus.closed
    case.closed_on = closed_on
    case.outcome = outcome.strip()
    case.outcome_code = outcome_code
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
    person = session.get(Person, case.person_id)
    if person is not None and person.date_of_birth is not None and date < person.date_of_birth:
        raise InvalidInput("date is before the person's date of birth", field="date")
    if not text.strip():
        raise InvalidInput("text must not be blank", field="text")
    note = CaseNote(case_id=case.id, kind=kind, text=text, date=date, author_id=author.id, created_at=clock.now())  # type: ignore[arg-type]  # ids of rows read from the database are set
    note_correspondence(case, on=date)
    case.updated_at = clock.now()
    session.add_all([note, case])
    session.flush()
    return note


def list_notes(
    session: Session, *, case: Case, after: tuple[dt.date, int] | None = None, limit: int | None = None
) -> Sequence[CaseNote]:
    """A case's notes by date (then id): ``limit + 1`` after the (date, id) ``after`` when paging."""
    query = select(CaseNote).where(CaseNote.case_id == case.id).order_by(col(CaseNote.date), col(CaseNote.id))
    if after is not None:
        day, note_id = after
        later = sa.or_(col(CaseNote.date) > day, sa.and_(col(CaseNote.date) == day, col(CaseNote.id) > note_id))
        query = query.where(later)
    if limit is not None:
        query = query.limit(limit + 1)
    return session.exec(query).all()


def _check_not_future(value: dt.date, field: str, clock: Clock) -> None:
    if value > clock.today():
        raise InvalidInput(f"{field} {value.isoformat()} is in the future", field=field)
