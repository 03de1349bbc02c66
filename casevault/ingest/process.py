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
import datetime as dt
import logging
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, delete, select

from casevault.archive import PutResult, Vault
from casevault.core import audit, counters
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import Case, Document, DocumentStatus, PageText, Person, StoredObject, Tier, Variant
from casevault.ingest.accept import stored_row
from casevault.ingest.normalise import normalise_upload
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import PageResult, make_searchable

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
) -> DocumentStatus:
    """OCR one document. Returns its final status; raises only retryable errors.

    While it runs, a heartbeat keeps the document's claim fresh; a worker that
    dies stops it, and after ``options.stall_after`` another worker takes over."""
    claim = _claim(new_session, document_id=document_id, clock=clock, stall_after=options.stall_after)
    if claim is None:
        return _status(new_session, document_id)
    started = time.monotonic()
    try:
        with _workdir(scratch) as workdir, heartbeat(new_session, document_id=document_id, clock=clock, every=options.stall_after / 3):
            original = workdir / "original"
            vault.read_to(subject=claim.subject, object_key=claim.original.object_key, tier=claim.original.tier, dest=original)
            normalised = normalise_upload(original, workdir=workdir, limits=limits)
            result = make_searchable(normalised.pdf, workdir=workdir, options=options)
            tags = vault.get_tags(object_key=claim.original.object_key, tier=claim.original.tier)
            stored = vault.put(subject=claim.subject, source=result.searchable_pdf, tier=claim.original.tier, tags=tags)
    except CasevaultError as error:
        if error.retryable:
            with transaction(new_session) as session:
                _set_status(session, document_id, DocumentStatus.queued, None, clock)
            raise
        _fail(new_session, document_id=document_id, reason=error.detail, clock=clock)
        return DocumentStatus.failed
    except Exception:
        # A bug or a crash in a library: say so on the document, keep the original, let Celery record it.
        _fail(new_session, document_id=document_id, reason="processing failed unexpectedly; retry with `casevault ocr retry`", clock=clock)
        raise
    replaced = _record_searchable(new_session, document_id=document_id, stored=stored, tier=claim.original.tier, pages=result.pages,
                                  seconds=time.monotonic() - started, clock=clock)
    if replaced:  # an earlier attempt's object, now unreferenced
        vault.delete_everywhere([replaced], tiers=[claim.original.tier])
    return DocumentStatus.ready


@dataclasses.dataclass(frozen=True)
class _Claim:
    subject: str
    original: StoredObject


def _claim(new_session: SessionFactory, *, document_id: int, clock: Clock, stall_after: dt.timedelta) -> _Claim | None:
    """Mark the document processing unless it is done, failed, or another worker holds it."""
    with transaction(new_session) as session:
        document = session.get(Document, document_id)
        if document is None:
            log.info("document %s is gone (destroyed?): nothing to do", document_id)
            return None
        now = clock.now()
        held_by_other = document.status == DocumentStatus.processing and now - document.updated_at < stall_after
        if document.status in (DocumentStatus.ready, DocumentStatus.failed) or held_by_other:
            log.info("document %s is %s: not processing it again", document_id, document.status.value)
            return None
        original = session.exec(
            select(StoredObject).where(StoredObject.document_id == document_id, StoredObject.variant == Variant.original)
        ).one()
        case = session.get(Case, document.case_id)
        person = session.get(Person, case.person_id)  # type: ignore[union-attr]
        document.status, document.updated_at = DocumentStatus.processing, now
        session.add(document)
        return _Claim(subject=person.pseudonym, original=original)  # type: ignore[union-attr]


def _record_searchable(
    new_session: SessionFactory, *, document_id: int, stored: PutResult, tier: Tier, pages: Sequence[PageResult],
    seconds: float, clock: Clock,
) -> str | None:
    with transaction(new_session) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} was removed while it was processed")
        previous = session.exec(
            select(StoredObject).where(StoredObject.document_id == document_id, StoredObject.variant == Variant.searchable)
        ).first()
        replaced = previous.object_key if previous else None
        if previous:
            session.delete(previous)
            session.flush()
        session.add(stored_row(document, Variant.searchable, stored, tier))
        session.exec(delete(PageText).where(PageText.document_id == document_id))  # type: ignore[call-overload]
        session.add_all(PageText(document_id=document_id, page=page.page, text=page.text) for page in pages)
        document.status, document.failure_reason = DocumentStatus.ready, None
        document.page_count, document.updated_at = len(pages), clock.now()
        session.add(document)
        ocred = sum(1 for page in pages if page.method == "ocr")
        audit.record(
            session, clock=clock, actor="system", action="document.ocr", subject_type="document", subject_id=document_id,
            details={"pages": len(pages), "ocr_pages": ocred},
        )
        counters.add(session, counters.OCR_PAGES.name, ocred, label="ocr")
        counters.add(session, counters.OCR_PAGES.name, len(pages) - ocred, label="text")
        counters.add(session, counters.OCR_SECONDS.name, seconds)
        return replaced


def _fail(new_session: SessionFactory, *, document_id: int, reason: str, clock: Clock) -> None:
    """The failure and its audit row commit together, or neither does."""
    with transaction(new_session) as session:
        _set_status(session, document_id, DocumentStatus.failed, reason, clock)
        audit.record(session, clock=clock, actor="system", action="document.ocr", outcome="failed", subject_type="document", subject_id=document_id)
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


@contextmanager
def heartbeat(new_session: SessionFactory, *, document_id: int, clock: Clock, every: dt.timedelta) -> Iterator[None]:
    """Touch the processing document every ``every`` from a thread, until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every.total_seconds()):
            try:
                with transaction(new_session) as session:
                    session.execute(
                        sa.update(Document).where(Document.id == document_id, Document.status == DocumentStatus.processing)
                        .values(updated_at=clock.now())
                    )
            except sa.exc.SQLAlchemyError:
                # The database is away: the next beat tries again; if it stays away
                # long enough another worker may take the document over, which is safe.
                log.warning("OCR heartbeat of document %s not recorded", document_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{document_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def _workdir(scratch: Path) -> Iterator[Path]:
    scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix="ocr-") as path:
        yield Path(path)

