"""The sweep on both storage backends: archive, hold, destroy, restore, approvals."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from casevault.app.services import Services
from casevault.core import audit
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.errors import InvalidInput
from casevault.core.models import (
    Case,
    CaseStatus,
    DestructionCertificate,
    Document,
    HoldKind,
    PageText,
    Person,
    Role,
    StoredObject,
    Tier,
)
from casevault.core.users import create_user
from casevault.retention import claims
from casevault.retention.approvals import approve_destruction
from casevault.retention.decide import ActionKind
from casevault.retention.holds import place_hold, release_hold
from casevault.retention.moves import archive_case
from casevault.retention.referral import restore_on_referral
from casevault.retention.steps import Boundary, StepOutcomeKind
from casevault.retention.sweep import due_list, run_sweep
from tests.retention.seeding import add_document, lifecycle_of, seed_person, versions_in

TODAY = dt.date(2026, 11, 24)


def _manager(container: Services):
    with transaction(container.new_session) as session:
        user, _ = create_user(session, username="maya", role=Role.manager, clock=container.clock)
    return user


def _plaintext(container: Services, subject: str, key: str, tier: Tier, tmp_path: Path) -> bytes:
    dest = tmp_path / "out.bin"
    container.vault.read_to(subject=subject, object_key=key, tier=tier, dest=dest)
    return dest.read_bytes()


def test_dry_run_lists_what_is_due_and_changes_nothing(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    report = run_sweep(lifecycle_of(life))  # dry run unless told otherwise
    assert report.dry_run
    assert [(item.action.kind, item.action.case_id) for item in report.due] == [(ActionKind.archive, seeded.case_id)]
    assert "archive-on-closure" in report.due[0].describe()
    assert versions_in(life, Tier.archive, seeded.object_keys) == []
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed


def test_a_real_sweep_refuses_a_date_after_today(life: Services) -> None:
    with pytest.raises(InvalidInput, match="destroy records"):
        run_sweep(lifecycle_of(life), as_of=TODAY + dt.timedelta(days=1), dry_run=False)


def test_archive_moves_every_object_to_the_archive_tier_verified_and_retagged(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(
        life,
        tmp_path,
        born=dt.date(2010, 5, 1),
        closed_on=dt.date(2026, 10, 1),
        last_correspondence=dt.date(2026, 9, 30),
    )
    before = {key: _plaintext(life, seeded.pseudonym, key, Tier.active, tmp_path) for key in seeded.object_keys}

    report = run_sweep(lifecycle_of(life), dry_run=False)

    assert report.count(StepOutcomeKind.done) == 1
    assert versions_in(life, Tier.active, seeded.object_keys) == []
    assert sorted(versions_in(life, Tier.archive, seeded.object_keys)) == sorted(seeded.object_keys)
    for key, plaintext in before.items():
        assert _plaintext(life, seeded.pseudonym, key, Tier.archive, tmp_path) == plaintext
        tags = life.vault.get_tags(object_key=key, tier=Tier.archive)
        assert tags.tier is Tier.archive
    with life.new_session() as session:
        case = session.get(Case, seeded.case_id)
        assert (case.status, case.archive_until) == (CaseStatus.archived, dt.date(2027, 9, 30))
        assert {o.tier for o in session.exec(select(StoredObject)).all()} == {Tier.archive}
        assert {d.tier for d in session.exec(select(Document)).all()} == {Tier.archive}
        assert audit.verify_chain(session, mac_key=life.audit_mac_key).ok
    assert run_sweep(lifecycle_of(life), dry_run=False).due == ()  # nothing left to do


def test_a_hold_placed_after_planning_stops_the_archive(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    lifecycle = lifecycle_of(life)
    [planned], _ = due_list(lifecycle, as_of=TODAY)
    manager = _manager(life)
    with transaction(life.new_session) as session:
        place_hold(
            session,
            person_id=None,
            case_id=seeded.case_id,
            kind=HoldKind.complaint,
            reason="Complaint open.",
            user=manager,
            clock=life.clock,
        )

    outcome = archive_case(lifecycle, action=planned.action, holder="late-sweep")

    assert outcome.outcome is StepOutcomeKind.skipped and "held by hold" in outcome.why
    assert versions_in(life, Tier.archive, seeded.object_keys) == []
    [held], _ = due_list(lifecycle, as_of=TODAY)
    assert held.action.held and held.blocked


def test_two_sweeps_never_hold_the_same_item(life: Services) -> None:
    clock: FixedClock = life.clock
    lease = dt.timedelta(hours=1)
    assert claims.claim(life.new_session, item="archive:case:1", holder="a", clock=clock, lease=lease)
    assert not claims.claim(life.new_session, item="archive:case:1", holder="b", clock=clock, lease=lease)
    clock.advance(lease + dt.timedelta(seconds=1))  # a's worker died: its lease runs out
    assert claims.claim(life.new_session, item="archive:case:1", holder="b", clock=clock, lease=lease)
    assert not claims.claim(life.new_session, item="archive:case:1", holder="a", clock=clock, lease=lease)


def test_destruction_at_25_removes_everything_and_certifies(life: Services, tmp_path: Path) -> None:
    born = dt.date(2001, 11, 24)  # 25 today
    seeded = seed_person(life, tmp_path, born=born, documents=3, closed_on=dt.date(2026, 10, 1))
    kept = seed_person(life, tmp_path, born=dt.date(2001, 11, 25))  # 25 tomorrow: untouched

    report = run_sweep(lifecycle_of(life), dry_run=False)

    assert [o.outcome for o in report.outcomes] == [StepOutcomeKind.done]
    for tier in Tier:
        assert versions_in(life, tier, seeded.object_keys) == []
    assert sorted(versions_in(life, Tier.active, kept.object_keys)) == sorted(kept.object_keys)
    assert not life.vault.has_key(subject=seeded.pseudonym)
    with life.new_session() as session:
        assert session.get(Person, seeded.person_id) is None
        assert session.get(Case, seeded.case_id) is None
        assert session.exec(select(Document).where(Document.case_id == seeded.case_id)).all() == []
        pages = session.exec(select(PageText)).all()
        assert {p.document_id for p in pages} == set(kept.document_ids)
        if session.get_bind().dialect.name == "sqlite":
            hits = session.execute(
                sa.text("SELECT rowid FROM page_text_fts WHERE page_text_fts MATCH 'tribunal'")
            ).all()
            assert {row[0] for row in hits} == {p.id for p in pages if "tribunal" in p.text}
        [certificate] = session.exec(select(DestructionCertificate)).all()
        assert certificate.subject == seeded.pseudonym
        assert (certificate.cases, certificate.documents, certificate.objects) == (1, 3, 6)
        assert certificate.object_versions >= 6 and certificate.bytes > 0
        assert certificate.authorised_by == "schedule 2026.1 rule destroy-at-age"
        assert audit.verify_chain(session, mac_key=life.audit_mac_key).ok
        details = " ".join(row[0] for row in session.execute(sa.text("SELECT details FROM audit_event")).all())
        assert "Robin" not in details and born.isoformat() not in details


def test_a_hold_stops_destruction_until_released(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), closed_on=dt.date(2026, 10, 1))
    manager = _manager(life)
    with transaction(life.new_session) as session:
        hold = place_hold(
            session,
            person_id=seeded.person_id,
            case_id=None,
            kind=HoldKind.legal,
            reason="Tribunal pending.",
            user=manager,
            clock=life.clock,
        )

    held = run_sweep(lifecycle_of(life), dry_run=False)
    assert held.due[0].action.held and held.count(StepOutcomeKind.done) == 0
    assert life.vault.has_key(subject=seeded.pseudonym)

    with transaction(life.new_session) as session:
        release_hold(session, hold_id=hold.id, user=manager, clock=life.clock)
    assert run_sweep(lifecycle_of(life), dry_run=False).count(StepOutcomeKind.done) == 1
    assert not life.vault.has_key(subject=seeded.pseudonym)


def test_born_on_29_february_is_destroyed_on_1_march_in_a_common_year(life: Services, tmp_path: Path) -> None:
    clock: FixedClock = life.clock
    seeded = seed_person(life, tmp_path, born=dt.date(2004, 2, 29), documents=1, closed_on=dt.date(2026, 10, 1))
    clock.set(dt.date(2029, 2, 28))
    assert [item.action.kind for item in run_sweep(lifecycle_of(life), dry_run=False).due] == [ActionKind.archive]
    clock.set(dt.date(2029, 3, 1))
    assert run_sweep(lifecycle_of(life), dry_run=False).count(StepOutcomeKind.done) == 1
    assert not life.vault.has_key(subject=seeded.pseudonym)


def test_destruction_waits_for_a_managers_approval_when_the_setting_asks(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1, closed_on=dt.date(2026, 10, 1))
    lifecycle = lifecycle_of(life, require_approval=True)
    waiting = run_sweep(lifecycle, dry_run=False)
    assert waiting.due[0].awaiting_approval and waiting.count(StepOutcomeKind.done) == 0
    assert life.vault.has_key(subject=seeded.pseudonym)

    manager = _manager(life)
    with transaction(life.new_session) as session:
        approve_destruction(
            session,
            person=session.get(Person, seeded.person_id),
            user=manager,
            schedule=life.schedule,
            clock=life.clock,
        )
    assert run_sweep(lifecycle, dry_run=False).count(StepOutcomeKind.done) == 1
    with life.new_session() as session:
        [certificate] = session.exec(select(DestructionCertificate)).all()
    assert certificate.authorised_by.startswith(f"manager user:{manager.id}")


def test_a_new_referral_restores_archived_cases_to_active(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    run_sweep(lifecycle_of(life), dry_run=False)
    original = {
        key: hashlib.sha256(_plaintext(life, seeded.pseudonym, key, Tier.archive, tmp_path)).hexdigest()
        for key in seeded.object_keys
    }
    with transaction(life.new_session) as session:
        person = session.get(Person, seeded.person_id)
        restoring = restore_on_referral(
            session, person=person, referral_date=TODAY, schedule=life.schedule, clock=life.clock, actor="user:1"
        )
    assert restoring == [seeded.case_id]

    report = run_sweep(lifecycle_of(life), dry_run=False)  # finishes every case left restoring

    assert report.count(StepOutcomeKind.done) == 1
    assert versions_in(life, Tier.archive, seeded.object_keys) == []
    for key, digest in original.items():
        assert hashlib.sha256(_plaintext(life, seeded.pseudonym, key, Tier.active, tmp_path)).hexdigest() == digest
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed
        assert {o.tier for o in session.exec(select(StoredObject)).all()} == {Tier.active}


def test_expiring_the_archive_destroys_that_cases_documents_when_the_schedule_says_so(
    life: Services, tmp_path: Path
) -> None:
    import dataclasses

    from casevault.retention.schedule import ExpiryAction

    schedule = life.schedule
    destroying = dataclasses.replace(
        schedule, archive_expiry=dataclasses.replace(schedule.archive_expiry, action=ExpiryAction.destroy)
    )
    clock: FixedClock = life.clock
    seeded = seed_person(
        life,
        tmp_path,
        born=dt.date(2010, 5, 1),
        closed_on=dt.date(2026, 10, 1),
        last_correspondence=dt.date(2026, 9, 30),
    )
    run_sweep(lifecycle_of(life, schedule=destroying), dry_run=False)
    clock.set(dt.date(2027, 9, 29))
    assert run_sweep(lifecycle_of(life, schedule=destroying), dry_run=False).due == ()  # a day early: nothing
    clock.set(dt.date(2027, 9, 30))
    assert run_sweep(lifecycle_of(life, schedule=destroying), dry_run=False).count(StepOutcomeKind.done) == 1
    for tier in Tier:
        assert versions_in(life, tier, seeded.object_keys) == []
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.destroyed
        assert session.get(Person, seeded.person_id) is not None  # the person stays until 25
        assert session.exec(select(Document)).all() == []


def test_a_document_uploaded_during_the_move_keeps_the_case_closed_until_it_is_moved_too(
    life: Services, tmp_path: Path
) -> None:
    born = dt.date(2010, 5, 1)
    seeded = seed_person(life, tmp_path, born=born, closed_on=dt.date(2026, 10, 1), documents=1)
    late: list[str] = []

    def upload_midway(boundary: Boundary, item: str) -> None:
        if boundary is Boundary.after_delete and not late:
            _, keys = add_document(
                life,
                tmp_path,
                case_id=seeded.case_id,
                subject=seeded.pseudonym,
                born=born,
                index=9,
                correspondence_date=dt.date(2026, 10, 5),
            )
            late.extend(keys)

    first = run_sweep(lifecycle_of(life), dry_run=False, on_step=upload_midway)
    assert first.outcomes[0].outcome is StepOutcomeKind.skipped
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed
    assert sorted(versions_in(life, Tier.active, late)) == sorted(late)  # nothing lost

    run_sweep(lifecycle_of(life), dry_run=False)
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.archived
    assert versions_in(life, Tier.active, [*seeded.object_keys, *late]) == []
