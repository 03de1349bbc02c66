"""Destruction: of everything about a person at the destruction age, or of one case's
archived documents when the schedule destroys at the end of the archive window.

A person's destruction is a script; each step commits before the next:

    claim the person and every move of their cases (no archive or restore runs alongside)
    -> start (re-check due, holds, approval; journal the counts; cases -> destroyed)
    -> count each object into the journal, then delete every object, every tier and
       version -> shred the data key (its pseudonym is remembered: no key is made again)
    -> delete every row holding personal data (the full-text index follows)
    -> certificate (and the journal row goes, in the same transaction)

The journal (``DestructionJob``) is written before anything is deleted, so a re-run
after a crash at any boundary finds it and finishes: objects and key are deleted
again (harmless), rows that remain are deleted, and the certificate is written
once (one per subject, and the journal goes with it).

Deleted rows are then made unreadable in the live database files
(``erase_destroyed_rows``, once per sweep: rewriting the full-text index costs
time in proportion to the whole index, not to the person).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.archive.audit_anchor import anchor_audit_chain
from casevault.core import audit, counters, erasure
from casevault.core.db import transaction
from casevault.core.models import (
    AuditEvent,
    Case,
    CaseClosure,
    CaseNote,
    CaseNoteVersion,
    CaseStatus,
    Consent,
    DestructionApproval,
    DestructionCertificate,
    DestructionJob,
    DestructionObject,
    Disclosure,
    Document,
    DocumentDisposal,
    DocumentMove,
    Hold,
    PageText,
    Person,
    SarBundle,
    SarClockStop,
    SarItem,
    SarRedaction,
    StoredObject,
    SubjectAccessRequest,
    Tier,
)
from casevault.retention import claims
from casevault.retention.certificates import case_copies_remain, copies_remain
from casevault.retention.decide import Action
from casevault.retention.facts import destruction_due_on
from casevault.retention.holds import standing_hold_ids
from casevault.retention.parts import Lifecycle
from casevault.retention.statistics import tally_destroyed_cases
from casevault.retention.steps import Boundary, StepHook, StepOutcome, StepOutcomeKind, no_hook

log = logging.getLogger(__name__)
METHOD = (
    "every object version and delete marker removed from every storage tier; the person's"
    " data key destroyed (crypto-shredding of any remaining copy); every database row holding"
    " personal data and its full-text index entries deleted"
)
# Tables whose deleted rows held personal data (or a data key): vacuumed on PostgreSQL.
ERASED_TABLES = (
    "case_note_version",
    "document_move",
    "document_disposal",
    "page_text",
    "stored_object",
    "document",
    "case_note",
    "case_closure",
    "hold",
    "consent",
    "policy_notice",
    "policy_notification",
    "destruction_approval",
    "sar_bundle",
    "sar_redaction",
    "sar_item",
    "sar_clock_stop",
    "subject_access_request",
    "case_file",
    "person",
    "data_key",
)
CASE_MOVES = ("archive", "restore", "expire")  # claim kinds of a case's lifecycle work (moves, expire_archive)
COUNT_BATCH = 200  # objects counted per journal transaction
ERASURE_FOLLOWS = ("retention.destroyed", "retention.expire_archive")
ERASED = "retention.erased"


def destroy_person(
    lifecycle: Lifecycle, *, person_id: int, action: Action | None, holder: str, on_step: StepHook = no_hook
) -> StepOutcome:
    """Destroy (or finish destroying) one person. ``action`` is None when finishing a
    journalled destruction, which needs no new decision: it was decided and started."""
    item = claims.item_key("destroy", "person", person_id)
    if not claims.claim(lifecycle.new_session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
        return StepOutcome(item, StepOutcomeKind.skipped, "another sweep is destroying this person")
    busy = _claim_cases(lifecycle, person_id=person_id, holder=holder)
    if busy is not None:
        claims.release_now(lifecycle.new_session, item=item, holder=holder)
        return StepOutcome(item, StepOutcomeKind.skipped, busy)
    with transaction(lifecycle.new_session) as session:
        job = session.get(DestructionJob, person_id)
        if job is None:
            refusal = _refusal(session, lifecycle, person_id=person_id, action=action)
            if refusal is not None:
                claims.release(session, item=item, holder=holder)
                _release_cases(session, person_id=person_id, holder=holder)
                audit.record(
                    session,
                    clock=lifecycle.clock,
                    actor="system",
                    action="retention.destroy",
                    outcome="refused",
                    subject_type="person",
                    subject_id=person_id,
                )
                return StepOutcome(item, StepOutcomeKind.skipped, refusal)
            assert action is not None
            job = _start(session, lifecycle, person_id=person_id, action=action)
        subject = job.subject
        keys = _object_keys(session, person_id=person_id)
    _delete_objects(lifecycle, person_id=person_id, keys=keys)
    on_step(Boundary.after_delete, item)
    lifecycle.vault.destroy_key(subject=subject)
    on_step(Boundary.after_key_shred, item)
    _delete_rows(lifecycle, person_id=person_id, holder=holder)
    on_step(Boundary.before_certificate, item)
    certificate = _certify(lifecycle, person_id=person_id, item=item, holder=holder)
    anchor_audit_chain(store=lifecycle.vault.store, new_session=lifecycle.new_session, clock=lifecycle.clock)
    return StepOutcome(item, StepOutcomeKind.done, f"destroyed; certificate {certificate}", objects=len(keys))


def _claim_cases(lifecycle: Lifecycle, *, person_id: int, holder: str) -> str | None:
    """Take every move claim of the person's cases, so no archive, restore or expiry
    of theirs runs alongside the destruction: a live one makes us wait for the next
    sweep; one whose lease ran out is taken over, and its holder stops at its next
    step (moves renew their claim before each step they commit)."""
    with lifecycle.new_session() as session:
        items = _case_items(session, person_id=person_id)
    taken: list[str] = []
    for case_item in items:
        claimed = claims.claim(
            lifecycle.new_session, item=case_item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease
        )
        if not claimed:
            with transaction(lifecycle.new_session) as session:
                for done in taken:
                    claims.release(session, item=done, holder=holder)
            return f"{case_item} is under way in another worker: the person is destroyed by a later sweep"
        taken.append(case_item)
    return None


def _case_items(session: Session, *, person_id: int) -> list[str]:
    case_ids = session.exec(select(Case.id).where(Case.person_id == person_id).order_by(col(Case.id))).all()
    return [
        claims.item_key(kind, "case", case_id) for case_id in case_ids for kind in CASE_MOVES if case_id is not None
    ]


def _release_cases(session: Session, *, person_id: int, holder: str) -> None:
    for case_item in _case_items(session, person_id=person_id):
        claims.release(session, item=case_item, holder=holder)


def _refusal(session: Session, lifecycle: Lifecycle, *, person_id: int, action: Action | None) -> str | None:
    """Why the person must not be destroyed now, checked at the moment of acting."""
    # Locked: a hold placed concurrently (which locks the person too) waits for this decision.
    person = session.get(Person, person_id, with_for_update=True)
    if person is None or action is None:
        return f"person {person_id} is gone and no destruction of theirs is under way"
    due_on = destruction_due_on(session, person, schedule=lifecycle.schedule, as_of=lifecycle.clock.today())
    if due_on is None:  # no date of birth: the undated rule decides, and it does not yet
        return f"person {person_id} has no date of birth and not every case's archive window has ended: not yet"
    if lifecycle.clock.today() < due_on:
        return f"person {person_id} reaches the destruction age on {due_on}: not before"
    case_ids = list(session.exec(select(Case.id).where(Case.person_id == person_id)).all())
    held = standing_hold_ids(session, person_id=person_id, case_ids=case_ids)  # type: ignore[arg-type]  # ids of rows read from the database are set
    if held:
        return f"held by hold {', '.join(map(str, held))}: not destroyed while it stands"
    if session.get(DestructionApproval, person_id) is None:
        if lifecycle.require_approval:
            return f"person {person_id}: destruction waits for a manager's approval (POST /api/v1/retention/approvals)"
        if _has_open_case(session, person_id=person_id):
            return (
                f"person {person_id} has an open case: destruction waits for a manager's approval"
                " (POST /api/v1/retention/approvals)"
            )
    return None


def _has_open_case(session: Session, *, person_id: int) -> bool:
    query = select(Case.id).where(Case.person_id == person_id, Case.status == CaseStatus.open).limit(1)
    return session.exec(query).first() is not None


def _start(session: Session, lifecycle: Lifecycle, *, person_id: int, action: Action) -> DestructionJob:
    person = session.get(Person, person_id)
    assert person is not None
    approval = session.get(DestructionApproval, person_id)
    authorised_by = (
        f"manager user:{approval.approved_by}, schedule {action.schedule_version} rule {action.rule_id}"
        if approval is not None
        else f"schedule {action.schedule_version} rule {action.rule_id}"
    )
    job = open_job(
        session,
        lifecycle,
        person_id=person_id,
        subject=person.pseudonym,
        schedule_version=action.schedule_version,
        rule=action.rule_id,
        authorised_by=authorised_by,
    )
    audit.record(
        session,
        clock=lifecycle.clock,
        actor="system",
        action="retention.destroy.started",
        subject_type="person",
        subject_id=person_id,
        details={"subject": person.pseudonym, "rule": action.rule_id, "schedule": action.schedule_version},
    )
    session.flush()
    return job


def open_job(
    session: Session,
    lifecycle: Lifecycle,
    *,
    person_id: int,
    subject: str,
    schedule_version: str,
    rule: str,
    authorised_by: str,
) -> DestructionJob:
    """The journal row a destruction finishes from, with the person's cases and documents
    counted, and every case marked destroyed: nothing can be added to them from now on."""
    cases = session.exec(select(Case).where(Case.person_id == person_id)).all()
    documents = session.exec(
        select(sa.func.count()).select_from(Document).where(col(Document.case_id).in_([case.id for case in cases]))
    ).one()
    requests = select(SubjectAccessRequest.id).where(SubjectAccessRequest.person_id == person_id)
    job = DestructionJob(
        person_id=person_id,
        subject=subject,
        schedule_version=schedule_version,
        rule=rule,
        authorised_by=authorised_by,
        started_at=lifecycle.clock.now(),
        cases=len(cases),
        documents=documents,
        subject_access_requests=session.exec(select(sa.func.count()).select_from(requests.subquery())).one(),
        sar_bundles=session.exec(
            select(sa.func.count()).select_from(SarBundle).where(col(SarBundle.request_id).in_(requests))
        ).one(),
    )
    session.add(job)
    for case in cases:
        case.status, case.updated_at = CaseStatus.destroyed, lifecycle.clock.now()
        session.add(case)
    return job


def _object_keys(session: Session, *, person_id: int) -> list[str]:
    documents = session.exec(
        select(StoredObject.object_key)
        .join(Document, col(Document.id) == col(StoredObject.document_id))
        .join(Case, col(Case.id) == col(Document.case_id))
        .where(Case.person_id == person_id)
        .order_by(col(StoredObject.object_key))
    ).all()
    return [*documents, *_bundle_keys(session, person_id=person_id)]


def _bundle_keys(session: Session, *, person_id: int) -> list[str]:
    """The objects of the person's subject access bundles (a PDF and a CSV each)."""
    rows = session.exec(
        select(SarBundle.pdf_key, SarBundle.csv_key)
        .join(SubjectAccessRequest, col(SubjectAccessRequest.id) == col(SarBundle.request_id))
        .where(SubjectAccessRequest.person_id == person_id)
    ).all()
    return sorted(key for row in rows for key in row if key)


