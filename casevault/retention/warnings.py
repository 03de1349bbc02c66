"""Warnings before the lifecycle acts: the due list with the names managers need, and
an officer's to-do (destructions coming on her cases, documents whose OCR failed,
standing holds).

These answers name people and cases, so they go to the caller only: never into the
audit log, a task or a log line.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.core import consent
from casevault.core.models import (
    Case,
    CaseStatus,
    Consent,
    ConsentScope,
    Document,
    DocumentStatus,
    Hold,
    HoldKind,
    Person,
    ReferralSource,
    Role,
    User,
    shown_name,
)
from casevault.retention.decide import ActionKind
from casevault.retention.parts import Lifecycle
from casevault.retention.sweep import DueItem, Unfinished, due_list

Cases = sa.Select[Any]  # a subquery of case ids
TODO_DAYS = 30  # how far ahead an officer's to-do warns of destructions
TODO_CAP = 50  # items per to-do section; its total says how many there are


@dataclass(frozen=True)
class CaseLabel:
    case_id: int
    reference: str


@dataclass(frozen=True)
class PersonLabel:
    person_id: int
    full_name: str
    cases: tuple[CaseLabel, ...]  # every case of the person not destroyed, oldest first


def label_people(session: Session, person_ids: Iterable[int], *, cases: Cases | None = None) -> dict[int, PersonLabel]:
    """Names and case references of these people (only of ``cases``, when given)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    people = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
    labels: dict[int, list[CaseLabel]] = defaultdict(list)
    query = select(Case.person_id, Case.id, Case.reference).where(
        col(Case.person_id).in_(ids), Case.status != CaseStatus.destroyed
    )
    if cases is not None:
        query = query.where(col(Case.id).in_(cases))
    rows = session.exec(query.order_by(col(Case.id))).all()
    for person_id, case_id, reference in rows:
        labels[person_id].append(CaseLabel(case_id, reference))  # type: ignore[arg-type]  # ids of rows read from the database are set
    return {
        person.id: PersonLabel(person.id, person.label, tuple(labels[person.id]))  # type: ignore[index, arg-type, misc]  # ids of rows read from the database are set
        for person in people
    }


@dataclass(frozen=True)
class DueWarnings:
    as_of: dt.date
    until: dt.date  # everything due on or before this day
    items: tuple[DueItem, ...]
    unfinished: Unfinished
    people: dict[int, PersonLabel]  # the people of the items, by id


def due_warnings(lifecycle: Lifecycle, session: Session, *, as_of: dt.date, until: dt.date) -> DueWarnings:
    """What falls due on or before ``until`` (overdue items too), with names and references."""
    items, unfinished = due_list(lifecycle, as_of=until)
    people = label_people(session, (item.action.person_id for item in items))
    return DueWarnings(as_of, until, tuple(items), unfinished, people)


# --- an officer's to-do ------------------------------------------------------------------


@dataclass(frozen=True)
class DestructionTodo:
    person_id: int
    full_name: str
    due_on: dt.date
    case_references: tuple[str, ...]  # the caller's cases of the person (every case, for a manager)
    held: bool
    awaiting: str | None  # why it waits for a manager's approval, if it does


@dataclass(frozen=True)
class FailedDocumentTodo:
    document_id: int
    case_id: int
    case_reference: str
    full_name: str
    failure_reason: str | None


@dataclass(frozen=True)
class HoldTodo:
    hold_id: int
    kind: HoldKind
    person_id: int
    full_name: str
    case_id: int | None  # None: the hold is on the person, so on all their cases
    case_references: tuple[str, ...]
    placed_at: dt.datetime


@dataclass(frozen=True)
class ConsentReviewTodo:
    person_id: int
    full_name: str
    age: int  # 12 or 16: their own consent has not been asked since that birthday
    case_references: tuple[str, ...]


@dataclass(frozen=True)
class AwaitingPermissionTodo:
    case_id: int
    case_reference: str
    person_id: int
    full_name: str
    referral_source: ReferralSource


T = TypeVar("T")


@dataclass(frozen=True)
class Section(Generic[T]):
    total: int
    items: tuple[T, ...]  # the first TODO_CAP of them


@dataclass(frozen=True)
class Todo:
    as_of: dt.date
    until: dt.date
    destructions: Section[DestructionTodo]
    failed_documents: Section[FailedDocumentTodo]
    holds: Section[HoldTodo]
    consent_reviews: Section[ConsentReviewTodo]
    awaiting_permission: Section[AwaitingPermissionTodo]


def _capped(items: Sequence[T], total: int | None = None) -> Section[T]:
    return Section(len(items) if total is None else total, tuple(items[:TODO_CAP]))


def todo(session: Session, *, user: User, due: Sequence[DueItem], as_of: dt.date, until: dt.date) -> Todo:
    """``due``: the due list up to ``until``; its destructions of people on the caller's
    cases (every person, for a manager) are the warnings. Each section is counted in
    full and loaded only up to TODO_CAP, so a manager's view of everything stays cheap."""
    cases = _cases_of(user)  # None: every case
    destructions = [item for item in due if item.action.kind is ActionKind.destroy_person]
    if cases is not None:
        people = set(session.exec(select(Case.person_id).where(col(Case.id).in_(cases))).all())
        destructions = [item for item in destructions if item.action.person_id in people]
    shown = destructions[:TODO_CAP]
    labels = label_people(session, (item.action.person_id for item in shown), cases=cases)
    return Todo(
        as_of=as_of,
        until=until,
        destructions=_capped(
            [
                DestructionTodo(
                    person_id=item.action.person_id,
                    full_name=labels[item.action.person_id].full_name,
                    due_on=item.action.due_on,
                    case_references=tuple(case.reference for case in labels[item.action.person_id].cases),
                    held=item.action.held,
                    awaiting=item.awaiting,
                )
                for item in shown
                if item.action.person_id in labels
            ],
            total=len(destructions),
        ),
        failed_documents=_failed_documents(session, cases),
        holds=_holds(session, cases),
        consent_reviews=_consent_reviews(session, cases, today=as_of),
        awaiting_permission=_awaiting_permission(session, cases),
    )


