"""The audit trail's and the store's checks: an anchor every day, the chain held to its
anchors and every stored object read and hashed every week."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from casevault.app.task_queue import ANCHOR_AUDIT_TASK, VERIFY_AUDIT_TASK
from casevault.app.tasks import casevault_task, services_of
from casevault.archive.audit_anchor import anchor_audit_chain, verify_audit_trail
from casevault.archive.fixity import verify_storage
from casevault.core import audit, auth_failures
from casevault.core.db import transaction

log = logging.getLogger(__name__)


@casevault_task(ANCHOR_AUDIT_TASK)
def anchor_audit_chain_daily(task: Task) -> dict[str, Any]:
    services = services_of(task)
    with transaction(services.new_session) as session:  # quiet minutes of refusals reach the log too
        auth_failures.flush_finished_minutes(session, clock=services.clock)
    anchor = anchor_audit_chain(store=services.vault.store, new_session=services.new_session, clock=services.clock)
    return {"row_id": anchor.row_id}


@casevault_task(VERIFY_AUDIT_TASK)
def verify_audit_chain_weekly(task: Task) -> dict[str, Any]:
    """Walk the chain, hold it to every anchor, and record the verdict in the chain itself."""
    services = services_of(task)
    report = verify_audit_trail(store=services.vault.store, new_session=services.new_session)
    with transaction(services.new_session) as session:
        audit.record(
            session,
            clock=services.clock,
            actor="system",
            action="audit.verified",
            outcome="ok" if report.ok else "failed",
            details={"rows": report.rows, "anchors": report.anchors, "first_broken_id": report.first_broken_id},
        )
    if not report.ok:
        log.error("audit chain broken at row %s: %s", report.first_broken_id, report.problem)
    return {"ok": report.ok, "rows": report.rows, "first_broken_id": report.first_broken_id}


@casevault_task("casevault.archive.verify_storage")
def verify_storage_weekly(task: Task) -> dict[str, int]:
    services = services_of(task)
    report = verify_storage(vault=services.vault, new_session=services.new_session, clock=services.clock)
    counts = {
        "checked": report.checked,
        "missing": len(report.missing),
        "corrupt": len(report.corrupt),
        "orphans": len(report.orphans),
    }
    with transaction(services.new_session) as session:
        audit.record(
            session,
            clock=services.clock,
            actor="system",
            action="storage.verified",
            outcome="ok" if report.problems == 0 else "failed",
            details=counts,
        )
    if report.problems:
        log.error("storage verification found problems: %s; run `casevault storage verify` for the list", counts)
    return counts
