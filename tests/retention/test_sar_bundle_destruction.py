"""A subject access bundle in the store: encrypted at rest, destroyed with the person (every
version, counted on the certificate), and on its own once the set period after delivery ends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select

from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import (
    BundleStatus,
    DestructionCertificate,
    ItemDecision,
    Person,
    Role,
    SarBundle,
    SarItem,
    SubjectAccessRequest,
    Tier,
    User,
)
from tests.ingest.uploads import stored_bytes
from tests.retention.seeding import seed_person, versions_in
from tests.sar_requests import add_note, add_pdf_document, mark, open_request
from tests.tokens import new_user

LETTER = "Hollingsworth statement of needs"
NOTE = "Spoke with the Featherstonehaugh family"


def built_bundle(life: Services, tmp_path: Path, *, born: dt.date, closed_on: dt.date | None) -> tuple[int, int]:
    """A person with a letter and a note, a request marking both disclosed, its bundle
    built; returns the person's and the bundle's ids."""
    seeded = seed_person(life, tmp_path, born=born, documents=0, closed_on=closed_on)
    manager, _ = new_user(life, "maya", Role.manager)
    document = add_pdf_document(life, tmp_path, case_id=seeded.case_id, subject=seeded.pseudonym, pages=[(LETTER,)])
    note = add_note(life, case_id=seeded.case_id, text=NOTE)
    request_id = open_request(life, person_id=seeded.person_id, opened_by=manager.id)
    mark(life, request_id, ItemDecision.disclosed, "released", document_id=document)
    mark(life, request_id, ItemDecision.disclosed, "released", note_id=note)
    with transaction(life.new_session) as session:
        bundle = life.sar_bundles.request_build(session, request_id=request_id, user=session.get(User, manager.id))
        session.flush()
        bundle_id = bundle.id
    assert life.sar_bundles.build(bundle_id=bundle_id) is BundleStatus.built
    return seeded.person_id, bundle_id


def bundle_keys(life: Services, bundle_id: int) -> list[str]:
    with life.new_session() as session:
        bundle = session.get(SarBundle, bundle_id)
        return [bundle.pdf_key, bundle.csv_key]


def decrypted(life: Services, person_id: int, key: str) -> bytes:
    with life.new_session() as session:
        pseudonym = session.get(Person, person_id).pseudonym
    with life.vault.open(subject=pseudonym, object_key=key, tier=Tier.active) as chunks:
        return b"".join(chunks)


def test_the_bundle_is_unreadable_at_rest_and_goes_with_the_person(
    life: Services, clock: FixedClock, tmp_path: Path
) -> None:
    person_id, bundle_id = built_bundle(life, tmp_path, born=dt.date(2001, 10, 1), closed_on=dt.date(2026, 1, 10))
    keys = bundle_keys(life, bundle_id)
    assert NOTE.encode() in decrypted(life, person_id, keys[1])  # the CSV holds the note, in plain text
    assert set(versions_in(life, Tier.active, keys)) == set(keys)
    blobs = stored_bytes(life)
    assert blobs and not any(NOTE.encode() in blob or b"Featherstonehaugh" in blob for blob in blobs)

    life.retention.sweep(dry_run=False)  # 25 since 2026-10-01, case closed, no hold: destroyed

    for tier in Tier:
        assert versions_in(life, tier, keys) == []
    with life.new_session() as session:
        certificate = session.exec(select(DestructionCertificate)).one()
        assert (certificate.subject_access_requests, certificate.sar_bundles) == (1, 1)
        assert certificate.objects == 2 + 2  # the letter's two variants and the bundle's PDF and CSV
        assert session.exec(select(SarBundle)).all() == [] and session.exec(select(SarItem)).all() == []
        assert session.exec(select(SubjectAccessRequest)).all() == []


def test_a_delivered_bundle_is_destroyed_after_the_set_period(
    life: Services, clock: FixedClock, tmp_path: Path
) -> None:
    _, bundle_id = built_bundle(life, tmp_path, born=dt.date(2012, 3, 4), closed_on=None)
    keys = bundle_keys(life, bundle_id)
    with transaction(life.new_session) as session:
        bundle = session.get(SarBundle, bundle_id)
        maya = session.exec(select(User).where(User.username == "maya")).one()
        life.sar_bundles.approve(session, request_id=bundle.request_id, user=maya)
        delivered = life.sar_bundles.record_delivery(
            session, request_id=bundle.request_id, method="email", delivered_on=clock.today(), user=maya
        )
        assert delivered.destroy_on == clock.today() + dt.timedelta(days=life.settings.sar_bundle_keep_days)

    clock.advance(dt.timedelta(days=life.settings.sar_bundle_keep_days - 1))
    life.retention.sweep(dry_run=False)
    assert set(versions_in(life, Tier.active, keys)) == set(keys)  # not yet

    clock.advance(dt.timedelta(days=1))
    life.retention.sweep(dry_run=False)
    for tier in Tier:
        assert versions_in(life, tier, keys) == []
    with life.new_session() as session:
        bundle = session.get(SarBundle, bundle_id)
        assert (bundle.status, bundle.pdf_key, bundle.csv_key) == (BundleStatus.destroyed, None, None)