def _cases_of(user: User) -> Cases | None:
    """The ids of the caller's cases (not destroyed), as a subquery; None for a manager: all."""
    if user.role is Role.manager:
        return None
    return select(Case.id).where(Case.assigned_officer_id == user.id, Case.status != CaseStatus.destroyed)


def _failed_documents(session: Session, cases: Cases | None) -> Section[FailedDocumentTodo]:
    query = (
        sa.select(
            col(Document.id),
            col(Document.case_id),
            col(Document.failure_reason),
            col(Case.reference),
            col(Person.id),
            col(Person.full_name),
        )
        .join(Case, col(Case.id) == col(Document.case_id))
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(col(Document.status) == DocumentStatus.failed, col(Case.status) != CaseStatus.destroyed)
    )
    if cases is not None:
        query = query.where(col(Document.case_id).in_(cases))
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    rows = session.execute(query.order_by(col(Document.id)).limit(TODO_CAP)).all()
    items = [
        FailedDocumentTodo(
            document_id=document_id,
            case_id=case_id,
            case_reference=reference,
            full_name=shown_name(person_id, name),
            failure_reason=why,
        )
        for document_id, case_id, why, reference, person_id, name in rows
    ]
    return _capped(items, total=total)


def _holds(session: Session, cases: Cases | None) -> Section[HoldTodo]:
    """Standing holds on the cases, or on their people (which stop all their cases)."""
    query = select(Hold).where(col(Hold.released_at).is_(None))
    if cases is not None:
        people = select(Case.person_id).where(col(Case.id).in_(cases))
        query = query.where(sa.or_(col(Hold.case_id).in_(cases), col(Hold.person_id).in_(people)))
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    holds = session.exec(query.order_by(col(Hold.id)).limit(TODO_CAP)).all()
    on_cases = {
        case.id: case
        for case in session.exec(select(Case).where(col(Case.id).in_([h.case_id for h in holds if h.case_id]))).all()
    }
    person_of = {
        hold.id: hold.person_id if hold.case_id is None else on_cases[hold.case_id].person_id for hold in holds
    }
    labels = label_people(session, (p for p in person_of.values() if p is not None), cases=cases)
    items = []
    for hold in holds:
        person_id = person_of[hold.id]
        assert person_id is not None  # a hold names a case or a person
        case = on_cases.get(hold.case_id) if hold.case_id is not None else None
        label = labels.get(person_id)
        items.append(
            HoldTodo(
                hold_id=hold.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
                kind=hold.kind,
                person_id=person_id,
                full_name=label.full_name if label else "",
                case_id=hold.case_id,
                case_references=(case.reference,)
                if case is not None
                else tuple(c.reference for c in label.cases)
                if label
                else (),
                placed_at=hold.placed_at,
            )
        )
    return _capped(items, total=total)


def _open_cases(cases: Cases | None) -> Any:  # a Select of (id, reference, person_id, referral_source)
    query = sa.select(col(Case.id), col(Case.reference), col(Case.person_id), col(Case.referral_source))
    query = query.where(col(Case.status) == CaseStatus.open)
    return query if cases is None else query.where(col(Case.id).in_(cases))


def _consent_reviews(session: Session, cases: Cases | None, *, today: dt.date) -> Section[ConsentReviewTodo]:
    """People of open cases who turned 12 or 16 since they last gave their own consent."""
    twelve_ago = consent.birthday(today, -12)  # a first cut; review_due decides
    rows = session.execute(_open_cases(cases).order_by(col(Case.id))).all()
    references: dict[int, list[str]] = defaultdict(list)
    for _case_id, reference, person_id, _source in rows:
        references[person_id].append(reference)
    born = sa.select(col(Person.id), col(Person.full_name), col(Person.date_of_birth)).where(
        col(Person.id).in_(list(references)), col(Person.date_of_birth) <= twelve_ago
    )
    people = session.execute(born.order_by(col(Person.id))).all()
    given: dict[int, list[Consent]] = defaultdict(list)
    for row in session.exec(select(Consent).where(col(Consent.person_id).in_([p[0] for p in people]))).all():
        given[row.person_id].append(row)
    items = []
    for person_id, full_name, date_of_birth in people:
        age = consent.review_due(date_of_birth, given[person_id], today=today)
        if age is not None:
            label = shown_name(person_id, full_name)
            items.append(ConsentReviewTodo(person_id, label, age, tuple(references[person_id])))
    return _capped(items)


def _awaiting_permission(session: Session, cases: Cases | None) -> Section[AwaitingPermissionTodo]:
    """Open cases a third party referred, without the family's permission yet."""
    permitted = select(Consent.person_id).where(
        Consent.scope == ConsentScope.third_party_referral, col(Consent.withdrawn_on).is_(None)
    )
    query = (
        _open_cases(cases)
        .add_columns(col(Person.full_name))
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(
            col(Case.referral_source).in_(sorted(consent.THIRD_PARTY_SOURCES)),
            col(Case.person_id).not_in(permitted),
        )
    )
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    rows = session.execute(query.order_by(col(Case.id)).limit(TODO_CAP)).all()
    items = [
        AwaitingPermissionTodo(case_id, reference, person_id, shown_name(person_id, name), source)
        for case_id, reference, person_id, source, name in rows
    ]
    return _capped(items, total=total)
