"""Celery task for subject access bundles: a bundle id in, the use case builds it."""

from __future__ import annotations

from celery import Task

from casevault.app.task_queue import SAR_BUNDLE_TASK
from casevault.app.tasks import MAX_RETRIES, casevault_task, services_of


@casevault_task(SAR_BUNDLE_TASK)
def build_sar_bundle(task: Task, bundle_id: int) -> str:
    """Build one bundle marked ``building``; a redelivered or repeated task converges."""
    last_try = task.request.retries >= MAX_RETRIES
    return services_of(task).sar_bundles.build(bundle_id=bundle_id, last_try=last_try).value
