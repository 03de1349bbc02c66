"""Subject access requests for the bundle's tests: a request on a person, each item marked,
and documents whose searchable PDF is a real PDF with words in it. Rows are written as the
request's own use cases write them (the request and its items are another room's work)."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import (
    CaseNote,
    Document,
    DocumentStatus,
    ItemDecision,
    NoteKind,
    ProvidedBy,
    RequesterKind,
    SarItem,
    SarRedaction,
    SubjectAccessRequest,
    Tier,
    Variant,
)
from casevault.ingest.accept import stored_row
from casevault.retention.tagging import lifecycle_tags
from tests.ingest.scans import pdf_with_text_pages


def add_pdf_document(
    container: Services,
    tmp_path: Path,
    *,
    case_id: int,
    subject: str,
    pages: list[tuple[str, ...]],
    provided_by: ProvidedBy = ProvidedBy.school,
    name: str = "letter.pdf",
    date: dt.date = dt.date(2026, 9, 2),
) -> int:
    """A ready document whose original and searchable variants are this text PDF."""
    source = pdf_with_text_pages(tmp_path / f"{secrets.token_hex(4)}.pdf", pages)
    tags = lifecycle_tags(tier=Tier.active, schedule=container.schedule)
    variants = (Variant.original, Variant.searchable)
    stored = [container.vault.put(subject=subject, source=source, tier=Tier.active, tags=tags) for _ in variants]
    with transaction(container.new_session) as session:
        document = Document(
            case_id=case_id,
            original_filename=name,
            content_type="application/pdf",
            size=stored[0].size,
            sha256=stored[0].sha256,
            correspondence_date=date,
            provided_by=provided_by,
            status=DocumentStatus.ready,
            page_count=len(pages),
        )
        session.add(document)
        session.flush()
        for variant, put in zip(variants, stored, strict=True):
            session.add(stored_row(document, variant, put, Tier.active))
        assert document.id is not None
        return document.id


def add_note(container: Services, *, case_id: int, text: str, date: dt.date = dt.date(2026, 9, 3)) -> int:
    with transaction(container.new_session) as session:
        note = CaseNote(case_id=case_id, kind=NoteKind.progress_summary, text=text, date=date)
        session.add(note)
        session.flush()
        assert note.id is not None
        return note.id


def open_request(container: Services, *, person_id: int, opened_by: int) -> int:
    with transaction(container.new_session) as session:
        request = SubjectAccessRequest(
            reference=f"SAR-{secrets.randbelow(10**8):08d}",
            person_id=person_id,
            requester_kind=RequesterKind.parent_carer,
            requester_name="Pat Example",
            received_on=dt.date(2026, 11, 2),
            due_on=dt.date(2026, 12, 2),
            opened_by=opened_by,
        )
        session.add(request)
        session.flush()
        assert request.id is not None
        return request.id


def mark(
    container: Services,
    request_id: int,
    decision: ItemDecision,
    reason: str,
    *,
    document_id: int | None = None,
    note_id: int | None = None,
) -> None:
    with transaction(container.new_session) as session:
        session.add(
            SarItem(request_id=request_id, document_id=document_id, note_id=note_id, decision=decision, reason=reason)
        )


def redact_term(container: Services, request_id: int, *, document_id: int, term: str, by: int) -> None:
    with transaction(container.new_session) as session:
        session.add(
            SarRedaction(
                request_id=request_id,
                document_id=document_id,
                term=term,
                category="third_party",
                legal_basis="UK GDPR Art. 15(4): a third party's name",
                redacted_by=by,
            )
        )


def redact_region(container: Services, request_id: int, *, document_id: int, page: int, redacted_by: int) -> None:
    with transaction(container.new_session) as session:
        session.add(
            SarRedaction(
                request_id=request_id,
                document_id=document_id,
                page=page,
                left=0.0,
                top=0.0,
                width=1.0,
                height=0.3,
                category="third_party",
                legal_basis="UK GDPR Art. 15(4): a third party's name",
                redacted_by=redacted_by,
            )
        )