def _delete_objects(lifecycle: Lifecycle, *, person_id: int, keys: list[str]) -> None:
    """Every version in every tier. Each object is counted (versions and bytes, both tiers)
    and the count committed to the journal before any deletion starts, so a crash in the
    middle of deleting loses no count, and a re-run counts nothing twice."""
    _count_objects(lifecycle, person_id=person_id, keys=keys)
    lifecycle.vault.delete_everywhere(keys)


def _count_objects(lifecycle: Lifecycle, *, person_id: int, keys: list[str]) -> None:
    with lifecycle.new_session() as session:
        counted = set(
            session.exec(select(DestructionObject.object_key).where(DestructionObject.person_id == person_id)).all()
        )
    uncounted = [key for key in dict.fromkeys(keys) if key not in counted]
    for start in range(0, len(uncounted), COUNT_BATCH):
        batch = uncounted[start : start + COUNT_BATCH]
        store = lifecycle.vault.store
        found = [v for tier in Tier for v in store.versions_of(tier=tier, keys=batch) if not v.is_delete_marker]
        with transaction(lifecycle.new_session) as session:
            job = session.get(DestructionJob, person_id)
            assert job is not None
            for key in batch:
                versions = [v for v in found if v.key == key]
                session.add(
                    DestructionObject(
                        person_id=person_id, object_key=key, versions=len(versions), bytes=sum(v.size for v in versions)
                    )
                )
            job.objects += len({v.key for v in found})
            job.object_versions += len(found)
            job.bytes += sum(v.size for v in found)
            session.add(job)


