"""Processing an accepted upload into a searchable document (the OCR task's work).

``process``: claim, fetch and decrypt, normalise, OCR, store the searchable PDF,
index the page text, mark ready. Idempotent: a redelivered task converges to the
same rows and objects.

It opens its own short transactions rather than taking the caller's session:
OCR runs for minutes, and no transaction (on SQLite, the write lock) may stay
open that long. See docs/architecture.md, "Who owns the transaction".
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session, col, delete, select

from casevault.archive import PutResult, Vault
from casevault.core import audit, counters
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.lease import Lease, LeaseLost, lease_name
from casevault.core.models import Case, Document, DocumentStatus, PageText, Person, StoredObject, Tier, Variant
from casevault.core.scratch import private_dir
from casevault.ingest.accept import stored_row
from casevault.ingest.normalise import normalise_upload
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import PageResult, make_searchable
from casevault.ingest.words import PageWords
from casevault.ingest.words import encode as encode_words

log = logging.getLogger(__name__)


def process(
    *,
    new_session: SessionFactory,
    vault: Vault,
    options: OcrOptions,
    limits: UploadLimits,
    scratch: Path,
    clock: Clock,
    document_id: int,
    holder: str,
) -> DocumentStatus:
    """OCR one document under the lease ``ocr:document:<id>``, held by ``holder`` (the task id).
    Returns its final status; raises only retryable errors.

    A heartbeat keeps the lease while OCR runs. A redelivered task (same id) takes its
    lease back at once; a worker that dies otherwise loses it after ``options.stall_after``."""
    lease = Lease(
        new_session,
        name=lease_name("ocr", "document", document_id),
        holder=holder,
        duration=options.stall_after,
        clock=clock,
    )
    claim = _claim(new_session, document_id=document_id, lease=lease, clock=clock)
    if claim is None:
        return _status(new_session, document_id)
    started = time.monotonic()
    try:
        with private_dir(scratch, "ocr") as workdir, lease.heartbeat() as beat:
            original = workdir / "original"
            vault.read_to(
                subject=claim.subject, object_key=claim.original.object_key, tier=claim.original.tier, dest=original
            )
            normalised = normalise_upload(original, workdir=workdir, limits=limits)
            beat.check()
            result = make_searchable(normalised.pdf, workdir=workdir, options=options)
            beat.check()
            tags = vault.get_tags(object_key=claim.original.object_key, tier=claim.original.tier)
            words = workdir / "words.json"  # plaintext only in the private scratch dir, removed with it
            words.write_bytes(encode_words([PageWords(page.page, page.words) for page in result.pages]))
            stored = vault.put(subject=claim.subject, source=result.searchable_pdf, tier=claim.original.tier, tags=tags)
            try:
                stored_words = vault.put(subject=claim.subject, source=words, tier=claim.original.tier, tags=tags)
            except BaseException:
                vault.delete_everywhere([stored.object_key], tiers=[claim.original.tier])
                raise
    except LeaseLost:
        log.warning("document %s: OCR lease lost mid-work; its new holder finishes it", document_id)
        return _status(new_session, document_id)
    except CasevaultError as error:
        if error.retryable:
            with transaction(new_session) as session:
                _set_status(session, document_id, DocumentStatus.queued, None, clock)
                lease.release(session)
            raise
        _fail(new_session, document_id=document_id, reason=error.detail, lease=lease, clock=clock)
        return DocumentStatus.failed
    except Exception:
        # A bug or a crash in a library: say so on the document, keep the original, let Celery record it.
        reason = "processing failed unexpectedly; retry with `casevault ocr retry`"
        _fail(new_session, document_id=document_id, reason=reason, lease=lease, clock=clock)
        raise
    try:
        replaced = _record_searchable(
            new_session,
            document_id=document_id,
            stored={Variant.searchable: stored, Variant.words: stored_words},
            tier=claim.original.tier,
            pages=result.pages,
            seconds=time.monotonic() - started,
            lease=lease,
            clock=clock,
        )
    except LeaseLost:
        # Another holder took the document over: its result is the one recorded, ours is unreferenced.
        log.warning("document %s: OCR lease lost before recording; this result is discarded", document_id)
        vault.delete_everywhere([stored.object_key, stored_words.object_key], tiers=[claim.original.tier])
        return _status(new_session, document_id)
    if replaced:  # an earlier attempt's objects, now unreferenced
        vault.delete_everywhere(replaced, tiers=[claim.original.tier])
    return DocumentStatus.ready


@dataclasses.dataclass(frozen=True)
class _Claim:
    subject: str
    original: StoredObject


def _claim(new_session: SessionFactory, *, document_id: int, lease: Lease, clock: Clock) -> _Claim | None:
    """Take the lease and mark the document processing, unless it is done, failed, or another task holds it."""
    with transaction(new_session) as session:
        document = session.get(Document, document_id)
        if document is None:
            log.info("document %s is gone (destroyed?): nothing to do", document_id)
            return None
        if document.status in (DocumentStatus.ready, DocumentStatus.failed):
            log.info("document %s is %s: not processing it again", document_id, document.status.value)
            return None
        if not lease.take(session):
            log.info("document %s is being processed by another task", document_id)
            return None
        original = session.exec(
            select(StoredObject).where(
                StoredObject.document_id == document_id, StoredObject.variant == Variant.original
            )
        ).one()
        case = session.get(Case, document.case_id)
        person = session.get(Person, case.person_id)  # type: ignore[union-attr]  # a document's case exists
        document.status, document.updated_at = DocumentStatus.processing, clock.now()
        session.add(document)
        return _Claim(subject=person.pseudonym, original=original)  # type: ignore[union-attr]  # a case's person exists


def _record_searchable(
    new_session: SessionFactory,
    *,
    document_id: int,
    stored: dict[Variant, PutResult],
    tier: Tier,
    pages: Sequence[PageResult],
    seconds: float,
    lease: Lease,
    clock: Clock,
) -> list[str]:
    """Record the result only if the lease is still ours, and free it in the same commit."""
    with transaction(new_session) as session:
        lease.ensure_held(session)
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} was removed while it was processed")
        previous = session.exec(
            select(StoredObject).where(
                StoredObject.document_id == document_id, col(StoredObject.variant).in_(list(stored))
            )
        ).all()
        replaced = [row.object_key for row in previous]
        for row in previous:
            session.delete(row)
        session.flush()
        session.add_all(stored_row(document, variant, put, tier) for variant, put in stored.items())
        session.execute(delete(PageText).where(col(PageText.document_id) == document_id))
        session.add_all(PageText(document_id=document_id, page=page.page, text=page.text) for page in pages)
        document.status, document.failure_reason = DocumentStatus.ready, None
        document.page_count, document.updated_at = len(pages), clock.now()
        session.add(document)
        ocred = sum(1 for page in pages if page.method == "ocr")
        audit.record(
            session,
            clock=clock,
            actor="system",
            action="document.ocr",
            subject_type="document",
            subject_id=document_id,
            details={"pages": len(pages), "ocr_pages": ocred},
        )
        counters.add(session, counters.OCR_PAGES.name, ocred, label="ocr")
        counters.add(session, counters.OCR_PAGES.name, len(pages) - ocred, label="text")
        counters.add(session, counters.OCR_SECONDS.name, seconds)
        lease.release(session)
        return replaced


def _fail(new_session: SessionFactory, *, document_id: int, reason: str, lease: Lease, clock: Clock) -> None:
    """The failure, its audit row and the lease's release commit together, or none does."""
    with transaction(new_session) as session:
        lease.release(session)
        _set_status(session, document_id, DocumentStatus.failed, reason, clock)
        audit.record(
            session,
            clock=clock,
            actor="system",
            action="document.ocr",
            outcome="failed",
            subject_type="document",
            subject_id=document_id,
        )
        counters.add(session, counters.OCR_FAILURES.name)


def _set_status(session: Session, document_id: int, status: DocumentStatus, reason: str | None, clock: Clock) -> None:
    document = session.get(Document, document_id)
    if document is not None:
        document.status, document.failure_reason, document.updated_at = status, reason, clock.now()
        session.add(document)


def _status(new_session: SessionFactory, document_id: int) -> DocumentStatus:
    with new_session() as session:
        document = session.get(Document, document_id)
        return document.status if document else DocumentStatus.failed
