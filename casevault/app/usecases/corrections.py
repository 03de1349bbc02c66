"""Correcting mistakes: a person's details, a misfiled document, a document uploaded in
error, a note's text, a case's officer.

Every correction is audited with its actor, ids only; the reason a person gives is free
text, so it is kept in the correction's own row (``CaseNoteVersion``, ``DocumentMove``,
``DocumentDisposal``), never in the audit log.

Moving and removing a document touch the object store, so they open their own short
transactions (none is held across the store's IO) in a crash-safe order: new objects
are written first, the rows switch in one transaction, old objects are deleted after
the commit. A crash leaves at worst an object no row points to, which
``casevault storage verify --repair`` removes once it is older than its grace period.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.app.usecases import Parts
from casevault.archive.store import ObjectVersion
from casevault.core import audit, casework, consent, scratch
from casevault.core.clock import Clock
from casevault.core.db import after_commit, transaction
from casevault.core.errors import CasevaultError, Conflict, InvalidInput, NotVisible
from casevault.core.lease import LeaseLost, lease_name
from casevault.core.models import (
    Case,
    CaseNote,
    CaseNoteVersion,
    CaseStatus,
    ConsentScope,
    DestructionApproval,
    DestructionJob,
    Document,
    DocumentDisposal,
    DocumentMove,
    DocumentStatus,
    PageText,
    Person,
    Role,
    StoredObject,
    Tier,
    User,
)
from casevault.retention import claims
from casevault.retention.decide import destruction_date
from casevault.retention.holds import standing_hold_ids
from casevault.retention.parts import DEFAULT_LEASE
from casevault.retention.tagging import lifecycle_tags

log = logging.getLogger(__name__)

# A document whose case is being brought back or is gone cannot be moved or removed.
SETTLED_CASE = (CaseStatus.open, CaseStatus.closed)
# Cases a handover moves: those still in use. Archived ones stay with their officer: the
# officer of a new referral reads them anyway, and a restore brings them back as they were.
HANDED_OVER = (CaseStatus.open, CaseStatus.closed, CaseStatus.restoring)
CASE_MOVES = ("archive", "restore", "expire")  # the claims the lifecycle takes on a case


def set_name(person: Person, full_name: str) -> None:
    """The one place a person's name changes (anything derived from it belongs here too)."""
    name = full_name.strip()
    if not name:
        raise InvalidInput("full_name must not be blank", field="full_name")
    person.full_name = name


def _check_anonymous_change(session: Session, person: Person, changes: dict[str, object]) -> None:
    """An anonymous contact keeps no contact details; a name, or a date of birth where none was
    recorded, only once they give permission to record personal details (recorded first)."""
    if changes.get("contact_details") is not None:
        raise InvalidInput(
            f"person {person.id} is an anonymous contact, who keeps no contact details: record their name first",
            field="contact_details",
        )
    adds = [field for field in ("full_name", "date_of_birth") if field in changes]
    if person.date_of_birth is not None and "date_of_birth" in adds:
        adds.remove("date_of_birth")  # correcting the date kept for their protection is a correction
    if adds and ConsentScope.record_personal_details not in consent.standing_scopes(session, person_id=person.id or 0):
        raise InvalidInput(
            f"person {person.id} is an anonymous contact: {adds[0]} is recorded only with their permission;"
            f" record consent record_personal_details first (POST /people/{person.id}/consents)",
            field=adds[0],
        )


@dataclass(frozen=True)
class _Object:
    object_key: str
    tier: Tier
    sha256: str


@dataclass(frozen=True)
class _Plan:
    """What a move or removal read before its IO, checked again before its rows change."""

    document_id: int
    case_id: int
    person_id: int
    subject: str
    objects: tuple[_Object, ...]


class CorrectionWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    # --- a person's details -------------------------------------------------------

    def update_person(self, session: Session, *, person_id: int, changes: dict[str, object], user: User) -> Person:
        """Correct a person's name, date of birth or contact details (``changes`` holds
        only what the client sent). A new date of birth moves the destruction date;
        one that puts the person past it is refused."""
        services = self._services
        person = casework.get_person(session, person_id=person_id, user=user)
        if not changes:
            raise InvalidInput("send at least one of full_name, date_of_birth, contact_details")
        if session.get(DestructionJob, person_id) is not None:
            raise Conflict(f"person {person_id}'s records are being destroyed; nothing can be corrected")
        if person.anonymous:
            _check_anonymous_change(session, person, changes)
        if "full_name" in changes:
            if changes["full_name"] is None:
                raise InvalidInput("full_name cannot be removed, only corrected", field="full_name")
            set_name(person, str(changes["full_name"]))
            person.anonymous = False  # named again, with their permission (checked above)
        if "contact_details" in changes:
            if changes["contact_details"] is not None:  # removing them needs no permission
                consent.check_contact_details_allowed(
                    consent.standing_scopes(session, person_id=person_id), person=f"person {person_id}"
                )
            person.contact_details = changes["contact_details"]  # type: ignore[assignment]  # str or None, checked by the schema
        withdrawn = False
        if "date_of_birth" in changes:
            born = changes["date_of_birth"]
            if not isinstance(born, dt.date):
                raise InvalidInput("date_of_birth must be a date as YYYY-MM-DD", field="date_of_birth")
            withdrawn = self._set_date_of_birth(session, person, born)
        session.add(person)
        session.flush()
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="person.update",
            subject_type="person",
            subject_id=person.id,
            details={**{f"changed_{field}": True for field in changes}, "approval_withdrawn": withdrawn},
        )
        if "date_of_birth" in changes:
            self._retag_after_commit(session, person_id=person_id)
        return person

    def _set_date_of_birth(self, session: Session, person: Person, born: dt.date) -> bool:
        """Set it, or refuse; True if a destruction approval given on the old date was withdrawn."""
        services = self._services
        field = "date_of_birth"
        if born > services.clock.today():
            raise InvalidInput("date_of_birth is in the future", field=field)
        if destruction_date(born, services.schedule) <= services.clock.today():
            raise InvalidInput(
                f"that date_of_birth makes person {person.id} {services.schedule.destruction.age_years} or older:"
                " past the destruction date, when the schedule destroys their records. If it is right, ask a"
                " manager to follow the destruction procedure instead",
                field=field,
            )
        cases = session.exec(select(Case).where(Case.person_id == person.id).order_by(col(Case.id))).all()
        for case in cases:
            if case.referral_date < born:
                raise InvalidInput(f"that date_of_birth is after the referral date of case {case.id}", field=field)
        person.date_of_birth = born
        approval = session.get(DestructionApproval, person.id)
        if approval is not None:  # given for the old date: a manager approves again when due
            session.delete(approval)
        return approval is not None

    def _retag_after_commit(self, session: Session, *, person_id: int) -> None:
        """Give the person's objects today's lifecycle tags once the new date is committed.

        Tags carry no date (see retention.tagging), but objects written by an older casevault
        still carry the retired disposition month, derived from the old date of birth:
        re-tagging drops it. After the commit, so a failed commit leaves tags untouched;
        a failure here leaves old tags that ``casevault storage retag`` rewrites."""
        services = self._services
        objects = _objects_of_person(session, person_id=person_id)

        def retag() -> None:
            failed = 0
            for stored in objects:
                tags = lifecycle_tags(tier=stored.tier, schedule=services.schedule)
                try:
                    services.vault.set_tags(object_key=stored.object_key, tier=stored.tier, tags=tags)
                except Exception:  # committed already: the answer stands, and a retag repairs it
                    failed += 1
            if failed:
                log.warning("person %s: %d objects not re-tagged; `casevault storage retag` does it", person_id, failed)

        after_commit(session, retag)

    # --- notes --------------------------------------------------------------------

    def amend_note(self, session: Session, *, note_id: int, text: str, reason: str, user: User) -> CaseNote:
        """Replace a note's text, keeping the earlier one as a version with who and why."""
        services = self._services
        note, case = _note_and_case(session, note_id=note_id, user=user)
        if not casework.can_change_case(user, case):
            casework.get_case_to_change(session, case_id=case.id, user=user)  # type: ignore[arg-type]  # raises the 403 saying why
        casework.check_case_writable(case)
        if not text.strip():
            raise InvalidInput("text must not be blank", field="text")
        if text == note.text:
            raise InvalidInput("text is the note's text already; send the corrected text", field="text")
        earlier = session.exec(
            select(CaseNoteVersion).where(CaseNoteVersion.note_id == note_id).order_by(col(CaseNoteVersion.version))
        ).all()
        now = services.clock.now()
        previous = earlier[-1] if earlier else None
        version = CaseNoteVersion(
            note_id=note_id,
            version=len(earlier) + 1,
            text=note.text,
            written_at=previous.replaced_at if previous else note.created_at,
            written_by=previous.replaced_by if previous else note.author_id,
            replaced_at=now,
            replaced_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            reason=_reason(reason),
        )
        note.text = text
        case.updated_at = now
        session.add_all([version, note, case])
        session.flush()
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="note.amend",
            subject_type="note",
            subject_id=note_id,
            details={"case": case.id, "version": version.version},
        )
        return note

    def note_versions(
        self, session: Session, *, note_id: int, user: User, after: int | None, limit: int
    ) -> Sequence[CaseNoteVersion]:
        """A note's earlier texts, oldest first, ``limit`` of them after version ``after``."""
        _note, case = _note_and_case(session, note_id=note_id, user=user)
        query = select(CaseNoteVersion).where(CaseNoteVersion.note_id == note_id)
        if after is not None:
            query = query.where(CaseNoteVersion.version > after)
        rows = session.exec(query.order_by(col(CaseNoteVersion.version)).limit(limit)).all()
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action="note.versions.read",
            subject_type="note",
            subject_id=note_id,
            details={"case": case.id, "count": len(rows)},
        )
        return rows

    # --- a case's officer ---------------------------------------------------------

    def assign(self, session: Session, *, case_id: int, officer: str, user: User) -> Case:
        """Give a case to an active officer (managers see every case already; admins do no casework)."""
        case = casework.get_case(session, case_id=case_id, user=user)
        if case.status == CaseStatus.destroyed:
            raise Conflict(f"case {case_id} was destroyed under the retention schedule; it has no officer to change")
        assignee = _assignable_officer(session, username=officer)
        self._assign(session, case=case, officer=assignee, actor=audit.actor_of(user))
        return case

    def handover(self, *, from_username: str, to_username: str, actor: str) -> int:
        """Every case still in use (open, closed, restoring) of one officer to another,
        audited per case; the first may be revoked. Returns how many moved."""
        services = self._services
        with transaction(services.new_session) as session:
            leaving = session.exec(select(User).where(User.username == from_username)).first()
            if leaving is None:
                raise InvalidInput(f"no user called {from_username!r}", field="from")
            taking = _assignable_officer(session, username=to_username)
            if taking.id == leaving.id:
                raise InvalidInput("--from and --to name the same officer", field="to")
            cases = session.exec(
                select(Case)
                .where(Case.assigned_officer_id == leaving.id, col(Case.status).in_(HANDED_OVER))
                .order_by(col(Case.id))
            ).all()
            for case in cases:
                self._assign(session, case=case, officer=taking, actor=actor)
            return len(cases)

    def _assign(self, session: Session, *, case: Case, officer: User, actor: str) -> None:
        services = self._services
        previous = case.assigned_officer_id
        case.assigned_officer_id, case.updated_at = officer.id, services.clock.now()
        session.add(case)
        session.flush()
        audit.record(
            session,
            clock=services.clock,
            actor=actor,
            action="case.assign",
            subject_type="case",
            subject_id=case.id,
            details={"officer": officer.id, "previous": previous},
        )

    # --- documents: move to the right case, remove one uploaded in error -------------

    def move_document(self, *, document_id: int, case_id: int, reason: str, user: User) -> Document:
        """Move a misfiled document to ``case_id``. To another person's case, its objects
        are re-encrypted under that person's data key, as new objects; the old ones are
        deleted, every version, once the rows point at the new ones. Its page text follows
        it (rows of the document). A hold does not stop a move: holds keep records from
        archive and destruction, and a move destroys nothing."""
        services = self._services
        why = _reason(reason)
        with services.new_session() as session:
            source, target = self._move_plan(session, document_id=document_id, case_id=case_id, user=user)
        holder = f"move:{uuid.uuid4().hex}"
        with self._claims(holder, source, target):
            written = self._reencrypt(source, target) if source.subject != target.subject else {}
            try:
                with transaction(services.new_session) as session:
                    _still_held(session, holder, services.clock, source, target)
                    document = self._switch(session, source, target, written=written, reason=why, user=user)
                    _release(session, holder, source, target)
            except sa.exc.IntegrityError:  # the same file reached the case meanwhile
                _forget(services, [put.object_key for put in written.values()])
                raise Conflict(f"case {case_id} has this file already; remove the misfiled copy") from None
            except BaseException:
                _forget(services, [put.object_key for put in written.values()])
                raise
        if written:
            _forget(services, [stored.object_key for stored in source.objects])
        return document

    def _move_plan(self, session: Session, *, document_id: int, case_id: int, user: User) -> tuple[_Plan, _Plan]:
        document = casework.get_document(session, document_id=document_id, user=user)
        source_case = casework.get_case_to_change(session, case_id=document.case_id, user=user)
        try:
            target_case = casework.get_case_to_change(session, case_id=case_id, user=user)
        except NotVisible:
            raise NotVisible(f"no case with id {case_id}") from None
        if target_case.id == source_case.id:
            raise InvalidInput(f"document {document_id} is on case {case_id} already", field="case_id")
        if document.status in (DocumentStatus.queued, DocumentStatus.processing):
            raise Conflict(f"document {document_id} is {document.status.value}: move it once it is ready or failed")
        source = _plan(session, document=document, case=source_case)
        target = _plan(session, document=document, case=target_case)
        _check_movable(session, source, target, sha256=document.sha256)
        return source, target

    def _reencrypt(self, source: _Plan, target: _Plan) -> dict[str, _Written]:
        """Each object decrypted with the source person's key into private scratch and
        stored anew under the target person's key; on failure the new ones are deleted."""
        services = self._services
        written: dict[str, _Written] = {}
        try:
            with scratch.private_dir(services.settings.data_dir / "tmp", "move") as workdir:
                for stored in source.objects:
                    plain = workdir / "plain"
                    sha256 = services.vault.read_to(
                        subject=source.subject, object_key=stored.object_key, tier=stored.tier, dest=plain
                    )
                    if sha256 != stored.sha256:
                        raise Conflict(
                            f"object {stored.object_key} of document {source.document_id} does not match its"
                            " recorded hash; run `casevault storage verify` before moving it"
                        )
                    tags = lifecycle_tags(tier=stored.tier, schedule=services.schedule)
                    put = services.vault.put(subject=target.subject, source=plain, tier=stored.tier, tags=tags)
                    written[stored.object_key] = _Written(put.object_key, put.stored_size, stored.tier)
                    plain.unlink()
        except BaseException:
            _forget(services, [put.object_key for put in written.values()])
            raise
        return written

    def _switch(
        self, session: Session, source: _Plan, target: _Plan, *, written: dict[str, _Written], reason: str, user: User
    ) -> Document:
        """The rows, in one transaction, after checking nothing changed during the IO."""
        services = self._services
        document = session.get(Document, source.document_id)
        source_case, target_case = session.get(Case, source.case_id), session.get(Case, target.case_id)
        if document is None or source_case is None or target_case is None or document.case_id != source.case_id:
            raise Conflict(f"document {source.document_id} changed while it was being moved; try again")
        rows = session.exec(select(StoredObject).where(StoredObject.document_id == document.id)).all()
        if sorted(row.object_key for row in rows) != sorted(stored.object_key for stored in source.objects):
            raise Conflict(f"document {source.document_id} changed while it was being moved; try again")
        _check_movable(session, _plan(session, document=document, case=source_case), target, sha256=document.sha256)
        now = services.clock.now()
        for row in rows:
            new = written.get(row.object_key)
            if new is not None:
                row.object_key, row.stored_size, row.created_at = new.object_key, new.stored_size, now
                session.add(row)
        document.case_id, document.updated_at = target_case.id, now  # type: ignore[assignment]  # ids of rows read from the database are set
        casework.note_correspondence(target_case, on=document.correspondence_date)
        target_case.updated_at = source_case.updated_at = now
        session.add_all([document, target_case, source_case])
        session.flush()
        _recompute_last_correspondence(session, source_case)
        move = DocumentMove(
            document_id=document.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            from_case_id=source.case_id,
            to_case_id=target.case_id,
            reencrypted=bool(written),
            moved_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            moved_at=now,
            reason=reason,
        )
        session.add(move)
        session.flush()
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="document.move",
            subject_type="document",
            subject_id=document.id,
            details={
                "from_case": source.case_id,
                "to_case": target.case_id,
                "reencrypted": bool(written),
                "move": move.id,
            },
        )
        return document

    def remove_document(self, *, document_id: int, reason: str, user: User) -> DocumentDisposal:
        """Remove a document uploaded in error: every object version in both tiers, its
        page text and its rows, leaving a disposal record (ids, counts, who, when, why).
        Refused while a hold stands on its case or person: a hold stops destruction."""
        services = self._services
        why = _reason(reason)
        with services.new_session() as session:
            document = casework.get_document(session, document_id=document_id, user=user)
            case = casework.get_case_to_change(session, case_id=document.case_id, user=user)
            plan = _plan(session, document=document, case=case)
            _check_removable(session, plan)
        holder = f"dispose:{uuid.uuid4().hex}"
        with self._claims(holder, plan):
            keys = [stored.object_key for stored in plan.objects]
            versions = _versions(services, keys)
            with transaction(services.new_session) as session:
                _still_held(session, holder, services.clock, plan)
                disposal = self._dispose_rows(session, plan, versions=versions, reason=why, user=user)
                _release(session, holder, plan)
        _forget(services, keys)
        return disposal

    def _dispose_rows(
        self, session: Session, plan: _Plan, *, versions: Sequence[ObjectVersion], reason: str, user: User
    ) -> DocumentDisposal:
        services = self._services
        document, case = session.get(Document, plan.document_id), session.get(Case, plan.case_id)
        if document is None or case is None or document.case_id != plan.case_id:
            raise Conflict(f"document {plan.document_id} changed while it was being removed; try again")
        _check_removable(session, _plan(session, document=document, case=case))
        for statement in (
            sa.delete(PageText).where(col(PageText.document_id) == plan.document_id),
            sa.delete(StoredObject).where(col(StoredObject.document_id) == plan.document_id),
            sa.delete(Document).where(col(Document.id) == plan.document_id),
        ):
            session.execute(statement)
        now = services.clock.now()
        disposal = DocumentDisposal(
            document_id=plan.document_id,
            case_id=plan.case_id,
            objects=len({version.key for version in versions}),
            object_versions=len(versions),
            bytes=sum(version.size for version in versions),
            disposed_at=now,
            disposed_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
            reason=reason,
        )
        case.updated_at = now
        session.add_all([disposal, case])
        session.flush()
        _recompute_last_correspondence(session, case)
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="document.dispose",
            subject_type="document",
            subject_id=plan.document_id,
            details={
                "case": plan.case_id,
                "disposal": disposal.id,
                "objects": disposal.objects,
                "versions": disposal.object_versions,
            },
        )
        return disposal

    @contextmanager
    def _claims(self, holder: str, *plans: _Plan) -> Iterator[None]:
        """Hold the lifecycle's claims on the cases and the document's OCR lease, so no
        archive, restore, expiry, destruction or OCR acts on them meanwhile. Released with
        the last step's commit, or here if the work fails."""
        services = self._services
        taken: list[str] = []
        try:
            for item in _items(*plans):
                lease = DEFAULT_LEASE  # as long as the lifecycle's own claims last
                if not claims.claim(services.new_session, item=item, holder=holder, clock=services.clock, lease=lease):
                    raise Conflict(f"{item} is under way in another process; try again once it has finished")
                taken.append(item)
            yield
        except BaseException:
            with transaction(services.new_session) as session:
                for item in taken:
                    claims.release(session, item=item, holder=holder)
            raise