def _delete_rows(lifecycle: Lifecycle, *, person_id: int, holder: str) -> None:
    # An object stored after the first delete (an upload racing the start) goes too.
    with lifecycle.new_session() as session:
        late = _object_keys(session, person_id=person_id)
    if late:
        _delete_objects(lifecycle, person_id=person_id, keys=late)
    with transaction(lifecycle.new_session) as session:
        _release_cases(session, person_id=person_id, holder=holder)  # no case is left to move
        delete_personal_rows(session, person_id=person_id)
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="retention.destroy.rows",
            subject_type="person",
            subject_id=person_id,
        )


def delete_personal_rows(session: Session, *, person_id: int) -> None:
    """Every row about the person, children first (the full-text index follows page_text).
    The statistics keep an anonymous tally of each case; policy notices go by cascade."""
    tally_destroyed_cases(session, person_id=person_id)
    case_ids = select(Case.id).where(Case.person_id == person_id)
    document_ids = select(Document.id).where(col(Document.case_id).in_(case_ids))
    note_ids = select(CaseNote.id).where(col(CaseNote.case_id).in_(case_ids))
    moves = sa.or_(
        col(DocumentMove.document_id).in_(document_ids),
        col(DocumentMove.from_case_id).in_(case_ids),
        col(DocumentMove.to_case_id).in_(case_ids),
    )
    requests = select(SubjectAccessRequest.id).where(SubjectAccessRequest.person_id == person_id)
    # The corrections' rows go with what they describe (their foreign keys cascade too;
    # deleting them by name keeps the list of what a destruction removes in one place).
    for statement in (
        sa.delete(SarBundle).where(col(SarBundle.request_id).in_(requests)),
        sa.delete(SarRedaction).where(col(SarRedaction.request_id).in_(requests)),
        sa.delete(SarItem).where(col(SarItem.request_id).in_(requests)),
        sa.delete(SarClockStop).where(col(SarClockStop.request_id).in_(requests)),
        sa.delete(SubjectAccessRequest).where(col(SubjectAccessRequest.person_id) == person_id),
        sa.delete(CaseNoteVersion).where(col(CaseNoteVersion.note_id).in_(note_ids)),
        sa.delete(DocumentMove).where(moves),
        sa.delete(DocumentDisposal).where(col(DocumentDisposal.case_id).in_(case_ids)),
        sa.delete(PageText).where(col(PageText.document_id).in_(document_ids)),
        sa.delete(StoredObject).where(col(StoredObject.document_id).in_(document_ids)),
        sa.delete(Document).where(col(Document.case_id).in_(case_ids)),
        sa.delete(CaseNote).where(col(CaseNote.case_id).in_(case_ids)),
        sa.delete(CaseClosure).where(col(CaseClosure.case_id).in_(case_ids)),
        sa.delete(Hold).where(sa.or_(col(Hold.case_id).in_(case_ids), col(Hold.person_id) == person_id)),
        sa.delete(Consent).where(col(Consent.person_id) == person_id),
        sa.delete(DestructionApproval).where(col(DestructionApproval.person_id) == person_id),
        sa.delete(Case).where(col(Case.person_id) == person_id),
        sa.delete(Person).where(col(Person.id) == person_id),
    ):
        session.execute(statement)


