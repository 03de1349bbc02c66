"""Recording a person, opening a case (a re-referral brings the person's archived cases
back), closing one (each closing kept in its history) and reopening it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from casevault.app.usecases import Parts
from casevault.core import audit, casework
from casevault.core.db import after_commit
from casevault.core.errors import InvalidInput, NotFound
from casevault.core.models import Case, Person, ReferralSource, User
from casevault.retention.decide import check_referral_allowed, destruction_date
from casevault.retention.history import record_closure, reopen_case
from casevault.retention.referral import restore_on_referral


class CaseWork:
    """Each takes the caller's session: the edge owns the transaction."""

    def __init__(self, services: Parts) -> None:
        self._services = services

    def add_person(
        self, session: Session, *, full_name: str, date_of_birth: dt.date, contact_details: str | None, user: User
    ) -> Person:
        """Record a young person; refused when the schedule would already have destroyed
        their records (the service keeps nothing past that age)."""
        services = self._services
        if destruction_date(date_of_birth, services.schedule) <= services.clock.today():
            raise InvalidInput(
                f"date_of_birth {date_of_birth} makes the person {services.schedule.destruction.age_years} or older;"
                " the service keeps no records past that age",
                field="date_of_birth",
            )
        person = casework.add_person(
            session,
            full_name=full_name,
            date_of_birth=date_of_birth,
            contact_details=contact_details,
            clock=services.clock,
        )
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="person.create",
            subject_type="person",
            subject_id=person.id,
        )
        return person

    def open(
        self,
        session: Session,
        *,
        person_id: int,
        referral_date: dt.date,
        referral_source: ReferralSource,
        officer: User | None,
        user: User,
    ) -> Case:
        """Open a case for a referral. If the person has archived cases, they start
        coming back at once (``restoring``), their restore tasks sent after the commit."""
        services = self._services
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound(f"no person with id {person_id}; create the person first (POST /people)")
        check_referral_allowed(person.date_of_birth, referral_date, services.schedule)
        case = casework.open_case(
            session,
            person=person,
            referral_date=referral_date,
            referral_source=referral_source,
            officer=officer,
            clock=services.clock,
        )
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="case.open",
            subject_type="case",
            subject_id=case.id,
            details={"person": person.id},
        )
        restoring = restore_on_referral(
            session,
            person=person,
            referral_date=referral_date,
            schedule=services.schedule,
            clock=services.clock,
            actor=audit.actor_of(user),
        )
        if restoring:
            after_commit(session, lambda: services.tasks.restores(restoring))
        return case

    def close(self, session: Session, *, case_id: int, closed_on: dt.date, outcome: str, user: User) -> Case:
        services = self._services
        case = casework.get_case_to_change(session, case_id=case_id, user=user)
        casework.close_case(session, case=case, closed_on=closed_on, outcome=outcome, clock=services.clock)
        closure = record_closure(session, case=case, user=user, clock=services.clock)  # kept when reopened
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="case.close",
            subject_type="case",
            subject_id=case.id,
            details={"closure": closure.id},
        )
        return case

    def reopen(self, session: Session, *, case_id: int, reason: str, user: User) -> Case:
        """A closed case open again (who may change it may reopen it); its earlier
        closing stays in the history. Archived: restore first; destroyed: never."""
        services = self._services
        case = casework.get_case_to_change(session, case_id=case_id, user=user)
        closure = reopen_case(session, case=case, reason=reason, user=user, clock=services.clock)
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="case.reopen",
            subject_type="case",
            subject_id=case.id,
            details={"closure": closure.id},  # the reason is the case's text: not in the log
        )
        return case
