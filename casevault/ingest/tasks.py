"""Celery tasks for ingest: ids in, the service does the work."""

from __future__ import annotations

import datetime as dt
import logging

from celery import Celery, Task
from kombu.exceptions import OperationalError

from casevault.core.db import transaction
from casevault.core.tasks import casevault_task
from casevault.ingest import service
from casevault.ingest.options import OcrOptions, UploadLimits

log = logging.getLogger(__name__)
OCR_TASK = "casevault.ingest.ocr_document"


def enqueue_ocr(celery: Celery, document_id: int) -> bool:
    """Send the OCR task; False when the broker is unreachable. The document is
    stored and queued either way: ``requeue_stalled`` sends it again later."""
    try:
        celery.send_task(OCR_TASK, args=[document_id])
    except (OperationalError, OSError):
        log.warning("broker unreachable: OCR of document %s will be requeued", document_id)
        return False
    return True


@casevault_task(OCR_TASK)
def ocr_document(task: Task, document_id: int) -> str:
    container = task.app.container
    settings = container.settings
    status = service.process(
        new_session=container.new_session,
        vault=container.vault,
        options=OcrOptions.from_settings(settings),
        limits=UploadLimits.from_settings(settings),
        scratch=settings.data_dir / "tmp",
        clock=container.clock,
        document_id=document_id,
    )
    return status.value


@casevault_task("casevault.ingest.requeue_stalled")
def requeue_stalled(task: Task) -> int:
    """Every ``ocr_stall_seconds``: no accepted upload waits forever for a lost task."""
    container = task.app.container
    stall_after = dt.timedelta(seconds=container.settings.ocr_stall_seconds)
    with transaction(container.new_session) as session:
        stalled = service.stalled(session, clock=container.clock, stall_after=stall_after)
        service.mark_resent(session, document_ids=stalled, clock=container.clock)
    return sum(enqueue_ocr(task.app, document_id) for document_id in stalled)
