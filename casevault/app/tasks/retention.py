"""Celery tasks for the lifecycle: ids in, the lifecycle use cases do the work."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from celery import Task

from casevault.app.task_queue import RESTORE_TASK, SWEEP_TASK
from casevault.app.tasks import casevault_task, holder_of, services_of
from casevault.core.errors import InvalidInput
from casevault.retention.steps import StepOutcomeKind

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@casevault_task(SWEEP_TASK)
def sweep(task: Task, as_of: str | None = None) -> dict[str, Any]:
    """Daily (beat, no argument): act on everything due today. An operator may send
    ``args=["YYYY-MM-DD"]`` to act as of an earlier day (never a later one), as
    ``casevault retention run --as-of`` does."""
    report = services_of(task).retention.sweep(as_of=_sweep_date(as_of), dry_run=False, holder=holder_of(task))
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
    outcome = services_of(task).retention.restore(case_id=case_id, holder=holder_of(task))
    return outcome.outcome.value
