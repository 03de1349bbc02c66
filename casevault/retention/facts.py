"""Facts from the database, for ``decide``: only the people something may be due for.

Three indexed queries find them, so planning costs grow with the items due and
not with everything the service keeps:
- people whose destruction date has come (``person.date_of_birth`` index, up to a
  cutoff computed with the schedule's birthday rule, 29 February included);
- people with a closed case closed on or before the day (``status`` leads the
  ``ix_case_status_archive_until`` index);
- when the schedule destroys at the end of the archive window: people with an
  archived case whose ``archive_until`` has passed (same index, both columns);
- people with no date of birth (anonymous contacts) with an archived case whose window
  has passed, for the schedule's undated rule (``decide`` checks every case of theirs).
Then each of those people is loaded whole (cases and holds), in batches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from casevault.core.models import Case, CaseStatus, Hold, Person
from casevault.retention.decide import (
    Action,
    ActionKind,
    CaseFacts,
    HoldFacts,
    PersonFacts,
    decide,
    decide_person,
    destruction_date,
)
from casevault.retention.schedule import ExpiryAction, Schedule

LOAD_BATCH = 500


def destruction_cutoff(as_of: dt.date, schedule: Schedule) -> dt.date:
    """The latest date of birth whose destruction date is on or before ``as_of``.

    Found from the same ``destruction_date`` the decision uses, so the query and the
    decision cannot disagree about a leap-day birthday.
    """
    years = schedule.destruction.age_years
    try:
        cutoff = as_of.replace(year=as_of.year - years)
    except ValueError:  # as_of is 29 February, that year is common
        cutoff = dt.date(as_of.year - years, 2, 28)
    day = dt.timedelta(days=1)
    while destruction_date(cutoff + day, schedule) <= as_of:
        cutoff += day
    while destruction_date(cutoff, schedule) > as_of:
        cutoff -= day
    return cutoff


def due_person_ids(session: Session, *, schedule: Schedule, as_of: dt.date) -> list[int]:
    cutoff = destruction_cutoff(as_of, schedule)
    ids: set[int] = set(session.exec(select(Person.id).where(col(Person.date_of_birth) <= cutoff)).all())  # type: ignore[arg-type]  # ids of rows read from the database are set
    ids.update(
        session.exec(select(Case.person_id).where(Case.status == CaseStatus.closed, col(Case.closed_on) <= as_of)).all()
    )
    if schedule.archive_expiry.action is ExpiryAction.destroy:
        ids.update(
            session.exec(
                select(Case.person_id).where(Case.status == CaseStatus.archived, col(Case.archive_until) <= as_of)
            ).all()
        )
    undated = (
        select(Case.person_id)
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(
            col(Person.date_of_birth).is_(None),
            Case.status == CaseStatus.archived,
            col(Case.archive_until).is_(None) | (col(Case.archive_until) <= as_of),
        )
    )
    ids.update(session.exec(undated).all())
    return sorted(ids)


def load_people(session: Session, person_ids: Iterable[int]) -> list[PersonFacts]:
    ids = list(person_ids)
    facts: list[PersonFacts] = []
    for start in range(0, len(ids), LOAD_BATCH):
        facts.extend(_load_batch(session, ids[start : start + LOAD_BATCH]))
    return facts


def plan(session: Session, *, schedule: Schedule, as_of: dt.date) -> list[Action]:
    """What a sweep on ``as_of`` would do, held actions included (marked)."""
    return decide(load_people(session, due_person_ids(session, schedule=schedule, as_of=as_of)), schedule, as_of)


def destruction_due_on(session: Session, person: Person, *, schedule: Schedule, as_of: dt.date) -> dt.date | None:
    """When the schedule destroys this person, as checked at the moment of acting or approving:
    at the destruction age for someone with a date of birth; for someone without (an anonymous
    contact), once every case is archived and the last archive window has ended, and None
    while that has not happened by ``as_of``."""
    if person.date_of_birth is not None:
        return destruction_date(person.date_of_birth, schedule)
    assert person.id is not None  # a stored row
    actions = decide_person(load_people(session, [person.id])[0], schedule, as_of)
    return next((action.due_on for action in actions if action.kind is ActionKind.destroy_person), None)


def _load_batch(session: Session, person_ids: Sequence[int]) -> list[PersonFacts]:
    people = session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()
    cases = session.exec(select(Case).where(col(Case.person_id).in_(person_ids))).all()
    case_ids = [case.id for case in cases]
    holds = session.exec(
        select(Hold).where(col(Hold.person_id).in_(person_ids) | col(Hold.case_id).in_(case_ids))
    ).all()
    person_holds: dict[int, list[HoldFacts]] = defaultdict(list)
    case_holds: dict[int, list[HoldFacts]] = defaultdict(list)
    for hold in holds:
        fact = HoldFacts(hold_id=hold.id, kind=hold.kind, released_at=hold.released_at)  # type: ignore[arg-type]  # ids of rows read from the database are set
        if hold.person_id is not None:
            person_holds[hold.person_id].append(fact)
        if hold.case_id is not None:
            case_holds[hold.case_id].append(fact)
    cases_of: dict[int, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        cases_of[case.person_id].append(case_facts(case, holds=case_holds[case.id]))  # type: ignore[index]  # ids of rows read from the database are set
    return [
        PersonFacts(
            person_id=person.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            pseudonym=person.pseudonym,
            date_of_birth=person.date_of_birth,
            cases=tuple(cases_of[person.id]),  # type: ignore[index]  # ids of rows read from the database are set
            holds=tuple(person_holds[person.id]),  # type: ignore[index]  # ids of rows read from the database are set
        )
        for person in people
    ]


def case_facts(case: Case, *, holds: Sequence[HoldFacts] = ()) -> CaseFacts:
    return CaseFacts(
        case_id=case.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
        status=case.status,
        referral_date=case.referral_date,
        closed_on=case.closed_on,
        last_correspondence=case.last_correspondence,
        archive_until=case.archive_until,
        holds=tuple(holds),
        reference=case.reference,
    )