def _store_certificate(
    session: Session,
    lifecycle: Lifecycle,
    certificate: DestructionCertificate,
    *,
    case_id: int | None = None,
    consent_ids: tuple[int, ...] = (),
) -> None:
    """Add the certificate and, before it commits, write its entry to the ledger outside the
    database: every certificate has one, so a restored backup destroys again what it names
    (a case's entry also names the case and the consents recorded with it)."""
    session.add(certificate)
    session.flush()
    if lifecycle.ledger is not None:
        lifecycle.ledger.append(
            subject=certificate.subject,
            certificate_id=certificate.id,  # type: ignore[arg-type]  # flushed: the id is set
            destroyed_at=certificate.destroyed_at,
            schedule_version=certificate.schedule_version,
            rule=certificate.rule,
            case_id=case_id,
            consent_ids=consent_ids,
        )


def _certify(lifecycle: Lifecycle, *, person_id: int, item: str, holder: str) -> int:
    with transaction(lifecycle.new_session) as session:
        job = session.get(DestructionJob, person_id)
        existing = None
        if job is not None:
            existing = session.exec(
                select(DestructionCertificate).where(DestructionCertificate.subject == job.subject)
            ).first()
        if job is None or existing is not None:  # certified by a run that died before releasing its claim
            claims.release(session, item=item, holder=holder)
            return existing.id if existing is not None else 0  # type: ignore[return-value]  # ids of rows read from the database are set
        certificate = DestructionCertificate(
            subject=job.subject,
            destroyed_at=lifecycle.clock.now(),
            schedule_version=job.schedule_version,
            rule=job.rule,
            cases=job.cases,
            documents=job.documents,
            objects=job.objects,
            object_versions=job.object_versions,
            bytes=job.bytes,
            subject_access_requests=job.subject_access_requests,
            sar_bundles=job.sar_bundles,
            method=_method(lifecycle, session),
            authorised_by=job.authorised_by,
        )
        _store_certificate(session, lifecycle, certificate)
        session.delete(job)
        session.execute(sa.delete(DestructionObject).where(col(DestructionObject.person_id) == person_id))
        counters.add(session, counters.DESTRUCTIONS.name)
        counters.add(session, counters.DESTROYED_OBJECTS.name, job.objects)
        counters.add(session, counters.DESTROYED_BYTES.name, job.bytes)
        claims.release(session, item=item, holder=holder)
        session.flush()
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="retention.destroyed",
            subject_type="person",
            subject_id=person_id,
            details={"subject": job.subject, "certificate": certificate.id},
        )
        return certificate.id  # type: ignore[return-value]  # ids of rows read from the database are set


