"""Replaying the destruction ledger into a restored database.

A database restored from before a destruction holds the person again: rows, and the
wrapped data key that would make any copy of their objects readable. Every ledger
entry whose person this database does not hold a certificate for is destroyed again
(objects, rows, key), through the same script as the sweep's destruction, and gets a
certificate of its own marked as a replay of the original.

The audit log is rewound by a restore too: anchors in the store that pin rows after
the restored head belong to a history this database no longer has. They are named in
the audit row ``backup.restored`` and removed, so the chain from here on is held to
anchors of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from casevault.archive.audit_anchor import read_anchors
from casevault.archive.ledger import LedgerEntry
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.models import (
    AuditHead,
    Case,
    CaseStatus,
    DataKey,
    DestructionCertificate,
    DestructionJob,
    Person,
    Tier,
)
from casevault.retention.destroy import destroy_case, destroy_person, erase_destroyed_rows, open_job
from casevault.retention.parts import Lifecycle
from casevault.retention.statistics import tally_destroyed_cases

REPLAY_HOLDER = "backup-replay"


@dataclass
class ReplayReport:
    entries: int = 0  # ledger entries read
    replayed: list[str] = field(default_factory=list)  # pseudonyms (or a case's certificate subject) destroyed again
    keys_shredded: list[str] = field(default_factory=list)  # a key without its person, shredded
    not_in_database: list[str] = field(default_factory=list)  # destroyed people this database never held
    already_certified: int = 0
    unfinished: list[str] = field(default_factory=list)  # replays that could not finish now


def retire_anchors_after_head(lifecycle: Lifecycle) -> list[str]:
    """Remove the anchors of rows past the restored head, recording how many and how far first."""
    with lifecycle.new_session() as session:
        head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
        mac_key = audit.session_mac_key(session)
    read = read_anchors(store=lifecycle.vault.store, mac_key=mac_key)
    retired = [anchor for anchor in read.anchors if anchor.row_id > head.last_id and anchor.name]
    later = sorted(anchor.name for anchor in retired if anchor.name)
    if not later:
        return []
    with transaction(lifecycle.new_session) as session:
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="backup.anchors_retired",
            details={
                "restored_to_row": head.last_id,
                "anchors": len(later),
                "last_anchored_row": max(anchor.row_id for anchor in retired),
            },
        )
    lifecycle.vault.store.delete_all_versions(tier=Tier.active, keys=later)
    return later


def replay_destructions(lifecycle: Lifecycle, *, entries: list[LedgerEntry]) -> ReplayReport:
    """Destroy again everyone the ledger says was destroyed and this database still holds."""
    report = ReplayReport(entries=len(entries))
    originals: dict[str, LedgerEntry] = {}
    for entry in entries:  # oldest first: the first entry of a subject is the original destruction
        originals.setdefault(entry.subject, entry)
    for subject, entry in originals.items():
        with lifecycle.new_session() as session:
            if session.exec(select(DestructionCertificate.id).where(DestructionCertificate.subject == subject)).first():
                report.already_certified += 1
                continue
        if entry.case_id is not None:
            _replay_case(lifecycle, entry=entry, report=report)
            continue
        with lifecycle.new_session() as session:
            person = session.exec(select(Person).where(Person.pseudonym == subject)).first()
            has_key = session.get(DataKey, subject) is not None
        if person is not None:
            assert person.id is not None
            _journal_replay(lifecycle, person_id=person.id, entry=entry)
            outcome = destroy_person(lifecycle, person_id=person.id, action=None, holder=REPLAY_HOLDER)
            target = report.replayed if outcome.done else report.unfinished
            target.append(subject)
        elif has_key:
            lifecycle.vault.destroy_key(subject=subject)
            report.keys_shredded.append(subject)
        else:
            report.not_in_database.append(subject)
    if report.replayed or report.keys_shredded:
        erase_destroyed_rows(lifecycle)
    return report


def _replay_case(lifecycle: Lifecycle, *, entry: LedgerEntry, report: ReplayReport) -> None:
    """One case of a person who stays (a declined referral), destroyed again if it is back."""
    assert entry.case_id is not None
    with transaction(lifecycle.new_session) as session:
        case = session.get(Case, entry.case_id)
        if case is None:
            report.not_in_database.append(entry.subject)
            return
        if case.status is not CaseStatus.destroyed:  # else a run of it died: destroy_case finishes it
            tally_destroyed_cases(session, person_id=case.person_id, case_id=case.id)
            case.status, case.referral_declined, case.updated_at = CaseStatus.destroyed, True, lifecycle.clock.now()
            session.add(case)
    certificate = destroy_case(
        lifecycle,
        case_id=entry.case_id,
        consent_ids=entry.consent_ids,
        authorised_by=_replay_authority(entry),
        holder=REPLAY_HOLDER,
    )
    (report.replayed if certificate is not None else report.unfinished).append(entry.subject)


def _replay_authority(entry: LedgerEntry) -> str:
    return (
        f"replay after a restore of certificate {entry.certificate_id}"
        f" of {entry.destroyed_at:%Y-%m-%d %H:%M} UTC (destruction ledger {entry.name})"
    )[:200]


def _journal_replay(lifecycle: Lifecycle, *, person_id: int, entry: LedgerEntry) -> None:
    """The journal row the destruction script finishes from, saying it replays the original."""
    with transaction(lifecycle.new_session) as session:
        if session.get(DestructionJob, person_id) is not None:
            return  # a destruction of theirs was under way at the backup: it is finished as it was
        open_job(
            session,
            lifecycle,
            person_id=person_id,
            subject=entry.subject,
            schedule_version=entry.schedule_version[:32],
            rule=entry.rule[:64],
            authorised_by=_replay_authority(entry),
        )
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="backup.replay.started",
            subject_type="person",
            subject_id=person_id,
            details={"subject": entry.subject, "original_certificate": entry.certificate_id},
        )
