"""The redaction log of a subject access request (managers): mark a region of a page or a
term on every page of a document, a second manager reviews it, and a page preview shows
what will go out with the boxes burned in.

A term is personal (a third party's name): it lives in its row only, shown to managers,
never in the audit log (ids, page, kind and category only), never in keys or task
arguments. Finding a term reads the document's word positions (stored encrypted; OCR of
the pages for a document processed before they were kept), so the methods that need them
open their own short transactions and hold none across the reading (on SQLite an open
transaction would lock out the data key's lookup).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session, col, select

from casevault.app.usecases import Parts
from casevault.app.usecases.sar_bundles import supersede_bundle
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.errors import Conflict, Forbidden, InvalidInput, NotFound, NotVisible
from casevault.core.models import (
    BundleStatus,
    Case,
    Document,
    DocumentStatus,
    Person,
    RedactionCategory,
    Role,
    SarBundle,
    SarRedaction,
    SarStatus,
    StoredObject,
    SubjectAccessRequest,
    User,
    Variant,
)
from casevault.core.regions import Region
from casevault.core.scratch import private_dir
from casevault.ingest.options import OcrOptions
from casevault.ingest.redact import PREVIEW_DPI, burn, regions_for_term, render_page, words_for
from casevault.ingest.words import PageWords

MAX_TERM = 200


class _Parts(Parts, Protocol):
    @property
    def ocr_options(self) -> OcrOptions: ...


@dataclasses.dataclass(frozen=True)
class Mark:
    """What a manager marks: a region of one page, or a term (every page)."""

    document_id: int
    category: RedactionCategory
    legal_basis: str
    page: int | None = None
    region: tuple[float, float, float, float] | None = None  # left, top, width, height: fractions
    term: str | None = None


@dataclasses.dataclass(frozen=True)
class Preview:
    png: bytes
    regions: int  # burned into this page


@dataclasses.dataclass(frozen=True)
class _Target:
    request_id: int
    document_id: int
    subject: str
    pages: int
    searchable: tuple[str, object] | None  # object key, tier
    unread: bool = False  # its reading failed: it has no page to show or mark until it is read again

    def refuse_unread(self) -> None:
        if self.unread:
            raise Conflict(
                f"document {self.document_id} could not be read (its OCR failed): queue it for OCR again or scan it"
                " again before marking it, or withhold it"
            )


class RedactionWork:
    def __init__(self, services: _Parts) -> None:
        self._services = services

    # --- the log ----------------------------------------------------------------------

    def add(
        self,
        *,
        request_id: int,
        document_id: int,
        category: RedactionCategory,
        legal_basis: str,
        page: int | None = None,
        region: tuple[float, float, float, float] | None = None,
        term: str | None = None,
        user: User,
    ) -> SarRedaction:
        """Record a redaction: a ``region`` (left, top, width, height: fractions of the page
        from its top left) of ``page``, or a ``term`` on every page. A region must lie on a page
        of the document, within the page and not be empty; a term of 1 to 200 characters must
        be found on at least one page."""
        mark = Mark(document_id, category, legal_basis, page, region, term)
        _manager(user)
        region, term = _checked(mark)
        services = self._services
        with services.new_session() as session:
            target = _target(session, request_id=request_id, document_id=mark.document_id, user=user)
            _open(session, request_id)
        target.refuse_unread()  # a region would be marked blind, and a term looked for by reading it again
        if region is not None and not target.pages:  # "between 1 and 0" said nothing
            raise InvalidInput(
                f"document {mark.document_id} has no pages to mark a region on: withhold it if it must not be released",
                field="page",
            )
        if region is not None and not 1 <= (mark.page or 0) <= target.pages:
            raise InvalidInput(
                f"page must be between 1 and {target.pages}, the pages of document {mark.document_id}", field="page"
            )
        found = 0
        if term is not None:
            found = len(regions_for_term(self._words(mark.document_id), term))
            if not found:
                raise InvalidInput(
                    f"the term was not found on any page of document {mark.document_id}: check its spelling, "
                    "or mark the place as a region instead (the page may have been read badly)",
                    field="term",
                )
        with transaction(services.new_session) as session:
            _open(session, request_id)
            row = SarRedaction(
                request_id=request_id,
                document_id=mark.document_id,
                page=mark.page if region is not None else None,
                left=region[0] if region else None,
                top=region[1] if region else None,
                width=region[2] if region else None,
                height=region[3] if region else None,
                term=term,
                category=mark.category,
                legal_basis=mark.legal_basis.strip(),
                redacted_by=user.id,  # type: ignore[arg-type]  # a signed-in user is stored
                redacted_at=services.clock.now(),
            )
            session.add(row)
            session.flush()
            supersede_bundle(session, request_id, what_changed="a redaction was added")
            self._audit(
                session,
                user,
                "redaction.add",
                row,
                kind="term" if term is not None else "region",
                page=row.page,
                places=found or 1,
            )
            return row

    def listed(self, session: Session, *, request_id: int, user: User) -> Sequence[SarRedaction]:
        _manager(user)
        _request(session, request_id)
        rows = session.exec(
            select(SarRedaction).where(SarRedaction.request_id == request_id).order_by(col(SarRedaction.id))
        ).all()
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action="redaction.list",
            subject_type="subject_access_request",
            subject_id=request_id,
            details={"count": len(rows)},
        )
        return rows

    def review(self, session: Session, *, redaction_id: int, user: User) -> SarRedaction:
        """A second manager confirms a redaction; the one who marked it cannot."""
        _manager(user)
        row = _redaction(session, redaction_id)
        if row.redacted_by == user.id:
            raise Conflict("a redaction is reviewed by a second manager, not the one who marked it")
        if row.reviewed_by is not None:
            raise Conflict(f"redaction {redaction_id} has already been reviewed")
        _open(session, row.request_id)
        row.reviewed_by, row.reviewed_at = user.id, self._services.clock.now()
        session.add(row)
        self._audit(session, user, "redaction.review", row)
        return row

    def remove(self, session: Session, *, redaction_id: int, user: User) -> SarRedaction:
        """Take a redaction out of the log, while the request is not completed."""
        _manager(user)
        row = _redaction(session, redaction_id)
        _open(session, row.request_id)
        supersede_bundle(session, row.request_id, what_changed="a redaction was removed")
        self._audit(session, user, "redaction.remove", row)
        session.delete(row)
        return row

    def documents(self, session: Session, *, request_id: int, user: User) -> Sequence[Document]:
        """The documents of the request's person, oldest case first: what may be redacted."""
        _manager(user)
        request = _request(session, request_id)
        return session.exec(
            select(Document)
            .join(Case, col(Case.id) == col(Document.case_id))
            .where(Case.person_id == request.person_id)
            .order_by(col(Document.case_id), col(Document.id))
        ).all()

    # --- what the bundle and the preview burn in ----------------------------------------

    def regions_for(self, *, request_id: int, document_id: int) -> list[Region]:
        """Every region the request's log marks on the document, terms found on its pages.
        For the bundle's worker (no user: the log was made and reviewed by managers)."""
        with self._services.new_session() as session:
            rows = session.exec(
                select(SarRedaction).where(
                    SarRedaction.request_id == request_id, SarRedaction.document_id == document_id
                )
            ).all()
        regions = [
            Region(row.page, row.left, row.top, row.width, row.height)
            for row in rows
            if row.page is not None
            and row.left is not None
            and row.top is not None
            and row.width is not None
            and row.height is not None
        ]
        terms = [row.term for row in rows if row.term]
        if terms:
            words = self._words(document_id)
            for term in terms:
                regions += regions_for_term(words, term)
        return regions

    def preview(self, *, request_id: int, document_id: int, page: int, user: User) -> Preview:
        """The page as it will go out: drawn at screen resolution with the request's boxes burned in."""
        _manager(user)
        services = self._services
        with services.new_session() as session:
            target = _target(session, request_id=request_id, document_id=document_id, user=user)
        target.refuse_unread()  # not "not ready yet": it will not be, unless read again
        if not 1 <= page <= target.pages:
            raise NotFound(f"document {document_id} has no page {page}")
        if target.searchable is None:
            raise Conflict(f"document {document_id} is not ready yet; its pages can be previewed once it is")
        regions = [region for region in self.regions_for(request_id=request_id, document_id=document_id)]
        on_page = [region for region in regions if region.page == page]
        with private_dir(services.settings.data_dir / "tmp", "preview") as work:
            pdf = work / "document.pdf"
            key, tier = target.searchable
            services.vault.read_to(subject=target.subject, object_key=key, tier=tier, dest=pdf)  # type: ignore[arg-type]  # a stored row's tier
            picture = burn(render_page(pdf, page, dpi=PREVIEW_DPI), on_page)
        out = io.BytesIO()
        picture.save(out, "PNG", optimize=True)
        with transaction(services.new_session) as session:
            audit.record(
                session,
                clock=services.clock,
                actor=audit.actor_of(user),
                action="document.read",
                subject_type="document",
                subject_id=document_id,
                details={"part": "redaction_preview", "request": request_id, "page": page, "regions": len(on_page)},
            )
        return Preview(out.getvalue(), len(on_page))

    # --- helpers ------------------------------------------------------------------------

    def _words(self, document_id: int) -> list[PageWords]:
        services = self._services
        return words_for(
            services.new_session,
            vault=services.vault,
            document_id=document_id,
            scratch=services.settings.data_dir / "tmp",
            options=services.ocr_options,
            limits=services.upload_limits,
        )

    def _audit(self, session: Session, user: User, action: str, row: SarRedaction, **details: int | str | None) -> None:
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action=action,
            subject_type="sar_redaction",
            subject_id=row.id,
            details={
                "request": row.request_id,
                "document": row.document_id,
                "category": row.category.value,
                **details,
            },  # never the term: it names someone
        )


