"""Moving a case's documents between tiers: archive on closure, restore on referral
or at a manager's request. A restored case stays ``closed``, its closure date and
outcome intact: restoring brings documents back, it does not reopen the case.

Each object goes through the same script, each step committed before the next:

    copy to the target tier -> verify the copy (size, and sha256 by decrypting)
    -> commit the object's new tier -> delete the source in every version

A re-run after a crash at any boundary converges: an object the database still
places in the source tier is copied again (the copy is overwritten); one it already
places in the target tier only has its source deleted (again, harmlessly). The
case's own status changes last, with the claim's release, in one transaction.

Before each step it commits, a move renews its claim; a worker whose claim ran
out and was taken over (by another sweep, or a destruction of the person) stops.
A restore whose archive copy fails its integrity check puts everything back in
the archive and leaves the case ``archived``, with ``restore_problem`` saying why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from casevault.archive import LifecycleTags, RestoreState, Vault
from casevault.core import audit
from casevault.core.clock import Clock
from casevault.core.db import transaction
from casevault.core.errors import Conflict, IntegrityFailure
from casevault.core.integrity import integrity_alert
from casevault.core.models import AuditEvent, Case, CaseStatus, Document, DocumentStatus, Person, StoredObject, Tier
from casevault.retention import claims
from casevault.retention.decide import Action
from casevault.retention.holds import standing_hold_ids
from casevault.retention.parts import Lifecycle
from casevault.retention.steps import Boundary, StepHook, StepOutcome, StepOutcomeKind, no_hook
from casevault.retention.tagging import lifecycle_tags

BUSY = (DocumentStatus.queued, DocumentStatus.processing)
RESTORE_REQUESTED = "retention.restore.requested"


@dataclass(frozen=True)
class _Object:
    id: int
    document_id: int
    key: str
    tier: Tier
    sha256: str
    stored_size: int


@dataclass(frozen=True)
class _CaseView:
    case_id: int
    person_id: int
    subject: str
    objects: tuple[_Object, ...]


# --- archive ---------------------------------------------------------------------------


def archive_case(lifecycle: Lifecycle, *, action: Action, holder: str, on_step: StepHook = no_hook) -> StepOutcome:
    assert action.case_id is not None and action.archive_until is not None
    item = claims.item_key("archive", "case", action.case_id)
    if not claims.claim(lifecycle.new_session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
        return StepOutcome(item, StepOutcomeKind.skipped, "another sweep is working on this case")
    with transaction(lifecycle.new_session) as session:
        refusal = _archive_refusal(session, case_id=action.case_id)
        if refusal is not None:
            claims.release(session, item=item, holder=holder)
            _audit(session, lifecycle, "retention.archive", action.case_id, outcome="refused", rule=action.rule_id)
            return StepOutcome(item, StepOutcomeKind.skipped, refusal)
        view = _case_view(session, case_id=action.case_id)
    tags = lifecycle_tags(tier=Tier.archive, schedule=lifecycle.schedule)
    for obj in view.objects:
        with lifecycle.new_session() as session:
            held = standing_hold_ids(session, person_id=view.person_id, case_ids=[view.case_id])
        if held:  # placed while we were moving: stop here, what moved is safe in the archive
            claims.release_now(lifecycle.new_session, item=item, holder=holder)
            return StepOutcome(item, StepOutcomeKind.skipped, f"hold {held[0]} was placed during the move: stopped")
        _move(
            lifecycle,
            obj=obj,
            subject=view.subject,
            source=Tier.active,
            target=Tier.archive,
            tags=tags,
            item=item,
            holder=holder,
            on_step=on_step,
        )
    with transaction(lifecycle.new_session) as session:
        _keep_claim(session, lifecycle, item=item, holder=holder)
        if _objects_in(session, case_id=view.case_id, tier=Tier.active):
            # A document was uploaded while we moved: the case stays closed, the next sweep moves it.
            claims.release(session, item=item, holder=holder)
            return StepOutcome(
                item, StepOutcomeKind.skipped, "a document arrived during the move: the next sweep finishes"
            )
        case = session.get(Case, action.case_id)
        assert case is not None
        case.status, case.archive_until, case.updated_at = (
            CaseStatus.archived,
            action.archive_until,
            lifecycle.clock.now(),
        )
        session.add(case)
        _set_document_tier(session, case_id=view.case_id, tier=Tier.archive)
        claims.release(session, item=item, holder=holder)
        _audit(
            session,
            lifecycle,
            "retention.archive",
            view.case_id,
            rule=action.rule_id,
            schedule=action.schedule_version,
            objects=len(view.objects),
            archive_until=action.archive_until.isoformat(),
        )
    return StepOutcome(item, StepOutcomeKind.done, action.reason, objects=len(view.objects))


def _archive_refusal(session: Session, *, case_id: int) -> str | None:
    """Why the case must not be archived now, checked at the moment of acting."""
    case = session.get(Case, case_id)
    if case is None or case.status is not CaseStatus.closed:
        return f"case {case_id} is {case.status.value if case else 'gone'} now, not closed: nothing to archive"
    held = standing_hold_ids(session, person_id=case.person_id, case_ids=[case_id])
    if held:
        return f"held by hold {', '.join(map(str, held))}: not archived while it stands"
    busy = session.exec(
        select(Document.id).where(Document.case_id == case_id, col(Document.status).in_(BUSY)).limit(1)
    ).first()
    if busy is not None:
        return f"document {busy} is still being processed: archived once it is ready"
    return None


# --- restore ---------------------------------------------------------------------------


def mark_restoring(session: Session, *, case: Case, actor: str, rule: str, schedule_version: str, clock: Clock) -> None:
    """Inside the caller's transaction: the case shows ``restoring`` until its documents are back."""
    if case.status is not CaseStatus.archived:
        raise Conflict(f"case {case.id} is {case.status.value}; only an archived case is restored")
    case.status, case.updated_at, case.restore_problem = CaseStatus.restoring, clock.now(), None
    session.add(case)
    audit.record(
        session,
        clock=clock,
        actor=actor,
        action=RESTORE_REQUESTED,
        subject_type="case",
        subject_id=case.id,
        details={"rule": rule, "schedule": schedule_version},
    )


