"""Two installations (or two test runs) on one broker server, told apart only by
CASEVAULT_QUEUE_PREFIX: a worker takes only its own installation's tasks, and a
ping reaches only its own installation's workers.

Real parts: `casevault worker` processes, Redis or RabbitMQ, the database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.app.task_queue import LIFECYCLE_QUEUE, VERIFY_AUDIT_TASK
from casevault.core.models import AuditEvent
from casevault.core.settings import Settings
from tests.e2e.servers import casevault_env, running_worker, wait_for
from tests.fixtures_brokers import OnBroker

VERIFY = VERIFY_AUDIT_TASK  # leaves an "audit.verified" event: proof a worker ran it


def _ping(settings: Settings) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "casevault", "worker", "ping", "--timeout", "2"]
    return subprocess.run(command, env=casevault_env(settings), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the broker is under test here
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_worker_takes_only_its_own_installations_tasks(
    settings: Settings, tmp_path: Path, broker: str, on_broker: OnBroker
) -> None:
    init_storage(settings)  # the audit MAC key the verdict rows are sealed with
    first, second = Services(on_broker(broker, settings)), Services(on_broker(broker, settings))

    def verdicts() -> int:
        with first.new_session() as session:  # both installations share this database: one count
            return len(session.exec(select(AuditEvent).where(AuditEvent.action == "audit.verified")).all())

    def waiting(container: Services) -> int:
        return container.tasks.depths(timeout=5)[LIFECYCLE_QUEUE]

    try:
        first.celery.send_task(VERIFY)  # the first's task waits: none of its workers runs yet
        with running_worker(second.settings, tmp_path / "second.log"):
            second.celery.send_task(VERIFY)  # sent after the first's: a worker on both queues would take that one first
            wait_for(lambda: verdicts() >= 1, 60, "the second installation's worker running its own task")
            assert waiting(second) == 0
            assert waiting(first) == 1, "the second installation's worker took the first's task"
            assert verdicts() == 1
            assert _ping(first.settings).returncode == 1, "a ping of one installation answered by another's worker"
        with running_worker(first.settings, tmp_path / "first.log"):
            wait_for(lambda: verdicts() == 2, 60, "the first installation's worker running its task")
            assert waiting(first) == 0
            answered = _ping(first.settings)
            assert answered.returncode == 0, answered.stderr
    finally:
        first.close()
        second.close()
