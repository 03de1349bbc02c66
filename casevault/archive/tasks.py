"""The weekly fixity check as a Celery task: every object read, decrypted and hashed."""

from __future__ import annotations

import logging

from celery import Task

from casevault.archive.fixity import verify_storage
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.tasks import casevault_task

log = logging.getLogger(__name__)


@casevault_task("casevault.archive.verify_storage")
def verify_storage_weekly(task: Task) -> dict[str, int]:
    container = task.app.container
    report = verify_storage(vault=container.vault, new_session=container.new_session, clock=container.clock)
    counts = {"checked": report.checked, "missing": len(report.missing), "corrupt": len(report.corrupt), "orphans": len(report.orphans)}
    with transaction(container.new_session) as session:
        audit.record(session, clock=container.clock, actor="system", action="storage.verified",
                     outcome="ok" if report.problems == 0 else "failed", details=counts)
    if report.problems:
        log.error("storage verification found problems: %s; run `casevault storage verify` for the list", counts)
    return counts