def restore_case(lifecycle: Lifecycle, *, case_id: int, holder: str, on_step: StepHook = no_hook) -> StepOutcome:
    """Bring a ``restoring`` case's documents back to the active tier; the case is
    ``closed`` again (its closure date and outcome as they were), not open.

    From a cold storage class the objects must first be restored by the store: the
    restore is requested and the case stays ``restoring`` (``waiting``); the next
    sweep or task run copies them back once they are readable.
    """
    item = claims.item_key("restore", "case", case_id)
    if not claims.claim(lifecycle.new_session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
        return StepOutcome(item, StepOutcomeKind.skipped, "another worker is restoring this case")
    with transaction(lifecycle.new_session) as session:
        case = session.get(Case, case_id)
        if case is None or case.status is not CaseStatus.restoring:
            claims.release(session, item=item, holder=holder)
            status = case.status.value if case else "gone"
            return StepOutcome(item, StepOutcomeKind.skipped, f"case {case_id} is {status}, not restoring")
        view = _case_view(session, case_id=case_id)
    cold = [obj for obj in view.objects if obj.tier is Tier.archive and not _readable(lifecycle.vault, obj)]
    if cold:
        for obj in cold:
            lifecycle.vault.request_restore(object_key=obj.key, tier=Tier.archive)
        claims.release_now(lifecycle.new_session, item=item, holder=holder)
        return StepOutcome(item, StepOutcomeKind.waiting, f"{len(cold)} object(s) in cold storage: restore requested")
    tags = lifecycle_tags(tier=Tier.active, schedule=lifecycle.schedule)
    for obj in view.objects:
        try:
            _move(
                lifecycle,
                obj=obj,
                subject=view.subject,
                source=Tier.archive,
                target=Tier.active,
                tags=tags,
                item=item,
                holder=holder,
                on_step=on_step,
            )
        except IntegrityFailure:
            return _restore_failed(lifecycle, view=view, failed=obj, item=item, holder=holder, on_step=on_step)
    with transaction(lifecycle.new_session) as session:
        _keep_claim(session, lifecycle, item=item, holder=holder)
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.updated_at, case.restore_problem = CaseStatus.closed, lifecycle.clock.now(), None
        session.add(case)
        _set_document_tier(session, case_id=case_id, tier=Tier.active)
        claims.release(session, item=item, holder=holder)
        _audit(
            session,
            lifecycle,
            "retention.restore",
            case_id,
            rule=requested_rule(session, case_id=case_id) or lifecycle.schedule.restore_rule_id,
            objects=len(view.objects),
        )
    return StepOutcome(
        item, StepOutcomeKind.done, f"case {case_id}'s documents are active again", objects=len(view.objects)
    )


def requested_rule(session: Session, *, case_id: int) -> str | None:
    """The rule the case's latest restore was requested under (a referral, or a manager),
    so the row that finishes it names the same rule."""
    row = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.action == RESTORE_REQUESTED,
            AuditEvent.subject_type == "case",
            AuditEvent.subject_id == str(case_id),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    rule = json.loads(row.details).get("rule") if row is not None else None
    return rule if isinstance(rule, str) else None


def _restore_failed(
    lifecycle: Lifecycle, *, view: _CaseView, failed: _Object, item: str, holder: str, on_step: StepHook
) -> StepOutcome:
    """An archive copy failed its integrity check: nothing of the case may stay half
    restored. The failed object's copy in the active tier goes (every version), what
    this restore already brought back returns to the archive, and the case is
    ``archived`` again, saying why, with its claim released."""
    integrity_alert(
        lifecycle.new_session,
        operation="restore",
        object_key=failed.key,
        document_id=failed.document_id,
        detail=f"the archive copy read back for case {view.case_id}'s restore",
    )
    lifecycle.vault.delete_everywhere([failed.key], tiers=[Tier.active])
    with lifecycle.new_session() as session:
        back = [obj for obj in _case_view(session, case_id=view.case_id).objects if obj.tier is Tier.active]
    archive_tags = lifecycle_tags(tier=Tier.archive, schedule=lifecycle.schedule)
    for obj in back:
        _move(
            lifecycle,
            obj=obj,
            subject=view.subject,
            source=Tier.active,
            target=Tier.archive,
            tags=archive_tags,
            item=item,
            holder=holder,
            on_step=on_step,
        )
    problem = (
        f"restore failed: the archive copy of document {failed.document_id} failed its integrity check;"
        " run `casevault storage verify`"
    )
    with transaction(lifecycle.new_session) as session:
        _keep_claim(session, lifecycle, item=item, holder=holder)
        case = session.get(Case, view.case_id)
        assert case is not None
        case.status, case.restore_problem, case.updated_at = CaseStatus.archived, problem, lifecycle.clock.now()
        session.add(case)
        _set_document_tier(session, case_id=view.case_id, tier=Tier.archive)
        claims.release(session, item=item, holder=holder)
        _audit(
            session,
            lifecycle,
            "retention.restore",
            view.case_id,
            outcome="failed",
            document=failed.document_id,
            object=failed.key,
            reason="integrity",
        )
    return StepOutcome(item, StepOutcomeKind.failed, problem)


def _readable(vault: Vault, obj: _Object) -> bool:
    return vault.restore_ready(object_key=obj.key, tier=Tier.archive)


# --- one object, one tier to another ---------------------------------------------------


def _move(
    lifecycle: Lifecycle,
    *,
    obj: _Object,
    subject: str,
    source: Tier,
    target: Tier,
    tags: LifecycleTags,
    item: str,
    holder: str,
    on_step: StepHook,
) -> None:
    """Each step that commits re-checks the claim first (renewing its lease): a worker
    whose claim ran out and was taken over (by a destruction, or another sweep) stops."""
    vault = lifecycle.vault
    if obj.tier is source:
        with transaction(lifecycle.new_session) as session:
            _keep_claim(session, lifecycle, item=item, holder=holder)
        vault.copy_to_tier(object_key=obj.key, source=source, target=target, tags=tags)
        _check_after_copy(lifecycle, obj=obj, target=target, item=item, holder=holder)
        on_step(Boundary.after_copy, item)
        _verify_copy(vault, obj=obj, subject=subject, tier=target, source=source)
        on_step(Boundary.after_verify, item)
        with transaction(lifecycle.new_session) as session:
            _keep_claim(session, lifecycle, item=item, holder=holder)
            row = session.get(StoredObject, obj.id)
            assert row is not None  # the claim is ours: no destruction has deleted it
            row.tier = target
            session.add(row)
        on_step(Boundary.after_commit, item)
    else:
        # Moved by an earlier run that died before deleting the source; keep the tags current.
        vault.set_tags(object_key=obj.key, tier=target, tags=tags)
    vault.delete_everywhere([obj.key], tiers=[source])
    on_step(Boundary.after_delete, item)


def _check_after_copy(lifecycle: Lifecycle, *, obj: _Object, target: Tier, item: str, holder: str) -> None:
    """A copy is the one step that can land after a takeover (it was in flight). If a
    destruction took the claim, it may have deleted this object before the copy landed:
    the copy goes too. If another mover took it, the copy is its business: leave it."""
    with transaction(lifecycle.new_session) as session:
        if claims.renew(session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
            return
        being_destroyed = _being_destroyed(session, obj=obj)
    if being_destroyed:
        lifecycle.vault.delete_everywhere([obj.key], tiers=[target])
    raise Conflict(f"{item} was taken over by another worker after this one's claim ran out: stopped here")


def _being_destroyed(session: Session, *, obj: _Object) -> bool:
    document = session.get(Document, obj.document_id)
    case = session.get(Case, document.case_id) if document is not None else None
    return case is None or case.status is CaseStatus.destroyed


def _verify_copy(vault: Vault, *, obj: _Object, subject: str, tier: Tier, source: Tier) -> None:
    """The copy has the recorded ciphertext size, and decrypts to the recorded sha256.
    A copy in a cold class cannot be read until restored: then the source, still in
    place, is decrypted and checked instead, and the copy's size must match."""
    info = vault.store.head(tier=tier, key=obj.key)
    if info is None or info.size != obj.stored_size:
        found = "missing" if info is None else f"{info.size} bytes"
        raise IntegrityFailure(f"copy of object {obj.key} in {tier.value} is {found}, expected {obj.stored_size} bytes")
    readable = vault.store.restore_state(tier=tier, key=obj.key) in (RestoreState.not_needed, RestoreState.ready)
    vault.verify(subject=subject, object_key=obj.key, tier=tier if readable else source, sha256=obj.sha256)


# --- shared ------------------------------------------------------------------------------


def _keep_claim(session: Session, lifecycle: Lifecycle, *, item: str, holder: str) -> None:
    if not claims.renew(session, item=item, holder=holder, clock=lifecycle.clock, lease=lifecycle.lease):
        raise Conflict(f"{item} was taken over by another worker after this one's claim ran out: stopped here")


def _case_view(session: Session, *, case_id: int) -> _CaseView:
    case = session.get(Case, case_id)
    assert case is not None
    person = session.get(Person, case.person_id)
    assert person is not None
    rows = session.exec(
        select(StoredObject)
        .join(Document, col(Document.id) == col(StoredObject.document_id))
        .where(Document.case_id == case_id)
        .order_by(col(StoredObject.id))
    ).all()
    objects = tuple(
        _Object(row.id, row.document_id, row.object_key, row.tier, row.sha256, row.stored_size)  # type: ignore[arg-type]  # ids of rows read from the database are set
        for row in rows
    )
    return _CaseView(case_id, person.id, person.pseudonym, objects)  # type: ignore[arg-type]  # ids of rows read from the database are set


def _objects_in(session: Session, *, case_id: int, tier: Tier) -> list[int]:
    query = (
        select(StoredObject.id)
        .join(Document, col(Document.id) == col(StoredObject.document_id))
        .where(Document.case_id == case_id, StoredObject.tier == tier)
    )
    return [object_id for object_id in session.exec(query).all() if object_id is not None]


def _set_document_tier(session: Session, *, case_id: int, tier: Tier) -> None:
    for document in session.exec(select(Document).where(Document.case_id == case_id)).all():
        document.tier = tier
        session.add(document)


def _audit(
    session: Session,
    lifecycle: Lifecycle,
    action: str,
    case_id: int,
    *,
    outcome: str = "ok",
    **details: int | str | bool | None,
) -> None:
    audit.record(
        session,
        clock=lifecycle.clock,
        actor="system",
        action=action,
        outcome=outcome,
        subject_type="case",
        subject_id=case_id,
        details=details,
    )
