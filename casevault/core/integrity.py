"""Integrity alerts: a stored object failed its check as it was read.

Each alert is one ERROR line naming the object key and the document (ids only,
nothing personal) and one count in ``casevault_integrity_alerts_total``, committed
in a transaction of its own so that it stands even though the read that failed
(and the request or task around it) does not.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from casevault.core import counters
from casevault.core.db import SessionFactory, transaction

log = logging.getLogger(__name__)


def integrity_alert(
    new_session: SessionFactory, *, operation: str, object_key: str, document_id: int | None, detail: str
) -> None:
    """Log and count a failed integrity check; ``operation`` is a value of the counter's label."""
    log.error(
        "INTEGRITY ALERT during %s: object %s of document %s failed its integrity check (%s); "
        "restore the object from a backup",
        operation,
        object_key,
        document_id,
        detail,
    )
    try:
        with transaction(new_session) as session:
            counters.add(session, counters.INTEGRITY_ALERTS.name, label=operation)
    except SQLAlchemyError:
        log.error("integrity alert for object %s not counted: the database did not answer", object_key)
