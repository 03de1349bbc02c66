"""The daily backup of the embedded default (beat), keeping CASEVAULT_BACKUP_KEEP of them."""

from __future__ import annotations

from typing import Any

from celery import Task

from casevault.app.task_queue import BACKUP_TASK
from casevault.app.tasks import casevault_task, services_of


@casevault_task(BACKUP_TASK)
def daily_backup(task: Task) -> dict[str, Any]:
    made, removed = services_of(task).backups.daily()
    return {"backup": made.header.backup_id, "bytes": made.size, "removed": len(removed)}
