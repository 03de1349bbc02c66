"""Celery tasks for the lifecycle: ids in, the sweep and moves do the work."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from celery import Task

from casevault.core.errors import InvalidInput
from casevault.core.tasks import casevault_task
from casevault.retention.moves import restore_case as restore
from casevault.retention.parts import Lifecycle
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep

SWEEP_TASK = "casevault.retention.sweep"
RESTORE_TASK = "casevault.retention.restore_case"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@casevault_task(SWEEP_TASK)
def sweep(task: Task, as_of: str | None = None) -> dict[str, Any]:
    """Daily (beat, no argument): act on everything due today. An operator may send
    ``args=["YYYY-MM-DD"]`` to act as of an earlier day (never a later one), as
    ``casevault retention run --as-of`` does."""
    report = run_sweep(Lifecycle.of(task.app.container), as_of=_sweep_date(as_of), dry_run=False, holder=_holder(task))
    return {kind.value: report.count(kind) for kind in StepOutcomeKind}


def _sweep_date(as_of: object) -> dt.date | None:
    if as_of is None:
        return None
    if isinstance(as_of, str) and _ISO_DATE.fullmatch(as_of):
        try:
            return dt.date.fromisoformat(as_of)
        except ValueError:
            pass  # 2026-02-30 and the like: said below
    shown = repr(as_of)[:40]
    raise InvalidInput(
        f"the sweep's as_of must be a date written YYYY-MM-DD (e.g. 2026-03-10), not {shown};"
        " send no argument to sweep as of today",
        field="as_of",
    )


@casevault_task(RESTORE_TASK)
def restore_case(task: Task, case_id: int) -> str:
    """Bring one ``restoring`` case back to active (a referral or a manager asked)."""
    outcome = restore(Lifecycle.of(task.app.container), case_id=case_id, holder=_holder(task))
    return outcome.outcome.value


def _holder(task: Task) -> str:
    """The task's id: a redelivered copy (its worker died) holds the same claims."""
    return task.request.id.replace("-", "") if task.request.id else secrets.token_hex(8)