def _method(lifecycle: Lifecycle, session: Session) -> str:
    database = erasure.method_text(session.get_bind())  # type: ignore[arg-type]  # the session is bound to one engine
    copies = copies_remain(lifecycle.clock.now(), backups_kept_days=lifecycle.backups_kept_days)
    return f"cryptographic erase: {METHOD}; {database}; {copies}"


def erase_destroyed_rows(lifecycle: Lifecycle) -> erasure.Erasure | None:
    """Make the rows of destructions and archive expiries unreadable in the live database
    files. Due whenever one was audited after the last complete erasure, so one that a
    dying sweep left is erased by the next sweep."""
    with lifecycle.new_session() as session:
        if not _erasure_due(session):
            return None
        engine = session.get_bind()
    done = erasure.erase_deleted(engine, tables=ERASED_TABLES)  # type: ignore[arg-type]  # the session is bound to one engine
    if done.complete:
        with transaction(lifecycle.new_session) as session:
            audit.record(
                session, clock=lifecycle.clock, actor="system", action=ERASED, details={"database": done.dialect}
            )
    return done


def _erasure_due(session: Session) -> bool:
    def last(*actions: str) -> int:
        found = session.exec(select(sa.func.max(AuditEvent.id)).where(col(AuditEvent.action).in_(actions))).one()
        return found or 0

    return last(*ERASURE_FOLLOWS) > last(ERASED)


