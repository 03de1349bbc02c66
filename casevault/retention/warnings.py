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
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.core.models import Case, CaseStatus, Document, DocumentStatus, Hold, HoldKind, Person, Role, User
from casevault.retention.decide import ActionKind
from casevault.retention.parts import Lifecycle
from casevault.retention.sweep import DueItem, Unfinished, due_list

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


def label_people(session: Session, person_ids: Iterable[int]) -> dict[int, PersonLabel]:
    """Names and case references of these people, for managers' warnings."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    people = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
    cases: dict[int, list[CaseLabel]] = defaultdict(list)
    rows = session.exec(
        select(Case.person_id, Case.id, Case.reference)
        .where(col(Case.person_id).in_(ids), Case.status != CaseStatus.destroyed)
        .order_by(col(Case.id))
    ).all()
    for person_id, case_id, reference in rows:
        cases[person_id].append(CaseLabel(case_id, reference))  # type: ignore[arg-type]  # ids of rows read from the database are set
    return {
        person.id: PersonLabel(person.id, person.full_name, tuple(cases[person.id]))  # type: ignore[index, arg-type, misc]  # ids of rows read from the database are set
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


def _capped(items: Sequence[T]) -> Section[T]:
    return Section(len(items), tuple(items[:TODO_CAP]))


def todo(session: Session, *, user: User, due: Sequence[DueItem], as_of: dt.date, until: dt.date) -> Todo:
    """``due``: the due list up to ``until``; its destructions of people on the caller's
    cases (every person, for a manager) are the warnings."""
    mine = _my_cases(session, user=user)
    people = {case.person_id for case in mine}
    destructions = [item for item in due if item.action.kind is ActionKind.destroy_person]
    if user.role is not Role.manager:
        destructions = [item for item in destructions if item.action.person_id in people]
    names = _names(session, people | {item.action.person_id for item in destructions})
    references: dict[int, list[str]] = defaultdict(list)
    for case in mine:
        references[case.person_id].append(case.reference)
    return Todo(
        as_of=as_of,
        until=until,
        destructions=_capped(
            [
                DestructionTodo(
                    person_id=item.action.person_id,
                    full_name=names.get(item.action.person_id, ""),
                    due_on=item.action.due_on,
                    case_references=tuple(references[item.action.person_id]),
                    held=item.action.held,
                    awaiting=item.awaiting,
                )
                for item in destructions
            ]
        ),
        failed_documents=_capped(_failed_documents(session, mine, names)),
        holds=_capped(_holds(session, mine, names, references)),
    )


def _my_cases(session: Session, *, user: User) -> Sequence[Case]:
    query = select(Case).where(Case.status != CaseStatus.destroyed).order_by(col(Case.id))
    if user.role is not Role.manager:
        query = query.where(Case.assigned_officer_id == user.id)
    return session.exec(query).all()


def _names(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(ids))).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


def _failed_documents(session: Session, cases: Sequence[Case], names: dict[int, str]) -> list[FailedDocumentTodo]:
    by_id = {case.id: case for case in cases}
    if not by_id:
        return []
    documents = session.exec(
        select(Document)
        .where(col(Document.case_id).in_(by_id), Document.status == DocumentStatus.failed)
        .order_by(col(Document.id))
    ).all()
    return [
        FailedDocumentTodo(
            document_id=document.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            case_id=document.case_id,
            case_reference=by_id[document.case_id].reference,
            full_name=names.get(by_id[document.case_id].person_id, ""),
            failure_reason=document.failure_reason,
        )
        for document in documents
    ]


def _holds(
    session: Session, cases: Sequence[Case], names: dict[int, str], references: dict[int, list[str]]
) -> list[HoldTodo]:
    """Standing holds on the cases, or on their people (which stop all their cases)."""
    by_id = {case.id: case for case in cases}
    people = {case.person_id for case in cases}
    if not by_id:
        return []
    holds = session.exec(
        select(Hold)
        .where(
            col(Hold.released_at).is_(None),
            sa.or_(col(Hold.case_id).in_(by_id), col(Hold.person_id).in_(people)),
        )
        .order_by(col(Hold.id))
    ).all()
    items = []
    for hold in holds:
        case = by_id.get(hold.case_id) if hold.case_id is not None else None
        person_id = case.person_id if case is not None else hold.person_id
        assert person_id is not None  # a hold names a case or a person
        items.append(
            HoldTodo(
                hold_id=hold.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
                kind=hold.kind,
                person_id=person_id,
                full_name=names.get(person_id, ""),
                case_id=hold.case_id,
                case_references=(case.reference,) if case is not None else tuple(references[person_id]),
                placed_at=hold.placed_at,
            )
        )
    return items