@dataclass(frozen=True)
class _Written:
    object_key: str
    stored_size: int
    tier: Tier


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("reason must say why this is corrected", field="reason")
    return reason.strip()


def _note_and_case(session: Session, *, note_id: int, user: User) -> tuple[CaseNote, Case]:
    """A note of a case the caller may read; one she may not see answers as missing."""
    note = session.get(CaseNote, note_id)
    case = session.get(Case, note.case_id) if note is not None else None
    if note is None or case is None or not casework.can_read_case(session, user, case):
        raise NotVisible(f"no note with id {note_id}")
    return note, case


def _assignable_officer(session: Session, *, username: str) -> User:
    officer = session.exec(select(User).where(User.username == username)).first()
    if officer is None or officer.role != Role.officer or officer.revoked_at is not None:
        raise InvalidInput(
            f"{username!r} is not an active officer: cases are assigned to active officers only"
            " (managers see every case already, admins do no casework)",
            field="officer",
        )
    return officer


def _plan(session: Session, *, document: Document, case: Case) -> _Plan:
    person = session.get(Person, case.person_id)
    assert person is not None and document.id is not None and case.id is not None  # a case always has its person
    rows = session.exec(
        select(StoredObject).where(StoredObject.document_id == document.id).order_by(col(StoredObject.id))
    ).all()
    objects = tuple(_Object(row.object_key, Tier(row.tier), row.sha256) for row in rows)
    return _Plan(document.id, case.id, case.person_id, person.pseudonym, objects)


