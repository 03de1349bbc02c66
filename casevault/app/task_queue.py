"""Sending casevault's tasks: ids only, never names, text or paths.

A send that fails because the broker is away is not lost work: the row it is about
already says what is owed (a document ``queued``, a case ``restoring``), and the
periodic ``requeue_stalled`` task or the next sweep sends it again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kombu.exceptions import ChannelError, OperationalError

from casevault.core.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)

OCR_TASK = "casevault.ingest.ocr_document"
RESTORE_TASK = "casevault.retention.restore_case"
SWEEP_TASK = "casevault.retention.sweep"
ANCHOR_AUDIT_TASK = "casevault.archive.anchor_audit_chain"
VERIFY_AUDIT_TASK = "casevault.archive.verify_audit_chain"
BACKUP_TASK = "casevault.backup.daily"
SAR_BUNDLE_TASK = "casevault.policy.build_sar_bundle"
OCR_QUEUE = "ocr"
LIFECYCLE_QUEUE = "lifecycle"


def broker_name(settings: Settings, name: str) -> str:
    """What the broker calls one of ours: a queue (``OCR_QUEUE``, ``LIFECYCLE_QUEUE``), the
    broadcast exchange or a Redis key, prefixed so installations sharing a broker stay apart."""
    return settings.queue_prefix + name


class TaskQueue:
    def __init__(self, celery: Celery, settings: Settings) -> None:
        self.celery = celery
        self.settings = settings
        self.queues = (OCR_QUEUE, LIFECYCLE_QUEUE)  # as the metrics name them; the broker's names are prefixed

    def ocr(self, document_id: int) -> bool:
        """False when the broker is unreachable; ``requeue_stalled`` sends it later."""
        try:
            self.celery.send_task(OCR_TASK, args=[document_id])
        except (OperationalError, OSError):
            log.warning("broker unreachable: OCR of document %s will be requeued", document_id)
            return False
        return True

    def sar_bundle(self, bundle_id: int) -> bool:
        """False when the broker is unreachable: the bundle is marked failed, to be asked again."""
        try:
            self.celery.send_task(SAR_BUNDLE_TASK, args=[bundle_id])
        except (OperationalError, OSError):
            log.warning("broker unreachable: bundle %s was not sent to a worker", bundle_id)
            return False
        return True

    def restores(self, case_ids: Sequence[int]) -> None:
        """Every sweep finishes cases left ``restoring``, so a lost send only delays them."""
        for case_id in case_ids:
            try:
                self.celery.send_task(RESTORE_TASK, args=[case_id])
            except (OperationalError, OSError):
                log.warning("broker unreachable: case %s will be restored by the next sweep", case_id)

    def depths(self, *, timeout: float) -> dict[str, int]:
        """Messages waiting (not those a worker holds) per queue, one short connection.

        A passive declare reads the count without creating anything. Redis deletes an
        empty queue's list, so there "no such queue" means none waiting."""
        url = self.settings.broker_url
        # The caller's deadline is the bound; the socket timeouts (a little longer) only end the thread.
        options = (
            {"socket_connect_timeout": timeout + 1, "socket_timeout": timeout + 1}
            if url.startswith(("redis", "rediss"))
            else {}
        )
        depths = {}
        with self.celery.connection_for_read(connect_timeout=timeout + 1, transport_options=options) as connection:
            connection.ensure_connection(max_retries=0)  # no retry: kombu would sleep 2 s first
            for queue in self.queues:
                channel = connection.channel()  # one each: a refused declare closes its channel on AMQP
                try:
                    declared = channel.queue_declare(queue=broker_name(self.settings, queue), passive=True)
                    depths[queue] = declared.message_count
                except ChannelError as error:
                    if getattr(error, "code", None) != 404 and "NOT_FOUND" not in str(error):
                        raise
                    depths[queue] = 0
                finally:
                    _close_quietly(channel)
        return depths


def _close_quietly(channel: Any) -> None:
    try:
        # The SQLite broker's channel keeps a session whose read transaction would hold
        # a lock the workers need: end it now rather than when the channel is collected.
        session = getattr(channel, "_session", None)
        if session is not None:
            session.close()
        channel.close()
    except Exception:
        pass
