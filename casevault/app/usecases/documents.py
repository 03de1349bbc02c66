"""Uploading a document, importing a folder of scans, and sending a failed OCR back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from casevault.app.usecases import Parts
from casevault.core import audit
from casevault.core.casework import check_case_takes_documents, get_case_to_change
from casevault.core.consent import check_uploads_allowed
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import Case, Document, Person, ProvidedBy, Role, Tier, User
from casevault.ingest.accept import Accepted, UploadTarget, accept
from casevault.ingest.stalls import requeue
from casevault.retention.tagging import lifecycle_tags

IMPORTABLE = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}


@dataclass(frozen=True)
class Imported:
    """One file of an import: stored, skipped (already on the case) or failed, and why."""

    path: Path
    accepted: Accepted | None
    failure: str | None = None


class DocumentWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    def upload_target(self, *, case_id: int, user: User) -> UploadTarget:
        """Authorise an upload to a case before its body is read: the case must be the
        caller's and take documents now. Also finds the person's pseudonym and tags."""
        services = self._services
        with services.new_session() as session:
            case = get_case_to_change(session, case_id=case_id, user=user)
            check_case_takes_documents(case)
            check_uploads_allowed(session, case=case)  # permission to store, and a third party's referral
            person = session.get(Person, case.person_id)
            assert person is not None and case.id is not None  # a case always has its person
            tags = lifecycle_tags(tier=Tier.active, schedule=services.schedule)
            return UploadTarget(case_id=case.id, subject=person.pseudonym, tags=tags)

    def upload(
        self,
        target: UploadTarget,
        *,
        user: User,
        upload: Path,
        filename: str,
        correspondence_date: dt.date,
        provided_by: ProvidedBy,
    ) -> Accepted:
        """Check and store the file encrypted, record it queued, and send it to OCR."""
        services = self._services
        accepted = accept(
            new_session=services.new_session,
            vault=services.vault,
            target=target,
            user=user,
            upload=upload,
            filename=filename,
            correspondence_date=correspondence_date,
            provided_by=provided_by,
            limits=services.upload_limits,
            clock=services.clock,
        )
        if accepted.created:
            assert accepted.document.id is not None
            services.tasks.ocr(accepted.document.id)  # after the commit: the worker must find the row
        return accepted

    def import_folder(
        self,
        *,
        directory: Path,
        reference: str,
        username: str,
        correspondence_date: dt.date | None,
        provided_by: ProvidedBy,
    ) -> tuple[list[Path], Iterator[Imported]]:
        """Every scan in ``directory`` onto the case ``reference``, as the manager
        ``username``. Returns the files found and an iterator that imports them one by
        one (so the caller can show progress). Resumable: a file already on the case
        is skipped. A file without ``correspondence_date`` is dated by its modification
        time (never later than today)."""
        services = self._services
        with services.new_session() as session:
            case = session.exec(select(Case).where(Case.reference == reference)).first()
            user = session.exec(select(User).where(User.username == username, User.revoked_at.is_(None))).first()  # type: ignore[union-attr]  # SQLModel column
        if case is None or case.id is None:
            raise NotFound(f"no case with reference {reference}")
        if user is None or user.role != Role.manager:
            raise NotFound(f"no active manager called {username!r}; imports are done as a manager (--as-user)")
        files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in IMPORTABLE)
        target = self.upload_target(case_id=case.id, user=user)

        def each() -> Iterator[Imported]:
            for path in files:
                on = correspondence_date or dt.date.fromtimestamp(path.stat().st_mtime)
                try:
                    accepted = self.upload(
                        target,
                        user=user,
                        upload=path,
                        filename=path.name,
                        correspondence_date=min(on, services.clock.today()),
                        provided_by=provided_by,
                    )
                except CasevaultError as error:
                    yield Imported(path, None, error.detail)
                    continue
                yield Imported(path, accepted)

        return files, each()

    def retry_ocr(self, *, document_id: int, actor: str) -> bool:
        """Send a failed document to OCR again (its original was kept). False when the
        broker is away: it stays queued and is sent once the broker is back."""
        services = self._services
        with transaction(services.new_session) as session:
            document = session.get(Document, document_id)
            if document is None:
                raise NotFound(f"no document with id {document_id}")
            requeue(session, document=document, clock=services.clock)
            audit.record(
                session,
                clock=services.clock,
                actor=actor,
                action="document.requeue",
                subject_type="document",
                subject_id=document_id,
            )
        return services.tasks.ocr(document_id)
