"""A destruction against what races it or cuts it short: an upload that passed its
case check just before the destruction committed, and a worker that dies halfway
through deleting the objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.archive import Vault
from casevault.archive.audit_anchor import is_audit_object
from casevault.core.clock import FixedClock
from casevault.core.errors import Conflict, KeyDestroyed
from casevault.core.models import DestructionCertificate, LeaseRecord, Role, StoredObject, Tier
from casevault.retention.parts import DEFAULT_LEASE
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.ingest.scans import pdf_with_text_pages
from tests.retention.faults import WorkerKilled
from tests.retention.seeding import lifecycle_of, seed_person, versions_in
from tests.tokens import token

TURNS_25_TODAY = dt.date(2001, 11, 24)  # the clock's today is 2026-11-24


class DestroyedJustBeforeStoring(Vault):
    """The vault the upload uses: the sweep destroys the person (and commits) after
    the upload checked the case and just before it stores the file."""

    def __init__(self, real: Vault, life: Services) -> None:
        super().__init__(store=real.store, data_keys=real.data_keys, chunk_size=real._chunk_size, clock=life.clock)
        self.life = life
        self.sweeps: list[Any] = []

    def put(self, **arguments: Any):
        if not self.sweeps:
            self.sweeps.append(run_sweep(lifecycle_of(self.life), dry_run=False))
        return super().put(**arguments)


def test_an_upload_racing_the_destruction_cannot_recreate_the_data_key(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, documents=1, closed_on=dt.date(2026, 10, 1))
    racing = DestroyedJustBeforeStoring(life.vault, life)
    life.__dict__["vault"] = racing  # what the upload route and the sweep use from now on
    manager = token(life, "maya", Role.manager)
    letter = pdf_with_text_pages(tmp_path / "late.pdf", [("A letter that arrives too late",)])

    with TestClient(create_app(life), raise_server_exceptions=True) as client, letter.open("rb") as body:
        answer = client.post(
            f"/api/v1/cases/{seeded.case_id}/documents",
            headers=manager,
            files={"file": ("late.pdf", body, "application/pdf")},
            data={"correspondence_date": "2026-11-20", "provided_by": "school"},
        )

    [sweep] = racing.sweeps
    assert [o.item for o in sweep.outcomes if o.outcome is StepOutcomeKind.done] == [
        f"destroy:person:{seeded.person_id}"
    ]
    assert answer.status_code in (409, 410), answer.text
    assert "destroyed" in answer.json()["detail"]
    assert not life.vault.has_key(subject=seeded.pseudonym)
    for tier in Tier:
        assert [v.key for v in life.vault.store.list_versions(tier=tier) if not is_audit_object(v.key)] == []


def test_no_data_key_is_made_for_a_destroyed_pseudonym(life: Services, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, documents=1, closed_on=dt.date(2026, 10, 1))
    run_sweep(lifecycle_of(life), dry_run=False)

    with pytest.raises(KeyDestroyed, match="destroyed"):
        life.vault.data_keys.get_or_create(subject=seeded.pseudonym)
    assert not life.vault.has_key(subject=seeded.pseudonym)


def test_a_destruction_cut_short_while_deleting_certifies_every_object_version_and_byte(
    life: Services, tmp_path: Path
) -> None:
    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, documents=2, closed_on=dt.date(2026, 10, 1))
    with life.new_session() as session:
        stored_bytes = sum(row.stored_size for row in session.exec(select(StoredObject)).all())
    store = life.vault.store
    real_delete = store.delete_all_versions

    def dies_after_two(*, tier: Tier, keys: Sequence[str]) -> Any:
        real_delete(tier=tier, keys=list(keys)[:2])
        raise WorkerKilled("the worker died while deleting objects")

    store.delete_all_versions = dies_after_two
    with pytest.raises(WorkerKilled):
        run_sweep(lifecycle_of(life), dry_run=False)
    del store.delete_all_versions  # the next worker's store works
    assert len(versions_in(life, Tier.active, seeded.object_keys)) == 2  # half were deleted, uncertified
    clock: FixedClock = life.clock
    clock.advance(DEFAULT_LEASE + dt.timedelta(minutes=1))

    run_sweep(lifecycle_of(life), dry_run=False)

    with life.new_session() as session:
        [certificate] = session.exec(select(DestructionCertificate)).all()
    assert (certificate.objects, certificate.object_versions, certificate.bytes) == (4, 4, stored_bytes)
    for tier in Tier:
        assert versions_in(life, tier, seeded.object_keys) == []


# --- an archive move and a destruction of the same person ------------------------------

TURNS_25_TOMORROW = dt.date(2001, 11, 25)


def _due(life: Services, kind: str):
    from casevault.retention.facts import plan

    with life.new_session() as session:
        [action] = [a for a in plan(session, schedule=life.schedule, as_of=life.clock.today()) if a.kind.value == kind]
    return action


def test_a_live_archive_claim_makes_the_destruction_wait(life: Services, tmp_path: Path) -> None:
    from casevault.retention import claims
    from casevault.retention.destroy import destroy_person

    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, closed_on=dt.date(2026, 10, 1))
    mover = claims.item_key("archive", "case", seeded.case_id)
    assert claims.claim(life.new_session, item=mover, holder="mover", clock=life.clock, lease=DEFAULT_LEASE)

    outcome = destroy_person(
        lifecycle_of(life), person_id=seeded.person_id, action=_due(life, "destroy_person"), holder="sweep"
    )

    assert outcome.outcome is StepOutcomeKind.skipped and mover in outcome.why
    assert sorted(versions_in(life, Tier.active, seeded.object_keys)) == sorted(seeded.object_keys)
    assert life.vault.has_key(subject=seeded.pseudonym)


def test_an_archive_whose_claim_ran_out_stops_and_leaves_nothing_of_a_person_destroyed_meanwhile(
    life: Services, tmp_path: Path
) -> None:
    """The archive worker stalls inside a copy for longer than its lease; meanwhile the
    person turns 25 and a destruction takes the expired claim over. The stalled copy
    lands after the destruction deleted everything."""
    from casevault.retention.destroy import destroy_person
    from casevault.retention.moves import archive_case

    seeded = seed_person(life, tmp_path, born=TURNS_25_TOMORROW, closed_on=dt.date(2026, 10, 1))
    clock: FixedClock = life.clock
    archive = _due(life, "archive")
    store = life.vault.store
    destructions: list[Any] = []

    def stalled_copy(*, key: str, source: Tier, target: Tier, tags: Any) -> None:
        with store.reader(tier=source, key=key) as stored:
            data = stored.read()
        if not destructions:  # the first copy stalls past its lease, into the birthday
            clock.advance(dt.timedelta(days=1) + DEFAULT_LEASE)
            destruction = _due(life, "destroy_person")
            destructions.append(
                destroy_person(lifecycle_of(life), person_id=seeded.person_id, action=destruction, holder="sweep")
            )
        with store.writer(tier=target, key=key, tags=tags) as sink:
            sink.write(data)

    store.copy = stalled_copy
    try:
        with pytest.raises(Conflict, match="taken over"):  # the sweep records it as failed and goes on
            archive_case(lifecycle_of(life), action=archive, holder="archiver")
    finally:
        del store.copy

    [destroyed] = destructions
    assert destroyed.outcome is StepOutcomeKind.done
    for tier in Tier:
        assert versions_in(life, tier, seeded.object_keys) == []
    with life.new_session() as session:
        [certificate] = session.exec(select(DestructionCertificate)).all()
        assert certificate.objects == 4
        assert session.exec(select(LeaseRecord)).all() == []