def _manager(user: User) -> None:
    if user.role != Role.manager:
        raise Forbidden("only managers redact what a subject access request releases")


def _checked(mark: Mark) -> tuple[tuple[float, float, float, float] | None, str | None]:
    if not mark.legal_basis.strip():
        raise InvalidInput("say the legal basis for the redaction (e.g. the exemption relied on)", field="legal_basis")
    if len(mark.legal_basis) > 500:
        raise InvalidInput("the legal basis is at most 500 characters", field="legal_basis")
    if (mark.region is None) == (mark.term is None):
        raise InvalidInput("mark either a region of a page (page and region) or a term, not both", field="term")
    if mark.term is not None:
        term = " ".join(mark.term.split())
        if not 1 <= len(term) <= MAX_TERM or not any(char.isalnum() for char in term):
            raise InvalidInput(f"a term is 1 to {MAX_TERM} characters with a letter or digit in it", field="term")
        return None, term
    assert mark.region is not None
    if mark.page is None:
        raise InvalidInput("a region needs the page it is on", field="page")
    left, top, width, height = mark.region
    if not (0 <= left < 1 and 0 <= top < 1 and 0 < width <= 1 and 0 < height <= 1):
        raise InvalidInput(
            "left and top are fractions of the page from 0 to 1, width and height more than 0", field="region"
        )
    if left + width > 1 + 1e-9 or top + height > 1 + 1e-9:
        raise InvalidInput("the region runs off the page: left + width and top + height are at most 1", field="region")
    return (left, top, min(width, 1 - left), min(height, 1 - top)), None


