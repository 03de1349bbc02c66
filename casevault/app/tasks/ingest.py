"""Celery tasks for ingest: ids in, the ingest services do the work."""

from __future__ import annotations

from celery import Task

from casevault.app.task_queue import OCR_TASK
from casevault.app.tasks import casevault_task, holder_of, services_of
from casevault.core.db import transaction
from casevault.ingest.process import process
from casevault.ingest.stalls import mark_resent, stalled


@casevault_task(OCR_TASK)
def ocr_document(task: Task, document_id: int) -> str:
    services = services_of(task)
    status = process(
        new_session=services.new_session,
        vault=services.vault,
        options=services.ocr_options,
        limits=services.upload_limits,
        scratch=services.settings.data_dir / "tmp",
        clock=services.clock,
        document_id=document_id,
        holder=holder_of(task),
    )
    return status.value


@casevault_task("casevault.ingest.requeue_stalled")
def requeue_stalled(task: Task) -> int:
    """Every ``ocr_stall_seconds``: no accepted upload waits forever for a lost task."""
    services = services_of(task)
    with transaction(services.new_session) as session:
        lost = stalled(session, clock=services.clock, stall_after=services.ocr_options.stall_after)
        mark_resent(session, document_ids=lost, clock=services.clock)
    return sum(services.tasks.ocr(document_id) for document_id in lost)