def _check_settled(session: Session, plan: _Plan, *, doing: str) -> None:
    case = session.get(Case, plan.case_id)
    assert case is not None
    if case.status not in SETTLED_CASE:
        raise Conflict(
            f"case {plan.case_id} is {case.status.value}: documents are {doing} only on open or closed cases"
        )
    if session.get(DestructionJob, plan.person_id) is not None:
        raise Conflict(f"the records of case {plan.case_id}'s person are being destroyed; nothing can be {doing}")


def _check_movable(session: Session, source: _Plan, target: _Plan, *, sha256: str) -> None:
    _check_settled(session, source, doing="moved")
    _check_settled(session, target, doing="moved")
    same = select(Document.id).where(Document.case_id == target.case_id, Document.sha256 == sha256)
    existing = session.exec(same).first()
    if existing is not None:
        raise Conflict(f"case {target.case_id} has this file already (document {existing}); remove the misfiled copy")


def _check_removable(session: Session, plan: _Plan) -> None:
    _check_settled(session, plan, doing="removed")
    held = standing_hold_ids(session, person_id=plan.person_id, case_ids=[plan.case_id])
    if held:
        raise Conflict(f"held by hold {', '.join(map(str, held))}: nothing of it is destroyed while a hold stands")


def _items(*plans: _Plan) -> list[str]:
    items = [claims.item_key(kind, "case", plan.case_id) for plan in plans for kind in CASE_MOVES]
    items.append(lease_name("ocr", "document", plans[0].document_id))
    return list(dict.fromkeys(items))


