"""Documents whose OCR task was lost, and failed documents sent back to the queue.

A worker that dies stops renewing its OCR lease; a broker that loses a message (or
was down at upload) leaves a document queued. ``stalled`` finds both, so the periodic
``requeue_stalled`` task can send them again; nothing accepted waits for ever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict
from casevault.core.lease import held, lease_name
from casevault.core.models import Document, DocumentStatus


def requeue(session: Session, *, document: Document, clock: Clock) -> None:
    """Put a failed document back in the queue (the original was kept)."""
    if document.status != DocumentStatus.failed:
        raise Conflict(f"document {document.id} is {document.status.value}; only a failed document is retried")
    document.status, document.failure_reason, document.updated_at = DocumentStatus.queued, None, clock.now()
    session.add(document)


def stalled(session: Session, *, clock: Clock, stall_after: dt.timedelta) -> list[int]:
    """Documents whose task was lost: processing with nobody holding their OCR lease
    (the worker died and the lease ran out), or queued for three times ``stall_after``
    (the broker lost the message, or was down at upload). A long backlog may send a
    document twice; the second task finds it held or done and does nothing."""
    now = clock.now()
    rows = session.exec(
        select(Document.id, Document.status, Document.updated_at).where(
            col(Document.status).in_([DocumentStatus.queued, DocumentStatus.processing])
        )
    ).all()
    found = [(id_, status, updated) for id_, status, updated in rows if id_ is not None]  # read rows have ids
    processing = {
        id_: lease_name("ocr", "document", id_) for id_, status, _ in found if status == DocumentStatus.processing
    }
    live = held(session, names=processing.values(), clock=clock)
    return [
        id_
        for id_, status, updated in found
        if (processing[id_] not in live if status == DocumentStatus.processing else now - updated > stall_after * 3)
    ]


def mark_resent(session: Session, *, document_ids: Sequence[int], clock: Clock) -> None:
    """Restart the stall period of documents about to be sent again, so a long
    backlog is resent once a period, not at every check."""
    if document_ids:
        session.execute(
            sa.update(Document)
            .where(col(Document.id).in_(document_ids), col(Document.status) == DocumentStatus.queued)
            .values(updated_at=clock.now())
        )