def pending_destructions(session: Session) -> list[int]:
    """People whose destruction started and has no certificate yet (a worker died)."""
    return list(session.exec(select(DestructionJob.person_id).order_by(col(DestructionJob.person_id))).all())


# --- one case's archived documents, at the end of its window (option) ------------------


def expire_archive(lifecycle: Lifecycle, *, action: Action, holder: str, on_step: StepHook = no_hook) -> StepOutcome:
    assert action.case_id is not None
    case_id = action.case_id
    item = claims.item_key("expire", "case", case_id)
    if not claims.claim(lifecycle.new_session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
        return StepOutcome(item, StepOutcomeKind.skipped, "another sweep is working on this case")
    with transaction(lifecycle.new_session) as session:
        case = session.get(Case, case_id)
        refusal = None
        if case is None or case.status is not CaseStatus.archived:
            refusal = f"case {case_id} is {case.status.value if case else 'gone'} now, not archived"
        elif lifecycle.clock.today() < action.due_on:
            refusal = f"case {case_id}'s archive window ends on {action.due_on}: not before"
        else:
            held = standing_hold_ids(session, person_id=case.person_id, case_ids=[case_id])
            refusal = f"held by hold {', '.join(map(str, held))}" if held else None
        if refusal is not None:
            claims.release(session, item=item, holder=holder)
            return StepOutcome(item, StepOutcomeKind.skipped, refusal)
        document_ids = select(Document.id).where(Document.case_id == case_id)
        keys = list(
            session.exec(select(StoredObject.object_key).where(col(StoredObject.document_id).in_(document_ids))).all()
        )
    removed = lifecycle.vault.delete_everywhere(keys)
    on_step(Boundary.after_delete, item)
    with transaction(lifecycle.new_session) as session:
        document_ids = select(Document.id).where(Document.case_id == case_id)
        documents = session.exec(select(sa.func.count()).select_from(Document).where(Document.case_id == case_id)).one()
        session.execute(sa.delete(PageText).where(col(PageText.document_id).in_(document_ids)))
        session.execute(sa.delete(StoredObject).where(col(StoredObject.document_id).in_(document_ids)))
        session.execute(sa.delete(Document).where(col(Document.case_id) == case_id))
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.updated_at = CaseStatus.destroyed, lifecycle.clock.now()
        session.add(case)
        claims.release(session, item=item, holder=holder)
        counters.add(session, counters.DESTROYED_OBJECTS.name, removed.objects)
        counters.add(session, counters.DESTROYED_BYTES.name, removed.bytes)
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="retention.expire_archive",
            subject_type="case",
            subject_id=case_id,
            details={
                "rule": action.rule_id,
                "schedule": action.schedule_version,
                "documents": documents,
                "objects": len(keys),
                "versions": removed.versions,
            },
        )
    return StepOutcome(item, StepOutcomeKind.done, action.reason, objects=len(keys))


# --- one case of someone who stays: a declined referral of a person with other cases ------

REFERRAL_DECLINED = "referral-declined"  # the rule a declined referral's destruction is certified under
CASE_METHOD = (
    "every object version and delete marker of the case's documents removed from every storage tier;"
    " every database row of the case (notes and their earlier texts, closures, disclosures, holds, documents"
    " and their full-text index entries) and the consents recorded with it deleted; the person's data key"
    " is kept for their other cases"
)


def case_subject() -> str:
    """A case certificate's subject: random, so it names no one and links to no person."""
    return "c_" + secrets.token_hex(12)


