"""Accepting uploads and turning them into searchable documents.

``accept`` runs in the upload request: check, store the original encrypted,
record the document as queued. ``process`` runs in the OCR task: claim, fetch
and decrypt, normalise, OCR, store the searchable PDF, index the page text,
mark ready. Both are idempotent: the same file uploaded twice to a case is one
document, and a redelivered task converges to the same rows and objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select

from casevault.archive import LifecycleTags, PutResult, Vault
from casevault.core import audit, counters
from casevault.core.casework import check_case_takes_documents, get_case, note_correspondence
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import CasevaultError, Conflict, InvalidInput, NotFound
from casevault.core.models import (
    Case,
    Document,
    DocumentStatus,
    PageText,
    Person,
    ProvidedBy,
    StoredObject,
    Tier,
    User,
    Variant,
)
from casevault.ingest.normalise import NormalisedDocument, normalise_upload
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.ingest.searchable import PageResult, make_searchable

log = logging.getLogger(__name__)
HASH_CHUNK = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Accepted:
    document: Document
    created: bool  # False: the same file was already on this case


def accept(
    *,
    new_session: SessionFactory,
    vault: Vault,
    case_id: int,
    user: User,
    upload: Path,
    filename: str,
    correspondence_date: dt.date,
    provided_by: ProvidedBy,
    limits: UploadLimits,
    tags_for: Callable[[dt.date], LifecycleTags],
    workdir: Path,
    clock: Clock,
) -> Accepted:
    """Check, store encrypted, record as queued. Each step is short, so no
    transaction is open while bytes are checked or stored; a failure after the
    object was stored removes it again."""
    if correspondence_date > clock.today():
        raise InvalidInput(f"correspondence_date {correspondence_date} is in the future", field="correspondence_date")
    sha256 = file_sha256(upload)
    with transaction(new_session) as session:
        case, person = _writable_case(session, case_id=case_id, user=user)
        existing = _same_file(session, case_id=case_id, sha256=sha256)
        if existing is not None:
            return Accepted(existing, created=False)
        subject, tags = person.pseudonym, tags_for(person.date_of_birth)

    checked = normalise_upload(upload, workdir=workdir, limits=limits)  # 415 / 422 before anything is stored
    stored = vault.put(subject=subject, source=upload, tier=Tier.active, tags=tags)
    try:
        with transaction(new_session) as session:
            case, _ = _writable_case(session, case_id=case_id, user=user)  # it may have changed meanwhile
            document = _record_upload(session, case=case, stored=stored, checked=checked, filename=filename,
                                      correspondence_date=correspondence_date, provided_by=provided_by, user=user, clock=clock)
            return Accepted(document, created=True)
    except IntegrityError:  # the same file, uploaded at the same moment, won the race
        vault.delete_everywhere([stored.object_key], tiers=[Tier.active])
        with new_session() as session:
            return Accepted(_same_file(session, case_id=case_id, sha256=sha256), created=False)  # type: ignore[arg-type]
    except BaseException:
        vault.delete_everywhere([stored.object_key], tiers=[Tier.active])
        raise


def _writable_case(session: Session, *, case_id: int, user: User) -> tuple[Case, Person]:
    case = get_case(session, case_id=case_id, user=user)
    check_case_takes_documents(case)
    return case, session.get(Person, case.person_id)  # type: ignore[return-value]


def _same_file(session: Session, *, case_id: int, sha256: str) -> Document | None:
    return session.exec(select(Document).where(Document.case_id == case_id, Document.sha256 == sha256)).first()


def _record_upload(
    session: Session, *, case: Case, stored: PutResult, checked: NormalisedDocument, filename: str,
    correspondence_date: dt.date, provided_by: ProvidedBy, user: User, clock: Clock,
) -> Document:
    now = clock.now()
    document = Document(
        case_id=case.id,  # type: ignore[arg-type]
        original_filename=_display_name(filename),
        content_type=checked.content_type,
        size=stored.size,
        sha256=stored.sha256,
        correspondence_date=correspondence_date,
        provided_by=provided_by,
        status=DocumentStatus.queued,
        page_count=checked.page_count,
        tier=Tier.active,
        uploaded_by=user.id,
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    session.flush()
    session.add(_stored_row(document, Variant.original, stored, Tier.active))
    note_correspondence(case, on=correspondence_date)
    case.updated_at = now
    session.add(case)
    audit.record(
        session, clock=clock, actor=f"user:{user.id}", action="document.upload", subject_type="document", subject_id=document.id,
        details={"case": case.id, "bytes": stored.size, "pages": checked.page_count, "active_content": checked.had_active_content},
    )
    session.flush()
    return document


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
        session.add(_stored_row(document, Variant.searchable, stored, tier))
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


def requeue(session: Session, *, document: Document, clock: Clock) -> None:
    """Put a failed document back in the queue (the original was kept)."""
    if document.status != DocumentStatus.failed:
        raise Conflict(f"document {document.id} is {document.status.value}; only a failed document is retried")
    document.status, document.failure_reason, document.updated_at = DocumentStatus.queued, None, clock.now()
    session.add(document)


def stalled(session: Session, *, clock: Clock, stall_after: dt.timedelta) -> list[int]:
    """Documents whose task was lost: processing with no heartbeat for ``stall_after``
    (the worker died), or queued for three times that (the broker lost the message,
    or was down at upload). A long backlog may send a document twice; the second
    task finds it claimed or done and does nothing."""
    now = clock.now()
    rows = session.exec(
        select(Document.id, Document.status, Document.updated_at).where(
            Document.status.in_([DocumentStatus.queued, DocumentStatus.processing])  # type: ignore[attr-defined]
        )
    ).all()
    return [
        id_ for id_, status, updated in rows
        if now - updated > (stall_after * 3 if status == DocumentStatus.queued else stall_after)
    ]


def mark_resent(session: Session, *, document_ids: Sequence[int], clock: Clock) -> None:
    """Restart the stall period of documents about to be sent again, so a long
    backlog is resent once a period, not at every check."""
    if document_ids:
        session.execute(
            sa.update(Document).where(Document.id.in_(document_ids), Document.status == DocumentStatus.queued)  # type: ignore[attr-defined]
            .values(updated_at=clock.now())
        )


def _stored_row(document: Document, variant: Variant, stored: PutResult, tier: Tier) -> StoredObject:
    return StoredObject(
        document_id=document.id,  # type: ignore[arg-type]
        variant=variant,
        object_key=stored.object_key,
        tier=tier,
        sha256=stored.sha256,
        size=stored.size,
        stored_size=stored.stored_size,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _display_name(filename: str) -> str:
    """The client's file name as metadata only: no directories, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "upload")[:255]


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

