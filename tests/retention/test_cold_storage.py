"""Restore from a cold storage class (S3 GLACIER on the moto server): asynchronous,
with the state on the case until the documents are back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import Case, CaseStatus, Person, Tier
from casevault.core.settings import Settings
from casevault.retention.moves import restore_case
from casevault.retention.referral import restore_on_referral
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.retention.seeding import seed_person, versions_in


@pytest.fixture
def glacier(settings: Settings, s3_overrides: dict[str, object], clock: FixedClock) -> Iterator[Services]:
    cold = settings.model_copy(update={**s3_overrides, "s3_archive_storage_class": "GLACIER", "chunk_size_kb": 4})
    init_storage(cold)
    container = Services(cold, clock=clock)
    yield container
    container.close()


def test_restore_from_glacier_waits_for_the_store_then_copies_back(glacier: Services, tmp_path: Path) -> None:
    seeded = seed_person(glacier, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1), documents=1)
    lifecycle = glacier.lifecycle
    assert run_sweep(lifecycle, dry_run=False).count(StepOutcomeKind.done) == 1
    for key in seeded.object_keys:
        assert glacier.vault.store.head(tier=Tier.archive, key=key).storage_class == "GLACIER"
    with transaction(glacier.new_session) as session:
        person = session.get(Person, seeded.person_id)
        restore_on_referral(
            session,
            person=person,
            referral_date=glacier.clock.today(),
            schedule=glacier.schedule,
            clock=glacier.clock,
            actor="user:1",
        )

    first = restore_case(lifecycle, case_id=seeded.case_id, holder="task-1")

    assert first.outcome is StepOutcomeKind.waiting and "restore requested" in first.why
    with glacier.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.restoring

    second = run_sweep(lifecycle, dry_run=False)  # the store has restored them: copy back

    assert second.count(StepOutcomeKind.done) == 1
    assert versions_in(glacier, Tier.archive, seeded.object_keys) == []
    with glacier.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed
