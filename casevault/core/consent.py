"""The consent register: what a service user agreed to, who gave it and how, and its
withdrawal; the rules that follow from it (contact details only with permission, no
upload once storing electronically is withdrawn or while a third party's referral waits
for the family's permission).

Services take a session and never commit. Access is the caller's to check (casework).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput
from casevault.core.models import (
    Case,
    Consent,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
    Document,
    LawfulBasis,
    Person,
    ReferralSource,
    User,
    name_problem,
)

# A referral from anyone but the young person or their family waits for their permission.
THIRD_PARTY_SOURCES = frozenset({ReferralSource.professional, ReferralSource.other})
# The young person's own consent is asked again at these ages (the policy's guide age, and 16).
REVIEW_AGES = (12, 16)


@dataclasses.dataclass(frozen=True)
class Given:
    """A consent as the officer records it: the scopes given in one conversation."""

    scopes: tuple[ConsentScope, ...]
    given_by: ConsentGiver
    method: ConsentMethod
    given_on: dt.date | None = None  # today when not said
    parent_name: str | None = None
    relationship: str | None = None
    evidence_document_id: int | None = None
    notice_version: str | None = None
    lawful_basis: LawfulBasis = LawfulBasis.consent
    review_on: dt.date | None = None


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day``."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def birthday(date_of_birth: dt.date, years: int) -> dt.date:
    """The ``years``-th birthday (29 February counts on 1 March in other years)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        return dt.date(date_of_birth.year + years, 3, 1)


# --- reading the register ----------------------------------------------------------------


def standing_scopes(session: Session, *, person_id: int) -> frozenset[ConsentScope]:
    """The scopes a person's consents give now (recorded, not withdrawn)."""
    query = select(Consent.scope).where(Consent.person_id == person_id, col(Consent.withdrawn_on).is_(None))
    return frozenset(ConsentScope(scope) for scope in session.exec(query).all())


def stands(session: Session, *, person_id: int, scope: ConsentScope) -> bool:
    return scope in standing_scopes(session, person_id=person_id)


def consents_of(session: Session, *, person_id: int, after: int | None, limit: int) -> Sequence[Consent]:
    """A person's consents by id, withdrawn ones too: ``limit + 1`` after ``after``."""
    query = select(Consent).where(Consent.person_id == person_id).order_by(col(Consent.id)).limit(limit + 1)
    if after is not None:
        query = query.where(col(Consent.id) > after)
    return session.exec(query).all()


# --- recording ---------------------------------------------------------------------------


