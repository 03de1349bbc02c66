"""The lifecycle tasks as Celery runs them (eagerly here): ids in, the work done."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from casevault.core.db import transaction
from casevault.core.models import Case, CaseStatus, Person, Tier
from casevault.retention.referral import restore_on_referral
from casevault.worker import _beat_schedule
from casevault.wiring import Container
from tests.retention.conftest import seed_person, versions_in

pytestmark = pytest.mark.parametrize("backend", ["filesystem"], indirect=True)


def test_the_daily_sweep_and_the_restore_task_do_the_work(life: Container, tmp_path: Path) -> None:
    assert _beat_schedule(life.settings)["retention-sweep"]["task"] == "casevault.retention.sweep"
    app = life.celery
    app.set_current()
    app.loader.import_default_modules()  # what a worker does at start: the task modules of worker.TASK_MODULES
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))

    counts = app.tasks["casevault.retention.sweep"].apply().get()

    assert counts["done"] == 1
    with transaction(life.new_session) as session:
        person = session.get(Person, seeded.person_id)
        restore_on_referral(session, person=person, referral_date=life.clock.today(), schedule=life.schedule, clock=life.clock, actor="user:1")  # type: ignore[arg-type]

    assert app.tasks["casevault.retention.restore_case"].apply(args=[seeded.case_id]).get() == "done"
    assert sorted(versions_in(life, Tier.active, seeded.object_keys)) == sorted(seeded.object_keys)
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.open  # type: ignore[union-attr]