def destroy_case(
    lifecycle: Lifecycle, *, case_id: int, consent_ids: Sequence[int], authorised_by: str, holder: str
) -> int | None:
    """Destroy one case whose person stays, and certify it under a subject of its own
    (``cases`` 1). The caller marked it ``destroyed`` when it decided (holds checked then);
    that mark is the journal: a run that died is finished by running this again (objects it
    deleted before dying are not counted again: there is no object journal, as a referral
    awaiting permission takes no uploads). The certificate id, or None when another run holds
    the case or it is gone already."""
    item = claims.item_key("destroy", "case", case_id)
    if not claims.claim(lifecycle.new_session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
        return None
    with lifecycle.new_session() as session:
        case = session.get(Case, case_id)
        keys = _case_object_keys(session, case_id=case_id)
    if case is None or case.status is not CaseStatus.destroyed:
        claims.release_now(lifecycle.new_session, item=item, holder=holder)
        return None
    store = lifecycle.vault.store
    found = [v for tier in Tier for v in store.versions_of(tier=tier, keys=keys) if not v.is_delete_marker]
    lifecycle.vault.delete_everywhere(keys)
    with transaction(lifecycle.new_session) as session:
        documents = session.exec(select(sa.func.count()).select_from(Document).where(Document.case_id == case_id)).one()
        delete_case_rows(session, case_id=case_id, consent_ids=consent_ids)
        certificate = DestructionCertificate(
            subject=case_subject(),
            destroyed_at=lifecycle.clock.now(),
            schedule_version=lifecycle.schedule.version,
            rule=REFERRAL_DECLINED,
            cases=1,
            documents=documents,
            objects=len({v.key for v in found}),
            object_versions=len(found),
            bytes=sum(v.size for v in found),
            method=_case_method(lifecycle, session),
            authorised_by=authorised_by,
        )
        _store_certificate(session, lifecycle, certificate, case_id=case_id, consent_ids=tuple(consent_ids))
        counters.add(session, counters.DESTROYED_OBJECTS.name, certificate.objects)  # no person: not a destruction
        counters.add(session, counters.DESTROYED_BYTES.name, certificate.bytes)
        claims.release(session, item=item, holder=holder)
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="retention.destroyed",  # the next erasure makes the rows unreadable
            subject_type="case",
            subject_id=case_id,
            details={"subject": certificate.subject, "certificate": certificate.id},
        )
    anchor_audit_chain(store=lifecycle.vault.store, new_session=lifecycle.new_session, clock=lifecycle.clock)
    return certificate.id


def _case_method(lifecycle: Lifecycle, session: Session) -> str:
    database = erasure.method_text(session.get_bind())  # type: ignore[arg-type]  # the session is bound to one engine
    copies = case_copies_remain(lifecycle.clock.now(), backups_kept_days=lifecycle.backups_kept_days)
    return f"deletion: {CASE_METHOD}; {database}; {copies}"


def _case_object_keys(session: Session, *, case_id: int) -> list[str]:
    documents = select(Document.id).where(Document.case_id == case_id)
    query = select(StoredObject.object_key).where(col(StoredObject.document_id).in_(documents))
    return list(session.exec(query.order_by(col(StoredObject.object_key))).all())


def delete_case_rows(session: Session, *, case_id: int, consent_ids: Sequence[int]) -> None:
    """Every row of one case, children first, and the consents recorded with it; the rest
    of the person stays. The same tables as ``delete_personal_rows``, for one case."""
    document_ids = select(Document.id).where(Document.case_id == case_id)
    note_ids = select(CaseNote.id).where(CaseNote.case_id == case_id)
    moves = sa.or_(
        col(DocumentMove.document_id).in_(document_ids),
        col(DocumentMove.from_case_id) == case_id,
        col(DocumentMove.to_case_id) == case_id,
    )
    for statement in (
        sa.delete(CaseNoteVersion).where(col(CaseNoteVersion.note_id).in_(note_ids)),
        sa.delete(DocumentMove).where(moves),
        sa.delete(DocumentDisposal).where(col(DocumentDisposal.case_id) == case_id),
        sa.delete(PageText).where(col(PageText.document_id).in_(document_ids)),
        sa.delete(StoredObject).where(col(StoredObject.document_id).in_(document_ids)),
        sa.delete(Document).where(col(Document.case_id) == case_id),
        sa.delete(CaseNote).where(col(CaseNote.case_id) == case_id),
        sa.delete(CaseClosure).where(col(CaseClosure.case_id) == case_id),
        sa.delete(Disclosure).where(col(Disclosure.case_id) == case_id),
        sa.delete(Hold).where(col(Hold.case_id) == case_id),
        sa.delete(Consent).where(col(Consent.id).in_(list(consent_ids))),
        sa.delete(Case).where(col(Case.id) == case_id),
    ):
        session.execute(statement)
