"""Managers' approvals of destruction, when ``require_destruction_approval`` is on.

The policy says destroy at 25, so the setting is off by default. When on, the sweep
destroys a person only once a manager has approved; the certificate names the
approving manager's user id.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput, NotFound
from casevault.core.models import DestructionApproval, Person, User
from casevault.retention.facts import destruction_due_on
from casevault.retention.schedule import Schedule


def find_person(session: Session, *, person_id: int | None, pseudonym: str | None) -> Person:
    if (person_id is None) == (pseudonym is None):
        raise InvalidInput("name the person by exactly one of person_id and pseudonym")
    if person_id is not None:
        person = session.get(Person, person_id)
    else:
        person = session.exec(select(Person).where(Person.pseudonym == pseudonym)).first()
    if person is None:
        raise NotFound("no such person (already destroyed?)")
    return person


def approve_destruction(
    session: Session, *, person: Person, user: User, schedule: Schedule, clock: Clock
) -> DestructionApproval:
    due_on = destruction_due_on(session, person, schedule=schedule, as_of=clock.today())
    if due_on is None or clock.today() < due_on:
        raise Conflict(f"person {person.id}'s destruction is not due yet; approve it once it is on the due list")
    existing = session.get(DestructionApproval, person.id)
    if existing is not None:
        return existing
    approval = DestructionApproval(person_id=person.id, approved_by=user.id, approved_at=clock.now())  # type: ignore[arg-type]  # ids of rows read from the database are set
    session.add(approval)
    session.flush()
    return approval


def approved_people(session: Session, person_ids: list[int]) -> set[int]:
    if not person_ids:
        return set()
    rows = session.exec(select(DestructionApproval.person_id).where(col(DestructionApproval.person_id).in_(person_ids)))
    return set(rows.all())
