"""Who may receive what, for a subject access request: each of the person's documents and
notes (every case of theirs not destroyed) marked disclosed, partly disclosed or withheld,
with the reason.

The rules are the release rules (``casevault.core.release.may_release``), applied here and
nowhere else: the requester's kind is the recipient, the person's age today, their standing
refusal and consents are the subject.

- The young person: 16 or over directly; 12 to 15 when their maturity and capacity are
  recorded (on the request, or with a refusal they made); under 12 through a parent or carer.
- A parent or carer: refused when the young person's refusal covers parents; documents the
  young person provided are withheld unless ``share_with_parent`` stands.
- A representative: only with their authority recorded on the request; until then every
  item is withheld, saying so.
- A document the rules release is *partly disclosed* when the redaction log holds a
  redaction of it for this request, else *disclosed*.
- A case note has no provider: officers write them. It is released with the case, like a
  document the service itself provided: disclosed when the rules release to the requester
  at all, withheld (with the rules' reason) when they do not. Every kind of note
  (``personal_details`` too) is treated alike; notes are never partly disclosed (redaction
  works on document pages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from casevault.core import consent
from casevault.core.models import (
    AccessRefusal,
    Case,
    CaseNote,
    CaseStatus,
    Document,
    ItemDecision,
    Person,
    ProvidedBy,
    RequesterKind,
    SarItem,
    SarRedaction,
    SubjectAccessRequest,
)
from casevault.core.release import Item, Recipient, Subject, may_release

REDACTED = "released with redactions (see the redaction log)"


@dataclass(frozen=True)
class Decision:
    document_id: int | None
    note_id: int | None
    decision: ItemDecision
    reason: str


def decide(
    subject: Subject,
    requester: RequesterKind,
    *,
    documents: Iterable[tuple[int, ProvidedBy]],
    note_ids: Iterable[int] = (),
    redacted: frozenset[int] = frozenset(),
    authority_recorded: bool = False,
) -> list[Decision]:
    """Each document, then each note, marked for ``requester`` (pure; see the module docstring)."""
    items = [Item(document_id, provided_by) for document_id, provided_by in documents]
    release = may_release(subject, Recipient(requester.value), items, representative_authority=authority_recorded)
    marked = [_document(mark.document_id, mark.disclosed, mark.reason, redacted) for mark in release.documents]
    note_decision = ItemDecision.disclosed if release.allowed else ItemDecision.withheld
    note_reason = f"a case note, released with the case: {release.reason}" if release.allowed else release.reason
    return marked + [Decision(None, note_id, note_decision, note_reason) for note_id in note_ids]


def _document(document_id: int, disclosed: bool, reason: str, redacted: frozenset[int]) -> Decision:
    if not disclosed:
        return Decision(document_id, None, ItemDecision.withheld, reason)
    if document_id in redacted:
        return Decision(document_id, None, ItemDecision.partly_disclosed, f"{reason}; {REDACTED}")
    return Decision(document_id, None, ItemDecision.disclosed, reason)


def subject_of(session: Session, *, request: SubjectAccessRequest, person: Person, as_of: dt.date) -> Subject:
    """What the release rules need to know of the person on ``as_of``, for this request."""
    refusal = session.exec(
        select(AccessRefusal)
        .where(AccessRefusal.person_id == person.id, col(AccessRefusal.withdrawn_at).is_(None))
        .order_by(sa.desc(col(AccessRefusal.id)))
        .limit(1)
    ).first()
    refused = frozenset(Recipient(kind) for kind in refusal.refused.split(",")) if refusal else frozenset()
    return Subject(
        age=consent.age_on(person.date_of_birth, as_of) if person.date_of_birth else None,  # None: anonymous
        maturity_recorded=request.maturity_recorded or bool(refusal and refusal.maturity_recorded),
        refused=refused,
        consents=consent.standing_scopes(session, person_id=request.person_id),
    )


def mark_items(session: Session, request: SubjectAccessRequest, *, as_of: dt.date) -> list[SarItem]:
    """Mark every document and note of the request's person, replacing the request's earlier
    marks (re-runnable: after a redaction, a refusal or a consent changes, mark again)."""
    person = session.get(Person, request.person_id)
    assert person is not None and request.id is not None
    cases = select(Case.id).where(Case.person_id == request.person_id, Case.status != CaseStatus.destroyed)
    documents = session.exec(
        select(Document.id, Document.provided_by).where(col(Document.case_id).in_(cases)).order_by(col(Document.id))
    ).all()
    note_ids = session.exec(
        select(CaseNote.id).where(col(CaseNote.case_id).in_(cases)).order_by(col(CaseNote.id))
    ).all()
    redacted = frozenset(
        session.exec(select(SarRedaction.document_id).where(SarRedaction.request_id == request.id)).all()
    )
    decisions = decide(
        subject_of(session, request=request, person=person, as_of=as_of),
        request.requester_kind,
        documents=[(document_id, ProvidedBy(kind)) for document_id, kind in documents if document_id is not None],
        note_ids=[note_id for note_id in note_ids if note_id is not None],
        redacted=redacted,
        authority_recorded=bool((request.authority or "").strip()),
    )
    session.exec(delete(SarItem).where(col(SarItem.request_id) == request.id))
    rows = [
        SarItem(
            request_id=request.id,
            document_id=decision.document_id,
            note_id=decision.note_id,
            decision=decision.decision,
            reason=decision.reason[:1000],
        )
        for decision in decisions
    ]
    session.add_all(rows)
    session.flush()
    return rows


def items_of(session: Session, *, request_id: int) -> Sequence[SarItem]:
    """The request's marks: documents first, then notes, each by id."""
    query = select(SarItem).where(SarItem.request_id == request_id)
    return session.exec(
        query.order_by(col(SarItem.note_id).is_not(None), col(SarItem.document_id), col(SarItem.note_id))
    ).all()
