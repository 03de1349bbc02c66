"""A subject access request's bundle: build it on a worker, review its index, download,
approve, record its delivery, and destroy it after the set period.

    POST .../bundle    -> a SarBundle row ``building``, the task sent (bundle id only) after the commit
    the task           -> read the request, its items and redactions; decrypt the documents in a
                          private scratch directory; build (policy.bundle); store the PDF and CSV
                          encrypted under the person's data key; mark it built (or failed, saying why)
    approve            -> a manager, only a built bundle
    delivery           -> only an approved one; destroy_on = delivered_on + sar_bundle_keep_days
    the daily sweep    -> past destroy_on: its objects deleted in every version, marked destroyed

Audit details hold ids only. A re-run of the task converges: a bundle no longer
``building`` is left as it is, and the objects a losing run stored are deleted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.app.usecases import Parts
from casevault.archive import LifecycleTags
from casevault.core import audit
from casevault.core.db import after_commit, transaction
from casevault.core.errors import CasevaultError, Conflict, InvalidInput, NotFound
from casevault.core.models import (
    BundleStatus,
    Case,
    CaseNote,
    Disclosure,
    Document,
    ItemDecision,
    Person,
    SarBundle,
    SarItem,
    SarRedaction,
    StoredObject,
    SubjectAccessRequest,
    Tier,
    User,
    Variant,
)
from casevault.core.regions import Region
from casevault.core.scratch import private_dir
from casevault.ingest.options import OcrOptions
from casevault.ingest.redact import redact_pdf, regions_for_term, words_for
from casevault.policy.bundle import BundleItem, BundleRequest, Redactor, Searches, build_bundle
from casevault.retention.schedule import Schedule

log = logging.getLogger(__name__)
RETENTION_CLASS = "sar-bundle"
DELIVERY_METHODS = ("post", "email", "secure_portal", "in_person")
SUBJECT = "subject_access_request"


# A bundle building this long without finishing lost its task (a worker gone, a broker reset):
# a manager may build it again.
STALLED = dt.timedelta(hours=1)


@dataclass(frozen=True)
class IndexEntry:
    item_id: int
    first_page: int | None
    last_page: int | None
    date: dt.date
    type: str
    provided_by: str
    decision: ItemDecision
    reason: str
    case_reference: str


@dataclass(frozen=True)
class BundleView:
    request_id: int
    reference: str
    bundle: SarBundle
    index: list[IndexEntry]


@dataclass(frozen=True)
class BundleFile:
    request_id: int
    subject: str
    object_key: str
    media_type: str
    filename: str


class _Parts(Parts, Protocol):
    @property
    def ocr_options(self) -> OcrOptions: ...


class SarBundleWork:
    def __init__(self, services: _Parts) -> None:
        self._services = services

    # --- the edges' calls (managers) ------------------------------------------------------

    def request_build(self, session: Session, *, request_id: int, user: User) -> SarBundle:
        """A bundle row ``building`` and, after the commit, its task. 409 while items are
        unmarked, while one is building, or once one is approved."""
        request = _request(session, request_id)
        unmarked = _unmarked(session, request)
        if unmarked:
            raise Conflict(
                f"{unmarked} of the person's documents and notes are not marked yet: mark each one disclosed,"
                f" partly disclosed or withheld (POST /api/v1/subject-access/{request_id}/items), then build the bundle"
            )
        bundle = latest_bundle(session, request_id)
        now = self._services.clock.now()
        if bundle is None or bundle.status is BundleStatus.destroyed:
            bundle = SarBundle(request_id=request_id, requested_by=user.id, requested_at=now)  # type: ignore[arg-type]  # a signed-in user's id is set
        elif bundle.status is BundleStatus.building and now - bundle.requested_at < STALLED:
            raise Conflict(
                f"the bundle of request {request_id} is being built: wait for it to finish (if it shows no"
                f" progress for {STALLED.seconds // 60} minutes, build it again)"
            )
        elif bundle.status in (BundleStatus.approved, BundleStatus.delivered):
            raise Conflict(f"the bundle of request {request_id} is {bundle.status.value}: it is not built again")
        else:  # built, failed or stalled: built again from the items as they are now; the old objects go once it is
            bundle.requested_by, bundle.requested_at = user.id, now  # type: ignore[assignment]  # a signed-in user's id is set
        bundle.status, bundle.progress, bundle.problem = BundleStatus.building, 0, None
        session.add(bundle)
        session.flush()
        bundle_id = bundle.id
        assert bundle_id is not None
        self._audit(session, user, "sar.bundle.build", request_id, bundle=bundle_id)
        after_commit(session, lambda: self._send(bundle_id))
        return bundle

    def view(self, session: Session, *, request_id: int, user: User) -> BundleView:
        """The bundle's status, progress and index. Not audited: the bundle page polls it every
        few seconds while it builds (as the restore page polls a case's status); what is audited
        is each download of its files (``file``) and each decision on it."""
        request = _request(session, request_id)
        bundle = latest_bundle(session, request_id)
        if bundle is None:
            raise NotFound(f"request {request_id} has no bundle yet: build it (POST .../bundle)")
        return BundleView(request_id, request.reference, bundle, _index(session, bundle))

    def file(self, session: Session, *, request_id: int, part: str, user: User) -> BundleFile:
        """The decrypted PDF (``part="pdf"``) or notes CSV of a built bundle, audited."""
        request = _request(session, request_id)
        bundle = latest_bundle(session, request_id)
        ready = (BundleStatus.built, BundleStatus.approved, BundleStatus.delivered)
        if bundle is None or bundle.status not in ready:
            state = "has not been built" if bundle is None else f"is {bundle.status.value}"
            raise Conflict(f"request {request_id}'s bundle {state}: it can be read once it is built")
        key = bundle.pdf_key if part == "pdf" else bundle.csv_key
        assert key is not None
        self._audit(session, user, "sar.bundle.read", request_id, bundle=bundle.id, part=part)
        media, name = ("application/pdf", "pdf") if part == "pdf" else ("text/csv; charset=utf-8", "csv")
        return BundleFile(
            request_id=request_id,
            subject=_subject(session, request),
            object_key=key,
            media_type=media,
            filename=f"{request.reference}-{'bundle' if part == 'pdf' else 'notes'}.{name}",
        )

    def chunks(self, file: BundleFile) -> Iterator[bytes]:
        """The file's plaintext, its first chunk read (and authenticated) before this returns."""
        stack = ExitStack()
        try:
            opened = stack.enter_context(
                self._services.vault.open(subject=file.subject, object_key=file.object_key, tier=Tier.active)
            )
            first = next(opened, b"")
        except BaseException:
            stack.close()
            raise

        def rest() -> Iterator[bytes]:
            with stack:
                yield first
                yield from opened

        return rest()

    def approve(self, session: Session, *, request_id: int, user: User) -> SarBundle:
        _request(session, request_id)
        bundle = latest_bundle(session, request_id, lock=True)
        if bundle is None or bundle.status is not BundleStatus.built:
            raise Conflict(f"request {request_id}'s bundle {_state_for_approval(bundle)}")
        bundle.status, bundle.approved_by, bundle.approved_at = (
            BundleStatus.approved,
            user.id,
            self._services.clock.now(),
        )
        session.add(bundle)
        self._audit(session, user, "sar.bundle.approve", request_id, bundle=bundle.id)
        return bundle

    def record_delivery(
        self, session: Session, *, request_id: int, method: str, delivered_on: dt.date, user: User
    ) -> SarBundle:
        _request(session, request_id)
        if method not in DELIVERY_METHODS:
            raise InvalidInput(f"method is one of {', '.join(DELIVERY_METHODS)}", field="method")
        bundle = latest_bundle(session, request_id, lock=True)
        if bundle is None or bundle.status is not BundleStatus.approved:
            raise Conflict(f"request {request_id}'s bundle {_state_for_delivery(bundle)}")
        today = self._services.clock.today()
        approved_on = bundle.approved_at.date() if bundle.approved_at else today
        if not approved_on <= delivered_on <= today:
            raise InvalidInput(
                f"delivered_on lies between the approval ({approved_on.isoformat()}) and today ({today.isoformat()})",
                field="delivered_on",
            )
        keep = dt.timedelta(days=self._services.settings.sar_bundle_keep_days)
        bundle.status, bundle.delivered_method, bundle.delivered_on = BundleStatus.delivered, method, delivered_on
        bundle.destroy_on = delivered_on + keep
        session.add(bundle)
        self._audit(session, user, "sar.bundle.delivered", request_id, bundle=bundle.id, method=method)
        return bundle

    # --- the worker ------------------------------------------------------------------------

    def build(self, *, bundle_id: int, last_try: bool = False) -> BundleStatus:
        """Build one ``building`` bundle; anything else is left as it is (a re-run converges).
        A passing fault (the store, the database) is raised for the task to retry, unless this is
        its ``last_try``: then the bundle fails, saying to build it again, rather than stay building."""
        services = self._services
        with services.new_session() as session:
            bundle = session.get(SarBundle, bundle_id)
            if bundle is None or bundle.status is not BundleStatus.building:
                return bundle.status if bundle is not None else BundleStatus.destroyed
            requested_at, request_id = bundle.requested_at, bundle.request_id
        try:
            with services.new_session() as session:
                request = _request(session, request_id)
                subject = _subject(session, request)
                plan = _plan(session, request, today=services.clock.today(), schedule=services.schedule)
            with private_dir(services.settings.data_dir / "tmp", "sarbundle") as scratch:
                stored = self._build_and_store(bundle_id, subject=subject, plan=plan, scratch=scratch)
        except CasevaultError as error:
            if error.retryable and not last_try:
                raise  # the task retries: the store or database may come back
            self._fail(bundle_id, f"{error.detail}; then build the bundle again")
            return BundleStatus.failed
        except Exception:
            log.exception("building bundle %s failed", bundle_id)
            self._fail(
                bundle_id,
                "building failed on a fault in casevault: build it again; if it fails again, tell your administrator",
            )
            raise
        return self._finish(bundle_id, requested_at=requested_at, stored=stored)

    def _build_and_store(self, bundle_id: int, *, subject: str, plan: _Plan, scratch: Path) -> _Stored:
        vault = self._services.vault
        progress = functools.partial(_set_progress, self._services, bundle_id)
        items = []
        for number, item in enumerate(plan.items, start=1):
            if item.source is None:
                items.append(item.item)
                continue
            key, tier = item.source
            path = scratch / f"document-{number}.pdf"
            vault.read_to(subject=subject, object_key=key, tier=tier, dest=path)
            found = self._term_regions(item, scratch=scratch)
            items.append(dataclasses.replace(item.item, pdf=path.read_bytes(), regions=[*item.item.regions, *found]))
            path.unlink()
            progress(5 + 40 * number // len(plan.items))  # fetched and decrypted: up to 45 %
        request = plan.request(items)
        built = build_bundle(
            request,
            redactor=_redactor(self._services, scratch),
            on_progress=lambda done, of: progress(45 + 45 * done // max(of, 1)),  # assembled: up to 90 %
        )
        tags = LifecycleTags(tier=Tier.active, retention_class=RETENTION_CLASS, schedule_version=plan.schedule_version)
        keys = []
        for name, data in (("bundle.pdf", built.pdf), ("notes.csv", built.csv)):
            path = scratch / name
            path.write_bytes(data)
            keys.append(vault.put(subject=subject, source=path, tier=Tier.active, tags=tags).object_key)
        spans = [
            [item_id, row.first_page, row.last_page] for item_id, row in zip(plan.item_ids, built.index, strict=True)
        ]
        return _Stored(
            pdf_key=keys[0], csv_key=keys[1], pages=built.pages, size=len(built.pdf) + len(built.csv), spans=spans
        )

    def _term_regions(self, item: _PlannedItem, *, scratch: Path) -> list[Region]:
        """Every occurrence of the item's terms, from the document's word positions."""
        if not item.terms or item.document_id is None:
            return []
        services = self._services
        words = words_for(
            services.new_session,
            vault=services.vault,
            document_id=item.document_id,
            scratch=scratch,
            options=services.ocr_options,
            limits=services.upload_limits,
        )
        return [region for term in item.terms for region in regions_for_term(words, term)]

    def _finish(self, bundle_id: int, *, requested_at: dt.datetime, stored: _Stored) -> BundleStatus:
        services = self._services
        with transaction(services.new_session) as session:
            bundle = session.get(SarBundle, bundle_id, with_for_update=True)
            current = bundle is not None and bundle.status is BundleStatus.building
            if bundle is None or not current or bundle.requested_at != requested_at:
                stale = [stored.pdf_key, stored.csv_key]  # another run finished it, or it was asked again
                status = bundle.status if bundle is not None else BundleStatus.destroyed
            else:
                stale = [key for key in (bundle.pdf_key, bundle.csv_key) if key]  # the earlier build's
                bundle.pdf_key, bundle.csv_key, bundle.pages = stored.pdf_key, stored.csv_key, stored.pages
                bundle.bytes, bundle.page_spans = stored.size, json.dumps(stored.spans)
                bundle.status, bundle.progress, bundle.built_at = BundleStatus.built, 100, services.clock.now()
                session.add(bundle)
                audit.record(
                    session,
                    clock=services.clock,
                    actor="system",
                    action="sar.bundle.built",
                    subject_type=SUBJECT,
                    subject_id=bundle.request_id,
                    details={"bundle": bundle_id, "pages": stored.pages},
                )
                status = BundleStatus.built
        if stale:
            services.vault.delete_everywhere(stale)
        return status

    def _fail(self, bundle_id: int, problem: str) -> None:
        services = self._services
        with transaction(services.new_session) as session:
            bundle = session.get(SarBundle, bundle_id, with_for_update=True)
            if bundle is None or bundle.status is not BundleStatus.building:
                return
            bundle.status, bundle.problem = BundleStatus.failed, problem[:1000]
            session.add(bundle)
            audit.record(
                session,
                clock=services.clock,
                actor="system",
                action="sar.bundle.built",
                outcome="failed",
                subject_type=SUBJECT,
                subject_id=bundle.request_id,
                details={"bundle": bundle_id},
            )

    def _send(self, bundle_id: int) -> None:
        if not self._services.tasks.sar_bundle(bundle_id):
            self._fail(bundle_id, "the task queue could not be reached: build the bundle again in a few minutes")

    # --- destruction after the set period (the daily sweep) ------------------------------------

    def destroy_expired(self, *, as_of: dt.date | None = None) -> int:
        return destroy_expired_bundles(self._services, as_of=as_of)

    def _audit(self, session: Session, user: User, action: str, request_id: int, **details: int | str | None) -> None:
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action=action,
            subject_type=SUBJECT,
            subject_id=request_id,
            details=details,
        )


def destroy_expired_bundles(services: Parts, *, as_of: dt.date | None = None) -> int:
    """Delete, in every version, the objects of each delivered bundle past its destroy_on,
    and mark it destroyed. Returns how many. Safe to re-run: a destroyed bundle is done.
    Called by the daily sweep (``LifecycleWork.sweep``)."""
    day = as_of or services.clock.today()
    with services.new_session() as session:
        due = session.exec(
            select(SarBundle.id).where(SarBundle.status == BundleStatus.delivered, col(SarBundle.destroy_on) <= day)
        ).all()
    for bundle_id in due:
        with services.new_session() as session:
            bundle = session.get(SarBundle, bundle_id)
            keys = [key for key in (bundle.pdf_key, bundle.csv_key) if key] if bundle else []
        services.vault.delete_everywhere(keys)
        with transaction(services.new_session) as session:
            bundle = session.get(SarBundle, bundle_id, with_for_update=True)
            if bundle is None or bundle.status is not BundleStatus.delivered:
                continue
            bundle.status, bundle.pdf_key, bundle.csv_key, bundle.page_spans = (
                BundleStatus.destroyed,
                None,
                None,
                None,
            )
            session.add(bundle)
            audit.record(
                session,
                clock=services.clock,
                actor="system",
                action="sar.bundle.destroyed",
                subject_type=SUBJECT,
                subject_id=bundle.request_id,
                details={"bundle": bundle_id},
            )
    return len(due)


# --- reading the request ---------------------------------------------------------------------


def _request(session: Session, request_id: int) -> SubjectAccessRequest:
    request = session.get(SubjectAccessRequest, request_id)
    if request is None:
        raise NotFound(f"no subject access request with id {request_id}")
    return request


def supersede_bundle(session: Session, request_id: int, *, what_changed: str) -> None:
    """A built or approved bundle no longer says what the request releases once its marks or
    redactions change: it fails, saying to build it again (and approve it again), so nothing
    stale is approved or delivered."""
    bundle = latest_bundle(session, request_id, lock=True)
    if bundle is None or bundle.status not in (BundleStatus.built, BundleStatus.approved):
        return
    again = "build it again and approve it again" if bundle.status is BundleStatus.approved else "build it again"
    bundle.status, bundle.approved_by, bundle.approved_at = BundleStatus.failed, None, None
    bundle.problem = f"{what_changed} after this bundle was built: {again}"
    session.add(bundle)


def _state_for_approval(bundle: SarBundle | None) -> str:
    if bundle is None:
        return "has not been built: build it, then approve it"
    if bundle.status in (BundleStatus.approved, BundleStatus.delivered):
        return f"is already {bundle.status.value}"
    return f"is {bundle.status.value}: only a built bundle is approved"


def _state_for_delivery(bundle: SarBundle | None) -> str:
    if bundle is None:
        return "has not been built: build it and approve it before recording its delivery"
    if bundle.status is BundleStatus.delivered:
        return f"was already delivered on {bundle.delivered_on}"
    return f"is {bundle.status.value}: only an approved bundle is delivered; approve it first"


def latest_bundle(session: Session, request_id: int, *, lock: bool = False) -> SarBundle | None:
    query = select(SarBundle).where(SarBundle.request_id == request_id).order_by(col(SarBundle.id).desc()).limit(1)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def _subject(session: Session, request: SubjectAccessRequest) -> str:
    person = session.get(Person, request.person_id)
    assert person is not None  # a request goes with its person
    return person.pseudonym


def _case_ids(request: SubjectAccessRequest) -> Any:
    return select(Case.id).where(Case.person_id == request.person_id)


def _unmarked(session: Session, request: SubjectAccessRequest) -> int:
    """How many of the person's documents and notes have no decision for this request."""
    items = select(SarItem).where(SarItem.request_id == request.id)
    marked = session.exec(items).all()
    documents = {item.document_id for item in marked if item.document_id is not None}
    notes = {item.note_id for item in marked if item.note_id is not None}
    document_ids = session.exec(select(Document.id).where(col(Document.case_id).in_(_case_ids(request)))).all()
    note_ids = session.exec(select(CaseNote.id).where(col(CaseNote.case_id).in_(_case_ids(request)))).all()
    missing = len(set(document_ids) - documents) + len(set(note_ids) - notes)
    return missing if marked else max(missing, 1)


@dataclass(frozen=True)
class _PlannedItem:
    item: BundleItem
    source: tuple[str, Tier] | None  # a document to decrypt: its searchable PDF
    document_id: int | None = None
    terms: tuple[str, ...] = ()  # names to find on every page (the OCR's word positions), then redact


@dataclass(frozen=True)
class _Plan:
    """Everything the bundle needs, read in one transaction; documents fetched after."""

    base: BundleRequest
    items: list[_PlannedItem]
    item_ids: list[int]
    schedule_version: str

    def request(self, items: Sequence[BundleItem]) -> BundleRequest:
        return dataclasses.replace(self.base, items=list(items))


@dataclass(frozen=True)
class _Stored:
    pdf_key: str
    csv_key: str
    pages: int
    size: int
    spans: list[list[int | None]]


def _plan(session: Session, request: SubjectAccessRequest, *, today: dt.date, schedule: Schedule) -> _Plan:
    person = session.get(Person, request.person_id)
    assert person is not None
    cases = {case.id: case for case in session.exec(select(Case).where(Case.person_id == request.person_id)).all()}
    rows = session.exec(select(SarItem).where(SarItem.request_id == request.id).order_by(col(SarItem.id))).all()
    planned: list[tuple[tuple[dt.date, int, int], int, _PlannedItem]] = []
    for row in rows:
        assert row.id is not None
        if row.document_id is not None:
            document = session.get(Document, row.document_id)
            if document is None:
                continue
            item, source, terms = _document_item(session, row, document, cases)
            planned.append(
                ((document.correspondence_date, 0, row.id), row.id, _PlannedItem(item, source, document.id, terms))
            )
        elif row.note_id is not None:
            note = session.get(CaseNote, row.note_id)
            if note is None:
                continue
            case = cases.get(note.case_id)
            item = BundleItem(
                case_reference=case.reference if case else "",
                date=note.date,
                type=note.kind.value.replace("_", " "),
                provided_by="officer",
                decision=row.decision,
                reason=row.reason,
                text=note.text if row.decision is ItemDecision.disclosed else None,
                note=True,
            )
            planned.append(((note.date, 1, row.id), row.id, _PlannedItem(item, None)))
    planned.sort(key=lambda entry: entry[0])
    documents = session.exec(
        select(sa.func.count()).select_from(Document).where(col(Document.case_id).in_(list(cases)))
    ).one()
    notes = session.exec(
        select(sa.func.count()).select_from(CaseNote).where(col(CaseNote.case_id).in_(list(cases)))
    ).one()
    disclosures = session.exec(
        select(Disclosure).where(col(Disclosure.case_id).in_(list(cases))).order_by(col(Disclosure.id))
    ).all()
    recipients = list(dict.fromkeys(f"{d.recipient} ({d.recipient_kind.replace('_', ' ')})" for d in disclosures))
    base = BundleRequest(
        reference=request.reference,
        person_name=person.label,
        requester_name=request.requester_name,
        requester_kind=request.requester_kind.value,
        received_on=request.received_on,
        due_on=request.due_on,
        prepared_on=today,
        searches=Searches(
            searched_on=today, cases=sorted(c.reference for c in cases.values()), documents=documents, notes=notes
        ),
        recipients=recipients,
        archive_months=schedule.archive.window_months,
        destroy_age=schedule.destruction.age_years,
        items=[],
    )
    return _Plan(
        base=base,
        items=[entry[2] for entry in planned],
        item_ids=[entry[1] for entry in planned],
        schedule_version=schedule.version,
    )


def _document_item(
    session: Session, row: SarItem, document: Document, cases: dict[int | None, Case]
) -> tuple[BundleItem, tuple[str, Tier] | None, tuple[str, ...]]:
    source = None
    if row.decision is not ItemDecision.withheld:
        stored = session.exec(
            select(StoredObject).where(
                StoredObject.document_id == document.id, StoredObject.variant == Variant.searchable
            )
        ).first()
        if stored is not None:
            source = (stored.object_key, Tier(stored.tier))
    case = cases.get(document.case_id)
    regions, terms = (
        _redactions(session, request_id=row.request_id, document_id=document.id)
        if row.decision is ItemDecision.partly_disclosed
        else ([], ())
    )
    item = BundleItem(
        case_reference=case.reference if case else "",
        date=document.correspondence_date,
        type=document.original_filename,
        provided_by=document.provided_by.value,
        decision=row.decision,
        reason=row.reason,
        regions=regions,
    )
    return item, source, terms


def _redactions(session: Session, *, request_id: int, document_id: int | None) -> tuple[list[Region], tuple[str, ...]]:
    """The regions marked on the document's pages, and the terms (a name on every page) the
    build turns into regions from the document's word positions."""
    rows = session.exec(
        select(SarRedaction)
        .where(SarRedaction.request_id == request_id, SarRedaction.document_id == document_id)
        .order_by(col(SarRedaction.id))
    ).all()
    regions, terms = [], []
    for row in rows:
        if row.term is not None:
            terms.append(row.term)
        elif row.page is not None and None not in (row.left, row.top, row.width, row.height):
            regions.append(Region(page=row.page, left=row.left, top=row.top, width=row.width, height=row.height))  # type: ignore[arg-type]  # checked just above
    return regions, tuple(terms)


def _redactor(services: _Parts, scratch: Path) -> Redactor:
    """``redact_pdf`` bound to this build's scratch directory and the OCR options (its
    redacted pages' text layer is read again from their images)."""
    return lambda pdf, regions: redact_pdf(pdf, regions, scratch=scratch, options=services.ocr_options)


def _set_progress(services: Parts, bundle_id: int, percent: int) -> None:
    with transaction(services.new_session) as session:
        bundle = session.get(SarBundle, bundle_id)
        if bundle is not None and bundle.status is BundleStatus.building and bundle.progress < percent:
            bundle.progress = percent
            session.add(bundle)


def _index(session: Session, bundle: SarBundle) -> list[IndexEntry]:
    if not bundle.page_spans:
        return []
    entries = []
    for item_id, first, last in json.loads(bundle.page_spans):
        row = session.get(SarItem, item_id)
        if row is None:
            continue
        if row.document_id is not None:
            document = session.get(Document, row.document_id)
            if document is None:
                continue
            case = session.get(Case, document.case_id)
            date, kind, provided = document.correspondence_date, document.original_filename, document.provided_by.value
        else:
            note = session.get(CaseNote, row.note_id)
            if note is None:
                continue
            case = session.get(Case, note.case_id)
            date, kind, provided = note.date, note.kind.value.replace("_", " "), "officer"
        entries.append(
            IndexEntry(
                item_id=item_id,
                first_page=first,
                last_page=last,
                date=date,
                type=kind,
                provided_by=provided,
                decision=row.decision,
                reason=row.reason,
                case_reference=case.reference if case else "",
            )
        )
    return entries