def _request(session: Session, request_id: int) -> SubjectAccessRequest:
    request = session.get(SubjectAccessRequest, request_id)
    if request is None:
        raise NotFound(f"no subject access request with id {request_id}")
    return request


def _open(session: Session, request_id: int) -> SubjectAccessRequest:
    request = _request(session, request_id)
    if request.status == SarStatus.completed:
        raise Conflict(f"subject access request {request_id} is completed: its redactions can no longer change")
    released = select(SarBundle.id).where(
        SarBundle.request_id == request_id, col(SarBundle.status).in_([BundleStatus.delivered, BundleStatus.destroyed])
    )
    if session.exec(released).first() is not None:  # the log says what the requester was given
        raise Conflict(f"the bundle of request {request_id} is delivered: its redactions can no longer change")
    return request


def _redaction(session: Session, redaction_id: int) -> SarRedaction:
    row = session.get(SarRedaction, redaction_id)
    if row is None:
        raise NotFound(f"no redaction with id {redaction_id}")
    return row


def _target(session: Session, *, request_id: int, document_id: int, user: User) -> _Target:
    """The document, if it is one of the request's person's; any other answers as missing."""
    request = _request(session, request_id)
    document = session.get(Document, document_id)
    case = session.get(Case, document.case_id) if document is not None else None
    if document is None or case is None or case.person_id != request.person_id:
        raise NotVisible(f"no document with id {document_id} among the records of this request's person")
    person = session.get(Person, request.person_id)
    assert person is not None  # a request's person exists while the request does
    searchable = session.exec(
        select(StoredObject).where(StoredObject.document_id == document_id, StoredObject.variant == Variant.searchable)
    ).first()
    ready = searchable is not None and document.status == DocumentStatus.ready
    return _Target(
        request_id,
        document_id,
        person.pseudonym,
        document.page_count or 0,
        (searchable.object_key, searchable.tier) if ready and searchable else None,
        document.status == DocumentStatus.failed,
    )
