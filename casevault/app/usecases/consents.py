"""The policy's people rules as the edges reach them: recording and withdrawing consent
(withdrawal acts at once), declining a third party's referral (what was recorded for it
is destroyed), the young person's refusal of access, and disclosures.

Audit details hold ids, scopes and kinds only: names, notes and reasons stay in their rows.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from casevault.app.usecases import Parts
from casevault.core import audit, casework, consent, erasure
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, after_commit, transaction
from casevault.core.errors import Conflict, Forbidden, InvalidInput, NotFound, NotVisible
from casevault.core.models import (
    AccessRefusal,
    AuditEvent,
    Case,
    CaseNote,
    CaseStatus,
    Consent,
    ConsentMethod,
    ConsentScope,
    DestructionCertificate,
    DestructionJob,
    Disclosure,
    Document,
    Hold,
    HoldKind,
    Person,
    User,
)
from casevault.core.release import EXCEPTIONS, Basis, Item, Recipient, Release, Subject, may_release
from casevault.retention.destroy import REFERRAL_DECLINED, destroy_case, destroy_person, erase_destroyed_rows, open_job
from casevault.retention.holds import standing_hold_ids
from casevault.retention.statistics import tally_destroyed_cases

log = logging.getLogger(__name__)
# Withdrawing these erases at once what they allowed to be kept: the contact details, and with
# record_personal_details the name too.
ERASES = (ConsentScope.keep_contact_details, ConsentScope.record_personal_details)
# Withdrawing these puts the person on the managers' list for a decision.
FOR_DECISION = (ConsentScope.store_electronically, ConsentScope.record_personal_details)


class ConsentWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    def _audit(
        self,
        session: Session,
        user: User,
        action: str,
        subject_type: str,
        subject_id: int | None,
        **details: int | str | bool | None,
    ) -> None:
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )

    # --- the register ---------------------------------------------------------------

    def record(self, session: Session, *, person_id: int, given: consent.Given, user: User) -> list[Consent]:
        person = casework.get_person(session, person_id=person_id, user=user)
        return record_consents(session, person=person, given=given, user=user, clock=self._services.clock)

    def listed(
        self, session: Session, *, person_id: int, user: User, after: int | None, limit: int
    ) -> Sequence[Consent]:
        person = casework.get_person(session, person_id=person_id, user=user)
        rows = consent.consents_of(session, person_id=person_id, after=after, limit=limit)
        self._audit(session, user, "consent.list", "person", person.id, count=min(len(rows), limit))
        return rows

    def withdraw(self, session: Session, *, consent_id: int, method: ConsentMethod, user: User) -> Consent:
        """Withdrawal acts at once: contact details are erased with their consent, and with the
        permission to record personal details the name and contact details too (the person is
        an anonymous contact from then on, and listed for a manager's decision); what is erased
        is made unreadable in the database files after the commit. The date of birth stays: the
        schedule destroys at an age, and the release rules protect the young by it."""
        row = session.get(Consent, consent_id)
        if row is None:
            raise NotVisible(f"no consent with id {consent_id}")
        try:
            person = casework.get_person(session, person_id=row.person_id, user=user)
        except NotVisible:
            raise NotVisible(f"no consent with id {consent_id}") from None
        consent.withdraw(session, consent=row, method=method, user=user, clock=self._services.clock)
        erased = name_erased = False
        scopes = consent.standing_scopes(session, person_id=row.person_id)
        if row.scope in ERASES and row.scope not in scopes:
            erased = person.contact_details is not None
            person.contact_details = None
            if row.scope is ConsentScope.record_personal_details:
                name_erased = person.full_name is not None
                person.full_name = None  # the name key goes with it (the model derives it)
                person.anonymous = True
            session.add(person)
            session.flush()
            if erased or name_erased:
                engine = session.get_bind()
                after_commit(session, lambda: _erase(engine))  # type: ignore[arg-type]  # bound to one engine
        self._audit(
            session,
            user,
            "consent.withdraw",
            "consent",
            row.id,
            person=person.id,
            scope=row.scope.value,
            contact_details_erased=erased,
            **({"name_erased": name_erased} if row.scope is ConsentScope.record_personal_details else {}),
        )
        return row

    def storage_withdrawn(
        self, session: Session, *, user: User, after: int | None, limit: int
    ) -> list[tuple[Person, list[ConsentScope]]]:
        """People for a manager's decision: who withdrew consent to store electronically or to
        record personal details (and gave none again), each with the scopes withdrawn."""
        withdrawn_now: dict[int, list[ConsentScope]] = {}
        for scope in FOR_DECISION:
            for person_id in _withdrew(session, scope=scope, after=after, limit=limit):
                withdrawn_now.setdefault(person_id, []).append(scope)
        ids = sorted(withdrawn_now)[: limit + 1]
        people = session.exec(select(Person).where(col(Person.id).in_(ids)).order_by(col(Person.id))).all()
        self._audit(session, user, "consent.storage_withdrawn.list", "person", None, count=min(len(ids), limit))
        return [(person, withdrawn_now[person.id]) for person in people]  # type: ignore[index]  # ids of stored rows are set

    # --- a third party's referral -------------------------------------------------------

    def decline_referral(self, *, case_id: int, user: User) -> DeclinedReferral:
        """A manager declines a third party's referral that awaits the family's permission, and
        what was recorded for it is destroyed, with a certificate as any destruction. Someone with
        no other case is destroyed entirely, through the destruction script (rule
        ``referral-declined``, authorised by the manager); someone known already keeps their other
        cases, and only this case goes, with the consents recorded with it (a certificate of its
        own, naming no one). A standing hold stops it (409 naming it). Each step commits before
        the next, as a destruction's do; declining again finishes one a crash interrupted."""
        services = self._services
        lifecycle = services.lifecycle
        holder = f"decline:{uuid.uuid4().hex}"
        with transaction(services.new_session) as session:
            started = self._start_decline(session, case_id=case_id, user=user)
        if started.person_destroyed:
            # Finishes the journal just written (or by the sweep, if that takes it first).
            destroy_person(lifecycle, person_id=started.person_id, action=None, holder=holder)
            certificate = _certificate(services.new_session, subject=started.subject)
        else:
            certificate_id = destroy_case(
                lifecycle,
                case_id=case_id,
                consent_ids=started.consent_ids,
                authorised_by=started.authorised_by,
                holder=holder,
            )
            certificate = _certificate(services.new_session, certificate_id=certificate_id)
        if certificate is None:
            raise Conflict(
                f"case {case_id} is being destroyed by another request or the sweep; its certificate is listed"
                " in GET /api/v1/certificates once it is done"
            )
        erase_destroyed_rows(lifecycle)  # the rows unreadable in the database files, as after a sweep
        return DeclinedReferral(
            case_id=case_id,
            case_reference=started.case_reference,
            person_destroyed=started.person_destroyed,
            certificate_id=certificate.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            cases=certificate.cases,
            documents=certificate.documents,
            objects=certificate.objects,
            object_versions=certificate.object_versions,
            bytes=certificate.bytes,
            notes=started.notes,
            consents=started.consents,
            disclosures=started.disclosures,
        )

    def _start_decline(self, session: Session, *, case_id: int, user: User) -> _Decline:
        """Decide, with the person locked (a hold placed now waits for this), and mark what
        goes: the journal of a person's destruction, or the case ``destroyed``."""
        services = self._services
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case with id {case_id}")
        person = session.get(Person, case.person_id, with_for_update=True)
        assert person is not None and person.id is not None and case.id is not None
        finishing = case.status is CaseStatus.destroyed and case.referral_declined
        if not finishing:
            scopes = consent.standing_scopes(session, person_id=person.id)
            if case.status is not CaseStatus.open or not consent.awaiting_permission(case, scopes):
                raise Conflict(
                    f"case {case.id} is not a referral awaiting permission; only such a referral can be declined"
                )
            held = standing_hold_ids(session, person_id=person.id, case_ids=[case.id])
            if held:
                raise Conflict(
                    f"case {case.id} is held by hold {', '.join(map(str, held))}: nothing of it is destroyed while"
                    f" a hold stands; release it first (DELETE /api/v1/holds/{held[0]}) if it should no longer stand"
                )
        others = session.exec(select(Case.id).where(Case.person_id == person.id, Case.id != case.id)).first()
        alone = session.get(DestructionJob, person.id) is not None if finishing else others is None
        authorised_by = f"manager user:{user.id}, schedule {services.schedule.version} rule {REFERRAL_DECLINED}"
        case_ids = select(Case.id).where((Case.person_id == person.id) if alone else (Case.id == case.id))
        consent_ids = [] if alone else _recorded_with(session, case=case)
        consents = _count(session, Consent, Consent.person_id == person.id) if alone else len(consent_ids)
        started = _Decline(
            case_reference=case.reference,
            person_id=person.id,
            subject=person.pseudonym,
            person_destroyed=alone,
            authorised_by=authorised_by,
            consent_ids=consent_ids,
            notes=_count(session, CaseNote, col(CaseNote.case_id).in_(case_ids)),
            consents=consents,
            disclosures=_count(session, Disclosure, col(Disclosure.case_id).in_(case_ids)),
        )
        if finishing:
            return started
        case.referral_declined = True
        if alone:
            open_job(
                session,
                services.lifecycle,
                person_id=person.id,
                subject=person.pseudonym,
                schedule_version=services.schedule.version,
                rule=REFERRAL_DECLINED,
                authorised_by=authorised_by,
            )
        else:
            tally_destroyed_cases(session, person_id=person.id, case_id=case.id)  # still counted, naming no one
            case.status, case.updated_at = CaseStatus.destroyed, services.clock.now()
        session.add(case)
        session.flush()
        self._audit(
            session,
            user,
            "referral.decline",
            "case",
            case.id,
            person=person.id,
            destroys="person" if alone else "case",
            consents=len(consent_ids),
        )
        return started

    # --- the young person's say ---------------------------------------------------------

    def refusal(self, session: Session, *, person_id: int, user: User) -> AccessRefusal | None:
        person = casework.get_person(session, person_id=person_id, user=user)
        row = standing_refusal(session, person_id=person_id)
        self._audit(session, user, "access_refusal.read", "person", person.id, refusal=row.id if row else None)
        return row

    def set_refusal(
        self,
        session: Session,
        *,
        person_id: int,
        refused: Sequence[Recipient],
        method: ConsentMethod,
        note: str | None,
        maturity_recorded: bool,
        user: User,
    ) -> AccessRefusal | None:
        """Record the young person's refusal (replacing the one standing); an empty list
        withdraws it. 12 or over, or younger with maturity and capacity recorded."""
        services = self._services
        person = casework.get_person(session, person_id=person_id, user=user)
        kinds = sorted({Recipient(kind) for kind in refused}, key=lambda kind: kind.value)
        if Recipient.young_person in kinds:
            raise InvalidInput(
                "a young person cannot refuse themselves; name others (e.g. parent_carer)", field="refused"
            )
        if person.date_of_birth is None:
            raise Conflict(
                f"person {person.id} is an anonymous contact with no date of birth: a refusal is recorded with the"
                " young person's age at the time; record their date of birth first, with their permission to"
                " record personal details"
            )
        age = consent.age_on(person.date_of_birth, services.clock.today())
        if kinds and age < 12 and not maturity_recorded:
            raise InvalidInput(
                f"person {person.id} is {age}: under 12, a refusal needs the officer's record that they have the"
                " maturity and capacity to make it (maturity_recorded: true)",
                field="maturity_recorded",
            )
        standing = standing_refusal(session, person_id=person_id)
        if standing is None and not kinds:
            raise Conflict(f"person {person.id} has no refusal standing to withdraw")
        now = services.clock.now()
        if standing is not None:
            standing.withdrawn_at, standing.withdrawn_by, standing.withdrawn_method = now, user.id, method
            session.add(standing)
        row = None
        if kinds:
            row = AccessRefusal(
                person_id=person_id,
                refused=",".join(kind.value for kind in kinds),
                method=method,
                note=note,
                age_at_time=age,
                maturity_recorded=maturity_recorded,
                recorded_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
                recorded_at=now,
            )
            session.add(row)
        session.flush()
        self._audit(
            session,
            user,
            "access_refusal.set" if kinds else "access_refusal.withdraw",
            "person",
            person.id,
            refused=",".join(kind.value for kind in kinds),
            age_at_time=age,
            refusal=row.id if row else None,
        )
        return row

    def subject(self, session: Session, *, person: Person) -> Subject:
        """What the release rules need to know of the person now."""
        assert person.id is not None
        refusal = standing_refusal(session, person_id=person.id)
        return Subject(
            age=consent.age_on(person.date_of_birth, self._services.clock.today()) if person.date_of_birth else None,
            maturity_recorded=refusal.maturity_recorded if refusal else False,
            refused=frozenset(Recipient(kind) for kind in refusal.refused.split(",")) if refusal else frozenset(),
            consents=consent.standing_scopes(session, person_id=person.id),
        )

    # --- disclosures --------------------------------------------------------------------

    def disclose(
        self,
        session: Session,
        *,
        case_id: int,
        recipient_kind: Recipient,
        recipient: str,
        document_ids: Sequence[int],
        basis: Basis,
        reason: str | None,
        user: User,
    ) -> tuple[Disclosure, Release]:
        """Record a disclosure the release rules allow (409 naming what is missing). One under
        an exception needs a reason, places a safeguarding hold at once, and awaits a second
        person's approval (a manager's, POST /disclosures/{id}/approve)."""
        services = self._services
        case = casework.get_case_to_change(session, case_id=case_id, user=user)
        person = session.get(Person, case.person_id)
        assert person is not None
        documents = self._documents(session, case=case, document_ids=document_ids)
        if basis in EXCEPTIONS and not (reason or "").strip():
            raise InvalidInput(f"a disclosure under {basis.value} needs the reason it is necessary", field="reason")
        release = may_release(
            self.subject(session, person=person),
            recipient_kind,
            [Item(document.id, document.provided_by) for document in documents],  # type: ignore[arg-type]  # ids of stored rows are set
            basis=basis,
        )
        if not release.allowed:
            raise Conflict(f"not disclosed: {release.reason}")
        hold = None
        if basis in EXCEPTIONS:
            hold = Hold(
                case_id=case.id,
                kind=HoldKind.safeguarding,
                reason=reason or basis.value,
                placed_by=user.id,
                placed_at=services.clock.now(),
            )
            session.add(hold)
            session.flush()
        row = Disclosure(
            case_id=case.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            recipient_kind=recipient_kind.value,
            recipient=recipient,
            basis=basis.value,
            reason=reason,
            documents=",".join(str(mark.document_id) for mark in release.documents if mark.disclosed),
            withheld=",".join(str(mark.document_id) for mark in release.documents if not mark.disclosed),
            recorded_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            recorded_at=services.clock.now(),
            hold_id=hold.id if hold else None,
        )
        session.add(row)
        session.flush()
        self._audit(
            session,
            user,
            "disclosure.record",
            "disclosure",
            row.id,
            case=case.id,
            recipient_kind=recipient_kind.value,
            basis=basis.value,
            hold=hold.id if hold else None,
            disclosed=row.documents,
            withheld=row.withheld,
        )
        return row, release

    def _documents(self, session: Session, *, case: Case, document_ids: Sequence[int]) -> Sequence[Document]:
        wanted = sorted(set(document_ids))
        if not wanted:
            return []
        found = session.exec(select(Document).where(col(Document.id).in_(wanted), Document.case_id == case.id)).all()
        missing = sorted(set(wanted) - {document.id for document in found})
        if missing:
            raise InvalidInput(f"no document {missing[0]} on case {case.id}", field="documents")
        return sorted(found, key=lambda document: document.id or 0)

    def approve(self, session: Session, *, disclosure_id: int, user: User) -> Disclosure:
        """A manager, not the one who recorded it, approves a disclosure made without consent."""
        row = session.get(Disclosure, disclosure_id)
        if row is None:
            raise NotVisible(f"no disclosure with id {disclosure_id}")
        if Basis(row.basis) not in EXCEPTIONS:
            raise Conflict(f"disclosure {row.id} was made with consent; it needs no approval")
        if row.approved_by is not None:
            raise Conflict(f"disclosure {row.id} is approved already")
        if row.recorded_by == user.id:
            raise Forbidden("a disclosure without consent needs a second person: another manager approves it")
        row.approved_by, row.approved_at = user.id, self._services.clock.now()
        session.add(row)
        session.flush()
        self._audit(session, user, "disclosure.approve", "disclosure", row.id, case=row.case_id)
        return row

    def disclosures(self, session: Session, *, user: User, after: int | None, limit: int) -> Sequence[Disclosure]:
        query = select(Disclosure).order_by(col(Disclosure.id)).limit(limit + 1)
        if after is not None:
            query = query.where(col(Disclosure.id) > after)
        rows = session.exec(query).all()
        self._audit(session, user, "disclosure.list", "disclosure", None, count=min(len(rows), limit))
        return rows


def record_consents(
    session: Session, *, person: Person, given: consent.Given, user: User, clock: Clock
) -> list[Consent]:
    """Record and audit (ids and scopes only) the consents given in one conversation."""
    rows = consent.record(session, person=person, given=given, user=user, clock=clock)
    for row in rows:
        audit.record(
            session,
            clock=clock,
            actor=audit.actor_of(user),
            action="consent.record",
            subject_type="consent",
            subject_id=row.id,
            details={"person": person.id, "scope": row.scope.value, "given_by": given.given_by.value},
        )
    return rows


def _withdrew(session: Session, *, scope: ConsentScope, after: int | None, limit: int) -> list[int]:
    """Ids of people whose consent of ``scope`` was withdrawn and not given again, by id."""
    withdrawn = select(Consent.person_id).where(Consent.scope == scope, col(Consent.withdrawn_on).is_not(None))
    standing = select(Consent.person_id).where(Consent.scope == scope, col(Consent.withdrawn_on).is_(None))
    query = select(Person.id).where(col(Person.id).in_(withdrawn), col(Person.id).not_in(standing))
    if after is not None:
        query = query.where(col(Person.id) > after)
    return [person_id for person_id in session.exec(query.order_by(col(Person.id)).limit(limit + 1)).all() if person_id]


def standing_refusal(session: Session, *, person_id: int) -> AccessRefusal | None:
    query = select(AccessRefusal).where(AccessRefusal.person_id == person_id, col(AccessRefusal.withdrawn_at).is_(None))
    return session.exec(query.order_by(sa.desc(col(AccessRefusal.id))).limit(1)).first()


@dataclasses.dataclass(frozen=True)
class DeclinedReferral:
    """What declining a referral destroyed: counts only, and the certificate's id."""

    case_id: int
    case_reference: str
    person_destroyed: bool  # they had no other case: everything about them went
    certificate_id: int
    cases: int
    documents: int
    objects: int
    object_versions: int
    bytes: int
    notes: int
    consents: int
    disclosures: int


@dataclasses.dataclass(frozen=True)
class _Decline:
    case_reference: str
    person_id: int
    subject: str  # the person's pseudonym: their certificate's subject when they go
    person_destroyed: bool
    authorised_by: str
    consent_ids: list[int]
    notes: int
    consents: int
    disclosures: int


def _count(session: Session, table: type[SQLModel], where: Any) -> int:
    return session.exec(select(sa.func.count()).select_from(table).where(where)).one()


def _recorded_with(session: Session, *, case: Case) -> list[int]:
    """The consents recorded in the request that opened the case (a referral naming someone
    known records the consent it carries for them): the audit rows of one transaction are
    consecutive, as each locks the chain's head, so they are the ``consent.record`` rows of
    the same actor for this person just before the case's ``case.open``."""
    opened = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "case.open", AuditEvent.subject_type == "case", AuditEvent.subject_id == str(case.id)
        )
    ).first()
    if opened is None:
        return []
    before = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.id) < opened.id)
        .order_by(col(AuditEvent.id).desc())
        .limit(len(ConsentScope) + 1)
    ).all()
    ids = []
    for event in before:
        if event.action != "consent.record" or event.actor != opened.actor or event.subject_id is None:
            break
        if json.loads(event.details).get("person") != case.person_id:
            break
        ids.append(int(event.subject_id))
    query = select(Consent.id).where(col(Consent.id).in_(ids), Consent.person_id == case.person_id)
    return sorted(consent_id for consent_id in session.exec(query).all() if consent_id is not None)


def _certificate(
    new_session: SessionFactory, *, subject: str | None = None, certificate_id: int | None = None
) -> DestructionCertificate | None:
    with new_session() as session:
        if certificate_id is not None:
            return session.get(DestructionCertificate, certificate_id)
        if subject is None:
            return None
        return session.exec(select(DestructionCertificate).where(DestructionCertificate.subject == subject)).first()


def _erase(engine: sa.Engine) -> None:
    """The old contact details unreadable in free pages and the WAL (SQLite), or vacuumed."""
    try:
        done = erasure.erase_deleted(engine, tables=("person",))
    except sa.exc.SQLAlchemyError as exc:  # committed already: a later erasure finishes it
        log.warning("contact details erasure did not finish: %s", type(exc).__name__)
        return
    if not done.complete:
        log.warning("contact details erasure: %s", done.detail)
