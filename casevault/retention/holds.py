"""Holds: while one stands on a person or a case, nothing of it is archived, expired
or destroyed. The sweep asks ``standing_hold_ids`` at the moment of acting, not only
when planning. A hold's reason is free text: it stays in the row, never in the
audit log or a log line.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput, NotFound
from casevault.core.models import Case, CaseStatus, DestructionJob, Hold, HoldKind, Person, User


def standing_hold_ids(session: Session, *, person_id: int, case_ids: Sequence[int] = ()) -> list[int]:
    """Holds that stand on the person or on any of ``case_ids``."""
    on_target = col(Hold.person_id) == person_id
    if case_ids:
        on_target = sa.or_(on_target, col(Hold.case_id).in_(list(case_ids)))
    query = select(Hold.id).where(on_target, col(Hold.released_at).is_(None)).order_by(col(Hold.id))
    return [hold_id for hold_id in session.exec(query).all() if hold_id is not None]


def place_hold(
    session: Session,
    *,
    person_id: int | None,
    case_id: int | None,
    kind: HoldKind,
    reason: str,
    user: User,
    clock: Clock,
) -> Hold:
    if (person_id is None) == (case_id is None):
        raise InvalidInput("a hold is placed on a person or on a case: give exactly one of person_id and case_id")
    if not reason.strip():
        raise InvalidInput("say why the hold is placed", field="reason")
    target_person = _target_person(session, person_id=person_id, case_id=case_id)
    if session.get(DestructionJob, target_person) is not None:
        raise Conflict(
            f"person {target_person}'s records are being destroyed under the retention schedule;"
            " a hold can no longer stop it"
        )
    hold = Hold(
        person_id=person_id, case_id=case_id, kind=kind, reason=reason.strip(), placed_by=user.id, placed_at=clock.now()
    )
    session.add(hold)
    session.flush()
    return hold


def release_hold(session: Session, *, hold_id: int, user: User, clock: Clock) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"no hold with id {hold_id}")
    if hold.released_at is not None:
        raise Conflict(f"hold {hold_id} was already released")
    hold.released_at, hold.released_by = clock.now(), user.id
    session.add(hold)
    session.flush()
    return hold


def list_holds(session: Session, *, standing_only: bool) -> Sequence[Hold]:
    query = select(Hold).order_by(col(Hold.id))
    if standing_only:
        query = query.where(col(Hold.released_at).is_(None))
    return session.exec(query).all()


def _target_person(session: Session, *, person_id: int | None, case_id: int | None) -> int:
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case with id {case_id}")
        if case.status is CaseStatus.destroyed:
            raise Conflict(f"case {case_id} was destroyed under the retention schedule; there is nothing to hold")
        person_id = case.person_id
    assert person_id is not None
    # Locked, as the sweep locks it before deciding to destroy: the two never cross.
    if session.get(Person, person_id, with_for_update=True) is None:
        raise NotFound(f"no person with id {person_id}")
    return person_id
