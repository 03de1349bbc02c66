"""Recording a person, opening a case (a re-referral brings the person's archived cases
back), closing one (each closing kept in its history) and reopening it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from casevault.app.usecases import Parts
from casevault.app.usecases.consents import record_consents
from casevault.core import audit, casework, consent
from casevault.core.db import after_commit
from casevault.core.errors import InvalidInput
from casevault.core.models import Case, ConsentScope, OutcomeCode, Person, ReferralSource, User
from casevault.retention.decide import check_referral_allowed, destruction_date
from casevault.retention.history import record_closure, reopen_case
from casevault.retention.referral import restore_on_referral


class CaseWork:
    """Each takes the caller's session: the edge owns the transaction."""

    def __init__(self, services: Parts) -> None:
        self._services = services

    def add_person(
        self,
        session: Session,
        *,
        full_name: str | None,
        date_of_birth: dt.date | None,
        contact_details: str | None,
        consent_given: consent.Given | None,
        user: User,
        anonymous: bool = False,
    ) -> Person:
        """Record a young person, with their permission to record personal details given in
        the same request (and to keep contact details, when any are sent); refused when the
        schedule would already have destroyed their records (the service keeps nothing past that age).
        An anonymous contact (``anonymous``) is recorded with no name, date of birth or contact
        details, and so needs no permission to record them."""
        services = self._services
        casework.check_anonymous(
            anonymous=anonymous, full_name=full_name, date_of_birth=date_of_birth, contact=contact_details
        )
        if not anonymous:
            _check_consent_to_record(consent_given, contact_details=contact_details)
        if date_of_birth is not None:
            self._check_young_enough(date_of_birth)
        person = casework.add_person(
            session,
            full_name=full_name,
            date_of_birth=date_of_birth,
            contact_details=contact_details,
            recorded_by=user,
            clock=services.clock,
            anonymous=anonymous,
        )
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="person.create",
            subject_type="person",
            subject_id=person.id,
            details={"anonymous": True} if anonymous else None,
        )
        if consent_given is not None:
            record_consents(session, person=person, given=consent_given, user=user, clock=services.clock)
        return person

    def _check_young_enough(self, date_of_birth: dt.date) -> None:
        services = self._services
        if destruction_date(date_of_birth, services.schedule) <= services.clock.today():
            raise InvalidInput(
                f"date_of_birth {date_of_birth} makes the person {services.schedule.destruction.age_years} or older;"
                " the service keeps no records past that age",
                field="date_of_birth",
            )

    def open(
        self,
        session: Session,
        *,
        person_id: int | None = None,
        named: casework.PersonDetails | None = None,
        consent_given: consent.Given | None = None,
        referral_date: dt.date,
        referral_source: ReferralSource,
        officer: User | None,
        user: User,
    ) -> Case:
        """Open a case for a referral, of someone the caller already sees (``person_id``)
        or as the referral names them (``named``): someone recorded with the same name and
        date of birth is that person, anyone else is recorded now. A person with earlier
        cases makes it a re-referral, flagged for managers; their archived cases start
        coming back at once (``restoring``), the restore tasks sent after the commit.
        ``consent_given``: the permission a newly recorded person is recorded with."""
        services = self._services
        person = self._referred_person(
            session, person_id=person_id, named=named, consent_given=consent_given, user=user
        )
        if person.date_of_birth is not None:  # an anonymous contact has no age to check
            check_referral_allowed(person.date_of_birth, referral_date, services.schedule)
        earlier = session.exec(select(Case.id).where(Case.person_id == person.id).limit(1)).first()
        case = casework.open_case(
            session,
            person=person,
            referral_date=referral_date,
            referral_source=referral_source,
            officer=officer,
            clock=services.clock,
            re_referral=earlier is not None,
        )
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="case.open",
            subject_type="case",
            subject_id=case.id,
            details={"person": person.id, "re_referral": case.re_referral},
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

    def _referred_person(
        self,
        session: Session,
        *,
        person_id: int | None,
        named: casework.PersonDetails | None,
        consent_given: consent.Given | None,
        user: User,
    ) -> Person:
        if (person_id is None) == (named is None):
            raise InvalidInput("send either person_id or person (as the referral names them), not both", field="person")
        if person_id is not None:
            # Only someone the caller already sees: a 404 exactly as for no one, so an
            # officer cannot read (or restore the cases of) any id she guesses.
            return casework.get_person(session, person_id=person_id, user=user)
        assert named is not None
        known = None
        if not named.anonymous and named.full_name is not None and named.date_of_birth is not None:
            # An anonymous contact is never matched: nothing names them.
            known = casework.find_known_person(session, full_name=named.full_name, date_of_birth=named.date_of_birth)
        if known is not None:
            # What the referral says of their contact details is a correction, not ours to make;
            # a consent given now is theirs, and goes in the register.
            if consent_given is not None:
                record_consents(session, person=known, given=consent_given, user=user, clock=self._services.clock)
            return known
        return self.add_person(
            session,
            full_name=named.full_name,
            date_of_birth=named.date_of_birth,
            contact_details=named.contact_details,
            consent_given=consent_given,
            user=user,
            anonymous=named.anonymous,
        )

    def close(
        self, session: Session, *, case_id: int, closed_on: dt.date, outcome: str, outcome_code: OutcomeCode, user: User
    ) -> Case:
        services = self._services
        case = casework.get_case_to_change(session, case_id=case_id, user=user)
        casework.close_case(
            session, case=case, closed_on=closed_on, outcome=outcome, outcome_code=outcome_code, clock=services.clock
        )
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


def _check_consent_to_record(given: consent.Given | None, *, contact_details: str | None) -> None:
    """The policy asks permission to record personal details when someone first approaches the service."""
    if given is None or ConsentScope.record_personal_details not in given.scopes:
        raise InvalidInput(
            'a person is recorded only with their permission: add consent {"scopes":'
            ' ["record_personal_details", ...], "given_by": "young_person" or "parent_carer"'
            ' (with parent_name and relationship), "how": "verbal", "written", "email" or "online"}'
            " to the request",
            field="consent",
        )
    if contact_details is not None:
        consent.check_contact_details_allowed(given.scopes)
