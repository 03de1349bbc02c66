"""The weekly checks: the audit chain walked, every stored object read and hashed."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from casevault.app.tasks import casevault_task, services_of
from casevault.archive.fixity import verify_storage
from casevault.core import audit
from casevault.core.db import transaction

log = logging.getLogger(__name__)


@casevault_task("casevault.core.verify_audit_chain")
def verify_audit_chain(task: Task) -> dict[str, Any]:
    """Walk the audit chain and record the verdict in the chain itself."""
    services = services_of(task)
    with transaction(services.new_session) as session:
        report = audit.verify_chain(session)
        audit.record(
            session,
            clock=services.clock,
            actor="system",
            action="audit.verified",
            outcome="ok" if report.ok else "failed",
            details={"rows": report.rows, "first_broken_id": report.first_broken_id},
        )
    if not report.ok:
        log.error("audit chain broken at row %s", report.first_broken_id)
    return {"ok": report.ok, "rows": report.rows, "first_broken_id": report.first_broken_id}


@casevault_task("casevault.archive.verify_storage")
def verify_storage_weekly(task: Task) -> dict[str, int]:
    services = services_of(task)
    report = verify_storage(vault=services.vault, new_session=services.new_session, clock=services.clock)
    counts = {"checked": report.checked, "missing": len(report.missing), "corrupt": len(report.corrupt),
              "orphans": len(report.orphans)}
    with transaction(services.new_session) as session:
        audit.record(session, clock=services.clock, actor="system", action="storage.verified",
                     outcome="ok" if report.problems == 0 else "failed", details=counts)
    if report.problems:
        log.error("storage verification found problems: %s; run `casevault storage verify` for the list", counts)
    return counts
