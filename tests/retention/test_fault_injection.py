"""Kill the lifecycle work at every step boundary, run the sweep again: it converges.

The hook is the sweep's own seam (``on_step``): it raises at the named boundary,
leaving exactly what a worker dying there leaves. The next sweep runs after the
dead worker's claim lease has run out, as the next day's sweep would.
After it: no object missing before its time, nothing left after destruction, one
certificate, no case left ``restoring``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from casevault.app.services import Services
from casevault.core import audit
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import (
    Case,
    CaseStatus,
    DestructionCertificate,
    DestructionJob,
    LeaseRecord,
    Person,
    StoredObject,
    Tier,
)
from casevault.retention.parts import DEFAULT_LEASE
from casevault.retention.referral import restore_on_referral
from casevault.retention.steps import Boundary, StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.retention.faults import WorkerKilled, kill_at
from tests.retention.seeding import Seeded, lifecycle_of, seed_person, versions_in

MOVE_BOUNDARIES = [Boundary.after_copy, Boundary.after_verify, Boundary.after_commit, Boundary.after_delete]
DESTROY_BOUNDARIES = [Boundary.after_delete, Boundary.after_key_shred, Boundary.before_certificate]


def crash_then_rerun(life: Services, boundary: Boundary, *, occurrence: int = 1) -> None:
    with pytest.raises(WorkerKilled):
        run_sweep(lifecycle_of(life), dry_run=False, on_step=kill_at(boundary, occurrence=occurrence))
    clock: FixedClock = life.clock
    clock.advance(DEFAULT_LEASE + dt.timedelta(minutes=1))
    run_sweep(lifecycle_of(life), dry_run=False)


def assert_readable_only_in(life: Services, seeded: Seeded, tier: Tier, tmp_path: Path) -> None:
    other = Tier.archive if tier is Tier.active else Tier.active
    assert versions_in(life, other, seeded.object_keys) == []
    with life.new_session() as session:
        rows = session.exec(select(StoredObject)).all()
        assert {row.tier for row in rows} == {tier}
    for row in rows:
        life.vault.verify(subject=seeded.pseudonym, object_key=row.object_key, tier=tier, sha256=row.sha256)
    assert not _claims_left(life)


def _claims_left(life: Services) -> list[str]:
    with life.new_session() as session:
        return [lease.name for lease in session.exec(select(LeaseRecord)).all()]


@pytest.mark.parametrize("boundary", MOVE_BOUNDARIES, ids=lambda b: b.value)
@pytest.mark.parametrize("occurrence", [1, 3], ids=["first-object", "third-object"])
def test_archive_converges_after_a_crash(life: Services, tmp_path: Path, boundary: Boundary, occurrence: int) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))

    crash_then_rerun(life, boundary, occurrence=occurrence)

    assert_readable_only_in(life, seeded, Tier.archive, tmp_path)
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.archived
        assert audit.verify_chain(session, mac_key=life.audit_mac_key).ok


@pytest.mark.parametrize("boundary", MOVE_BOUNDARIES, ids=lambda b: b.value)
def test_restore_converges_after_a_crash_and_no_case_stays_restoring(
    life: Services, tmp_path: Path, boundary: Boundary
) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    run_sweep(lifecycle_of(life), dry_run=False)
    with transaction(life.new_session) as session:
        person = session.get(Person, seeded.person_id)
        restore_on_referral(
            session,
            person=person,
            referral_date=life.clock.today(),
            schedule=life.schedule,
            clock=life.clock,
            actor="user:1",
        )

    crash_then_rerun(life, boundary)

    assert_readable_only_in(life, seeded, Tier.active, tmp_path)
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed


@pytest.mark.parametrize("boundary", DESTROY_BOUNDARIES, ids=lambda b: b.value)
def test_destruction_converges_after_a_crash_with_one_certificate(
    life: Services, tmp_path: Path, boundary: Boundary
) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=2, closed_on=dt.date(2026, 10, 1))
    neighbour = seed_person(life, tmp_path, born=dt.date(2009, 1, 1), documents=1)

    crash_then_rerun(life, boundary)

    for tier in Tier:
        assert versions_in(life, tier, seeded.object_keys) == []
    assert not life.vault.has_key(subject=seeded.pseudonym)
    with life.new_session() as session:
        assert session.get(Person, seeded.person_id) is None
        assert session.exec(select(DestructionJob)).all() == []
        [certificate] = session.exec(select(DestructionCertificate)).all()
        assert (certificate.subject, certificate.cases, certificate.documents, certificate.objects) == (
            seeded.pseudonym,
            1,
            2,
            4,
        )
        assert audit.verify_chain(session, mac_key=life.audit_mac_key).ok
    assert sorted(versions_in(life, Tier.active, neighbour.object_keys)) == sorted(neighbour.object_keys)
    assert not _claims_left(life)
    again = run_sweep(lifecycle_of(life), dry_run=False)  # and a third sweep finds nothing more to do
    assert again.count(StepOutcomeKind.done) == 0


def test_a_hold_cannot_be_placed_once_destruction_has_started(life: Services, tmp_path: Path) -> None:
    from casevault.core.errors import Conflict
    from casevault.core.models import HoldKind, Role
    from casevault.core.users import create_user
    from casevault.retention.holds import place_hold

    seeded = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1, closed_on=dt.date(2026, 10, 1))
    with pytest.raises(WorkerKilled):
        run_sweep(lifecycle_of(life), dry_run=False, on_step=kill_at(Boundary.after_delete))
    with transaction(life.new_session) as session:
        manager, _ = create_user(session, username="maya", role=Role.manager, clock=life.clock)
    with pytest.raises(Conflict, match="being destroyed"), transaction(life.new_session) as session:
        place_hold(
            session,
            person_id=seeded.person_id,
            case_id=None,
            kind=HoldKind.legal,
            reason="Too late.",
            user=manager,
            clock=life.clock,
        )


def _corrupt(life: Services, *, tier: Tier, key: str) -> None:
    """Bit rot in the store: one byte of the object's ciphertext changes."""
    store = life.vault.store
    with store.reader(tier=tier, key=key) as stored:
        data = bytearray(stored.read())
    data[len(data) // 2] ^= 0x01
    with store.writer(tier=tier, key=key, tags=store.get_tags(tier=tier, key=key)) as sink:
        sink.write(bytes(data))


def test_a_restore_whose_archive_copy_is_corrupt_leaves_the_case_archived_and_says_why(
    life: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient
    from sqlmodel import col

    from casevault.api.app import create_app
    from casevault.core.models import AuditEvent, Role
    from tests.tokens import token

    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    run_sweep(lifecycle_of(life), dry_run=False)
    with life.new_session() as session:
        rows = session.exec(select(StoredObject).order_by(col(StoredObject.id))).all()
    corrupt = rows[2]  # the second document's: the first is back in the active tier by then
    _corrupt(life, tier=Tier.archive, key=corrupt.object_key)
    with transaction(life.new_session) as session:
        person = session.get(Person, seeded.person_id)
        assert person is not None
        restore_on_referral(
            session,
            person=person,
            referral_date=life.clock.today(),
            schedule=life.schedule,
            clock=life.clock,
            actor="user:1",
        )

    report = run_sweep(lifecycle_of(life), dry_run=False)

    why = (
        f"restore failed: the archive copy of document {corrupt.document_id} failed its integrity check;"
        " run `casevault storage verify`"
    )
    outcomes = [(o.item, o.outcome, o.why) for o in report.outcomes]
    assert outcomes == [(f"restore:case:{seeded.case_id}", StepOutcomeKind.failed, why)]
    assert versions_in(life, Tier.active, seeded.object_keys) == []  # no partial copy, nothing half restored
    assert set(versions_in(life, Tier.archive, seeded.object_keys)) == set(seeded.object_keys)
    assert not _claims_left(life)
    with life.new_session() as session:
        case = session.get(Case, seeded.case_id)
        assert (case.status, case.restore_problem) == (CaseStatus.archived, why)
        assert {row.tier for row in session.exec(select(StoredObject)).all()} == {Tier.archive}
        [failed] = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.restore")).all()
        assert (failed.outcome, failed.subject_id) == ("failed", str(seeded.case_id))
        assert audit.verify_chain(session, mac_key=life.audit_mac_key).ok
    [alert] = [r for r in caplog.records if r.levelname == "ERROR" and "integrity" in r.getMessage()]
    assert corrupt.object_key in alert.getMessage() and f"case {seeded.case_id}" in alert.getMessage()
    manager = token(life, "maya", Role.manager)
    with TestClient(create_app(life)) as client:
        assert client.get(f"/api/v1/cases/{seeded.case_id}", headers=manager).json()["restore_problem"] == why
