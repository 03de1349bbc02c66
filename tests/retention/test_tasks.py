"""The lifecycle tasks as Celery runs them (eagerly here): ids in, the work done."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import col, select

from casevault.app.celery_app import _beat_schedule
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.errors import InvalidInput
from casevault.core.models import AuditEvent, Case, CaseStatus, Person, Tier
from casevault.retention.referral import restore_on_referral
from tests.retention.seeding import seed_person, versions_in

pytestmark = pytest.mark.parametrize("backend", ["filesystem"], indirect=True)


def test_the_daily_sweep_and_the_restore_task_do_the_work(life: Services, tmp_path: Path) -> None:
    assert _beat_schedule(life.settings)["retention-sweep"]["task"] == "casevault.retention.sweep"
    app = life.celery
    app.set_current()
    app.loader.import_default_modules()  # what a worker does at start: the task modules of worker.TASK_MODULES
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))

    counts = app.tasks["casevault.retention.sweep"].apply().get()

    assert counts["done"] == 1
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

    assert app.tasks["casevault.retention.restore_case"].apply(args=[seeded.case_id]).get() == "done"
    assert sorted(versions_in(life, Tier.active, seeded.object_keys)) == sorted(seeded.object_keys)
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed


def _sweep_task(life: Services):
    app = life.celery
    app.set_current()
    app.loader.import_default_modules()
    return app.tasks["casevault.retention.sweep"]


def _sweeps_as_of(life: Services) -> list[str]:
    with life.new_session() as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "retention.sweep").order_by(col(AuditEvent.id))
        ).all()
    return [json.loads(event.details)["as_of"] for event in events]


def test_the_sweep_task_acts_as_of_the_day_an_operator_sends(life: Services, tmp_path: Path) -> None:
    sweep = _sweep_task(life)
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))

    assert sweep.apply(args=["2026-09-30"]).get()["done"] == 0  # the day before closure: nothing due
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed
    assert sweep.apply(args=["2026-10-01"]).get()["done"] == 1
    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.archived
    sweep.apply().get()  # as beat sends it: today
    assert _sweeps_as_of(life) == ["2026-09-30", "2026-10-01", life.clock.today().isoformat()]


@pytest.mark.parametrize("as_of", ["2026-02-30", "1 October 2026", "20261001", "2026-10-01T00:00", 20261001])
def test_a_malformed_sweep_date_is_refused_saying_how_to_write_it(
    life: Services, tmp_path: Path, as_of: object
) -> None:
    sweep = _sweep_task(life)
    seeded = seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))

    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        sweep.apply(args=[as_of]).get()

    with life.new_session() as session:
        assert session.get(Case, seeded.case_id).status is CaseStatus.closed
    assert _sweeps_as_of(life) == []  # refused before it began


def test_the_sweep_task_refuses_a_day_after_today(life: Services, tmp_path: Path) -> None:
    sweep = _sweep_task(life)
    seed_person(life, tmp_path, born=dt.date(2010, 5, 1), closed_on=dt.date(2026, 10, 1))
    tomorrow = (life.clock.today() + dt.timedelta(days=1)).isoformat()

    with pytest.raises(InvalidInput, match="acting early could destroy"):
        sweep.apply(args=[tomorrow]).get()
    assert _sweeps_as_of(life) == []
