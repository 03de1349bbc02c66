"""A destruction leaves an anchor of the audit chain in the store once its certificate
commits, and the periodic tasks anchor and verify the chain as Celery runs them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import col, select

from casevault.app.celery_app import _beat_schedule
from casevault.app.services import Services
from casevault.archive.audit_anchor import read_anchors
from casevault.core.models import AuditEvent
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.retention.seeding import lifecycle_of, seed_person


def _anchored_rows(life: Services) -> list[int]:
    return sorted(a.row_id for a in read_anchors(store=life.vault.store, mac_key=life.audit_mac_key).anchors)


def test_a_destruction_is_anchored_outside_the_database_when_it_is_certified(life: Services, tmp_path: Path) -> None:
    seed_person(life, tmp_path, born=dt.date(2001, 11, 24), documents=1, closed_on=dt.date(2026, 10, 1))  # 25 today
    assert _anchored_rows(life) == []

    assert run_sweep(lifecycle_of(life), dry_run=False).count(StepOutcomeKind.done) == 1

    with life.new_session() as session:
        destroyed = session.exec(select(AuditEvent.id).where(AuditEvent.action == "retention.destroyed")).one()
    [anchored] = _anchored_rows(life)
    assert anchored >= destroyed  # the destruction's own row is pinned


@pytest.mark.parametrize("backend", ["filesystem"], indirect=True)
def test_the_daily_anchor_and_weekly_verify_tasks(life: Services, tmp_path: Path) -> None:
    schedule = _beat_schedule(life.settings)
    assert schedule["anchor-audit-chain"]["task"] == "casevault.archive.anchor_audit_chain"
    assert schedule["verify-audit-chain"]["task"] == "casevault.archive.verify_audit_chain"
    app = life.celery
    app.set_current()
    app.loader.import_default_modules()
    seed_person(life, tmp_path, born=dt.date(2010, 5, 1), documents=1)

    anchored = app.tasks["casevault.archive.anchor_audit_chain"].apply().get()
    verdict = app.tasks["casevault.archive.verify_audit_chain"].apply().get()

    assert _anchored_rows(life) == [anchored["row_id"]]
    assert verdict["ok"] is True
    with life.new_session() as session:
        verdicts = select(AuditEvent.outcome).where(AuditEvent.action == "audit.verified").order_by(col(AuditEvent.id))
        outcomes = session.exec(verdicts).all()
    assert outcomes == ["ok"]
