"""A real Celery worker takes a task from a real broker and does its work."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import AuditEvent
from casevault.core.settings import Settings
from tests.e2e.servers import running_worker, wait_for
from tests.fixtures_brokers import OnBroker


@pytest.mark.parametrize("broker", ["sqlite", "redis", "rabbitmq"])
def test_a_worker_runs_a_task_end_to_end(settings: Settings, tmp_path: Path, broker: str, on_broker: OnBroker) -> None:
    settings = on_broker(broker, settings)
    init_storage(settings)  # the audit MAC key the verdict row is sealed with
    container = Services(settings)

    def verdicts() -> list[AuditEvent]:
        with container.new_session() as session:
            return list(session.exec(select(AuditEvent).where(AuditEvent.action == "audit.verified")).all())

    with running_worker(settings, tmp_path / "worker.log"):
        container.celery.send_task("casevault.archive.verify_audit_chain")
        wait_for(lambda: verdicts(), 60, "the worker recording the audit verdict")
    assert [event.outcome for event in verdicts()] == ["ok"]
    container.close()
