"""A subject access request as a service: open it (with its hold), stop and resume its
clock, extend it, record the authority or maturity it rests on, complete it, and release
its hold once the set period after completion has passed.

Services take a session and keyword arguments; the caller owns the transaction, checks who
may act, and audits. The requester's name stays in the request's row: nothing here logs it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput, NotFound
from casevault.core.models import (
    ClockStopReason,
    Hold,
    HoldKind,
    Person,
    RequesterKind,
    SarClockStop,
    SarStatus,
    SubjectAccessRequest,
    User,
)
from casevault.policy import due_dates
from casevault.policy.due_dates import ClockState, Stop
from casevault.retention.holds import place_hold

EARLIEST = dt.date(1900, 1, 1)
REFERENCE_DIGITS = 8


def _new_reference(session: Session) -> str:
    """``SAR-`` and random digits: names no one, says nothing of order or count."""
    while True:
        reference = "SAR-" + "".join(secrets.choice("0123456789") for _ in range(REFERENCE_DIGITS))
        taken = session.exec(select(SubjectAccessRequest.id).where(SubjectAccessRequest.reference == reference))
        if taken.first() is None:
            return reference


def _a_past_day(day: dt.date, *, today: dt.date, field: str, what: str) -> dt.date:
    if day > today:
        raise InvalidInput(f"{what} ({day}) cannot be after today ({today})", field=field)
    if day < EARLIEST:
        raise InvalidInput(f"{what} ({day}) cannot be before {EARLIEST}", field=field)
    return day


def stops_of(session: Session, *, request_id: int) -> Sequence[SarClockStop]:
    return session.exec(
        select(SarClockStop).where(SarClockStop.request_id == request_id).order_by(col(SarClockStop.id))
    ).all()


def clock_of(session: Session, request: SubjectAccessRequest, *, as_of: dt.date) -> ClockState:
    assert request.id is not None
    stops = [Stop(stop.stopped_on, stop.resumed_on) for stop in stops_of(session, request_id=request.id)]
    return due_dates.clock(request.received_on, stops=stops, extension_months=request.extension_months, as_of=as_of)


def _refresh(session: Session, request: SubjectAccessRequest, *, as_of: dt.date) -> None:
    state = clock_of(session, request, as_of=as_of)
    request.due_on = state.due_on
    if request.status is not SarStatus.completed:
        request.status = SarStatus.paused if state.paused else SarStatus.open
    session.add(request)
    session.flush()


def still_open(request: SubjectAccessRequest) -> None:
    if request.status is SarStatus.completed:
        raise Conflict(f"subject access request {request.id} is completed; it cannot change")


def open_request(
    session: Session,
    *,
    person_id: int,
    requester_kind: RequesterKind,
    requester_name: str,
    received_on: dt.date,
    authority: str | None,
    maturity_recorded: bool,
    user: User,
    clock: Clock,
) -> SubjectAccessRequest:
    """Record a request received on ``received_on``, its due date, and a ``subject_access``
    hold on the person so nothing of theirs is archived or destroyed while it is answered.
    The caller has checked the person is one ``user`` may see."""
    name = requester_name.strip()
    if not name:
        raise InvalidInput("say who made the request (requester_name)", field="requester_name")
    _a_past_day(received_on, today=clock.today(), field="received_on", what="the day the request was received")
    person = session.get(Person, person_id)
    if person is not None and person.date_of_birth is not None and received_on < person.date_of_birth:
        raise InvalidInput(
            f"received_on ({received_on}) is before the young person was born: give the day the request arrived",
            field="received_on",
        )
    reference = _new_reference(session)
    hold = place_hold(
        session,
        person_id=person_id,
        case_id=None,
        kind=HoldKind.subject_access,
        reason=f"subject access request {reference}",
        user=user,
        clock=clock,
    )
    request = SubjectAccessRequest(
        reference=reference,
        person_id=person_id,
        requester_kind=requester_kind,
        requester_name=name,
        authority=(authority or "").strip() or None,
        maturity_recorded=maturity_recorded,
        received_on=received_on,
        due_on=due_dates.due_date(received_on),
        hold_id=hold.id,
        opened_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
        opened_at=clock.now(),
    )
    session.add(request)
    session.flush()
    return request


def stop_clock(
    session: Session,
    *,
    request: SubjectAccessRequest,
    reason: ClockStopReason,
    stopped_on: dt.date,
    user: User,
    clock: Clock,
) -> SarClockStop:
    """The clock stops while the service waits for identity or clarification."""
    still_open(request)
    assert request.id is not None
    today = clock.today()
    _a_past_day(stopped_on, today=today, field="stopped_on", what="the day the clock stopped")
    if stopped_on < request.received_on:
        raise InvalidInput(
            f"the clock cannot stop ({stopped_on}) before the request was received ({request.received_on})",
            field="stopped_on",
        )
    stops = stops_of(session, request_id=request.id)
    if any(stop.resumed_on is None for stop in stops):
        raise Conflict(f"the clock of subject access request {request.id} is stopped already; resume it first")
    last_resumed = max((stop.resumed_on for stop in stops if stop.resumed_on is not None), default=None)
    if last_resumed is not None and stopped_on < last_resumed:
        raise InvalidInput(
            f"the clock last resumed on {last_resumed}; it cannot stop again before that", field="stopped_on"
        )
    stop = SarClockStop(
        request_id=request.id,
        reason=reason,
        stopped_on=stopped_on,
        recorded_by=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
    )
    session.add(stop)
    session.flush()
    _refresh(session, request, as_of=today)
    return stop


def resume_clock(
    session: Session, *, request: SubjectAccessRequest, stop_id: int, resumed_on: dt.date, clock: Clock
) -> SarClockStop:
    """The identity or clarification arrived: the clock runs again, the due date moves on
    by the days it stood still."""
    still_open(request)
    stop = session.get(SarClockStop, stop_id)
    if stop is None or stop.request_id != request.id:
        raise NotFound(f"no clock stop with id {stop_id} on subject access request {request.id}")
    if stop.resumed_on is not None:
        raise Conflict(f"clock stop {stop_id} was resumed already, on {stop.resumed_on}")
    today = clock.today()
    _a_past_day(resumed_on, today=today, field="resumed_on", what="the day the clock resumed")
    if resumed_on < stop.stopped_on:
        raise InvalidInput(
            f"the clock cannot resume ({resumed_on}) before it stopped ({stop.stopped_on})", field="resumed_on"
        )
    stop.resumed_on = resumed_on
    session.add(stop)
    session.flush()
    _refresh(session, request, as_of=today)
    return stop


def extend(
    session: Session,
    *,
    request: SubjectAccessRequest,
    months: int,
    reason: str,
    told_on: dt.date,
    clock: Clock,
) -> SubjectAccessRequest:
    """Extend a complex request by one or two more months: the requester must have been told
    within the first month (409 after it). A second call replaces the first."""
    still_open(request)
    assert request.id is not None
    if not 1 <= months <= due_dates.MAX_EXTENSION_MONTHS:
        raise InvalidInput(f"an extension is 1 or 2 months, not {months}", field="months")
    if not reason.strip():
        raise InvalidInput("say why the request is complex enough to extend", field="reason")
    _a_past_day(told_on, today=clock.today(), field="told_on", what="the day the requester was told")
    stops = [Stop(stop.stopped_on, stop.resumed_on) for stop in stops_of(session, request_id=request.id)]
    refusal = due_dates.extension_refusal(request.received_on, stops=stops, told_on=told_on)
    if refusal is not None:
        if told_on < request.received_on:
            raise InvalidInput(refusal, field="told_on")
        raise Conflict(refusal)
    request.extension_months, request.extension_reason, request.extension_told_on = months, reason.strip(), told_on
    _refresh(session, request, as_of=clock.today())
    return request


def update(
    session: Session,
    *,
    request: SubjectAccessRequest,
    authority: str | None,
    set_authority: bool,
    maturity_recorded: bool | None,
) -> SubjectAccessRequest:
    """Record (or correct) a representative's authority, or a young person's maturity."""
    still_open(request)
    if set_authority:
        if request.requester_kind is not RequesterKind.representative and authority:
            raise InvalidInput("only a representative's request rests on an authority", field="authority")
        request.authority = (authority or "").strip() or None
    if maturity_recorded is not None:
        if request.requester_kind is not RequesterKind.young_person and maturity_recorded:
            raise InvalidInput(
                "maturity and capacity matter only when the young person asks themselves", field="maturity_recorded"
            )
        request.maturity_recorded = maturity_recorded
    session.add(request)
    session.flush()
    return request


def complete(
    session: Session, *, request: SubjectAccessRequest, completed_on: dt.date, hold_days: int, clock: Clock
) -> SubjectAccessRequest:
    """The request is answered: its hold stays ``hold_days`` more, then the daily step releases it."""
    still_open(request)
    _a_past_day(completed_on, today=clock.today(), field="completed_on", what="the day it was completed")
    if completed_on < request.received_on:
        raise InvalidInput(
            f"a request cannot be completed ({completed_on}) before it was received ({request.received_on})",
            field="completed_on",
        )
    assert request.id is not None
    if any(stop.resumed_on is None for stop in stops_of(session, request_id=request.id)):
        raise Conflict(f"the clock of subject access request {request.id} is stopped; resume it before completing")
    request.status = SarStatus.completed
    request.completed_on = completed_on
    request.hold_release_on = completed_on + dt.timedelta(days=hold_days)
    session.add(request)
    session.flush()
    return request


def release_due_holds(session: Session, *, as_of: dt.date, clock: Clock) -> list[tuple[int, int]]:
    """Release the holds of completed requests whose set period has passed by ``as_of``:
    ``(request id, hold id)`` of each released. Safe to repeat."""
    due = session.exec(
        select(SubjectAccessRequest, Hold)
        .join(Hold, col(Hold.id) == col(SubjectAccessRequest.hold_id))
        .where(
            SubjectAccessRequest.status == SarStatus.completed,
            col(SubjectAccessRequest.hold_release_on) <= as_of,
            col(Hold.released_at).is_(None),
        )
        .order_by(col(SubjectAccessRequest.id))
    ).all()
    released = []
    for request, hold in due:
        hold.released_at = clock.now()  # released_by stays empty: the schedule released it
        session.add(hold)
        released.append((request.id, hold.id))
    session.flush()
    return released  # type: ignore[return-value]  # ids of rows read from the database are set


# --- warnings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestTodo:
    request_id: int
    reference: str
    person_id: int
    full_name: str
    requester_kind: RequesterKind
    due_on: dt.date
    days_left: int  # frozen while the clock is stopped
    paused: bool
    warning: str | None  # "due soon" (7 days or fewer), "urgent" (2 or fewer), "overdue"