def _still_held(session: Session, holder: str, clock: Clock, *plans: _Plan) -> None:
    """Renew every claim in the transaction that acts, or stop: another process took one over."""
    for item in _items(*plans):
        if not claims.renew(session, item=item, holder=holder, clock=clock, lease=DEFAULT_LEASE):
            raise LeaseLost(f"the claim {item} ran out during the work; nothing was changed, try again")


def _release(session: Session, holder: str, *plans: _Plan) -> None:
    for item in _items(*plans):
        claims.release(session, item=item, holder=holder)


def _forget(services: Parts, keys: Sequence[str]) -> None:
    """Delete objects no row points to, every version in both tiers. What fails is left as
    an orphan for ``casevault storage verify --repair``."""
    if not keys:
        return
    try:
        services.vault.delete_everywhere(keys)
    except CasevaultError:
        log.warning("%d unreferenced objects left for `storage verify --repair`", len(keys))


def _versions(services: Parts, keys: list[str]) -> list[ObjectVersion]:
    """Every stored version of ``keys`` in both tiers, delete markers left out."""
    if not keys:  # a document whose upload never stored anything needs no store
        return []
    store = services.vault.store
    return [v for tier in Tier for v in store.versions_of(tier=tier, keys=keys) if not v.is_delete_marker]


def _objects_of_person(session: Session, *, person_id: int) -> list[_Object]:
    rows = session.exec(
        select(StoredObject.object_key, StoredObject.tier, StoredObject.sha256)
        .join(Document, col(Document.id) == col(StoredObject.document_id))
        .join(Case, col(Case.id) == col(Document.case_id))
        .where(Case.person_id == person_id)
    ).all()
    return [_Object(key, Tier(tier), sha256) for key, tier, sha256 in rows]


def _recompute_last_correspondence(session: Session, case: Case) -> None:
    """The latest date of the case's remaining documents and notes (a document left it)."""
    documents = session.exec(select(sa.func.max(Document.correspondence_date)).where(Document.case_id == case.id))
    notes = session.exec(select(sa.func.max(CaseNote.date)).where(CaseNote.case_id == case.id))
    dates = [day for day in (documents.one(), notes.one()) if day is not None]
    case.last_correspondence = max(dates) if dates else None
    session.add(case)
