"""The audit trail's periodic tasks: an anchor every day, a full verification every week."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from casevault.archive.audit_anchor import anchor_audit_chain, verify_audit_trail
from casevault.core import audit, auth_failures
from casevault.core.db import transaction
from casevault.core.tasks import casevault_task

log = logging.getLogger(__name__)


@casevault_task("casevault.archive.anchor_audit_chain")
def anchor_audit_chain_daily(task: Task) -> dict[str, Any]:
    container = task.app.container
    with transaction(container.new_session) as session:  # quiet minutes of refusals reach the log too
        auth_failures.flush_finished_minutes(session, clock=container.clock)
    anchor = anchor_audit_chain(store=container.vault.store, new_session=container.new_session, clock=container.clock)
    return {"row_id": anchor.row_id}


@casevault_task("casevault.archive.verify_audit_chain")
def verify_audit_chain_weekly(task: Task) -> dict[str, Any]:
    """Walk the chain, hold it to every anchor, and record the verdict in the chain itself."""
    container = task.app.container
    report = verify_audit_trail(store=container.vault.store, new_session=container.new_session)
    with transaction(container.new_session) as session:
        audit.record(
            session,
            clock=container.clock,
            actor="system",
            action="audit.verified",
            outcome="ok" if report.ok else "failed",
            details={"rows": report.rows, "anchors": report.anchors, "first_broken_id": report.first_broken_id},
        )
    if not report.ok:
        log.error("audit chain broken at row %s: %s", report.first_broken_id, report.problem)
    return {"ok": report.ok, "rows": report.rows, "first_broken_id": report.first_broken_id}
