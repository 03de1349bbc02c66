"""Accepting an upload: check it, store the original encrypted, record it as queued.

Runs in the upload request (or an import), after the caller has found where the
upload goes (``UploadTarget``: the case, its person's pseudonym and the lifecycle
tags). Each step is short, so no transaction is open while bytes are checked or
stored; a failure after the object was stored removes it again. Idempotent: the
same file uploaded twice to a case is one document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from casevault.archive import LifecycleTags, PutResult, Vault
from casevault.core import audit
from casevault.core.casework import check_case_takes_documents, get_case_to_change, note_correspondence
from casevault.core.clock import Clock
from casevault.core.consent import check_uploads_allowed
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import InvalidInput
from casevault.core.models import Case, Document, DocumentStatus, ProvidedBy, StoredObject, Tier, User, Variant
from casevault.ingest.normalise import Inspection, inspect_upload
from casevault.ingest.options import UploadLimits

HASH_CHUNK = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class UploadTarget:
    """Where an upload goes, found (and the caller authorised) before its bytes are read."""

    case_id: int
    subject: str  # the person's pseudonym: their data key and nothing readable
    tags: LifecycleTags


@dataclasses.dataclass(frozen=True)
class Accepted:
    document: Document
    created: bool  # False: the same file was already on this case


def accept(
    *,
    new_session: SessionFactory,
    vault: Vault,
    target: UploadTarget,
    user: User,
    upload: Path,
    filename: str,
    correspondence_date: dt.date,
    provided_by: ProvidedBy,
    limits: UploadLimits,
    clock: Clock,
) -> Accepted:
    """Check, store encrypted, record as queued. The case is checked again when the
    document is recorded: it may have been closed, archived or destroyed meanwhile."""
    if correspondence_date > clock.today():
        raise InvalidInput(f"correspondence_date {correspondence_date} is in the future", field="correspondence_date")
    sha256 = file_sha256(upload)
    with new_session() as session:
        existing = _same_file(session, case_id=target.case_id, sha256=sha256)
    if existing is not None:
        return Accepted(existing, created=False)

    inspection = inspect_upload(upload, limits=limits)  # 413 / 415 / 422 before anything is stored
    stored = vault.put(subject=target.subject, source=upload, tier=Tier.active, tags=target.tags)
    try:
        with transaction(new_session) as session:
            case = get_case_to_change(session, case_id=target.case_id, user=user)
            check_case_takes_documents(case)
            check_uploads_allowed(session, case=case)  # consent may have been withdrawn meanwhile
            document = _record_upload(
                session,
                case=case,
                stored=stored,
                inspection=inspection,
                filename=filename,
                correspondence_date=correspondence_date,
                provided_by=provided_by,
                user=user,
                clock=clock,
            )
            return Accepted(document, created=True)
    except IntegrityError:  # the same file, uploaded at the same moment, won the race
        vault.delete_everywhere([stored.object_key], tiers=[Tier.active])
        with new_session() as session:
            winner = _same_file(session, case_id=target.case_id, sha256=sha256)
        if winner is None:
            raise
        return Accepted(winner, created=False)
    except BaseException:
        vault.delete_everywhere([stored.object_key], tiers=[Tier.active])
        raise


def _same_file(session: Session, *, case_id: int, sha256: str) -> Document | None:
    return session.exec(select(Document).where(Document.case_id == case_id, Document.sha256 == sha256)).first()


def _record_upload(
    session: Session,
    *,
    case: Case,
    stored: PutResult,
    inspection: Inspection,
    filename: str,
    correspondence_date: dt.date,
    provided_by: ProvidedBy,
    user: User,
    clock: Clock,
) -> Document:
    assert case.id is not None and user.id is not None  # rows read from the database
    now = clock.now()
    document = Document(
        case_id=case.id,
        original_filename=display_name(filename),
        content_type=inspection.content_type,
        size=stored.size,
        sha256=stored.sha256,
        correspondence_date=correspondence_date,
        provided_by=provided_by,
        status=DocumentStatus.queued,
        page_count=inspection.page_count,
        tier=Tier.active,
        uploaded_by=user.id,
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    session.flush()
    session.add(stored_row(document, Variant.original, stored, Tier.active))
    note_correspondence(case, on=correspondence_date)
    case.updated_at = now
    session.add(case)
    audit.record(
        session,
        clock=clock,
        actor=audit.actor_of(user),
        action="document.upload",
        subject_type="document",
        subject_id=document.id,
        details={
            "case": case.id,
            "bytes": stored.size,
            "pages": inspection.page_count,
            "active_content": inspection.had_active_content,
        },
    )
    session.flush()
    return document


def stored_row(document: Document, variant: Variant, stored: PutResult, tier: Tier) -> StoredObject:
    assert document.id is not None  # flushed
    return StoredObject(
        document_id=document.id,
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


def display_name(filename: str) -> str:
    """The client's file name as metadata only: no directories, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name.strip("."):  # "." or "..": a directory, not a name to download a file as
        name = ""
    return (name or "upload")[:255]
