"""A case's history: every closing kept, and reopening a closed case.

Each close writes a ``CaseClosure`` row; a reopen marks the latest one reopened (who,
when, why) and turns the case back to ``open``, its current closure cleared, so the
next close writes a new row and every earlier outcome stays. Only a ``closed`` case
reopens: an archived one is restored first (its documents must be active to be
worked on), and a destroyed one is gone. Services take the caller's session and
never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput
from casevault.core.models import Case, CaseClosure, CaseStatus, User

WHY_NOT_REOPENED = {
    CaseStatus.open: "is already open",
    CaseStatus.archived: "is archived; a manager restores it first (POST /api/v1/cases/{id}/restore), then reopen it",
    CaseStatus.restoring: "is being restored; reopen it once its documents are back (the case shows closed)",
    CaseStatus.destroyed: "was destroyed under the retention schedule and cannot be reopened",
}


@dataclass(frozen=True)
class Closure:
    """One closing of a case as its readers see it: usernames, not ids."""

    closed_on: dt.date
    outcome: str
    closed_by: str | None  # None: closed before the history was kept, or the user is gone
    closed_at: dt.datetime
    reopened_at: dt.datetime | None
    reopened_by: str | None
    reopen_reason: str | None


def record_closure(session: Session, *, case: Case, user: User, clock: Clock) -> CaseClosure:
    """Inside the close's transaction, after the case is closed."""
    assert case.closed_on is not None and case.outcome is not None
    row = CaseClosure(
        case_id=case.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
        closed_on=case.closed_on,
        outcome=case.outcome,
        closed_by=user.id,
        closed_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def reopen_case(session: Session, *, case: Case, reason: str, user: User, clock: Clock) -> CaseClosure:
    """A closed case open again; its closing stays in the history with who reopened it and why."""
    if case.status is not CaseStatus.closed:
        raise Conflict(f"case {case.id} {WHY_NOT_REOPENED[case.status].format(id=case.id)}")
    if not reason.strip():
        raise InvalidInput("reason must say why the case is reopened", field="reason")
    closure = _latest_closure(session, case=case, clock=clock)
    now = clock.now()
    closure.reopened_at, closure.reopened_by, closure.reopen_reason = now, user.id, reason.strip()
    # Its window is counted afresh when it closes again.
    case.status, case.closed_on, case.outcome, case.archive_until = CaseStatus.open, None, None, None
    case.outcome_code = None
    case.updated_at = now
    session.add_all([closure, case])
    session.flush()
    return closure


def closures(session: Session, *, case_id: int) -> list[Closure]:
    """The case's closings, oldest first."""
    rows = session.exec(select(CaseClosure).where(CaseClosure.case_id == case_id).order_by(col(CaseClosure.id))).all()
    user_ids = {row.closed_by for row in rows} | {row.reopened_by for row in rows}
    names = _usernames(session, {user_id for user_id in user_ids if user_id is not None})
    return [
        Closure(
            closed_on=row.closed_on,
            outcome=row.outcome,
            closed_by=names.get(row.closed_by) if row.closed_by is not None else None,
            closed_at=row.closed_at,
            reopened_at=row.reopened_at,
            reopened_by=names.get(row.reopened_by) if row.reopened_by is not None else None,
            reopen_reason=row.reopen_reason,
        )
        for row in rows
    ]


def _latest_closure(session: Session, *, case: Case, clock: Clock) -> CaseClosure:
    row = session.exec(
        select(CaseClosure)
        .where(CaseClosure.case_id == case.id, col(CaseClosure.reopened_at).is_(None))
        .order_by(col(CaseClosure.id).desc())
        .limit(1)
    ).first()
    if row is not None:
        return row
    # Closed without a row (written by hand or by an import): the case itself says how.
    assert case.closed_on is not None
    return CaseClosure(case_id=case.id, closed_on=case.closed_on, outcome=case.outcome or "", closed_at=clock.now())  # type: ignore[arg-type]  # ids of rows read from the database are set


def _usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.username).where(col(User.id).in_(user_ids))).all()
    return {user_id: username for user_id, username in rows if user_id is not None}
