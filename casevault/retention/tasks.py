"""Celery tasks for the lifecycle: ids in, the sweep and moves do the work."""

from __future__ import annotations

import secrets
from typing import Any

from celery import Task

from casevault.core.tasks import casevault_task
from casevault.retention.moves import restore_case as restore
from casevault.retention.parts import Lifecycle
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep

SWEEP_TASK = "casevault.retention.sweep"
RESTORE_TASK = "casevault.retention.restore_case"


@casevault_task(SWEEP_TASK)
def sweep(task: Task) -> dict[str, Any]:
    """Daily (beat): act on everything due today."""
    report = run_sweep(Lifecycle.of(task.app.container), dry_run=False, holder=_holder(task))
    return {kind.value: report.count(kind) for kind in StepOutcomeKind}


@casevault_task(RESTORE_TASK)
def restore_case(task: Task, case_id: int) -> str:
    """Bring one ``restoring`` case back to active (a referral or a manager asked)."""
    outcome = restore(Lifecycle.of(task.app.container), case_id=case_id, holder=_holder(task))
    return outcome.outcome.value


def _holder(task: Task) -> str:
    """The task's id: a redelivered copy (its worker died) holds the same claims."""
    return task.request.id.replace("-", "") if task.request.id else secrets.token_hex(8)
