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
from casevault.archive import Vault
from casevault.core.clock import FixedClock
from casevault.core.errors import KeyDestroyed
from casevault.core.models import DestructionCertificate, Role, StoredObject, Tier
from casevault.retention.parts import DEFAULT_LEASE
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from casevault.wiring import Container
from tests.e2e.life import token
from tests.ingest.scans import pdf_with_text_pages
from tests.retention.conftest import lifecycle_of, seed_person, versions_in
from tests.retention.test_fault_injection import WorkerKilled

TURNS_25_TODAY = dt.date(2001, 11, 24)  # the clock's today is 2026-11-24


class DestroyedJustBeforeStoring(Vault):
    """The vault the upload uses: the sweep destroys the person (and commits) after
    the upload checked the case and just before it stores the file."""

    def __init__(self, real: Vault, life: Container) -> None:
        super().__init__(store=real.store, data_keys=real.data_keys, chunk_size=real._chunk_size, clock=life.clock)
        self.life = life
        self.sweeps: list[Any] = []

    def put(self, **arguments: Any):  # type: ignore[no-untyped-def]
        if not self.sweeps:
            self.sweeps.append(run_sweep(lifecycle_of(self.life), dry_run=False))
        return super().put(**arguments)


def test_an_upload_racing_the_destruction_cannot_recreate_the_data_key(life: Container, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, documents=1)
    racing = DestroyedJustBeforeStoring(life.vault, life)
    life.__dict__["vault"] = racing  # what the upload route and the sweep use from now on
    manager = token(life, "maya", Role.manager)
    letter = pdf_with_text_pages(tmp_path / "late.pdf", [("A letter that arrives too late",)])

    with TestClient(create_app(life), raise_server_exceptions=True) as client, letter.open("rb") as body:
        answer = client.post(
            f"/api/v1/cases/{seeded.case_id}/documents", headers=manager,
            files={"file": ("late.pdf", body, "application/pdf")},
            data={"correspondence_date": "2026-11-20", "provided_by": "school"},
        )

    [sweep] = racing.sweeps
    assert [o.item for o in sweep.outcomes if o.outcome is StepOutcomeKind.done] == [f"destroy:person:{seeded.person_id}"]
    assert answer.status_code in (409, 410), answer.text
    assert "destroyed" in answer.json()["detail"]
    assert not life.vault.has_key(subject=seeded.pseudonym)
    for tier in Tier:
        assert list(life.vault.store.list_versions(tier=tier)) == []


def test_no_data_key_is_made_for_a_destroyed_pseudonym(life: Container, tmp_path: Path) -> None:
    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, documents=1)
    run_sweep(lifecycle_of(life), dry_run=False)

    with pytest.raises(KeyDestroyed, match="destroyed"):
        life.vault.ensure_key(subject=seeded.pseudonym)
    assert not life.vault.has_key(subject=seeded.pseudonym)


def test_a_destruction_cut_short_while_deleting_certifies_every_object_version_and_byte(
    life: Container, tmp_path: Path
) -> None:
    seeded = seed_person(life, tmp_path, born=TURNS_25_TODAY, documents=2)
    with life.new_session() as session:
        stored_bytes = sum(row.stored_size for row in session.exec(select(StoredObject)).all())
    store = life.vault.store
    real_delete = store.delete_all_versions

    def dies_after_two(*, tier: Tier, keys: Sequence[str]) -> Any:
        real_delete(tier=tier, keys=list(keys)[:2])
        raise WorkerKilled("the worker died while deleting objects")

    store.delete_all_versions = dies_after_two  # type: ignore[method-assign]
    with pytest.raises(WorkerKilled):
        run_sweep(lifecycle_of(life), dry_run=False)
    del store.delete_all_versions  # the next worker's store works
    assert len(versions_in(life, Tier.active, seeded.object_keys)) == 2  # half were deleted, uncertified
    clock: FixedClock = life.clock  # type: ignore[assignment]
    clock.advance(DEFAULT_LEASE + dt.timedelta(minutes=1))

    run_sweep(lifecycle_of(life), dry_run=False)

    with life.new_session() as session:
        [certificate] = session.exec(select(DestructionCertificate)).all()
    assert (certificate.objects, certificate.object_versions, certificate.bytes) == (4, 4, stored_bytes)
    for tier in Tier:
        assert versions_in(life, tier, seeded.object_keys) == []