def record(session: Session, *, person: Person, given: Given, user: User, clock: Clock) -> list[Consent]:
    """One row per scope given; refused (422) when who gave it or its evidence is unclear."""
    _check_giver(given)
    given_on = given.given_on or clock.today()
    if given_on > clock.today():
        raise InvalidInput(f"given_on {given_on} is in the future", field="given_on")
    if given.review_on is not None and given.review_on <= given_on:
        raise InvalidInput(
            f"review_on {given.review_on} is the day to ask again: it must be after given_on {given_on}",
            field="review_on",
        )
    if given.evidence_document_id is not None:
        _check_evidence(session, person=person, document_id=given.evidence_document_id)
    if not given.scopes:
        raise InvalidInput("say what was agreed: scopes must name at least one scope", field="scopes")
    now = clock.now()
    rows = [
        Consent(
            person_id=person.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            scope=scope,
            given_on=given_on,
            given_by=given.given_by,
            parent_name=given.parent_name.strip() if given.parent_name else None,
            relationship=given.relationship.strip() if given.relationship else None,
            method=given.method,
            evidence_document_id=given.evidence_document_id,
            notice_version=given.notice_version,
            lawful_basis=given.lawful_basis,
            recorded_by=user.id,
            recorded_at=now,
            review_on=given.review_on,
        )
        for scope in dict.fromkeys(given.scopes)  # each scope once, in the order given
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _check_giver(given: Given) -> None:
    if given.given_by is ConsentGiver.parent_carer:
        if not (given.parent_name or "").strip() or not (given.relationship or "").strip():
            raise InvalidInput(
                "a consent given by a parent or carer needs their parent_name and relationship (e.g. mother)",
                field="parent_name",
            )
    elif given.parent_name or given.relationship:
        raise InvalidInput("parent_name and relationship are for a consent given by a parent_carer", field="given_by")
    if given.parent_name and (problem := name_problem(given.parent_name)):  # the consent page as the API's schema
        raise InvalidInput(problem, field="parent_name")


def _check_evidence(session: Session, *, person: Person, document_id: int) -> None:
    of_person = select(Document.id).join(Case, col(Case.id) == col(Document.case_id))
    found = session.exec(of_person.where(Document.id == document_id, Case.person_id == person.id)).first()
    if found is None:
        raise InvalidInput(
            f"evidence_document_id {document_id} is not a document of person {person.id}; upload the signed form"
            " to one of their cases first, or leave it out",
            field="evidence_document_id",
        )


def withdraw(session: Session, *, consent: Consent, method: ConsentMethod, user: User, clock: Clock) -> Consent:
    if consent.withdrawn_on is not None:
        raise Conflict(f"consent {consent.id} was withdrawn on {consent.withdrawn_on}; record a new one if given again")
    consent.withdrawn_on = clock.today()
    consent.withdrawn_at = clock.now()
    consent.withdrawn_by = user.id
    consent.withdrawn_method = method
    session.add(consent)
    session.flush()
    return consent


# --- the rules that follow ---------------------------------------------------------------


def check_contact_details_allowed(scopes: Iterable[ConsentScope], *, person: str = "the person") -> None:
    """Contact details are kept only with permission (the policy: "only with your permission")."""
    if ConsentScope.keep_contact_details not in set(scopes):
        raise InvalidInput(
            f"contact_details can be kept only with consent to keep them: record the consent first (scope"
            f" keep_contact_details for {person}), or leave contact_details out",
            field="contact_details",
        )


def awaiting_permission(case: Case, scopes: Iterable[ConsentScope]) -> bool:
    """A third party's referral until the young person or their family gives permission."""
    return case.referral_source in THIRD_PARTY_SOURCES and ConsentScope.third_party_referral not in set(scopes)


def check_uploads_allowed(session: Session, *, case: Case) -> None:
    """Nothing is stored electronically once that permission is withdrawn, or before a
    third party's referral has the family's permission (409, saying what to record)."""
    scopes = standing_scopes(session, person_id=case.person_id)
    if awaiting_permission(case, scopes):
        raise Conflict(
            f"case {case.id} was referred by a third party and awaits permission: record the young person's or a"
            f" parent's or carer's permission for the referral (consent scope third_party_referral, on person"
            f" {case.person_id}) before uploading"
        )
    if ConsentScope.store_electronically not in scopes and _was_withdrawn(
        session, person_id=case.person_id, scope=ConsentScope.store_electronically
    ):
        raise Conflict(
            f"person {case.person_id} withdrew consent to store their information electronically; nothing more"
            " can be uploaded for them unless they give it again (a manager decides what happens to what is kept)"
        )


def _was_withdrawn(session: Session, *, person_id: int, scope: ConsentScope) -> bool:
    query = select(Consent.id).where(
        Consent.person_id == person_id, Consent.scope == scope, col(Consent.withdrawn_on).is_not(None)
    )
    return session.exec(query.limit(1)).first() is not None


def people_who_withdrew_storage(session: Session, *, after: int | None, limit: int) -> Sequence[int]:
    """Ids of people whose consent to store electronically was withdrawn and not given again:
    a manager decides what happens to what is kept."""
    withdrawn = select(Consent.person_id).where(
        Consent.scope == ConsentScope.store_electronically, col(Consent.withdrawn_on).is_not(None)
    )
    standing = select(Consent.person_id).where(
        Consent.scope == ConsentScope.store_electronically, col(Consent.withdrawn_on).is_(None)
    )
    query = select(Person.id).where(col(Person.id).in_(withdrawn), col(Person.id).not_in(standing))
    if after is not None:
        query = query.where(col(Person.id) > after)
    return [person_id for person_id in session.exec(query.order_by(col(Person.id)).limit(limit + 1)).all() if person_id]


def review_due(date_of_birth: dt.date, consents: Iterable[Consent], *, today: dt.date) -> int | None:
    """The age (12 or 16) at which the young person's own consent is to be asked again, when
    it has not been given since that birthday; None when nothing is due."""
    reached = [years for years in REVIEW_AGES if birthday(date_of_birth, years) <= today]
    if not reached:
        return None
    since = birthday(date_of_birth, reached[-1])
    asked = any(
        consent.given_by is ConsentGiver.young_person and consent.withdrawn_on is None and consent.given_on >= since
        for consent in consents
    )
    return None if asked else reached[-1]
